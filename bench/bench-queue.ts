/**
 * npm run bench:queue [-- options] — the job queue (lib/queue, docs/QUEUE.md) on one machine,
 * against calling diffqp in this process. It starts its own redis-server on 127.0.0.1 at a free
 * port and `diffqp worker` processes (each --concurrency 1), and stops them all at the end.
 *
 *   chain       --chain-jobs projections of n = --chain-n onto the bounded-difference chain
 *               (|x_i − x_{i+1}| ≤ 1, ipm), as one runBatch, with 1, 2 and 4 worker processes
 *               (each taking --concurrency jobs at a time, default 1):
 *               jobs per second, against a loop of `await solve(…)` here.
 *   small       --small-jobs simplex projections of n = 30 (ipm) as one runBatch, likewise.
 *   overhead    --overhead-jobs of the small jobs one at a time (`await queue.run(job)`, one worker):
 *               the median round trip minus the median in-process `await solve(…)` of the same
 *               jobs is the queue's overhead per job (encoding, Redis, BullMQ, decoding).
 *   big         one 10⁶-dimensional simplex projection through the queue: wall time, the payload's
 *               bytes against the same vector as JSON numbers, and max|x − x_ref| against the
 *               sort-based projection.
 *
 * Every result is checked (chain: the exact dynamic programme; simplex: the sort); the run fails
 * if one is off. The machine's load average is printed: other busy processes distort the scaling.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, numberFlag, parseCommand, runScript } from '../lib/args';
import { projectionProblem } from '../lib/projections';
import { encodeJob, JobResult, QueueJob } from '../lib/queue/job';
import { QpQueue } from '../lib/queue/producer';
import { solve } from '../lib/solve';
import { chainBoxData, normal, projectBoundedDifferences, projectSimplex, uniform } from './bench-families';
import { RedisServer } from '../scripts/redis-server';
import { upperMedian } from './stats';

export const command = {
  name: 'bench:queue',
  run: 'npm run bench:queue --',
  synopsis: '[options]',
  about: 'Throughput of 1, 2, 4 diffqp worker processes against in-process solves, and the queue overhead per job.',
  flags: {
    workers: { type: 'string', arg: 'K,K', default: '1,2,4', help: 'worker process counts' },
    concurrency: { type: 'string', arg: 'C', default: '1', help: "each worker's --concurrency" },
    'chain-n': { type: 'string', arg: 'N', default: '100000', help: 'size of the chain projections' },
    'chain-jobs': { type: 'string', arg: 'J', default: '8', help: 'chain projections per run' },
    'small-jobs': { type: 'string', arg: 'J', default: '400', help: 'small QPs per run' },
    'overhead-jobs': { type: 'string', arg: 'J', default: '300', help: 'small QPs sent one at a time' },
    big: { type: 'string', arg: 'N', default: '1000000', help: 'size of the big projection (0: none)' },
  },
} satisfies Command;

const cli = path.resolve(__dirname, '..', 'lib', 'cli.js');
const ms = (s: number) => `${(s * 1000).toFixed(s < 0.01 ? 3 : 1)} ms`;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!));
  return e;
}

async function spawnWorkers(url: string, queue: string, k: number, concurrency = 1): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from(
      { length: k },
      () =>
        new Promise<ChildProcess>((resolve, reject) => {
          const p = spawn(process.execPath, [cli, 'worker', '--redis', url, '--queue', queue, '--concurrency', String(concurrency)], {
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let err = '';
          p.stderr!.on('data', (d: Buffer) => {
            err += d.toString();
            if (err.includes('taking jobs')) resolve(p);
          });
          p.once('exit', (code) => reject(new Error(`worker exited (${code}): ${err}`)));
        }),
    ),
  );
}

async function stopWorkers(ps: ChildProcess[]): Promise<void> {
  await Promise.all(
    ps.map(
      (p) =>
        new Promise<void>((resolve) => {
          p.removeAllListeners('exit');
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
        }),
    ),
  );
}

async function inProcess(jobs: QueueJob[]): Promise<{ seconds: number; each: number[] }> {
  const each: number[] = [];
  const t0 = performance.now();
  for (const j of jobs) {
    const t = performance.now();
    if (j.kind !== 'project') throw new Error('project jobs only');
    const s = await solve(projectionProblem(j.set, j.point), j.options);
    if (s.status !== 'solved') throw new Error(`in-process solve: ${s.status}`);
    each.push((performance.now() - t) / 1000);
  }
  return { seconds: (performance.now() - t0) / 1000, each };
}

async function main(): Promise<void> {
  const v = parseCommand(command, process.argv.slice(2)).values;
  const counts = v.workers.split(',').map((s) => numberFlag('workers', s, { min: 1, integer: true }));
  const chainN = numberFlag('chain-n', v['chain-n'], { min: 2, integer: true });
  const chainJobs = numberFlag('chain-jobs', v['chain-jobs'], { min: 1, integer: true });
  const smallJobs = numberFlag('small-jobs', v['small-jobs'], { min: 1, integer: true });
  const overheadJobs = numberFlag('overhead-jobs', v['overhead-jobs'], { min: 1, integer: true });
  const bigN = numberFlag('big', v.big, { min: 0, integer: true });
  const concurrency = numberFlag('concurrency', v.concurrency, { min: 1, integer: true });

  const chain: Array<{ job: QueueJob; ref: Float64Array }> = Array.from({ length: chainJobs }, (_, k) => {
    const point = chainBoxData(chainN, 100 + k);
    return {
      job: { kind: 'project', set: { set: 'chain', lower: -1, upper: 1 }, point, options: { solver: 'ipm' } },
      ref: projectBoundedDifferences(point),
    };
  });
  const randn = normal(uniform(4242));
  const small: Array<{ job: QueueJob; ref: Float64Array }> = Array.from({ length: Math.max(smallJobs, overheadJobs) }, () => {
    const point = new Float64Array(30).map(() => randn());
    return {
      job: { kind: 'project', set: { set: 'simplex' }, point, options: { solver: 'ipm', epsAbs: 1e-9, epsRel: 0 } },
      ref: projectSimplex(point),
    };
  });
  const check = (what: string, rs: JobResult[], refs: Array<{ ref: Float64Array }>, tol: number) => {
    rs.forEach((r, k) => {
      const e = maxDiff(r.x, refs[k]!.ref);
      if (r.status !== 'solved' || !(e < tol)) throw new Error(`${what} job ${k}: status ${r.status}, max|x − x_ref| = ${e}`);
    });
  };

  const server = await RedisServer.start();
  const name = 'bench-queue';
  const queue = new QpQueue({ redis: server.url, queue: name });
  let workers: ChildProcess[] = [];
  console.error(
    `bench:queue: redis-server at ${server.url}, ${os.availableParallelism()} cores, load average before ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  try {
    await queue.waitUntilReady();
    // In-process references (the addon is warm after the first).
    await inProcess(small.slice(0, 20).map((s) => s.job));
    const chainHere = await inProcess(chain.map((c) => c.job));
    const smallHere = await inProcess(small.slice(0, smallJobs).map((s) => s.job));
    const rows: string[] = [
      '| workload | in process (one at a time) | ' + counts.map((k) => `${k} worker${k > 1 ? 's' : ''}`).join(' | ') + ' |',
      '|---|---|' + counts.map(() => '---|').join(''),
    ];
    const chainCells: string[] = [];
    const smallCells: string[] = [];
    for (const k of counts) {
      workers = await spawnWorkers(server.url, name, k, concurrency);
      await queue.runBatch(small.slice(0, 4 * k).map((s) => s.job)); // warm every worker
      let t = performance.now();
      const rc = await queue.runBatch(chain.map((c) => c.job));
      const chainSec = (performance.now() - t) / 1000;
      check('chain', rc, chain, 1e-3);
      t = performance.now();
      const rsmall = await queue.runBatch(small.slice(0, smallJobs).map((s) => s.job));
      const smallSec = (performance.now() - t) / 1000;
      check('small', rsmall, small, 1e-4);
      chainCells.push(`${(chainJobs / chainSec).toFixed(2)} jobs/s (${(chainHere.seconds / chainSec).toFixed(2)}×)`);
      smallCells.push(`${(smallJobs / smallSec).toFixed(0)} jobs/s (${(smallHere.seconds / smallSec).toFixed(2)}×)`);
      console.error(`bench:queue: ${k} worker(s) done`);
      await stopWorkers(workers);
      workers = [];
    }
    rows.push(
      `| chain projection n = ${chainN}, ${chainJobs} jobs | ${(chainJobs / chainHere.seconds).toFixed(2)} jobs/s | ${chainCells.join(' | ')} |`,
    );
    rows.push(
      `| simplex projection n = 30, ${smallJobs} jobs | ${(smallJobs / smallHere.seconds).toFixed(0)} jobs/s | ${smallCells.join(' | ')} |`,
    );

    // Overhead: one worker, one job at a time.
    workers = await spawnWorkers(server.url, name, 1);
    const jobs = small.slice(0, overheadJobs);
    await queue.runBatch(jobs.slice(0, 10).map((s) => s.job));
    const trips: number[] = [];
    const worker: number[] = [];
    for (const s of jobs) {
      const t = performance.now();
      const r = await queue.run(s.job);
      trips.push((performance.now() - t) / 1000);
      worker.push(r.workerSeconds);
      check('overhead', [r], [s], 1e-4);
    }
    const here = await inProcess(jobs.map((s) => s.job));
    const overhead = upperMedian(trips) - upperMedian(here.each);

    let big = '';
    if (bigN > 0) {
      const point = new Float64Array(bigN).map(() => randn());
      const job: QueueJob = { kind: 'project', set: { set: 'simplex' }, point, options: { solver: 'ipm' } };
      const t = performance.now();
      const r = await queue.run(job);
      const wall = (performance.now() - t) / 1000;
      const e = maxDiff(r.x, projectSimplex(point));
      if (r.status !== 'solved' || !(e < 1e-4)) throw new Error(`big projection: status ${r.status}, max|x − x_ref| = ${e}`);
      const payload = encodeJob(job).payload.length;
      const asJson = JSON.stringify(Array.from(point)).length;
      big = `10⁶-dimensional simplex projection through the queue: ${wall.toFixed(2)} s wall (worker ${r.workerSeconds.toFixed(2)} s, of which solve ${(r.setupTime + r.solveTime).toFixed(2)} s); job payload ${(payload / 1e6).toFixed(1)} MB base64 against ${(asJson / 1e6).toFixed(1)} MB for v alone as JSON numbers; max|x − x_ref| = ${e.toExponential(1)} (sort-based projection)`;
    }
    await stopWorkers(workers);
    workers = [];

    console.log(
      `## bench:queue (${os.availableParallelism()} cores, load average after ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')})\n`,
    );
    console.log(
      `Throughput, jobs per second (in parentheses: against one-at-a-time in process); each worker process takes ${concurrency} job${concurrency > 1 ? 's' : ''} at a time.\n`,
    );
    console.log(rows.join('\n'));
    console.log(
      `\nQueue overhead per small job (one worker, ${overheadJobs} jobs one at a time): median round trip ${ms(upperMedian(trips))} − median in-process solve ${ms(upperMedian(here.each))} = **${ms(overhead)}** (worker-side median ${ms(upperMedian(worker))}).`,
    );
    if (big) console.log(`\n${big}.`);
  } finally {
    await stopWorkers(workers);
    await queue.close();
    await server.dispose();
  }
}

if (require.main === module) runScript(command, main);
