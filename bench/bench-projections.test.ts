/**
 * The references of `npm run bench:projections` (bench/bench-families.ts, bench/bench-projections.ts):
 * the sort-based simplex projection and the dynamic programme for the bounded-difference chain,
 * each against a brute force over active sets on small n, the chain's solver-free certificate,
 * quadprog (an independent dense solver) on a medium n, and the pure helpers of the script.
 * Nothing here is timed.
 */
import { strict as assert } from 'node:assert';
import { CscMatrix } from '../lib/sparse';
import { availableSolvers, solveSync } from '../lib/solve';
import {
  boundedDifferencesKkt,
  chainBoxData,
  chainBoxProblem,
  differenceMatrix,
  generate,
  normal,
  projectBoundedDifferences,
  projectSimplex,
  simplexProblem,
  uniform,
} from './bench-families';
import {
  concurrencyVerdict,
  fmtSize,
  inputBytes,
  parseOptions,
  parseProcStatus,
  projectionReference,
  skipReason,
  verdict,
} from './bench-projections';
import { assertClose } from '../test/helpers';

/** The simplex projection by brute force: every support S, x_S = y_S − τ with Σx = 1; the nearest feasible one. */
function simplexBruteForce(y: Float64Array): Float64Array {
  const n = y.length;
  let best: Float64Array | undefined;
  let bestD = Infinity;
  for (let mask = 1; mask < 1 << n; mask++) {
    let sum = 0;
    let k = 0;
    for (let i = 0; i < n; i++)
      if (mask & (1 << i)) {
        sum += y[i]!;
        k++;
      }
    const tau = (sum - 1) / k;
    const x = new Float64Array(n);
    let ok = true;
    for (let i = 0; i < n; i++)
      if (mask & (1 << i)) {
        x[i] = y[i]! - tau;
        if (x[i]! < -1e-12) ok = false;
      }
    if (!ok) continue;
    let d = 0;
    for (let i = 0; i < n; i++) d += (x[i]! - y[i]!) ** 2;
    if (d < bestD) {
      bestD = d;
      best = x;
    }
  }
  return best!;
}

/**
 * The bounded-difference projection by brute force: every pattern p ∈ {0, +1, −1}^(n−1) of
 * rows held at x_i − x_{i+1} = p_i·w; each run of linked entries is x_k = c + o_k with the
 * offsets o fixed by the pattern and c the mean of v_k − o_k (the projection onto that affine
 * set); the nearest point that satisfies every row is the projection (it is one of these).
 */
function boundedDifferencesBruteForce(v: number[], w: number): Float64Array {
  const n = v.length;
  let best: Float64Array | undefined;
  let bestD = Infinity;
  const patterns = 3 ** (n - 1);
  for (let code = 0; code < patterns; code++) {
    const p: number[] = [];
    for (let c = code, i = 0; i < n - 1; i++, c = Math.floor(c / 3)) p.push([0, 1, -1][c % 3]!);
    const x = new Float64Array(n);
    let start = 0;
    while (start < n) {
      let end = start;
      const o = [0];
      while (end < n - 1 && p[end] !== 0) {
        o.push(o[o.length - 1]! - p[end]! * w);
        end++;
      }
      let c = 0;
      for (let k = start; k <= end; k++) c += v[k]! - o[k - start]!;
      c /= end - start + 1;
      for (let k = start; k <= end; k++) x[k] = c + o[k - start]!;
      start = end + 1;
    }
    let ok = true;
    for (let i = 0; i < n - 1; i++) if (Math.abs(x[i]! - x[i + 1]!) > w + 1e-12) ok = false;
    if (!ok) continue;
    let d = 0;
    for (let i = 0; i < n; i++) d += (x[i]! - v[i]!) ** 2;
    if (d < bestD - 1e-15) {
      bestD = d;
      best = x;
    }
  }
  return best!;
}

interface QuadprogModule {
  solveQP(D: number[][], d: number[], A: number[][], b: number[], meq: number): { solution: number[]; message: string };
}

describe('projections: the simplex reference', () => {
  it('the sort-based closed form equals the brute force over supports (n ≤ 8)', () => {
    const randn = normal(uniform(21));
    for (const n of [1, 2, 3, 5, 8]) {
      for (let rep = 0; rep < 6; rep++) {
        const y = new Float64Array(n).map(() => (rep % 2 ? 0.3 : 2) * randn());
        assertClose(projectSimplex(y), simplexBruteForce(y), 1e-12, `n ${n} rep ${rep}`);
      }
    }
  });

  it('simplexProblem without its reference builds the same problem', () => {
    const a = simplexProblem(50);
    const b = simplexProblem(50, undefined, false);
    assert.equal(b.reference, undefined);
    assert.deepEqual(Array.from(a.problem.q), Array.from(b.problem.q));
    assertClose(projectionReference('simplex')!.project(b.problem.q.map((v) => -v)), a.reference!.x, 0);
  });
});

