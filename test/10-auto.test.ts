/** solver 'auto': the order follows the problem's structure, and it falls back on failure. */
import { strict as assert } from 'node:assert';
import { availableSolvers, solve, solveSync } from '../lib/solve';
import * as path from 'node:path';
import { readQpsSync } from '../lib/qps';
import { assertClose, dense, denseLower, f64, mmDir } from './helpers';

const lp = { q: f64([-1, -1]), A: dense([[1, 2], [3, 1]]), l: f64([-Infinity, -Infinity]), u: f64([4, 6]), lb: f64([0, 0]) };
const qp = { P: denseLower([[1, 0], [0, 1]]), q: f64([-1, -1]), A: dense([[1, 1]]), l: f64([-Infinity]), u: f64([1]) };

describe("solver 'auto'", () => {
  const keys = availableSolvers().map((s) => s.key);

  it('answers an LP with highs first', async () => {
    const sol = await solve(lp, { solver: 'auto' });
    assert.equal(sol.status, 'solved');
    assert.equal(sol.solver, 'highs');
    assert.deepEqual(sol.attempts!.map((a) => a.solver), ['highs']);
    assertClose(sol.x, [1.6, 1.2], 1e-8, 'x');
  });

  it('answers a QP with ipopt first', () => {
    const sol = solveSync(qp, { solver: 'auto' });
    assert.equal(sol.status, 'solved');
    assert.equal(sol.solver, 'ipopt');
    assertClose(sol.x, [0.5, 0.5], 1e-7, 'x');
  });

  it('answers a nearly linear QP (P on 1 of 10 variables) with clp first', () => {
    const n = 10;
    const P = denseLower(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === 0 && j === 0 ? 2 : 0))));
    const sol = solveSync({ P, q: f64(Array.from({ length: n }, () => -1)), A: dense([Array.from({ length: n }, () => 1)]), l: f64([-Infinity]), u: f64([4]), lb: new Float64Array(n), ub: new Float64Array(n).fill(1) }, { solver: 'auto' });
    assert.equal(sol.status, 'solved');
    assert.equal(sol.attempts![0]!.solver, keys.includes('clp') ? 'clp' : 'ipopt');
    assert.ok(Math.abs(sol.objective - -4) < 1e-7, String(sol.objective));  // four linear variables at 1 beat x0 (marginal 1 − 2x0 < 1)
  });

  it('tries every solver when none succeeds, and returns the best answer with all attempts', async () => {
    // One iteration is not enough for any solver on this QP.
    const sol = await solve(qp, { solver: 'auto', maxIter: 0 });
    const tried = sol.attempts!.map((a) => a.solver);
    assert.ok(tried.length >= 2 && tried.every((k) => keys.includes(k)), String(tried));
    assert.equal(new Set(tried).size, tried.length);
    if (sol.status !== 'solved') assert.equal(tried.length, keys.filter((k) => ['highs', 'ipopt', 'clp', 'admm'].includes(k)).length);
  });

  it('shares one time budget among its attempts', async () => {
    // maxIter 0 fails every solver; a budget of 1 µs is spent by the first attempt.
    const sol = await solve(qp, { solver: 'auto', maxIter: 0, timeLimit: 1e-6 });
    assert.equal(sol.attempts!.length, 1);
  });

  it('polishes each attempt unless told not to', () => {
    assert.ok(solveSync(qp, { solver: 'auto' }).polish, 'polish info on the answer');
    assert.equal(solveSync(qp, { solver: 'auto', polish: false }).polish, undefined);
  });

  it("accepts an answer that meets the residual test though the solver calls it inaccurate (CVXQP3_M)", async () => {
    const p = readQpsSync(path.join(mmDir, 'CVXQP3_M.QPS.gz'));
    const alone = await solve(p, { solver: 'ipopt', epsAbs: 1e-6, epsRel: 0 });
    const auto = await solve(p, { solver: 'auto', epsAbs: 1e-6, epsRel: 0 });
    const worst = (s: typeof auto) => Math.max(s.primalResidual, s.dualResidual, s.dualityGap);
    if (alone.status === 'solvedInaccurate' && worst(alone) <= 1e-6) {
      assert.deepEqual(auto.attempts!.map((a) => a.solver), ['ipopt'], 'no fallback after a passing answer');
    }
    assert.ok(worst(auto) <= 1e-6, `auto residuals ${worst(auto)}`);
  });
});
