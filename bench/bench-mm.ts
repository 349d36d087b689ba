/**
 * npm run bench:mm -- [--dir <folder of .QPS/.QPS.gz>] [options]   (the options: `command` below, or --help)
 *
 * Runs every problem with every solver, measures the docs/METHODS.md §3 residuals, and writes
 *   <out>/results.jsonl  one row per (problem, solver): status, residuals, times, success at
 *                        each tolerance. The run is resumable: rows already there are kept
 *                        when they were made with the same tolerance, repetitions and
 *                        backward method (or none); other rows are run again.
 *   <out>/results.csv    the same rows as CSV
 *   <out>/report.md      success counts per tolerance and shifted geometric mean runtimes
 *   <out>/profile-<tol>.svg  Dolan–Moré performance profiles, one per tolerance
 * Success at tolerance tol (as the QP benchmark of Caron et al.): the solver said solved
 * (status solved or solvedInaccurate) within the time limit and r_p, r_d, r_g ≤ tol. A failure is charged the
 * time limit in the shifted geometric mean exp(mean(log(t + 10))) − 10.
 *
 * --repetitions k   solve each problem k times; `seconds` is the median wall time (all times
 *                   are kept in the row). A solve that throws or hits the time limit is not
 *                   repeated: it would only cost the same again.
 * --backward [m]    after a forward solve that gave a solution (solved or solvedInaccurate),
 *                   differentiate L = Σx (dx = ones, as in the dQP paper) with method m
 *                   (default kkt). The row gets the backward seconds, whether it was ok
 *                   (returned, every gradient finite), `differentiable` and its reason, or the
 *                   error; a backward that throws does not stop the run. The report adds
 *                   forward+backward success, its shifted geometric mean and the backward share.
 * --solvers auto    the row records which solver answered (`answeredBy`); the report counts them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readQps, qpsNameFromPath, QpsProblem } from '../lib/qps';
import { availableSolvers, solve, Solution } from '../lib/solve';
import { MM_DIR_ENV, MM_SET_MISSING, mmSetDir } from '../lib/mm-set';
import { differentiate, DifferentiateMethod } from '../lib/differentiate';
import { QpError } from '../lib/errors';
import { Command, listFlag, numberFlag, parseCommand, runScript, UsageError } from '../lib/args';
import {
  allFinite,
  backwardShare,
  countOccurrences,
  forwardBackwardCharge,
  isForwardBackwardSuccess,
  isSuccess,
  median,
  performanceProfile,
  profileSvg,
  shiftedGeometricMean,
  tolerances,
  ToleranceName,
  failureCause,
  parsePeers,
} from './bench-report';

const backwardMethods: readonly DifferentiateMethod[] = ['kkt', 'full', 'penalty', 'qp'];

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
  repetitions: number;
  /** Set by --backward: the differentiate method to time after each forward solve. */
  backward?: DifferentiateMethod;
  /** --peers: other solvers' results on the same problems, set beside ours (default <dir>/../benchmarks/peers-mm.csv). */
  peers?: string;
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
  /** The median of allSeconds (the forward wall times). */
  seconds: number;
  success: Record<ToleranceName, boolean>;
  error?: string;
  /** Absent in rows from before --repetitions (one run). */
  repetitions?: number;
  allSeconds?: number[];
  /** With solver 'auto': the solver whose answer was kept. */
  answeredBy?: string;
  /** 'auto': every attempt as solver:status:seconds, in order. */
  attempts?: string[];
  /** Present when --backward was given; null fields mean the backward pass was not run (no solution). */
  backwardMethod?: DifferentiateMethod;
  backwardSeconds?: number | null;
  /** Returned without throwing and every gradient finite. */
  backwardOk?: boolean;
  differentiable?: boolean | null;
  differentiableReason?: string;
  backwardError?: string;
}

/** Rows are reused on resume only when made the same way (see the usage at the top). */
function resumeKey(r: {
  problem: string;
  solver: string;
  tol: ToleranceName;
  repetitions?: number;
  backwardMethod?: DifferentiateMethod;
}): string {
  return [r.problem, r.solver, r.tol, r.repetitions ?? 1, r.backwardMethod ?? 'none'].join('\t');
}

