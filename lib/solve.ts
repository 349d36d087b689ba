/**
 * solve / solveSync: validate in JS, convert to the canonical form, hand borrowed typed
 * arrays to the native solver (async on the libuv threadpool), wrap the result.
 */
import { types } from 'node:util';
import { Vector } from './arrays';
import {
  binding,
  NativeOptions,
  NativeResult,
  NativeSolverInfo,
  PolishInfo,
  translateAtCallSite,
  translateNativeError,
  UnavailableSolver,
} from './binding';
import { ErrorCode, problemError, QpError, rejectUnknownKeys } from './errors';
import { Canonical, Problem, toCanonical } from './problem';
import { SolveStatus } from './status';
import { ownedArrays, requireFloat64Array } from './validate';
import { Attempt, autoOrder, worstResidual } from './auto';
import { attachHandle, FactorCache } from './handle';

export interface SolveOptions {
  /**
   * Solver key: 'auto' (default: ipm first, then fallbacks; see lib/auto.ts), 'ipm', 'highs', 'ipopt', 'clp' or 'admm';
   * see availableSolvers().
   */
  solver?: string;
  /** Absolute tolerance (default 1e-6): given to the solver and used to check a "solved" claim. */
  epsAbs?: number;
  /** Relative tolerance (default 1e-6). */
  epsRel?: number;
  /** Iteration limit (solver default when omitted). */
  maxIter?: number;
  /** Time limit in seconds (none when omitted). */
  timeLimit?: number;
  /** Let the solver print its log (default false). */
  verbose?: boolean;
  /**
   * Polish x, y, z afterwards on the active set by Newton steps on the reduced KKT system
   * (docs/METHODS.md §5), kept only when the residuals improve; completes missing duals and fixes
   * HiGHS's regularised ones (default false). `solution.polish` reports before and after.
   */
  polish?: boolean;
  /** Warm start: primal x (length n), row duals y (length m), bound duals z (length n). */
  x0?: Vector;
  y0?: Vector;
  z0?: Vector;
  /** Cancels the solve: the promise rejects with an AbortError (code ERR_QP_ABORTED). */
  signal?: AbortSignal;
  /**
   * Keep a handle on the problem in the Solution so that differentiate(solution, grads)
   * needs nothing else; solution.dispose() drops it (default false).
   */
  differentiable?: boolean;
  /** Options passed by name to the solver itself (numbers, booleans or strings). */
  solverOptions?: Record<string, number | boolean | string>;
}

export interface Solution {
  /** Outcome; see SolveStatus. Only 'solved' passed the residual check. */
  status: SolveStatus;
  /** Primal solution, length n. */
  x: Float64Array;
  /** Row duals, length m (canonical rows; for the standard form G's rows then A's). */
  y: Float64Array;
  /** Bound duals, length n. Convention: Px + q + Aᵀy + z = 0, y > 0 at u, z > 0 at ub. */
  z: Float64Array;
  /** Standard form only: the duals of Gx ≤ h (a view into y). */
  yIneq?: Float64Array;
  /** Standard form only: the duals of Ax = b (a view into y). */
  yEq?: Float64Array;
  /** False when the solver returned no usable duals (then dual residual and gap are Infinity). */
  hasDuals: boolean;
  /** ½xᵀPx + qᵀx + constant. */
  objective: number;
  /** docs/METHODS.md §3, absolute and unscaled. */
  primalResidual: number;
  dualResidual: number;
  dualityGap: number;
  iterations: number;
  /** Seconds the solver spent outside its solve (building and freeing its model), and solving. */
  setupTime: number;
  solveTime: number;
  /** The solver key that produced this solution. */
  solver: string;
  /** The solver's own status code and name. */
  rawStatus: number;
  rawStatusText: string;
  /** An infeasibility certificate, when the solver provides one. */
  certificate?: Float64Array;
  /** With { polish: true }: the residuals [r_p, r_d, r_g] before and after, and whether it was kept. */
  polish?: PolishInfo;
  /** With solver 'auto': every solver tried, in order (the last one answered). */
  attempts?: Attempt[];
  /** With { differentiable: true }: drops the handle kept for differentiate(solution, …). */
  dispose?(): void;
  readonly disposed?: boolean;
}

