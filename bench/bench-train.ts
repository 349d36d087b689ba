/**
 * npm run bench:train — per-QP µs of a training step's forward (solve) and backward (differentiate,
 * every method) on one QP pattern with new values each step, three ways: a serial loop of
 * solveSync(differentiable) + differentiateSync, one solveBatchSync + differentiateBatchSync call
 * per batch (native threads), and a parametric problem (lib/parametric.ts) re-solved step by step,
 * with its active-set start (the default) and without it ("parametric, solver only"); "from active
 * set" is the share of its answers that came from the last active set.
 * n ∈ {10, 50, 200}, P and A dense or sparse, batch sizes 1, 16 and 256. Each round is a fresh
 * forward then every method's backward (kkt first: no method reuses a factorization of an earlier
 * round); a cell is the median over rounds. Ratios: serial time / this path's time (above 1: faster than serial).
 *
 * --rss N runs N cycles of the parametric and the batch loop in child processes
 * (test/rss-child.ts) and prints RSS after a warm-up of N/5 cycles and at the end.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Command, listFlag, numberFlag, parseCommand, runScript, UsageError } from '../lib/args';
import { differentiateBatchSync, solveBatchSync } from '../lib/batch';
import { differentiateSync, DifferentiateMethod } from '../lib/differentiate';
import { parametric } from '../lib/parametric';
import { DisposableSolution, solveSync } from '../lib/solve';
import { sparseTrainingQp, TrainingQp, trainingQp } from './training-qp';
import { upperMedian } from './stats';

export const command = {
  name: 'bench:train',
  run: 'npm run bench:train --',
  synopsis: '[options]',
  about: 'Per-QP µs of forward and backward in a training loop: serial loop, solveBatch, parametric; every backward method.',
  flags: {
    solver: { type: 'string', arg: 'ipm|admm', default: 'ipm', help: 'solver key' },
    threads: { type: 'string', arg: 'N', default: '2', help: 'native threads of the batch path' },
    sizes: { type: 'string', arg: 'N,N', default: '10,50,200', help: 'problem sizes n (m = n/2 rows)' },
    kinds: {
      type: 'string',
      arg: 'dense,sparse',
      default: 'dense,sparse',
      help: 'P and A dense, or sparse (P a chain, A 4 entries a row)',
    },
    batches: { type: 'string', arg: 'B,B', default: '1,16,256', help: 'batch sizes' },
    methods: { type: 'string', arg: 'M,M', default: 'kkt,full,penalty,qp', help: 'backward methods' },
    seconds: { type: 'string', arg: 'S', default: '0.1', help: 'least time per (cell, path); at least one round' },
    rss: {
      type: 'string',
      arg: 'N',
      help: 'instead: N cycles of the parametric and the batch loop in child processes, RSS after N/5 and at the end',
    },
  },
} satisfies Command;

interface Step {
  forward: number;
  /** One per method, in the order asked. */
  backward: number[];
  /** Parametric paths: the share of answers that came from the last active set. */
  fromActiveSet?: number;
}

/** Median seconds of the forward and of each backward over rounds (at least one, and `least` seconds in all). */
function timeRounds(round: () => Step, least: number): Step {
  const rounds: Step[] = [];
  const start = performance.now();
  while (rounds.length < 1 || (performance.now() - start) / 1000 < least) rounds.push(round());
  return {
    forward: upperMedian(rounds.map((r) => r.forward)),
    backward: rounds[0]!.backward.map((_, i) => upperMedian(rounds.map((r) => r.backward[i]!))),
  };
}

const now = () => performance.now() / 1000;

type Path = 'serial' | 'batch' | 'parametric' | 'parametric, solver only';

/**
 * One round: a fresh forward, then each method's backward on its solutions. Only kkt keeps a
 * factorization on a solution's handle (and the other methods never read it), so kkt goes first
 * and every backward starts from nothing.
 */
function measure(
  which: Path,
  problems: TrainingQp[],
  seeds: Array<{ dx: Float64Array }>,
  methods: DifferentiateMethod[],
  solver: 'ipm' | 'admm',
  threads: number,
  least: number,
): Step {
  const options = { solver, differentiable: true as const };
  const timeEach = (f: (method: DifferentiateMethod) => void) =>
    methods.map((method) => {
      const t = now();
      f(method);
      return now() - t;
    });
  if (which === 'serial') {
    return timeRounds(() => {
      const t0 = now();
      const sols = problems.map((p) => solveSync(p, options));
      const forward = now() - t0;
      const backward = timeEach((method) => sols.forEach((s, k) => differentiateSync(s, seeds[k]!, { method })));
      sols.forEach((s) => s.dispose());
      return { forward, backward };
    }, least);
  }
  if (which === 'batch') {
    return timeRounds(() => {
      const t0 = now();
      const sols: DisposableSolution[] = solveBatchSync(problems, { ...options, threads });
      const forward = now() - t0;
      const backward = timeEach((method) => differentiateBatchSync(sols, seeds, { method, threads }));
      sols.forEach((s) => s.dispose());
      return { forward, backward };
    }, least);
  }
  const pq = parametric(problems[0]!, { solver, activeSetStart: which === 'parametric' });
  pq.solveSync(); // warm: the first solve sets the solver up
  let answers = 0,
    fromActiveSet = 0;
  const step: Step = timeRounds(() => {
    let forward = 0;
    const backward = methods.map(() => 0);
    problems.forEach((p, k) => {
      const t0 = now();
      const sol = pq.solveSync({ q: p.q });
      forward += now() - t0;
      answers++;
      if (sol.fromActiveSet) fromActiveSet++;
      methods.forEach((method, i) => {
        const t = now();
        pq.differentiateSync(seeds[k]!, { method });
        backward[i]! += now() - t;
      });
    });
    return { forward, backward };
  }, least);
  pq.dispose();
  step.fromActiveSet = fromActiveSet / answers;
  return step;
}

