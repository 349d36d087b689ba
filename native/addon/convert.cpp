#include "convert.hpp"

#include <cmath>
#include <cstring>

#include "../core/error.hpp"

namespace diffqp {
namespace {

[[noreturn]] void TypeFail(const std::string& field, const std::string& what) {
  throw QpError(code::kInvalidType, field + ": " + what, field);
}

// A typed array's type, length and first element in one napi_get_typedarray_info (the
// wrapper's accessors each make that call again: four per array, at µs per call site).
struct TypedInfo {
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
};

bool GetTypedInfo(const Napi::Value& v, TypedInfo& info) {
  if (!v.IsTypedArray()) return false;
  return napi_get_typedarray_info(v.Env(), v, &info.type, &info.length, &info.data, nullptr, nullptr) == napi_ok;
}

template <typename T>
const T* ReadTyped(const Napi::Value& v, napi_typedarray_type type, const char* type_name, const std::string& field, size_t expected_length,
                   std::vector<Napi::ObjectReference>& keep_alive) {
  TypedInfo info;
  if (!GetTypedInfo(v, info) || info.type != type) TypeFail(field, std::string("must be a ") + type_name);
  if (info.length != expected_length) {
    throw QpError(code::kDimensionMismatch,
                  field + ": must have length " + std::to_string(expected_length) + " (got " + std::to_string(info.length) + ")", field);
  }
  keep_alive.push_back(Napi::Persistent(v.As<Napi::Object>()));
  if (expected_length == 0) return nullptr;
  if (!info.data) TypeFail(field, "has a detached buffer");
  return static_cast<const T*>(info.data);
}

int32_t ReadDimension(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) TypeFail(key, "must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 2147483647.0 || d != std::floor(d)) TypeFail(key, "must be a non-negative 32-bit integer");
  return static_cast<int32_t>(d);
}

CscView ReadCsc(const Napi::Object& o, const char* key, int32_t nrows, int32_t ncols, std::vector<Napi::ObjectReference>& keep_alive) {
  const std::string f(key);
  Napi::Value v = o.Get(key);
  if (!v.IsObject()) TypeFail(f, "must be a CSC matrix object");
  Napi::Object M = v.As<Napi::Object>();
  CscView view;
  view.nrows = nrows;
  view.ncols = ncols;
  view.Ap = ReadTyped<int32_t>(M.Get("colPtr"), napi_int32_array, "Int32Array", f + ".colPtr", (size_t)ncols + 1, keep_alive);
  const int32_t nnz = view.Ap[ncols];
  if (nnz < 0)
    throw QpError(code::kInvalidMatrix, f + ".colPtr[" + std::to_string(ncols) + "]: must be non-negative", f + ".colPtr", ncols);
  view.Ai = ReadTyped<int32_t>(M.Get("rowIdx"), napi_int32_array, "Int32Array", f + ".rowIdx", (size_t)nnz, keep_alive);
  view.Ax = ReadTyped<double>(M.Get("values"), napi_float64_array, "Float64Array", f + ".values", (size_t)nnz, keep_alive);
  // colPtr must stay within [0, nnz] for the views above to be safe; ValidateProblem
  // checks monotonicity, which together with Ap[0] = 0 and Ap[ncols] = nnz bounds it.
  for (int32_t j = 0; j <= ncols; j++) {
    if (view.Ap[j] < 0 || view.Ap[j] > nnz) {
      throw QpError(code::kInvalidMatrix, f + ".colPtr[" + std::to_string(j) + "]: must lie in 0.." + std::to_string(nnz), f + ".colPtr",
                    j);
    }
  }
  return view;
}

}  // namespace

const double* ReadDoubles(const Napi::Object& o, const char* key, const std::string& field, size_t n, bool optional,
                          std::vector<Napi::ObjectReference>& keep_alive, Finite check) {
  Napi::Value v = o.Get(key);
  if (optional && (v.IsUndefined() || v.IsNull())) return nullptr;
  const double* p = ReadTyped<double>(v, napi_float64_array, "Float64Array", field, n, keep_alive);
  for (size_t i = 0; check != Finite::kAny && i < n; i++) {
    if (check == Finite::kAll ? !std::isfinite(p[i]) : std::isnan(p[i])) {
      throw QpError(code::kNotFinite, field + "[" + std::to_string(i) + "]: must be finite", field, static_cast<int64_t>(i));
    }
  }
  // A zero-length array has no data pointer; callers index it zero times.
  static const double kEmpty = 0;
  return p ? p : &kEmpty;
}

void ReadProblem(const Napi::Object& js, BorrowedProblem& out) {
  ProblemView& p = out.view;
  auto& keep = out.keep_alive;
  p.n = ReadDimension(js, "n");
  p.m = ReadDimension(js, "m");
  p.q = ReadDoubles(js, "q", "q", p.n, false, keep);
  p.P = ReadCsc(js, "P", p.n, p.n, keep);
  p.A = ReadCsc(js, "A", p.m, p.n, keep);
  p.l = ReadDoubles(js, "l", "l", p.m, false, keep);
  p.u = ReadDoubles(js, "u", "u", p.m, false, keep);
  p.lb = ReadDoubles(js, "lb", "lb", p.n, true, keep);
  p.ub = ReadDoubles(js, "ub", "ub", p.n, true, keep);
  Napi::Value c = js.Get("constant");
  if (!c.IsUndefined()) {
    if (!c.IsNumber()) TypeFail("constant", "must be a number");
    p.constant = c.As<Napi::Number>().DoubleValue();
  }
}

void ReadSettings(const Napi::Object& js, const ProblemView& p, Settings& s, std::string& solver_key,
                  std::vector<Napi::ObjectReference>& keep_alive) {
  auto number = [&](const char* key, double& target, double lo, double hi) {
    Napi::Value v = js.Get(key);
    if (v.IsUndefined()) return;
    const std::string f = std::string("options.") + key;
    if (!v.IsNumber()) throw QpError(code::kInvalidOption, f + ": must be a number", f);
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= lo && d <= hi)) throw QpError(code::kInvalidOption, f + ": out of range", f);
    target = d;
  };
  Napi::Value solver = js.Get("solver");
  if (!solver.IsString()) throw QpError(code::kInvalidOption, "options.solver: must be a string", "options.solver");
  solver_key = solver.As<Napi::String>().Utf8Value();
  number("epsAbs", s.eps_abs, 0, kInf);
  number("epsRel", s.eps_rel, 0, kInf);
  double max_iter = -1;
  number("maxIter", max_iter, 0, 9.0e15);
  s.max_iter = max_iter < 0 ? -1 : static_cast<int64_t>(max_iter);
  number("timeLimit", s.time_limit, 0, kInf);
  // As strict as lib/solve.ts: a flag is a boolean or absent (false), never coerced.
  auto flag = [&](const char* key) {
    Napi::Value v = js.Get(key);
    if (v.IsUndefined()) return false;
    const std::string f = std::string("options.") + key;
    if (!v.IsBoolean()) throw QpError(code::kInvalidOption, f + ": must be a boolean", f);
    return v.As<Napi::Boolean>().Value();
  };
  s.verbose = flag("verbose");
  s.polish = flag("polish");
  s.x0 = ReadDoubles(js, "x0", "options.x0", p.n, true, keep_alive);
  s.y0 = ReadDoubles(js, "y0", "options.y0", p.m, true, keep_alive);
  s.z0 = ReadDoubles(js, "z0", "options.z0", p.n, true, keep_alive);
  Napi::Value extra = js.Get("solverOptions");
  if (extra.IsObject()) {
    Napi::Object o = extra.As<Napi::Object>();
    Napi::Array keys = o.GetPropertyNames();
    for (uint32_t k = 0; k < keys.Length(); k++) {
      const std::string key = keys.Get(k).ToString().Utf8Value();
      Napi::Value v = o.Get(key);
      const std::string f = "options.solverOptions." + key;
      if (v.IsBoolean()) {
        s.extra[key] = v.As<Napi::Boolean>().Value() ? 1.0 : 0.0;
      } else if (v.IsNumber() && !std::isnan(v.As<Napi::Number>().DoubleValue())) {
        s.extra[key] = v.As<Napi::Number>().DoubleValue();
      } else if (v.IsString()) {
        s.extra_text[key] = v.As<Napi::String>().Utf8Value();
      } else {
        throw QpError(code::kInvalidOption, f + ": must be a number, a boolean or a string", f);
      }
    }
  } else if (!extra.IsUndefined()) {
    throw QpError(code::kInvalidOption, "options.solverOptions: must be an object", "options.solverOptions");
  }
}

