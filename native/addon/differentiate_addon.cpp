// differentiateSync / differentiateAsync: vector–Jacobian products of a QP solution
// (native/backward). Same shape as solve: read and check everything on the main thread,
// compute on the threadpool without N-API, build the result back on the JS thread
// (promise_worker.hpp); inputs stay referenced.
//
//   differentiateSync(problem, {x, y, z}, {dx, dy?, dz?}, {method: 'kkt' | 'full' | 'penalty' | 'qp', epsActive,
//                     normalizeRows, refineActiveSet, penaltyBeta, penaltyKappa,
//                     penaltySolver: 'auto' | 'cholmod' | 'cg', factorCache})
//   → {dP, dq, dA, dl, du, dlb, dub, differentiable, reason, activeRows, activeBounds,
//      factorTime, solveTime, iterations}
//   jvpSync(problem, {x, y, z}, {dP?, dq?, dA?, dl?, du?, dlb?, dub?}, {epsActive, normalizeRows,
//           refineActiveSet, factorCache})   (kkt only)
//   → {dx, dy, dz, differentiable, reason, activeRows, activeBounds, factorTime, solveTime}
// (and the async variants differentiateAsync / jvpAsync, which return promises)
//   differentiateBatchSync/Async(problems[], solutions[], seeds[], options[], threads): the
//   same passes on a pool of native threads, gradients in order.
//   options.factorCache: a cache made by newFactorCache() (factor_cache.hpp), shared by the kkt
//   passes and jvps of one solution.
#include "differentiate_addon.hpp"

#include <napi.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "../backward/backward.hpp"
#include "../core/error.hpp"
#include "../core/validate.hpp"
#include "../kkt/reduced_kkt.hpp"
#include "convert.hpp"
#include "factor_cache.hpp"
#include "promise_worker.hpp"
#include "release_memory.hpp"
#include "thread_pool.hpp"

