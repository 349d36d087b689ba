/**
 * differentiate / differentiateSync: vector–Jacobian products of a QP solution
 * (docs/METHODS.md §5 'kkt', the default; §6 'penalty', dXPP; §7 'qp', BPQP; §8 'full', OptNet's full KKT system, the reference).
 *
 * Given the Problem passed to `solve`, its Solution and dx = ∂L/∂x for some scalar loss L
 * (and optionally dy = ∂L/∂y, dz = ∂L/∂z), returns ∂L with respect to the problem data, named
 * as the caller named them:
 *
 *   canonical form: dP, dq, dA, dl, du, dlb, dub
 *   standard form:  dP, dq, dG, dh, dA, db, dlb, dub
 *
 * Conventions (each array is aligned with the caller's own array):
 * - dq[j] = ∂L/∂q_j = d_x,j.
 * - dP is aligned with the caller's P.values: the gradient with respect to each STORED value.
 *   With S = ½(d_x xᵀ + x d_xᵀ):
 *     'lower' or 'upper' storage: a diagonal value gets S_ii; an off-diagonal stored value
 *       stands for both P_ij and P_ji, so it gets S_ij + S_ji = d_x,i x_j + d_x,j x_i.
 *     'full' storage: every stored entry (i, j) gets S_ij (= ½ of the one-triangle value for
 *       off-diagonals), so that ⟨dP, δP⟩ is the directional derivative along any SYMMETRIC
 *       perturbation δP of the stored values (the solver reads the lower triangle only; a
 *       non-symmetric perturbation is not a valid problem).
 * - dA (dG) on A's (G's) pattern: d_w,i x_j + y_i d_x,j on active rows, 0 on inactive rows.
 * - du / dl (dh): −d_w,i on the active side of row i, 0 elsewhere. An equality row (l_i = u_i)
 *   has one derivative ∂L/∂b_i, reported on u_i when y_i ≥ 0 and on l_i when y_i < 0 (the
 *   other side is 0), so ∂L/∂b_i = du_i + dl_i; in the standard form db_i = du_i + dl_i of
 *   A's rows. dub / dlb likewise (z_j decides for a fixed variable).
 * `differentiable` is false (with a `reason`) at a degenerate point: dependent active
 * constraints, a weakly active constraint (zero dual at an active constraint) or an
 * ill-conditioned system; the gradient is then still finite (a consistent system solved by a
 * regularised, refined LDLᵀ, an inconsistent one by least squares with SuiteSparseQR).
 * The forward mode (jvp) is in lib/jvp.ts; the mappings between the caller's problem form
 * and the canonical one, in lib/problem.ts beside toCanonical.
 */
import { Vector } from './arrays';
import { binding, translateAtCallSite, translateNativeError, NativeProblem } from './binding';
import { describeValue, ErrorCode, problemError, QpError, rejectUnknownKeys } from './errors';
import { Canonical, gradientOnCallerP, Problem, splitStacked, toCanonical } from './problem';
import { SolveStatus } from './status';
import { ownedArrays, requireFloat64Array } from './validate';
import { FactorCache, factorCacheOf, hasHandle, problemOf } from './handle';

export type DifferentiateMethod = 'kkt' | 'full' | 'penalty' | 'qp';
export type GradientName = 'P' | 'q' | 'A' | 'l' | 'u' | 'G' | 'h' | 'b' | 'lb' | 'ub';

