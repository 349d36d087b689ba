#include "reduced_kkt.hpp"

#include <SuiteSparseQR_C.h>  // declares its own C linkage

#include <algorithm>
#include <cmath>
#include <utility>

#include "../core/error.hpp"
#include "../core/timer.hpp"

namespace diffqp {

struct ReducedKkt::Qr {
  cholmod_common cc;
  SuiteSparseQR_C_factorization* factors = nullptr;
  Qr() {
    cholmod_l_start(&cc);
    cc.print = 0;  // a library does not write to stderr: failures are reported on the result
    cc.error_handler = nullptr;
  }
  ~Qr() {
    if (factors) SuiteSparseQR_C_free(&factors, &cc);
    cholmod_l_finish(&cc);
  }
};

namespace {

// K is factorised in its natural order (see BuildOn) up to this order, and beyond it when at
// least this share of its entries is there (an ordering then saves little fill).
constexpr int32_t kNaturalOrderMax = 64;
constexpr double kNaturalOrderDensity = 0.25;

double NormInf(const std::vector<double>& v) {
  double s = 0;
  for (double e : v) s = std::max(s, std::abs(e));
  return s;
}

}  // namespace

ReducedKkt::~ReducedKkt() = default;

bool ReducedKkt::Matches(const ProblemView& p, const ActiveSetOptions& opt) const {
  return p.n == n && p.m == m && p.P.nnz() == nnz_P_ && p.A.nnz() == nnz_A_ && opt.eps_active == options_.eps_active &&
         opt.normalize_rows == options_.normalize_rows && opt.refine_active_set == options_.refine_active_set &&
         opt.refine_max_steps == options_.refine_max_steps;
}

bool ReducedKkt::Serves(const ProblemView& p, const double* x, const double* y, const double* z, const ActiveSetOptions& opt) const {
  if (opt.refine_active_set || !Matches(p, opt)) return false;
  return SameActiveSet(FindActiveSet(p, x, y, z, opt.eps_active, opt.normalize_rows), as);
}

size_t ReducedKkt::Bytes() const {
  const size_t N = (size_t)std::max(0, n + nJ);
  const size_t factor = (size_t)std::max(0, ldl_.FactorNnz()) * (sizeof(int32_t) + sizeof(double));
  // LDL's per-column work arrays: pattern, parent, counts, D, permutations and workspace
  const size_t ldl_columns = N * (6 * sizeof(int32_t) + 2 * sizeof(double));
  const size_t pattern = (Kp_.size() + Ki_.size() + diag_.size()) * sizeof(int32_t) + Kx_.size() * sizeof(double);
  const size_t active = (row_k.size() + bound_k.size()) * sizeof(int32_t) + (as.row_side.size() + as.bound_side.size()) * 2;
  return sizeof(ReducedKkt) + factor + ldl_columns + pattern + active;
}

// K's full symmetric pattern (true values; every diagonal present, so that the regularisation
// has a place to go). The entries go unsorted into their columns first; since K is symmetric,
// scattering them again by row, column by column, gives K itself with its rows sorted. A few
// flat arrays: no per-column allocation (it dominated the build of a small K).
void ReducedKkt::Assemble(const ProblemView& p) {
  const int32_t N = n + nJ;
  std::vector<int32_t> count(N + 1, 0);
  auto entries = [&](auto&& put) {
    for (int32_t j = 0; j < N; j++) put(j, j, 0.0);
    for (int32_t j = 0; j < n; j++) {
      for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
        const int32_t i = p.P.Ai[k];
        if (i < j) continue;  // P is the lower triangle; tolerate nothing else
        put(i, j, p.P.Ax[k]);
        if (i != j) put(j, i, p.P.Ax[k]);
      }
      for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) {
        const int32_t r = row_k[p.A.Ai[k]];
        if (r < 0) continue;
        put(n + r, j, p.A.Ax[k]);
        put(j, n + r, p.A.Ax[k]);
      }
      if (bound_k[j] >= 0) {
        put(n + bound_k[j], j, 1.0);
        put(j, n + bound_k[j], 1.0);
      }
    }
  };
  entries([&](int32_t, int32_t col, double) { count[col + 1]++; });
  for (int32_t j = 0; j < N; j++) count[j + 1] += count[j];
  const int32_t total = count[N];
  std::vector<int32_t> rows(total), next(count.begin(), count.end() - 1);
  std::vector<double> values(total);
  entries([&](int32_t row, int32_t col, double v) {
    rows[next[col]] = row;
    values[next[col]++] = v;
  });
  // Column c's entry in row r becomes column r's entry in row c: visited in column order, every
  // new column receives its rows sorted. Then duplicates (the caller's) are summed in place.
  Kp_.assign(N + 1, 0);
  for (int32_t k = 0; k < total; k++) Kp_[rows[k] + 1]++;
  for (int32_t j = 0; j < N; j++) Kp_[j + 1] += Kp_[j];
  Ki_.resize(total);
  Kx_.resize(total);
  next.assign(Kp_.begin(), Kp_.end() - 1);
  for (int32_t c = 0; c < N; c++) {
    for (int32_t k = count[c]; k < count[c + 1]; k++) {
      Ki_[next[rows[k]]] = c;
      Kx_[next[rows[k]]++] = values[k];
    }
  }
  diag_.assign(N, -1);
  int32_t kept = 0;
  for (int32_t j = 0, begin = 0; j < N; j++) {
    const int32_t end = Kp_[j + 1];
    Kp_[j] = kept;
    for (int32_t k = begin; k < end; k++) {
      if (kept > Kp_[j] && Ki_[kept - 1] == Ki_[k]) {
        Kx_[kept - 1] += Kx_[k];  // duplicates in the caller's matrices add up
        continue;
      }
      Ki_[kept] = Ki_[k];
      Kx_[kept] = Kx_[k];
      if (Ki_[k] == j) diag_[j] = kept;
      kept++;
    }
    begin = end;
  }
  Kp_[N] = kept;
  Ki_.resize(kept);
  Kx_.resize(kept);
}