describe('projections: the bounded-difference chain reference', () => {
  it('hand cases', () => {
    assertClose(projectBoundedDifferences([0, 3]), [1, 2], 1e-15);
    assertClose(projectBoundedDifferences([3, 0]), [2, 1], 1e-15);
    assertClose(projectBoundedDifferences([0.2, -0.5, 0.4]), [0.2, -0.5, 0.4], 1e-15); // feasible: unchanged
    assertClose(projectBoundedDifferences([0, 0, 6]), [1, 2, 3], 1e-15);
    assertClose(projectBoundedDifferences([1, 5, 2], 0), [8 / 3, 8 / 3, 8 / 3], 1e-15); // w = 0: the mean
    assert.equal(projectBoundedDifferences([]).length, 0);
    assertClose(projectBoundedDifferences([7]), [7], 0);
  });

  it('the dynamic programme equals the brute force over active patterns (n ≤ 7, several widths)', () => {
    const randn = normal(uniform(22));
    for (const n of [2, 3, 4, 5, 7]) {
      for (const w of [1, 0.5, 2.5]) {
        for (let rep = 0; rep < 4; rep++) {
          const v = Array.from({ length: n }, () => 2 * randn());
          const x = projectBoundedDifferences(v, w);
          assertClose(x, boundedDifferencesBruteForce(v, w), 1e-11, `n ${n} w ${w} rep ${rep}`);
        }
      }
    }
  });

  it('its answer passes the solver-free certificate, and a perturbed one does not', () => {
    for (const n of [10, 1000, 20000]) {
      const v = chainBoxData(n, 5);
      const x = projectBoundedDifferences(v);
      const k = boundedDifferencesKkt(v, x);
      assert.ok(k.stationarity < 1e-9, `n ${n}: stationarity ${k.stationarity}`);
      assert.ok(k.feasibility < 1e-12, `n ${n}: feasibility ${k.feasibility}`);
      assert.ok(k.complementarity < 1e-9, `n ${n}: complementarity ${k.complementarity}`);
      let active = 0;
      for (let i = 0; i < n - 1; i++) if (Math.abs(Math.abs(x[i]! - x[i + 1]!) - 1) < 1e-12) active++;
      if (n >= 1000) assert.ok(active > 0.2 * n && active < 0.8 * n, `n ${n}: ${active} active rows`);
      // Moving one entry off the optimum breaks stationarity or complementarity.
      const bad = Float64Array.from(x);
      bad[n >> 1]! -= 1e-3;
      const kb = boundedDifferencesKkt(v, bad);
      assert.ok(Math.max(kb.stationarity, kb.feasibility, kb.complementarity) > 1e-4, `n ${n}: perturbation not seen`);
    }
  });

  it('the certificate computes the row duals of docs/METHODS.md §2 (x − v + Aᵀy = 0)', () => {
    const v = Float64Array.of(0, 3, 3, -2, 0.5);
    const x = projectBoundedDifferences(v);
    const { y } = boundedDifferencesKkt(v, x);
    const A = differenceMatrix(v.length);
    const ATy = A.multiplyTransposed(y);
    for (let i = 0; i < v.length; i++) assert.ok(Math.abs(x[i]! - v[i]! + ATy[i]!) < 1e-12);
    const Ax = A.multiply(x);
    for (let i = 0; i < y.length; i++) {
      if (y[i]! > 1e-12) assert.ok(Math.abs(Ax[i]! - 1) < 1e-12, `row ${i}: y > 0 off the upper side`);
      if (y[i]! < -1e-12) assert.ok(Math.abs(Ax[i]! + 1) < 1e-12, `row ${i}: y < 0 off the lower side`);
    }
  });

  it('agrees with quadprog (dense Goldfarb–Idnani) at n = 60', function () {
    let qp: QuadprogModule;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional package, loaded only when present
      qp = require('quadprog') as QuadprogModule;
    } catch {
      this.skip();
      return;
    }
    const n = 60;
    const v = chainBoxData(n, 9);
    // min ½xᵀx − vᵀx  s.t.  x_i − x_{i+1} ≥ −1, −(x_i − x_{i+1}) ≥ −1   (1-indexed arrays)
    const D: number[][] = [[]];
    for (let i = 1; i <= n; i++) D.push(Array.from({ length: n + 1 }, (_, j) => (j === i ? 1 : 0)));
    const d = [0, ...v];
    const A: number[][] = [[]];
    for (let i = 1; i <= n; i++) A.push(new Array<number>(2 * (n - 1) + 1).fill(0));
    const b = [0];
    for (let r = 0; r < n - 1; r++) {
      A[r + 1]![2 * r + 1] = 1;
      A[r + 2]![2 * r + 1] = -1;
      b.push(-1);
      A[r + 1]![2 * r + 2] = -1;
      A[r + 2]![2 * r + 2] = 1;
      b.push(-1);
    }
    const out = qp.solveQP(D, d, A, b, 0);
    assert.equal(out.message, '');
    assertClose(projectBoundedDifferences(v), out.solution.slice(1), 1e-9);
  });
});