export interface DifferentiateOptions {
  /**
   * 'kkt' (reduced KKT, dQP; default), 'full' (OptNet's full KKT system, the reference),
   * 'penalty' (dXPP, docs/METHODS.md §6: SPD system P + C_JᵀWC_J, O(penaltyBeta) error) or
   * 'qp' (BPQP, docs/METHODS.md §7: the backward QP solved by our ADMM, polished).
   */
  method?: DifferentiateMethod;
  /**
   * 'penalty': smoothing width β (default 1e-4). Raised to the largest residual of an active
   * constraint (the forward feasibility) if that is larger, and to at least 1e-8; `reason` notes it.
   */
  penaltyBeta?: number;
  /** 'penalty': ρ = κ‖w_J‖₁ (default κ = 10). */
  penaltyKappa?: number;
  /**
   * 'penalty': 'auto' (default: CHOLMOD; conjugate gradients when n > 200000 or when dense active
   * rows would make P + C_JᵀWC_J dense, over 10⁷ entries), 'cholmod' or 'cg'.
   */
  penaltySolver?: 'auto' | 'cholmod' | 'cg';
  /** Active-set tolerance ε of docs/METHODS.md §4 (default 1e-5, relative to max(1, |bound|)). */
  epsActive?: number;
  /**
   * Divide each row by its 2-norm before applying epsActive, so that the tolerance is a distance
   * to the constraint's hyperplane (default false). For rows of very different scales.
   */
  normalizeRows?: boolean;
  /**
   * Refine the active set (default false): solve the equality-constrained QP on the active set
   * J, drop every active inequality whose multiplier has the wrong sign and add every inactive
   * constraint its optimum violates; repeat (primal–dual active-set steps, up to 20) until J is
   * consistent, keeping the J with the smallest KKT violation. For inaccurate forward
   * solutions (admm at 1e-3, noisy duals). `activeSetChanges` counts the moves.
   */
  refineActiveSet?: boolean;
  /**
   * Which gradients to return, by datum name ('P', 'q', 'A', 'l', 'u', 'lb', 'ub'; standard
   * form: 'P', 'q', 'G', 'h', 'A', 'b', 'lb', 'ub'). Default: all of them. A datum the
   * problem does not have (e.g. no lb) is never returned.
   */
  wrt?: readonly GradientName[];
}

/** One array per problem datum, named as the caller named the data (canonical or standard form). */
export interface DataArrays {
  dP?: Float64Array;
  dq?: Float64Array;
  dA?: Float64Array;
  dl?: Float64Array;
  du?: Float64Array;
  dG?: Float64Array;
  dh?: Float64Array;
  db?: Float64Array;
  dlb?: Float64Array;
  dub?: Float64Array;
}

export interface Gradients extends DataArrays {
  /** False at a degenerate point (the gradient is then one of many, or one-sided). */
  differentiable: boolean;
  /** Why `differentiable` is false; '' otherwise ('penalty' may add a note, e.g. that penaltyBeta was raised). */
  reason: string;
  method: DifferentiateMethod;
  /** kkt: active rows / bounds in the reduced system; full: rows / bounds with a finite side. */
  activeRows: number;
  activeBounds: number;
  /** Seconds spent building and factorising the system, and solving and assembling. */
  factorTime: number;
  solveTime: number;
  /** 'qp': ADMM iterations; 'penalty' with conjugate gradients: CG iterations; otherwise 0. */
  iterations: number;
  /** 'kkt': the factorization of K kept on the solution's handle served (factorTime is then 0). */
  factorReused: boolean;
  /** Constraint moves the active-set refinement (refineActiveSet) made. */
  activeSetChanges: number;
}

/** What differentiate needs from a Solution (a Solution from solve() is one). */
export interface DifferentiableSolution {
  x: Vector;
  y: Vector;
  z: Vector;
  status?: SolveStatus;
  hasDuals?: boolean;
}

interface NativeGradients {
  dP: Float64Array;
  dq: Float64Array;
  dA: Float64Array;
  dl: Float64Array;
  du: Float64Array;
  dlb: Float64Array;
  dub: Float64Array;
  differentiable: boolean;
  reason: string;
  activeRows: number;
  activeBounds: number;
  factorTime: number;
  solveTime: number;
  iterations: number;
  factorReused: boolean;
  activeSetChanges: number;
}

/** How the active set is found: differentiate's and jvp's shared options (see DifferentiateOptions). */
export interface ActiveSetOptions {
  epsActive?: number;
  normalizeRows?: boolean;
  refineActiveSet?: boolean;
}

export interface NativeOptions extends ActiveSetOptions {
  method: DifferentiateMethod;
  factorCache?: FactorCache;
  penaltyBeta?: number;
  penaltyKappa?: number;
  penaltySolver?: 'auto' | 'cholmod' | 'cg';
}

