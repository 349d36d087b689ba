/**
 * The two problem forms of METHODS.md §1 and the one conversion between them.
 *
 * Canonical:  minimize ½xᵀPx + qᵀx + constant  s.t.  l ≤ Ax ≤ u,  lb ≤ x ≤ ub
 * Standard:   minimize ½xᵀPx + qᵀx + constant  s.t.  Gx ≤ h,  Ax = b,  lb ≤ x ≤ ub
 */
import { CscMatrix } from './sparse';
import { ErrorCode, problemError } from './errors';
import { requireDimension, requireFinite, requireFloat64Array, requireNoNaN, requireOrdered, requireSymmetric, validateCsc } from './validate';

export interface CanonicalProblem {
  form?: 'canonical';
  /** n×n positive semidefinite; say which triangle is stored. Omitted: P = 0 (an LP). */
  P?: CscMatrix;
  q: Float64Array;
  /** m×n constraint matrix. Omitted: m = 0. */
  A?: CscMatrix;
  /** Row lower bounds (−Infinity allowed); omitted: all −Infinity. */
  l?: Float64Array;
  /** Row upper bounds (+Infinity allowed); omitted: all +Infinity. */
  u?: Float64Array;
  lb?: Float64Array;
  ub?: Float64Array;
  /** Constant term of the objective (e.g. from a QPS file's objective RHS). */
  constant?: number;
  name?: string;
}

export interface StandardProblem {
  form: 'standard';
  P?: CscMatrix;
  q: Float64Array;
  G?: CscMatrix;
  h?: Float64Array;
  A?: CscMatrix;
  b?: Float64Array;
  lb?: Float64Array;
  ub?: Float64Array;
  constant?: number;
  name?: string;
}

export type Problem = CanonicalProblem | StandardProblem;

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
}

function validateP(P: unknown, n: number): CscMatrix {
  if (P === undefined) return CscMatrix.zeros(n, n, 'lower');
  const M = validateCsc('P', P, n, n);
  if (M.triangle === 'full') requireSymmetric('P', M);
  return M.lowerTriangle();
}

function optionalBounds(field: string, value: unknown, n: number): Float64Array | undefined {
  if (value === undefined) return undefined;
  const v = requireFloat64Array(field, value, n);
  requireNoNaN(field, v);
  return v;
}

function checkVariableBounds(lb: Float64Array | undefined, ub: Float64Array | undefined): void {
  if (lb && ub) requireOrdered('lb', lb, 'ub', ub);
  if (lb) for (let j = 0; j < lb.length; j++) if (lb[j] === Infinity) throw problemError(ErrorCode.INVALID_BOUNDS, 'lb', 'must not be +Infinity', j, lb[j]);
  if (ub) for (let j = 0; j < ub.length; j++) if (ub[j] === -Infinity) throw problemError(ErrorCode.INVALID_BOUNDS, 'ub', 'must not be -Infinity', j, ub[j]);
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

/**
 * Validates a problem in either form and returns the canonical form. Arrays are shared with
 * the input where possible (no copies for a canonical problem with P stored as 'lower').
 */
export function toCanonical(problem: Problem): Canonical {
  if (typeof problem !== 'object' || problem === null) {
    throw problemError(ErrorCode.INVALID_TYPE, 'problem', 'must be an object', undefined, problem);
  }
  const form = problemForm(problem);
  const p = problem as unknown as Record<string, unknown>;
  if (!(p.q instanceof Float64Array)) throw problemError(ErrorCode.INVALID_TYPE, 'q', 'must be a Float64Array', undefined, p.q);
  const n = requireDimension('q.length', p.q.length);
  const q = p.q;
  requireFinite('q', q);
  const P = validateP(p.P, n);
  const lb = optionalBounds('lb', p.lb, n);
  const ub = optionalBounds('ub', p.ub, n);
  checkVariableBounds(lb, ub);
  const constant = checkConstant(p.constant);

  if (form === 'canonical') {
    let A: CscMatrix;
    if (p.A === undefined) {
      A = CscMatrix.zeros(0, n);
    } else {
      if (typeof p.A !== 'object' || p.A === null) throw problemError(ErrorCode.INVALID_TYPE, 'A', 'must be a CscMatrix', undefined, p.A);
      const nrows = (p.A as CscMatrix).nrows;
      requireDimension('A.nrows', nrows);
      A = validateCsc('A', p.A, nrows, n);
    }
    const m = A.nrows;
    const l = p.l === undefined ? new Float64Array(m).fill(-Infinity) : requireFloat64Array('l', p.l, m);
    const u = p.u === undefined ? new Float64Array(m).fill(Infinity) : requireFloat64Array('u', p.u, m);
    requireNoNaN('l', l);
    requireNoNaN('u', u);
    requireOrdered('l', l, 'u', u);
    for (let i = 0; i < m; i++) {
      if (l[i] === Infinity) throw problemError(ErrorCode.INVALID_BOUNDS, 'l', 'must not be +Infinity', i, l[i]);
      if (u[i] === -Infinity) throw problemError(ErrorCode.INVALID_BOUNDS, 'u', 'must not be -Infinity', i, u[i]);
    }
    return { n, m, P, q, A, l, u, lb, ub, constant, rowsFrom: { form: 'canonical' } };
  }

  for (const k of canonicalOnly) {
    if (p[k] !== undefined) throw problemError(ErrorCode.INVALID_TYPE, k, 'belongs to the canonical form, but G, h or b make this a standard-form problem');
  }
  const blocks: CscMatrix[] = [];
  let mG = 0;
  let mA = 0;
  let h: Float64Array = new Float64Array(0);
  let b: Float64Array = new Float64Array(0);
  if (p.G !== undefined || p.h !== undefined) {
    if (p.G === undefined) throw problemError(ErrorCode.DIMENSION_MISMATCH, 'G', 'is missing but h is given');
    if (typeof p.G !== 'object' || p.G === null) throw problemError(ErrorCode.INVALID_TYPE, 'G', 'must be a CscMatrix', undefined, p.G);
    mG = requireDimension('G.nrows', (p.G as CscMatrix).nrows);
    blocks.push(validateCsc('G', p.G, mG, n));
    h = requireFloat64Array('h', p.h, mG);
    requireNoNaN('h', h);
    for (let i = 0; i < mG; i++) if (h[i] === -Infinity) throw problemError(ErrorCode.INVALID_BOUNDS, 'h', 'must not be -Infinity', i, h[i]);
  }
  if (p.A !== undefined || p.b !== undefined) {
    if (p.A === undefined) throw problemError(ErrorCode.DIMENSION_MISMATCH, 'A', 'is missing but b is given');
    if (typeof p.A !== 'object' || p.A === null) throw problemError(ErrorCode.INVALID_TYPE, 'A', 'must be a CscMatrix', undefined, p.A);
    mA = requireDimension('A.nrows', (p.A as CscMatrix).nrows);
    blocks.push(validateCsc('A', p.A, mA, n));
    b = requireFloat64Array('b', p.b, mA);
    requireFinite('b', b);
  }
  const m = mG + mA;
  const A = blocks.length === 0 ? CscMatrix.zeros(0, n) : blocks.length === 1 ? blocks[0]! : CscMatrix.vstack(blocks);
  const l = new Float64Array(m);
  const u = new Float64Array(m);
  l.fill(-Infinity, 0, mG);
  u.set(h, 0);
  l.set(b, mG);
  u.set(b, mG);
  return { n, m, P, q, A, l, u, lb, ub, constant, rowsFrom: { form: 'standard', mG, mA } };
}