/**
 * What solve(problem, { differentiable: true }) returns: a Solution with a handle on its
 * problem and the factorization of K, so differentiate(solution, grads) needs nothing else;
 * dispose() frees them now (the garbage collector otherwise).
 */
export interface DisposableSolution extends Solution {
  dispose(): void;
  readonly disposed: boolean;
}

/** SolveOptions asking for a handle: the overloads of solve and solveSync return a DisposableSolution for these. */
export type DifferentiableSolveOptions = SolveOptions & { differentiable: true };

export type SolverInfo = NativeSolverInfo;

const DEFAULT_SOLVER = 'auto';
const knownOptions = new Set([
  'solver',
  'epsAbs',
  'epsRel',
  'maxIter',
  'timeLimit',
  'verbose',
  'x0',
  'y0',
  'z0',
  'signal',
  'solverOptions',
  'differentiable',
  'polish',
]);

export function optionError(field: string, what: string, value: unknown): QpError {
  return problemError(ErrorCode.INVALID_OPTION, `options.${field}`, what, undefined, value);
}

function nonNegative(options: SolveOptions, key: 'epsAbs' | 'epsRel' | 'timeLimit' | 'maxIter', integer = false): number | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw optionError(key, integer ? 'must be a non-negative integer' : 'must be a non-negative number', v);
  }
  return v;
}

const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;

/** A real AbortSignal: its own getter accepts it (a Proxy or an object made from its prototype throws). */
function isAbortSignal(value: unknown): boolean {
  if (types.isProxy(value)) return false;
  try {
    abortedGetter.call(value);
    return true;
  } catch {
    return false;
  }
}

/** Checks options and builds what the addon reads. */
export function nativeOptions(options: SolveOptions, c: Canonical): NativeOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw problemError(ErrorCode.INVALID_OPTION, 'options', 'must be an object', undefined, options);
  rejectUnknownKeys(options, knownOptions, ErrorCode.INVALID_OPTION, 'options.', 'is not an option');
  const solver = options.solver === undefined ? DEFAULT_SOLVER : options.solver;
  if (typeof solver !== 'string') throw optionError('solver', "must be a string (a solver key or 'auto'; omitted: 'auto')", solver);
  const out: NativeOptions = { solver };
  const epsAbs = nonNegative(options, 'epsAbs');
  const epsRel = nonNegative(options, 'epsRel');
  const timeLimit = nonNegative(options, 'timeLimit');
  const maxIter = nonNegative(options, 'maxIter', true);
  if (epsAbs !== undefined) out.epsAbs = epsAbs;
  if (epsRel !== undefined) out.epsRel = epsRel;
  if (timeLimit !== undefined) out.timeLimit = timeLimit;
  if (maxIter !== undefined) out.maxIter = maxIter;
  if (options.verbose !== undefined) {
    if (typeof options.verbose !== 'boolean') throw optionError('verbose', 'must be a boolean', options.verbose);
    out.verbose = options.verbose;
  }
  if (options.x0 !== undefined) out.x0 = requireFloat64Array('options.x0', options.x0, c.n);
  if (options.y0 !== undefined) out.y0 = requireFloat64Array('options.y0', options.y0, c.m);
  if (options.z0 !== undefined) out.z0 = requireFloat64Array('options.z0', options.z0, c.n);
  for (const [field, v] of [
    ['x0', out.x0],
    ['y0', out.y0],
    ['z0', out.z0],
  ] as const) {
    if (v)
      for (let i = 0; i < v.length; i++)
        if (!Number.isFinite(v[i])) throw problemError(ErrorCode.INVALID_OPTION, `options.${field}`, 'must be finite', i, v[i]);
  }
  if (options.polish !== undefined) {
    if (typeof options.polish !== 'boolean') throw optionError('polish', 'must be a boolean', options.polish);
    out.polish = options.polish;
  }
  if (options.differentiable !== undefined && typeof options.differentiable !== 'boolean')
    throw optionError('differentiable', 'must be a boolean', options.differentiable);
  if (options.differentiable) out.keepFactor = true;
  if (options.signal !== undefined && !isAbortSignal(options.signal)) throw optionError('signal', 'must be an AbortSignal', options.signal);
  if (options.solverOptions !== undefined) {
    const so = options.solverOptions;
    if (typeof so !== 'object' || so === null || Array.isArray(so)) throw optionError('solverOptions', 'must be an object', so);
    // A copy of the values checked: the addon reads this object, not the caller's (whose getters could differ).
    const copy: Record<string, number | boolean | string> = {};
    for (const [k, v] of Object.entries(so)) {
      if (typeof v !== 'boolean' && typeof v !== 'string' && (typeof v !== 'number' || Number.isNaN(v))) {
        throw optionError(`solverOptions.${k}`, 'must be a number, a boolean or a string', v);
      }
      copy[k] = v;
    }
    out.solverOptions = copy;
  }
  return out;
}