interface DifferentiateBinding {
  differentiateSync(
    problem: NativeProblem,
    solution: { x: Float64Array; y: Float64Array; z: Float64Array },
    grads: Seeds,
    options: NativeOptions,
  ): NativeGradients;
  differentiateAsync(
    problem: NativeProblem,
    solution: { x: Float64Array; y: Float64Array; z: Float64Array },
    grads: Seeds,
    options: NativeOptions,
  ): Promise<NativeGradients>;
}

const canonicalNames: readonly GradientName[] = ['P', 'q', 'A', 'l', 'u', 'lb', 'ub'];
const standardNames: readonly GradientName[] = ['P', 'q', 'G', 'h', 'A', 'b', 'lb', 'ub'];
const knownOptions = new Set([
  'method',
  'epsActive',
  'normalizeRows',
  'refineActiveSet',
  'wrt',
  'penaltyBeta',
  'penaltyKappa',
  'penaltySolver',
]);
/** The backward methods the addon has (native/backward/methods.cpp), kkt first. */
const methods = (): readonly string[] => (binding() as unknown as { backwardMethods: string[] }).backwardMethods;

/** The active-set options shared by differentiate and jvp, checked. */
export function activeSetOptions(options: ActiveSetOptions): ActiveSetOptions {
  const out: ActiveSetOptions = {};
  if (options.epsActive !== undefined) {
    const e = options.epsActive;
    if (typeof e !== 'number' || !Number.isFinite(e) || e < 0)
      throw problemError(ErrorCode.INVALID_OPTION, 'options.epsActive', 'must be a non-negative finite number', undefined, e);
    out.epsActive = e;
  }
  for (const key of ['normalizeRows', 'refineActiveSet'] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw problemError(ErrorCode.INVALID_OPTION, `options.${key}`, 'must be a boolean', undefined, v);
    out[key] = v;
  }
  return out;
}

/** Grads as checked: the typed arrays the native side reads. */
export interface Seeds {
  dx: Float64Array;
  dy?: Float64Array;
  dz?: Float64Array;
}

export interface Prepared {
  c: Canonical;
  problem: Problem;
  native: NativeProblem;
  solution: { x: Float64Array; y: Float64Array; z: Float64Array };
  grads: Seeds;
  options: NativeOptions;
  wrt: Set<GradientName>;
}

function nativeOf(c: Canonical): NativeProblem {
  const native: NativeProblem = { n: c.n, m: c.m, P: c.P, q: c.q, A: c.A, l: c.l, u: c.u, constant: c.constant };
  if (c.lb) native.lb = c.lb;
  if (c.ub) native.ub = c.ub;
  return native;
}

/**
 * For an async pass: every array the native side or the assembly after the await reads, copied,
 * since the caller may transfer its buffers meanwhile (lib/validate.ts, ownedArrays).
 */
export function owned(prep: Prepared): Prepared {
  const c = ownedArrays(prep.c);
  c.given = ownedArrays(prep.c.given);
  if (prep.c.given.P === prep.c.P) c.given.P = c.P; // the 'lower' P: the native gradient is already on its pattern
  return { ...prep, c, native: nativeOf(c), solution: ownedArrays(prep.solution), grads: ownedArrays(prep.grads) };
}

function nativeBinding(): DifferentiateBinding {
  return binding() as unknown as DifferentiateBinding;
}

/** The seeds dx (length n), dy (m), dz (n), checked: typed arrays of finite numbers. */
export function checkedSeeds(grads: Grads, n: number, m: number): Seeds {
  if (typeof grads !== 'object' || grads === null || Array.isArray(grads))
    throw problemError(ErrorCode.INVALID_TYPE, 'grads', 'must be an object { dx }', undefined, grads);
  rejectUnknownKeys(grads, ['dx', 'dy', 'dz'], ErrorCode.INVALID_TYPE, 'grads.', 'is not a seed');
  const seed = (key: 'dx' | 'dy' | 'dz', length: number): Float64Array => {
    const v = requireFloat64Array(`grads.${key}`, grads[key], length);
    for (let i = 0; i < v.length; i++)
      if (!Number.isFinite(v[i])) throw problemError(ErrorCode.NOT_FINITE, `grads.${key}`, 'must be finite', i, v[i]);
    return v;
  };
  const seeds: Seeds = { dx: seed('dx', n) };
  if (grads.dy !== undefined) seeds.dy = seed('dy', m);
  if (grads.dz !== undefined) seeds.dz = seed('dz', n);

  return seeds;
}

