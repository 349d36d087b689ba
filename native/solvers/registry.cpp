#include <algorithm>
#include <cmath>
#include <string>

#include "../core/convexity.hpp"
#include "../core/error.hpp"
#include "../core/limits.hpp"
#include "../core/residuals.hpp"
#include "../core/timer.hpp"
#include "../core/validate.hpp"
#include "certificate_search.hpp"
#include "plugins.hpp"
#include "solver.hpp"

namespace diffqp {

// Each built-in solver file defines its entry; which ones exist is decided by the build
// (native/sources.json). Ipopt and Clp are plugins (plugins.cpp), loaded when the registry is
// first asked for.
#ifdef DIFFQP_WITH_HIGHS
SolverEntry HighsSolverEntry();
#endif
#ifdef DIFFQP_WITH_ADMM
SolverEntry AdmmSolverEntry();
#endif
#ifdef DIFFQP_WITH_IPM
SolverEntry IpmSolverEntry();
#endif

namespace {

struct Registry {
  std::vector<SolverEntry> entries;
  std::vector<UnavailableSolver> unavailable;
};

// A plugin that does not load is listed with the loader's reason; the others go on working.
void AddPlugin(Registry& r, const char* key) {
  PluginLoad load = LoadSolverPlugin(key);
  if (load.loaded) {
    r.entries.push_back(load.entry);
  } else {
    r.unavailable.push_back({key, std::move(load.reason)});
  }
}

const Registry& TheRegistry() {
  static const Registry registry = [] {
    Registry r;
    std::vector<SolverEntry>& e = r.entries;
#ifdef DIFFQP_WITH_HIGHS
    e.push_back(HighsSolverEntry());
#endif
#ifdef DIFFQP_WITH_IPOPT
    AddPlugin(r, "ipopt");
#endif
#ifdef DIFFQP_WITH_CLP
    AddPlugin(r, "clp");
#endif
#ifdef DIFFQP_WITH_ADMM
    e.push_back(AdmmSolverEntry());
#endif
#ifdef DIFFQP_WITH_IPM
    e.push_back(IpmSolverEntry());
#endif
    return r;
  }();
  return registry;
}

}  // namespace

const std::vector<SolverEntry>& SolverRegistry() { return TheRegistry().entries; }

const std::vector<UnavailableSolver>& UnavailableSolvers() { return TheRegistry().unavailable; }

const SolverEntry& FindSolver(const std::string& key) {
  std::string known;
  for (const auto& entry : SolverRegistry()) {
    if (key == entry.key) return entry;
    known += known.empty() ? "" : ", ";
    known += entry.key;
  }
  for (const auto& missing : UnavailableSolvers()) {
    if (key == missing.key) {
      throw QpError(
          code::kSolverUnavailable,
          "options.solver: solver '" + key + "' is unavailable: its plugin did not load (" + missing.reason + "); available: " + known,
          "options.solver");
    }
  }
  throw QpError(code::kSolverUnavailable, "options.solver: unknown or unavailable solver '" + key + "' (available: " + known + ")",
                "options.solver");
}

int PollCancelFlag(void* flag) { return static_cast<const CancelFlag*>(flag)->load(std::memory_order_relaxed) ? 1 : 0; }

Result SolveWithoutVariables(const ProblemView& p) {
  Result r;
  r.y.assign(p.m, 0.0);
  r.status = Status::kSolved;
  std::vector<double> cert(p.m, 0.0);
  bool infeasible = false;
  for (int32_t i = 0; i < p.m; i++) {
    if (p.u[i] < 0) cert[i] = 1, infeasible = true;
    if (p.l[i] > 0) cert[i] = -1, infeasible = true;
  }
  if (infeasible) {
    r.status = Status::kPrimalInfeasible;
    r.certificate = std::move(cert);
  } else {
    r.has_duals = true;
  }
  return r;
}

namespace {

// ipm and admm report a P that is not PSD as ERR_QP_INVALID_MATRIX (older adapters) or
// ERR_QP_NOT_CONVEX; either becomes ERR_QP_NOT_CONVEX with a witness from our own check.
bool IsNotConvexError(const QpError& e) {
  if (std::string(e.code()) == code::kNotConvex) return true;
  return std::string(e.code()) == code::kInvalidMatrix && e.field() == "P" &&
         std::string(e.what()).find("not positive semidefinite") != std::string::npos;
}

// The ‖·‖∞-largest entry of v, or 0.
double MaxAbs(const std::vector<double>& v) {
  double r = 0;
  for (double e : v) r = std::max(r, std::fabs(e));
  return r;
}

// A candidate certificate of `kind` left in the solver's iterate: a diverging x is an
// improving ray, multipliers blowing up are a Farkas vector (y, z). Empty when there is none.
std::vector<double> CandidateFromIterate(const ProblemView& p, const Result& r, Status kind) {
  if (kind == Status::kDualInfeasible) return (int32_t)r.x.size() == p.n && MaxAbs(r.x) > 0 ? r.x : std::vector<double>{};
  if (!r.has_duals || (int32_t)r.y.size() != p.m || (int32_t)r.z.size() != p.n) return {};
  std::vector<double> yz(r.y);
  yz.insert(yz.end(), r.z.begin(), r.z.end());
  return yz;
}

// Whether the point x shows that (y, z) = yz is no Farkas certificate. For any x,
//   support(y, z) ≥ (Aᵀy + z)ᵀx − Σ |multiplier|·(what x violates on its side),
// so a negative support value is explained either by x's violations (a real certificate of an
// infeasible problem) or by the residual Aᵀy + z against x. When the residual part alone
// accounts for it, x (nearly feasible) refutes the certificate: Ipopt's optimal duals on QSEBA,
// ‖y‖ ~1e8, pass CertificateHolds' relative test and made a feasible problem "infeasible".
bool PointContradicts(const ProblemView& p, const std::vector<double>& x, const std::vector<double>& yz) {
  if ((int32_t)x.size() != p.n || (int64_t)yz.size() != (int64_t)p.m + p.n) return false;
  std::vector<double> r(yz.begin() + p.m, yz.end());
  MultiplyTransposedAdd(p.A, yz.data(), r.data());  // r = Aᵀy + z
  double support = 0, residual_part = 0;
  auto side = [&](double lo, double hi, double mult) {
    if (mult != 0) support += (mult > 0 ? hi : lo) * mult;
  };
  for (int32_t i = 0; i < p.m; i++) side(p.l[i], p.u[i], yz[i]);
  for (int32_t j = 0; j < p.n; j++) {
    side(p.LowerBound(j), p.UpperBound(j), yz[p.m + j]);
    residual_part += std::fabs(r[j] * x[j]);
  }
  return std::isfinite(support) && std::isfinite(residual_part) && support >= -2 * residual_part;
}

// x with the coordinates below share·‖x‖∞ set to zero (share 1: the largest alone).
std::vector<double> DivergingPart(const std::vector<double>& x, double share) {
  const double keep = share * MaxAbs(x);
  std::vector<double> d(x);
  for (double& e : d) {
    if (std::fabs(e) < keep) e = 0;
  }
  return d;
}

// A "solvedInaccurate" that is nowhere near a KKT point on one side (its residual beyond 1e-3
// of that side's data) may be a solver's "Optimal" on an unbounded or infeasible problem
// (HiGHS's QP solver: x = 0 with r_d = 1.9 on an unbounded QP, fuzz seed 50965): worth one LP
// looking for the certificate of that side. An answer that is merely inaccurate costs nothing.
bool GrosslyOff(const ProblemView& p, const Result& r, Status kind) {
  if (r.status != Status::kSolvedInaccurate) return false;
  double scale = 1;
  if (kind == Status::kDualInfeasible) {
    for (int32_t j = 0; j < p.n; j++) scale = std::max(scale, std::fabs(p.q[j]));
    return r.dual_residual > 1e-3 * scale;
  }
  for (int32_t i = 0; i < p.m; i++) {
    if (std::isfinite(p.l[i])) scale = std::max(scale, std::fabs(p.l[i]));
    if (std::isfinite(p.u[i])) scale = std::max(scale, std::fabs(p.u[i]));
  }
  return r.primal_residual > 1e-3 * scale;
}

// An answer with x ~1e20 (q of 1e20 drives it there) passes a relative primal test however
// far a row of O(1) data is violated: there the round-off of Ax alone exceeds the violation.
// Such an answer (‖x‖∞ beyond 1e12 times the largest finite bound) is accepted only after
// an LP finds no Farkas certificate; a usual answer costs nothing.
void CheckFarOutAnswer(const ProblemView& p, double time_left, const CancelFlag& cancel, Result& r) {
  if (r.status != Status::kSolved && r.status != Status::kSolvedInaccurate) return;
  double bounds = 1;
  for (int32_t i = 0; i < p.m; i++) {
    if (std::isfinite(p.l[i])) bounds = std::max(bounds, std::fabs(p.l[i]));
    if (std::isfinite(p.u[i])) bounds = std::max(bounds, std::fabs(p.u[i]));
  }
  for (int32_t j = 0; j < p.n; j++) {
    if (std::isfinite(p.LowerBound(j))) bounds = std::max(bounds, std::fabs(p.LowerBound(j)));
    if (std::isfinite(p.UpperBound(j))) bounds = std::max(bounds, std::fabs(p.UpperBound(j)));
  }
  if (!(MaxAbs(r.x) > 1e12 * bounds)) return;
  std::vector<double> yz = SearchCertificate(p, Status::kPrimalInfeasible, time_left, cancel);
  if (yz.empty() || !CertificateHolds(p, Status::kPrimalInfeasible, yz)) return;
  r.raw_status_text += " (diffqp: far out, and an LP found a certificate of primal infeasibility)";
  r.status = Status::kPrimalInfeasible;
  r.certificate = std::move(yz);
}

// An infeasible or unbounded status stands only with a certificate that holds on the
// caller's data. A solver without one (Ipopt, HiGHS's QP solver, Clp) often left it in its
// iterate; failing that, diffqp's own LP looks for it (certificate_search.hpp), for the kind
// claimed first, then the other (Clp calls some unbounded problems infeasible). A claim that
// nothing backs becomes solverFailed. A failed or inaccurate answer whose iterate is a
// certificate becomes that status (HiGHS's QP solver said "Optimal" at x₂ = 1e7 on an
// unbounded QP), and so does a "solved" whose x is an improving ray; no LP is spent on those.
void DecideByCertificate(const ProblemView& p, double time_left, const CancelFlag& cancel, Result& r) {
  const bool claims = r.status == Status::kPrimalInfeasible || r.status == Status::kDualInfeasible;
  if (claims && CertificateHolds(p, r.status, r.certificate)) return;
  if (r.status == Status::kCancelled || r.status == Status::kTimeLimit) return;
  // "Solved" far out along a ray passes the relative residual test (Ipopt on P = [[9,3],[3,1]],
  // q = (1, 0), unconstrained): its x is checked as a ray as well, at the cost of one P x, A x.
  const bool solved = r.status == Status::kSolved;
  const Status claimed = claims ? r.status : Status::kDualInfeasible;
  const Status other = claimed == Status::kPrimalInfeasible ? Status::kDualInfeasible : Status::kPrimalInfeasible;
  for (const Status kind : {claimed, other}) {
    if (solved && kind == Status::kPrimalInfeasible) continue;
    const char* what = kind == Status::kDualInfeasible ? "dual" : "primal";
    std::vector<double> found = CandidateFromIterate(p, r, kind);
    if (kind == Status::kPrimalInfeasible && !claims && PointContradicts(p, r.x, found)) found.clear();
    std::string how = kind == Status::kDualInfeasible ? "x is an improving ray" : "(y, z) is a Farkas certificate";
    if (kind == Status::kDualInfeasible && !found.empty() && !CertificateHolds(p, kind, found)) {
      // x may diverge along a few coordinates only, its other ones at finite values (HiGHS's
      // QP solver: "Optimal" with one free, unpenalised x_j at 1e4): those coordinates alone.
      for (const double share : {1e-3, 1.0}) {
        std::vector<double> large = DivergingPart(found, share);
        if (CertificateHolds(p, kind, large)) {
          found = std::move(large);
          how = "the diverging coordinates of x are an improving ray";
          break;
        }
      }
    }
    if (found.empty() || !CertificateHolds(p, kind, found)) {
      if (!claims && !GrosslyOff(p, r, kind)) continue;
      found = SearchCertificate(p, kind, time_left, cancel);
      how = std::string("an LP found a certificate of ") + what + " infeasibility";
      if (found.empty() || !CertificateHolds(p, kind, found)) continue;
    }
    r.raw_status_text += " (diffqp: " + how + ")";
    r.status = kind;
    r.certificate = std::move(found);
    return;
  }
  if (!claims) {
    CheckFarOutAnswer(p, time_left, cancel, r);
    return;
  }
  r.raw_status_text +=
      std::string(" (diffqp: no certificate of ") + (r.status == Status::kPrimalInfeasible ? "primal" : "dual") + " infeasibility holds)";
  r.status = Status::kSolverFailed;
  r.certificate.clear();
}

// A problem can be primal and dual infeasible at once (x free, 0·x = 1, q = 1): whichever a
// solver finds first, the answer is primalInfeasible (a ray of descent means nothing without a
// feasible point), so that every solver gives the same one.
void PreferPrimalInfeasibility(const ProblemView& p, double time_left, const CancelFlag& cancel, Result& r) {
  if (r.status != Status::kDualInfeasible) return;
  std::vector<double> yz = CandidateFromIterate(p, r, Status::kPrimalInfeasible);
  if (yz.empty() || !CertificateHolds(p, Status::kPrimalInfeasible, yz))
    yz = SearchCertificate(p, Status::kPrimalInfeasible, time_left, cancel);
  if (yz.empty() || !CertificateHolds(p, Status::kPrimalInfeasible, yz)) return;
  r.raw_status_text += " (diffqp: primal infeasible as well; a Farkas certificate holds)";
  r.status = Status::kPrimalInfeasible;
  r.certificate = std::move(yz);
}

}  // namespace

Result SolveProblem(const std::string& key, const ProblemView& p, const Settings& s, const CancelFlag& cancel, Solver* kept,
                    bool check_convexity) {
  const SolverEntry& entry = FindSolver(key);
  ValidateProblem(p);
  RequireWithinLimits(p, entry.capabilities.limits, entry.key);
  if (!entry.capabilities.checks_convexity && check_convexity) RequireConvex(p.P);
  // The solver's own time includes building and freeing its objects (Ipopt and HiGHS
  // spend real time there); what is left of a call's wall time is diffqp's overhead.
  const Timer clock;
  Result r;
  if (p.n == 0) {
    // Nothing to iterate on: one answer for every solver (some fail or refuse n = 0).
    r = SolveWithoutVariables(p);
    r.raw_status_text =
        r.status == Status::kSolved ? "no variables (diffqp: every row holds 0)" : "no variables (diffqp: a row excludes 0)";
  } else {
    try {
      std::unique_ptr<Solver> fresh = kept ? nullptr : entry.create();
      r = (kept ? kept : fresh.get())->Solve(p, s, cancel);
    } catch (const QpError& e) {
      if (!IsNotConvexError(e)) throw;
      const ConvexityVerdict v = CheckConvexity(p.P);
      if (!v.convex) ThrowNotConvex(v);
      throw QpError(code::kNotConvex, std::string(e.what()), "P");
    }
  }
  const double total = clock.Seconds();
  r.setup_seconds = std::max(0.0, total - r.solve_seconds);
  if (cancel.load() && r.status != Status::kSolved) r.status = Status::kCancelled;
  // A solver that measured this very answer (r.measured) is not measured twice: same sums, same bits.
  const bool dropped = DropMultipliersAtInfiniteBounds(p, r);
  if (dropped || !r.measured) MeasureSolution(p, s, r);
  r.measured = false;
  DecideByCertificate(p, s.time_limit - clock.Seconds(), cancel, r);
  PreferPrimalInfeasibility(p, s.time_limit - clock.Seconds(), cancel, r);
  return r;
}

}  // namespace diffqp
