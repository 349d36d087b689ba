// OptNet's full KKT backward (docs/METHODS.md §8), the reference for the other methods.
//
// Every finite side of every row and bound is a one-sided inequality s·(a_kᵀx − c_k) ≤ 0
// (s = +1 for u / ub, −1 for l / lb) with multiplier λ_k ≥ 0 (λ = max(±y, 0)); equality rows
// and fixed variables are E x = b with free multiplier ν = y (or z). With G̃ the signed rows
// and r = G̃x − h̃ ≤ 0, the differentiated KKT conditions read M [dx; dλ; dν] = −[…] with
//
//   M = [ P         G̃ᵀ     Eᵀ ]
//       [ D(λ) G̃    D(r)   0  ]
//       [ E         0      0  ]
//
// Backward: solve Mᵀ v = [ḡ; 0; 0]; d_x = −v_x, d_λ = −D(λ) v_λ, d_ν = −v_ν; then
// ∂L/∂G̃ = λ d_xᵀ + d_λ xᵀ, ∂L/∂h̃ = −d_λ, ∂L/∂E = ν d_xᵀ + d_ν xᵀ, ∂L/∂b = −d_ν, mapped back
// through the signs s onto A, l, u, lb, ub. Sparse LU by UMFPACK (solving with Mᵀ via
// UMFPACK_At). A singular M (a weakly active constraint gives a zero row) is regularised and
// reported as not differentiable.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "../core/error.hpp"
#include "../core/timer.hpp"
#include "backward.hpp"

extern "C" {
#include <umfpack.h>
}

namespace diffqp {
namespace {

struct Side {
  int32_t index;  // row of A (bound == false) or variable (bound == true)
  bool bound;
  int8_t sign;    // +1: upper side, −1: lower side
  double lambda;  // ≥ 0
  double resid;   // s·(a x − c) (≤ 0 at a feasible point)
};

struct Umf {
  void* symbolic = nullptr;
  void* numeric = nullptr;
  ~Umf() {
    if (numeric) umfpack_di_free_numeric(&numeric);
    if (symbolic) umfpack_di_free_symbolic(&symbolic);
  }
};

std::string Format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

Gradients FullBackward(const ProblemView& p, const double* x, const double* y, const double* z, const double* gx,
                       const BackwardOptions& /*opt*/, const DualSeeds& duals) {
  const int32_t n = p.n, m = p.m;
  Gradients g;

  std::vector<double> Ax(m, 0.0);
  for (int32_t j = 0; j < n; j++)
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) Ax[p.A.Ai[k]] += p.A.Ax[k] * x[j];

  // Inequality sides and equality rows.
  std::vector<Side> sides;
  std::vector<int32_t> up_side(m, -1), low_side(m, -1), eq_row(m, -1);
  std::vector<int32_t> up_bound(n, -1), low_bound(n, -1), eq_bound(n, -1);
  int32_t nE = 0;
  for (int32_t i = 0; i < m; i++) {
    const double lo = p.l[i], hi = p.u[i];
    if (lo == hi && std::isfinite(lo)) {
      eq_row[i] = nE++;
      continue;
    }
    if (std::isfinite(hi)) {
      up_side[i] = (int32_t)sides.size();
      sides.push_back({i, false, 1, std::max(y[i], 0.0), Ax[i] - hi});
    }
    if (std::isfinite(lo)) {
      low_side[i] = (int32_t)sides.size();
      sides.push_back({i, false, -1, std::max(-y[i], 0.0), lo - Ax[i]});
    }
  }
  const int32_t side_rows = (int32_t)sides.size();
  const int32_t eq_rows = nE;
  g.active_rows = side_rows + eq_rows;
  if (p.lb || p.ub) {
    for (int32_t j = 0; j < n; j++) {
      const double lo = p.LowerBound(j), hi = p.UpperBound(j);
      if (lo == hi && std::isfinite(lo)) {
        eq_bound[j] = nE++;
        continue;
      }
      if (std::isfinite(hi)) {
        up_bound[j] = (int32_t)sides.size();
        sides.push_back({j, true, 1, std::max(z[j], 0.0), x[j] - hi});
      }
      if (std::isfinite(lo)) {
        low_bound[j] = (int32_t)sides.size();
        sides.push_back({j, true, -1, std::max(-z[j], 0.0), lo - x[j]});
      }
    }
  }
  g.active_bounds = (int32_t)sides.size() - side_rows + (nE - eq_rows);
  const int32_t nI = (int32_t)sides.size();
  const int32_t N = n + nI + nE;

