/**
 * The problem generators of `npm run bench` (bench/bench-families.ts) and their references:
 * the closed-form simplex projection and pool-adjacent-violators are checked against
 * independent formulas, our solvers against them, and every generated family is checked to be
 * what it says (feasible at its known point, the right structure) and solvable with a small
 * KKT residual recomputed here from the data.
 */
import { strict as assert } from 'node:assert';
import { availableSolvers, solveSync } from '../lib/solve';
import { CanonicalProblem } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';
import {
  BenchProblem,
  chainDqpProblem,
  chainProblem,
  denseProblem,
  generate,
  isotonicRegression,
  nearestNeighbours,
  normal,
  portfolioProblem,
  projectSimplex,
  simplexProblem,
  sparseProblem,
  uniform,
} from './bench-families';
import { assertClose, kktResiduals } from '../test/helpers';

const solvers = availableSolvers().map((s) => s.key);

/** τ of the simplex projection by bisection on Σ max(y − τ, 0) = 1 (no sorting). */
function projectSimplexByBisection(y: Float64Array): Float64Array {
  let lo = Math.min(...y) - 1;
  let hi = Math.max(...y);
  for (let k = 0; k < 200; k++) {
    const tau = (lo + hi) / 2;
    let s = 0;
    for (const v of y) s += Math.max(v - tau, 0);
    if (s > 1) lo = tau;
    else hi = tau;
  }
  const tau = (lo + hi) / 2;
  return y.map((v) => Math.max(v - tau, 0));
}

/** Isotonic regression by the min–max formula x_i = max_{j≤i} min_{k≥i} mean(v_j..v_k), O(n³). */
function isotonicByMinMax(v: number[]): number[] {
  const n = v.length;
  const x: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    for (let j = 0; j <= i; j++) {
      let worst = Infinity;
      for (let k = i; k < n; k++) {
        let s = 0;
        for (let t = j; t <= k; t++) s += v[t]!;
        worst = Math.min(worst, s / (k - j + 1));
      }
      best = Math.max(best, worst);
    }
    x.push(best);
  }
  return x;
}

function rowActivity(p: CanonicalProblem<Float64Array, CscMatrix>, x: Float64Array): Float64Array {
  return p.A!.multiply(x);
}

/** Largest violation of l ≤ Ax ≤ u and lb ≤ x ≤ ub, and the smallest slack of the finite sides. */
function feasibility(p: CanonicalProblem<Float64Array, CscMatrix>, x: Float64Array): { violation: number; minSlack: number } {
  const Ax = rowActivity(p, x);
  let violation = 0;
  let minSlack = Infinity;
  for (let i = 0; i < Ax.length; i++) {
    const lo = p.l![i]!;
    const hi = p.u![i]!;
    if (lo === hi) {
      violation = Math.max(violation, Math.abs(Ax[i]! - hi));
      continue;
    }
    violation = Math.max(violation, Ax[i]! - hi, lo - Ax[i]!);
    if (hi < Infinity) minSlack = Math.min(minSlack, hi - Ax[i]!);
    if (lo > -Infinity) minSlack = Math.min(minSlack, Ax[i]! - lo);
  }
  for (let j = 0; j < x.length; j++) {
    if (p.lb) violation = Math.max(violation, p.lb[j]! - x[j]!);
    if (p.ub) violation = Math.max(violation, x[j]! - p.ub[j]!);
  }
  return { violation, minSlack };
}