export const command = {
  name: 'bench:mm',
  run: 'npm run bench:mm --',
  synopsis: '[--dir DIR] [options]',
  about:
    'Solves every Maros–Meszaros problem in DIR with each solver and writes results.jsonl, results.csv,\nreport.md and the performance profiles to --out (resumable; see bench/bench-mm.ts).',
  flags: {
    dir: {
      type: 'string',
      arg: 'DIR',
      help: `folder of .QPS/.MPS files, gzipped or not (default: $${MM_DIR_ENV} or ../shared/maros-meszaros)`,
    },
    solvers: { type: 'string', arg: 'KEY,KEY', default: 'highs', help: 'solver keys, auto (records which answered) or all' },
    tol: { type: 'string', arg: 'low|mid|high', default: 'mid', help: 'the tolerance solvers are asked for' },
    'time-limit': { type: 'string', arg: 'SECONDS', default: '1000', help: 'time limit per solve, charged to a failure' },
    subset: {
      type: 'string',
      arg: 'dense|sparse|NAME,NAME',
      help: 'only the problems with n, m ≤ 1000 (dense), the others (sparse), or these',
    },
    jobs: { type: 'string', arg: 'N', default: '1', help: 'problems solved at once' },
    out: { type: 'string', arg: 'DIR', default: '.bench/mm', help: 'where the results go' },
    fresh: { type: 'boolean', help: 'start over instead of resuming' },
    polish: { type: 'boolean', help: 'polish every answer' },
    repetitions: { type: 'string', arg: 'K', default: '1', help: 'solves per problem; seconds is their median' },
    backward: { type: 'string', arg: backwardMethods.join('|'), bare: 'kkt', help: 'time a backward pass after each forward solve' },
    peers: {
      type: 'string',
      arg: 'CSV',
      help: "other solvers' results beside ours (default: DIR/../benchmarks/peers-mm.csv when it exists)",
    },
  },
} satisfies Command;

function parse(argv: string[]): Options {
  const { values: v } = parseCommand(command, argv);
  const dir = v.dir ?? mmSetDir();
  if (dir === undefined) throw new UsageError(`--dir not given, and ${MM_SET_MISSING}`);
  if (!fs.existsSync(dir)) throw new UsageError(`--dir: no such folder '${dir}'`);
  if (!(v.tol in tolerances)) throw new UsageError(`--tol must be low, mid or high (got '${v.tol}')`);
  if (v.backward !== undefined && !(backwardMethods as readonly string[]).includes(v.backward))
    throw new UsageError(`--backward method must be ${backwardMethods.join(', ')} (got '${v.backward}')`);
  const solvers = listFlag(v.solvers);
  const o: Options = {
    dir,
    solvers: solvers.includes('all') ? availableSolvers().map((s) => s.key) : solvers,
    tol: v.tol as ToleranceName,
    timeLimit: numberFlag('time-limit', v['time-limit'], { above: 0 }),
    jobs: numberFlag('jobs', v.jobs, { min: 1, integer: true }),
    out: v.out,
    fresh: v.fresh,
    polish: v.polish,
    repetitions: numberFlag('repetitions', v.repetitions, { min: 1, integer: true }),
  };
  if (v.subset !== undefined) o.subset = v.subset;
  if (v.backward !== undefined) o.backward = v.backward as DifferentiateMethod;
  if (v.peers !== undefined) o.peers = v.peers;
  return o;
}

