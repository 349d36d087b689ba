// solveSync, solveAsync (libuv threadpool, promise_worker.hpp) and cancellation tokens; async
// solves of a serialised solver wait in its process-wide lane (serial_lane.hpp) on their JS
// thread, holding no libuv thread. SolveAndPolish, the one solve every path runs (batches and
// parametric problems too), is here.
#include "solve_addon.hpp"

#include <napi.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

#include "../core/error.hpp"
#include "../core/residuals.hpp"
#include "../core/validate.hpp"
#include "../kkt/polish.hpp"
#include "../solvers/solver.hpp"
#include "convert.hpp"
#include "factor_cache.hpp"
#include "promise_worker.hpp"
#include "release_memory.hpp"
#include "serial_lane.hpp"

namespace diffqp {
namespace {

using CancelToken = std::shared_ptr<CancelFlag>;
using Clock = std::chrono::steady_clock;
struct QueuedSolve;

// What a value made by createCancelToken() holds: the flag the solver polls and, while the
// solve waits in a lane, that waiting solve (cancel() takes it out of the lane).
struct TokenBox {
  CancelToken flag = std::make_shared<CancelFlag>(false);
  std::shared_ptr<QueuedSolve> queued;
};
// Marks our tokens: any other External (a factor cache) read as one would be written over.
constexpr napi_type_tag kCancelTokenTag = {0x6469666671706374ULL, 0x63616e63656c3100ULL};

// The box behind a value made by createCancelToken(); anything else is a typed error.
TokenBox& RequireToken(const Napi::Value& v, const std::string& field) {
  if (!v.IsExternal() || !v.As<Napi::External<TokenBox>>().CheckTypeTag(&kCancelTokenTag)) {
    throw QpError(code::kInvalidType, field + ": must be a cancel token made by createCancelToken()", field);
  }
  return *v.As<Napi::External<TokenBox>>().Data();
}

// The optional token of solveAsync; undefined gets none (nobody can cancel the solve).
TokenBox* ReadToken(const Napi::Value& v) {
  if (v.IsUndefined()) return nullptr;
  return &RequireToken(v, "token");
}

// This JS thread's group in the process-wide lanes (set by Init, one per env).
struct EnvLanes {
  SerialLanes::Group group;
};
SerialLanes::Group GroupOf(Napi::Env env) { return env.GetInstanceData<EnvLanes>()->group; }

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

// The answer for a solve that never ran (its time limit passed, or it was cancelled, while it
// waited in its lane): x at the warm start (or 0), no duals, measured like any other result.
Result NeverRan(const SolveCall& call, Status status, const char* why) {
  const ProblemView& p = call.problem->view;
  ValidateProblem(p);
  Result r;
  r.status = status;
  r.raw_status_text = why;
  r.x = call.settings.x0 ? std::vector<double>(call.settings.x0, call.settings.x0 + p.n) : std::vector<double>(p.n, 0.0);
  r.y.assign(p.m, 0.0);
  r.z.assign(p.n, 0.0);
  MeasureSolution(p, call.settings, r);
  return r;
}
constexpr const char* kExpiredText = "time limit reached while waiting for the solver's lane";

// The time limit counts from the call: what is left of it after waiting `since`.
double TimeLeft(double time_limit, Clock::time_point since) {
  if (!std::isfinite(time_limit)) return time_limit;
  return time_limit - std::chrono::duration<double>(Clock::now() - since).count();
}

// An async solve's state (promise_worker.hpp): the input arrays stay referenced until it
// settles; a solve of a serialised solver holds its lane and hands it on when its run ends
// (on the threadpool: the next waiter need not wait for the JS thread), or in the
// destructor if it never ran.
struct AsyncSolve {
  SolveCall call;
  CancelToken token;
  bool keep_factor = false;
  LaneHold hold;
  Result result;
  PolishReport polish;
};

void RunSolve(AsyncSolve& s) {
  struct ReleaseAtEnd {
    LaneHold& hold;
    ~ReleaseAtEnd() { hold.Release(); }
  } release{s.hold};
  s.result = SolveAndPolish(s.call.key, s.call.problem->view, s.call.settings, *s.token, s.polish);
}

Napi::Value SettleSolve(Napi::Env env, AsyncSolve& s) { return WithPolish(env, ResultToJs(env, s.result), s.polish, s.keep_factor); }

void QueueSolve(Napi::Env env, Napi::Promise::Deferred deferred, SolveCall call, CancelToken token, bool keep_factor, LaneHold hold) {
  AsyncSolve state{std::move(call), std::move(token), keep_factor, std::move(hold), {}, {}};
  PromiseWorker<AsyncSolve>::Queue(env, "diffqp:solve", std::move(deferred), std::move(state), RunSolve, SettleSolve);
}

// An async solve of a serialised solver between its call and its start. Lives on its JS
// thread only: the lane and other threads see its waiter id and its wake-up, a thread-safe
// function to this thread (ref'd, so the thread's loop stays alive while it waits).
struct QueuedSolve {
  SolveCall call;
  CancelToken cancel;
  bool keep_factor = false;
  Napi::Promise::Deferred deferred;
  Clock::time_point called_at;
  SerialLanes::WaiterId id = 0;
  napi_threadsafe_function tsfn = nullptr;
  bool waiting = true;  // false once it started, was cancelled or expired