namespace diffqp {
namespace {

struct DiffInputs {
  std::unique_ptr<BorrowedProblem> problem = std::make_unique<BorrowedProblem>();
  const double* x = nullptr;
  const double* y = nullptr;
  const double* z = nullptr;
  const double* dx = nullptr;
  DualSeeds duals;                                            // grads.dy, grads.dz (optional)
  const BackwardMethod* method = &BackwardMethods().front();  // kkt, the default
  bool forward = false;                                       // jvp: tangents instead of dx (kkt only)
  Tangents tangents;
  BackwardOptions options;
  FactorCacheRef cache;  // kkt / jvp only; null: factorise for this call alone
  std::vector<Napi::ObjectReference> keep_alive;
};

const double* ReadVector(const Napi::Object& o, const char* key, const std::string& field, size_t length, bool finite,
                         std::vector<Napi::ObjectReference>& keep_alive) {
  return ReadDoubles(o, key, field, length, false, keep_alive, finite ? Finite::kAll : Finite::kNoNaN);
}

const double* ReadOptionalVector(const Napi::Object& o, const char* key, const std::string& field, size_t length,
                                 std::vector<Napi::ObjectReference>& keep_alive) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  return ReadVector(o, key, field, length, true, keep_alive);
}

void ReadSeedsAndOptions(const Napi::Value& seeds, const Napi::Value& options, DiffInputs& in);

// (problem, solution, seeds, options) of one pass; options may be undefined.
void ReadInputs(const Napi::Value& problem, const Napi::Value& solution, const Napi::Value& seeds, const Napi::Value& options,
                DiffInputs& in) {
  if (!problem.IsObject() || !solution.IsObject() || !seeds.IsObject()) {
    throw QpError(code::kInvalidType, "differentiate(problem, solution, {dx}, options): the first three must be objects", "problem");
  }
  ReadProblem(problem.As<Napi::Object>(), *in.problem);
  const ProblemView& p = in.problem->view;
  ValidateProblem(p);
  Napi::Object sol = solution.As<Napi::Object>();
  in.x = ReadVector(sol, "x", "solution.x", p.n, true, in.keep_alive);
  in.y = ReadVector(sol, "y", "solution.y", p.m, true, in.keep_alive);
  in.z = ReadVector(sol, "z", "solution.z", p.n, true, in.keep_alive);
  ReadSeedsAndOptions(seeds, options, in);
}

// The seeds (or tangents) and options of one pass on in.problem, whose x, y, z are set.
void ReadSeedsAndOptions(const Napi::Value& seeds, const Napi::Value& options, DiffInputs& in) {
  if (!seeds.IsObject())
    throw QpError(code::kInvalidType, in.forward ? "tangents: must be an object" : "grads: must be an object",
                  in.forward ? "tangents" : "grads");
  const ProblemView& p = in.problem->view;
  if (in.forward) {
    Napi::Object t = seeds.As<Napi::Object>();
    in.tangents.dP = ReadOptionalVector(t, "dP", "tangents.dP", p.P.nnz(), in.keep_alive);
    in.tangents.dq = ReadOptionalVector(t, "dq", "tangents.dq", p.n, in.keep_alive);
    in.tangents.dA = ReadOptionalVector(t, "dA", "tangents.dA", p.A.nnz(), in.keep_alive);
    in.tangents.dl = ReadOptionalVector(t, "dl", "tangents.dl", p.m, in.keep_alive);
    in.tangents.du = ReadOptionalVector(t, "du", "tangents.du", p.m, in.keep_alive);
    in.tangents.dlb = ReadOptionalVector(t, "dlb", "tangents.dlb", p.n, in.keep_alive);
    in.tangents.dub = ReadOptionalVector(t, "dub", "tangents.dub", p.n, in.keep_alive);
  } else {
    Napi::Object grads = seeds.As<Napi::Object>();
    in.dx = ReadVector(grads, "dx", "grads.dx", p.n, true, in.keep_alive);
    in.duals.dy = ReadOptionalVector(grads, "dy", "grads.dy", p.m, in.keep_alive);
    in.duals.dz = ReadOptionalVector(grads, "dz", "grads.dz", p.n, in.keep_alive);
  }
  if (options.IsObject()) {
    Napi::Object o = options.As<Napi::Object>();
    Napi::Value method = o.Get("method");
    if (!method.IsUndefined()) {
      const std::string key = method.IsString() ? method.As<Napi::String>().Utf8Value() : std::string();
      const BackwardMethod* found = FindBackwardMethod(key);
      if (!found || (in.forward && !found->uses_factor)) {
        std::string names;
        for (const BackwardMethod& m : BackwardMethods()) names += (names.empty() ? "'" : ", '") + std::string(m.name) + "'";
        throw QpError(code::kInvalidOption,
                      in.forward ? "options.method: jvp supports 'kkt' only" : "options.method: must be one of " + names, "options.method");
      }
      in.method = found;
    }
    auto positive = [&](const char* key, double& target) {
      Napi::Value v = o.Get(key);
      if (v.IsUndefined()) return;
      const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
      if (!(d > 0 && std::isfinite(d)))
        throw QpError(code::kInvalidOption, std::string("options.") + key + ": must be a positive number", std::string("options.") + key);
      target = d;
    };
    positive("penaltyBeta", in.options.penalty_beta);
    positive("penaltyKappa", in.options.penalty_kappa);
    Napi::Value psolver = o.Get("penaltySolver");
    if (!psolver.IsUndefined()) {
      const std::string key = psolver.IsString() ? psolver.As<Napi::String>().Utf8Value() : std::string();
      if (key == "auto") {
        in.options.penalty_solver = BackwardOptions::PenaltySolver::kAuto;
      } else if (key == "cholmod") {
        in.options.penalty_solver = BackwardOptions::PenaltySolver::kCholmod;
      } else if (key == "cg") {
        in.options.penalty_solver = BackwardOptions::PenaltySolver::kCg;
      } else {
        throw QpError(code::kInvalidOption, "options.penaltySolver: must be 'auto', 'cholmod' or 'cg'", "options.penaltySolver");
      }
    }
    Napi::Value cache = o.Get("factorCache");
    if (!cache.IsUndefined()) in.cache = RequireFactorCache(cache, "options.factorCache");
    auto flag = [&](const char* key, bool& target) {
      Napi::Value v = o.Get(key);
      if (v.IsUndefined()) return;
      if (!v.IsBoolean())
        throw QpError(code::kInvalidOption, std::string("options.") + key + ": must be a boolean", std::string("options.") + key);
      target = v.As<Napi::Boolean>().Value();
    };
    flag("normalizeRows", in.options.normalize_rows);
    flag("refineActiveSet", in.options.refine_active_set);
    Napi::Value eps = o.Get("epsActive");
    if (!eps.IsUndefined()) {
      const double e = eps.IsNumber() ? eps.As<Napi::Number>().DoubleValue() : -1;
      if (!(e >= 0 && std::isfinite(e)))
        throw QpError(code::kInvalidOption, "options.epsActive: must be a non-negative number", "options.epsActive");
      in.options.eps_active = e;
    }
  }
}

// The result of either direction; only one half is filled.
struct Output {
  Gradients backward;
  ForwardResult forward;
};

// The cache's factorization of K, built now (under the cache's lock, so that concurrent first
// passes wait for one build instead of each building their own) when it has none that
// matches. `built` says whether this call paid for it.
std::shared_ptr<const ReducedKkt> CachedFactor(const DiffInputs& in, bool& built) {
  built = false;
  if (!in.cache) return nullptr;
  const ProblemView& p = in.problem->view;
  std::lock_guard<std::mutex> lock(in.cache->mutex);
  if (!in.cache->kkt || !in.cache->kkt->Matches(p, in.options)) {
    in.cache->Set(ReducedKkt::Build(p, in.x, in.y, in.z, in.options));
    built = true;
  }
  return in.cache->kkt;
}

Output Run(const DiffInputs& in) {
  const ProblemView& p = in.problem->view;
  Output out;
  const bool uses_k = in.forward || in.method->uses_factor;
  bool built = false;
  auto cached = uses_k ? CachedFactor(in, built) : nullptr;
  // A factorization this call built for the cache is charged to this call.
  auto charge_build = [&](auto& result) {
    if (!built) return;
    result.factor_reused = false;
    result.factor_seconds = cached->factor_seconds;
  };
  if (in.forward) {
    out.forward = KktForward(p, in.x, in.y, in.z, in.tangents, in.options, cached);
    charge_build(out.forward);
  } else {
    out.backward = in.method->run({p, in.x, in.y, in.z, in.dx, in.options, cached, in.duals});
    if (in.method->uses_factor) charge_build(out.backward);
  }
  ReleaseFreedMemory(p);
  return out;
}

Napi::Object ForwardToJs(Napi::Env env, const ForwardResult& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("dx", ToFloat64Array(env, f.dx));
  o.Set("dy", ToFloat64Array(env, f.dy));
  o.Set("dz", ToFloat64Array(env, f.dz));
  o.Set("differentiable", f.differentiable);
  o.Set("reason", f.reason);
  o.Set("activeRows", f.active_rows);
  o.Set("activeBounds", f.active_bounds);
  o.Set("factorTime", f.factor_seconds);
  o.Set("solveTime", f.solve_seconds);
  o.Set("factorReused", f.factor_reused);
  o.Set("activeSetChanges", f.active_set_changes);
  return o;
}

Napi::Object GradientsToJs(Napi::Env env, const Gradients& g);

Napi::Object OutputToJs(Napi::Env env, const DiffInputs& in, const Output& out) {
  return in.forward ? ForwardToJs(env, out.forward) : GradientsToJs(env, out.backward);
}

Napi::Object GradientsToJs(Napi::Env env, const Gradients& g) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("dP", ToFloat64Array(env, g.dP));
  o.Set("dq", ToFloat64Array(env, g.dq));
  o.Set("dA", ToFloat64Array(env, g.dA));
  o.Set("dl", ToFloat64Array(env, g.dl));
  o.Set("du", ToFloat64Array(env, g.du));
  o.Set("dlb", ToFloat64Array(env, g.dlb));
  o.Set("dub", ToFloat64Array(env, g.dub));
  o.Set("differentiable", g.differentiable);
  o.Set("reason", g.reason);
  o.Set("activeRows", g.active_rows);
  o.Set("activeBounds", g.active_bounds);
  o.Set("factorTime", g.factor_seconds);
  o.Set("solveTime", g.solve_seconds);
  o.Set("iterations", g.iterations);
  o.Set("factorReused", g.factor_reused);
  o.Set("activeSetChanges", g.active_set_changes);
  return o;
}

