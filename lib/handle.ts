/**
 * The handle a differentiable solve keeps on its Solution: the problem it solved and a native
 * cache for the factorization of the reduced KKT matrix K, so that `differentiate(solution, …)`
 * and `jvp(solution, …)` need nothing else and every kkt pass after the first is a solve only.
 * dispose() drops both now (the garbage collector otherwise); using a disposed solution for a
 * backward pass is a typed error (ERR_QP_DISPOSED).
 *
 * The cache trusts that the Solution's x, y, z and the problem's arrays are not modified after
 * solve(): it is keyed on the problem's shape and the active-set tolerance only.
 */
import { binding } from './binding';
import { ErrorCode, QpError } from './errors';
import { Problem } from './problem';

/** An opaque native object (differentiate_addon.cpp: newFactorCache). */
export type FactorCache = object;

interface CacheBinding {
  newFactorCache(): FactorCache;
  releaseFactorCache(cache: FactorCache): void;
}

interface Handle {
  problem: Problem | undefined;
  cache: FactorCache | undefined;
}

const handles = new WeakMap<object, Handle>();

/**
 * Gives `solution` a handle on `problem` and a dispose() method; `cache` is a factorization a
 * polish left (solve with { polish: true, differentiable: true }), else one is made on first use.
 */
export function attachHandle<T extends object>(
  solution: T,
  problem: Problem,
  cache?: FactorCache,
): T & { dispose(): void; readonly disposed: boolean } {
  const handle: Handle = { problem, cache };
  handles.set(solution, handle);
  const dispose = () => {
    if (handle.cache) (binding() as unknown as CacheBinding).releaseFactorCache(handle.cache);
    handle.problem = undefined;
    handle.cache = undefined;
  };
  Object.defineProperty(solution, 'dispose', { value: dispose, enumerable: false });
  Object.defineProperty(solution, 'disposed', { get: () => handle.problem === undefined, enumerable: false });
  return solution as T & { dispose(): void; readonly disposed: boolean };
}

export function hasHandle(solution: unknown): boolean {
  return typeof solution === 'object' && solution !== null && handles.has(solution);
}

function handleOf(solution: object): Handle & { problem: Problem } {
  const handle = handles.get(solution);
  if (!handle) {
    throw new QpError(
      ErrorCode.NOT_DIFFERENTIABLE,
      'solution: has no handle on its problem (it was not made with solve(problem, { differentiable: true })); ' +
        'solve with { differentiable: true }, or pass the problem first: differentiate(problem, solution, grads) (jvp(problem, solution, tangents) likewise)',
      { field: 'solution' },
    );
  }
  if (!handle.problem) throw new QpError(ErrorCode.DISPOSED, 'solution: its differentiable handle was disposed', { field: 'solution' });
  return handle as Handle & { problem: Problem };
}

/** The problem behind a differentiable solution; throws ERR_QP_DISPOSED after dispose(). */
export function problemOf(solution: object): Problem {
  return handleOf(solution).problem;
}

/** The solution's factorization cache, made on first use. */
export function factorCacheOf(solution: object): FactorCache {
  const handle = handleOf(solution);
  handle.cache ??= (binding() as unknown as CacheBinding).newFactorCache();
  return handle.cache;
}
