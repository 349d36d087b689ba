// The active set of docs/METHODS.md §4 (FindActiveSet, ChooseActiveSet and its refinement on K)
// and the explicit active constraint matrix C_J (BuildActiveSystem): see active_set.hpp.
#include "active_set.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "reduced_kkt.hpp"

extern "C" {
#include <cholmod.h>
}

namespace diffqp {
namespace {

double NormInf(const double* v, int32_t len) {
  double s = 0;
  for (int32_t i = 0; i < len; i++) s = std::max(s, std::abs(v[i]));
  return s;
}

// Which side of [lo, hi] is active at value v with dual w (w > 0 names hi, w < 0 names lo).
// Returns side (0, +1, −1), sets eq for lo == hi, weak for an active inequality with |w| ≤ thr.
int8_t Side(double v, double lo, double hi, double w, double eps, double thr, bool& eq, bool& weak) {
  eq = false;
  weak = false;
  if (lo == hi && std::isfinite(lo)) {
    eq = true;
    return w >= 0 ? 1 : -1;
  }
  const bool up = std::isfinite(hi) && (v >= hi - eps * std::max(1.0, std::abs(hi)) || w > thr);
  const bool low = std::isfinite(lo) && (v <= lo + eps * std::max(1.0, std::abs(lo)) || w < -thr);
  int8_t side = 0;
  if (up && low) {
    side = w > 0 ? 1 : w < 0 ? -1 : (hi - v <= v - lo ? 1 : -1);
  } else if (up) {
    side = 1;
  } else if (low) {
    side = -1;
  }
  if (side != 0 && std::abs(w) <= thr) weak = true;
  return side;
}

}  // namespace

ActiveSet FindActiveSet(const ProblemView& p, const double* x, const double* y, const double* z, double eps, bool normalize_rows) {
  ActiveSet s;
  const int32_t n = p.n, m = p.m;
  s.row_side.assign(m, 0);
  s.row_eq.assign(m, 0);
  s.bound_side.assign(n, 0);
  s.bound_eq.assign(n, 0);
  // Row i divided by scale[i]: its slack becomes a distance, its dual y_i·scale[i].
  std::vector<double> scale(m, 1.0);
  if (normalize_rows) {
    std::fill(scale.begin(), scale.end(), 0.0);
    for (int32_t k = 0; k < p.A.nnz(); k++) scale[p.A.Ai[k]] += p.A.Ax[k] * p.A.Ax[k];
    for (double& v : scale) v = v > 0 ? std::sqrt(v) : 1.0;
  }
  std::vector<double> ys(y, y + m);
  for (int32_t i = 0; i < m; i++) ys[i] *= scale[i];
  s.dual_threshold = eps * std::max({1.0, NormInf(ys.data(), m), NormInf(z, n)});
  std::vector<double> Ax(m, 0.0);
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) Ax[p.A.Ai[k]] += p.A.Ax[k] * x[j];
  }
  for (int32_t i = 0; i < m; i++) {
    bool eq, weak;
    const double d = scale[i];
    s.row_side[i] = Side(Ax[i] / d, p.l[i] / d, p.u[i] / d, ys[i], eps, s.dual_threshold, eq, weak);
    s.row_eq[i] = eq;
    if (weak) {
      s.weak_rows++;
      if (s.first_weak < 0) s.first_weak = i;
    }
  }
  if (p.lb || p.ub) {
    for (int32_t j = 0; j < n; j++) {
      bool eq, weak;
      s.bound_side[j] = Side(x[j], p.LowerBound(j), p.UpperBound(j), z[j], eps, s.dual_threshold, eq, weak);
      s.bound_eq[j] = eq;
      if (weak) {
        s.weak_bounds++;
        if (s.first_weak < 0) s.first_weak = m + j;
      }
    }
  }
  return s;
}

