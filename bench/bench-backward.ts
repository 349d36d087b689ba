/**
 * npm run bench:backward -- [options]   (the options: `command` below, or --help)
 *
 * For each Maros–Meszaros problem whose forward solve succeeds (r_p, r_d, r_g ≤ 1e-6) and for
 * generated sparse QPs, the backward pass of the loss L = Σx (as in the dQP paper) by each
 * method, side by side: its time, its ratio to the forward time, and for kkt its ratio to
 * one factorization of K (factor + solve over factor alone). 'kkt-cached' is a second kkt
 * pass on the differentiable solution's handle, which reuses the factorization of K (what a
 * training loop with several losses, or jvp after vjp, pays).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { differentiate, DifferentiateMethod } from '../lib/differentiate';
import { Problem } from '../lib/problem';
import { qpsNameFromPath, readQps } from '../lib/qps';
import { solve } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { shiftedGeometricMean } from './bench-report';
import { Command, listFlag, numberFlag, parseCommand, runScript, UsageError } from '../lib/args';
import { MM_DIR_ENV, mmSetDir } from '../lib/mm-set';
import { upperMedian } from './stats';
import { chainP, rng } from './training-qp';

interface Options {
  dir: string;
  solver: string;
  timeLimit: number;
  methods: string[];
  fullMax: number;
  subset?: Set<string>;
  out: string;
  generated: boolean;
  /** Rebuild the report from this results.json instead of running. */
  from?: string;
}

const methods = ['kkt', 'kkt-cached', 'full', 'penalty', 'qp'];

export const command = {
  name: 'bench:backward',
  run: 'npm run bench:backward --',
  synopsis: '[options]',
  about:
    'Times each backward method against the forward solve on generated QPs and the Maros–Meszaros\nproblems in --dir; writes report.md and results.json to --out.',
  flags: {
    dir: {
      type: 'string',
      arg: 'DIR',
      help: `folder of .QPS files (default: $${MM_DIR_ENV} or ../shared/maros-meszaros; none: only generated QPs)`,
    },
    solver: { type: 'string', arg: 'KEY', default: 'auto', help: 'the forward solver' },
    'time-limit': { type: 'string', arg: 'SECONDS', default: '60', help: 'time limit per forward solve' },
    methods: { type: 'string', arg: 'M,M', default: methods.join(','), help: 'backward methods to time' },
    'full-max': { type: 'string', arg: 'N', default: '20000', help: "skip 'full' when n + m exceeds N" },
    subset: { type: 'string', arg: 'NAME,NAME', help: 'only these problems of --dir' },
    out: { type: 'string', arg: 'DIR', default: '.bench/backward', help: 'where the report goes' },
    'no-generated': { type: 'boolean', help: 'leave out the generated QPs' },
    from: { type: 'string', arg: 'results.json', help: 'rebuild the report of a saved run instead of running' },
  },
} satisfies Command;

function parse(argv: string[]): Options {
  const { values: v } = parseCommand(command, argv);
  const chosen = listFlag(v.methods);
  for (const m of chosen) if (!methods.includes(m)) throw new UsageError(`--methods: unknown method '${m}' (known: ${methods.join(', ')})`);
  const o: Options = {
    dir: v.dir ?? mmSetDir() ?? '',
    solver: v.solver,
    timeLimit: numberFlag('time-limit', v['time-limit'], { above: 0 }),
    methods: chosen,
    fullMax: numberFlag('full-max', v['full-max'], { min: 0 }),
    out: v.out,
    generated: !v['no-generated'],
  };
  if (v.subset !== undefined) o.subset = new Set(listFlag(v.subset.toUpperCase()));
  if (v.from !== undefined) o.from = v.from;
  return o;
}

