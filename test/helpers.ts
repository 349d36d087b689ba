/** Small shared helpers for the tests: problem builders and assertions with tolerances. */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { CscMatrix } from '../lib/sparse';
import { Solution } from '../lib/solve';

export const f64 = (values: number[]): Float64Array => Float64Array.from(values);
export const dense = (rows: number[][]): CscMatrix => CscMatrix.fromDense(rows);
export const denseLower = (rows: number[][]): CscMatrix => CscMatrix.fromDense(rows, { triangle: 'lower' });

/** Folder of the shared Maros–Meszaros files, relative to the project root. */
export const mmDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'maros-meszaros');

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = 'value'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}] = ${a}, expected ${e} (tol ${tol})`);
  }
}

/** The residual check of METHODS.md §3, recomputed independently in JS from the data. */
export function kktResiduals(
  sol: Solution,
  data: { P?: CscMatrix; q: Float64Array; A?: CscMatrix; l?: Float64Array; u?: Float64Array; lb?: Float64Array; ub?: Float64Array },
): { rp: number; rd: number; rg: number } {
  const n = data.q.length;
  const x = sol.x;
  const Px = data.P ? data.P.multiply(x) : new Float64Array(n);
  const m = data.A ? data.A.nrows : 0;
  const Ax = data.A ? data.A.multiply(x) : new Float64Array(0);
  const ATy = data.A ? data.A.multiplyTransposed(sol.y) : new Float64Array(n);
  let rp = 0;
  let rd = 0;
  let gap = 0;
  const side = (lo: number, hi: number, w: number) => (w > 0 ? hi * w : w < 0 ? lo * w : 0);
  for (let i = 0; i < m; i++) {
    const lo = data.l ? data.l[i]! : -Infinity;
    const hi = data.u ? data.u[i]! : Infinity;
    rp = Math.max(rp, Ax[i]! - hi, lo - Ax[i]!);
    gap += side(lo, hi, sol.y[i]!);
  }
  for (let j = 0; j < n; j++) {
    const lo = data.lb ? data.lb[j]! : -Infinity;
    const hi = data.ub ? data.ub[j]! : Infinity;
    rp = Math.max(rp, x[j]! - hi, lo - x[j]!);
    rd = Math.max(rd, Math.abs(Px[j]! + data.q[j]! + ATy[j]! + sol.z[j]!));
    gap += side(lo, hi, sol.z[j]!) + x[j]! * Px[j]! + data.q[j]! * x[j]!;
  }
  return { rp, rd, rg: Math.abs(gap) };
}
