// dQP: the reduced KKT backward of METHODS.md §5.
//
//   K = [ P    C_Jᵀ ]     K [d_x; d_w] = −[ḡ; 0]
//       [ C_J  0    ]
//
// K is assembled on its full symmetric pattern (LDL with AMD needs both triangles), made
// quasi-definite by a static regularisation (+δ on the primal diagonal, −δ on the dual one,
// δ = 1e-10·max|K|) and refined against the true K. Singularity (dependent active rows, or P
// singular on the null space of C_J) is detected by a probe solve with a pseudo-random
// right-hand side: refinement against a singular K cannot reduce the residual of a generic
// right-hand side. Then the gradient comes from a more strongly regularised solve (a
// Tikhonov / least-squares-like answer: for dependent rows it splits d_w evenly) and the
// result says differentiable = false.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include "../linsys/ldl_solver.hpp"
#include "backward.hpp"

namespace diffqp {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

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

ActiveSet FindActiveSet(const ProblemView& p, const double* x, const double* y, const double* z, double eps) {
  ActiveSet s;
  const int32_t n = p.n, m = p.m;
  s.row_side.assign(m, 0);
  s.row_eq.assign(m, 0);
  s.bound_side.assign(n, 0);
  s.bound_eq.assign(n, 0);
  s.dual_threshold = eps * std::max({1.0, NormInf(y, m), NormInf(z, n)});
  std::vector<double> Ax(m, 0.0);
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) Ax[p.A.Ai[k]] += p.A.Ax[k] * x[j];
  }
  for (int32_t i = 0; i < m; i++) {
    bool eq, weak;
    s.row_side[i] = Side(Ax[i], p.l[i], p.u[i], y[i], eps, s.dual_threshold, eq, weak);
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

// The reduced system on the active set: built, factorised (with the singularity probe) and
// solved for the right-hand side `make_rhs` writes (length n + |J|, rows of C_J first in row
// order, then bounds). Fills as, row_k / bound_k (index in J or −1), and g's diagnostics.
using RhsBuilder = void (*)(const ProblemView&, const ActiveSet&, const std::vector<int32_t>&, const std::vector<int32_t>&,
                            const void*, std::vector<double>&);

std::vector<double> SolveReduced(const ProblemView& p, const double* x, const double* y, const double* z, const BackwardOptions& opt,
                                 RhsBuilder make_rhs, const void* rhs_data, Gradients& g, ActiveSet& as,
                                 std::vector<int32_t>& row_k, std::vector<int32_t>& bound_k) {
  using Clock = std::chrono::steady_clock;
  const int32_t n = p.n, m = p.m;
  as = FindActiveSet(p, x, y, z, opt.eps_active);

  // Number the active constraints: rows first (in row order), then bounds.
  row_k.assign(m, -1);
  bound_k.assign(n, -1);
  int32_t nJ = 0;
  for (int32_t i = 0; i < m; i++)
    if (as.row_side[i] != 0) row_k[i] = nJ++;
  g.active_rows = nJ;
  for (int32_t j = 0; j < n; j++)
    if (as.bound_side[j] != 0) bound_k[j] = nJ++;
  g.active_bounds = nJ - g.active_rows;
  const int32_t N = n + nJ;

  // K's full symmetric pattern, column by column (true values; every diagonal present).
  const auto t_factor = Clock::now();
  std::vector<std::vector<std::pair<int32_t, double>>> cols(N);
  for (int32_t j = 0; j < N; j++) cols[j].emplace_back(j, 0.0);
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      const int32_t i = p.P.Ai[k];
      if (i < j) continue;  // P is the lower triangle; tolerate nothing else
      cols[j].emplace_back(i, p.P.Ax[k]);
      if (i != j) cols[i].emplace_back(j, p.P.Ax[k]);
    }
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
      const int32_t r = row_k[p.A.Ai[k]];
      if (r < 0) continue;
      cols[j].emplace_back(n + r, p.A.Ax[k]);
      cols[n + r].emplace_back(j, p.A.Ax[k]);
    }
    if (bound_k[j] >= 0) {
      cols[j].emplace_back(n + bound_k[j], 1.0);
      cols[n + bound_k[j]].emplace_back(j, 1.0);
    }
  }
  std::vector<int32_t> Kp(N + 1, 0), Ki, diag(N, -1);
  std::vector<double> Kx;
  for (int32_t j = 0; j < N; j++) {
    auto& c = cols[j];
    std::sort(c.begin(), c.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t t = 0; t < c.size(); t++) {
      if (!Ki.empty() && (int32_t)Ki.size() > Kp[j] && Ki.back() == c[t].first) {
        Kx.back() += c[t].second;
      } else {
        Ki.push_back(c[t].first);
        Kx.push_back(c[t].second);
      }
      if (c[t].first == j) diag[j] = (int32_t)Ki.size() - 1;
    }
    Kp[j + 1] = (int32_t)Ki.size();
    std::vector<std::pair<int32_t, double>>().swap(c);
  }
  double kmax = NormInf(Kx.data(), (int32_t)Kx.size());
  if (!(kmax > 0) || !std::isfinite(kmax)) kmax = 1;
  auto regularised = [&](double delta) {
    std::vector<double> v(Kx);
    for (int32_t j = 0; j < N; j++) v[diag[j]] += j < n ? delta : -delta;
    return v;
  };

  LdlSolver ldl;
  ldl.Analyze(N, Kp.data(), Ki.data());
  double delta = 1e-10 * kmax;
  bool ok = ldl.Factor(regularised(delta).data());
  g.factor_seconds = Seconds(t_factor);

  const auto t_solve = Clock::now();
  std::vector<double> sol(N), rhs(N, 0.0);
  bool singular = !ok;
  if (ok) {
    // Probe: a generic right-hand side exposes a singular K (refinement stalls).
    uint32_t state = 12345u;
    for (int32_t i = 0; i < N; i++) {
      state = state * 1664525u + 1013904223u;
      rhs[i] = (state / 4294967296.0) * 2 - 1;
    }
    const double probe = ldl.SolveRefined(Kx.data(), rhs.data(), sol.data(), 5);
    if (!(probe <= 1e-6)) singular = true;
  }
  std::fill(rhs.begin(), rhs.end(), 0.0);
  make_rhs(p, as, row_k, bound_k, rhs_data, rhs);
  if (singular) {
    g.differentiable = false;
    g.reason = "the reduced KKT matrix is singular (linearly dependent active constraints, or P singular on their null space): "
               "the derivative is not unique; result from a regularised solve (delta = 1e-7 max|K|)";
    delta = 1e-7 * kmax;
    if (!ldl.Factor(regularised(delta).data())) {
      delta = 1e-4 * kmax;
      ldl.Factor(regularised(delta).data());
    }
    // Refinement keeps the best iterate: it converges for a consistent right-hand side
    // (dependent rows: d_x is still unique) and is harmless otherwise.
    ldl.SolveRefined(Kx.data(), rhs.data(), sol.data(), 3);
  } else {
    const double rel = ldl.SolveRefined(Kx.data(), rhs.data(), sol.data(), 3);
    if (!(rel <= 1e-8)) {
      g.differentiable = false;
      g.reason = "the reduced KKT system is ill-conditioned: relative residual " + std::to_string(rel) + " after refinement";
    }
  }
  for (double& v : sol)
    if (!std::isfinite(v)) v = 0;  // never NaN: a failed solve gives a zero gradient and says so
  if (as.weak_rows + as.weak_bounds > 0) {
    g.differentiable = false;
    const std::string which = as.first_weak < m ? "row " + std::to_string(as.first_weak) : "bound " + std::to_string(as.first_weak - m);
    if (!g.reason.empty()) g.reason += "; ";
    g.reason += std::to_string(as.weak_rows + as.weak_bounds) + " weakly active constraint(s) (e.g. " + which +
                ": active with a zero dual): no strict complementarity, the derivative is one-sided (computed as active)";
  }

  g.solve_seconds = Seconds(t_solve);
  return sol;
}

}  // namespace