describe('projections: the chain-box family', () => {
  it('is the projection of v onto −1 ≤ x_i − x_{i+1} ≤ 1 with the DP as its reference', () => {
    const n = 40;
    const bp = chainBoxProblem(n);
    assert.equal(bp.family, 'chain-box');
    assert.equal(bp.m, n - 1);
    assert.equal(bp.problem.A!.nnz, 2 * (n - 1));
    const Ax = bp.problem.A!.multiply(Float64Array.from({ length: n }, (_, i) => i * i));
    for (let i = 0; i < n - 1; i++) assert.equal(Ax[i], i * i - (i + 1) * (i + 1));
    assert.ok(bp.problem.l!.every((v) => v === -1) && bp.problem.u!.every((v) => v === 1));
    const v = bp.problem.q.map((x) => -x);
    assertClose(bp.reference!.x, projectBoundedDifferences(v), 0);
    assert.deepEqual(Array.from(generate('chain-box', n, false).problem.q), Array.from(bp.problem.q));
    assert.equal(generate('chain-box', n, false).reference, undefined);
  });

  // P = I makes the objective 1-strongly convex: for a feasible x, ½‖x − x*‖² ≤ f(x) − f* ≤
  // f(x) − d(y) for any y (weak duality), with the dual function d(y) = −½‖q + Aᵀy‖² −
  // Σ_i (u_i·max(y_i, 0) + l_i·min(y_i, 0)). So the solver's own x and y bound its distance from
  // the projection, √(2·(f(x) − d(y))), whatever its tolerances: that is what is checked here. (An
  // interior-point method stops with x about √gap from the optimum near a weakly active row: ipm
  // at n = 10 stops within its relative tolerance 4e-3 from the DP in x, inside this bound.)
  for (const n of [10, 300]) {
    it(`n = ${n}: every solver matches the DP within the distance its own duality gap guarantees`, () => {
      const bp = chainBoxProblem(n);
      const { P, q, A, l, u } = bp.problem;
      for (const { key } of availableSolvers()) {
        const sol = solveSync(bp.problem, { solver: key });
        assert.equal(sol.status, 'solved', `${key}: ${sol.status} (${sol.rawStatusText})`);
        assert.ok(sol.primalResidual <= 1e-12, `${key}: r_p ${sol.primalResidual}`);
        const Px = P!.multiply(sol.x);
        const g = A!.multiplyTransposed(sol.y);
        let f = 0;
        let d = 0;
        for (let i = 0; i < n; i++) {
          f += 0.5 * sol.x[i]! * Px[i]! + q[i]! * sol.x[i]!;
          d -= 0.5 * (q[i]! + g[i]!) ** 2;
        }
        for (let i = 0; i < n - 1; i++) d -= sol.y[i]! > 0 ? u![i]! * sol.y[i]! : l![i]! * sol.y[i]!;
        const gap = f - d;
        assert.ok(gap >= -1e-9, `${key}: f(x) − d(y) = ${gap} < 0 breaks weak duality`);
        let err = 0;
        for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(sol.x[i]! - bp.reference!.x[i]!));
        const bound = Math.sqrt(2 * Math.max(gap, 0)) + 1e-7;
        assert.ok(err <= bound, `${key}: max|x − x_ref| ${err} > √(2·(f(x) − d(y))) = ${bound}`);
      }
    });
  }
});

