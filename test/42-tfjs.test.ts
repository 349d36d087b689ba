/**
 * diffqp/tfjs (lib/tfjs.ts): the layer's x is solveSync's x; its gradients are differentiateSync's
 * (summed over the batch for a shared input), and they match central differences of the layer's
 * own output; bad tensors and unsolved batch members are QpErrors naming the input, the shape or
 * the batch index; the main entry does not load tfjs-core.
 */
import '@tensorflow/tfjs'; // the CPU backend and the gradients of tf's ops (tfjs-core's CommonJS bundle has none)
import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { differentiateSync } from '../lib/differentiate';
import { ErrorCode, QpError } from '../lib/errors';
import { CanonicalProblem } from '../lib/problem';
import { solveSync } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { qpLayer, QpLayerInput, QpLayerStructure } from '../lib/tfjs';
import { rng } from './helpers';

const tight = { epsAbs: 1e-11, epsRel: 1e-11 };

/** A strictly convex QP with 3 rows (two-sided, one-sided, an equality) and a box; its data float32-exact. */
function structure(seed: number, n = 6) {
  const r = rng(seed);
  const f32 = (v: number) => Math.fround(v);
  const M = Array.from({ length: n }, () => Array.from({ length: n }, () => r() - 0.5));
  const P = M.map((row, i) => M.map((other, j) => f32(row.reduce((s, v, k) => s + v * other[k]!, 0) + (i === j ? 1 : 0))));
  const A = [0, 1, 2].map(() => Array.from({ length: n }, () => (r() < 0.7 ? f32(r() - 0.5) : 0)));
  return {
    n,
    P: CscMatrix.fromDense(P, { triangle: 'lower' }),
    A: CscMatrix.fromDense(A, { ncols: n }),
    l: Float64Array.of(-0.3, -Infinity, 0.1),
    u: Float64Array.of(0.3, 0.2, 0.1),
    lb: new Float64Array(n).fill(-0.5),
    ub: new Float64Array(n).fill(0.5),
  } satisfies QpLayerStructure;
}

/** Random float32 values, B rows of k (or one row of k when B is undefined). */
function values(r: () => number, k: number, B?: number, scale = 1): tf.Tensor {
  const data = Float32Array.from({ length: (B ?? 1) * k }, () => scale * (2 * r() - 1));
  return B === undefined ? tf.tensor1d(data) : tf.tensor2d(data, [B, k]);
}

