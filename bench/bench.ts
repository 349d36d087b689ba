/**
 * npm run bench [-- options]   (the options: `command` below, or --help)
 *
 * The embedded benchmark: problem families generated in memory (bench/bench-families.ts,
 * nothing downloaded), each at a few sizes, solved by every diffqp solver built in, with, on
 * the same problems, the peers npm `quadprog` (dense, JavaScript) and npm `highs` (HiGHS
 * compiled to WebAssembly), and our backward methods against each other. Per problem:
 *
 *   forward   wall time of the call (median of repetitions when a solve is short), the
 *             solver's status and iterations, the docs/METHODS.md §3 residuals r_p, r_d, r_g,
 *             max |x − x_ref| against an independent reference where the family has one,
 *             and the peak growth of the resident set while solving (sampled every 2 ms
 *             during the asynchronous solve)
 *   peers     time ratios peer / ours on the same problem, with objective and x agreement
 *   backward  differentiate() of the loss L = wᵀx (fixed w_i ∈ [0.5, 1.5)) by each method the
 *             build offers ('kkt', 'full', 'penalty', 'qp' are tried), in a child process (a
 *             crash or a runaway method cannot take the run down): its time, its ratio to the
 *             forward solve and to 'kkt', and its agreement with 'full'
 *
 * Writes the Markdown report to stdout and <out>/bench.md, every number to <out>/bench.json;
 * progress goes to stderr.
 *
 * The large projections (simplex and chain-box at n = 10⁵, 10⁶ against their references), the
 * memory of a solve over its input and two concurrent solves are `npm run bench:projections`
 * (bench/bench-projections.ts): each of those needs a fresh process per measurement.
 */
import { ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { availableSolvers, solve, solveSync, Solution } from '../lib/solve';
import { Command, listFlag, numberFlag, parseCommand, runScript, UsageError } from '../lib/args';
import { CanonicalProblem } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';
import { BenchProblem, FamilyName, familyNames, generate, uniform } from './bench-families';
import { shiftedGeometricMean } from './bench-report';
import { median } from './stats';

// ---------------------------------------------------------------------------------------------
// Sizes and caps.

/** Sizes per family (n; for chain-dqp the point dimension d, n = 100·d). */
const fullSizes: Record<FamilyName, number[]> = {
  simplex: [1e3, 1e4, 1e5, 1e6],
  chain: [1e3, 1e4, 1e5],
  'chain-box': [1e3, 1e4],
  'chain-dqp': [10, 100, 1000],
  dense: [10, 50, 100, 200, 500],
  sparse: [100, 1000, 2100],
  portfolio: [100, 500, 1000, 2000],
};
const quickSizes: Record<FamilyName, number[]> = {
  simplex: [1e3],
  chain: [1e3],
  'chain-box': [1e3],
  'chain-dqp': [10],
  dense: [10, 50],
  sparse: [100],
  portfolio: [100],
};

/**
 * The largest n each solver is run at, per family, so that the whole run stays under 10
 * minutes on the 2-core machine. Each cap names what the next size cost when it was measured
 * (run it with --no-caps, or --sizes, to see for yourself).
 */
const caps: Record<string, Partial<Record<FamilyName, [number, string]>>> = {
  highs: {
    simplex: [1e4, 'n = 10⁵ took 39 s (16 iterations)'],
    chain: [1e4, 'n = 10⁵ ran 142 s past a 60 s time limit'],
    'chain-box': [1e3, 'n = 10⁴ hit the 30 s time limit'],
    dense: [200, 'n = 500 hit a 60 s time limit'],
  },
  ipopt: {
    chain: [1e4, 'n = 10⁵ took 51 s'],
    simplex: [1e5, 'n = 10⁶: Restoration_Failed after 7 s (as at 10⁵)'],
    'chain-dqp': [1e4, 'n = 10⁵ took 38 s'],
    portfolio: [1000, 'n = 2000 took 20 s'],
  },
  clp: {
    chain: [1e3, 'n = 10⁴ took 21 s'],
    'chain-dqp': [1e3, 'n = 10⁴ took 14 s'],
    dense: [200, 'n = 500 took 28 s'],
    portfolio: [1000, 'n = 2000 took 47 s (solvedInaccurate)'],
  },
  admm: {
    simplex: [1e5, 'n = 10⁶ hit a 60 s time limit'],
  },
};
/** quadprog (dense Goldfarb–Idnani in JavaScript) runs on positive definite problems only. */
const quadprogMaxN: Partial<Record<FamilyName, [number, string]>> = {
  dense: [500, 'n = 500 takes about 6 s'],
  portfolio: [500, 'n = 1000 took 52 s'],
};
const quadprogOff = 'at n = 1000 it took 38–57 s (simplex 45 s, chain 38 s, chain-dqp d = 10 57 s)';
/** The WebAssembly build runs where native HiGHS ran, unless native took longer than this. */
const wasmMaxNativeSeconds = 8;
const backwardMethods = ['kkt', 'full', 'penalty', 'qp'];

// ---------------------------------------------------------------------------------------------
// Options.

interface Options {
  quick: boolean;
  families: FamilyName[];
  solvers: string[];
  sizes: Partial<Record<FamilyName, number[]>>;
  timeLimit: number;
  backwardTimeout: number;
  noCaps: boolean;
  peers: boolean;
  backward: boolean;
  quadprogMaxN?: number;
  out: string;
}

export const command = {
  name: 'bench',
  run: 'npm run bench --',
  synopsis: '[options]',
  about:
    'Generated problem families solved by every solver built in, beside the npm peers quadprog and highs\n(WebAssembly), and the backward methods; the report to stdout and --out (see bench/bench.ts).',
  flags: {
    quick: { type: 'boolean', help: 'a few small sizes per family' },
    families: { type: 'string', arg: 'F,F', help: `families to run (default: all of ${familyNames.join(', ')})` },
    solvers: { type: 'string', arg: 'KEY,KEY', help: 'solvers to run (default: every one built in)' },
    sizes: { type: 'string', arg: 'FAMILY=a,b', multiple: true, help: "a family's sizes (repeatable)" },
    'time-limit': { type: 'string', arg: 'SECONDS', default: '30', help: 'time limit per solve' },
    'backward-timeout': { type: 'string', arg: 'SECONDS', default: '20', help: 'time allowed to each backward child' },
    'no-caps': { type: 'boolean', help: 'lift the size caps that keep the run under 10 minutes' },
    'no-peers': { type: 'boolean', help: 'leave out quadprog and highs (WebAssembly)' },
    'no-backward': { type: 'boolean', help: 'leave out the backward methods' },
    'quadprog-max-n': { type: 'string', arg: 'N', help: 'run quadprog on every family up to this n' },
    out: { type: 'string', arg: 'DIR', default: '.bench', help: 'where bench.md and bench.json go' },
  },
} satisfies Command;

function parse(argv: string[]): Options {
  const built = availableSolvers().map((s) => s.key);
  const { values: v } = parseCommand(command, argv);
  const o: Options = {
    quick: v.quick,
    families: [...familyNames],
    solvers: built,
    sizes: {},
    timeLimit: numberFlag('time-limit', v['time-limit'], { above: 0 }),
    backwardTimeout: numberFlag('backward-timeout', v['backward-timeout'], { above: 0 }),
    noCaps: v['no-caps'],
    peers: !v['no-peers'],
    backward: !v['no-backward'],
    out: v.out,
  };
  if (v.families !== undefined) {
    const names = listFlag(v.families);
    for (const f of names)
      if (!(familyNames as readonly string[]).includes(f))
        throw new UsageError(`--families: unknown family ${f} (known: ${familyNames.join(', ')})`);
    o.families = names as FamilyName[];
  }
  if (v.solvers !== undefined) {
    o.solvers = listFlag(v.solvers);
    for (const s of o.solvers)
      if (!built.includes(s)) throw new UsageError(`--solvers: solver ${s} is not built in (built: ${built.join(', ')})`);
  }
  for (const spec of v.sizes ?? []) {
    const [fam, list] = spec.split('=');
    if (!fam || !list || !(familyNames as readonly string[]).includes(fam))
      throw new UsageError(`--sizes takes family=a,b,c (got '${spec}')`);
    o.sizes[fam as FamilyName] = listFlag(list).map((n) => numberFlag('sizes', n, { min: 1 }));
  }
  if (v['quadprog-max-n'] !== undefined) o.quadprogMaxN = numberFlag('quadprog-max-n', v['quadprog-max-n'], { min: 0 });
  return o;
}

// ---------------------------------------------------------------------------------------------
// Measuring.

const now = () => Number(process.hrtime.bigint()) / 1e9;
const MB = 1024 * 1024;

/** How many more repetitions a run of t seconds deserves (short runs are noisy). */
function extraReps(t: number): number {
  return t < 0.05 ? 6 : t < 0.5 ? 4 : t < 3 ? 2 : 0;
}

/** Samples the resident set every 2 ms while work runs off the main thread. */
function rssSampler(): { stop(): { baseMB: number; peakMB: number } } {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return { baseMB: base / MB, peakMB: (peak - base) / MB };
    },
  };
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** r_p of docs/METHODS.md §3 for any x (peers return no duals). */
function primalResidual(p: CanonicalProblem<Float64Array, CscMatrix>, x: ArrayLike<number>): number {
  let r = 0;
  if (p.A) {
    const Ax = p.A.multiply(x);
    for (let i = 0; i < Ax.length; i++) {
      const lo = p.l ? p.l[i]! : -Infinity;
      const hi = p.u ? p.u[i]! : Infinity;
      r = Math.max(r, Ax[i]! - hi, lo - Ax[i]!);
    }
  }
  for (let j = 0; j < p.q.length; j++) {
    if (p.lb) r = Math.max(r, p.lb[j]! - x[j]!);
    if (p.ub) r = Math.max(r, x[j]! - p.ub[j]!);
  }
  return r;
}

