// Ipopt 3.11 (with MUMPS) through its C interface. A QP is a very simple NLP: constant
// Hessian (P's lower triangle), constant Jacobian (A as triplets), bound_relax_factor 0
// so that x meets the bounds exactly. MUMPS keeps global state, so solves are serialised.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/residuals.hpp"
#include "../core/timer.hpp"
#include "coin/IpStdCInterface.h"
#include "solver.hpp"

namespace diffqp {
namespace {

std::mutex& IpoptMutex() {
  static std::mutex m;
  return m;
}

struct Callbacks {
  const ProblemView* p;
  // Ipopt refuses m > 0 rows with no Jacobian entries: one explicit zero stands in.
  bool placeholder_jacobian;
  const CancelFlag* cancel;
  const Timer* clock;
  double time_limit;
  int64_t iterations = 0;
  bool hit_time_limit = false;
};

Bool EvalF(Index n, Number* x, Bool, Number* obj, UserDataPtr data) {
  auto* cb = static_cast<Callbacks*>(data);
  const ProblemView& p = *cb->p;
  double quad = 0, lin = 0;
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      const int32_t i = p.P.Ai[k];
      quad += (i == j ? 0.5 : 1.0) * p.P.Ax[k] * x[i] * x[j];
    }
    lin += p.q[j] * x[j];
  }
  *obj = quad + lin;
  return 1;
}

Bool EvalGradF(Index n, Number* x, Bool, Number* grad, UserDataPtr data) {
  const ProblemView& p = *static_cast<Callbacks*>(data)->p;
  MultiplySymmetricLower(p.P, x, grad);
  for (int32_t j = 0; j < n; j++) grad[j] += p.q[j];
  return 1;
}

Bool EvalG(Index, Number* x, Bool, Index m, Number* g, UserDataPtr data) {
  const ProblemView& p = *static_cast<Callbacks*>(data)->p;
  std::fill(g, g + m, 0.0);
  MultiplyAdd(p.A, x, g);
  return 1;
}

Bool EvalJacG(Index n, Number*, Bool, Index, Index, Index* rows, Index* cols, Number* values, UserDataPtr data) {
  const auto* cb = static_cast<Callbacks*>(data);
  const ProblemView& p = *cb->p;
  if (cb->placeholder_jacobian) {
    if (values) {
      values[0] = 0;
    } else {
      rows[0] = 0;
      cols[0] = 0;
    }
    return 1;
  }
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
      if (values) {
        values[k] = p.A.Ax[k];
      } else {
        rows[k] = p.A.Ai[k];
        cols[k] = j;
      }
    }
  }
  return 1;
}

Bool EvalH(Index n, Number*, Bool, Number obj_factor, Index, Number*, Bool, Index, Index* rows, Index* cols, Number* values,
           UserDataPtr data) {
  const ProblemView& p = *static_cast<Callbacks*>(data)->p;
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      if (values) {
        values[k] = obj_factor * p.P.Ax[k];
      } else {
        rows[k] = p.P.Ai[k];  // lower triangle: row ≥ column
        cols[k] = j;
      }
    }
  }
  return 1;
}

Bool Intermediate(Index, Index iter, Number, Number, Number, Number, Number, Number, Number, Number, Index, UserDataPtr data) {
  auto* cb = static_cast<Callbacks*>(data);
  cb->iterations = iter;
  if (cb->cancel->load()) return 0;
  if (cb->clock->Seconds() > cb->time_limit) {
    cb->hit_time_limit = true;
    return 0;
  }
  return 1;
}

const char* ReturnName(int s) {
  switch (s) {
    case Solve_Succeeded:
      return "Solve_Succeeded";
    case Solved_To_Acceptable_Level:
      return "Solved_To_Acceptable_Level";
    case Infeasible_Problem_Detected:
      return "Infeasible_Problem_Detected";
    case Search_Direction_Becomes_Too_Small:
      return "Search_Direction_Becomes_Too_Small";
    case Diverging_Iterates:
      return "Diverging_Iterates";
    case User_Requested_Stop:
      return "User_Requested_Stop";
    case Feasible_Point_Found:
      return "Feasible_Point_Found";
    case Maximum_Iterations_Exceeded:
      return "Maximum_Iterations_Exceeded";
    case Restoration_Failed:
      return "Restoration_Failed";
    case Error_In_Step_Computation:
      return "Error_In_Step_Computation";
    case Maximum_CpuTime_Exceeded:
      return "Maximum_CpuTime_Exceeded";
    case Not_Enough_Degrees_Of_Freedom:
      return "Not_Enough_Degrees_Of_Freedom";
    case Invalid_Problem_Definition:
      return "Invalid_Problem_Definition";
    case Invalid_Option:
      return "Invalid_Option";
    case Invalid_Number_Detected:
      return "Invalid_Number_Detected";
    case Insufficient_Memory:
      return "Insufficient_Memory";
    default:
      return "Internal_Error";
  }
}

