/** solve({ differentiable: true }) keeps the problem on the Solution; dispose() drops it. */
import { strict as assert } from 'node:assert';
import { differentiate, differentiateSync } from '../lib/differentiate';
import { ErrorCode, QpError } from '../lib/errors';
import { solve, solveSync } from '../lib/solve';
import { dense, denseLower, f64 } from './helpers';

const problem = () => ({
  P: denseLower([[1, 0], [0, 1]]),
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

  it('a disposed solution is a typed error (ERR_QP_DISPOSED)', async () => {
    const sol = solveSync(problem(), { solver: 'highs', differentiable: true });
    sol.dispose!();
    assert.equal(sol.disposed, true);
    assert.throws(() => differentiateSync(sol, { dx: f64([1, 0]) }), (e: unknown) => e instanceof QpError && e.code === ErrorCode.DISPOSED && /disposed/.test(e.message));
    await assert.rejects(differentiate(sol, { dx: f64([1, 0]) }), (e: unknown) => e instanceof QpError && e.code === ErrorCode.DISPOSED);
  });

  it('a solution without a handle needs the problem', () => {
    const sol = solveSync(problem(), { solver: 'highs' });
    assert.equal(sol.dispose, undefined);
    assert.throws(() => differentiateSync(sol as never, { dx: f64([1, 0]) } as never), (e: unknown) => e instanceof QpError);
  });

  it('options.differentiable must be a boolean', () => {
    assert.throws(() => solveSync(problem(), { differentiable: 1 as unknown as boolean }), (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION);
  });
});
