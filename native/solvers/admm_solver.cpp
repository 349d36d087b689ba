// Our ADMM solver (native/admm: the OSQP algorithm in C99) through its C API. The problem
// is borrowed as it is (P's lower triangle and A in CSC, int32 indices); the core keeps its
// own scaled copies while it runs. Each solve has its own workspace and the core has no
// global state, so solves run concurrently without a lock.
//
// Differences from the core's defaults, chosen for diffqp's 1e-6 measuring rule:
// tolerances come from Settings (default 1e-6, not 1e-3), polishing is on, the
// infeasibility tolerances are 1e-6 (the paper's 1e-4 declares Maros–Meszaros PRIMALC1/2/8
// dual and HUES-MOD primal infeasible; see admm.h), and the iteration limit is 100,000, or
// none under a time limit (MakeSettings).
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/timer.hpp"
#include "admm.h"
#include "solver.hpp"

namespace diffqp {
namespace {

static_assert(sizeof(int) == sizeof(int32_t), "the ADMM core takes int indices: int must be 32 bits");

// The iteration limit when the caller sets neither maxIter nor timeLimit.
constexpr int kDefaultMaxIter = 100000;

// solverOptions accepted by name, and the AdmmSettings member each one sets.
enum class Kind { kNumber, kInteger, kBoolean };
struct OptionSpec {
  const char* name;   // options.solverOptions.<name>
  const char* field;  // the member, as admm_check_settings names it ("settings.<field> ...")
  Kind kind;
  double AdmmSettings::*number;
  int AdmmSettings::*integer;
};

const OptionSpec kOptions[] = {
    {"rho", "rho", Kind::kNumber, &AdmmSettings::rho, nullptr},
    {"sigma", "sigma", Kind::kNumber, &AdmmSettings::sigma, nullptr},
    {"alpha", "alpha", Kind::kNumber, &AdmmSettings::alpha, nullptr},
    {"adaptiveRho", "adaptive_rho", Kind::kBoolean, nullptr, &AdmmSettings::adaptive_rho},
    {"adaptiveRhoInterval", "adaptive_rho_interval", Kind::kInteger, nullptr, &AdmmSettings::adaptive_rho_interval},
    {"adaptiveRhoTolerance", "adaptive_rho_tolerance", Kind::kNumber, &AdmmSettings::adaptive_rho_tolerance, nullptr},
    {"scaling", "scaling", Kind::kInteger, nullptr, &AdmmSettings::scaling},
    {"scaledTermination", "scaled_termination", Kind::kBoolean, nullptr, &AdmmSettings::scaled_termination},
    {"gapTermination", "gap_termination", Kind::kBoolean, nullptr, &AdmmSettings::gap_termination},
    {"polish", "polish", Kind::kBoolean, nullptr, &AdmmSettings::polish},
    {"polishEarly", "polish_early", Kind::kBoolean, nullptr, &AdmmSettings::polish_early},
    {"polishRefineIter", "polish_refine_iter", Kind::kInteger, nullptr, &AdmmSettings::polish_refine_iter},
    {"delta", "delta", Kind::kNumber, &AdmmSettings::delta, nullptr},
    {"epsPrimInf", "eps_prim_inf", Kind::kNumber, &AdmmSettings::eps_prim_inf, nullptr},
    {"epsDualInf", "eps_dual_inf", Kind::kNumber, &AdmmSettings::eps_dual_inf, nullptr},
    {"checkTermination", "check_termination", Kind::kInteger, nullptr, &AdmmSettings::check_termination},
};

// The common settings that reach AdmmSettings, for naming them in a range error.
struct CommonSpec {
  const char* field;
  const char* option;
};
const CommonSpec kCommon[] = {
    {"eps_abs", "options.epsAbs"},
    {"eps_rel", "options.epsRel"},
    {"max_iter", "options.maxIter"},
    {"time_limit", "options.timeLimit"},
};

std::string KnownOptions() {
  std::string known;
  for (const auto& o : kOptions) {
    known += known.empty() ? "" : ", ";
    known += o.name;
  }
  return known;
}

[[noreturn]] void OptionFail(const std::string& field, const std::string& what) {
  throw QpError(code::kInvalidOption, field + ": " + what, field);
}

// AdmmSettings from diffqp's common settings and solverOptions. Types are checked here,
// ranges by the core (admm_check_settings), whose message names the AdmmSettings member:
// it is translated back to the option the caller wrote.
AdmmSettings MakeSettings(const Settings& s) {
  AdmmSettings a;
  admm_default_settings(&a);
  a.eps_abs = s.eps_abs;
  a.eps_rel = s.eps_rel;
  // Without maxIter: the core's 4000 suits its own 1e-3 tolerances, not diffqp's 1e-6 (14 of
  // the 58 Maros–Meszaros problems admm solved at 1e-6 needed more, up to 82,725: docs/ADMM.md).
  // A caller who set a time limit gave a budget in seconds, and the time limit alone stops.
  if (s.max_iter > 0)
    a.max_iter = (int)std::min<int64_t>(s.max_iter, INT_MAX);
  else
    a.max_iter = std::isfinite(s.time_limit) ? INT_MAX : kDefaultMaxIter;
  a.time_limit = 0;  // none here: the caller sets what setup left of Settings::time_limit
  a.verbose = s.verbose ? 1 : 0;
  a.polish = 1;
  a.eps_prim_inf = 1e-6;
  a.eps_dual_inf = 1e-6;

  for (const auto& [key, value] : s.extra_text) {
    (void)value;
    const std::string f = "options.solverOptions." + key;
    const bool known = std::any_of(std::begin(kOptions), std::end(kOptions), [&](const OptionSpec& o) { return key == o.name; });
    if (known) OptionFail(f, "must be a number or a boolean, not a string");
    OptionFail(f, "not an admm option (known: " + KnownOptions() + ")");
  }
  for (const auto& [key, value] : s.extra) {
    const std::string f = "options.solverOptions." + key;
    const OptionSpec* spec = nullptr;
    for (const auto& o : kOptions) {
      if (key == o.name) spec = &o;
    }
    if (!spec) OptionFail(f, "not an admm option (known: " + KnownOptions() + ")");
    switch (spec->kind) {
      case Kind::kNumber:
        a.*(spec->number) = value;
        break;
      case Kind::kInteger:
        if (!(value == std::floor(value) && value >= INT_MIN && value <= INT_MAX)) OptionFail(f, "must be an integer");
        a.*(spec->integer) = (int)value;
        break;
      case Kind::kBoolean:
        if (value != 0 && value != 1) OptionFail(f, "must be a boolean");
        a.*(spec->integer) = (int)value;
        break;
    }
  }

  char msg[256];
  if (admm_check_settings(&a, msg, sizeof msg) != ADMM_OK) {
    // msg reads "settings.<field> = <value>: <what>".
    std::string text(msg);
    std::string field;
    const std::string prefix = "settings.";
    if (text.compare(0, prefix.size(), prefix) == 0) {
      const size_t end = text.find_first_of(" :", prefix.size());
      const std::string member = text.substr(prefix.size(), end == std::string::npos ? std::string::npos : end - prefix.size());
      for (const auto& o : kOptions) {
        if (member == o.field) field = std::string("options.solverOptions.") + o.name;
      }
      for (const auto& c : kCommon) {
        if (member == c.field) field = c.option;
      }
      if (!field.empty()) text = field + text.substr(end == std::string::npos ? text.size() : end);
    }
    if (field.empty()) field = "options.solverOptions";
    throw QpError(code::kInvalidOption, text, field);
  }
  return a;
}

AdmmProblem MakeProblem(const ProblemView& p) {
  AdmmProblem a;
  a.n = p.n;
  a.m = p.m;
  a.Pp = p.P.Ap;
  a.Pi = p.P.Ai;
  a.Px = p.P.Ax;
  a.q = p.q;
  a.Ap = p.A.Ap;
  a.Ai = p.A.Ai;
  a.Ax = p.A.Ax;
  a.l = p.l;
  a.u = p.u;
  a.lb = p.lb;
  a.ub = p.ub;
  return a;
}

Status MapStatus(AdmmStatus s) {
  switch (s) {
    case ADMM_SOLVED:
      return Status::kSolved;
    case ADMM_SOLVED_INACCURATE:
      return Status::kSolvedInaccurate;
    case ADMM_PRIMAL_INFEASIBLE:
      return Status::kPrimalInfeasible;
    case ADMM_DUAL_INFEASIBLE:
      return Status::kDualInfeasible;
    case ADMM_MAX_ITER:
      return Status::kMaxIterations;
    case ADMM_TIME_LIMIT:
      return Status::kTimeLimit;
    case ADMM_CANCELLED:
      return Status::kCancelled;
    default:
      return Status::kSolverFailed;  // ADMM_UNSOLVED, ADMM_FAILED (ADMM_NON_CVX throws)
  }
}

[[noreturn]] void NotConvex() {
  throw QpError(code::kInvalidMatrix, "P is not positive semidefinite (the ADMM KKT factorisation found P + sigma I not positive definite)",
                "P");
}

struct Workspace {
  AdmmWorkspace* w = nullptr;
  ~Workspace() { admm_cleanup(w); }
};

// n = 0: nothing to iterate on (SolveWithoutVariables), reported in admm's own terms.
Result SolveEmpty(const ProblemView& p) {
  Result r = SolveWithoutVariables(p);
  r.raw_status = r.status == Status::kSolved ? ADMM_SOLVED : ADMM_PRIMAL_INFEASIBLE;
  r.raw_status_text = admm_status_message((AdmmStatus)r.raw_status);
  return r;
}

// A solve stopped before its first iteration (limit or cancel during setup, maxIter 0): no
// iterate but the warm start, if any.
Result Stopped(Status status, const ProblemView& p, const Settings& s) {
  Result r;
  r.x.assign(p.n, 0.0);
  r.y.assign(p.m, 0.0);
  r.z.assign(p.n, 0.0);
  r.status = status;
  r.raw_status = status == Status::kCancelled ? ADMM_CANCELLED : status == Status::kMaxIterations ? ADMM_MAX_ITER : ADMM_TIME_LIMIT;
  r.raw_status_text = admm_status_message((AdmmStatus)r.raw_status);
  if (s.x0) std::copy(s.x0, s.x0 + p.n, r.x.begin());
  return r;
}

// keep: a parametric solver (addon/parametric_addon.cpp) keeps its workspace between solves of
// one pattern: new q and bounds go in by admm_update_q / admm_update_bounds (the factorisation
// and the iterates stay: the next solve starts from the last one); new values of P or A need
// a new factorisation, so it sets up afresh and warm-starts from the last solution.
class AdmmSolver : public Solver {
 public:
  explicit AdmmSolver(bool keep = false) : keep_(keep) {}

