// dQP: the reduced KKT backward of docs/METHODS.md §5, and its forward mode (jvp).
//
//   K [d_x; d_w] = −[ḡ; 0]        (backward)
//   K [dx; dw]  = −[dP x + dq + dC_Jᵀ w_J; dC_J x − dc_J]   (forward)
//
// K, its factorization and the singularity diagnosis live in reduced_kkt.cpp; a caller that
// keeps a ReducedKkt (the differentiable handle of a Solution) passes it in and every pass
// after the first is a solve only. Also the active set (FindActiveSet) and the §5 assembly.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "../core/timer.hpp"
#include "backward.hpp"
#include "reduced_kkt.hpp"

namespace diffqp {
namespace {


double NormInf(const double* v, int32_t len) {
  double s = 0;
  for (int32_t i = 0; i < len; i++) s = std::max(s, std::abs(v[i]));
  return s;
}

// Which side of [lo, hi] is active at value v with dual w (w > 0 names hi, w < 0 names lo).
// Returns side (0, +1, −1), sets eq for lo == hi, weak for an active inequality with |w| ≤ thr.
int8_t Side(double v, double lo, double hi, double w, double eps, double thr, bool& eq, bool& weak) {
  eq = false;
  weak = false;
  if (lo == hi && std::isfinite(lo)) {
    eq = true;
    return w >= 0 ? 1 : -1;
  }
  const bool up = std::isfinite(hi) && (v >= hi - eps * std::max(1.0, std::abs(hi)) || w > thr);
  const bool low = std::isfinite(lo) && (v <= lo + eps * std::max(1.0, std::abs(lo)) || w < -thr);
  int8_t side = 0;
  if (up && low) {
    side = w > 0 ? 1 : w < 0 ? -1 : (hi - v <= v - lo ? 1 : -1);
  } else if (up) {
    side = 1;
  } else if (low) {
    side = -1;
  }
  if (side != 0 && std::abs(w) <= thr) weak = true;
  return side;
}

}  // namespace

ActiveSet FindActiveSet(const ProblemView& p, const double* x, const double* y, const double* z, double eps, bool normalize_rows) {
  ActiveSet s;
  const int32_t n = p.n, m = p.m;
  s.row_side.assign(m, 0);
  s.row_eq.assign(m, 0);
  s.bound_side.assign(n, 0);
  s.bound_eq.assign(n, 0);
  // Row i divided by scale[i]: its slack becomes a distance, its dual y_i·scale[i].
  std::vector<double> scale(m, 1.0);
  if (normalize_rows) {
    std::fill(scale.begin(), scale.end(), 0.0);
    for (int32_t k = 0; k < p.A.nnz(); k++) scale[p.A.Ai[k]] += p.A.Ax[k] * p.A.Ax[k];
    for (double& v : scale) v = v > 0 ? std::sqrt(v) : 1.0;
  }
  std::vector<double> ys(y, y + m);
  for (int32_t i = 0; i < m; i++) ys[i] *= scale[i];
  s.dual_threshold = eps * std::max({1.0, NormInf(ys.data(), m), NormInf(z, n)});
  std::vector<double> Ax(m, 0.0);
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) Ax[p.A.Ai[k]] += p.A.Ax[k] * x[j];
  }
  for (int32_t i = 0; i < m; i++) {
    bool eq, weak;
    const double d = scale[i];
    s.row_side[i] = Side(Ax[i] / d, p.l[i] / d, p.u[i] / d, ys[i], eps, s.dual_threshold, eq, weak);
    s.row_eq[i] = eq;
    if (weak) {
      s.weak_rows++;
      if (s.first_weak < 0) s.first_weak = i;
    }
  }
  if (p.lb || p.ub) {
    for (int32_t j = 0; j < n; j++) {
      bool eq, weak;
      s.bound_side[j] = Side(x[j], p.LowerBound(j), p.UpperBound(j), z[j], eps, s.dual_threshold, eq, weak);
      s.bound_eq[j] = eq;
      if (weak) {
        s.weak_bounds++;
        if (s.first_weak < 0) s.first_weak = m + j;
      }
    }
  }
  return s;
}

std::vector<double> SeedsOnActiveSet(const DualSeeds& duals, const std::vector<int32_t>& row_k, const std::vector<int32_t>& bound_k,
                                     int32_t nJ) {
  std::vector<double> h(nJ, 0.0);
  for (size_t i = 0; i < row_k.size() && duals.dy; i++)
    if (row_k[i] >= 0) h[row_k[i]] = duals.dy[i];
  for (size_t j = 0; j < bound_k.size() && duals.dz; j++)
    if (bound_k[j] >= 0) h[bound_k[j]] = duals.dz[j];
  return h;
}

void AssembleMatrixGradients(const ProblemView& p, const double* x, const double* dx, const double* w, const double* dw,
                             Gradients& g) {
  const int32_t n = p.n;
  g.dq.assign(dx, dx + n);
  g.dP.assign(p.P.nnz(), 0.0);
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      const int32_t i = p.P.Ai[k];
      // A stored off-diagonal value stands for (i,j) and (j,i): the sum of both entries
      // of ½(d_x xᵀ + x d_xᵀ).
      g.dP[k] = i == j ? dx[i] * x[i] : dx[i] * x[j] + dx[j] * x[i];
    }
  }
  g.dA.assign(p.A.nnz(), 0.0);
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
      const int32_t i = p.A.Ai[k];
      g.dA[k] = dw[i] * x[j] + w[i] * dx[j];
    }
  }
}

