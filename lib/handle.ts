/**
 * The handle a differentiable solve keeps on its Solution: the problem it solved, so that
 * `differentiate(solution, …)` needs nothing else. dispose() drops it early; using a
 * disposed solution for a backward pass is a typed error (ERR_QP_DISPOSED).
 * (The factorization of K is not cached across calls yet: each backward pass builds it.)
 */
import { ErrorCode, QpError } from './errors';
import { Problem } from './problem';

interface Handle {
  problem: Problem | undefined;
}

const handles = new WeakMap<object, Handle>();

/** Gives `solution` a handle on `problem` and a dispose() method. */
export function attachHandle<T extends object>(solution: T, problem: Problem): T & { dispose(): void; readonly disposed: boolean } {
  const handle: Handle = { problem };
  handles.set(solution, handle);
  Object.defineProperty(solution, 'dispose', { value: () => void (handle.problem = undefined), enumerable: false });
  Object.defineProperty(solution, 'disposed', { get: () => handle.problem === undefined, enumerable: false });
  return solution as T & { dispose(): void; readonly disposed: boolean };
}

export function hasHandle(solution: unknown): boolean {
  return typeof solution === 'object' && solution !== null && handles.has(solution);
}

/** The problem behind a differentiable solution; throws ERR_QP_DISPOSED after dispose(). */
export function problemOf(solution: object): Problem {
  const handle = handles.get(solution);
  if (!handle) {
    throw new QpError(ErrorCode.NOT_DIFFERENTIABLE, 'solution: was not made with solve(problem, { differentiable: true }); pass the problem explicitly: differentiate(problem, solution, grads)', { field: 'solution' });
  }
  if (!handle.problem) throw new QpError(ErrorCode.DISPOSED, 'solution: its differentiable handle was disposed', { field: 'solution' });
  return handle.problem;
}