/** differentiate's options checked, and the gradients asked for (names of a `form` problem). */
export function checkedOptions(
  options: DifferentiateOptions,
  form: 'canonical' | 'standard',
): { options: NativeOptions; wrt: Set<GradientName> } {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw problemError(ErrorCode.INVALID_OPTION, 'options', 'must be an object', undefined, options);
  rejectUnknownKeys(options, knownOptions, ErrorCode.INVALID_OPTION, 'options.', 'is not an option');
  const method = options.method === undefined ? 'kkt' : options.method;
  if (!methods().includes(method as string))
    throw problemError(
      ErrorCode.INVALID_OPTION,
      'options.method',
      `must be one of ${methods()
        .map((k) => `'${k}'`)
        .join(', ')}`,
      undefined,
      method,
    );
  const nativeOptions: NativeOptions = { method };
  for (const key of ['penaltyBeta', 'penaltyKappa'] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw problemError(ErrorCode.INVALID_OPTION, `options.${key}`, 'must be a positive finite number', undefined, v);
    nativeOptions[key] = v;
  }
  if (options.penaltySolver !== undefined) {
    const v = options.penaltySolver;
    if (v !== 'auto' && v !== 'cholmod' && v !== 'cg')
      throw problemError(ErrorCode.INVALID_OPTION, 'options.penaltySolver', "must be 'auto', 'cholmod' or 'cg'", undefined, v);
    nativeOptions.penaltySolver = v;
  }
  Object.assign(nativeOptions, activeSetOptions(options));
  const names = form === 'standard' ? standardNames : canonicalNames;
  let wrt: Set<GradientName>;
  if (options.wrt === undefined) {
    wrt = new Set(names);
  } else {
    if (!Array.isArray(options.wrt))
      throw problemError(ErrorCode.INVALID_OPTION, 'options.wrt', 'must be an array of names', undefined, options.wrt);
    wrt = new Set();
    for (const [i, name] of options.wrt.entries()) {
      if (!names.includes(name))
        throw problemError(
          ErrorCode.INVALID_OPTION,
          'options.wrt',
          `must name data of this ${form}-form problem (${names.join(', ')})`,
          i,
          name,
        );
      wrt.add(name);
    }
  }
  return { options: nativeOptions, wrt };
}

/** A solution differentiate can start from: solved (or solved inaccurately), with duals. */
export function requireDifferentiableStatus(solution: { status?: string; hasDuals?: boolean }): void {
  if (solution.status !== undefined && solution.status !== 'solved' && solution.status !== 'solvedInaccurate') {
    throw problemError(
      ErrorCode.NOT_DIFFERENTIABLE,
      'solution.status',
      "must be 'solved' or 'solvedInaccurate' to differentiate",
      undefined,
      solution.status,
    );
  }
  if (solution.hasDuals === false) {
    throw problemError(
      ErrorCode.NOT_DIFFERENTIABLE,
      'solution.hasDuals',
      'the solver returned no duals; differentiate needs y and z',
      undefined,
      false,
    );
  }
}

