/**
 * The two problem forms of docs/METHODS.md §1 and the one conversion between them.
 *
 * Canonical:  minimize ½xᵀPx + qᵀx + constant  s.t.  l ≤ Ax ≤ u,  lb ≤ x ≤ ub
 * Standard:   minimize ½xᵀPx + qᵀx + constant  s.t.  Gx ≤ h,  Ax = b,  lb ≤ x ≤ ub
 *
 * Vectors are Float64Arrays (read in place) or plain arrays of numbers (checked and copied
 * once); matrices are CscMatrix objects or CSC-shaped plain objects.
 */
import { Vector } from './arrays';
import { CscMatrix, CscMatrixLike } from './sparse';
import { ErrorCode, problemError, rejectUnknownKeys } from './errors';
import {
  requireDimension,
  requireFinite,
  requireFloat64Array,
  requireNoNaN,
  requireOrdered,
  requireSize,
  requireSymmetric,
  validateCsc,
} from './validate';

/**
 * V and M are the vector and matrix types: by default anything diffqp accepts (Vector,
 * CscMatrixLike); CanonicalProblem<Float64Array, CscMatrix> is a problem whose data are all typed.
 */
export interface CanonicalProblem<V extends Vector = Vector, M extends CscMatrixLike = CscMatrixLike> {
  form?: 'canonical';
  /** n×n positive semidefinite; say which triangle is stored. Omitted: P = 0 (an LP). */
  P?: M;
  q: V;
  /** m×n constraint matrix. Omitted: m = 0. */
  A?: M;
  /** Row lower bounds (−Infinity allowed); omitted: all −Infinity. */
  l?: V;
  /** Row upper bounds (+Infinity allowed); omitted: all +Infinity. */
  u?: V;
  lb?: V;
  ub?: V;
  /** Constant term of the objective (e.g. from a QPS file's objective RHS). */
  constant?: number;
  name?: string;
}

export interface StandardProblem<V extends Vector = Vector, M extends CscMatrixLike = CscMatrixLike> {
  form: 'standard';
  P?: M;
  q: V;
  G?: M;
  h?: V;
  A?: M;
  b?: V;
  lb?: V;
  ub?: V;
  constant?: number;
  name?: string;
}

export type Problem<V extends Vector = Vector, M extends CscMatrixLike = CscMatrixLike> = CanonicalProblem<V, M> | StandardProblem<V, M>;

/** The validated canonical form that goes to native code: P as a lower triangle. */
export interface Canonical {
  n: number;
  m: number;
  P: CscMatrix;
  q: Float64Array;
  A: CscMatrix;
  l: Float64Array;
  u: Float64Array;
  lb: Float64Array | undefined;
  ub: Float64Array | undefined;
  constant: number;
  /** Where the rows came from: for the standard form, G's rows first, then A's. */
  rowsFrom: { form: 'canonical' } | { form: 'standard'; mG: number; mA: number };
  /** The caller's matrices as checked, in the caller's pattern and triangle (for gradients on them). */
  given: { P?: CscMatrix; A?: CscMatrix; G?: CscMatrix };
}

/** The problem's keys besides the data: a QpsProblem's description of where it came from. */
const descriptionKeys = ['form', 'name', 'constant', 'nameRecord', 'objectiveName', 'rowNames', 'colNames', 'stats'];
const canonicalKeys = new Set(['P', 'q', 'A', 'l', 'u', 'lb', 'ub', ...descriptionKeys]);
const standardKeys = new Set(['P', 'q', 'G', 'h', 'A', 'b', 'lb', 'ub', ...descriptionKeys]);

function optionalBounds(field: string, value: unknown, n: number): Float64Array | undefined {
  if (value === undefined) return undefined;
  const v = requireFloat64Array(field, value, n);
  requireNoNaN(field, v);
  return v;
}

function checkVariableBounds(lb: Float64Array | undefined, ub: Float64Array | undefined): void {
  if (lb && ub) requireOrdered('lb', lb, 'ub', ub);
  if (lb)
    for (let j = 0; j < lb.length; j++)
      if (lb[j] === Infinity) throw problemError(ErrorCode.INVALID_BOUNDS, 'lb', 'must not be +Infinity', j, lb[j]);
  if (ub)
    for (let j = 0; j < ub.length; j++)
      if (ub[j] === -Infinity) throw problemError(ErrorCode.INVALID_BOUNDS, 'ub', 'must not be -Infinity', j, ub[j]);
}

function checkConstant(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number') throw problemError(ErrorCode.INVALID_TYPE, 'constant', 'must be a number', undefined, value);
  if (!Number.isFinite(value)) throw problemError(ErrorCode.NOT_FINITE, 'constant', 'must be finite', undefined, value);
  return value;
}

const standardOnly = ['G', 'h', 'b'] as const;
const canonicalOnly = ['l', 'u'] as const;

