// A parametric problem (lib/parametric.ts): one pattern of P and A, solved many times with new
// values. The native object owns a copy of the problem and a solver kept between solves
// (create_parametric: ipm keeps its ordering and symbolic analysis, admm its factorisation and
// iterates), the last solution, and the factorization of K its first kkt pass built.
//
//   parametricCreate(problem, options) → handle (an External)
//   parametricSolveSync(handle, {q?, l?, u?, lb?, ub?, Pvalues?, Avalues?}, out?) → result (as
//     solveSync, plus `setups`: how many times the solver set up from scratch so far, and
//     `fromActiveSet`: the answer came from the last active set, the solver did not run); with
//     out = [info, x, y, z] the numbers go into those Float64Arrays and the raw status text is
//     returned (lib/parametric.ts reads them back: no JS object built here)
//   parametricDifferentiateSync(handle, {dx, dy?, dz?}, options, out?): differentiateSync on the
//     last solution; out = [info, dP, dq, dA, dl, du, dlb, dub] likewise
//   parametricDispose(handle): frees the solver, the solution and the factor now
//
// With options.activeSetStart (lib/parametric.ts: on unless false), a solve first tries the last
// solution's active set (kkt/active_set_start.hpp): a few factorisations of the reduced KKT
// matrix instead of the solver's iterations, and the K the backward pass needs. Its answer is
// measured as any solver's (MeasureSolution) and stands only if it passes; otherwise the solver
// runs. Not tried while P's new values have not been through the solver's convexity check, and
// tried less often after misses (a backoff), so that a problem whose active set moves a lot pays
// little for it.
//
// Every solve is judged as solveSync's is (SolveProblem: residuals measured here, certificates
// checked on the data), whatever the solver says. Sync only: the problems this is for solve in
// µs, less than a trip through the threadpool costs.
#include "parametric_addon.hpp"

#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/residuals.hpp"
#include "../core/timer.hpp"
#include "../core/validate.hpp"
#include "../kkt/active_set.hpp"
#include "../kkt/active_set_start.hpp"
#include "../kkt/polish.hpp"
#include "../kkt/reduced_kkt.hpp"
#include "../solvers/solver.hpp"
#include "convert.hpp"
#include "differentiate_addon.hpp"
#include "solve_addon.hpp"

namespace diffqp {
namespace {

struct Parametric {
  std::string key;
  Settings settings;
  bool keep_factor = false;
  bool active_set_start = false;
  int32_t start_backoff = 0, start_skip = 0;  // after a miss, the next start_skip solves skip the try
  bool start_point = false;                   // x, y, z hold a solved point to read an active set from
  std::vector<int32_t> Pp, Pi, Ap, Ai;
  std::vector<double> Px, Ax, q, l, u, lb, ub;
  std::vector<double> previous[7];  // the parts a solve replaced (q, l, u, lb, ub, Px, Ax), until it succeeds
  ProblemView view;                 // over the vectors above
  std::unique_ptr<Solver> solver;
  MatrixChanges changed;  // since the solver last solved
  bool has_solution = false;
  std::vector<double> x, y, z;
  std::shared_ptr<const ReducedKkt> factor;  // of K at (x, y, z), once a kkt pass built it
  int64_t reported_bytes = 0;                // told to V8
  bool disposed = false;

  int64_t Bytes() const {
    if (disposed) return 0;
    int64_t b = (int64_t)(Pp.size() + Pi.size() + Ap.size() + Ai.size()) * 4;
    b += (int64_t)(Px.size() + Ax.size() + q.size() + l.size() + u.size() + lb.size() + ub.size() + x.size() + y.size() + z.size()) * 8;
    if (solver) b += (int64_t)solver->Bytes();
    if (factor) b += (int64_t)factor->Bytes();
    return b;
  }