std::shared_ptr<const ReducedKkt> ReducedKkt::Build(const ProblemView& p, const double* x, const double* y, const double* z,
                                                    const ActiveSetOptions& opt) {
  const Timer started;
  ActiveSet as = ChooseActiveSet(p, x, y, z, opt);
  const double choose_seconds = started.Seconds();
  auto k = BuildOn(p, std::move(as), opt);
  std::const_pointer_cast<ReducedKkt>(k)->factor_seconds += choose_seconds;
  return k;
}

std::shared_ptr<const ReducedKkt> ReducedKkt::BuildOn(const ProblemView& p, ActiveSet as, const ActiveSetOptions& opt) {
  const Timer started;
  std::shared_ptr<ReducedKkt> k(new ReducedKkt());
  k->n = p.n;
  k->m = p.m;
  k->nnz_P_ = p.P.nnz();
  k->nnz_A_ = p.A.nnz();
  k->options_ = opt;
  k->as = std::move(as);
  // Number the active constraints: rows first (in row order), then bounds.
  k->row_k.assign(p.m, -1);
  k->bound_k.assign(p.n, -1);
  for (int32_t i = 0; i < p.m; i++)
    if (k->as.row_side[i] != 0) k->row_k[i] = k->nJ++;
  k->active_rows = k->nJ;
  for (int32_t j = 0; j < p.n; j++)
    if (k->as.bound_side[j] != 0) k->bound_k[j] = k->nJ++;
  k->active_bounds = k->nJ - k->active_rows;
  k->Assemble(p);

  const int32_t N = k->N();
  double kmax = NormInf(k->Kx_);
  if (!(kmax > 0) || !std::isfinite(kmax)) kmax = 1;
  auto regularised = [&](double delta) {
    std::vector<double> v(k->Kx_);
    for (int32_t j = 0; j < N; j++) v[k->diag_[j]] += j < k->n ? delta : -delta;
    return v;
  };
  // A small or dense K in its own order, primal block first: no dual row eliminated on its
  // regularisation alone (which AMD does, and which then sends every factorisation through the
  // singularity probe below), and no ordering to pay for. Fill is no concern at that size or
  // density.
  const bool natural = N <= kNaturalOrderMax || (double)k->Ki_.size() >= kNaturalOrderDensity * (double)N * (double)N;
  k->ldl_.Analyze(N, k->Kp_.data(), k->Ki_.data(), natural);
  const double delta = 1e-10 * kmax;
  bool ok = k->ldl_.Factor(regularised(delta).data());
  // A singular K shows in the quasi-definite factorization as a pivot of the order of δ: only
  // a factorization with a pivot below 10⁴·δ pays for the probe.
  if (ok && N > 0 && k->ldl_.MinAbsPivot() <= 1e4 * delta) {
    // Probe: refinement against a singular K cannot reduce the residual of a generic
    // right-hand side.
    std::vector<double> probe(N), sol(N);
    uint32_t state = 12345u;
    for (int32_t i = 0; i < N; i++) {
      state = state * 1664525u + 1013904223u;
      probe[i] = (state / 4294967296.0) * 2 - 1;
    }
    ok = k->ldl_.SolveRefined(k->Kx_.data(), probe.data(), sol.data(), 5) <= 1e-6;
  }
  if (!ok) {
    k->singular = true;
    k->differentiable = false;
    // A strongly regularised LDLᵀ, refined, solves a consistent right-hand side exactly (for
    // dependent rows d_x is still unique); the QR answers the others in the least-squares sense.
    if (!k->ldl_.Factor(regularised(1e-7 * kmax).data())) k->ldl_.Factor(regularised(1e-4 * kmax).data());
  }
  if (k->as.weak_rows + k->as.weak_bounds > 0) {
    k->differentiable = false;
    const int32_t f = k->as.first_weak;
    const std::string which = f < p.m ? "row " + std::to_string(f) : "bound " + std::to_string(f - p.m);
    k->weak_reason = std::to_string(k->as.weak_rows + k->as.weak_bounds) + " weakly active constraint(s) (e.g. " + which +
                     ": active with a zero dual): no strict complementarity, the derivative is one-sided (computed as active)";
  }
  k->factor_seconds = started.Seconds();
  return k;
}

