// The §5 assembly every backward method shares (docs/METHODS.md §5): gradients of P, q and A
// from d_x and d_w, the sides' gradients on the active set, the dual seeds on J, and the note on
// weakly active constraints. Declared in backward.hpp.
#include <string>

#include "backward.hpp"

namespace diffqp {

std::vector<double> SeedsOnActiveSet(const DualSeeds& duals, const std::vector<int32_t>& row_k, const std::vector<int32_t>& bound_k,
                                     int32_t nJ) {
  std::vector<double> h(nJ, 0.0);
  for (size_t i = 0; i < row_k.size() && duals.dy; i++)
    if (row_k[i] >= 0) h[row_k[i]] = duals.dy[i];
  for (size_t j = 0; j < bound_k.size() && duals.dz; j++)
    if (bound_k[j] >= 0) h[bound_k[j]] = duals.dz[j];
  return h;
}

void AssembleMatrixGradients(const ProblemView& p, const double* x, const double* dx, const double* w, const double* dw, Gradients& g) {
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

void NoteWeakConstraints(const ActiveSystem& s, int32_t m, Gradients& g) {
  const ActiveSet& as = s.as;
  if (as.weak_rows + as.weak_bounds == 0) return;
  g.differentiable = false;
  const std::string which = as.first_weak < m ? "row " + std::to_string(as.first_weak) : "bound " + std::to_string(as.first_weak - m);
  if (!g.reason.empty()) g.reason += "; ";
  g.reason += std::to_string(as.weak_rows + as.weak_bounds) + " weakly active constraint(s) (e.g. " + which +
              ": active with a zero dual): no strict complementarity, the derivative is one-sided (computed as active)";
}

void AssembleActive(const ProblemView& p, const double* x, const double* y, const ActiveSystem& s, const double* dx, const double* dwJ,
                    Gradients& g) {
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

}  // namespace diffqp