  void Changed(const MatrixChanges& c) override { changed_ = c; }
  size_t Bytes() const override { return work_.w ? bytes_ : 0; }
  int64_t Setups() const override { return setups_; }

  Result Solve(const ProblemView& p, const Settings& s, const CancelFlag& cancel) override {
    Timer clock;
    AdmmSettings settings = MakeSettings(s);
    if (p.n == 0) return SolveEmpty(p);
    const AdmmProblem problem = MakeProblem(p);
    void* flag = const_cast<CancelFlag*>(&cancel);
    if (!(work_.w && Update(p))) {
      // Setup (scaling, ordering, factorisation) counts against the time limit and can be
      // cancelled: on a large problem it may take longer than the whole budget.
      admm_cleanup(work_.w);
      work_.w = nullptr;
      const double setup_limit = std::isfinite(s.time_limit) ? std::max(s.time_limit, 1e-9) : 0.0;
      const int err = admm_setup_cb(&work_.w, &problem, &settings, setup_limit, PollCancelFlag, flag);
      if (err == ADMM_ERR_TIME_LIMIT || err == ADMM_ERR_CANCELLED)
        return Stopped(err == ADMM_ERR_CANCELLED ? Status::kCancelled : Status::kTimeLimit, p, s);
      if (err == ADMM_ERR_NONCVX) NotConvex();
      if (err != ADMM_OK) {
        char msg[256] = "";
        admm_check_problem(&problem, msg, sizeof msg);  // names the field when the data is at fault
        throw QpError(code::kNative,
                      std::string("admm_setup failed: ") + admm_error_message(err) + (msg[0] ? std::string(" (") + msg + ")" : ""));
      }
      setups_++;
      // The KKT matrix and its factor (about twice its nonzeros with AMD's fill) and ~20 vectors.
      bytes_ = (size_t)(p.P.nnz() + p.A.nnz()) * 36 + (size_t)(p.n + p.m) * 8 * 20;
      // The last solution starts the new one (P or A changed a little between calls).
      if (keep_ && last_solved_ && !(s.x0 || s.y0 || s.z0))
        admm_warm_start(work_.w, last_x_.data(), p.m > 0 ? last_y_.data() : nullptr, last_z_.data());
    }
    changed_ = MatrixChanges{false, false};
    if (s.x0 || s.y0 || s.z0) {
      if (admm_warm_start(work_.w, s.x0, s.y0, s.z0) != ADMM_OK) {
        throw QpError(code::kInvalidOption, "options.x0/y0/z0: the warm start must be finite", "options.x0");
      }
    }

    Result r;
    r.x.assign(p.n, 0.0);
    r.y.assign(p.m, 0.0);
    r.z.assign(p.n, 0.0);
    // Settings::time_limit covers setup too: ADMM gets what is left.
    const double left = s.time_limit - clock.Seconds();
    const bool no_iteration = cancel.load() || s.max_iter == 0 || !(left > 0);
    if (no_iteration) {
      Release();
      return Stopped(cancel.load() ? Status::kCancelled : s.max_iter == 0 ? Status::kMaxIterations : Status::kTimeLimit, p, s);
    }
    if (std::isfinite(left)) {
      settings.time_limit = left;
      if (admm_update_settings(work_.w, &settings) != ADMM_OK) throw QpError(code::kNative, "admm_update_settings failed");
    }

    Timer solve;
    if (admm_solve_cb(work_.w, PollCancelFlag, flag) != ADMM_OK) {
      throw QpError(code::kNative, "admm_solve failed to run");
    }
    r.solve_seconds = solve.Seconds();
    const AdmmInfo& info = *admm_info(work_.w);
    if (info.status == ADMM_NON_CVX) NotConvex();
    r.raw_status = info.status;
    r.raw_status_text = admm_status_message(info.status);
    r.status = MapStatus(info.status);
    r.iterations = info.iter;

    if (info.status == ADMM_PRIMAL_INFEASIBLE) {
      // [dy (m rows); dz (n variables)] with Aᵀdy + dz ≈ 0 and a negative support value.
      const double* c = admm_prim_inf_cert(work_.w);
      r.certificate.assign(c, c + p.m + p.n);
    } else if (info.status == ADMM_DUAL_INFEASIBLE) {
      // dx with P dx ≈ 0, qᵀdx < 0, A dx in the recession cone of [l, u] and the bounds.
      const double* c = admm_dual_inf_cert(work_.w);
      r.certificate.assign(c, c + p.n);
    } else if (info.status != ADMM_FAILED && info.status != ADMM_UNSOLVED) {
      // Solved, or the last iterate of a stopped solve (its duals are kept: they warm-start
      // a continuation, but only a solve that converged reports them as duals).
      const double* x = admm_x(work_.w);
      const double* y = admm_y(work_.w);
      const double* z = admm_z(work_.w);
      std::copy(x, x + p.n, r.x.begin());
      if (p.m > 0) std::copy(y, y + p.m, r.y.begin());
      std::copy(z, z + p.n, r.z.begin());
      r.has_duals = info.status == ADMM_SOLVED || info.status == ADMM_SOLVED_INACCURATE;
    }
    last_solved_ = keep_ && r.has_duals;
    if (last_solved_) {
      last_x_ = r.x;  // same sizes every call: no allocation once warm
      last_y_ = r.y;
      last_z_ = r.z;
    }
    Release();
    return r;
  }

