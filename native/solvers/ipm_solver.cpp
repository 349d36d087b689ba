// Our proximal interior-point solver (native/ipm, C99) through its C API. Each solve owns
// its workspace and the core has no global state, so solves run concurrently without a
// lock. Tolerances come from Settings and are the docs/METHODS.md §3 measures themselves
// (absolute, unscaled), so "solved" from ipm already passes diffqp's residual test.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/residuals.hpp"
#include "../core/timer.hpp"
#include "../kkt/polish.hpp"
#include "ipm.h"
#include "solver.hpp"

namespace diffqp {
namespace {

static_assert(sizeof(int) == sizeof(int32_t), "the ipm core takes int indices: int must be 32 bits");

enum class Kind { kNumber, kInteger, kBoolean };
struct OptionSpec {
  const char* name;  // options.solverOptions.<name>
  Kind kind;
  double IpmSettings::*number;
  int IpmSettings::*integer;
};

const OptionSpec kOptions[] = {
    {"epsInf", Kind::kNumber, &IpmSettings::eps_inf, nullptr},
    {"scaling", Kind::kInteger, nullptr, &IpmSettings::scaling},
    {"rhoInit", Kind::kNumber, &IpmSettings::rho_init, nullptr},
    {"deltaInit", Kind::kNumber, &IpmSettings::delta_init, nullptr},
    {"regMin", Kind::kNumber, &IpmSettings::reg_min, nullptr},
    {"refineIter", Kind::kInteger, nullptr, &IpmSettings::refine_iter},
    {"checkConvexity", Kind::kBoolean, nullptr, &IpmSettings::check_convexity},
    {"centralityCorrectors", Kind::kInteger, nullptr, &IpmSettings::centrality_correctors},
    {"normalEquations", Kind::kInteger, nullptr, &IpmSettings::normal_equations},
};

std::string KnownOptions() {
  std::string known;
  for (const auto& o : kOptions) known += (known.empty() ? "" : ", ") + std::string(o.name);
  return known;
}

[[noreturn]] void OptionFail(const std::string& field, const std::string& what) {
  throw QpError(code::kInvalidOption, field + ": " + what, field);
}

IpmSettings MakeSettings(const Settings& s) {
  IpmSettings a;
  ipm_default_settings(&a);
  a.eps_abs = s.eps_abs;
  a.eps_rel = s.eps_rel;
  if (s.max_iter > 0) a.max_iter = (int)std::min<int64_t>(s.max_iter, INT_MAX);
  a.verbose = s.verbose ? 1 : 0;
  for (const auto& [key, value] : s.extra_text) {
    (void)value;
    OptionFail("options.solverOptions." + key, "not an ipm option taking a string (known: " + KnownOptions() + ")");
  }
  for (const auto& [key, value] : s.extra) {
    const std::string f = "options.solverOptions." + key;
    const OptionSpec* spec = nullptr;
    for (const auto& o : kOptions) {
      if (key == o.name) spec = &o;
    }
    if (!spec) OptionFail(f, "not an ipm option (known: " + KnownOptions() + ")");
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
  if (ipm_check_settings(&a, msg, sizeof msg) != IPM_OK) {
    // msg reads "settings.<member> = <value> out of range": named back as the caller wrote it.
    static const std::pair<const char*, const char*> kNames[] = {{"eps_abs", "options.epsAbs"},
                                                                 {"eps_rel", "options.epsRel"},
                                                                 {"max_iter", "options.maxIter"},
                                                                 {"time_limit", "options.timeLimit"},
                                                                 {"eps_inf", "options.solverOptions.epsInf"},
                                                                 {"scaling", "options.solverOptions.scaling"},
                                                                 {"rho_init", "options.solverOptions.rhoInit"},
                                                                 {"delta_init", "options.solverOptions.deltaInit"},
                                                                 {"reg_min", "options.solverOptions.regMin"},
                                                                 {"refine_iter", "options.solverOptions.refineIter"},
                                                                 {"centrality_correctors", "options.solverOptions.centralityCorrectors"},
                                                                 {"normal_equations", "options.solverOptions.normalEquations"}};
    const std::string text(msg), prefix = "settings.";
    std::string field = "options.solverOptions", rest = text;
    if (text.compare(0, prefix.size(), prefix) == 0) {
      const size_t end = text.find(' ', prefix.size());
      const std::string member = text.substr(prefix.size(), end == std::string::npos ? std::string::npos : end - prefix.size());
      for (const auto& [c_name, option] : kNames) {
        if (member == c_name) field = option, rest = field + (end == std::string::npos ? "" : text.substr(end));
      }
    }
    throw QpError(code::kInvalidOption, rest, field);
  }
  return a;
}

Status MapStatus(IpmStatus s) {
  switch (s) {
    case IPM_SOLVED:
      return Status::kSolved;
    case IPM_PRIMAL_INFEASIBLE:
      return Status::kPrimalInfeasible;
    case IPM_DUAL_INFEASIBLE:
      return Status::kDualInfeasible;
    case IPM_MAX_ITER:
      return Status::kMaxIterations;
    case IPM_TIME_LIMIT:
      return Status::kTimeLimit;
    case IPM_CANCELLED:
      return Status::kCancelled;
    default:
      return Status::kSolverFailed;
  }
}

struct Workspace {
  IpmWorkspace* w = nullptr;
  ~Workspace() { ipm_cleanup(w); }
};

// n = 0: nothing to iterate on (SolveWithoutVariables), reported in ipm's own terms.
Result SolveEmpty(const ProblemView& p) {
  Result r = SolveWithoutVariables(p);
  r.raw_status = r.status == Status::kSolved ? IPM_SOLVED : IPM_PRIMAL_INFEASIBLE;
  r.raw_status_text = ipm_status_message((IpmStatus)r.raw_status);
  return r;
}

// An interior point stops strictly inside: where its answer falls short of the caller's
// tolerance on diffqp's own measure (round-off in large products at 1e-9, an iteration limit
// or a stall near the end), Newton steps on the active set (kkt/polish) land on the
// face it identified. Kept only when the result meets the tolerance; the interior answer,
// with its own status, otherwise. Skipped when the caller polishes anyway.
// `seconds_left`: what the time limit leaves; skipped without room for four times
// `seconds_per_factor` (the caller's estimate of one of its factorisations).
// Newton steps per attempt, each on exactly summed residuals (polish.cpp): the third to fifth
// take STADAT1's gap from 1.2e-2 to 1e-8 (|x|₁ ≈ 1e7 multiplies what r_d is left); the polish
// stops at the first step that gains nothing.
constexpr int kCrossoverSteps = 5;

void FinishWithCrossover(const ProblemView& p, const Settings& s, Result& r, double seconds_left, double seconds_per_factor,
                         const CancelFlag& cancel) {
  if (s.polish || !r.has_duals || !(seconds_left > 4 * seconds_per_factor)) return;
  if (r.status != Status::kSolved && r.status != Status::kMaxIterations && r.status != Status::kSolverFailed) return;
  const Status own = r.status;
  r.status = Status::kSolved;
  MeasureSolution(p, s, r);
  if (r.status == Status::kSolved) {
    r.measured = true;  // the interior answer already passes; SolveProblem need not measure it again
    return;
  }
  // The active set is read off the interior point with a threshold: the default first, then
  // a tighter and a looser one (an interior point near round-off can sit either way of 1e-5).
  for (const double eps_active : {1e-5, 1e-7, 1e-3}) {
    if (!(seconds_left > 4 * seconds_per_factor) || cancel.load()) break;
    const Timer clock;
    Result trial = r;
    trial.status = Status::kSolvedInaccurate;
    PolishSolution(p, s, trial, eps_active, kCrossoverSteps, &cancel);
    trial.status = Status::kSolved;
    CheckSolvedClaim(p, s, trial);
    if (trial.status == Status::kSolved) {
      r = std::move(trial);
      r.raw_status_text += " (finished on its active set)";
      return;
    }
    // The next attempt costs about what this one did (its reduced KKT system can cost far
    // more than ipm's factorisation: BOYD2 overran a 60 s limit by 140 s on three attempts).
    const double attempt = clock.Seconds();
    seconds_left -= attempt;
    seconds_per_factor = std::max(seconds_per_factor, attempt / kCrossoverSteps);
  }
  r.status = own == Status::kSolved ? Status::kSolvedInaccurate : own;
}

// keep: a parametric solver (addon/parametric_addon.cpp) keeps its workspace between solves of
// one pattern: ipm_update replaces the values and keeps the ordering and symbolic analysis of
// its KKT matrix; a change of structure (a side turning finite or infinite) sets up afresh.
class IpmSolver : public Solver {
 public:
  explicit IpmSolver(bool keep = false) : keep_(keep) {}

  void Changed(const MatrixChanges& c) override { changed_ = c; }
  size_t Bytes() const override {
    if (!work_.w) return 0;
    const IpmInfo& info = *ipm_info(work_.w);
    // L's values and indices, the KKT matrix and a dozen vectors of n + m (an estimate).
    return (size_t)info.factor_nnz * 12 + (size_t)(nnz_ * 24) + (size_t)(dims_ * 8 * 24);
  }
  int64_t Setups() const override { return setups_; }

  Result Solve(const ProblemView& p, const Settings& s, const CancelFlag& cancel) override {
    Timer clock;
    IpmSettings settings = MakeSettings(s);
    if (p.n == 0) return SolveEmpty(p);
    IpmProblem problem{p.n, p.m, p.P.nnz() > 0 ? p.P.Ap : nullptr, p.P.Ai, p.P.Ax, p.q, p.A.Ap, p.A.Ai, p.A.Ax, p.l, p.u, p.lb, p.ub};
    if (p.m == 0) problem.Ap = nullptr;
    if (!(work_.w && Update(p, problem, settings))) Setup(problem, settings);
    changed_ = MatrixChanges{false, false};
    Result r;
    r.x.assign(p.n, 0.0);
    r.y.assign(p.m, 0.0);
    r.z.assign(p.n, 0.0);
    const double left = s.time_limit - clock.Seconds();
    if (cancel.load() || s.max_iter == 0 || !(left > 0)) {
      r.status = cancel.load() ? Status::kCancelled : s.max_iter == 0 ? Status::kMaxIterations : Status::kTimeLimit;
      r.raw_status = r.status == Status::kCancelled ? IPM_CANCELLED : r.status == Status::kMaxIterations ? IPM_MAX_ITER : IPM_TIME_LIMIT;
      r.raw_status_text = ipm_status_message((IpmStatus)r.raw_status);
      Release();
      return r;
    }
    if (std::isfinite(left)) settings.time_limit = left;
    if ((std::isfinite(left) || keep_) && ipm_update_settings(work_.w, &settings) != IPM_OK)
      throw QpError(code::kNative, "ipm_update_settings failed");
    // ipm writes its answer straight into the result: no second copy at the peak.
    if (ipm_set_outputs(work_.w, r.x.data(), p.m > 0 ? r.y.data() : nullptr, r.z.data()) != IPM_OK) {
      throw QpError(code::kNative, "ipm_set_outputs failed");
    }
    Timer solve;
    if (ipm_solve(work_.w, PollCancelFlag, const_cast<CancelFlag*>(&cancel)) != IPM_OK)
      throw QpError(code::kNative, "ipm_solve failed to run");
    r.solve_seconds = solve.Seconds();
    const IpmInfo info = *ipm_info(work_.w);
    r.raw_status = info.status;
    r.raw_status_text = ipm_status_message(info.status);
    r.status = MapStatus(info.status);
    r.iterations = info.iter;
    if (info.status == IPM_PRIMAL_INFEASIBLE) {
      const double* c = ipm_prim_inf_cert(work_.w);
      r.certificate.assign(c, c + p.m + p.n);
    } else if (info.status == IPM_DUAL_INFEASIBLE) {
      const double* c = ipm_dual_inf_cert(work_.w);
      r.certificate.assign(c, c + p.n);
    }
    // ipm checked its certificate on its scaled copy; the status stands only if it holds
    // on the caller's data too.
    if (!r.certificate.empty() && !CertificateHolds(p, r.status, r.certificate)) {
      r.status = Status::kSolverFailed;
      r.raw_status_text += " (certificate rejected on the unscaled data)";
      r.certificate.clear();
    }
    // The workspace's memory goes back before the crossover, which builds its own (a kept
    // workspace stays for the next solve).
    Release();
    if (info.status == IPM_PRIMAL_INFEASIBLE || info.status == IPM_DUAL_INFEASIBLE) {
      std::fill(r.x.begin(), r.x.end(), 0.0);  // a certificate, not a point
      std::fill(r.y.begin(), r.y.end(), 0.0);
      std::fill(r.z.begin(), r.z.end(), 0.0);
    } else {
      r.has_duals = std::all_of(r.x.begin(), r.x.end(), [](double v) { return std::isfinite(v); });
      // The crossover's reduced KKT matrix may be singular (a least-squares QR then), and one
      // attempt can cost more than ipm's whole solve (BOYD2 under a 60 s limit: 37 s over):
      // it starts only with twice ipm's time left, and at least four of ipm's factorisations.
      const double per_factor = info.factor_time / std::max(1, info.iter + info.refactorizations);
      const double spent = clock.Seconds();
      if (!cancel.load()) FinishWithCrossover(p, s, r, s.time_limit - spent, std::max(per_factor, spent / 2), cancel);
    }
    return r;
  }

 private:
  // The caller's typed arrays (or a parametric problem's own) outlive the workspace: ipm reads
  // P and A in place.
  void Setup(const IpmProblem& problem, const IpmSettings& settings) {
    ipm_cleanup(work_.w);
    work_.w = nullptr;
    const int err = ipm_setup_ex(&work_.w, &problem, &settings, IPM_BORROW_MATRICES);
    if (err == IPM_ERR_NONCVX) NotConvex();
    if (err != IPM_OK) {
      char msg[256] = "";
      ipm_check_problem(&problem, msg, sizeof msg);
      throw QpError(code::kNative,
                    std::string("ipm_setup failed: ") + ipm_error_message(err) + (msg[0] ? std::string(" (") + msg + ")" : ""));
    }
    setups_++;
    nnz_ = (int64_t)(problem.Pp ? problem.Pp[problem.n] : 0) + (problem.Ap ? problem.Ap[problem.n] : 0);
    dims_ = (int64_t)problem.n + problem.m;
  }

  // New values into the kept workspace; false when their structure differs (set up afresh).
  // P's values go in (and through ipm's convexity check) only when they changed.
  bool Update(const ProblemView& p, const IpmProblem& problem, const IpmSettings& settings) {
    const int err = ipm_update(work_.w, changed_.P && problem.Pp ? problem.Px : nullptr, p.q,
                               changed_.A && problem.Ap ? problem.Ax : nullptr, p.l, p.u, p.lb, p.ub);
    if (err == IPM_OK) return true;
    // A failed update may have changed part of the workspace: it is set up afresh either way.
    ipm_cleanup(work_.w);
    work_.w = nullptr;
    if (err == IPM_ERR_STRUCTURE) return false;
    if (err == IPM_ERR_NONCVX) NotConvex();
    char msg[256] = "";
    ipm_check_problem(&problem, msg, sizeof msg);
    (void)settings;
    throw QpError(code::kNative,
                  std::string("ipm_update failed: ") + ipm_error_message(err) + (msg[0] ? std::string(" (") + msg + ")" : ""));
  }

  [[noreturn]] static void NotConvex() {
    throw QpError(code::kInvalidMatrix,
                  "P is not positive semidefinite (an LDLᵀ of P + εI, ε = 1e-9 after equilibration, has a non-positive pivot)", "P");
  }

  void Release() {
    if (keep_) return;
    ipm_cleanup(work_.w);
    work_.w = nullptr;
  }

  bool keep_;
  Workspace work_;
  MatrixChanges changed_;
  int64_t setups_ = 0, nnz_ = 0, dims_ = 0;
};

}  // namespace

SolverEntry IpmSolverEntry() {
  SolverCapabilities caps;
  caps.duals = true;
  caps.warm_start = false;
  caps.cancellation = {true, true};  // polled once per iteration
  caps.time_limit = {true, true};
  caps.infeasibility_certificate = true;
  caps.checks_convexity = true;  // ipm_setup's LDLᵀ of P + εI
  caps.license = "MIT";
  caps.version = "0.1.0";
  return {"ipm", caps, [] { return std::unique_ptr<Solver>(new IpmSolver()); },
          [] { return std::unique_ptr<Solver>(new IpmSolver(true)); }};
}

}  // namespace diffqp
