/**
 * The job queue (lib/queue, docs/QUEUE.md): the payload format round trip and a fuzz of malformed
 * payloads (each one a QpError, never a crash), the projection QPs of lib/projections.ts against
 * independent references (sorting, clamping, pool-adjacent-violators, the exact chain programme,
 * quadprog), and an in-process worker and producer on a real redis-server started here: results
 * equal to calling diffqp directly, an infeasible status, a poison job, cancellation, timeout, a
 * batch, and a 10⁶-dimensional projection round trip.
 */
import { strict as assert } from 'node:assert';
import { Queue } from 'bullmq';
import { differentiate } from '../lib/differentiate';
import { ErrorCode, QpError } from '../lib/errors';
import { CanonicalProblem, StandardProblem } from '../lib/problem';
import { projectionProblem, ProjectionSet } from '../lib/projections';
import { decodePayload, encodePayload, fromWire, toWire, Tree } from '../lib/queue/format';
import { decodeJob, decodeResult, encodeJob, encodeResult, QueueJob } from '../lib/queue/job';
import { QpQueue } from '../lib/queue/producer';
import { runJob } from '../lib/queue/run-job';
import { startWorker, QueueWorker } from '../lib/queue/worker';
import { solve, solveSync } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { isotonicRegression, normal, projectBoundedDifferences, projectSimplex, uniform } from '../bench/bench-families';
import { assertClose, dense, denseLower, f64 } from './helpers';
import { redisAvailable, RedisServer } from '../scripts/redis-server';

interface QuadprogModule {
  solveQP(D: number[][], d: number[], A: number[][], b: number[], meq: number): { solution: number[]; message: string };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const quadprog = require('quadprog') as QuadprogModule;

function expectPayloadError(fn: () => unknown, field?: RegExp): QpError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof QpError, `expected a QpError, got ${String(e)}`);
    assert.equal(e.code, ErrorCode.INVALID_PAYLOAD, e.message);
    if (field) assert.match(e.field ?? '', field, e.message);
    return e;
  }
  assert.fail('expected ERR_QP_INVALID_PAYLOAD, nothing was thrown');
}

function canonical(): CanonicalProblem<Float64Array, CscMatrix> {
  return {
    P: denseLower([
      [4, 0],
      [1, 2],
    ]),
    q: f64([1, 1]),
    A: dense([
      [1, 1],
      [1, 0],
      [0, 1],
    ]),
    l: f64([1, 0, 0]),
    u: f64([1, 0.7, Infinity]),
    name: 'osqp-demo',
  };
}