/** The layer's data of batch member b as a float64 problem, exactly what the layer solves. */
function memberProblem(
  s: ReturnType<typeof structure>,
  t: Partial<Record<QpLayerInput, tf.Tensor>>,
  b: number,
): CanonicalProblem<Float64Array, CscMatrix> {
  const row = (name: QpLayerInput, fallback: Float64Array): Float64Array => {
    const x = t[name];
    if (!x) return fallback;
    const data = Float64Array.from(x.dataSync());
    const k = x.shape[x.shape.length - 1]!;
    return x.shape.length === 1 ? data : data.slice(b * k, (b + 1) * k);
  };
  const matrix = (M: CscMatrix, name: 'P' | 'A') => new CscMatrix(M.nrows, M.ncols, M.colPtr, M.rowIdx, row(name, M.values), M.triangle);
  return {
    P: matrix(s.P, 'P'),
    q: row('q', new Float64Array(s.n)),
    A: matrix(s.A, 'A'),
    l: row('l', s.l),
    u: row('u', s.u),
    lb: row('lb', s.lb),
    ub: row('ub', s.ub),
  };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((sum, v, i) => sum + v * b[i]!, 0);

describe('tfjs: qpLayer (diffqp/tfjs)', function () {
  this.timeout(60000);
  const inputs: QpLayerInput[] = ['q', 'P', 'A', 'l', 'u', 'lb', 'ub'];
  const B = 4;

  it('x is solveSync’s x, and every input’s gradient is differentiateSync’s (batched [B, k] and shared [k] inputs)', () => {
    const s = structure(3401);
    const r = rng(3402);
    const layer = qpLayer(s, { inputs, solveOptions: tight });
    // q, l, u per member; P, A, lb, ub shared by the batch (their gradients are sums over it).
    const t: Partial<Record<QpLayerInput, tf.Tensor>> = {
      q: values(r, s.n, B),
      P: tf.tensor1d(Float32Array.from(s.P.values)),
      A: tf.tensor1d(Float32Array.from(s.A.values)),
      l: tf.tensor2d(
        Float32Array.from({ length: B * 3 }, (_, i) => s.l[i % 3]!),
        [B, 3],
      ),
      u: tf.tensor2d(
        Float32Array.from({ length: B * 3 }, (_, i) => s.u[i % 3]!),
        [B, 3],
      ),
      lb: tf.tensor1d(Float32Array.from(s.lb)),
      ub: tf.tensor1d(Float32Array.from(s.ub)),
    };
    const c = values(r, s.n, B);
    const names = Object.keys(t) as QpLayerInput[];
    const f = (...xs: tf.Tensor[]) => tf.sum(tf.mul(c, layer(Object.fromEntries(names.map((n, i) => [n, xs[i]!])))));
    const x = layer(t).arraySync();
    const grads = tf.grads(f)(names.map((n) => t[n]!));

    const cs = c.arraySync() as number[][];
    const want = new Map<QpLayerInput, Float64Array[]>();
    for (let b = 0; b < B; b++) {
      const p = memberProblem(s, t, b);
      const sol = solveSync(p, { solver: 'ipm', differentiable: true, ...tight });
      assert.equal(sol.status, 'solved');
      x[b]!.forEach((v, j) => assert.equal(v, Math.fround(sol.x[j]!), `x[${b}][${j}]`));
      const g = differentiateSync(sol, { dx: Float64Array.from(cs[b]!) });
      for (const n of names) want.set(n, [...(want.get(n) ?? []), g[`d${n}` as 'dq']!]);
      sol.dispose();
    }
    let active = 0;
    names.forEach((n, i) => {
      const got = grads[i]!;
      assert.deepEqual(got.shape, t[n]!.shape, `d${n} has the shape of ${n}`);
      const per = want.get(n)!;
      const expected =
        got.shape.length === 1
          ? per[0]!.map((_, k) => per.reduce((sum, g) => sum + g[k]!, 0))
          : Float64Array.from(per.flatMap((g) => Array.from(g)));
      const data = got.dataSync();
      expected.forEach((v, k) =>
        assert.ok(Math.abs(data[k]! - v) <= 1e-6 * (1 + Math.abs(v)), `d${n}[${k}] = ${data[k]}, differentiateSync ${v}`),
      );
      active += expected.filter((v) => v !== 0).length;
    });
    assert.ok(active > 20, `${active} non-zero gradient entries: the test reaches active rows and bounds`);
  });

  it('the gradients match central differences of the layer’s own float32 output', () => {
    const s = structure(3403);
    const r = rng(3404);
    const layer = qpLayer(s, { inputs, solveOptions: tight });
    const base: Partial<Record<QpLayerInput, tf.Tensor>> = {
      q: values(r, s.n, B, 2), // large enough that some x_j sits on each side of its box
      P: tf.tensor1d(Float32Array.from(s.P.values)),
      A: tf.tensor2d(
        Float32Array.from({ length: B * s.A.nnz }, (_, i) => s.A.values[i % s.A.nnz]!),
        [B, s.A.nnz],
      ),
      l: tf.tensor1d(Float32Array.from(s.l)),
      u: tf.tensor1d(Float32Array.from(s.u)),
      lb: tf.tensor2d(
        Float32Array.from({ length: B * s.n }, () => -0.5),
        [B, s.n],
      ),
      ub: tf.tensor1d(Float32Array.from(s.ub)),
    };
    const c = values(r, s.n, B);
    const names = Object.keys(base) as QpLayerInput[];
    const loss = (t: Partial<Record<QpLayerInput, tf.Tensor>>) =>
      dot(Float64Array.from(layer(t).dataSync()), Float64Array.from(c.dataSync()));
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(c, layer(Object.fromEntries(names.map((n, i) => [n, xs[i]!]))))))(
      names.map((n) => base[n]!),
    );
    const h = 1e-3; // small enough that no constraint changes sides (1e-2 moves one here)
    for (const [i, n] of names.entries()) {
      const t0 = base[n]!;
      // Not along the equality row's l or u alone (l₂ = u₂: one side moved alone is l > u).
      const d = Float32Array.from(t0.dataSync(), (v, k) =>
        Number.isFinite(v) && !((n === 'l' || n === 'u') && k === 2) ? 2 * r() - 1 : 0,
      );
      const plus = tf.add(t0, tf.mul(h, tf.tensor(d, t0.shape)));
      const minus = tf.sub(t0, tf.mul(h, tf.tensor(d, t0.shape)));
      // The inputs as float32 rounded them: the step actually taken.
      const step = Float64Array.from(plus.dataSync()).map((v, k) => (Number.isFinite(v) ? v - minus.dataSync()[k]! : 0));
      const fd = loss({ ...base, [n]: plus }) - loss({ ...base, [n]: minus });
      const predicted = dot(grads[i]!.dataSync(), step);
      assert.ok(Math.abs(predicted) > 1e-5, `d${n}: the direction moves the loss (${predicted})`);
      assert.ok(Math.abs(fd - predicted) <= 2e-3 * Math.abs(predicted) + 1e-5, `d${n}: ⟨g, δ⟩ = ${predicted}, central difference ${fd}`);
    }
  });

  it('the backward methods agree: penalty and qp within their error of kkt; the layer counts its calls and time', () => {
    const s = structure(3405);
    const q = values(rng(3406), s.n, B);
    const c = values(rng(3407), s.n, B);
    const grad = (method: 'kkt' | 'penalty' | 'qp') => {
      const layer = qpLayer(s, { method, solveOptions: tight });
      const g = tf
        .grad((qq: tf.Tensor) => tf.sum(tf.mul(c, layer({ q: qq }))))(q)
        .dataSync();
      assert.equal(layer.stats.forwardCalls, 1);
      assert.equal(layer.stats.backwardCalls, 1);
      assert.equal(layer.stats.forwardProblems, B);
      assert.equal(layer.stats.backwardProblems, B);
      assert.ok(layer.stats.forwardSeconds > 0 && layer.stats.backwardSeconds > 0);
      return g;
    };
    const kkt = grad('kkt');
    for (const method of ['penalty', 'qp'] as const) {
      const other = grad(method);
      const err = Math.max(...Array.from(kkt, (v, k) => Math.abs(v - other[k]!)));
      assert.ok(err < 1e-3, `${method}: max |dq − dq(kkt)| = ${err}`);
    }
  });

  describe('errors', () => {
    const s = structure(3408);
    const layer = qpLayer(s, { inputs: ['q', 'u'] });
    const q = tf.zeros([2, s.n]);
    const u = tf.tensor1d(Float32Array.from(s.u));
    const rejects = (fn: () => unknown, code: string, field: string, ...words: string[]) => {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof QpError, String(e));
        assert.equal(e.code, code, e.message);
        assert.equal(e.field, field, e.message);
        for (const w of words) assert.ok(e.message.includes(w), `"${e.message}" names ${w}`);
        return true;
      });
    };

    it('a tensor of the wrong dtype names the input, its dtype and its shape', () => {
      rejects(() => layer({ q: tf.zeros([2, s.n], 'int32'), u }), ErrorCode.INVALID_TYPE, 'tensors.q', 'int32', `[2, ${s.n}]`);
    });
    it('a tensor of the wrong shape names the input, the expected and the given shape', () => {
      rejects(() => layer({ q: tf.zeros([2, s.n + 1]), u }), ErrorCode.DIMENSION_MISMATCH, 'tensors.q', `[B, ${s.n}]`, `[2, ${s.n + 1}]`);
      rejects(() => layer({ q, u: tf.zeros([3, 3]) }), ErrorCode.DIMENSION_MISMATCH, 'tensors.u', 'batch size 3', 'tensors.q has 2');
      rejects(() => layer({ q: tf.zeros([s.n]), u }), ErrorCode.DIMENSION_MISMATCH, 'tensors', '[B, k]');
    });
    it('a missing, unknown or non-tensor input is named', () => {
      rejects(() => layer({ q }), ErrorCode.INVALID_TYPE, 'tensors.u', 'missing');
      rejects(() => layer({ q, u, lb: u }), ErrorCode.INVALID_OPTION, 'tensors.lb', 'not an input');
      rejects(() => layer({ q: [[0]] as unknown as tf.Tensor, u }), ErrorCode.INVALID_TYPE, 'tensors.q', 'tf.Tensor');
      rejects(() => qpLayer(s, { inputs: ['q', 'x' as QpLayerInput] }), ErrorCode.INVALID_OPTION, 'options.inputs', 'x');
      rejects(() => qpLayer({ n: 2 }, { inputs: ['q', 'A'] }), ErrorCode.INVALID_OPTION, 'options.inputs', 'structure.A');
      rejects(() => qpLayer({ ...s, l: [0, 0] }, { inputs: ['q'] }), ErrorCode.DIMENSION_MISMATCH, 'structure.l', 'length 3');
    });
    it('an infeasible batch member is an error naming its index and status, not a NaN gradient', () => {
      // Member 1: the equality row asks A₂x = 0.1 with u₂ = −5 < l₂: rejected before solving (l > u) …
      const bad = tf.tensor2d([...s.u, 0, 0, -5], [2, 3]);
      rejects(() => layer({ q, u: bad }), ErrorCode.INVALID_BOUNDS, 'batch[1].l', 'batch[1]', 'exceeds u[2] = -5');
      // … as is a NaN, named by member and index …
      rejects(
        () => layer({ q: tf.tensor2d([0, 0, 0, 0, 0, 0, 0, NaN, 0, 0, 0, 0], [2, s.n]), u }),
        ErrorCode.NOT_FINITE,
        'batch[1].q',
        'q[1]',
        'NaN',
      );
      // … and one that is valid but infeasible: x within the box ±0.5 cannot reach A₁x ≥ 100.
      const far = qpLayer({ ...s, u: Float64Array.of(Infinity, Infinity, Infinity) }, { inputs: ['q', 'l'] });
      const l = tf.tensor2d([-0.3, -Infinity, 0.1, 100, -Infinity, -Infinity], [2, 3]);
      rejects(() => far({ q, l }), ErrorCode.NOT_DIFFERENTIABLE, 'batch', 'batch[1]', 'primalInfeasible');
    });
    it('a gradient step under tf.tidy leaves behind no more tensors than one without the layer', () => {
      const c = tf.ones([2, s.n]);
      // tf.grad under tf.tidy keeps one tensor per call of its own (so does this baseline without the layer).
      const left = (f: (qq: tf.Tensor) => tf.Tensor) => {
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) tf.tidy(() => tf.grad((qq: tf.Tensor) => tf.sum(tf.mul(c, f(qq))))(q));
        return tf.memory().numTensors - before;
      };
      assert.equal(
        left((qq) => layer({ q: qq, u })),
        left((qq) => tf.mul(qq, 2)),
      );
    });
  });

  it("the exports map gives require('diffqp/tfjs') and import('diffqp/tfjs') one module", () => {
    // A package may import itself by name through its own exports map: run from the repository root.
    const script = [
      "import { createRequire } from 'node:module';",
      "const esm = await import('diffqp/tfjs');",
      "const cjs = createRequire(process.cwd() + '/')('diffqp/tfjs');",
      "console.log(JSON.stringify({ names: Object.keys(esm).filter((k) => k !== 'default').sort(), same: esm.qpLayer === cjs.qpLayer, entry: import.meta.resolve('diffqp/tfjs') }));",
    ].join('\n');
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.resolve(__dirname, '..', '..'), encoding: 'utf8' }),
    ) as { names: string[]; same: boolean; entry: string };
    assert.deepEqual(out.names, ['qpLayer']);
    assert.ok(out.same, 'the ESM entry re-exports the CJS function');
    assert.ok(out.entry.endsWith('/dist/lib/tfjs.mjs'), out.entry);
  });

  it('the main entry does not load @tensorflow/tfjs-core', () => {
    const index = path.resolve(__dirname, '..', 'lib', 'index.js');
    const out = execFileSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(index)}); console.log(Object.keys(require.cache).filter((k) => k.includes('@tensorflow')).length)`],
      { encoding: 'utf8' },
    );
    assert.equal(out.trim(), '0');
  });
});