Napi::Float64Array ToFloat64Array(Napi::Env env, const std::vector<double>& v) {
  auto a = Napi::Float64Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(double));
  return a;
}

Napi::Object ResultToJs(Napi::Env env, const Result& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("status", StatusName(r.status));
  o.Set("rawStatus", r.raw_status);
  o.Set("rawStatusText", r.raw_status_text);
  o.Set("x", ToFloat64Array(env, r.x));
  o.Set("y", ToFloat64Array(env, r.y));
  o.Set("z", ToFloat64Array(env, r.z));
  o.Set("hasDuals", r.has_duals);
  o.Set("objective", r.objective);
  o.Set("primalResidual", r.primal_residual);
  o.Set("dualResidual", r.dual_residual);
  o.Set("dualityGap", r.duality_gap);
  o.Set("iterations", static_cast<double>(r.iterations));
  o.Set("setupTime", r.setup_seconds);
  o.Set("solveTime", r.solve_seconds);
  if (!r.certificate.empty()) o.Set("certificate", ToFloat64Array(env, r.certificate));
  return o;
}

// v into the Float64Array at out[k], which must have its length.
void FillFloat64(const Napi::Array& out, uint32_t k, const std::vector<double>& v, const char* what) {
  TypedInfo info;
  if (!GetTypedInfo(out.Get(k), info) || info.type != napi_float64_array || info.length != v.size() || (!v.empty() && !info.data)) {
    throw QpError(code::kInvalidType, std::string("out: ") + what + " must be a Float64Array of length " + std::to_string(v.size()), "out");
  }
  if (!v.empty()) std::memcpy(info.data, v.data(), v.size() * sizeof(double));
}

Napi::Error ToJsError(Napi::Env env, const std::exception& e) {
  Napi::Error err = Napi::Error::New(env, e.what());
  if (auto* qp = dynamic_cast<const QpError*>(&e)) {
    err.Set("code", qp->code());
    if (!qp->field().empty()) err.Set("field", qp->field());
    if (qp->index() >= 0) err.Set("index", static_cast<double>(qp->index()));
  } else {
    err.Set("code", code::kNative);
  }
  return err;
}

}  // namespace diffqp