Status MapStatus(int s, const Callbacks& cb) {
  switch (s) {
    case Solve_Succeeded:
      return Status::kSolved;
    case Solved_To_Acceptable_Level:
      return Status::kSolvedInaccurate;
    case Infeasible_Problem_Detected:
      return Status::kPrimalInfeasible;
    case Diverging_Iterates:
      return Status::kDualInfeasible;
    case Maximum_Iterations_Exceeded:
      return Status::kMaxIterations;
    case Maximum_CpuTime_Exceeded:
      return Status::kTimeLimit;
    case User_Requested_Stop:
      return cb.hit_time_limit ? Status::kTimeLimit : Status::kCancelled;
    default:
      return Status::kSolverFailed;
  }
}

struct ProblemHandle {
  IpoptProblem handle = nullptr;
  ~ProblemHandle() {
    if (handle) FreeIpoptProblem(handle);
  }
};

void Option(IpoptProblem h, const char* key, const char* value) { AddIpoptStrOption(h, const_cast<char*>(key), const_cast<char*>(value)); }
void Option(IpoptProblem h, const char* key, double value) { AddIpoptNumOption(h, const_cast<char*>(key), value); }
void Option(IpoptProblem h, const char* key, int value) { AddIpoptIntOption(h, const_cast<char*>(key), value); }