  QueuedSolve(Napi::Env env, SolveCall c, CancelToken t, bool keep, Clock::time_point at)
      : call(std::move(c)), cancel(std::move(t)), keep_factor(keep), deferred(Napi::Promise::Deferred::New(env)), called_at(at) {}
};

// Stops waiting (on its JS thread): the wake-up is released, the borrowed inputs let go when
// the solve did not move them into a worker.
void EndWait(QueuedSolve& q) {
  q.waiting = false;
  if (q.tsfn) napi_release_threadsafe_function(q.tsfn, napi_tsfn_release);
  q.tsfn = nullptr;
}

// The lane is the solve's: it starts on the threadpool with what is left of its time limit, or
// resolves at once if none is left (the hold then passes the lane on).
void Start(Napi::Env env, QueuedSolve& q, LaneHold hold) {
  EndWait(q);
  const double left = TimeLeft(q.call.settings.time_limit, q.called_at);
  try {
    if (left <= 0) {
      q.deferred.Resolve(ResultToJs(env, NeverRan(q.call, Status::kTimeLimit, kExpiredText)));
      return;
    }
    q.call.settings.time_limit = left;
    QueueSolve(env, q.deferred, std::move(q.call), q.cancel, q.keep_factor,
               std::move(hold));  // a failed queue frees the hold: the lane passes on
  } catch (const Napi::Error& e) {
    q.deferred.Reject(e.Value());
  } catch (const std::exception& e) {
    q.deferred.Reject(ToJsError(env, e).Value());
  }
}

// The wake-up, on the waiter's JS thread. The grant may have been taken back since (this
// thread blocked in a sync take, which went first): then it waits on and is woken again.
// Whether this thread can still run JS: not when it is being torn down (a terminated worker
// drains its loop first, and its wake-ups still arrive then). napi_create_promise refuses then.
bool CanRunJs(napi_env env) {
  napi_deferred deferred;
  napi_value promise, undefined;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok) return false;
  napi_get_undefined(env, &undefined);
  napi_resolve_deferred(env, deferred, undefined);
  return true;
}

void OnWake(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // its thread is being torn down; context may already be freed
  try {
    auto& q = **static_cast<std::shared_ptr<QueuedSolve>*>(context);
    if (!q.waiting) return;
    if (!CanRunJs(env)) {
      // Nobody will wait for the answer: the lane passes on instead of running the solve.
      SerialLanes::Process().Leave(q.id);
      return;
    }
    if (!SerialLanes::Process().Claim(q.id)) return;
    Start(Napi::Env(env), q, LaneHold(q.call.key));
  } catch (...) {
    // A thread that can no longer run JS: the lane was passed on by the hold's destructor.
  }
}

// The wake-up's finalizer (after its release, or when its thread is torn down first): a waiter
// still in the lane leaves it, a grant it had not claimed passes on.
void OnWakeFinalize(napi_env, void* data, void*) {
  auto* q = static_cast<std::shared_ptr<QueuedSolve>*>(data);
  try {
    SerialLanes::Process().Leave((*q)->id);
    delete q;
  } catch (...) {
  }
}

// Queues a serialised solve in its lane: started at once when the lane is free, else when the
// lane is handed to it. Nothing here blocks.
Napi::Promise QueueSerialised(Napi::Env env, SolveCall call, TokenBox* box, bool keep_factor, Clock::time_point called_at) {
  CancelToken flag = box ? box->flag : std::make_shared<CancelFlag>(false);
  auto q = std::make_shared<QueuedSolve>(env, std::move(call), flag, keep_factor, called_at);
  Napi::Promise promise = q->deferred.Promise();
  const std::string key = q->call.key;
  auto* context = new std::shared_ptr<QueuedSolve>(q);
  napi_status st = napi_create_threadsafe_function(env, nullptr, nullptr, Napi::String::New(env, "diffqp:lane"), 0, 1, context,
                                                   OnWakeFinalize, context, OnWake, &q->tsfn);
  if (st != napi_ok) {
    delete context;
    throw QpError(code::kNative, "could not create the wake-up of a queued solve (napi_create_threadsafe_function)");
  }
  napi_threadsafe_function tsfn = q->tsfn;
  auto wake = [tsfn]() { return napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking) == napi_ok; };
  if (SerialLanes::Process().TakeOrWait(key, GroupOf(env), wake, &q->id)) {
    Start(env, *q, LaneHold(key));
  } else if (box) {
    box->queued = q;
  }
  return promise;
}

