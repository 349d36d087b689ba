// Backward passes (vector–Jacobian products) of the QP solution map, docs/METHODS.md §5–§8.
// Plain C++, no Node. One file per method: kkt_backward.cpp (dQP, reduced KKT, the default),
// penalty_backward.cpp (dXPP), qp_backward.cpp (BPQP) and full_backward.cpp (OptNet's full KKT
// system, the reference); assembly.cpp the §5 assembly they share. The active set, the reduced
// KKT matrix and its factorisation are the kernel in native/kkt, which polish also uses.
//
// Given the canonical problem, a solution (x, y, z) in the docs/METHODS.md §2 sign convention and
// ḡ = ∂L/∂x, each method returns ∂L with respect to every problem datum:
//
//   dq[n]         ∂L/∂q = d_x
//   dP[nnz(P)]    on P's stored LOWER pattern. The stored value P_ij (i > j) stands for both
//                 symmetric entries (i,j) and (j,i), so its gradient is the SUM of both entries
//                 of ½(d_x xᵀ + x d_xᵀ): d_x,i x_j + d_x,j x_i. A diagonal entry gets d_x,i x_i.
//   dA[nnz(A)]    on A's pattern: d_w,i x_j + w_i d_x,j for active rows, 0 for inactive rows
//                 (kkt); the full method has no active set and gives every row its term.
//   du[m], dl[m]  −d_w,i on the active side (0 elsewhere). An equality row (l_i = u_i) has one
//                 derivative ∂L/∂b_i = −d_w,i: it is reported on u_i when y_i ≥ 0 and on l_i
//                 when y_i < 0, the other side gets 0 (so ∂L/∂b_i = du_i + dl_i always).
//   dub[n], dlb[n] likewise for the bounds (z_j decides for a fixed variable lb_j = ub_j);
//                 all zero when the problem has no bounds.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../core/problem.hpp"
#include "../kkt/active_set.hpp"
#include "../kkt/newton_step.hpp"

