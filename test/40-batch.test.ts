/**
 * solveBatch / solveBatchSync: the answers of one native call over a thread pool are the bits
 * of one-by-one solveSync calls (x, y, z, status, objective, certificates), in order, for any
 * thread count; a bad problem is named by its index; an abort rejects the whole batch.
 * differentiateBatch's gradients are the bits of one-by-one differentiateSync calls.
 */
import { strict as assert } from 'node:assert';
import { differentiateBatch, differentiateBatchSync, solveBatch, solveBatchSync } from '../lib/batch';
import { binding } from '../lib/binding';
import { differentiateSync, Gradients } from '../lib/differentiate';
import { ErrorCode, QpError } from '../lib/errors';
import { CanonicalProblem } from '../lib/problem';
import { nativeProblem, Solution, solveSync } from '../lib/solve';
import { toCanonical } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';
import { checkDualCertificate, checkPrimalCertificate } from './certificates';
import { chainQp, rng } from './helpers';

type Qp = CanonicalProblem<Float64Array, CscMatrix>;

/** A random strictly convex QP, n ≤ 12, feasible (l ≤ A·x0 ≤ u for a random x0). */
function randomQp(seed: number): Qp {
  const r = rng(seed);
  const n = 2 + Math.floor(r() * 11);
  const m = 1 + Math.floor(r() * 8);
  const M = Array.from({ length: n }, () => Array.from({ length: n }, () => r() - 0.5));
  const P = M.map((row, i) => M.map((other, j) => row.reduce((s, v, k) => s + v * other[k]!, 0) + (i === j ? 0.1 : 0)));
  const A = Array.from({ length: m }, () => Array.from({ length: n }, () => (r() < 0.6 ? r() - 0.5 : 0)));
  const x0 = Array.from({ length: n }, () => r() - 0.5);
  const Ax0 = A.map((row) => row.reduce((s, v, j) => s + v * x0[j]!, 0));
  return {
    P: CscMatrix.fromDense(P, { triangle: 'lower' }),
    q: Float64Array.from({ length: n }, () => 4 * (r() - 0.5)),
    A: CscMatrix.fromDense(A, { ncols: n }),
    l: Float64Array.from(Ax0, (v) => (r() < 0.3 ? -Infinity : v - r())),
    u: Float64Array.from(Ax0, (v) => (r() < 0.3 ? Infinity : v + r() * 0.2)),
    lb: Float64Array.from({ length: n }, () => -1),
    ub: Float64Array.from({ length: n }, () => 1),
  };
}

/** x₀ ≥ 1 and x₀ ≤ 0: no x satisfies both. */
function infeasibleQp(): Qp {
  return {
    P: CscMatrix.identity(2),
    q: new Float64Array([1, 1]),
    A: CscMatrix.fromDense([
      [1, 0],
      [1, 0],
    ]),
    l: new Float64Array([1, -Infinity]),
    u: new Float64Array([Infinity, 0]),
  };
}

/** P = 0 and q₁ < 0 with x₁ free above: the objective goes to −∞ along e₁. */
function unboundedQp(): Qp {
  return {
    P: CscMatrix.zeros(2, 2),
    q: new Float64Array([1, -1]),
    A: CscMatrix.fromDense([[1, 0]]),
    l: new Float64Array([0]),
    u: new Float64Array([1]),
  };
}

function assertSameBits(a: Solution, b: Solution, what: string): void {
  assert.equal(a.status, b.status, `${what}: status`);
  assert.ok(Object.is(a.objective, b.objective), `${what}: objective ${a.objective} vs ${b.objective}`);
  assert.equal(a.iterations, b.iterations, `${what}: iterations`);
  for (const key of ['x', 'y', 'z', 'certificate'] as const) {
    const u = a[key];
    const v = b[key];
    assert.equal(u === undefined, v === undefined, `${what}: ${key} present in one only`);
    if (u && v)
      assert.deepEqual(
        Buffer.from(u.buffer, u.byteOffset, u.byteLength),
        Buffer.from(v.buffer, v.byteOffset, v.byteLength),
        `${what}: ${key} bits`,
      );
  }
}

