/**
 * The four backward methods (docs/METHODS.md §5 kkt, §6 penalty = dXPP, §7 qp = BPQP, §8 full =
 * OptNet) on random strictly complementary QPs (the generator in test/complementary-qp.ts: pick x*, an
 * active set and multipliers bounded away from zero, then set the bounds and q so that
 * (x*, y*, z*) is a KKT point). Loss L = ⟨c, x⟩, so dx = c.
 *
 * - qp = kkt to 1e-6 (relative 2-norm over every gradient), and qp vs central finite
 *   differences of ipopt re-solves (1e-5 relative per datum);
 * - penalty vs kkt within its O(β) bound, for two β, the error shrinking with β;
 * - all four pairwise within their bounds on n = 5, 50, 300 and a sparse n = 2000;
 * - a duplicated active row: finite gradients and differentiable = false for each method.
 */
import { strict as assert } from 'node:assert';
import { Solution, solve } from '../lib/solve';
import { simplexProblem } from '../bench/bench-families';
import { differentiate, differentiateSync, Gradients, DifferentiateMethod, DifferentiateOptions } from '../lib/differentiate';
import { CanonicalProblem } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';
import { ErrorCode, QpError } from '../lib/errors';
import { rng } from './helpers';
import { solveChecked, direction, Check, checkVector, checkMatrix, relErr } from './finite-differences';
import { generate, canonicalOf, GenOptions } from './complementary-qp';

function report(label: string, checks: Check[], tol: number): void {
  const errs = checks.map((ch) => relErr(ch.predicted, ch.fd));
  console.log(
    `      ${label}: max rel err ${Math.max(...errs).toExponential(2)} [${checks.map((ch, i) => `${ch.name} ${errs[i]!.toExponential(1)}`).join(', ')}]`,
  );
  for (const [i, ch] of checks.entries()) {
    assert.ok(errs[i]! <= tol, `${label} ${ch.name}: predicted ${ch.predicted}, finite difference ${ch.fd} (rel err ${errs[i]})`);
  }
}

function gradVector(g: Gradients): number[] {
  const out: number[] = [];
  for (const k of ['dP', 'dq', 'dA', 'dl', 'du', 'dG', 'dh', 'db', 'dlb', 'dub'] as const) if (g[k]) out.push(...g[k]!);
  return out;
}

/** ‖a − b‖₂ / ‖b‖₂ over every gradient. */
function relDiff(a: Gradients, b: Gradients): number {
  const va = gradVector(a);
  const vb = gradVector(b);
  assert.equal(va.length, vb.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < va.length; i++) {
    num += (va[i]! - vb[i]!) ** 2;
    den += vb[i]! ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-300);
}

function assertFinite(g: Gradients): void {
  for (const v of gradVector(g)) assert.ok(Number.isFinite(v), 'gradient must be finite');
}

const ms = (s: number) => `${(s * 1e3).toFixed(2)} ms`;

// ---- the tests -------------------------------------------------------------------------

/** Default penalty β and the bound |g_penalty − g_kkt| / |g_kkt| ≤ PENALTY_C · β. */
const BETA = 1e-4;
const PENALTY_C = 10;

const cases: { label: string; opts: GenOptions }[] = [
  {
    label: 'n=5',
    opts: {
      n: 5,
      seed: 211,
      pDensity: 0.8,
      rowNnz: 4,
      counts: { eq: 1, up: 1, low: 0, range: 1, oneSided: 1 },
      boundsUp: 1,
      boundsLow: 1,
      boxFraction: 0.5,
    },
  },
  {
    label: 'n=50',
    opts: {
      n: 50,
      seed: 212,
      pDensity: 0.3,
      rowNnz: 10,
      counts: { eq: 6, up: 6, low: 6, range: 8, oneSided: 5 },
      boundsUp: 5,
      boundsLow: 5,
      boxFraction: 0.5,
    },
  },
  {
    label: 'sparse n=300',
    opts: {
      n: 300,
      seed: 213,
      pDensity: 0.01,
      rowNnz: 3,
      counts: { eq: 40, up: 40, low: 40, range: 60, oneSided: 30 },
      boundsUp: 30,
      boundsLow: 30,
      boxFraction: 0.5,
    },
  },
  {
    label: 'sparse n=2000',
    opts: {
      n: 2000,
      seed: 214,
      pDensity: 0.001,
      rowNnz: 3,
      counts: { eq: 250, up: 250, low: 250, range: 300, oneSided: 200 },
      boundsUp: 200,
      boundsLow: 200,
      boxFraction: 0.5,
    },
  },
];

