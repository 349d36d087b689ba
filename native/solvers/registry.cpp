#include <algorithm>

#include "../core/error.hpp"
#include "../core/residuals.hpp"
#include "../core/validate.hpp"
#include "solver.hpp"
#include "timer.hpp"

namespace diffqp {

// Each solver file defines its entry; which ones exist is decided by CMake.
#ifdef DIFFQP_WITH_HIGHS
SolverEntry HighsSolverEntry();
#endif
#ifdef DIFFQP_WITH_IPOPT
SolverEntry IpoptSolverEntry();
#endif
#ifdef DIFFQP_WITH_CLP
SolverEntry ClpSolverEntry();
#endif
#ifdef DIFFQP_WITH_ADMM
SolverEntry AdmmSolverEntry();
#endif
#ifdef DIFFQP_WITH_IPM
SolverEntry IpmSolverEntry();
#endif

const std::vector<SolverEntry>& SolverRegistry() {
  static const std::vector<SolverEntry> entries = [] {
    std::vector<SolverEntry> e;
#ifdef DIFFQP_WITH_HIGHS
    e.push_back(HighsSolverEntry());
#endif
#ifdef DIFFQP_WITH_IPOPT
    e.push_back(IpoptSolverEntry());
#endif
#ifdef DIFFQP_WITH_CLP
    e.push_back(ClpSolverEntry());
#endif
#ifdef DIFFQP_WITH_ADMM
    e.push_back(AdmmSolverEntry());
#endif
#ifdef DIFFQP_WITH_IPM
    e.push_back(IpmSolverEntry());
#endif
    return e;
  }();
  return entries;
}

const SolverEntry& FindSolver(const std::string& key) {
  std::string known;
  for (const auto& entry : SolverRegistry()) {
    if (key == entry.key) return entry;
    known += known.empty() ? "" : ", ";
    known += entry.key;
  }
  throw QpError(code::kSolverUnavailable, "options.solver: unknown or unavailable solver '" + key + "' (available: " + known + ")",
                "options.solver");
}

int PollCancelFlag(void* flag) { return static_cast<const CancelFlag*>(flag)->load(std::memory_order_relaxed) ? 1 : 0; }

Result SolveWithoutVariables(const ProblemView& p) {
  Result r;
  r.y.assign(p.m, 0.0);
  r.status = Status::kSolved;
  std::vector<double> cert(p.m, 0.0);
  bool infeasible = false;
  for (int32_t i = 0; i < p.m; i++) {
    if (p.u[i] < 0) cert[i] = 1, infeasible = true;
    if (p.l[i] > 0) cert[i] = -1, infeasible = true;
  }
  if (infeasible) {
    r.status = Status::kPrimalInfeasible;
    r.certificate = std::move(cert);
  } else {
    r.has_duals = true;
  }
  return r;
}

Result SolveProblem(const std::string& key, const ProblemView& p, const Settings& s, const CancelFlag& cancel) {
  const SolverEntry& entry = FindSolver(key);
  ValidateProblem(p);
  // The solver's own time includes building and freeing its objects (Ipopt and HiGHS
  // spend real time there); what is left of a call's wall time is diffqp's overhead.
  const Timer clock;
  Result r;
  {
    std::unique_ptr<Solver> solver = entry.create();
    r = solver->Solve(p, s, cancel);
  }
  const double total = clock.Seconds();
  r.setup_seconds = std::max(0.0, total - r.solve_seconds);
  if (cancel.load() && r.status != Status::kSolved) r.status = Status::kCancelled;
  DropMultipliersAtInfiniteBounds(p, r);
  MeasureSolution(p, s, r);
  return r;
}

}  // namespace diffqp
