#include "active_set_start.hpp"

#include <utility>
#include <vector>

#include "../core/timer.hpp"
#include "active_set.hpp"
#include "reduced_kkt.hpp"

namespace diffqp {
namespace {

// A defect the steps still act on (relative, as ActiveSetStep measures it): far below any
// tolerance a caller measures with, yet above round-off, so that a degenerate constraint (a
// zero multiplier on its side) does not flip back and forth.
constexpr double kDefect = 1e-12;

}  // namespace

ActiveSetStart StartFromActiveSet(const ProblemView& p, const double* x, const double* y, const double* z, int32_t max_steps,
                                  std::shared_ptr<const ReducedKkt> previous, Result& r, double seconds) {
  const Timer clock;
  ActiveSetStart out;
  const ActiveSetOptions opt;  // the default rule, as a backward pass reads the set
  ActiveSet as = FindActiveSet(p, x, y, z, opt.eps_active, opt.normalize_rows);
  for (int32_t step = 0; step < max_steps; step++) {
    std::shared_ptr<const ReducedKkt> k;
    if (step == 0 && previous && previous->Matches(p, opt) && SameActiveSet(as, previous->as)) {
      k = std::move(previous);
    } else {
      if (clock.Seconds() > seconds) return out;
      k = ReducedKkt::BuildOn(p, as, opt);
      out.factorisations++;
    }
    out.steps = step + 1;
    if (k->singular) return out;  // dependent active constraints: the solver decides
    double relative = 0;
    const std::vector<double> sol = SolveEqualityQp(p, *k, &relative);
    if (!(relative <= 1e-10)) return out;
    ActiveSet next = as;
    if (ActiveSetStep(p, *k, sol, kDefect, next).changes > 0) {
      as = std::move(next);
      continue;
    }
    const int32_t n = p.n;
    r = Result();
    r.x.assign(sol.begin(), sol.begin() + n);
    r.y.assign(p.m, 0.0);
    r.z.assign(n, 0.0);
    for (int32_t i = 0; i < p.m; i++)
      if (k->row_k[i] >= 0) r.y[i] = sol[n + k->row_k[i]];
    for (int32_t j = 0; j < n; j++)
      if (k->bound_k[j] >= 0) r.z[j] = sol[n + k->bound_k[j]];
    r.has_duals = true;
    r.status = Status::kSolved;
    r.iterations = out.steps;
    out.found = true;
    out.factor = std::move(k);
    return out;
  }
  return out;
}

}  // namespace diffqp
