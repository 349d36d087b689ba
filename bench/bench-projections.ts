/**
 * npm run bench:projections [-- options]   (the options: `command` below, or --help)
 *
 * Large projections, the memory of a solve and two solves at once: the part of the benchmark
 * that `npm run bench` (bench/bench.ts, families at n ≤ 10⁴–10⁶ with peers and backward)
 * leaves out. Every measurement runs in a fresh child process (node --expose-gc), so that one
 * solve's allocations, caches and heap never colour the next, and a solver that runs past its
 * time limit is killed and recorded as such.
 *
 *   forward      simplex projection (min ½‖x − v‖² s.t. Σx = 1, x ≥ 0) and chain-box projection
 *                (min ½‖x − v‖² s.t. −1 ≤ x_i − x_{i+1} ≤ 1), bench/bench-families.ts, at each
 *                size, by each solver with a time limit (a solver that fails or overruns at one
 *                size, or whose time scaled linearly predicts an overrun, is not run at the next).
 *                Wall time of `await solve(…)` (median of up to --reps runs), against the time of
 *                the independent reference in the same process (the sort-based simplex
 *                projection; the exact dynamic programme for chain-box), max|x − x_ref|, and for
 *                chain-box a certificate of x computed without any solver (boundedDifferencesKkt).
 *   memory       peak growth of the resident set during one `await solve(…)` (which copies the
 *                caller's arrays first) and during one `solveSync(…)` (which borrows them): in the child, after
 *                the problem is built, a warm-up solve and two full GCs, the kernel's high-water
 *                mark is reset (echo 5 > /proc/self/clear_refs), VmRSS is read as the baseline,
 *                and after the solve VmHWM − baseline is the solve's peak; divided by the bytes of
 *                the input typed arrays (P, q, A, l, u, lb, ub). Also on a larger chain-box
 *                (default n = 2·10⁶) for ipm and admm, with its own time limit.
 *   concurrency  two solves of one problem at once (Promise.all of two `solve` calls, on the
 *                libuv threadpool) against the same two one after the other, alternating which
 *                goes first, --rounds times; the ratio of medians. Both concurrent answers must
 *                equal the sequential one bit for bit.
 *
 * Writes the Markdown report to stdout and <out>/projections.md, every number to
 * <out>/projections.json; progress goes to stderr. The load average before and after each part
 * is in the report: on a 2-core machine any other busy process distorts the concurrency ratio.
 */
import { ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CanonicalProblem } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';
import { availableSolvers, solve, Solution, solveSync } from '../lib/solve';
import { fmtE, fmtMB, fmtN, fmtRatio, fmtTime } from './bench';
import {
  boundedDifferencesKkt,
  FamilyName,
  familyNames,
  generate,
  isotonicRegression,
  projectBoundedDifferences,
  projectSimplex,
} from './bench-families';
import { median } from './bench-report';
import { Command, listFlag, numberFlag, parseCommand, runScript, UsageError } from '../lib/args';

// ---------------------------------------------------------------------------------------------
// Goals (the issue's targets on the 2-core machine class).

export const goals = {
  /** Forward wall time of ipm, seconds, by n. */
  forwardSeconds: new Map<number, number>([
    [1e5, 0.3],
    [1e6, 4],
  ]),
  /** Peak ΔRSS of one solve over the bytes of the input arrays. */
  memoryRatio: 6,
  /** Two concurrent solves over the same two in sequence. */
  concurrencyRatio: 0.65,
};

// ---------------------------------------------------------------------------------------------
// Pure helpers (bench/bench-projections.test.ts).

/** Bytes of the input typed arrays of a problem: P, q, A (column pointers, row indices, values), l, u, lb, ub. */
export function inputBytes(p: CanonicalProblem<Float64Array, CscMatrix>): number {
  let b = p.q.byteLength;
  for (const M of [p.P, p.A]) if (M) b += M.colPtr.byteLength + M.rowIdx.byteLength + M.values.byteLength;
  for (const v of [p.l, p.u, p.lb, p.ub]) if (v) b += v.byteLength;
  return b;
}

/** VmRSS and VmHWM (bytes) from the text of /proc/<pid>/status; undefined when a field is missing. */
export function parseProcStatus(text: string): { rss?: number; hwm?: number } {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const out: { rss?: number; hwm?: number } = {};
  const rss = field('VmRSS');
  const hwm = field('VmHWM');
  if (rss !== undefined) out.rss = rss;
  if (hwm !== undefined) out.hwm = hwm;
  return out;
}

/**
 * The independent reference of a projection family, from the problem data (v = −q, P = I):
 * the sort-based simplex projection, pool-adjacent-violators, the exact chain-box programme.
 */
export function projectionReference(family: FamilyName): { how: string; project(v: Float64Array): Float64Array } | undefined {
  switch (family) {
    case 'simplex':
      return { how: 'sort-based closed form', project: projectSimplex };
    case 'chain':
      return { how: 'pool-adjacent-violators', project: isotonicRegression };
    case 'chain-box':
      return { how: 'exact dynamic programme', project: (v) => projectBoundedDifferences(v) };
    default:
      return undefined;
  }
}

