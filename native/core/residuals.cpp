#include "residuals.hpp"

#include <algorithm>
#include <cmath>

namespace diffqp {

const char* StatusName(Status s) {
  switch (s) {
    case Status::kSolved:
      return "solved";
    case Status::kSolvedInaccurate:
      return "solvedInaccurate";
    case Status::kPrimalInfeasible:
      return "primalInfeasible";
    case Status::kDualInfeasible:
      return "dualInfeasible";
    case Status::kMaxIterations:
      return "maxIterations";
    case Status::kTimeLimit:
      return "timeLimit";
    case Status::kCancelled:
      return "cancelled";
    case Status::kSolverFailed:
      return "solverFailed";
  }
  return "solverFailed";
}

void MultiplySymmetricLower(const CscView& P, const double* x, double* y) {
  std::fill(y, y + P.nrows, 0.0);
  for (int32_t j = 0; j < P.ncols; j++) {
    for (int32_t k = P.Ap[j]; k < P.Ap[j + 1]; k++) {
      const int32_t i = P.Ai[k];
      y[i] += P.Ax[k] * x[j];
      if (i != j) y[j] += P.Ax[k] * x[i];
    }
  }
}

void MultiplyAdd(const CscView& A, const double* x, double* y) {
  for (int32_t j = 0; j < A.ncols; j++) {
    for (int32_t k = A.Ap[j]; k < A.Ap[j + 1]; k++) y[A.Ai[k]] += A.Ax[k] * x[j];
  }
}

void MultiplyTransposedAdd(const CscView& A, const double* x, double* y) {
  for (int32_t j = 0; j < A.ncols; j++) {
    double s = 0;
    for (int32_t k = A.Ap[j]; k < A.Ap[j + 1]; k++) s += A.Ax[k] * x[A.Ai[k]];
    y[j] += s;
  }
}

namespace {

double InfNorm(const std::vector<double>& v) {
  double r = 0;
  for (double e : v) r = std::max(r, std::fabs(e));
  return r;
}

// A sum of products kept nearly exact: each product split into its rounded value and its
// exact rounding error (fma), the running sum compensated (Neumaier). The duality gap is a
// small difference of terms as large as the objective; summed naively, the round-off of the
// measurement alone reaches ~1e-8 on objectives of 1e6 (AUG2D), well above a 1e-9 test, and
// the gap would measure the summation rather than the iterate.
class ExactSum {
 public:
  void Add(double v) {
    const double t = s_ + v;
    c_ += std::fabs(s_) >= std::fabs(v) ? (s_ - t) + v : (v - t) + s_;
    s_ = t;
  }
  void AddProduct(double a, double b) {
    const double p = a * b;
    Add(p);
    if (std::isfinite(p)) Add(std::fma(a, b, -p));
  }
  // a·b·c, with the error of the inner product carried into the outer one.
  void AddProduct3(double a, double b, double c) {
    const double ab = a * b;
    AddProduct(ab, c);
    if (std::isfinite(ab)) AddProduct(std::fma(a, b, -ab), c);
  }
  void Add(const ExactSum& o) {
    Add(o.s_);
    Add(o.c_);
  }
  double Value() const { return std::isfinite(s_) ? s_ + c_ : s_; }
  void Negate() {
    s_ = -s_;
    c_ = -c_;
  }

