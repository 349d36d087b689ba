// The convexity test for solvers that assume P ⪰ 0 without checking it (HiGHS, Ipopt, Clp
// would otherwise return a saddle point or a maximum as "solved"). ipm and admm factorise
// P + σI inside their own setup and find it there at no extra cost.
#pragma once
#include <cstdint>
#include <string>

#include "problem.hpp"

namespace diffqp {

// P ⪰ 0 is accepted within this fraction of max_j P_jj: the LDLᵀ of P + ε·I with
// ε = kConvexityTolerance · max_j P_jj must have only positive pivots. Maros–Meszaros
// VALUES, convex but rounded in its file, needs ε ≥ 3e-5·max P_jj here; 1e-4 is also the
// tolerance of ipm's own check, so that every solver gives one verdict.
constexpr double kConvexityTolerance = 1e-4;

struct ConvexityVerdict {
  bool convex = true;
  int32_t variable = -1;  // the witness: a variable whose pivot (or 2×2 minor) is negative
  int32_t other = -1;     // the second variable of a 2×2 minor, or −1
  double value = 0;       // that pivot, diagonal entry or minor (in P's units)
  std::string reason;     // how the witness was found, for the error message
};

// One sparse LDLᵀ (AMD ordering, native/linsys) of P + ε·I, after two O(nnz) checks that
// need no factorisation: a diagonal below −ε, and an off-diagonal P_ij with
// P_ij² > (P_ii + ε)(P_jj + ε) (which also keeps the factorisation clear of overflow).
ConvexityVerdict CheckConvexity(const CscView& P);

// Throws QpError(ERR_QP_NOT_CONVEX) naming the witness when CheckConvexity says no.
// `what` prefixes the message (e.g. who found it).
void RequireConvex(const CscView& P);
[[noreturn]] void ThrowNotConvex(const ConvexityVerdict& v);

}  // namespace diffqp
