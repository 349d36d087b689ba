/**
 * solveBatch / solveBatchSync: many problems in one native call, solved on a pool of native
 * threads. Each problem is validated and converted as solve() does it, and each solve is the
 * one solve() runs, so the answers are the same bits as one-by-one calls, in order.
 * differentiateBatch / differentiateBatchSync: the same for differentiate's passes.
 */
import { availableParallelism } from 'node:os';
import { binding, NativeOptions, NativeProblem, NativeResult, translateAtCallSite, translateNativeError } from './binding';
import {
  BatchPass,
  DifferentiableSolution,
  DifferentiateOptions,
  finishBatchPass,
  Gradients,
  Grads,
  prepareBatchPass,
} from './differentiate';
import { ErrorCode, problemError, QpError } from './errors';
import { Canonical, canonicalChecking, CheckedMatrices, Problem } from './problem';
import {
  abortError,
  differentiable,
  raceAbort,
  DisposableSolution,
  isSerialised,
  nativeOptions,
  nativeProblem,
  optionError,
  Solution,
  SolveOptions,
  toSolution,
} from './solve';
import { ownedArrays } from './validate';

export interface BatchOptions extends SolveOptions {
  /** Native threads to solve on (default os.availableParallelism(); never more than the batch size). */
  threads?: number;
}

/** BatchOptions asking for handles: solveBatch then returns DisposableSolutions. */
export type DifferentiableBatchOptions = BatchOptions & { differentiable: true };

/** The same problem error, its field and message now naming problems[k]. */
function atProblem(e: unknown, k: number, name = 'problems'): unknown {
  if (!(e instanceof QpError) || e.field?.startsWith('options')) return e;
  const at = `${name}[${k}]`;
  const details: { field: string; index?: number; value?: unknown } = { field: e.field === undefined ? at : `${at}.${e.field}` };
  if (e.index !== undefined) details.index = e.index;
  if ('value' in e) details.value = e.value;
  return new QpError(e.code, `${at}: ${e.message}`, details);
}

interface Prepared {
  canon: Canonical[];
  natives: NativeProblem[];
  opts: NativeOptions;
  threads: number;
}

/** Checks the batch and its options; `own` copies each problem's arrays (the async path). */
/** options.threads checked (default: the cores), capped at the batch size. */
function threadCount(asked: unknown, size: number): number {
  const threads = asked ?? availableParallelism();
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 1024)
    throw optionError('threads', 'must be an integer from 1 to 1024', asked);
  return Math.min(threads, Math.max(1, size));
}

function prepare(problems: readonly Problem[], options: BatchOptions, own: boolean): Prepared {
  if (!Array.isArray(problems)) throw problemError(ErrorCode.INVALID_TYPE, 'problems', 'must be an array of problems', undefined, problems);
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw problemError(
      ErrorCode.INVALID_OPTION,
      'options',
      "must be an object (with a solver key, e.g. { solver: 'ipm' })",
      undefined,
      options,
    );
  const { threads: asked, ...rest } = options;
  const threads = threadCount(asked, problems.length);
  for (const key of ['x0', 'y0', 'z0'] as const) {
    if (rest[key] !== undefined) throw optionError(key, 'is a warm start of one problem; solveBatch takes none (use solve)', rest[key]);
  }
  const solver = rest.solver ?? 'auto';
  if (solver === 'auto') {
    throw optionError(
      'solver',
      "'auto' (the default) chooses attempt by attempt in JS; solveBatch needs a solver key, e.g. 'ipm' or 'admm'",
      rest.solver,
    );
  }
  // A structure shared by the problems (the same P or A object) is checked once.
  const seen: CheckedMatrices = new Map();
  const canon = problems.map((p, k) => {
    try {
      const c = canonicalChecking(p, seen);
      return own ? ownedArrays(c) : c;
    } catch (e) {
      throw atProblem(e, k);
    }
  });
  // The options hold no per-problem array (no warm start), so one checked copy serves all.
  const opts = nativeOptions(rest, canon[0] as Canonical);
  if (typeof opts.solver === 'string' && isSerialised(opts.solver)) {
    throw optionError(
      'solver',
      `${opts.solver} is serialised (one solve at a time in the process); solveBatch does not run it (use solve)`,
      opts.solver,
    );
  }
  return { canon, natives: canon.map(nativeProblem), opts, threads };
}

function toSolutions(results: NativeResult[], p: Prepared, problems: readonly Problem[], options: BatchOptions): Solution[] {
  return results.map((r, k) => {
    const s = toSolution(r, p.opts.solver, p.canon[k]!);
    return options.differentiable ? differentiable(s, problems[k]!) : s;
  });
}

/** Solves every problem on the calling thread and `threads` − 1 native threads; results in order. */
export function solveBatchSync(problems: readonly Problem[], options: Omit<DifferentiableBatchOptions, 'signal'>): DisposableSolution[];
export function solveBatchSync(problems: readonly Problem[], options: Omit<BatchOptions, 'signal'>): Solution[];
export function solveBatchSync(problems: readonly Problem[], options: Omit<BatchOptions, 'signal'>): Solution[] {
  const p = prepare(problems, options, false);
  if ((options as BatchOptions).signal)
    throw optionError('signal', 'is not supported by solveBatchSync (use solveBatch)', (options as BatchOptions).signal);
  if (problems.length === 0) return [];
  try {
    return toSolutions(
      binding().solveBatchSync(
        p.natives,
        p.natives.map(() => p.opts),
        p.threads,
      ),
      p,
      problems,
      options,
    );
  } catch (e) {
    throw translateNativeError(e);
  }
}

