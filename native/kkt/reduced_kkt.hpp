// The reduced KKT matrix of docs/METHODS.md §5 at one solution, factorised once and solved many
// times: by every backward pass (backward/kkt_backward.cpp), every forward-mode product and
// every polish step on the same active set. Plain C++, no Node.
//
//   K = [ P    C_Jᵀ ]      N = n + |J|, unknowns ordered [x; active rows of A (row order);
//       [ C_J  0    ]                   active bounds (variable order)]
//
// Regular K: LDLᵀ (SuiteSparse LDL + AMD) of K made quasi-definite by a static
// regularisation (+δ on the primal diagonal, −δ on the dual one, δ = 1e-10·max|K|), each
// solve refined against the true K. Singular K (dependent active rows, or P singular on the
// null space of C_J), detected by a probe solve with a pseudo-random right-hand side whose
// refinement stalls: reported as not differentiable; a more strongly regularised LDLᵀ,
// refined, solves a consistent right-hand side exactly, and an inconsistent one gets the
// least-squares answer of a rank-revealing sparse QR of K (SuiteSparseQR, built on first need).
//
// A built ReducedKkt is immutable; Solve is const and safe to call from several threads.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "active_set.hpp"
#include "ldl_solver.hpp"

namespace diffqp {

class ReducedKkt {
 public:
  // Finds the active set (tolerance opt.eps_active), assembles K, factorises it and probes
  // it for singularity. Never throws for a degenerate point; throws QpError on bad memory.
  static std::shared_ptr<const ReducedKkt> Build(const ProblemView& p, const double* x, const double* y, const double* z,
                                                 const ActiveSetOptions& opt);
  // The same on a given active set (ChooseActiveSet's refinement tries several).
  static std::shared_ptr<const ReducedKkt> BuildOn(const ProblemView& p, ActiveSet as, const ActiveSetOptions& opt);
  ~ReducedKkt();

  // rhs[N] (read) → K⁻¹ rhs; when K is singular, the exact solution of a consistent system
  // or else the least-squares answer (the QR is built on first need). Never NaN (a failed
  // solve gives zeros). *relative_residual gets ‖rhs − K sol‖∞ / ‖rhs‖∞; *how says which
  // answer it is.
  enum class How { kSolved, kLeastSquares, kRegularised };  // kRegularised: inconsistent, no QR
  std::vector<double> Solve(const std::vector<double>& rhs, double* relative_residual, How* how = nullptr) const;
  // Whether Solve may build the least-squares QR (it cannot be interrupted and can cost far more
  // than a solve: a polish under a finite time limit turns it off while it owns the factor).
  void AllowLeastSquares(bool allow) const { least_squares_allowed_ = allow; }

  // True when this factorization answers for (p, opt): same shape and active-set tolerance.
  // The caller vouches that x, y, z and the values of p are those it was built from.
  bool Matches(const ProblemView& p, const ActiveSetOptions& opt) const;

  // True when this factorization is the one Build(p, x, y, z, opt) would make: it Matches, and
  // the set opt's rule reads at (x, y, z) is its set (K depends on P, A and the set alone). The
  // caller vouches that P and A have the values it was built on. A refined set (opt's
  // refine_active_set) is not read again here: false.
  bool Serves(const ProblemView& p, const double* x, const double* y, const double* z, const ActiveSetOptions& opt) const;

  // Heap bytes held (K, its LDLᵀ factor, the active set), for the addon to report to V8 as
  // external memory. An estimate: the lazily built QR is not counted.
  size_t Bytes() const;

  int32_t n = 0, m = 0, nJ = 0, active_rows = 0, active_bounds = 0;
  int32_t N() const { return n + nJ; }
  ActiveSet as;
  std::vector<int32_t> row_k, bound_k;  // index in J, or −1 when inactive
  bool singular = false;                // K singular: least-squares solves (SPQR)
  bool differentiable = true;           // neither singular nor weakly active constraints
  std::string weak_reason;              // the weakly active constraints, when there are any
  double factor_seconds = 0;

 private:
  ReducedKkt() = default;
  void Assemble(const ProblemView& p);
  void FactorLeastSquares() const;                                              // under qr_mutex_
  std::vector<double> SolveLeastSquares(const std::vector<double>& rhs) const;  // under qr_mutex_

  ActiveSetOptions options_;  // the active-set rules it was built with
  mutable bool least_squares_allowed_ = true;
  int64_t nnz_P_ = 0, nnz_A_ = 0;
  std::vector<int32_t> Kp_, Ki_, diag_;
  std::vector<double> Kx_;  // true values, full symmetric pattern
  LdlSolver ldl_;
  struct Qr;                        // SuiteSparseQR factorization (reduced_kkt.cpp)
  mutable std::unique_ptr<Qr> qr_;  // built lazily: only an inconsistent system needs it
  mutable bool qr_attempted_ = false;
  mutable std::mutex qr_mutex_;  // guards the lazy build; SuiteSparseQR's solve is not documented as reentrant
};

// The factorization to use: the caller's when it answers for (p, opt), else a new one; the
// result's factorization diagnostics (R: Gradients or ForwardResult).
template <class R>
std::shared_ptr<const ReducedKkt> FactorFor(const ProblemView& p, const double* x, const double* y, const double* z,
                                            const ActiveSetOptions& opt, std::shared_ptr<const ReducedKkt> cached, R& r) {
  r.factor_reused = cached && cached->Matches(p, opt);
  auto k = r.factor_reused ? std::move(cached) : ReducedKkt::Build(p, x, y, z, opt);
  r.factor_seconds = r.factor_reused ? 0 : k->factor_seconds;
  r.active_rows = k->active_rows;
  r.active_bounds = k->active_bounds;
  r.active_set_changes = k->as.refine_changes;
  return k;
}

// Solves K sol = rhs and gives the result its diagnostics: the factorization's, how a
// singular K was solved, and an ill-conditioned solve.
template <class R>
std::vector<double> SolveDiagnosed(const ReducedKkt& k, const std::vector<double>& rhs, R& r) {
  double relative_residual = 0;
  ReducedKkt::How how = ReducedKkt::How::kSolved;
  std::vector<double> sol = k.Solve(rhs, &relative_residual, &how);
  r.differentiable = k.differentiable;
  r.reason.clear();
  auto append = [&](const std::string& part) { r.reason += (r.reason.empty() ? "" : "; ") + part; };
  if (k.singular) {
    append(
        "the reduced KKT matrix is singular (linearly dependent active constraints, or P singular on their null space): "
        "the derivative is not unique");
    append(how == ReducedKkt::How::kLeastSquares ? "result from a least-squares solve (SuiteSparseQR)"
           : how == ReducedKkt::How::kSolved     ? "the system is consistent: result from the regularised, refined LDL' solve"
                                                 : "result from the regularised, refined LDL' solve (the system is inconsistent and the "
                                                   "least-squares QR failed or did no better)");
  }
  if (!k.weak_reason.empty()) append(k.weak_reason);
  if (!k.singular && !(relative_residual <= 1e-8)) {
    r.differentiable = false;
    append("the reduced KKT system is ill-conditioned: relative residual " + std::to_string(relative_residual) + " after refinement");
  }
  return sol;
}

}  // namespace diffqp
