/**
 * Memory over repeated work (docs/RUNTIME.md). Run with --expose-gc (the options: `command`
 * below, or --help):
 *
 *   node --expose-gc dist/bench/bench-memory.js big  [--n 2e6] [--solver admm] [--repeats 8] [--max-iter 10]
 *   node --expose-gc dist/bench/bench-memory.js loop [--iterations 1e5] [--n 50] [--every 2500] [--warmup 5e4] [--dispose]
 *
 * big:  solves the chain projection (min ½‖x − v‖² s.t. x_{i+1} ≥ x_i) of size n `repeats`
 *       times one after another with solve() (the threadpool: each may land on another thread)
 *       and prints RSS after each, after a forced GC. Measures whether a finished big solve
 *       gives its memory back (glibc keeps freed memory in per-thread arenas).
 * loop: `iterations` cycles of solve({ differentiable: true }) + differentiate on a small
 *       chain QP, without dispose() unless --dispose; prints RSS (after a forced GC) every
 *       `every` cycles, and the growth of the least-squares trend of those samples from the end
 *       of warm-up (V8 sizes its young generation over the first ~4·10⁴) to the last cycle.
 *
 * Prints JSON lines; a timing-free measure, but RSS depends on the allocator's state: run
 * each case in a fresh process.
 */
import { differentiate } from '../lib/differentiate';
import { solve } from '../lib/solve';
import { chainProblem } from './bench-families';
import { Command, numberFlag, parseCommand, runScript, UsageError } from '../lib/args';

export const command = {
  name: 'bench-memory',
  run: 'node --expose-gc dist/bench/bench-memory.js',
  synopsis: 'big|loop [options]',
  about:
    'big: RSS after each of repeated large solves; loop: the RSS trend over many small\nsolve + differentiate cycles. JSON lines on stdout (see bench/bench-memory.ts).',
  positionals: { max: 1 },
  flags: {
    n: { type: 'string', arg: 'N', help: 'problem size (default: 2e6 for big, 50 for loop)' },
    solver: { type: 'string', arg: 'KEY', default: 'admm', help: 'big: the solver' },
    repeats: { type: 'string', arg: 'K', default: '8', help: 'big: solves one after another' },
    'max-iter': { type: 'string', arg: 'N', default: '10', help: "big: the solver's iteration limit" },
    iterations: { type: 'string', arg: 'N', default: '1e5', help: 'loop: cycles' },
    every: { type: 'string', arg: 'N', default: '2500', help: 'loop: cycles between samples' },
    warmup: { type: 'string', arg: 'N', default: '5e4', help: 'loop: cycles before the trend starts' },
    dispose: { type: 'boolean', help: 'loop: dispose() each solution' },
  },
} satisfies Command;

const gc = (globalThis as { gc?: () => void }).gc;

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
/** RSS after a full collection (the finalisers of collected factor caches run in a later task). */
async function settledRss(): Promise<number> {
  for (let k = 0; k < 2; k++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().rss;
}

async function big(n: number, solver: string, repeats: number, maxIter: number): Promise<void> {
  const { problem } = chainProblem(n, 2, false);
  const before = await settledRss();
  console.log(JSON.stringify({ case: 'big', n, solver, maxIter, rssBeforeMB: mb(before) }));
  const after: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const t = performance.now();
    const sol = await solve(problem, { solver, maxIter, polish: false });
    const seconds = (performance.now() - t) / 1000;
    after.push(await settledRss());
    console.log(JSON.stringify({ solve: k + 1, status: sol.status, seconds: +seconds.toFixed(2), rssMB: mb(after[k]!) }));
  }
  console.log(
    JSON.stringify({
      rssAfter1MB: mb(after[0]!),
      rssAfterLastMB: mb(after[repeats - 1]!),
      ratio: +(after[repeats - 1]! / after[0]!).toFixed(2),
    }),
  );
}

async function loop(iterations: number, n: number, every: number, warmup: number, dispose: boolean): Promise<void> {
  const { problem } = chainProblem(n, 3, false);
  const dx = new Float64Array(n).map((_, i) => Math.sin(i));
  const samples: Array<{ iteration: number; rssMB: number; heapMB: number; heapTotalMB: number; externalMB: number }> = [];
  for (let k = 1; k <= iterations; k++) {
    const sol = await solve(problem, { solver: 'ipm', differentiable: true });
    await differentiate(sol, { dx });
    if (dispose) sol.dispose!();
    if (k % every === 0) {
      const rss = await settledRss();
      const m = process.memoryUsage();
      samples.push({ iteration: k, rssMB: mb(rss), heapMB: mb(m.heapUsed), heapTotalMB: mb(m.heapTotal), externalMB: mb(m.external) });
      console.log(JSON.stringify(samples[samples.length - 1]));
    }
  }
  // After warm-up a sample swings by ± a GC batch; the trend is the least-squares line through
  // the samples, its growth taken from the end of warm-up to the last iteration. RSS less V8's
  // committed heap is what native code and the allocator hold.
  const after = samples.filter((s) => s.iteration >= warmup);
  const trend = (y: (s: (typeof samples)[number]) => number) => {
    const meanX = after.reduce((a, s) => a + s.iteration, 0) / after.length;
    const meanY = after.reduce((a, s) => a + y(s), 0) / after.length;
    const slope =
      after.reduce((a, s) => a + (s.iteration - meanX) * (y(s) - meanY), 0) / after.reduce((a, s) => a + (s.iteration - meanX) ** 2, 0);
    const at = (k: number) => meanY + slope * (k - meanX);
    const values = after.map(y);
    return {
      minMB: Math.min(...values),
      maxMB: Math.max(...values),
      startMB: +at(warmup).toFixed(1),
      endMB: +at(iterations).toFixed(1),
      growth: +(at(iterations) / at(warmup) - 1).toFixed(3),
    };
  };
  console.log(
    JSON.stringify({
      case: 'loop',
      n,
      iterations,
      dispose,
      warmup,
      rss: trend((s) => s.rssMB),
      rssLessHeap: trend((s) => s.rssMB - s.heapTotalMB),
    }),
  );
}

async function main(): Promise<void> {
  const { positionals, values: v } = parseCommand(command, process.argv.slice(2));
  if (!gc) throw new UsageError('run with node --expose-gc');
  const count = (flag: keyof typeof command.flags, text: string) => numberFlag(flag, text, { min: 1, integer: true });
  const mode = positionals[0] ?? 'big';
  if (mode === 'big') await big(count('n', v.n ?? '2e6'), v.solver, count('repeats', v.repeats), count('max-iter', v['max-iter']));
  else if (mode === 'loop')
    await loop(
      count('iterations', v.iterations),
      count('n', v.n ?? '50'),
      count('every', v.every),
      numberFlag('warmup', v.warmup, { min: 0, integer: true }),
      v.dispose,
    );
  else throw new UsageError(`unknown mode '${mode}' (big or loop)`);
}

runScript(command, main);
