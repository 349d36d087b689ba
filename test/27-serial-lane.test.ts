/**
 * The process-wide lane of a serialised solver (native/addon/serial_lane.hpp, docs/RUNTIME.md):
 * Ipopt solves from several worker_threads wait in it holding no libuv thread, answer as a
 * serial solveSync does, and a terminated worker leaves it usable. Each scenario runs in a child
 * process (test/lane-child.ts) with a threadpool of 2 threads: there the per-thread JS queue
 * this replaced let each worker hold a thread (one running, one blocked on the Ipopt lock), so
 * the main thread's fs.readFile waited for the Ipopt solves.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { availableSolvers } from '../lib/solve';

async function scenario<T>(name: string): Promise<T> {
  const child = path.join(__dirname, 'lane-child.js');
  const { stdout } = await promisify(execFile)(process.execPath, [child, name], {
    timeout: 180000,
    env: { ...process.env, UV_THREADPOOL_SIZE: '2' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

interface Outcome {
  events: string[];
  same: boolean[];
  usable: boolean;
}

describe('serial lane: Ipopt solves from worker_threads', function () {
  this.timeout(200000);
  before(function () {
    if (!availableSolvers().some((s) => s.key === 'ipopt')) this.skip();
  });

  it("2 workers × 4 queued Ipopt solves: the main thread's fs.readFile and admm solve finish before any Ipopt solve ends", async () => {
    const r = await scenario<Outcome & { endedAt: { readFile: number; admm: number } }>('fair');
    // Counted by the workers in shared memory as each answer arrived: 0 means the main
    // thread's work finished while the first Ipopt solve (about 1 s) still ran. Under the per-thread
    // JS queue both threads of the pool were held until that solve ended: 1 or more.
    assert.deepEqual(r.endedAt, { readFile: 0, admm: 0 }, r.events.join(' '));
    assert.equal(r.events.filter((e) => e.endsWith(':done')).length, 8, r.events.join(' '));
    // Every answer equals a serial solveSync of the same problem, bit for bit.
    assert.deepEqual(r.same, Array(8).fill(true));
    assert.ok(r.usable);
  });

  it('a worker terminated while its solves wait, or while one runs, leaves the lane usable', async () => {
    const r = await scenario<Outcome & { afterB: number }>('terminate');
    // b's 4 waiting solves left the lane with its thread; a's 2 waiting ones stayed.
    assert.equal(r.afterB, 2, r.events.join(' '));
    assert.ok(!r.events.includes('b:done') && !r.events.includes('c:done'), r.events.join(' '));
    assert.deepEqual(
      r.events.filter((e) => e === 'a:done' || e === 'd:done'),
      ['a:done', 'a:done', 'a:done', 'd:done', 'd:done'],
    );
    assert.deepEqual(r.same, Array(5).fill(true));
    assert.ok(r.usable);
  });

  it('workers terminated at varied moments (waiting, handed the lane, running): the others answer, the lane stays usable', async () => {
    const r = await scenario<{ answers: number; same: boolean[]; usable: boolean }>('churn');
    assert.equal(r.answers, 12 * 2 * 3);
    assert.ok(r.same.every(Boolean), `${r.same.filter((s) => !s).length} answers differ`);
    assert.ok(r.usable);
  });

  it('solveSync among queued async solves (on the main thread and on a worker) does not deadlock', async () => {
    const r = await scenario<Outcome>('sync');
    // The main thread blocked while the lane was handed to its second async solve, which it
    // could not start: its sync solve took the lane back and went first.
    assert.equal(r.events[0], 'main:sync', r.events.join(' '));
    assert.equal(r.events.length, 7, r.events.join(' '));
    assert.deepEqual(r.same, Array(7).fill(true));
    assert.ok(r.usable);
  });
});
