// What the rest of the addon uses from differentiate_addon.cpp.
#pragma once
#include <napi.h>

#include <memory>

namespace diffqp {

class ReducedKkt;  // kkt/reduced_kkt.hpp

// Adds differentiateSync/Async, jvpSync/Async, differentiateBatchSync/Async, newFactorCache
// and releaseFactorCache.
void RegisterDifferentiate(Napi::Env env, Napi::Object exports);

// A factor cache (the opaque object newFactorCache returns) holding `factor` (may be null):
// a polished differentiable solve hands the factorization of K to the backward pass with it.
Napi::Value MakeFactorCache(Napi::Env env, std::shared_ptr<const ReducedKkt> factor);

}  // namespace diffqp
