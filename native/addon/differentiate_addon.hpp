// What the rest of the addon uses from differentiate_addon.cpp.
#pragma once
#include <napi.h>

#include <memory>

#include "../core/problem.hpp"

namespace diffqp {

class ReducedKkt;  // kkt/reduced_kkt.hpp

// Adds differentiateSync/Async, jvpSync/Async, differentiateBatchSync/Async, newFactorCache
// and releaseFactorCache (factor_cache.hpp).
void RegisterDifferentiate(Napi::Env env, Napi::Object exports);

// One pass of differentiateSync (or jvpSync when `forward`) on a problem and solution the
// caller owns (a parametric problem): seeds and options are read as differentiateSync reads
// them. kkt passes build the factorization of K into `factor` when it is null or does not
// match, and reuse it otherwise: the caller clears it whenever the solution changes.
Napi::Value DifferentiateOwned(Napi::Env env, const ProblemView& p, const double* x, const double* y, const double* z,
                               const Napi::Value& seeds, const Napi::Value& options, bool forward,
                               std::shared_ptr<const ReducedKkt>& factor);
// The backward pass of DifferentiateOwned written into `out` = [info, dP, dq, dA, dl, du, dlb, dub]
// (Float64Arrays of their lengths; info: differentiable, activeRows, activeBounds, factorTime,
// solveTime, iterations, factorReused, activeSetChanges); returns the reason. No JS object is
// built: the parametric loop's µs go to the solve, not to property stores.
Napi::Value DifferentiateOwnedInto(Napi::Env env, const ProblemView& p, const double* x, const double* y, const double* z,
                                   const Napi::Value& seeds, const Napi::Value& options, const Napi::Array& out,
                                   std::shared_ptr<const ReducedKkt>& factor);

}  // namespace diffqp
