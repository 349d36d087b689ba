/**
 * solve({ differentiable: true }) keeps the problem and a cache for the factorization of the
 * reduced KKT matrix on the Solution; dispose() drops both.
 */
import { strict as assert } from 'node:assert';
import { differentiate, differentiateSync } from '../lib/differentiate';
import { jvp, jvpSync } from '../lib/jvp';
import { binding } from '../lib/binding';
import { canonicalOf, generate } from './complementary-qp';
import { ErrorCode, QpError } from '../lib/errors';
import { solve, solveSync } from '../lib/solve';
import { dense, denseLower, f64 } from './helpers';

/** A random strictly complementary sparse QP with n variables (test/complementary-qp.ts). */
const randomQp = (n: number, seed: number) =>
  canonicalOf(
    generate({
      n,
      seed,
      pDensity: 0.01,
      rowNnz: 3,
      counts: { eq: n / 8, up: n / 8, low: n / 8, range: n / 5, oneSided: n / 10 },
      boundsUp: n / 10,
      boundsLow: n / 10,
      boxFraction: 0.5,
    }),
  );

const problem = () => ({
  P: denseLower([
    [1, 0],
    [0, 1],
  ]),
  q: f64([-2, -0.5]),
  A: dense([[1, 1]]),
  l: f64([-Infinity]),
  u: f64([1]),
});

describe('differentiable solutions', () => {
  it('differentiate(solution, grads) equals differentiate(problem, solution, grads)', async () => {
    const p = problem();
    const sol = await solve(p, { solver: 'ipopt', differentiable: true });
    const viaHandle = await differentiate(sol, { dx: f64([1, 0]) });
    const explicit = await differentiate(p, sol, { dx: f64([1, 0]) });
    assert.deepEqual([...viaHandle.dq!], [...explicit.dq!]);
    // x = (1.25, −0.25) with the row active: ∂x1/∂q = −[½, −½] → dq = (−½, ½)
    assert.ok(Math.abs(viaHandle.dq![0]! + 0.5) < 1e-8 && Math.abs(viaHandle.dq![1]! - 0.5) < 1e-8, String(viaHandle.dq));
    assert.equal(sol.disposed, false);
  });

  it('the factorization of K is built by the first kkt pass and reused by later ones (and by jvp)', async () => {
    const problem = randomQp(300, 7);
    const sol = await solve(problem, { solver: 'ipopt', differentiable: true, epsAbs: 1e-10 });
    assert.equal(sol.status, 'solved');
    const dx = new Float64Array(300).map((_, i) => Math.sin(i));
    const first = await differentiate(sol, { dx });
    const second = await differentiate(sol, { dx });
    const fresh = await differentiate(problem, sol, { dx });
    assert.equal(first.factorReused, false);
    assert.ok(first.factorTime > 0);
    assert.equal(second.factorReused, true);
    assert.equal(second.factorTime, 0);
    assert.equal(fresh.factorReused, false);
    // The cached factorization gives the same numbers as a fresh one, bit for bit.
    for (const k of ['dP', 'dq', 'dA', 'dl', 'du', 'dlb', 'dub'] as const) assert.deepEqual([...second[k]!], [...fresh[k]!], k);
    // Other methods do not use K: no reuse reported.
    assert.equal((await differentiate(sol, { dx }, { method: 'full' })).factorReused, false);
    // A different active-set tolerance needs another factorization.
    assert.equal(differentiateSync(sol, { dx }, { epsActive: 1e-7 }).factorReused, false);
    assert.equal(differentiateSync(sol, { dx }, { epsActive: 1e-7 }).factorReused, true);
    // jvp shares it: ⟨vjp(dx), δq⟩ = ⟨dx, jvp(δq)⟩.
    const dq = new Float64Array(300).map((_, i) => Math.cos(3 * i));
    const t = await jvp(sol, { dq }, { epsActive: 1e-7 });
    assert.equal(t.factorReused, true);
    const g = jvpSync(problem, sol, { dq });
    assert.equal(g.factorReused, false);
    let lhs = 0;
    let rhs = 0;
    for (let i = 0; i < 300; i++) {
      lhs += first.dq![i]! * dq[i]!;
      rhs += dx[i]! * g.dx[i]!;
    }
    assert.ok(Math.abs(lhs - rhs) <= 1e-9 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
  });

  it('concurrent backward passes on one solution share one factorization and agree', async () => {
    const problem = randomQp(200, 8);
    const sol = await solve(problem, { solver: 'ipopt', differentiable: true, epsAbs: 1e-10 });
    const dxs = Array.from({ length: 8 }, (_, k) => new Float64Array(200).map((_, i) => Math.sin(i + k)));
    const results = await Promise.all(dxs.map((dx) => differentiate(sol, { dx })));
    assert.equal(results.filter((r) => !r.factorReused).length, 1);
    for (const [k, r] of results.entries()) {
      const ref = differentiateSync(problem, sol, { dx: dxs[k]! });
      assert.deepEqual([...r.dq!], [...ref.dq!]);
    }
  });

  it('dispose() frees the factorization; a pass already running finishes', async () => {
    const problem = randomQp(200, 9);
    const sol = await solve(problem, { solver: 'ipopt', differentiable: true, epsAbs: 1e-10 });
    const dx = new Float64Array(200).fill(1);
    const running = differentiate(sol, { dx });
    sol.dispose!();
    const g = await running;
    assert.ok(g.dq!.every(Number.isFinite));
    assert.throws(
      () => jvpSync(sol, { dq: dx }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.DISPOSED,
    );
  });

  it('the native layer refuses a factorCache that it did not make', () => {
    const p = problem();
    const sol = solveSync(p, { solver: 'ipopt' });
    const b = binding() as unknown as { differentiateSync(...args: unknown[]): unknown };
    const native = { n: 2, m: 1, P: p.P, q: p.q, A: p.A, l: p.l, u: p.u, constant: 0 };
    for (const bad of [{}, 1, 'cache']) {
      assert.throws(
        () => b.differentiateSync(native, sol, { dx: f64([1, 0]) }, { method: 'kkt', factorCache: bad }),
        (e: unknown) => e instanceof Error && /factorCache/.test(e.message),
      );
    }
  });

  it('a disposed solution is a typed error (ERR_QP_DISPOSED)', async () => {
    const sol = solveSync(problem(), { solver: 'highs', differentiable: true });
    sol.dispose!();
    assert.equal(sol.disposed, true);
    assert.throws(
      () => differentiateSync(sol, { dx: f64([1, 0]) }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.DISPOSED && /disposed/.test(e.message),
    );
    await assert.rejects(differentiate(sol, { dx: f64([1, 0]) }), (e: unknown) => e instanceof QpError && e.code === ErrorCode.DISPOSED);
  });

  it('a solution without a handle needs the problem', () => {
    const sol = solveSync(problem(), { solver: 'highs' });
    assert.equal(sol.dispose, undefined);
    assert.throws(
      () => differentiateSync(sol as never, { dx: f64([1, 0]) } as never),
      (e: unknown) => e instanceof QpError,
    );
  });

  it('options.differentiable must be a boolean', () => {
    assert.throws(
      () => solveSync(problem(), { differentiable: 1 as unknown as boolean }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION,
    );
  });
});