/** A banded sparse QP of size n with m coupling rows, strictly convex, boxed. */
function generatedQp(n: number, m: number, seed: number): Problem<Float64Array, CscMatrix> {
  const r = rng(seed);
  const P = chainP(n, r, 3);
  const ar: number[] = [],
    ac: number[] = [],
    av: number[] = [];
  for (let i = 0; i < m; i++) {
    const start = Math.floor(r() * (n - 4));
    for (let k = 0; k < 4; k++) {
      ar.push(i);
      ac.push(start + k);
      av.push(r() - 0.5);
    }
  }
  return {
    P,
    q: new Float64Array(n).map(() => 10 * (r() - 0.5)),
    A: CscMatrix.fromTriplets(m, n, ar, ac, av),
    l: new Float64Array(m).map(() => -0.5 - r()),
    u: new Float64Array(m).map(() => 0.5 + r()),
    lb: new Float64Array(n).fill(-1),
    ub: new Float64Array(n).fill(1),
  };
}

interface Row {
  problem: string;
  n: number;
  m: number;
  forward: number;
  method: string;
  backward?: number;
  factor?: number;
  /** Native time (factor + solve) over the factorization alone. */
  perFactor?: number;
  differentiable?: boolean;
  error?: string;
}

/** A cached pass measured against the factorization time of the same problem's kkt row. */
function kktFactor(rows: Row[], problem: string, solveTime: number): number {
  const kkt = rows.find((r) => r.problem === problem && r.method === 'kkt' && r.factor !== undefined && r.factor > 0);
  return kkt ? solveTime / kkt.factor! : NaN;
}

async function runProblem(name: string, problem: Problem<Float64Array, CscMatrix>, o: Options, rows: Row[]): Promise<void> {
  const n = problem.q.length;
  const m = (problem as { A?: CscMatrix }).A?.nrows ?? 0;
  const t0 = process.hrtime.bigint();
  // The solver's defaults ('auto' polishes); the 'kkt' rows pass the problem explicitly, so
  // they never see a factorization the polish left on the handle.
  // epsRel 0: the solver aims at the absolute 1e-6 the success test below (and bench:mm) uses.
  const sol = await solve(problem, { solver: o.solver, timeLimit: o.timeLimit, differentiable: true, epsAbs: 1e-6, epsRel: 0 });
  const forward = Number(process.hrtime.bigint() - t0) / 1e9;
  const ok =
    (sol.status === 'solved' || sol.status === 'solvedInaccurate') &&
    Math.max(sol.primalResidual, sol.dualResidual, sol.dualityGap) <= 1e-6;
  if (!ok) {
    console.log(`${name}: forward ${sol.status}, skipped`);
    return;
  }
  const dx = new Float64Array(n).fill(1);
  for (const method of o.methods) {
    if (method === 'full' && n + m > o.fullMax) {
      rows.push({ problem: name, n, m, forward, method, error: `skipped: n + m > ${o.fullMax}` });
      continue;
    }
    try {
      // kkt-cached: the handle's first pass builds the factorization, the timed second one reuses it.
      if (method === 'kkt-cached') await differentiate(sol, { dx });
      const t1 = process.hrtime.bigint();
      const g =
        method === 'kkt-cached'
          ? await differentiate(sol, { dx })
          : await differentiate(problem, sol, { dx }, { method: method as DifferentiateMethod });
      const backward = Number(process.hrtime.bigint() - t1) / 1e9;
      const perFactor =
        method === 'kkt-cached' ? kktFactor(rows, name, g.solveTime) : g.factorTime > 0 ? (g.factorTime + g.solveTime) / g.factorTime : NaN;
      rows.push({ problem: name, n, m, forward, method, backward, factor: g.factorTime, perFactor, differentiable: g.differentiable });
    } catch (e) {
      rows.push({ problem: name, n, m, forward, method, error: (e as Error).message.slice(0, 80) });
    }
  }
  const mine = rows.filter((r) => r.problem === name);
  console.log(
    `${name} (n ${n}, m ${m}): forward ${forward.toFixed(3)} s; ` +
      mine.map((r) => `${r.method} ${r.backward !== undefined ? r.backward.toFixed(4) + ' s' : r.error}`).join(', '),
  );
}