describe('solveBatch', function () {
  this.timeout(120000);
  const problems = [...Array.from({ length: 64 }, (_, k) => randomQp(k + 1)), infeasibleQp(), unboundedQp()];

  for (const solver of ['ipm', 'admm']) {
    it(`${solver}: 64 random QPs and an infeasible and an unbounded one give the bits of solveSync, with 1 and 2 threads, sync and async`, async () => {
      const reference = problems.map((p) => solveSync(p, { solver }));
      // The data are sound: most solved, and the two special ones carry checked certificates.
      assert.ok(reference.slice(0, 64).filter((s) => s.status === 'solved').length >= 60, 'most random QPs solved');
      checkPrimalCertificate(problems[64]!, reference[64]!);
      checkDualCertificate(problems[65]!, reference[65]!);
      const runs: Array<[string, Solution[]]> = [
        ['sync, 1 thread', solveBatchSync(problems, { solver, threads: 1 })],
        ['sync, 2 threads', solveBatchSync(problems, { solver, threads: 2 })],
        ['async, 2 threads', await solveBatch(problems, { solver, threads: 2 })],
        ['async, default threads', await solveBatch(problems, { solver })],
      ];
      for (const [what, sols] of runs) {
        assert.equal(sols.length, problems.length, what);
        sols.forEach((s, k) => assertSameBits(s, reference[k]!, `${what}, problem ${k}`));
      }
    });
  }

  it('ipm: problems sharing one pattern (new q, A values, P values, sides; infeasible and non-convex ones between) give the bits of solveSync, each thread reusing its analysis', async () => {
    // One structure, 48 variants: what a training loop sends. The kept workspace of a thread
    // (batch_addon.cpp, KeptIpm) must give what a fresh setup gives, bit for bit.
    const base = randomQp(7);
    const r = rng(99);
    const variants: Qp[] = Array.from({ length: 48 }, (_, k) => {
      const q = Float64Array.from(base.q, (v) => v + (r() - 0.5));
      const v: Qp = { ...base, q };
      if (k % 4 === 1)
        v.A = new CscMatrix(
          base.A!.nrows,
          base.A!.ncols,
          base.A!.colPtr,
          base.A!.rowIdx,
          Float64Array.from(base.A!.values, (a) => a * (0.8 + 0.4 * r())),
        );
      if (k % 6 === 2)
        v.P = new CscMatrix(
          base.P!.nrows,
          base.P!.ncols,
          base.P!.colPtr,
          base.P!.rowIdx,
          Float64Array.from(base.P!.values, (a) => a * 1.5),
          'lower',
        );
      if (k % 5 === 3) v.ub = Float64Array.from(base.ub!, (b) => b + r());
      if (k === 20) {
        // row 0 pinned far beyond what the box allows: infeasible, and a change of structure (an equality)
        v.l = Float64Array.from(base.l!, (b, i) => (i === 0 ? 1e3 : b));
        v.u = Float64Array.from(base.u!, (b, i) => (i === 0 ? 1e3 : b));
      }
      if (k === 30)
        v.P = new CscMatrix(
          base.P!.nrows,
          base.P!.ncols,
          base.P!.colPtr,
          base.P!.rowIdx,
          Float64Array.from(base.P!.values, (a) => a),
          'lower',
        );
      return v;
    });
    const reference = variants.map((p) => solveSync(p, { solver: 'ipm' }));
    assert.ok(reference.filter((s) => s.status === 'solved').length >= 40, 'most variants solved');
    for (const [what, sols] of [
      ['sync, 1 thread', solveBatchSync(variants, { solver: 'ipm', threads: 1 })],
      ['sync, 2 threads', solveBatchSync(variants, { solver: 'ipm', threads: 2 })],
      ['async, 2 threads', await solveBatch(variants, { solver: 'ipm', threads: 2 })],
    ] as const) {
      sols.forEach((s, k) => assertSameBits(s, reference[k]!, `${what}, variant ${k}`));
    }
    // A non-convex P among them fails the batch at its index, as it fails solveSync.
    const bad = variants.slice(0, 5);
    bad[3] = {
      ...base,
      P: new CscMatrix(
        base.P!.nrows,
        base.P!.ncols,
        base.P!.colPtr,
        base.P!.rowIdx,
        Float64Array.from(base.P!.values, (a) => -a),
        'lower',
      ),
    };
    assert.throws(
      () => solveSync(bad[3]!, { solver: 'ipm' }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.NOT_CONVEX,
    );
    assert.throws(
      () => solveBatchSync(bad, { solver: 'ipm', threads: 1 }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.NOT_CONVEX && /^problems\[3\]/.test(e.message),
    );
  });

  it('polish and tolerances pass through: the same bits as solveSync with the same options', () => {
    const options = { solver: 'ipm', polish: true, epsAbs: 1e-9, epsRel: 1e-9 };
    const sols = solveBatchSync(problems.slice(0, 16), { ...options, threads: 2 });
    sols.forEach((s, k) => {
      const ref = solveSync(problems[k]!, options);
      assertSameBits(s, ref, `problem ${k}`);
      assert.deepEqual(s.polish, ref.polish);
    });
  });

  it('gradients through the batch path equal the one-by-one gradients', async () => {
    const batch = problems.slice(0, 16);
    const sols = await solveBatch(batch, { solver: 'ipm', differentiable: true, threads: 2 });
    batch.forEach((p, k) => {
      const dx = Float64Array.from(p.q, (_, j) => Math.sin(j + k));
      const ref = solveSync(p, { solver: 'ipm', differentiable: true });
      const g = differentiateSync(sols[k]!, { dx });
      const h = differentiateSync(ref, { dx });
      for (const name of ['dP', 'dq', 'dA', 'dl', 'du', 'dlb', 'dub'] as const) {
        assert.ok(h[name], `problem ${k}: ${name} computed`);
        assert.deepEqual(g[name], h[name], `problem ${k}: ${name}`);
      }
      sols[k]!.dispose();
      ref.dispose();
    });
  });

  it('an invalid problem at index k is a QpError naming problems[k] and its field', async () => {
    const bad = problems.slice(0, 8).map((p) => ({ ...p }));
    bad[5] = { ...bad[5]!, q: Float64Array.from(bad[5]!.q, (v, j) => (j === 1 ? NaN : v)) };
    for (const run of [() => solveBatchSync(bad, { solver: 'ipm' }), () => solveBatch(bad, { solver: 'ipm' })]) {
      await assert.rejects(
        async () => run(),
        (e: unknown) =>
          e instanceof QpError &&
          e.code === ErrorCode.NOT_FINITE &&
          e.field === 'problems[5].q' &&
          e.index === 1 &&
          e.message.startsWith('problems[5]: '),
      );
    }
    // Found by the native solve (not convex): the same naming, from C++.
    const nonconvex = problems.slice(0, 4).map((p) => ({ ...p }));
    nonconvex[2] = { ...nonconvex[2]!, P: CscMatrix.identity(nonconvex[2]!.q.length, -1) };
    assert.throws(
      () => solveBatchSync(nonconvex, { solver: 'ipm' }),
      (e: unknown) =>
        e instanceof QpError &&
        e.code === ErrorCode.NOT_CONVEX &&
        e.field?.startsWith('problems[2]') === true &&
        e.message.startsWith('problems[2]: '),
    );
  });

  it('options: auto, a serialised solver, warm starts and bad thread counts are typed errors naming the option', () => {
    const few = problems.slice(0, 3);
    const check = (options: object, field: string) =>
      assert.throws(
        () => solveBatchSync(few, options),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION && e.field === field,
        JSON.stringify(options),
      );
    check({}, 'options.solver');
    check({ solver: 'auto' }, 'options.solver');
    check({ solver: 'ipopt' }, 'options.solver');
    check({ solver: 'ipm', x0: new Float64Array(2) }, 'options.x0');
    for (const threads of [0, 1.5, -1, NaN, 1025, '2']) check({ solver: 'ipm', threads }, 'options.threads');
    assert.deepEqual(solveBatchSync([], { solver: 'ipm' }), []);
  });

  it('an abort mid-batch rejects with ERR_QP_ABORTED', async () => {
    // Eight solves of about 0.1 s each on ipm: the abort at 50 ms lands while they run.
    const big = Array.from({ length: 8 }, (_, k) => chainQp(20000, 5000, k + 1));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      solveBatch(big, { solver: 'ipm', threads: 2, signal: controller.signal }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.ABORTED && e.name === 'AbortError',
    );
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(
      solveBatch(big, { solver: 'ipm', signal: aborted.signal }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.ABORTED,
    );
  });

  it('the binding: solveBatchAsync takes a cancel token or nothing, solveBatch* a solver key per problem', async () => {
    const native = binding() as ReturnType<typeof binding> & { newFactorCache(): object };
    const one = [nativeProblem(toCanonical(problems[0]!))];
    const isType = (field: string) => (e: unknown) =>
      (e as { code?: string }).code === ErrorCode.INVALID_TYPE && (e as { field?: string }).field === field;
    for (const bad of [native.newFactorCache(), {}, 7, null]) {
      assert.throws(() => native.solveBatchAsync(one, [{ solver: 'ipm' }], 1, bad as never), isType('token'), typeof bad);
    }
    const [sol] = await native.solveBatchAsync(one, [{ solver: 'ipm' }], 1, native.createCancelToken());
    assert.equal(sol!.status, 'solved');
    assert.throws(
      () => native.solveBatchSync(one, [], 1),
      (e: unknown) => (e as { code?: string }).code === ErrorCode.DIMENSION_MISMATCH,
    );
    assert.throws(
      () => native.solveBatchSync(one, [{ solver: 'ipopt' }], 1),
      (e: unknown) => (e as { code?: string }).code === ErrorCode.INVALID_OPTION,
    );
    assert.throws(
      () => native.solveBatchSync(one, [{ solver: 'nope' }], 1),
      (e: unknown) => (e as { code?: string }).code === ErrorCode.SOLVER_UNAVAILABLE,
    );
  });

  describe('differentiateBatch', () => {
    const names = ['dP', 'dq', 'dA', 'dl', 'du', 'dlb', 'dub'] as const;
    const batch = problems.slice(0, 24);
    const seedsOf = (k: number) => ({
      dx: Float64Array.from(batch[k]!.q, (_, j) => Math.cos(3 * j + k)),
      dy: Float64Array.from(batch[k]!.l!, (_, i) => 0.1 * (i - k)),
    });

    for (const method of ['kkt', 'full', 'penalty', 'qp'] as const) {
      it(`${method}: the gradients of a batch are the bits of differentiateSync, 1 and 2 threads, sync and async`, async () => {
        const sols = solveBatchSync(batch, { solver: 'ipm', differentiable: true, threads: 2 });
        const solved = sols.filter((s) => s.status === 'solved').length;
        assert.ok(solved >= 22, `${solved} of 24 solved`);
        const usable = sols.map((s, k) => ({ s, k })).filter(({ s }) => s.status === 'solved');
        const seeds = usable.map(({ k }) => seedsOf(k));
        const reference = usable.map(({ s }, i) => differentiateSync(s, seeds[i]!, { method }));
        const runs: Array<[string, Gradients[]]> = [
          [
            'sync, 1 thread',
            differentiateBatchSync(
              usable.map(({ s }) => s),
              seeds,
              { method, threads: 1 },
            ),
          ],
          [
            'sync, 2 threads',
            differentiateBatchSync(
              usable.map(({ s }) => s),
              seeds,
              { method, threads: 2 },
            ),
          ],
          [
            'async, default threads',
            await differentiateBatch(
              usable.map(({ s }) => s),
              seeds,
              { method },
            ),
          ],
        ];
        for (const [what, grads] of runs) {
          assert.equal(grads.length, usable.length, what);
          grads.forEach((g, i) => {
            for (const name of names) {
              assert.ok(reference[i]![name], `${name} computed`);
              assert.deepEqual(g[name], reference[i]![name], `${what}, pass ${i}: ${name}`);
            }
            assert.equal(g.differentiable, reference[i]!.differentiable);
          });
        }
        for (const s of sols) s.dispose();
      });
    }

    it('a bad seed or solution at index k is a QpError naming seeds[k] or solutions[k]', async () => {
      const sols = solveBatchSync(batch.slice(0, 4), { solver: 'ipm', differentiable: true });
      const seeds = [0, 1, 2, 3].map(seedsOf);
      seeds[2] = { ...seeds[2]!, dx: Float64Array.from(seeds[2]!.dx, (v, j) => (j === 0 ? Infinity : v)) };
      for (const run of [() => differentiateBatchSync(sols, seeds), () => differentiateBatch(sols, seeds)]) {
        await assert.rejects(
          async () => run(),
          (e: unknown) => e instanceof QpError && e.code === ErrorCode.NOT_FINITE && e.field === 'seeds[2].dx' && e.index === 0,
        );
      }
      const plain = solveSync(batch[0]!, { solver: 'ipm' });
      assert.throws(
        () => differentiateBatchSync([sols[0]!, plain], [seedsOf(0), seedsOf(1)]),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.NOT_DIFFERENTIABLE && e.field === 'solutions[1].solution',
      );
      sols[3]!.dispose();
      assert.throws(
        () => differentiateBatchSync(sols, [0, 1, 2, 3].map(seedsOf)),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.DISPOSED && e.field === 'solutions[3].solution',
      );
      assert.throws(
        () => differentiateBatchSync(sols, [seedsOf(0)]),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.DIMENSION_MISMATCH && e.field === 'seeds',
      );
      assert.throws(
        () => differentiateBatchSync(sols.slice(0, 3), [0, 1, 2].map(seedsOf), { threads: 0 }),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION && e.field === 'options.threads',
      );
      assert.deepEqual(differentiateBatchSync([], []), []);
      for (const s of sols.slice(0, 3)) s.dispose();
    });
  });
});
