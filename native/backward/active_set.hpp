// Shared pieces of the active-set backward methods (penalty_backward.cpp, qp_backward.cpp):
// the active constraint matrix C_J of docs/METHODS.md §4 as an explicit sparse matrix, a rank
// check of C_J, the weak-constraint diagnostics and the §5 assembly. Plain C++, no Node.
//
// Numbering of J is the one kkt_backward.cpp uses: active rows of A first (in row order),
// then active bounds (in variable order).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "backward.hpp"

namespace diffqp {

struct ActiveSystem {
  ActiveSet as;
  std::vector<int32_t> row_k, bound_k;  // index in J, or −1 when inactive
  int32_t nJ = 0, n_rows = 0;            // |J| and how many of them are rows of A
  // C_J (nJ × n) in CSC, rows sorted within columns: the active rows of A, then one unit
  // row per active bound.
  std::vector<int32_t> Cp, Ci;
  std::vector<double> Cx;
  std::vector<double> w;      // [nJ] the duals w_J (y_i or z_j)
  std::vector<double> r;      // [nJ] signed residuals: upper side a x − c, lower side c − a x,
                              //      equality rows / fixed variables a x − b
  std::vector<uint8_t> eq;    // [nJ] equality row / fixed variable
};

ActiveSystem BuildActiveSystem(const ProblemView& p, const double* x, const double* y, const double* z, const BackwardOptions& opt);

// True when the rows of C_J are linearly independent, judged by a CHOLMOD Cholesky of
// C_J C_Jᵀ (not positive definite, or min/max diag(L) below 1e-12 → dependent). *rcond gets
// CHOLMOD's estimate (0 when not positive definite).
bool ActiveRowsIndependent(const ActiveSystem& s, double* rcond);

// Appends the weakly-active message of kkt (and sets differentiable = false) if any.
void NoteWeakConstraints(const ActiveSystem& s, int32_t m, Gradients& g);

// §5 assembly from d_x [n] and d_w on J [nJ]: dq, dP, dA, du/dl, dub/dlb, as KktBackward.
void AssembleActive(const ProblemView& p, const double* x, const double* y, const ActiveSystem& s, const double* dx,
                    const double* dwJ, Gradients& g);

// y = C_J v (v [n], y [nJ]) and y += C_Jᵀ t (t [nJ], y [n]).
void ActiveMultiply(const ActiveSystem& s, int32_t n, const double* v, double* out);
void ActiveMultiplyTransposedAdd(const ActiveSystem& s, int32_t n, const double* t, double* out);

// y = P v with P stored as its lower triangle (v, y [n]).
void LowerSymMultiply(const CscView& P, const double* v, double* out);

}  // namespace diffqp
