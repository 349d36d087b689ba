// Conversion between JS values and the plain C++ views of core/. The only place that
// knows how a problem crosses the boundary; every length is checked before a pointer
// is trusted, so malformed input from JS cannot make native code read out of bounds.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "../core/problem.hpp"

namespace diffqp {

// A problem view plus the JS references that keep its typed arrays alive.
struct BorrowedProblem {
  ProblemView view;
  std::vector<Napi::ObjectReference> keep_alive;
};

// Reads {n, m, P:{colPtr,rowIdx,values}, q, A:{...}, l, u, lb?, ub?, constant}. Throws QpError.
void ReadProblem(const Napi::Object& js, BorrowedProblem& out);

// Reads {solver, epsAbs, epsRel, maxIter, timeLimit, verbose, x0, y0, z0, solverOptions}.
// Warm-start arrays are referenced in `keep_alive`. Throws QpError.
void ReadSettings(const Napi::Object& js, const ProblemView& p, Settings& out, std::string& solver_key,
                  std::vector<Napi::ObjectReference>& keep_alive);

// o[key] as a Float64Array of length n (QpError naming `field` otherwise; `optional`: undefined
// or null gives null), kept alive in `keep_alive`; with `check`, its entries must be finite
// (kAll) or not NaN (kNoNaN). Never null for a present array, even of length 0.
enum class Finite { kAny, kNoNaN, kAll };
const double* ReadDoubles(const Napi::Object& o, const char* key, const std::string& field, size_t n, bool optional,
                          std::vector<Napi::ObjectReference>& keep_alive, Finite check = Finite::kAny);

Napi::Float64Array ToFloat64Array(Napi::Env env, const std::vector<double>& v);
Napi::Object ResultToJs(Napi::Env env, const Result& r);

// Throws a JS Error carrying code, field and index for a QpError or any other exception.
Napi::Error ToJsError(Napi::Env env, const std::exception& e);

// An entry point's body, run so that any C++ exception leaves as a JS error (ToJsError keeps
// a QpError's code, field and index); a Napi::Error passes through as it is.
template <class Body>
Napi::Value Translated(Napi::Env env, Body&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw ToJsError(env, e);
  }
}

// v into the Float64Array at out[k], which must have its length (QpError naming `what` if not):
// results written into arrays the caller made, without building a JS object.
void FillFloat64(const Napi::Array& out, uint32_t k, const std::vector<double>& v, const char* what);

}  // namespace diffqp