function standard(): StandardProblem {
  return {
    form: 'standard',
    P: { nrows: 3, ncols: 3, colPtr: [0, 1, 2, 3], rowIdx: [0, 1, 2], values: [1, 2, 3], triangle: 'lower' },
    q: [-1, 0.5, 2],
    G: CscMatrix.fromDense([[1, 1, 1]]),
    h: [1],
    A: CscMatrix.fromDense([[1, -1, 0]]),
    b: [0.25],
    lb: [-1, -1, -1],
    ub: [Infinity, 2, 2],
  };
}

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('queue: the payload format', () => {
  it('round-trips a tree: typed arrays bit for bit, ±Infinity, NaN, nested JSON', () => {
    const x = f64([1, -0, Infinity, -Infinity, NaN, 1e-310]);
    const i = Int32Array.of(0, -1, 2 ** 31 - 1);
    const tree: Tree = { a: x, b: { c: i, d: [1, 'two', null, true], e: -Infinity, f: NaN }, g: new Float64Array(0) };
    const bytes = encodePayload('job', tree);
    assert.equal(bytes.length % 8, 0);
    const back = decodePayload('job', bytes) as {
      a: Float64Array;
      b: { c: Int32Array; d: unknown[]; e: number; f: number };
      g: Float64Array;
    };
    assert.equal(bits(back.a), bits(x));
    assert.deepEqual(Array.from(back.b.c), Array.from(i));
    assert.deepEqual(back.b.d, [1, 'two', null, true]);
    assert.equal(back.b.e, -Infinity);
    assert.ok(Number.isNaN(back.b.f));
    assert.equal(back.g.length, 0);
    // The vectors travel as bytes, not as JSON numbers: 10⁵ doubles take 8·10⁵ bytes and a few more.
    const big = encodePayload('job', { v: new Float64Array(1e5).fill(Math.PI) });
    assert.ok(big.length < 8e5 + 200, `${big.length} bytes`);
  });

  it('round-trips both problem forms, seeds and options through encodeJob/decodeJob', () => {
    const job: QueueJob = {
      kind: 'differentiate',
      problem: standard(),
      seeds: { dx: [1, 0, 0] },
      options: { solver: 'ipm', epsAbs: 1e-9, timeLimit: Infinity, solverOptions: { refineIter: 4 } },
      differentiateOptions: { method: 'kkt', wrt: ['q', 'h'] },
    };
    const back = decodeJob(JSON.parse(JSON.stringify(encodeJob(job)))) as Extract<QueueJob, { kind: 'differentiate' }>;
    assert.equal(back.kind, 'differentiate');
    assert.equal(back.problem.form, 'standard');
    assert.ok(back.problem.q instanceof Float64Array);
    assert.deepEqual(Array.from(back.problem.q), [-1, 0.5, 2]);
    assert.deepEqual(Array.from((back.problem as StandardProblem).ub!), [Infinity, 2, 2]);
    assert.ok((back.problem.P!.colPtr as Int32Array) instanceof Int32Array);
    assert.equal(back.problem.P!.triangle, 'lower');
    assert.equal(back.options!.timeLimit, Infinity);
    assert.deepEqual(back.options!.solverOptions, { refineIter: 4 });
    assert.deepEqual(back.differentiateOptions!.wrt, ['q', 'h']);
    const c = decodeJob(encodeJob({ kind: 'solve', problem: canonical() })) as Extract<QueueJob, { kind: 'solve' }>;
    assert.equal(bits(c.problem.q as Float64Array), bits(canonical().q));
    assert.deepEqual(Array.from((c.problem as CanonicalProblem).u as Float64Array), [1, 0.7, Infinity]);
  });

  it('a bad matrix or kind is caught by the producer before anything is sent', () => {
    const p = canonical();
    assert.throws(
      () => encodeJob({ kind: 'solve', problem: { ...p, A: { nrows: 3, ncols: 2, colPtr: [0, 5, 1], rowIdx: [0], values: [1] } } }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_MATRIX,
    );
    assert.throws(
      () => encodeJob({ kind: 'nope' } as unknown as QueueJob),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_PAYLOAD && e.field === 'job.kind',
    );
    assert.throws(
      () => encodeJob({ kind: 'solve', problem: p, options: { signal: new AbortController().signal } } as unknown as QueueJob),
      /options\.signal/,
    );
  });

  it('named faults: magic, version, header, bounds, alignment, overlap, references, base64', () => {
    const good = encodePayload('job', { kind: 'solve', problem: { q: f64([1, 2]) } });
    const edit = (f: (b: Uint8Array, v: DataView) => void) => {
      const b = good.slice();
      f(b, new DataView(b.buffer));
      return b;
    };
    const withHeader = (header: string) => {
      const h = Buffer.from(header);
      const b = new Uint8Array(16 + h.length + 256);
      b.set(Buffer.from('DQPJ'));
      const v = new DataView(b.buffer);
      v.setUint32(4, 1, true);
      v.setUint32(8, h.length, true);
      b.set(h, 16);
      return b;
    };
    expectPayloadError(() => decodePayload('job', good.subarray(0, 10)), /^payload$/);
    expectPayloadError(() => decodePayload('result', good), /payload\.magic/);
    expectPayloadError(
      () =>
        decodePayload(
          'job',
          edit((_, v) => v.setUint32(4, 2, true)),
        ),
      /payload\.version/,
    );
    expectPayloadError(
      () =>
        decodePayload(
          'job',
          edit((_, v) => v.setUint32(8, 1e9, true)),
        ),
      /payload\.headerLength/,
    );
    expectPayloadError(
      () =>
        decodePayload(
          'job',
          edit((_, v) => v.setUint32(12, 7, true)),
        ),
      /payload\.reserved/,
    );
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":')), /payload\.header/);
    expectPayloadError(() => decodePayload('job', withHeader('[1]')), /payload\.header/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":1,"arrays":[],"x":1}')), /payload\.header\.x/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":{"$a":0},"arrays":[["f32",80,1]]}')), /arrays\[0\]\.type/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":{"$a":0},"arrays":[["f64",132,1]]}')), /arrays\[0\]\.offset/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":{"$a":0},"arrays":[["f64",8,1]]}')), /arrays\[0\]\.offset/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":{"$a":0},"arrays":[["f64",128,1000]]}')), /arrays\[0\]\.length/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":{"$a":0},"arrays":[["f64",128,-1]]}')), /arrays\[0\]\.length/);
    expectPayloadError(
      () => decodePayload('job', withHeader('{"tree":[{"$a":0},{"$a":1}],"arrays":[["f64",128,2],["f64",136,1]]}')),
      /arrays\[1\]/,
    );
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":[{"$a":0},{"$a":0}],"arrays":[["f64",128,1]]}')), /tree\[1\]/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":{"$a":3},"arrays":[]}')), /payload\.tree/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":1,"arrays":[["f64",128,1]]}')), /arrays\[0\]/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":{"$n":"Inf"},"arrays":[]}')), /payload\.tree/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":{"$x":1},"arrays":[]}')), /\$x/);
    expectPayloadError(() => decodePayload('job', withHeader('{"tree":[[[[[[[[[[1]]]]]]]]]],"arrays":[]}')), /payload\.tree/);
    expectPayloadError(() => decodePayload('job', withHeader('{"arrays":[]}')), /payload\.tree/);
    expectPayloadError(() => fromWire('job', { diffqp: 1, payload: '@@@@' }), /data\.payload/);
    expectPayloadError(() => fromWire('job', { diffqp: 2, payload: '' }), /data\.diffqp/);
    expectPayloadError(() => fromWire('job', 'hello'), /^data$/);
    expectPayloadError(() => decodeJob(toWire('job', { kind: 'solve' })), /job\.problem/);
    expectPayloadError(() => decodeJob(toWire('job', { kind: 'solve', problem: { q: f64([1]) }, extra: 1 })), /job\.extra/);
    expectPayloadError(() => decodeJob(toWire('job', { kind: 'project', set: 3, point: f64([1]) })), /job\.set/);
    expectPayloadError(() => decodeResult(toWire('result', { x: f64([1]) })), /result\./);
  });

  it('fuzz: 3000 mutated payloads each decode and run, or fail with a QpError; never another error', async function () {
    this.timeout(60_000);
    const rand = uniform(36);
    const base = encodePayload('job', {
      kind: 'solve',
      problem: {
        P: { nrows: 2, ncols: 2, colPtr: Int32Array.of(0, 1, 2), rowIdx: Int32Array.of(0, 1), values: f64([1, 1]), triangle: 'lower' },
        q: f64([1, -1]),
        A: { nrows: 1, ncols: 2, colPtr: Int32Array.of(0, 1, 2), rowIdx: Int32Array.of(0, 0), values: f64([1, 1]) },
        l: f64([-1]),
        u: f64([1]),
      },
      options: { solver: 'ipm' },
    });
    const counts = { decoded: 0, solved: 0, rejected: 0 };
    for (let t = 0; t < 3000; t++) {
      let b = base.slice();
      const kind = t % 4;
      if (kind === 0) for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      else if (kind === 1) b = b.subarray(0, Math.floor(rand() * b.length));
      else if (kind === 2) {
        // Edit inside the header text, where a byte changes the structure.
        const h = new DataView(b.buffer).getUint32(8, true);
        b[16 + Math.floor(rand() * h)] = '{}[]",:0123456789-$a'.charCodeAt(Math.floor(rand() * 20));
      } else {
        const v = new DataView(b.buffer);
        v.setUint32([4, 8, 12][Math.floor(rand() * 3)]!, Math.floor(rand() * 2 ** 32), true);
      }
      let job: QueueJob;
      try {
        job = decodeJob({ diffqp: 1, payload: Buffer.from(b).toString('base64') });
      } catch (e) {
        assert.ok(e instanceof QpError && e.code === ErrorCode.INVALID_PAYLOAD, `case ${t}: ${String(e)}`);
        counts.rejected++;
        continue;
      }
      counts.decoded++;
      try {
        await runJob(job);
        counts.solved++;
      } catch (e) {
        assert.ok(e instanceof QpError, `case ${t}: ${String(e)}`);
      }
    }
    assert.ok(counts.rejected > 1000 && counts.decoded > 100 && counts.solved > 50, JSON.stringify(counts));
  });
});