 private:
  double s_ = 0, c_ = 0;
};

struct Parts {
  std::vector<double> Px, Ax, ATy, rd;  // Ax and rd = Px + q + Aᵀy + z summed exactly, then rounded
  std::vector<double> row_violation;    // max(Ax − u, l − Ax), summed exactly before rounding
  ExactSum xPx, qx, bound_terms;
};

// The support-function term of the duality gap: bound·multiplier on the side the
// multiplier's sign names; an infinite bound with a zero multiplier contributes nothing.
void AddBoundTerm(ExactSum& sum, double lower, double upper, double mult) {
  if (mult > 0) sum.AddProduct(upper, mult);
  if (mult < 0) sum.AddProduct(lower, mult);
}

}  // namespace

// Each row's products summed exactly (TwoProduct and a compensated sum), rounded once: a
// row of 93,261 terms of 1e12 (BOYD1) otherwise carries round-off of several ulps, and an
// absolute r_p of 1e-6 is read off noise. Measuring and polishing share this one pass.
void DistancesToSides(const ProblemView& p, const double* x, double* to_upper, double* to_lower, double* Ax) {
  std::vector<ExactSum> rows(p.m);
  for (int32_t j = 0; j < p.A.ncols; j++) {
    for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) rows[p.A.Ai[k]].AddProduct(p.A.Ax[k], x[j]);
  }
  for (int32_t i = 0; i < p.m; i++) {
    if (Ax) Ax[i] = rows[i].Value();
    // u − Ax and l − Ax before rounding: Ax rounded first loses what lies below its ulp
    // (an ulp of 5e-7 at 4e9 is half of a 1e-6 test).
    ExactSum up, low;
    up.Add(p.u[i]);
    low.Add(p.l[i]);
    ExactSum neg = rows[i];
    neg.Negate();
    up.Add(neg);
    low.Add(neg);
    to_upper[i] = std::isfinite(p.u[i]) ? up.Value() : p.u[i];
    to_lower[i] = std::isfinite(p.l[i]) ? low.Value() : p.l[i];
  }
}

void StationarityExactly(const ProblemView& p, const double* x, const double* y, const double* z, double* rd) {
  std::vector<ExactSum> sum(p.n);
  for (int32_t j = 0; j < p.P.ncols; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      const int32_t i = p.P.Ai[k];
      sum[i].AddProduct(p.P.Ax[k], x[j]);
      if (i != j) sum[j].AddProduct(p.P.Ax[k], x[i]);
    }
  }
  for (int32_t j = 0; j < p.n; j++) {
    if (y) {
      for (int32_t k = p.A.Ap[j]; k < p.A.Ap[j + 1]; k++) sum[j].AddProduct(p.A.Ax[k], y[p.A.Ai[k]]);
    }
    sum[j].Add(p.q[j]);
    if (z) sum[j].Add(z[j]);
    rd[j] = sum[j].Value();
  }
}

namespace {

Parts Compute(const ProblemView& p, const Result& r) {
  Parts t;
  t.Px.assign(p.n, 0.0);
  t.Ax.assign(p.m, 0.0);
  t.ATy.assign(p.n, 0.0);
  const double* x = r.x.data();
  if (p.n > 0) MultiplySymmetricLower(p.P, x, t.Px.data());
  {
    std::vector<double> to_upper(p.m), to_lower(p.m);
    DistancesToSides(p, x, to_upper.data(), to_lower.data(), t.Ax.data());
    t.row_violation.resize(p.m);
    for (int32_t i = 0; i < p.m; i++) t.row_violation[i] = std::max({0.0, -to_upper[i], to_lower[i]});
  }
  if (r.has_duals && (int32_t)r.y.size() == p.m) {
    MultiplyTransposedAdd(p.A, r.y.data(), t.ATy.data());
    t.rd.assign(p.n, 0.0);
    StationarityExactly(p, x, r.y.data(), r.z.data(), t.rd.data());
  }
  // xᵀPx entry by entry (not as x·(Px), whose rounded components would carry their error).
  for (int32_t j = 0; j < p.P.ncols; j++) {
    for (int32_t k = p.P.Ap[j]; k < p.P.Ap[j + 1]; k++) {
      const int32_t i = p.P.Ai[k];
      t.xPx.AddProduct3(x[i], p.P.Ax[k], i == j ? x[j] : 2 * x[j]);
    }
  }
  for (int32_t j = 0; j < p.n; j++) t.qx.AddProduct(p.q[j], x[j]);
  if (r.has_duals) {
    for (int32_t i = 0; i < p.m; i++) AddBoundTerm(t.bound_terms, p.l[i], p.u[i], r.y[i]);
    for (int32_t j = 0; j < p.n; j++) AddBoundTerm(t.bound_terms, p.LowerBound(j), p.UpperBound(j), r.z[j]);
  }
  return t;
}

}  // namespace

