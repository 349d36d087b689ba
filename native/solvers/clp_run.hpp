// One run of Clp's simplex on a problem, as the plugin does it in-process for LPs and
// diffqp_clp_qp (clp_qp_worker.cpp) does it in a child process for QPs: the only code that
// loads a problem into Clp, sets its options, runs it and reads the answer back in
// docs/METHODS.md §2's convention. Plain data in and out, so that it can cross a pipe
// (clp_wire.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../core/problem.hpp"

namespace diffqp {

enum class ClpMode : int32_t {
  kLinear = 0,       // the LP as given (P ignored): Clp_initialSolve or Clp_dual
  kQuadratic = 1,    // the QP through the primal simplex, boxes taken apart (clp_run.cpp: Layout)
  kFeasibility = 2,  // phase 1 alone: the constraints with a zero objective
};

// What a run needs beside the problem: numbers only (the options were checked by the plugin).
struct ClpRunSettings {
  ClpMode mode = ClpMode::kLinear;
  double eps_abs = 1e-6;
  int64_t max_iter = -1;     // < 0: Clp's default
  double time_limit = kInf;  // seconds left for this run (Clp counts process CPU seconds)
  int32_t verbose = 0;
  int32_t scaling = -1;       // 0 off, 1 equilibrium, 2 geometric, 3 auto, 4 dynamic; −1: 0 for QPs, Clp's for LPs
  int32_t perturbation = -1;  // 50 on, 100 auto, 102 off; −1: Clp's default (100)
  int32_t presolve = -1;      // 1: Clp_initialSolve; 0: Clp_primal (QP) or Clp_dual (LP); −1: 1 for LPs, 0 for QPs
};

// What a run gives back, in diffqp's sign convention.
struct ClpRun {
  int32_t status = -1;    // Clp_status: −1 not solved … 5 stopped by event handler
  int32_t secondary = 0;  // Clp_secondaryStatus
  int64_t iterations = 0;
  double solve_seconds = 0;
  bool has_duals = false;  // Clp's duals are kept only at optimality
  std::vector<double> x, y, z;
};

// Runs Clp once on `p` (validated; n > 0). Never throws for an outcome.
ClpRun RunClp(const ProblemView& p, const ClpRunSettings& s);

// "optimal", "primal infeasible", … with the secondary status in brackets when it says more.
std::string ClpStatusText(int32_t status, int32_t secondary);

}  // namespace diffqp
