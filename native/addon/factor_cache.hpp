// The factor cache: the opaque object newFactorCache() returns, holding the factorization of
// the reduced KKT matrix that the kkt passes and jvps of one solution share (built by the
// first of them, or handed over by a polished differentiable solve), and what it holds
// reported to V8 as external memory.
//
//   newFactorCache() → the cache; pass it as options.factorCache
//   releaseFactorCache(cache) frees that factorization now (Solution.dispose()); the garbage
//   collector frees it otherwise. A pass already running keeps its own reference.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "../kkt/reduced_kkt.hpp"

namespace diffqp {

struct FactorCache {
  std::mutex mutex;
  std::shared_ptr<const ReducedKkt> kkt;  // under `mutex`
  // Bytes `kkt` holds, set with it on whichever thread builds it; read without the lock by the
  // JS thread, which must not wait for a build to report memory.
  std::atomic<int64_t> held_bytes{0};
  int64_t reported_bytes = 0;  // told to V8 so far (JS thread only)
  bool finalised = false;      // its JS object is gone: a pass still running reports nothing

  void Set(std::shared_ptr<const ReducedKkt> factor) {
    held_bytes.store(factor ? (int64_t)factor->Bytes() : 0);
    kkt = std::move(factor);
  }
};
using FactorCacheRef = std::shared_ptr<FactorCache>;

// Tells V8 how much native memory the cache holds now, so that GC pressure counts it: a
// factorization of K is invisible to V8 otherwise, and unreleased solutions would pile up.
// Returns the change.
int64_t ReportExternalMemory(Napi::BasicEnv env, FactorCache& cache);

// The cache behind a value made by newFactorCache(), or null for any other value.
const FactorCacheRef* AsFactorCache(const Napi::Value& v);

// The same, for an entry point whose argument must be a cache: anything else is a typed error.
const FactorCacheRef& RequireFactorCache(const Napi::Value& v, const std::string& field);

// A factor cache holding `factor` (may be null): a polished differentiable solve hands the
// factorization of K to the backward pass with it.
Napi::Value MakeFactorCache(Napi::Env env, std::shared_ptr<const ReducedKkt> factor);

// Adds newFactorCache and releaseFactorCache.
void RegisterFactorCache(Napi::Env env, Napi::Object exports);

}  // namespace diffqp