ActiveSetStepResult ActiveSetStep(const ProblemView& p, const ReducedKkt& k, const std::vector<double>& sol, double eps, ActiveSet& next) {
  const int32_t n = p.n, m = p.m;
  ActiveSetStepResult st;
  double wmax = 1;
  for (int32_t t = n; t < (int32_t)sol.size(); t++) wmax = std::max(wmax, std::abs(sol[t]));
  auto update = [&](int8_t& side, int32_t kk, bool eq, double v, double lo, double hi) {
    if (eq) return;
    double defect = 0;
    int8_t want = side;
    if (kk >= 0) {
      defect = -side * sol[n + kk] / wmax;
      if (defect > eps) want = 0;
    } else if (v > hi) {
      defect = (v - hi) / std::max(1.0, std::abs(hi));
      if (defect > eps) want = 1;
    } else if (v < lo) {
      defect = (lo - v) / std::max(1.0, std::abs(lo));
      if (defect > eps) want = -1;
    }
    st.violation = std::max(st.violation, defect);
    if (want != side) {
      side = want;
      st.changes++;
    }
  };
  std::vector<double> Ax(m, 0.0);
  for (int32_t j = 0; j < n; j++)
    for (int32_t q = p.A.Ap[j]; q < p.A.Ap[j + 1]; q++) Ax[p.A.Ai[q]] += p.A.Ax[q] * sol[j];
  for (int32_t i = 0; i < m; i++) update(next.row_side[i], k.row_k[i], k.as.row_eq[i], Ax[i], p.l[i], p.u[i]);
  for (int32_t j = 0; j < n && (p.lb || p.ub); j++)
    update(next.bound_side[j], k.bound_k[j], k.as.bound_eq[j], sol[j], p.LowerBound(j), p.UpperBound(j));
  return st;
}

std::vector<double> SolveEqualityQp(const ProblemView& p, const ReducedKkt& k, double* relative_residual) {
  const int32_t n = p.n, m = p.m;
  const ActiveSet& as = k.as;
  std::vector<double> rhs(k.N(), 0.0);
  for (int32_t j = 0; j < n; j++) rhs[j] = -p.q[j];
  for (int32_t i = 0; i < m; i++)
    if (k.row_k[i] >= 0) rhs[n + k.row_k[i]] = as.row_side[i] > 0 ? p.u[i] : p.l[i];
  for (int32_t j = 0; j < n; j++)
    if (k.bound_k[j] >= 0) rhs[n + k.bound_k[j]] = as.bound_side[j] > 0 ? p.UpperBound(j) : p.LowerBound(j);
  return k.Solve(rhs, relative_residual);
}

bool SameActiveSet(const ActiveSet& a, const ActiveSet& b) {
  return a.row_side == b.row_side && a.bound_side == b.bound_side && a.row_eq == b.row_eq && a.bound_eq == b.bound_eq &&
         a.weak_rows == b.weak_rows && a.weak_bounds == b.weak_bounds && a.first_weak == b.first_weak;
}

ActiveSet ChooseActiveSet(const ProblemView& p, const double* x, const double* y, const double* z, const ActiveSetOptions& opt) {
  ActiveSet as = FindActiveSet(p, x, y, z, opt.eps_active, opt.normalize_rows);
  if (!opt.refine_active_set) return as;
  ActiveSetOptions plain = opt;
  plain.refine_active_set = false;
  const int32_t n = p.n, m = p.m;
  ActiveSet best = as;
  double best_violation = HUGE_VAL;
  std::vector<double> best_w;
  std::vector<int32_t> best_row_k, best_bound_k;
  int32_t changes = 0;
  for (int32_t step = 0; step <= opt.refine_max_steps; step++) {
    auto k = ReducedKkt::BuildOn(p, as, plain);
    const std::vector<double> sol = SolveEqualityQp(p, *k, nullptr);
    ActiveSet next = as;
    const ActiveSetStepResult st = ActiveSetStep(p, *k, sol, opt.eps_active, next);
    if (st.violation < best_violation) {
      best = as;
      best.refine_changes = changes;
      best_violation = st.violation;
      best_w.assign(sol.begin() + n, sol.end());
      best_row_k = k->row_k;
      best_bound_k = k->bound_k;
    }
    if (st.changes == 0) break;
    changes += st.changes;
    as = std::move(next);
  }
  // Weak constraints of the refined set: its own multipliers decide.
  best.refine_violation = best_violation;
  best.weak_rows = best.weak_bounds = 0;
  best.first_weak = -1;
  double wmax = 1;
  for (double w : best_w) wmax = std::max(wmax, std::abs(w));
  const double thr = opt.eps_active * wmax;
  for (int32_t i = 0; i < m; i++) {
    if (best_row_k[i] >= 0 && !best.row_eq[i] && std::abs(best_w[best_row_k[i]]) <= thr) {
      best.weak_rows++;
      if (best.first_weak < 0) best.first_weak = i;
    }
  }
  for (int32_t j = 0; j < n; j++) {
    if (best_bound_k[j] >= 0 && !best.bound_eq[j] && std::abs(best_w[best_bound_k[j]]) <= thr) {
      best.weak_bounds++;
      if (best.first_weak < 0) best.first_weak = m + j;
    }
  }
  return best;
}