/** Which form a problem object is in: explicit `form`, else canonical unless G, h or b appear. */
export function problemForm(problem: Problem): 'canonical' | 'standard' {
  const p = problem as unknown as Record<string, unknown>;
  if (p.form === 'standard') return 'standard';
  if (p.form !== undefined && p.form !== 'canonical') {
    throw problemError(ErrorCode.INVALID_TYPE, 'form', "must be 'canonical' or 'standard'", undefined, p.form);
  }
  const hasStandard = standardOnly.some((k) => p[k] !== undefined);
  if (p.form === 'canonical' && hasStandard) {
    const k = standardOnly.find((f) => p[f] !== undefined)!;
    throw problemError(ErrorCode.INVALID_TYPE, k, "belongs to the standard form, but form is 'canonical'");
  }
  return hasStandard ? 'standard' : 'canonical';
}

const knownKeys = [...new Set([...canonicalKeys, ...standardKeys])];

/**
 * The problem's fields, each read once (a getter cannot hand the checks one array and the
 * solver another), after rejecting own keys neither form knows: a misspelt `UB` is an error,
 * not a missing bound.
 */
function ownFields(problem: object): Record<string, unknown> {
  rejectUnknownKeys(problem, knownKeys, ErrorCode.INVALID_TYPE, '', 'is not a problem field');
  // Known fields may be inherited (a problem made with Object.create(base)); each is read once.
  const fields: Record<string, unknown> = {};
  for (const key of knownKeys) fields[key] = (problem as Record<string, unknown>)[key];
  return fields;
}

/**
 * Matrices already checked in one call that converts many problems (a batch): a matrix object
 * given again with the same expected shape is not checked again, nor its lower triangle made
 * again. Valid only while no code runs between the conversions (the arrays cannot change).
 */
export type CheckedMatrices = Map<unknown, { rows: number | undefined; cols: number; checked: CscMatrix; lower?: CscMatrix }>;

function checkedCsc(field: string, value: unknown, rows: number | undefined, cols: number, seen?: CheckedMatrices): CscMatrix {
  const hit = seen?.get(value);
  if (hit && hit.rows === rows && hit.cols === cols) return hit.checked;
  const checked = validateCsc(field, value, rows, cols);
  seen?.set(value, { rows, cols, checked });
  return checked;
}

/**
 * Validates a problem in either form and returns the canonical form. Arrays are shared with
 * the input where possible (no copies for a canonical problem with P stored as 'lower');
 * typed arrays on resizable, growable or shared buffers are copied (lib/validate.ts).
 * Every size is checked before anything of that size is allocated.
 */
export function toCanonical(problem: Problem): Canonical {
  return canonicalChecking(problem);
}

/** toCanonical for a batch: matrices in `seen` (shared by earlier problems of the call) are not checked again. */
export function canonicalChecking(problem: Problem, seen?: CheckedMatrices): Canonical {
  if (typeof problem !== 'object' || problem === null || Array.isArray(problem)) {
    throw problemError(ErrorCode.INVALID_TYPE, 'problem', 'must be an object', undefined, problem);
  }
  const p = ownFields(problem);
  const form = problemForm(p as unknown as Problem);
  const q = requireFloat64Array('q', p.q);
  const n = requireDimension('q.length', q.length);
  requireSize('q.length', n, 0);
  requireFinite('q', q);
  const given: Canonical['given'] = {};
  if (p.P !== undefined) {
    given.P = checkedCsc('P', p.P, n, n, seen);
    if (given.P.triangle === 'full') requireSymmetric('P', given.P);
  }
  const lb = optionalBounds('lb', p.lb, n);
  const ub = optionalBounds('ub', p.ub, n);
  checkVariableBounds(lb, ub);
  const constant = checkConstant(p.constant);
  const lowerP = () => {
    if (!given.P) return CscMatrix.zeros(n, n, 'lower');
    const hit = seen?.get(p.P);
    if (hit && hit.checked === given.P) return (hit.lower ??= given.P.lowerTriangle());
    return given.P.lowerTriangle();
  };

  if (form === 'canonical') {
    const A = p.A === undefined ? undefined : checkedCsc('A', p.A, undefined, n, seen);
    const m = A ? A.nrows : 0;
    requireSize('A.nrows', n, m);
    if (A) given.A = A;
    const lGiven = p.l === undefined ? undefined : requireFloat64Array('l', p.l, m);
    const uGiven = p.u === undefined ? undefined : requireFloat64Array('u', p.u, m);
    if (lGiven) requireNoNaN('l', lGiven);
    if (uGiven) requireNoNaN('u', uGiven);
    if (lGiven && uGiven) requireOrdered('l', lGiven, 'u', uGiven);
    for (let i = 0; lGiven && i < m; i++)
      if (lGiven[i] === Infinity) throw problemError(ErrorCode.INVALID_BOUNDS, 'l', 'must not be +Infinity', i, lGiven[i]);
    for (let i = 0; uGiven && i < m; i++)
      if (uGiven[i] === -Infinity) throw problemError(ErrorCode.INVALID_BOUNDS, 'u', 'must not be -Infinity', i, uGiven[i]);
    const l = lGiven ?? new Float64Array(m).fill(-Infinity);
    const u = uGiven ?? new Float64Array(m).fill(Infinity);
    return { n, m, P: lowerP(), q, A: A ?? CscMatrix.zeros(0, n), l, u, lb, ub, constant, rowsFrom: { form: 'canonical' }, given };
  }

  for (const k of canonicalOnly) {
    if (p[k] !== undefined)
      throw problemError(ErrorCode.INVALID_TYPE, k, 'belongs to the canonical form, but G, h or b make this a standard-form problem');
  }
  let mG = 0;
  let mA = 0;
  let h: Float64Array = new Float64Array(0);
  let b: Float64Array = new Float64Array(0);
  // Both blocks' row counts are checked against the limit before h or b is looked at.
  if (p.G === undefined && p.h !== undefined) throw problemError(ErrorCode.DIMENSION_MISMATCH, 'G', 'is missing but h is given');
  if (p.A === undefined && p.b !== undefined) throw problemError(ErrorCode.DIMENSION_MISMATCH, 'A', 'is missing but b is given');
  if (p.G !== undefined) {
    given.G = checkedCsc('G', p.G, undefined, n, seen);
    mG = given.G.nrows;
    requireSize('G.nrows', n, mG);
  }
  if (p.A !== undefined) {
    given.A = checkedCsc('A', p.A, undefined, n, seen);
    mA = given.A.nrows;
    requireSize('A.nrows', n, mG + mA);
  }
  if (given.G) {
    h = requireFloat64Array('h', p.h, mG);
    requireNoNaN('h', h);
    for (let i = 0; i < mG; i++)
      if (h[i] === -Infinity) throw problemError(ErrorCode.INVALID_BOUNDS, 'h', 'must not be -Infinity', i, h[i]);
  }
  if (given.A) {
    b = requireFloat64Array('b', p.b, mA);
    requireFinite('b', b);
  }
  const m = mG + mA;
  const blocks = [given.G, given.A].filter((M): M is CscMatrix => M !== undefined);
  const A = blocks.length === 0 ? CscMatrix.zeros(0, n) : blocks.length === 1 ? blocks[0]! : CscMatrix.vstack(blocks);
  const l = new Float64Array(m);
  const u = new Float64Array(m);
  l.fill(-Infinity, 0, mG);
  u.set(h, 0);
  l.set(b, mG);
  u.set(b, mG);
  return { n, m, P: lowerP(), q, A, l, u, lb, ub, constant, rowsFrom: { form: 'standard', mG, mA }, given };
}

