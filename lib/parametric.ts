/**
 * parametric(structure, options): one QP pattern solved many times with new values, as a training
 * loop does. The native object (native/addon/parametric_addon.cpp) owns a copy of the problem and a
 * solver kept between solves: ipm keeps the ordering and symbolic analysis of its KKT matrix
 * (ipm_update), admm its factorisation and iterates (new q and bounds; new P or A values
 * refactorise, warm-started from the last solution). Every answer is judged as solveSync's is.
 *
 * Sync only: the problems this is for solve in µs, less than a trip through the libuv threadpool
 * costs (docs/TRAINING.md); a large problem is better served by solve().
 */
import { Vector } from './arrays';
import { binding, NativeResult, translateNativeError } from './binding';
import {
  checkedOptions,
  requireDifferentiableStatus,
  checkedSeeds,
  DifferentiateOptions,
  Gradients,
  Grads,
  NativeOptions as DiffNativeOptions,
  requireFiniteResult,
  Seeds,
} from './differentiate';
import { ErrorCode, problemError, QpError } from './errors';
import { Canonical, CanonicalProblem, problemForm, toCanonical } from './problem';
import { nativeOptions, nativeProblem, optionError, Solution, SolveOptions, toSolution } from './solve';
import { requireFloat64Array } from './validate';

/** SolveOptions of a parametric problem: a solver key ('ipm' or 'admm') and no warm start or signal. */
export type ParametricOptions = Omit<SolveOptions, 'x0' | 'y0' | 'z0' | 'signal' | 'differentiable' | 'solver'> & {
  solver: 'ipm' | 'admm';
  /** Keep the factorization of K a solve made (its polish's, or its active-set start's) for the first differentiateSync. Default true. */
  differentiable?: boolean;
  /**
   * Try the last solution's active set before running the solver: primal–dual active-set steps on the reduced KKT matrix
   * (at most six factorisations), kept only when the answer passes the same residual test as the solver's (docs/TRAINING.md).
   * Default true.
   */
  activeSetStart?: boolean;
};

/** New values for one solve; an omitted part keeps its last value. Pvalues lie on P's stored lower pattern, Avalues on A's. */
export interface ParametricValues {
  q?: Vector;
  l?: Vector;
  u?: Vector;
  lb?: Vector;
  ub?: Vector;
  Pvalues?: Vector;
  Avalues?: Vector;
}

/**
 * A Solution of a parametric problem; `setups` counts the solver's setups from scratch so far; `fromActiveSet` is true when
 * the answer came from the last solution's active set and the solver did not run (iterations then counts factorisations of K).
 */
export interface ParametricSolution extends Solution {
  setups: number;
  fromActiveSet: boolean;
}

type Handle = object;
/** A native result with what a parametric solve adds to it. */
type ParametricNativeResult = NativeResult & { setups: number; fromActiveSet: boolean };
interface ParametricBinding {
  parametricCreate(problem: ReturnType<typeof nativeProblem>, options: ReturnType<typeof nativeOptions>): Handle;
  /**
   * With out = [info, x, y, z]: fills them and returns the raw status text; else (or for a result with a certificate)
   * the result object.
   */
  parametricSolveSync(handle: Handle, values: Record<string, Float64Array>, out?: Float64Array[]): ParametricNativeResult | string;
  /** With out = [info, dP, dq, dA, dl, du, dlb, dub]: fills them and returns the reason. */
  parametricDifferentiateSync(handle: Handle, seeds: Seeds, options: DiffNativeOptions, out: Float64Array[]): string;
  parametricDispose(handle: Handle): void;
  statusNames: string[];
}
const native = () => binding() as unknown as ParametricBinding;

const valueKeys = ['q', 'l', 'u', 'lb', 'ub', 'Pvalues', 'Avalues'] as const;
const parametricSolvers = ['ipm', 'admm'];

/**
 * A native error names the problem's own fields (q, P.values, …): those given in this call are
 * named back as values.…; one the call did not give (a convexity failure of P's earlier values)
 * keeps the problem's name.
 */
function valuesError(e: unknown, given: Record<string, unknown>): unknown {
  const err = translateNativeError(e);
  if (!(err instanceof QpError) || err.field === undefined || err.field.startsWith('values') || err.field.startsWith('options')) return err;
  const key =
    err.field === 'P.values' || err.field === 'P' ? 'Pvalues' : err.field === 'A.values' || err.field === 'A' ? 'Avalues' : err.field;
  if (!(key in given)) return err;
  const field = `values.${key}`;
  const details: { field: string; index?: number } = { field };
  if (err.index !== undefined) details.index = err.index;
  return new QpError(err.code, `${field}: ${err.message}`, details);
}

