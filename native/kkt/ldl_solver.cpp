#include "ldl_solver.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "linsys.h"

namespace diffqp {

void LdlSolver::Free::operator()(LinsysLdl* s) const { linsys_ldl_free(s); }

LdlSolver::LdlSolver() = default;
LdlSolver::~LdlSolver() = default;
LdlSolver::LdlSolver(LdlSolver&&) noexcept = default;
LdlSolver& LdlSolver::operator=(LdlSolver&&) noexcept = default;

void LdlSolver::Analyze(int32_t N, const int32_t* Kp, const int32_t* Ki, bool natural) {
  ldl_.reset();
  N_ = 0;
  zero_pivot_ = -1;
  factored_ = false;
  LinsysLdl* s = nullptr;
  const int status = linsys_ldl_analyze_ex(&s, N, Kp, Ki, LINSYS_PATTERN_FULL | (natural ? LINSYS_ORDER_NATURAL : 0));
  if (status != LINSYS_OK) {
    const char* why = status == LINSYS_ERR_INVALID         ? "invalid pattern (not CSC, unsorted or not symmetric)"
                      : status == LINSYS_ERR_OUT_OF_MEMORY ? "out of memory"
                      : status == LINSYS_ERR_TOO_LARGE     ? "the factor would exceed 32-bit indices"
                                                           : "unknown error";
    throw QpError(code::kNative, std::string("LdlSolver: analysis failed: ") + why + " (linsys status " + std::to_string(status) + ")");
  }
  ldl_.reset(s);
  N_ = N;
}

bool LdlSolver::Factor(const double* Kx) {
  zero_pivot_ = -1;
  if (N_ == 0) {
    factored_ = true;
    return true;
  }
  factored_ = linsys_ldl_factor(ldl_.get(), Kx) == LINSYS_OK;
  if (!factored_) zero_pivot_ = linsys_ldl_zero_pivot(ldl_.get());
  return factored_;
}

void LdlSolver::Solve(double* b) const {
  if (N_ == 0) return;
  if (!factored_) throw QpError(code::kNative, "LdlSolver: Solve called without a successful factorisation");
  std::vector<double> work(N_);  // per call: concurrent solves share one factorization
  linsys_ldl_solve_work(ldl_.get(), b, work.data());
}

void LdlSolver::Multiply(const double* Kx, const double* x, double* y) const {
  if (N_ == 0) return;
  linsys_sym_multiply(ldl_.get(), Kx, x, y);
}

double LdlSolver::SolveRefined(const double* Kx_true, const double* b, double* x, int max_steps) const {
  // Keeps the iterate with the smallest residual: refinement against a singular K does not
  // converge, and then the plain regularised solution is the better answer.
  std::vector<double> r(N_), Kx(N_), best(N_);
  double bnorm = 0;
  for (int32_t i = 0; i < N_; i++) bnorm = std::max(bnorm, std::abs(b[i]));
  std::copy(b, b + N_, x);
  Solve(x);
  double best_rel = HUGE_VAL;
  for (int step = 0;; step++) {
    Multiply(Kx_true, x, Kx.data());
    double rnorm = 0;
    for (int32_t i = 0; i < N_; i++) {
      r[i] = b[i] - Kx[i];
      rnorm = std::max(rnorm, std::abs(r[i]));
    }
    const double rel = bnorm > 0 ? rnorm / bnorm : rnorm;
    if (std::isfinite(rel) && rel < best_rel) {
      best_rel = rel;
      std::copy(x, x + N_, best.begin());
    }
    if (!(rel > 1e-14) || step >= max_steps) break;  // 1e-14: a few ulps; more steps gain nothing
    Solve(r.data());
    for (int32_t i = 0; i < N_; i++) x[i] += r[i];
  }
  std::copy(best.begin(), best.end(), x);
  return best_rel;
}

double LdlSolver::MinAbsPivot() const { return ldl_ && N_ > 0 ? linsys_ldl_min_abs_pivot(ldl_.get()) : HUGE_VAL; }

double LdlSolver::MaxAbsPivot() const { return ldl_ && N_ > 0 ? linsys_ldl_max_abs_pivot(ldl_.get()) : 0; }

int32_t LdlSolver::FactorNnz() const { return ldl_ ? (int32_t)linsys_ldl_factor_nnz(ldl_.get()) : 0; }

}  // namespace diffqp
