// dXPP: the penalty backward of docs/METHODS.md §6.
//
// Eliminate the dual block of a regularised reduced KKT system with a positive diagonal W:
//
//   H = P + C_Jᵀ W C_J   (n×n, SPD)      H v = ḡ,   d_x = −v,   d_w = −W C_J v,
//
// then assemble exactly as kkt (§5). W is the second derivative of a smoothed exact-ℓ1
// penalty of the active constraints at the solution, with t = r/β and r the signed residual
// (upper side a x − c, lower side c − a x, equality a x − b):
//
//   inequality  W = (ρ/β) σ(t)(1 − σ(t))      (ρ/(4β) when exactly active)
//   equality    W = 2(ρ/β) σ(t)(1 − σ(t))     (ρ/(2β) at r = 0)
//
// ρ = κ‖w_J‖₁ (κ = 10 by default; κ when w_J = 0). β defaults to 1e-4 and is never below the
// forward feasibility reached: it is raised to max_J |r| when that is larger (otherwise
// active rows with |r| ≫ β get W ≈ 0 and vanish), and never below kMinBeta = 1e-8 (below it
// the rounding of d_w = −W C_J v, about ε_mach·ρ/β, outweighs the O(β) error); the result's
// reason says so (a note: differentiable stays true). The gradient error against kkt is
// O(β/ρ); cond(H) grows like ρ/β.
//
// H is assembled with CHOLMOD (C_Jᵀ W C_J by cholmod_aat, plus P's lower triangle) and
// factorised by cholmod_analyze / cholmod_factorize; Common.status and L->minor are checked.
// A matrix that is not positive definite (P singular on the null space of C_J) gets a tiny
// diagonal shift (cholmod_factorize_p) and the result says differentiable = false. The solve
// is refined (up to 3 steps) against the true H, applied matrix-free.
//
// For very large n or a dense C_Jᵀ W C_J (opt.penalty_solver kCg, or kAuto with n >
// penalty_cg_threshold or a product of more than 10⁷ entries) no matrix is formed:
// preconditioned conjugate gradients with H applied matrix-free and a Jacobi preconditioner;
// `iterations` reports the CG iterations. The rank check of C_J (a Cholesky
// of C_J C_Jᵀ) is skipped in that mode.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "../core/residuals.hpp"
#include "../core/timer.hpp"
#include "backward.hpp"

extern "C" {
#include <cholmod.h>
}

namespace diffqp {
namespace {

std::string Format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// σ(t)(1 − σ(t)), stable for large |t|.
double SigmoidDerivative(double t) {
  const double e = std::exp(-std::abs(t));
  return e / ((1 + e) * (1 + e));
}

double Norm2(const std::vector<double>& v) {
  double s = 0;
  for (double a : v) s += a * a;
  return std::sqrt(s);
}

void AppendReason(Gradients& g, const std::string& text) {
  if (!g.reason.empty()) g.reason += "; ";
  g.reason += text;
}

// out = H v = P v + C_Jᵀ W C_J v (matrix-free). tmp [nJ] scratch.
void ApplyH(const ProblemView& p, const ActiveSystem& s, const std::vector<double>& W, const double* v, double* out,
            std::vector<double>& tmp) {
  MultiplySymmetricLower(p.P, v, out);
  ActiveMultiply(s, p.n, v, tmp.data());
  for (int32_t k = 0; k < s.nJ; k++) tmp[k] *= W[k];
  ActiveMultiplyTransposedAdd(s, p.n, tmp.data(), out);
}

// Normwise backward error of v for H v = g: ‖g − H v‖₂ / ‖|P||v| + |C_J|ᵀ W |C_J||v| + |g|‖₂
// (the rounding in forming H v alone is ε_mach times the denominator).
double BackwardError(const ProblemView& p, const ActiveSystem& s, const std::vector<double>& W, const double* v, const double* g,
                     const std::vector<double>& res) {
  const int32_t n = p.n;
  std::vector<double> av(n), scale(n, 0.0), t(s.nJ, 0.0);
  for (int32_t j = 0; j < n; j++) av[j] = std::abs(v[j]);
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      const int32_t i = p.P.Ai[k];
      if (i < j) continue;
      scale[i] += std::abs(p.P.Ax[k]) * av[j];
      if (i != j) scale[j] += std::abs(p.P.Ax[k]) * av[i];
    }
    for (int32_t k = s.Cp[j]; k < s.Cp[j + 1]; k++) t[s.Ci[k]] += std::abs(s.Cx[k]) * av[j];
  }
  for (int32_t k = 0; k < s.nJ; k++) t[k] *= W[k];
  for (int32_t j = 0; j < n; j++) {
    for (int32_t k = s.Cp[j]; k < s.Cp[j + 1]; k++) scale[j] += std::abs(s.Cx[k]) * t[s.Ci[k]];
    scale[j] += std::abs(g[j]);
  }
  return Norm2(res) / std::max(Norm2(scale), 1e-300);
}

