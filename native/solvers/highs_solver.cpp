// HiGHS 1.10 through its C API. The Hessian goes in as P's lower triangle (HiGHS's own
// format), A column-wise as it is. HiGHS's QP solver regularises the Hessian by 1e-7, so
// its duals are slightly off: the "solved" check on the residuals catches that.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/timer.hpp"
#include "highs_common.hpp"
#include "solver.hpp"

namespace diffqp {
namespace {
#define DIFFQP_STR2(x) #x
#define DIFFQP_STR(x) DIFFQP_STR2(x)
constexpr const char* kHighsVersion =
    DIFFQP_STR(HIGHS_VERSION_MAJOR) "." DIFFQP_STR(HIGHS_VERSION_MINOR) "." DIFFQP_STR(HIGHS_VERSION_PATCH);
#undef DIFFQP_STR
#undef DIFFQP_STR2
}  // namespace

namespace {

const char* ModelStatusName(HighsInt s) {
  switch (s) {
    case kHighsModelStatusNotset:
      return "Not set";
    case kHighsModelStatusLoadError:
      return "Load error";
    case kHighsModelStatusModelError:
      return "Model error";
    case kHighsModelStatusPresolveError:
      return "Presolve error";
    case kHighsModelStatusSolveError:
      return "Solve error";
    case kHighsModelStatusPostsolveError:
      return "Postsolve error";
    case kHighsModelStatusModelEmpty:
      return "Empty";
    case kHighsModelStatusOptimal:
      return "Optimal";
    case kHighsModelStatusInfeasible:
      return "Infeasible";
    case kHighsModelStatusUnboundedOrInfeasible:
      return "Primal infeasible or unbounded";
    case kHighsModelStatusUnbounded:
      return "Unbounded";
    case kHighsModelStatusObjectiveBound:
      return "Bound on objective reached";
    case kHighsModelStatusObjectiveTarget:
      return "Target for objective reached";
    case kHighsModelStatusTimeLimit:
      return "Time limit reached";
    case kHighsModelStatusIterationLimit:
      return "Iteration limit reached";
    case kHighsModelStatusUnknown:
      return "Unknown";
    case kHighsModelStatusSolutionLimit:
      return "Solution limit reached";
    case kHighsModelStatusInterrupt:
      return "Interrupted by user";
  }
  return "Unknown";
}

Status MapStatus(HighsInt s) {
  switch (s) {
    case kHighsModelStatusOptimal:
    case kHighsModelStatusModelEmpty:
      return Status::kSolved;
    case kHighsModelStatusInfeasible:
      return Status::kPrimalInfeasible;
    case kHighsModelStatusUnbounded:
      return Status::kDualInfeasible;
    case kHighsModelStatusTimeLimit:
      return Status::kTimeLimit;
    case kHighsModelStatusIterationLimit:
      return Status::kMaxIterations;
    case kHighsModelStatusInterrupt:
      return Status::kCancelled;
    default:
      return Status::kSolverFailed;
  }
}

class HighsSolver : public Solver {
 public:
  Result Solve(const ProblemView& p, const Settings& s, const CancelFlag& cancel) override {
    Timer setup;
    Result r;
    HighsHandle handle;
    void* h = handle.h;
    Highs_setBoolOptionValue(h, "output_flag", s.verbose ? 1 : 0);
    const double tol = std::clamp(s.eps_abs, 1e-10, 1e-7);
    Highs_setDoubleOptionValue(h, "primal_feasibility_tolerance", tol);
    Highs_setDoubleOptionValue(h, "dual_feasibility_tolerance", tol);
    if (std::isfinite(s.time_limit)) Highs_setDoubleOptionValue(h, "time_limit", s.time_limit);
    if (s.max_iter >= 0) {
      const HighsInt limit = (HighsInt)std::min<int64_t>(s.max_iter, 2147483647);
      Highs_setIntOptionValue(h, "qp_iteration_limit", limit);
      Highs_setIntOptionValue(h, "simplex_iteration_limit", limit);
      Highs_setIntOptionValue(h, "ipm_iteration_limit", limit);
    }
    for (const auto& [key, value] : s.extra) {
      // Unknown names are rejected by HiGHS itself; try the option kinds in turn.
      if (Highs_setDoubleOptionValue(h, key.c_str(), value) == kHighsStatusOk) continue;
      if (value == std::floor(value) && Highs_setIntOptionValue(h, key.c_str(), (HighsInt)value) == kHighsStatusOk) continue;
      if (Highs_setBoolOptionValue(h, key.c_str(), value != 0) == kHighsStatusOk) continue;
      throw QpError(code::kInvalidOption, "options.solverOptions." + key + ": not a numeric HiGHS option", "options.solverOptions." + key);
    }
    for (const auto& [key, value] : s.extra_text) {
      if (Highs_setStringOptionValue(h, key.c_str(), value.c_str()) != kHighsStatusOk) {
        throw QpError(code::kInvalidOption, "options.solverOptions." + key + ": not a HiGHS string option, or a bad value",
                      "options.solverOptions." + key);
      }
    }

    const double inf = Highs_getInfinity(h);
    auto clip = [inf](double v) { return v >= inf ? inf : (v <= -inf ? -inf : v); };
    std::vector<double> col_lower(p.n), col_upper(p.n), row_lower(p.m), row_upper(p.m);
    for (int32_t j = 0; j < p.n; j++) {
      col_lower[j] = clip(p.LowerBound(j));
      col_upper[j] = clip(p.UpperBound(j));
    }
    for (int32_t i = 0; i < p.m; i++) {
      row_lower[i] = clip(p.l[i]);
      row_upper[i] = clip(p.u[i]);
    }
    const int32_t q_nnz = p.P.nnz();
    std::vector<int32_t> zero_ptr(p.n + 1, 0);
    const int32_t* a_start = p.A.Ap ? p.A.Ap : zero_ptr.data();
    HighsInt status =
        Highs_passModel(h, p.n, p.m, p.A.nnz(), q_nnz, kHighsMatrixFormatColwise, kHighsHessianFormatTriangular, kHighsObjSenseMinimize,
                        p.constant, p.q, col_lower.data(), col_upper.data(), row_lower.data(), row_upper.data(), a_start, p.A.Ai, p.A.Ax,
                        q_nnz > 0 ? p.P.Ap : nullptr, q_nnz > 0 ? p.P.Ai : nullptr, q_nnz > 0 ? p.P.Ax : nullptr, nullptr);
    if (status == kHighsStatusError) throw QpError(code::kNative, "HiGHS rejected the model (Highs_passModel failed)");
    InterruptOnCancel(h, cancel);
    r.setup_seconds = setup.Seconds();

    Timer solve;
    if (cancel.load()) {
      r.status = Status::kCancelled;
      return r;
    }
    Highs_run(h);
    r.solve_seconds = solve.Seconds();
    const HighsInt model_status = Highs_getModelStatus(h);
    r.raw_status = model_status;
    r.raw_status_text = ModelStatusName(model_status);
    r.status = MapStatus(model_status);
    HighsInt qp_iter = 0, simplex_iter = 0, ipm_iter = 0;
    Highs_getIntInfoValue(h, "qp_iteration_count", &qp_iter);
    Highs_getIntInfoValue(h, "simplex_iteration_count", &simplex_iter);
    Highs_getIntInfoValue(h, "ipm_iteration_count", &ipm_iter);
    r.iterations = std::max<int64_t>(0, qp_iter) + std::max<int64_t>(0, simplex_iter) + std::max<int64_t>(0, ipm_iter);

    HighsInt primal_status = 0;
    Highs_getIntInfoValue(h, "primal_solution_status", &primal_status);
    r.x.assign(p.n, 0.0);
    std::vector<double> col_dual(p.n, 0.0), row_value(p.m, 0.0), row_dual(p.m, 0.0);
    Highs_getSolution(h, r.x.data(), col_dual.data(), row_value.data(), row_dual.data());
    HighsInt dual_status = 0;
    Highs_getIntInfoValue(h, "dual_solution_status", &dual_status);
    // HiGHS: Px + q − Aᵀ·row_dual − col_dual = 0; ours: Px + q + Aᵀy + z = 0.
    r.y.resize(p.m);
    r.z.resize(p.n);
    for (int32_t i = 0; i < p.m; i++) r.y[i] = -row_dual[i];
    for (int32_t j = 0; j < p.n; j++) r.z[j] = -col_dual[j];
    r.has_duals = dual_status != 0 || model_status == kHighsModelStatusOptimal;
    if (r.status == Status::kSolved && primal_status == 0) r.status = Status::kSolverFailed;
    return r;
  }
};

}  // namespace

SolverEntry HighsSolverEntry() {
  SolverCapabilities caps;
  caps.duals = true;
  caps.warm_start = false;
  // HiGHS 1.10's QP solver runs no callback and overruns its time limit (a chain
  // projection with n = 1e5 ran 287 s past 60 s): both hold for LPs only.
  caps.cancellation = {true, false};
  caps.time_limit = {true, false};
  caps.infeasibility_certificate = false;
  caps.limits = HighsLimits();  // stopped before HiGHS sees them
  caps.license = "MIT";
  caps.version = kHighsVersion;  // from the headers it was built against
  return {"highs", caps, [] { return std::unique_ptr<Solver>(new HighsSolver()); }};
}

}  // namespace diffqp