/**
 * Solves every problem on one libuv thread and `threads` − 1 native threads; resolves with the
 * solutions in order, or rejects with the first error by index (its field names problems[k]).
 * An aborted signal rejects the whole batch with an AbortError and stops every running solve.
 */
export async function solveBatch(problems: readonly Problem[], options: DifferentiableBatchOptions): Promise<DisposableSolution[]>;
export async function solveBatch(problems: readonly Problem[], options: BatchOptions): Promise<Solution[]>;
export async function solveBatch(problems: readonly Problem[], options: BatchOptions): Promise<Solution[]> {
  const callSite = new Error(); // the caller's stack, kept across the await
  const p = prepare(problems, options, true);
  const signal = options.signal;
  if (signal?.aborted) throw abortError(signal);
  if (problems.length === 0) return [];
  const native = binding();
  const token = native.createCancelToken();
  let detach = () => {};
  try {
    const work = native.solveBatchAsync(
      p.natives,
      p.natives.map(() => p.opts),
      p.threads,
      token,
    );
    const raced = raceAbort(work, signal, () => native.cancel(token));
    detach = raced.detach;
    const results = await raced.settled;
    if (signal?.aborted) throw abortError(signal);
    return toSolutions(results, p, problems, options);
  } catch (e) {
    throw translateAtCallSite(e, callSite);
  } finally {
    detach();
  }
}

// ---- differentiate ---------------------------------------------------------------------------

export interface DifferentiateBatchOptions extends DifferentiateOptions {
  /** Native threads (default os.availableParallelism(); never more than the batch size). */
  threads?: number;
}

interface DifferentiateBatchBinding {
  differentiateBatchSync(problems: unknown[], solutions: unknown[], seeds: unknown[], options: unknown[], threads: number): unknown[];
  differentiateBatchAsync(
    problems: unknown[],
    solutions: unknown[],
    seeds: unknown[],
    options: unknown[],
    threads: number,
  ): Promise<unknown[]>;
}

/** An error of pass k: a seed's field names seeds[k], anything else solutions[k]. */
function atPass(e: unknown, k: number): unknown {
  if (e instanceof QpError && e.field?.startsWith('grads')) {
    const rest = e.field.slice('grads'.length);
    const details: { field: string; index?: number; value?: unknown } = { field: `seeds[${k}]${rest}` };
    if (e.index !== undefined) details.index = e.index;
    if ('value' in e) details.value = e.value;
    return new QpError(e.code, `seeds[${k}]: ${e.message}`, details);
  }
  return atProblem(e, k, 'solutions');
}

function preparePasses(
  solutions: readonly DifferentiableSolution[],
  seeds: readonly Grads[],
  options: DifferentiateBatchOptions,
  own: boolean,
) {
  if (!Array.isArray(solutions))
    throw problemError(ErrorCode.INVALID_TYPE, 'solutions', 'must be an array of solutions', undefined, solutions);
  if (!Array.isArray(seeds) || seeds.length !== solutions.length) {
    throw problemError(
      ErrorCode.DIMENSION_MISMATCH,
      'seeds',
      `must be an array of ${solutions.length} seeds, one per solution`,
      undefined,
      seeds,
    );
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw problemError(ErrorCode.INVALID_OPTION, 'options', 'must be an object', undefined, options);
  const { threads: asked, ...rest } = options;
  const threads = threadCount(asked, solutions.length);
  const passes = solutions.map((sol, k) => {
    try {
      return prepareBatchPass(sol, seeds[k]!, rest, own);
    } catch (e) {
      throw atPass(e, k);
    }
  });
  const column = (i: 0 | 1 | 2 | 3) => passes.map((p) => p.native[i]);
  return { passes, threads, args: [column(0), column(1), column(2), column(3)] as const };
}

function finishPasses(passes: BatchPass[], results: unknown[]): Gradients[] {
  return results.map((r, k) => {
    try {
      return finishBatchPass(passes[k]!, r);
    } catch (e) {
      throw atPass(e, k);
    }
  });
}

/**
 * Vector–Jacobian products of many solutions made with { differentiable: true } (solveBatch's,
 * say), seeds[k] for solutions[k], on the calling thread and `threads` − 1 native threads;
 * each pass is the one differentiateSync(solutions[k], seeds[k], options) runs.
 */
export function differentiateBatchSync(
  solutions: readonly DifferentiableSolution[],
  seeds: readonly Grads[],
  options: DifferentiateBatchOptions = {},
): Gradients[] {
  const { passes, threads, args } = preparePasses(solutions, seeds, options, false);
  if (passes.length === 0) return [];
  try {
    return finishPasses(passes, (binding() as unknown as DifferentiateBatchBinding).differentiateBatchSync(...args, threads));
  } catch (e) {
    throw translateNativeError(e);
  }
}

/** differentiateBatchSync on one libuv thread and `threads` − 1 native threads. */
export async function differentiateBatch(
  solutions: readonly DifferentiableSolution[],
  seeds: readonly Grads[],
  options: DifferentiateBatchOptions = {},
): Promise<Gradients[]> {
  const callSite = new Error();
  try {
    const { passes, threads, args } = preparePasses(solutions, seeds, options, true);
    if (passes.length === 0) return [];
    return finishPasses(passes, await (binding() as unknown as DifferentiateBatchBinding).differentiateBatchAsync(...args, threads));
  } catch (e) {
    throw translateAtCallSite(e, callSite);
  }
}