class IpoptSolver : public Solver {
 public:
  Result Solve(const ProblemView& p, const Settings& s, const CancelFlag& cancel) override {
    // One Ipopt solve at a time (Ipopt 3.11 with MUMPS is not thread-safe). The addon lets
    // one solve at a time in (the process-wide lane, native/addon/serial_lane.hpp), which
    // counts the time limit from the call; this lock is the last guard and is never contended
    // through the addon.
    std::lock_guard<std::mutex> lock(IpoptMutex());
    Timer clock;
    Result r;
    // Ipopt reads ±1e19 and beyond as infinite.
    auto finite_or = [](double v) { return std::isinf(v) ? (v > 0 ? 1e20 : -1e20) : v; };
    std::vector<double> x_l(p.n), x_u(p.n), g_l(p.m), g_u(p.m);
    for (int32_t j = 0; j < p.n; j++) {
      x_l[j] = finite_or(p.LowerBound(j));
      x_u[j] = finite_or(p.UpperBound(j));
    }
    for (int32_t i = 0; i < p.m; i++) {
      g_l[i] = finite_or(p.l[i]);
      g_u[i] = finite_or(p.u[i]);
    }
    Callbacks cb{&p, p.m > 0 && p.A.nnz() == 0 && p.n > 0, &cancel, &clock, s.time_limit};
    ProblemHandle problem;
    problem.handle = CreateIpoptProblem(p.n, x_l.data(), x_u.data(), p.m, g_l.data(), g_u.data(), cb.placeholder_jacobian ? 1 : p.A.nnz(),
                                        p.P.nnz(), 0, EvalF, EvalG, EvalGradF, EvalJacG, EvalH);
    if (!problem.handle) throw QpError(code::kNative, "Ipopt could not create the problem (CreateIpoptProblem returned NULL)");
    IpoptProblem h = problem.handle;
    Option(h, "print_level", s.verbose ? 5 : 0);
    Option(h, "sb", "yes");
    Option(h, "option_file_name", "");
    Option(h, "hessian_constant", "yes");
    Option(h, "jac_c_constant", "yes");
    Option(h, "jac_d_constant", "yes");
    Option(h, "bound_relax_factor", 0.0);
    Option(h, "honor_original_bounds", "yes");
    // Fixed variables (lb = ub) as constraints, so that their multipliers come back.
    Option(h, "fixed_variable_treatment", "make_constraint");
    Option(h, "mu_strategy", "adaptive");
    Option(h, "tol", std::max(1e-12, std::min(s.eps_abs, s.eps_rel) * 1e-2));
    if (s.max_iter >= 0) Option(h, "max_iter", (int)std::min<int64_t>(s.max_iter, 2147483647));
    if (std::isfinite(s.time_limit)) Option(h, "max_cpu_time", s.time_limit);
    for (const auto& [key, value] : s.extra) {
      const bool ok = value == std::floor(value) && std::fabs(value) < 2e9
                          ? (AddIpoptIntOption(h, const_cast<char*>(key.c_str()), (int)value) ||
                             AddIpoptNumOption(h, const_cast<char*>(key.c_str()), value))
                          : AddIpoptNumOption(h, const_cast<char*>(key.c_str()), value);
      if (!ok)
        throw QpError(code::kInvalidOption, "options.solverOptions." + key + ": not a numeric Ipopt option",
                      "options.solverOptions." + key);
    }
    for (const auto& [key, value] : s.extra_text) {
      if (!AddIpoptStrOption(h, const_cast<char*>(key.c_str()), const_cast<char*>(value.c_str()))) {
        throw QpError(code::kInvalidOption, "options.solverOptions." + key + ": not an Ipopt string option, or a bad value",
                      "options.solverOptions." + key);
      }
    }
    SetIntermediateCallback(h, Intermediate);

    r.x.assign(p.n, 0.0);
    r.y.assign(p.m, 0.0);
    std::vector<double> g(p.m, 0.0), z_l(p.n, 0.0), z_u(p.n, 0.0);
    if (s.x0) {
      std::copy(s.x0, s.x0 + p.n, r.x.begin());
    } else {
      // Ipopt pushes the start inside the bounds itself; a start within them helps.
      for (int32_t j = 0; j < p.n; j++) r.x[j] = std::clamp(0.0, p.LowerBound(j), p.UpperBound(j));
    }
    if (s.y0 || s.z0) {
      Option(h, "warm_start_init_point", "yes");
      if (s.y0) std::copy(s.y0, s.y0 + p.m, r.y.begin());
      if (s.z0) {
        for (int32_t j = 0; j < p.n; j++) {
          z_l[j] = std::max(0.0, -s.z0[j]);
          z_u[j] = std::max(0.0, s.z0[j]);
        }
      }
    }
    r.setup_seconds = clock.Seconds();
    if (cancel.load()) {
      r.status = Status::kCancelled;
      return r;
    }
    Timer solve;
    double obj = 0;
    const int status = IpoptSolve(h, r.x.data(), g.data(), &obj, r.y.data(), z_l.data(), z_u.data(), &cb);
    r.solve_seconds = solve.Seconds();
    r.raw_status = status;
    r.raw_status_text = ReturnName(status);
    r.status = MapStatus(status, cb);
    r.iterations = cb.iterations;
    // Ipopt: ∇f + Jᵀ·mult_g − z_L + z_U = 0, so y = mult_g and z = z_U − z_L. Multipliers
    // of infinite bounds (noise, ~1e-11) are dropped: the one of an infinite side here,
    // a sign pointing at one later by DropMultipliersAtInfiniteBounds.
    r.z.assign(p.n, 0.0);
    for (int32_t j = 0; j < p.n; j++) {
      const double lo = std::isfinite(p.LowerBound(j)) ? z_l[j] : 0.0;
      const double hi = std::isfinite(p.UpperBound(j)) ? z_u[j] : 0.0;
      r.z[j] = hi - lo;
    }
    r.has_duals = true;
    return r;
  }
};

}  // namespace

SolverEntry IpoptSolverEntry() {
  SolverCapabilities caps;
  caps.duals = true;
  caps.warm_start = true;
  caps.cancellation = {true, true};
  caps.time_limit = {true, true};
  caps.infeasibility_certificate = false;
  // Ipopt reads bounds beyond ±1e19 as infinite (nlp_lower/upper_bound_inf).
  caps.limits.bound = 1e19;
  // |A_ij| of 1e200 made Ipopt run on past a 1 s limit for good (fuzz seed 47994; 1e150 fails
  // at once): products of such entries overflow inside it.
  caps.limits.matrix = 1e150;
  caps.limits.hessian = 1e150;
  caps.serialised = true;  // IpoptMutex(): MUMPS keeps global state
  caps.license = "EPL-1.0";
  caps.version = "3.11.9";
  return {"ipopt", caps, [] { return std::unique_ptr<Solver>(new IpoptSolver()); }};
}

}  // namespace diffqp
