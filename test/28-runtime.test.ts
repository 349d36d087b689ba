/**
 * Locks, threads and cancellation: the binding checks the objects it is given, no cancel point
 * or exception leaves the Ipopt lock, its JS queue or a factor cache in use, and solves queued
 * for the Ipopt lock hold no libuv thread (docs/RUNTIME.md).
 */
import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { promises as fs } from 'node:fs';
import { binding } from '../lib/binding';
import { differentiate, differentiateSync } from '../lib/differentiate';
import { ErrorCode, QpError } from '../lib/errors';
import { Problem, toCanonical } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';
import { solve, solveSync } from '../lib/solve';
import { canonicalOf, generate } from './complementary-qp';
import { assertClose, chainQp, kktResiduals } from './helpers';

/** The addon's entry points as the tests call them, with arguments of any type. */
interface LooseBinding {
  solveAsync(problem: unknown, options: unknown, token?: unknown): Promise<{ status: string; x: Float64Array }>;
  createCancelToken(): object;
  cancel(token?: unknown): void;
  newFactorCache(): object;
  releaseFactorCache(cache?: unknown): void;
  differentiateSync(...args: unknown[]): { dq: Float64Array; factorReused: boolean };
  differentiateAsync(...args: unknown[]): Promise<{ dq: Float64Array; factorReused: boolean }>;
  jvpSync(...args: unknown[]): unknown;
  jvpAsync(...args: unknown[]): Promise<unknown>;
}
const native = () => binding() as unknown as LooseBinding;
/** Solves waiting for the Ipopt lane, in the whole process. */
const waitingCount = (key: string) => binding().laneWaiting(key);

/** What the addon reads for a problem (lib/solve.ts builds the same). */
function nativeProblem(p: Problem<Float64Array, CscMatrix>) {
  const c = toCanonical(p);
  return {
    n: c.n,
    m: c.m,
    P: c.P,
    q: c.q,
    A: c.A,
    l: c.l,
    u: c.u,
    constant: c.constant,
    ...(c.lb ? { lb: c.lb } : {}),
    ...(c.ub ? { ub: c.ub } : {}),
  };
}

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

const typeError = (field: string) => (e: unknown) =>
  e instanceof Error && (e as { code?: string }).code === ErrorCode.INVALID_TYPE && e.message.includes(field);
const isAbort = (e: unknown) => e instanceof QpError && e.code === ErrorCode.ABORTED;

/** A small QP, its optimum by a second solver, and a check that Ipopt (lock and queue) answers it. */
const probe = chainQp(60, 20, 11);
const probeReference = () => solveSync(probe, { solver: 'ipm', epsAbs: 1e-9, epsRel: 1e-9 });
async function assertIpoptFree(what: string): Promise<void> {
  assert.equal(waitingCount('ipopt'), 0, `${what}: solves left waiting in the Ipopt queue`);
  const sol = await solve(probe, { solver: 'ipopt' });
  assert.equal(sol.status, 'solved', `${what}: ${sol.status}`);
  assertClose(sol.x, probeReference().x, 1e-5, `${what}: x`);
}

describe('runtime: the binding checks what it is given', () => {
  const p = chainQp(10, 4, 2);

  it('cancel() takes only a cancel token (a factor cache was written over and deadlocked the next differentiate)', () => {
    const cache = native().newFactorCache();
    for (const bad of [cache, {}, undefined, 42, 'token', null]) assert.throws(() => native().cancel(bad), typeError('token'), typeof bad);
    assert.throws(() => native().cancel(), typeError('token'));
    // The cache refused above still works: a kkt pass builds into it, the next one reuses it.
    const sol = solveSync(p, { solver: 'ipm' });
    const args = [nativeProblem(p), sol, { dx: sol.x }] as const;
    const first = native().differentiateSync(...args, { factorCache: cache });
    const second = native().differentiateSync(...args, { factorCache: cache });
    assert.equal(first.factorReused, false);
    assert.equal(second.factorReused, true);
    assert.deepEqual([...second.dq], [...differentiateSync(p, sol, { dx: sol.x }).dq!]);
  });

  it('solveAsync() takes a cancel token or nothing as its third argument', async () => {
    const cache = native().newFactorCache();
    for (const bad of [cache, {}, 7, null])
      assert.throws(() => native().solveAsync(nativeProblem(p), { solver: 'ipm' }, bad), typeError('token'), typeof bad);
    const token = native().createCancelToken();
    const sol = await native().solveAsync(nativeProblem(p), { solver: 'ipm' }, token);
    assert.equal(sol.status, 'solved');
    native().cancel(token); // after completion: nothing left to stop, no error
  });

  it('releaseFactorCache() takes only a factor cache', () => {
    const token = native().createCancelToken();
    for (const bad of [token, {}, undefined, 1]) assert.throws(() => native().releaseFactorCache(bad), typeError('cache'), typeof bad);
    native().cancel(token); // the token refused above is intact
    native().releaseFactorCache(native().newFactorCache());
  });

  it('differentiate and jvp (sync and async) take only a factor cache as options.factorCache', async () => {
    const sol = solveSync(p, { solver: 'ipm' });
    const np = nativeProblem(p);
    const token = native().createCancelToken();
    for (const bad of [token, {}, 3]) {
      const options = { factorCache: bad };
      assert.throws(() => native().differentiateSync(np, sol, { dx: sol.x }, options), typeError('options.factorCache'));
      assert.throws(() => native().differentiateAsync(np, sol, { dx: sol.x }, options), typeError('options.factorCache'));
      assert.throws(() => native().jvpSync(np, sol, { dq: sol.x }, options), typeError('options.factorCache'));
      assert.throws(() => native().jvpAsync(np, sol, { dq: sol.x }, options), typeError('options.factorCache'));
    }
  });
});

