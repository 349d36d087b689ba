#include "convexity.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <vector>

#include "../linsys/linsys.h"
#include "error.hpp"

namespace diffqp {
namespace {

struct LdlFree {
  void operator()(LinsysLdl* s) const { linsys_ldl_free(s); }
};

}  // namespace

ConvexityVerdict CheckConvexity(const CscView& P) {
  ConvexityVerdict v;
  const int32_t n = P.ncols;
  std::vector<double> diag(n, 0.0);
  bool off_diagonal = false;
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = P.Ap[j]; k < P.Ap[j + 1]; k++) {
      if (P.Ai[k] == j) {
        diag[j] += P.Ax[k];
      } else if (P.Ax[k] != 0) {
        off_diagonal = true;
      }
    }
  }
  const double dmax = n > 0 ? std::max(0.0, *std::max_element(diag.begin(), diag.end())) : 0.0;
  const double eps = kConvexityTolerance * dmax;
  for (int32_t j = 0; j < n; j++) {
    if (diag[j] < -eps) {
      v = {false, j, -1, diag[j], "its diagonal entry is negative"};
      return v;
    }
  }
  // A PSD matrix has P_ij² ≤ P_ii·P_jj (every 2×2 principal minor is ≥ 0).
  for (int32_t j = 0; j < n && off_diagonal; j++) {
    for (int32_t k = P.Ap[j]; k < P.Ap[j + 1]; k++) {
      const int32_t i = P.Ai[k];
      if (i == j) continue;
      const double bound = std::sqrt(std::max(0.0, diag[i] + eps)) * std::sqrt(std::max(0.0, diag[j] + eps));
      if (std::fabs(P.Ax[k]) > bound) {
        v = {false, j, i, (diag[i] + eps) * (diag[j] + eps) - P.Ax[k] * P.Ax[k], ""};
        std::ostringstream s;
        s << "the 2x2 principal minor of variables " << j << " and " << i << " is negative (P[" << i << "][" << j << "] = " << P.Ax[k]
          << ")";
        v.reason = s.str();
        return v;
      }
    }
  }
  if (!off_diagonal) return v;  // diagonal and ≥ −ε: accepted

  // The upper triangle of (P + εI)/dmax, column by column: the transpose of P's lower
  // triangle, each column's diagonal last. Scaling by dmax keeps products in range.
  std::vector<int32_t> Up(n + 1, 0), next(n);
  for (int32_t j = 0; j < n; j++) {
    Up[j + 1]++;
    for (int32_t k = P.Ap[j]; k < P.Ap[j + 1]; k++) {
      if (P.Ai[k] != j) Up[P.Ai[k] + 1]++;
    }
  }
  for (int32_t j = 0; j < n; j++) Up[j + 1] += Up[j];
  std::vector<int32_t> Ui(Up[n]);
  std::vector<double> Ux(Up[n]);
  std::copy(Up.begin(), Up.end() - 1, next.begin());
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = P.Ap[j]; k < P.Ap[j + 1]; k++) {
      if (P.Ai[k] == j) continue;
      const int32_t at = next[P.Ai[k]]++;
      Ui[at] = j;
      Ux[at] = P.Ax[k] / dmax;
    }
  }
  for (int32_t j = 0; j < n; j++) {
    Ui[next[j]] = j;
    Ux[next[j]] = (diag[j] + eps) / dmax;
  }
  LinsysLdl* raw = nullptr;
  const int status = linsys_ldl_analyze(&raw, n, Up.data(), Ui.data());
  std::unique_ptr<LinsysLdl, LdlFree> ldl(raw);
  if (status != LINSYS_OK) {
    throw QpError(code::kNative, "the convexity check of P could not analyse P + εI (linsys error " + std::to_string(status) + ")", "P");
  }
  if (linsys_ldl_factor(ldl.get(), Ux.data()) != LINSYS_OK) {
    const int32_t j = linsys_ldl_zero_pivot(ldl.get());
    return {false, j, -1, 0.0, "its pivot in an LDLᵀ of P + εI is zero"};
  }
  if (linsys_ldl_positive_pivots(ldl.get()) == n) return v;
  // The most negative pivot names the witness.
  int32_t worst = -1;
  double worst_pivot = 0;
  for (int32_t j = 0; j < n; j++) {
    const double d = linsys_ldl_pivot_of(ldl.get(), j);
    if (!(d > 0) && (worst < 0 || d < worst_pivot || std::isnan(d))) worst = j, worst_pivot = d;
  }
  return {false, worst, -1, worst_pivot * dmax, "its pivot in an LDLᵀ of P + εI is negative"};
}

void ThrowNotConvex(const ConvexityVerdict& v) {
  std::ostringstream s;
  s << "P: not positive semidefinite (tolerance ε = " << kConvexityTolerance << "·max P_jj): variable " << v.variable << ": " << v.reason;
  if (v.other < 0) s << " (" << v.value << ")";
  throw QpError(code::kNotConvex, s.str(), "P", v.variable);
}

void RequireConvex(const CscView& P) {
  const ConvexityVerdict v = CheckConvexity(P);
  if (!v.convex) ThrowNotConvex(v);
}

}  // namespace diffqp
