/**
 * One leak measurement, run by test/29-leaks.test.ts in its own process:
 *
 *   node --expose-gc dist/test/leak-child.js <scenario> <cycles> <warmup>
 *
 * scenario: 'dispose'    solve({ differentiable: true }) + differentiate + dispose()
 *           'no-dispose' the same without dispose(): the garbage collector frees the handle
 *           'readqps'    readQps of a Maros–Meszaros file
 * Prints one JSON line: the bytes of the problem one cycle makes (what a leak of one problem
 * per cycle would add), RSS after warm-up and at the end (each after a forced collection).
 */
import { binding } from '../lib/binding';
import { differentiate } from '../lib/differentiate';
import { CanonicalProblem, toCanonical } from '../lib/problem';
import { readQps } from '../lib/qps';
import { solve } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { canonicalOf, generate } from './complementary-qp';
import { chainQp, fixture } from './helpers';

const copyOf = (M: CscMatrix) => new CscMatrix(M.nrows, M.ncols, M.colPtr.slice(), M.rowIdx.slice(), M.values.slice(), M.triangle);

const gc = (globalThis as { gc?: () => void }).gc!;

/** The bytes of a problem's arrays: what keeping one problem alive per cycle costs at least. */
export function problemBytes(p: CanonicalProblem<Float64Array, CscMatrix>): number {
  const arrays: Array<ArrayBufferView | undefined> = [p.q, p.l, p.u, p.lb, p.ub];
  for (const M of [p.P, p.A]) if (M) arrays.push(M.colPtr, M.rowIdx, M.values);
  return arrays.reduce((sum, a) => sum + (a ? a.byteLength : 0), 0);
}

/** The QPS file of the readqps scenario (a few ms to parse, tens of kB of arrays). */
export const leakQpsFile = fixture('QSHARE1B');

/** Collections between samples: without them a cycle's garbage waits for V8's own schedule. */
const GC_EVERY = 250;

async function settledRss(): Promise<number> {
  gc();
  await new Promise((r) => setImmediate(r)); // finalisers of the collected handles run here
  gc();
  return process.memoryUsage().rss;
}

/**
 * 'external': factor caches that V8 must collect on the strength of their reported size alone.
 * Each jvp leaves a cache of megabytes (K of a QP with fill-in) and a few kB of JS garbage:
 * without the report V8 sees no reason to collect, and none of them is freed.
 */
async function externalMemory(count: number): Promise<void> {
  const n = 1000;
  const problem = canonicalOf(
    generate({
      n,
      seed: 3,
      pDensity: 0.01,
      rowNnz: 3,
      counts: { eq: n / 8, up: n / 8, low: n / 8, range: n / 5, oneSided: n / 10 },
      boundsUp: n / 10,
      boundsLow: n / 10,
      boxFraction: 0.5,
    }),
  );
  const sol = await solve(problem, { solver: 'ipm', epsAbs: 1e-9, polish: false });
  let finalised = 0;
  const registry = new FinalizationRegistry(() => finalised++);
  const c = toCanonical(problem);
  const native = {
    n: c.n,
    m: c.m,
    P: c.P,
    q: c.q,
    A: c.A,
    l: c.l,
    u: c.u,
    constant: c.constant,
    ...(c.lb ? { lb: c.lb } : {}),
    ...(c.ub ? { ub: c.ub } : {}),
  };
  const b = binding() as unknown as { newFactorCache(): object; jvpAsync(...args: unknown[]): Promise<unknown> };
  for (let k = 0; k < count; k++) {
    const factorCache = b.newFactorCache();
    registry.register(factorCache, k);
    await b.jvpAsync(native, sol, { dq: sol.x }, { factorCache });
  }
  await new Promise((r) => setTimeout(r, 10));
  process.stdout.write(`${JSON.stringify({ scenario: 'external', created: count, finalised })}\n`);
}

async function main(): Promise<void> {
  const [scenario, cyclesText, warmupText] = process.argv.slice(2);
  if (scenario === 'external') return externalMemory(Number(cyclesText));
  const cycles = Number(cyclesText);
  const warmup = Number(warmupText);
  const problem = chainQp(200, 60, 4);
  const dx = new Float64Array(200).map((_, i) => Math.sin(i));
  let bytes = problemBytes(problem);
  const cycle: () => Promise<unknown> =
    scenario === 'readqps'
      ? async () => {
          const p = await readQps(leakQpsFile);
          bytes = problemBytes(p);
        }
      : async () => {
          // A fresh copy each cycle, so that a handle kept alive keeps a whole problem alive.
          const p = {
            ...problem,
            q: problem.q.slice(),
            l: problem.l.slice(),
            u: problem.u.slice(),
            P: copyOf(problem.P),
            A: copyOf(problem.A),
          };
          const sol = await solve(p, { solver: 'ipm', differentiable: true });
          await differentiate(sol, { dx });
          if (scenario === 'dispose') sol.dispose!();
        };
  if (!['readqps', 'dispose', 'no-dispose'].includes(scenario!)) throw new Error(`unknown scenario ${scenario}`);
  let warmRss = 0;
  for (let k = 1; k <= cycles; k++) {
    await cycle();
    if (k === warmup) warmRss = await settledRss();
    else if (k % GC_EVERY === 0) gc();
  }
  const endRss = await settledRss();
  process.stdout.write(`${JSON.stringify({ scenario, cycles, warmup, bytesPerProblem: bytes, warmRss, endRss })}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