Napi::Value SolveSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    const Clock::time_point called_at = Clock::now();
    SolveCall call = ReadCall(info);
    const bool keep_factor = ReadKeepFactor(info[1].As<Napi::Object>());
    LaneHold hold;
    if (FindSolver(call.key).capabilities.serialised) {
      // Blocks this thread only; async solves wait in the lane, never on the solver's lock.
      SerialLanes::Process().TakeBlocking(call.key, GroupOf(env));
      hold = LaneHold(call.key);
      call.settings.time_limit = TimeLeft(call.settings.time_limit, called_at);
      if (call.settings.time_limit <= 0) return ResultToJs(env, NeverRan(call, Status::kTimeLimit, kExpiredText));
    }
    CancelFlag never(false);
    PolishReport report;
    Result r = SolveAndPolish(call.key, call.problem->view, call.settings, never, report);
    hold.Release();
    return WithPolish(env, ResultToJs(env, r), report, keep_factor);
  });
}

Napi::Value SolveAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    const Clock::time_point called_at = Clock::now();
    SolveCall call = ReadCall(info);
    const SolverEntry& entry = FindSolver(call.key);  // fail fast, before queueing
    TokenBox* box = ReadToken(info.Length() > 2 ? info[2] : env.Undefined());
    const bool keep_factor = ReadKeepFactor(info[1].As<Napi::Object>());
    if (entry.capabilities.serialised) return QueueSerialised(env, std::move(call), box, keep_factor, called_at);
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    Napi::Promise promise = deferred.Promise();
    QueueSolve(env, std::move(deferred), std::move(call), box ? box->flag : std::make_shared<CancelFlag>(false), keep_factor, LaneHold());
    return promise;
  });
}

