/**
 * Parametric problems (lib/parametric.ts): re-solves with new values give the answers of a fresh
 * solveSync of the same problem to solver tolerance, checked against KKT residuals computed here;
 * answers from the last active set (activeSetStart) are exact and equal a polished fresh solve's;
 * infeasible values give a certificate checked here; gradients equal those of differentiateSync on
 * the same solution (bits) and of a fresh solve (to 1e-6); the batch path's gradients equal the
 * one-by-one ones; bad values are typed errors naming values.<field> and index, and change nothing.
 * RSS over 10⁴ cycles without dispose (a child process, test/rss-child.ts) grows < 10% after warm-up.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { differentiateBatchSync, solveBatchSync } from '../lib/batch';
import { differentiateSync, DifferentiateMethod, Gradients } from '../lib/differentiate';
import { ErrorCode, QpError } from '../lib/errors';
import { parametric } from '../lib/parametric';
import { solveSync } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { checkPrimalCertificate } from './certificates';
import { assertClose, kktResiduals, rng } from './helpers';
import { TrainingQp as Qp, trainingQp } from '../bench/training-qp';

/** New values of every kind for step k: q always, bounds and matrix values now and then. */
function variation(base: Qp, k: number): { values: Record<string, Float64Array>; problem: Qp } {
  const r = rng(1000 + k);
  const values: Record<string, Float64Array> = { q: base.q.map((v) => v + 2 * (r() - 0.5)) };
  if (k % 3 === 1) values.u = base.u.map((v) => v + 0.2 * r());
  if (k % 4 === 2) values.Pvalues = base.P.values.map((v, i) => v * (1 + 0.1 * r()) + (i === 0 ? 0.01 : 0));
  if (k % 5 === 3) values.Avalues = base.A.values.map((v) => v * (1 + 0.2 * (r() - 0.5)));
  return { values, problem: base };
}

/** The problem a parametric object holds after `values` replaced some of `current`'s. */
function apply(current: Qp, values: Record<string, Float64Array>): Qp {
  const P = values.Pvalues
    ? new CscMatrix(current.P.nrows, current.P.ncols, current.P.colPtr, current.P.rowIdx, values.Pvalues, 'lower')
    : current.P;
  const A = values.Avalues
    ? new CscMatrix(current.A.nrows, current.A.ncols, current.A.colPtr, current.A.rowIdx, values.Avalues)
    : current.A;
  return {
    P,
    A,
    q: values.q ?? current.q,
    l: values.l ?? current.l,
    u: values.u ?? current.u,
    lb: values.lb ?? current.lb,
    ub: values.ub ?? current.ub,
  };
}

