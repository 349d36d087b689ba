// A re-solve's first try (addon/parametric_addon.cpp): the active set of the last solution,
// read against the new data, corrected by primal–dual active-set steps on the reduced KKT matrix
// until it is consistent. In a training loop the active set of one step is mostly the next
// one's, and a few factorisations of K cost less than an interior-point solve; the K it ends on
// is the one the backward pass needs. Plain C++, no Node.
#pragma once
#include <cstdint>
#include <memory>

#include "../core/problem.hpp"

namespace diffqp {

class ReducedKkt;

struct ActiveSetStart {
  bool found = false;
  int32_t steps = 0;                         // equality-constrained QPs solved
  int32_t factorisations = 0;                // of K (the first step on `previous` makes none)
  std::shared_ptr<const ReducedKkt> factor;  // K of the set found (when found)
};

// (x, y, z): the last solution (FindActiveSet reads its active set against p's data). Consistent
// within max_steps: r gets the optimum of the equality-constrained QP on that set (x, y, z,
// has_duals, status solved, iterations = steps), for the caller to measure (docs/METHODS.md §3
// decides whether it stands). Otherwise (a step limit, dependent active constraints, an
// inaccurate solve) r is untouched and the caller runs its solver. P must be known convex: on a
// nonconvex P a consistent set is only a stationary point.
// `previous`: K of the last solution's active set, or null. The caller vouches that P and A have
// the values it was built on; the first step then solves on it when the set read is its set
// (K depends on P, A and the set alone): a set that did not move costs no factorisation.
// `seconds`: no new factorisation starts after this long (a caller's time limit).
ActiveSetStart StartFromActiveSet(const ProblemView& p, const double* x, const double* y, const double* z, int32_t max_steps,
                                  std::shared_ptr<const ReducedKkt> previous, Result& r, double seconds = kInf);

}  // namespace diffqp
