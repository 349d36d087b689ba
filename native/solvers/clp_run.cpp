// Clp 1.17 through its C interface. A goes in column-wise, the Hessian as P's lower triangle
// (Clp reads a triangle: each off-diagonal entry stands for both halves, ½xᵀPx as ours).
// An LP is solved by Clp_initialSolve (presolve, dual simplex). A QP goes through the primal
// simplex only (Clp_dual silently drops the quadratic term), without presolve or scaling and
// with tight tolerances, boxes taken apart (Layout). Clp's QP solver can still stall inside
// one iteration, where neither its iteration limit nor its time limit is checked and nothing
// in the C interface can interrupt it: that is why QPs run in a child process
// (clp_process.cpp), which can be killed.
#include "clp_run.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <type_traits>

#include "../core/timer.hpp"
#include "coin/Clp_C_Interface.h"

namespace diffqp {
namespace {

const char* StatusText(int s) {
  switch (s) {
    case -1:
      return "not solved";
    case 0:
      return "optimal";
    case 1:
      return "primal infeasible";
    case 2:
      return "dual infeasible";
    case 3:
      return "stopped on iterations or time";
    case 4:
      return "stopped due to errors";
    case 5:
      return "stopped by event handler";
  }
  return "unknown";
}

const char* SecondaryText(int s) {
  switch (s) {
    case 1:
      return "primal infeasible because dual limit reached, or probably primal infeasible";
    case 2:
      return "scaled problem optimal, unscaled problem has primal infeasibilities";
    case 3:
      return "scaled problem optimal, unscaled problem has dual infeasibilities";
    case 4:
      return "scaled problem optimal, unscaled problem has primal and dual infeasibilities";
    case 5:
      return "giving up in primal with flagged variables";
    case 6:
      return "failed due to empty problem check";
    case 7:
      return "postsolve says not optimal";
    case 8:
      return "failed due to bad element check";
    case 9:
      return "stopped on time";
    case 10:
      return "stopped as primal feasible";
  }
  return nullptr;
}

struct ModelHandle {
  Clp_Simplex* model = Clp_newModel();
  ~ModelHandle() { Clp_deleteModel(model); }
};

// Clp's column starts are CoinBigIndex: int in Debian's build, copied when wider.
template <typename Index>
const Index* Starts(const int32_t* Ap, int32_t n, std::vector<Index>& copy) {
  if constexpr (std::is_same_v<Index, int32_t>) {
    return Ap;
  } else {
    copy.assign(Ap, Ap + n + 1);
    return copy.data();
  }
}

// Where the constraints of a QP went in Clp's model. Clp 1.17's QP primal flips a variable
// between the two finite bounds of a boxed column, or a ranged row's slack, as if the
// objective were linear, then stops "optimal" where it started (min ½x² − 2x on
// 0 ≤ x ≤ 10 comes back x = 0; a boxed column outside P but tied by a row to one inside
// fails the same way). So a QP goes in with no boxes: the upper bound of a boxed column
// becomes a row x_j ≤ ub_j, and a ranged row l ≤ a x ≤ u becomes l ≤ a x (in place) and
// a x ≤ u (appended).
struct Layout {
  std::vector<int32_t> upper_row;  // per column: the row holding x_j ≤ ub_j, or −1
  std::vector<int32_t> range_row;  // per row of A: the appended row holding a x ≤ u, or −1
  int32_t rows = 0;
};

// Loads A and the bounds into `model`, with q and (if `quadratic`) P, or a zero objective.
Layout LoadProblem(Clp_Simplex* model, const ProblemView& p, bool quadratic, bool zero_objective) {
  // Clp's infinity is COIN_DBL_MAX (= DBL_MAX); IEEE infinities go in as that.
  auto clip = [](double v) { return v >= DBL_MAX ? DBL_MAX : (v <= -DBL_MAX ? -DBL_MAX : v); };
  const bool unbox = quadratic && !zero_objective;
  Layout layout;
  layout.upper_row.assign(p.n, -1);
  layout.range_row.assign(p.m, -1);
  layout.rows = p.m;
  std::vector<double> col_lower(p.n), col_upper(p.n), row_lower(p.m), row_upper(p.m);
  for (int32_t i = 0; i < p.m; i++) {
    row_lower[i] = clip(p.l[i]);
    row_upper[i] = clip(p.u[i]);
    if (unbox && std::isfinite(p.l[i]) && std::isfinite(p.u[i]) && p.l[i] < p.u[i]) {
      layout.range_row[i] = layout.rows++;
      row_upper[i] = DBL_MAX;
      row_lower.push_back(-DBL_MAX);
      row_upper.push_back(p.u[i]);
    }
  }
  for (int32_t j = 0; j < p.n; j++) {
    col_lower[j] = clip(p.LowerBound(j));  // never left null: Clp's default lower bound is 0
    col_upper[j] = clip(p.UpperBound(j));
    if (unbox && std::isfinite(p.LowerBound(j)) && std::isfinite(p.UpperBound(j)) && p.LowerBound(j) < p.UpperBound(j)) {
      layout.upper_row[j] = layout.rows++;
      col_upper[j] = DBL_MAX;
      row_lower.push_back(-DBL_MAX);
      row_upper.push_back(p.UpperBound(j));
    }
  }
  // A column-wise, each column followed by its entries in the appended rows (their indices
  // are all ≥ m and increase with the row, so every column stays sorted).
  const bool a_empty = p.A.nnz() == 0;
  std::vector<CoinBigIndex> start(p.n + 1, 0);
  std::vector<int> index;
  std::vector<double> value;
  std::vector<CoinBigIndex> a_copy;
  const CoinBigIndex* a_start = start.data();  // all zero unless filled below
  const int* a_index = nullptr;
  const double* a_value = nullptr;
  if (layout.rows == p.m && !a_empty) {
    a_start = Starts<CoinBigIndex>(p.A.Ap, p.n, a_copy);
    a_index = p.A.Ai;
    a_value = p.A.Ax;
  } else if (layout.rows > p.m) {
    for (int32_t j = 0; j < p.n; j++) {
      const int32_t first = (int32_t)index.size();
      if (!a_empty) {  // A's column, then the copies of its entries in ranged rows
        for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
          index.push_back(p.A.Ai[k]);
          value.push_back(p.A.Ax[k]);
        }
        const int32_t original = (int32_t)index.size();
        for (int32_t k = first; k < original; k++) {
          if (layout.range_row[index[k]] >= 0) {
            index.push_back(layout.range_row[index[k]]);
            value.push_back(value[k]);
          }
        }
      }
      if (layout.upper_row[j] >= 0) {
        index.push_back(layout.upper_row[j]);
        value.push_back(1.0);
      }
      start[j + 1] = (CoinBigIndex)index.size();
    }
    a_start = start.data();
    a_index = index.data();
    a_value = value.data();
  }
  const int dummy_index = 0;
  const double dummy_value = 0;
  std::vector<double> zeros(zero_objective ? p.n : 0, 0.0);
  Clp_loadProblem(model, p.n, layout.rows, a_start, a_index ? a_index : &dummy_index, a_value ? a_value : &dummy_value, col_lower.data(),
                  col_upper.data(), zero_objective ? zeros.data() : p.q, row_lower.data(), row_upper.data());
  if (unbox) {
    std::vector<CoinBigIndex> p_copy;
    Clp_loadQuadraticObjective(model, p.n, Starts<CoinBigIndex>(p.P.Ap, p.n, p_copy), p.P.Ai, p.P.Ax);
  }
  return layout;
}

void ApplySettings(Clp_Simplex* model, const ClpRunSettings& s, bool quadratic) {
  Clp_setLogLevel(model, s.verbose ? 1 : 0);
  // Clp's QP primal stops with dual residuals some 100× its tolerances: ask for more.
  const double tol = std::clamp(quadratic ? s.eps_abs * 1e-3 : s.eps_abs, 1e-10, 1e-7);
  Clp_setPrimalTolerance(model, tol);
  Clp_setDualTolerance(model, tol);
  if (s.max_iter >= 0) Clp_setMaximumIterations(model, (int)std::min<int64_t>(s.max_iter, 2147483647));
  // Clp's QP solver is markedly less reliable with scaling: on the Maros–Meszaros set it
  // more often stops "optimal" (scaled) at points whose unscaled duals are far off.
  if (s.scaling >= 0 || quadratic) Clp_scaling(model, s.scaling >= 0 ? s.scaling : 0);
  if (s.perturbation >= 0) Clp_setPerturbation(model, s.perturbation);
}

}  // namespace