/**
 * Whether a solver should run at size n of a family, given how it did at the previous size:
 * not after a failure or an overrun, nor when its time scaled linearly in n would pass the limit.
 */
export function skipReason(
  prev: { n: number; seconds?: number; failed?: string } | undefined,
  n: number,
  timeLimit: number,
): string | undefined {
  if (!prev) return undefined;
  if (prev.failed) return `n = ${fmtSize(prev.n)} ended ${prev.failed}`;
  if (prev.seconds !== undefined && prev.seconds * (n / prev.n) > timeLimit) {
    return `n = ${fmtSize(prev.n)} took ${fmtTime(prev.seconds)}: predicted ${fmtTime(prev.seconds * (n / prev.n))} > the ${timeLimit} s limit`;
  }
  return undefined;
}

/** n as 10⁵ or 2·10⁶ when it is a digit times a power of ten ≥ 10⁴, else as is. */
export function fmtSize(n: number): string {
  if (n >= 1e4) {
    const k = Math.floor(Math.log10(n) + 1e-9);
    const a = n / 10 ** k;
    if (Number.isInteger(a) && a < 10) return a === 1 ? fmtN(n) : `${a}·${fmtN(10 ** k)}`;
  }
  return String(n);
}

/** "met" / "not met" for measured ≤ target; "not measured" when there is no measurement. */
export function verdict(measured: number | undefined, target: number): string {
  if (measured === undefined || !Number.isFinite(measured)) return 'not measured';
  return measured <= target ? 'met' : 'not met';
}

/**
 * The concurrency verdict: a ratio above the target says nothing when the process could not
 * even keep one core busy while solving one problem at a time (other processes had the CPUs).
 */
export function concurrencyVerdict(ratio: number, coresSequential: number): string {
  if (!Number.isFinite(ratio)) return 'not measured';
  if (ratio <= goals.concurrencyRatio) return 'met';
  if (coresSequential < 0.9)
    return `inconclusive: the process got ${coresSequential.toFixed(2)} of a core even for one solve at a time (the machine was busy)`;
  return 'not met';
}

// ---------------------------------------------------------------------------------------------
// Options.

interface Options {
  families: FamilyName[];
  sizes: number[];
  solvers: string[];
  timeLimit: number;
  reps: number;
  parts: Set<'forward' | 'memory' | 'concurrency'>;
  memorySolvers: string[];
  memoryLarge?: { family: FamilyName; size: number };
  memoryLargeSolvers: string[];
  memoryTimeLimit: number;
  concurrency: { family: FamilyName; size: number };
  concurrencySolvers: string[];
  rounds: number;
  out: string;
}

const positive = (name: string, s: string) => numberFlag(name, s, { above: 0 });

function family(name: string, s: string): FamilyName {
  if (!(familyNames as readonly string[]).includes(s))
    throw new UsageError(`--${name}: unknown family ${s} (known: ${familyNames.join(', ')})`);
  return s as FamilyName;
}

function problemSpec(name: string, s: string): { family: FamilyName; size: number } {
  const [f, n] = s.split('=');
  if (!f || !n) throw new UsageError(`--${name} takes family=size (e.g. chain-box=4e5)`);
  return { family: family(name, f), size: positive(name, n) };
}

export const command = {
  name: 'bench:projections',
  run: 'npm run bench:projections --',
  synopsis: '[options]',
  about:
    'Large projections against their references, the memory of a solve over its input, and two solves\nat once, each measurement in a fresh child process (see bench/bench-projections.ts).',
  flags: {
    families: { type: 'string', arg: 'F,F', default: 'simplex,chain-box', help: 'forward: the families' },
    sizes: { type: 'string', arg: 'N,N', default: '1e5,1e6', help: 'forward: the sizes' },
    solvers: { type: 'string', arg: 'KEY,KEY', help: 'forward: the solvers (default: every one built in, ipm first)' },
    'time-limit': { type: 'string', arg: 'SECONDS', default: '20', help: 'forward: time limit per solve' },
    reps: { type: 'string', arg: 'K', default: '3', help: 'forward: runs per measurement (the median)' },
    parts: { type: 'string', arg: 'P,P', default: 'forward,memory,concurrency', help: 'which parts run' },
    'memory-solvers': { type: 'string', arg: 'KEY,KEY', default: 'ipm', help: 'memory: the solvers' },
    'memory-large': { type: 'string', arg: 'FAMILY=N|none', default: 'chain-box=2e6', help: 'memory: the larger problem' },
    'memory-large-solvers': { type: 'string', arg: 'KEY,KEY', default: 'ipm,admm', help: 'memory: the solvers of the larger problem' },
    'memory-time-limit': { type: 'string', arg: 'SECONDS', default: '60', help: 'memory: time limit of the larger problem' },
    concurrency: { type: 'string', arg: 'FAMILY=N', default: 'chain-box=4e5', help: 'concurrency: the problem' },
    'concurrency-solvers': { type: 'string', arg: 'KEY,KEY', default: 'ipm', help: 'concurrency: the solvers' },
    rounds: { type: 'string', arg: 'K', default: '3', help: 'concurrency: rounds' },
    out: { type: 'string', arg: 'DIR', default: '.bench', help: 'where projections.md and projections.json go' },
  },
} satisfies Command;