/** The factorization of K a polish left for the backward pass, until attachHandle takes it. */
const polishedFactors = new WeakMap<Solution, FactorCache>();

/** The handle of a differentiable solve, seeded with the polish's factorization of K. */
export function differentiable(sol: Solution, problem: Problem): DisposableSolution {
  return attachHandle(sol, problem, polishedFactors.get(sol));
}

export function toSolution(r: NativeResult, solver: string, c: Canonical): Solution {
  const s: Solution = {
    status: r.status as SolveStatus,
    x: r.x,
    y: r.y,
    z: r.z,
    hasDuals: r.hasDuals,
    objective: r.objective,
    primalResidual: r.primalResidual,
    dualResidual: r.dualResidual,
    dualityGap: r.dualityGap,
    iterations: r.iterations,
    setupTime: r.setupTime,
    solveTime: r.solveTime,
    solver,
    rawStatus: r.rawStatus,
    rawStatusText: r.rawStatusText,
  };
  if (r.certificate) s.certificate = r.certificate;
  if (r.polish) s.polish = r.polish;
  if (r.factorCache) polishedFactors.set(s, r.factorCache);
  if (c.rowsFrom.form === 'standard') {
    s.yIneq = r.y.subarray(0, c.rowsFrom.mG);
    s.yEq = r.y.subarray(c.rowsFrom.mG);
  }
  return s;
}

export function nativeProblem(c: Canonical) {
  const problem = { n: c.n, m: c.m, P: c.P, q: c.q, A: c.A, l: c.l, u: c.u, constant: c.constant } as {
    n: number;
    m: number;
    P: Canonical['P'];
    q: Float64Array;
    A: Canonical['A'];
    l: Float64Array;
    u: Float64Array;
    constant: number;
    lb?: Float64Array;
    ub?: Float64Array;
  };
  if (c.lb) problem.lb = c.lb;
  if (c.ub) problem.ub = c.ub;
  return problem;
}

export function abortError(signal: AbortSignal): QpError {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  return new QpError(ErrorCode.ABORTED, `the solve was aborted${reason}`);
}

/**
 * `work` raced against `signal`: an abort sets the native cancel flag (`cancel`) and rejects
 * at once with abortError. `detach()` removes the listener once the call has settled.
 */
export function raceAbort<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  cancel: () => void,
): { settled: Promise<T>; detach: () => void } {
  if (!signal) return { settled: work, detach: () => {} };
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      cancel();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return { settled: Promise.race([work, aborted]), detach: () => signal.removeEventListener('abort', onAbort!) };
}

