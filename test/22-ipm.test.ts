/**
 * The ipm solver (our proximal interior-point core, native/ipm) through the public API:
 * hand-derived optima with the docs/METHODS.md §3 residuals recomputed here (kktResiduals),
 * shape edge cases, infeasibility certificates verified from the data, agreement with a
 * second solver on seeded random sparse QPs and LPs (canonical and standard form),
 * cancellation through an AbortSignal, non-convex P, concurrency, limits and options.
 */
import { strict as assert } from 'node:assert';
import { binding } from '../lib/binding';
import { ErrorCode, QpError } from '../lib/errors';
import { CanonicalProblem, StandardProblem, toCanonical } from '../lib/problem';
import { availableSolvers, solve, solveSync, Solution, SolveOptions } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { assertClose, chainQp, dense, denseLower, f64, kktResiduals, rng } from './helpers';
import { checkDualCertificate, checkPrimalCertificate } from './certificates';

const inf = Infinity;
const keys = availableSolvers().map((s) => s.key);
const hasIpm = keys.includes('ipm');
/** Tight settings: ipm's own test is then r_p, r_d, r_g ≤ 1e-8 (absolute), which ours must confirm at 1e-7. */
const tight: SolveOptions = { solver: 'ipm', epsAbs: 1e-8, epsRel: 0 };
/**
 * For comparing x with another solver: residuals of 1e-8 bound the distance to the optimum
 * only by about sqrt(2·gap / λmin(P)) (~4e-4 for the random QPs below, and one coordinate of
 * one of them is 1e-5 off at 1e-8), so the comparisons solve to 1e-10 and compare x to 1e-6.
 */
const precise: SolveOptions = { solver: 'ipm', epsAbs: 1e-10, epsRel: 0 };

function checkSolved(p: CanonicalProblem<Float64Array, CscMatrix>, sol: Solution, tol = 1e-7): void {
  assert.equal(sol.status, 'solved', `status ${sol.status} (${sol.rawStatusText})`);
  assert.equal(sol.solver, 'ipm');
  assert.equal(sol.hasDuals, true);
  const { rp, rd, rg } = kktResiduals(sol, p);
  assert.ok(rp <= tol && rd <= tol && rg <= tol, `residuals recomputed here: r_p ${rp}, r_d ${rd}, r_g ${rg} (tol ${tol})`);
}

function randomSparse(n: number, m: number, seed: number, lp = false, perRow = 4): CanonicalProblem<Float64Array, CscMatrix> {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
  const x0 = Array.from({ length: n }, gauss);
  let P: CscMatrix | undefined;
  if (!lp) {
    const pr: number[] = [];
    const pc: number[] = [];
    const pv: number[] = [];
    for (let j = 0; j < n; j++) {
      pr.push(j);
      pc.push(j);
      pv.push(0.1 + r());
    }
    for (let t = 0; t < n / 2; t++) {
      const cols = [...new Set([0, 1, 2].map(() => Math.floor(r() * n)))].sort((a, b) => a - b);
      const vals = cols.map(gauss);
      for (let a = 0; a < cols.length; a++)
        for (let b = 0; b <= a; b++) {
          pr.push(cols[a]!);
          pc.push(cols[b]!);
          pv.push(vals[a]! * vals[b]!);
        }
    }
    P = CscMatrix.fromTriplets(n, n, pr, pc, pv, { triangle: 'lower' });
  }
  const ar: number[] = [];
  const ac: number[] = [];
  const av: number[] = [];
  const l = new Float64Array(m);
  const u = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let ax = 0;
    for (const c of new Set(Array.from({ length: perRow }, () => Math.floor(r() * n)))) {
      const v = gauss();
      ar.push(i);
      ac.push(c);
      av.push(v);
      ax += v * x0[c]!;
    }
    const t = r();
    l[i] = -inf;
    u[i] = inf;
    if (t < 0.2) l[i] = u[i] = ax;
    else if (t < 0.5) u[i] = ax + r();
    else if (t < 0.8) l[i] = ax - r();
    else if (t < 0.95) {
      l[i] = ax - r();
      u[i] = ax + r();
    }
  }
  const lb = new Float64Array(n).fill(-inf);
  const ub = new Float64Array(n).fill(inf);
  for (let j = 0; j < n; j++) {
    const t = r();
    if (lp || t < 0.5) {
      lb[j] = x0[j]! - 1 - r();
      ub[j] = x0[j]! + 1 + r();
    } else if (t < 0.7) lb[j] = x0[j]! - r();
    else if (t < 0.8) ub[j] = x0[j]! + r();
  }
  const q = Float64Array.from({ length: n }, gauss);
  return { ...(P ? { P } : {}), q, A: CscMatrix.fromTriplets(m, n, ar, ac, av), l, u, lb, ub };
}

