// Clp 1.17 through its C interface. A goes in column-wise, the Hessian as P's lower triangle
// (Clp reads a triangle: each off-diagonal entry stands for both halves, ½xᵀPx as ours).
// An LP is solved by Clp_initialSolve (presolve, dual simplex). A QP goes through the primal
// simplex only (Clp_dual silently drops the quadratic term), without presolve or scaling and
// with tight tolerances, after two guards against Clp's QP solver: boxes are taken apart
// (Layout) and a ray of unbounded descent is looked for first (FindUnboundedRay). Even so,
// Clp's QP solver can stall inside one iteration, where neither its iteration limit nor its
// time limit is checked, and nothing in the C interface can interrupt it.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "../core/error.hpp"
#include "../core/residuals.hpp"
#include "coin/Clp_C_Interface.h"
#include "solver.hpp"
#include "timer.hpp"

namespace diffqp {
namespace {

const char* StatusText(int s) {
  switch (s) {
    case -1: return "not solved";
    case 0: return "optimal";
    case 1: return "primal infeasible";
    case 2: return "dual infeasible";
    case 3: return "stopped on iterations or time";
    case 4: return "stopped due to errors";
    case 5: return "stopped by event handler";
  }
  return "unknown";
}

const char* SecondaryText(int s) {
  switch (s) {
    case 1: return "primal infeasible because dual limit reached, or probably primal infeasible";
    case 2: return "scaled problem optimal, unscaled problem has primal infeasibilities";
    case 3: return "scaled problem optimal, unscaled problem has dual infeasibilities";
    case 4: return "scaled problem optimal, unscaled problem has primal and dual infeasibilities";
    case 5: return "giving up in primal with flagged variables";
    case 6: return "failed due to empty problem check";
    case 7: return "postsolve says not optimal";
    case 8: return "failed due to bad element check";
    case 9: return "stopped on time";
    case 10: return "stopped as primal feasible";
  }
  return nullptr;
}

Status MapStatus(int s, int64_t iterations, const Settings& settings) {
  switch (s) {
    case 0: return Status::kSolved;
    case 1: return Status::kPrimalInfeasible;
    case 2: return Status::kDualInfeasible;
    case 3:
      // Clp says neither which limit it hit (secondary status 9 is not set by the QP path).
      if (settings.max_iter >= 0 && iterations >= settings.max_iter) return Status::kMaxIterations;
      return std::isfinite(settings.time_limit) ? Status::kTimeLimit : Status::kMaxIterations;
    case 5: return Status::kCancelled;
    default: return Status::kSolverFailed;
  }
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

// Clp's time limit counts process CPU seconds (CoinCpuTime: every thread of the process)
// from the moment it is set, and is only checked between iterations.
void SetTimeLimit(Clp_Simplex* model, const Settings& s, const Timer& clock) {
  if (std::isfinite(s.time_limit)) Clp_setMaximumSeconds(model, std::max(0.0, s.time_limit - clock.Seconds()));
}

// Looks for a ray d along which the QP is unbounded below: Pd = 0, qᵀd < 0, d in the
// recession cone of the constraints (Ad ≤ 0 where u is finite, ≥ 0 where l is; likewise d
// against ub, lb). For a convex QP on a nonempty set such a ray exists exactly when the
// objective is unbounded below. Clp 1.17's QP primal, given such a problem, may step along
// the ray forever, deaf to its iteration and time limits, so this runs before it: an LP
// (minimise qᵀd over that cone with qᵀd ≥ −1; d = 0 is a feasible start) on the columns
// that can still move once P has pinned the others. Returns true with d (length n, ‖d‖∞ = 1)
// when a ray is found and checked; `iterations` accumulates the LP's.
bool FindUnboundedRay(const ProblemView& p, const Settings& s, const Timer& clock, std::vector<double>& d,
                      int64_t& iterations) {
  // Columns with two finite bounds cannot move along a ray. Of the others, a column j whose
  // row of P (over the columns still movable) is its diagonal alone is pinned by (Pd)_j = 0;
  // pinning it may free another, so repeat until nothing changes.
  std::vector<char> movable(p.n, 0);
  for (int32_t j = 0; j < p.n; j++) movable[j] = !(std::isfinite(p.LowerBound(j)) && std::isfinite(p.UpperBound(j)));
  std::vector<int32_t> others(p.n);  // nonzero off-diagonal entries in row j among movable columns
  std::vector<double> diag(p.n, 0.0);
  for (int32_t j = 0; j < p.n; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      const int32_t i = p.P.Ai[k];
      const double v = p.P.Ax[k];
      if (i == j) {
        diag[j] += v;
      } else if (v != 0) {
        if (movable[j]) others[i]++;
        if (movable[i]) others[j]++;
      }
    }
  }
  // P's entries by row as well (column and value of each), to reach row j of the lower
  // triangle without scanning columns.
  std::vector<int32_t> row_start(p.n + 1, 0), row_col(p.P.nnz());
  std::vector<double> row_val(p.P.nnz());
  for (int32_t k = 0; k < p.P.nnz(); k++) row_start[p.P.Ai[k] + 1]++;
  for (int32_t i = 0; i < p.n; i++) row_start[i + 1] += row_start[i];
  {
    std::vector<int32_t> fill(row_start.begin(), row_start.end() - 1);
    for (int32_t j = 0; j < p.n; j++) {
      for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
        row_col[fill[p.P.Ai[k]]] = j;
        row_val[fill[p.P.Ai[k]]++] = p.P.Ax[k];
      }
    }
  }
  std::vector<int32_t> queue;
  for (int32_t j = 0; j < p.n; j++) {
    if (movable[j] && diag[j] != 0 && others[j] == 0) queue.push_back(j);
  }
  while (!queue.empty()) {
    const int32_t j = queue.back();
    queue.pop_back();
    if (!movable[j]) continue;
    movable[j] = 0;
    // j leaves: every i ≠ j with P_ij ≠ 0 loses one movable neighbour.
    auto drop = [&](int32_t i, double v) {
      if (i == j || v == 0) return;
      if (--others[i] == 0 && movable[i] && diag[i] != 0) queue.push_back(i);
    };
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) drop(p.P.Ai[k], p.P.Ax[k]);
    for (int32_t t = row_start[j]; t < row_start[j + 1]; t++) drop(row_col[t], row_val[t]);
  }
  std::vector<int32_t> col_of(p.n, -1), cols;
  bool descent = false;
  for (int32_t j = 0; j < p.n; j++) {
    if (!movable[j]) continue;
    col_of[j] = (int32_t)cols.size();
    cols.push_back(j);
    descent = descent || p.q[j] != 0;
  }
  if (cols.empty() || !descent) return false;

