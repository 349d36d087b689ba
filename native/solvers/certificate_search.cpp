#include "certificate_search.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "../core/error.hpp"
#include "../core/limits.hpp"

#ifdef DIFFQP_WITH_HIGHS
#include "highs_common.hpp"
#endif

namespace diffqp {

#ifdef DIFFQP_WITH_HIGHS
namespace {

// An LP built column by column: minimise cᵀv, row_lower ≤ M v ≤ row_upper, col bounds.
struct Lp {
  std::vector<std::vector<std::pair<int32_t, double>>> columns;
  std::vector<double> cost, col_lower, col_upper, row_lower, row_upper;

  int32_t AddColumn(double c, double lo, double hi) {
    columns.emplace_back();
    cost.push_back(c);
    col_lower.push_back(lo);
    col_upper.push_back(hi);
    return (int32_t)columns.size() - 1;
  }
  int32_t AddRow(double lo, double hi) {
    row_lower.push_back(lo);
    row_upper.push_back(hi);
    return (int32_t)row_lower.size() - 1;
  }

  // The optimal v, or empty when HiGHS does not report an optimum with objective < bound.
  std::vector<double> Minimise(double time_limit, const CancelFlag& cancel, double bound) const {
    std::vector<HighsInt> start{0}, index;
    std::vector<double> value;
    for (const auto& col : columns) {
      for (const auto& [row, v] : col) {
        index.push_back(row);
        value.push_back(v);
      }
      start.push_back((HighsInt)index.size());
    }
    HighsHandle handle;
    void* h = handle.h;
    InterruptOnCancel(h, cancel);
    Highs_setBoolOptionValue(h, "output_flag", 0);
    Highs_setStringOptionValue(h, "solver", "simplex");
    Highs_setDoubleOptionValue(h, "primal_feasibility_tolerance", 1e-9);
    Highs_setDoubleOptionValue(h, "dual_feasibility_tolerance", 1e-9);
    if (std::isfinite(time_limit)) Highs_setDoubleOptionValue(h, "time_limit", std::max(0.0, time_limit));
    const HighsInt ncols = (HighsInt)columns.size(), nrows = (HighsInt)row_lower.size();
    if (Highs_passLp(h, ncols, nrows, (HighsInt)index.size(), kHighsMatrixFormatColwise, kHighsObjSenseMinimize, 0.0, cost.data(),
                     col_lower.data(), col_upper.data(), row_lower.data(), row_upper.data(), start.data(), index.data(),
                     value.data()) == kHighsStatusError) {
      return {};
    }
    Highs_run(h);
    if (Highs_getModelStatus(h) != kHighsModelStatusOptimal || !(Highs_getObjectiveValue(h) < bound)) return {};
    std::vector<double> v(ncols), dual(ncols), row_value(nrows), row_dual(nrows);
    Highs_getSolution(h, v.data(), dual.data(), row_value.data(), row_dual.data());
    return v;
  }
};

// min qᵀd over Pd = 0, Ad in the recession cone of [l, u], d in that of [lb, ub], qᵀd ≥ −1:
// an optimum below 0 is an improving ray.
std::vector<double> SearchRay(const ProblemView& p, double time_limit, const CancelFlag& cancel) {
  const double inf = kInf;
  Lp lp;
  for (int32_t j = 0; j < p.n; j++) {
    lp.AddColumn(p.q[j], std::isfinite(p.LowerBound(j)) ? 0.0 : -inf, std::isfinite(p.UpperBound(j)) ? 0.0 : inf);
  }
  // Pd = 0, full symmetric P from its lower triangle: P_ij (i > j) in columns j and i.
  std::vector<int32_t> p_row(p.n, -1);
  auto p_row_of = [&](int32_t i) { return p_row[i] >= 0 ? p_row[i] : (p_row[i] = lp.AddRow(0.0, 0.0)); };
  for (int32_t j = 0; j < p.n; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      const int32_t i = p.P.Ai[k];
      if (p.P.Ax[k] == 0) continue;
      lp.columns[j].emplace_back(p_row_of(i), p.P.Ax[k]);
      if (i != j) lp.columns[i].emplace_back(p_row_of(j), p.P.Ax[k]);
    }
  }
  std::vector<int32_t> a_row(p.m, -1);
  for (int32_t i = 0; i < p.m; i++) {
    if (std::isfinite(p.l[i]) || std::isfinite(p.u[i]))
      a_row[i] = lp.AddRow(std::isfinite(p.l[i]) ? 0.0 : -inf, std::isfinite(p.u[i]) ? 0.0 : inf);
  }
  for (int32_t j = 0; j < p.n; j++) {
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
      if (a_row[p.A.Ai[k]] >= 0 && p.A.Ax[k] != 0) lp.columns[j].emplace_back(a_row[p.A.Ai[k]], p.A.Ax[k]);
    }
  }
  const int32_t norm = lp.AddRow(-1.0, inf);
  for (int32_t j = 0; j < p.n; j++) {
    if (p.q[j] != 0) lp.columns[j].emplace_back(norm, p.q[j]);
  }
  // P's rows were added as met: each column's entries must be sorted by row for HiGHS.
  for (auto& col : lp.columns) std::sort(col.begin(), col.end());
  return lp.Minimise(time_limit, cancel, -0.5);
}

