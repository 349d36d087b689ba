// A sparse LDLᵀ solver for symmetric quasi-definite / indefinite matrices over SuiteSparse
// LDL + AMD (int API). Plain C++, no Node.
//
//   LdlSolver s;
//   s.Analyze(N, Kp, Ki);            // FULL symmetric pattern (both triangles), CSC, once
//   s.Factor(Kx_reg);                // values of K + diag(+δ on primal, −δ on dual), same pattern
//   s.SolveRefined(Kx_true, b, x);   // x ≈ K⁻¹ b: regularised solve + refinement against K
//
// LDL with a fill-reducing permutation needs the full symmetric pattern (NATIVE_DEPS.md);
// AMD may put a tiny regularisation pivot first: refinement on the unregularised matrix
// repairs what the static regularisation δ costs.
#pragma once
#include <cstdint>
#include <vector>

namespace diffqp {

class LdlSolver {
 public:
  // N: order. Kp[N+1], Ki[nnz]: CSC pattern of the full symmetric matrix (read; borrowed:
  // must outlive the solver; rows sorted within columns, no duplicates). Throws QpError
  // (ERR_QP_NATIVE) when AMD rejects the pattern.
  void Analyze(int32_t N, const int32_t* Kp, const int32_t* Ki);

  // Kx[nnz] (read): values on the analysed pattern. Returns true when every pivot is
  // non-zero; otherwise false and ZeroPivot() names the (permuted) column that failed.
  bool Factor(const double* Kx);

  // b[N] (in/out): overwritten with the solution of L D Lᵀ (permuted) x = b, i.e. the
  // factored (regularised) matrix. Const and thread-safe: solves may run concurrently.
  void Solve(double* b) const;

  // Kx_true[nnz] (read): the matrix to refine against (same pattern). b[N] (read),
  // x[N] (written). Up to `max_steps` refinement steps. Returns ‖b − K x‖∞ / max(‖b‖∞, tiny).
  double SolveRefined(const double* Kx_true, const double* b, double* x, int max_steps = 3) const;

  // y = K x for values Kx on the analysed pattern. x[N] read, y[N] written.
  void Multiply(const double* Kx, const double* x, double* y) const;

  int32_t ZeroPivot() const { return zero_pivot_; }
  // Smallest and largest |D_kk| of the last factorisation.
  double MinAbsPivot() const;
  double MaxAbsPivot() const;
  int32_t FactorNnz() const { return N_ > 0 ? Lp_[N_] : 0; }

 private:
  int32_t N_ = 0;
  const int32_t* Kp_ = nullptr;
  const int32_t* Ki_ = nullptr;
  std::vector<int32_t> perm_, pinv_, Lp_, parent_, lnz_, flag_, Li_, pattern_;
  std::vector<double> Lx_, D_, y_;
  int32_t zero_pivot_ = -1;
  bool factored_ = false;
};

}  // namespace diffqp