bool DropMultipliersAtInfiniteBounds(const ProblemView& p, Result& r) {
  if (!r.has_duals || (int32_t)r.y.size() != p.m || (int32_t)r.z.size() != p.n) return false;
  bool dropped = false;
  for (int32_t i = 0; i < p.m; i++) {
    if ((r.y[i] > 0 && p.u[i] == kInf) || (r.y[i] < 0 && p.l[i] == -kInf)) r.y[i] = 0, dropped = true;
  }
  for (int32_t j = 0; j < p.n; j++) {
    if ((r.z[j] > 0 && p.UpperBound(j) == kInf) || (r.z[j] < 0 && p.LowerBound(j) == -kInf)) r.z[j] = 0, dropped = true;
  }
  return dropped;
}

namespace {

// Fills the residuals from the products in `t` (docs/METHODS.md §3).
void FillResiduals(const ProblemView& p, const Parts& t, Result& r) {
  r.objective = 0.5 * t.xPx.Value() + t.qx.Value() + p.constant;
  double rp = 0;
  for (int32_t i = 0; i < p.m; i++) rp = std::max(rp, t.row_violation[i]);
  for (int32_t j = 0; j < p.n; j++) rp = std::max({rp, r.x[j] - p.UpperBound(j), p.LowerBound(j) - r.x[j]});
  r.primal_residual = rp;
  if (!r.has_duals) {
    r.dual_residual = kInf;
    r.duality_gap = kInf;
    return;
  }
  double rd = 0;
  for (int32_t j = 0; j < p.n; j++) rd = std::max(rd, std::fabs(t.rd[j]));
  r.dual_residual = rd;
  ExactSum sum = t.xPx;
  sum.Add(t.qx);
  sum.Add(t.bound_terms);
  const double gap = std::fabs(sum.Value());
  r.duality_gap = std::isnan(gap) ? kInf : gap;
}

// Downgrades a "solved" claim whose residuals miss eps_abs + eps_rel · scale.
void CheckClaim(const ProblemView& p, const Settings& s, const Parts& t, Result& r) {
  if (r.status != Status::kSolved) return;
  // Rows against the size of Ax, bounds against the size of x: one scale for both let a
  // variable of 1e20 excuse a row violated by 1e-2 among O(1) data (fuzz seed 79334).
  double row_residual = 0, bound_residual = 0;
  for (int32_t i = 0; i < p.m; i++) row_residual = std::max(row_residual, t.row_violation[i]);
  for (int32_t j = 0; j < p.n; j++) bound_residual = std::max({bound_residual, r.x[j] - p.UpperBound(j), p.LowerBound(j) - r.x[j]});
  double dual_scale = std::max({InfNorm(t.Px), InfNorm(t.ATy), InfNorm(r.z)});
  for (int32_t j = 0; j < p.n; j++) dual_scale = std::max(dual_scale, std::fabs(p.q[j]));
  const double gap_scale = std::max({std::fabs(t.xPx.Value()), std::fabs(t.qx.Value()), std::fabs(t.bound_terms.Value())});
  const bool ok = row_residual <= s.eps_abs + s.eps_rel * InfNorm(t.Ax) && bound_residual <= s.eps_abs + s.eps_rel * InfNorm(r.x) &&
                  r.dual_residual <= s.eps_abs + s.eps_rel * dual_scale && r.duality_gap <= s.eps_abs + s.eps_rel * gap_scale;
  if (!ok) r.status = Status::kSolvedInaccurate;
  // Residuals that overflow say nothing, however large the scale beside them (Clp's x of
  // -1.8e308 on a QP with q = 1e11): no claim of any accuracy stands.
  if (!std::isfinite(r.primal_residual) || (r.has_duals && !(std::isfinite(r.dual_residual) && std::isfinite(r.duality_gap)))) {
    r.status = Status::kSolverFailed;
    r.raw_status_text += " (diffqp: the residuals of this answer overflow)";
  }
}

bool Usable(const ProblemView& p, Result& r) {
  if ((int32_t)r.x.size() != p.n) return false;
  if (r.has_duals && ((int32_t)r.y.size() != p.m || (int32_t)r.z.size() != p.n)) r.has_duals = false;
  return true;
}

}  // namespace

void ComputeResiduals(const ProblemView& p, Result& r) {
  if (!Usable(p, r)) return;
  FillResiduals(p, Compute(p, r), r);
}

void CheckSolvedClaim(const ProblemView& p, const Settings& s, Result& r) {
  if (r.status != Status::kSolved || !Usable(p, r)) return;
  CheckClaim(p, s, Compute(p, r), r);
}