  const Timer t_factor;
  // M as triplets (row, col, value); `diag_slot` keeps an entry on every diagonal so a
  // regularised retry can use the same structure.
  std::vector<int32_t> Ti, Tj;
  std::vector<double> Tx;
  auto add = [&](int32_t i, int32_t j, double v) {
    Ti.push_back(i);
    Tj.push_back(j);
    Tx.push_back(v);
  };
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      const int32_t i = p.P.Ai[k];
      if (i < j) continue;
      add(i, j, p.P.Ax[k]);
      if (i != j) add(j, i, p.P.Ax[k]);
    }
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
      const int32_t i = p.A.Ai[k];
      const double a = p.A.Ax[k];
      for (int32_t s : {up_side[i], low_side[i]}) {
        if (s < 0) continue;
        const double ga = sides[s].sign * a;
        add(j, n + s, ga);                    // G̃ᵀ
        add(n + s, j, sides[s].lambda * ga);  // D(λ) G̃
      }
      if (eq_row[i] >= 0) {
        add(j, n + nI + eq_row[i], a);  // Eᵀ
        add(n + nI + eq_row[i], j, a);  // E
      }
    }
    for (int32_t s : {up_bound[j], low_bound[j]}) {
      if (s < 0) continue;
      add(j, n + s, sides[s].sign);
      add(n + s, j, sides[s].lambda * sides[s].sign);
    }
    if (eq_bound[j] >= 0) {
      add(j, n + nI + eq_bound[j], 1.0);
      add(n + nI + eq_bound[j], j, 1.0);
    }
  }
  const size_t diag_start = Tx.size();
  for (int32_t k = 0; k < N; k++) add(k, k, k >= n && k < n + nI ? sides[k - n].resid : 0.0);

  const int32_t nz = (int32_t)Tx.size();
  std::vector<int32_t> Mp(N + 1), Mi(std::max(nz, 1)), map(std::max(nz, 1));
  std::vector<double> Mx(std::max(nz, 1));
  double control[UMFPACK_CONTROL], info[UMFPACK_INFO];
  umfpack_di_defaults(control);
  std::vector<double> sol(N, 0.0), rhs(N, 0.0);
  for (int32_t i = 0; i < n; i++) rhs[i] = gx[i];
  // Dual seeds: y_i = λ_up − λ_low (ν for an equality row), likewise z_j.
  for (int32_t i = 0; i < m && duals.dy; i++) {
    if (up_side[i] >= 0) rhs[n + up_side[i]] = duals.dy[i];
    if (low_side[i] >= 0) rhs[n + low_side[i]] = -duals.dy[i];
    if (eq_row[i] >= 0) rhs[n + nI + eq_row[i]] = duals.dy[i];
  }
  for (int32_t j = 0; j < n && duals.dz; j++) {
    if (up_bound[j] >= 0) rhs[n + up_bound[j]] = duals.dz[j];
    if (low_bound[j] >= 0) rhs[n + low_bound[j]] = -duals.dz[j];
    if (eq_bound[j] >= 0) rhs[n + nI + eq_bound[j]] = duals.dz[j];
  }
  Umf umf;
  auto factor = [&](double delta) -> int {
    std::vector<double> T(Tx);
    if (delta > 0)
      for (int32_t k = 0; k < N; k++) T[diag_start + k] += k < n ? delta : -delta;
    int st = umfpack_di_triplet_to_col(N, N, nz, Ti.data(), Tj.data(), T.data(), Mp.data(), Mi.data(), Mx.data(), map.data());
    if (st != UMFPACK_OK) return st;
    if (umf.numeric) umfpack_di_free_numeric(&umf.numeric);
    if (!umf.symbolic) {
      st = umfpack_di_symbolic(N, N, Mp.data(), Mi.data(), Mx.data(), &umf.symbolic, control, info);
      if (st != UMFPACK_OK) return st;
    }
    return umfpack_di_numeric(Mp.data(), Mi.data(), Mx.data(), umf.symbolic, &umf.numeric, control, info);
  };
  double scale = 1;
  for (double v : Tx) scale = std::max(scale, std::abs(v));
  int st = N > 0 ? factor(0) : UMFPACK_OK;
  // Rounding rarely leaves an exactly zero pivot: a reciprocal condition estimate (UMFPACK's
  // min/max |diag U| of the scaled matrix) below kMinRcond counts as singular too.
  constexpr double kMinRcond = 1e-11;
  const bool near_singular = st == UMFPACK_OK && N > 0 && !(info[UMFPACK_RCOND] >= kMinRcond);
  if (st != UMFPACK_OK || near_singular) {
    g.differentiable = false;
    g.reason = st == UMFPACK_WARNING_singular_matrix || near_singular
                   ? "the full KKT matrix is singular (rcond estimate " + Format(info[UMFPACK_RCOND]) +
                         "; a weakly active constraint or dependent active constraints): gradient from a regularised solve"
                   : "UMFPACK failed (status " + std::to_string(st) + "): gradient from a regularised solve";
    if (umf.symbolic && st != UMFPACK_WARNING_singular_matrix && !near_singular) {
      umfpack_di_free_symbolic(&umf.symbolic);
      umf.symbolic = nullptr;
    }
    st = factor(1e-8 * scale);
  }
  g.factor_seconds = t_factor.Seconds();
  const Timer t_solve;
  if (N > 0 && (st == UMFPACK_OK || st == UMFPACK_WARNING_singular_matrix)) {
    st = umfpack_di_solve(UMFPACK_At, Mp.data(), Mi.data(), Mx.data(), sol.data(), rhs.data(), umf.numeric, control, info);
    if (st != UMFPACK_OK && g.differentiable) {
      g.differentiable = false;
      g.reason = "UMFPACK solve failed (status " + std::to_string(st) + ")";
    }
  }
  for (double& v : sol)
    if (!std::isfinite(v)) v = 0;

  // d_x = −v_x, d_λ = −λ v_λ, d_ν = −v_ν; effective per-row w and d_w for the A gradient.
  std::vector<double> dx(n), w(m, 0.0), dw(m, 0.0);
  for (int32_t j = 0; j < n; j++) dx[j] = -sol[j];
  auto dlam = [&](int32_t s) { return -sides[s].lambda * sol[n + s]; };
  g.du.assign(m, 0.0);
  g.dl.assign(m, 0.0);
  for (int32_t i = 0; i < m; i++) {
    if (eq_row[i] >= 0) {
      const double dnu = -sol[n + nI + eq_row[i]];
      w[i] = y[i];
      dw[i] = dnu;
      (y[i] >= 0 ? g.du : g.dl)[i] = -dnu;
      continue;
    }
    if (up_side[i] >= 0) {
      const double d = dlam(up_side[i]);
      w[i] += sides[up_side[i]].lambda;
      dw[i] += d;
      g.du[i] = -d;
    }
    if (low_side[i] >= 0) {
      const double d = dlam(low_side[i]);
      w[i] -= sides[low_side[i]].lambda;
      dw[i] -= d;
      g.dl[i] = d;
    }
  }
  AssembleMatrixGradients(p, x, dx.data(), w.data(), dw.data(), g);
  g.dub.assign(n, 0.0);
  g.dlb.assign(n, 0.0);
  for (int32_t j = 0; j < n; j++) {
    if (eq_bound[j] >= 0) {
      (z[j] >= 0 ? g.dub : g.dlb)[j] = sol[n + nI + eq_bound[j]];  // −d_ν = v_ν
      continue;
    }
    if (up_bound[j] >= 0) g.dub[j] = -dlam(up_bound[j]);
    if (low_bound[j] >= 0) g.dlb[j] = dlam(low_bound[j]);
  }
  g.solve_seconds = t_solve.Seconds();
  return g;
}

}  // namespace diffqp
