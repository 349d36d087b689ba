#include "limits.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "error.hpp"

namespace diffqp {
namespace {

[[noreturn]] void OutOfRange(const char* field, int64_t index, double value, double limit, const char* solver, const char* why = "") {
  std::ostringstream s;
  s << field << "[" << index << "]: " << value << " is beyond what solver '" << solver << "' accepts (|value| < " << limit << why
    << "); scale the problem, or use another solver";
  throw QpError(code::kOutOfRange, s.str(), field, index);
}

void CheckValues(const char* field, const double* v, int64_t count, double limit, const char* solver, const char* why = "") {
  if (!v || std::isinf(limit)) return;
  for (int64_t k = 0; k < count; k++) {
    if (std::fabs(v[k]) >= limit) OutOfRange(field, k, v[k], limit, solver, why);
  }
}

// sign +1: lower bounds (reject v ≥ limit), −1: upper bounds (reject v ≤ −limit).
void CheckBounds(const char* field, const double* v, int64_t count, double limit, int sign, const char* solver) {
  if (!v) return;
  for (int64_t k = 0; k < count; k++) {
    if (std::isfinite(v[k]) && sign * v[k] >= limit) {
      std::ostringstream s;
      s << field << "[" << k << "]: " << v[k] << " is " << (sign > 0 ? "a lower" : "an upper") << " bound at or beyond " << sign * limit
        << ", where solver '" << solver << "' reads bounds as infinite (it would be " << (sign > 0 ? "+Infinity" : "-Infinity") << ")";
      throw QpError(code::kOutOfRange, s.str(), field, k);
    }
  }
}

}  // namespace

void RequireWithinLimits(const ProblemView& p, const DataLimits& limits, const char* solver) {
  CheckValues("P.values", p.P.Ax, p.P.nnz(), limits.hessian, solver);
  CheckValues("q", p.q, p.n, limits.cost, solver);
  CheckValues("A.values", p.A.Ax, p.A.nnz(), limits.matrix, solver);
  if (std::isfinite(limits.cost_over_hessian)) {
    double largest = 0;
    for (int64_t k = 0; k < p.P.nnz(); k++) largest = std::max(largest, std::fabs(p.P.Ax[k]));
    if (largest > 0) {
      std::ostringstream why;
      why << ", " << limits.cost_over_hessian << " times the largest |P_ij|, " << largest;
      CheckValues("q", p.q, p.n, limits.cost_over_hessian * largest, solver, why.str().c_str());
    }
  }
  CheckBounds("l", p.l, p.m, limits.bound, +1, solver);
  CheckBounds("u", p.u, p.m, limits.bound, -1, solver);
  CheckBounds("lb", p.lb, p.n, limits.bound, +1, solver);
  CheckBounds("ub", p.ub, p.n, limits.bound, -1, solver);
}

}  // namespace diffqp
