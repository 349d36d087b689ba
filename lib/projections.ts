/**
 * Euclidean projections as QPs: projectionProblem(set, v) builds
 *
 *   minimize ½‖x − v‖² = ½xᵀx − vᵀx (+ ½‖v‖²)   subject to  x ∈ set
 *
 * for the common sets, in the canonical form (P = I, q = −v), so that a queue job can say
 * "project this vector onto that set" and carry only v and the set's own data. The sets:
 *
 *   simplex       { x ≥ 0, Σx = radius }                      (radius > 0, default 1)
 *   box           { lb ≤ x ≤ ub }                             (numbers or vectors)
 *   box-coupling  { lb ≤ x ≤ ub, cl ≤ Cx ≤ cu }               (coupling rows C)
 *   chain         { lower ≤ x_i − x_{i+1} ≤ upper, i < n − 1 } (bounded differences: ±w; monotone: upper = 0)
 *   polytope      { Gx ≤ h, Ax = b } (and optional lb, ub)    (the standard form)
 *
 * Bad set data are QpErrors naming `set.FIELD`; the vectors and matrices are checked by solve.
 */
import { Vector } from './arrays';
import { ErrorCode, problemError } from './errors';
import { CanonicalProblem, Problem, StandardProblem } from './problem';
import { CscMatrix, CscMatrixLike } from './sparse';

/** A bound given as one number for every entry, or as a vector of length n. */
export type Bound = number | Vector;

export type ProjectionSet =
  | { set: 'simplex'; radius?: number }
  | { set: 'box'; lb?: Bound; ub?: Bound }
  | { set: 'box-coupling'; lb?: Bound; ub?: Bound; C: CscMatrixLike; cl?: Vector; cu?: Vector }
  | { set: 'chain'; lower?: number; upper?: number }
  | { set: 'polytope'; G?: CscMatrixLike; h?: Vector; A?: CscMatrixLike; b?: Vector; lb?: Bound; ub?: Bound };

export type ProjectionSetName = ProjectionSet['set'];

export const projectionSets: readonly ProjectionSetName[] = ['simplex', 'box', 'box-coupling', 'chain', 'polytope'];

const keys: Record<ProjectionSetName, readonly string[]> = {
  simplex: ['set', 'radius'],
  box: ['set', 'lb', 'ub'],
  'box-coupling': ['set', 'lb', 'ub', 'C', 'cl', 'cu'],
  chain: ['set', 'lower', 'upper'],
  polytope: ['set', 'G', 'h', 'A', 'b', 'lb', 'ub'],
};

function setError(field: string, what: string, value: unknown) {
  return problemError(ErrorCode.INVALID_OPTION, `set.${field}`, what, undefined, value);
}

function bound(field: string, b: Bound | undefined, n: number, fill: number): Vector {
  if (b === undefined) return new Float64Array(n).fill(fill);
  if (typeof b === 'number') {
    if (Number.isNaN(b)) throw setError(field, 'must be a number or a vector of length n, not NaN', b);
    return new Float64Array(n).fill(b);
  }
  return b; // a vector: solve checks its type, length and order
}

/** The bounded-difference rows x_i − x_{i+1} (n − 1 rows, two entries each). */
export function differenceMatrix(n: number): CscMatrix {
  // Column j holds −1 in row j − 1 and +1 in row j.
  const m = Math.max(n - 1, 0);
  const colPtr = new Int32Array(n + 1);
  const rowIdx = new Int32Array(2 * m);
  const values = new Float64Array(2 * m);
  let p = 0;
  for (let j = 0; j < n; j++) {
    if (j >= 1) {
      rowIdx[p] = j - 1;
      values[p++] = -1;
    }
    if (j < m) {
      rowIdx[p] = j;
      values[p++] = 1;
    }
    colPtr[j + 1] = p;
  }
  return new CscMatrix(m, n, colPtr, rowIdx, values);
}

