/**
 * The admm solver (our OSQP-algorithm core, native/admm) beyond the generic per-solver
 * suite: infeasibility certificates checked here from the data, warm starts, cancellation
 * through an AbortSignal, solverOptions validation, and the iteration and time limits.
 */
import { strict as assert } from 'node:assert';
import { ErrorCode, QpError } from '../lib/errors';
import { CanonicalProblem } from '../lib/problem';
import { availableSolvers, solve, solveSync, Solution } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { readQpsSync } from '../lib/qps';
import { assertClose, chainQp, dense, denseLower, f64, kktResiduals, fixture, rng } from './helpers';
import { checkDualCertificate as checkDual, checkPrimalCertificate as checkPrimal } from './certificates';

// admm's certificates come from the divergence of its iterates: checked to 1e-5 relative.
const checkPrimalCertificate = (p: CanonicalProblem<Float64Array, CscMatrix>, sol: Solution) => checkPrimal(p, sol, 1e-5);
const checkDualCertificate = (p: CanonicalProblem<Float64Array, CscMatrix>, sol: Solution) => checkDual(p, sol, 1e-5);

const inf = Infinity;
const hasAdmm = availableSolvers().some((s) => s.key === 'admm');

/**
 * chainQp with one more row, Σx ≥ n + 100, that the bounds −1 ≤ x ≤ 1 cannot meet. (ADMM
 * detects infeasibility by the divergence rate of its iterates: with a margin of 1 instead
 * of 100 it takes ~10000 iterations, beyond the default limit of 4000.)
 */
function infeasibleChain(n: number): CanonicalProblem<Float64Array, CscMatrix> {
  const base = chainQp(n, Math.floor(n / 4), 11);
  const row = CscMatrix.fromTriplets(1, n, new Array(n).fill(0), [...Array(n).keys()], new Array(n).fill(1));
  return {
    P: base.P,
    q: base.q,
    A: CscMatrix.vstack([base.A, row]),
    l: f64([...base.l, n + 100]),
    u: f64([...base.u, inf]),
    lb: base.lb,
    ub: base.ub,
  };
}

