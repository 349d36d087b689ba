#pragma once
#include <memory>

#include "../core/problem.hpp"

namespace diffqp {

class ReducedKkt;  // reduced_kkt.hpp

// What a polish did: the docs/METHODS.md §3 measures before and after, and whether the
// polished point was kept (only when its worst measure is smaller).
struct PolishReport {
  bool attempted = false;
  bool applied = false;
  double before[3] = {kInf, kInf, kInf};  // r_p, r_d, r_g
  double after[3] = {kInf, kInf, kInf};
  // The factorization of K that produced the kept point, when the polished point has the same
  // active set (default active-set options): a differentiable solve hands it to the backward
  // pass. Null otherwise.
  std::shared_ptr<const ReducedKkt> factor;
};

// Polishes x, y, z on the active set of docs/METHODS.md §4 (docs/METHODS.md §5: the reduced KKT
// system): Newton steps K [δx; δw] = −[Px + q + C_Jᵀw_J; C_J x − c_J] with inactive
// multipliers set to zero. Completes or corrects the duals of a solver whose duals are
// inexact (HiGHS's carry its 1e-7 Hessian regularisation). Keeps the result only if it
// is better; a solver's success claim is then re-checked against the tolerances.
// `cancel`, when given, is polled before each step: a cancel waits for at most the factorisation
// under way (LDLᵀ polls nothing).
PolishReport PolishSolution(const ProblemView& p, const Settings& s, Result& r, double eps_active = 1e-5, int steps = 2,
                            const CancelFlag* cancel = nullptr);

}  // namespace diffqp