/** Solves on the calling thread. Fine for small problems; prefer `solve` otherwise. */
export function solveSync(problem: Problem, options: Omit<DifferentiableSolveOptions, 'signal'>): DisposableSolution;
export function solveSync(problem: Problem, options?: Omit<SolveOptions, 'signal'>): Solution;
export function solveSync(problem: Problem, options: Omit<SolveOptions, 'signal'> = {}): Solution {
  const c = toCanonical(problem);
  const opts = nativeOptions(options, c);
  if ((options as SolveOptions).signal)
    throw optionError('signal', 'is not supported by solveSync (use solve)', (options as SolveOptions).signal);
  const run = (o: NativeOptions) => {
    try {
      return toSolution(binding().solveSync(nativeProblem(c), o), o.solver, c);
    } catch (e) {
      throw translateNativeError(e);
    }
  };
  const sol = opts.solver !== 'auto' ? run(opts) : (chooseAuto(c, opts, run) as Solution);
  return options.differentiable ? differentiable(sol, problem) : sol;
}

/**
 * Tries the solvers of autoOrder in turn until an answer passes the residual test. The time limit is one
 * budget for all attempts (each gets what is left); polish is on unless the caller said no.
 */
function chooseAuto<R extends Solution | Promise<Solution>>(
  c: Canonical,
  opts: NativeOptions,
  run: (o: NativeOptions) => R,
  cancellable = false,
): R {
  const order = autoOrder(c, availableSolvers(), { timeLimit: opts.timeLimit, cancellable });
  const started = performance.now();
  const attemptOptions = (solver: string, first: boolean): NativeOptions | undefined => {
    const o: NativeOptions = { ...opts, solver, polish: opts.polish ?? true };
    if (opts.timeLimit !== undefined && !first) {
      o.timeLimit = opts.timeLimit - (performance.now() - started) / 1000;
      if (o.timeLimit <= 0) return undefined; // the budget is spent
    }
    return o;
  };
  if (order.length === 0) {
    throw new QpError(
      ErrorCode.SOLVER_UNAVAILABLE,
      "options.solver: 'auto' found no solver built in that honours the time limit and cancellation asked for",
      { field: 'options.solver' },
    );
  }
  const attempts: Attempt[] = [];
  let best: Solution | undefined;
  // An answer passes when the solver claims a solution and the docs/METHODS.md §3 measures are
  // within epsAbs: a solver that only says "acceptable" (Ipopt) but meets them is not retried.
  const tolerance = opts.epsAbs ?? 1e-6;
  // An infeasible or unbounded status comes with a certificate the native layer verified on
  // the caller's data (else it is solverFailed): it is an answer, and ends the search.
  const passes = (s: Solution) =>
    s.status === 'solved' ||
    s.status === 'primalInfeasible' ||
    s.status === 'dualInfeasible' ||
    (s.status === 'solvedInaccurate' && worstResidual(s) <= tolerance);
  const finish = (s: Solution) => {
    attempts.push({ solver: s.solver, status: s.status, seconds: s.setupTime + s.solveTime });
    if (!best || (passes(s) && !passes(best)) || (passes(s) === passes(best) && worstResidual(s) < worstResidual(best))) best = s;
    best.attempts = attempts;
    return passes(s);
  };
  // A solver whose data limits the problem exceeds is skipped (ERR_QP_OUT_OF_RANGE); if every
  // one is, the first such error is thrown.
  let skipped: QpError | undefined;
  const skip = (solver: string, e: unknown) => {
    if (!(e instanceof QpError) || e.code !== ErrorCode.OUT_OF_RANGE) throw e;
    skipped ??= e;
    attempts.push({ solver, status: 'skipped', seconds: 0, reason: e.message });
    if (best) best.attempts = attempts;
  };
  const outcome = () => {
    if (!best) throw skipped!;
    return best;
  };
  // The same loop for the sync and async paths: a Promise result continues in .then.
  const step = (k: number): R => {
    const solver = order[k]!;
    const last = (done: boolean) => done || k + 1 === order.length || attemptOptions(order[k + 1]!, false) === undefined;
    let r: R;
    try {
      r = run(attemptOptions(solver, k === 0)!);
    } catch (e) {
      skip(solver, e);
      return (last(false) ? outcome() : step(k + 1)) as R;
    }
    if (r instanceof Promise) {
      return r.then(
        (s) => (last(finish(s)) ? best! : step(k + 1)),
        (e) => {
          skip(solver, e);
          return last(false) ? outcome() : step(k + 1);
        },
      ) as R;
    }
    return (last(finish(r as Solution)) ? best! : step(k + 1)) as R;
  };
  return step(0);
}

