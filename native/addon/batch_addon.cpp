// solveBatchSync / solveBatchAsync: many solves in one call, spread over a pool of native
// threads (thread_pool.hpp: the calling thread, or one libuv thread, plus threads − 1). Each
// solve is exactly SolveAndPolish, as solve/solveSync run it, so answers are the same bits.
#include "batch_addon.hpp"

#include <atomic>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../solvers/solver.hpp"
#include "convert.hpp"
#include "promise_worker.hpp"
#include "solve_addon.hpp"
#include "thread_pool.hpp"

namespace diffqp {
namespace {

struct BatchItem {
  std::unique_ptr<BorrowedProblem> problem = std::make_unique<BorrowedProblem>();
  Settings settings;
  std::string key;
  std::vector<Napi::ObjectReference> refs;
  bool keep_factor = false;
  bool ran = false;
  Result result;
  PolishReport polish;
  std::exception_ptr error;
};

// solveBatch*(problems, options, threads[, token]): options[k] belongs to problems[k].
std::vector<BatchItem> ReadBatch(const Napi::CallbackInfo& info, uint32_t& threads) {
  if (info.Length() < 3 || !info[0].IsArray() || !info[1].IsArray() || !info[2].IsNumber()) {
    throw QpError(code::kInvalidType, "solveBatch(problems, options, threads): arrays of problems and options and a thread count",
                  "problems");
  }
  Napi::Array problems = info[0].As<Napi::Array>(), options = info[1].As<Napi::Array>();
  if (problems.Length() != options.Length()) {
    throw QpError(code::kDimensionMismatch, "options: one per problem", "options");
  }
  threads = CheckThreads(info[2].As<Napi::Number>().DoubleValue(), problems.Length());
  std::vector<BatchItem> items(problems.Length());
  for (uint32_t k = 0; k < items.size(); k++) {
    const std::string at = "problems[" + std::to_string(k) + "]";
    Napi::Value p = problems.Get(k), o = options.Get(k);
    if (!p.IsObject() || !o.IsObject()) throw QpError(code::kInvalidType, at + ": problem and options must be objects", at);
    BatchItem& item = items[k];
    try {
      ReadProblem(p.As<Napi::Object>(), *item.problem);
    } catch (const QpError&) {
      RethrowAt(at, std::current_exception());
    }
    ReadSettings(o.As<Napi::Object>(), item.problem->view, item.settings, item.key, item.refs);
    item.keep_factor = ReadKeepFactor(o.As<Napi::Object>());
    // A serialised solver runs one solve at a time in the process (serial_lane.hpp): a pool
    // would only queue on its lock, so the batch refuses it.
    if (FindSolver(item.key).capabilities.serialised) {
      throw QpError(
          code::kInvalidOption,
          "options.solver: " + item.key + " is serialised (one solve at a time in the process); solveBatch does not run it, use solve",
          "options.solver");
    }
  }
  return items;
}

// Runs every item on the pool; after a failure or a cancel the items not yet started are left alone.
void RunBatch(std::vector<BatchItem>& items, uint32_t threads, const CancelFlag& cancel) {
  RunOnThreads(items.size(), threads, cancel, [&](size_t k) {
    BatchItem& item = items[k];
    try {
      item.result = SolveAndPolish(item.key, item.problem->view, item.settings, cancel, item.polish);
      item.ran = true;
      return true;
    } catch (...) {
      item.error = std::current_exception();
      return false;
    }
  });
}

// The first failure by index, its field and message prefixed with problems[k].
void ThrowFirstError(const std::vector<BatchItem>& items) {
  for (size_t k = 0; k < items.size(); k++) {
    if (items[k].error) RethrowAt("problems[" + std::to_string(k) + "]", items[k].error);
  }
}

// The results in order; a solve the cancel left unstarted is status cancelled, no duals.
Napi::Array ResultsToJs(Napi::Env env, const std::vector<BatchItem>& items) {
  Napi::Array out = Napi::Array::New(env, items.size());
  for (uint32_t k = 0; k < items.size(); k++) {
    const BatchItem& item = items[k];
    if (item.ran) {
      out.Set(k, WithPolish(env, ResultToJs(env, item.result), item.polish, item.keep_factor));
    } else {
      Result r;
      r.status = Status::kCancelled;
      r.raw_status_text = "cancelled before it started";
      r.x.assign(item.problem->view.n, 0.0);
      r.y.assign(item.problem->view.m, 0.0);
      r.z.assign(item.problem->view.n, 0.0);
      out.Set(k, ResultToJs(env, r));
    }
  }
  return out;
}

struct AsyncBatch {
  std::vector<BatchItem> items;
  uint32_t threads = 1;
  std::shared_ptr<CancelFlag> cancel;
};
void RunAsyncBatch(AsyncBatch& s) { RunBatch(s.items, s.threads, *s.cancel); }
Napi::Value SettleBatch(Napi::Env env, AsyncBatch& s) {
  ThrowFirstError(s.items);
  return ResultsToJs(env, s.items);
}

Napi::Value SolveBatchSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    uint32_t threads = 1;
    std::vector<BatchItem> items = ReadBatch(info, threads);
    CancelFlag never(false);
    RunBatch(items, threads, never);
    ThrowFirstError(items);
    return ResultsToJs(env, items);
  });
}

Napi::Value SolveBatchAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Translated(env, [&]() -> Napi::Value {
    uint32_t threads = 1;
    std::vector<BatchItem> items = ReadBatch(info, threads);
    std::shared_ptr<CancelFlag> cancel =
        info.Length() > 3 && !info[3].IsUndefined() ? TokenFlag(info[3], "token") : std::make_shared<CancelFlag>(false);
    return PromiseWorker<AsyncBatch>::Start(env, "diffqp:solveBatch", AsyncBatch{std::move(items), threads, std::move(cancel)},
                                            RunAsyncBatch, SettleBatch);
  });
}

}  // namespace

void RegisterBatch(Napi::Env env, Napi::Object exports) {
  exports.Set("solveBatchSync", Napi::Function::New(env, SolveBatchSync, "solveBatchSync"));
  exports.Set("solveBatchAsync", Napi::Function::New(env, SolveBatchAsync, "solveBatchAsync"));
}

}  // namespace diffqp