export function parseOptions(argv: string[], built: string[]): Options {
  const { values } = parseCommand(command, argv);
  const solverList = (name: string, s: string) => {
    const l = listFlag(s);
    for (const k of l) if (!built.includes(k)) throw new UsageError(`--${name}: solver ${k} is not built in (built: ${built.join(', ')})`);
    return l;
  };
  // ipm first: the other solvers are there for comparison.
  const defaultSolvers = [...built].sort((a, b) => (a === 'ipm' ? -1 : b === 'ipm' ? 1 : 0));
  const parts = listFlag(values.parts);
  for (const p of parts)
    if (!['forward', 'memory', 'concurrency'].includes(p))
      throw new UsageError(`--parts: unknown part ${p} (forward, memory, concurrency)`);
  const o: Options = {
    families: listFlag(values.families).map((f) => family('families', f)),
    sizes: listFlag(values.sizes).map((n) => positive('sizes', n)),
    solvers: values.solvers !== undefined ? solverList('solvers', values.solvers) : defaultSolvers,
    timeLimit: positive('time-limit', values['time-limit']),
    reps: Math.round(positive('reps', values.reps)),
    parts: new Set(parts as Array<'forward' | 'memory' | 'concurrency'>),
    memorySolvers: solverList('memory-solvers', values['memory-solvers']),
    memoryLargeSolvers: solverList('memory-large-solvers', values['memory-large-solvers']),
    memoryTimeLimit: positive('memory-time-limit', values['memory-time-limit']),
    concurrency: problemSpec('concurrency', values.concurrency),
    concurrencySolvers: solverList('concurrency-solvers', values['concurrency-solvers']),
    rounds: Math.round(positive('rounds', values.rounds)),
    out: values.out,
  };
  if (values['memory-large'] !== 'none') o.memoryLarge = problemSpec('memory-large', values['memory-large']);
  return o;
}

// ---------------------------------------------------------------------------------------------
// The child process: one measurement each.

type Request =
  | { kind: 'forward'; family: FamilyName; size: number; solver: string; timeLimit: number; reps: number; repBudget: number }
  | { kind: 'memory'; family: FamilyName; size: number; solver: string; timeLimit: number; call: MemoryCall }
  | { kind: 'concurrency'; family: FamilyName; size: number; solver: string; timeLimit: number; rounds: number };

interface SolveSummary {
  status: string;
  rawStatus: string;
  iterations: number;
  rp: number;
  rd: number;
  rg: number;
  objective: number;
}

interface ForwardResult {
  kind: 'forward';
  n: number;
  m: number;
  nnzA: number;
  generateSeconds: number;
  solve: SolveSummary;
  /** Wall time of each `await solve(…)`, seconds, in order (the first is the cold run). */
  wall: number[];
  /** The solver's own setup + solve time of each run. */
  inner: number[];
  reference?: {
    how: string;
    seconds: number[];
    error: number;
    /** chain-box: the solver-free certificate of the solver's x and of the reference's. */
    kkt?: { solver: number[]; reference: number[] };
  };
}

interface MemoryResult {
  kind: 'memory';
  n: number;
  m: number;
  inputBytes: number;
  baseRss: number;
  peakRss: number;
  /** How the peak was isolated: 'clear_refs' (VmHWM reset before the solve) or a fallback. */
  method: string;
  seconds: number;
  solve: SolveSummary;
}

interface ConcurrencyResult {
  kind: 'concurrency';
  n: number;
  m: number;
  alone: number;
  sequential: number[];
  concurrent: number[];
  /** Solver time (setup + solve) of each solve run concurrently, and alone. */
  innerConcurrent: number[];
  innerSequential: number[];
  statuses: string[];
  /** max |x_concurrent − x_sequential| over both concurrent answers and all rounds. */
  maxDiff: number;
  /** CPU seconds (user + system) of the process over wall seconds, per phase: about 2 when two solves run in parallel. */
  coresSequential: number[];
  coresConcurrent: number[];
  loadBefore: number[];
  loadAfter: number[];
}

type ChildResult = ForwardResult | MemoryResult | ConcurrencyResult | { kind: 'error'; message: string };

const now = () => Number(process.hrtime.bigint()) / 1e9;

function summary(s: Solution): SolveSummary {
  return {
    status: s.status,
    rawStatus: s.rawStatusText,
    iterations: s.iterations,
    rp: s.primalResidual,
    rd: s.dualResidual,
    rg: s.dualityGap,
    objective: s.objective,
  };
}