std::string ClpStatusText(int32_t status, int32_t secondary) {
  std::string text = StatusText(status);
  // Secondary status 6 comes with every problem without rows, solved or not: not news.
  if (const char* detail = secondary == 6 && status != 4 ? nullptr : SecondaryText(secondary)) {
    text += std::string(" (") + detail + ")";
  }
  return text;
}

ClpRun RunClp(const ProblemView& p, const ClpRunSettings& s) {
  const Timer start;
  const bool quadratic = s.mode == ClpMode::kQuadratic;
  const bool feasibility = s.mode == ClpMode::kFeasibility;
  ModelHandle handle;
  Clp_Simplex* model = handle.model;
  ApplySettings(model, s, quadratic);
  const Layout layout = LoadProblem(model, p, quadratic, feasibility);
  // Clp reports objective − offset; the core recomputes the objective from x anyway.
  if (!feasibility) Clp_setObjectiveOffset(model, -p.constant);
  // Clp's time limit counts process CPU seconds (CoinCpuTime) from the moment it is set, and
  // is only checked between iterations.
  if (std::isfinite(s.time_limit)) Clp_setMaximumSeconds(model, std::max(0.0, s.time_limit));
  if (feasibility || s.presolve > 0 || (s.presolve < 0 && !quadratic)) {
    Clp_initialSolve(model);  // for a QP: presolve, then the primal simplex
  } else if (quadratic) {
    Clp_primal(model, 0);
  } else {
    Clp_dual(model, 0);  // an LP only: Clp_dual drops the quadratic term of a QP
  }
  ClpRun r;
  r.solve_seconds = start.Seconds();
  r.status = Clp_status(model);
  r.secondary = Clp_secondaryStatus(model);
  r.iterations = std::max(0, Clp_numberIterations(model));
  r.x.assign(p.n, 0.0);
  if (const double* x = Clp_getColSolution(model)) std::copy(x, x + p.n, r.x.begin());
  r.y.assign(p.m, 0.0);
  r.z.assign(p.n, 0.0);
  if (feasibility) return r;

  // Clp: Px + q − Aᵀ·row_price − reduced_cost = 0; ours: Px + q + Aᵀy + z = 0. A split
  // row's or bound's two halves add up. A multiplier that points at an infinite bound is
  // noise and is dropped.
  const double* row_price = Clp_getRowPrice(model);
  const double* reduced_cost = Clp_getReducedCost(model);
  if (row_price && reduced_cost) {
    for (int32_t i = 0; i < p.m; i++) {
      const int32_t k = layout.range_row[i];
      const double y = -row_price[i] - (k >= 0 ? row_price[k] : 0.0);
      r.y[i] = (y > 0 && !std::isfinite(p.u[i])) || (y < 0 && !std::isfinite(p.l[i])) ? 0.0 : y;
    }
    for (int32_t j = 0; j < p.n; j++) {
      const int32_t k = layout.upper_row[j];
      const double z = -reduced_cost[j] - (k >= 0 ? row_price[k] : 0.0);
      r.z[j] = (z > 0 && !std::isfinite(p.UpperBound(j))) || (z < 0 && !std::isfinite(p.LowerBound(j))) ? 0.0 : z;
    }
  }
  // Before optimality Clp's reduced costs carry its phase-1 infeasibility weights.
  r.has_duals = row_price && reduced_cost && r.status == 0;
  return r;
}

}  // namespace diffqp