// CHOLMOD pieces, freed in one place.
struct Cholmod {
  cholmod_common c;
  cholmod_sparse* FT = nullptr;    // (W^½ C_J)ᵀ, n × nJ
  cholmod_sparse* CWC = nullptr;   // C_Jᵀ W C_J, n × n, unsymmetric storage
  cholmod_sparse* CWCl = nullptr;  // its lower triangle
  cholmod_sparse* Pl = nullptr;    // P, lower (stype −1)
  cholmod_sparse* H = nullptr;     // P + C_Jᵀ W C_J, lower
  cholmod_factor* L = nullptr;
  Cholmod() {
    cholmod_start(&c);
    c.print = 0;
    c.error_handler = nullptr;
  }
  ~Cholmod() {
    cholmod_free_factor(&L, &c);
    cholmod_free_sparse(&H, &c);
    cholmod_free_sparse(&Pl, &c);
    cholmod_free_sparse(&CWCl, &c);
    cholmod_free_sparse(&CWC, &c);
    cholmod_free_sparse(&FT, &c);
    cholmod_finish(&c);
  }
  // x = H⁻¹ b through the factor (of H + shift I).
  bool Solve(const double* b, double* x, int32_t n) {
    cholmod_dense* B = cholmod_zeros(n, 1, CHOLMOD_REAL, &c);
    if (!B) return false;
    std::copy(b, b + n, static_cast<double*>(B->x));
    cholmod_dense* X = cholmod_solve(CHOLMOD_A, L, B, &c);
    cholmod_free_dense(&B, &c);
    if (!X) return false;
    std::copy(static_cast<double*>(X->x), static_cast<double*>(X->x) + n, x);
    cholmod_free_dense(&X, &c);
    return true;
  }
};

}  // namespace

