/**
 * polish: Newton steps on the reduced KKT system fix HiGHS's regularised QP duals; a
 * differentiable solve hands the factorization of K to the backward pass.
 */
import { strict as assert } from 'node:assert';
import { readQpsSync } from '../lib/qps';
import { CscMatrix } from '../lib/sparse';
import { solve, solveSync } from '../lib/solve';
import { differentiate, differentiateSync } from '../lib/differentiate';
import { fixture } from './helpers';

describe('polish', () => {
  for (const name of ['QAFIRO', 'HS118', 'PRIMALC1']) {
    it(`${name}: HiGHS's residuals drop to ≤ 1e-9, objective matches Ipopt's to 1e-7`, async () => {
      const p = readQpsSync(fixture(name));
      const plain = await solve(p, { solver: 'highs' });
      const polished = await solve(p, { solver: 'highs', polish: true });
      assert.ok(polished.polish, 'no polish report');
      const [rp0, rd0, rg0] = polished.polish!.before;
      assert.equal(rp0, plain.primalResidual);
      assert.equal(rd0, plain.dualResidual);
      assert.equal(rg0, plain.dualityGap);
      assert.ok(Math.max(rd0, rg0) > 1e-6, `${name} was already accurate: ${rd0} ${rg0}`);
      assert.equal(polished.polish!.applied, true);
      assert.equal(polished.status, 'solved');
      assert.ok(Math.max(polished.primalResidual, polished.dualResidual, polished.dualityGap) <= 1e-9, `after: ${polished.polish!.after}`);
      // x need not be unique (P singular on these): the objective is, and Ipopt agrees.
      const ref = await solve(p, { solver: 'ipopt' });
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
      // (HiGHS's own objective can be off by ~1e-6: its 1e-7 Hessian regularisation.)
      assert.ok(rel(polished.objective, ref.objective) <= 1e-7, `${polished.objective} vs ipopt ${ref.objective}`);
    });
  }

  for (const name of ['HS118', 'PRIMALC1']) {
    it(`${name}: the polish's factorization of K serves the first backward pass, with the same gradient`, async () => {
      const p = readQpsSync(fixture(name));
      const sol = await solve(p, { solver: 'highs', polish: true, differentiable: true });
      assert.equal(sol.polish!.applied, true);
      const dx = new Float64Array(sol.x.length).map((_, i) => Math.cos(i));
      const viaPolish = await differentiate(sol, { dx });
      assert.equal(viaPolish.factorReused, true);
      assert.equal(viaPolish.factorTime, 0);
      const fresh = differentiateSync(p, sol, { dx });
      assert.equal(fresh.factorReused, false);
      for (const k of ['dq', 'dA', 'dl', 'du', 'dlb', 'dub'] as const) {
        if (fresh[k]) assert.deepEqual([...viaPolish[k]!], [...fresh[k]!], k);
      }
    });
  }

  it('leaves an accurate solution as it is when Newton steps cannot improve it, and reports it', () => {
    const p = readQpsSync(fixture('HS21'));
    const sol = solveSync(p, { solver: 'ipopt', polish: true });
    assert.ok(sol.polish);
    assert.ok(sol.polish!.after.every((v, k) => v <= sol.polish!.before[k]! || v <= 1e-12));
  });

  it('is not run on an infeasible problem', () => {
    const sol = solveSync(
      {
        q: Float64Array.of(1, 1),
        A: CscMatrix.fromDense([[1, 1]]),
        l: Float64Array.of(-Infinity),
        u: Float64Array.of(-1),
        lb: Float64Array.of(0, 0),
      },
      { solver: 'highs', polish: true },
    );
    assert.equal(sol.status, 'primalInfeasible');
    assert.equal(sol.polish, undefined);
  });
});
