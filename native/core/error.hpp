// The one exception type below addon/: a stable error code (the same strings as
// lib/errors.ts) plus where it happened. The addon turns it into a JS QpError.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace diffqp {

namespace code {
constexpr const char* kInvalidType = "ERR_QP_INVALID_TYPE";
constexpr const char* kDimensionMismatch = "ERR_QP_DIMENSION_MISMATCH";
constexpr const char* kNotFinite = "ERR_QP_NOT_FINITE";
constexpr const char* kInvalidBounds = "ERR_QP_INVALID_BOUNDS";
constexpr const char* kInvalidMatrix = "ERR_QP_INVALID_MATRIX";
constexpr const char* kInvalidOption = "ERR_QP_INVALID_OPTION";
constexpr const char* kSolverUnavailable = "ERR_QP_SOLVER_UNAVAILABLE";
constexpr const char* kNotConvex = "ERR_QP_NOT_CONVEX";
constexpr const char* kOutOfRange = "ERR_QP_OUT_OF_RANGE";
constexpr const char* kNative = "ERR_QP_NATIVE";
constexpr const char* kNotDifferentiable = "ERR_QP_NOT_DIFFERENTIABLE";
constexpr const char* kDisposed = "ERR_QP_DISPOSED";
}  // namespace code

class QpError : public std::runtime_error {
 public:
  QpError(const char* code, const std::string& message, std::string field = "", int64_t index = -1)
      : std::runtime_error(message), code_(code), field_(std::move(field)), index_(index) {}
  const char* code() const { return code_; }
  const std::string& field() const { return field_; }
  int64_t index() const { return index_; }

 private:
  const char* code_;
  std::string field_;
  int64_t index_;
};

}  // namespace diffqp