/** A solve's result from the numbers the native side put in `info` (layout: parametric_addon.cpp). */
function filledResult(
  info: Float64Array,
  x: Float64Array,
  y: Float64Array,
  z: Float64Array,
  rawStatusText: string,
): ParametricNativeResult {
  const r: ParametricNativeResult = {
    status: native().statusNames[info[0]!]!,
    rawStatus: info[1]!,
    rawStatusText,
    x,
    y,
    z,
    hasDuals: info[2] === 1,
    objective: info[3]!,
    primalResidual: info[4]!,
    dualResidual: info[5]!,
    dualityGap: info[6]!,
    iterations: info[7]!,
    setupTime: info[8]!,
    solveTime: info[9]!,
    setups: info[10]!,
    fromActiveSet: info[19] === 1,
  };
  if (info[11] === 1)
    r.polish = { applied: info[12] === 1, before: [info[13]!, info[14]!, info[15]!], after: [info[16]!, info[17]!, info[18]!] };
  return r;
}

export class ParametricQp {
  readonly n: number;
  readonly m: number;
  readonly solver: 'ipm' | 'admm';
  #handle: Handle | undefined;
  #c: Canonical;
  #last: ParametricSolution | undefined;
  /** Scratch for the scalars the native side fills (read back at once, so one serves every call). */
  #info = new Float64Array(20);

  /** Use parametric(structure, options). */
  constructor(structure: CanonicalProblem, options: ParametricOptions) {
    if (typeof options !== 'object' || options === null)
      throw problemError(ErrorCode.INVALID_OPTION, 'options', "must be an object with a solver key ('ipm' or 'admm')", undefined, options);
    if (!parametricSolvers.includes(options.solver))
      throw optionError('solver', "must be 'ipm' or 'admm' (the solvers that keep a workspace between solves)", options.solver);
    if (problemForm(structure) !== 'canonical')
      throw problemError(
        ErrorCode.INVALID_TYPE,
        'structure',
        'must be a problem in the canonical form (P, q, A, l, u, lb, ub)',
        undefined,
        'standard',
      );
    const c = toCanonical(structure);
    if (c.given.P !== undefined && c.given.P !== c.P)
      throw problemError(
        ErrorCode.INVALID_MATRIX,
        'structure.P.triangle',
        "must be 'lower' (Pvalues lie on the stored lower pattern)",
        undefined,
        c.given.P.triangle,
      );
    const { differentiable, activeSetStart, ...solveOptions } = options;
    if (activeSetStart !== undefined && typeof activeSetStart !== 'boolean')
      throw optionError('activeSetStart', 'must be a boolean', activeSetStart);
    const opts = nativeOptions(solveOptions as SolveOptions, c);
    if (differentiable !== false) opts.keepFactor = true;
    opts.activeSetStart = activeSetStart !== false;
    try {
      this.#handle = native().parametricCreate(nativeProblem(c), opts);
    } catch (e) {
      throw translateNativeError(e);
    }
    this.#c = c;
    this.n = c.n;
    this.m = c.m;
    this.solver = options.solver;
  }

  get disposed(): boolean {
    return this.#handle === undefined;
  }

  #live(): Handle {
    if (!this.#handle) throw new QpError(ErrorCode.DISPOSED, 'parametric problem: it was disposed', { field: 'parametric' });
    return this.#handle;
  }

