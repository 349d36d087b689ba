/**
 * The outcome of a solve that ran (not an error). `solved` means the solver claimed
 * success AND the residuals of docs/METHODS.md §3 meet the requested tolerances.
 */
export type SolveStatus =
  'solved' | 'solvedInaccurate' | 'primalInfeasible' | 'dualInfeasible' | 'maxIterations' | 'timeLimit' | 'cancelled' | 'solverFailed';

export const solveStatuses: readonly SolveStatus[] = [
  'solved',
  'solvedInaccurate',
  'primalInfeasible',
  'dualInfeasible',
  'maxIterations',
  'timeLimit',
  'cancelled',
  'solverFailed',
];