Gradients KktBackward(const ProblemView& p, const double* x, const double* y, const double* z, const double* gx,
                      const BackwardOptions& opt) {
  const int32_t n = p.n, m = p.m;
  Gradients g;
  ActiveSet as;
  std::vector<int32_t> row_k, bound_k;
  auto rhs_of = [](const ProblemView& pv, const ActiveSet&, const std::vector<int32_t>&, const std::vector<int32_t>&, const void* data,
                   std::vector<double>& rhs) {
    const double* gxx = static_cast<const double*>(data);
    for (int32_t i = 0; i < pv.n; i++) rhs[i] = -gxx[i];
  };
  const auto t_solve = std::chrono::steady_clock::now();
  std::vector<double> sol = SolveReduced(p, x, y, z, opt, rhs_of, gx, g, as, row_k, bound_k);
  // Assembly (METHODS.md §5).
  const double* dx = sol.data();
  std::vector<double> w(m, 0.0), dw(m, 0.0);
  g.du.assign(m, 0.0);
  g.dl.assign(m, 0.0);
  for (int32_t i = 0; i < m; i++) {
    if (row_k[i] < 0) continue;
    w[i] = y[i];
    dw[i] = sol[n + row_k[i]];
    (as.row_side[i] > 0 ? g.du : g.dl)[i] = -dw[i];
  }
  AssembleMatrixGradients(p, x, dx, w.data(), dw.data(), g);
  g.dub.assign(n, 0.0);
  g.dlb.assign(n, 0.0);
  for (int32_t j = 0; j < n; j++) {
    if (bound_k[j] < 0) continue;
    (as.bound_side[j] > 0 ? g.dub : g.dlb)[j] = -sol[n + bound_k[j]];
  }
  g.solve_seconds = Seconds(t_solve) - g.factor_seconds;
  return g;
}