// An async pass (promise_worker.hpp): the cache's memory is reported whatever the run did,
// since a build may have replaced its factor before a failure.
struct AsyncPass {
  std::unique_ptr<DiffInputs> in;
  Output out;
};
void RunPass(AsyncPass& s) { s.out = Run(*s.in); }
void ReportPass(Napi::Env env, AsyncPass& s) {
  if (s.in->cache) ReportExternalMemory(env, *s.in->cache);
}
Napi::Value SettlePass(Napi::Env env, AsyncPass& s) { return OutputToJs(env, *s.in, s.out); }

Napi::Value RunSync(const Napi::CallbackInfo& info, bool forward) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    DiffInputs in;
    in.forward = forward;
    ReadInputs(info[0], info[1], info[2], info[3], in);
    // reported also when Run throws, since a build may have replaced the cache's factor first
    struct Report {
      Napi::Env env;
      const FactorCacheRef& cache;
      ~Report() {
        if (cache) ReportExternalMemory(env, *cache);
      }
    } report{env, in.cache};
    return OutputToJs(env, in, Run(in));
  });
}

Napi::Value RunAsync(const Napi::CallbackInfo& info, bool forward) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    auto in = std::make_unique<DiffInputs>();
    in->forward = forward;
    ReadInputs(info[0], info[1], info[2], info[3], *in);
    return PromiseWorker<AsyncPass>::Start(env, "diffqp:differentiate", AsyncPass{std::move(in), {}}, RunPass, SettlePass, ReportPass);
  });
}