  // The LP, column-wise over the movable columns. Rows: (Pd)_i = 0 for every i (full
  // symmetric P from its lower triangle), the recession cone of each row of A with a finite
  // side, and the normalisation qᵀd ≥ −1. Only rows that meet a movable column are kept.
  const int32_t nc = (int32_t)cols.size();
  std::vector<int32_t> row_of(p.n + p.m, -1);
  std::vector<double> row_lower, row_upper;
  auto row_id = [&](int32_t r) {
    if (row_of[r] < 0) {
      row_of[r] = (int32_t)row_lower.size();
      const bool a_row = r >= p.n;
      row_lower.push_back(!a_row || std::isfinite(p.l[r - p.n]) ? 0.0 : -DBL_MAX);
      row_upper.push_back(!a_row || std::isfinite(p.u[r - p.n]) ? 0.0 : DBL_MAX);
    }
    return row_of[r];
  };
  std::vector<CoinBigIndex> start(nc + 1, 0);
  std::vector<int> index;
  std::vector<double> value;
  std::vector<int32_t> norm_entries;  // positions of the normalisation row's entries
  for (int32_t c = 0; c < nc; c++) {
    const int32_t j = cols[c];
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {  // rows i ≥ j of column j
      if (p.P.Ax[k] == 0) continue;
      index.push_back(row_id(p.P.Ai[k]));
      value.push_back(p.P.Ax[k]);
    }
    for (int32_t t = row_start[j]; t < row_start[j + 1]; t++) {  // rows i < j: P_ji, stored in column i
      if (row_col[t] == j || row_val[t] == 0) continue;
      index.push_back(row_id(row_col[t]));
      value.push_back(row_val[t]);
    }
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
      const int32_t i = p.A.Ai[k];
      if (p.A.Ax[k] == 0 || (!std::isfinite(p.l[i]) && !std::isfinite(p.u[i]))) continue;
      index.push_back(row_id(p.n + i));
      value.push_back(p.A.Ax[k]);
    }
    if (p.q[j] != 0) {
      norm_entries.push_back((int32_t)index.size());
      index.push_back(-1);  // the normalisation row, numbered once all others are
      value.push_back(p.q[j]);
    }
    start[c + 1] = (CoinBigIndex)index.size();
  }
  const int32_t norm_row = (int32_t)row_lower.size();
  for (int32_t k : norm_entries) index[k] = norm_row;
  row_lower.push_back(-1.0);
  row_upper.push_back(DBL_MAX);
  std::vector<double> col_lower(nc), col_upper(nc), obj(nc);
  for (int32_t c = 0; c < nc; c++) {
    col_lower[c] = std::isfinite(p.LowerBound(cols[c])) ? 0.0 : -DBL_MAX;
    col_upper[c] = std::isfinite(p.UpperBound(cols[c])) ? 0.0 : DBL_MAX;
    obj[c] = p.q[cols[c]];
  }
  ModelHandle handle;
  Clp_Simplex* lp = handle.model;
  Clp_setLogLevel(lp, s.verbose ? 1 : 0);
  Clp_loadProblem(lp, nc, (int)row_lower.size(), start.data(), index.data(), value.data(), col_lower.data(),
                  col_upper.data(), obj.data(), row_lower.data(), row_upper.data());
  Clp_setPrimalTolerance(lp, 1e-9);
  Clp_setDualTolerance(lp, 1e-9);
  SetTimeLimit(lp, s, clock);
  Clp_primal(lp, 0);  // d = 0 is feasible: the primal simplex starts there
  iterations += std::max(0, Clp_numberIterations(lp));
  if (Clp_status(lp) != 0 || Clp_objectiveValue(lp) > -0.5) return false;

  // Check the ray in our own arithmetic before believing it.
  const double* dc = Clp_getColSolution(lp);
  double d_norm = 0;
  for (int32_t c = 0; c < nc; c++) d_norm = std::max(d_norm, std::fabs(dc[c]));
  if (!(d_norm > 0) || !std::isfinite(d_norm)) return false;
  d.assign(p.n, 0.0);
  for (int32_t c = 0; c < nc; c++) d[cols[c]] = dc[c] / d_norm;
  // The same test the registry applies to every certificate: a ray it would refuse is no ray.
  return CertificateHolds(p, Status::kDualInfeasible, d);
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
  Clp_loadProblem(model, p.n, layout.rows, a_start, a_index ? a_index : &dummy_index, a_value ? a_value : &dummy_value,
                  col_lower.data(), col_upper.data(), zero_objective ? zeros.data() : p.q, row_lower.data(),
                  row_upper.data());
  if (unbox) {
    std::vector<CoinBigIndex> p_copy;
    Clp_loadQuadraticObjective(model, p.n, Starts<CoinBigIndex>(p.P.Ap, p.n, p_copy), p.P.Ai, p.P.Ax);
  }
  return layout;
}