const ran = (status: string) => status === 'solved' || status === 'solvedInaccurate';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function procStatus(): { rss?: number; hwm?: number } {
  try {
    return parseProcStatus(fs.readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return {};
  }
}

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** Loads the addon, the solver and the threadpool on a tiny problem of the same family. */
async function warmUp(fam: FamilyName, solver: string): Promise<void> {
  const tiny = generate(fam, fam === 'chain-dqp' ? 1 : 20, false);
  await solve(tiny.problem, { solver, timeLimit: 10 });
}

async function childForward(r: Extract<Request, { kind: 'forward' }>): Promise<ForwardResult> {
  const bp = generate(r.family, r.size, false);
  await warmUp(r.family, r.solver);
  const wall: number[] = [];
  const inner: number[] = [];
  let sol: Solution | undefined;
  const started = now();
  for (let k = 0; k < r.reps; k++) {
    const t0 = now();
    sol = await solve(bp.problem, { solver: r.solver, timeLimit: r.timeLimit });
    const t = now() - t0;
    wall.push(t);
    inner.push(sol.setupTime + sol.solveTime);
    if (!ran(sol.status) || now() - started + t > r.repBudget) break;
  }
  const out: ForwardResult = {
    kind: 'forward',
    n: bp.n,
    m: bp.m,
    nnzA: bp.problem.A?.nnz ?? 0,
    generateSeconds: bp.generateSeconds,
    solve: summary(sol!),
    wall,
    inner,
  };
  const ref = projectionReference(r.family);
  if (ref) {
    const v = bp.problem.q.map((x) => -x);
    const seconds: number[] = [];
    let x: Float64Array | undefined;
    for (let k = 0; k < Math.max(3, r.reps); k++) {
      const t0 = now();
      x = ref.project(v);
      seconds.push(now() - t0);
    }
    out.reference = { how: ref.how, seconds, error: maxAbsDiff(sol!.x, x!) };
    if (r.family === 'chain-box') {
      const c = (z: Float64Array) => {
        const k = boundedDifferencesKkt(v, z);
        return [k.stationarity, k.feasibility, k.complementarity];
      };
      out.reference.kkt = { solver: c(sol!.x), reference: c(x!) };
    }
  }
  return out;
}

async function childMemory(r: Extract<Request, { kind: 'memory' }>): Promise<MemoryResult> {
  const bp = generate(r.family, r.size, false);
  await warmUp(r.family, r.solver);
  fullGc();
  let method = 'clear_refs';
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    method = 'maxRSS (VmHWM could not be reset: the peak is only seen if it passes the earlier high-water mark)';
  }
  const before = procStatus();
  const baseRss = before.rss ?? process.memoryUsage.rss();
  const t0 = now();
  const options = { solver: r.solver, timeLimit: r.timeLimit };
  const sol = r.call === 'solve' ? await solve(bp.problem, options) : solveSync(bp.problem, options);
  const seconds = now() - t0;
  const after = procStatus();
  const peakRss = after.hwm ?? process.resourceUsage().maxRSS * 1024;
  return {
    kind: 'memory',
    n: bp.n,
    m: bp.m,
    inputBytes: inputBytes(bp.problem),
    baseRss,
    peakRss,
    method,
    seconds,
    solve: summary(sol),
  };
}

async function childConcurrency(r: Extract<Request, { kind: 'concurrency' }>): Promise<ConcurrencyResult> {
  const loadBefore = os.loadavg();
  const bp = generate(r.family, r.size, false);
  const opts = { solver: r.solver, timeLimit: r.timeLimit };
  await warmUp(r.family, r.solver);
  let t0 = now();
  const first = await solve(bp.problem, opts);
  const alone = now() - t0;
  const out: ConcurrencyResult = {
    kind: 'concurrency',
    n: bp.n,
    m: bp.m,
    alone,
    sequential: [],
    concurrent: [],
    innerConcurrent: [],
    innerSequential: [],
    statuses: [first.status],
    maxDiff: 0,
    coresSequential: [],
    coresConcurrent: [],
    loadBefore,
    loadAfter: [],
  };
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6;
  };
  const sequential = async () => {
    const c0 = cpu();
    t0 = now();
    const a = await solve(bp.problem, opts);
    const b = await solve(bp.problem, opts);
    out.sequential.push(now() - t0);
    out.coresSequential.push((cpu() - c0) / out.sequential.at(-1)!);
    for (const s of [a, b]) {
      out.innerSequential.push(s.setupTime + s.solveTime);
      out.statuses.push(s.status);
      out.maxDiff = Math.max(out.maxDiff, maxAbsDiff(s.x, first.x));
    }
  };
  const concurrent = async () => {
    const c0 = cpu();
    t0 = now();
    const both = await Promise.all([solve(bp.problem, opts), solve(bp.problem, opts)]);
    out.concurrent.push(now() - t0);
    out.coresConcurrent.push((cpu() - c0) / out.concurrent.at(-1)!);
    for (const s of both) {
      out.innerConcurrent.push(s.setupTime + s.solveTime);
      out.statuses.push(s.status);
      out.maxDiff = Math.max(out.maxDiff, maxAbsDiff(s.x, first.x));
    }
  };
  for (let k = 0; k < r.rounds; k++) {
    if (k % 2 === 0) {
      await sequential();
      await concurrent();
    } else {
      await concurrent();
      await sequential();
    }
  }
  out.loadAfter = os.loadavg();
  return out;
}

function child(): void {
  process.once('message', (r: Request) => {
    const run = r.kind === 'forward' ? childForward(r) : r.kind === 'memory' ? childMemory(r) : childConcurrency(r);
    run
      .then(
        (res) => res as ChildResult,
        (e: Error) => ({ kind: 'error', message: e.message.split('\n')[0]! }) as ChildResult,
      )
      .then((res) => process.send!(res, () => process.exit(0)));
  });
}