// differentiateBatchSync/Async(problems, solutions, seeds, options, threads): the passes of
// differentiateSync on a pool of native threads (thread_pool.hpp), gradients in order; the
// first failure by index rejects the batch, named solutions[k].
struct DiffBatch {
  std::vector<DiffInputs> items;
  std::vector<Output> outputs;
  std::vector<std::exception_ptr> errors;
  uint32_t threads = 1;
};

void ReadDiffBatch(const Napi::CallbackInfo& info, DiffBatch& b) {
  for (size_t a = 0; a < 4; a++) {
    if (!info[a].IsArray())
      throw QpError(code::kInvalidType, "differentiateBatch(problems, solutions, seeds, options, threads): four arrays and a thread count",
                    "solutions");
  }
  const uint32_t count = info[0].As<Napi::Array>().Length();
  for (size_t a = 1; a < 4; a++) {
    if (info[a].As<Napi::Array>().Length() != count)
      throw QpError(code::kDimensionMismatch, "differentiateBatch: problems, solutions, seeds and options must have one entry each",
                    "seeds");
  }
  if (!info[4].IsNumber())
    throw QpError(code::kInvalidOption, "options.threads: must be an integer from 1 to " + std::to_string(kMaxBatchThreads),
                  "options.threads");
  b.threads = CheckThreads(info[4].As<Napi::Number>().DoubleValue(), count);
  b.items = std::vector<DiffInputs>(count);
  b.outputs.resize(count);
  b.errors.resize(count);
  for (uint32_t k = 0; k < count; k++) {
    try {
      ReadInputs(info[0].As<Napi::Array>().Get(k), info[1].As<Napi::Array>().Get(k), info[2].As<Napi::Array>().Get(k),
                 info[3].As<Napi::Array>().Get(k), b.items[k]);
    } catch (const QpError&) {
      RethrowAt("solutions[" + std::to_string(k) + "]", std::current_exception());
    }
  }
}

void RunDiffBatch(DiffBatch& b) {
  const std::atomic<bool> never{false};
  RunOnThreads(b.items.size(), b.threads, never, [&](size_t k, uint32_t) {
    try {
      b.outputs[k] = Run(b.items[k]);
      return true;
    } catch (...) {
      b.errors[k] = std::current_exception();
      return false;
    }
  });
}

// On the JS thread: the caches' memory told to V8 (a build may have replaced a factor even in a
// failed pass), then the first failure or the gradients.
Napi::Array FinishDiffBatch(Napi::Env env, const DiffBatch& b) {
  for (const auto& in : b.items) {
    if (in.cache) ReportExternalMemory(env, *in.cache);
  }
  for (size_t k = 0; k < b.errors.size(); k++) {
    if (b.errors[k]) RethrowAt("solutions[" + std::to_string(k) + "]", b.errors[k]);
  }
  Napi::Array out = Napi::Array::New(env, b.items.size());
  for (uint32_t k = 0; k < b.items.size(); k++) out.Set(k, OutputToJs(env, b.items[k], b.outputs[k]));
  return out;
}

struct AsyncDiffBatch {
  std::unique_ptr<DiffBatch> batch;
};
void RunAsyncDiffBatch(AsyncDiffBatch& s) { RunDiffBatch(*s.batch); }
Napi::Value SettleDiffBatch(Napi::Env env, AsyncDiffBatch& s) { return FinishDiffBatch(env, *s.batch); }

