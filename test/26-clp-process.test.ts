/**
 * Clp's QP solves run in a child process, diffqp_clp_qp beside the Clp plugin, that the plugin
 * kills on cancellation or at the time limit (native/solvers/clp_process.cpp). Clp 1.17's QP
 * primal can spin inside one iteration on docs/RELIABILITY.md's example, deaf to its own limits:
 * here it stops at the time limit and on an AbortSignal, the child is gone afterwards, a child
 * killed from outside is a solverFailed naming the signal, normal QPs keep their closed-form
 * optimum through the pipe, and 200 solves leave no descriptor and no process behind.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { availableSolvers, solve, solveSync } from '../lib/solve';
import { assertClose, denseLower, dense, f64 } from './helpers';

const root = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addonPath: string = require('node-gyp-build').resolve(root);
const workerPath = path.join(path.dirname(addonPath), 'diffqp_clp_qp');

// docs/RELIABILITY.md "Clp: where it can hang": Clp's QP primal spins on this one for good.
const spinning = {
  P: denseLower([
    [1e4, -1e6, 0.1],
    [-1e6, 1e8, -10],
    [0.1, -10, 1e-6],
  ]),
  q: f64([-100, 0.01, -1e4]),
  A: dense([
    [0, 10, 10],
    [0, 0.001, 1e4],
  ]),
  l: f64([-100, 0]),
  u: f64([-100, 0.1]),
};

// min ½‖x − c‖², c = (2, −1, 0.5), 0 ≤ x ≤ 1, 0.2 ≤ x1 + x2 + x3 ≤ 1.2: boxes and a ranged row,
// which the plugin takes apart before Clp sees them. By hand: the row is active at its upper
// side, x = clip(c − y, 0, 1) with x1 + x2 + x3 = 1.2 gives y = 0.3, x = (1, 0, 0.2), and
// z = c − x − y·1 = (0.7, −1.3, 0) (z > 0 at an upper bound, < 0 at a lower one).
const boxed = {
  P: denseLower([
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]),
  q: f64([-2, 1, -0.5]),
  A: dense([[1, 1, 1]]),
  l: f64([0.2]),
  u: f64([1.2]),
  lb: f64([0, 0, 0]),
  ub: f64([1, 1, 1]),
};

/** Pids of this process's children that run the Clp worker (zombies included). */
function workerChildren(): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone while we looked
    }
    // "pid (comm) state ppid …": comm may hold spaces, so split after its closing bracket.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (ppid === process.pid && comm === 'diffqp_clp_qp') pids.push(Number(entry));
  }
  return pids;
}

const alive = (pid: number): boolean => fs.existsSync(`/proc/${pid}`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (up to `seconds`) for the first Clp worker child to appear. */
async function firstWorker(seconds: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    const pids = workerChildren();
    if (pids.length > 0) return pids[0]!;
    await sleep(10);
  }
  throw new Error(`no diffqp_clp_qp child within ${seconds} s`);
}

/** Waits (up to `seconds`) until `pid` no longer exists; true if it went. */
async function gone(pid: number, seconds: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    if (!alive(pid)) return true;
    await sleep(10);
  }
  return !alive(pid);
}