/** Runs one request in a fresh child; kills it after `watchdog` seconds. */
function inChild(r: Request, watchdog: number): Promise<ChildResult | { kind: 'killed' | 'crashed'; message: string }> {
  return new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    const c: ChildProcess = fork(__filename, ['--child'], {
      execArgv: ['--expose-gc'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    c.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const done = (x: ChildResult | { kind: 'killed' | 'crashed'; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(x);
    };
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      done({ kind: 'killed', message: `no answer within ${watchdog} s: killed` });
    }, watchdog * 1000);
    c.on('message', (m: ChildResult) => done(m));
    c.on('exit', (code, signal) => {
      const tail = stderr.trim().split('\n').slice(-1)[0] ?? '';
      done({ kind: 'crashed', message: `child exited (${signal ?? `code ${code}`})${tail ? `: ${tail.slice(0, 200)}` : ''}` });
    });
    c.send(r);
  });
}

// ---------------------------------------------------------------------------------------------
// The run.

interface ForwardRow {
  family: FamilyName;
  size: number;
  solver: string;
  outcome: string;
  result?: ForwardResult;
  seconds?: number;
  refSeconds?: number;
  ratioRef?: number;
}

/** `solve` copies the caller's arrays at the call (an async solve must own what it reads);
 *  `solveSync` borrows them. */
type MemoryCall = 'solve' | 'solveSync';

interface MemoryRow {
  family: FamilyName;
  size: number;
  solver: string;
  call: MemoryCall;
  timeLimit: number;
  outcome: string;
  result?: MemoryResult;
  ratio?: number;
}

interface ConcurrencyRow {
  family: FamilyName;
  size: number;
  solver: string;
  outcome: string;
  result?: ConcurrencyResult;
  ratio?: number;
}

