/**
 * npm run bench:batch — per-QP wall time of a serial solveSync loop against one
 * solveBatchSync call on a pool of native threads, for sparse QPs of n variables and
 * n/2 rows, batch sizes 1, 16 and 256. Ratio = loop time / batch time (above 1: the batch
 * is faster). Each cell is the median of rounds over the same problems.
 */
import { availableParallelism } from 'node:os';
import { solveBatchSync } from '../lib/batch';
import { CanonicalProblem } from '../lib/problem';
import { solveSync } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { Command, listFlag, numberFlag, parseCommand, runScript } from '../lib/args';
import { chainP, rng } from './training-qp';

export const command = {
  name: 'bench:batch',
  run: 'npm run bench:batch --',
  synopsis: '[options]',
  about: 'Per-QP µs of a serial solveSync loop against solveBatchSync on native threads.',
  flags: {
    solver: { type: 'string', arg: 'KEY', default: 'ipm', help: 'solver key' },
    threads: { type: 'string', arg: 'N', default: '2', help: 'native threads of the batch' },
    sizes: { type: 'string', arg: 'N,N', default: '10,50,200', help: 'problem sizes n' },
    batches: { type: 'string', arg: 'B,B', default: '1,16,256', help: 'batch sizes' },
    seconds: { type: 'string', arg: 'S', default: '0.3', help: 'least time per cell (at least 3 rounds)' },
  },
} satisfies Command;

/** P: chain Laplacian + diagonal; A: n/2 rows of 3 entries; box bounds; feasible at x = 0. */
function sparseQp(n: number, seed: number): CanonicalProblem<Float64Array, CscMatrix> {
  const r = rng(seed);
  const P = chainP(n, r, 2.5);
  const m = Math.max(1, Math.floor(n / 2));
  const ar: number[] = [],
    ac: number[] = [],
    av: number[] = [];
  for (let i = 0; i < m; i++) {
    const cols = new Set<number>();
    while (cols.size < Math.min(3, n)) cols.add(Math.floor(r() * n));
    for (const j of cols) {
      ar.push(i);
      ac.push(j);
      av.push(r() - 0.5);
    }
  }
  return {
    P,
    q: Float64Array.from({ length: n }, () => 10 * (r() - 0.5)),
    A: CscMatrix.fromTriplets(m, n, ar, ac, av),
    l: Float64Array.from({ length: m }, () => -0.2 - r()),
    u: Float64Array.from({ length: m }, () => 0.2 + r()),
    lb: new Float64Array(n).fill(-1),
    ub: new Float64Array(n).fill(1),
  };
}

/** Median seconds of `f` over rounds: at least 3, and until `least` seconds have passed. */
function timeRounds(f: () => void, least: number): number {
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start) / 1000 < least) {
    const t = performance.now();
    f();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function main(): Promise<void> {
  const values = parseCommand(command, process.argv.slice(2)).values;
  const solver = values.solver;
  const threads = numberFlag('threads', values.threads, { min: 1, integer: true });
  const least = numberFlag('seconds', values.seconds, { min: 0 });
  const sizes = listFlag(values.sizes).map((s) => numberFlag('sizes', s, { min: 1, integer: true }));
  const batches = listFlag(values.batches).map((s) => numberFlag('batches', s, { min: 1, integer: true }));
  console.log(`solver ${solver}, batch threads ${threads}, cores ${availableParallelism()}; µs per QP (median of rounds)`);
  console.log(['n', 'batch', 'loop µs', 'batch µs', 'loop/batch'].map((h) => h.padStart(12)).join(''));
  for (const n of sizes) {
    for (const b of batches) {
      const problems = Array.from({ length: b }, (_, k) => sparseQp(n, 1000 * n + k));
      const options = { solver };
      const loop = timeRounds(() => {
        for (const p of problems) solveSync(p, options);
      }, least);
      const batch = timeRounds(() => solveBatchSync(problems, { ...options, threads }), least);
      const cells = [String(n), String(b), ((loop / b) * 1e6).toFixed(1), ((batch / b) * 1e6).toFixed(1), (loop / batch).toFixed(2) + '×'];
      console.log(cells.map((c) => c.padStart(12)).join(''));
    }
  }
}

if (require.main === module) runScript(command, main);
