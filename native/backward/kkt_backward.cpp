// dQP: the reduced KKT backward of docs/METHODS.md §5,
//
//   K [d_x; d_w] = −[ḡ; ∂L/∂w_J].
//
// K, its factorization and the singularity diagnosis live in native/kkt (reduced_kkt.cpp), as
// does the forward mode (newton_step.cpp, the same system with other right-hand sides); a
// caller that keeps a ReducedKkt (the differentiable handle of a Solution) passes it in and
// every pass after the first is a solve only.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "../core/timer.hpp"
#include "../kkt/reduced_kkt.hpp"
#include "backward.hpp"

namespace diffqp {

Gradients KktBackward(const ProblemView& p, const double* x, const double* y, const double* z, const double* gx, const BackwardOptions& opt,
                      std::shared_ptr<const ReducedKkt> cached, const DualSeeds& duals) {
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

}  // namespace diffqp
