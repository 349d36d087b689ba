// Clp 1.17 as a diffqp solver (the plugin diffqp_clp.so). The Clp runs themselves are in
// clp_run.cpp. An LP runs here, in the host process (dual simplex: it checks its limits every
// iteration). A QP runs in a child process, diffqp_clp_qp (clp_process.cpp), because Clp's QP
// primal can spin inside one iteration, deaf to its iteration and time limits and with no hook
// to stop it: the child is killed on cancellation or at the time limit. Around Clp, in
// process: an empty infeasible row, a ray of unbounded descent looked for before a QP runs
// (FindUnboundedRay: Clp's QP primal may step along one for good), and phase 1 to check a
// "primal infeasible".
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "../core/error.hpp"
#include "../core/residuals.hpp"
#include "../core/timer.hpp"
#include "clp_process.hpp"
#include "clp_run.hpp"
#include "coin/Clp_C_Interface.h"
#include "solver.hpp"

namespace diffqp {
namespace {

Status MapStatus(int s, int64_t iterations, const Settings& settings) {
  switch (s) {
    case 0:
      return Status::kSolved;
    case 1:
      return Status::kPrimalInfeasible;
    case 2:
      return Status::kDualInfeasible;
    case 3:
      // Clp says neither which limit it hit (secondary status 9 is not set by the QP path).
      if (settings.max_iter >= 0 && iterations >= settings.max_iter) return Status::kMaxIterations;
      return std::isfinite(settings.time_limit) ? Status::kTimeLimit : Status::kMaxIterations;
    case 5:
      return Status::kCancelled;
    default:
      return Status::kSolverFailed;
  }
}

struct ModelHandle {
  Clp_Simplex* model = Clp_newModel();
  ~ModelHandle() { Clp_deleteModel(model); }
};

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
bool FindUnboundedRay(const ProblemView& p, const Settings& s, const Timer& clock, std::vector<double>& d, int64_t& iterations) {
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
  Clp_loadProblem(lp, nc, (int)row_lower.size(), start.data(), index.data(), value.data(), col_lower.data(), col_upper.data(), obj.data(),
                  row_lower.data(), row_upper.data());
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

// solverOptions understood here (the C interface exposes no option table to pass names to),
// into the settings of a Clp run (clp_run.hpp), with the rest of `s` that Clp uses.
ClpRunSettings RunSettings(const Settings& s) {
  ClpRunSettings r;
  r.eps_abs = s.eps_abs;
  r.max_iter = s.max_iter;
  r.verbose = s.verbose ? 1 : 0;
  auto integer = [](const std::string& key, double v, int lo, int hi) {
    if (v != std::floor(v) || v < lo || v > hi) {
      throw QpError(code::kInvalidOption,
                    "options.solverOptions." + key + ": must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
                    "options.solverOptions." + key);
    }
    return (int32_t)v;
  };
  for (const auto& [key, value] : s.extra) {
    if (key == "scaling") {
      r.scaling = integer(key, value, 0, 4);
    } else if (key == "perturbation") {
      r.perturbation = integer(key, value, 0, 102);
    } else if (key == "presolve") {
      // 1 on a QP: presolve would fold clp_run.cpp's Layout rows back into boxes.
      r.presolve = integer(key, value, 0, 1);
    } else {
      throw QpError(code::kInvalidOption, "options.solverOptions." + key + ": not a Clp option (known: scaling, perturbation, presolve)",
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
  return r;
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

double SecondsLeft(const Settings& s, const Timer& clock) { return std::max(0.0, s.time_limit - clock.Seconds()); }

// Phase 1 alone (an LP, in process): the constraints with a zero objective, into r.x.
// Returns Clp's status.
int SolveFeasibility(const ProblemView& p, const Settings& s, ClpRunSettings rs, const Timer& clock, Result& r) {
  rs.mode = ClpMode::kFeasibility;
  rs.time_limit = SecondsLeft(s, clock);
  ClpRun run = RunClp(p, rs);
  r.iterations += run.iterations;
  r.x = std::move(run.x);
  if (run.status != 0 && run.status != 1) {
    r.raw_status = run.status;
    r.raw_status_text = ClpStatusText(run.status, run.secondary);
  }
  return run.status;
}

class ClpSolver : public Solver {
 public:
  Result Solve(const ProblemView& p, const Settings& s, const CancelFlag& cancel) override {
    Timer clock;
    Result r;
    const ClpRunSettings settings = RunSettings(s);
    // A P whose stored entries are all zero is an LP: keep it off the QP path.
    bool quadratic = false;
    for (int32_t k = 0; k < p.P.nnz(); k++) quadratic = quadratic || p.P.Ax[k] != 0;
    r.x.assign(p.n, 0.0);
    r.y.assign(p.m, 0.0);
    r.z.assign(p.n, 0.0);
    if (cancel.load()) {
      r.status = Status::kCancelled;
      return r;
    }
    Timer solve;
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
      return from_phase1(SolveFeasibility(p, s, settings, clock, r), &ray,
                         "dual infeasible (diffqp: feasible, and a ray with Pd = 0, qᵀd < 0; Clp's QP solver not run)");
    }
    ClpRunSettings main = settings;
    main.mode = quadratic ? ClpMode::kQuadratic : ClpMode::kLinear;
    main.time_limit = SecondsLeft(s, clock);
    ClpRun run;
    if (quadratic) {
      // In a child process that is killed on cancellation or at the time limit. Stopped
      // that way there is nothing to keep: x = 0, no duals.
      ClpChild child = RunClpInChild(p, main, cancel, std::isfinite(s.time_limit) ? main.time_limit : kInf);
      if (child.outcome != ClpChildOutcome::kAnswered) {
        r.solve_seconds = solve.Seconds();
        r.raw_status = -1;
        switch (child.outcome) {
          case ClpChildOutcome::kCancelled:
            r.status = Status::kCancelled;
            r.raw_status_text = "not solved (diffqp: cancelled; the Clp worker was killed)";
            break;
          case ClpChildOutcome::kTimeLimit:
            r.status = Status::kTimeLimit;
            r.raw_status_text = "not solved (diffqp: time limit reached; the Clp worker was killed)";
            break;
          default:
            r.status = Status::kSolverFailed;
            r.raw_status_text = "not solved (diffqp: " + child.reason + ")";
        }
        return r;
      }
      run = std::move(child.run);
    } else {
      run = RunClp(p, main);  // an LP in process: the dual simplex checks its limits
    }
    r.solve_seconds = solve.Seconds();
    r.iterations += run.iterations;
    if (run.status == 1) {
      // Clp calls some unbounded LPs primal infeasible (an empty column with a free side
      // and a descent cost is enough): believe it only once phase 1 agrees.
      const int feasible = SolveFeasibility(p, s, settings, clock, r);
      if (feasible == 0 && !quadratic && FindUnboundedRay(p, s, clock, ray, r.iterations)) {
        return from_phase1(feasible, &ray, "dual infeasible (diffqp: Clp said primal infeasible; feasible, with a ray)");
      }
      if (feasible != 1) {
        return from_phase1(feasible, nullptr, "primal infeasible, but diffqp found a feasible point");
      }
    }
    r.raw_status = run.status;
    r.raw_status_text = ClpStatusText(run.status, run.secondary);
    r.status = MapStatus(run.status, r.iterations, s);
    r.x = std::move(run.x);
    r.y = std::move(run.y);
    r.z = std::move(run.z);
    r.has_duals = run.has_duals;
    return r;
  }
};

}  // namespace

SolverEntry ClpSolverEntry() {
  SolverCapabilities caps;
  caps.duals = true;
  caps.warm_start = false;
  // An LP: the dual simplex checks its time limit every iteration, but the C interface offers
  // no silent hook to cancel it. A QP: its child process is killed on either.
  caps.cancellation = {false, true};
  caps.time_limit = {true, true};
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