  /** Solves with `values` replacing the last ones (omitted parts are kept). A call that throws changes nothing. */
  solveSync(values: ParametricValues = {}): ParametricSolution {
    const handle = this.#live();
    if (typeof values !== 'object' || values === null || Array.isArray(values))
      throw problemError(ErrorCode.INVALID_TYPE, 'values', 'must be an object', undefined, values);
    const lengths = { q: this.n, l: this.m, u: this.m, lb: this.n, ub: this.n, Pvalues: this.#c.P.nnz, Avalues: this.#c.A.nnz };
    const typed: Record<string, Float64Array> = {};
    for (const key of Object.keys(values)) {
      if (!(valueKeys as readonly string[]).includes(key))
        throw problemError(
          ErrorCode.INVALID_TYPE,
          `values.${key}`,
          `is not a value of a parametric problem (known: ${valueKeys.join(', ')})`,
          undefined,
          (values as Record<string, unknown>)[key],
        );
      const v = (values as Record<string, Vector | undefined>)[key];
      if (v !== undefined) typed[key] = requireFloat64Array(`values.${key}`, v, lengths[key as keyof typeof lengths]);
    }
    this.#last = undefined;
    // The native side fills arrays made here rather than building a result object: at n = 10
    // the property stores of an N-API object cost a fifth of a solve.
    const info = this.#info;
    const x = new Float64Array(this.n),
      y = new Float64Array(this.m),
      z = new Float64Array(this.n);
    let out: ParametricNativeResult | string;
    try {
      out = native().parametricSolveSync(handle, typed, [info, x, y, z]);
    } catch (e) {
      throw valuesError(e, typed);
    }
    const r = typeof out === 'string' ? filledResult(info, x, y, z, out) : out;
    const sol = toSolution(r, this.solver, this.#c) as ParametricSolution;
    sol.setups = r.setups;
    sol.fromActiveSet = r.fromActiveSet;
    this.#last = sol;
    return sol;
  }

  /**
   * The vector–Jacobian product at the last solution, as differentiateSync(problem, solution, grads, options)
   * gives it for the same problem (canonical names: dP, dq, dA, dl, du, dlb, dub). kkt passes after
   * the first on one solution reuse its factorization of K (factorReused).
   */
  differentiateSync(grads: Grads, options: DifferentiateOptions = {}): Gradients {
    const handle = this.#live();
    const sol = this.#last;
    if (!sol)
      throw new QpError(ErrorCode.NOT_DIFFERENTIABLE, 'parametric problem: has no solution to differentiate (call solveSync first)', {
        field: 'parametric',
      });
    requireDifferentiableStatus(sol);
    const seeds = checkedSeeds(grads, this.n, this.m);
    const { options: opts, wrt } = checkedOptions(options, 'canonical');
    const c = this.#c;
    const info = this.#info.subarray(0, 8);
    const dP = new Float64Array(c.P.nnz),
      dq = new Float64Array(this.n),
      dA = new Float64Array(c.A.nnz);
    const dl = new Float64Array(this.m),
      du = new Float64Array(this.m),
      dlb = new Float64Array(this.n),
      dub = new Float64Array(this.n);
    let reason: string;
    try {
      reason = native().parametricDifferentiateSync(handle, seeds, opts, [info, dP, dq, dA, dl, du, dlb, dub]);
    } catch (e) {
      throw translateNativeError(e);
    }
    requireFiniteResult(
      'gradient',
      { dP, dq, dA, dl, du, dlb, dub },
      { 'grads.dx': seeds.dx, 'grads.dy': seeds.dy, 'grads.dz': seeds.dz, 'solution.x': sol.x, 'solution.y': sol.y, 'solution.z': sol.z },
    );
    const g: Gradients = {
      differentiable: info[0] === 1,
      reason,
      method: opts.method,
      activeRows: info[1]!,
      activeBounds: info[2]!,
      factorTime: info[3]!,
      solveTime: info[4]!,
      iterations: info[5]!,
      factorReused: info[6] === 1,
      activeSetChanges: info[7]!,
    };
    if (wrt.has('q')) g.dq = dq;
    if (wrt.has('P') && c.given.P) g.dP = dP;
    if (wrt.has('A') && c.given.A) g.dA = dA;
    if (wrt.has('l') && this.m > 0) g.dl = dl;
    if (wrt.has('u') && this.m > 0) g.du = du;
    if (wrt.has('lb') && c.lb) g.dlb = dlb;
    if (wrt.has('ub') && c.ub) g.dub = dub;
    return g;
  }

  /** Frees the solver's workspace, the last solution and its factorization now (the garbage collector otherwise). */
  dispose(): void {
    if (this.#handle) native().parametricDispose(this.#handle);
    this.#handle = undefined;
    this.#last = undefined;
  }
}

/**
 * A parametric problem: `structure` (a canonical problem, P stored as its lower triangle) gives the
 * sizes, the patterns of P and A, which bounds exist and the first values; each
 * `solveSync(values)` replaces some of them and solves, reusing the solver's workspace.
 */
export function parametric(structure: CanonicalProblem, options: ParametricOptions): ParametricQp {
  return new ParametricQp(structure, options);
}
