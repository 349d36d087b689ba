/** Loads the native addon (prebuilds/ or build/Release/, found by node-gyp-build). */
import * as path from 'node:path';
import { ErrorCode, QpError } from './errors';

export interface NativeCsc {
  colPtr: Int32Array;
  rowIdx: Int32Array;
  values: Float64Array;
}

export interface NativeProblem {
  n: number;
  m: number;
  P: NativeCsc;
  q: Float64Array;
  A: NativeCsc;
  l: Float64Array;
  u: Float64Array;
  lb?: Float64Array;
  ub?: Float64Array;
  constant: number;
}

export interface NativeOptions {
  solver: string;
  epsAbs?: number;
  epsRel?: number;
  maxIter?: number;
  timeLimit?: number;
  verbose?: boolean;
  polish?: boolean;
  /** A differentiable solve: return the polish's factorization of K as result.factorCache. */
  keepFactor?: boolean;
  /** A parametric problem's try of the last active set before the solver (lib/parametric.ts). */
  activeSetStart?: boolean;
  x0?: Float64Array;
  y0?: Float64Array;
  z0?: Float64Array;
  solverOptions?: Record<string, number | boolean | string>;
}

export interface NativeResult {
  status: string;
  rawStatus: number;
  rawStatusText: string;
  x: Float64Array;
  y: Float64Array;
  z: Float64Array;
  hasDuals: boolean;
  objective: number;
  primalResidual: number;
  dualResidual: number;
  dualityGap: number;
  iterations: number;
  setupTime: number;
  solveTime: number;
  certificate?: Float64Array;
  polish?: PolishInfo;
  /** With keepFactor, after a polish whose K serves the polished point (lib/handle.ts). */
  factorCache?: object;
}

/** What a polish did: [r_p, r_d, r_g] before and after, and whether the result was kept. */
export interface PolishInfo {
  applied: boolean;
  before: [number, number, number];
  after: [number, number, number];
}

export interface NativeSolverInfo {
  key: string;
  version: string;
  license: string;
  duals: boolean;
  warmStart: boolean;
  /** Polls the AbortSignal during every solve (LPs and QPs alike). */
  cancellation: boolean;
  /** Stops near options.timeLimit on every problem (LPs and QPs alike). */
  timeLimit: boolean;
  infeasibilityCertificate: boolean;
  /** One solve at a time in the process: async solves wait in the addon's process-wide lane, holding no libuv thread. */
  serialised: boolean;
  /** The two promises above per problem class: an LP is a problem with P = 0. */
  honours: { timeLimit: { lp: boolean; qp: boolean }; cancellation: { lp: boolean; qp: boolean } };
}

/** A solver built as a plugin whose shared object did not load, and the loader's reason. */
export interface UnavailableSolver {
  key: string;
  reason: string;
}

export interface NativeCancelToken {
  readonly __brand: 'CancelToken';
}

export interface Binding {
  solveSync(problem: NativeProblem, options: NativeOptions): NativeResult;
  solveAsync(problem: NativeProblem, options: NativeOptions, token?: NativeCancelToken): Promise<NativeResult>;
  createCancelToken(): NativeCancelToken;
  /** options[k] goes with problems[k]; the solves run on `threads` native threads; results in order. */
  solveBatchSync(problems: NativeProblem[], options: NativeOptions[], threads: number): NativeResult[];
  solveBatchAsync(problems: NativeProblem[], options: NativeOptions[], threads: number, token?: NativeCancelToken): Promise<NativeResult[]>;
  /**
   * Sets the flag the running solve polls; a solve still waiting for its lane leaves it and
   * resolves at once (status cancelled). Throws ERR_QP_INVALID_TYPE for anything but a token
   * made by createCancelToken().
   */
  cancel(token: NativeCancelToken): void;
  /**
   * The token's time limit (counted from its solveAsync call) has passed: if the solve still
   * waits for its lane it leaves it and resolves with status timeLimit (never ran). Whether it did.
   */
  expireQueued(token: NativeCancelToken): boolean;
  /** Solves of a serialised solver waiting for its lane in the whole process (all threads); for tests. */
  laneWaiting(key: string): number;
  solvers(): NativeSolverInfo[];
  /** The plugins (ipopt, clp) that could not be loaded: missing from solvers(), with the reason. */
  unavailableSolvers(): UnavailableSolver[];
  /** Test hook: throws an ERR_QP_NATIVE error from native code. */
  throwNativeForTest(): never;
}

let cached: Binding | undefined;
/** Seconds it took to load the addon the first time (for the overhead benchmark). */
export let addonLoadSeconds = 0;

/** Loads the addon from `root` (the package folder); throws ERR_QP_ADDON_LOAD on failure. */
export function loadBinding(root: string): Binding {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => Binding;
    return load(root);
  } catch (e) {
    throw new QpError(
      ErrorCode.ADDON_LOAD,
      `diffqp: the native addon could not be loaded from ${root} (${(e as Error).message}). Build it from source: \`npx diffqp setup\` in your project (\`npm run setup\` in a clone of diffqp).`,
    );
  }
}

export function binding(): Binding {
  if (cached) return cached;
  const start = process.hrtime.bigint();
  cached = loadBinding(path.resolve(__dirname, '..', '..'));
  addonLoadSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  return cached;
}

/**
 * translateNativeError for an async call: the error carries the stack of `callSite` (an Error
 * made before the first await), which names the caller rather than the addon's callback.
 */
export function translateAtCallSite(e: unknown, callSite: Error): unknown {
  const err = translateNativeError(e);
  if (err instanceof Error && callSite.stack) err.stack = `${err.name}: ${err.message}\n${callSite.stack.split('\n').slice(1).join('\n')}`;
  return err;
}

/** Turns an error thrown by the addon into a QpError (same code, field and index). */
export function translateNativeError(e: unknown): unknown {
  if (e instanceof QpError) return e;
  if (
    e instanceof Error &&
    typeof (e as { code?: unknown }).code === 'string' &&
    (e as unknown as { code: string }).code.startsWith('ERR_QP_')
  ) {
    const n = e as Error & { code: string; field?: string; index?: number };
    const details: { field?: string; index?: number } = {};
    if (n.field !== undefined) details.field = n.field;
    if (n.index !== undefined) details.index = n.index;
    return new QpError(n.code as QpError['code'], n.message, details);
  }
  return e;
}
