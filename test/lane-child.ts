/**
 * Child process of test/27-serial-lane.test.ts: Ipopt solves from several worker_threads meet
 * in the addon's process-wide lane. Run as `node lane-child.js SCENARIO` (the test sets
 * UV_THREADPOOL_SIZE); prints one JSON line. In a child so that a deadlock or a crash fails one
 * test instead of the suite, and so that the threadpool can be made small.
 *
 * The same file is the worker: it submits an Ipopt solve of `laneProblem(seed)` per seed with
 * solve() (or solveSync), says when they are all submitted, and posts each answer after
 * counting it in a counter shared with the main thread (so the main thread can tell, at the
 * moment something of its own finishes, how many Ipopt solves have ended: an order of events
 * that message delivery cannot blur).
 */
import { promises as fs } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { binding } from '../lib/binding';
import { solve, solveSync } from '../lib/solve';
import { chainQp } from './helpers';

/**
 * An Ipopt solve of about 300 ms here (chainQp(4000, 1000) took 244 ms); for seeds ≥ 1000 about
 * 1 s, long enough to still run while another worker starts (the scenarios rely on it).
 */
export const laneProblem = (seed: number) => (seed >= 1000 ? chainQp(20000, 5000, seed) : chainQp(5000, 1250, seed));
const small = (seed: number) => chainQp(60, 20, seed);
const range = (from: number, count: number) => Array.from({ length: count }, (_, k) => from + k);

interface Job {
  seeds: number[];
  /** Int32Array over a SharedArrayBuffer: [0] counts the Ipopt answers of every worker. */
  ended?: SharedArrayBuffer;
  sync?: boolean;
  size?: 'small';
}
interface Done {
  type: 'done';
  seed: number;
  status: string;
  x: Float64Array;
}

if (!isMainThread) {
  const job = workerData as Job;
  const make = job.size === 'small' ? small : laneProblem;
  const post = (seed: number, s: { status: string; x: Float64Array }) => {
    if (job.ended) Atomics.add(new Int32Array(job.ended), 0, 1);
    parentPort!.postMessage({ type: 'done', seed, status: s.status, x: s.x });
  };
  if (job.sync) {
    parentPort!.postMessage({ type: 'submitted' });
    for (const seed of job.seeds) post(seed, solveSync(make(seed), { solver: 'ipopt' }));
  } else {
    const all = job.seeds.map((seed) => solve(make(seed), { solver: 'ipopt' }).then((s) => post(seed, s)));
    parentPort!.postMessage({ type: 'submitted' });
    void Promise.all(all);
  }
}