// ---------------------------------------------------------------------------------------------
// Gradients and tangents between the caller's form and the canonical one (lib/differentiate.ts,
// lib/jvp.ts)

/** dP on the caller's pattern and triangle (see the conventions at the top of this file). */
export function gradientOnCallerP(
  P: CscMatrix,
  canonical: Canonical,
  lowerGradient: Float64Array,
  x: Float64Array,
  dx: Float64Array,
): Float64Array {
  if (P === canonical.P) return lowerGradient; // 'lower': the native result is already aligned
  const triangle = P.triangle ?? 'full';
  const out = new Float64Array(P.values.length);
  for (let j = 0; j < P.ncols; j++) {
    for (let k = P.colPtr[j]!; k < P.colPtr[j + 1]!; k++) {
      const i = P.rowIdx[k]!;
      if (i === j) out[k] = dx[i]! * x[i]!;
      else if (triangle === 'full') out[k] = 0.5 * (dx[i]! * x[j]! + dx[j]! * x[i]!);
      else out[k] = dx[i]! * x[j]! + dx[j]! * x[i]!;
    }
  }
  return out;
}

/** Splits a gradient on the stacked [G; A] pattern back onto G's and A's patterns. */
export function splitStacked(G: CscMatrix, A: CscMatrix, stacked: Float64Array): [Float64Array, Float64Array] {
  const dG = new Float64Array(G.nnz);
  const dA = new Float64Array(A.nnz);
  let p = 0;
  for (let j = 0; j < G.ncols; j++) {
    for (let k = G.colPtr[j]!; k < G.colPtr[j + 1]!; k++) dG[k] = stacked[p++]!;
    for (let k = A.colPtr[j]!; k < A.colPtr[j + 1]!; k++) dA[k] = stacked[p++]!;
  }
  return [dG, dA];
}

/** Maps a tangent on the caller's P storage onto the canonical lower pattern. */
export function tangentOnLowerP(P: CscMatrix, lower: CscMatrix, dP: Float64Array): Float64Array {
  if (P === lower) return dP;
  const index = new Map<number, number>();
  const n = lower.ncols;
  for (let j = 0; j < n; j++) for (let k = lower.colPtr[j]!; k < lower.colPtr[j + 1]!; k++) index.set(lower.rowIdx[k]! * n + j, k);
  const out = new Float64Array(lower.nnz);
  for (let j = 0; j < P.ncols; j++) {
    for (let k = P.colPtr[j]!; k < P.colPtr[j + 1]!; k++) {
      const i = P.rowIdx[k]!;
      if (P.triangle === 'full' && i < j) continue; // a symmetric tangent: its lower half
      const pos = index.get(Math.max(i, j) * n + Math.min(i, j));
      if (pos !== undefined) out[pos] = dP[k]!;
    }
  }
  return out;
}
