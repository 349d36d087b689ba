/**
 * Infeasibility certificates checked from the data alone (docs/METHODS.md §2 signs): the tests of
 * every solver that returns one (admm, ipm) share these. |v| ≥ 1e20 counts as infinite, as
 * in the native cores.
 */
import { strict as assert } from 'node:assert';
import { CanonicalProblem } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';
import { Solution } from '../lib/solve';

const inf = Infinity;

export const normInf = (v: ArrayLike<number>) => {
  let r = 0;
  for (let i = 0; i < v.length; i++) r = Math.max(r, Math.abs(v[i]!));
  return r;
};

export function sides(p: CanonicalProblem<Float64Array, CscMatrix>) {
  const n = p.q.length;
  const m = p.A ? p.A.nrows : 0;
  // The API reads |v| ≥ 1e20 as infinite, as ipm.h does.
  const inf20 = (v: number) => (v >= 1e20 ? inf : v <= -1e20 ? -inf : v);
  return {
    n,
    m,
    l: (p.l ?? new Float64Array(m).fill(-inf)).map(inf20),
    u: (p.u ?? new Float64Array(m).fill(inf)).map(inf20),
    lb: (p.lb ?? new Float64Array(n).fill(-inf)).map(inf20),
    ub: (p.ub ?? new Float64Array(n).fill(inf)).map(inf20),
  };
}

/** [dy; dz]: Aᵀdy + dz ≈ 0, a negative support value, exactly zero on every infinite side. */
export function checkPrimalCertificate(p: CanonicalProblem<Float64Array, CscMatrix>, sol: Solution, tol = 1e-6): void {
  const { n, m, l, u, lb, ub } = sides(p);
  assert.equal(sol.status, 'primalInfeasible', `status ${sol.status} (${sol.rawStatusText})`);
  assert.ok(sol.certificate, 'no certificate');
  assert.equal(sol.certificate.length, m + n);
  const dy = sol.certificate.subarray(0, m);
  const dz = sol.certificate.subarray(m);
  const scale = normInf(sol.certificate);
  assert.ok(scale > 0 && Number.isFinite(scale), `certificate norm ${scale}`);
  const r = p.A ? p.A.multiplyTransposed(dy) : new Float64Array(n);
  for (let j = 0; j < n; j++) r[j]! += dz[j]!;
  assert.ok(normInf(r) <= tol * scale, `|Aᵀdy + dz| = ${normInf(r)} vs |cert| = ${scale}`);
  let support = 0;
  const add = (lo: number, hi: number, w: number, what: string) => {
    if (w > 0) assert.ok(Number.isFinite(hi), `${what} = ${w} > 0 on an infinite upper side`);
    if (w < 0) assert.ok(Number.isFinite(lo), `${what} = ${w} < 0 on an infinite lower side`);
    support += w > 0 ? hi * w : w < 0 ? lo * w : 0;
  };
  for (let i = 0; i < m; i++) add(l[i]!, u[i]!, dy[i]!, `dy[${i}]`);
  for (let j = 0; j < n; j++) add(lb[j]!, ub[j]!, dz[j]!, `dz[${j}]`);
  assert.ok(support < -tol * scale, `support value ${support} is not negative`);
  for (const v of [sol.x, sol.y, sol.z])
    assert.ok(
      v.every((e) => e === 0),
      'x, y, z must be zeros',
    );
  assert.equal(sol.hasDuals, false);
}

/** dx: P dx ≈ 0, qᵀdx < 0, A dx and dx in the recession cones of [l, u] and [lb, ub]. */
export function checkDualCertificate(p: CanonicalProblem<Float64Array, CscMatrix>, sol: Solution, rel = 1e-6): void {
  const { n, m, l, u, lb, ub } = sides(p);
  assert.equal(sol.status, 'dualInfeasible', `status ${sol.status} (${sol.rawStatusText})`);
  assert.ok(sol.certificate, 'no certificate');
  assert.equal(sol.certificate.length, n);
  const dx = sol.certificate;
  const scale = normInf(dx);
  assert.ok(scale > 0 && Number.isFinite(scale), `certificate norm ${scale}`);
  const tol = rel * scale;
  if (p.P) assert.ok(normInf(p.P.multiply(dx)) <= tol, `|P dx| = ${normInf(p.P.multiply(dx))}`);
  let qdx = 0;
  for (let j = 0; j < n; j++) qdx += p.q[j]! * dx[j]!;
  assert.ok(qdx < -tol, `qᵀdx = ${qdx} is not negative`);
  const adx = p.A ? p.A.multiply(dx) : new Float64Array(m);
  for (let i = 0; i < m; i++) {
    if (Number.isFinite(u[i]!)) assert.ok(adx[i]! <= tol, `(A dx)[${i}] = ${adx[i]} > 0 with u finite`);
    if (Number.isFinite(l[i]!)) assert.ok(adx[i]! >= -tol, `(A dx)[${i}] = ${adx[i]} < 0 with l finite`);
  }
  for (let j = 0; j < n; j++) {
    if (Number.isFinite(ub[j]!)) assert.ok(dx[j]! <= tol, `dx[${j}] = ${dx[j]} > 0 with ub finite`);
    if (Number.isFinite(lb[j]!)) assert.ok(dx[j]! >= -tol, `dx[${j}] = ${dx[j]} < 0 with lb finite`);
  }
  for (const v of [sol.x, sol.y, sol.z])
    assert.ok(
      v.every((e) => e === 0),
      'x, y, z must be zeros',
    );
  assert.equal(sol.hasDuals, false);
}

/**
 * A seeded random sparse convex problem, feasible by construction (rows and bounds around a
 * point x0): P = diag(0.1..1.1) + a sum of sparse rank-one terms (so x is unique), `perRow`
 * entries per row of A, rows of every kind (equality, one- and two-sided, free), about half
 * the variables boxed. With lp, P is omitted and every variable is boxed (bounded).
 */