const waiting = () => binding().laneWaiting('ipopt');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 20000): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what} (lane waiting ${waiting()})`);
    await sleep(2);
  }
}

/** A worker running `job`; `events` gets `${name}:done` per answer, answers are kept by seed. */
class Submitter {
  readonly worker: Worker;
  submitted = false;
  readonly answers = new Map<number, Done>();
  readonly exited: Promise<number>;
  constructor(
    readonly name: string,
    job: Job,
    events: string[],
  ) {
    this.worker = new Worker(__filename, { workerData: job });
    this.worker.on('message', (m: { type: 'submitted' } | Done) => {
      if (m.type === 'submitted') this.submitted = true;
      else {
        this.answers.set(m.seed, m);
        events.push(`${name}:done`);
      }
    });
    this.exited = new Promise((resolve, reject) => {
      this.worker.on('exit', resolve);
      this.worker.on('error', reject);
    });
  }
}

/** Whether each answer equals a serial solveSync's bit for bit (and is solved). */
function sameAsSerial(answers: Iterable<Done>, size?: 'small'): boolean[] {
  return [...answers].map((a) => {
    const ref = solveSync((size === 'small' ? small : laneProblem)(a.seed), { solver: 'ipopt' });
    return a.status === 'solved' && ref.x.length === a.x.length && ref.x.every((v, i) => Object.is(v, a.x[i]));
  });
}

/** A main-thread Ipopt solve after everything: the lane must still let one in. */
async function laneUsable(): Promise<boolean> {
  const s = await solve(small(99), { solver: 'ipopt' });
  const ref = solveSync(small(99), { solver: 'ipopt' });
  return s.status === 'solved' && s.x.every((v, i) => Object.is(v, ref.x[i])) && waiting() === 0;
}

const scenarios: Record<string, () => Promise<object>> = {
  // 2 workers × 4 queued Ipopt solves (a's first one longer, so that it still runs when the
  // main thread starts); then the main thread reads a file and solves with admm, and notes how
  // many Ipopt solves had ended when each of those finished.
  async fair() {
    const events: string[] = [];
    const ended = new SharedArrayBuffer(4);
    const endedSoFar = () => Atomics.load(new Int32Array(ended), 0);
    const a = new Submitter('a', { seeds: [1000, ...range(101, 3)], ended }, events);
    await until('a submitted', () => a.submitted);
    const b = new Submitter('b', { seeds: range(200, 4), ended }, events);
    await until('b submitted and 7 waiting', () => b.submitted && waiting() === 7);
    const endedAt: Record<string, number> = {};
    const read = fs.readFile(__filename).then(() => events.push('main:readFile') && (endedAt.readFile = endedSoFar()));
    const admm = solve(chainQp(200, 50, 3), { solver: 'admm' }).then(
      (s) => events.push(`main:admm:${s.status}`) && (endedAt.admm = endedSoFar()),
    );
    await Promise.all([read, admm, until('8 answers', () => a.answers.size + b.answers.size === 8, 60000)]);
    await Promise.all([a.worker.terminate(), b.worker.terminate()]);
    return { events, endedAt, same: sameAsSerial([...a.answers.values(), ...b.answers.values()]), usable: await laneUsable() };
  },

  // A worker is terminated while its 4 solves wait; another while its solve runs.
  async terminate() {
    const events: string[] = [];
    const a = new Submitter('a', { seeds: range(100, 3) }, events);
    await until('a submitted', () => a.submitted);
    const b = new Submitter('b', { seeds: range(200, 4) }, events);
    await until('b submitted', () => b.submitted && waiting() === 6);
    await b.worker.terminate();
    events.push('b:terminated');
    const afterB = waiting();
    await until('a done', () => a.answers.size === 3, 60000);
    await a.worker.terminate();
    // c's first solve runs, d waits behind it; c is terminated mid-solve.
    const c = new Submitter('c', { seeds: [1001, 301] }, events);
    await until('c submitted', () => c.submitted && waiting() === 1);
    const d = new Submitter('d', { seeds: range(400, 2) }, events);
    await until('d submitted', () => d.submitted && waiting() === 3);
    await c.worker.terminate();
    events.push('c:terminated');
    await until('d done', () => d.answers.size === 2, 60000);
    await d.worker.terminate();
    return { events, afterB, same: sameAsSerial([...a.answers.values(), ...d.answers.values()]), usable: await laneUsable() };
  },

  // Workers of small solves terminated at random moments (waiting, granted, running).
  async churn() {
    const events: string[] = [];
    let answers: Done[] = [];
    for (let round = 0; round < 12; round++) {
      const ws = [0, 1, 2].map((k) => new Submitter(`w${k}`, { seeds: range(10 * round + 3 * k, 3), size: 'small' }, events));
      await sleep((round * 7) % 23);
      await ws[round % 3]!.worker.terminate();
      await until(`round ${round}`, () => ws.every((w, k) => k === round % 3 || w.answers.size === 3), 60000);
      for (const [k, w] of ws.entries()) if (k !== round % 3) answers = answers.concat([...w.answers.values()]);
      await Promise.all(ws.map((w) => w.worker.terminate()));
    }
    return { answers: answers.length, same: sameAsSerial(answers, 'small'), usable: await laneUsable() };
  },

  // solveSync meets queued async solves: on the main thread (its own waiters queued, one of
  // them possibly granted while the thread is blocked) and on a worker.
  async sync() {
    const events: string[] = [];
    const x: Done[] = [];
    const asyncs = [0, 1, 2].map((k) =>
      solve(laneProblem(500 + k), { solver: 'ipopt' }).then(
        (s) => (events.push(`main:async${k}`), x.push({ type: 'done', seed: 500 + k, status: s.status, x: s.x })),
      ),
    );
    // The main thread blocks past the end of the first solve (the lane is then granted to the
    // second, which this thread cannot start), then solves synchronously.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
    const s = solveSync(laneProblem(600), { solver: 'ipopt' });
    events.push('main:sync');
    x.push({ type: 'done', seed: 600, status: s.status, x: s.x });
    const w = new Submitter('w', { seeds: range(700, 2), sync: true }, events);
    const more = solve(laneProblem(800), { solver: 'ipopt' }).then(
      (r) => (events.push('main:async3'), x.push({ type: 'done', seed: 800, status: r.status, x: r.x })),
    );
    await Promise.all([...asyncs, more, until('w done', () => w.answers.size === 2, 60000)]);
    await w.worker.terminate();
    return { events, same: sameAsSerial([...x, ...w.answers.values()]), usable: await laneUsable() };
  },
};

if (isMainThread && require.main === module) {
  const name = process.argv[2] ?? '';
  const run = scenarios[name];
  if (!run) throw new Error(`unknown scenario ${name}: ${Object.keys(scenarios).join(', ')}`);
  run().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
      process.exit(1);
    },
  );
}