/** Solves with every available solver and checks status and an independent KKT residual. */
function solvesWithSmallKkt(bp: BenchProblem, only?: string[]): void {
  const p = bp.problem;
  for (const solver of solvers.filter((s) => !only || only.includes(s))) {
    const sol = solveSync(p, { solver });
    assert.equal(sol.status, 'solved', `${bp.name} with ${solver}: ${sol.status} (${sol.rawStatusText})`);
    const { rp, rd, rg } = kktResiduals(sol, p as Parameters<typeof kktResiduals>[1]);
    const Px = p.P!.multiply(sol.x);
    let scale = 1;
    for (let j = 0; j < bp.n; j++) scale = Math.max(scale, Math.abs(p.q[j]!), Math.abs(Px[j]!));
    const bScale = Math.max(1, ...Array.from(p.u!).filter(Number.isFinite).map(Math.abs));
    assert.ok(rp <= 1e-6 * bScale, `${bp.name} ${solver}: r_p ${rp}`);
    assert.ok(rd <= 1e-5 * scale, `${bp.name} ${solver}: r_d ${rd} (scale ${scale})`);
    let objScale = 1;
    for (let j = 0; j < bp.n; j++) objScale += Math.abs(sol.x[j]! * Px[j]!) + Math.abs(p.q[j]! * sol.x[j]!);
    assert.ok(rg <= 1e-5 * objScale, `${bp.name} ${solver}: r_g ${rg} (scale ${objScale})`);
    // Our residuals and the ones recomputed here agree.
    assert.ok(Math.abs(rp - sol.primalResidual) <= 1e-9 * bScale, `${bp.name} ${solver}: r_p ${rp} vs ${sol.primalResidual}`);
    assert.ok(Math.abs(rd - sol.dualResidual) <= 1e-9 * scale, `${bp.name} ${solver}: r_d ${rd} vs ${sol.dualResidual}`);
  }
}

describe('bench families: references', () => {
  it('simplex projection: hand cases', () => {
    assertClose(projectSimplex(Float64Array.of(0.5, 0.5)), [0.5, 0.5], 1e-15);
    assertClose(projectSimplex(Float64Array.of(2, 0)), [1, 0], 1e-15);
    assertClose(projectSimplex(Float64Array.of(1, 1, 1)), [1 / 3, 1 / 3, 1 / 3], 1e-15);
    assertClose(projectSimplex(Float64Array.of(-5, -5, -5, -5)), [0.25, 0.25, 0.25, 0.25], 1e-15);
    // (0.8, 0.6, −1): τ = 0.2 → (0.6, 0.4, 0)
    assertClose(projectSimplex(Float64Array.of(0.8, 0.6, -1)), [0.6, 0.4, 0], 1e-15);
  });

  it('simplex projection: sort-based closed form equals bisection on τ and satisfies the KKT conditions', () => {
    const randn = normal(uniform(11));
    for (const n of [1, 2, 7, 100, 1000]) {
      const y = new Float64Array(n).map(() => 3 * randn());
      const x = projectSimplex(y);
      assertClose(x, projectSimplexByBisection(y), 1e-12, `n ${n}`);
      const sum = x.reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(sum - 1) < 1e-12);
      // x_i > 0 ⇒ y_i − x_i = τ; x_i = 0 ⇒ y_i ≤ τ.
      let tau: number | undefined;
      for (let i = 0; i < n; i++) if (x[i]! > 0) tau = y[i]! - x[i]!;
      for (let i = 0; i < n; i++) {
        if (x[i]! > 0) assert.ok(Math.abs(y[i]! - x[i]! - tau!) < 1e-12);
        else assert.ok(y[i]! <= tau! + 1e-12);
      }
    }
  });

  it('pool-adjacent-violators equals the min–max formula', () => {
    const randn = normal(uniform(12));
    assert.deepEqual(Array.from(isotonicRegression([3, 1, 2])), [2, 2, 2]);
    assert.deepEqual(Array.from(isotonicRegression([1, 2, 3])), [1, 2, 3]);
    for (const n of [1, 2, 5, 40]) {
      for (let rep = 0; rep < 5; rep++) {
        const v = Array.from({ length: n }, (_, i) => i / n + randn());
        const x = isotonicRegression(v);
        assertClose(x, isotonicByMinMax(v), 1e-12, `n ${n}`);
        for (let i = 1; i < n; i++) assert.ok(x[i - 1]! <= x[i]! + 1e-15);
      }
    }
  });

  it('nearest neighbours on the grid equal a brute-force search', () => {
    const u = uniform(13);
    const randn = normal(uniform(14));
    const n = 400;
    const xy = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const c = i % 3;
      xy[2 * i] = 5 * c + randn() * (c + 1) * 0.5 + u();
      xy[2 * i + 1] = -3 * c + randn();
    }
    const k = 3;
    const got = nearestNeighbours(xy, k);
    for (let i = 0; i < n; i++) {
      const d = (j: number) => (xy[2 * j]! - xy[2 * i]!) ** 2 + (xy[2 * j + 1]! - xy[2 * i + 1]!) ** 2;
      const brute = Array.from({ length: n }, (_, j) => j)
        .filter((j) => j !== i)
        .sort((a, b) => d(a) - d(b))
        .slice(0, k);
      const mine = Array.from(got.subarray(i * k, (i + 1) * k));
      assert.deepEqual(mine.map(d), brute.map(d), `point ${i}`);
    }
  });

  it('generators are deterministic', () => {
    const a = sparseProblem(200);
    const b = sparseProblem(200);
    assert.deepEqual(Array.from(a.problem.q), Array.from(b.problem.q));
    assert.deepEqual(Array.from(a.problem.A!.values), Array.from(b.problem.A!.values));
    assert.deepEqual(Array.from(denseProblem(20).problem.P!.values), Array.from(denseProblem(20).problem.P!.values));
    assert.notDeepEqual(Array.from(simplexProblem(10, 1).problem.q), Array.from(simplexProblem(10, 2).problem.q));
  });
});