describe('runtime: every cancel point leaves nothing held', function () {
  this.timeout(120000);
  const big = chainQp(30000, 8000, 5);

  afterEach(() => assert.equal(waitingCount('ipopt'), 0));

  it('before start: an aborted signal rejects at once and starts nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(solve(big, { solver: 'ipopt', signal: controller.signal }), isAbort);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    await assertIpoptFree('after an abort before start');
  });

  it('while queued for the Ipopt lock: the entry leaves the queue, the others run', async () => {
    const controller = new AbortController();
    const order: string[] = [];
    const running = solve(chainQp(10000, 3000, 6), { solver: 'ipopt' }).then((s) => (order.push('running'), s));
    const queued = solve(probe, { solver: 'ipopt', signal: controller.signal }).catch((e: unknown) => (order.push('aborted'), e));
    const after = solve(probe, { solver: 'ipopt' }).then((s) => (order.push('after'), s));
    assert.equal(waitingCount('ipopt'), 2);
    controller.abort();
    assert.ok(isAbort(await queued));
    assert.equal(waitingCount('ipopt'), 1);
    assert.equal((await running).status, 'solved');
    assert.equal((await after).status, 'solved');
    assert.deepEqual(order, ['aborted', 'running', 'after']);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('during setup and during the iterations: the lock is released for the next solve', async () => {
    // The setup of ipm (ordering, symbolic factorisation) and Ipopt's iterations; an abort
    // at 0 ms lands before or in the setup, one at a fraction of a solve in the iterations.
    const alone = solveSync(big, { solver: 'ipm' });
    for (const [solver, delay] of [
      ['ipm', 0],
      ['ipopt', 0],
      ['ipm', (alone.setupTime * 1000) / 2],
      ['ipopt', 300],
    ] as const) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), delay);
      await assert.rejects(solve(big, { solver, signal: controller.signal }), isAbort, `${solver} at ${delay} ms`);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
      await assertIpoptFree(`after aborting ${solver} at ${delay} ms`);
    }
  });

  it('during the polish: the answer is dropped, a differentiable solve on the same data still works', async () => {
    const plain = solveSync(big, { solver: 'ipm', polish: false });
    const polished = solveSync(big, { solver: 'ipm', polish: true });
    const polishMs = Math.max(1, (polished.setupTime + polished.solveTime - plain.setupTime - plain.solveTime) * 1000);
    // The abort is aimed at the middle of the polish; on a loaded machine the solve may end
    // first (then it resolves): the aim moves earlier until an abort lands.
    let delay = (plain.setupTime + plain.solveTime) * 1000 + polishMs / 2;
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), delay);
      const outcome = await solve(big, { solver: 'ipm', polish: true, differentiable: true, signal: controller.signal }).then(
        (s) => {
          s.dispose!();
          return 'resolved';
        },
        (e: unknown) => {
          assert.ok(isAbort(e), String(e));
          return 'aborted';
        },
      );
      if (outcome === 'aborted') break;
      assert.ok(attempt < 8, 'no abort landed before the solve ended');
      delay /= 2;
    }
    const sol = await solve(big, { solver: 'ipm', polish: true, differentiable: true });
    const g = await differentiate(sol, { dx: sol.x });
    assert.deepEqual([...g.dq!], [...differentiateSync(big, sol, { dx: sol.x }).dq!]);
    sol.dispose!();
    await assertIpoptFree('after aborting a polish');
  });

  it('during a differentiate with a factor cache: dispose and a refused cancel() leave the pass and the cache sound', async () => {
    const problem = randomQp(1000, 3);
    const sol = await solve(problem, { solver: 'ipm', epsAbs: 1e-9, differentiable: true, polish: false });
    const dx = new Float64Array(1000).map((_, i) => Math.sin(i));
    const reference = differentiateSync(problem, sol, { dx });
    const cache = native().newFactorCache();
    const np = nativeProblem(problem);
    const running = native().differentiateAsync(np, sol, { dx }, { factorCache: cache });
    assert.throws(() => native().cancel(cache), typeError('token'));
    native().releaseFactorCache(cache); // what dispose() does; the running pass keeps its factor
    const g = await running;
    assert.deepEqual([...g.dq], [...reference.dq!]);
    // The cache is usable again: the next pass builds, the one after reuses.
    const again = await native().differentiateAsync(np, sol, { dx }, { factorCache: cache });
    const reused = await native().differentiateAsync(np, sol, { dx }, { factorCache: cache });
    assert.equal(reused.factorReused, true);
    assert.deepEqual([...again.dq], [...reference.dq!]);
    assert.deepEqual([...reused.dq], [...reference.dq!]);
    // The same through the Solution's own handle.
    const viaHandle = differentiate(sol, { dx });
    sol.dispose!();
    assert.deepEqual([...(await viaHandle).dq!], [...reference.dq!]);
  });

  it('after completion: an abort changes nothing and leaves no listener', async () => {
    const controller = new AbortController();
    const sol = await solve(probe, { solver: 'ipopt', signal: controller.signal });
    controller.abort();
    assert.equal(sol.status, 'solved');
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    await assertIpoptFree('after an abort after completion');
  });

  it('an exception inside the Ipopt lock releases it and the queue', async () => {
    const bad = solve(probe, { solver: 'ipopt', solverOptions: { no_such_ipopt_option: 1 } });
    const next = solve(probe, { solver: 'ipopt' });
    await assert.rejects(bad, (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION);
    assert.equal((await next).status, 'solved');
    await assertIpoptFree('after an exception under the lock');
  });
});