// solverOptions understood here (the C interface exposes no option table to pass names to).
struct ClpOptions {
  int scaling = -1;       // 0 off, 1 equilibrium, 2 geometric, 3 auto, 4 dynamic; −1: 0 for QPs, Clp's for LPs
  int perturbation = -1;  // 50 on, 100 auto, 102 off; −1: Clp's default (100)
  int presolve = -1;      // 1: Clp_initialSolve; 0: Clp_primal (QP) or Clp_dual (LP); −1: 1 for LPs,
                          // 0 for QPs (presolve would fold Layout's rows back into boxes)

  explicit ClpOptions(const Settings& s) {
    auto integer = [](const std::string& key, double v, int lo, int hi) {
      if (v != std::floor(v) || v < lo || v > hi) {
        throw QpError(code::kInvalidOption,
                      "options.solverOptions." + key + ": must be an integer in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]",
                      "options.solverOptions." + key);
      }
      return (int)v;
    };
    for (const auto& [key, value] : s.extra) {
      if (key == "scaling") {
        scaling = integer(key, value, 0, 4);
      } else if (key == "perturbation") {
        perturbation = integer(key, value, 0, 102);
      } else if (key == "presolve") {
        presolve = integer(key, value, 0, 1);
      } else {
        throw QpError(code::kInvalidOption,
                      "options.solverOptions." + key + ": not a Clp option (known: scaling, perturbation, presolve)",
                      "options.solverOptions." + key);
      }
    }
    // Clp's C interface takes no option by name: a string can only be a mistake.
    for (const auto& entry : s.extra_text) {
      const std::string& key = entry.first;
      throw QpError(code::kInvalidOption,
                    "options.solverOptions." + key + ": Clp takes numeric options only (known: scaling, perturbation, presolve)",
                    "options.solverOptions." + key);
    }
  }
};