/** The same family in standard form: G x ≤ h (mG rows) and A x = b (mA rows) around x0. */
function randomStandard(n: number, mG: number, mA: number, seed: number): StandardProblem<Float64Array, CscMatrix> {
  const base = randomSparse(n, mG + mA, seed);
  const r = rng(seed + 1);
  const x0 = Float64Array.from({ length: n }, (_, j) => {
    const lo = base.lb![j]!;
    const hi = base.ub![j]!;
    return Number.isFinite(lo) && Number.isFinite(hi)
      ? (lo + hi) / 2
      : Number.isFinite(lo)
        ? lo + r()
        : Number.isFinite(hi)
          ? hi - r()
          : r() - 0.5;
  });
  const rows = base.A!.toDense();
  const G = CscMatrix.fromDense(rows.slice(0, mG), { ncols: n });
  const A = CscMatrix.fromDense(rows.slice(mG), { ncols: n });
  const h = G.multiply(x0).map((v) => v + r());
  const b = A.multiply(x0);
  return { form: 'standard', P: base.P!, q: base.q, G, h, A, b, lb: base.lb!, ub: base.ub! };
}

interface Case {
  name: string;
  problem: CanonicalProblem<Float64Array, CscMatrix>;
  x?: number[];
  y?: number[];
  z?: number[];
  objective: number;
}

// Every optimum below is worked out on paper from the KKT conditions Px + q + Aᵀy + z = 0.
const I2 = () =>
  denseLower([
    [1, 0],
    [0, 1],
  ]);
