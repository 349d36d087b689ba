#include "ldl_solver.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "../core/error.hpp"

extern "C" {
#include <amd.h>
#include <ldl.h>
}

namespace diffqp {

void LdlSolver::Analyze(int32_t N, const int32_t* Kp, const int32_t* Ki) {
  N_ = N;
  Kp_ = Kp;
  Ki_ = Ki;
  factored_ = false;
  perm_.assign(N, 0);
  pinv_.assign(N, 0);
  Lp_.assign(N + 1, 0);
  parent_.assign(N, 0);
  lnz_.assign(N, 0);
  flag_.assign(N, 0);
  pattern_.assign(N, 0);
  D_.assign(N, 0);
  y_.assign(N, 0);
  if (N == 0) return;
  double control[AMD_CONTROL], info[AMD_INFO];
  amd_defaults(control);
  const int status = amd_order(N, Kp, Ki, perm_.data(), control, info);
  if (status != AMD_OK && status != AMD_OK_BUT_JUMBLED) {
    throw QpError(code::kNative, "LdlSolver: AMD ordering failed (status " + std::to_string(status) + ")");
  }
  ldl_symbolic(N, const_cast<int*>(Kp), const_cast<int*>(Ki), Lp_.data(), parent_.data(), lnz_.data(), flag_.data(),
               perm_.data(), pinv_.data());
  Li_.assign(std::max<int32_t>(Lp_[N], 1), 0);
  Lx_.assign(std::max<int32_t>(Lp_[N], 1), 0.0);
}

bool LdlSolver::Factor(const double* Kx) {
  zero_pivot_ = -1;
  if (N_ == 0) {
    factored_ = true;
    return true;
  }
  const int d = ldl_numeric(N_, const_cast<int*>(Kp_), const_cast<int*>(Ki_), const_cast<double*>(Kx), Lp_.data(), parent_.data(),
                            lnz_.data(), Li_.data(), Lx_.data(), D_.data(), y_.data(), pattern_.data(), flag_.data(), perm_.data(),
                            pinv_.data());
  factored_ = (d == N_);
  if (!factored_) zero_pivot_ = d;
  return factored_;
}

void LdlSolver::Solve(double* b) const {
  if (N_ == 0) return;
  if (!factored_) throw QpError(code::kNative, "LdlSolver: Solve called without a successful factorisation");
  std::vector<double> work(N_);  // per call: concurrent solves share one factorization
  double* w = work.data();
  ldl_perm(N_, w, b, const_cast<int*>(perm_.data()));
  ldl_lsolve(N_, w, const_cast<int*>(Lp_.data()), const_cast<int*>(Li_.data()), const_cast<double*>(Lx_.data()));
  ldl_dsolve(N_, w, const_cast<double*>(D_.data()));
  ldl_ltsolve(N_, w, const_cast<int*>(Lp_.data()), const_cast<int*>(Li_.data()), const_cast<double*>(Lx_.data()));
  ldl_permt(N_, b, w, const_cast<int*>(perm_.data()));
}

void LdlSolver::Multiply(const double* Kx, const double* x, double* y) const {
  std::fill(y, y + N_, 0.0);
  for (int32_t j = 0; j < N_; j++) {
    const double xj = x[j];
    for (int32_t p = Kp_[j]; p < Kp_[j + 1]; p++) y[Ki_[p]] += Kx[p] * xj;
  }
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

double LdlSolver::MinAbsPivot() const {
  double v = HUGE_VAL;
  for (double d : D_) v = std::min(v, std::abs(d));
  return v;
}

double LdlSolver::MaxAbsPivot() const {
  double v = 0;
  for (double d : D_) v = std::max(v, std::abs(d));
  return v;
}

}  // namespace diffqp
