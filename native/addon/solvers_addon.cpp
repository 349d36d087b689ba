// solvers() and unavailableSolvers(): what this build can solve with, and the plugins that did
// not load (solvers/solver.hpp). Also the test hook that throws a non-QpError exception.
#include "solvers_addon.hpp"

#include <napi.h>

#include <stdexcept>
#include <utility>

#include "../solvers/solver.hpp"
#include "convert.hpp"

namespace diffqp {
namespace {

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
    for (const auto& [name, classes] :
         {std::pair<const char*, ForClasses>{"timeLimit", caps.time_limit}, {"cancellation", caps.cancellation}}) {
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

// The plugins that did not load: [{ key, reason }] (solver.hpp: UnavailableSolvers).
Napi::Value UnavailableSolversJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array list = Napi::Array::New(env);
  uint32_t k = 0;
  for (const auto& missing : UnavailableSolvers()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("key", missing.key);
    o.Set("reason", missing.reason);
    list.Set(k++, o);
  }
  return list;
}

}  // namespace

void RegisterSolvers(Napi::Env env, Napi::Object exports) {
  exports.Set("solvers", Napi::Function::New(env, Solvers, "solvers"));
  exports.Set("unavailableSolvers", Napi::Function::New(env, UnavailableSolversJs, "unavailableSolvers"));
  exports.Set("throwNativeForTest", Napi::Function::New(env, ThrowNativeForTest, "throwNativeForTest"));
}

}  // namespace diffqp