namespace {

// The factorization to use: the caller's when it answers for (p, opt), else a new one; the
// result's factorization diagnostics (R: Gradients or ForwardResult).
template <class R>
std::shared_ptr<const ReducedKkt> FactorFor(const ProblemView& p, const double* x, const double* y, const double* z,
                                            const BackwardOptions& opt, std::shared_ptr<const ReducedKkt> cached, R& r) {
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
    append("the reduced KKT matrix is singular (linearly dependent active constraints, or P singular on their null space): "
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

}  // namespace

Gradients KktBackward(const ProblemView& p, const double* x, const double* y, const double* z, const double* gx,
                      const BackwardOptions& opt, std::shared_ptr<const ReducedKkt> cached, const DualSeeds& duals) {
  const int32_t n = p.n, m = p.m;
  Gradients g;
  auto k = FactorFor(p, x, y, z, opt, std::move(cached), g);
  const Timer t_solve;
  std::vector<double> rhs(k->N(), 0.0);
  for (int32_t i = 0; i < n; i++) rhs[i] = -gx[i];
  const std::vector<double> h = SeedsOnActiveSet(duals, k->row_k, k->bound_k, k->nJ);
  for (int32_t t = 0; t < k->nJ; t++) rhs[n + t] = -h[t];
  const std::vector<double> sol = SolveDiagnosed(*k, rhs, g);
  // Assembly (docs/METHODS.md §5).
  std::vector<double> w(m, 0.0), dw(m, 0.0);
  g.du.assign(m, 0.0);
  g.dl.assign(m, 0.0);
  for (int32_t i = 0; i < m; i++) {
    if (k->row_k[i] < 0) continue;
    w[i] = y[i];
    dw[i] = sol[n + k->row_k[i]];
    (k->as.row_side[i] > 0 ? g.du : g.dl)[i] = -dw[i];
  }
  AssembleMatrixGradients(p, x, sol.data(), w.data(), dw.data(), g);
  g.dub.assign(n, 0.0);
  g.dlb.assign(n, 0.0);
  for (int32_t j = 0; j < n; j++) {
    if (k->bound_k[j] < 0) continue;
    (k->as.bound_side[j] > 0 ? g.dub : g.dlb)[j] = -sol[n + k->bound_k[j]];
  }
  g.solve_seconds = t_solve.Seconds();
  return g;
}

ForwardResult KktForward(const ProblemView& p, const double* x, const double* y, const double* z, const Tangents& t,
                         const BackwardOptions& opt, std::shared_ptr<const ReducedKkt> cached) {
  const int32_t n = p.n, m = p.m;
  ForwardResult f;
  auto k = FactorFor(p, x, y, z, opt, std::move(cached), f);
  const Timer t_solve;
  // Top: −(dP x + dq + dA_Jᵀ y_J). Bottom: −(dA_J x − dc_J).
  std::vector<double> rhs(k->N(), 0.0);
  for (int32_t j = 0; j < n; j++) {
    if (t.dq) rhs[j] -= t.dq[j];
    if (t.dP) {
      for (int32_t q = p.P.Ap[j]; q < p.P.Ap[j + 1]; q++) {
        const int32_t i = p.P.Ai[q];
        if (i < j) continue;
        rhs[i] -= t.dP[q] * x[j];
        if (i != j) rhs[j] -= t.dP[q] * x[i];
      }
    }
    if (t.dA) {
      for (int32_t q = p.A.Ap[j]; q < p.A.Ap[j + 1]; q++) {
        const int32_t r = k->row_k[p.A.Ai[q]];
        if (r < 0) continue;
        rhs[j] -= t.dA[q] * y[p.A.Ai[q]];
        rhs[n + r] -= t.dA[q] * x[j];
      }
    }
    if (k->bound_k[j] >= 0) {
      const double* dc = k->as.bound_side[j] > 0 ? t.dub : t.dlb;
      if (dc) rhs[n + k->bound_k[j]] += dc[j];
    }
  }
  for (int32_t i = 0; i < m; i++) {
    if (k->row_k[i] < 0) continue;
    const double* dc = k->as.row_side[i] > 0 ? t.du : t.dl;
    if (dc) rhs[n + k->row_k[i]] += dc[i];
  }
  const std::vector<double> sol = SolveDiagnosed(*k, rhs, f);
  f.dx.assign(sol.begin(), sol.begin() + n);
  f.dy.assign(m, 0.0);
  f.dz.assign(n, 0.0);
  for (int32_t i = 0; i < m; i++)
    if (k->row_k[i] >= 0) f.dy[i] = sol[n + k->row_k[i]];
  for (int32_t j = 0; j < n; j++)
    if (k->bound_k[j] >= 0) f.dz[j] = sol[n + k->bound_k[j]];
  f.solve_seconds = t_solve.Seconds();
  return f;
}

}  // namespace diffqp