/**
 * Solves on the libuv threadpool. Resolves with a Solution for every outcome the solver
 * reaches (including infeasible and unbounded); rejects with a QpError when it cannot run.
 */
export async function solve(problem: Problem, options: DifferentiableSolveOptions): Promise<DisposableSolution>;
export async function solve(problem: Problem, options?: SolveOptions): Promise<Solution>;
export async function solve(problem: Problem, options: SolveOptions = {}): Promise<Solution> {
  // Copies: the caller may transfer or resize its buffers while the solve runs (lib/validate.ts).
  const c = ownedArrays(toCanonical(problem));
  const opts = ownedArrays(nativeOptions(options, c));
  const sol =
    opts.solver === 'auto'
      ? await chooseAuto(c, opts, (o) => solveOne(c, o, options.signal), options.signal !== undefined)
      : await solveOne(c, opts, options.signal);
  return options.differentiable ? differentiable(sol, problem) : sol;
}

/** Keys of the solvers that run one solve at a time (a native lock), known after the first call. */
let serialisedKeys: Set<string> | undefined;
export function isSerialised(solver: string): boolean {
  serialisedKeys ??= new Set(
    availableSolvers()
      .filter((s) => s.serialised)
      .map((s) => s.key),
  );
  return serialisedKeys.has(solver);
}

/** Longest delay setTimeout takes; a longer time limit is no deadline in practice. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One native solve. A serialised solver's solve waits in the addon's process-wide lane rather
 * than on a libuv thread; its time limit counts from the call, so it runs with what is left
 * (or, when the limit passes while it waits, never runs and resolves with status timeLimit:
 * the timer below takes it out of the lane).
 */
async function solveOne(c: Canonical, opts: NativeOptions, signal: AbortSignal | undefined): Promise<Solution> {
  const callSite = new Error(); // the caller's stack, kept across the await
  if (signal?.aborted) throw abortError(signal);
  const native = binding();
  const token = native.createCancelToken();
  let detach = () => {};
  let deadline: NodeJS.Timeout | undefined;
  try {
    const work = native.solveAsync(nativeProblem(c), opts, token);
    if (opts.timeLimit !== undefined && opts.timeLimit * 1000 <= MAX_TIMER_MS && isSerialised(opts.solver)) {
      deadline = setTimeout(() => native.expireQueued(token), opts.timeLimit * 1000);
    }
    const raced = raceAbort(work, signal, () => native.cancel(token));
    detach = raced.detach;
    const r = await raced.settled;
    if (r.status === 'cancelled' && signal?.aborted) throw abortError(signal);
    return toSolution(r, opts.solver, c);
  } catch (e) {
    throw translateAtCallSite(e, callSite);
  } finally {
    detach();
    if (deadline) clearTimeout(deadline);
  }
}

/** The solvers built into this binary, with their capabilities. */
export function availableSolvers(): SolverInfo[] {
  return binding().solvers();
}

/**
 * The solvers this build has as plugins (ipopt, clp) whose shared object could not be loaded
 * (a library it needs is missing, say), with the loader's reason. They are absent from
 * availableSolvers(), `auto` never tries them, and asking for one by key throws
 * ERR_QP_SOLVER_UNAVAILABLE with the reason. Empty when every solver loaded.
 */
export function unavailableSolvers(): UnavailableSolver[] {
  return binding().unavailableSolvers();
}