describe('bench families: our solvers against the references', () => {
  for (const n of [10, 200]) {
    it(`simplex projection, n = ${n}: every solver matches the closed form`, () => {
      const bp = simplexProblem(n);
      for (const solver of solvers) {
        const sol = solveSync(bp.problem, { solver });
        assert.equal(sol.status, 'solved', `${solver}: ${sol.status}`);
        assertClose(sol.x, bp.reference!.x, 1e-5, `${solver} x`);
      }
      solvesWithSmallKkt(bp);
    });
  }

  for (const n of [10, 300]) {
    it(`monotone chain, n = ${n}: every solver matches pool-adjacent-violators`, () => {
      const bp = chainProblem(n);
      assert.equal(bp.m, n - 1);
      for (const solver of solvers) {
        const sol = solveSync(bp.problem, { solver });
        assert.equal(sol.status, 'solved', `${solver}: ${sol.status}`);
        assertClose(sol.x, bp.reference!.x, 1e-5, `${solver} x`);
      }
      solvesWithSmallKkt(bp);
    });
  }
});

describe('bench families: the generated QPs are what they claim', () => {
  it('chain-dqp: n = 100·d, P = ½I + (L⊗I)ᵀ(L⊗I) symmetric positive definite, x = 0 strictly feasible', () => {
    const bp = chainDqpProblem(3);
    assert.equal(bp.n, 300);
    assert.equal(bp.m, 300);
    const P = bp.problem.P!;
    assert.equal(P.triangle, 'lower');
    // Row sums of LᵀL vanish in the interior (L has zero row sums there), so interior rows of P sum to ½.
    const Pones = P.multiply(new Float64Array(bp.n).fill(1));
    for (let i = 2 * 3; i < bp.n - 2 * 3; i++) assert.ok(Math.abs(Pones[i]! - 0.5) < 1e-12, `row ${i}: ${Pones[i]}`);
    const { violation, minSlack } = feasibility(bp.problem, new Float64Array(bp.n));
    assert.equal(violation, 0);
    assert.equal(minSlack, 1);
    // The rows are cyclic differences: they sum to zero over the points, per coordinate.
    const sumRows = bp.problem.A!.multiplyTransposed(new Float64Array(bp.m).fill(1));
    assert.ok(sumRows.every((v) => v === 0));
    solvesWithSmallKkt(bp);
  });

  for (const n of [10, 40]) {
    it(`dense (dQP's random QP), n = ${n}: x = 1 is feasible, strictly for Gx ≤ h; solvers reach a small KKT residual`, () => {
      const bp = denseProblem(n);
      assert.equal(bp.m, n + Math.ceil(n / 2));
      assert.equal(bp.problem.P!.nnz, (n * (n + 1)) / 2);
      assert.equal(bp.problem.A!.nnz, bp.m * n);
      const { violation, minSlack } = feasibility(bp.problem, new Float64Array(n).fill(1));
      assert.ok(violation < 1e-9, `violation ${violation}`);
      assert.ok(Math.abs(minSlack - 1) < 1e-9, `min slack ${minSlack}`);
      solvesWithSmallKkt(bp);
    });
  }

  it("sparse (dQP's random sparse QP): P is a graph Laplacian, every row has an entry, x = 1 feasible", () => {
    const n = 300;
    const bp = sparseProblem(n);
    const P = bp.problem.P!;
    const rowSums = P.multiply(new Float64Array(n).fill(1));
    assert.ok(
      rowSums.every((v) => Math.abs(v) < 1e-12),
      'Laplacian rows sum to 0',
    );
    for (let j = 0; j < n; j++) {
      for (let k = P.colPtr[j]!; k < P.colPtr[j + 1]!; k++) {
        if (P.rowIdx[k] === j) assert.ok(P.values[k]! >= 3, 'every point has at least 3 neighbours');
        else assert.equal(P.values[k], -1);
      }
    }
    const A = bp.problem.A!;
    const count = new Int32Array(A.nrows);
    for (let k = 0; k < A.nnz; k++) count[A.rowIdx[k]!]!++;
    assert.ok(
      count.every((c) => c > 0),
      'no empty row',
    );
    assert.equal(bp.m, n + Math.ceil(n / 2));
    const { violation, minSlack } = feasibility(bp.problem, new Float64Array(n).fill(1));
    assert.ok(violation < 1e-9);
    assert.ok(Math.abs(minSlack - 1) < 1e-9);
    solvesWithSmallKkt(bp);
  });

  it('portfolio: P = 2(FFᵀ + D) dense and positive definite, x = 1/n feasible, solution a long-only budget', () => {
    const n = 60;
    const bp = portfolioProblem(n);
    assert.equal(bp.problem.P!.nnz, (n * (n + 1)) / 2);
    // Positive definite: a Cholesky factorization of the dense P succeeds.
    const dense = bp.problem.P!.toDense();
    const L = dense.map((r) => r.map(() => 0));
    for (let j = 0; j < n; j++) {
      let d = dense[j]![j]!;
      for (let k = 0; k < j; k++) d -= L[j]![k]! ** 2;
      assert.ok(d > 0, `pivot ${j}: ${d}`);
      L[j]![j] = Math.sqrt(d);
      for (let i = j + 1; i < n; i++) {
        let s = dense[i]![j]!;
        for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
        L[i]![j] = s / L[j]![j]!;
      }
    }
    assert.equal(feasibility(bp.problem, new Float64Array(n).fill(1 / n)).violation < 1e-12, true);
    solvesWithSmallKkt(bp);
    const sol = solveSync(bp.problem, { solver: solvers[0]! });
    assert.ok(Math.abs(sol.x.reduce((s, v) => s + v, 0) - 1) < 1e-7);
    assert.ok(sol.x.every((v) => v >= -1e-9));
  });

  it('generate() dispatches every family', () => {
    for (const [family, size, n] of [
      ['simplex', 5, 5],
      ['chain', 5, 5],
      ['chain-dqp', 1, 100],
      ['dense', 5, 5],
      ['sparse', 20, 20],
      ['portfolio', 5, 5],
    ] as const) {
      const bp = generate(family, size);
      assert.equal(bp.family, family);
      assert.equal(bp.n, n);
      assert.equal(bp.problem.q.length, n);
    }
  });
});