void ApplySettings(Clp_Simplex* model, const Settings& s, const ClpOptions& o, bool quadratic) {
  Clp_setLogLevel(model, s.verbose ? 1 : 0);
  // Clp's QP primal stops with dual residuals some 100× its tolerances: ask for more.
  const double tol = std::clamp(quadratic ? s.eps_abs * 1e-3 : s.eps_abs, 1e-10, 1e-7);
  Clp_setPrimalTolerance(model, tol);
  Clp_setDualTolerance(model, tol);
  if (s.max_iter >= 0) Clp_setMaximumIterations(model, (int)std::min<int64_t>(s.max_iter, 2147483647));
  // Clp's QP solver is markedly less reliable with scaling: on the Maros–Meszaros set it
  // more often stops "optimal" (scaled) at points whose unscaled duals are far off.
  if (o.scaling >= 0 || quadratic) Clp_scaling(model, o.scaling >= 0 ? o.scaling : 0);
  if (o.perturbation >= 0) Clp_setPerturbation(model, o.perturbation);
}

void SetRawStatus(Clp_Simplex* model, Result& r) {
  const int status = Clp_status(model);
  const int secondary = Clp_secondaryStatus(model);
  r.raw_status = status;
  r.raw_status_text = StatusText(status);
  // Secondary status 6 comes with every problem without rows, solved or not: not news.
  if (const char* detail = secondary == 6 && status != 4 ? nullptr : SecondaryText(secondary)) {
    r.raw_status_text += std::string(" (") + detail + ")";
  }
}

void CopyPrimal(Clp_Simplex* model, const ProblemView& p, Result& r) {
  r.x.assign(p.n, 0.0);
  if (const double* x = Clp_getColSolution(model)) std::copy(x, x + p.n, r.x.begin());
}

// A row of A with no nonzero entry whose bounds exclude 0, or −1. Clp's own check for such a
// row ends in "stopped due to errors" rather than "primal infeasible".
int32_t EmptyInfeasibleRow(const ProblemView& p) {
  std::vector<char> used(p.m, 0);
  for (int32_t k = 0; k < p.A.nnz(); k++) used[p.A.Ai[k]] = used[p.A.Ai[k]] || p.A.Ax[k] != 0;
  for (int32_t i = 0; i < p.m; i++) {
    if (!used[i] && (p.l[i] > 0 || p.u[i] < 0)) return i;
  }
  return -1;
}

// Phase 1 alone: the constraints with a zero objective, into r.x. Returns Clp's status.
int SolveFeasibility(const ProblemView& p, const Settings& s, const ClpOptions& o, const Timer& clock, Result& r) {
  ModelHandle handle;
  ApplySettings(handle.model, s, o, false);
  LoadProblem(handle.model, p, false, true);
  SetTimeLimit(handle.model, s, clock);
  Clp_initialSolve(handle.model);
  r.iterations += std::max(0, Clp_numberIterations(handle.model));
  CopyPrimal(handle.model, p, r);
  const int status = Clp_status(handle.model);
  if (status != 0 && status != 1) SetRawStatus(handle.model, r);
  return status;
}

