#include "polish.hpp"

#include <algorithm>
#include <cmath>

#include "../core/residuals.hpp"
#include "newton_step.hpp"
#include "reduced_kkt.hpp"

namespace diffqp {
namespace {

double Worst(const Result& r) {
  const double w = std::max({r.primal_residual, r.dual_residual, r.duality_gap});
  return std::isnan(w) ? kInf : w;
}

// One Newton step on the active set of r; returns false when the reduced system failed.
// *factor gets the factorization of K it used.
// `least_squares`: whether a singular K may fall back to the QR (not under a time limit).
bool NewtonStep(const ProblemView& p, const double eps_active, Result& r, std::shared_ptr<const ReducedKkt>* factor, bool least_squares) {
  ActiveSetOptions opt;
  opt.eps_active = eps_active;
  *factor = ReducedKkt::Build(p, r.x.data(), r.y.data(), r.z.data(), opt);
  (*factor)->AllowLeastSquares(least_squares);
  const ActiveSet& as = (*factor)->as;
  // Inactive multipliers are zero at the polished point.
  for (int32_t i = 0; i < p.m; i++)
    if (as.row_side[i] == 0) r.y[i] = 0;
  for (int32_t j = 0; j < p.n; j++)
    if (as.bound_side.empty() || as.bound_side[j] == 0) r.z[j] = 0;
  // Stationarity residual with those multipliers, and the active constraints' violations.
  // Summed exactly: a Newton step can only remove the residual it is shown.
  std::vector<double> rd(p.n, 0.0), to_upper(p.m), to_lower(p.m);
  StationarityExactly(p, r.x.data(), r.y.data(), r.z.data(), rd.data());
  DistancesToSides(p, r.x.data(), to_upper.data(), to_lower.data());
  std::vector<double> dl(p.m, 0.0), du(p.m, 0.0), dlb(p.n, 0.0), dub(p.n, 0.0);
  for (int32_t i = 0; i < p.m; i++) {
    if (as.row_side[i] > 0) du[i] = to_upper[i];
    if (as.row_side[i] < 0) dl[i] = to_lower[i];
  }
  for (int32_t j = 0; j < p.n && !as.bound_side.empty(); j++) {
    if (as.bound_side[j] > 0) dub[j] = p.UpperBound(j) - r.x[j];
    if (as.bound_side[j] < 0) dlb[j] = p.LowerBound(j) - r.x[j];
  }
  // The forward-mode system K [dx; dw] = −[dq; −dc] with dq = rd, dc = c_J − C_J x is
  // exactly the Newton step.
  Tangents t;
  t.dq = rd.data();
  t.dl = dl.data();
  t.du = du.data();
  t.dlb = dlb.data();
  t.dub = dub.data();
  const ForwardResult f = KktForward(p, r.x.data(), r.y.data(), r.z.data(), t, opt, *factor);
  if ((int32_t)f.dx.size() != p.n) return false;
  for (int32_t j = 0; j < p.n; j++) {
    if (!std::isfinite(f.dx[j]) || !std::isfinite(f.dz[j])) return false;
  }
  for (int32_t i = 0; i < p.m; i++)
    if (!std::isfinite(f.dy[i])) return false;
  for (int32_t j = 0; j < p.n; j++) {
    r.x[j] += f.dx[j];
    r.z[j] += f.dz[j];
  }
  for (int32_t i = 0; i < p.m; i++) r.y[i] += f.dy[i];
  return true;
}

}  // namespace

PolishReport PolishSolution(const ProblemView& p, const Settings& s, Result& r, double eps_active, int steps, const CancelFlag* cancel) {
  PolishReport report;
  if (r.status != Status::kSolved && r.status != Status::kSolvedInaccurate) return report;
  if ((int32_t)r.x.size() != p.n || p.n == 0) return report;
  if (!r.has_duals || (int32_t)r.y.size() != p.m || (int32_t)r.z.size() != p.n) {
    // Dual completion: start from zero multipliers; the active set comes from x alone.
    r.y.assign(p.m, 0.0);
    r.z.assign(p.n, 0.0);
    r.has_duals = true;
    ComputeResiduals(p, r);
  }
  report.attempted = true;
  report.before[0] = r.primal_residual;
  report.before[1] = r.dual_residual;
  report.before[2] = r.duality_gap;
  Result best = r;
  Result trial = r;
  std::shared_ptr<const ReducedKkt> best_factor;
  for (int k = 0; k < steps; k++) {
    if (cancel && cancel->load()) break;
    std::shared_ptr<const ReducedKkt> factor;
    try {
      // The QR cannot be interrupted: under a finite time limit a singular K ends the polish
      // (BOYD2 answered 90 s past a 60 s limit in a polish's QR).
      const bool stepped = NewtonStep(p, eps_active, trial, &factor, !std::isfinite(s.time_limit));
      if (factor) factor->AllowLeastSquares(true);  // the backward pass may still use it
      if (!stepped) break;
    } catch (...) {
      break;  // a factorization failure leaves the solver's answer as it was
    }
    DropMultipliersAtInfiniteBounds(p, trial);
    ComputeResiduals(p, trial);
    if (Worst(trial) < Worst(best)) {
      best = trial;
      best_factor = factor;
    } else if (k > 0) {
      break;  // a step that gains nothing: the residuals are at what the data allow
    }
  }
  if (best_factor) {
    // K depends on the active set alone: it serves the polished point if that point's
    // active set (and its weak constraints) is the one K was built on.
    ActiveSetOptions opt;
    opt.eps_active = eps_active;
    if (best_factor->Serves(p, best.x.data(), best.y.data(), best.z.data(), opt)) report.factor = best_factor;
  }
  if (Worst(best) < Worst(r)) {
    const Status claimed = r.status;
    r = best;
    report.applied = true;
    // The solver claimed a solution; the polished point is judged by the same rule.
    r.status = Status::kSolved;
    CheckSolvedClaim(p, s, r);
    if (claimed == Status::kSolvedInaccurate && r.status != Status::kSolved) r.status = Status::kSolvedInaccurate;
  }
  report.after[0] = r.primal_residual;
  report.after[1] = r.dual_residual;
  report.after[2] = r.duality_gap;
  return report;
}

}  // namespace diffqp