describe('queue: projection QPs against independent references', () => {
  const tight = { solver: 'ipm', epsAbs: 1e-10, epsRel: 0 } as const;
  const randn = normal(uniform(360));
  const vec = (n: number, s = 1) => new Float64Array(n).map(() => s * randn());
  const project = (set: ProjectionSet, v: Float64Array) => {
    const s = solveSync(projectionProblem(set, v), tight);
    assert.equal(s.status, 'solved');
    return s.x;
  };

  it('simplex: the sort-based closed form (radius 1 and 3)', () => {
    for (const n of [1, 7, 500]) {
      const v = vec(n, 2);
      assertClose(project({ set: 'simplex' }, v), projectSimplex(v), 1e-7, `n ${n}`);
      // radius r: x = r·Π(v / r)
      const x3 = projectSimplex(v.map((t) => t / 3)).map((t) => 3 * t);
      assertClose(project({ set: 'simplex', radius: 3 }, v), x3, 1e-7, `n ${n} r 3`);
    }
  });

  it('box: clamping, with scalar and vector bounds', () => {
    const v = vec(300, 3);
    assertClose(
      project({ set: 'box', lb: -1, ub: 1 }, v),
      v.map((t) => Math.min(Math.max(t, -1), 1)),
      1e-8,
    );
    const lb = vec(300).map((t) => t - 1);
    const ub = lb.map((t) => t + 0.5);
    assertClose(
      project({ set: 'box', lb, ub }, v),
      v.map((t, i) => Math.min(Math.max(t, lb[i]!), ub[i]!)),
      1e-8,
    );
  });

  it('chain: the exact bounded-difference programme (±w) and pool-adjacent-violators (monotone)', () => {
    const v = vec(2000, 2);
    assertClose(project({ set: 'chain', lower: -0.5, upper: 0.5 }, v), projectBoundedDifferences(v, 0.5), 1e-6);
    // x_i − x_{i+1} ≤ 0: non-decreasing.
    assertClose(project({ set: 'chain', upper: 0 }, v), isotonicRegression(v), 1e-6);
  });

  it('box with coupling rows and a general polytope: quadprog (dense Goldfarb–Idnani)', () => {
    const n = 12;
    const v = vec(n, 2);
    // Rows: Σ_{i<6} x_i ≤ 1, x_0 − x_11 ≥ 0.5; box [−1, 1].
    const C = CscMatrix.fromDense([
      Array.from({ length: n }, (_, i) => (i < 6 ? 1 : 0)),
      Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === n - 1 ? -1 : 0)),
    ]);
    const xc = project({ set: 'box-coupling', lb: -1, ub: 1, C, cl: [-Infinity, 0.5], cu: [1, Infinity] }, v);
    // quadprog: min ½xᵀx − vᵀx s.t. Aᵀx ≥ b (columns of A are constraints; arrays 1-indexed).
    const qp = (rows: number[][], rhs: number[], meq: number) => {
      const D = [[], ...Array.from({ length: n }, (_, i) => [0, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))])];
      const At = [[], ...Array.from({ length: n }, (_, i) => [0, ...rows.map((r) => r[i]!)])];
      const r = quadprog.solveQP(D, [0, ...v], At, [0, ...rhs], meq);
      assert.equal(r.message, '');
      return r.solution.slice(1);
    };
    const unit = (i: number, s: number) => Array.from({ length: n }, (_, j) => (j === i ? s : 0));
    const boxRows: number[][] = [];
    const boxRhs: number[] = [];
    for (let i = 0; i < n; i++) {
      boxRows.push(unit(i, 1), unit(i, -1));
      boxRhs.push(-1, -1);
    }
    const row0 = Array.from({ length: n }, (_, i) => (i < 6 ? -1 : 0));
    const row1 = Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === n - 1 ? -1 : 0));
    assertClose(xc, qp([row0, row1, ...boxRows], [-1, 0.5, ...boxRhs], 0), 1e-7, 'box-coupling');
    // Polytope: Gx ≤ h (random rows), Ax = b (one row), x ≥ −2.
    const G = Array.from({ length: 5 }, () => Array.from({ length: n }, () => randn()));
    const h = G.map(() => 0.3);
    const Aeq = [Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1))];
    const xp = project({ set: 'polytope', G: CscMatrix.fromDense(G), h, A: CscMatrix.fromDense(Aeq), b: [0.2], lb: -2 }, v);
    const ref = qp(
      [Aeq[0]!, ...G.map((r) => r.map((t) => -t)), ...Array.from({ length: n }, (_, i) => unit(i, 1))],
      [0.2, ...h.map((t) => -t), ...new Array(n).fill(-2)],
      1,
    );
    assertClose(xp, ref, 1e-7, 'polytope');
  });

  it('bad sets are QpErrors naming set.FIELD', () => {
    const v = f64([1, 2]);
    const bad: Array<[unknown, RegExp]> = [
      [{ set: 'ball' }, /set\.set/],
      [{ set: 'simplex', radius: -1 }, /set\.radius/],
      [{ set: 'simplex', lb: 0 }, /set\.lb/],
      [{ set: 'chain', lower: 1, upper: 0 }, /set\.lower/],
      [{ set: 'box', lb: NaN }, /set\.lb/],
      [{ set: 'box-coupling' }, /set\.C/],
    ];
    for (const [set, field] of bad) {
      assert.throws(
        () => projectionProblem(set as ProjectionSet, v),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION && field.test(e.field ?? ''),
      );
    }
  });
});

