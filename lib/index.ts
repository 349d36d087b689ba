/**
 * diffqp: differentiable sparse quadratic programming on native solvers.
 *
 *   minimize ½xᵀPx + qᵀx  s.t.  l ≤ Ax ≤ u,  lb ≤ x ≤ ub        (canonical form)
 *   minimize ½xᵀPx + qᵀx  s.t.  Gx ≤ h,  Ax = b,  lb ≤ x ≤ ub  (standard form)
 *
 * Duals: Px + q + Aᵀy + z = 0, y_i > 0 only at u_i, y_i < 0 only at l_i, z likewise.
 */
export { CscMatrix, Triangle } from './sparse';
export { Problem, CanonicalProblem, StandardProblem, Canonical, toCanonical, problemForm } from './problem';
export { solve, solveSync, availableSolvers, SolveOptions, Solution, SolverInfo } from './solve';
export { SolveStatus, solveStatuses } from './status';
export { differentiate, differentiateSync, jvp, jvpSync, DifferentiateOptions, DifferentiateMethod, Gradients, GradientName, DifferentiableSolution, Grads, Tangents, JvpResult } from './differentiate';
export { QpError, ErrorCode, ErrorCodeValue } from './errors';
