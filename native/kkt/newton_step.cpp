// KktForward: see newton_step.hpp.
#include "newton_step.hpp"

#include <utility>

#include "../core/timer.hpp"
#include "reduced_kkt.hpp"

namespace diffqp {

ForwardResult KktForward(const ProblemView& p, const double* x, const double* y, const double* z, const Tangents& t,
                         const ActiveSetOptions& opt, std::shared_ptr<const ReducedKkt> cached) {
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