function expectCode(f: () => unknown, code: string, field?: string, index?: number): QpError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof QpError, `expected a QpError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (field !== undefined) assert.equal(e.field, field, e.message);
    if (index !== undefined) assert.equal(e.index, index, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

const methods: DifferentiateMethod[] = ['kkt', 'full', 'penalty', 'qp'];

describe('parametric problems', function () {
  this.timeout(60000);

  for (const solver of ['ipm', 'admm'] as const) {
    it(`${solver}: 40 re-solves with new q, u, P and A values meet the KKT conditions as a fresh solveSync does, and give its x`, () => {
      const base = trainingQp(12, 6, 7);
      const pq = parametric(base, { solver, epsAbs: 1e-9, epsRel: 0 });
      let current = base;
      for (let k = 0; k < 40; k++) {
        const { values } = variation(base, k);
        current = apply(current, values);
        const sol = pq.solveSync(values);
        const fresh = solveSync(current, { solver, epsAbs: 1e-9, epsRel: 0 });
        assert.equal(sol.status, fresh.status, `step ${k}`);
        assert.equal(sol.status, 'solved', `step ${k}: ${sol.rawStatusText}`);
        const res = kktResiduals(sol, current);
        assert.ok(res.rp < 1e-7 && res.rd < 1e-7 && res.rg < 1e-6, `step ${k}: residuals ${JSON.stringify(res)}`);
        assertClose(sol.x, fresh.x, 1e-6, `step ${k} x`);
      }
      // P or A changed on some steps: ipm keeps its symbolic analysis throughout; admm refactorises in place of a setup only
      // when they change
      const setups = pq.solveSync().setups;
      if (solver === 'ipm') assert.equal(setups, 1);
      else assert.ok(setups > 1 && setups < 40, `admm setups ${setups}`);
      pq.dispose();
    });

    it(`${solver}: gradients at the parametric solution equal differentiateSync's on the same solution (bits) for every method, and a fresh solve's to 1e-6`, () => {
      const base = trainingQp(10, 5, 11);
      const pq = parametric(base, { solver, epsAbs: 1e-10, epsRel: 0 });
      const r = rng(5);
      let problem = base;
      for (let k = 0; k < 6; k++) {
        const { values } = variation(base, k);
        problem = apply(problem, values);
        const sol = pq.solveSync(values);
        const dx = Float64Array.from({ length: 10 }, () => r() - 0.5);
        const dy = Float64Array.from({ length: 5 }, () => r() - 0.5);
        for (const method of methods) {
          const g = pq.differentiateSync({ dx, dy }, { method });
          const same = differentiateSync(problem, sol, { dx, dy }, { method });
          for (const key of ['dP', 'dq', 'dA', 'dl', 'du', 'dlb', 'dub'] as const) assert.deepEqual(g[key], same[key], `${method} ${key}`);
          assert.equal(g.differentiable, same.differentiable);
        }
        const fresh = solveSync(problem, { solver: 'ipm', epsAbs: 1e-10, epsRel: 0 });
        const g = pq.differentiateSync({ dx, dy });
        const ref = differentiateSync(problem, fresh, { dx, dy });
        for (const key of ['dP', 'dq', 'dA', 'du', 'dub'] as const) assertClose(g[key]!, ref[key]!, 1e-6, `${solver} vs fresh ipm ${key}`);
        // a second kkt pass on the same solution reuses K
        assert.equal(pq.differentiateSync({ dx }).factorReused, true);
      }
      pq.dispose();
    });

    it(`${solver}: infeasible values give primalInfeasible with a certificate checked here; feasible ones after it solve again`, () => {
      const base = trainingQp(8, 4, 3);
      const pq = parametric(base, { solver });
      // row 0 asks for A₀x ≥ Σ|A₀ⱼ| + 1, beyond what the box |x| ≤ 1 allows
      const A0 = base.A.toDense()[0]!;
      const l = base.l.slice();
      const u = base.u.slice();
      l[0] = A0.reduce((s, v) => s + Math.abs(v), 0) + 1;
      u[0] = l[0] + 1;
      const bad = pq.solveSync({ l, u });
      assert.equal(bad.status, 'primalInfeasible', bad.rawStatusText);
      checkPrimalCertificate({ ...base, l, u }, bad);
      expectCode(() => pq.differentiateSync({ dx: new Float64Array(8) }), ErrorCode.NOT_DIFFERENTIABLE, 'solution.status');
      const good = pq.solveSync({ l: base.l, u: base.u });
      assert.equal(good.status, 'solved');
      assertClose(good.x, solveSync(base, { solver }).x, 1e-5, 'x after recovery');
      pq.dispose();
    });

    it(`${solver}: a bound turning finite changes the structure: the solver sets up again, and the answer is right`, () => {
      const base = trainingQp(8, 4, 9);
      base.lb[2] = -Infinity; // x₂ free: admm has no bound row for it, ipm no bound term
      base.ub[2] = Infinity;
      // the solver itself on every solve: an answer from the last active set would set nothing up
      const pq = parametric(base, { solver, epsAbs: 1e-9, epsRel: 0, activeSetStart: false });
      assert.equal(pq.solveSync().setups, 1);
      const lb = base.lb.slice();
      lb[2] = 0.25; // active: x₂ < 0.25 without it
      const sol = pq.solveSync({ lb });
      assert.equal(sol.setups, 2);
      const res = kktResiduals(sol, { ...base, lb });
      assert.ok(res.rp < 1e-7 && res.rd < 1e-7, JSON.stringify(res));
      assertClose(sol.x, solveSync({ ...base, lb }, { solver, epsAbs: 1e-9, epsRel: 0 }).x, 1e-6, 'x');
      // ipm's rows: a side turning infinite is a new structure too (admm updates a row's kind in place)
      const l = base.l.slice();
      l[1] = -Infinity;
      const again = pq.solveSync({ l });
      assert.equal(again.setups, solver === 'ipm' ? 3 : 2);
      assertClose(again.x, solveSync({ ...base, lb, l }, { solver, epsAbs: 1e-9, epsRel: 0 }).x, 1e-6, 'x after l');
      pq.dispose();
    });
  }

  for (const solver of ['ipm', 'admm'] as const) {
    it(`${solver}: small steps in q are answered from the last active set, exactly (KKT residuals computed here, a polished fresh solve), gradients included; off, never`, () => {
      const base = trainingQp(10, 5, 13);
      for (const activeSetStart of [true, false]) {
        const pq = parametric(base, { solver, activeSetStart });
        let fromActiveSet = 0;
        for (let k = 0; k < 24; k++) {
          // a training loop's steps: q moves a little
          const q = base.q.map((v, j) => v + 0.05 * Math.sin(0.7 * k + j));
          const problem = { ...base, q };
          const sol = pq.solveSync({ q });
          assert.equal(sol.status, 'solved', `step ${k}: ${sol.rawStatusText}`);
          const dx = Float64Array.from({ length: 10 }, (_, j) => Math.cos(k + 2 * j));
          const g = pq.differentiateSync({ dx });
          if (!sol.fromActiveSet) continue;
          fromActiveSet++;
          assert.match(sol.rawStatusText, /last solution's active set/);
          assert.ok(sol.iterations >= 1, `step ${k}: iterations ${sol.iterations}`);
          // exact on its active set: far inside the default tolerance of 1e-6
          const res = kktResiduals(sol, problem);
          assert.ok(res.rp < 1e-12 && res.rd < 1e-12 && res.rg < 1e-11, `step ${k}: residuals ${JSON.stringify(res)}`);
          const fresh = solveSync(problem, { solver: 'ipm', polish: true, epsAbs: 1e-9, epsRel: 0 });
          assertClose(sol.x, fresh.x, 1e-8, `step ${k} x`);
          assertClose(sol.y, fresh.y, 1e-7, `step ${k} y`);
          // the K the start ended on served the backward pass
          assert.equal(g.factorReused, true, `step ${k}`);
          const ref = differentiateSync(problem, fresh, { dx });
          for (const key of ['dP', 'dq', 'dA', 'du', 'dub'] as const) assertClose(g[key]!, ref[key]!, 1e-6, `step ${k} ${key}`);
        }
        if (activeSetStart) assert.ok(fromActiveSet >= 12, `${fromActiveSet} of 24 answers from the active set`);
        else assert.equal(fromActiveSet, 0);
        // the solver's answer on the last solution's active set: the last K serves its kkt pass, with the bits of a new one
        const q = base.q.map((v, j) => v + 0.05 * Math.sin(j));
        pq.solveSync({ q });
        pq.differentiateSync({ dx: q });
        const again = pq.solveSync({ q });
        const dx = Float64Array.from({ length: 10 }, (_, j) => Math.sin(3 * j));
        const g = pq.differentiateSync({ dx });
        assert.equal(g.factorReused, true);
        const fresh = differentiateSync({ ...base, q }, again, { dx });
        for (const key of ['dP', 'dq', 'dA', 'dl', 'du', 'dlb', 'dub'] as const) assert.deepEqual(g[key], fresh[key], key);
        pq.dispose();
      }
    });
  }

  it("the active-set start on equality rows, free and one-sided rows, no rows, no bounds and a weakly active bound: exact answers (KKT computed here), a polished fresh solve's x", () => {
    const base = trainingQp(10, 5, 17);
    const withRows = { ...base, l: base.l.slice(), u: base.u.slice() };
    withRows.l[0] = withRows.u[0] = 0.05; // an equality row
    withRows.l[1] = -Infinity; // one-sided
    withRows.l[2] = -Infinity; // free
    withRows.u[2] = Infinity;
    const noRows = {
      ...base,
      A: new CscMatrix(0, 10, new Int32Array(11), new Int32Array(0), new Float64Array(0)),
      l: new Float64Array(0),
      u: new Float64Array(0),
    };
    const noBounds = { P: withRows.P, q: withRows.q, A: withRows.A, l: withRows.l, u: withRows.u };
    // x₀'s unconstrained optimum sits exactly on its bound: active with a zero multiplier
    const weakP = CscMatrix.fromTriplets(10, 10, [...Array(10).keys()], [...Array(10).keys()], new Array(10).fill(1), {
      triangle: 'lower',
    });
    const weak = { ...noRows, P: weakP, q: Float64Array.from({ length: 10 }, (_, j) => (j === 0 ? -1 : 0.3)) };
    const cases: Array<[string, Qp | Omit<Qp, 'lb' | 'ub'>]> = [
      ['rows of every kind', withRows],
      ['no rows', noRows],
      ['no bounds', noBounds],
      ['a weakly active bound', weak],
    ];
    let fromActiveSet = 0;
    for (const [name, problem0] of cases) {
      const pq = parametric(problem0 as Qp, { solver: 'ipm' });
      for (let k = 0; k < 8; k++) {
        const q = problem0.q.map((v, j) => v + (name === 'a weakly active bound' && j === 0 ? 0 : 0.03 * Math.sin(k + 2 * j)));
        const problem = { ...problem0, q };
        const sol = pq.solveSync({ q });
        assert.equal(sol.status, 'solved', `${name}, step ${k}: ${sol.rawStatusText}`);
        const fresh = solveSync(problem as Qp, { solver: 'ipm', polish: true, epsAbs: 1e-9, epsRel: 0 });
        if (!sol.fromActiveSet) continue; // the solver's own answer (tested above)
        assertClose(sol.x, fresh.x, 1e-8, `${name}, step ${k} x`);
        fromActiveSet++;
        const res = kktResiduals(sol, problem);
        assert.ok(res.rp < 1e-12 && res.rd < 1e-12 && res.rg < 1e-11, `${name}, step ${k}: residuals ${JSON.stringify(res)}`);
        const g = pq.differentiateSync({ dx: Float64Array.from({ length: 10 }, (_, j) => Math.cos(j)) });
        const ref = differentiateSync(problem as Qp, fresh, { dx: Float64Array.from({ length: 10 }, (_, j) => Math.cos(j)) });
        assert.equal(g.differentiable, ref.differentiable, `${name}, step ${k}: ${g.reason} / ${ref.reason}`);
        assertClose(g.dq!, ref.dq!, 1e-6, `${name}, step ${k} dq`);
      }
      pq.dispose();
    }
    assert.ok(fromActiveSet >= 16, `${fromActiveSet} of 32 answers from the active set`);
  });

  it('gradients through solveBatchSync + differentiateBatchSync and through a parametric problem equal the one-by-one ones', () => {
    const base = trainingQp(10, 5, 21);
    const problems = Array.from({ length: 16 }, (_, k) => apply(base, variation(base, k).values));
    const seeds = problems.map((_, k) => ({ dx: Float64Array.from({ length: 10 }, (_, i) => Math.sin(k + i)) }));
    const one = problems.map((p, k) => differentiateSync(p, solveSync(p, { solver: 'ipm' }), seeds[k]!));
    const batch = differentiateBatchSync(solveBatchSync(problems, { solver: 'ipm', differentiable: true, threads: 2 }), seeds, {
      threads: 2,
    });
    const pq = parametric(base, { solver: 'ipm' });
    const viaParametric: Gradients[] = problems.map((p, k) => {
      pq.solveSync({ q: p.q, u: p.u, Pvalues: p.P.values, Avalues: p.A.values });
      return pq.differentiateSync(seeds[k]!);
    });
    for (let k = 0; k < problems.length; k++) {
      for (const key of ['dP', 'dq', 'dA', 'dl', 'du', 'dlb', 'dub'] as const) {
        assert.deepEqual(batch[k]![key], one[k]![key], `batch ${k} ${key}`);
        assertClose(viaParametric[k]![key]!, one[k]![key]!, 1e-6, `parametric ${k} ${key}`);
      }
    }
    pq.dispose();
  });

  it('bad structure, options and values are typed errors naming field and index; a call that throws changes nothing', () => {
    const base = trainingQp(6, 3, 2);
    expectCode(() => parametric(base, { solver: 'highs' as 'ipm' }), ErrorCode.INVALID_OPTION, 'options.solver');
    expectCode(() => parametric(base, { solver: 'auto' as 'ipm' }), ErrorCode.INVALID_OPTION, 'options.solver');
    expectCode(
      () => parametric({ ...base, P: CscMatrix.fromDense(base.P.toDense()) }, { solver: 'ipm' }),
      ErrorCode.INVALID_MATRIX,
      'structure.P.triangle',
    );
    expectCode(() => parametric(base, { solver: 'ipm', x0: new Float64Array(6) } as never), ErrorCode.INVALID_OPTION, 'options.x0');
    expectCode(() => parametric(base, { solver: 'ipm', activeSetStart: 1 as never }), ErrorCode.INVALID_OPTION, 'options.activeSetStart');
    // a structure whose own P is not convex: its first solve says so, naming P (no values were given)
    const concave = new CscMatrix(
      6,
      6,
      base.P.colPtr,
      base.P.rowIdx,
      base.P.values.map((v) => -v),
      'lower',
    );
    for (const solver of ['ipm', 'admm'] as const)
      expectCode(() => parametric({ ...base, P: concave }, { solver }).solveSync(), ErrorCode.NOT_CONVEX, 'P');
    for (const solver of ['ipm', 'admm'] as const) {
      // the solver on every solve, so that the answers after the failed calls are the bits of the first
      const pq = parametric(base, { solver, activeSetStart: false });
      expectCode(() => pq.differentiateSync({ dx: new Float64Array(6) }), ErrorCode.NOT_DIFFERENTIABLE, 'parametric');
      const before = pq.solveSync();
      expectCode(() => pq.solveSync({ q: new Float64Array(5) }), ErrorCode.DIMENSION_MISMATCH, 'values.q');
      const q = base.q.slice();
      q[4] = NaN;
      expectCode(() => pq.solveSync({ q }), ErrorCode.NOT_FINITE, 'values.q', 4);
      const l = base.l.slice();
      l[2] = base.u[2]! + 1;
      expectCode(() => pq.solveSync({ l }), ErrorCode.INVALID_BOUNDS, 'values.l', 2);
      const Pvalues = base.P.values.slice();
      Pvalues[1] = Infinity;
      expectCode(() => pq.solveSync({ Pvalues }), ErrorCode.NOT_FINITE, 'values.Pvalues', 1);
      expectCode(() => pq.solveSync({ x: base.q } as never), ErrorCode.INVALID_TYPE, 'values.x');
      const again = pq.solveSync();
      assertClose(again.x, before.x, 1e-6, `${solver}: x after the failed calls`);
      // P made indefinite (with a new q): NOT_CONVEX, and the object keeps the values it had
      const indefinite = base.P.values.map((v) => -v);
      const e = expectCode(
        () => pq.solveSync({ Pvalues: indefinite, q: base.q.map((v) => v + 1) }),
        ErrorCode.NOT_CONVEX,
        'values.Pvalues',
      );
      assert.match(e.message, /values\.Pvalues/);
      assertClose(pq.solveSync().x, before.x, 1e-6, `${solver}: x after NOT_CONVEX`);
      expectCode(
        () => pq.differentiateSync({ dx: new Float64Array(6) }, { method: 'nope' as 'kkt' }),
        ErrorCode.INVALID_OPTION,
        'options.method',
      );
      pq.dispose();
      assert.equal(pq.disposed, true);
      expectCode(() => pq.solveSync(), ErrorCode.DISPOSED);
      expectCode(() => pq.differentiateSync({ dx: new Float64Array(6) }), ErrorCode.DISPOSED);
    }
  });

  for (const scenario of ['parametric', 'batch']) {
    it(`RSS over 10⁴ cycles of ${scenario === 'parametric' ? 'parametric solveSync + differentiateSync' : 'solveBatchSync (4 problems, differentiable) + differentiateBatchSync'} without dispose grows < 10% after warm-up`, async function () {
      this.timeout(180000);
      const child = path.join(__dirname, 'rss-child.js');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--expose-gc', '--max-semi-space-size=1', child, scenario, '10000', '2000'],
        { timeout: 170000 },
      );
      const r = JSON.parse(stdout.trim().split('\n').pop()!) as { warmRss: number; endRss: number };
      const growth = (r.endRss - r.warmRss) / r.warmRss;
      assert.ok(
        growth < 0.1,
        `${scenario}: RSS ${(r.warmRss / 2 ** 20).toFixed(1)} → ${(r.endRss / 2 ** 20).toFixed(1)} MB (${(100 * growth).toFixed(1)}%)`,
      );
    });
  }
});
