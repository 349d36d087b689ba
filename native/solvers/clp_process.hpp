// Runs a Clp solve (clp_run.hpp) in a child process, diffqp_clp_qp beside the plugin, that can
// be killed: Clp's QP primal can spin inside one iteration, deaf to its own limits.
#pragma once
#include <string>

#include "../core/problem.hpp"
#include "clp_run.hpp"

namespace diffqp {

enum class ClpChildOutcome {
  kAnswered,   // `run` holds Clp's answer
  kCancelled,  // the cancel flag was set: the child was killed
  kTimeLimit,  // `seconds` ran out: the child was killed
  kFailed,     // the child could not start, died or answered nonsense: `reason` says which
};

struct ClpChild {
  ClpChildOutcome outcome = ClpChildOutcome::kFailed;
  ClpRun run;
  std::string reason;
};

// Writes `p` and `s` to a new diffqp_clp_qp and reads its answer, polling `cancel` and the
// clock every 10 ms; kills the child (SIGKILL) once `cancel` is set or `seconds` have passed.
// The child is always reaped and every descriptor closed before this returns.
ClpChild RunClpInChild(const ProblemView& p, const ClpRunSettings& s, const CancelFlag& cancel, double seconds);

// Where the worker is looked for: the folder of the shared object this code is linked into.
std::string ClpWorkerPath();

}  // namespace diffqp