/** One row of ones: Σx. */
function sumRow(n: number): CscMatrix {
  const colPtr = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) colPtr[j + 1] = j + 1;
  return new CscMatrix(1, n, colPtr, new Int32Array(n), new Float64Array(n).fill(1));
}

function negated(v: Vector): Float64Array {
  const q = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) q[i] = -v[i]!;
  return q;
}

/**
 * The QP whose solution is the Euclidean projection of v onto the set. v is copied (q = −v);
 * the set's vectors and matrices are used as they are. A NaN in v is ERR_QP_NOT_FINITE from solve.
 */
export function projectionProblem(set: ProjectionSet, v: Vector): Problem {
  if (typeof set !== 'object' || set === null) throw setError('set', 'must be an object { set: NAME, … }', set);
  const name = (set as { set?: unknown }).set;
  if (typeof name !== 'string' || !(projectionSets as readonly string[]).includes(name)) {
    throw setError('set', `must be one of ${projectionSets.join(', ')}`, name);
  }
  for (const k of Object.keys(set)) {
    if (!keys[name as ProjectionSetName].includes(k))
      throw setError(
        k,
        `is not a field of the ${name} set (fields: ${keys[name as ProjectionSetName].join(', ')})`,
        (set as Record<string, unknown>)[k],
      );
  }
  if (typeof v !== 'object' || v === null || typeof (v as { length?: unknown }).length !== 'number') {
    throw problemError(ErrorCode.INVALID_TYPE, 'point', 'must be a Float64Array or an array of numbers', undefined, v);
  }
  const n = v.length;
  const P = CscMatrix.identity(n, 1, 'lower');
  const q = negated(v);
  const s = set as ProjectionSet;
  switch (s.set) {
    case 'simplex': {
      const r = s.radius ?? 1;
      if (typeof r !== 'number' || !(r > 0) || r === Infinity) throw setError('radius', 'must be a finite number > 0', r);
      const problem: CanonicalProblem = { P, q, A: sumRow(n), l: [r], u: [r], lb: new Float64Array(n), name: `simplex-n${n}` };
      return problem;
    }
    case 'box':
      return { P, q, lb: bound('lb', s.lb, n, -Infinity), ub: bound('ub', s.ub, n, Infinity), name: `box-n${n}` };
    case 'box-coupling': {
      if (s.C === undefined) throw setError('C', 'is required (the coupling rows)', s.C);
      const problem: CanonicalProblem = {
        P,
        q,
        A: s.C,
        lb: bound('lb', s.lb, n, -Infinity),
        ub: bound('ub', s.ub, n, Infinity),
        name: `box-coupling-n${n}`,
      };
      if (s.cl !== undefined) problem.l = s.cl;
      if (s.cu !== undefined) problem.u = s.cu;
      return problem;
    }
    case 'chain': {
      const lower = s.lower ?? -Infinity;
      const upper = s.upper ?? Infinity;
      if (typeof lower !== 'number' || Number.isNaN(lower)) throw setError('lower', 'must be a number (−Infinity allowed)', lower);
      if (typeof upper !== 'number' || Number.isNaN(upper)) throw setError('upper', 'must be a number (Infinity allowed)', upper);
      if (lower > upper) throw setError('lower', `must be ≤ upper (${upper})`, lower);
      const m = Math.max(n - 1, 0);
      return { P, q, A: differenceMatrix(n), l: new Float64Array(m).fill(lower), u: new Float64Array(m).fill(upper), name: `chain-n${n}` };
    }
    case 'polytope': {
      const problem: StandardProblem = { form: 'standard', P, q, name: `polytope-n${n}` };
      if (s.G !== undefined) problem.G = s.G;
      if (s.h !== undefined) problem.h = s.h;
      if (s.A !== undefined) problem.A = s.A;
      if (s.b !== undefined) problem.b = s.b;
      if (s.lb !== undefined) problem.lb = bound('lb', s.lb, n, -Infinity);
      if (s.ub !== undefined) problem.ub = bound('ub', s.ub, n, Infinity);
      return problem;
    }
  }
}
