/**
 * diffqp: differentiable sparse quadratic programming on native solvers.
 *
 *   minimize ½xᵀPx + qᵀx  s.t.  l ≤ Ax ≤ u,  lb ≤ x ≤ ub        (canonical form)
 *   minimize ½xᵀPx + qᵀx  s.t.  Gx ≤ h,  Ax = b,  lb ≤ x ≤ ub  (standard form)
 *
 * Duals: Px + q + Aᵀy + z = 0, y_i > 0 only at u_i, y_i < 0 only at l_i, z likewise.
 *
 * The package's one entry (CommonJS; dist/lib/index.mjs re-exports it as an ES module). Every
 * type named in a public signature is exported here: test/00-public-api.test.ts checks it.
 */
export { CscMatrix, CscMatrixLike, Triangle } from './sparse';
export { Vector, IndexVector } from './arrays';
export { Problem, CanonicalProblem, StandardProblem, Canonical, toCanonical, problemForm } from './problem';
export {
  solve,
  solveSync,
  availableSolvers,
  unavailableSolvers,
  SolveOptions,
  DifferentiableSolveOptions,
  Solution,
  DisposableSolution,
  SolverInfo,
} from './solve';
export {
  solveBatch,
  solveBatchSync,
  differentiateBatch,
  differentiateBatchSync,
  BatchOptions,
  DifferentiableBatchOptions,
  DifferentiateBatchOptions,
} from './batch';
export { parametric, ParametricQp, ParametricOptions, ParametricValues, ParametricSolution } from './parametric';
export { PolishInfo, NativeSolverInfo, UnavailableSolver } from './binding';
export { Attempt } from './auto';
export { SolveStatus, solveStatuses } from './status';
export {
  differentiate,
  differentiateSync,
  DifferentiateOptions,
  DifferentiateMethod,
  ActiveSetOptions,
  DataArrays,
  Gradients,
  GradientName,
  DifferentiableSolution,
  Grads,
} from './differentiate';
export { jvp, jvpSync, JvpOptions, Tangents, JvpResult } from './jvp';
export { readQps, readQpsSync, parseQps, QpsProblem, QpsOptions, QpsFormat, QpsStats } from './qps';
export { QpError, QpErrorDetails, ErrorCode, ErrorCodeValue } from './errors';
export { projectionProblem, projectionSets, differenceMatrix, ProjectionSet, ProjectionSetName, Bound } from './projections';
export {
  QpQueue,
  QpQueueOptions,
  RunOptions,
  startWorker,
  QueueWorker,
  QueueWorkerOptions,
  QueueJob,
  QueueJobKind,
  JobSolveOptions,
  JobResult,
  RedisConnection,
  encodeJob,
  decodeJob,
  encodeResult,
  decodeResult,
  runJob,
  FORMAT_VERSION,
  WirePayload,
} from './queue';
