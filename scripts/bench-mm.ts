/**
 * npm run bench:mm -- --dir <folder of .QPS/.QPS.gz> [--solvers highs,ipopt,clp,admm|all]
 *   [--tol low|mid|high] [--time-limit 1000] [--subset dense|sparse|NAME,NAME] [--jobs 1]
 *   [--out .bench/mm] [--fresh] [--polish]
 *
 * Runs every problem with every solver, measures the METHODS.md §3 residuals, and writes
 *   <out>/results.jsonl  one row per (problem, solver): status, residuals, times, success at
 *                        each tolerance. The run is resumable: rows already there are kept.
 *   <out>/results.csv    the same rows as CSV
 *   <out>/report.md      success counts per tolerance and shifted geometric mean runtimes
 *   <out>/profile-<tol>.svg  Dolan–Moré performance profiles, one per tolerance
 * Success at tolerance tol (as the QP benchmark of Caron et al.): the solver said solved
 * (status solved or solvedInaccurate) and r_p, r_d, r_g ≤ tol. A failure is charged the
 * time limit in the shifted geometric mean exp(mean(log(t + 10))) − 10.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readQps, qpsNameFromPath } from '../lib/qps';
import { availableSolvers, solve } from '../lib/solve';
import { QpError } from '../lib/errors';
import { isSuccess, performanceProfile, profileSvg, shiftedGeometricMean, tolerances, ToleranceName } from './bench-report';

interface Options {
  dir: string;
  solvers: string[];
  tol: ToleranceName;
  timeLimit: number;
  subset?: string;
  jobs: number;
  out: string;
  fresh: boolean;
  polish: boolean;
}

export interface ResultRow {
  problem: string;
  n: number;
  m: number;
  solver: string;
  tol: ToleranceName;
  status: string;
  rawStatus: string;
  objective: number | null;
  primalResidual: number | null;
  dualResidual: number | null;
  dualityGap: number | null;
  iterations: number;
  seconds: number;
  success: Record<ToleranceName, boolean>;
  error?: string;
}

function parse(argv: string[]): Options {
  const o: Options = { dir: '', solvers: ['highs'], tol: 'mid', timeLimit: 1000, jobs: 1, out: '.bench/mm', fresh: false, polish: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const v = () => {
      const x = argv[++k];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--dir') o.dir = v();
    else if (a === '--solvers') o.solvers = v().split(',');
    else if (a === '--tol') o.tol = v() as ToleranceName;
    else if (a === '--time-limit') o.timeLimit = Number(v());
    else if (a === '--subset') o.subset = v();
    else if (a === '--jobs') o.jobs = Math.max(1, Number(v()));
    else if (a === '--out') o.out = v();
    else if (a === '--fresh') o.fresh = true;
    else if (a === '--polish') o.polish = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.dir) throw new Error('--dir is required');
  if (!(o.tol in tolerances)) throw new Error(`--tol must be low, mid or high (got ${o.tol})`);
  if (o.solvers.includes('all')) o.solvers = availableSolvers().map((s) => s.key);
  if (!(o.timeLimit > 0)) throw new Error('--time-limit must be positive');
  return o;
}

function listProblems(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(qps|mps)(\.gz)?$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

async function runOne(file: string, solvers: string[], o: Options, done: Set<string>, sink: (r: ResultRow) => void): Promise<void> {
  const name = qpsNameFromPath(file);
  const todo = solvers.filter((s) => !done.has(`${name}\t${s}\t${o.tol}`));
  if (todo.length === 0) return;
  const problem = await readQps(file);
  const n = problem.q.length;
  const m = problem.A.nrows;
  if (o.subset === 'dense' && (n > 1000 || m > 1000)) return;
  if (o.subset === 'sparse' && n <= 1000 && m <= 1000) return;
  const eps = tolerances[o.tol];
  for (const solver of todo) {
    const started = process.hrtime.bigint();
    let row: ResultRow;
    try {
      const sol = await solve(problem, { solver, epsAbs: eps, epsRel: 0, timeLimit: o.timeLimit, polish: o.polish });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const r = { status: sol.status, primalResidual: sol.primalResidual, dualResidual: sol.dualResidual, dualityGap: sol.dualityGap };
      row = {
        problem: name, n, m, solver, tol: o.tol, status: sol.status, rawStatus: sol.rawStatusText, objective: sol.objective,
        primalResidual: sol.primalResidual, dualResidual: sol.dualResidual, dualityGap: sol.dualityGap,
        iterations: sol.iterations, seconds,
        success: { low: isSuccess(r, tolerances.low), mid: isSuccess(r, tolerances.mid), high: isSuccess(r, tolerances.high) },
      };
    } catch (e) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      row = {
        problem: name, n, m, solver, tol: o.tol, status: 'error', rawStatus: '', objective: null, primalResidual: null, dualResidual: null,
        dualityGap: null, iterations: 0, seconds, success: { low: false, mid: false, high: false },
        error: e instanceof QpError ? `${e.code}: ${e.message}` : String(e),
      };
    }
    sink(row);
  }
}

function fmt(v: number | null): string {
  return v === null ? '' : Number.isFinite(v) ? v.toExponential(3) : String(v);
}

function writeReport(rows: ResultRow[], o: Options): string {
  const solvers = [...new Set(rows.map((r) => r.solver))];
  const problems = [...new Set(rows.map((r) => r.problem))];
  const lines: string[] = [];
  lines.push(`# Maros–Meszaros benchmark (${problems.length} problems, solver tolerance ${o.tol} = ${tolerances[o.tol]}, time limit ${o.timeLimit} s${o.polish ? ', polish on' : ''})`);
  lines.push('');
  lines.push('Success at tol: the solver reported a solution and r_p, r_d, r_g ≤ tol (METHODS.md §3). Shifted geometric mean of runtime (shift 10 s) charges a failure the time limit.');
  lines.push('');
  lines.push('| solver | problems | success ≤ 1e-3 | success ≤ 1e-6 | success ≤ 1e-9 | shifted GM (s) at 1e-6 |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const s of solvers) {
    const rs = rows.filter((r) => r.solver === s);
    const count = (t: ToleranceName) => rs.filter((r) => r.success[t]).length;
    const pct = (c: number) => `${c} (${((100 * c) / rs.length).toFixed(1)}%)`;
    const sgm = shiftedGeometricMean(rs.map((r) => (r.success.mid ? r.seconds : o.timeLimit)));
    lines.push(`| ${s} | ${rs.length} | ${pct(count('low'))} | ${pct(count('mid'))} | ${pct(count('high'))} | ${sgm.toFixed(3)} |`);
  }
  lines.push('');
  lines.push('Note: an absolute gap of 1e-9 is below double precision once |objective| exceeds ~8e6, and 1e-6 once it exceeds ~4e9 (METHODS.md §3); such failures are marked † below.');
  lines.push('');
  lines.push('| problem | n | m | solver | status | r_p | r_d | r_g | seconds |');
  lines.push('|---|---:|---:|---|---|---:|---:|---:|---:|');
  for (const r of rows) {
    const dagger = r.objective !== null && Math.abs(r.objective) > 8e6 && !r.success.high ? ' †' : '';
    lines.push(`| ${r.problem} | ${r.n} | ${r.m} | ${r.solver} | ${r.status}${dagger}${r.error ? ` (${r.error.slice(0, 60)})` : ''} | ${fmt(r.primalResidual)} | ${fmt(r.dualResidual)} | ${fmt(r.dualityGap)} | ${r.seconds.toFixed(3)} |`);
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  fs.mkdirSync(o.out, { recursive: true });
  const jsonl = path.join(o.out, 'results.jsonl');
  if (o.fresh && fs.existsSync(jsonl)) fs.rmSync(jsonl);
  const previous: ResultRow[] = fs.existsSync(jsonl)
    ? fs.readFileSync(jsonl, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ResultRow)
    : [];
  const done = new Set(previous.map((r) => `${r.problem}\t${r.solver}\t${r.tol}`));
  let files = listProblems(o.dir);
  if (o.subset && o.subset !== 'dense' && o.subset !== 'sparse') {
    const names = new Set(o.subset.split(',').map((s) => s.toUpperCase()));
    files = files.filter((f) => names.has(qpsNameFromPath(f).toUpperCase()));
  }
  const rows = [...previous];
  const tty = process.stdout.isTTY;
  const start = Date.now();
  let finished = 0;
  const sink = (r: ResultRow) => {
    rows.push(r);
    fs.appendFileSync(jsonl, JSON.stringify(r) + '\n');
  };
  const progress = (file: string) => {
    finished++;
    const elapsed = (Date.now() - start) / 1000;
    const eta = (elapsed / finished) * (files.length - finished);
    const line = `[${finished}/${files.length}] ${qpsNameFromPath(file)}  elapsed ${elapsed.toFixed(0)} s  ETA ${eta.toFixed(0)} s`;
    if (tty) process.stdout.write(`\r${line.padEnd(78)}`);
    else console.log(line);
  };
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      await runOne(file, o.solvers, o, done, sink);
      progress(file);
    }
  };
  await Promise.all(Array.from({ length: o.jobs }, worker));
  if (tty) process.stdout.write('\n');
  const current = rows.filter((r) => o.solvers.includes(r.solver) && r.tol === o.tol && files.some((f) => qpsNameFromPath(f) === r.problem));
  current.sort((a, b) => a.problem.localeCompare(b.problem) || a.solver.localeCompare(b.solver));
  const header = 'problem,n,m,solver,tol,status,raw_status,objective,r_p,r_d,r_g,iterations,seconds,success_low,success_mid,success_high';
  const csv = current.map((r) =>
    [r.problem, r.n, r.m, r.solver, r.tol, r.status, JSON.stringify(r.rawStatus), r.objective ?? '', r.primalResidual ?? '', r.dualResidual ?? '', r.dualityGap ?? '', r.iterations, r.seconds, r.success.low, r.success.mid, r.success.high].join(','),
  );
  fs.writeFileSync(path.join(o.out, 'results.csv'), [header, ...csv].join('\n') + '\n');
  for (const t of Object.keys(tolerances) as ToleranceName[]) {
    const names = [...new Set(current.map((r) => r.problem))];
    const times: Record<string, number[]> = {};
    for (const s of new Set(current.map((r) => r.solver))) {
      times[s] = names.map((p) => {
        const r = current.find((x) => x.problem === p && x.solver === s);
        return r && r.success[t] ? r.seconds : Infinity;
      });
    }
    const title = `Performance profile, success at ${tolerances[t]} (${names.length} problems)`;
    fs.writeFileSync(path.join(o.out, `profile-${t}.svg`), profileSvg(title, performanceProfile(times)));
  }
  const report = writeReport(current, o);
  fs.writeFileSync(path.join(o.out, 'report.md'), report);
  console.log(report.split('\n').slice(0, 8 + new Set(current.map((r) => r.solver)).size).join('\n'));
  console.log(`\nrows: ${path.join(o.out, 'results.csv')}, report: ${path.join(o.out, 'report.md')}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