// Takes the token's solve out of its lane if it is still waiting there: it resolves at once
// with a result that says it never ran (status `status`). true if it was waiting.
bool LeaveLane(Napi::Env env, TokenBox& box, Status status, const char* why) {
  std::shared_ptr<QueuedSolve> q = std::move(box.queued);
  if (!q || !q->waiting || !SerialLanes::Process().Leave(q->id)) return false;
  EndWait(*q);
  try {
    q->deferred.Resolve(ResultToJs(env, NeverRan(q->call, status, why)));
  } catch (const Napi::Error& e) {
    q->deferred.Reject(e.Value());
  } catch (const std::exception& e) {
    q->deferred.Reject(ToJsError(env, e).Value());
  }
  return true;
}

// expireQueued(token): the solve's time limit (counted from its call) has passed; if it still
// waits in its lane it leaves it and resolves with status timeLimit. Returns whether it did.
Napi::Value ExpireQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    TokenBox& box = RequireToken(info.Length() > 0 ? info[0] : env.Undefined(), "token");
    return Napi::Boolean::New(env, LeaveLane(env, box, Status::kTimeLimit, kExpiredText));
  });
}

// laneWaiting(key): how many solves of `key` in the process wait for its lane; for tests.
Napi::Value LaneWaiting(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw ToJsError(env, QpError(code::kInvalidType, "key: must be a string", "key"));
  return Napi::Number::New(env, static_cast<double>(SerialLanes::Process().Waiting(info[0].As<Napi::String>().Utf8Value())));
}

Napi::Value CreateCancelToken(const Napi::CallbackInfo& info) {
  auto token = Napi::External<TokenBox>::New(info.Env(), new TokenBox(), [](Napi::Env, TokenBox* t) { delete t; });
  token.TypeTag(&kCancelTokenTag);
  return token;
}

// cancel(token): sets the flag the running solve polls; a solve still waiting in its lane
// leaves it and resolves at once (status cancelled).
Napi::Value Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    TokenBox& box = RequireToken(info.Length() > 0 ? info[0] : env.Undefined(), "token");
    box.flag->store(true);
    LeaveLane(env, box, Status::kCancelled, "cancelled while waiting for the solver's lane");
    return env.Undefined();
  });
}

}  // namespace

// Solve, then polish when asked (kkt/polish.hpp). Shared by the sync and async paths.
// Under a time limit the polish (whose reduced KKT matrix may need a least-squares QR) is
// allowed as much time as the solve took, so a solve near its limit is not polished past it.
Result SolveAndPolish(const std::string& key, const ProblemView& p, const Settings& s, const CancelFlag& cancel, PolishReport& report,
                      Solver* kept, bool check_convexity) {
  Result r = SolveProblem(key, p, s, cancel, kept, check_convexity);
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

std::shared_ptr<CancelFlag> TokenFlag(const Napi::Value& v, const std::string& field) { return RequireToken(v, field).flag; }

void RegisterSolve(Napi::Env env, Napi::Object exports) {
  // One lane group per JS thread (env); when the thread ends its waiters leave every lane.
  static std::atomic<SerialLanes::Group> next_group{1};
  const SerialLanes::Group group = next_group++;
  env.SetInstanceData(new EnvLanes{group});
  napi_add_env_cleanup_hook(
      env, [](void* arg) { SerialLanes::Process().DropGroup(reinterpret_cast<uintptr_t>(arg)); },
      reinterpret_cast<void*>(static_cast<uintptr_t>(group)));
  exports.Set("solveSync", Napi::Function::New(env, SolveSync, "solveSync"));
  exports.Set("solveAsync", Napi::Function::New(env, SolveAsync, "solveAsync"));
  exports.Set("createCancelToken", Napi::Function::New(env, CreateCancelToken, "createCancelToken"));
  exports.Set("cancel", Napi::Function::New(env, Cancel, "cancel"));
  exports.Set("expireQueued", Napi::Function::New(env, ExpireQueued, "expireQueued"));
  exports.Set("laneWaiting", Napi::Function::New(env, LaneWaiting, "laneWaiting"));
}

}  // namespace diffqp
