// solveBatchSync / solveBatchAsync: many solves in one call, spread over a pool of native
// threads (thread_pool.hpp: the calling thread, or one libuv thread, plus threads − 1). Each
// solve is exactly SolveAndPolish, as solve/solveSync run it, so answers are the same bits; ipm
// solves of one pattern on one thread share its ordering and symbolic analysis (KeptIpm).
#include "batch_addon.hpp"

#include <atomic>
#include <cstring>
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

bool SameInts(const int32_t* a, const int32_t* b, size_t count) {
  return a == b || count == 0 || std::memcmp(a, b, count * sizeof(int32_t)) == 0;
}
bool SameDoubles(const double* a, const double* b, size_t count) {
  return a == b || count == 0 || std::memcmp(a, b, count * sizeof(double)) == 0;
}
bool SamePattern(const CscView& a, const CscView& b) {
  return a.nrows == b.nrows && a.ncols == b.ncols && a.nnz() == b.nnz() && SameInts(a.Ap, b.Ap, (size_t)a.ncols + 1) &&
         SameInts(a.Ai, b.Ai, (size_t)a.nnz());
}

// A thread's kept ipm solver (create_parametric) and the items it last read: problems of one
// batch that share P's and A's pattern, the bounds' presence and the solver options reuse its
// ordering and symbolic analysis (ipm_update), which gives the same bits as a fresh setup
// (test/40). The kept workspace reads the patterns and values of earlier items of this batch,
// which live until the batch ends.
struct KeptIpm {
  std::unique_ptr<Solver> solver;
  const BatchItem* last = nullptr;
};

bool Reusable(const BatchItem& a, const BatchItem& b) {
  const ProblemView &p = a.problem->view, &q = b.problem->view;
  return p.n == q.n && p.m == q.m && (p.lb != nullptr) == (q.lb != nullptr) && (p.ub != nullptr) == (q.ub != nullptr) &&
         SamePattern(p.P, q.P) && SamePattern(p.A, q.A) && a.settings.extra == b.settings.extra &&
         a.settings.extra_text == b.settings.extra_text;
}

Result SolveItem(BatchItem& item, KeptIpm& kept, const CancelFlag& cancel) {
  const ProblemView& p = item.problem->view;
  if (item.key != "ipm") return SolveAndPolish(item.key, p, item.settings, cancel, item.polish);
  MatrixChanges changed;  // P and A: new unless an item this solver read had the same values
  if (kept.solver && kept.last && Reusable(*kept.last, item)) {
    const ProblemView& before = kept.last->problem->view;
    changed.P = !SameDoubles(before.P.Ax, p.P.Ax, (size_t)p.P.nnz());
    changed.A = !SameDoubles(before.A.Ax, p.A.Ax, (size_t)p.A.nnz());
  } else {
    kept.solver = FindSolver("ipm").create_parametric();
  }
  kept.last = &item;
  kept.solver->Changed(changed);
  return SolveAndPolish(item.key, p, item.settings, cancel, item.polish, kept.solver.get(), changed.P);
}

// Runs every item on the pool; after a failure or a cancel the items not yet started are left alone.
void RunBatch(std::vector<BatchItem>& items, uint32_t threads, const CancelFlag& cancel) {
  std::vector<KeptIpm> kept(threads);
  RunOnThreads(items.size(), threads, cancel, [&](size_t k, uint32_t worker) {
    BatchItem& item = items[k];
    try {
      item.result = SolveItem(item, kept[worker], cancel);
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
