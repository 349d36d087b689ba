// What the rest of the addon uses from batch_addon.cpp.
#pragma once
#include <napi.h>

namespace diffqp {

// Adds solveBatchSync and solveBatchAsync.
void RegisterBatch(Napi::Env env, Napi::Object exports);

}  // namespace diffqp
