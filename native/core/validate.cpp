#include "validate.hpp"

#include <cmath>
#include <sstream>

#include "error.hpp"

namespace diffqp {
namespace {

std::string Describe(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  std::ostringstream s;
  s << v;
  return s.str();
}

[[noreturn]] void Fail(const char* code, const std::string& field, int64_t index, const std::string& what) {
  std::ostringstream s;
  s << field;
  if (index >= 0) s << "[" << index << "]";
  s << ": " << what;
  throw QpError(code, s.str(), field, index);
}

enum class Shape { kGeneral, kLowerTriangle };

void ValidateCsc(const char* name, const CscView& M, int32_t nrows, int32_t ncols, Shape shape) {
  const std::string f(name);
  if (M.nrows != nrows || M.ncols != ncols) {
    std::ostringstream s;
    s << "shape must be " << nrows << "x" << ncols << " (got " << M.nrows << "x" << M.ncols << ")";
    Fail(code::kDimensionMismatch, f, -1, s.str());
  }
  if (!M.Ap) Fail(code::kInvalidMatrix, f + ".colPtr", -1, "is missing");
  if (M.Ap[0] != 0) Fail(code::kInvalidMatrix, f + ".colPtr", 0, "must start at 0 (got " + std::to_string(M.Ap[0]) + ")");
  for (int32_t j = 0; j < ncols; j++) {
    if (M.Ap[j + 1] < M.Ap[j])
      Fail(code::kInvalidMatrix, f + ".colPtr", j + 1, "must be non-decreasing (got " + std::to_string(M.Ap[j + 1]) + ")");
  }
  const int32_t nnz = M.Ap[ncols];
  if (nnz > 0 && (!M.Ai || !M.Ax)) Fail(code::kInvalidMatrix, f, -1, "rowIdx or values missing");
  for (int32_t j = 0; j < ncols; j++) {
    int32_t previous = -1;
    for (int32_t k = M.Ap[j]; k < M.Ap[j + 1]; k++) {
      const int32_t i = M.Ai[k];
      if (i < 0 || i >= nrows)
        Fail(code::kInvalidMatrix, f + ".rowIdx", k, "must be in 0.." + std::to_string(nrows - 1) + " (got " + std::to_string(i) + ")");
      if (i <= previous)
        Fail(code::kInvalidMatrix, f + ".rowIdx", k,
             "must be sorted and unique within column " + std::to_string(j) + " (got " + std::to_string(i) + ")");
      if (shape == Shape::kLowerTriangle && i < j)
        Fail(code::kInvalidMatrix, f + ".rowIdx", k, "lies above the diagonal of a lower triangle (got " + std::to_string(i) + ")");
      if (!std::isfinite(M.Ax[k])) Fail(code::kNotFinite, f + ".values", k, "must be finite (got " + Describe(M.Ax[k]) + ")");
      previous = i;
    }
  }
}

void ValidateRange(const char* lo_name, const double* lo, const char* hi_name, const double* hi, int32_t count) {
  for (int32_t i = 0; i < count; i++) {
    const double a = lo ? lo[i] : -kInf;
    const double b = hi ? hi[i] : kInf;
    if (std::isnan(a)) Fail(code::kInvalidBounds, lo_name, i, "must not be NaN");
    if (std::isnan(b)) Fail(code::kInvalidBounds, hi_name, i, "must not be NaN");
    if (a == kInf) Fail(code::kInvalidBounds, lo_name, i, "must not be +Infinity");
    if (b == -kInf) Fail(code::kInvalidBounds, hi_name, i, "must not be -Infinity");
    if (a > b)
      Fail(code::kInvalidBounds, lo_name, i,
           Describe(a) + " exceeds " + std::string(hi_name) + "[" + std::to_string(i) + "] = " + Describe(b));
  }
}

}  // namespace

void ValidateProblem(const ProblemView& p) {
  if (p.n < 0) Fail(code::kDimensionMismatch, "n", -1, "must be non-negative");
  if (p.m < 0) Fail(code::kDimensionMismatch, "m", -1, "must be non-negative");
  if (p.n > 0 && !p.q) Fail(code::kInvalidType, "q", -1, "is missing");
  ValidateCsc("P", p.P, p.n, p.n, Shape::kLowerTriangle);
  ValidateCsc("A", p.A, p.m, p.n, Shape::kGeneral);
  for (int32_t j = 0; j < p.n; j++) {
    if (!std::isfinite(p.q[j])) Fail(code::kNotFinite, "q", j, "must be finite (got " + Describe(p.q[j]) + ")");
  }
  if (p.m > 0 && (!p.l || !p.u)) Fail(code::kInvalidType, "l/u", -1, "are missing");
  ValidateRange("l", p.l, "u", p.u, p.m);
  ValidateRange("lb", p.lb, "ub", p.ub, p.n);
  if (!std::isfinite(p.constant)) Fail(code::kNotFinite, "constant", -1, "must be finite");
}

}  // namespace diffqp
