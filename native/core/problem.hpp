// Borrowed views of a problem in the canonical form (docs/METHODS.md §1), settings for a solve
// and its result. Plain C++, no Node: everything below addon/ works on these.
#pragma once
#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace diffqp {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A CSC matrix borrowed from the caller: Ap[ncols+1], Ai[nnz], Ax[nnz].
struct CscView {
  int32_t nrows = 0;
  int32_t ncols = 0;
  const int32_t* Ap = nullptr;
  const int32_t* Ai = nullptr;
  const double* Ax = nullptr;
  int32_t nnz() const { return ncols > 0 && Ap ? Ap[ncols] : 0; }
};

// minimize ½xᵀPx + qᵀx + constant  s.t.  l ≤ Ax ≤ u,  lb ≤ x ≤ ub.
// P is the LOWER triangle of a symmetric PSD matrix. lb/ub may be null (no bounds).
struct ProblemView {
  int32_t n = 0;
  int32_t m = 0;
  CscView P;
  const double* q = nullptr;
  CscView A;
  const double* l = nullptr;
  const double* u = nullptr;
  const double* lb = nullptr;
  const double* ub = nullptr;
  double constant = 0;

  double LowerBound(int32_t j) const { return lb ? lb[j] : -kInf; }
  double UpperBound(int32_t j) const { return ub ? ub[j] : kInf; }
};

// Settings common to every solver. Solver-specific ones go in `extra` by name.
struct Settings {
  double eps_abs = 1e-6;
  double eps_rel = 1e-6;
  int64_t max_iter = -1;     // < 0: the solver's default
  double time_limit = kInf;  // seconds
  bool verbose = false;
  bool polish = false;                            // polish x, y, z on the active set afterwards (kkt/polish.hpp)
  const double* x0 = nullptr;                     // warm start, length n (where supported)
  const double* y0 = nullptr;                     // length m
  const double* z0 = nullptr;                     // length n
  std::map<std::string, double> extra;            // numeric and boolean (0/1) options
  std::map<std::string, std::string> extra_text;  // string options

  double Extra(const std::string& key, double fallback) const {
    auto it = extra.find(key);
    return it == extra.end() ? fallback : it->second;
  }
};

// The outcome of a solve that ran. Not an error: see error.hpp for those.
enum class Status {
  kSolved,
  kSolvedInaccurate,
  kPrimalInfeasible,
  kDualInfeasible,
  kMaxIterations,
  kTimeLimit,
  kCancelled,
  kSolverFailed,
};

const char* StatusName(Status s);

struct Result {
  Status status = Status::kSolverFailed;
  int raw_status = 0;           // the solver's own status code
  std::string raw_status_text;  // and its name
  std::vector<double> x, y, z;  // docs/METHODS.md §2 convention
  bool has_duals = false;
  double objective = 0;  // ½xᵀPx + qᵀx + constant
  double primal_residual = kInf;
  double dual_residual = kInf;
  double duality_gap = kInf;
  int64_t iterations = 0;
  double setup_seconds = 0;
  double solve_seconds = 0;
  // A certificate when the status is primalInfeasible (y-like, rows then bounds: m + n)
  // or dualInfeasible (an improving ray, n). Empty when the solver has none.
  std::vector<double> certificate;
  // Set by a solver that ran MeasureSolution on exactly this answer and status (ipm, to decide
  // on its crossover): SolveProblem then skips the second measure, which would give the same
  // bits. Anything that changes x, y, z or the status after that must clear it.
  bool measured = false;
};

// Cancellation flag shared with the JS side; solvers poll it.
using CancelFlag = std::atomic<bool>;

}  // namespace diffqp
