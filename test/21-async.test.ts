/** solve() runs on the libuv threadpool: concurrency, a free event loop, cancellation. */
import { strict as assert } from 'node:assert';
import { QpError } from '../lib/errors';
import { availableSolvers, solve, solveSync } from '../lib/solve';
import { readQpsSync } from '../lib/qps';
import { assertClose, chainQp, fixture } from './helpers';

describe('async solving', function () {
  this.timeout(120000);

  it('an Ipopt solve queued behind another runs with what is left of its time limit', async () => {
    // Ipopt solves one at a time (a lock; lib/queue.ts). The time limit counts from the call
    // (test/28-runtime.test.ts: one that runs out in the queue); one that outlasts the wait
    // leaves the tiny solve enough.
    const slow = readQpsSync(fixture('CVXQP1_M'));
    const t0 = performance.now();
    await solve(slow, { solver: 'ipopt' });
    const alone = (performance.now() - t0) / 1000;
    const tiny = chainQp(20, 5, 1);
    const [, queued] = await Promise.all([solve(slow, { solver: 'ipopt' }), solve(tiny, { solver: 'ipopt', timeLimit: alone * 3 })]);
    assert.equal(queued.status, 'solved', `${queued.status} (time limit ${alone * 3} s, waited for a ${alone} s solve)`);
  });

  it('many concurrent solves on several solvers agree with solveSync', async () => {
    const keys = availableSolvers()
      .map((s) => s.key)
      .filter((k) => k === 'highs' || k === 'ipopt');
    const problems = Array.from({ length: 8 }, (_, k) => chainQp(200, 50, k + 1));
    const reference = problems.map((p) => solveSync(p, { solver: 'ipopt' }));
    const results = await Promise.all(problems.flatMap((p) => keys.map((solver) => solve(p, { solver }))));
    results.forEach((sol, k) => {
      const ref = reference[Math.floor(k / keys.length)]!;
      assert.equal(sol.status, 'solved', `${sol.solver}: ${sol.status}`);
      assertClose(sol.x, ref.x, 1e-5, `x (${sol.solver})`);
    });
  });

  it('does not block the event loop while solving', async () => {
    const p = chainQp(20000, 5000, 3);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const start = process.hrtime.bigint();
    const sol = await solve(p, { solver: 'ipopt' });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    clearInterval(timer);
    assert.equal(sol.status, 'solved');
    // The timer must have fired repeatedly during a solve that took this long.
    assert.ok(ticks >= Math.min(10, Math.floor(seconds * 100)), `only ${ticks} timer ticks in ${seconds.toFixed(3)} s`);
  });

  it('an AbortSignal stops a long Ipopt solve and rejects with AbortError', async () => {
    const p = chainQp(100000, 30000, 5);
    const controller = new AbortController();
    const started = process.hrtime.bigint();
    setTimeout(() => controller.abort(), 100);
    let error: unknown;
    try {
      await solve(p, { solver: 'ipopt', signal: controller.signal });
    } catch (e) {
      error = e;
    }
    const rejectedAfter = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(error instanceof QpError && error.name === 'AbortError', String(error));
    assert.ok(rejectedAfter < 1000, `rejected after ${rejectedAfter} ms`);
    // Ipopt solves are serialised: a tiny solve right after must not wait for the whole
    // aborted one, proving the native side stopped at its next iteration.
    const next = process.hrtime.bigint();
    const small = await solve(chainQp(10, 2, 1), { solver: 'ipopt' });
    const waited = Number(process.hrtime.bigint() - next) / 1e6;
    assert.equal(small.status, 'solved');
    const full = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(waited < 5000, `the next solve waited ${waited} ms (total ${full} ms)`);
  });

  it('a time limit ends a solve with status timeLimit', async () => {
    const sol = await solve(chainQp(100000, 30000, 7), { solver: 'ipopt', timeLimit: 0.05 });
    assert.equal(sol.status, 'timeLimit', `${sol.status} (${sol.rawStatusText})`);
  });
});