ForwardResult KktForward(const ProblemView& p, const double* x, const double* y, const double* z, const Tangents& t,
                         const BackwardOptions& opt) {
  struct Data {
    const double* x;
    const double* y;
    const Tangents* t;
  } data{x, y, &t};
  auto rhs_of = [](const ProblemView& pv, const ActiveSet& as, const std::vector<int32_t>& row_k, const std::vector<int32_t>& bound_k,
                   const void* raw, std::vector<double>& rhs) {
    const Data& d = *static_cast<const Data*>(raw);
    const Tangents& tg = *d.t;
    const int32_t n = pv.n;
    // Top: −(dP x + dq + dA_Jᵀ y_J). Bottom: −(dA_J x − dc_J).
    for (int32_t j = 0; j < n; j++) {
      if (tg.dq) rhs[j] -= tg.dq[j];
      if (tg.dP) {
        for (int32_t k = pv.P.Ap[j]; k < pv.P.Ap[j + 1]; k++) {
          const int32_t i = pv.P.Ai[k];
          if (i < j) continue;
          rhs[i] -= tg.dP[k] * d.x[j];
          if (i != j) rhs[j] -= tg.dP[k] * d.x[i];
        }
      }
      if (tg.dA) {
        for (int32_t k = pv.A.Ap[j]; k < pv.A.Ap[j + 1]; k++) {
          const int32_t r = row_k[pv.A.Ai[k]];
          if (r < 0) continue;
          rhs[j] -= tg.dA[k] * d.y[pv.A.Ai[k]];
          rhs[n + r] -= tg.dA[k] * d.x[j];
        }
      }
      if (bound_k[j] >= 0) {
        const double* dc = as.bound_side[j] > 0 ? tg.dub : tg.dlb;
        if (dc) rhs[n + bound_k[j]] += dc[j];
      }
    }
    for (int32_t i = 0; i < pv.m; i++) {
      if (row_k[i] < 0) continue;
      const double* dc = as.row_side[i] > 0 ? tg.du : tg.dl;
      if (dc) rhs[n + row_k[i]] += dc[i];
    }
  };
  Gradients diag;
  ActiveSet as;
  std::vector<int32_t> row_k, bound_k;
  std::vector<double> sol = SolveReduced(p, x, y, z, opt, rhs_of, &data, diag, as, row_k, bound_k);
  ForwardResult f;
  f.dx.assign(sol.begin(), sol.begin() + p.n);
  f.dy.assign(p.m, 0.0);
  f.dz.assign(p.n, 0.0);
  for (int32_t i = 0; i < p.m; i++)
    if (row_k[i] >= 0) f.dy[i] = sol[p.n + row_k[i]];
  for (int32_t j = 0; j < p.n; j++)
    if (bound_k[j] >= 0) f.dz[j] = sol[p.n + bound_k[j]];
  f.differentiable = diag.differentiable;
  f.reason = diag.reason;
  f.active_rows = diag.active_rows;
  f.active_bounds = diag.active_bounds;
  f.factor_seconds = diag.factor_seconds;
  f.solve_seconds = diag.solve_seconds;
  return f;
}

}  // namespace diffqp