describe('clp: QP solves in a child process that can be stopped', function () {
  this.timeout(120_000);

  before(function () {
    if (!availableSolvers().some((s) => s.key === 'clp')) this.skip();
  });

  it('availableSolvers() says clp honours the time limit and cancellation on QPs', () => {
    const clp = availableSolvers().find((s) => s.key === 'clp')!;
    assert.equal(clp.honours.timeLimit.qp, true);
    assert.equal(clp.honours.cancellation.qp, true);
    assert.equal(clp.honours.timeLimit.lp, true);
  });

  it('a normal QP: the closed-form optimum comes back through the pipe (x, y, z)', () => {
    const P = denseLower([
      [2, 0],
      [0, 2],
    ]);
    const s = solveSync({ P, q: f64([-2, -5]), A: dense([[1, 1]]), l: f64([-Infinity]), u: f64([1]) }, { solver: 'clp' });
    assert.equal(s.status, 'solved', s.rawStatusText);
    assertClose(s.x, [-0.25, 1.25], 1e-9, 'x');
    assertClose(s.y, [2.5], 1e-9, 'y');
    const b = solveSync(boxed, { solver: 'clp' });
    assert.equal(b.status, 'solved', b.rawStatusText);
    assert.ok(b.hasDuals);
    assertClose(b.x, [1, 0, 0.2], 1e-9, 'x');
    assertClose(b.y, [0.3], 1e-9, 'y');
    assertClose(b.z, [0.7, -1.3, 0], 1e-9, 'z');
  });

  it('the spinning QP with timeLimit: 2 returns timeLimit, and the child is gone', () => {
    const t0 = process.hrtime.bigint();
    const s = solveSync(spinning, { solver: 'clp', timeLimit: 2 });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    assert.equal(s.status, 'timeLimit', s.rawStatusText);
    assert.match(s.rawStatusText, /time limit reached; the Clp worker was killed/);
    assert.ok(seconds >= 2 && seconds < 15, `took ${seconds} s`);
    assert.deepEqual(Array.from(s.x), [0, 0, 0]);
    assert.equal(s.hasDuals, false);
    assert.deepEqual(workerChildren(), []);
  });

  it('the spinning QP aborted after 300 ms: the promise rejects, the child is killed and reaped', async () => {
    const controller = new AbortController();
    const pending = solve(spinning, { solver: 'clp', signal: controller.signal });
    const pid = await firstWorker(10);
    await sleep(300);
    assert.ok(alive(pid), 'the worker was still spinning when aborted');
    controller.abort();
    await assert.rejects(pending, (e: Error) => e.name === 'AbortError');
    assert.ok(await gone(pid, 10), `worker ${pid} still exists 10 s after the abort`);
    assert.deepEqual(workerChildren(), []);
  });

  it('a worker killed from outside: solverFailed naming the signal, never a crash', async () => {
    const pending = solve(spinning, { solver: 'clp' });
    const pid = await firstWorker(10);
    process.kill(pid, 'SIGKILL');
    const s = await pending;
    assert.equal(s.status, 'solverFailed');
    assert.match(s.rawStatusText, /the Clp worker killed by signal 9/);
    assert.equal(s.hasDuals, false);
    assert.deepEqual(workerChildren(), []);
  });

  it('200 QP solves (sync and 4 at a time async) leak no descriptor and no child process', async () => {
    const fds = (): number => fs.readdirSync('/proc/self/fd').length;
    solveSync(boxed, { solver: 'clp' }); // whatever the first solve opens for good (none expected)
    const before = fds();
    for (let k = 0; k < 100; k++) {
      const s = solveSync(boxed, { solver: 'clp' });
      assert.equal(s.status, 'solved');
    }
    for (let k = 0; k < 25; k++) {
      const batch = await Promise.all([0, 1, 2, 3].map(() => solve(boxed, { solver: 'clp' })));
      for (const s of batch) assertClose(s.x, [1, 0, 0.2], 1e-9, 'x');
    }
    assert.equal(fds(), before, 'open descriptors after 200 solves');
    assert.deepEqual(workerChildren(), []);
  });

  it('the worker refuses a broken job with a message and exit status 2', () => {
    const run = (input: Buffer) => spawnSync(workerPath, [String(process.pid)], { input, timeout: 30_000 });
    const message = (stdout: Buffer): string => {
      // An answer frame: u64 length, "DQPA", kind 1, u32 length, text.
      assert.equal(stdout.subarray(8, 12).toString(), 'DQPA');
      assert.equal(stdout.readInt32LE(12), 1);
      return stdout.subarray(20).toString();
    };
    const empty = run(Buffer.alloc(0));
    assert.equal(empty.status, 2);
    assert.equal(message(empty.stdout), 'no job on stdin');
    const frame = Buffer.alloc(8 + 16);
    frame.writeBigUInt64LE(16n, 0);
    frame.write('XXXX', 8);
    const bad = run(frame);
    assert.equal(bad.status, 2);
    assert.equal(message(bad.stdout), 'not a job (bad magic)');
    const huge = Buffer.alloc(8);
    huge.writeBigUInt64LE(1n << 50n, 0);
    assert.match(message(run(huge).stdout), /a job frame of 1125899906842624 bytes/);
    // Started by someone who is not its parent: it exits at once.
    const orphan = spawnSync(workerPath, ['1'], { input: Buffer.alloc(0), timeout: 30_000 });
    assert.equal(orphan.status, 3);
  });
});