  // Tells V8 what the object holds now, so that parametric objects left to the garbage
  // collector are collected for their native memory.
  void Report(Napi::Env env) {
    const int64_t now = Bytes();
    if (now != reported_bytes) Napi::MemoryManagement::AdjustExternalMemory(env, now - reported_bytes);
    reported_bytes = now;
  }
};

constexpr napi_type_tag kParametricTag = {0x6469666671707061ULL, 0x72616d6574726963ULL};

Parametric& Require(const Napi::CallbackInfo& info) {
  Napi::Value v = info.Length() > 0 ? info[0] : info.Env().Undefined();
  if (!v.IsExternal() || !v.As<Napi::External<Parametric>>().CheckTypeTag(&kParametricTag)) {
    throw QpError(code::kInvalidType, "handle: must be a parametric problem made by parametricCreate()", "handle");
  }
  Parametric& s = *v.As<Napi::External<Parametric>>().Data();
  if (s.disposed) throw QpError(code::kDisposed, "parametric problem: it was disposed", "parametric");
  return s;
}

template <typename T>
std::vector<T> Copy(const T* data, size_t count) {
  return data ? std::vector<T>(data, data + count) : std::vector<T>();
}

// The problem's own copy; the view points into it.
void Own(Parametric& s, const ProblemView& p) {
  s.Pp = Copy(p.P.Ap, (size_t)p.n + 1);
  s.Pi = Copy(p.P.Ai, (size_t)p.P.nnz());
  s.Px = Copy(p.P.Ax, (size_t)p.P.nnz());
  s.Ap = Copy(p.A.Ap, (size_t)p.n + 1);
  s.Ai = Copy(p.A.Ai, (size_t)p.A.nnz());
  s.Ax = Copy(p.A.Ax, (size_t)p.A.nnz());
  s.q = Copy(p.q, (size_t)p.n);
  s.l = Copy(p.l, (size_t)p.m);
  s.u = Copy(p.u, (size_t)p.m);
  if (p.lb) s.lb = Copy(p.lb, (size_t)p.n);
  if (p.ub) s.ub = Copy(p.ub, (size_t)p.n);
  // Bounds come in pairs: one side alone is the other side infinite.
  if (p.lb && !p.ub) s.ub.assign(p.n, kInf);
  if (p.ub && !p.lb) s.lb.assign(p.n, -kInf);
  ProblemView& v = s.view;
  v = p;
  v.P.Ap = s.Pp.data();
  v.P.Ai = s.Pi.data();
  v.P.Ax = s.Px.data();
  v.A.Ap = s.Ap.data();
  v.A.Ai = s.Ai.data();
  v.A.Ax = s.Ax.data();
  v.q = s.q.data();
  v.l = s.l.data();
  v.u = s.u.data();
  v.lb = s.lb.empty() && !p.lb && !p.ub ? nullptr : s.lb.data();
  v.ub = s.ub.empty() && !p.lb && !p.ub ? nullptr : s.ub.data();
}

Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject()) {
      throw QpError(code::kInvalidType, "parametricCreate(problem, options): both must be objects", "problem");
    }
    BorrowedProblem borrowed;
    ReadProblem(info[0].As<Napi::Object>(), borrowed);
    ValidateProblem(borrowed.view);
    auto s = std::make_unique<Parametric>();
    std::vector<Napi::ObjectReference> refs;
    ReadSettings(info[1].As<Napi::Object>(), borrowed.view, s->settings, s->key, refs);
    if (s->settings.x0 || s->settings.y0 || s->settings.z0) {
      throw QpError(code::kInvalidOption, "options.x0: a parametric problem warm-starts itself (admm) and takes no warm start",
                    "options.x0");
    }
    s->keep_factor = ReadKeepFactor(info[1].As<Napi::Object>());
    const Napi::Value start = info[1].As<Napi::Object>().Get("activeSetStart");
    s->active_set_start = start.IsBoolean() && start.As<Napi::Boolean>().Value();
    const SolverEntry& entry = FindSolver(s->key);
    if (!entry.create_parametric) {
      throw QpError(code::kInvalidOption,
                    "options.solver: '" + s->key + "' keeps no workspace between solves; a parametric problem takes 'ipm' or 'admm'",
                    "options.solver");
    }
    Own(*s, borrowed.view);
    s->solver = entry.create_parametric();
    auto ext = Napi::External<Parametric>::New(env, s.release(), [](Napi::Env fenv, Parametric* p) {
      p->disposed = true;
      p->Report(fenv);
      delete p;
    });
    ext.TypeTag(&kParametricTag);
    ext.Data()->Report(env);
    return ext;
  });
}