class ClpSolver : public Solver {
 public:
  Result Solve(const ProblemView& p, const Settings& s, const CancelFlag& cancel) override {
    Timer clock;
    Result r;
    const ClpOptions options(s);
    // A P whose stored entries are all zero is an LP: keep it off the QP path.
    bool quadratic = false;
    for (int32_t k = 0; k < p.P.nnz(); k++) quadratic = quadratic || p.P.Ax[k] != 0;
    ModelHandle handle;
    Clp_Simplex* model = handle.model;
    ApplySettings(model, s, options, quadratic);
    const Layout layout = LoadProblem(model, p, quadratic, false);
    // Clp reports objective − offset; the core recomputes the objective from x anyway.
    Clp_setObjectiveOffset(model, -p.constant);
    r.setup_seconds = clock.Seconds();

    if (cancel.load()) {
      r.status = Status::kCancelled;
      return r;
    }
    Timer solve;
    r.x.assign(p.n, 0.0);
    if (const int32_t row = EmptyInfeasibleRow(p); row >= 0) {
      r.status = Status::kPrimalInfeasible;
      r.raw_status = 1;
      r.raw_status_text = "primal infeasible (diffqp: row " + std::to_string(row) + " has no entries and excludes 0)";
      r.certificate.assign(p.m + p.n, 0.0);  // that row alone: Aᵀe_row = 0, support −|bound|
      r.certificate[row] = p.l[row] > 0 ? -1.0 : 1.0;
      return r;
    }
    // Outcomes found by diffqp's own checks, each after a phase-1 LP says which way.
    auto from_phase1 = [&](int status, std::vector<double>* ray, const char* feasible_text) {
      r.solve_seconds = solve.Seconds();
      if (status == 1) {
        r.status = Status::kPrimalInfeasible;
        r.raw_status = 1;
        r.raw_status_text = "primal infeasible";
      } else if (status != 0) {
        r.status = MapStatus(status, r.iterations, s);  // raw status set by SolveFeasibility
      } else if (ray) {
        r.status = Status::kDualInfeasible;
        r.raw_status = 2;
        r.raw_status_text = feasible_text;
        r.certificate = std::move(*ray);
      } else {
        r.status = Status::kSolverFailed;
        r.raw_status = 1;
        r.raw_status_text = feasible_text;
      }
      return r;
    };
    std::vector<double> ray;
    if (quadratic && FindUnboundedRay(p, s, clock, ray, r.iterations)) {
      return from_phase1(SolveFeasibility(p, s, options, clock, r), &ray,
                         "dual infeasible (diffqp: feasible, and a ray with Pd = 0, qᵀd < 0; Clp's QP solver not run)");
    }
    SetTimeLimit(model, s, clock);
    if (options.presolve > 0 || (options.presolve < 0 && !quadratic)) {
      Clp_initialSolve(model);  // for a QP: presolve, then the primal simplex
    } else if (quadratic) {
      Clp_primal(model, 0);
    } else {
      Clp_dual(model, 0);  // an LP only: Clp_dual drops the quadratic term of a QP
    }
    r.solve_seconds = solve.Seconds();

    const int status = Clp_status(model);
    r.iterations += std::max(0, Clp_numberIterations(model));
    if (status == 1) {
      // Clp calls some unbounded LPs primal infeasible (an empty column with a free side
      // and a descent cost is enough): believe it only once phase 1 agrees.
      const int feasible = SolveFeasibility(p, s, options, clock, r);
      if (feasible == 0 && !quadratic && FindUnboundedRay(p, s, clock, ray, r.iterations)) {
        return from_phase1(feasible, &ray, "dual infeasible (diffqp: Clp said primal infeasible; feasible, with a ray)");
      }
      if (feasible != 1) {
        return from_phase1(feasible, nullptr, "primal infeasible, but diffqp found a feasible point");
      }
    }
    SetRawStatus(model, r);
    r.status = MapStatus(status, r.iterations, s);
    CopyPrimal(model, p, r);

    // Clp: Px + q − Aᵀ·row_price − reduced_cost = 0; ours: Px + q + Aᵀy + z = 0. A split
    // row's or bound's two halves add up. A multiplier that points at an infinite bound is
    // noise and is dropped.
    const double* row_price = Clp_getRowPrice(model);
    const double* reduced_cost = Clp_getReducedCost(model);
    r.y.assign(p.m, 0.0);
    r.z.assign(p.n, 0.0);
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
    r.has_duals = row_price && reduced_cost && status == 0;
    return r;
  }
};

}  // namespace

SolverEntry ClpSolverEntry() {
  SolverCapabilities caps;
  caps.duals = true;
  caps.warm_start = false;
  caps.cancellation = {false, false};  // the C interface offers no silent hook into the iterations
  // Clp's QP primal can run on, deaf to its limits, on some QPs (see FindUnboundedRay).
  caps.time_limit = {true, false};
  caps.infeasibility_certificate = false;
  // Measured in child processes (docs/RELIABILITY.md): Clp aborts (SIGABRT in
  // ClpSimplex::createRim) on |q_j| ≥ 1e25, runs on for good with an |A_ij| of 1e19 or a
  // P_jj of 1e250 (ClpNonLinearCost::setOne aborts at 1e300), and loses accuracy well
  // before. Kept an order of magnitude or more inside each.
  caps.limits.hessian = 1e15;
  caps.limits.matrix = 1e15;
  caps.limits.cost = 1e20;
  // A QP with q = 1e14 and P of O(1) (x ~ 1e14): Clp spins past its limits (fuzz seed 92799);
  // at a ratio of 1e11 it returned x = -1.8e308. Inside both by an order of magnitude.
  caps.limits.cost_over_hessian = 1e10;
  caps.license = "EPL-1.0";
  caps.version = "1.17.6";
  return {"clp", caps, [] { return std::unique_ptr<Solver>(new ClpSolver()); }};
}

}  // namespace diffqp
