// Unit tests of native/core's convexity check and data limits, on matrices whose eigenvalues
// are known in closed form. Run by ctest (core_unit).
#include <cmath>
#include <cstring>
#include <vector>

#define CHECK_DEFINE_GLOBALS
#include "../../testing/check.h"
#include "../convexity.hpp"
#include "../error.hpp"
#include "../limits.hpp"

using namespace diffqp;

namespace {

// The lower triangle of a dense symmetric matrix, as CSC (zeros dropped).
struct Lower {
  std::vector<int32_t> Ap{0}, Ai;
  std::vector<double> Ax;
  CscView view;
  explicit Lower(const std::vector<std::vector<double>>& M) {
    const int32_t n = (int32_t)M.size();
    for (int32_t j = 0; j < n; j++) {
      for (int32_t i = j; i < n; i++) {
        if (M[i][j] != 0) Ai.push_back(i), Ax.push_back(M[i][j]);
      }
      Ap.push_back((int32_t)Ai.size());
    }
    view = {n, n, Ap.data(), Ai.data(), Ax.data()};
  }
};

void test_convex_accepted() {
  g_test = "convex matrices pass";
  CHECK(CheckConvexity(Lower({{2, 0}, {0, 3}}).view).convex, "diagonal");
  CHECK(CheckConvexity(Lower({{1, 1}, {1, 1}}).view).convex, "[[1,1],[1,1]] (singular)");
  CHECK(CheckConvexity(Lower({{0, 0}, {0, 0}}).view).convex, "zero");
  // [[1,1],[1,1]] − 1e-12·I: λ_min = −1e-12, inside the tolerance 1e-4·max P_jj.
  CHECK(CheckConvexity(Lower({{1 - 1e-12, 1}, {1, 1 - 1e-12}}).view).convex, "rounded singular");
  // A tridiagonal [−1, 2, −1] of order 50: λ_min = 2 − 2cos(π/51) > 0, with fill-free LDLᵀ.
  std::vector<std::vector<double>> T(50, std::vector<double>(50, 0.0));
  for (int i = 0; i < 50; i++) {
    T[i][i] = 2;
    if (i > 0) T[i][i - 1] = T[i - 1][i] = -1;
  }
  CHECK(CheckConvexity(Lower(T).view).convex, "tridiagonal");
}

void test_witnesses() {
  g_test = "non-convex matrices name a witness";
  ConvexityVerdict v = CheckConvexity(Lower({{1, 0}, {0, -1}}).view);
  CHECK(!v.convex && v.variable == 1 && v.value == -1, "negative diagonal: variable %d value %g", v.variable, v.value);
  v = CheckConvexity(Lower({{1, 2}, {2, 1}}).view);
  CHECK(!v.convex && v.other >= 0, "2x2 minor: variables %d, %d", v.variable, v.other);
  // Every 2×2 minor is 1 − 0.81 > 0, but (1, −1, −1) has curvature 3 − 5.4 < 0: only the
  // factorisation sees it.
  v = CheckConvexity(Lower({{1, 0.9, 0.9}, {0.9, 1, -0.9}, {0.9, -0.9, 1}}).view);
  CHECK(!v.convex && v.other < 0 && v.variable >= 0 && v.value < 0, "pivot: variable %d value %g", v.variable, v.value);
  // Tridiagonal [−1, 2, −1] minus 0.01·I (λ_min < 0 once 2 − 2cos(π/51) < 0.01).
  std::vector<std::vector<double>> T(50, std::vector<double>(50, 0.0));
  for (int i = 0; i < 50; i++) {
    T[i][i] = 2 - 0.01;
    if (i > 0) T[i][i - 1] = T[i - 1][i] = -1;
  }
  CHECK(!CheckConvexity(Lower(T).view).convex, "shifted tridiagonal");
  // Entries near the top of the double range: no overflow in the test itself.
  v = CheckConvexity(Lower({{1e300, 1e300}, {1e300, 0.5e300}}).view);
  CHECK(!v.convex, "huge entries");
  bool thrown = false;
  try {
    RequireConvex(Lower({{1, 0}, {0, -1}}).view);
  } catch (const QpError& e) {
    thrown = std::strcmp(e.code(), code::kNotConvex) == 0 && e.field() == "P" && e.index() == 1;
  }
  CHECK(thrown, "RequireConvex throws ERR_QP_NOT_CONVEX naming P and the variable");
}

void test_limits() {
  g_test = "data limits";
  Lower P({{1e16, 0}, {0, 1}});
  const double q[2] = {1, 2}, l[1] = {1e21}, u[1] = {kInf}, lb[2] = {-1e30, 0}, ub[2] = {kInf, kInf};
  const int32_t Ap[3] = {0, 1, 2}, Ai[2] = {0, 0};
  const double Ax[2] = {1, 1};
  ProblemView p;
  p.n = 2;
  p.m = 1;
  p.P = P.view;
  p.q = q;
  p.A = {1, 2, Ap, Ai, Ax};
  p.l = l;
  p.u = u;
  p.lb = lb;
  p.ub = ub;
  auto refused = [&](const DataLimits& limits, const char* field, int64_t index) {
    try {
      RequireWithinLimits(p, limits, "test");
    } catch (const QpError& e) {
      return std::strcmp(e.code(), code::kOutOfRange) == 0 && e.field() == field && e.index() == index;
    }
    return false;
  };
  DataLimits hessian;
  hessian.hessian = 1e15;
  CHECK(refused(hessian, "P.values", 0), "P beyond 1e15");
  // l = 1e21 is a lower bound beyond 1e20: +∞ as a lower bound. lb = −1e30 is merely infinite.
  CHECK(refused(DataLimits{}, "l", 0), "a lower bound of 1e21");
  const double fine_l[1] = {-1e30};
  p.l = fine_l;
  bool passed = true;
  try {
    RequireWithinLimits(p, DataLimits{}, "test");
  } catch (const QpError&) {
    passed = false;
  }
  CHECK(passed, "bounds beyond 1e20 on their own side are infinite, not errors");
}

}  // namespace

int main() {
  test_convex_accepted();
  test_witnesses();
  test_limits();
  if (g_failed_checks) {
    printf("%d check(s) failed\n", g_failed_checks);
    return 1;
  }
  printf("core tests passed\n");
  return 0;
}