namespace diffqp {

class ReducedKkt;  // kkt/reduced_kkt.hpp

// Optional seeds on the duals: ∂L/∂y [m] and ∂L/∂z [n] (null: zero). Only the active
// constraints' entries matter (an inactive dual is locally constant at 0): docs/METHODS.md §5
// solves K [d_x; d_w] = −[ḡ; ∂L/∂w_J].
struct DualSeeds {
  const double* dy = nullptr;
  const double* dz = nullptr;
};

// The active-set rules (kkt/active_set.hpp) and the options of the methods that need more.
struct BackwardOptions : ActiveSetOptions {
  // dXPP (penalty_backward.cpp, docs/METHODS.md §6): smoothing width β (raised to the largest
  // |residual| of the active constraints, the forward feasibility actually reached, when
  // that is larger) and ρ = κ‖w_J‖₁.
  double penalty_beta = 1e-4;
  double penalty_kappa = 10;
  // kAuto: CHOLMOD, unless n > penalty_cg_threshold (then CG); kCholmod; kCg (matrix-free,
  // Jacobi preconditioner).
  enum class PenaltySolver { kAuto, kCholmod, kCg };
  PenaltySolver penalty_solver = PenaltySolver::kAuto;
  int32_t penalty_cg_threshold = 200000;
};

struct Gradients {
  std::vector<double> dP, dq, dA, dl, du, dlb, dub;
  // False when the derivative is not unique or does not exist at this point (singular K,
  // weakly active constraint, or a linear solve that did not reach its accuracy). The
  // gradients are then still finite: from a regularised or least-squares solve. `reason` says which.
  bool differentiable = true;
  std::string reason;
  int32_t active_rows = 0;    // kkt: rows in C_J; full: rows with a finite side
  int32_t active_bounds = 0;  // kkt: bounds in C_J; full: bounds with a finite side
  double factor_seconds = 0;
  double solve_seconds = 0;
  int32_t iterations = 0;          // qp: ADMM iterations; penalty with CG: CG iterations; else 0
  bool factor_reused = false;      // kkt: the caller's factorization of K served (factor_seconds = 0)
  int32_t active_set_changes = 0;  // constraint moves the active-set refinement made
};

// dQP (docs/METHODS.md §5): reduced KKT system on the active set (kkt/reduced_kkt.hpp).
// x[n], y[m], z[n], gx[n] read. Never throws for a degenerate point (see Gradients).
// `cached`: a factorization built for this very (p, x, y, z), reused when it matches opt;
// null (or not matching) builds one.
Gradients KktBackward(const ProblemView& p, const double* x, const double* y, const double* z, const double* gx, const BackwardOptions& opt,
                      std::shared_ptr<const ReducedKkt> cached = nullptr, const DualSeeds& duals = {});

// OptNet (docs/METHODS.md §8): every finite side of every row and bound, the unsymmetric system
//   [ P         G̃ᵀ      Eᵀ ]
//   [ D(λ) G̃    D(G̃x−h̃)  0  ]
//   [ E         0       0  ]
// transposed and solved by UMFPACK (sparse LU). Its order is n + (#finite inequality sides)
// + (#equality rows and fixed variables); memory is that of a sparse LU with partial pivoting,
// so it is meant for reference checks up to ~10⁴–10⁵ unknowns, not for production use.
// Degenerate points (λ_k = 0 and residual 0 gives a zero row) make it singular: it is then
// regularised and reported as not differentiable.
Gradients FullBackward(const ProblemView& p, const double* x, const double* y, const double* z, const double* gx,
                       const BackwardOptions& opt, const DualSeeds& duals = {});

// dXPP (docs/METHODS.md §6): H = P + C_Jᵀ W C_J (SPD, n×n), W from the smoothed exact-ℓ1 penalty,
// CHOLMOD Cholesky (or matrix-free CG for huge n); H v = ḡ, d_x = −v, d_w = −W C_J v, assembled
// as in §5. The gradient differs from kkt's by O(β). Degenerate points: as kkt (rank check of
// C_J by a Cholesky of C_J C_Jᵀ, weakly active constraints), plus a diagonal shift when H is
// not positive definite.
Gradients PenaltyBackward(const ProblemView& p, const double* x, const double* y, const double* z, const double* gx,
                          const BackwardOptions& opt, const DualSeeds& duals = {});

// BPQP (docs/METHODS.md §7): the equality-constrained backward QP min ½d̃ᵀPd̃ + ḡᵀd̃ s.t. C_J d̃ = 0
// solved by our ADMM core (tolerance 1e-10, polished); d_x = its x, d_w = its multipliers.
Gradients QpBackward(const ProblemView& p, const double* x, const double* y, const double* z, const double* gx, const BackwardOptions& opt,
                     const DualSeeds& duals = {});

// One backward pass's arguments, for the method table.
struct BackwardCall {
  const ProblemView& p;
  const double *x, *y, *z, *gx;
  const BackwardOptions& options;
  std::shared_ptr<const ReducedKkt> factor;  // a kept factorization of K (methods that use one)
  const DualSeeds& duals;
};

// The methods by name (methods.cpp): `uses_factor` marks the one that takes (and fills) a
// kept factorization of K.
struct BackwardMethod {
  const char* name;
  bool uses_factor;
  Gradients (*run)(const BackwardCall&);
};
const std::vector<BackwardMethod>& BackwardMethods();
const BackwardMethod* FindBackwardMethod(const std::string& name);  // null when there is none

// The dual seeds on the active set J: h[k] = dy_i for the active row i numbered k (row_k[i]),
// dz_j for the active bound j numbered k (bound_k[j]); 0 elsewhere. Length nJ.
std::vector<double> SeedsOnActiveSet(const DualSeeds& duals, const std::vector<int32_t>& row_k, const std::vector<int32_t>& bound_k,
                                     int32_t nJ);

// Shared assembly: dq = dx, dP on P's lower pattern, dA_ij = dw_i x_j + w_i dx_j (rows with
// w_i = dw_i = 0 get 0). x, dx [n]; w, dw [m]. Writes g.dq, g.dP, g.dA.
void AssembleMatrixGradients(const ProblemView& p, const double* x, const double* dx, const double* w, const double* dw, Gradients& g);

// The same from d_x [n] and d_w on J [nJ] of an explicit active system (penalty, qp): dq, dP,
// dA, du/dl, dub/dlb, as KktBackward.
void AssembleActive(const ProblemView& p, const double* x, const double* y, const ActiveSystem& s, const double* dx, const double* dwJ,
                    Gradients& g);

// Appends the weakly-active message of kkt (and sets differentiable = false) if any.
void NoteWeakConstraints(const ActiveSystem& s, int32_t m, Gradients& g);

}  // namespace diffqp
