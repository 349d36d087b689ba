/**
 * differentiate: vector–Jacobian products checked against central finite differences of
 * re-solved problems (docs/METHODS.md §9), on random QPs built to be strictly complementary:
 * pick x*, an active set and multipliers bounded away from zero, then set the bounds and q so
 * that (x*, y*, z*) satisfies the KKT conditions. Loss L = ⟨c, x⟩, so dx = c.
 *
 * For each datum θ and a random direction δθ: predicted ⟨∇_θ L, δθ⟩ vs
 * (L(θ + εδθ) − L(θ − εδθ)) / 2ε with the problem re-solved by Ipopt at tolerance 1e-10.
 * x is affine in q, l, u, lb, ub, b, h on a fixed active set (ε = 1e-3 is exact there) and
 * smooth in P, A, G (ε = 1e-4, O(ε²) error).
 */
import { strict as assert } from 'node:assert';
import { CscMatrix } from '../lib/sparse';
import { Solution } from '../lib/solve';
import { differentiate, differentiateSync, Gradients, DifferentiateMethod } from '../lib/differentiate';
import { jvp, jvpSync, Tangents } from '../lib/jvp';
/** Tangents built here from typed arrays (the public type also takes plain arrays). */
type TypedTangents = { [K in keyof Tangents]?: Float64Array };
import { CanonicalProblem, StandardProblem } from '../lib/problem';
import { ErrorCode, QpError } from '../lib/errors';
import { f64, rng } from './helpers';
import { solveChecked, dot, direction, Check, shifted, withValues, checkVector, checkMatrix, relErr } from './finite-differences';
import { generate, matrixOf, canonicalOf, Generated, GenOptions } from './complementary-qp';

/** Standard form: one-sided rows (only 'up' and 'oneSided' types) become G, equality rows A. */
function standardOf(g: Generated): StandardProblem<Float64Array, CscMatrix> {
  const ineq = g.rows.filter((row) => row.type !== 'eq');
  const eq = g.rows.filter((row) => row.type === 'eq');
  for (const row of ineq) assert.equal(row.l, -Infinity, 'standardOf: rows must be one-sided');
  return {
    form: 'standard',
    P: g.P,
    q: g.q,
    G: matrixOf(ineq, g.n),
    h: Float64Array.from(ineq.map((row) => row.u)),
    A: matrixOf(eq, g.n),
    b: Float64Array.from(eq.map((row) => row.l)),
    lb: g.lb,
    ub: g.ub,
  };
}

function cosine(a: number[], b: number[]): number {
  return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
}

/** Runs every check; logs relative errors and the cosine similarity; asserts the tolerance. */
function report(label: string, checks: Check[], tol: number): void {
  const errs = checks.map((ch) => relErr(ch.predicted, ch.fd));
  const cos = cosine(
    checks.map((ch) => ch.predicted),
    checks.map((ch) => ch.fd),
  );
  const worst = Math.max(...errs);
  console.log(
    `      ${label}: max rel err ${worst.toExponential(2)}, cosine ${cos.toFixed(12)} [${checks.map((ch, i) => `${ch.name} ${errs[i]!.toExponential(1)}`).join(', ')}]`,
  );
  for (const [i, ch] of checks.entries()) {
    assert.ok(errs[i]! <= tol, `${label} ${ch.name}: predicted ${ch.predicted}, finite difference ${ch.fd} (rel err ${errs[i]})`);
  }
  assert.ok(cos >= 1 - 1e-9, `${label}: cosine ${cos}`);
}

function gradVector(g: Gradients): number[] {
  const out: number[] = [];
  for (const k of ['dP', 'dq', 'dA', 'dl', 'du', 'dG', 'dh', 'db', 'dlb', 'dub'] as const) if (g[k]) out.push(...g[k]!);
  return out;
}

function relDiff(a: number[], b: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-300);
}

function assertFinite(g: Gradients): void {
  for (const v of gradVector(g)) assert.ok(Number.isFinite(v), 'gradient must be finite');
}