// Reads values.<key> (a Float64Array of `count`, or absent: null).
const double* ReadValues(const Napi::Object& values, const char* key, size_t count, std::vector<Napi::ObjectReference>& refs) {
  if (values.Get(key).IsUndefined()) return nullptr;
  return ReadDoubles(values, key, std::string("values.") + key, count, false, refs);
}

// At most this many factorisations of K per try: a training step's active set moves by a few
// constraints, each step of the correction moves several.
constexpr int32_t kStartSteps = 6;

// The try of the last solution's active set (see the top of the file): true when its answer
// passed the measure and is in r; *factor then holds its K when that K serves the backward pass.
// `previous`: K of the last solution, when P and A still have the values it was built on.
// *spent: the seconds the try took (charged to a time limit). Under a time limit the try makes
// no new factorisation past half of it, so that the solver keeps at least the other half.
bool TryActiveSetStart(Parametric& s, std::shared_ptr<const ReducedKkt> previous, Result& r, std::shared_ptr<const ReducedKkt>* factor,
                       double* spent) {
  *spent = 0;
  if (!s.active_set_start || !s.start_point || s.changed.P) return false;
  if (s.start_skip > 0) {
    s.start_skip--;
    return false;
  }
  const ProblemView& p = s.view;
  const Timer clock;
  Result trial;
  const ActiveSetStart start =
      StartFromActiveSet(p, s.x.data(), s.y.data(), s.z.data(), kStartSteps, std::move(previous), trial, s.settings.time_limit / 2);
  *spent = clock.Seconds();
  if (start.found) {
    DropMultipliersAtInfiniteBounds(p, trial);
    MeasureSolution(p, s.settings, trial);  // the judge of every answer
  }
  if (!start.found || trial.status != Status::kSolved) {
    s.start_backoff = std::min(std::max(1, 2 * s.start_backoff), 16);
    s.start_skip = s.start_backoff;
    return false;
  }
  s.start_backoff = 0;
  trial.raw_status = 0;
  trial.raw_status_text = "solved on the last solution's active set (" + std::to_string(start.steps) + " active-set step(s), " +
                          std::to_string(start.factorisations) + " factorisation(s) of the reduced KKT matrix; the solver did not run)";
  trial.solve_seconds = clock.Seconds();
  if (start.factor->Serves(p, trial.x.data(), trial.y.data(), trial.z.data(), ActiveSetOptions())) *factor = start.factor;
  r = std::move(trial);
  return true;
}

void Put(std::vector<double>& to, const double* from) {
  if (from && !to.empty()) std::memcpy(to.data(), from, to.size() * sizeof(double));
}

