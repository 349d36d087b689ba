/**
 * jvp / jvpSync: Jacobian–vector products (forward mode) of a QP solution on the reduced KKT
 * system of docs/METHODS.md §5 (its last paragraph): the directional derivative of (x, y, z)
 * along perturbations of the data, named as the caller named the data. Shares its checks,
 * its argument forms and the factorization kept on a differentiable solution with
 * differentiate (lib/differentiate.ts).
 */
import { Vector } from './arrays';
import { binding, translateNativeError, NativeProblem } from './binding';
import { ErrorCode, problemError, rejectUnknownKeys } from './errors';
import { FactorCache } from './handle';
import { Problem, tangentOnLowerP, toCanonical } from './problem';
import {
  activeSetOptions,
  ActiveSetOptions,
  DifferentiableSolution,
  owned,
  passInputs,
  prepare,
  Prepared,
  requireFiniteResult,
  requireNoOverflow,
  resolveArgs,
  withCache,
} from './differentiate';
import { ownedArrays, requireFloat64Array } from './validate';

/**
 * Tangents (perturbation directions) named as the caller named the data, each aligned with the
 * caller's own array; omitted ones are zero. dP follows the dP convention above: with 'lower'
 * or 'upper' storage each stored value perturbs both symmetric entries; with 'full' storage
 * the tangent must be symmetric and its lower half is used (the solver reads only that half).
 * An equality row's perturbation is read from the side the dual's sign names (du_i when
 * y_i ≥ 0, else dl_i), the convention of the backward pass; in the standard form db moves both.
 */
export interface Tangents {
  dP?: Vector;
  dq?: Vector;
  dA?: Vector;
  dl?: Vector;
  du?: Vector;
  dG?: Vector;
  dh?: Vector;
  db?: Vector;
  dlb?: Vector;
  dub?: Vector;
}

export interface JvpResult {
  /** The directional derivative of x. */
  dx: Float64Array;
  /** Of the row duals y (canonical rows; standard form: G's then A's) and the bound duals z; 0 where inactive. */
  dy: Float64Array;
  dz: Float64Array;
  differentiable: boolean;
  reason: string;
  activeRows: number;
  activeBounds: number;
  factorTime: number;
  solveTime: number;
  /** The factorization of K kept on the solution's handle served (factorTime is then 0). */
  factorReused: boolean;
  /** Constraint moves the active-set refinement (refineActiveSet) made. */
  activeSetChanges: number;
}

interface NativeTangents {
  dP?: Float64Array;
  dq?: Float64Array;
  dA?: Float64Array;
  dl?: Float64Array;
  du?: Float64Array;
  dlb?: Float64Array;
  dub?: Float64Array;
}

/** As for differentiate: epsActive (default 1e-5), normalizeRows, refineActiveSet. */
export type JvpOptions = ActiveSetOptions;

interface NativeJvpOptions extends JvpOptions {
  factorCache?: FactorCache;
}

interface JvpBinding {
  jvpSync(
    problem: NativeProblem,
    solution: { x: Float64Array; y: Float64Array; z: Float64Array },
    tangents: NativeTangents,
    options: NativeJvpOptions,
  ): JvpResult;
  jvpAsync(
    problem: NativeProblem,
    solution: { x: Float64Array; y: Float64Array; z: Float64Array },
    tangents: NativeTangents,
    options: NativeJvpOptions,
  ): Promise<JvpResult>;
}

function tangent(t: Record<string, unknown>, key: string, length: number): Float64Array | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  const a = requireFloat64Array(`tangents.${key}`, v, length);
  for (let i = 0; i < a.length; i++)
    if (!Number.isFinite(a[i])) throw problemError(ErrorCode.NOT_FINITE, `tangents.${key}`, 'must be finite', i, a[i]);
  return a;
}