const canonicalCases: { label: string; opts: GenOptions }[] = [
  {
    label: 'dense-ish n=5',
    opts: {
      n: 5,
      seed: 11,
      pDensity: 0.8,
      rowNnz: 4,
      counts: { eq: 1, up: 1, low: 0, range: 1, oneSided: 1 },
      boundsUp: 1,
      boundsLow: 1,
      boxFraction: 0.5,
    },
  },
  {
    label: 'dense-ish n=20',
    opts: {
      n: 20,
      seed: 12,
      pDensity: 0.6,
      rowNnz: 12,
      counts: { eq: 3, up: 3, low: 3, range: 4, oneSided: 3 },
      boundsUp: 2,
      boundsLow: 2,
      boxFraction: 0.5,
    },
  },
  {
    label: 'dense-ish n=60',
    opts: {
      n: 60,
      seed: 13,
      pDensity: 0.4,
      rowNnz: 30,
      counts: { eq: 8, up: 8, low: 8, range: 10, oneSided: 6 },
      boundsUp: 6,
      boundsLow: 6,
      boxFraction: 0.6,
    },
  },
  {
    label: 'sparse n=300',
    opts: {
      n: 300,
      seed: 14,
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
      seed: 15,
      pDensity: 0.001,
      rowNnz: 3,
      counts: { eq: 250, up: 250, low: 250, range: 300, oneSided: 200 },
      boundsUp: 200,
      boundsLow: 200,
      boxFraction: 0.5,
    },
  },
];