Napi::Value SolveSyncJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    Parametric& s = Require(info);
    if (info.Length() < 2 || !info[1].IsObject()) throw QpError(code::kInvalidType, "values: must be an object", "values");
    Napi::Object values = info[1].As<Napi::Object>();
    std::vector<Napi::ObjectReference> refs;
    const ProblemView& p = s.view;
    const double* q = ReadValues(values, "q", p.n, refs);
    const double* l = ReadValues(values, "l", p.m, refs);
    const double* u = ReadValues(values, "u", p.m, refs);
    const double* lb = ReadValues(values, "lb", p.n, refs);
    const double* ub = ReadValues(values, "ub", p.n, refs);
    const double* Px = ReadValues(values, "Pvalues", p.P.nnz(), refs);
    const double* Ax = ReadValues(values, "Avalues", p.A.nnz(), refs);
    if ((lb || ub) && !p.lb)
      throw QpError(code::kInvalidBounds, "values.lb/ub: the structure has no variable bounds (give lb or ub when creating it)",
                    lb ? "values.lb" : "values.ub");
    // The new values checked together with the ones they keep, before any is taken: a call
    // that throws leaves the problem as it was.
    ProblemView candidate = p;
    if (q) candidate.q = q;
    if (l) candidate.l = l;
    if (u) candidate.u = u;
    if (lb) candidate.lb = lb;
    if (ub) candidate.ub = ub;
    if (Px) candidate.P.Ax = Px;
    if (Ax) candidate.A.Ax = Ax;
    ValidateProblem(candidate);
    // The parts replaced are kept aside: a solve that throws (P no longer convex, say) puts
    // them back, so that the object holds the values it held before the call.
    struct Part {
      std::vector<double>* to;
      const double* from;
    };
    const Part parts[] = {{&s.q, q}, {&s.l, l}, {&s.u, u}, {&s.lb, lb}, {&s.ub, ub}, {&s.Px, Px}, {&s.Ax, Ax}};
    size_t k = 0;
    for (const Part& part : parts) {
      std::vector<double>& kept = s.previous[k++];
      if (!part.from) continue;
      kept.assign(part.to->begin(), part.to->end());  // same size every call: no allocation once warm
      Put(*part.to, part.from);
    }
    if (Px) s.changed.P = true;
    if (Ax) s.changed.A = true;
    // The old solution and its K go first: a failed solve leaves none to differentiate. Its K
    // may start the next active set while P and A keep their values.
    s.has_solution = false;
    std::shared_ptr<const ReducedKkt> previous = std::move(s.factor);
    s.factor.reset();
    if (Px || Ax) previous.reset();
    CancelFlag never(false);
    PolishReport report;
    Result r;
    std::shared_ptr<const ReducedKkt> start_factor;
    double start_seconds = 0;
    const bool started = TryActiveSetStart(s, previous, r, &start_factor, &start_seconds);
    if (!started) {
      s.solver->Changed(s.changed);
      Settings settings = s.settings;  // a time limit counts the try too
      if (std::isfinite(settings.time_limit)) settings.time_limit = std::max(0.0, settings.time_limit - start_seconds);
      try {
        r = SolveAndPolish(s.key, p, settings, never, report, s.solver.get(), s.changed.P);
      } catch (...) {
        k = 0;
        for (const Part& part : parts) {
          const std::vector<double>& kept = s.previous[k++];
          if (part.from) Put(*part.to, kept.data());
        }
        throw;  // s.changed stays set: the next solve reads the restored values
      }
      s.changed = MatrixChanges{false, false};  // the solver has them (a start leaves them for its next run)
    }
    s.x = r.x;  // same sizes every call: no allocation once warm
    s.y = r.y;
    s.z = r.z;
    s.has_solution = true;
    s.start_point = r.status == Status::kSolved;
    if (s.keep_factor) s.factor = started ? start_factor : report.factor;
    if (s.keep_factor && !s.factor && previous && r.has_duals && (r.status == Status::kSolved || r.status == Status::kSolvedInaccurate)) {
      // The solver's answer on the last solution's active set: K depends on P, A and the set
      // alone, so the last K serves its backward pass.
      if (previous->Serves(p, r.x.data(), r.y.data(), r.z.data(), ActiveSetOptions())) s.factor = std::move(previous);
    }
    s.Report(env);
    // out = [info, x, y, z] from lib/parametric.ts: filled in place, the raw status text
    // returned (a result with a certificate takes the object path)
    if (info.Length() > 2 && info[2].IsArray() && r.certificate.empty()) {
      Napi::Array out = info[2].As<Napi::Array>();
      const PolishReport& pr = report;
      const std::vector<double> scalars = {static_cast<double>(r.status),
                                           static_cast<double>(r.raw_status),
                                           r.has_duals ? 1.0 : 0.0,
                                           r.objective,
                                           r.primal_residual,
                                           r.dual_residual,
                                           r.duality_gap,
                                           static_cast<double>(r.iterations),
                                           r.setup_seconds,
                                           r.solve_seconds,
                                           static_cast<double>(s.solver->Setups()),
                                           pr.attempted ? 1.0 : 0.0,
                                           pr.applied ? 1.0 : 0.0,
                                           pr.before[0],
                                           pr.before[1],
                                           pr.before[2],
                                           pr.after[0],
                                           pr.after[1],
                                           pr.after[2],
                                           started ? 1.0 : 0.0};
      const std::vector<double>* parts[] = {&scalars, &r.x, &r.y, &r.z};
      const char* names[] = {"info", "x", "y", "z"};
      for (uint32_t k = 0; k < 4; k++) FillFloat64(out, k, *parts[k], names[k]);
      return Napi::String::New(env, r.raw_status_text);
    }
    Napi::Object o = WithPolish(env, ResultToJs(env, r), report, false);
    o.Set("setups", static_cast<double>(s.solver->Setups()));
    o.Set("fromActiveSet", started);
    return o;
  });
}