void MeasureSolution(const ProblemView& p, const Settings& s, Result& r) {
  if (!Usable(p, r)) return;
  const Parts t = Compute(p, r);  // one set of products serves both
  FillResiduals(p, t, r);
  CheckClaim(p, s, t, r);
}

namespace {
double MaxAbsValue(const CscView& M) {
  double v = 0;
  for (int64_t k = 0; k < M.nnz(); k++) v = std::max(v, std::fabs(M.Ax[k]));
  return v;
}
}  // namespace

bool CertificateHolds(const ProblemView& p, Status status, const std::vector<double>& certificate, double tol) {
  if (status == Status::kPrimalInfeasible) {
    if ((int64_t)certificate.size() != (int64_t)p.m + p.n) return false;
    double norm = 0;
    for (double v : certificate) norm = std::max(norm, std::fabs(v));
    if (!(norm > 0) || !std::isfinite(norm)) return false;
    std::vector<double> dy(certificate.begin(), certificate.begin() + p.m), v(certificate.begin() + p.m, certificate.end());
    for (double& e : dy) e /= norm;
    for (double& e : v) e /= norm;
    double support = 0;
    auto side = [&](double lo, double hi, double d) {
      if (d > 0) return std::isfinite(hi) ? hi * d : (d > tol ? kInf : 0.0);
      if (d < 0) return std::isfinite(lo) ? lo * d : (-d > tol ? kInf : 0.0);
      return 0.0;
    };
    for (int32_t i = 0; i < p.m; i++) support += side(p.l[i], p.u[i], dy[i]);
    for (int32_t j = 0; j < p.n; j++) support += side(p.LowerBound(j), p.UpperBound(j), v[j]);
    // Relative to the size of Aᵀdy + dz's terms when that is below 1: with A of 1e-9, any dy
    // would pass an absolute test and "prove" a feasible problem infeasible.
    double terms = 0;
    for (double e : v) terms = std::max(terms, std::fabs(e));
    for (int32_t i = 0; i < p.m && terms < 1; i++) terms = std::max(terms, std::fabs(dy[i]) * MaxAbsValue(p.A));
    MultiplyTransposedAdd(p.A, dy.data(), v.data());  // v = Aᵀdy + dz
    double res = 0;
    for (double e : v) res = std::max(res, std::fabs(e));
    return res <= tol * std::min(1.0, terms) && support < -std::max(tol, 1e3 * res);
  }
  if (status == Status::kDualInfeasible) {
    if ((int32_t)certificate.size() != p.n) return false;
    double norm = 0;
    for (double v : certificate) norm = std::max(norm, std::fabs(v));
    if (!(norm > 0) || !std::isfinite(norm)) return false;
    std::vector<double> dx(certificate);
    for (double& e : dx) e /= norm;
    std::vector<double> Pd(p.n, 0.0), Ad(p.m, 0.0);
    MultiplySymmetricLower(p.P, dx.data(), Pd.data());
    MultiplyAdd(p.A, dx.data(), Ad.data());
    // P d and A d relative to P's and A's size when below 1: P = 1e-6·(positive definite)
    // with q = 1e9 is bounded (x ~ 1e15), yet every P d is within an absolute 1e-6 of 0.
    const double p_scale = std::min(1.0, MaxAbsValue(p.P)), a_scale = std::min(1.0, MaxAbsValue(p.A));
    double qd = 0, worst = 0;
    for (int32_t j = 0; j < p.n; j++) {
      qd += p.q[j] * dx[j];
      if (std::fabs(Pd[j]) > tol * p_scale) return false;
      worst = std::max(worst, std::fabs(Pd[j]));
      if (std::isfinite(p.UpperBound(j))) worst = std::max(worst, dx[j]);
      if (std::isfinite(p.LowerBound(j))) worst = std::max(worst, -dx[j]);
    }
    for (int32_t i = 0; i < p.m; i++) {
      const double out = std::max(std::isfinite(p.u[i]) ? Ad[i] : 0.0, std::isfinite(p.l[i]) ? -Ad[i] : 0.0);
      if (out > tol * a_scale) return false;
      worst = std::max(worst, out);
    }
    return worst <= tol && qd < -std::max(tol, 1e3 * worst);
  }
  return false;
}

}  // namespace diffqp
