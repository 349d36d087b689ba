/**
 * Random strictly complementary QPs for the gradient tests (test/30, test/31): pick x*, an
 * active set and multipliers bounded away from zero, then set the bounds and q so that
 * (x*, y*, z*) satisfies the KKT conditions.
 */
import { CscMatrix } from '../lib/sparse';
import { CanonicalProblem } from '../lib/problem';
import { rng } from './helpers';

export type RowType = 'eq' | 'up' | 'low' | 'range' | 'oneSided';

export interface Row {
  cols: number[];
  vals: number[];
  type: RowType;
  l: number;
  u: number;
  y: number;
}

export interface Generated {
  n: number;
  P: CscMatrix;
  q: Float64Array;
  rows: Row[];
  lb: Float64Array;
  ub: Float64Array;
  xStar: Float64Array;
}

export interface GenOptions {
  n: number;
  seed: number;
  /** Probability of an off-diagonal entry in P's lower triangle. */
  pDensity: number;
  /** Entries per row besides the private column (dense-ish: many; sparse: a few). */
  rowNnz: number;
  counts: Partial<Record<RowType, number>>;
  boundsUp: number;
  boundsLow: number;
  /** Fraction of the remaining variables with an inactive box (others are free). */
  boxFraction: number;
  /** Only one-sided inequality rows (for the standard form). */
  oneSided?: boolean;
}

export function generate(o: GenOptions): Generated {
  const r = rng(o.seed);
  const sym = () => 2 * r() - 1;
  const { n } = o;
  const xStar = new Float64Array(n).map(() => sym());
  // P: random sparse lower triangle made diagonally dominant (positive definite).
  const pr: number[] = [];
  const pc: number[] = [];
  const pv: number[] = [];
  const rowAbs = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let i = j + 1; i < n; i++) {
      if (r() < o.pDensity) {
        const v = 0.5 * sym();
        pr.push(i);
        pc.push(j);
        pv.push(v);
        rowAbs[i]! += Math.abs(v);
        rowAbs[j]! += Math.abs(v);
      }
    }
  }
  for (let j = 0; j < n; j++) {
    pr.push(j);
    pc.push(j);
    pv.push(1 + rowAbs[j]! + r());
  }
  const P = CscMatrix.fromTriplets(n, n, pr, pc, pv, { triangle: 'lower' });

  // Variable roles: active bounds first in a shuffled order, the rest free for private columns.
  const order = Array.from({ length: n }, (_, j) => j);
  for (let j = n - 1; j > 0; j--) {
    const k = Math.floor(r() * (j + 1));
    [order[j], order[k]] = [order[k]!, order[j]!];
  }
  const lb = new Float64Array(n).fill(-Infinity);
  const ub = new Float64Array(n).fill(Infinity);
  const z = new Float64Array(n);
  let next = 0;
  for (let t = 0; t < o.boundsUp; t++) {
    const j = order[next++]!;
    ub[j] = xStar[j]!;
    lb[j] = xStar[j]! - 0.5 - r();
    z[j] = 0.5 + r();
  }
  for (let t = 0; t < o.boundsLow; t++) {
    const j = order[next++]!;
    lb[j] = xStar[j]!;
    if (r() < 0.5) ub[j] = xStar[j]! + 0.5 + r();
    z[j] = -(0.5 + r());
  }
  const privatePool = order.slice(next);
  for (const j of privatePool) {
    if (r() < o.boxFraction) {
      lb[j] = xStar[j]! - 0.5 - r();
      ub[j] = xStar[j]! + 0.5 + r();
    }
  }

  const types: RowType[] = [];
  for (const t of ['eq', 'up', 'low', 'range', 'oneSided'] as RowType[]) for (let k = 0; k < (o.counts[t] ?? 0); k++) types.push(t);
  let nextPrivate = 0;
  const rows: Row[] = [];
  for (const type of types) {
    const entries = new Map<number, number>();
    if (type === 'eq' || type === 'up' || type === 'low') {
      const j = privatePool[nextPrivate++];
      if (j === undefined) throw new Error('generate: more active rows than free variables');
      entries.set(j, (r() < 0.5 ? -1 : 1) * (2 + r()));
    }
    for (let k = 0; k < o.rowNnz; k++) {
      const j = Math.floor(r() * n);
      if (!entries.has(j)) entries.set(j, sym());
    }
    const cols = [...entries.keys()];
    const vals = cols.map((j) => entries.get(j)!);
    let a = 0;
    for (let k = 0; k < cols.length; k++) a += vals[k]! * xStar[cols[k]!]!;
    const gap = () => 0.5 + r();
    const row: Row = { cols, vals, type, l: -Infinity, u: Infinity, y: 0 };
    if (type === 'eq') {
      row.l = row.u = a;
      row.y = (r() < 0.5 ? -1 : 1) * gap();
    } else if (type === 'up') {
      row.u = a;
      if (!o.oneSided && r() < 0.5) row.l = a - gap();
      row.y = gap();
    } else if (type === 'low') {
      row.l = a;
      if (r() < 0.5) row.u = a + gap();
      row.y = -gap();
    } else if (type === 'range') {
      row.l = a - gap();
      row.u = a + gap();
    } else {
      row.u = a + gap();
    }
    rows.push(row);
  }
  // q from stationarity: P x* + q + Aᵀ y + z = 0.
  const q = P.multiply(xStar);
  for (const row of rows) for (let k = 0; k < row.cols.length; k++) q[row.cols[k]!]! += row.vals[k]! * row.y;
  for (let j = 0; j < n; j++) q[j] = -(q[j]! + z[j]!);
  return { n, P, q, rows, lb, ub, xStar };
}

export function matrixOf(rows: Row[], n: number): CscMatrix {
  const ri: number[] = [];
  const ci: number[] = [];
  const vi: number[] = [];
  rows.forEach((row, i) => row.cols.forEach((j, k) => (ri.push(i), ci.push(j), vi.push(row.vals[k]!))));
  return CscMatrix.fromTriplets(rows.length, n, ri, ci, vi);
}

export function canonicalOf(g: Generated): CanonicalProblem<Float64Array, CscMatrix> {
  return {
    P: g.P,
    q: g.q,
    A: matrixOf(g.rows, g.n),
    l: Float64Array.from(g.rows.map((row) => row.l)),
    u: Float64Array.from(g.rows.map((row) => row.u)),
    lb: g.lb,
    ub: g.ub,
  };
}