export function prepare(problem: Problem, solution: DifferentiableSolution, grads: Grads, options: DifferentiateOptions): Prepared {
  const c = toCanonical(problem);
  if (typeof solution !== 'object' || solution === null)
    throw problemError(ErrorCode.INVALID_TYPE, 'solution', 'must be a Solution object', undefined, solution);
  requireDifferentiableStatus(solution);
  const sol = {
    x: requireFloat64Array('solution.x', solution.x, c.n),
    y: requireFloat64Array('solution.y', solution.y, c.m),
    z: requireFloat64Array('solution.z', solution.z, c.n),
  };
  for (const [field, v] of Object.entries(sol)) {
    for (let i = 0; i < v.length; i++)
      if (!Number.isFinite(v[i])) throw problemError(ErrorCode.NOT_FINITE, `solution.${field}`, 'must be finite', i, v[i]);
  }
  const seeds = checkedSeeds(grads, c.n, c.m);
  const { options: nativeOptions, wrt } = checkedOptions(options, c.rowsFrom.form);
  const native = nativeOf(c);
  requireNoOverflow({ 'grads.dx': seeds.dx, 'grads.dy': seeds.dy, 'grads.dz': seeds.dz }, sol, c);
  return { c, problem, native, solution: sol, grads: seeds, options: nativeOptions, wrt };
}

/**
 * Finite inputs can still give a non-finite result (a product of two values near 1e200, or a
 * gradient amplified past the double range by the solve): that is a typed error naming the
 * finite input of largest magnitude, the one to scale down, never an Infinity or NaN returned.
 */
export function requireFiniteResult(
  what: string,
  outputs: Record<string, Float64Array | undefined>,
  inputs: Record<string, Float64Array | undefined>,
): void {
  for (const [name, v] of Object.entries(outputs)) {
    if (!v) continue;
    for (let i = 0; i < v.length; i++) {
      if (Number.isFinite(v[i])) continue;
      const finite: Record<string, Float64Array | undefined> = {};
      for (const [inputName, a] of Object.entries(inputs)) finite[inputName] = a?.map((t) => (Number.isFinite(t) ? t : 0));
      const { field, index, value } = largestEntry(finite);
      throw new QpError(
        ErrorCode.NOT_FINITE,
        `${field}[${index}] = ${value}: the ${what} ${name}[${i}] came out ${describeValue(v[i])}; the inputs are too large for double precision (scale the problem or the seeds down)`,
        { field, index, value },
      );
    }
  }
}

/** The largest |v_i| over named arrays, with its name and index. */
function largestEntry(arrays: Record<string, Float64Array | undefined>): { field: string; index: number; value: number } {
  const best = { field: '', index: 0, value: 0 };
  for (const [field, a] of Object.entries(arrays)) {
    if (!a) continue;
    for (let k = 0; k < a.length; k++) if (Math.abs(a[k]!) > Math.abs(best.value)) Object.assign(best, { field, index: k, value: a[k]! });
  }
  return best;
}

/**
 * Up front: every pass forms products of a seed (or tangent) with x, y or z and sums up to
 * n + m of them (dA = d_w xᵀ + y d_xᵀ, the tangent's right-hand side dA·x). When
 * max|seed| · max(1, |x|, |y|, |z|) · (n + m + 1) passes 1e300 those sums can overflow, and
 * an overflowed right-hand side comes back as a wrong finite answer, not as Infinity (jvp with
 * dA = 1e308 returned dx = 0): that is a typed error naming the larger factor.
 */
export function requireNoOverflow(
  seeds: Record<string, Float64Array | undefined>,
  sol: { x: Float64Array; y: Float64Array; z: Float64Array },
  c: Canonical,
): void {
  const seed = largestEntry(seeds);
  const point = largestEntry({ 'solution.x': sol.x, 'solution.y': sol.y, 'solution.z': sol.z });
  const scale = Math.abs(seed.value) * Math.max(1, Math.abs(point.value)) * (c.n + c.m + 1);
  if (scale <= 1e300) return;
  const blame = Math.abs(seed.value) >= Math.abs(point.value) ? seed : point;
  throw new QpError(
    ErrorCode.NOT_FINITE,
    `${blame.field}[${blame.index}] = ${blame.value}: the products of ${seed.field} (up to ${Math.abs(seed.value)}) with the solution (up to ${Math.abs(point.value)}) over n + m = ${c.n + c.m} terms could overflow double precision; scale the seeds or the problem down`,
    { field: blame.field, index: blame.index, value: blame.value },
  );
}

