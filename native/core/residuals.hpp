#pragma once
#include "problem.hpp"

namespace diffqp {

// y = P x with P stored as its lower triangle.
void MultiplySymmetricLower(const CscView& P, const double* x, double* y);
// y += A x
void MultiplyAdd(const CscView& A, const double* x, double* y);
// y += Aᵀ x
void MultiplyTransposedAdd(const CscView& A, const double* x, double* y);

// rd = P x + q + Aᵀy + z (P as its lower triangle; y, z may be null), each component summed
// exactly and rounded once.
void StationarityExactly(const ProblemView& p, const double* x, const double* y, const double* z, double* rd);
// u − Ax and l − Ax per row, each summed exactly and rounded once (±∞ where the side is), and,
// when Ax is not null, Ax itself from the same sums.
void DistancesToSides(const ProblemView& p, const double* x, double* to_upper, double* to_lower, double* Ax = nullptr);

// Zeroes multipliers that point at an infinite bound (y_i > 0 with u_i = +∞, and so on):
// solvers return noise there (Ipopt ~1e-11, HiGHS up to its tolerance), and the duality
// gap of docs/METHODS.md §3 would multiply it by infinity. Returns whether it zeroed any.
bool DropMultipliersAtInfiniteBounds(const ProblemView& p, Result& r);

// Fills objective, primal_residual, dual_residual and duality_gap of `r` from r.x, r.y, r.z
// exactly as docs/METHODS.md §3 defines them (absolute, unscaled).
void ComputeResiduals(const ProblemView& p, Result& r);

// After a solver reports success: keeps kSolved only if the residuals meet the requested
// tolerances (eps_abs + eps_rel · scale), else downgrades to kSolvedInaccurate.
void CheckSolvedClaim(const ProblemView& p, const Settings& s, Result& r);

// ComputeResiduals then CheckSolvedClaim, with the sparse products computed once.
void MeasureSolution(const ProblemView& p, const Settings& s, Result& r);

// Checks an infeasibility certificate on the caller's data (not the solver's scaled copy),
// normalised to ‖·‖∞ = 1, with tolerance tol on each condition:
//   primalInfeasible (dy, dz): ‖Aᵀdy + dz‖∞ ≤ tol, no mass on an infinite side, and the support
//     value uᵀdy₊ + lᵀdy₋ + ubᵀdz₊ + lbᵀdz₋ < −max(tol, 10³·‖Aᵀdy + dz‖∞·(1 + ‖x‖∞-scale));
//   dualInfeasible dx: ‖P dx‖∞ ≤ tol, A dx and dx in the recession cones of [l, u] and
//     [lb, ub] to tol, and qᵀdx < −tol.
// Returns true when the certificate holds (false for any other status).
bool CertificateHolds(const ProblemView& p, Status status, const std::vector<double>& certificate, double tol = 1e-6);

}  // namespace diffqp