const threeVar = (l: number[], u: number[], lb: number[], ub: number[]): CanonicalProblem<Float64Array, CscMatrix> => ({
  // min x1² + x2² + x3² − 4x1 + 2x2 − 2x3, x3 ≤ .5 (row 0), x1 + x2 free (row 1), x1 ≤ 1, x2 ≥ 0
  P: denseLower([
    [2, 0, 0],
    [0, 2, 0],
    [0, 0, 2],
  ]),
  q: f64([-4, 2, -2]),
  A: dense([
    [0, 0, 1],
    [1, 1, 0],
  ]),
  l: f64(l),
  u: f64(u),
  lb: f64(lb),
  ub: f64(ub),
});
const cases: Case[] = [
  {
    name: 'equality row: min ½|x|², x1 + x2 = 1',
    problem: { P: I2(), q: f64([0, 0]), A: dense([[1, 1]]), l: f64([1]), u: f64([1]) },
    x: [0.5, 0.5],
    y: [-0.5],
    z: [0, 0],
    objective: 0.25,
  },
  {
    name: 'two-sided row, upper side active: min ½x² − 3x, 0 ≤ x ≤ 2',
    problem: { P: denseLower([[1]]), q: f64([-3]), A: dense([[1]]), l: f64([0]), u: f64([2]) },
    x: [2],
    y: [1],
    objective: -4,
  },
  {
    name: 'two ranges, both upper-active',
    problem: {
      P: I2(),
      q: f64([-3, -1]),
      A: dense([
        [1, 1],
        [1, -1],
      ]),
      l: f64([0, -1]),
      u: f64([2, 1]),
    },
    x: [1.5, 0.5],
    y: [1, 0.5],
    objective: -3.75,
  },
  {
    name: 'every sign: min ½|x − (3, −3, 3, −3)|², x1 ≤ 1 and x2 ≥ −1 (rows), x3 ≤ 1 and x4 ≥ −1 (bounds)',
    problem: {
      P: denseLower([
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
      ]),
      q: f64([-3, 3, -3, 3]),
      A: dense([
        [1, 0, 0, 0],
        [0, 1, 0, 0],
      ]),
      l: f64([-inf, -1]),
      u: f64([1, inf]),
      lb: f64([-inf, -inf, -inf, -1]),
      ub: f64([inf, inf, 1, inf]),
    },
    x: [1, -1, 1, -1],
    y: [2, -2],
    z: [0, 0, 2, -2],
    objective: -10,
  },
  {
    name: 'LP (P omitted): max x1 + x2, x1 + 2x2 ≤ 4, 3x1 + x2 ≤ 6, x ≥ 0',
    problem: {
      q: f64([-1, -1]),
      A: dense([
        [1, 2],
        [3, 1],
      ]),
      l: f64([-inf, -inf]),
      u: f64([4, 6]),
      lb: f64([0, 0]),
    },
    x: [1.6, 1.2],
    y: [0.4, 0.2],
    z: [0, 0],
    objective: -2.8,
  },
  {
    name: 'LP on the simplex: min x1 + 2x2 + 3x3, Σx = 1, x ≥ 0',
    problem: { q: f64([1, 2, 3]), A: dense([[1, 1, 1]]), l: f64([1]), u: f64([1]), lb: f64([0, 0, 0]) },
    x: [1, 0, 0],
    y: [-1],
    z: [0, -1, -2],
    objective: 1,
  },
  {
    name: 'P = diag(1, 0) bounded by x2 ≤ 3',
    problem: {
      P: denseLower([
        [1, 0],
        [0, 0],
      ]),
      q: f64([-1, -1]),
      ub: f64([inf, 3]),
    },
    x: [1, 3],
    z: [0, 1],
    objective: -3.5,
  },
  {
    name: 'coupled P, free variables, m = 0',
    problem: {
      P: denseLower([
        [2, 1],
        [1, 2],
      ]),
      q: f64([-1, -1]),
    },
    x: [1 / 3, 1 / 3],
    z: [0, 0],
    objective: -1 / 3,
  },
  { name: 'n = 1, m = 0: min ½x² − 2x', problem: { P: denseLower([[1]]), q: f64([-2]) }, x: [2], z: [0], objective: -2 },
  { name: 'n = 1, m = 0, x ≤ 1 active', problem: { P: denseLower([[1]]), q: f64([-2]), ub: f64([1]) }, x: [1], z: [1], objective: -1.5 },
  {
    name: 'an empty column of A (x2 in no row), all variables free',
    problem: {
      P: denseLower([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
      q: f64([0, -1, 0]),
      A: dense([[1, 0, 1]]),
      l: f64([2]),
      u: f64([2]),
      lb: f64([-inf, -inf, -inf]),
      ub: f64([inf, inf, inf]),
    },
    x: [1, 1, 1],
    y: [-1],
    z: [0, 0, 0],
    objective: 0.5,
  },
  {
    name: 'a fixed variable lb = ub',
    problem: { P: I2(), q: f64([1, 1]), lb: f64([-5, 1]), ub: f64([5, 1]) },
    x: [-1, 1],
    z: [0, -2],
    objective: 1,
  },
  {
    name: 'LP with every variable fixed',
    problem: { q: f64([3, -4]), A: dense([[1, 1]]), l: f64([-inf]), u: f64([10]), lb: f64([1, 2]), ub: f64([1, 2]) },
    x: [1, 2],
    y: [0],
    z: [-3, 4],
    objective: -5,
  },
  {
    name: 'a row with no entries and 0 ∈ [−1, 1]',
    problem: {
      P: I2(),
      q: f64([1, 1]),
      A: new CscMatrix(2, 2, Int32Array.from([0, 1, 1]), Int32Array.from([1]), f64([1])),
      l: f64([-1, -inf]),
      u: f64([1, 0.5]),
    },
    x: [-1, -1],
    y: [0, 0],
    z: [0, 0],
    objective: -1,
  },
  {
    name: 'infinite sides as ±Infinity',
    problem: threeVar([-inf, -inf], [0.5, inf], [-inf, 0, -inf], [1, inf, inf]),
    x: [1, 0, 0.5],
    y: [1, 0],
    z: [2, -2, 0],
    objective: -3.75,
  },
  {
    name: 'infinite sides as ±1e20',
    problem: threeVar([-1e20, -1e20], [0.5, 1e20], [-1e20, 0, -1e20], [1, 1e20, 1e20]),
    x: [1, 0, 0.5],
    y: [1, 0],
    z: [2, -2, 0],
    objective: -3.75,
  },
  {
    name: 'infinite sides beyond 1e20 (1e25, −1e300)',
    problem: threeVar([-1e300, -inf], [0.5, 1e25], [-inf, 0, -3e20], [1, 1e30, inf]),
    x: [1, 0, 0.5],
    y: [1, 0],
    z: [2, -2, 0],
    objective: -3.75,
  },
  {
    name: 'LP whose rows are all free, bounded by the box',
    problem: {
      q: f64([1, -1]),
      A: dense([
        [1, 1],
        [1, -1],
      ]),
      l: f64([-inf, -1e20]),
      u: f64([inf, 1e20]),
      lb: f64([-1, -1]),
      ub: f64([1, 1]),
    },
    x: [-1, 1],
    y: [0, 0],
    z: [-1, 1],
    objective: -2,
  },
  // (Before main's 8ef3869 ipm failed this one with x = NaN; with 1e5 instead of 1e6 it solved.)
  {
    name: 'LP whose costs differ by 1e6: min 1e6·x1 + x2, x1 + x2 ≥ 1, x ≥ 0',
    problem: { q: f64([1e6, 1]), A: dense([[1, 1]]), l: f64([1]), u: f64([inf]), lb: f64([0, 0]) },
    x: [0, 1],
    y: [-1],
    z: [-999999, 0],
    objective: 1,
  },
  {
    name: 'P = [[1,1],[1,1]] (PSD, singular) is accepted',
    problem: {
      P: denseLower([
        [1, 1],
        [1, 1],
      ]),
      q: f64([-1, -1]),
      lb: f64([0, 0.5]),
      ub: f64([0.25, 0.5]),
    },
    x: [0.25, 0.5],
    z: [0.25, 0.25],
    objective: 0.5 * 0.75 * 0.75 - 0.75,
  },
];

(hasIpm ? describe : describe.skip)('ipm', function () {
  this.timeout(120000);

  it('is listed with its capabilities', () => {
    const info = availableSolvers().find((s) => s.key === 'ipm')!;
    assert.equal(info.license, 'MIT');
    assert.ok(info.duals && info.cancellation && info.infeasibilityCertificate && info.timeLimit);
    assert.equal(info.warmStart, false);
  });

  describe('hand-derived optima, residuals recomputed here', () => {
    for (const c of cases) {
      it(c.name, async () => {
        for (const sol of [await solve(c.problem, tight), solveSync(c.problem, tight)]) {
          checkSolved(c.problem, sol);
          if (c.x) assertClose(sol.x, c.x, 1e-6, 'x');
          if (c.y) assertClose(sol.y, c.y, 1e-6, 'y');
          if (c.z) assertClose(sol.z, c.z, 1e-6, 'z');
          assert.ok(
            Math.abs(sol.objective - c.objective) <= 1e-7 * Math.max(1, Math.abs(c.objective)),
            `objective ${sol.objective} vs ${c.objective}`,
          );
        }
        // With the library's default tolerances (1e-6 absolute + relative) the point is the same to 1e-5.
        const loose = await solve(c.problem, { solver: 'ipm' });
        assert.equal(loose.status, 'solved');
        if (c.x) assertClose(loose.x, c.x, 1e-5, 'x (default tolerances)');
      });
    }

    it('duplicate equality rows: x = (½, ½), only y1 + y2 = −½ is determined', async () => {
      const p = {
        P: I2(),
        q: f64([0, 0]),
        A: dense([
          [1, 1],
          [1, 1],
        ]),
        l: f64([1, 1]),
        u: f64([1, 1]),
      };
      const sol = await solve(p, tight);
      checkSolved(p, sol);
      assertClose(sol.x, [0.5, 0.5], 1e-6, 'x');
      assert.ok(Math.abs(sol.y[0]! + sol.y[1]! + 0.5) <= 1e-6, `y1 + y2 = ${sol.y[0]! + sol.y[1]!}`);
    });

    it('an inequality repeated three times in an LP', async () => {
      const p = {
        q: f64([-1, -1]),
        A: dense([
          [1, 1],
          [1, 1],
          [1, 1],
        ]),
        l: f64([-inf, -inf, -inf]),
        u: f64([1, 1, 1]),
        lb: f64([0, 0]),
      };
      const sol = await solve(p, tight);
      checkSolved(p, sol);
      assert.ok(Math.abs(sol.objective + 1) <= 1e-7, `objective ${sol.objective}`);
    });

    it('n = 0: every row is 0 ∈ [l, u] (solved) or not (primalInfeasible, certificate verified)', async () => {
      const feasible = { q: new Float64Array(0), A: CscMatrix.zeros(2, 0), l: f64([-1, 0]), u: f64([1, 0]) };
      const sol = await solve(feasible, { solver: 'ipm' });
      assert.equal(sol.status, 'solved');
      assert.deepEqual(Array.from(sol.y), [0, 0]);
      const infeasible = { q: new Float64Array(0), A: CscMatrix.zeros(2, 0), l: f64([-1, 1]), u: f64([1, 2]) };
      checkPrimalCertificate(infeasible, await solve(infeasible, { solver: 'ipm' }));
    });
  });

  describe('infeasibility certificates, verified from the data', () => {
    const infeasibleChain = (n: number): CanonicalProblem<Float64Array, CscMatrix> => {
      // chainQp with one more row Σx ≥ n + 1 that −1 ≤ x ≤ 1 cannot meet (by a margin of 1)
      const base = chainQp(n, Math.floor(n / 4), 11);
      const row = CscMatrix.fromTriplets(1, n, new Array(n).fill(0), [...Array(n).keys()], new Array(n).fill(1));
      return {
        P: base.P,
        q: base.q,
        A: CscMatrix.vstack([base.A, row]),
        l: f64([...base.l, n + 1]),
        u: f64([...base.u, inf]),
        lb: base.lb,
        ub: base.ub,
      };
    };
    const primal: [string, CanonicalProblem<Float64Array, CscMatrix>][] = [
      ['LP: x1 + x2 ≥ 3 with x ≤ 1', { q: f64([1, 0]), A: dense([[1, 1]]), l: f64([3]), u: f64([inf]), ub: f64([1, 1]) }],
      ['QP: x1 + x2 ≤ −1 with x ≥ 0', { P: I2(), q: f64([1, 1]), A: dense([[1, 1]]), l: f64([-inf]), u: f64([-1]), lb: f64([0, 0]) }],
      [
        'QP, rows only: x1 + x2 ≤ 1 and x1 + x2 ≥ 2',
        {
          P: I2(),
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
        'LP: conflicting equalities x1 − x2 = 1, x2 − x1 = 1',
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
      [
        'QP: a zero row with 0 ∉ [1, 2]',
        {
          P: I2(),
          q: f64([1, 1]),
          A: dense([
            [1, 1],
            [0, 0],
          ]),
          l: f64([-inf, 1]),
          u: f64([3, 2]),
        },
      ],
      [
        'QP: a fixed variable against a two-sided row (x1 = 2, 0 ≤ x1 + x2 ≤ 1, x2 ≥ 0)',
        { P: I2(), q: f64([0, 0]), A: dense([[1, 1]]), l: f64([0]), u: f64([1]), lb: f64([2, 0]), ub: f64([2, 1e20]) },
      ],
      ['sparse chain QP with Σx ≥ n + 1 under −1 ≤ x ≤ 1 (n = 300)', infeasibleChain(300)],
    ];
    for (const [name, p] of primal) {
      it(`primalInfeasible: ${name}`, async () => checkPrimalCertificate(p, await solve(p, { solver: 'ipm' })));
    }

    const unboundedChain = (n: number): CanonicalProblem<Float64Array, CscMatrix> => {
      // chainQp plus one more variable with cost −1 that no row, bound or P entry holds
      const base = chainQp(n, Math.floor(n / 4), 13);
      const grow = (M: CscMatrix, rows: number) =>
        new CscMatrix(rows, n + 1, Int32Array.from([...M.colPtr, M.nnz]), M.rowIdx, M.values, M.triangle);
      return {
        P: grow(base.P, n + 1),
        q: f64([...base.q, -1]),
        A: grow(base.A, base.A.nrows),
        l: base.l,
        u: base.u,
        lb: f64([...base.lb, -inf]),
        ub: f64([...base.ub, inf]),
      };
    };
    const dual: [string, CanonicalProblem<Float64Array, CscMatrix>][] = [
      [
        'QP: P = diag(1, 0), q = (0, −1), x1 ≤ 1 (bound)',
        {
          P: denseLower([
            [1, 0],
            [0, 0],
          ]),
          q: f64([0, -1]),
          ub: f64([1, inf]),
        },
      ],
      [
        'QP: the same with x1 ≤ 1 as a row',
        {
          P: denseLower([
            [1, 0],
            [0, 0],
          ]),
          q: f64([0, -1]),
          A: dense([[1, 0]]),
          l: f64([-inf]),
          u: f64([1]),
        },
      ],
      ['LP: min −x1 − x2, x1 − x2 ≤ 1, x ≥ 0', { q: f64([-1, -1]), A: dense([[1, -1]]), l: f64([-inf]), u: f64([1]), lb: f64([0, 0]) }],
      [
        'LP along an equality: min x1, x1 + x2 = 0, x2 ≥ −5',
        { q: f64([1, 0]), A: dense([[1, 1]]), l: f64([0]), u: f64([0]), lb: f64([-inf, -5]) },
      ],
      ['LP, n = 1, m = 0: min x, x free', { q: f64([1]) }],
      [
        'QP with a flat direction: min ½(x1 − x2)² − x1 − x2, −1 ≤ x1 − x2 ≤ 1, x ≥ 0',
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
      ['sparse chain QP plus a free variable of cost −1 (n = 301)', unboundedChain(300)],
    ];
    for (const [name, p] of dual) {
      it(`dualInfeasible: ${name}`, async () => checkDualCertificate(p, await solve(p, { solver: 'ipm' })));
    }
  });

  describe('agreement with a second solver on seeded random sparse problems', () => {
    const second = keys.includes('ipopt') ? 'ipopt' : 'highs';
    for (const [n, m] of [
      [8, 5],
      [40, 25],
      [150, 100],
      [600, 400],
    ] as const) {
      for (const seed of [1, 2, 3]) {
        it(`QP n = ${n}, m = ${m}, seed ${seed}: x and objective as ${second}`, async () => {
          const p = randomSparse(n, m, 1000 * seed + n);
          const [a, b] = await Promise.all([solve(p, precise), solve(p, { solver: second, epsAbs: 1e-9, epsRel: 0 })]);
          checkSolved(p, a, 1e-9);
          assert.equal(b.status, 'solved', `${second}: ${b.status}`);
          assert.ok(
            Math.abs(a.objective - b.objective) <= 1e-8 * Math.max(1, Math.abs(b.objective)),
            `objective ${a.objective} vs ${second} ${b.objective}`,
          );
          assertClose(a.x, b.x, 1e-6, `x vs ${second}`);
        });
        it(`LP n = ${n}, m = ${m}, seed ${seed}: objective as highs`, async () => {
          const p = randomSparse(n, m, 1000 * seed + n + 7, true);
          const [a, b] = await Promise.all([solve(p, tight), solve(p, { solver: 'highs' })]);
          checkSolved(p, a);
          assert.equal(b.status, 'solved', `highs: ${b.status}`);
          assert.ok(
            Math.abs(a.objective - b.objective) <= 1e-7 * Math.max(1, Math.abs(b.objective)),
            `objective ${a.objective} vs highs ${b.objective}`,
          );
        });
      }
    }

    it('standard form (G, h, A, b): the hand-derived problem, with yIneq and yEq', async () => {
      // min ½|x|² − x1 − 2x2, x1 + x2 ≤ 1, x1 − x2 = 0 → x = (½, ½), y = (1, −½)
      const p: StandardProblem<Float64Array, CscMatrix> = {
        form: 'standard',
        P: I2(),
        q: f64([-1, -2]),
        G: dense([[1, 1]]),
        h: f64([1]),
        A: dense([[1, -1]]),
        b: f64([0]),
      };
      const sol = await solve(p, tight);
      assert.equal(sol.status, 'solved');
      assertClose(sol.x, [0.5, 0.5], 1e-6, 'x');
      assertClose(sol.yIneq!, [1], 1e-6, 'yIneq');
      assertClose(sol.yEq!, [-0.5], 1e-6, 'yEq');
      const c = toCanonical(p);
      checkSolved({ P: c.P, q: c.q, A: c.A, l: c.l, u: c.u }, sol);
    });

    for (const [n, mG, mA] of [
      [30, 15, 5],
      [300, 150, 60],
    ] as const) {
      it(`standard form, random, n = ${n}, ${mG} + ${mA} rows: residuals here, x as ${second}`, async () => {
        const p = randomStandard(n, mG, mA, 77 + n);
        const [a, b] = await Promise.all([solve(p, precise), solve(p, { solver: second, epsAbs: 1e-9, epsRel: 0 })]);
        const c = toCanonical(p);
        checkSolved({ P: c.P, q: c.q, A: c.A, l: c.l, u: c.u, lb: c.lb, ub: c.ub }, a, 1e-9);
        assert.equal(a.yIneq!.length, mG);
        assert.equal(a.yEq!.length, mA);
        assert.ok(
          a.yIneq!.every((v) => v >= -1e-8),
          'the duals of G x ≤ h are ≥ 0',
        );
        assert.equal(b.status, 'solved');
        assertClose(a.x, b.x, 1e-6, `x vs ${second}`);
      });
    }
  });

  describe('errors, cancellation, concurrency', () => {
    for (const [name, P] of [
      [
        '[[1,0],[0,−1]]',
        denseLower([
          [1, 0],
          [0, -1],
        ]),
      ],
      [
        '[[1,2],[2,1]]',
        denseLower([
          [1, 2],
          [2, 1],
        ]),
      ],
      [
        '[[0,1],[1,0]] given in full',
        dense([
          [0, 1],
          [1, 0],
        ]),
      ],
    ] as const) {
      it(`a non-convex P = ${name} → ERR_QP_NOT_CONVEX naming P`, async () => {
        const p = { P, q: f64([0, 0]), lb: f64([-1, -1]), ub: f64([1, 1]) };
        const check = (e: unknown) => {
          assert.ok(e instanceof QpError, String(e));
          assert.equal(e.code, ErrorCode.NOT_CONVEX, e.message);
          assert.equal(e.field, 'P');
          assert.match(e.message, /not positive semidefinite/);
          return true;
        };
        assert.throws(() => solveSync(p, { solver: 'ipm' }), check);
        await assert.rejects(solve(p, { solver: 'ipm' }), check);
      });
    }

    it('an AbortSignal aborts a long solve mid-way: ERR_QP_ABORTED, and the native solve stops cancelled', async () => {
      // A random sparse QP whose factorizations fill in: ~10 iterations of ~0.2 s each here.
      const p = randomSparse(3000, 1800, 5);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      await assert.rejects(solve(p, { solver: 'ipm', signal: controller.signal }), (e: unknown) => {
        assert.ok(e instanceof QpError, String(e));
        assert.equal(e.code, ErrorCode.ABORTED);
        assert.equal(e.name, 'AbortError');
        return true;
      });
      // The promise above rejects at once; that the native work itself stops is seen one level
      // down: the same cancel flag turns the addon's own result into 'cancelled', not 'solved'.
      const c = toCanonical(p);
      const native = binding();
      const token = native.createCancelToken();
      const work = native.solveAsync(
        { n: c.n, m: c.m, P: c.P, q: c.q, A: c.A, l: c.l, u: c.u, constant: c.constant, lb: c.lb!, ub: c.ub! },
        { solver: 'ipm' },
        token,
      );
      setTimeout(() => native.cancel(token), 300);
      const r = await work;
      assert.equal(r.status, 'cancelled', `native status ${r.status} (${r.rawStatusText}) after ${r.iterations} iterations`);
      assert.equal(r.rawStatusText, 'cancelled');
    });

    it('8 concurrent solves give the same x, y, z as serial solveSync, bitwise', async () => {
      const problems = Array.from({ length: 8 }, (_, k) => (k % 2 ? randomSparse(120, 80, 500 + k) : chainQp(400, 100, k + 1)));
      const serial = problems.map((p) => solveSync(p, { solver: 'ipm' }));
      const parallel = await Promise.all(problems.map((p) => solve(p, { solver: 'ipm' })));
      const bytes = (v: Float64Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      parallel.forEach((sol, k) => {
        assert.equal(sol.status, 'solved');
        assert.equal(sol.status, serial[k]!.status);
        for (const f of ['x', 'y', 'z'] as const) assert.ok(bytes(sol[f]).equals(bytes(serial[k]![f])), `problem ${k}: ${f} differs`);
        const { rp, rd, rg } = kktResiduals(sol, problems[k]!);
        assert.ok(Math.max(rp, rd, rg) <= 1e-4, `problem ${k}: residuals ${rp} ${rd} ${rg}`);
      });
    });
  });

  describe('limits and solverOptions', () => {
    const p = randomSparse(40, 25, 9);

    it('maxIter → maxIterations after exactly that many iterations; 0 → none', () => {
      const sol = solveSync(p, { solver: 'ipm', maxIter: 2 });
      assert.equal(sol.status, 'maxIterations', `${sol.status} (${sol.rawStatusText})`);
      assert.equal(sol.iterations, 2);
      assert.ok(sol.x.every(Number.isFinite), 'the last iterate is returned');
      const none = solveSync(p, { solver: 'ipm', maxIter: 0 });
      assert.equal(none.status, 'maxIterations');
      assert.equal(none.iterations, 0);
    });

    it('a time limit of 0 → timeLimit without iterating', () => {
      const sol = solveSync(p, { solver: 'ipm', timeLimit: 0 });
      assert.equal(sol.status, 'timeLimit');
      assert.equal(sol.iterations, 0);
    });

    it('every documented option is accepted and the answer stays right', () => {
      const sol = solveSync(p, {
        ...tight,
        solverOptions: {
          epsInf: 1e-7,
          scaling: 3,
          rhoInit: 1e-5,
          deltaInit: 1e-3,
          regMin: 1e-9,
          refineIter: 2,
          checkConvexity: true,
          centralityCorrectors: 0,
          normalEquations: 1,
        },
      });
      checkSolved(p, sol);
      const ref = solveSync(p, tight);
      assertClose(sol.x, ref.x, 1e-6, 'x with options vs defaults');
    });

    it('normalEquations: x eliminated (P diagonal) gives the answer the KKT matrix gives', () => {
      // Projections onto a chain with bounds and onto a simplex: P = diag(0.5..1.5), so the
      // rows' normal equations apply; each answer is checked here and against the other.
      const n = 300;
      const r = rng(17);
      const diag = CscMatrix.fromTriplets(
        n,
        n,
        [...Array(n).keys()],
        [...Array(n).keys()],
        Array.from({ length: n }, () => 0.5 + r()),
      );
      const q = Float64Array.from({ length: n }, () => 4 * r() - 2);
      const chainRows: number[] = [];
      const chainCols: number[] = [];
      const chainVals: number[] = [];
      for (let i = 0; i + 1 < n; i++) {
        chainRows.push(i, i);
        chainCols.push(i, i + 1);
        chainVals.push(1, -1);
      }
      const problems: Array<CanonicalProblem<Float64Array, CscMatrix>> = [
        {
          P: diag,
          q,
          A: CscMatrix.fromTriplets(n - 1, n, chainRows, chainCols, chainVals),
          l: new Float64Array(n - 1).fill(-0.05),
          u: new Float64Array(n - 1).fill(0.05),
          lb: new Float64Array(n).fill(-0.8),
          ub: new Float64Array(n).fill(inf),
        },
        {
          P: diag,
          q,
          A: CscMatrix.fromTriplets(1, n, new Array(n).fill(0), [...Array(n).keys()], new Array(n).fill(1)),
          l: f64([1]),
          u: f64([1]),
          lb: new Float64Array(n),
          ub: new Float64Array(n).fill(inf),
        },
      ];
      for (const p of problems) {
        const kkt = solveSync(p, { ...precise, solverOptions: { normalEquations: 0 } });
        const normal = solveSync(p, { ...precise, solverOptions: { normalEquations: 1 } });
        const auto = solveSync(p, precise);
        for (const sol of [kkt, normal, auto]) checkSolved(p, sol, 1e-9);
        assertClose(normal.x, kkt.x, 1e-7, 'x (normal equations vs KKT)');
        assertClose(auto.x, kkt.x, 1e-7, 'x (default vs KKT)');
      }
    });

    it('bad options → ERR_QP_INVALID_OPTION naming the option', async () => {
      const expectOption = (options: SolveOptions['solverOptions'], field: string, pattern: RegExp) => {
        assert.throws(
          () => solveSync(p, { solver: 'ipm', solverOptions: options }),
          (e: unknown) => {
            assert.ok(e instanceof QpError, String(e));
            assert.equal(e.code, ErrorCode.INVALID_OPTION, e.message);
            assert.equal(e.field, field, e.message);
            assert.match(e.message, pattern);
            return true;
          },
        );
      };
      expectOption({ rho: 1 }, 'options.solverOptions.rho', /not an ipm option.*rhoInit/);
      expectOption({ scaling: 1.5 }, 'options.solverOptions.scaling', /integer/);
      expectOption({ checkConvexity: 2 }, 'options.solverOptions.checkConvexity', /boolean/);
      expectOption({ scaling: 'ruiz' }, 'options.solverOptions.scaling', /string/);
      // Out-of-range values are caught by ipm_check_settings; the adapter names them back as
      // the caller wrote them.
      expectOption({ rhoInit: 0 }, 'options.solverOptions.rhoInit', /^options\.solverOptions\.rhoInit = 0 is out of range/);
      expectOption({ epsInf: 2 }, 'options.solverOptions.epsInf', /^options\.solverOptions\.epsInf = 2 is out of range/);
      expectOption({ centralityCorrectors: 11 }, 'options.solverOptions.centralityCorrectors', /centralityCorrectors = 11/);
      expectOption({ normalEquations: 2 }, 'options.solverOptions.normalEquations', /normalEquations = 2/);
      await assert.rejects(
        solve(p, { solver: 'ipm', solverOptions: { refineIter: -1 } }),
        (e: QpError) =>
          e.code === ErrorCode.INVALID_OPTION && e.field === 'options.solverOptions.refineIter' && /refineIter = -1/.test(e.message),
      );
    });
  });

  describe('regressions (bugs these tests found, fixed)', () => {
    // Was a bug (ipm): x1 is free, in no row and not in P, with cost −1: unbounded along e1. highs,
    // ipopt, clp and admm say dualInfeasible; ipm ends with maxIterations (250) and x1 ≈ 1.5e11.
    // Without the x2–x4 coupling in P, or with x3, x4 in [−1, 1], ipm detects it in 3–6 iterations.
    it('an unbounded 4-variable QP is reported dualInfeasible (was maxIterations)', async () => {
      const p = {
        P: denseLower([
          [0, 0, 0, 0],
          [0, 3.5e-5, 0, -0.0128],
          [0, 0, 5.83, 0],
          [0, -0.0128, 0, 4.74],
        ]),
        q: f64([-1, -2.1, 1.23, 0.157]),
        lb: f64([-inf, -0.277, -0.964, -1.288]),
        ub: f64([inf, -0.277, -0.266, -1.129]),
      };
      assert.equal((await solve(p, { solver: 'highs' })).status, 'dualInfeasible');
      checkDualCertificate(p, await solve(p, { solver: 'ipm' }));
    });

    // Was a bug (ipm_setup): P = [[1,1],[1,0.999]] has λmin = −5e-4 (−2.5e-4 relative), so it is not
    // PSD to ipm's documented 1e-4; it is rejected with q = 0 but accepted with q = (100, 100),
    // because the cost scaling shrinks P before the test adds 1e-4·max(1, max P_jj)·I.
    it('the convexity verdict on P does not depend on q (was accepted with q = (100, 100))', () => {
      for (const q of [
        [0, 0],
        [100, 100],
      ]) {
        assert.throws(
          () =>
            solveSync(
              {
                P: denseLower([
                  [1, 1],
                  [1, 0.999],
                ]),
                q: f64(q),
              },
              { solver: 'ipm' },
            ),
          (e: unknown) => e instanceof QpError && e.code === ErrorCode.NOT_CONVEX && e.field === 'P',
          `q = ${q}`,
        );
      }
    });
  });
});