/** The data and the point a pass reads, by the names the caller knows them by. */
export function passInputs(prep: Prepared): Record<string, Float64Array | undefined> {
  const { c, solution } = prep;
  return {
    'solution.x': solution.x,
    'solution.y': solution.y,
    'solution.z': solution.z,
    q: c.q,
    'P.values': c.P.values,
    'A.values': c.A.values,
    l: c.l,
    u: c.u,
    lb: c.lb,
    ub: c.ub,
  };
}

function checkedGradients(prep: Prepared, r: NativeGradients): Gradients {
  const { dP, dq, dA, dl, du, dlb, dub } = r;
  requireFiniteResult(
    'gradient',
    { dP, dq, dA, dl, du, dlb, dub },
    { 'grads.dx': prep.grads.dx, 'grads.dy': prep.grads.dy, 'grads.dz': prep.grads.dz, ...passInputs(prep) },
  );
  return toGradients(prep, r);
}

function toGradients(prep: Prepared, r: NativeGradients): Gradients {
  const { c, wrt } = prep;
  const p = prep.problem as unknown as Record<string, unknown>;
  const g: Gradients = {
    differentiable: r.differentiable,
    reason: r.reason,
    method: prep.options.method,
    activeRows: r.activeRows,
    activeBounds: r.activeBounds,
    factorTime: r.factorTime,
    solveTime: r.solveTime,
    iterations: r.iterations,
    factorReused: r.factorReused,
    activeSetChanges: r.activeSetChanges,
  };
  if (wrt.has('q')) g.dq = r.dq;
  if (wrt.has('P') && c.given.P) g.dP = gradientOnCallerP(c.given.P, c, r.dP, prep.solution.x, r.dq);
  if (wrt.has('lb') && p.lb !== undefined) g.dlb = r.dlb;
  if (wrt.has('ub') && p.ub !== undefined) g.dub = r.dub;
  if (c.rowsFrom.form === 'canonical') {
    if (wrt.has('A') && p.A !== undefined) g.dA = r.dA;
    if (wrt.has('l') && p.l !== undefined) g.dl = r.dl;
    if (wrt.has('u') && p.u !== undefined) g.du = r.du;
    return g;
  }
  const { mG } = c.rowsFrom;
  const { G, A } = c.given;
  const hasG = G !== undefined;
  const hasA = A !== undefined;
  let dG: Float64Array | undefined;
  let dA: Float64Array | undefined;
  if (G && A) [dG, dA] = splitStacked(G, A, r.dA);
  else if (hasG) dG = r.dA;
  else if (hasA) dA = r.dA;
  if (wrt.has('G') && dG) g.dG = dG;
  if (wrt.has('A') && dA) g.dA = dA;
  if (wrt.has('h') && hasG) g.dh = r.du.slice(0, mG);
  if (wrt.has('b') && hasA) {
    const db = r.du.slice(mG);
    for (let i = 0; i < db.length; i++) db[i]! += r.dl[mG + i]!;
    g.db = db;
  }
  return g;
}

/**
 * The seeds of the vector–Jacobian product: dx = ∂L/∂x (length n) and, optionally, dy = ∂L/∂y
 * (length m, solution.y's layout: canonical rows, or G's rows then A's in the standard form) and
 * dz = ∂L/∂z (length n). Only the active constraints' dual seeds matter: an inactive dual is
 * locally constant at 0.
 */
export interface Grads {
  dx: Vector;
  dy?: Vector;
  dz?: Vector;
}

/**
 * The two call forms: (problem, solution, grads, options) or, for a solution made with
 * solve(problem, { differentiable: true }), (solution, grads, options).
 */
export function resolveArgs<G, O>(
  a: unknown,
  b: unknown,
  c: unknown,
  d: unknown,
): [Problem, DifferentiableSolution, G, O, FactorCache | undefined] {
  // Omitted options are {}; null is not omitted (a typed error in the options check).
  if (hasHandle(a))
    return [problemOf(a as object), a as DifferentiableSolution, b as G, (c === undefined ? {} : c) as O, factorCacheOf(a as object)];
  // A solution (x, no q) in the problem's place: the short form on a solve without a handle,
  // for which problemOf throws ERR_QP_NOT_DIFFERENTIABLE saying how to fix the call.
  if (typeof a === 'object' && a !== null && 'x' in a && !('q' in a)) problemOf(a);
  return [a as Problem, b as DifferentiableSolution, c as G, (d === undefined ? {} : d) as O, undefined];
}

