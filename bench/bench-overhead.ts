/**
 * npm run bench:overhead — what diffqp adds on top of the native solver on a tiny QP,
 * how long the addon takes to load, and the cost of one step of a training loop (a
 * 5-variable QP: solve with differentiable: true, differentiate, dispose) per solver,
 * 'auto' (the default) included. Everything is measured side by side in one run.
 *
 *   overhead per call = wall time of the call − the solver's own setup + solve time
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { binding } from '../lib/binding';
import { CscMatrix } from '../lib/sparse';
import { differentiateSync } from '../lib/differentiate';
import { availableSolvers, solve, solveSync } from '../lib/solve';
import { toCanonical } from '../lib/problem';
import { Command, listFlag, numberFlag, parseCommand, runScript, UsageError } from '../lib/args';
import { upperMedian } from './stats';

export const command = {
  name: 'bench:overhead',
  run: 'npm run bench:overhead --',
  synopsis: '[options]',
  about:
    'What diffqp adds to the native solver per call on a tiny QP, the addon load time, and one training\nstep (solve, differentiate, dispose) per solver.',
  flags: {
    calls: { type: 'string', arg: 'N', default: process.env.BENCH_CALLS ?? '5000', help: 'calls per row (or BENCH_CALLS)' },
    solvers: { type: 'string', arg: 'KEY,KEY', help: 'only these solvers (and no auto, addon load time or admm ratio)' },
  },
} satisfies Command;

/** Set from --calls before anything is measured. */
let calls = 0;

// min ½(x1² + x2²) − x1 − x2  s.t.  x1 + x2 ≤ 1,  x ≥ 0
const problem = {
  P: CscMatrix.identity(2, 1, 'lower'),
  q: Float64Array.from([-1, -1]),
  A: CscMatrix.fromDense([[1, 1]]),
  l: Float64Array.from([-Infinity]),
  u: Float64Array.from([1]),
  lb: Float64Array.from([0, 0]),
  ub: Float64Array.from([Infinity, Infinity]),
};

function now(): number {
  return Number(process.hrtime.bigint()) / 1e3; // µs
}

interface Row {
  solver: string;
  path: string;
  wall: number;
  native: number;
  /** Median over calls of (wall − solver time): robust to the solver's own variance. */
  overhead: number;
}

async function measure(solver: string): Promise<Row[]> {
  const rows: Row[] = [];
  const c = toCanonical(problem);
  const raw = { n: c.n, m: c.m, P: c.P, q: c.q, A: c.A, l: c.l, u: c.u, lb: c.lb!, ub: c.ub!, constant: 0 };
  const native = binding();
  const warm = Math.min(200, calls);
  const paths: Array<[string, () => Promise<{ setupTime: number; solveTime: number }> | { setupTime: number; solveTime: number }]> = [
    ['addon call (no JS validation)', () => native.solveSync(raw, { solver })],
    ['solveSync', () => solveSync(problem, { solver })],
    ['solve (async, one at a time)', () => solve(problem, { solver })],
  ];
  for (const [name, run] of paths) {
    const wall: number[] = [];
    const inner: number[] = [];
    for (let k = 0; k < calls + warm; k++) {
      const t0 = now();
      const r = await run();
      const t1 = now();
      if (k >= warm) {
        wall.push(t1 - t0);
        inner.push((r.setupTime + r.solveTime) * 1e6);
      }
    }
    rows.push({
      solver,
      path: name,
      wall: upperMedian(wall),
      native: upperMedian(inner),
      overhead: upperMedian(wall.map((w, k) => w - inner[k]!)),
    });
  }
  return rows;
}