void ReducedKkt::FactorLeastSquares() const {
  qr_attempted_ = true;
  auto qr = std::make_unique<Qr>();
  const int32_t N = n + nJ;
  cholmod_sparse* A = cholmod_l_allocate_sparse(N, N, Kx_.size(), 1, 1, 0, CHOLMOD_REAL, &qr->cc);
  if (!A) return;
  auto* Ap = static_cast<int64_t*>(A->p);
  auto* Ai = static_cast<int64_t*>(A->i);
  auto* Ax = static_cast<double*>(A->x);
  for (int32_t j = 0; j <= N; j++) Ap[j] = Kp_[j];
  for (size_t k = 0; k < Kx_.size(); k++) {
    Ai[k] = Ki_[k];
    Ax[k] = Kx_[k];
  }
  qr->factors = SuiteSparseQR_C_factorize(SPQR_ORDERING_DEFAULT, SPQR_DEFAULT_TOL, A, &qr->cc);
  cholmod_l_free_sparse(&A, &qr->cc);
  if (qr->factors) qr_ = std::move(qr);
}

// Basic least-squares solution x = E R⁻¹ Qᵀ b on the numerical rank of R (SuiteSparseQR's
// rank detection); the components beyond the rank are zero.
std::vector<double> ReducedKkt::SolveLeastSquares(const std::vector<double>& rhs) const {
  const int32_t N = n + nJ;
  std::vector<double> sol(N, 0.0);
  cholmod_common* cc = &qr_->cc;
  cholmod_dense* B = cholmod_l_allocate_dense(N, 1, N, CHOLMOD_REAL, cc);
  if (!B) return sol;
  std::copy(rhs.begin(), rhs.end(), static_cast<double*>(B->x));
  cholmod_dense* Y = SuiteSparseQR_C_qmult(SPQR_QTX, qr_->factors, B, cc);
  cholmod_l_free_dense(&B, cc);
  if (!Y) return sol;
  cholmod_dense* X = SuiteSparseQR_C_solve(SPQR_RETX_EQUALS_B, qr_->factors, Y, cc);
  cholmod_l_free_dense(&Y, cc);
  if (!X) return sol;
  const double* xs = static_cast<const double*>(X->x);
  std::copy(xs, xs + N, sol.begin());
  cholmod_l_free_dense(&X, cc);
  return sol;
}

