// The Newton step on the active set, which is also the forward mode of the solution map
// (docs/METHODS.md §5 last paragraph): the reduced KKT system K of reduced_kkt.hpp with the
// data's perturbation on the right. Polish takes its Newton steps through it (dq = the
// stationarity residual, dc = the active sides' violations); differentiate's jvp is the
// same call with the user's tangents. Plain C++, no Node.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../core/problem.hpp"
#include "active_set.hpp"

namespace diffqp {

class ReducedKkt;  // reduced_kkt.hpp

// Forward mode (Jacobian–vector product, docs/METHODS.md §5 last paragraph) on the same reduced
// system: K [dx; dw] = −[dP x + dq + dC_Jᵀ w_J; dC_J x − dc_J]. Tangents are on the same
// patterns as the gradients (dP: lower-pattern values, each off-diagonal value perturbing both
// symmetric entries); any pointer may be null (zero tangent). dc_J takes du_i / dl_i on the
// active side; for an equality row the side the dual's sign names (u when y_i ≥ 0), exactly
// the convention of the backward pass, so ⟨vjp(ḡ), δ⟩ = ⟨ḡ, jvp(δ)⟩.
struct Tangents {
  const double* dP = nullptr;   // [nnz(P)]
  const double* dq = nullptr;   // [n]
  const double* dA = nullptr;   // [nnz(A)]
  const double* dl = nullptr;   // [m]
  const double* du = nullptr;   // [m]
  const double* dlb = nullptr;  // [n]
  const double* dub = nullptr;  // [n]
};

struct ForwardResult {
  std::vector<double> dx, dy, dz;  // dy, dz: 0 on inactive rows / bounds
  bool differentiable = true;
  std::string reason;
  int32_t active_rows = 0, active_bounds = 0;
  double factor_seconds = 0, solve_seconds = 0;
  bool factor_reused = false;
  int32_t active_set_changes = 0;
};

ForwardResult KktForward(const ProblemView& p, const double* x, const double* y, const double* z, const Tangents& t,
                         const ActiveSetOptions& opt, std::shared_ptr<const ReducedKkt> cached = nullptr);

}  // namespace diffqp
