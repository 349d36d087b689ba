// The active set of docs/METHODS.md §4, the kernel every backward method and polish share:
// which constraints are active at a solution (FindActiveSet, by a tolerance), the refinement
// that makes that set consistent (ChooseActiveSet, which solves on the reduced KKT matrix),
// and the active constraint matrix C_J as an explicit sparse matrix (BuildActiveSystem) with
// its rank check. Plain C++, no Node.
//
// Numbering of J: active rows of A first (in row order), then active bounds (variable order).
#pragma once
#include <cstdint>
#include <vector>

#include "../core/problem.hpp"

namespace diffqp {

struct ActiveSetOptions {
  // Active-set tolerance of docs/METHODS.md §4: row i is upper-active when
  // A_i x ≥ u_i − ε·max(1, |u_i|) or y_i > ε·max(1, ‖y‖∞, ‖z‖∞); lower-active symmetrically;
  // equality rows always. Bounds likewise with z. An active inequality whose dual is below
  // that threshold is weakly active (degenerate).
  double eps_active = 1e-5;
  // Row normalisation: compare slacks and duals of row i after dividing the row by ‖a_i‖₂,
  // so that ε is a distance to the constraint's hyperplane (rows of very different scales).
  bool normalize_rows = false;
  // Refinement (ChooseActiveSet): solve the equality-constrained QP on J; drop every active
  // inequality whose multiplier has the wrong sign and add every inactive constraint its
  // optimum violates (primal–dual active-set steps), until J is consistent (or
  // refine_max_steps); the J with the smallest KKT violation is kept.
  bool refine_active_set = false;
  int32_t refine_max_steps = 20;
};

// The active set of docs/METHODS.md §4. side: 0 inactive, +1 upper (u / ub), −1 lower (l / lb).
// eq marks equality rows / fixed variables (always active; side from the dual's sign).
struct ActiveSet {
  std::vector<int8_t> row_side, bound_side;
  std::vector<uint8_t> row_eq, bound_eq;
  int32_t weak_rows = 0, weak_bounds = 0;
  int32_t first_weak = -1;  // index of one weakly active row (or n + bound) for messages
  double dual_threshold = 0;
  int32_t refine_changes = 0;   // constraint moves the refinement made (added or dropped)
  double refine_violation = 0;  // KKT violation of J after refinement (when it ran)
};

// The tolerance rule of ActiveSetOptions (normalize_rows: divide each row by ‖a_i‖₂ first).
ActiveSet FindActiveSet(const ProblemView& p, const double* x, const double* y, const double* z, double eps_active,
                        bool normalize_rows = false);

// The active set every method uses: FindActiveSet, then the refinement when asked
// (active_set.cpp: the refinement solves on K, reduced_kkt.hpp).
ActiveSet ChooseActiveSet(const ProblemView& p, const double* x, const double* y, const double* z, const ActiveSetOptions& opt);

class ReducedKkt;  // reduced_kkt.hpp: K on an active set, factorised

// The equality-constrained QP on k's active set J: K [x; w] = [−q; c_J] (c_J: the active sides),
// solved on k's factorization; *relative_residual as ReducedKkt::Solve gives it. The duals of
// the active rows and bounds are w (y_i = w, z_j = w: docs/METHODS.md §2 signs).
std::vector<double> SolveEqualityQp(const ProblemView& p, const ReducedKkt& k, double* relative_residual);

// One primal–dual active-set step (Hintermüller, Ito, Kunisch) from the optimum sol = (x, w) of
// the equality-constrained QP on k's J: an active inequality whose multiplier has the wrong sign
// leaves `next`, an inactive constraint that x violates joins it on the violated side (defects
// relative, as the tolerance rule; only those above eps count). `violation`: the largest defect
// (0 when J is consistent); `changes`: how many constraints moved.
struct ActiveSetStepResult {
  double violation = 0;
  int32_t changes = 0;
};
ActiveSetStepResult ActiveSetStep(const ProblemView& p, const ReducedKkt& k, const std::vector<double>& sol, double eps, ActiveSet& next);

// Same sides, equality marks and weak constraints: a K built on one serves the other.
bool SameActiveSet(const ActiveSet& a, const ActiveSet& b);

struct ActiveSystem {
  ActiveSet as;
  std::vector<int32_t> row_k, bound_k;  // index in J, or −1 when inactive
  int32_t nJ = 0, n_rows = 0;           // |J| and how many of them are rows of A
  // C_J (nJ × n) in CSC, rows sorted within columns: the active rows of A, then one unit
  // row per active bound.
  std::vector<int32_t> Cp, Ci;
  std::vector<double> Cx;
  std::vector<double> w;    // [nJ] the duals w_J (y_i or z_j)
  std::vector<double> r;    // [nJ] signed residuals: upper side a x − c, lower side c − a x,
                            //      equality rows / fixed variables a x − b
  std::vector<uint8_t> eq;  // [nJ] equality row / fixed variable
};

ActiveSystem BuildActiveSystem(const ProblemView& p, const double* x, const double* y, const double* z, const ActiveSetOptions& opt);

// True when the rows of C_J are linearly independent, judged by a CHOLMOD Cholesky of
// C_J C_Jᵀ (not positive definite, or min/max diag(L) below 1e-12 → dependent). *rcond gets
// CHOLMOD's estimate (0 when not positive definite).
bool ActiveRowsIndependent(const ActiveSystem& s, double* rcond);

// y = C_J v (v [n], y [nJ]) and y += C_Jᵀ t (t [nJ], y [n]).
void ActiveMultiply(const ActiveSystem& s, int32_t n, const double* v, double* out);
void ActiveMultiplyTransposedAdd(const ActiveSystem& s, int32_t n, const double* t, double* out);

}  // namespace diffqp
