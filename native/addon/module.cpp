// The module's entry, and nothing else: each operation's file adds its functions
// (solve_addon.cpp, solvers_addon.cpp, differentiate_addon.cpp and factor_cache.cpp,
// batch_addon.cpp, parametric_addon.cpp).
#include <napi.h>

#include "batch_addon.hpp"
#include "differentiate_addon.hpp"
#include "parametric_addon.hpp"
#include "solve_addon.hpp"
#include "solvers_addon.hpp"

namespace diffqp {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterSolve(env, exports);
  RegisterSolvers(env, exports);
  RegisterDifferentiate(env, exports);
  RegisterBatch(env, exports);
  RegisterParametric(env, exports);
  return exports;
}

}  // namespace diffqp

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return diffqp::Init(env, exports); }
NODE_API_MODULE(diffqp, InitModule)