function prepareJvp(problem: Problem, solution: DifferentiableSolution, tangents: Tangents, options: JvpOptions) {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw problemError(ErrorCode.INVALID_OPTION, 'options', 'must be an object', undefined, options);
  rejectUnknownKeys(
    options,
    ['epsActive', 'normalizeRows', 'refineActiveSet'],
    ErrorCode.INVALID_OPTION,
    'options.',
    'is not an option of jvp',
  );
  const prep = prepare(problem, solution, { dx: new Float64Array(toCanonical(problem).n) }, {});
  const active = activeSetOptions(options);
  const { c } = prep;
  if (typeof tangents !== 'object' || tangents === null || Array.isArray(tangents))
    throw problemError(ErrorCode.INVALID_TYPE, 'tangents', 'must be an object', undefined, tangents);
  const t = tangents as Record<string, unknown>;
  const allowed =
    c.rowsFrom.form === 'standard' ? ['dP', 'dq', 'dG', 'dh', 'dA', 'db', 'dlb', 'dub'] : ['dP', 'dq', 'dA', 'dl', 'du', 'dlb', 'dub'];
  for (const key of Object.keys(t))
    if (t[key] !== undefined && !allowed.includes(key))
      throw problemError(
        ErrorCode.INVALID_TYPE,
        `tangents.${key}`,
        `is not a tangent of this ${c.rowsFrom.form}-form problem (${allowed.join(', ')})`,
      );
  const nt: NativeTangents = {};
  const set = (k: keyof NativeTangents, v: Float64Array | undefined) => {
    if (v) nt[k] = v;
  };
  set('dq', tangent(t, 'dq', c.n));
  set('dlb', tangent(t, 'dlb', c.n));
  set('dub', tangent(t, 'dub', c.n));
  if (c.given.P) {
    const dP = tangent(t, 'dP', c.given.P.nnz);
    if (dP) nt.dP = tangentOnLowerP(c.given.P, c.P, dP);
  }
  if (c.rowsFrom.form === 'canonical') {
    set('dA', tangent(t, 'dA', c.A.nnz));
    set('dl', tangent(t, 'dl', c.m));
    set('du', tangent(t, 'du', c.m));
  } else {
    const { mG } = c.rowsFrom;
    const { G, A } = c.given;
    const dG = G ? tangent(t, 'dG', G.nnz) : undefined;
    const dA = A ? tangent(t, 'dA', A.nnz) : undefined;
    if (dG || dA) {
      const stacked = new Float64Array(c.A.nnz);
      let q = 0;
      for (let j = 0; j < c.n; j++) {
        if (G) for (let k = G.colPtr[j]!; k < G.colPtr[j + 1]!; k++) stacked[q++] = dG ? dG[k]! : 0;
        if (A) for (let k = A.colPtr[j]!; k < A.colPtr[j + 1]!; k++) stacked[q++] = dA ? dA[k]! : 0;
      }
      nt.dA = stacked;
    }
    const dh = G ? tangent(t, 'dh', mG) : undefined;
    const db = A ? tangent(t, 'db', c.m - mG) : undefined;
    if (dh || db) {
      const du = new Float64Array(c.m);
      const dl = new Float64Array(c.m);
      if (dh) du.set(dh, 0);
      if (db) {
        du.set(db, mG);
        dl.set(db, mG);
      }
      nt.du = du;
      nt.dl = dl;
    }
  }
  requireNoOverflow(tangentFields(nt), prep.solution, c);
  return { prep, nt, active };
}

/** Jacobian–vector product (forward mode, reduced KKT) on the calling thread. */
export function jvpSync(solution: DifferentiableSolution, tangents: Tangents, options?: JvpOptions): JvpResult;
export function jvpSync(problem: Problem, solution: DifferentiableSolution, tangents: Tangents, options?: JvpOptions): JvpResult;
export function jvpSync(a: unknown, b: unknown, c?: unknown, d?: unknown): JvpResult {
  const [problem, solution, tangents, options, cache] = resolveArgs<Tangents, JvpOptions>(a, b, c, d);
  const { prep, nt, active } = prepareJvp(problem, solution, tangents, options);
  try {
    return checkedJvp(
      prep,
      nt,
      (binding() as unknown as JvpBinding).jvpSync(prep.native, prep.solution, nt, withCache<NativeJvpOptions>(active, cache)),
    );
  } catch (e) {
    throw translateNativeError(e);
  }
}

/**
 * Jacobian–vector product: the directional derivative of (x, y, z) along `tangents`, on the
 * libuv threadpool. jvp(solution, tangents) for a solution made with
 * solve(problem, { differentiable: true }) (sharing its factorization of K with differentiate),
 * or jvp(problem, solution, tangents).
 */
export async function jvp(solution: DifferentiableSolution, tangents: Tangents, options?: JvpOptions): Promise<JvpResult>;
export async function jvp(problem: Problem, solution: DifferentiableSolution, tangents: Tangents, options?: JvpOptions): Promise<JvpResult>;
export async function jvp(a: unknown, b: unknown, c?: unknown, d?: unknown): Promise<JvpResult> {
  try {
    const [problem, solution, tangents, options, cache] = resolveArgs<Tangents, JvpOptions>(a, b, c, d);
    const prepared = prepareJvp(problem, solution, tangents, options);
    const prep = owned(prepared.prep);
    const nt = ownedArrays(prepared.nt);
    return checkedJvp(
      prep,
      nt,
      await (binding() as unknown as JvpBinding).jvpAsync(
        prep.native,
        prep.solution,
        nt,
        withCache<NativeJvpOptions>(prepared.active, cache),
      ),
    );
  } catch (e) {
    throw translateNativeError(e);
  }
}

/** The tangents by the names an error gives them (the standard form's are stacked: dA, dl, du). */
function tangentFields(tangents: NativeTangents): Record<string, Float64Array | undefined> {
  const named: Record<string, Float64Array | undefined> = {};
  for (const [k, v] of Object.entries(tangents)) named[`tangents.${k}`] = v;
  return named;
}

function checkedJvp(prep: Prepared, tangents: NativeTangents, r: JvpResult): JvpResult {
  requireFiniteResult('derivative', { dx: r.dx, dy: r.dy, dz: r.dz }, { ...tangentFields(tangents), ...passInputs(prep) });
  return r;
}
