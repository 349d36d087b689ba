// See factor_cache.hpp.
#include "factor_cache.hpp"

#include <utility>

#include "../core/error.hpp"
#include "convert.hpp"
#include "release_memory.hpp"

namespace diffqp {
namespace {

// Marks our externals, so that no other object passes for a cache.
constexpr napi_type_tag kFactorCacheTag = {0x6469666671706663ULL, 0x3a4b4b5420763100ULL};

Napi::Value NewFactorCache(const Napi::CallbackInfo& info) { return MakeFactorCache(info.Env(), nullptr); }

// A pass already running keeps its own reference to the factorization; waiting for the lock
// here waits at most for a build in progress (the lock is never held across a solve with K).
Napi::Value ReleaseFactorCache(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    const FactorCacheRef& ref = RequireFactorCache(info.Length() > 0 ? info[0] : env.Undefined(), "cache");
    {
      std::shared_ptr<const ReducedKkt> dropped;  // freed after the lock is released
      std::lock_guard<std::mutex> lock(ref->mutex);
      dropped = std::move(ref->kkt);
      ref->Set(nullptr);
    }
    CountFreedCacheBytes(-ReportExternalMemory(env, *ref));
    return env.Undefined();
  } catch (const std::exception& e) {
    throw ToJsError(env, e);
  }
}

}  // namespace

int64_t ReportExternalMemory(Napi::BasicEnv env, FactorCache& cache) {
  const int64_t now = cache.finalised ? 0 : cache.held_bytes.load();
  const int64_t change = now - cache.reported_bytes;
  if (change != 0) Napi::MemoryManagement::AdjustExternalMemory(env, change);
  cache.reported_bytes = now;
  return change;
}

const FactorCacheRef* AsFactorCache(const Napi::Value& v) {
  if (!v.IsExternal() || !v.As<Napi::External<FactorCacheRef>>().CheckTypeTag(&kFactorCacheTag)) return nullptr;
  return v.As<Napi::External<FactorCacheRef>>().Data();
}

const FactorCacheRef& RequireFactorCache(const Napi::Value& v, const std::string& field) {
  const FactorCacheRef* ref = AsFactorCache(v);
  if (!ref) throw QpError(code::kInvalidType, field + ": must be a factor cache made by newFactorCache()", field);
  return *ref;
}

Napi::Value MakeFactorCache(Napi::Env env, std::shared_ptr<const ReducedKkt> factor) {
  auto cache = std::make_shared<FactorCache>();
  cache->Set(std::move(factor));
  ReportExternalMemory(env, *cache);
  // A pass still running holds its own reference to the cache; V8 is told the memory is gone
  // when the JS object goes, which is when V8 can no longer free any of it.
  auto ext = Napi::External<FactorCacheRef>::New(env, new FactorCacheRef(std::move(cache)), [](Napi::Env fenv, FactorCacheRef* ref) {
    (*ref)->finalised = true;
    const int64_t change = ReportExternalMemory(fenv, **ref);
    delete ref;
    CountFreedCacheBytes(-change);
  });
  ext.TypeTag(&kFactorCacheTag);
  return ext;
}

void RegisterFactorCache(Napi::Env env, Napi::Object exports) {
  exports.Set("newFactorCache", Napi::Function::New(env, NewFactorCache, "newFactorCache"));
  exports.Set("releaseFactorCache", Napi::Function::New(env, ReleaseFactorCache, "releaseFactorCache"));
}

}  // namespace diffqp
