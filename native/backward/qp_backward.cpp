// BPQP: the backward QP of docs/METHODS.md §7.
//
// d_x of §5 is the minimiser of the equality-constrained QP
//
//   minimize ½ d̃ᵀ P d̃ + ḡᵀ d̃   s.t.  C_J d̃ = 0,
//
// whose multipliers (docs/METHODS.md §2 convention: P d̃ + ḡ + C_Jᵀ d_w = 0) are d_w: exactly
// K [d_x; d_w] = −[ḡ; 0]. It is solved by our ADMM core (native/admm) with q = ḡ, A = C_J,
// l = u = 0, no bounds, eps_abs = eps_rel = 1e-10 and polishing on: every row is an equality,
// so the polishing step solves the reduced KKT system of J itself (regularised, refined),
// which is exact whatever ADMM's iterate. d_w is used directly (no diag(w) factor), then the
// assembly is that of kkt. `iterations` reports ADMM's iterations.
//
// Degenerate points: a status other than solved, dependent active rows (a CHOLMOD Cholesky
// of C_J C_Jᵀ, as the penalty method) or weakly active constraints give differentiable =
// false; the gradient is still finite (ADMM's multipliers split among dependent rows).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "../core/timer.hpp"
#include "backward.hpp"

extern "C" {
#include "admm.h"
}

namespace diffqp {
namespace {

std::string Format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

void AppendReason(Gradients& g, const std::string& text) {
  if (!g.reason.empty()) g.reason += "; ";
  g.reason += text;
}

}  // namespace

Gradients QpBackward(const ProblemView& p, const double* x, const double* y, const double* z, const double* gx, const BackwardOptions& opt,
                     const DualSeeds& duals) {
  const int32_t n = p.n;
  Gradients g;
  const Timer t0;
  ActiveSystem s = BuildActiveSystem(p, x, y, z, opt);
  const int32_t nJ = s.nJ;

  // P's lower triangle only (the admm core rejects entries above the diagonal).
  std::vector<int> Pp(n + 1, 0), Pi;
  std::vector<double> Px;
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      if (p.P.Ai[k] < j) continue;
      Pi.push_back(p.P.Ai[k]);
      Px.push_back(p.P.Ax[k]);
    }
    Pp[j + 1] = (int)Pi.size();
  }
  // K [d; w] = −[ḡ; h_J] is the optimality system of min ½dᵀPd + ḡᵀd s.t. C_J d = −h_J.
  std::vector<double> bounds = SeedsOnActiveSet(duals, s.row_k, s.bound_k, nJ);
  for (double& b : bounds) b = -b;
  bounds.resize(std::max(nJ, 1), 0.0);  // the admm core reads l, u even when nJ = 0

  AdmmProblem prob;
  std::memset(&prob, 0, sizeof prob);
  prob.n = n;
  prob.m = nJ;
  prob.Pp = Pp.data();
  prob.Pi = Pi.data();
  prob.Px = Px.data();
  prob.q = gx;
  prob.Ap = s.Cp.data();
  prob.Ai = s.Ci.data();
  prob.Ax = s.Cx.data();
  prob.l = bounds.data();
  prob.u = bounds.data();
  prob.lb = nullptr;
  prob.ub = nullptr;

  AdmmSettings set;
  admm_default_settings(&set);
  set.eps_abs = 1e-10;
  set.eps_rel = 1e-10;
  set.polish = 1;
  set.polish_refine_iter = 10;
  set.warm_start = 0;

  std::vector<double> dx(n, 0.0), dw(nJ, 0.0);
  AdmmWorkspace* work = nullptr;
  const int err = admm_setup(&work, &prob, &set);
  g.factor_seconds = t0.Seconds();
  bool differentiable = true;
  if (err != ADMM_OK) {
    differentiable = false;
    AppendReason(g, std::string("ADMM setup of the backward QP failed: ") + admm_error_message(err) + "; zero gradient");
  } else if (admm_solve(work, nullptr) != ADMM_OK) {
    differentiable = false;
    AppendReason(g, "ADMM did not run on the backward QP; zero gradient");
  } else {
    const AdmmInfo* info = admm_info(work);
    g.iterations = info->iter;
    const double* ax = admm_x(work);
    const double* ay = admm_y(work);
    for (int32_t j = 0; j < n; j++) dx[j] = std::isfinite(ax[j]) ? ax[j] : 0.0;
    for (int32_t k = 0; k < nJ; k++) dw[k] = ay && std::isfinite(ay[k]) ? ay[k] : 0.0;
    if (info->status != ADMM_SOLVED) {
      differentiable = false;
      AppendReason(g, std::string("ADMM on the backward QP ended with status '") + admm_status_message(info->status) +
                          "' (primal residual " + Format(info->prim_res) + ", dual residual " + Format(info->dual_res) + ")");
    }
  }
  admm_cleanup(work);

  if (nJ > 0) {
    double rc = 0;
    if (!ActiveRowsIndependent(s, &rc)) {
      differentiable = false;
      AppendReason(g, "the active constraints are linearly dependent (Cholesky of C_J C_J' rcond " + Format(rc) +
                          "): the derivative is not unique; d_w is ADMM's (regularised) choice");
    }
  }
  g.differentiable = differentiable;
  NoteWeakConstraints(s, p.m, g);
  AssembleActive(p, x, y, s, dx.data(), dw.data(), g);
  g.solve_seconds = t0.Seconds() - g.factor_seconds;
  return g;
}

}  // namespace diffqp