describe('differentiate', function () {
  this.timeout(300000);

  describe('canonical form: VJP vs finite differences (ipopt re-solves)', () => {
    for (const { label, opts } of canonicalCases) {
      it(`${label}: kkt and full within 1e-5 of finite differences, kkt = full within 1e-8`, () => {
        const gen = generate(opts);
        const problem = canonicalOf(gen);
        const sol = solveChecked(problem);
        const r = rng(opts.seed + 1000);
        const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
        const kkt = differentiateSync(problem, sol, { dx: c });
        const full = differentiateSync(problem, sol, { dx: c }, { method: 'full' });
        assert.ok(kkt.differentiable, `kkt: ${kkt.reason}`);
        assert.ok(full.differentiable, `full: ${full.reason}`);
        const nActiveRows = (opts.counts.eq ?? 0) + (opts.counts.up ?? 0) + (opts.counts.low ?? 0);
        assert.equal(kkt.activeRows, nActiveRows);
        assert.equal(kkt.activeBounds, opts.boundsUp + opts.boundsLow);
        const agreement = relDiff(gradVector(kkt), gradVector(full));
        console.log(
          `      ${label}: ‖g_kkt − g_full‖/‖g_full‖ = ${agreement.toExponential(2)}; kkt factor ${(kkt.factorTime * 1e3).toFixed(2)} ms solve ${(kkt.solveTime * 1e3).toFixed(2)} ms; full factor ${(full.factorTime * 1e3).toFixed(2)} ms`,
        );
        assert.ok(agreement <= 1e-8, `kkt vs full: ${agreement}`);

        const A = problem.A!;
        const isEq = (i: number) => problem.l![i] === problem.u![i];
        const dq = direction(gen.q, r);
        const dP = direction(gen.P.values, r);
        const dA = direction(A.values, r);
        const du = direction(problem.u!, r, (i) => !isEq(i));
        const dl = direction(problem.l!, r, (i) => !isEq(i));
        const db = direction(problem.l!, r, isEq);
        const dlb = direction(gen.lb, r);
        const dub = direction(gen.ub, r);
        for (const [name, g] of [
          ['kkt', kkt],
          ['full', full],
        ] as const) {
          const checks: Check[] = [
            checkVector(problem, c, 'q', { q: dq }, { q: g.dq! }, 1e-3),
            checkMatrix(problem, c, 'P', dP, g.dP!, 1e-4),
            checkMatrix(problem, c, 'A', dA, g.dA!, 1e-4),
            checkVector(problem, c, 'u', { u: du }, { u: g.du! }, 1e-3),
            checkVector(problem, c, 'l', { l: dl }, { l: g.dl! }, 1e-3),
            checkVector(problem, c, 'b (l = u)', { l: db, u: db }, { l: g.dl!, u: g.du! }, 1e-3),
            checkVector(problem, c, 'lb', { lb: dlb }, { lb: g.dlb! }, 1e-3),
            checkVector(problem, c, 'ub', { ub: dub }, { ub: g.dub! }, 1e-3),
          ];
          report(`${label} ${name}`, checks, 1e-5);
        }
      });
    }
  });

  describe('standard form', () => {
    const opts: GenOptions = {
      n: 40,
      seed: 21,
      pDensity: 0.2,
      rowNnz: 6,
      counts: { eq: 6, up: 8, oneSided: 10 },
      boundsUp: 3,
      boundsLow: 3,
      boxFraction: 0.5,
      oneSided: true,
    };
    it('n=40: dG, dh, dA, db, dP, dq, dlb, dub vs finite differences (kkt and full), kkt = full', () => {
      const gen = generate(opts);
      const problem = standardOf(gen);
      const sol = solveChecked(problem);
      const r = rng(77);
      const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
      const kkt = differentiateSync(problem, sol, { dx: c });
      const full = differentiateSync(problem, sol, { dx: c }, { method: 'full' });
      assert.ok(kkt.differentiable && full.differentiable, `${kkt.reason} ${full.reason}`);
      for (const k of ['dP', 'dq', 'dG', 'dh', 'dA', 'db', 'dlb', 'dub'] as const)
        assert.ok(kkt[k] instanceof Float64Array, `${k} present`);
      assert.equal(kkt.dl, undefined);
      assert.equal(kkt.du, undefined);
      assert.equal(kkt.dG!.length, problem.G!.nnz);
      assert.equal(kkt.dA!.length, problem.A!.nnz);
      assert.equal(kkt.dh!.length, problem.h!.length);
      assert.equal(kkt.db!.length, problem.b!.length);
      const agreement = relDiff(gradVector(kkt), gradVector(full));
      console.log(`      standard n=40: ‖g_kkt − g_full‖/‖g_full‖ = ${agreement.toExponential(2)}`);
      assert.ok(agreement <= 1e-8, `kkt vs full: ${agreement}`);
      const dirs = {
        q: direction(problem.q, r),
        P: direction(problem.P!.values, r),
        G: direction(problem.G!.values, r),
        A: direction(problem.A!.values, r),
        h: direction(problem.h!, r),
        b: direction(problem.b!, r),
        lb: direction(problem.lb!, r),
        ub: direction(problem.ub!, r),
      };
      for (const [name, g] of [
        ['kkt', kkt],
        ['full', full],
      ] as const) {
        report(
          `standard n=40 ${name}`,
          [
            checkVector(problem, c, 'q', { q: dirs.q }, { q: g.dq! }, 1e-3),
            checkMatrix(problem, c, 'P', dirs.P, g.dP!, 1e-4),
            checkMatrix(problem, c, 'G', dirs.G, g.dG!, 1e-4),
            checkMatrix(problem, c, 'A', dirs.A, g.dA!, 1e-4),
            checkVector(problem, c, 'h', { h: dirs.h }, { h: g.dh! }, 1e-3),
            checkVector(problem, c, 'b', { b: dirs.b }, { b: g.db! }, 1e-3),
            checkVector(problem, c, 'lb', { lb: dirs.lb }, { lb: g.dlb! }, 1e-3),
            checkVector(problem, c, 'ub', { ub: dirs.ub }, { ub: g.dub! }, 1e-3),
          ],
          1e-5,
        );
      }
    });
  });

  describe("P stored as 'upper' or 'full': dP aligned with the caller's values", () => {
    const opts: GenOptions = {
      n: 15,
      seed: 31,
      pDensity: 0.5,
      rowNnz: 5,
      counts: { eq: 2, up: 2, low: 2, range: 2 },
      boundsUp: 1,
      boundsLow: 1,
      boxFraction: 0.5,
    };
    for (const triangle of ['upper', 'full'] as const) {
      it(`${triangle}: ⟨dP, δP⟩ matches finite differences (symmetric δP for 'full')`, () => {
        const gen = generate(opts);
        const base = canonicalOf(gen);
        const dense = gen.P.toDense();
        const P = CscMatrix.fromDense(dense, { triangle });
        const problem: CanonicalProblem<Float64Array, CscMatrix> = { ...base, P };
        const sol = solveChecked(problem);
        const r = rng(99);
        const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
        const lowerGrad = differentiateSync(base, sol, { dx: c }).dP!;
        const g = differentiateSync(problem, sol, { dx: c }, { wrt: ['P'] });
        assert.deepEqual(
          Object.keys(g).filter((k) => k.startsWith('d') && k !== 'differentiable'),
          ['dP'],
        );
        assert.equal(g.dP!.length, P.nnz);
        // A symmetric direction on the caller's storage: the same δ at (i,j) and (j,i).
        const lowerDir = direction(gen.P.values, r);
        const dirDense = CscMatrix.fromTriplets(gen.n, gen.n, [], [], []).toDense();
        for (let j = 0; j < gen.n; j++) {
          for (let k = gen.P.colPtr[j]!; k < gen.P.colPtr[j + 1]!; k++) {
            const i = gen.P.rowIdx[k]!;
            dirDense[i]![j] = lowerDir[k]!;
            dirDense[j]![i] = lowerDir[k]!;
          }
        }
        const dir = new Float64Array(P.nnz);
        for (let j = 0; j < gen.n; j++) for (let k = P.colPtr[j]!; k < P.colPtr[j + 1]!; k++) dir[k] = dirDense[P.rowIdx[k]!]![j]!;
        // The same perturbation expressed on the lower storage gives the same inner product.
        assert.ok(relErr(dot(g.dP!, dir), dot(lowerGrad, lowerDir)) < 1e-12, 'same directional derivative as the lower storage');
        report(`P ${triangle}`, [checkMatrix(problem, c, 'P', dir, g.dP!, 1e-4)], 1e-5);
      });
    }
  });

  describe('degenerate points', () => {
    it('a duplicated active row: differentiable = false, finite gradient, dq still exact', () => {
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
      gen.rows.push({ ...gen.rows[0]! }); // the same upper-active row twice
      const problem = canonicalOf(gen);
      const sol = solveChecked(problem);
      const r = rng(5);
      const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
      for (const method of ['kkt', 'full'] as DifferentiateMethod[]) {
        const g = differentiateSync(problem, sol, { dx: c }, { method });
        console.log(`      duplicate row ${method}: differentiable=${g.differentiable}, reason: ${g.reason}`);
        assert.equal(g.differentiable, false);
        assert.ok(g.reason.length > 0);
        assertFinite(g);
        // x(q) is still differentiable here (only the duals are not unique).
        report(`duplicate row ${method}`, [checkVector(problem, c, 'q', { q: direction(gen.q, r) }, { q: g.dq! }, 1e-3)], 1e-5);
      }
    });

    it('a weakly active bound (zero dual at an active bound): differentiable = false, finite', () => {
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
      // Put an upper bound exactly at x*_0 without changing q: active with z_0 = 0.
      const ub = new Float64Array(gen.n).fill(Infinity);
      const problem: CanonicalProblem<Float64Array, CscMatrix> = { ...canonicalOf(gen), ub };
      const sol0 = solveChecked(problem);
      ub[0] = sol0.x[0]!;
      const sol = solveChecked(problem);
      const c = new Float64Array(gen.n).fill(1);
      const g = differentiateSync(problem, sol, { dx: c });
      console.log(`      weakly active bound: differentiable=${g.differentiable}, reason: ${g.reason}`);
      assert.equal(g.differentiable, false);
      assertFinite(g);
    });
    it('P singular on the active null space (an LP with a face of optima): least-squares answer, flagged', () => {
      // min −x1 − x2 s.t. x1 + x2 ≤ 1 at x = (½, ½), y = 1. K = [0 0 1; 0 0 1; 1 1 0] is singular
      // and the right-hand side −[1, 0, 0] is not in its range: the least-squares solution has
      // d_w = −½ (the projection of the right-hand side onto K's range) and d_x1 + d_x2 = 0.
      const problem: CanonicalProblem<Float64Array, CscMatrix> = {
        P: CscMatrix.zeros(2, 2, 'lower'),
        q: f64([-1, -1]),
        A: CscMatrix.fromDense([[1, 1]]),
        l: f64([-Infinity]),
        u: f64([1]),
      };
      const g = differentiateSync(problem, { x: f64([0.5, 0.5]), y: f64([1]), z: f64([0, 0]) }, { dx: f64([1, 0]) });
      console.log(`      LP face: differentiable=${g.differentiable}, du=${g.du![0]}, dq=${[...g.dq!]}, reason: ${g.reason}`);
      assert.equal(g.differentiable, false);
      assert.match(g.reason, /least-squares/);
      assertFinite(g);
      assert.ok(Math.abs(g.du![0]! - 0.5) < 1e-12, String(g.du![0]));
      assert.ok(Math.abs(g.dq![0]! + g.dq![1]!) < 1e-12, String(g.dq));
    });
  });

  describe('active-set options', () => {
    it('normalizeRows: a tiny row far from its bound is not taken for active', () => {
      // min ½‖x − c‖² s.t. 1e-4·(x1 − x2) ≤ 0 at c = (0, 0.05): the row is 0.035 away from x = c,
      // but its slack 5e-6 is below epsActive = 1e-5. Inactive: x = −q, so ∂L/∂q = −dx.
      const problem: CanonicalProblem<Float64Array, CscMatrix> = {
        P: CscMatrix.fromDense(
          [
            [1, 0],
            [0, 1],
          ],
          { triangle: 'lower' },
        ),
        q: f64([0, -0.05]),
        A: CscMatrix.fromDense([[1e-4, -1e-4]]),
        l: f64([-Infinity]),
        u: f64([0]),
      };
      const sol = { x: f64([0, 0.05]), y: f64([0]), z: f64([0, 0]) };
      const dx = f64([1, 2]);
      const plain = differentiateSync(problem, sol, { dx });
      assert.equal(plain.activeRows, 1);
      assert.equal(plain.differentiable, false); // weakly active: zero dual
      const normalized = differentiateSync(problem, sol, { dx }, { normalizeRows: true });
      assert.equal(normalized.activeRows, 0);
      assert.equal(normalized.differentiable, true, normalized.reason);
      assert.deepEqual([...normalized.dq!], [-1, -2]);
    });

    it("refineActiveSet: an inaccurate solution gets the exact solution's active set and gradient", () => {
      const gen = generate({
        n: 60,
        seed: 61,
        pDensity: 0.2,
        rowNnz: 6,
        counts: { eq: 6, up: 10, low: 10, range: 10, oneSided: 6 },
        boundsUp: 6,
        boundsLow: 6,
        boxFraction: 0.5,
      });
      const problem = canonicalOf(gen);
      const exact = solveChecked(problem);
      // An answer off by ~1e-3, as admm at low accuracy gives: the tolerance rule (1e-5) misses
      // active constraints and finds others.
      const r = rng(62);
      const noisy = (v: Float64Array) => v.map((e) => e + 2e-3 * (2 * r() - 1));
      const rough = {
        x: noisy(exact.x),
        y: noisy(exact.y).map((e, i) => (exact.y[i] === 0 ? 0 : e)),
        z: noisy(exact.z).map((e, i) => (exact.z[i] === 0 ? 0 : e)),
      };
      const dx = new Float64Array(gen.n).map(() => 2 * r() - 1);
      const reference = differentiateSync(problem, exact, { dx });
      const plain = differentiateSync(problem, rough, { dx });
      const refined = differentiateSync(problem, rough, { dx }, { refineActiveSet: true });
      const err = (g: Gradients) =>
        relDiff(
          [...g.dq!, ...g.dl!, ...g.du!, ...g.dlb!, ...g.dub!],
          [...reference.dq!, ...reference.dl!, ...reference.du!, ...reference.dlb!, ...reference.dub!],
        );
      console.log(
        `      noisy solution: tolerance rule ${plain.activeRows}+${plain.activeBounds} active (error ${err(plain).toExponential(2)}), refined ${refined.activeRows}+${refined.activeBounds} after ${refined.activeSetChanges} changes (error ${err(refined).toExponential(2)}), exact ${reference.activeRows}+${reference.activeBounds}`,
      );
      assert.ok(err(plain) > 1e-3, 'the tolerance rule alone should be misled by the noise');
      assert.ok(refined.activeSetChanges > 0);
      assert.equal(refined.activeRows, reference.activeRows);
      assert.equal(refined.activeBounds, reference.activeBounds);
      assert.ok(err(refined) < 1e-9, String(err(refined)));
    });

    it('validates normalizeRows and refineActiveSet', () => {
      const problem: CanonicalProblem<Float64Array, CscMatrix> = {
        P: CscMatrix.fromDense([[1]], { triangle: 'lower' }),
        q: f64([1]),
        A: CscMatrix.fromDense([[1]]),
        l: f64([0]),
        u: f64([1]),
      };
      const sol = { x: f64([0]), y: f64([-1]), z: f64([0]) };
      for (const key of ['normalizeRows', 'refineActiveSet']) {
        assert.throws(
          () => differentiateSync(problem, sol, { dx: f64([1]) }, { [key]: 1 } as never),
          (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION && e.message.includes(key),
        );
        assert.throws(
          () => jvpSync(problem, sol, { dq: f64([1]) }, { [key]: 'yes' } as never),
          (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION,
        );
      }
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

    it('differentiate (async) equals differentiateSync, for both methods', async () => {
      const c = new Float64Array(gen.n).fill(0.5);
      for (const method of ['kkt', 'full'] as DifferentiateMethod[]) {
        const a = await differentiate(problem, sol, { dx: c }, { method });
        const s = differentiateSync(problem, sol, { dx: c }, { method });
        assert.deepEqual(gradVector(a), gradVector(s));
        assert.equal(a.method, method);
      }
    });

    it('wrt returns only the requested gradients', () => {
      const g = differentiateSync(problem, sol, { dx: new Float64Array(gen.n).fill(1) }, { wrt: ['q', 'u'] });
      assert.ok(g.dq && g.du);
      for (const k of ['dP', 'dA', 'dl', 'dlb', 'dub'] as const) assert.equal(g[k], undefined, k);
    });

    const rejects = (fn: () => unknown, code: string) => {
      assert.throws(
        () => fn(),
        (e: unknown) => e instanceof QpError && e.code === code,
      );
    };

    it('rejects a solution that is not solved (ERR_QP_NOT_DIFFERENTIABLE)', async () => {
      const bad = { ...sol, status: 'maxIterations' as const };
      rejects(() => differentiateSync(problem, bad, { dx: new Float64Array(gen.n) }), ErrorCode.NOT_DIFFERENTIABLE);
      await assert.rejects(
        differentiate(problem, bad, { dx: new Float64Array(gen.n) }),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.NOT_DIFFERENTIABLE,
      );
    });

    it('validates dx: type, length, finiteness', async () => {
      rejects(() => differentiateSync(problem, sol, { dx: Float32Array.from([1, 2]) as unknown as Float64Array }), ErrorCode.INVALID_TYPE);
      rejects(() => differentiateSync(problem, sol, { dx: [1, 2] }), ErrorCode.DIMENSION_MISMATCH);
      rejects(() => differentiateSync(problem, sol, { dx: new Float64Array(gen.n + 1) }), ErrorCode.DIMENSION_MISMATCH);
      const nan = new Float64Array(gen.n);
      nan[3] = NaN;
      rejects(() => differentiateSync(problem, sol, { dx: nan }), ErrorCode.NOT_FINITE);
      await assert.rejects(
        differentiate(problem, sol, { dx: nan }),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.NOT_FINITE && e.index === 3,
      );
    });

    it('validates options', () => {
      const dx = new Float64Array(gen.n);
      rejects(() => differentiateSync(problem, sol, { dx }, { method: 'bpqp' as DifferentiateMethod }), ErrorCode.INVALID_OPTION);
      rejects(() => differentiateSync(problem, sol, { dx }, { epsActive: -1 }), ErrorCode.INVALID_OPTION);
      rejects(() => differentiateSync(problem, sol, { dx }, { wrt: ['G'] }), ErrorCode.INVALID_OPTION);
    });
  });

  describe('forward mode (jvp): adjoint identity ⟨vjp(g), δ⟩ = ⟨g, jvp(δ)⟩', () => {
    const innerVjp = (g: Gradients, t: TypedTangents) => {
      let s = 0;
      for (const k of ['dP', 'dq', 'dA', 'dl', 'du', 'dG', 'dh', 'db', 'dlb', 'dub'] as const) if (g[k] && t[k]) s += dot(g[k]!, t[k]!);
      return s;
    };
    it('canonical n=60 (every datum perturbed at once) and jvp dx vs finite differences', async () => {
      const gen = generate(canonicalCases[2]!.opts);
      const problem = canonicalOf(gen);
      const sol = solveChecked(problem);
      const r = rng(601);
      const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
      const isEq = (i: number) => problem.l![i] === problem.u![i];
      const db = direction(problem.l!, r, isEq);
      const t: TypedTangents = {
        dP: direction(gen.P.values, r),
        dq: direction(gen.q, r),
        dA: direction(problem.A!.values, r),
        du: direction(problem.u!, r, (i) => !isEq(i)).map((v, i) => (isEq(i) ? db[i]! : v)),
        dl: direction(problem.l!, r, (i) => !isEq(i)).map((v, i) => (isEq(i) ? db[i]! : v)),
        dlb: direction(gen.lb, r),
        dub: direction(gen.ub, r),
      };
      const g = differentiateSync(problem, sol, { dx: c });
      const f = jvpSync(problem, sol, t);
      const fa = await jvp(problem, sol, t);
      assert.deepEqual(Array.from(fa.dx), Array.from(f.dx));
      assert.ok(f.differentiable, f.reason);
      const lhs = innerVjp(g, t);
      const rhs = dot(c, f.dx);
      console.log(`      jvp canonical n=60: ⟨vjp, δ⟩ = ${lhs}, ⟨c, jvp⟩ = ${rhs}, rel err ${relErr(lhs, rhs).toExponential(2)}`);
      assert.ok(relErr(lhs, rhs) <= 1e-10);
      // dx itself against finite differences along the same direction (all data moved together).
      const eps = 1e-4;
      const at = (sgn: number) => {
        const P2 = withValues(gen.P, shifted(gen.P.values, t.dP!, sgn * eps));
        const A2 = withValues(problem.A!, shifted(problem.A!.values, t.dA!, sgn * eps));
        return solveChecked({
          ...problem,
          P: P2,
          A: A2,
          q: shifted(gen.q, t.dq!, sgn * eps),
          l: shifted(problem.l!, t.dl!, sgn * eps),
          u: shifted(problem.u!, t.du!, sgn * eps),
          lb: shifted(gen.lb, t.dlb!, sgn * eps),
          ub: shifted(gen.ub, t.dub!, sgn * eps),
        }).x;
      };
      const xp = at(1);
      const xm = at(-1);
      const fd = xp.map((v, i) => (v - xm[i]!) / (2 * eps));
      const err = relDiff(Array.from(f.dx), Array.from(fd));
      console.log(
        `      jvp canonical n=60: ‖dx − fd‖/‖fd‖ = ${err.toExponential(2)}, cosine ${cosine(Array.from(f.dx), Array.from(fd)).toFixed(12)}`,
      );
      assert.ok(err <= 1e-5, `jvp dx vs finite differences: ${err}`);
    });

    it('dual seeds dy, dz: adjoint identity with jvp, jvp duals vs finite differences, and the four methods agree', () => {
      const gen = generate(canonicalCases[2]!.opts);
      const problem = canonicalOf(gen);
      const sol = solveChecked(problem);
      const r = rng(602);
      const seeds = {
        dx: new Float64Array(gen.n).map(() => 2 * r() - 1),
        dy: new Float64Array(problem.l!.length).map(() => 2 * r() - 1),
        dz: new Float64Array(gen.n).map(() => 2 * r() - 1),
      };
      const isEq = (i: number) => problem.l![i] === problem.u![i];
      const db = direction(problem.l!, r, isEq);
      const t: TypedTangents = {
        dq: direction(gen.q, r),
        dP: direction(gen.P.values, r),
        du: direction(problem.u!, r, (i) => !isEq(i)).map((v, i) => (isEq(i) ? db[i]! : v)),
        dl: direction(problem.l!, r, (i) => !isEq(i)).map((v, i) => (isEq(i) ? db[i]! : v)),
        dub: direction(gen.ub, r),
        dlb: direction(gen.lb, r),
      };
      const g = differentiateSync(problem, sol, seeds);
      const f = jvpSync(problem, sol, t);
      const lhs = innerVjp(g, t);
      const rhs = dot(seeds.dx, f.dx) + dot(seeds.dy, f.dy) + dot(seeds.dz, f.dz);
      console.log(`      dual seeds: ⟨vjp, δ⟩ = ${lhs}, ⟨(dx, dy, dz), jvp⟩ = ${rhs}, rel err ${relErr(lhs, rhs).toExponential(2)}`);
      assert.ok(relErr(lhs, rhs) <= 1e-10);
      // The dual part of jvp against finite differences of re-solved duals.
      const eps = 1e-4;
      const at = (sgn: number) => {
        const P2 = withValues(gen.P, shifted(gen.P.values, t.dP!, sgn * eps));
        return solveChecked({
          ...problem,
          P: P2,
          q: shifted(gen.q, t.dq!, sgn * eps),
          l: shifted(problem.l!, t.dl!, sgn * eps),
          u: shifted(problem.u!, t.du!, sgn * eps),
          lb: shifted(gen.lb, t.dlb!, sgn * eps),
          ub: shifted(gen.ub, t.dub!, sgn * eps),
        });
      };
      const sp = at(1);
      const sm = at(-1);
      const fdY = [...sp.y.map((v, i) => (v - sm.y[i]!) / (2 * eps)), ...sp.z.map((v, i) => (v - sm.z[i]!) / (2 * eps))];
      const errY = relDiff([...f.dy, ...f.dz], fdY);
      console.log(`      jvp (dy, dz) vs finite differences: ${errY.toExponential(2)}`);
      assert.ok(errY <= 1e-5, String(errY));
      // Every method takes the dual seeds (full is OptNet's formulation: an independent check).
      for (const method of ['full', 'qp', 'penalty'] as DifferentiateMethod[]) {
        const other = differentiateSync(problem, sol, seeds, { method });
        const err = relDiff(gradVector(other), gradVector(g));
        console.log(`      dual seeds: ${method} vs kkt ${err.toExponential(2)}`);
        assert.ok(err <= (method === 'penalty' ? 1e-3 : 1e-6), `${method}: ${err}`);
      }
      // Seeds are checked like dx.
      assert.throws(
        () => differentiateSync(problem, sol, { ...seeds, dy: new Float64Array(3) }),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.DIMENSION_MISMATCH && /grads\.dy/.test(e.message),
      );
      assert.throws(
        () => differentiateSync(problem, sol, { ...seeds, dz: seeds.dz.map(() => NaN) }),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.NOT_FINITE && /grads\.dz/.test(e.message),
      );
      assert.throws(
        () => differentiateSync(problem, sol, { ...seeds, dw: seeds.dz } as never),
        (e: unknown) => e instanceof QpError && /grads\.dw/.test(e.message),
      );
    });

    it("standard form n=40 and P stored 'full'", () => {
      const gen = generate({
        n: 40,
        seed: 21,
        pDensity: 0.2,
        rowNnz: 6,
        counts: { eq: 6, up: 8, oneSided: 10 },
        boundsUp: 3,
        boundsLow: 3,
        boxFraction: 0.5,
        oneSided: true,
      });
      const std = standardOf(gen);
      const problem: StandardProblem<Float64Array, CscMatrix> = { ...std, P: CscMatrix.fromDense(gen.P.toDense(), { triangle: 'full' }) };
      const sol = solveChecked(problem);
      const r = rng(602);
      const c = new Float64Array(gen.n).map(() => 2 * r() - 1);
      // A symmetric tangent on the full storage.
      const P = problem.P!;
      const dense = P.toDense().map((row) => row.map(() => 0));
      for (let j = 0; j < gen.n; j++)
        for (let i = j; i < gen.n; i++) if (P.toDense()[i]![j] !== 0) dense[i]![j] = dense[j]![i] = 2 * r() - 1;
      const dP = new Float64Array(P.nnz);
      for (let j = 0; j < gen.n; j++) for (let k = P.colPtr[j]!; k < P.colPtr[j + 1]!; k++) dP[k] = dense[P.rowIdx[k]!]![j]!;
      const t: TypedTangents = {
        dP,
        dq: direction(problem.q, r),
        dG: direction(problem.G!.values, r),
        dA: direction(problem.A!.values, r),
        dh: direction(problem.h!, r),
        db: direction(problem.b!, r),
        dlb: direction(problem.lb!, r),
        dub: direction(problem.ub!, r),
      };
      const g = differentiateSync(problem, sol, { dx: c });
      const f = jvpSync(problem, sol, t);
      const lhs = innerVjp(g, t);
      const rhs = dot(c, f.dx);
      console.log(`      jvp standard n=40 (P full): ⟨vjp, δ⟩ = ${lhs}, ⟨c, jvp⟩ = ${rhs}, rel err ${relErr(lhs, rhs).toExponential(2)}`);
      assert.ok(relErr(lhs, rhs) <= 1e-10);
      assert.throws(
        () => jvpSync(problem, sol, { dl: new Float64Array(1) } as Tangents),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_TYPE,
      );
    });
  });
});