function objectiveOf(p: CanonicalProblem<Float64Array, CscMatrix>, x: ArrayLike<number>): number {
  const Px = p.P ? p.P.multiply(x) : new Float64Array(p.q.length);
  let s = p.constant ?? 0;
  for (let j = 0; j < p.q.length; j++) s += 0.5 * x[j]! * Px[j]! + p.q[j]! * x[j]!;
  return s;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
const ran = (status: string) => status === 'solved' || status === 'solvedInaccurate';

// ---------------------------------------------------------------------------------------------
// Rows of the report.

interface ProblemInfo {
  family: FamilyName;
  problem: string;
  size: number;
  n: number;
  m: number;
  nnzP: number;
  nnzA: number;
  generateSeconds: number;
  reference?: string;
}

interface ForwardRow extends ProblemInfo {
  solver: string;
  status: string;
  rawStatus?: string;
  /** Median wall time of the call (seconds) over `reps` runs. */
  seconds?: number;
  /** The solver's own setup + solve time (median over the same runs). */
  solverSeconds?: number;
  reps?: number;
  iterations?: number;
  objective?: number;
  rp?: number;
  rd?: number;
  rg?: number;
  refError?: number;
  peakRssMB?: number;
  timesFastest?: number;
  skipped?: string;
  error?: string;
}

interface QuadprogRow extends ProblemInfo {
  status: string;
  seconds?: number;
  reps?: number;
  iterations?: number;
  objective?: number;
  rp?: number;
  objDiff?: number;
  xDiff?: number;
  refError?: number;
  fastestSolver?: string;
  fastestSeconds?: number;
  ratioFastest?: number;
  highsSeconds?: number;
  ratioHighs?: number;
  message?: string;
}

interface WasmRow extends ProblemInfo {
  status: string;
  seconds?: number;
  runSeconds?: number;
  reps?: number;
  iterations?: number;
  objective?: number;
  rp?: number;
  nativeStatus: string;
  nativeSeconds?: number;
  nativeSolverSeconds?: number;
  nativeIterations?: number;
  ratioWall?: number;
  ratioSolver?: number;
  ratioPerIteration?: number;
  objDiff?: number;
  xDiff?: number;
  heapMB?: number;
  message?: string;
}

interface BackwardRow extends ProblemInfo {
  forwardSolver: string;
  forwardSeconds: number;
  method: string;
  status: 'ok' | 'unavailable' | 'error' | 'timeout' | 'crashed' | 'skipped';
  seconds?: number;
  reps?: number;
  ratioForward?: number;
  ratioKkt?: number;
  differentiable?: boolean;
  reason?: string;
  activeRows?: number;
  activeBounds?: number;
  peakRssMB?: number;
  refMethod?: string;
  dqDiff?: number;
  dqCos?: number;
  message?: string;
}

function info(bp: BenchProblem, size: number): ProblemInfo {
  const i: ProblemInfo = {
    family: bp.family,
    problem: bp.name,
    size,
    n: bp.n,
    m: bp.m,
    nnzP: bp.problem.P?.nnz ?? 0,
    nnzA: bp.problem.A?.nnz ?? 0,
    generateSeconds: bp.generateSeconds,
  };
  if (bp.reference) i.reference = bp.reference.how;
  return i;
}

// ---------------------------------------------------------------------------------------------
// Forward, ours.

async function forward(bp: BenchProblem, base: ProblemInfo, solver: string, o: Options): Promise<{ row: ForwardRow; sol?: Solution }> {
  const opts = { solver, timeLimit: o.timeLimit };
  const sampler = rssSampler();
  const t0 = now();
  let sol: Solution;
  try {
    sol = await solve(bp.problem, opts);
  } catch (e) {
    sampler.stop();
    return { row: { ...base, solver, status: 'error', error: (e as Error).message } };
  }
  const first = now() - t0;
  const mem = sampler.stop();
  const times = [first];
  const inner = [sol.setupTime + sol.solveTime];
  if (ran(sol.status)) {
    for (let k = 0; k < extraReps(first); k++) {
      const t = now();
      const again = solveSync(bp.problem, opts);
      times.push(now() - t);
      inner.push(again.setupTime + again.solveTime);
    }
  }
  const row: ForwardRow = {
    ...base,
    solver,
    status: sol.status,
    rawStatus: sol.rawStatusText,
    seconds: median(times),
    reps: times.length,
    solverSeconds: median(inner),
    iterations: sol.iterations,
    objective: sol.objective,
    rp: sol.primalResidual,
    rd: sol.dualResidual,
    rg: sol.dualityGap,
    peakRssMB: mem.peakMB,
  };
  if (bp.reference) row.refError = maxAbsDiff(sol.x, bp.reference.x);
  return { row, sol };
}

function capFor(solver: string, family: FamilyName, n: number, o: Options): string | undefined {
  if (o.noCaps) return undefined;
  const cap = caps[solver]?.[family];
  if (cap && n > cap[0]) return `cap n ≤ ${fmtN(cap[0])}: ${cap[1]}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Peers.

interface QuadprogModule {
  solveQP(
    D: number[][],
    d: number[],
    A: number[][],
    b: number[],
    meq: number,
  ): { solution: number[]; value: number[]; iterations: number[]; message: string };
}

export function loadQuadprog(): { qp?: QuadprogModule; version?: string; why?: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional package, loaded only when present
    const qp = require('quadprog') as QuadprogModule;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional package, loaded only when present
    const version = (require('quadprog/package.json') as { version: string }).version;
    return { qp, version };
  } catch (e) {
    return { why: `npm quadprog is not installed (${(e as Error).message.split('\n')[0]})` };
  }
}

/**
 * quadprog's input (1-indexed, Fortran style): min ½xᵀDx − dᵀx s.t. Aᵀx ≥ b, the first meq
 * columns of A equalities. Equality rows first, then l ≤ a_i x as a_i x ≥ l, a_i x ≤ u as
 * −a_i x ≥ −u, then the bounds likewise. quadprog overwrites D and d: build afresh per run.
 */
export function quadprogInput(p: CanonicalProblem<Float64Array, CscMatrix>): {
  D: number[][];
  d: number[];
  A: number[][];
  b: number[];
  meq: number;
} {
  const n = p.q.length;
  const D: number[][] = [[]];
  for (let i = 1; i <= n; i++) D.push(new Array<number>(n + 1).fill(0));
  const P = p.P!;
  for (let j = 0; j < n; j++) {
    for (let k = P.colPtr[j]!; k < P.colPtr[j + 1]!; k++) {
      const i = P.rowIdx[k]!;
      D[i + 1]![j + 1] = P.values[k]!;
      D[j + 1]![i + 1] = P.values[k]!;
    }
  }
  const d = [0, ...Array.from(p.q, (v) => -v)];
  const m = p.A?.nrows ?? 0;
  const rows: Array<Array<[number, number]>> = Array.from({ length: m }, () => []);
  if (p.A)
    for (let j = 0; j < n; j++) for (let k = p.A.colPtr[j]!; k < p.A.colPtr[j + 1]!; k++) rows[p.A.rowIdx[k]!]!.push([j, p.A.values[k]!]);
  const eq: Array<[Array<[number, number]>, number, number]> = [];
  const ineq: Array<[Array<[number, number]>, number, number]> = [];
  for (let i = 0; i < m; i++) {
    const lo = p.l ? p.l[i]! : -Infinity;
    const hi = p.u ? p.u[i]! : Infinity;
    if (lo === hi) eq.push([rows[i]!, 1, lo]);
    else {
      if (lo > -Infinity) ineq.push([rows[i]!, 1, lo]);
      if (hi < Infinity) ineq.push([rows[i]!, -1, -hi]);
    }
  }
  for (let j = 0; j < n; j++) {
    if (p.lb && p.lb[j]! > -Infinity) ineq.push([[[j, 1]], 1, p.lb[j]!]);
    if (p.ub && p.ub[j]! < Infinity) ineq.push([[[j, 1]], -1, -p.ub[j]!]);
  }
  const all = [...eq, ...ineq];
  const A: number[][] = [[]];
  for (let i = 1; i <= n; i++) A.push(new Array<number>(all.length + 1).fill(0));
  const b = [0];
  all.forEach(([row, sign, rhs], t) => {
    for (const [j, v] of row) A[j + 1]![t + 1] = sign * v;
    b.push(rhs);
  });
  return { D, d, A, b, meq: eq.length };
}

export function runQuadprog(
  qp: QuadprogModule,
  bp: BenchProblem,
): { seconds: number; x?: Float64Array; iterations?: number; message: string } {
  const input = quadprogInput(bp.problem);
  const t0 = now();
  const r = qp.solveQP(input.D, input.d, input.A, input.b, input.meq);
  const seconds = now() - t0;
  if (r.message) return { seconds, message: r.message };
  return { seconds, x: Float64Array.from(r.solution.slice(1)), iterations: r.iterations[1] ?? 0, message: '' };
}

// A minimal view of npm highs' persistent API (node_modules/highs/types.d.ts).
interface HighsModel {
  options: { set(o: Record<string, unknown>): unknown };
  info: { get(name: string): number | bigint };
  run(): unknown;
  getSolution(): { colValue: Float64Array };
  getModelStatus(): number;
  getObjectiveValue(): number;
  getRunTime(): number;
  dispose(): void;
}
interface HighsWasm {
  version: { string: string };
  infinity: number;
  memoryBytes: number;
  constants: { modelStatus: Record<string, number> };
  createModel(data: unknown): HighsModel;
}

async function loadHighsWasm(): Promise<{ highs?: HighsWasm; version?: string; why?: string }> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional package, loaded only when present
    const loader = require('highs') as (o?: unknown) => Promise<HighsWasm>;
    const highs = await loader();
    // The package's "exports" hides package.json: read it beside the loader (build/highs.js).
    const pkgFile = path.join(path.dirname(require.resolve('highs')), '..', 'package.json');
    const pkg = (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { version: string }).version;
    return { highs, version: `${pkg} (HiGHS ${highs.version.string})` };
  } catch (e) {
    return { why: `npm highs is not available (${(e as Error).message.split('\n')[0]})` };
  }
}

/**
 * The same QP through the WebAssembly build's persistent API: the same CSC arrays, the lower
 * triangle of P as a 'triangular' Hessian, the tolerances native HiGHS is given (1e-7 for
 * epsAbs 1e-6), everything else at HiGHS's defaults on both sides.
 */
function runWasm(
  highs: HighsWasm,
  bp: BenchProblem,
  timeLimit: number,
): { seconds: number; runSeconds?: number; status: string; x?: Float64Array; iterations?: number; objective?: number; message?: string } {
  const p = bp.problem;
  const n = p.q.length;
  const A = p.A ?? CscMatrix.zeros(0, n);
  const P = p.P!;
  const inf = highs.infinity;
  const clip = (v: number) => (v >= inf ? inf : v <= -inf ? -inf : v);
  const data = {
    numCols: n,
    numRows: A.nrows,
    colCost: p.q,
    colLower: p.lb ? p.lb.map(clip) : new Float64Array(n).fill(-inf),
    colUpper: p.ub ? p.ub.map(clip) : new Float64Array(n).fill(inf),
    rowLower: p.l ? p.l.map(clip) : new Float64Array(A.nrows).fill(-inf),
    rowUpper: p.u ? p.u.map(clip) : new Float64Array(A.nrows).fill(inf),
    matrix: { format: 'csc', numRows: A.nrows, numCols: n, starts: A.colPtr, indices: A.rowIdx, values: A.values },
    hessian: { format: 'triangular', dimension: n, starts: P.colPtr, indices: P.rowIdx, values: P.values },
  };
  const t0 = now();
  let model: HighsModel | undefined;
  try {
    model = highs.createModel(data);
    model.options.set({ output_flag: false, primal_feasibility_tolerance: 1e-7, dual_feasibility_tolerance: 1e-7, time_limit: timeLimit });
    let message: string | undefined;
    try {
      model.run();
    } catch (e) {
      message = (e as Error).message.split('\n')[0]!; // never print the error object: it holds the module source
    }
    const code = model.getModelStatus();
    const status = Object.entries(highs.constants.modelStatus).find(([, v]) => v === code)?.[0] ?? String(code);
    const out: ReturnType<typeof runWasm> = {
      seconds: 0,
      status,
      runSeconds: model.getRunTime(),
      iterations: Number(model.info.get('qp_iteration_count')),
    };
    if (message) out.message = message;
    if (status === 'optimal') {
      out.x = model.getSolution().colValue;
      out.objective = model.getObjectiveValue();
    }
    model.dispose();
    model = undefined;
    out.seconds = now() - t0;
    return out;
  } catch (e) {
    model?.dispose();
    return { seconds: now() - t0, status: 'error', message: (e as Error).message.split('\n')[0]! };
  }
}

// ---------------------------------------------------------------------------------------------
// Backward, in a child process.

interface DifferentiateModule {
  differentiate(
    problem: CanonicalProblem<Float64Array, CscMatrix>,
    sol: unknown,
    grads: { dx: Float64Array },
    options: { method: string },
  ): Promise<{
    dq?: Float64Array;
    differentiable: boolean;
    reason: string;
    activeRows: number;
    activeBounds: number;
  }>;
  differentiateSync(
    problem: CanonicalProblem<Float64Array, CscMatrix>,
    sol: unknown,
    grads: { dx: Float64Array },
    options: { method: string },
  ): unknown;
}

/** lib/differentiate, if this build has it (looked up at run time, so that its absence is no compile error). */
function loadDifferentiate(): DifferentiateModule | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built tree's module, when there is one
    const mod = require(path.join(__dirname, '..', 'lib', 'differentiate.js')) as Partial<DifferentiateModule>;
    return typeof mod.differentiate === 'function' && typeof mod.differentiateSync === 'function'
      ? (mod as DifferentiateModule)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * dx = ∂L/∂x for the loss L = wᵀx with fixed weights w_i ∈ [0.5, 1.5). (L = Σx itself is
 * constant on the simplex and portfolio families, whose constraint fixes Σx = 1: its gradient
 * is zero there and says nothing about the methods.)
 */
function lossWeights(n: number): Float64Array {
  const u = uniform(7);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 + u();
  return w;
}

interface ChildRequest {
  family: FamilyName;
  size: number;
  solution: { x: Float64Array; y: Float64Array; z: Float64Array; status: string; hasDuals: boolean };
  methods: string[];
}
type ChildMessage =
  | { type: 'start'; method: string }
  | {
      type: 'result';
      method: string;
      status: 'ok' | 'unavailable' | 'error';
      seconds?: number;
      reps?: number;
      peakRssMB?: number;
      dq?: Float64Array;
      differentiable?: boolean;
      reason?: string;
      activeRows?: number;
      activeBounds?: number;
      message?: string;
    }
  | { type: 'done' };

async function backwardChild(): Promise<void> {
  const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  process.once('message', async (req: ChildRequest) => {
    const mod = loadDifferentiate()!;
    // Warm up each method on a tiny problem, so that the first measurement pays no first-call costs.
    const tiny = generate('simplex', 4);
    const tinySol = solveSync(tiny.problem, { solver: availableSolvers()[0]!.key });
    for (const method of req.methods) {
      try {
        mod.differentiateSync(tiny.problem, tinySol, { dx: lossWeights(tiny.n) }, { method });
      } catch {
        // measured (and reported) below
      }
    }
    const bp = generate(req.family, req.size);
    const dx = lossWeights(bp.n);
    for (const method of req.methods) {
      await send({ type: 'start', method });
      const sampler = rssSampler();
      const t0 = now();
      try {
        const g = await mod.differentiate(bp.problem, req.solution, { dx }, { method });
        const first = now() - t0;
        const mem = sampler.stop();
        const times = [first];
        for (let k = 0; k < Math.min(4, extraReps(first)); k++) {
          const t = now();
          mod.differentiateSync(bp.problem, req.solution, { dx }, { method });
          times.push(now() - t);
        }
        const msg: ChildMessage = {
          type: 'result',
          method,
          status: 'ok',
          seconds: median(times),
          reps: times.length,
          peakRssMB: mem.peakMB,
          differentiable: g.differentiable,
          reason: g.reason,
          activeRows: g.activeRows,
          activeBounds: g.activeBounds,
        };
        if (g.dq) msg.dq = g.dq;
        await send(msg);
      } catch (e) {
        sampler.stop();
        const err = e as { code?: string; message: string };
        const unavailable = err.code === 'ERR_QP_INVALID_OPTION' && /method/.test(err.message);
        await send({ type: 'result', method, status: unavailable ? 'unavailable' : 'error', message: err.message.split('\n')[0]! });
      }
    }
    await send({ type: 'done' });
    process.exit(0);
  });
}

type MethodResult =
  Extract<ChildMessage, { type: 'result' }> | { type: 'result'; method: string; status: 'timeout' | 'crashed'; message: string };
type OkResult = Extract<ChildMessage, { type: 'result' }>;

/** Runs the methods in a child; a method that crashes or overruns is recorded and the rest go on in a new child. */
async function runBackward(req: ChildRequest, timeoutSeconds: number): Promise<MethodResult[]> {
  const results: MethodResult[] = [];
  let remaining = [...req.methods];
  while (remaining.length > 0) {
    const batch = await new Promise<MethodResult[]>((resolve) => {
      const got: MethodResult[] = [];
      let current: string | undefined;
      let timer: NodeJS.Timeout | undefined;
      let stderr = '';
      let settled = false;
      const child: ChildProcess = fork(__filename, ['--backward-child'], {
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      const finish = () => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        resolve(got);
      };
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'start') {
          current = m.method;
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => {
            got.push({
              type: 'result',
              method: current!,
              status: 'timeout',
              message: `no answer within ${timeoutSeconds} s; the child was killed`,
            });
            current = undefined;
            child.kill('SIGKILL');
          }, timeoutSeconds * 1000);
        } else if (m.type === 'result') {
          if (timer) clearTimeout(timer);
          got.push(m);
          current = undefined;
        } else {
          finish();
        }
      });
      child.on('exit', (code, signal) => {
        if (current !== undefined) {
          const tail = stderr.trim().split('\n').slice(-1)[0] ?? '';
          got.push({
            type: 'result',
            method: current,
            status: 'crashed',
            message: `child exited (${signal ?? `code ${code}`})${tail ? `: ${tail.slice(0, 200)}` : ''}`,
          });
        }
        finish();
      });
      child.send(req);
    });
    results.push(...batch);
    const done = new Set(results.map((r) => r.method));
    const next = remaining.filter((m) => !done.has(m));
    if (next.length === remaining.length) {
      // The child died before starting anything: give up on the rest.
      for (const m of next)
        results.push({ type: 'result', method: m, status: 'crashed', message: 'the child process ended before starting' });
      break;
    }
    remaining = next;
    req = { ...req, methods: remaining };
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Formatting.

export function fmtN(n: number): string {
  if (n >= 1e4 && Number.isInteger(Math.log10(n))) return `10${superscript(Math.log10(n))}`;
  return String(n);
}
function superscript(k: number): string {
  const digits = '⁰¹²³⁴⁵⁶⁷⁸⁹';
  return String(k)
    .split('')
    .map((c) => digits[Number(c)])
    .join('');
}
export function fmtTime(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '—';
  if (s < 1e-3) return `${(s * 1e6).toFixed(0)} µs`;
  if (s < 1) return `${(s * 1e3).toPrecision(3)} ms`;
  return `${s.toPrecision(3)} s`;
}
export function fmtE(v: number | undefined): string {
  if (v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return v.toExponential(1);
}
export function fmtRatio(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return v >= 100 ? `${v.toFixed(0)}×` : `${v.toPrecision(2)}×`;
}
export function fmtMB(v: number | undefined): string {
  return v === undefined ? '—' : v.toFixed(v < 10 ? 1 : 0);
}
function geoMean(xs: number[]): number {
  return xs.length === 0 ? NaN : Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

const familyTitles: Record<FamilyName, string> = {
  simplex: 'projection onto the probability simplex: min ½‖x‖² + qᵀx s.t. Σx = 1, x ≥ 0 (reference: sort-based closed form)',
  chain: 'projection onto the monotone chain x₁ ≤ … ≤ xₙ: min ½‖x − v‖² (n − 1 rows; reference: pool-adjacent-violators)',
  'chain-box':
    'projection onto the bounded-difference chain: min ½‖x − v‖² s.t. −1 ≤ x_i − x_{i+1} ≤ 1 (n − 1 rows; reference: exact dynamic programme)',
  'chain-dqp': "the dQP paper's chain: 100 points in R^d (n = 100·d), Laplacian smoothing, −1 ≤ x_i − x_{i+1} ≤ 1 cyclically",
  dense: "dQP's random dense QP: P = MMᵀ + 1e-4·I, n inequalities, ⌈n/2⌉ equalities, all data U[0,1)",
  sparse: "dQP's random sparse QP: P = Laplacian of a 3-NN graph (PSD), n + ⌈n/2⌉ rows of density 5e-4",
  portfolio: 'long-only mean-variance portfolio: min xᵀΣx − μᵀx s.t. Σx = 1, x ≥ 0, Σ = FFᵀ + D dense (k = n/10 factors)',
};

// ---------------------------------------------------------------------------------------------
// The run.

interface Report {
  meta: Record<string, unknown>;
  forward: ForwardRow[];
  quadprog: QuadprogRow[];
  wasm: WasmRow[];
  backward: BackwardRow[];
  notes: string[];
  goals: Array<{ goal: string; measured: string; verdict: string }>;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const started = now();
  const solvers = availableSolvers();
  const report: Report = { meta: {}, forward: [], quadprog: [], wasm: [], backward: [], notes: [], goals: [] };
  const quadprog = o.peers ? loadQuadprog() : { why: 'peers off (--no-peers)' };
  const wasm = o.peers ? await loadHighsWasm() : { why: 'peers off (--no-peers)' };
  const diff = o.backward ? loadDifferentiate() : undefined;
  const cpus = os.cpus();
  report.meta = {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    loadAverageStart: os.loadavg().map((v) => Number(v.toFixed(2))),
    solvers: solvers.filter((s) => o.solvers.includes(s.key)).map((s) => `${s.key} ${s.version}`),
    quadprog: quadprog.version ?? quadprog.why,
    highsWasm: wasm.version ?? wasm.why,
    backward: diff ? 'lib/differentiate' : o.backward ? 'not available in this build' : 'off (--no-backward)',
    timeLimit: o.timeLimit,
    tolerances: 'epsAbs = epsRel = 1e-6 (the defaults)',
    quick: o.quick,
  };
  log(`bench: ${o.families.join(', ')}${o.quick ? ' (quick)' : ''}; solvers ${o.solvers.join(', ')}`);

  let diffMethods = diff ? [...backwardMethods] : [];
  for (const family of o.families) {
    const sizes = o.sizes[family] ?? (o.quick ? quickSizes : fullSizes)[family];
    /** Per solver: the last size's time and how it failed, if it did (then larger sizes are skipped). */
    const history = new Map<string, { n: number; seconds: number; failed: string | undefined }>();
    const bwHistory = new Map<string, { n: number; seconds: number; failed?: string }>();
    for (const size of sizes) {
      const bp = generate(family, size);
      const base = info(bp, size);
      log(`${bp.name}: n ${bp.n}, m ${bp.m}, nnz(P) ${base.nnzP}, nnz(A) ${base.nnzA} (generated in ${fmtTime(bp.generateSeconds)})`);
      const rows: ForwardRow[] = [];
      const sols = new Map<string, Solution>();
      for (const solver of o.solvers) {
        const cap = capFor(solver, family, bp.n, o);
        const prev = history.get(solver);
        if (cap) {
          rows.push({ ...base, solver, status: 'skipped', skipped: cap });
          continue;
        }
        if (prev && (prev.failed || prev.seconds > 20) && !o.noCaps) {
          rows.push({
            ...base,
            solver,
            status: 'skipped',
            skipped: `n = ${fmtN(prev.n)} ${prev.failed ? `ended ${prev.failed}` : `took ${fmtTime(prev.seconds)}`}`,
          });
          continue;
        }
        const { row, sol } = await forward(bp, base, solver, o);
        rows.push(row);
        if (sol) sols.set(solver, sol);
        history.set(solver, { n: bp.n, seconds: row.seconds ?? Infinity, failed: ran(row.status) ? undefined : row.status });
        log(
          `  ${solver}: ${row.status} in ${fmtTime(row.seconds)} (${row.reps} run${row.reps === 1 ? '' : 's'}), r_p ${fmtE(row.rp)} r_d ${fmtE(row.rd)} r_g ${fmtE(row.rg)}${row.refError !== undefined ? `, max|x − x_ref| ${fmtE(row.refError)}` : ''}`,
        );
      }
      const solvedRows = rows.filter((r) => r.status === 'solved' && r.seconds !== undefined);
      const fastest = solvedRows.reduce<ForwardRow | undefined>((b, r) => (!b || r.seconds! < b.seconds! ? r : b), undefined);
      for (const r of rows) if (fastest && r.seconds !== undefined && ran(r.status)) r.timesFastest = r.seconds / fastest.seconds!;
      report.forward.push(...rows);
      // The most accurate answer: reference for the peers' agreement and the input of the backward pass.
      let best: { solver: string; sol: Solution; seconds: number } | undefined;
      const worst = (s: Solution) => Math.max(s.primalResidual, s.dualResidual, s.dualityGap);
      for (const r of rows) {
        const s = sols.get(r.solver);
        if (!s || !ran(s.status) || !s.hasDuals) continue;
        const better =
          !best || (s.status === 'solved' && best.sol.status !== 'solved') || (s.status === best.sol.status && worst(s) < worst(best.sol));
        if (better) best = { solver: r.solver, sol: s, seconds: r.seconds! };
      }

      // Peers: quadprog.
      if (quadprog.qp && bp.positiveDefinite) {
        const limit = o.quadprogMaxN ?? quadprogMaxN[family]?.[0] ?? 0;
        if (bp.n <= limit) {
          log(`  quadprog …`);
          const runs = [runQuadprog(quadprog.qp, bp)];
          for (let k = 0; k < extraReps(runs[0]!.seconds); k++) runs.push(runQuadprog(quadprog.qp, bp));
          const r0 = runs[0]!;
          const row: QuadprogRow = {
            ...base,
            status: r0.x ? 'solved' : 'failed',
            seconds: median(runs.map((r) => r.seconds)),
            reps: runs.length,
          };
          if (r0.message) row.message = r0.message;
          if (r0.x) {
            row.iterations = r0.iterations!;
            row.objective = objectiveOf(bp.problem, r0.x);
            row.rp = primalResidual(bp.problem, r0.x);
            if (best) {
              row.objDiff = relDiff(row.objective, best.sol.objective);
              row.xDiff = maxAbsDiff(r0.x, best.sol.x);
            }
            if (bp.reference) row.refError = maxAbsDiff(r0.x, bp.reference.x);
          }
          if (fastest) {
            row.fastestSolver = fastest.solver;
            row.fastestSeconds = fastest.seconds!;
            row.ratioFastest = row.seconds! / fastest.seconds!;
          }
          const h = rows.find((r) => r.solver === 'highs' && ran(r.status));
          if (h) {
            row.highsSeconds = h.seconds!;
            row.ratioHighs = row.seconds! / h.seconds!;
          }
          report.quadprog.push(row);
          log(`  quadprog: ${row.status} in ${fmtTime(row.seconds)}; ${fmtRatio(row.ratioFastest)} the fastest diffqp solver`);
        }
      }

      // Peers: HiGHS in WebAssembly against native HiGHS.
      const native = rows.find((r) => r.solver === 'highs');
      if (wasm.highs && native && native.seconds !== undefined && native.status !== 'skipped') {
        if (native.seconds <= wasmMaxNativeSeconds || o.noCaps) {
          log(`  highs-wasm …`);
          const runs = [runWasm(wasm.highs, bp, o.timeLimit)];
          if (runs[0]!.status === 'optimal')
            for (let k = 0; k < extraReps(runs[0]!.seconds); k++) runs.push(runWasm(wasm.highs, bp, o.timeLimit));
          const r0 = runs[0]!;
          const nsol = sols.get('highs');
          const row: WasmRow = {
            ...base,
            status: r0.status,
            seconds: median(runs.map((r) => r.seconds)),
            runSeconds: median(runs.map((r) => r.runSeconds ?? NaN)),
            reps: runs.length,
            iterations: r0.iterations!,
            nativeStatus: native.status,
            nativeSeconds: native.seconds,
            nativeSolverSeconds: native.solverSeconds!,
            nativeIterations: native.iterations!,
            heapMB: wasm.highs.memoryBytes / MB,
          };
          if (r0.message) row.message = r0.message;
          if (r0.x) {
            row.objective = r0.objective!;
            row.rp = primalResidual(bp.problem, r0.x);
            if (nsol) {
              row.objDiff = relDiff(r0.objective!, nsol.objective);
              row.xDiff = maxAbsDiff(r0.x, nsol.x);
            }
          }
          if (r0.status === 'optimal' && ran(native.status)) {
            row.ratioWall = row.seconds! / native.seconds;
            row.ratioSolver = row.runSeconds! / native.solverSeconds!;
            if (row.iterations! > 0 && native.iterations! > 0)
              row.ratioPerIteration = row.runSeconds! / row.iterations! / (native.solverSeconds! / native.iterations!);
          }
          report.wasm.push(row);
          log(`  highs-wasm: ${row.status} in ${fmtTime(row.seconds)} (native ${fmtTime(native.seconds)}): ${fmtRatio(row.ratioWall)}`);
        }
      }

      // Backward.
      if (diff && best && diffMethods.length > 0) {
        const methods: string[] = [];
        const bwRows: BackwardRow[] = [];
        const exponent = bp.denseP ? 3 : 1.5;
        for (const method of diffMethods) {
          const prev = bwHistory.get(method);
          const predicted = prev ? prev.seconds * (bp.n / prev.n) ** exponent : 0;
          const bwBase = { ...base, forwardSolver: best.solver, forwardSeconds: best.seconds, method };
          if (prev?.failed) bwRows.push({ ...bwBase, status: 'skipped', message: `${prev.failed} at n = ${fmtN(prev.n)}` });
          else if (predicted > o.backwardTimeout && !o.noCaps)
            bwRows.push({
              ...bwBase,
              status: 'skipped',
              message: `predicted ${fmtTime(predicted)} from n = ${fmtN(prev!.n)} (time ∝ n^${exponent})`,
            });
          else methods.push(method);
        }
        if (methods.length > 0) {
          log(`  backward (${methods.join(', ')}) at the ${best.solver} solution …`);
          const s = best.sol;
          const results = await runBackward(
            { family, size, methods, solution: { x: s.x, y: s.y, z: s.z, status: s.status, hasDuals: s.hasDuals } },
            o.backwardTimeout,
          );
          const ok = new Map(results.filter((r) => r.status === 'ok').map((r) => [r.method, r as OkResult]));
          const refMethod = ok.has('full') ? 'full' : ok.has('kkt') ? 'kkt' : undefined;
          const ref = refMethod ? ok.get(refMethod)!.dq : undefined;
          for (const r of results) {
            const row: BackwardRow = {
              ...base,
              forwardSolver: best.solver,
              forwardSeconds: best.seconds,
              method: r.method,
              status: r.status,
            };
            if (r.message) row.message = r.message;
            if (r.status === 'unavailable') {
              diffMethods = diffMethods.filter((m) => m !== r.method);
            } else if (r.status === 'ok') {
              const q = r as OkResult;
              Object.assign(row, {
                seconds: q.seconds,
                reps: q.reps,
                ratioForward: q.seconds! / best.seconds,
                differentiable: q.differentiable,
                reason: q.reason,
                activeRows: q.activeRows,
                activeBounds: q.activeBounds,
                peakRssMB: q.peakRssMB,
              });
              const kkt = ok.get('kkt');
              if (kkt) row.ratioKkt = q.seconds! / kkt.seconds!;
              if (ref && q.dq && refMethod !== r.method) {
                let dot = 0;
                let na = 0;
                let nb = 0;
                let refMax = 0;
                for (let i = 0; i < ref.length; i++) {
                  dot += q.dq[i]! * ref[i]!;
                  na += q.dq[i]! ** 2;
                  nb += ref[i]! ** 2;
                  refMax = Math.max(refMax, Math.abs(ref[i]!));
                }
                row.refMethod = refMethod;
                row.dqDiff = maxAbsDiff(q.dq, ref) / Math.max(refMax, 1e-300);
                row.dqCos = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : na === nb ? 1 : 0;
              }
              bwHistory.set(r.method, { n: bp.n, seconds: q.seconds! });
            } else {
              bwHistory.set(r.method, {
                n: bp.n,
                seconds: Infinity,
                failed: r.status === 'timeout' ? 'timed out' : r.status === 'crashed' ? 'crashed' : 'failed',
              });
            }
            if (r.status !== 'unavailable') bwRows.push(row);
            log(
              `    ${r.method}: ${r.status}${row.seconds !== undefined ? ` in ${fmtTime(row.seconds)} (${fmtRatio(row.ratioForward)} forward)` : ''}${row.message ? ` — ${row.message.slice(0, 120)}` : ''}`,
            );
          }
        }
        bwRows.sort((a, b) => backwardMethods.indexOf(a.method) - backwardMethods.indexOf(b.method));
        report.backward.push(...bwRows);
      }
    }
  }

  const elapsed = now() - started;
  report.meta.seconds = Number(elapsed.toFixed(1));
  report.meta.loadAverageEnd = os.loadavg().map((v) => Number(v.toFixed(2)));
  report.meta.maxRssMB = Number((process.resourceUsage().maxRSS / 1024).toFixed(0));
  report.meta.backwardMethods = diff ? [...new Set(report.backward.map((r) => r.method))] : [];
  buildGoals(report, o, elapsed);
  buildNotes(report, o, quadprog.why, wasm.why);
  const md = markdown(report, o);
  fs.mkdirSync(o.out, { recursive: true });
  fs.writeFileSync(path.join(o.out, 'bench.md'), md);
  fs.writeFileSync(
    path.join(o.out, 'bench.json'),
    JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1) + '\n',
  );
  process.stdout.write(md);
  log(`bench: done in ${fmtTime(elapsed)}; wrote ${path.join(o.out, 'bench.md')} and bench.json`);
}

function buildGoals(report: Report, o: Options, elapsed: number): void {
  const w = report.wasm.filter((r) => r.ratioWall !== undefined);
  if (w.length > 0) {
    const ratios = w.map((r) => r.ratioWall!);
    const solverRatios = w.filter((r) => r.ratioSolver !== undefined && Number.isFinite(r.ratioSolver)).map((r) => r.ratioSolver!);
    const perIt = w.filter((r) => r.ratioPerIteration !== undefined).map((r) => r.ratioPerIteration!);
    const met = ratios.filter((x) => x >= 2).length;
    const big = w.filter((r) => r.nativeSeconds! >= 0.01);
    const bigPart =
      big.length > 0
        ? `; on the ${big.length} QPs where native takes ≥ 10 ms: wall ${fmtRatio(geoMean(big.map((r) => r.ratioWall!)))}, solver time ${fmtRatio(geoMean(big.filter((r) => r.ratioSolver !== undefined).map((r) => r.ratioSolver!)))}`
        : '';
    report.goals.push({
      goal: 'native HiGHS ≥ 2× faster than the WebAssembly build on the same QP',
      measured: `wall-time ratio wasm / native: geometric mean ${fmtRatio(geoMean(ratios))} over ${w.length} QPs (min ${fmtRatio(Math.min(...ratios))}, max ${fmtRatio(Math.max(...ratios))}), ≥ 2× on ${met} of ${w.length}; solver time alone ${fmtRatio(geoMean(solverRatios))}; per QP iteration ${fmtRatio(geoMean(perIt))}${bigPart} (the builds are HiGHS 1.10 and 1.15 and take different iteration counts)`,
      verdict: met === w.length ? 'met' : geoMean(ratios) >= 2 ? 'met on average, not on every QP' : 'not met',
    });
  } else {
    report.goals.push({
      goal: 'native HiGHS ≥ 2× faster than the WebAssembly build on the same QP',
      measured: 'no QP where both ran',
      verdict: 'not measured',
    });
  }
  const q = report.quadprog.filter((r) => r.n >= 200 && r.ratioFastest !== undefined);
  if (q.length > 0) {
    const parts = q.map(
      (r) =>
        `${r.problem} ${fmtRatio(r.ratioFastest)} (${r.fastestSolver}${r.ratioHighs !== undefined ? `; highs ${fmtRatio(r.ratioHighs)}` : ''})`,
    );
    const met = q.filter((r) => r.ratioFastest! >= 10).length;
    report.goals.push({
      goal: '≥ 10× faster than quadprog on dense n ≥ 200',
      measured: `quadprog time / fastest diffqp solver: ${parts.join(', ')}`,
      verdict: met === q.length ? 'met' : `met on ${met} of ${q.length}`,
    });
  } else {
    report.goals.push({
      goal: '≥ 10× faster than quadprog on dense n ≥ 200',
      measured: 'no dense problem with n ≥ 200 in this run',
      verdict: 'not measured',
    });
  }
  report.goals.push({
    goal: '`npm run bench` under 10 minutes',
    measured: `${fmtTime(elapsed)} for this run${o.quick ? ' (--quick)' : ''}, plus the TypeScript build`,
    verdict:
      o.quick || o.families.length < familyNames.length || Object.keys(o.sizes).length > 0
        ? 'not the default run'
        : elapsed < 600
          ? 'met'
          : 'not met',
  });
}

function buildNotes(report: Report, o: Options, quadprogWhy?: string, wasmWhy?: string): void {
  const n = report.notes;
  n.push(
    'Times are wall-clock seconds of the whole call from JavaScript (diffqp: validation, conversion, the native solve on the libuv threadpool or the calling thread; peers: their own call), the median of up to 7 runs for short solves. The first run of each diffqp solve is asynchronous and its resident set is sampled every 2 ms: "peak ΔRSS" is the peak growth above the level before the call (a lower bound: memory that earlier solves freed to the allocator, but not to the system, is reused without growth).',
  );
  n.push(
    '"× fastest" is the time over the fastest solver that reached status solved on that problem. r_p, r_d, r_g are docs/METHODS.md §3, absolute and unscaled; max|x − x_ref| is against the independent reference where the family has one.',
  );
  if (!o.noCaps) {
    const capLines: string[] = [];
    for (const [solver, byFamily] of Object.entries(caps)) {
      for (const [family, [limit, why]] of Object.entries(byFamily)) {
        if (o.solvers.includes(solver) && o.families.includes(family as FamilyName))
          capLines.push(`${solver} on ${family} n ≤ ${fmtN(limit)} (${why})`);
      }
    }
    if (capLines.length)
      n.push(
        `Caps, to keep the run under 10 minutes (measured on this machine; --no-caps lifts them): ${capLines.join('; ')}. A solver that fails (any status but solved / solvedInaccurate) or takes over 20 s at one size is not run at the larger ones.`,
      );
  }
  if (quadprogWhy) n.push(`quadprog: ${quadprogWhy}.`);
  else if (o.quadprogMaxN !== undefined)
    n.push(
      `quadprog (dense input as packed 1-indexed JavaScript arrays, its fastest form) runs on every family with P positive definite, n ≤ ${fmtN(o.quadprogMaxN)} (--quadprog-max-n); not on sparse (P is a singular Laplacian).`,
    );
  else
    n.push(
      `quadprog needs P positive definite and takes dense input (given as packed 1-indexed JavaScript arrays, its fastest form); it runs on dense (n ≤ ${fmtN(quadprogMaxN.dense![0])}) and portfolio (n ≤ ${fmtN(quadprogMaxN.portfolio![0])}; ${quadprogMaxN.portfolio![1]}). Not on simplex / chain / chain-box / chain-dqp, where ${quadprogOff} (\`--quadprog-max-n 1000\` runs it there); not on sparse (P is a singular Laplacian).`,
    );
  if (wasmWhy) n.push(`HiGHS WebAssembly: ${wasmWhy}.`);
  else
    n.push(
      `HiGHS WebAssembly (npm highs) gets the same CSC arrays through its persistent API (createModel; no LP text to parse), with the feasibility tolerances native HiGHS is given (1e-7) and otherwise HiGHS defaults, as native; it runs wherever native HiGHS ran in ≤ ${wasmMaxNativeSeconds} s. Its wall time includes copying the model into the Wasm heap; "solver" ratios compare HiGHS's own run time with the native solver time.`,
    );
  n.push(
    'Large projections (simplex and chain-box at n = 10⁵, 10⁶ with ipm against the sort-based and exact references), the peak memory of a solve over its input arrays, and two concurrent solves: `npm run bench:projections` (bench/bench-projections.ts, one fresh process per measurement).',
  );
  if (report.meta.backward === 'not available in this build') n.push('backward: not available in this build');
  else if (o.backward)
    n.push(
      `Backward: differentiate() of L = wᵀx (dx = w, fixed weights in [0.5, 1.5): L = Σx is constant on simplex and portfolio, where Σx = 1) at the most accurate forward solution, in a child process per problem (a method that crashes or runs over ${o.backwardTimeout} s is recorded as such); a method is skipped at a size where its time at the previous size, scaled by n^1.5 (n^3 for dense P), predicts more than ${o.backwardTimeout} s. "vs ref" is max|dq − dq_ref| / max|dq_ref| and the cosine, against 'full' (OptNet's full KKT system, docs/METHODS.md §8) or 'kkt' when 'full' did not run.`,
    );
}

function markdown(report: Report, o: Options): string {
  const L: string[] = [];
  const m = report.meta;
  L.push('# diffqp benchmark: generated families, peers, backward');
  L.push('');
  L.push(
    `\`${m.command}\` · ${m.date} · node ${m.node} ${m.platform} · ${m.cpu} · load average ${(m.loadAverageStart as number[]).join(' ')} at the start, ${(m.loadAverageEnd as number[]).join(' ')} at the end · ${fmtTime(m.seconds as number)} · peak RSS ${m.maxRssMB} MB`,
  );
  L.push('');
  L.push(
    `diffqp solvers: ${(m.solvers as string[]).join(', ')} (${m.tolerances}, time limit ${m.timeLimit} s per solve). Peers: quadprog ${m.quadprog}; highs (WebAssembly) ${m.highsWasm}. Backward: ${m.backward}.`,
  );
  L.push('');
  L.push('## Goals');
  L.push('');
  L.push('| goal | measured | verdict |');
  L.push('|---|---|---|');
  for (const g of report.goals) L.push(`| ${g.goal} | ${g.measured} | ${g.verdict} |`);
  L.push('');

  L.push('## Forward');
  L.push('');
  for (const family of o.families) {
    const rows = report.forward.filter((r) => r.family === family);
    if (rows.length === 0) continue;
    L.push(`### ${family}: ${familyTitles[family]}`);
    L.push('');
    L.push('| n | m | nnz(P) | nnz(A) | solver | status | time | × fastest | iter | r_p | r_d | r_g | max abs(x − x_ref) | peak ΔRSS MB |');
    L.push('|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    let last = '';
    for (const r of rows) {
      const head = r.problem === last ? '| | | | |' : `| ${fmtN(r.n)} | ${r.m} | ${r.nnzP} | ${r.nnzA} |`;
      last = r.problem;
      if (r.skipped) {
        L.push(`${head} ${r.solver} | skipped | — | | | | | | | *${r.skipped}* |`);
        continue;
      }
      if (r.error) {
        L.push(`${head} ${r.solver} | error | — | | | | | | | *${r.error.slice(0, 120)}* |`);
        continue;
      }
      const status = r.status === 'solved' ? 'solved' : `**${r.status}**${r.rawStatus ? ` (${r.rawStatus})` : ''}`;
      L.push(
        `${head} ${r.solver} | ${status} | ${fmtTime(r.seconds)} | ${fmtRatio(r.timesFastest)} | ${r.iterations} | ${fmtE(r.rp)} | ${fmtE(r.rd)} | ${fmtE(r.rg)} | ${r.refError === undefined ? '—' : fmtE(r.refError)} | ${fmtMB(r.peakRssMB)} |`,
      );
    }
    L.push('');
  }

  // Per solver, over the whole run.
  const ranSolvers = [...new Set(report.forward.map((r) => r.solver))];
  if (ranSolvers.length > 0) {
    L.push('### Summary per solver');
    L.push('');
    L.push(
      '| solver | problems run | solved | shifted geometric mean time (failures charged the time limit) | geometric mean × fastest (solved) | fastest on |',
    );
    L.push('|---|---:|---:|---:|---:|---:|');
    for (const s of ranSolvers) {
      const rows = report.forward.filter((r) => r.solver === s && !r.skipped);
      const solved = rows.filter((r) => r.status === 'solved');
      const sgm = shiftedGeometricMean(rows.map((r) => (r.status === 'solved' ? r.seconds! : o.timeLimit)));
      const gm = geoMean(solved.filter((r) => r.timesFastest !== undefined).map((r) => r.timesFastest!));
      const fastestOn = solved.filter((r) => r.timesFastest === 1).length;
      L.push(`| ${s} | ${rows.length} | ${solved.length} | ${fmtTime(sgm)} | ${fmtRatio(gm)} | ${fastestOn} |`);
    }
    L.push('');
  }

  L.push('## Peers');
  L.push('');
  if (report.quadprog.length > 0) {
    L.push('### npm quadprog (Goldfarb–Idnani, dense, JavaScript) against diffqp on the same problem');
    L.push('');
    L.push(
      '| problem | n | constraints | quadprog | status | fastest diffqp | quadprog / fastest | quadprog / highs | rel. Δ objective | max abs Δx | r_p (quadprog) |',
    );
    L.push('|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|');
    for (const r of report.quadprog) {
      L.push(
        `| ${r.problem} | ${r.n} | ${r.m} | ${fmtTime(r.seconds)} | ${r.status}${r.message ? ` (${r.message})` : ''} | ${r.fastestSolver ?? '—'} ${fmtTime(r.fastestSeconds)} | ${fmtRatio(r.ratioFastest)} | ${fmtRatio(r.ratioHighs)} | ${fmtE(r.objDiff)} | ${fmtE(r.xDiff)} | ${fmtE(r.rp)} |`,
      );
    }
    L.push('');
  }
  if (report.wasm.length > 0) {
    L.push(
      `### HiGHS: native (our addon, ${(m.solvers as string[]).find((s) => s.startsWith('highs')) ?? 'highs'}) against WebAssembly (npm highs ${m.highsWasm})`,
    );
    L.push('');
    L.push(
      '| problem | n | m | native | wasm | wasm / native | solver time native / wasm | ratio | iterations native / wasm | ratio per iteration | wasm status | rel. Δ objective | max abs Δx | wasm heap MB |',
    );
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|');
    for (const r of report.wasm) {
      L.push(
        `| ${r.problem} | ${fmtN(r.n)} | ${r.m} | ${fmtTime(r.nativeSeconds)} | ${fmtTime(r.seconds)} | ${fmtRatio(r.ratioWall)} | ${fmtTime(r.nativeSolverSeconds)} / ${fmtTime(r.runSeconds)} | ${fmtRatio(r.ratioSolver)} | ${r.nativeIterations} / ${r.iterations} | ${fmtRatio(r.ratioPerIteration)} | ${r.status}${r.message ? ` (${r.message})` : ''}${r.nativeStatus !== 'solved' ? `; native ${r.nativeStatus}` : ''} | ${fmtE(r.objDiff)} | ${fmtE(r.xDiff)} | ${fmtMB(r.heapMB)} |`,
      );
    }
    L.push('');
  }
  if (report.quadprog.length === 0 && report.wasm.length === 0) {
    L.push(o.peers ? 'No peer ran in this run.' : 'Peers off (--no-peers).');
    L.push('');
  }

  L.push('## Backward');
  L.push('');
  if (report.meta.backward !== 'lib/differentiate') {
    L.push(
      report.meta.backward === 'not available in this build' ? 'backward: not available in this build' : 'Backward off (--no-backward).',
    );
    L.push('');
  } else {
    L.push(
      '| problem | n | forward (solver, time) | method | status | time | × forward | × kkt | active rows / bounds | differentiable | peak ΔRSS MB | vs ref: rel. max abs Δdq, cos |',
    );
    L.push('|---|---:|---|---|---|---:|---:|---:|---:|---|---:|---|');
    let last = '';
    for (const r of report.backward) {
      const head = r.problem === last ? '| | | |' : `| ${r.problem} | ${fmtN(r.n)} | ${r.forwardSolver} ${fmtTime(r.forwardSeconds)} |`;
      last = r.problem;
      if (r.status !== 'ok') {
        L.push(`${head} ${r.method} | ${r.status} | — | | | | | | *${(r.message ?? '').slice(0, 140).replace(/\|/g, '/')}* |`);
        continue;
      }
      const diffable = r.differentiable ? 'yes' : `no${r.reason ? `: ${r.reason.split(/[;:(]/)[0]!.trim().slice(0, 60)}` : ''}`;
      const vs = r.refMethod ? `${fmtE(r.dqDiff)}, ${r.dqCos!.toFixed(6)} (vs ${r.refMethod})` : '(reference)';
      L.push(
        `${head} ${r.method} | ok | ${fmtTime(r.seconds)} | ${fmtRatio(r.ratioForward)} | ${fmtRatio(r.ratioKkt)} | ${r.activeRows} / ${r.activeBounds} | ${diffable} | ${fmtMB(r.peakRssMB)} | ${vs} |`,
      );
    }
    L.push('');
  }

  L.push('## Notes');
  L.push('');
  for (const n of report.notes) L.push(`- ${n}`);
  L.push('');
  return L.join('\n');
}

if (require.main === module) {
  if (process.argv.includes('--backward-child')) {
    void backwardChild();
  } else {
    runScript(command, main);
  }
}