/** The native options, with the handle's factorization cache where the method uses K (kkt, and jvp, which has no method). */
export function withCache<T extends { method?: DifferentiateMethod; factorCache?: FactorCache }>(
  options: T,
  cache: FactorCache | undefined,
): T {
  return cache && (options.method ?? 'kkt') === 'kkt' ? { ...options, factorCache: cache } : options;
}

/**
 * One pass of a batch (lib/batch.ts): a solution with a handle, its seeds and the options,
 * checked as differentiate checks them (copied with `own`), and what the native call takes.
 */
export interface BatchPass {
  prep: Prepared;
  native: [NativeProblem, { x: Float64Array; y: Float64Array; z: Float64Array }, Seeds, NativeOptions];
}

export function prepareBatchPass(solution: DifferentiableSolution, grads: Grads, options: DifferentiateOptions, own: boolean): BatchPass {
  if (!hasHandle(solution)) problemOf(solution as object); // ERR_QP_NOT_DIFFERENTIABLE, saying how to fix it
  const [problem, sol, g, o, cache] = resolveArgs<Grads, DifferentiateOptions>(solution, grads, options, undefined);
  const checked = prepare(problem, sol, g, o);
  const prep = own ? owned(checked) : checked;
  return { prep, native: [prep.native, prep.solution, prep.grads, withCache(prep.options, cache)] };
}

/** The gradients of a batch pass, checked and named as differentiate returns them. */
export function finishBatchPass(pass: BatchPass, r: unknown): Gradients {
  return checkedGradients(pass.prep, r as NativeGradients);
}

/** Vector–Jacobian product on the calling thread. */
export function differentiateSync(solution: DifferentiableSolution, grads: Grads, options?: DifferentiateOptions): Gradients;
export function differentiateSync(
  problem: Problem,
  solution: DifferentiableSolution,
  grads: Grads,
  options?: DifferentiateOptions,
): Gradients;
export function differentiateSync(a: unknown, b: unknown, c?: unknown, d?: unknown): Gradients {
  const [problem, solution, grads, options, cache] = resolveArgs<Grads, DifferentiateOptions>(a, b, c, d);
  const prep = prepare(problem, solution, grads, options);
  try {
    return checkedGradients(
      prep,
      nativeBinding().differentiateSync(prep.native, prep.solution, prep.grads, withCache(prep.options, cache)),
    );
  } catch (e) {
    throw translateNativeError(e);
  }
}

/**
 * Vector–Jacobian product on the libuv threadpool: ∂L/∂(problem data) from dx = ∂L/∂x at a
 * solved solution. Rejects with a QpError (ERR_QP_NOT_DIFFERENTIABLE for a solution that is
 * not solved, ERR_QP_INVALID_TYPE / DIMENSION_MISMATCH / NOT_FINITE for a bad dx, …).
 */
export async function differentiate(solution: DifferentiableSolution, grads: Grads, options?: DifferentiateOptions): Promise<Gradients>;
export async function differentiate(
  problem: Problem,
  solution: DifferentiableSolution,
  grads: Grads,
  options?: DifferentiateOptions,
): Promise<Gradients>;
export async function differentiate(a: unknown, b: unknown, c?: unknown, d?: unknown): Promise<Gradients> {
  const callSite = new Error();
  try {
    const [problem, solution, grads, options, cache] = resolveArgs<Grads, DifferentiateOptions>(a, b, c, d);
    const prep = owned(prepare(problem, solution, grads, options));
    return checkedGradients(
      prep,
      await nativeBinding().differentiateAsync(prep.native, prep.solution, prep.grads, withCache(prep.options, cache)),
    );
  } catch (e) {
    throw translateAtCallSite(e, callSite);
  }
}

// ---- forward mode ---------------------------------------------------------------------------
