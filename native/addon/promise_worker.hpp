// The addon's one asynchronous worker (sharp's pattern): everything is read and checked on the
// JS thread first; `run` computes on a libuv thread without N-API; `settle` builds the value
// the promise resolves with back on the JS thread. Any exception of either rejects the promise
// with its JS error (convert.hpp: ToJsError), caught and translated here once for every
// entry point. A JS thread torn down while the work ran (a terminated worker_thread) can no
// longer settle: the promise is then dropped, never an exception out of OnOK.
#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <utility>

#include "../core/error.hpp"
#include "convert.hpp"

namespace diffqp {

template <class State>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Run = void (*)(State&);                       // on the libuv thread
  using Settle = Napi::Value (*)(Napi::Env, State&);  // on the JS thread, after a run that did not throw
  using Always = void (*)(Napi::Env, State&);         // on the JS thread, first, whatever the run did

  // Queues `run` on the threadpool; the promise of `deferred` settles when it is done.
  static void Queue(Napi::Env env, const char* name, Napi::Promise::Deferred deferred, State state, Run run, Settle settle,
                    Always always = nullptr) {
    auto* worker = new PromiseWorker(env, name, std::move(deferred), std::move(state), run, settle, always);
    try {
      worker->Napi::AsyncWorker::Queue();
    } catch (...) {
      delete worker;
      throw;
    }
  }

  // The same with a promise of its own, returned.
  static Napi::Promise Start(Napi::Env env, const char* name, State state, Run run, Settle settle, Always always = nullptr) {
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    Napi::Promise promise = deferred.Promise();
    Queue(env, name, std::move(deferred), std::move(state), run, settle, always);
    return promise;
  }

  void Execute() override {
    try {
      run_(state_);
    } catch (const QpError& e) {
      error_ = std::make_unique<QpError>(e);
    } catch (const std::exception& e) {
      error_ = std::make_unique<QpError>(code::kNative, e.what());
    } catch (...) {
      error_ = std::make_unique<QpError>(code::kNative, "unknown native exception");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Quietly([&] {
      try {
        if (always_) always_(env, state_);
        if (error_) throw *error_;
        deferred_.Resolve(settle_(env, state_));
      } catch (const Napi::Error& e) {
        deferred_.Reject(e.Value());
      } catch (const std::exception& e) {
        deferred_.Reject(ToJsError(env, e).Value());
      }
    });
  }

  void OnError(const Napi::Error& e) override {
    Quietly([&] { deferred_.Reject(e.Value()); });
  }

 private:
  PromiseWorker(Napi::Env env, const char* name, Napi::Promise::Deferred deferred, State state, Run run, Settle settle, Always always)
      : Napi::AsyncWorker(env, name),
        deferred_(std::move(deferred)),
        state_(std::move(state)),
        run_(run),
        settle_(settle),
        always_(always) {}

  template <typename F>
  static void Quietly(F f) {
    try {
      f();
    } catch (...) {
    }
  }

  Napi::Promise::Deferred deferred_;
  State state_;
  Run run_;
  Settle settle_;
  Always always_;
  std::unique_ptr<QpError> error_;
};

}  // namespace diffqp
