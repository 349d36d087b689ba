/**
 * The per-solver suite: every available solver must solve the same hand-derived QPs
 * (optimum worked out on paper), with its duals in docs/METHODS.md §2's convention checked
 * through an independent KKT residual, and report infeasible / unbounded problems.
 */
import { strict as assert } from 'node:assert';
import { availableSolvers, solve, solveSync } from '../lib/solve';
import { CanonicalProblem, Problem, StandardProblem } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';
import { assertClose, dense, denseLower, f64, kktResiduals } from './helpers';

const inf = Infinity;

interface Case {
  name: string;
  problem: Problem<Float64Array, CscMatrix>;
  x: number[];
  objective: number;
  y?: number[];
  z?: number[];
}

const cases: Case[] = [
  {
    // min ½(x1² + x2²)  s.t. x1 + x2 = 1  →  x = (½, ½), y = −½ (Px + Aᵀy = 0)
    name: 'equality constraint',
    problem: {
      P: denseLower([
        [1, 0],
        [0, 1],
      ]),
      q: f64([0, 0]),
      A: dense([[1, 1]]),
      l: f64([1]),
      u: f64([1]),
    },
    x: [0.5, 0.5],
    objective: 0.25,
    y: [-0.5],
  },
  {
    // min ½x² − 3x + 4.5  s.t. 0 ≤ x ≤ 2 (a ranged row)  →  x = 2, upper side active, y = 1
    name: 'ranged row, upper side active, objective constant',
    problem: { P: denseLower([[1]]), q: f64([-3]), A: dense([[1]]), l: f64([0]), u: f64([2]), constant: 4.5 },
    x: [2],
    objective: 0.5,
    y: [1],
  },
  {
    // min ½x² + 5x  s.t. −1 ≤ x ≤ 1  →  x = −1, lower side active, y = −4
    name: 'ranged row, lower side active',
    problem: { P: denseLower([[1]]), q: f64([5]), A: dense([[1]]), l: f64([-1]), u: f64([1]) },
    x: [-1],
    objective: -4.5,
    y: [-4],
  },
  {
    // min ½x² + x  s.t. x ≥ 1 (a variable bound)  →  x = 1, z = −2
    name: 'variable lower bound active',
    problem: { P: denseLower([[1]]), q: f64([1]), lb: f64([1]), ub: f64([inf]) },
    x: [1],
    objective: 1.5,
    z: [-2],
  },
  {
    // min ½(x1 − 1)² + ½(x2 + 2)² with free variables and no constraints (constant 2.5 cancels)
    name: 'free variables, no constraints, P with off-diagonal zero',
    problem: {
      P: denseLower([
        [1, 0],
        [0, 1],
      ]),
      q: f64([-1, 2]),
      constant: 2.5,
    },
    x: [1, -2],
    objective: 0,
  },
  {
    // min ½xᵀ[[2,1],[1,2]]x − x1 − x2, free  →  x = (⅓, ⅓)
    name: 'coupled P (off-diagonal entries)',
    problem: {
      P: denseLower([
        [2, 1],
        [1, 2],
      ]),
      q: f64([-1, -1]),
    },
    x: [1 / 3, 1 / 3],
    objective: -1 / 3,
  },
  {
    // LP: max x1 + x2 s.t. x1 + 2x2 ≤ 4, 3x1 + x2 ≤ 6, x ≥ 0  →  (1.6, 1.2), y = (0.4, 0.2)
    name: 'P = 0 (a linear program)',
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
    objective: -2.8,
    y: [0.4, 0.2],
    z: [0, 0],
  },
  {
    // P = diag(1, 0) singular, bounded through x2 ≤ 3: x = (1, 3), z2 = 1 (upper bound active)
    name: 'P singular but bounded',
    problem: {
      P: denseLower([
        [1, 0],
        [0, 0],
      ]),
      q: f64([-1, -1]),
      lb: f64([-inf, -inf]),
      ub: f64([inf, 3]),
    },
    x: [1, 3],
    objective: -3.5,
    z: [0, 1],
  },
  {
    // P given as its upper triangle and as a full matrix must give the same answer.
    name: 'P stored as a full symmetric matrix',
    problem: {
      P: dense([
        [2, 1],
        [1, 2],
      ]),
      q: f64([-1, -1]),
      lb: f64([0, 0]),
      ub: f64([0.2, inf]),
    },
    x: [0.2, 0.4],
    // x1 = 0.2 at its upper bound; x1 + 2x2 = 1 gives x2 = 0.4; 2·0.2 + 0.4 − 1 + z1 = 0 → z1 = 0.2
    objective: 0.04 + 0.08 + 0.16 - 0.6,
    z: [0.2, 0],
  },
  {
    // A fixed variable (lb = ub) and a row with no stored entries (0 in [−1, 1]):
    // x = (−1, 1), z = (0, −2), y = 0. Ipopt needs a placeholder Jacobian entry here.
    name: 'fixed variable and an empty row',
    problem: {
      P: denseLower([
        [1, 0],
        [0, 1],
      ]),
      q: f64([1, 1]),
      A: new CscMatrix(1, 2, Int32Array.from([0, 0, 0]), new Int32Array(0), new Float64Array(0)),
      l: f64([-1]),
      u: f64([1]),
      lb: f64([-5, 1]),
      ub: f64([5, 1]),
    },
    x: [-1, 1],
    objective: 1,
    y: [0],
    z: [0, -2],
  },
  {
    // Standard form: min ½‖x‖² − x1 − 2x2 s.t. x1 + x2 ≤ 1, x1 − x2 = 0 → x = (½, ½)
    // KKT: x − q... x1 − 1 + g + e = 0, x2 − 2 + g − e = 0 → g = 1, e = 0.5 − ... solved below.
    name: 'standard form (G, h, A, b)',
    problem: {
      form: 'standard',
      P: denseLower([
        [1, 0],
        [0, 1],
      ]),
      q: f64([-1, -2]),
      G: dense([[1, 1]]),
      h: f64([1]),
      A: dense([[1, -1]]),
      b: f64([0]),
    } as StandardProblem<Float64Array, CscMatrix>,
    x: [0.5, 0.5],
    objective: 0.25 - 1.5,
    // 0.5 − 1 + g + e = 0 and 0.5 − 2 + g − e = 0  →  g = 1, e = −0.5
    y: [1, -0.5],
  },
];

