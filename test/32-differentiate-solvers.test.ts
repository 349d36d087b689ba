/**
 * differentiate after every forward solver: the gradient at each solver's solution agrees
 * with central finite differences of re-solved problems (docs/METHODS.md §9).
 */
import { strict as assert } from 'node:assert';
import { differentiate } from '../lib/differentiate';
import { availableSolvers, solve } from '../lib/solve';
import { dense, denseLower, f64 } from './helpers';

// min ½‖x‖² + qᵀx  s.t.  x1 + x2 ≤ 1,  x3 ≥ 0.
// Optimum x = (1.25, −0.25, 0), y = 0.75 (row upper-active), z3 = −1 (bound lower-active):
// strictly complementary, so the solution is differentiable.
const base = () => ({
  P: denseLower([
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]),
  q: f64([-2, -0.5, 1]),
  A: dense([[1, 1, 0]]),
  l: f64([-Infinity]),
  u: f64([1]),
  lb: f64([-Infinity, -Infinity, 0]),
});

describe('differentiate after every forward solver', () => {
  for (const { key: solver } of availableSolvers()) {
    it(`${solver}: ⟨∇L, δ⟩ matches central differences for q, u and lb (L = Σx)`, async () => {
      const p = base();
      const sol = await solve(p, { solver, epsAbs: 1e-9, epsRel: 1e-9 });
      assert.ok(sol.status === 'solved' || sol.status === 'solvedInaccurate', sol.status);
      const g = await differentiate(p, sol, { dx: f64([1, 1, 1]) });
      assert.equal(g.differentiable, true, g.reason);
      const loss = async (q: Float64Array, u: Float64Array, lb: Float64Array) => {
        const s = await solve({ ...p, q, u, lb }, { solver: 'ipopt', epsAbs: 1e-11, epsRel: 1e-11 });
        return s.x.reduce((a, b) => a + b, 0);
      };
      const eps = 1e-5;
      const dq = f64([0.3, -0.7, 0.2]);
      const fdq =
        ((await loss(
          p.q.map((v, i) => v + eps * dq[i]!),
          p.u,
          p.lb,
        )) -
          (await loss(
            p.q.map((v, i) => v - eps * dq[i]!),
            p.u,
            p.lb,
          ))) /
        (2 * eps);
      const anq = g.dq!.reduce((a, v, i) => a + v * dq[i]!, 0);
      assert.ok(Math.abs(anq - fdq) <= 1e-5 * Math.max(1, Math.abs(fdq)), `q: ${anq} vs ${fdq}`);
      const fdu = ((await loss(p.q, f64([1 + eps]), p.lb)) - (await loss(p.q, f64([1 - eps]), p.lb))) / (2 * eps);
      assert.ok(Math.abs(g.du![0]! - fdu) <= 1e-5 * Math.max(1, Math.abs(fdu)), `u: ${g.du![0]} vs ${fdu}`);
      const lbPlus = f64([-Infinity, -Infinity, eps]);
      const lbMinus = f64([-Infinity, -Infinity, -eps]);
      const fdlb = ((await loss(p.q, p.u, lbPlus)) - (await loss(p.q, p.u, lbMinus))) / (2 * eps);
      assert.ok(Math.abs(g.dlb![2]! - fdlb) <= 1e-5 * Math.max(1, Math.abs(fdlb)), `lb: ${g.dlb![2]} vs ${fdlb}`);
    });
  }
});
