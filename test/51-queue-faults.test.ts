/**
 * Faults of the job queue with worker processes (`diffqp worker`, dist/lib/cli.js) and a real
 * redis-server started here: a worker killed by SIGKILL mid-job (the job is picked up by another
 * worker after its lock expires and completes exactly once), a worker stopped by SIGTERM mid-job
 * (it finishes the job and exits 0), Redis restarted mid-run (workers and producer reconnect and
 * every job completes), and `diffqp worker` without BullMQ installed (a clear error, status 1).
 * Each result is checked against the sort-based simplex projection.
 */
import { strict as assert } from 'node:assert';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { QpQueue } from '../lib/queue/producer';
import { QueueJob } from '../lib/queue/job';
import { normal, projectSimplex, uniform } from '../bench/bench-families';
import { redisAvailable, RedisServer } from '../scripts/redis-server';

const cli = path.resolve(__dirname, '..', 'lib', 'cli.js');

interface WorkerProcess {
  proc: ChildProcess;
  stderr: string[];
  exited: Promise<number | null>;
}

/** Starts `diffqp worker` and resolves once it says it is taking jobs. */
async function spawnWorker(url: string, queue: string, extra: string[] = []): Promise<WorkerProcess> {
  const proc = spawn(
    process.execPath,
    [cli, 'worker', '--redis', url, '--queue', queue, '--lock-duration', '1500', '--stalled-interval', '500', ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      if (stderr.join('').includes('taking jobs')) resolve();
    });
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready: ${stderr.join('')}`)));
  });
  return { proc, stderr, exited };
}

const randn = normal(uniform(37));
function simplexJob(n: number): { job: QueueJob; v: Float64Array } {
  const v = new Float64Array(n).map(() => randn());
  return { job: { kind: 'project', set: { set: 'simplex' }, point: v, options: { solver: 'ipm', epsAbs: 1e-9, epsRel: 0 } }, v };
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!));
  return e;
}

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('queue faults: worker processes and a real redis-server', function () {
  this.timeout(60_000);
  const workers: WorkerProcess[] = [];
  let server: RedisServer | undefined;

  before(function () {
    if (!redisAvailable()) this.skip(); // scripts/setup.sh installs redis-server
  });

  afterEach(async () => {
    for (const w of workers.splice(0)) {
      if (w.proc.exitCode === null && w.proc.signalCode === null) {
        w.proc.kill('SIGKILL');
        await w.exited;
      }
    }
    await server?.dispose();
    server = undefined;
  });

  it('SIGKILL mid-job: another worker picks the job up, it completes once, no job lost', async () => {
    server = await RedisServer.start();
    const name = 'faults-kill';
    const queue = new QpQueue({ redis: server.url, queue: name });
    const events = new QueueEvents(name, { connection: { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null } });
    const raw = new Queue(name, { connection: { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null } });
    const completions = new Map<string, number>();
    events.on('completed', ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1));
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      const a = await spawnWorker(server.url, name, ['--name', 'A']);
      workers.push(a);
      const jobs = Array.from({ length: 4 }, () => simplexJob(2e5));
      const ids: string[] = [];
      for (const { job } of jobs) ids.push(await queue.add(job));
      // Kill A while it holds the first job.
      await waitFor('A to take a job', async () => (await raw.getJobState(ids[0]!)) === 'active');
      a.proc.kill('SIGKILL');
      await a.exited;
      assert.equal(await raw.getJobState(ids[0]!), 'active'); // still locked by the dead worker
      const b = await spawnWorker(server.url, name, ['--name', 'B']);
      workers.push(b);
      const results = await Promise.all(ids.map((id) => queue.result(id, { keep: true, timeout: 40_000 })));
      results.forEach((r, k) => {
        assert.equal(r.status, 'solved');
        assert.ok(maxDiff(r.x, projectSimplex(jobs[k]!.v)) < 1e-5, `job ${k}`);
      });
      const first = (await raw.getJob(ids[0]!))!;
      assert.equal(first.stalledCounter, 1, 'the killed job was recovered from the stalled state once');
      assert.equal(first.processedBy, 'B');
      await new Promise((r) => setTimeout(r, 300)); // let any stray completion event arrive
      for (const id of ids) assert.equal(completions.get(id), 1, `job ${id} completed ${completions.get(id) ?? 0} times`);
      assert.deepEqual(await raw.getJobCounts('completed', 'failed', 'active', 'wait'), { completed: 4, failed: 0, active: 0, wait: 0 });
    } finally {
      await raw.close();
      await events.close();
      await queue.close();
    }
  });

  it('SIGTERM mid-job: the worker finishes its job, then exits with status 0', async () => {
    server = await RedisServer.start();
    const name = 'faults-term';
    const queue = new QpQueue({ redis: server.url, queue: name });
    const raw = new Queue(name, { connection: { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null } });
    try {
      const w = await spawnWorker(server.url, name);
      workers.push(w);
      const { job, v } = simplexJob(5e5);
      const id = await queue.add(job);
      await waitFor('the worker to take the job', async () => (await raw.getJobState(id)) === 'active');
      w.proc.kill('SIGTERM');
      assert.equal(await w.exited, 0);
      assert.match(w.stderr.join(''), /SIGTERM: finishing the current jobs[\s\S]*closed \(1 completed, 0 failed\)/);
      const r = await queue.result(id, { timeout: 10_000 });
      assert.ok(maxDiff(r.x, projectSimplex(v)) < 1e-5);
    } finally {
      await raw.close();
      await queue.close();
    }
  });

  it('Redis restarted mid-run: workers and producer reconnect and every job completes', async () => {
    // Persistent (an append-only file): a restart must keep the queue, as a production Redis does.
    server = await RedisServer.start({ persistent: true });
    const name = 'faults-restart';
    const queue = new QpQueue({ redis: server.url, queue: name });
    try {
      await queue.waitUntilReady();
      for (let k = 0; k < 2; k++) workers.push(await spawnWorker(server.url, name));
      const jobs = Array.from({ length: 12 }, () => simplexJob(1e5));
      const pending = queue.runBatch(
        jobs.map((j) => j.job),
        { timeout: 40_000 },
      );
      pending.catch(() => {}); // handled below, after the restart
      await new Promise((r) => setTimeout(r, 150));
      await server.restart();
      const results = await pending;
      results.forEach((r, k) =>
        assert.ok(
          maxDiff(r.x, projectSimplex(jobs[k]!.v)) < 1e-5,
          `job ${k}: ${r.status} ${r.x.length} ${maxDiff(r.x, projectSimplex(jobs[k]!.v))} ${r.primalResidual} ${r.dualResidual}`,
        ),
      );
      // And after the restart, new jobs run as before.
      const { job, v } = simplexJob(1000);
      const r = await queue.run(job, { timeout: 10_000 });
      assert.ok(maxDiff(r.x, projectSimplex(v)) < 1e-5);
      for (const w of workers) assert.equal(w.proc.exitCode, null, 'no worker died');
    } finally {
      await queue.close();
    }
  });

  it('diffqp worker without BullMQ: ERR_QP_QUEUE saying npm install bullmq, status 1; the library still loads', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffqp-nobull-'));
    const hook = path.join(dir, 'no-bullmq.js');
    // Makes require('bullmq') fail as it does where the package is not installed.
    fs.writeFileSync(
      hook,
      `const M = require('module'); const r = M._resolveFilename;
M._resolveFilename = function (req, ...a) { if (req === 'bullmq') { const e = new Error("Cannot find module 'bullmq'"); e.code = 'MODULE_NOT_FOUND'; throw e; } return r.call(this, req, ...a); };`,
    );
    try {
      const r = spawnSync(process.execPath, ['-r', hook, cli, 'worker', '--redis', 'redis://127.0.0.1:1', '--queue', 'q'], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /npm install bullmq ioredis/);
      assert.match(r.stderr, /ERR_QP_QUEUE/);
      const lib = spawnSync(
        process.execPath,
        [
          '-r',
          hook,
          '-e',
          `const d = require(${JSON.stringify(path.resolve(__dirname, '..', 'lib'))}); console.log(typeof d.solve, typeof d.QpQueue)`,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(lib.stdout.trim(), 'function function', lib.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