function canonicalData(p: Problem<Float64Array, CscMatrix>) {
  if ((p as StandardProblem<Float64Array, CscMatrix>).form === 'standard') return undefined;
  return p as CanonicalProblem<Float64Array, CscMatrix>;
}

const solvers = availableSolvers().map((s) => s.key);

describe('solve: hand-derived QPs, per solver', () => {
  it('has the required solvers built in', () => {
    for (const key of ['highs', 'ipopt']) assert.ok(solvers.includes(key), `${key} missing from ${solvers}`);
  });

  for (const solver of solvers) {
    describe(solver, () => {
      for (const c of cases) {
        it(c.name, async () => {
          const sol = await solve(c.problem, { solver });
          assert.equal(sol.status, 'solved', `status ${sol.status} (${sol.rawStatusText})`);
          assert.equal(sol.solver, solver);
          assertClose(sol.x, c.x, 1e-6, 'x');
          assert.ok(
            Math.abs(sol.objective - c.objective) <= 1e-6 * Math.max(1, Math.abs(c.objective)),
            `objective ${sol.objective} vs ${c.objective}`,
          );
          if (c.y) assertClose(sol.y, c.y, 1e-5, 'y');
          if (c.z) assertClose(sol.z, c.z, 1e-5, 'z');
          assert.ok(
            sol.primalResidual <= 1e-6 && sol.dualResidual <= 1e-6 && sol.dualityGap <= 1e-6,
            `residuals ${sol.primalResidual} ${sol.dualResidual} ${sol.dualityGap}`,
          );
          const data = canonicalData(c.problem);
          if (data) {
            const { rp, rd, rg } = kktResiduals(sol, data);
            assert.ok(rp <= 1e-6 && rd <= 1e-6 && rg <= 1e-6, `independent residuals ${rp} ${rd} ${rg}`);
          }
        });
      }

      it('solveSync gives the same answer as solve', async () => {
        const p = cases[6]!.problem;
        const a = solveSync(p, { solver });
        const b = await solve(p, { solver });
        assertClose(a.x, b.x, 1e-9, 'x');
        assert.equal(a.status, b.status);
      });

      it('standard form reports yIneq and yEq as views of y', async () => {
        const sol = await solve(cases[cases.length - 1]!.problem, { solver });
        assert.equal(sol.yIneq!.length, 1);
        assert.equal(sol.yEq!.length, 1);
        assert.equal(sol.yIneq![0], sol.y[0]);
        assert.equal(sol.yEq![0], sol.y[1]);
      });

      it('primal infeasible → primalInfeasible', async () => {
        // x1 + x2 ≤ −1 with x ≥ 0
        const sol = await solve(
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
          { solver },
        );
        assert.equal(sol.status, 'primalInfeasible', `got ${sol.status} (${sol.rawStatusText})`);
      });

      it('a row that the variable bounds cannot meet → primalInfeasible', async () => {
        // x1 + x2 ≥ 3 with x ≤ 1
        const sol = await solve({ q: f64([1, 0]), A: dense([[1, 1]]), l: f64([3]), u: f64([inf]), ub: f64([1, 1]) }, { solver });
        assert.equal(sol.status, 'primalInfeasible', `got ${sol.status} (${sol.rawStatusText})`);
      });

      it('unbounded QP → dualInfeasible', async () => {
        // min ½x1² − x2 with x2 ≥ 0 unbounded above
        const sol = await solve(
          {
            P: denseLower([
              [1, 0],
              [0, 0],
            ]),
            q: f64([0, -1]),
            lb: f64([-inf, 0]),
          },
          { solver },
        );
        assert.equal(sol.status, 'dualInfeasible', `got ${sol.status} (${sol.rawStatusText})`);
      });

      it('unbounded LP → dualInfeasible', async () => {
        // min −x1 − x2 s.t. x1 − x2 ≤ 1, x ≥ 0
        const sol = await solve({ q: f64([-1, -1]), A: dense([[1, -1]]), l: f64([-inf]), u: f64([1]), lb: f64([0, 0]) }, { solver });
        assert.equal(sol.status, 'dualInfeasible', `got ${sol.status} (${sol.rawStatusText})`);
      });
    });
  }
});
