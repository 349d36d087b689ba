// One interface for every forward solver, and the registry of those built into this binary.
// Adding a solver: one <key>_solver.cpp implementing Solver, one line in registry.cpp, its
// sources in native/sources.json (builtin_solvers, or plugins for one with its own libraries).
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "../core/limits.hpp"
#include "../core/problem.hpp"

namespace diffqp {

// Whether a promise holds for LPs (P = 0) and for QPs.
struct ForClasses {
  bool lp = false;
  bool qp = false;
};

struct SolverCapabilities {
  bool duals = true;        // returns y and z
  bool warm_start = false;  // uses Settings::x0 / y0
  ForClasses cancellation;  // polls the CancelFlag during a solve
  ForClasses time_limit;    // stops near Settings::time_limit (checked each iteration)
  bool infeasibility_certificate = false;
  // The solver rejects a P that is not PSD in its own setup (ipm, admm: the factorisation it
  // needs anyway); for the others SolveProblem runs one LDLᵀ of P + εI first (core/convexity).
  bool checks_convexity = false;
  DataLimits limits;  // data beyond these never reach the solver (core/limits)
  // Solves are serialised (library state that is not thread-safe): the addon runs them one at
  // a time through a process-wide lane (addon/serial_lane.hpp), so that a waiting async solve
  // holds no libuv thread; the solver's own lock is the last guard.
  bool serialised = false;
  const char* license = "";
  const char* version = "";
};

// What changed in a parametric problem's matrices since a kept solver's last Solve
// (addon/parametric_addon.cpp): the patterns never change, the values may.
struct MatrixChanges {
  bool P = true;
  bool A = true;
};

class Solver {
 public:
  virtual ~Solver() = default;
  // Solves `p` (already validated). Fills x, y, z (docs/METHODS.md §2), status, raw status,
  // iterations and timings; residuals are computed by the caller. Never throws for an
  // outcome (infeasible, unbounded, failure): only for a failure to run (QpError).
  virtual Result Solve(const ProblemView& p, const Settings& s, const CancelFlag& cancel) = 0;
  // A solver made by create_parametric is kept across solves of one pattern: told before each
  // Solve which matrix values changed, so that it keeps what they do not invalidate.
  virtual void Changed(const MatrixChanges&) {}
  // Heap bytes a kept solver holds between solves (reported to V8), and how many times it
  // had to set up from scratch (the first time, and when an update changed the structure).
  virtual size_t Bytes() const { return 0; }
  virtual int64_t Setups() const { return 0; }
};

struct SolverEntry {
  const char* key;
  SolverCapabilities capabilities;
  std::unique_ptr<Solver> (*create)();
  // A solver that keeps its workspace between Solve calls on problems of one pattern (ipm,
  // admm); null when the solver has none.
  std::unique_ptr<Solver> (*create_parametric)() = nullptr;
};

// The solvers that can run: those built into the addon and the plugins that loaded.
const std::vector<SolverEntry>& SolverRegistry();

// A solver built as a plugin whose shared object could not be loaded (a library it needs is
// missing, say): it is absent from SolverRegistry(), and `reason` is the loader's message.
struct UnavailableSolver {
  std::string key;
  std::string reason;
};
const std::vector<UnavailableSolver>& UnavailableSolvers();

// An optional solver with libraries of its own (Ipopt, Clp) is a shared object diffqp_<key>.so
// beside the addon that exports one function under this name (plugin_entry.cpp): it returns
// the solver's entry, or null when the caller's SolverEntry has another size (another build).
// The entry lives as long as the process (plugins are never unloaded).
constexpr const char* kPluginSymbol = "diffqp_solver_plugin_v1";
using PluginEntryFunction = const SolverEntry* (*)(std::size_t entry_size);
// The entry for `key`; throws QpError(ERR_QP_SOLVER_UNAVAILABLE) naming the known keys.
const SolverEntry& FindSolver(const std::string& key);

// For the C cores' stop callbacks: non-zero once the CancelFlag behind `flag` is set.
int PollCancelFlag(void* flag);

// n = 0: nothing to iterate on; every row reads l ≤ 0 ≤ u. Solved with y = 0, or primal
// infeasible with a certificate (+1 where u < 0, −1 where l > 0). The caller sets the raw
// status and its text in its own solver's terms.
Result SolveWithoutVariables(const ProblemView& p);

// Validates, checks the solver's data limits and convexity, runs the solver, computes
// residuals, checks a "solved" claim and keeps an infeasible/unbounded status only with a
// certificate that holds on the caller's data (core/residuals: CertificateHolds).
// `kept`: a solver from create_parametric to run instead of a fresh one; `check_convexity`
// false skips the shared convexity check (P's values did not change since it passed).
Result SolveProblem(const std::string& key, const ProblemView& p, const Settings& s, const CancelFlag& cancel, Solver* kept = nullptr,
                    bool check_convexity = true);

}  // namespace diffqp
