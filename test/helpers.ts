/** Small shared helpers for the tests: problem builders and assertions with tolerances. */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CscMatrix } from '../lib/sparse';
import { Solution } from '../lib/solve';
import { MM_SET_MISSING, mmSetDir } from '../lib/mm-set';

export const f64 = (values: number[]): Float64Array => Float64Array.from(values);
export const dense = (rows: number[][]): CscMatrix => CscMatrix.fromDense(rows);
export const denseLower = (rows: number[][]): CscMatrix => CscMatrix.fromDense(rows, { triangle: 'lower' });

/** The Maros–Meszaros files the tests read one by one, kept in the repository (test/fixtures/README.md). */
export const fixturesDir = path.resolve(__dirname, '..', '..', 'test', 'fixtures');

/** The path of test/fixtures/NAME.QPS.gz; a name not kept there is an error, not a skip. */
export function fixture(name: string): string {
  const file = path.join(fixturesDir, `${name}.QPS.gz`);
  if (!existsSync(file))
    throw new Error(`test/fixtures has no ${name}.QPS.gz: copy it there (test/fixtures/README.md) or use the whole set (describeWholeSet)`);
  return file;
}

/** The whole set's folder (DIFFQP_MM_DIR, or ../shared/maros-meszaros), or undefined in a bare clone. */
export const mmSet = mmSetDir();

/**
 * A suite over the whole set: run when the set is here, else listed as pending under a title
 * that says how to get it. Its body must not read the set while registering tests (mocha runs
 * the body of a skipped suite too): read it in before() or in the tests.
 */
export function describeWholeSet(title: string, body: (this: Mocha.Suite, dir: string) => void): void {
  const dir = mmSet;
  if (dir !== undefined)
    describe(title, function () {
      body.call(this, dir);
    });
  else
    describe.skip(`${title} [skipped: ${MM_SET_MISSING}]`, function () {
      body.call(this, '');
    });
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = 'value'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}] = ${a}, expected ${e} (tol ${tol})`);
  }
}

/** The residual check of docs/METHODS.md §3, recomputed independently in JS from the data. */
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

/** A deterministic pseudo-random generator in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * A feasible, bounded sparse QP of size n: P = tridiagonal chain Laplacian + I (strictly
 * convex), m coupling rows over local windows of 4 variables, box bounds on every variable.
 */
export function chainQp(n: number, m: number, seed = 1) {
  const r = rng(seed);
  const pr: number[] = [];
  const pc: number[] = [];
  const pv: number[] = [];
  for (let j = 0; j < n; j++) {
    pr.push(j);
    pc.push(j);
    pv.push(3 + r());
    if (j + 1 < n) {
      pr.push(j + 1);
      pc.push(j);
      pv.push(-1);
    }
  }
  const P = CscMatrix.fromTriplets(n, n, pr, pc, pv, { triangle: 'lower' });
  const ar: number[] = [];
  const ac: number[] = [];
  const av: number[] = [];
  // Each row couples a local window of 4 variables, so factorizations stay banded.
  for (let i = 0; i < m; i++) {
    const start = Math.floor(r() * Math.max(1, n - 4));
    for (let k = 0; k < Math.min(4, n); k++) {
      ar.push(i);
      ac.push(start + k);
      av.push(r() - 0.5);
    }
  }
  const A = CscMatrix.fromTriplets(m, n, ar, ac, av);
  const q = new Float64Array(n).map(() => 10 * (r() - 0.5));
  const l = new Float64Array(m).map(() => -0.5 - r());
  const u = new Float64Array(m).map(() => 0.5 + r());
  const lb = new Float64Array(n).fill(-1);
  const ub = new Float64Array(n).fill(1);
  return { P, q, A, l, u, lb, ub };
}