// Farkas: min uᵀy₊ − lᵀy₋ + ubᵀz₊ − lbᵀz₋ over Aᵀ(y₊ − y₋) + z₊ − z₋ = 0, each part in
// [0, 1] (0 on an infinite side): an optimum below 0 is a certificate (y, z).
std::vector<double> SearchFarkas(const ProblemView& p, double time_limit, const CancelFlag& cancel) {
  Lp lp;
  for (int32_t j = 0; j < p.n; j++) lp.AddRow(0.0, 0.0);
  auto part = [&](double bound, double sign) {
    const bool finite = std::isfinite(bound);
    return lp.AddColumn(finite ? sign * bound : 0.0, 0.0, finite ? 1.0 : 0.0);
  };
  std::vector<int32_t> y_plus(p.m), y_minus(p.m);
  for (int32_t i = 0; i < p.m; i++) {
    y_plus[i] = part(p.u[i], 1.0);
    y_minus[i] = part(p.l[i], -1.0);
  }
  for (int32_t j = 0; j < p.n; j++) {
    lp.columns[part(p.UpperBound(j), 1.0)].emplace_back(j, 1.0);
    lp.columns[part(p.LowerBound(j), -1.0)].emplace_back(j, -1.0);
  }
  for (int32_t j = 0; j < p.n; j++) {
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
      const int32_t i = p.A.Ai[k];
      lp.columns[y_plus[i]].emplace_back(j, p.A.Ax[k]);
      lp.columns[y_minus[i]].emplace_back(j, -p.A.Ax[k]);
    }
  }
  const std::vector<double> v = lp.Minimise(time_limit, cancel, -1e-9);
  if (v.empty()) return {};
  std::vector<double> yz(p.m + p.n);
  for (int32_t i = 0; i < p.m; i++) yz[i] = v[y_plus[i]] - v[y_minus[i]];
  for (int32_t j = 0; j < p.n; j++) yz[p.m + j] = v[2 * p.m + 2 * j] - v[2 * p.m + 2 * j + 1];
  return yz;
}

}  // namespace

std::vector<double> SearchCertificate(const ProblemView& p, Status status, double time_limit, const CancelFlag& cancel) {
  // The LPs carry P and A as constraints and q or the bounds as costs: within HiGHS's limits
  // (the Farkas LP reads neither P nor q: a q of 1e20 must not stop it).
  DataLimits limits = HighsLimits();
  if (status == Status::kPrimalInfeasible) limits.hessian = limits.cost = kInf;
  try {
    RequireWithinLimits(p, limits, "highs");
  } catch (const QpError&) {
    return {};
  }
  if (status == Status::kDualInfeasible) return SearchRay(p, time_limit, cancel);
  if (status == Status::kPrimalInfeasible) return SearchFarkas(p, time_limit, cancel);
  return {};
}

#else

std::vector<double> SearchCertificate(const ProblemView&, Status, double, const CancelFlag&) { return {}; }

#endif

}  // namespace diffqp
