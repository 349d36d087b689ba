// Shared pieces of the active-set backward methods: see active_set.hpp.
#include "active_set.hpp"

#include <algorithm>
#include <cmath>

extern "C" {
#include <cholmod.h>
}

namespace diffqp {

ActiveSystem BuildActiveSystem(const ProblemView& p, const double* x, const double* y, const double* z, const BackwardOptions& opt) {
  const int32_t n = p.n, m = p.m;
  ActiveSystem s;
  s.as = ChooseActiveSet(p, x, y, z, opt);
  s.row_k.assign(m, -1);
  s.bound_k.assign(n, -1);
  std::vector<double> Ax(m, 0.0);
  for (int32_t j = 0; j < n; j++)
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) Ax[p.A.Ai[k]] += p.A.Ax[k] * x[j];
  auto add = [&](double v, double lo, double hi, int8_t side, bool eq, double dual) {
    s.w.push_back(dual);
    s.eq.push_back(eq ? 1 : 0);
    if (eq) {
      s.r.push_back(v - (side > 0 ? hi : lo));
    } else {
      s.r.push_back(side > 0 ? v - hi : lo - v);
    }
  };
  for (int32_t i = 0; i < m; i++) {
    if (s.as.row_side[i] == 0) continue;
    s.row_k[i] = s.nJ++;
    add(Ax[i], p.l[i], p.u[i], s.as.row_side[i], s.as.row_eq[i], y[i]);
  }
  s.n_rows = s.nJ;
  for (int32_t j = 0; j < n; j++) {
    if (s.as.bound_side[j] == 0) continue;
    s.bound_k[j] = s.nJ++;
    add(x[j], p.LowerBound(j), p.UpperBound(j), s.as.bound_side[j], s.as.bound_eq[j], z[j]);
  }
  s.Cp.assign(n + 1, 0);
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
      const int32_t r = s.row_k[p.A.Ai[k]];
      if (r < 0) continue;
      s.Ci.push_back(r);
      s.Cx.push_back(p.A.Ax[k]);
    }
    if (s.bound_k[j] >= 0) {
      s.Ci.push_back(s.bound_k[j]);
      s.Cx.push_back(1.0);
    }
    s.Cp[j + 1] = (int32_t)s.Ci.size();
  }
  return s;
}

bool ActiveRowsIndependent(const ActiveSystem& s, double* rcond) {
  const int32_t nJ = s.nJ, n = (int32_t)s.Cp.size() - 1;
  if (rcond) *rcond = 1;
  if (nJ == 0) return true;
  cholmod_common c;
  cholmod_start(&c);
  c.print = 0;
  c.error_handler = nullptr;
  bool independent = false;
  double rc = 0;
  cholmod_sparse* C = cholmod_allocate_sparse(nJ, n, s.Ci.size(), 1, 1, 0, CHOLMOD_REAL, &c);
  cholmod_sparse* CCt = nullptr;
  cholmod_sparse* S = nullptr;
  cholmod_factor* L = nullptr;
  if (C) {
    std::copy(s.Cp.begin(), s.Cp.end(), static_cast<int*>(C->p));
    std::copy(s.Ci.begin(), s.Ci.end(), static_cast<int*>(C->i));
    std::copy(s.Cx.begin(), s.Cx.end(), static_cast<double*>(C->x));
    CCt = cholmod_aat(C, nullptr, 0, 1, &c);
  }
  if (CCt) S = cholmod_copy(CCt, 1, 1, &c);  // upper triangle, symmetric
  if (S) L = cholmod_analyze(S, &c);
  if (L) {
    cholmod_factorize(S, L, &c);
    if (c.status == CHOLMOD_OK && L->minor >= (size_t)nJ) {
      rc = cholmod_rcond(L, &c);
      independent = rc >= 1e-12;
    }
  }
  if (rcond) *rcond = rc;
  cholmod_free_factor(&L, &c);
  cholmod_free_sparse(&S, &c);
  cholmod_free_sparse(&CCt, &c);
  cholmod_free_sparse(&C, &c);
  cholmod_finish(&c);
  return independent;
}

void NoteWeakConstraints(const ActiveSystem& s, int32_t m, Gradients& g) {
  const ActiveSet& as = s.as;
  if (as.weak_rows + as.weak_bounds == 0) return;
  g.differentiable = false;
  const std::string which = as.first_weak < m ? "row " + std::to_string(as.first_weak) : "bound " + std::to_string(as.first_weak - m);
  if (!g.reason.empty()) g.reason += "; ";
  g.reason += std::to_string(as.weak_rows + as.weak_bounds) + " weakly active constraint(s) (e.g. " + which +
              ": active with a zero dual): no strict complementarity, the derivative is one-sided (computed as active)";
}

void AssembleActive(const ProblemView& p, const double* x, const double* y, const ActiveSystem& s, const double* dx,
                    const double* dwJ, Gradients& g) {
  const int32_t n = p.n, m = p.m;
  std::vector<double> w(m, 0.0), dw(m, 0.0);
  g.du.assign(m, 0.0);
  g.dl.assign(m, 0.0);
  for (int32_t i = 0; i < m; i++) {
    if (s.row_k[i] < 0) continue;
    w[i] = y[i];
    dw[i] = dwJ[s.row_k[i]];
    (s.as.row_side[i] > 0 ? g.du : g.dl)[i] = -dw[i];
  }
  AssembleMatrixGradients(p, x, dx, w.data(), dw.data(), g);
  g.dub.assign(n, 0.0);
  g.dlb.assign(n, 0.0);
  for (int32_t j = 0; j < n; j++) {
    if (s.bound_k[j] < 0) continue;
    (s.as.bound_side[j] > 0 ? g.dub : g.dlb)[j] = -dwJ[s.bound_k[j]];
  }
  g.active_rows = s.n_rows;
  g.active_bounds = s.nJ - s.n_rows;
  g.active_set_changes = s.as.refine_changes;
}

void ActiveMultiply(const ActiveSystem& s, int32_t n, const double* v, double* out) {
  std::fill(out, out + s.nJ, 0.0);
  for (int32_t j = 0; j < n; j++)
    for (int32_t k = s.Cp[j]; k < s.Cp[j + 1]; k++) out[s.Ci[k]] += s.Cx[k] * v[j];
}

void ActiveMultiplyTransposedAdd(const ActiveSystem& s, int32_t n, const double* t, double* out) {
  for (int32_t j = 0; j < n; j++) {
    double acc = 0;
    for (int32_t k = s.Cp[j]; k < s.Cp[j + 1]; k++) acc += s.Cx[k] * t[s.Ci[k]];
    out[j] += acc;
  }
}

void LowerSymMultiply(const CscView& P, const double* v, double* out) {
  const int32_t n = P.ncols;
  std::fill(out, out + n, 0.0);
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = P.Ap[j]; k < P.Ap[j + 1]; k++) {
      const int32_t i = P.Ai[k];
      if (i < j) continue;  // lower triangle only, as kkt
      out[i] += P.Ax[k] * v[j];
      if (i != j) out[j] += P.Ax[k] * v[i];
    }
  }
}

}  // namespace diffqp