ActiveSystem BuildActiveSystem(const ProblemView& p, const double* x, const double* y, const double* z, const ActiveSetOptions& opt) {
  const int32_t n = p.n, m = p.m;
  ActiveSystem s;
  s.as = ChooseActiveSet(p, x, y, z, opt);
  s.row_k.assign(m, -1);
  s.bound_k.assign(n, -1);
  std::vector<double> Ax(m, 0.0);
  for (int32_t j = 0; j < n; j++)
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) Ax[p.A.Ai[k]] += p.A.Ax[k] * x[j];
  auto add = [&](double v, double lo, double hi, int8_t side, bool eq, double dual) {
    s.w.push_back(dual);
    s.eq.push_back(eq ? 1 : 0);
    if (eq) {
      s.r.push_back(v - (side > 0 ? hi : lo));
    } else {
      s.r.push_back(side > 0 ? v - hi : lo - v);
    }
  };
  for (int32_t i = 0; i < m; i++) {
    if (s.as.row_side[i] == 0) continue;
    s.row_k[i] = s.nJ++;
    add(Ax[i], p.l[i], p.u[i], s.as.row_side[i], s.as.row_eq[i], y[i]);
  }
  s.n_rows = s.nJ;
  for (int32_t j = 0; j < n; j++) {
    if (s.as.bound_side[j] == 0) continue;
    s.bound_k[j] = s.nJ++;
    add(x[j], p.LowerBound(j), p.UpperBound(j), s.as.bound_side[j], s.as.bound_eq[j], z[j]);
  }
  s.Cp.assign(n + 1, 0);
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
      const int32_t r = s.row_k[p.A.Ai[k]];
      if (r < 0) continue;
      s.Ci.push_back(r);
      s.Cx.push_back(p.A.Ax[k]);
    }
    if (s.bound_k[j] >= 0) {
      s.Ci.push_back(s.bound_k[j]);
      s.Cx.push_back(1.0);
    }
    s.Cp[j + 1] = (int32_t)s.Ci.size();
  }
  return s;
}

bool ActiveRowsIndependent(const ActiveSystem& s, double* rcond) {
  const int32_t nJ = s.nJ, n = (int32_t)s.Cp.size() - 1;
  if (rcond) *rcond = 1;
  if (nJ == 0) return true;
  cholmod_common c;
  cholmod_start(&c);
  c.print = 0;
  c.error_handler = nullptr;
  bool independent = false;
  double rc = 0;
  cholmod_sparse* C = cholmod_allocate_sparse(nJ, n, s.Ci.size(), 1, 1, 0, CHOLMOD_REAL, &c);
  cholmod_sparse* CCt = nullptr;
  cholmod_sparse* S = nullptr;
  cholmod_factor* L = nullptr;
  if (C) {
    std::copy(s.Cp.begin(), s.Cp.end(), static_cast<int*>(C->p));
    std::copy(s.Ci.begin(), s.Ci.end(), static_cast<int*>(C->i));
    std::copy(s.Cx.begin(), s.Cx.end(), static_cast<double*>(C->x));
    CCt = cholmod_aat(C, nullptr, 0, 1, &c);
  }
  if (CCt) S = cholmod_copy(CCt, 1, 1, &c);  // upper triangle, symmetric
  if (S) L = cholmod_analyze(S, &c);
  if (L) {
    cholmod_factorize(S, L, &c);
    if (c.status == CHOLMOD_OK && L->minor >= (size_t)nJ) {
      rc = cholmod_rcond(L, &c);
      independent = rc >= 1e-12;
    }
  }
  if (rcond) *rcond = rc;
  cholmod_free_factor(&L, &c);
  cholmod_free_sparse(&S, &c);
  cholmod_free_sparse(&CCt, &c);
  cholmod_free_sparse(&C, &c);
  cholmod_finish(&c);
  return independent;
}

void ActiveMultiply(const ActiveSystem& s, int32_t n, const double* v, double* out) {
  std::fill(out, out + s.nJ, 0.0);
  for (int32_t j = 0; j < n; j++)
    for (int32_t k = s.Cp[j]; k < s.Cp[j + 1]; k++) out[s.Ci[k]] += s.Cx[k] * v[j];
}

void ActiveMultiplyTransposedAdd(const ActiveSystem& s, int32_t n, const double* t, double* out) {
  for (int32_t j = 0; j < n; j++) {
    double acc = 0;
    for (int32_t k = s.Cp[j]; k < s.Cp[j + 1]; k++) acc += s.Cx[k] * t[s.Ci[k]];
    out[j] += acc;
  }
}

}  // namespace diffqp