(hasAdmm ? describe : describe.skip)('admm', function () {
  this.timeout(120000);

  it('is listed with its capabilities', () => {
    const info = availableSolvers().find((s) => s.key === 'admm')!;
    assert.equal(info.license, 'MIT');
    assert.equal(info.version, '0.1.0');
    assert.ok(info.warmStart && info.cancellation && info.infeasibilityCertificate && info.duals && info.timeLimit);
  });

  describe('infeasibility certificates, verified from the data', () => {
    const primal: [string, CanonicalProblem<Float64Array, CscMatrix>][] = [
      [
        'a row against the bounds: x1 + x2 ≤ −1, x ≥ 0',
        {
          P: denseLower([
            [1, 0],
            [0, 1],
          ]),
          q: f64([1, 1]),
          A: dense([[1, 1]]),
          l: f64([-inf]),
          u: f64([-1]),
          lb: f64([0, 0]),
        },
      ],
      [
        'a row the upper bounds cannot meet: x1 + x2 ≥ 3, x ≤ 1',
        { q: f64([1, 0]), A: dense([[1, 1]]), l: f64([3]), u: f64([inf]), ub: f64([1, 1]) },
      ],
      [
        'two rows only: x1 + x2 ≤ 1 and x1 + x2 ≥ 2',
        {
          P: denseLower([
            [1, 0],
            [0, 1],
          ]),
          q: f64([0, 0]),
          A: dense([
            [1, 1],
            [1, 1],
          ]),
          l: f64([-inf, 2]),
          u: f64([1, inf]),
        },
      ],
      [
        'conflicting equalities: x1 − x2 = 1, x2 − x1 = 1',
        {
          q: f64([0, 0]),
          A: dense([
            [1, -1],
            [-1, 1],
          ]),
          l: f64([1, 1]),
          u: f64([1, 1]),
        },
      ],
      ['a sparse chain QP with Σx ≥ n + 100 under −1 ≤ x ≤ 1 (n = 300)', infeasibleChain(300)],
    ];
    for (const [name, p] of primal) {
      it(`primalInfeasible: ${name}`, async () => checkPrimalCertificate(p, await solve(p, { solver: 'admm' })));
    }

    const dual: [string, CanonicalProblem<Float64Array, CscMatrix>][] = [
      [
        'QP: min ½x1² − x2, x2 ≥ 0',
        {
          P: denseLower([
            [1, 0],
            [0, 0],
          ]),
          q: f64([0, -1]),
          lb: f64([-inf, 0]),
        },
      ],
      ['LP: min −x1 − x2, x1 − x2 ≤ 1, x ≥ 0', { q: f64([-1, -1]), A: dense([[1, -1]]), l: f64([-inf]), u: f64([1]), lb: f64([0, 0]) }],
      [
        'LP along an equality: min x1, x1 + x2 = 0, x2 ≥ −5',
        { q: f64([1, 0]), A: dense([[1, 1]]), l: f64([0]), u: f64([0]), lb: f64([-inf, -5]) },
      ],
      [
        'QP with a ranged row and a flat direction: min ½(x1 − x2)² − x1 − x2, −1 ≤ x1 − x2 ≤ 1, x ≥ 0',
        {
          P: denseLower([
            [1, -1],
            [-1, 1],
          ]),
          q: f64([-1, -1]),
          A: dense([[1, -1]]),
          l: f64([-1]),
          u: f64([1]),
          lb: f64([0, 0]),
        },
      ],
    ];
    for (const [name, p] of dual) {
      it(`dualInfeasible: ${name}`, async () => checkDualCertificate(p, await solve(p, { solver: 'admm' })));
    }
  });

  it('warm start from a neighbouring solution takes fewer iterations', async () => {
    const p = chainQp(3000, 800, 21);
    const first = await solve(p, { solver: 'admm' });
    assert.equal(first.status, 'solved');
    const r = rng(5);
    const q2 = p.q.map((v) => v + 1e-2 * (r() - 0.5));
    const p2 = { ...p, q: q2 };
    const cold = await solve(p2, { solver: 'admm' });
    const warm = await solve(p2, { solver: 'admm', x0: first.x, y0: first.y, z0: first.z });
    assert.equal(cold.status, 'solved');
    assert.equal(warm.status, 'solved');
    console.log(`      [iterations: cold ${cold.iterations}, warm ${warm.iterations}]`);
    assert.ok(warm.iterations < cold.iterations, `warm ${warm.iterations} vs cold ${cold.iterations} iterations`);
    assertClose(warm.x, cold.x, 1e-5, 'x');
    const js = kktResiduals(warm, p2);
    assert.ok(js.rp <= 1e-6 && js.rd <= 1e-6 && js.rg <= 1e-6, `residuals ${js.rp} ${js.rd} ${js.rg}`);
  });

  it('an AbortSignal stops long solves, native work included, long before their time limit', async () => {
    // Occupy every libuv threadpool thread with a solve that would run for minutes: a tiny
    // solve queued after the abort can only start once a native solve has actually returned.
    const poolSize = Math.max(1, Number(process.env.UV_THREADPOOL_SIZE) || 4);
    const p = chainQp(50000, 15000, 5);
    // (The time limit only bounds a failing run: the threads would otherwise spin for hours.)
    const long = {
      solver: 'admm',
      epsAbs: 0,
      epsRel: 0,
      maxIter: 1e9,
      timeLimit: 10,
      solverOptions: { polish: false, checkTermination: 0, adaptiveRho: false },
    };
    const controller = new AbortController();
    const started = process.hrtime.bigint();
    const runs = Array.from({ length: poolSize }, () =>
      solve(p, { ...long, signal: controller.signal }).then(
        (s) => ({ error: undefined as unknown, at: process.hrtime.bigint(), s }),
        (error: unknown) => ({ error, at: process.hrtime.bigint(), s: undefined }),
      ),
    );
    await new Promise((res) => setTimeout(res, 1000)); // setup (not interruptible) is ~0.1 s
    const abortAt = process.hrtime.bigint();
    controller.abort();
    const small = solve(chainQp(10, 2, 1), { solver: 'admm' }).then((s) => ({ s, at: process.hrtime.bigint() }));
    const outcomes = await Promise.all(runs);
    const next = await small;
    const ms = (t: bigint) => Number(t - abortAt) / 1e6;
    for (const o of outcomes) {
      assert.ok(
        o.error instanceof QpError && o.error.name === 'AbortError' && o.error.code === ErrorCode.ABORTED,
        String(o.error ?? o.s?.status),
      );
    }
    const rejected = Math.max(...outcomes.map((o) => ms(o.at)));
    const nativeStopped = ms(next.at);
    console.log(
      `      [${poolSize} solves of n = 50000 aborted after ${(Number(abortAt - started) / 1e6).toFixed(0)} ms: rejected ${rejected.toFixed(1)} ms, next solve done ${nativeStopped.toFixed(1)} ms after abort()]`,
    );
    assert.equal(next.s.status, 'solved');
    // Not a timing test (the log line above shows the times): without the abort, the native
    // solves would hold every pool thread until their 10 s limit, and the small solve with them.
    assert.ok(rejected < 5000, `rejected ${rejected} ms after abort()`);
    assert.ok(nativeStopped < 5000, `the next solve finished ${nativeStopped} ms after abort(): the native solves did not stop`);
  });

  describe('solverOptions', () => {
    const p = chainQp(50, 10, 3);
    const expectOption = (fn: () => unknown, field: string, pattern?: RegExp) => {
      try {
        fn();
      } catch (e) {
        assert.ok(e instanceof QpError, String(e));
        assert.equal(e.code, ErrorCode.INVALID_OPTION, e.message);
        assert.equal(e.field, field, e.message);
        if (pattern) assert.match(e.message, pattern);
        return;
      }
      assert.fail('nothing was thrown');
    };

    it('accepts every documented option', () => {
      const sol = solveSync(p, {
        solver: 'admm',
        solverOptions: {
          rho: 0.5,
          sigma: 1e-6,
          alpha: 1.5,
          adaptiveRho: true,
          adaptiveRhoInterval: 50,
          adaptiveRhoTolerance: 4,
          scaling: 5,
          scaledTermination: false,
          gapTermination: true,
          polish: true,
          polishEarly: true,
          polishRefineIter: 2,
          delta: 1e-7,
          epsPrimInf: 1e-6,
          epsDualInf: 1e-6,
          checkTermination: 10,
        },
      });
      assert.equal(sol.status, 'solved', sol.rawStatusText);
    });

    it('an unknown name → ERR_QP_INVALID_OPTION naming it', async () => {
      expectOption(
        () => solveSync(p, { solver: 'admm', solverOptions: { rhoo: 1 } }),
        'options.solverOptions.rhoo',
        /not an admm option.*rho/,
      );
      await assert.rejects(
        solve(p, { solver: 'admm', solverOptions: { max_iter: 5 } }),
        (e: QpError) => e.code === ErrorCode.INVALID_OPTION,
      );
      expectOption(() => solveSync(p, { solver: 'admm', solverOptions: { linsys: 'qdldl' } }), 'options.solverOptions.linsys');
    });

    it('a bad value → ERR_QP_INVALID_OPTION naming the option', async () => {
      expectOption(
        () => solveSync(p, { solver: 'admm', solverOptions: { rho: -1 } }),
        'options.solverOptions.rho',
        /rho = -1: must be > 0/,
      );
      await assert.rejects(
        solve(p, { solver: 'admm', solverOptions: { rho: -1 } }),
        (e: QpError) => e.code === ErrorCode.INVALID_OPTION && e.field === 'options.solverOptions.rho',
      );
      expectOption(() => solveSync(p, { solver: 'admm', solverOptions: { alpha: 2 } }), 'options.solverOptions.alpha', /\(0, 2\)/);
      expectOption(() => solveSync(p, { solver: 'admm', solverOptions: { sigma: 0 } }), 'options.solverOptions.sigma');
      expectOption(() => solveSync(p, { solver: 'admm', solverOptions: { epsPrimInf: 0 } }), 'options.solverOptions.epsPrimInf');
      expectOption(
        () => solveSync(p, { solver: 'admm', solverOptions: { adaptiveRhoTolerance: 0.5 } }),
        'options.solverOptions.adaptiveRhoTolerance',
      );
      expectOption(() => solveSync(p, { solver: 'admm', solverOptions: { scaling: -1 } }), 'options.solverOptions.scaling');
      expectOption(() => solveSync(p, { solver: 'admm', solverOptions: { scaling: 1.5 } }), 'options.solverOptions.scaling', /integer/);
      expectOption(() => solveSync(p, { solver: 'admm', solverOptions: { polish: 2 } }), 'options.solverOptions.polish', /boolean/);
      expectOption(
        () => solveSync(p, { solver: 'admm', solverOptions: { polish: 'yes' } }),
        'options.solverOptions.polish',
        /not a string/,
      );
      expectOption(
        () => solveSync(p, { solver: 'admm', solverOptions: { checkTermination: -25 } }),
        'options.solverOptions.checkTermination',
      );
    });
  });

  it('a non-convex P → ERR_QP_NOT_CONVEX naming P', () => {
    const p = {
      P: denseLower([
        [1, 0],
        [0, -1],
      ]),
      q: f64([0, 0]),
      lb: f64([-1, -1]),
      ub: f64([1, 1]),
    };
    try {
      solveSync(p, { solver: 'admm' });
      assert.fail('nothing was thrown');
    } catch (e) {
      assert.ok(e instanceof QpError, String(e));
      assert.equal(e.code, ErrorCode.NOT_CONVEX);
      assert.equal(e.field, 'P');
      assert.match(e.message, /not positive semidefinite/);
    }
  });

  describe('termination: solved means the docs/METHODS.md §3 measures, duality gap included', () => {
    // Maros–Meszaros problems where the paper's test (primal and dual residuals only) stopped
    // with a duality gap of 1e-6 to 3e-2 (npm run bench:mm, docs/ADMM.md)
    for (const name of ['HS268', 'LOTSCHD', 'CVXQP1_M', 'QSCSD8', 'QSHIP04S']) {
      it(`${name}: r_p, r_d, r_g ≤ 1e-6, recomputed here`, async () => {
        const p = readQpsSync(fixture(name));
        const sol = await solve(p, { solver: 'admm', epsAbs: 1e-6, epsRel: 0, timeLimit: 60 });
        assert.equal(sol.status, 'solved', `${sol.status} (${sol.rawStatusText})`);
        const js = kktResiduals(sol, p);
        assert.ok(js.rp <= 1e-6 && js.rd <= 1e-6 && js.rg <= 1e-6, `residuals ${js.rp} ${js.rd} ${js.rg}`);
      });
    }

    it('without the gap test (gapTermination: false) LOTSCHD stops with a gap above the tolerance', async () => {
      const p = readQpsSync(fixture('LOTSCHD'));
      const sol = await solve(p, { solver: 'admm', epsAbs: 1e-6, epsRel: 0, solverOptions: { gapTermination: false, polish: false } });
      const js = kktResiduals(sol, p);
      assert.ok(js.rp <= 1e-5 && js.rd <= 1e-5, `residuals ${js.rp} ${js.rd}`);
      assert.ok(js.rg > 1e-6, `gap ${js.rg}`);
    });
  });

  describe('limits', () => {
    it('timeLimit → status timeLimit, soon after the limit', async () => {
      const p = chainQp(50000, 15000, 7);
      const sol = await solve(p, { solver: 'admm', timeLimit: 0.5, epsAbs: 0, epsRel: 0, maxIter: 1e9 });
      assert.equal(sol.status, 'timeLimit', `${sol.status} (${sol.rawStatusText})`);
      assert.ok(sol.iterations > 0, 'no iteration ran');
      // The limit, not the work, ended it (maxIter 1e9 would run for hours); not a timing test.
      assert.ok(sol.setupTime + sol.solveTime < 0.5 + 5, `took ${sol.setupTime + sol.solveTime} s`);
      assert.ok(sol.x.every(Number.isFinite), 'the last iterate is returned');
    });

    it('setup honours the time limit: a factorisation that cannot end in time is not started', () => {
      // P = 2I + 11ᵀ, dense (n = 1500): about n³/3 ≈ 1e9 flops to factorise the KKT matrix,
      // which no machine does in 10 ms (admm.h, ADMM_FLOPS_CEILING)
      const n = 1500;
      const rows = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 3 : 1)));
      const r = rng(17);
      const p = {
        P: denseLower(rows),
        q: f64(Array.from({ length: n }, () => r() - 0.5)),
        lb: f64(new Array(n).fill(0)),
        ub: f64(new Array(n).fill(1)),
      };
      const stopped = solveSync(p, { solver: 'admm', timeLimit: 0.01 });
      assert.equal(stopped.status, 'timeLimit', `${stopped.status} (${stopped.rawStatusText})`);
      assert.equal(stopped.iterations, 0);
      const solved = solveSync(p, { solver: 'admm', timeLimit: 600 });
      assert.equal(solved.status, 'solved', `${solved.status} (${solved.rawStatusText})`);
      const js = kktResiduals(solved, p);
      assert.ok(js.rp <= 1e-6 && js.rd <= 1e-6 && js.rg <= 1e-6, `residuals ${js.rp} ${js.rd} ${js.rg}`);
    });

    it('a time limit used up by setup → timeLimit without iterating', () => {
      const sol = solveSync(chainQp(50, 10, 3), { solver: 'admm', timeLimit: 0 });
      assert.equal(sol.status, 'timeLimit');
      assert.equal(sol.iterations, 0);
    });

    it('without maxIter, a timeLimit is the only limit: KSIP needs over 4000 iterations (the core default)', async () => {
      const p = readQpsSync(fixture('KSIP'));
      const sol = await solve(p, { solver: 'admm', epsAbs: 1e-6, epsRel: 0, timeLimit: 120 });
      assert.equal(sol.status, 'solved', `${sol.status} (${sol.rawStatusText})`);
      assert.ok(sol.iterations > 4000, `${sol.iterations} iterations`);
      const js = kktResiduals(sol, p);
      assert.ok(js.rp <= 1e-6 && js.rd <= 1e-6 && js.rg <= 1e-6, `residuals ${js.rp} ${js.rd} ${js.rg}`);
    });

    it('maxIter → status maxIterations with exactly that many iterations', () => {
      const p = chainQp(2000, 500, 9);
      const sol = solveSync(p, { solver: 'admm', maxIter: 10, solverOptions: { polish: false } });
      assert.equal(sol.status, 'maxIterations', `${sol.status} (${sol.rawStatusText})`);
      assert.equal(sol.iterations, 10);
      assert.equal(sol.hasDuals, false);
      assert.ok(sol.x.every(Number.isFinite));
      const zero = solveSync(p, { solver: 'admm', maxIter: 0 });
      assert.equal(zero.status, 'maxIterations');
      assert.equal(zero.iterations, 0);
    });

    it('polishing after maxIter can still reach a solved point', () => {
      const p = chainQp(2000, 500, 9);
      const sol = solveSync(p, { solver: 'admm', maxIter: 100 });
      assert.equal(sol.status, 'solved', `${sol.status} (${sol.rawStatusText})`);
      const js = kktResiduals(sol, p);
      assert.ok(js.rp <= 1e-6 && js.rd <= 1e-6 && js.rg <= 1e-6, `residuals ${js.rp} ${js.rd} ${js.rg}`);
    });
  });
});
