/**
 * Memory over repeated work (docs/RUNTIME.md). Run with --expose-gc:
 *
 *   node --expose-gc dist/scripts/bench-memory.js big  [--n 2e6] [--solver admm] [--repeats 8] [--max-iter 10]
 *   node --expose-gc dist/scripts/bench-memory.js loop [--iterations 1e5] [--n 50] [--every 5000] [--dispose]
 *
 * big:  solves the chain projection (min ½‖x − v‖² s.t. x_{i+1} ≥ x_i) of size n `repeats`
 *       times one after another with solve() (the threadpool: each may land on another thread)
 *       and prints RSS after each, after a forced GC. Measures whether a finished big solve
 *       gives its memory back (glibc keeps freed memory in per-thread arenas).
 * loop: `iterations` cycles of solve({ differentiable: true }) + differentiate on a small
 *       chain QP, without dispose() unless --dispose; prints RSS (after a forced GC) every
 *       `every` cycles and the growth from the end of warm-up (the first 10%) to the end.
 *
 * Prints JSON lines; a timing-free measure, but RSS depends on the allocator's state: run
 * each case in a fresh process.
 */
import { parseArgs } from 'node:util';
import { differentiate } from '../lib/differentiate';
import { solve } from '../lib/solve';
import { chainProblem } from './bench-families';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
/** RSS after a full collection (the finalisers of collected factor caches run in a later task). */
async function settledRss(): Promise<number> {
  gc!();
  await new Promise((r) => setImmediate(r));
  gc!();
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
  console.log(JSON.stringify({ rssAfter1MB: mb(after[0]!), rssAfterLastMB: mb(after[repeats - 1]!), ratio: +(after[repeats - 1]! / after[0]!).toFixed(2) }));
}

async function loop(iterations: number, n: number, every: number, dispose: boolean): Promise<void> {
  const { problem } = chainProblem(n, 3, false);
  const dx = new Float64Array(n).map((_, i) => Math.sin(i));
  const samples: Array<{ iteration: number; rssMB: number; heapMB: number; externalMB: number }> = [];
  for (let k = 1; k <= iterations; k++) {
    const sol = await solve(problem, { solver: 'ipm', differentiable: true });
    await differentiate(sol, { dx });
    if (dispose) sol.dispose!();
    if (k % every === 0) {
      const rss = await settledRss();
      const m = process.memoryUsage();
      samples.push({ iteration: k, rssMB: mb(rss), heapMB: mb(m.heapUsed), externalMB: mb(m.external) });
      console.log(JSON.stringify(samples[samples.length - 1]));
    }
  }
  const warm = samples.find((s) => s.iteration >= iterations / 10) ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  console.log(JSON.stringify({ case: 'loop', n, iterations, dispose, rssAfterWarmupMB: warm.rssMB, rssEndMB: last.rssMB, growth: +(last.rssMB / warm.rssMB - 1).toFixed(3) }));
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      n: { type: 'string' },
      solver: { type: 'string', default: 'admm' },
      repeats: { type: 'string', default: '8' },
      'max-iter': { type: 'string', default: '10' },
      iterations: { type: 'string', default: '1e5' },
      every: { type: 'string', default: '5000' },
      dispose: { type: 'boolean', default: false },
    },
  });
  const mode = positionals[0] ?? 'big';
  if (mode === 'big') await big(Number(values.n ?? 2e6), values.solver!, Number(values.repeats), Number(values['max-iter']));
  else if (mode === 'loop') await loop(Number(values.iterations), Number(values.n ?? 50), Number(values.every), values.dispose!);
  else throw new Error(`unknown mode ${mode} (big or loop)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