function report(rows: Row[], o: Options): string {
  const lines: string[] = [];
  const methods = [...new Set(rows.map((r) => r.method))];
  const problems = [...new Set(rows.map((r) => r.problem))];
  lines.push(`# Backward benchmark (loss Σx; forward solver ${o.solver}; ${problems.length} problems)`);
  lines.push('');
  lines.push(
    '| method | completed | shifted GM backward (s) | median backward / forward | median (factor + solve) / factor, native (kkt-cached: solve / factor) |',
  );
  lines.push('|---|---:|---:|---:|---:|');
  for (const method of methods) {
    const rs = rows.filter((r) => r.method === method);
    const done = rs.filter((r) => r.backward !== undefined);
    lines.push(
      `| ${method} | ${done.length}/${rs.length} | ${shiftedGeometricMean(done.map((r) => r.backward!)).toFixed(4)} | ${upperMedian(done.map((r) => r.backward! / r.forward)).toFixed(3)} | ${upperMedian(done.filter((r) => Number.isFinite(r.perFactor)).map((r) => r.perFactor!)).toFixed(2)} |`,
    );
  }
  const kkt = new Map(rows.filter((r) => r.method === 'kkt' && r.backward !== undefined).map((r) => [r.problem, r]));
  const big = rows.filter((r) => r.method === 'full' && r.backward !== undefined && r.n >= 1000 && kkt.has(r.problem));
  if (big.length > 0) {
    // Split by kkt's verdict: at a degenerate point kkt may pay for a least-squares QR.
    const ratio = (rs: Row[]) =>
      `median ${upperMedian(rs.map((r) => r.backward! / kkt.get(r.problem)!.backward!)).toFixed(1)}× over ${rs.length}`;
    const regular = big.filter((r) => kkt.get(r.problem)!.differentiable);
    const degenerate = big.filter((r) => !kkt.get(r.problem)!.differentiable);
    lines.push('');
    lines.push(
      `full / kkt backward time at n ≥ 1000: ${ratio(big)} problems (differentiable points: ${ratio(regular)}; degenerate points: ${ratio(degenerate)})`,
    );
  }
  lines.push('');
  lines.push('| problem | n | m | forward (s) | method | backward (s) | backward / forward | (factor + solve) / factor | differentiable |');
  lines.push('|---|---:|---:|---:|---|---:|---:|---:|---|');
  for (const r of rows) {
    lines.push(
      `| ${r.problem} | ${r.n} | ${r.m} | ${r.forward.toFixed(3)} | ${r.method} | ${r.backward?.toFixed(4) ?? r.error} | ${r.backward !== undefined ? (r.backward / r.forward).toFixed(3) : ''} | ${r.perFactor !== undefined && Number.isFinite(r.perFactor) ? r.perFactor.toFixed(2) : ''} | ${r.differentiable ?? ''} |`,
    );
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  if (o.from) {
    // Rebuild the report from a saved run.
    const saved = JSON.parse(fs.readFileSync(o.from, 'utf8')) as Row[];
    console.log(report(saved, o));
    return;
  }
  const rows: Row[] = [];
  if (o.generated) {
    for (const [n, m] of [
      [1000, 300],
      [10000, 3000],
      [100000, 30000],
    ] as const)
      await runProblem(`gen-${n}`, generatedQp(n, m, n), o, rows);
  }
  if (o.dir && fs.existsSync(o.dir)) {
    const files = fs
      .readdirSync(o.dir)
      .filter((f) => /\.qps(\.gz)?$/i.test(f))
      .sort();
    for (const f of files) {
      const name = qpsNameFromPath(f);
      if (o.subset && !o.subset.has(name.toUpperCase())) continue;
      await runProblem(name, await readQps(path.join(o.dir, f)), o, rows);
    }
  }
  fs.mkdirSync(o.out, { recursive: true });
  const text = report(rows, o);
  fs.writeFileSync(path.join(o.out, 'report.md'), text);
  fs.writeFileSync(path.join(o.out, 'results.json'), JSON.stringify(rows, null, 1));
  console.log('\n' + text.split('\n').slice(0, 12).join('\n'));
  console.log(`report: ${path.join(o.out, 'report.md')}`);
}

if (require.main === module) runScript(command, main);