// A 5-variable QP of a training loop: min ½xᵀPx + qᵀx, P tridiagonal (2, −0.5),
// 0 ≤ x ≤ 1, Σx = 1 and x1 − x5 ≤ 0.2; the loss L = Σ x_j w_j.
const loop = {
  P: CscMatrix.fromDense(
    Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, j) => (i === j ? 2 : Math.abs(i - j) === 1 && i > j ? -0.5 : 0))),
    { triangle: 'lower' },
  ),
  q: Float64Array.from([-1, 0.5, -0.3, 0.2, -0.8]),
  A: CscMatrix.fromDense([
    [1, 1, 1, 1, 1],
    [1, 0, 0, 0, -1],
  ]),
  l: Float64Array.from([1, -Infinity]),
  u: Float64Array.from([1, 0.2]),
  lb: new Float64Array(5),
  ub: Float64Array.from([1, 1, 1, 1, 1]),
};
const seed = { dx: Float64Array.from([1, -1, 0.5, 0.25, 2]) };

/** Median µs of one solve (differentiable) + differentiate + dispose, on the calling thread. */
function trainingStep(solver: string): number {
  const times: number[] = [];
  const steps = Math.max(200, Math.floor(calls / 5));
  for (let k = 0; k < steps + 50; k++) {
    const t0 = now();
    const sol = solveSync(loop, { solver, differentiable: true });
    differentiateSync(sol, seed);
    sol.dispose?.();
    if (k >= 50) times.push(now() - t0);
  }
  return upperMedian(times);
}

function loadTimes(): number[] {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(path.resolve(__dirname, '..', 'lib', 'binding.js'))}).binding();console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  const times: number[] = [];
  for (let k = 0; k < 5; k++) {
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    times.push(Number(out.stdout.trim()));
  }
  return times;
}

async function main(): Promise<void> {
  const values = parseCommand(command, process.argv.slice(2)).values;
  calls = numberFlag('calls', values.calls, { min: 1, integer: true });
  const known = availableSolvers().map((s) => s.key);
  const only = values.solvers === undefined ? undefined : listFlag(values.solvers);
  for (const k of only ?? [])
    if (!known.includes(k)) throw new UsageError(`--solvers: '${k}' is not an available solver (available: ${known.join(', ')})`);
  console.log(
    `# diffqp overhead benchmark (${calls} calls per row, medians; node ${process.version}, ${process.platform}-${process.arch})\n`,
  );
  if (!only) {
    const load = loadTimes();
    console.log(
      `addon load time (fresh process, 5 runs): median ${upperMedian(load).toFixed(2)} ms, min ${Math.min(...load).toFixed(2)} ms\n`,
    );
  }
  console.log('| solver | path | wall µs/call | solver time µs | overhead µs | overhead / solver |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const key of known) {
    if (!(only ?? ['highs', 'ipopt', 'clp', 'admm', 'ipm']).includes(key)) continue;
    for (const row of await measure(key)) {
      const overhead = row.overhead;
      console.log(
        `| ${row.solver} | ${row.path} | ${row.wall.toFixed(1)} | ${row.native.toFixed(1)} | ${overhead.toFixed(1)} | ${(overhead / row.native).toFixed(2)} |`,
      );
    }
  }
  console.log('\nGoal: overhead under 50 µs per call.');
  console.log('\n## One training step on a 5-variable QP: solveSync(differentiable) + differentiateSync + dispose\n');
  console.log('| solver | µs per step (median) | / admm |');
  console.log('|---|---:|---:|');
  const keys = only ?? [...known, 'auto'];
  const steps = new Map(keys.map((k) => [k, trainingStep(k)] as const));
  const admm = steps.get('admm');
  for (const [k, t] of steps) console.log(`| ${k} | ${t.toFixed(1)} | ${admm ? (t / admm).toFixed(2) : '—'} |`);
  if (admm && steps.has('auto')) {
    const ratio = steps.get('auto')! / admm;
    console.log(`\nGoal: auto within 2× of admm per step: ${ratio.toFixed(2)}× (${ratio <= 2 ? 'met' : 'not met'}).`);
  }
}

if (require.main === module) runScript(command, main);