function rssRun(cycles: number): void {
  const child = path.join(__dirname, '..', 'test', 'rss-child.js');
  const warmup = Math.floor(cycles / 5);
  console.log(`RSS over ${cycles} cycles without dispose (warm-up ${warmup}; node --max-semi-space-size=1, test/rss-child.ts)\n`);
  console.log('| loop | RSS after warm-up MB | RSS at the end MB | growth | seconds |');
  console.log('|---|---:|---:|---:|---:|');
  for (const scenario of ['parametric', 'batch']) {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--max-semi-space-size=1', child, scenario, String(cycles), String(warmup)],
      { encoding: 'utf8' },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as { warmRss: number; endRss: number; seconds: number };
    const mb = (b: number) => (b / 2 ** 20).toFixed(1);
    console.log(
      `| ${scenario} | ${mb(r.warmRss)} | ${mb(r.endRss)} | ${((100 * (r.endRss - r.warmRss)) / r.warmRss).toFixed(1)}% | ${r.seconds.toFixed(1)} |`,
    );
  }
}

async function main(): Promise<void> {
  const values = parseCommand(command, process.argv.slice(2)).values;
  if (values.rss !== undefined) return rssRun(numberFlag('rss', values.rss, { min: 10, integer: true }));
  const solver = values.solver;
  if (solver !== 'ipm' && solver !== 'admm')
    throw new UsageError(`--solver: must be ipm or admm (the solvers a parametric problem keeps), got '${solver}'`);
  const threads = numberFlag('threads', values.threads, { min: 1, integer: true });
  const least = numberFlag('seconds', values.seconds, { min: 0 });
  const sizes = listFlag(values.sizes).map((s) => numberFlag('sizes', s, { min: 2, integer: true }));
  const batches = listFlag(values.batches).map((s) => numberFlag('batches', s, { min: 1, integer: true }));
  const kinds = listFlag(values.kinds);
  for (const k of kinds) if (k !== 'dense' && k !== 'sparse') throw new UsageError(`--kinds: '${k}' is neither dense nor sparse`);
  const asked = listFlag(values.methods) as DifferentiateMethod[];
  for (const m of asked)
    if (!['kkt', 'full', 'penalty', 'qp'].includes(m))
      throw new UsageError(`--methods: '${m}' is not a backward method (kkt, full, penalty, qp)`);
  const methods = [...asked].sort((a, b) => Number(b === 'kkt') - Number(a === 'kkt')); // kkt first (measure)
  console.log(
    `# bench:train: solver ${solver}, batch threads ${threads}, cores ${availableParallelism()}, node ${process.version}; µs per QP (medians over rounds)\n`,
  );
  const header = ['n', 'P, A', 'batch', 'path', 'forward', ...methods, 'fwd + kkt', 'vs serial', 'from active set'];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i < 4 ? '---' : '---:')).join('|')}|`);
  const paths: Path[] = ['serial', 'batch', 'parametric', 'parametric, solver only'];
  // Warm-up (JIT, the addon's first calls): the first cell would otherwise pay for it.
  {
    const warm = trainingQp(10, 5, 1);
    for (const which of paths) measure(which, [warm, warm], [{ dx: warm.q }, { dx: warm.q }], methods, solver, threads, 0.05);
  }
  for (const n of sizes) {
    const m = Math.max(1, Math.floor(n / 2));
    for (const kind of kinds) {
      const base = kind === 'dense' ? trainingQp(n, m, n) : sparseTrainingQp(n, m, n);
      for (const b of batches) {
        // One pattern, new q each step (what a layer's input changes); seeds fixed per step.
        const problems = Array.from({ length: b }, (_, k) => ({ ...base, q: base.q.map((v, j) => v + Math.sin(7 * k + j)) }));
        const seeds = problems.map((_, k) => ({ dx: Float64Array.from({ length: n }, (_, j) => Math.cos(k + 3 * j)) }));
        let serialStep = 0;
        for (const which of paths) {
          const { forward, backward: bwd, fromActiveSet } = measure(which, problems, seeds, methods, solver, threads, least);
          const kkt = methods.includes('kkt') ? bwd[methods.indexOf('kkt')]! : NaN;
          const stepTime = forward + kkt;
          if (which === 'serial') serialStep = stepTime;
          const us = (t: number) => ((t / b) * 1e6).toFixed(1);
          const cells = [
            String(n),
            kind,
            String(b),
            which,
            us(forward),
            ...bwd.map(us),
            us(stepTime),
            which === 'serial' ? '1' : (serialStep / stepTime).toFixed(2) + '×',
            fromActiveSet === undefined ? '–' : `${Math.round(100 * fromActiveSet)}%`,
          ];
          console.log(`| ${cells.join(' | ')} |`);
        }
      }
    }
  }
}

if (require.main === module) runScript(command, main);