describe('projections: helpers of bench-projections', () => {
  it('inputBytes counts every typed array of the problem', () => {
    const P = CscMatrix.identity(3, 1, 'lower'); // colPtr 4·4, rowIdx 3·4, values 3·8 = 52
    const A = differenceMatrix(3); // colPtr 4·4, rowIdx 4·4, values 4·8 = 64
    const p = { P, A, q: new Float64Array(3), l: new Float64Array(2), u: new Float64Array(2) };
    assert.equal(inputBytes(p), 52 + 64 + 24 + 16 + 16);
    assert.equal(inputBytes({ ...p, lb: new Float64Array(3), ub: new Float64Array(3) }), 52 + 64 + 24 + 16 + 16 + 48);
    assert.equal(inputBytes({ q: new Float64Array(5) }), 40);
  });

  it('parseProcStatus reads VmRSS and VmHWM in bytes', () => {
    const text = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\nThreads:\t7\n';
    assert.deepEqual(parseProcStatus(text), { rss: 1024 * 1024, hwm: 2048 * 1024 });
    assert.deepEqual(parseProcStatus('Name:\tnode\n'), {});
  });

  it('projectionReference names an exact method for each projection family', () => {
    assert.equal(projectionReference('chain-box')!.how, 'exact dynamic programme');
    assertClose(projectionReference('chain-box')!.project(Float64Array.of(0, 3)), [1, 2], 1e-15);
    assertClose(projectionReference('chain')!.project(Float64Array.of(3, 1)), [2, 2], 1e-15);
    assert.equal(projectionReference('dense'), undefined);
  });

  it('skipReason: after a failure, or when linear scaling predicts an overrun', () => {
    assert.equal(skipReason(undefined, 1e6, 20), undefined);
    assert.equal(skipReason({ n: 1e5, seconds: 1 }, 1e6, 20), undefined);
    assert.match(skipReason({ n: 1e5, seconds: 3 }, 1e6, 20)!, /predicted/);
    assert.match(skipReason({ n: 1e5, failed: 'timeLimit' }, 1e6, 20)!, /timeLimit/);
  });

  it('verdict: met, not met, not measured', () => {
    assert.equal(verdict(0.2, 0.3), 'met');
    assert.equal(verdict(0.3, 0.3), 'met');
    assert.equal(verdict(0.31, 0.3), 'not met');
    assert.equal(verdict(undefined, 0.3), 'not measured');
    assert.equal(verdict(NaN, 0.3), 'not measured');
  });

  it('concurrencyVerdict: met, not met, or inconclusive when one solve could not keep a core busy', () => {
    assert.equal(concurrencyVerdict(0.55, 1), 'met');
    assert.equal(concurrencyVerdict(0.9, 0.98), 'not met');
    assert.match(concurrencyVerdict(1.1, 0.6), /^inconclusive: the process got 0\.60 of a core/);
    assert.equal(concurrencyVerdict(NaN, 1), 'not measured');
  });

  it('fmtSize: powers of ten and their multiples', () => {
    assert.equal(fmtSize(1e5), '10⁵');
    assert.equal(fmtSize(2e6), '2·10⁶');
    assert.equal(fmtSize(4e5), '4·10⁵');
    assert.equal(fmtSize(1000), '1000');
    assert.equal(fmtSize(123456), '123456');
  });

  it('parseOptions: defaults, lists, and errors that name the flag', () => {
    const built = ['highs', 'admm', 'ipm'];
    const o = parseOptions([], built);
    assert.deepEqual(o.families, ['simplex', 'chain-box']);
    assert.deepEqual(o.sizes, [1e5, 1e6]);
    assert.equal(o.solvers[0], 'ipm');
    assert.deepEqual(o.memoryLarge, { family: 'chain-box', size: 2e6 });
    assert.deepEqual(o.concurrency, { family: 'chain-box', size: 4e5 });
    const p = parseOptions(['--sizes', '1e4', '--solvers', 'ipm', '--parts', 'memory', '--memory-large', 'none'], built);
    assert.deepEqual(p.sizes, [1e4]);
    assert.deepEqual(p.solvers, ['ipm']);
    assert.deepEqual([...p.parts], ['memory']);
    assert.equal(p.memoryLarge, undefined);
    assert.throws(() => parseOptions(['--solvers', 'gurobi'], built), /--solvers: solver gurobi is not built in/);
    assert.throws(() => parseOptions(['--families', 'nope'], built), /--families: unknown family nope/);
    assert.throws(() => parseOptions(['--time-limit', '0'], built), /--time-limit must be a positive number/);
    assert.throws(() => parseOptions(['--concurrency', 'chain-box'], built), /--concurrency takes family=size/);
    assert.throws(() => parseOptions(['--bogus'], built), /bogus/);
  });
});
