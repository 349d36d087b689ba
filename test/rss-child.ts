/**
 * One RSS measurement for test/41-parametric.test.ts and bench/bench-train.ts (--rss), in its own process:
 *
 *   node --expose-gc --max-semi-space-size=1 dist/test/rss-child.js <parametric|batch> <cycles> <warmup>
 *
 * parametric: one parametric problem (n = 50), each cycle solveSync with a new q + differentiateSync;
 * batch: each cycle solveBatchSync of 4 problems (n = 10, differentiable) + differentiateBatchSync,
 * nothing disposed (the garbage collector frees the handles), the event loop turning once a cycle:
 * N-API runs the finalizers of collected handles from the event loop, so a loop that never yields
 * keeps every handle's native memory until it does. Prints one JSON line with RSS (and V8's heap)
 * after the warm-up and at the end, each after a forced collection.
 *
 * --max-semi-space-size=1: under a loop's garbage V8 grows its young generation from 1 to 16 MB on
 * its own schedule (heapTotal 20 → 36 MB between 4·10³ and 8·10³ batch cycles, with dispose() as
 * without), which would swamp what diffqp holds; fixed, RSS measures the rest.
 */
import { differentiateBatchSync, solveBatchSync } from '../lib/batch';
import { parametric } from '../lib/parametric';
import { trainingQp } from '../bench/training-qp';

const gc = (globalThis as { gc?: () => void }).gc!;

async function settledRss(): Promise<number> {
  gc();
  await new Promise((r) => setImmediate(r)); // finalisers of the collected handles run here
  gc();
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const [scenario, cyclesText, warmupText] = process.argv.slice(2);
  const cycles = Number(cyclesText);
  const warmup = Number(warmupText);
  const n = 50;
  const base = trainingQp(n, 20, 4);
  const dx = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  let cycle: (k: number) => void | Promise<void>;
  if (scenario === 'parametric') {
    const pq = parametric(base, { solver: 'ipm' });
    cycle = (k) => {
      pq.solveSync({ q: base.q.map((v, j) => v + Math.sin(k + j)) });
      pq.differentiateSync({ dx });
    };
  } else if (scenario === 'batch') {
    const small = trainingQp(10, 5, 4);
    const problems = Array.from({ length: 4 }, (_, k) => ({ ...small, q: small.q.map((v, j) => v + Math.cos(k * j)) }));
    const seeds = problems.map(() => ({ dx: dx.subarray(0, 10) }));
    cycle = async () => {
      differentiateBatchSync(solveBatchSync(problems, { solver: 'ipm', differentiable: true, threads: 2 }), seeds, { threads: 2 });
      await new Promise((r) => setImmediate(r));
    };
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
  let warmRss = 0;
  const started = Date.now();
  for (let k = 1; k <= cycles; k++) {
    await cycle(k);
    if (k === warmup) warmRss = await settledRss();
  }
  const endRss = await settledRss();
  process.stdout.write(
    `${JSON.stringify({ scenario, cycles, warmup, warmRss, endRss, heapTotal: process.memoryUsage().heapTotal, seconds: (Date.now() - started) / 1000 })}\n`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