describe('queue: worker and producer on a real redis-server', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let worker: QueueWorker;
  let queue: QpQueue;
  const name = 'diffqp-test-36';

  before(async function () {
    if (!redisAvailable()) this.skip(); // scripts/setup.sh installs redis-server
    server = await RedisServer.start();
    worker = await startWorker({ redis: server.url, queue: name, concurrency: 2 });
    await worker.waitUntilReady();
    queue = new QpQueue({ redis: server.url, queue: name });
    await queue.waitUntilReady();
  });

  after(async () => {
    await queue?.close();
    await worker?.close();
    await server?.dispose();
  });

  it('a solve job gives the bits of solve() in this process, both forms', async () => {
    for (const problem of [canonical(), standard()]) {
      const r = await queue.run({ kind: 'solve', problem, options: { solver: 'ipm' } });
      const s = await solve(problem, { solver: 'ipm' });
      assert.equal(r.status, 'solved');
      assert.equal(bits(r.x), bits(s.x));
      assert.equal(bits(r.y), bits(s.y));
      assert.equal(bits(r.z), bits(s.z));
      assert.equal(r.primalResidual, s.primalResidual);
      assert.equal(r.solver, 'ipm');
      assert.ok(r.workerSeconds > 0);
    }
  });

  it('a differentiate job gives the gradients of differentiate() in this process', async () => {
    const problem = standard();
    const r = await queue.run({ kind: 'differentiate', problem, seeds: { dx: [1, -2, 0.5] }, options: { solver: 'ipm' } });
    const s = await solve(problem, { solver: 'ipm', differentiable: true });
    const g = await differentiate(s, { dx: [1, -2, 0.5] });
    s.dispose();
    assert.ok(r.gradients);
    for (const k of ['dP', 'dq', 'dG', 'dh', 'dA', 'db', 'dlb', 'dub'] as const) assert.equal(bits(r.gradients[k]!), bits(g[k]!), k);
    assert.equal(r.gradients.differentiable, g.differentiable);
    assert.equal(r.gradients.method, 'kkt');
  });

  it('an infeasible problem returns its status and certificate, not a failure', async () => {
    const problem: CanonicalProblem = {
      P: denseLower([
        [1, 0],
        [0, 1],
      ]),
      q: [0, 0],
      A: dense([
        [1, 1],
        [1, 1],
      ]),
      l: [1, -Infinity],
      u: [Infinity, 0],
    };
    const r = await queue.run({ kind: 'solve', problem, options: { solver: 'ipm' } });
    assert.equal(r.status, 'primalInfeasible');
    const s = await solve(problem, { solver: 'ipm' });
    assert.ok(r.certificate && s.certificate);
    assert.equal(bits(r.certificate), bits(s.certificate));
    const d = await queue.run({ kind: 'differentiate', problem, seeds: { dx: [1, 0] }, options: { solver: 'ipm' } });
    assert.equal(d.status, 'primalInfeasible');
    assert.equal(d.gradients, undefined);
  });

  it("a poison job fails alone with its code; bad data fail with solve's code; the worker lives on", async () => {
    const raw = new Queue(name, { connection: { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null } });
    try {
      const poison = await raw.add('solve', { diffqp: 1, payload: Buffer.from('DQPJ garbage').toString('base64') });
      await assert.rejects(
        queue.result(poison.id!),
        (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_PAYLOAD && /payload/.test(e.message),
      );
      const notJson = await raw.add('solve', { hello: 'world' });
      await assert.rejects(queue.result(notJson.id!), (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_PAYLOAD);
    } finally {
      await raw.close();
    }
    const nan = { ...canonical(), q: f64([NaN, 1]) };
    await assert.rejects(
      queue.run({ kind: 'solve', problem: nan }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.NOT_FINITE && /q\[0\]/.test(e.message),
    );
    await assert.rejects(
      queue.run({ kind: 'project', set: { set: 'simplex', radius: 0 }, point: [1, 2] }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION && /set\.radius/.test(e.message),
    );
    const r = await queue.run({ kind: 'project', set: { set: 'simplex' }, point: [0.2, 0.9] });
    assertClose(r.x, [0.15, 0.85], 1e-6);
  });

  it('a batch of 40 small QPs comes back in order, each equal to its own solve; a failure names jobs[k]', async () => {
    const rand = uniform(3636);
    const jobs: QueueJob[] = Array.from({ length: 40 }, () => ({
      kind: 'project',
      set: { set: 'simplex' },
      point: new Float64Array(30).map(() => rand() * 2 - 1),
      options: { solver: 'ipm', epsAbs: 1e-10, epsRel: 0 },
    }));
    const rs = await queue.runBatch(jobs);
    assert.equal(rs.length, 40);
    rs.forEach((r, k) => assertClose(r.x, projectSimplex((jobs[k] as { point: Float64Array }).point), 1e-8, `job ${k}`));
    const bad = [...jobs.slice(0, 3), { kind: 'solve', problem: { q: [1], lb: [2], ub: [1] } } as QueueJob];
    await assert.rejects(
      queue.runBatch(bad),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_BOUNDS && /^jobs\[3\]: /.test(e.message),
    );
  });

  it('cancellation: the signal rejects at once and the worker aborts the solve (ERR_QP_ABORTED on the job)', async () => {
    const v = new Float64Array(1e6).map(() => randnBig());
    const controller = new AbortController();
    const id = await queue.add({
      kind: 'project',
      set: { set: 'chain', lower: -0.01, upper: 0.01 },
      point: v,
      options: { solver: 'ipm', epsRel: 0, epsAbs: 1e-12 },
    });
    const raw = new Queue(name, { connection: { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null } });
    try {
      // Wait until a worker has it, then cancel.
      for (let i = 0; i < 500 && (await raw.getJobState(id)) !== 'active'; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await raw.getJobState(id), 'active');
      const waiting = queue.result(id, { signal: controller.signal, keep: true });
      controller.abort();
      await assert.rejects(waiting, (e: unknown) => e instanceof QpError && e.code === ErrorCode.ABORTED);
      for (let i = 0; i < 1000 && (await raw.getJobState(id)) === 'active'; i++) await new Promise((r) => setTimeout(r, 10));
      const job = await raw.getJob(id);
      assert.equal(await job!.getState(), 'failed');
      assert.match(job!.failedReason, /^ERR_QP_ABORTED: /);
    } finally {
      await raw.close();
    }
  });

  it('timeout: no result within it cancels the job and rejects with ERR_QP_ABORTED naming options.timeout; timeLimit reaches the solver', async () => {
    const v = new Float64Array(1e6).map(() => randnBig());
    const job: QueueJob = {
      kind: 'project',
      set: { set: 'chain', lower: -0.01, upper: 0.01 },
      point: v,
      options: { solver: 'ipm', epsRel: 0, epsAbs: 1e-12 },
    };
    await assert.rejects(
      queue.run(job, { timeout: 300 }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.ABORTED && e.field === 'options.timeout',
    );
    const r = await queue.run(job, { timeLimit: 0.05 });
    assert.equal(r.status, 'timeLimit');
  });

  it('a 10⁶-dimensional simplex projection round-trips through the queue, equal to the sort-based projection', async () => {
    const v = new Float64Array(1e6).map(() => randnBig());
    const r = await queue.run({ kind: 'project', set: { set: 'simplex' }, point: v, options: { solver: 'ipm' } });
    assert.equal(r.status, 'solved');
    assert.equal(r.x.length, 1e6);
    const ref = projectSimplex(v);
    let err = 0;
    for (let i = 0; i < v.length; i++) err = Math.max(err, Math.abs(r.x[i]! - ref[i]!));
    assert.ok(err < 1e-6, `max |x − x_ref| = ${err}`);
  });
});

const randnBig = normal(uniform(3601));

describe('queue: results', () => {
  it('encodeResult/decodeResult keep every field', () => {
    const r = {
      kind: 'solve' as const,
      status: 'solved' as const,
      x: f64([1]),
      y: f64([]),
      z: f64([0]),
      objective: -Infinity,
      primalResidual: 0,
      dualResidual: 1e-9,
      dualityGap: 2,
      iterations: 3,
      setupTime: 0.1,
      solveTime: 0.2,
      solver: 'ipm',
      rawStatus: 1,
      rawStatusText: 'ok',
      hasDuals: true,
      workerSeconds: 0.5,
    };
    const back = decodeResult(JSON.parse(JSON.stringify(encodeResult(r))));
    assert.deepEqual({ ...back, x: Array.from(back.x), y: Array.from(back.y), z: Array.from(back.z) }, { ...r, x: [1], y: [], z: [0] });
  });
});