Napi::Value DifferentiateBatchSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    DiffBatch b;
    ReadDiffBatch(info, b);
    RunDiffBatch(b);
    return FinishDiffBatch(env, b);
  });
}

Napi::Value DifferentiateBatchAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    auto b = std::make_unique<DiffBatch>();
    ReadDiffBatch(info, *b);
    return PromiseWorker<AsyncDiffBatch>::Start(env, "diffqp:differentiateBatch", AsyncDiffBatch{std::move(b)}, RunAsyncDiffBatch,
                                                SettleDiffBatch);
  });
}

Napi::Value DifferentiateSync(const Napi::CallbackInfo& info) { return RunSync(info, false); }
Napi::Value DifferentiateAsync(const Napi::CallbackInfo& info) { return RunAsync(info, false); }
Napi::Value JvpSync(const Napi::CallbackInfo& info) { return RunSync(info, true); }
Napi::Value JvpAsync(const Napi::CallbackInfo& info) { return RunAsync(info, true); }

}  // namespace

namespace {
Output RunOwned(const ProblemView& p, const double* x, const double* y, const double* z, const Napi::Value& seeds,
                const Napi::Value& options, bool forward, std::shared_ptr<const ReducedKkt>& factor, DiffInputs& in) {
  in.forward = forward;
  in.problem->view = p;
  in.x = x;
  in.y = y;
  in.z = z;
  ReadSeedsAndOptions(seeds, options, in);
  in.cache = std::make_shared<FactorCache>();
  in.cache->Set(factor);
  Output out = Run(in);
  factor = in.cache->kkt;
  return out;
}
}  // namespace

Napi::Value DifferentiateOwned(Napi::Env env, const ProblemView& p, const double* x, const double* y, const double* z,
                               const Napi::Value& seeds, const Napi::Value& options, bool forward,
                               std::shared_ptr<const ReducedKkt>& factor) {
  DiffInputs in;
  const Output out = RunOwned(p, x, y, z, seeds, options, forward, factor, in);
  return OutputToJs(env, in, out);
}

Napi::Value DifferentiateOwnedInto(Napi::Env env, const ProblemView& p, const double* x, const double* y, const double* z,
                                   const Napi::Value& seeds, const Napi::Value& options, const Napi::Array& out,
                                   std::shared_ptr<const ReducedKkt>& factor) {
  DiffInputs in;
  const Output o = RunOwned(p, x, y, z, seeds, options, false, factor, in);
  const Gradients& g = o.backward;
  const std::vector<double> info = {
      g.differentiable ? 1.0 : 0.0, (double)g.active_rows,       (double)g.active_bounds,     g.factor_seconds, g.solve_seconds,
      (double)g.iterations,         g.factor_reused ? 1.0 : 0.0, (double)g.active_set_changes};
  const std::vector<double>* parts[] = {&info, &g.dP, &g.dq, &g.dA, &g.dl, &g.du, &g.dlb, &g.dub};
  const char* names[] = {"info", "dP", "dq", "dA", "dl", "du", "dlb", "dub"};
  for (uint32_t k = 0; k < 8; k++) FillFloat64(out, k, *parts[k], names[k]);
  return Napi::String::New(env, g.reason);
}

void RegisterDifferentiate(Napi::Env env, Napi::Object exports) {
  exports.Set("differentiateSync", Napi::Function::New(env, DifferentiateSync, "differentiateSync"));
  exports.Set("differentiateAsync", Napi::Function::New(env, DifferentiateAsync, "differentiateAsync"));
  exports.Set("jvpSync", Napi::Function::New(env, JvpSync, "jvpSync"));
  exports.Set("jvpAsync", Napi::Function::New(env, JvpAsync, "jvpAsync"));
  exports.Set("differentiateBatchSync", Napi::Function::New(env, DifferentiateBatchSync, "differentiateBatchSync"));
  exports.Set("differentiateBatchAsync", Napi::Function::New(env, DifferentiateBatchAsync, "differentiateBatchAsync"));
  RegisterFactorCache(env, exports);
  Napi::Array methods = Napi::Array::New(env);
  for (const BackwardMethod& m : BackwardMethods()) methods.Set(methods.Length(), m.name);
  exports.Set("backwardMethods", methods);  // lib/differentiate.ts checks options.method against it
}

}  // namespace diffqp