function listProblems(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(qps|mps)(\.gz)?$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

function describeError(e: unknown): string {
  return e instanceof QpError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const hasSolution = (s: Solution | undefined): s is Solution =>
  s !== undefined && (s.status === 'solved' || s.status === 'solvedInaccurate');

/** o.repetitions forward solves (the last solution kept), then, with --backward, one backward pass. */
async function measure(problem: QpsProblem, name: string, solver: string, o: Options): Promise<ResultRow> {
  const n = problem.q.length;
  const m = problem.A.nrows;
  const eps = tolerances[o.tol];
  const allSeconds: number[] = [];
  let sol: Solution | undefined;
  let error: string | undefined;
  for (let k = 0; k < o.repetitions; k++) {
    sol?.dispose?.();
    sol = undefined;
    const started = process.hrtime.bigint();
    try {
      sol = await solve(problem, {
        solver,
        epsAbs: eps,
        epsRel: 0,
        timeLimit: o.timeLimit,
        polish: o.polish,
        differentiable: o.backward !== undefined,
      });
    } catch (e) {
      error = describeError(e);
    }
    allSeconds.push(secondsSince(started));
    if (!sol || sol.status === 'timeLimit') break;
  }
  const timing = { seconds: median(allSeconds), repetitions: o.repetitions, allSeconds };
  let row: ResultRow;
  if (sol) {
    const r = { status: sol.status, primalResidual: sol.primalResidual, dualResidual: sol.dualResidual, dualityGap: sol.dualityGap };
    const inTime = timing.seconds <= o.timeLimit;
    row = {
      problem: name,
      n,
      m,
      solver,
      tol: o.tol,
      status: sol.status,
      rawStatus: sol.rawStatusText,
      objective: sol.objective,
      primalResidual: sol.primalResidual,
      dualResidual: sol.dualResidual,
      dualityGap: sol.dualityGap,
      iterations: sol.iterations,
      ...timing,
      // An answer after the time limit is a timeout, as in the peers' runs (60 s wall).
      success: {
        low: inTime && isSuccess(r, tolerances.low),
        mid: inTime && isSuccess(r, tolerances.mid),
        high: inTime && isSuccess(r, tolerances.high),
      },
    };
    if (solver === 'auto') {
      row.answeredBy = sol.solver;
      row.attempts = (sol.attempts ?? []).map((a) => `${a.solver}:${a.status}:${a.seconds.toFixed(2)}`);
    }
  } else {
    row = {
      problem: name,
      n,
      m,
      solver,
      tol: o.tol,
      status: 'error',
      rawStatus: '',
      objective: null,
      primalResidual: null,
      dualResidual: null,
      dualityGap: null,
      iterations: 0,
      ...timing,
      success: { low: false, mid: false, high: false },
      error: error ?? 'no solution',
    };
  }
  if (o.backward) {
    row.backwardMethod = o.backward;
    row.backwardSeconds = null;
    row.backwardOk = false;
    row.differentiable = null;
    if (hasSolution(sol)) {
      const dx = new Float64Array(n).fill(1); // L = Σx
      const started = process.hrtime.bigint();
      try {
        const g = await differentiate(sol, { dx }, { method: o.backward });
        row.backwardSeconds = secondsSince(started);
        row.backwardOk = allFinite([g.dP, g.dq, g.dA, g.dl, g.du, g.dG, g.dh, g.db, g.dlb, g.dub]);
        row.differentiable = g.differentiable;
        row.differentiableReason = g.reason.slice(0, 160);
      } catch (e) {
        row.backwardSeconds = secondsSince(started);
        row.backwardError = describeError(e).slice(0, 300);
      }
    }
  }
  sol?.dispose?.();
  return row;
}

async function runOne(file: string, solvers: string[], o: Options, done: Set<string>, sink: (r: ResultRow) => void): Promise<void> {
  const name = qpsNameFromPath(file);
  const todo = solvers.filter(
    (solver) => !done.has(resumeKey({ problem: name, solver, tol: o.tol, repetitions: o.repetitions, backwardMethod: o.backward })),
  );
  if (todo.length === 0) return;
  const problem = await readQps(file);
  const n = problem.q.length;
  const m = problem.A.nrows;
  if (o.subset === 'dense' && (n > 1000 || m > 1000)) return;
  if (o.subset === 'sparse' && n <= 1000 && m <= 1000) return;
  for (const solver of todo) sink(await measure(problem, name, solver, o));
}

function fmt(v: number | null): string {
  return v === null ? '' : Number.isFinite(v) ? v.toExponential(3) : String(v);
}

/** Free text in a Markdown table cell: no pipes or line breaks. */
function cell(text: string, max = 60): string {
  return text.slice(0, max).replace(/\|/g, '\\|').replace(/\s+/g, ' ');
}

const pct = (count: number, of: number) => `${count} (${of === 0 ? '0.0' : ((100 * count) / of).toFixed(1)}%)`;

/** The first clause of a long message (up to its first parenthesis, colon or semicolon). */
function firstClause(text: string, max = 50): string {
  const clause = text.split(/ \(|[:;]/)[0]!.trim();
  return clause.length <= max ? clause : `${clause.slice(0, max - 1)}…`;
}

function backwardCell(r: ResultRow): string {
  if (r.backwardError) return `threw: ${cell(r.backwardError, 80)}`;
  if (r.differentiable === null || r.differentiable === undefined) return '—';
  const finite = r.backwardOk ? '' : ' (non-finite gradient)';
  return r.differentiable ? `yes${finite}` : `no${finite}${r.differentiableReason ? `: ${cell(firstClause(r.differentiableReason))}` : ''}`;
}

/** The report: the summary tables (also printed) and the per-problem table. */
function writeReport(rows: ResultRow[], o: Options): { summary: string; full: string } {
  const solvers = [...new Set(rows.map((r) => r.solver))];
  const problems = [...new Set(rows.map((r) => r.problem))];
  const tol = tolerances[o.tol].toExponential(0);
  const lines: string[] = [];
  const extras = [
    o.polish ? 'polish on' : '',
    o.repetitions > 1 ? `median of ${o.repetitions} forward solves` : '',
    o.backward ? `backward ${o.backward}` : '',
  ].filter(Boolean);
  lines.push(
    `# Maros–Meszaros benchmark (${problems.length} problems, solver tolerance ${o.tol} = ${tol}, time limit ${o.timeLimit} s${extras.map((e) => `, ${e}`).join('')})`,
  );
  lines.push('');
  lines.push(
    'Success at tol: the solver reported a solution and r_p, r_d, r_g ≤ tol (docs/METHODS.md §3). Shifted geometric mean of runtime (shift 10 s) charges a failure the time limit.',
  );
  lines.push('');
  lines.push('| solver | problems | success ≤ 1e-3 | success ≤ 1e-6 | success ≤ 1e-9 | shifted GM (s) at 1e-6 |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const s of solvers) {
    const rs = rows.filter((r) => r.solver === s);
    const count = (t: ToleranceName) => rs.filter((r) => r.success[t]).length;
    const sgm = shiftedGeometricMean(rs.map((r) => (r.success.mid ? r.seconds : o.timeLimit)));
    lines.push(
      `| ${s} | ${rs.length} | ${pct(count('low'), rs.length)} | ${pct(count('mid'), rs.length)} | ${pct(count('high'), rs.length)} | ${sgm.toFixed(3)} |`,
    );
  }
  if (o.backward) {
    lines.push('');
    lines.push(`## Forward + backward (differentiate method ${o.backward}, loss L = Σx)`);
    lines.push('');
    lines.push(
      'F+B success at tol: forward success at tol and the backward pass returned with every gradient finite. ' +
        `Shifted GM of forward + backward seconds at the run's tolerance ${tol}, a failure charged the time limit. ` +
        'Backward share: Σ backward / Σ (forward + backward) over the problems whose backward pass ran (forward gave a solution).',
    );
    lines.push('');
    lines.push(
      `| solver | method | backward ok / ran | not differentiable | F+B ≤ 1e-3 | F+B ≤ 1e-6 | F+B ≤ 1e-9 | F+B shifted GM (s) at ${tol} | backward share |`,
    );
    lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of solvers) {
      const rs = rows.filter((r) => r.solver === s);
      const ran = rs.filter((r) => typeof r.backwardSeconds === 'number');
      const threw = ran.filter((r) => r.backwardError).length;
      const ok = rs.filter((r) => r.backwardOk).length;
      const notDifferentiable = rs.filter((r) => r.differentiable === false).length;
      const count = (t: ToleranceName) => rs.filter((r) => isForwardBackwardSuccess(r, t)).length;
      const sgm = shiftedGeometricMean(rs.map((r) => forwardBackwardCharge(r, o.tol, o.timeLimit)));
      const share = backwardShare(
        ran.map((r) => r.seconds),
        ran.map((r) => r.backwardSeconds as number),
      );
      lines.push(
        `| ${s} | ${o.backward} | ${ok} / ${ran.length}${threw ? ` (${threw} threw)` : ''} | ${notDifferentiable} | ${pct(count('low'), rs.length)} | ${pct(count('mid'), rs.length)} | ${pct(count('high'), rs.length)} | ${sgm.toFixed(3)} | ${Number.isNaN(share) ? '—' : `${(100 * share).toFixed(1)}%`} |`,
      );
    }
  }
  const autoRows = rows.filter((r) => r.solver === 'auto');
  if (autoRows.length > 0) {
    lines.push('');
    lines.push(`## Solver 'auto': which solver answered`);
    lines.push('');
    lines.push(`| answered by | problems | success ≤ ${tol} |`);
    lines.push('|---|---:|---:|');
    for (const [answeredBy, count] of countOccurrences(autoRows.map((r) => r.answeredBy ?? '(no answer)'))) {
      const succeeded = autoRows.filter((r) => (r.answeredBy ?? '(no answer)') === answeredBy && r.success[o.tol]).length;
      lines.push(`| ${answeredBy} | ${count} | ${succeeded} |`);
    }
  }
  const peersFile = o.peers ?? path.resolve(o.dir, '..', 'benchmarks', 'peers-mm.csv');
  if (fs.existsSync(peersFile)) {
    const peers = parsePeers(fs.readFileSync(peersFile, 'utf8')).filter((p) => p.tol === o.tol && problems.includes(p.problem));
    const tolValue = tolerances[o.tol];
    lines.push('');
    lines.push(`## Beside the peers (${path.basename(peersFile)}), success at ${tol}`);
    lines.push('');
    lines.push(
      `Peers measured on the same problems with the same success test (their file's README); a failure is charged ${o.timeLimit} s here as for ours.`,
    );
    lines.push('');
    lines.push(`| solver | problems | success ≤ ${tol} | shifted GM (s) at ${tol} |`);
    lines.push('|---|---:|---:|---:|');
    for (const s of solvers) {
      const rs = rows.filter((r) => r.solver === s);
      const sgm = shiftedGeometricMean(rs.map((r) => (r.success[o.tol] ? r.seconds : o.timeLimit)));
      lines.push(`| ${s} (diffqp) | ${rs.length} | ${pct(rs.filter((r) => r.success[o.tol]).length, rs.length)} | ${sgm.toFixed(3)} |`);
    }
    for (const ps of [...new Set(peers.map((p) => p.solver))]) {
      const rs = peers.filter((p) => p.solver === ps);
      const sgm = shiftedGeometricMean(rs.map((p) => (p.solved ? p.seconds : o.timeLimit)));
      lines.push(`| ${ps} | ${rs.length} | ${pct(rs.filter((p) => p.solved).length, rs.length)} | ${sgm.toFixed(3)} |`);
    }
    lines.push('');
    lines.push(`### Failures at ${tol} and their causes`);
    lines.push('');
    const peerNames = [...new Set(peers.map((p) => p.solver))];
    lines.push(`| problem | solver | status | cause | ${peerNames.join(' | ')} |`);
    lines.push(`|---|---|---|---|${peerNames.map(() => '---').join('|')}|`);
    for (const r of rows) {
      if (r.success[o.tol]) continue;
      const peerCells = peerNames.map((ps) => {
        const p = peers.find((x) => x.solver === ps && x.problem === r.problem);
        return p ? (p.solved ? `solved (${p.seconds.toFixed(2)} s)` : p.status) : '—';
      });
      lines.push(
        `| ${r.problem} | ${r.solver} | ${r.status} | ${failureCause(r, tolValue, o.timeLimit).replace(/\|/g, '\\|')} | ${peerCells.join(' | ')} |`,
      );
    }
  }
  const summary = lines.join('\n') + '\n';
  lines.push('');
  lines.push(
    'Note: an absolute gap of 1e-9 is below double precision once |objective| exceeds ~8e6, and 1e-6 once it exceeds ~4e9 (docs/METHODS.md §3); such failures are marked † below.',
  );
  lines.push('');
  const repeated = o.repetitions > 1;
  lines.push(
    `| problem | n | m | solver | status | r_p | r_d | r_g | seconds${repeated ? ' (median) | min–max' : ''}${o.backward ? ' | backward s | differentiable' : ''} |`,
  );
  lines.push(`|---|---:|---:|---|---|---:|---:|---:|---:${repeated ? '|---:' : ''}${o.backward ? '|---:|---' : ''}|`);
  for (const r of rows) {
    const dagger = r.objective !== null && Math.abs(r.objective) > 8e6 && !r.success.high ? ' †' : '';
    const tried = r.attempts && r.attempts.length > 1 ? ` (tried ${r.attempts.join(', ')})` : '';
    const solver = r.answeredBy ? `${r.solver} → ${r.answeredBy}${tried}` : r.solver;
    const times = r.allSeconds ?? [r.seconds];
    const range = repeated ? ` | ${Math.min(...times).toFixed(3)}–${Math.max(...times).toFixed(3)}` : '';
    const backward = o.backward
      ? ` | ${typeof r.backwardSeconds === 'number' ? r.backwardSeconds.toFixed(3) : '—'} | ${backwardCell(r)}`
      : '';
    lines.push(
      `| ${r.problem} | ${r.n} | ${r.m} | ${solver} | ${r.status}${dagger}${r.error ? ` (${cell(r.error)})` : ''} | ${fmt(r.primalResidual)} | ${fmt(r.dualResidual)} | ${fmt(r.dualityGap)} | ${r.seconds.toFixed(3)}${range}${backward} |`,
    );
  }
  return { summary, full: lines.join('\n') + '\n' };
}

/** A CSV field: quoted (with doubled quotes) when it holds a comma, quote or line break. */
function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const text = String(v);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  fs.mkdirSync(o.out, { recursive: true });
  const jsonl = path.join(o.out, 'results.jsonl');
  if (o.fresh && fs.existsSync(jsonl)) fs.rmSync(jsonl);
  const previous: ResultRow[] = fs.existsSync(jsonl)
    ? fs
        .readFileSync(jsonl, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ResultRow)
    : [];
  const done = new Set(previous.map(resumeKey));
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
  // One row per (problem, solver) made as this run asks (the latest, if resumed runs repeated one).
  const wanted = new Set(
    files.flatMap((f) =>
      o.solvers.map((solver) =>
        resumeKey({ problem: qpsNameFromPath(f), solver, tol: o.tol, repetitions: o.repetitions, backwardMethod: o.backward }),
      ),
    ),
  );
  const latest = new Map<string, ResultRow>();
  for (const r of rows) if (wanted.has(resumeKey(r))) latest.set(resumeKey(r), r);
  const current = [...latest.values()];
  current.sort((a, b) => a.problem.localeCompare(b.problem) || a.solver.localeCompare(b.solver));
  const header =
    'problem,n,m,solver,tol,status,raw_status,objective,r_p,r_d,r_g,iterations,seconds,success_low,success_mid,success_high,' +
    'repetitions,seconds_min,seconds_max,seconds_all,answered_by,backward_method,backward_seconds,backward_ok,differentiable,differentiable_reason,backward_error,error';
  const csv = current.map((r) => {
    const times = r.allSeconds ?? [r.seconds];
    return [
      r.problem,
      r.n,
      r.m,
      r.solver,
      r.tol,
      r.status,
      r.rawStatus,
      r.objective,
      r.primalResidual,
      r.dualResidual,
      r.dualityGap,
      r.iterations,
      r.seconds,
      r.success.low,
      r.success.mid,
      r.success.high,
      r.repetitions ?? 1,
      Math.min(...times),
      Math.max(...times),
      times.join(' '),
      r.answeredBy,
      r.backwardMethod,
      r.backwardSeconds,
      r.backwardMethod ? r.backwardOk : undefined,
      r.differentiable,
      r.differentiableReason,
      r.backwardError,
      r.error,
    ]
      .map(csvField)
      .join(',');
  });
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
  fs.writeFileSync(path.join(o.out, 'report.md'), report.full);
  console.log(report.summary);
  console.log(`\nrows: ${path.join(o.out, 'results.csv')}, report: ${path.join(o.out, 'report.md')}`);
}

if (require.main === module) runScript(command, main);
