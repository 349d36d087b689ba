/** solver 'auto': the order follows the problem's structure, and it falls back on failure. */
import { strict as assert } from 'node:assert';
import { autoOrder, IPOPT_LIMITED_SIZE } from '../lib/auto';
import { CscMatrix } from '../lib/sparse';
import { toCanonical } from '../lib/problem';
import { availableSolvers, solve, solveSync } from '../lib/solve';
import { readQpsSync } from '../lib/qps';
import { assertClose, dense, denseLower, f64, fixture } from './helpers';

const lp = {
  q: f64([-1, -1]),
  A: dense([
    [1, 2],
    [3, 1],
  ]),
  l: f64([-Infinity, -Infinity]),
  u: f64([4, 6]),
  lb: f64([0, 0]),
};
const qp = {
  P: denseLower([
    [1, 0],
    [0, 1],
  ]),
  q: f64([-1, -1]),
  A: dense([[1, 1]]),
  l: f64([-Infinity]),
  u: f64([1]),
};

describe("solver 'auto'", () => {
  const keys = availableSolvers().map((s) => s.key);

  it('answers an LP with ipm first (polished onto the vertex)', async () => {
    const sol = await solve(lp, { solver: 'auto' });
    assert.equal(sol.status, 'solved');
    assert.equal(sol.solver, 'ipm');
    assert.deepEqual(
      sol.attempts!.map((a) => a.solver),
      ['ipm'],
    );
    assertClose(sol.x, [1.6, 1.2], 1e-8, 'x');
  });

  it('is the default solver', () => {
    const sol = solveSync(qp);
    assert.equal(sol.solver, 'ipm');
    assert.deepEqual(
      sol.attempts!.map((a) => a.solver),
      ['ipm'],
    );
    assertClose(sol.x, [0.5, 0.5], 1e-7, 'x');
  });

  it('orders the fallbacks by structure: LP, or QP (never Clp for a QP, nearly linear or not)', () => {
    const all = availableSolvers().map((s) => ({
      ...s,
      honours: { timeLimit: { lp: true, qp: true }, cancellation: { lp: true, qp: true } },
    }));
    const n = 10;
    const nearlyLinear = toCanonical({
      P: denseLower(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === 0 && j === 0 ? 2 : 0)))),
      q: new Float64Array(n),
    });
    const expect = (order: string[]) => order.filter((k) => keys.includes(k));
    assert.deepEqual(autoOrder(toCanonical(lp), all), expect(['ipm', 'highs', 'clp', 'ipopt', 'admm']));
    assert.deepEqual(autoOrder(nearlyLinear, all), expect(['ipm', 'ipopt', 'admm', 'highs']));
    assert.deepEqual(autoOrder(toCanonical(qp), all), expect(['ipm', 'ipopt', 'admm', 'highs']));
  });

  it('skips solvers that cannot stop at a time limit or be cancelled on this class of problem', () => {
    const info = availableSolvers();
    const honours = (key: string, what: 'timeLimit' | 'cancellation', cls: 'lp' | 'qp') =>
      info.find((s) => s.key === key)!.honours[what][cls];
    const qpOrder = autoOrder(toCanonical(qp), info, { timeLimit: 10 });
    // Clp honours both on QPs (a child process it kills) but is never in a QP order (rule 2).
    for (const k of keys) assert.equal(qpOrder.includes(k), honours(k, 'timeLimit', 'qp') && k !== 'clp', `${k} with a time limit on a QP`);
    const lpOrder = autoOrder(toCanonical(lp), info, { cancellable: true });
    for (const k of keys) assert.equal(lpOrder.includes(k), honours(k, 'cancellation', 'lp'), `${k} with a signal on an LP`);
    // HiGHS's QP solver polls nothing: never started under a time limit.
    if (keys.includes('highs')) assert.equal(honours('highs', 'timeLimit', 'qp'), false);
    assert.deepEqual(autoOrder(toCanonical(qp), info, { timeLimit: Infinity }), autoOrder(toCanonical(qp), info));
  });

  it('does not start Ipopt on a problem of n + m ≥ 10⁵ under a finite time limit', () => {
    const info = availableSolvers();
    if (!info.some((s) => s.key === 'ipopt')) return;
    const n = IPOPT_LIMITED_SIZE;
    const big = toCanonical({ P: CscMatrix.identity(n), q: new Float64Array(n) });
    assert.ok(autoOrder(big, info).includes('ipopt'), 'without a time limit');
    assert.ok(!autoOrder(big, info, { timeLimit: 60 }).includes('ipopt'), 'with a time limit');
    const small = toCanonical({ P: CscMatrix.identity(n - 1), q: new Float64Array(n - 1) });
    assert.ok(autoOrder(small, info, { timeLimit: 60 }).includes('ipopt'), 'below the size');
  });

  it('tries every usable solver when none succeeds, and returns the best answer with all attempts', async () => {
    // No iteration at all: every solver stops at its iteration limit.
    const sol = await solve(qp, { solver: 'auto', maxIter: 0 });
    const tried = sol.attempts!.map((a) => a.solver);
    assert.deepEqual(tried, autoOrder(toCanonical(qp), availableSolvers()));
    assert.notEqual(sol.status, 'solved');
    const timed = await solve(qp, { solver: 'auto', maxIter: 0, timeLimit: 100 });
    assert.ok(!timed.attempts!.some((a) => a.solver === 'highs' || a.solver === 'clp'), String(timed.attempts!.map((a) => a.solver)));
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

  it('accepts an answer that meets the residual test though the solver calls it inaccurate (CVXQP3_M)', async () => {
    const p = readQpsSync(fixture('CVXQP3_M'));
    const first = autoOrder(toCanonical(p), availableSolvers())[0]!;
    const alone = await solve(p, { solver: first, epsAbs: 1e-6, epsRel: 0 });
    const auto = await solve(p, { solver: 'auto', epsAbs: 1e-6, epsRel: 0 });
    const worst = (s: typeof auto) => Math.max(s.primalResidual, s.dualResidual, s.dualityGap);
    if ((alone.status === 'solvedInaccurate' || alone.status === 'solved') && worst(alone) <= 1e-6) {
      assert.deepEqual(
        auto.attempts!.map((a) => a.solver),
        [first],
        'no fallback after a passing answer',
      );
    }
    assert.ok(worst(auto) <= 1e-6, `auto residuals ${worst(auto)}`);
  });
});