Napi::Value DifferentiateSyncJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    Parametric& s = Require(info);
    if (!s.has_solution) {
      throw QpError(code::kNotDifferentiable,
                    "parametric problem: has no solution to differentiate (call solveSync first; a solve that threw leaves none)",
                    "parametric");
    }
    const Napi::Value seeds = info.Length() > 1 ? info[1] : env.Undefined(), options = info.Length() > 2 ? info[2] : env.Undefined();
    Napi::Value out =
        info.Length() > 3 && info[3].IsArray()
            ? DifferentiateOwnedInto(env, s.view, s.x.data(), s.y.data(), s.z.data(), seeds, options, info[3].As<Napi::Array>(), s.factor)
            : DifferentiateOwned(env, s.view, s.x.data(), s.y.data(), s.z.data(), seeds, options, false, s.factor);
    s.Report(env);
    return out;
  });
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    Napi::Value v = info.Length() > 0 ? info[0] : env.Undefined();
    if (!v.IsExternal() || !v.As<Napi::External<Parametric>>().CheckTypeTag(&kParametricTag)) {
      throw QpError(code::kInvalidType, "handle: must be a parametric problem made by parametricCreate()", "handle");
    }
    Parametric& s = *v.As<Napi::External<Parametric>>().Data();
    if (s.disposed) return env.Undefined();
    s.disposed = true;
    s.solver.reset();
    s.factor.reset();
    s.has_solution = false;
    for (auto* w : {&s.Px, &s.Ax, &s.q, &s.l, &s.u, &s.lb, &s.ub, &s.x, &s.y, &s.z}) std::vector<double>().swap(*w);
    s.Report(env);
    return env.Undefined();
  });
}

}  // namespace

void RegisterParametric(Napi::Env env, Napi::Object exports) {
  // the Status enum's names in its order: the status code of a filled `info` indexes it
  Napi::Array names = Napi::Array::New(env);
  for (int k = 0; k <= static_cast<int>(Status::kSolverFailed); k++) names.Set(k, StatusName(static_cast<Status>(k)));
  exports.Set("statusNames", names);
  exports.Set("parametricCreate", Napi::Function::New(env, Create, "parametricCreate"));
  exports.Set("parametricSolveSync", Napi::Function::New(env, SolveSyncJs, "parametricSolveSync"));
  exports.Set("parametricDifferentiateSync", Napi::Function::New(env, DifferentiateSyncJs, "parametricDifferentiateSync"));
  exports.Set("parametricDispose", Napi::Function::New(env, Dispose, "parametricDispose"));
}

}  // namespace diffqp