 private:
  // New q and bounds into the kept workspace; false when P or A changed or the bounds' structure
  // did (set up afresh).
  bool Update(const ProblemView& p) {
    if (changed_.P || changed_.A) return false;
    if (admm_update_q(work_.w, p.q) != ADMM_OK) return false;
    return admm_update_bounds(work_.w, p.l, p.u, p.lb, p.ub) == ADMM_OK;
  }

  void Release() {
    if (keep_) return;
    admm_cleanup(work_.w);
    work_.w = nullptr;
  }

  bool keep_;
  Workspace work_;
  MatrixChanges changed_;
  int64_t setups_ = 0;
  size_t bytes_ = 0;
  bool last_solved_ = false;
  std::vector<double> last_x_, last_y_, last_z_;
};

}  // namespace

SolverEntry AdmmSolverEntry() {
  SolverCapabilities caps;
  caps.duals = true;
  caps.warm_start = true;
  caps.cancellation = {true, true};
  caps.time_limit = {true, true};
  caps.infeasibility_certificate = true;
  // admm's setup factorises the whole KKT matrix [P + σI, Aᵀ; A, −1/ρ], whose inertia sees
  // P + σI + ρAᵀA, not P: an indefinite P that ρAᵀA covers passes it (the fuzzer found
  // many), so the shared check runs first. |A_ij| or |P_ij| ≥ 1e150 makes its KKT
  // factorisation fail or its iteration stall (1e160: no progress; 1e200: setup fails).
  caps.checks_convexity = false;
  caps.limits.matrix = 1e150;
  caps.limits.hessian = 1e150;
  caps.license = "MIT";
  caps.version = "0.1.0";
  return {"admm", caps, [] { return std::unique_ptr<Solver>(new AdmmSolver()); },
          [] { return std::unique_ptr<Solver>(new AdmmSolver(true)); }};
}

}  // namespace diffqp