interface Report {
  meta: Record<string, unknown>;
  forward: ForwardRow[];
  memory: MemoryRow[];
  concurrency: ConcurrencyRow[];
  goals: Array<{ goal: string; measured: string; verdict: string }>;
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

const load = () => os.loadavg().map((v) => Number(v.toFixed(2)));

/** What went wrong in a child that did not answer with the result asked for. */
function failure(res: Awaited<ReturnType<typeof inChild>>): string {
  return 'message' in res ? `${res.kind}: ${res.message}` : `unexpected answer (${res.kind})`;
}

async function main(): Promise<void> {
  const built = availableSolvers().map((s) => s.key);
  const o = parseOptions(process.argv.slice(2), built);
  const started = now();
  const cpus = os.cpus();
  const report: Report = { meta: {}, forward: [], memory: [], concurrency: [], goals: [] };
  report.meta = {
    command: `npm run bench:projections${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    threadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    solvers: availableSolvers()
      .filter((s) => o.solvers.includes(s.key) || s.key === 'ipm')
      .map((s) => `${s.key} ${s.version}`),
    load: { start: load() } as Record<string, number[]>,
  };
  const loads = report.meta.load as Record<string, number[]>;

  if (o.parts.has('forward')) {
    for (const fam of o.families) {
      const history = new Map<string, { n: number; seconds?: number; failed?: string }>();
      for (const size of [...o.sizes].sort((a, b) => a - b)) {
        for (const solver of o.solvers) {
          const skip = skipReason(history.get(solver), size, o.timeLimit);
          if (skip) {
            report.forward.push({ family: fam, size, solver, outcome: `skipped: ${skip}` });
            log(`${fam} n ${fmtSize(size)} ${solver}: skipped (${skip})`);
            continue;
          }
          log(`${fam} n ${fmtSize(size)} ${solver} …`);
          const repBudget = 15;
          const res = await inChild(
            { kind: 'forward', family: fam, size, solver, timeLimit: o.timeLimit, reps: o.reps, repBudget },
            60 + 2 * o.timeLimit + repBudget,
          );
          const row: ForwardRow = { family: fam, size, solver, outcome: res.kind === 'forward' ? res.solve.status : failure(res) };
          if (res.kind === 'forward') {
            row.result = res;
            row.seconds = median(res.wall);
            if (res.reference) {
              row.refSeconds = median(res.reference.seconds);
              row.ratioRef = row.seconds / row.refSeconds;
            }
            history.set(solver, { n: size, seconds: row.seconds, ...(ran(res.solve.status) ? {} : { failed: res.solve.status }) });
            log(
              `  ${res.solve.status} in ${fmtTime(row.seconds)} (${res.wall.length} run${res.wall.length === 1 ? '' : 's'}; reference ${fmtTime(row.refSeconds)}, ${fmtRatio(row.ratioRef)}); max|x − x_ref| ${fmtE(res.reference?.error)}`,
            );
          } else {
            history.set(solver, { n: size, failed: res.kind });
            log(`  ${row.outcome}`);
          }
          report.forward.push(row);
        }
      }
    }
    loads.afterForward = load();
  }

  if (o.parts.has('memory')) {
    const jobs: Array<{ family: FamilyName; size: number; solver: string; timeLimit: number; call: MemoryCall }> = [];
    for (const call of ['solve', 'solveSync'] as const) {
      for (const fam of o.families)
        for (const size of o.sizes)
          for (const solver of o.memorySolvers) jobs.push({ family: fam, size, solver, timeLimit: o.timeLimit, call });
      if (o.memoryLarge)
        for (const solver of o.memoryLargeSolvers) jobs.push({ ...o.memoryLarge, solver, timeLimit: o.memoryTimeLimit, call });
    }
    for (const j of jobs) {
      log(`memory: ${j.family} n ${fmtSize(j.size)} ${j.solver} ${j.call} (time limit ${j.timeLimit} s) …`);
      const res = await inChild({ kind: 'memory', ...j }, 120 + 2 * j.timeLimit);
      const row: MemoryRow = { ...j, outcome: res.kind === 'memory' ? res.solve.status : failure(res) };
      if (res.kind === 'memory') {
        row.result = res;
        row.ratio = (res.peakRss - res.baseRss) / res.inputBytes;
        log(
          `  ${res.solve.status} in ${fmtTime(res.seconds)}: peak ΔRSS ${fmtMB((res.peakRss - res.baseRss) / 2 ** 20)} MB, input ${fmtMB(res.inputBytes / 2 ** 20)} MB: ${fmtRatio(row.ratio)}`,
        );
      } else {
        log(`  ${row.outcome}`);
      }
      report.memory.push(row);
    }
    loads.afterMemory = load();
  }

  if (o.parts.has('concurrency')) {
    for (const solver of o.concurrencySolvers) {
      const { family: fam, size } = o.concurrency;
      log(`concurrency: ${fam} n ${fmtSize(size)} ${solver}, ${o.rounds} rounds …`);
      const res = await inChild({ kind: 'concurrency', family: fam, size, solver, timeLimit: 120, rounds: o.rounds }, 120 + 300 * o.rounds);
      const row: ConcurrencyRow = { family: fam, size, solver, outcome: res.kind === 'concurrency' ? 'ok' : failure(res) };
      if (res.kind === 'concurrency') {
        row.result = res;
        row.ratio = median(res.concurrent) / median(res.sequential);
        log(
          `  alone ${fmtTime(res.alone)}; sequential ${fmtTime(median(res.sequential))}, concurrent ${fmtTime(median(res.concurrent))}: ${row.ratio.toFixed(2)}`,
        );
      } else {
        log(`  ${row.outcome}`);
      }
      report.concurrency.push(row);
    }
    loads.afterConcurrency = load();
  }

  const elapsed = now() - started;
  report.meta.seconds = Number(elapsed.toFixed(1));
  buildGoals(report, o);
  const md = markdown(report, o);
  fs.mkdirSync(o.out, { recursive: true });
  fs.writeFileSync(path.join(o.out, 'projections.md'), md);
  fs.writeFileSync(
    path.join(o.out, 'projections.json'),
    JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1) + '\n',
  );
  process.stdout.write(md);
  log(`bench:projections: done in ${fmtTime(elapsed)}; wrote ${path.join(o.out, 'projections.md')} and projections.json`);
}

// ---------------------------------------------------------------------------------------------
// Report.

const familyTitle: Partial<Record<FamilyName, string>> = {
  simplex: 'simplex projection: min ½‖x − v‖² s.t. Σx = 1, x ≥ 0 (v ~ N(0, 1))',
  'chain-box': 'chain projection: min ½‖x − v‖² s.t. −1 ≤ x_i − x_{i+1} ≤ 1 (v: piecewise constant + N(0, 1))',
  chain: 'monotone chain: min ½‖x − v‖² s.t. x_1 ≤ … ≤ x_n',
};

function buildGoals(report: Report, o: Options): void {
  for (const fam of o.families) {
    for (const [n, target] of goals.forwardSeconds) {
      const r = report.forward.find((x) => x.family === fam && x.size === n && x.solver === 'ipm');
      const name = `ipm forward, ${fam} n = ${fmtSize(n)}: ≤ ${target} s`;
      if (!r) {
        report.goals.push({ goal: name, measured: 'not in this run', verdict: 'not measured' });
        continue;
      }
      const ok = r.result && r.result.solve.status === 'solved';
      const measured =
        r.seconds !== undefined
          ? `${fmtTime(r.seconds)} (median of ${r.result!.wall.length}; solver's own ${fmtTime(median(r.result!.inner))}), ${r.outcome}; ${fmtRatio(r.ratioRef)} the ${r.result!.reference?.how ?? 'reference'} (${fmtTime(r.refSeconds)})`
          : r.outcome;
      report.goals.push({ goal: name, measured, verdict: ok ? verdict(r.seconds, target) : 'not met (not solved)' });
    }
  }
  for (const call of ['solve', 'solveSync'] as const) {
    const goal = `ipm peak ΔRSS of a solve ≤ ${goals.memoryRatio}× the input arrays, \`${call}\`${call === 'solve' ? ' (the default; copies the input)' : ' (borrows the input)'}`;
    const mem = report.memory.filter((r) => r.solver === 'ipm' && r.call === call && r.ratio !== undefined);
    if (mem.length > 0) {
      const met = mem.filter((r) => r.ratio! <= goals.memoryRatio).length;
      report.goals.push({
        goal,
        measured: mem.map((r) => `${r.family} n = ${fmtSize(r.size)}: ${r.ratio!.toFixed(2)}×`).join(', '),
        verdict: met === mem.length ? 'met' : `met on ${met} of ${mem.length}`,
      });
    } else {
      report.goals.push({ goal, measured: 'not in this run', verdict: 'not measured' });
    }
  }
  const conc = report.concurrency.find((r) => r.solver === 'ipm');
  report.goals.push({
    goal: `two concurrent ipm solves ≤ ${goals.concurrencyRatio}× the time of the two in sequence`,
    measured:
      conc?.ratio !== undefined
        ? `${conc.ratio.toFixed(2)}× (${conc.family} n = ${fmtSize(conc.size)}; concurrent ${fmtTime(median(conc.result!.concurrent))}, sequential ${fmtTime(median(conc.result!.sequential))}; load average ${conc.result!.loadBefore.map((v) => v.toFixed(2)).join(' ')} before)`
        : (conc?.outcome ?? 'not in this run'),
    verdict: conc?.ratio !== undefined ? concurrencyVerdict(conc.ratio, median(conc.result!.coresSequential)) : 'not measured',
  });
}

function markdown(report: Report, o: Options): string {
  const L: string[] = [];
  const m = report.meta;
  const loads = m.load as Record<string, number[]>;
  L.push('# diffqp benchmark: large projections, memory, concurrency');
  L.push('');
  L.push(
    `\`${m.command}\` · ${m.date} · node ${m.node} ${m.platform} · ${m.cpu} · ${m.memory} · libuv threadpool ${m.threadpool} · ${fmtTime(m.seconds as number)}`,
  );
  L.push('');
  L.push(
    `Load average (1, 5, 15 min): ${Object.entries(loads)
      .map(([k, v]) => `${k} ${v.join(' ')}`)
      .join(
        ' · ',
      )}. ${loads.start![0]! > 0.3 ? '**The machine was not idle: times, and the concurrency ratio most of all, are pessimistic.**' : ''}`,
  );
  L.push('');
  L.push(`Solvers: ${(m.solvers as string[]).join(', ')}; defaults (epsAbs = epsRel = 1e-6), time limit ${o.timeLimit} s per solve.`);
  L.push('');
  L.push('## Goals');
  L.push('');
  L.push('| goal | measured | verdict |');
  L.push('|---|---|---|');
  for (const g of report.goals) L.push(`| ${g.goal} | ${g.measured} | ${g.verdict} |`);
  L.push('');

  if (report.forward.length > 0) {
    L.push('## Forward');
    L.push('');
    for (const fam of o.families) {
      const rows = report.forward.filter((r) => r.family === fam);
      if (rows.length === 0) continue;
      const how = rows.find((r) => r.result?.reference)?.result!.reference!.how;
      L.push(`### ${familyTitle[fam] ?? fam}${how ? ` — reference: ${how}` : ''}`);
      L.push('');
      const kkt = fam === 'chain-box';
      L.push(
        `| n | m | solver | status | iter | time (median) | runs | first run | solver's own | reference time | × reference | r_p | r_d | r_g | max abs(x − x_ref) |${kkt ? ' certificate of x: stationarity, feasibility, complementarity | same for x_ref |' : ''}`,
      );
      L.push(`|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|${kkt ? '---|---|' : ''}`);
      for (const r of rows) {
        const res = r.result;
        if (!res) {
          L.push(`| ${fmtSize(r.size)} | | ${r.solver} | *${r.outcome}* | | | | | | | | | | | |${kkt ? ' | |' : ''}`);
          continue;
        }
        const s = res.solve;
        const status = s.status === 'solved' ? 'solved' : `**${s.status}** (${s.rawStatus})`;
        const cert = (c?: number[]) => (c ? c.map(fmtE).join(', ') : '—');
        L.push(
          `| ${fmtSize(res.n)} | ${res.m} | ${r.solver} | ${status} | ${s.iterations} | ${fmtTime(r.seconds)} | ${res.wall.length} | ${fmtTime(res.wall[0])} | ${fmtTime(median(res.inner))} | ${fmtTime(r.refSeconds)} | ${fmtRatio(r.ratioRef)} | ${fmtE(s.rp)} | ${fmtE(s.rd)} | ${fmtE(s.rg)} | ${fmtE(res.reference?.error)} |${kkt ? ` ${cert(res.reference?.kkt?.solver)} | ${cert(res.reference?.kkt?.reference)} |` : ''}`,
        );
      }
      L.push('');
    }
  }

  if (report.memory.length > 0) {
    L.push('## Memory: peak growth of the resident set during one solve');
    L.push('');
    L.push(
      '| problem | n | m | solver | call | status | time | time limit | input arrays MB | RSS before MB | peak ΔRSS MB | peak ΔRSS / input |',
    );
    L.push('|---|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|');
    for (const r of report.memory) {
      const res = r.result;
      if (!res) {
        L.push(`| ${r.family} | ${fmtSize(r.size)} | | ${r.solver} | ${r.call} | *${r.outcome}* | | ${r.timeLimit} s | | | | |`);
        continue;
      }
      const st = res.solve.status === 'solved' ? 'solved' : `**${res.solve.status}** (${res.solve.rawStatus})`;
      L.push(
        `| ${r.family} | ${fmtSize(res.n)} | ${res.m} | ${r.solver} | ${r.call} | ${st} | ${fmtTime(res.seconds)} | ${r.timeLimit} s | ${fmtMB(res.inputBytes / 2 ** 20)} | ${fmtMB(res.baseRss / 2 ** 20)} | ${fmtMB((res.peakRss - res.baseRss) / 2 ** 20)} | ${r.ratio!.toFixed(2)}× |`,
      );
    }
    L.push('');
    const methods = [...new Set(report.memory.map((r) => r.result?.method).filter(Boolean))];
    L.push(
      `Peak isolated by: ${methods.join('; ') || '—'}. The growth counts everything the call allocates: the JavaScript conversion, the solver's copies and factors, and the x, y, z arrays returned. A solve stopped by its time limit still shows the peak it reached.`,
    );
    L.push('');
  }

  if (report.concurrency.length > 0) {
    L.push('## Concurrency: two solves at once on the libuv threadpool');
    L.push('');
    L.push(
      '| problem | n | m | solver | alone | sequential (2 solves) | concurrent (Promise.all of 2) | concurrent / sequential | per round | solver time each: sequential → concurrent | CPU cores busy: sequential → concurrent | statuses | max abs Δx | load before → after |',
    );
    L.push('|---|---:|---:|---|---:|---:|---:|---:|---|---|---|---|---:|---|');
    for (const r of report.concurrency) {
      const res = r.result;
      if (!res) {
        L.push(`| ${r.family} | ${fmtSize(r.size)} | | ${r.solver} | *${r.outcome}* | | | | | | | | | |`);
        continue;
      }
      const perRound = res.concurrent.map((c, k) => (c / res.sequential[k]!).toFixed(2)).join(', ');
      const statuses = [...new Set(res.statuses)].join(', ');
      L.push(
        `| ${r.family} | ${fmtSize(res.n)} | ${res.m} | ${r.solver} | ${fmtTime(res.alone)} | ${fmtTime(median(res.sequential))} | ${fmtTime(median(res.concurrent))} | ${r.ratio!.toFixed(2)}× | ${perRound} | ${fmtTime(median(res.innerSequential))} → ${fmtTime(median(res.innerConcurrent))} | ${median(res.coresSequential).toFixed(2)} → ${median(res.coresConcurrent).toFixed(2)} | ${statuses} | ${fmtE(res.maxDiff)} | ${res.loadBefore.map((v) => v.toFixed(2)).join(' ')} → ${res.loadAfter.map((v) => v.toFixed(2)).join(' ')} |`,
      );
    }
    L.push('');
  }

  L.push('## Notes');
  L.push('');
  L.push(
    '- Every measurement ran in a fresh child process (`node --expose-gc`); the addon, the solver and the threadpool were warmed up on a tiny problem of the same family first, so no time or memory here is a first-load cost.',
  );
  L.push(
    `- Forward: "time" is the wall time of \`await solve(problem, { solver, timeLimit })\` (validation, conversion, the native solve on the threadpool, the result), the median of up to ${o.reps} runs while they stay within 15 s; "solver's own" is its setup + solve time. The reference ran ${Math.max(3, o.reps)} times in the same process on v = −q; "× reference" is solve time / reference time. A solver that fails, is killed or overruns at one size, or whose time scaled linearly in n predicts more than the time limit, is not run at the next size.`,
  );
  L.push(
    "- The chain-box certificate needs no solver: stationarity forces the row duals y_i = Σ_{k≤i}(v_k − x_k); it reports |Σ_k (v_k − x_k)| (the last stationarity equation), the largest violation of |x_i − x_{i+1}| ≤ 1, and the largest |y_i|·(distance of row i from the side y_i's sign names). All three are 0 exactly at the optimum.",
  );
  L.push(
    '- Memory: the input arrays are those of the canonical problem handed to `solve` (Int32 column pointers and row indices, Float64 values, q, l, u, lb, ub). The baseline is VmRSS after two full GCs and the reset of VmHWM, right before the call.',
  );
  L.push(
    '- Concurrency: the ratio of the median concurrent time to the median sequential time; a ratio of 0.5 is perfect scaling on 2 cores, 1.0 none. Any other busy process on a 2-core machine pushes it toward 1. "CPU cores busy" is the process’s CPU time (user + system) over the wall time of the phase: near 2 for the concurrent phase means both solves really ran in parallel (then a ratio near 1 points at memory bandwidth or at the machine’s other load, not at a lock); near 1 means they took turns.',
  );
  L.push('- See also `npm run bench` (bench/bench.ts): every family at smaller sizes, with the peers and the backward methods.');
  L.push('');
  return L.join('\n');
}

if (require.main === module) {
  if (process.argv.includes('--child')) {
    child();
  } else {
    runScript(command, main);
  }
}
