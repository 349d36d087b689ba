// What addon.cpp uses from parametric_addon.cpp.
#pragma once
#include <napi.h>

namespace diffqp {

// Adds parametricCreate, parametricSolveSync, parametricDifferentiateSync and parametricDispose.
void RegisterParametric(Napi::Env env, Napi::Object exports);

}  // namespace diffqp
