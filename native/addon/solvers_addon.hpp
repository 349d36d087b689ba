// What module.cpp uses from solvers_addon.cpp.
#pragma once
#include <napi.h>

namespace diffqp {

// Adds solvers, unavailableSolvers and throwNativeForTest.
void RegisterSolvers(Napi::Env env, Napi::Object exports);

}  // namespace diffqp
