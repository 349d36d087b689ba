// A sparse LDLᵀ solver for symmetric quasi-definite / indefinite matrices: a thin C++ wrapper
// over the C99 layer linsys.h (SuiteSparse LDL + AMD) for callers that hold the FULL symmetric
// pattern. Plain C++, no Node.
//
//   LdlSolver s;
//   s.Analyze(N, Kp, Ki);            // FULL symmetric pattern (both triangles), CSC, once
//   s.Factor(Kx_reg);                // values of K + diag(+δ on primal, −δ on dual), same pattern
//   s.SolveRefined(Kx_true, b, x);   // x ≈ K⁻¹ b: regularised solve + refinement against K
//
// AMD may put a tiny regularisation pivot first (docs/NATIVE_DEPS.md): refinement on the
// unregularised matrix repairs what the static regularisation δ costs.
#pragma once
#include <cstdint>
#include <memory>

struct LinsysLdl;

namespace diffqp {

class LdlSolver {
 public:
  LdlSolver();
  ~LdlSolver();
  LdlSolver(LdlSolver&&) noexcept;
  LdlSolver& operator=(LdlSolver&&) noexcept;
  LdlSolver(const LdlSolver&) = delete;
  LdlSolver& operator=(const LdlSolver&) = delete;

  // N: order. Kp[N+1], Ki[nnz]: CSC pattern of the full symmetric matrix (read and copied;
  // rows sorted within columns, no duplicates, every entry with its mirror). Throws QpError
  // (ERR_QP_NATIVE) when the pattern is invalid or the analysis fails. `natural`: the matrix's
  // own order instead of AMD's (linsys.h, LINSYS_ORDER_NATURAL).
  void Analyze(int32_t N, const int32_t* Kp, const int32_t* Ki, bool natural = false);

  // Kx[nnz] (read): values on the analysed pattern. Returns true when every pivot is
  // non-zero; otherwise false and ZeroPivot() names the (original) column that failed.
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
  int32_t FactorNnz() const;

 private:
  struct Free {
    void operator()(LinsysLdl* s) const;
  };
  std::unique_ptr<LinsysLdl, Free> ldl_;
  int32_t N_ = 0;
  int32_t zero_pivot_ = -1;
  bool factored_ = false;
};

}  // namespace diffqp