describe('runtime: solves queued for the Ipopt lock hold no libuv thread', function () {
  this.timeout(120000);

  it('8 queued Ipopt solves: an fs.readFile and an admm solve finish before the second Ipopt solve', async () => {
    const problems = Array.from({ length: 8 }, (_, k) => chainQp(4000, 1000, 20 + k));
    const order: string[] = [];
    const ipopt = problems.map((p, k) => solve(p, { solver: 'ipopt' }).then((s) => (order.push(`ipopt${k}`), s)));
    // Without the JS queue the 4 threads of the pool hold Ipopt solves (one running, three
    // waiting for the lock) and the read and the admm solve start only after the 5th.
    const read = fs.readFile(__filename).then((b) => (order.push('readFile'), b));
    const small = chainQp(200, 50, 3);
    const admm = solve(small, { solver: 'admm' }).then((s) => (order.push('admm'), s));
    const [sols, text, admmSol] = await Promise.all([Promise.all(ipopt), read, admm]);
    assert.ok(text.length > 0);
    assert.equal(admmSol.status, 'solved');
    assertClose(admmSol.x, solveSync(small, { solver: 'ipm' }).x, 1e-3, 'admm x');
    for (const [k, s] of sols.entries()) {
      assert.equal(s.status, 'solved', `ipopt${k}`);
      assert.ok(Math.max(...Object.values(kktResiduals(s, problems[k]!))) < 1e-5, `ipopt${k}: residuals`);
    }
    const secondIpopt = order.indexOf('ipopt1');
    assert.ok(order.indexOf('readFile') < secondIpopt && order.indexOf('admm') < secondIpopt, order.join(' '));
    // First come, first served.
    assert.deepEqual(
      order.filter((e) => e.startsWith('ipopt')),
      problems.map((_, k) => `ipopt${k}`),
    );
  });

  it('a time limit counts from the call: one that runs out in the queue resolves with timeLimit at once', async () => {
    const slow = chainQp(30000, 8000, 9);
    const order: string[] = [];
    const running = solve(slow, { solver: 'ipopt' }).then((s) => (order.push('running'), s));
    const x0 = new Float64Array(probe.q.length).fill(0.25);
    const queued = await solve(probe, { solver: 'ipopt', timeLimit: 0.05, x0 }).then((s) => (order.push('queued'), s));
    assert.equal(queued.status, 'timeLimit');
    assert.equal(queued.iterations, 0);
    assert.deepEqual([...queued.x], [...x0]);
    // Measured like any answer: the residuals recomputed here from the data.
    const r = kktResiduals(queued, probe);
    assert.ok(Math.abs(queued.primalResidual - r.rp) <= 1e-12 * Math.max(1, r.rp), `${queued.primalResidual} vs ${r.rp}`);
    assert.equal((await running).status, 'solved');
    assert.deepEqual(order, ['queued', 'running']);
  });
});
