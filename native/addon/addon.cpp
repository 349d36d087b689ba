// Module entry: solveSync, solveAsync (libuv threadpool), cancellation tokens and the
// solver list. The only translation unit besides convert.cpp that touches N-API.
#include <napi.h>

#include <cmath>

#include <memory>
#include <string>

#include "../core/error.hpp"
#include "../core/residuals.hpp"
#include "../core/validate.hpp"
#include "../backward/polish.hpp"
#include "../solvers/solver.hpp"
#include "convert.hpp"
#include "differentiate_addon.hpp"
#include "release_memory.hpp"

namespace diffqp {
namespace {

using CancelToken = std::shared_ptr<CancelFlag>;
// Marks our tokens: any other External (a factor cache) read as one would be written over.
constexpr napi_type_tag kCancelTokenTag = {0x6469666671706374ULL, 0x63616e63656c3100ULL};

// The flag behind a value made by createCancelToken(); anything else is a typed error.
const CancelToken& RequireToken(const Napi::Value& v, const std::string& field) {
  if (!v.IsExternal() || !v.As<Napi::External<CancelToken>>().CheckTypeTag(&kCancelTokenTag)) {
    throw QpError(code::kInvalidType, field + ": must be a cancel token made by createCancelToken()", field);
  }
  return *v.As<Napi::External<CancelToken>>().Data();
}

// The optional token of solveAsync; undefined gets one nobody can set.
CancelToken ReadToken(const Napi::Value& v) {
  if (v.IsUndefined()) return std::make_shared<CancelFlag>(false);
  return RequireToken(v, "token");
}

// Solve, then polish when asked (backward/polish.hpp). Shared by the sync and async paths.
// Under a time limit the polish (whose reduced KKT matrix may need a least-squares QR) is
// allowed as much time as the solve took, so a solve near its limit is not polished past it.
Result SolveAndPolish(const std::string& key, const ProblemView& p, const Settings& s, const CancelFlag& cancel, PolishReport& report) {
  Result r = SolveProblem(key, p, s, cancel);
  const double spent = r.setup_seconds + r.solve_seconds;
  const bool room = !std::isfinite(s.time_limit) || s.time_limit - spent > spent;
  if (s.polish && !cancel.load() && room) report = PolishSolution(p, s, r, 1e-5, 2, &cancel);
  // A cancelled solve gives its thread back at once; the next big solve's trim takes its pages.
  if (!cancel.load()) ReleaseFreedMemory(p);
  return r;
}

// options.keepFactor (a differentiable solve): the polish's factorization of K goes back as
// result.factorCache for the backward pass.
bool ReadKeepFactor(const Napi::Object& options) {
  Napi::Value v = options.Get("keepFactor");
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

Napi::Object WithPolish(Napi::Env env, Napi::Object o, const PolishReport& rep, bool keep_factor) {
  if (!rep.attempted) return o;
  if (keep_factor && rep.factor) o.Set("factorCache", MakeFactorCache(env, rep.factor));
  Napi::Object po = Napi::Object::New(env);
  po.Set("applied", rep.applied);
  Napi::Array before = Napi::Array::New(env, 3), after = Napi::Array::New(env, 3);
  for (uint32_t k = 0; k < 3; k++) {
    before.Set(k, rep.before[k]);
    after.Set(k, rep.after[k]);
  }
  po.Set("before", before);
  po.Set("after", after);
  o.Set("polish", po);
  return o;
}

// sharp's pattern: gather everything in the constructor, compute in Execute() without
// N-API, build the JS result in OnOK(). The input arrays stay referenced until then.
class SolveWorker : public Napi::AsyncWorker {
 public:
  SolveWorker(Napi::Env env, std::unique_ptr<BorrowedProblem> problem, Settings settings, std::string key, CancelToken token,
              std::vector<Napi::ObjectReference> settings_refs, bool keep_factor)
      : Napi::AsyncWorker(env, "diffqp:solve"),
        keep_factor_(keep_factor),
        deferred_(Napi::Promise::Deferred::New(env)),
        problem_(std::move(problem)),
        settings_(std::move(settings)),
        key_(std::move(key)),
        token_(std::move(token)),
        settings_refs_(std::move(settings_refs)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      result_ = SolveAndPolish(key_, problem_->view, settings_, *token_, polish_);
    } catch (const std::exception& e) {
      error_ = std::make_unique<QpErrorCopy>(e);
    } catch (...) {
      error_ = std::make_unique<QpErrorCopy>(std::runtime_error("unknown native exception"));
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_) {
      deferred_.Reject(error_->ToJs(env).Value());
    } else {
      deferred_.Resolve(WithPolish(env, ResultToJs(env, result_), polish_, keep_factor_));
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  // An exception captured on the worker thread, rethrown as a JS error on the main one.
  struct QpErrorCopy {
    explicit QpErrorCopy(const std::exception& e) {
      if (auto* qp = dynamic_cast<const QpError*>(&e)) {
        error = std::make_unique<QpError>(*qp);
      } else {
        error = std::make_unique<QpError>(code::kNative, e.what());
      }
    }
    Napi::Error ToJs(Napi::Env env) const { return ToJsError(env, *error); }
    std::unique_ptr<QpError> error;
  };

  bool keep_factor_;
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<BorrowedProblem> problem_;
  Settings settings_;
  std::string key_;
  CancelToken token_;
  std::vector<Napi::ObjectReference> settings_refs_;
  Result result_;
  PolishReport polish_;
  std::unique_ptr<QpErrorCopy> error_;
};

// The (problem, options) arguments of the solve entry points: the problem borrowed, the
// settings and the solver key (refs keep what the settings borrow alive).
struct SolveCall {
  std::unique_ptr<BorrowedProblem> problem = std::make_unique<BorrowedProblem>();
  Settings settings;
  std::string key;
  std::vector<Napi::ObjectReference> refs;
};

SolveCall ReadCall(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject()) {
    throw QpError(code::kInvalidType, "solve(problem, options): both must be objects", "problem");
  }
  SolveCall c;
  ReadProblem(info[0].As<Napi::Object>(), *c.problem);
  ReadSettings(info[1].As<Napi::Object>(), c.problem->view, c.settings, c.key, c.refs);
  return c;
}

Napi::Value SolveSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    SolveCall call = ReadCall(info);
    CancelFlag never(false);
    PolishReport report;
    Result r = SolveAndPolish(call.key, call.problem->view, call.settings, never, report);
    return WithPolish(env, ResultToJs(env, r), report, ReadKeepFactor(info[1].As<Napi::Object>()));
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw ToJsError(env, e);
  }
}

Napi::Value SolveAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    SolveCall call = ReadCall(info);
    FindSolver(call.key);  // fail fast, before queueing
    CancelToken token = ReadToken(info.Length() > 2 ? info[2] : env.Undefined());
    auto* worker = new SolveWorker(env, std::move(call.problem), std::move(call.settings), std::move(call.key), std::move(token), std::move(call.refs),
                                   ReadKeepFactor(info[1].As<Napi::Object>()));
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw ToJsError(env, e);
  }
}