std::vector<double> ReducedKkt::Solve(const std::vector<double>& rhs, double* relative_residual, How* how) const {
  const int32_t N = n + nJ;
  if ((int32_t)rhs.size() != N) throw QpError(code::kNative, "ReducedKkt::Solve: right-hand side of the wrong length");
  std::vector<double> sol(N, 0.0);
  // Refinement keeps the best iterate: it converges for a consistent right-hand side even
  // when K is singular and regularised.
  const double ldl_relative = N > 0 ? ldl_.SolveRefined(Kx_.data(), rhs.data(), sol.data(), 3) : 0;
  double relative = ldl_relative;  // of the answer returned
  if (how) *how = singular && !(ldl_relative <= 1e-10) ? How::kRegularised : How::kSolved;
  std::unique_lock<std::mutex> lock(qr_mutex_, std::defer_lock);
  if (singular && least_squares_allowed_ && !(ldl_relative <= 1e-10)) {
    lock.lock();
    if (!qr_attempted_) FactorLeastSquares();
  }
  if (singular && qr_ && !(ldl_relative <= 1e-10)) {
    // Inconsistent (or badly solved): least squares. Refinement repairs what the QR's rank
    // truncation costs; for a truly inconsistent right-hand side the residual is (nearly)
    // orthogonal to K's range and the corrections vanish. The best iterate is kept.
    const double bnorm = NormInf(rhs);
    std::vector<double> ls = SolveLeastSquares(rhs), best = ls, Ks(N), r(N);
    double best_norm = HUGE_VAL;
    for (int step = 0; step < 3; step++) {
      ldl_.Multiply(Kx_.data(), ls.data(), Ks.data());
      double norm = 0;
      for (int32_t i = 0; i < N; i++) {
        r[i] = rhs[i] - Ks[i];
        norm = std::max(norm, std::abs(r[i]));
      }
      if (!(norm < best_norm)) break;
      best_norm = norm;
      best = ls;
      const std::vector<double> correction = SolveLeastSquares(r);
      for (int32_t i = 0; i < N; i++) ls[i] += correction[i];
    }
    // The regularised answer of an inconsistent system carries components of order 1/δ
    // along K's null space: least squares wins unless the LDLᵀ residual is clearly smaller.
    if (!(ldl_relative * bnorm < 0.5 * best_norm)) {
      sol = std::move(best);
      relative = bnorm > 0 ? best_norm / bnorm : best_norm;
      if (how) *how = How::kLeastSquares;
    }
  }
  if (lock.owns_lock()) lock.unlock();
  bool replaced = false;
  for (double& v : sol) {
    if (!std::isfinite(v)) {
      v = 0;  // never NaN: a failed solve gives zeros and says so
      replaced = true;
    }
  }
  if (relative_residual) {
    // Measured again only when zeros replaced a failed solve's values.
    if (replaced) {
      std::vector<double> Ks(N);
      ldl_.Multiply(Kx_.data(), sol.data(), Ks.data());
      double r = 0, b = 0;
      for (int32_t i = 0; i < N; i++) {
        r = std::max(r, std::abs(rhs[i] - Ks[i]));
        b = std::max(b, std::abs(rhs[i]));
      }
      relative = b > 0 ? r / b : r;
    }
    *relative_residual = relative;
  }
  return sol;
}

}  // namespace diffqp
