// The largest finite magnitudes a solver takes in each part of the data. Beyond them a
// solver aborts the process (Clp's assertions), rejects the model with a bare error
// (HiGHS), or reads a finite value as infinite (Ipopt's 1e19): diffqp stops such data
// first, with a typed error naming field, index, value and the limit.
#pragma once
#include "problem.hpp"

namespace diffqp {

// |v| ≥ 1e20 is an infinite bound in the API (lib/qps.ts, ipm.h, admm.h).
constexpr double kBoundInfinity = 1e20;

struct DataLimits {
  double hessian = kInf;  // |P_ij|
  double cost = kInf;     // |q_j|
  double matrix = kInf;   // |A_ij|
  // |q_j| over the largest |P_ij| when P has a nonzero (x grows like that ratio); Clp's QP
  // primal runs on for good once x nears 1e14.
  double cost_over_hessian = kInf;
  // A bound at or beyond this on its own side is infinite (the API's ±1e20 rule, which ipm,
  // admm and HiGHS share); on the other side (a lower bound ≥ it, an upper bound ≤ −it) it
  // would become +∞ as a lower bound, so it is rejected.
  double bound = kBoundInfinity;
};

// Throws QpError(ERR_QP_OUT_OF_RANGE) at the first datum of `p` beyond `limits`, naming
// `solver`. Assumes ValidateProblem passed.
void RequireWithinLimits(const ProblemView& p, const DataLimits& limits, const char* solver);

}  // namespace diffqp