// timeLimitWhileQueued(problem, options): the answer for a solve whose time limit ran out while
// it waited in lib/queue.ts for a serialised solver. It never ran: status timeLimit at the warm
// start (or 0), no duals, measured like any other result.
Napi::Value TimeLimitWhileQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    SolveCall call = ReadCall(info);
    const ProblemView& p = call.problem->view;
    ValidateProblem(p);
    Result r;
    r.status = Status::kTimeLimit;
    r.raw_status_text = "time limit reached while waiting for the solver's lock";
    r.x = call.settings.x0 ? std::vector<double>(call.settings.x0, call.settings.x0 + p.n) : std::vector<double>(p.n, 0.0);
    r.y.assign(p.m, 0.0);
    r.z.assign(p.n, 0.0);
    MeasureSolution(p, call.settings, r);
    return ResultToJs(env, r);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw ToJsError(env, e);
  }
}

Napi::Value CreateCancelToken(const Napi::CallbackInfo& info) {
  auto token = Napi::External<CancelToken>::New(info.Env(), new CancelToken(std::make_shared<CancelFlag>(false)),
                                                [](Napi::Env, CancelToken* t) { delete t; });
  token.TypeTag(&kCancelTokenTag);
  return token;
}

Napi::Value Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    RequireToken(info.Length() > 0 ? info[0] : env.Undefined(), "token")->store(true);
    return env.Undefined();
  } catch (const std::exception& e) {
    throw ToJsError(env, e);
  }
}

// Test hook: throws a non-QpError exception through the same path every entry point uses,
// so the ERR_QP_NATIVE translation is covered by a test.
Napi::Value ThrowNativeForTest(const Napi::CallbackInfo& info) {
  try {
    throw std::runtime_error("native failure requested by a test");
  } catch (const std::exception& e) {
    throw ToJsError(info.Env(), e);
  }
}

Napi::Value Solvers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array list = Napi::Array::New(env);
  uint32_t k = 0;
  for (const auto& entry : SolverRegistry()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("key", entry.key);
    o.Set("version", entry.capabilities.version);
    o.Set("license", entry.capabilities.license);
    o.Set("duals", entry.capabilities.duals);
    o.Set("warmStart", entry.capabilities.warm_start);
    const auto& caps = entry.capabilities;
    // true when the promise holds for every problem; `honours` says it per class
    o.Set("cancellation", caps.cancellation.lp && caps.cancellation.qp);
    o.Set("timeLimit", caps.time_limit.lp && caps.time_limit.qp);
    Napi::Object honours = Napi::Object::New(env);
    for (const auto& [name, classes] : {std::pair<const char*, ForClasses>{"timeLimit", caps.time_limit}, {"cancellation", caps.cancellation}}) {
      Napi::Object c = Napi::Object::New(env);
      c.Set("lp", classes.lp);
      c.Set("qp", classes.qp);
      honours.Set(name, c);
    }
    o.Set("honours", honours);
    o.Set("infeasibilityCertificate", entry.capabilities.infeasibility_certificate);
    o.Set("serialised", entry.capabilities.serialised);
    list.Set(k++, o);
  }
  return list;
}

}  // namespace


Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("solveSync", Napi::Function::New(env, SolveSync, "solveSync"));
  exports.Set("solveAsync", Napi::Function::New(env, SolveAsync, "solveAsync"));
  exports.Set("createCancelToken", Napi::Function::New(env, CreateCancelToken, "createCancelToken"));
  exports.Set("cancel", Napi::Function::New(env, Cancel, "cancel"));
  exports.Set("timeLimitWhileQueued", Napi::Function::New(env, TimeLimitWhileQueued, "timeLimitWhileQueued"));
  exports.Set("solvers", Napi::Function::New(env, Solvers, "solvers"));
  exports.Set("throwNativeForTest", Napi::Function::New(env, ThrowNativeForTest, "throwNativeForTest"));
  RegisterDifferentiate(env, exports);
  return exports;
}

}  // namespace diffqp

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return diffqp::Init(env, exports); }
NODE_API_MODULE(diffqp, InitModule)