describe('backward methods: kkt, full, penalty (dXPP), qp (BPQP)', function () {
  this.timeout(300000);

  describe('pairwise agreement of the four methods', () => {
    for (const { label, opts } of cases) {
      it(`${label}: qp = kkt = full (1e-6), penalty within ${PENALTY_C}·β of each`, () => {
        const gen = generate(opts);
        const problem = canonicalOf(gen);
        const t0 = Date.now();
        const sol = solveChecked(problem);
        const tSolve = Date.now() - t0;
        const r = rng(opts.seed + 1000);
        const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
        const g: Record<DifferentiateMethod, Gradients> = {} as Record<DifferentiateMethod, Gradients>;
        const wall: Record<string, number> = {};
        for (const method of ['kkt', 'full', 'penalty', 'qp'] as DifferentiateMethod[]) {
          const t = process.hrtime.bigint();
          g[method] = differentiateSync(problem, sol, { dx: c }, { method });
          wall[method] = Number(process.hrtime.bigint() - t) / 1e9;
          assert.ok(g[method].differentiable, `${method}: ${g[method].reason}`);
          assert.equal(g[method].reason, '', `${method}: no note expected`);
          assertFinite(g[method]);
          assert.equal(g[method].method, method);
        }
        const nActiveRows = (opts.counts.eq ?? 0) + (opts.counts.up ?? 0) + (opts.counts.low ?? 0);
        for (const method of ['kkt', 'penalty', 'qp'] as DifferentiateMethod[]) {
          assert.equal(g[method].activeRows, nActiveRows, `${method} activeRows`);
          assert.equal(g[method].activeBounds, opts.boundsUp + opts.boundsLow, `${method} activeBounds`);
        }
        const d = {
          'qp-kkt': relDiff(g.qp, g.kkt),
          'qp-full': relDiff(g.qp, g.full),
          'full-kkt': relDiff(g.full, g.kkt),
          'penalty-kkt': relDiff(g.penalty, g.kkt),
          'penalty-full': relDiff(g.penalty, g.full),
          'penalty-qp': relDiff(g.penalty, g.qp),
        };
        console.log(
          `      ${label} (ipopt ${tSolve} ms): ${Object.entries(d)
            .map(([k, v]) => `${k} ${v.toExponential(2)}`)
            .join(', ')}`,
        );
        console.log(
          `      ${label} times: ${(['kkt', 'full', 'penalty', 'qp'] as const)
            .map((m) => `${m} ${ms(wall[m]!)} (factor ${ms(g[m].factorTime)}, solve ${ms(g[m].solveTime)})`)
            .join('; ')}; qp ADMM iterations ${g.qp.iterations}`,
        );
        assert.ok(g.qp.iterations > 0, 'qp reports ADMM iterations');
        assert.ok(d['qp-kkt'] <= 1e-6, `qp vs kkt ${d['qp-kkt']}`);
        assert.ok(d['qp-full'] <= 1e-6, `qp vs full ${d['qp-full']}`);
        assert.ok(d['full-kkt'] <= 1e-8, `full vs kkt ${d['full-kkt']}`);
        for (const k of ['penalty-kkt', 'penalty-full', 'penalty-qp'] as const)
          assert.ok(d[k] <= PENALTY_C * BETA, `${k} ${d[k]} > ${PENALTY_C}·β`);
      });
    }
  });

  describe('qp (BPQP) vs finite differences (ipopt re-solves)', () => {
    for (const { label, opts } of cases.slice(0, 2)) {
      it(`${label}: every datum within 1e-5`, () => {
        const gen = generate(opts);
        const problem = canonicalOf(gen);
        const sol = solveChecked(problem);
        const r = rng(opts.seed + 2000);
        const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
        const g = differentiateSync(problem, sol, { dx: c }, { method: 'qp' });
        assert.ok(g.differentiable, g.reason);
        const A = problem.A!;
        const isEq = (i: number) => problem.l![i] === problem.u![i];
        report(
          `${label} qp`,
          [
            checkVector(problem, c, 'q', { q: direction(gen.q, r) }, { q: g.dq! }, 1e-3),
            checkMatrix(problem, c, 'P', direction(gen.P.values, r), g.dP!, 1e-4),
            checkMatrix(problem, c, 'A', direction(A.values, r), g.dA!, 1e-4),
            checkVector(problem, c, 'u', { u: direction(problem.u!, r, (i) => !isEq(i)) }, { u: g.du! }, 1e-3),
            checkVector(problem, c, 'l', { l: direction(problem.l!, r, (i) => !isEq(i)) }, { l: g.dl! }, 1e-3),
            (() => {
              const db = direction(problem.l!, r, isEq);
              return checkVector(problem, c, 'b (l = u)', { l: db, u: db }, { l: g.dl!, u: g.du! }, 1e-3);
            })(),
            checkVector(problem, c, 'lb', { lb: direction(gen.lb, r) }, { lb: g.dlb! }, 1e-3),
            checkVector(problem, c, 'ub', { ub: direction(gen.ub, r) }, { ub: g.dub! }, 1e-3),
          ],
          1e-5,
        );
      });
    }
  });

  describe('penalty (dXPP): the O(β) error', () => {
    for (const { label, opts } of cases.slice(0, 3)) {
      it(`${label}: error vs kkt ≤ ${PENALTY_C}·β for β = 1e-4, 1e-5, shrinking with β`, () => {
        const gen = generate(opts);
        const problem = canonicalOf(gen);
        const sol = solveChecked(problem);
        const r = rng(opts.seed + 3000);
        const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
        const kkt = differentiateSync(problem, sol, { dx: c });
        const errs: number[] = [];
        for (const beta of [1e-4, 1e-5]) {
          const g = differentiateSync(problem, sol, { dx: c }, { method: 'penalty', penaltyBeta: beta });
          assert.ok(g.differentiable, g.reason);
          errs.push(relDiff(g, kkt));
        }
        // A larger κ (ρ = κ‖w‖₁) also shrinks the error: it is O(β/ρ).
        const gk = differentiateSync(problem, sol, { dx: c }, { method: 'penalty', penaltyKappa: 100 });
        const errKappa = relDiff(gk, kkt);
        console.log(
          `      ${label}: penalty vs kkt β=1e-4 ${errs[0]!.toExponential(2)}, β=1e-5 ${errs[1]!.toExponential(2)} (ratio ${(errs[0]! / errs[1]!).toFixed(2)}); β=1e-4 κ=100 ${errKappa.toExponential(2)}`,
        );
        assert.ok(errs[0]! <= PENALTY_C * 1e-4 && errs[1]! <= PENALTY_C * 1e-5, `errors ${errs}`);
        assert.ok(errs[1]! < errs[0]! / 5, `error should shrink ~linearly with β: ${errs}`);
        assert.ok(errKappa < errs[0]! / 5, `error should shrink with κ: ${errKappa} vs ${errs[0]}`);
      });
    }

    it('a β below the floor (forward feasibility, 1e-8) is raised to it, and the result says so', () => {
      const gen = generate(cases[1]!.opts);
      const problem = canonicalOf(gen);
      const sol = solveChecked(problem);
      const c = new Float64Array(gen.n).fill(1);
      const kkt = differentiateSync(problem, sol, { dx: c });
      const g = differentiateSync(problem, sol, { dx: c }, { method: 'penalty', penaltyBeta: 1e-300 });
      console.log(`      tiny β: ${g.reason}; error vs kkt ${relDiff(g, kkt).toExponential(2)}`);
      assert.match(g.reason, /beta raised from 1e-300 to 1e-08/);
      assert.ok(g.differentiable);
      assertFinite(g);
      assert.ok(relDiff(g, kkt) <= 1e-5);
      // A solution that is 1e-3 infeasible on the active rows: β follows the forward feasibility.
      const rough = { ...sol, x: sol.x.map((v, j) => (Number.isFinite(gen.ub[j]!) && Math.abs(v - gen.ub[j]!) < 1e-9 ? v + 1e-3 : v)) };
      const gr = differentiateSync(problem, rough, { dx: c }, { method: 'penalty' });
      console.log(`      rough solution: ${gr.reason}`);
      assert.match(gr.reason, /beta raised from 0.0001 to 0.001/);
    });

    it("sparse n=300: conjugate gradients ('cg') = CHOLMOD to 1e-7", () => {
      const gen = generate(cases[2]!.opts);
      const problem = canonicalOf(gen);
      const sol = solveChecked(problem);
      const r = rng(7);
      const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
      const chol = differentiateSync(problem, sol, { dx: c }, { method: 'penalty', penaltySolver: 'cholmod' });
      const cg = differentiateSync(problem, sol, { dx: c }, { method: 'penalty', penaltySolver: 'cg' });
      const d = relDiff(cg, chol);
      console.log(
        `      cg vs cholmod: ${d.toExponential(2)}, ${cg.iterations} CG iterations, cg ${ms(cg.factorTime + cg.solveTime)} vs cholmod ${ms(chol.factorTime + chol.solveTime)}`,
      );
      assert.ok(cg.differentiable, cg.reason);
      assert.ok(cg.iterations > 0);
      assert.ok(d <= 1e-7, `cg vs cholmod ${d}`);
    });
  });

  describe('degenerate point: a duplicated active row', () => {
    it('every method: finite gradients, differentiable = false, a reason; dq still agrees', () => {
      const gen = generate({
        n: 12,
        seed: 41,
        pDensity: 0.5,
        rowNnz: 4,
        counts: { up: 3, range: 2 },
        boundsUp: 1,
        boundsLow: 1,
        boxFraction: 0.5,
      });
      gen.rows.push({ ...gen.rows[0]! });
      const problem = canonicalOf(gen);
      const sol = solveChecked(problem);
      const r = rng(5);
      const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
      const dq: Record<string, Float64Array> = {};
      for (const method of ['kkt', 'full', 'penalty', 'qp'] as DifferentiateMethod[]) {
        const g = differentiateSync(problem, sol, { dx: c }, { method });
        console.log(`      duplicate row ${method}: differentiable=${g.differentiable}, reason: ${g.reason}`);
        assert.equal(g.differentiable, false, method);
        assert.ok(g.reason.length > 0);
        assertFinite(g);
        dq[method] = g.dq!;
      }
      // x(q) is still differentiable (only the duals are not unique): dq agrees.
      const diff = (a: Float64Array, b: Float64Array) =>
        Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0)) / Math.sqrt(b.reduce((s, v) => s + v * v, 0));
      console.log(
        `      duplicate row dq vs kkt: qp ${diff(dq.qp!, dq.kkt!).toExponential(2)}, penalty ${diff(dq.penalty!, dq.kkt!).toExponential(2)}, full ${diff(dq.full!, dq.kkt!).toExponential(2)}`,
      );
      assert.ok(diff(dq.qp!, dq.kkt!) <= 1e-6);
      assert.ok(diff(dq.penalty!, dq.kkt!) <= PENALTY_C * BETA);
    });
  });

  describe('degenerate point: a weakly active bound (zero dual at an active bound)', () => {
    it('penalty and qp: finite gradients, differentiable = false', () => {
      const gen = generate({
        n: 8,
        seed: 43,
        pDensity: 0.5,
        rowNnz: 3,
        counts: { up: 2, range: 1 },
        boundsUp: 0,
        boundsLow: 0,
        boxFraction: 0,
      });
      const ub = new Float64Array(gen.n).fill(Infinity);
      const problem: CanonicalProblem<Float64Array, CscMatrix> = { ...canonicalOf(gen), ub };
      ub[0] = solveChecked(problem).x[0]!;
      const sol = solveChecked(problem);
      const c = new Float64Array(gen.n).fill(1);
      for (const method of ['penalty', 'qp'] as DifferentiateMethod[]) {
        const g = differentiateSync(problem, sol, { dx: c }, { method });
        console.log(`      weakly active bound ${method}: differentiable=${g.differentiable}, reason: ${g.reason}`);
        assert.equal(g.differentiable, false);
        assertFinite(g);
      }
    });
  });

  describe('penalty with a dense active row', () => {
    it("simplex projection n=5000: 'auto' goes matrix-free (CG) and agrees with kkt within O(β)", async () => {
      const bench = simplexProblem(5000, 3);
      const sol = await solve(bench.problem, { solver: 'highs', polish: true });
      assert.equal(sol.status, 'solved');
      const r = rng(11);
      const dx = new Float64Array(5000).map(() => 2 * r() - 1);
      const kkt = differentiateSync(bench.problem, sol, { dx });
      const penalty = differentiateSync(bench.problem, sol, { dx }, { method: 'penalty' });
      assert.ok(penalty.iterations > 0, 'CG iterations reported: the dense H = P + C_JᵀWC_J was not formed');
      const err = relDiff(penalty, kkt);
      console.log(`      simplex n=5000: penalty (CG, ${penalty.iterations} iterations) vs kkt ${err.toExponential(2)}`);
      assert.ok(err <= PENALTY_C * 1e-4, String(err));
    });
  });

  describe('API', () => {
    const gen = generate({
      n: 10,
      seed: 51,
      pDensity: 0.5,
      rowNnz: 4,
      counts: { eq: 1, up: 2, low: 1, range: 2 },
      boundsUp: 1,
      boundsLow: 1,
      boxFraction: 0.5,
    });
    const problem = canonicalOf(gen);
    let sol: Solution;
    before(() => {
      sol = solveChecked(problem);
    });

    it('differentiate (async) equals differentiateSync for penalty and qp', async () => {
      const c = new Float64Array(gen.n).fill(0.5);
      for (const method of ['penalty', 'qp'] as DifferentiateMethod[]) {
        const a = await differentiate(problem, sol, { dx: c }, { method });
        const s = differentiateSync(problem, sol, { dx: c }, { method });
        assert.deepEqual(gradVector(a), gradVector(s));
        assert.equal(a.method, method);
      }
    });

    it('validates the penalty options', () => {
      const dx = new Float64Array(gen.n);
      const bad: DifferentiateOptions[] = [
        { method: 'penalty', penaltyBeta: 0 },
        { method: 'penalty', penaltyBeta: -1 },
        { method: 'penalty', penaltyKappa: NaN },
        { method: 'penalty', penaltySolver: 'lu' as 'cg' },
      ];
      for (const o of bad)
        assert.throws(
          () => differentiateSync(problem, sol, { dx }, o),
          (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION,
          JSON.stringify(o),
        );
    });
  });
});