Gradients PenaltyBackward(const ProblemView& p, const double* x, const double* y, const double* z, const double* gx_in,
                          const BackwardOptions& opt, const DualSeeds& duals) {
  const int32_t n = p.n;
  Gradients g;
  const Timer t_factor;
  ActiveSystem s = BuildActiveSystem(p, x, y, z, opt);
  const int32_t nJ = s.nJ;

  // W from the smoothed exact-ℓ1 penalty.
  double wsum = 0, rmax = 0;
  for (int32_t k = 0; k < nJ; k++) {
    wsum += std::abs(s.w[k]);
    rmax = std::max(rmax, std::abs(s.r[k]));
  }
  const double kappa = opt.penalty_kappa > 0 && std::isfinite(opt.penalty_kappa) ? opt.penalty_kappa : 10.0;
  const double rho = kappa * (wsum > 0 ? wsum : 1.0);
  double beta = opt.penalty_beta > 0 && std::isfinite(opt.penalty_beta) ? opt.penalty_beta : 1e-4;
  constexpr double kMinBeta = 1e-8;
  if (rmax > beta || kMinBeta > beta) {
    const bool feas = rmax > kMinBeta;
    AppendReason(g, "note: penalty beta raised from " + Format(beta) + " to " + Format(std::max(rmax, kMinBeta)) +
                        (feas ? " (the largest residual of an active constraint: beta is never below the forward feasibility)"
                              : " (the smallest beta used: below it rounding in d_w outweighs the O(beta) error)"));
    beta = std::max(rmax, kMinBeta);
  }
  std::vector<double> W(nJ);
  for (int32_t k = 0; k < nJ; k++) W[k] = (s.eq[k] ? 2.0 : 1.0) * (rho / beta) * SigmoidDerivative(s.r[k] / beta);
  // Dual seeds h_J: eliminating d_w = W (C_J d_x + h_J) from K's second block row gives
  // H d_x = −(ḡ + C_Jᵀ W h_J), so the right-hand side becomes ḡ + C_Jᵀ W h_J.
  const std::vector<double> hJ = SeedsOnActiveSet(duals, s.row_k, s.bound_k, nJ);
  std::vector<double> rhs(gx_in, gx_in + n);
  {
    std::vector<double> Wh(nJ);
    for (int32_t k = 0; k < nJ; k++) Wh[k] = W[k] * hJ[k];
    ActiveMultiplyTransposedAdd(s, n, Wh.data(), rhs.data());
  }
  const double* gx = rhs.data();

  // C_Jᵀ W C_J has up to Σ_k nnz(row k)² entries: one dense active row (a simplex, a budget)
  // makes H dense. Past ~10⁷ entries, and far beyond the data's own size, 'auto' goes
  // matrix-free instead of factorising.
  double product_entries = 0;
  {
    std::vector<double> row_nnz(nJ, 0.0);
    for (int32_t k : s.Ci) row_nnz[k] += 1;
    for (double c : row_nnz) product_entries += c * c;
  }
  const double data_entries = (double)n + (double)p.P.nnz() + (double)s.Ci.size();
  const bool dense_product = product_entries > 1e7 && product_entries > 20 * data_entries;
  using PenaltySolver = BackwardOptions::PenaltySolver;
  const bool use_cg = opt.penalty_solver == PenaltySolver::kCg ||
                      (opt.penalty_solver == PenaltySolver::kAuto && (n > opt.penalty_cg_threshold || dense_product));
  std::vector<double> v(n, 0.0), res(n), tmp(nJ), Hv(n);
  const std::vector<double> gvec(gx, gx + n);
  const double gnorm = std::max(Norm2(gvec), 1e-300);
  bool differentiable = true;

  if (!use_cg) {
    Cholmod cm;
    cholmod_common* c = &cm.c;
    bool ok = true;
    // Fᵀ = (W^½ C_J)ᵀ: column k holds row k of C_J scaled by √W_k (a transpose of C_J's CSC).
    cm.FT = cholmod_allocate_sparse(n, nJ, s.Ci.size(), 1, 1, 0, CHOLMOD_REAL, c);
    cm.Pl = cholmod_allocate_sparse(n, n, std::max<size_t>(p.P.nnz(), 1), 1, 1, -1, CHOLMOD_REAL, c);
    ok = cm.FT && cm.Pl;
    if (ok) {
      int* Fp = static_cast<int*>(cm.FT->p);
      int* Fi = static_cast<int*>(cm.FT->i);
      double* Fx = static_cast<double*>(cm.FT->x);
      std::fill(Fp, Fp + nJ + 1, 0);
      for (int32_t k : s.Ci) Fp[k + 1]++;
      for (int32_t k = 0; k < nJ; k++) Fp[k + 1] += Fp[k];
      std::vector<int> next(Fp, Fp + nJ);
      for (int32_t j = 0; j < n; j++) {
        for (int32_t t = s.Cp[j]; t < s.Cp[j + 1]; t++) {
          const int32_t k = s.Ci[t];
          Fi[next[k]] = j;
          Fx[next[k]++] = std::sqrt(W[k]) * s.Cx[t];
        }
      }
      int* Pp = static_cast<int*>(cm.Pl->p);
      int* Pi = static_cast<int*>(cm.Pl->i);
      double* Px = static_cast<double*>(cm.Pl->x);
      Pp[0] = 0;
      int32_t q = 0;
      for (int32_t j = 0; j < n; j++) {
        for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
          if (p.P.Ai[k] < j) continue;
          Pi[q] = p.P.Ai[k];
          Px[q++] = p.P.Ax[k];
        }
        Pp[j + 1] = q;
      }
      cm.CWC = cholmod_aat(cm.FT, nullptr, 0, 1, c);
      if (cm.CWC) cm.CWCl = cholmod_copy(cm.CWC, -1, 1, c);
      double one[2] = {1, 0};
      if (cm.CWCl) cm.H = cholmod_add(cm.Pl, cm.CWCl, one, one, 1, 1, c);
      if (cm.H) cm.L = cholmod_analyze(cm.H, c);
      ok = cm.L != nullptr;
    }
    double shift = 0;
    if (ok) {
      cholmod_factorize(cm.H, cm.L, c);
      if (c->status != CHOLMOD_OK || cm.L->minor < (size_t)n) {
        // Not positive definite: a tiny diagonal shift, growing until the factorisation holds.
        double dmax = 0;
        const int* Hp = static_cast<int*>(cm.H->p);
        const int* Hi = static_cast<int*>(cm.H->i);
        const double* Hx = static_cast<double*>(cm.H->x);
        for (int32_t j = 0; j < n; j++)
          for (int k = Hp[j]; k < Hp[j + 1]; k++)
            if (Hi[k] == j) dmax = std::max(dmax, std::abs(Hx[k]));
        if (!(dmax > 0)) dmax = 1;
        for (shift = 1e-10 * dmax; shift <= 1e-2 * dmax; shift *= 1e3) {
          double b[2] = {shift, 0};
          c->status = CHOLMOD_OK;
          cholmod_factorize_p(cm.H, b, nullptr, 0, cm.L, c);
          if (c->status == CHOLMOD_OK && cm.L->minor >= (size_t)n) break;
        }
        differentiable = false;
        AppendReason(g,
                     "H = P + C_J' W C_J is not positive definite (P singular on the null space of the active constraints): "
                     "the derivative is not unique; factorised with a diagonal shift of " +
                         Format(shift));
        ok = c->status == CHOLMOD_OK && cm.L->minor >= (size_t)n;
      }
    }
    g.factor_seconds = t_factor.Seconds();
    if (ok) {
      ok = cm.Solve(gx, v.data(), n);
      // Refinement against the true H.
      double best = kInf;
      std::vector<double> best_v = v, dv(n);
      for (int step = 0; ok && step <= 3; step++) {
        ApplyH(p, s, W, v.data(), Hv.data(), tmp);
        for (int32_t j = 0; j < n; j++) res[j] = gx[j] - Hv[j];
        const double rel = BackwardError(p, s, W, v.data(), gx, res);
        if (rel < best) {
          best = rel;
          best_v = v;
        }
        if (rel <= 1e-15 || step == 3) break;
        ok = cm.Solve(res.data(), dv.data(), n);
        for (int32_t j = 0; j < n; j++) v[j] += dv[j];
      }
      v = best_v;
      if (differentiable && !(best <= 1e-10)) {
        differentiable = false;
        AppendReason(g, "the penalty system is ill-conditioned: backward error " + Format(best) + " after refinement");
      }
    }
    if (!ok) {
      differentiable = false;
      std::fill(v.begin(), v.end(), 0.0);
      AppendReason(g, "CHOLMOD failed (status " + std::to_string(c->status) + "): zero gradient");
    }
  } else {
    // Preconditioned CG, matrix-free, Jacobi preconditioner diag(H) = diag(P) + Σ_k W_k C_kj².
    std::vector<double> dinv(n, 0.0);
    for (int32_t j = 0; j < n; j++) {
      for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++)
        if (p.P.Ai[k] == j) dinv[j] += p.P.Ax[k];
      for (int32_t t = s.Cp[j]; t < s.Cp[j + 1]; t++) dinv[j] += W[s.Ci[t]] * s.Cx[t] * s.Cx[t];
    }
    for (double& d : dinv) d = d > 0 ? 1 / d : 1;
    g.factor_seconds = t_factor.Seconds();
    std::vector<double> r(gvec), zv(n), pd(n);
    for (int32_t j = 0; j < n; j++) zv[j] = dinv[j] * r[j];
    pd = zv;
    double rz = 0;
    for (int32_t j = 0; j < n; j++) rz += r[j] * zv[j];
    const int32_t max_iter = std::max<int32_t>(1000, std::min<int64_t>(20LL * n, 200000));
    const double tol = 1e-11;
    double rel = Norm2(r) / gnorm;
    int32_t it = 0;
    while (rel > tol && it < max_iter) {
      ApplyH(p, s, W, pd.data(), Hv.data(), tmp);
      double pHp = 0;
      for (int32_t j = 0; j < n; j++) pHp += pd[j] * Hv[j];
      if (!(pHp > 0)) break;  // H not positive definite along pd
      const double alpha = rz / pHp;
      for (int32_t j = 0; j < n; j++) {
        v[j] += alpha * pd[j];
        r[j] -= alpha * Hv[j];
      }
      it++;
      rel = Norm2(r) / gnorm;
      double rz_new = 0;
      for (int32_t j = 0; j < n; j++) {
        zv[j] = dinv[j] * r[j];
        rz_new += r[j] * zv[j];
      }
      const double b = rz_new / rz;
      rz = rz_new;
      for (int32_t j = 0; j < n; j++) pd[j] = zv[j] + b * pd[j];
    }
    g.iterations = it;
    if (!(rel <= 1e-8)) {
      differentiable = false;
      AppendReason(g, "conjugate gradients stopped after " + std::to_string(it) + " iterations at relative residual " + Format(rel) +
                          " (H = P + C_J' W C_J ill-conditioned or not positive definite)");
    }
    for (double& a : v)
      if (!std::isfinite(a)) a = 0;
  }

  // Degenerate points (as kkt): dependent active rows make d_w non-unique.
  if (!use_cg && nJ > 0) {
    double rc = 0;
    if (!ActiveRowsIndependent(s, &rc)) {
      differentiable = false;
      AppendReason(g, "the active constraints are linearly dependent (Cholesky of C_J C_J' rcond " + Format(rc) +
                          "): the derivative is not unique; the penalty splits d_w among them");
    }
  }
  std::vector<double> dx(n), dw(nJ);
  for (int32_t j = 0; j < n; j++) dx[j] = -v[j];
  ActiveMultiply(s, n, v.data(), dw.data());
  for (int32_t k = 0; k < nJ; k++) {
    dw[k] = W[k] * (hJ[k] - dw[k]);
    if (!std::isfinite(dw[k])) dw[k] = 0;
  }
  g.differentiable = differentiable;
  NoteWeakConstraints(s, p.m, g);
  AssembleActive(p, x, y, s, dx.data(), dw.data(), g);
  g.solve_seconds = t_factor.Seconds() - g.factor_seconds;
  return g;
}

}  // namespace diffqp
