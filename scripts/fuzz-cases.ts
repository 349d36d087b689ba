/**
 * The fuzz cases of `npm run fuzz` (scripts/fuzz.ts): one seed gives one call through the public
 * API (solve, solveSync, differentiate, jvp, parseQps, readQps) on data built from that seed
 * alone, and an oracle that judges the outcome from the data, never from the solver's word.
 *
 * A case is built from a problem of known class (feasible and bounded, infeasible, unbounded,
 * non-convex, degenerate shapes), then possibly mutated (special values, wrong types and lengths,
 * broken CSC structure, huge sizes, odd buffers, random options). Each mutation says whether the
 * input is still valid by the documented contract, invalid (a typed QpError is the only right
 * answer), or "either" (the contract leaves open whether it is accepted, e.g. a Proxy).
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CscMatrix, Triangle } from '../lib/sparse';
import { CanonicalProblem, Problem, toCanonical } from '../lib/problem';
import { solve, solveSync, Solution, SolveOptions } from '../lib/solve';
import { differentiate, differentiateSync } from '../lib/differentiate';
import { jvp, jvpSync } from '../lib/jvp';
import { parseQps, readQps, readQpsSync } from '../lib/qps';
import { ErrorCode, QpError } from '../lib/errors';
import { inspect } from 'node:util';

/**
 * In a child (scripts/fuzz.ts), each case names itself on stderr just before its call (a
 * synchronous write on Linux pipes, so it is there when the call crashes or hangs); with
 * --replay (`on`) it prints its input too.
 */
export const trace = { child: false, on: false };

/** The stderr line that names the case in flight. */
export const kindMarker = '@@fuzz-kind ';

function record(kind: string, what: string, ...input: unknown[]): void {
  if (trace.child) process.stderr.write(`${kindMarker}${kind}\n`);
  if (trace.on) process.stderr.write(`${what}: ${inspect(input, { depth: 8, maxArrayLength: 400, breakLength: 160 })}\n`);
}

export type Call = 'solve' | 'solveSync' | 'differentiate' | 'jvp' | 'parseQps' | 'readQps';
/** What the unmutated data is, by construction. */
export type Expect = 'optimal' | 'infeasible' | 'unbounded' | 'nonconvex' | 'unknown';
export type Validity = 'valid' | 'invalid' | 'either';

/** The outcomes that fail a case (besides crash and hang, which the parent sees). */
export const failingOutcomes = [
  'crash',
  'hang',
  'untyped',
  'native',
  'acceptedInvalid',
  'falseSolved',
  'wrongStatus',
  'badSolved',
  'badCertificate',
  'nonFinite',
  'parsedInvalid',
] as const;

export interface CaseResult {
  seed: number;
  call: Call;
  /** The generator's path, e.g. "feasible/q=NaN" or "qps/truncate". */
  kind: string;
  /** 'ok:solved', 'ok:ERR_QP_NOT_FINITE', … or one of failingOutcomes. */
  outcome: string;
  failed: boolean;
  detail: string;
}

// ---- randomness --------------------------------------------------------------------------------

/** mulberry32 on a hash of the seed: each case its own independent stream. */
export function random(seed: number): () => number {
  let s = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rand {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
}

// ---- problems of known class -------------------------------------------------------------------

interface Built {
  problem: CanonicalProblem<Float64Array, CscMatrix>;
  expect: Expect;
  kind: string;
}

const dense = (rows: number[][], triangle: Triangle) => CscMatrix.fromDense(rows, { triangle, ncols: rows.length });

/** MᵀM + δI (k rows of M): positive semidefinite, definite when δ > 0 or k ≥ n. */
function psdRows(r: Rand, n: number, delta: number): number[][] {
  const k = r.int(0, n);
  const M = Array.from({ length: k }, () => Array.from({ length: n }, () => (r.chance(0.6) ? r.uniform(-2, 2) : 0)));
  const P = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => M.reduce((s, row) => s + row[i]! * row[j]!, 0)));
  for (let i = 0; i < n; i++) P[i]![i]! += delta;
  return P;
}

function randomMatrix(r: Rand, m: number, n: number, density: number): number[][] {
  return Array.from({ length: m }, () =>
    Array.from({ length: n }, () => (r.chance(density) ? Math.round(r.uniform(-3, 3) * 100) / 100 : 0)),
  );
}

function times(rows: number[][], x: ArrayLike<number>): number[] {
  return rows.map((row) => row.reduce((s, a, j) => s + a * x[j]!, 0));
}

/** Feasible (x0 satisfies every constraint) and bounded (P definite, or every variable boxed). */
function feasible(r: Rand, n: number, m: number): Built & { x0: Float64Array; Arows: number[][] } {
  const x0 = Float64Array.from({ length: n }, () => Math.round(r.uniform(-1, 1) * 100) / 100);
  const lp = r.chance(0.2);
  const boxed = lp || r.chance(0.3);
  const Arows = randomMatrix(r, m, n, r.pick([0.2, 0.5, 1]));
  const ax = times(Arows, x0);
  const l = new Float64Array(m);
  const u = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const kind = r.int(0, 3);
    l[i] = kind === 1 ? -Infinity : ax[i]! - r.uniform(0, 1) * (kind === 0 ? 0 : 1);
    u[i] = kind === 0 ? l[i]! : kind === 2 ? Infinity : ax[i]! + r.uniform(0, 1);
  }
  const problem: CanonicalProblem<Float64Array, CscMatrix> = { q: Float64Array.from({ length: n }, () => r.uniform(-2, 2)) };
  if (!lp || r.chance(0.5)) {
    const P = psdRows(r, n, boxed ? (r.chance(0.5) ? 0 : 0.5) : r.uniform(0.1, 1));
    if (lp) for (const row of P) row.fill(0);
    problem.P = dense(P, r.pick(['lower', 'upper', 'full'] as const));
  }
  if (m > 0 || r.chance(0.2)) {
    problem.A = CscMatrix.fromDense(Arows, { ncols: n });
    if (!r.chance(0.1) || !l.every((v) => v === -Infinity)) problem.l = l;
    if (!r.chance(0.1) || !u.every((v) => v === Infinity)) problem.u = u;
  }
  if (boxed || r.chance(0.3)) {
    problem.lb = x0.map((v) => v - r.uniform(0, 2));
    problem.ub = x0.map((v) => v + r.uniform(0, 2));
    if (!boxed && r.chance(0.5)) problem.lb[r.int(0, n - 1)] = -Infinity;
  }
  return { problem, expect: 'optimal', kind: lp ? 'lp' : 'feasible', x0, Arows };
}

/** Two rows a·x ≤ c and a·x ≥ c + gap: y = (1, −1) on them is a certificate; P is definite. */
function infeasible(r: Rand, n: number, m: number): Built {
  const base = feasible(r, n, m);
  const a = Array.from({ length: n }, (_, j) => (j === 0 || r.chance(0.5) ? r.pick([1, -2, 0.5]) : 0));
  const c = r.uniform(-1, 1);
  // Gaps far above any tolerance a case asks for (epsAbs ≤ 1e-3).
  const gap = r.pick([1, 0.1, 10]);
  const rows = [...base.Arows, a, a];
  const ax = times(base.Arows, base.x0);
  const l = Float64Array.from([...(base.problem.l ?? ax.map(() => -Infinity)), -Infinity, c + gap]);
  const u = Float64Array.from([...(base.problem.u ?? ax.map(() => Infinity)), c, Infinity]);
  const P = psdRows(r, n, r.uniform(0.1, 1));
  const problem: CanonicalProblem<Float64Array, CscMatrix> = {
    P: dense(P, 'lower'),
    q: base.problem.q,
    A: CscMatrix.fromDense(rows, { ncols: n }),
    l,
    u,
  };
  if (r.chance(0.3)) {
    // Or empty rows whose bounds exclude 0.
    const empty = CscMatrix.zeros(1, n);
    return {
      problem: { ...problem, A: empty, l: Float64Array.of(r.pick([1, 0.1])), u: Float64Array.of(Infinity) },
      expect: 'infeasible',
      kind: 'infeasible-empty-row',
    };
  }
  return { problem, expect: 'infeasible', kind: 'infeasible' };
}

/** Variable j free, absent from P and A, with q_j ≠ 0: the ray ∓e_j lowers the objective for ever. */
function unbounded(r: Rand, n: number, m: number): Built {
  const base = feasible(r, n, m);
  const j = r.int(0, n - 1);
  const P = base.problem.P ? base.problem.P.toDense() : Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) P[i]![j] = P[j]![i] = 0;
  const Arows = base.Arows.map((row) => row.map((v, k) => (k === j ? 0 : v)));
  const q = Float64Array.from(base.problem.q);
  q[j] = r.pick([-1, 1, -1e-3]);
  const problem: CanonicalProblem<Float64Array, CscMatrix> = { P: dense(P, r.pick(['lower', 'full'] as const)), q };
  if (base.problem.A) {
    // Rows were built around x0, which no longer touches column j: recentre them.
    const ax = times(Arows, base.x0);
    problem.A = CscMatrix.fromDense(Arows, { ncols: n });
    problem.l = Float64Array.from(ax, (v, i) => (base.problem.l && base.problem.l[i] === -Infinity ? -Infinity : v - 0.5));
    problem.u = Float64Array.from(ax, (v, i) => (base.problem.u && base.problem.u[i] === Infinity ? Infinity : v + 0.5));
  }
  if (base.problem.lb && base.problem.ub) {
    problem.lb = Float64Array.from(base.problem.lb);
    problem.ub = Float64Array.from(base.problem.ub);
    problem.lb[j] = -Infinity;
    problem.ub[j] = Infinity;
  }
  return { problem, expect: 'unbounded', kind: 'unbounded' };
}

/** P with a direction of negative curvature: a negative diagonal, or a 2×2 block [[a, b], [b, a]], b > a. */
function nonconvex(r: Rand, n: number, m: number): Built {
  const base = feasible(r, n, m);
  const P = psdRows(r, n, r.uniform(0, 1));
  const i = r.int(0, n - 1);
  if (n >= 2 && r.chance(0.5)) {
    const k = (i + 1) % n;
    const a = r.uniform(0.5, 2);
    P[i]![i] = P[k]![k] = a;
    P[i]![k] = P[k]![i] = a + r.uniform(0.5, 2);
    for (let t = 0; t < n; t++) if (t !== i && t !== k) P[i]![t] = P[t]![i] = P[k]![t] = P[t]![k] = 0;
  } else {
    P[i]![i] = -r.uniform(0.1, 3);
  }
  return { problem: { ...base.problem, P: dense(P, r.pick(['lower', 'upper', 'full'] as const)) }, expect: 'nonconvex', kind: 'nonconvex' };
}

/** n = 0, m = 0, and rows or columns with no entries. */
function degenerate(r: Rand): Built {
  const which = r.int(0, 3);
  if (which === 0) return { problem: { q: new Float64Array(0) }, expect: 'optimal', kind: 'empty-n0' };
  if (which === 1)
    return {
      problem: { q: new Float64Array(0), A: CscMatrix.zeros(2, 0), l: Float64Array.of(-1, 0), u: Float64Array.of(1, 0) },
      expect: 'optimal',
      kind: 'empty-n0-rows',
    };
  const n = r.int(1, 4);
  if (which === 2)
    return { problem: { P: CscMatrix.identity(n, 1, 'lower'), q: new Float64Array(n).fill(1) }, expect: 'optimal', kind: 'empty-m0' };
  return {
    problem: {
      P: CscMatrix.identity(n, 1, 'lower'),
      q: new Float64Array(n),
      A: CscMatrix.zeros(3, n),
      l: Float64Array.of(-1, 0, -Infinity),
      u: Float64Array.of(0, 0, Infinity),
    },
    expect: 'optimal',
    kind: 'empty-rows',
  };
}

function buildProblem(r: Rand): Built {
  const n = r.chance(0.05) ? r.int(10, 40) : r.int(1, 6);
  const m = r.chance(0.05) ? r.int(5, 30) : r.int(0, 5);
  const k = r.next();
  if (k < 0.5) return feasible(r, n, m);
  if (k < 0.65) return infeasible(r, n, m);
  if (k < 0.78) return unbounded(r, n, m);
  if (k < 0.93) return nonconvex(r, n, m);
  return degenerate(r);
}

// ---- mutations ---------------------------------------------------------------------------------

const specials = [NaN, Infinity, -Infinity, 1e308, -1e308, 1e-308, 5e-324, 1e300, -1e300, 1e25, -1e25, 1e20, -1e20, 1e15, -0] as const;

interface Mutated {
  problem: unknown;
  validity: Validity;
  expect: Expect;
  what: string;
}

function copyProblem(p: CanonicalProblem<Float64Array, CscMatrix>): CanonicalProblem<Float64Array, CscMatrix> {
  const c: CanonicalProblem<Float64Array, CscMatrix> = { ...p };
  for (const k of ['q', 'l', 'u', 'lb', 'ub'] as const) if (p[k]) c[k] = Float64Array.from(p[k]!);
  for (const k of ['P', 'A'] as const) {
    const M = p[k];
    if (M)
      c[k] = new CscMatrix(M.nrows, M.ncols, Int32Array.from(M.colPtr), Int32Array.from(M.rowIdx), Float64Array.from(M.values), M.triangle);
  }
  return c;
}

/** A special value in one array: valid when finite (or an infinite bound on its own side) and the bounds stay ordered. */
function mutateValue(r: Rand, b: Built): Mutated {
  const p = copyProblem(b.problem);
  const fields = (['q', 'l', 'u', 'lb', 'ub', 'P', 'A', 'constant'] as const).filter(
    (f) => f === 'constant' || (f === 'P' || f === 'A' ? (p[f]?.values.length ?? 0) > 0 : (p[f]?.length ?? 0) > 0),
  );
  const field = r.pick(fields);
  const v = r.pick(specials);
  const what = `${field}=${v}`;
  if (field === 'constant') {
    p.constant = v;
    return { problem: p, validity: Number.isFinite(v) ? 'valid' : 'invalid', expect: b.expect, what };
  }
  if (field === 'P' || field === 'A') {
    const M = p[field]!;
    const k = r.int(0, M.values.length - 1);
    M.values[k] = v;
    if (!Number.isFinite(v)) return { problem: p, validity: 'invalid', expect: b.expect, what };
    if (field === 'P' && M.triangle === 'full') {
      // Keep a full P symmetric: the same value at the mirrored entry (or the mutation is invalid).
      let col = 0;
      while (M.colPtr[col + 1]! <= k) col++;
      const row = M.rowIdx[k]!;
      for (let t = M.colPtr[row]!; t < M.colPtr[row + 1]!; t++) if (M.rowIdx[t] === col) M.values[t] = v;
    }
    // A bigger positive diagonal keeps P semidefinite; anything else may change the class.
    let diag = false;
    if (field === 'P')
      for (let j = 0; j < M.ncols; j++) for (let t = M.colPtr[j]!; t < M.colPtr[j + 1]!; t++) if (t === k && M.rowIdx[t] === j) diag = true;
    const keeps = field === 'P' && diag && v >= 1 && (b.expect === 'optimal' || b.expect === 'infeasible');
    return { problem: p, validity: 'valid', expect: keeps ? b.expect : 'unknown', what };
  }
  const arr = p[field]!;
  const i = r.int(0, arr.length - 1);
  const old = arr[i]!;
  arr[i] = v;
  const lower = field === 'l' || field === 'lb';
  let validity: Validity = 'valid';
  if (Number.isNaN(v)) validity = 'invalid';
  else if (field === 'q' && !Number.isFinite(v)) validity = 'invalid';
  else if (lower && v === Infinity) validity = 'invalid';
  else if (!lower && field !== 'q' && v === -Infinity) validity = 'invalid';
  else {
    const other = field === 'l' ? p.u : field === 'u' ? p.l : field === 'lb' ? p.ub : field === 'ub' ? p.lb : undefined;
    if (other && (lower ? v > other[i]! : v < other[i]!)) validity = 'invalid';
  }
  // A finite q changes neither the constraints nor P. A bound loosened to a finite value keeps a
  // feasible problem feasible and its box a box (|v| ≥ 1e20 is infinite to the solvers, as
  // documented); loosened at all, it keeps a ray a ray.
  const loosens = lower ? v <= old : field !== 'q' && v >= old;
  const keeps =
    (field === 'q' && b.expect !== 'unbounded') ||
    (loosens && Math.abs(v) < 1e20 && b.expect === 'optimal') ||
    (loosens && (b.expect === 'unbounded' || b.expect === 'nonconvex'));
  return { problem: p, validity, expect: keeps && validity === 'valid' ? b.expect : 'unknown', what };
}

/** A field replaced by something of the wrong type, or a look-alike. */
function mutateType(r: Rand, b: Built): Mutated {
  const p = copyProblem(b.problem) as unknown as Record<string, unknown>;
  const fields = ['q', 'l', 'u', 'lb', 'ub', 'P', 'A'].filter((f) => p[f] !== undefined);
  const field = r.pick(fields);
  const value = p[field] as Float64Array | CscMatrix;
  const variants: [string, () => unknown, Validity][] = [
    ['null', () => null, 'invalid'],
    ['string', () => 'abc', 'invalid'],
    ['number', () => 3, 'invalid'],
    // A plain array of numbers is a vector (copied); nested arrays are not a matrix.
    ['plainArray', () => (value instanceof CscMatrix ? [[1]] : Array.from(value)), value instanceof CscMatrix ? 'invalid' : 'valid'],
    ['Float32Array', () => (value instanceof CscMatrix ? new Float32Array(4) : Float32Array.from(value)), 'invalid'],
    ['emptyObject', () => ({}), 'invalid'],
    ['protoObject', () => Object.create(value instanceof CscMatrix ? CscMatrix.prototype : Float64Array.prototype), 'invalid'],
  ];
  if (value instanceof CscMatrix) {
    variants.push(
      [
        'cscShapedObject',
        () => ({
          nrows: value.nrows,
          ncols: value.ncols,
          colPtr: value.colPtr,
          rowIdx: value.rowIdx,
          values: value.values,
          triangle: value.triangle,
        }),
        'either',
      ],
      [
        'colPtrFloat64',
        () =>
          new CscMatrix(
            value.nrows,
            value.ncols,
            Float64Array.from(value.colPtr) as unknown as Int32Array,
            value.rowIdx,
            value.values,
            value.triangle,
          ),
        'invalid',
      ],
      [
        'rowIdxArray',
        () =>
          new CscMatrix(
            value.nrows,
            value.ncols,
            value.colPtr,
            Array.from(value.rowIdx) as unknown as Int32Array,
            value.values,
            value.triangle,
          ),
        'valid',
      ],
      [
        'valuesNull',
        () => new CscMatrix(value.nrows, value.ncols, value.colPtr, value.rowIdx, null as unknown as Float64Array, value.triangle),
        'invalid',
      ],
      // A's triangle means nothing; P's null triangle must not skip the symmetry check.
      [
        'triangleNull',
        () => new CscMatrix(value.nrows, value.ncols, value.colPtr, value.rowIdx, value.values, null as unknown as Triangle),
        field === 'P' ? 'invalid' : 'either',
      ],
      [
        'triangleBogus',
        () => new CscMatrix(value.nrows, value.ncols, value.colPtr, value.rowIdx, value.values, 'diagonal' as Triangle),
        'invalid',
      ],
    );
  } else {
    variants.push(
      ['proxy', () => new Proxy(value, {}), 'either'],
      [
        'sharedBuffer',
        () => {
          const s = new Float64Array(new SharedArrayBuffer(value.length * 8));
          s.set(value);
          return s;
        },
        'either',
      ],
      [
        'resizableBuffer',
        () => {
          const s = new Float64Array(
            new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(value.length * 8, {
              maxByteLength: value.length * 8 + 64,
            }),
          );
          s.set(value);
          return s;
        },
        'either',
      ],
      [
        'detached',
        () => {
          const s = Float64Array.from(value);
          structuredClone(s.buffer, { transfer: [s.buffer] });
          return s;
        },
        value.length === 0 ? 'valid' : 'invalid',
      ],
      [
        'subarray',
        () => {
          const s = new Float64Array(value.length + 3);
          s.set(value, 2);
          return s.subarray(2, 2 + value.length);
        },
        'valid',
      ],
      [
        'subclass',
        () => {
          class F extends Float64Array {}
          return F.from(value);
        },
        'either',
      ],
    );
  }
  const [name, make, validity] = r.pick(variants);
  p[field] = make();
  return { problem: p, validity, expect: validity === 'valid' ? b.expect : 'unknown', what: `${field}:${name}` };
}

/** Array lengths and CSC structure that break the contract. */
function mutateStructure(r: Rand, b: Built): Mutated {
  const p = copyProblem(b.problem);
  const n = p.q.length;
  const mats = (['P', 'A'] as const).filter((f) => p[f] !== undefined);
  const faults: [string, () => Validity][] = [
    ['q+1', () => ((p.q = Float64Array.from([...p.q, 1])), n === 0 && !p.P && !p.A && !p.lb && !p.ub ? 'valid' : 'invalid')],
    [
      'l-1',
      () =>
        p.l && p.l.length > 0
          ? ((p.l = p.l.subarray(1)), 'invalid')
          : ((p.l = Float64Array.of(0)), (p.A?.nrows ?? 0) === 1 && !(p.u && p.u[0]! < 0) ? 'valid' : 'invalid'),
    ],
    ['lb+1', () => ((p.lb = new Float64Array(n + 1).fill(-1)), 'invalid')],
    ['extraKey', () => (((p as unknown as Record<string, unknown>).UB = new Float64Array(n)), 'invalid')],
    ['formBogus', () => (((p as unknown as Record<string, unknown>).form = 'canonicall'), 'invalid')],
  ];
  for (const f of mats) {
    const M = p[f]!;
    const nnz = M.values.length;
    const col2 = Array.from({ length: M.ncols }, (_, j) => j).find((j) => M.colPtr[j + 1]! - M.colPtr[j]! >= 2);
    faults.push(
      [
        `${f}.values-1`,
        () => (
          (p[f] = new CscMatrix(M.nrows, M.ncols, M.colPtr, M.rowIdx, M.values.subarray(0, Math.max(0, nnz - 1)), M.triangle)),
          nnz === 0 ? 'valid' : 'invalid'
        ),
      ],
      [`${f}.colPtr0`, () => ((M.colPtr[0] = 1), 'invalid')],
      [
        `${f}.colPtrShort`,
        () => ((p[f] = new CscMatrix(M.nrows, M.ncols, M.colPtr.subarray(0, M.ncols), M.rowIdx, M.values, M.triangle)), 'invalid'),
      ],
      [
        `${f}.rowIdxRange`,
        () =>
          nnz > 0 ? ((M.rowIdx[r.int(0, nnz - 1)] = r.pick([-1, M.nrows, 0x7fffffff])), 'invalid') : ((M.colPtr[M.ncols] = 5), 'invalid'),
      ],
      [
        `${f}.ncols`,
        () => (
          (p[f] = new CscMatrix(M.nrows, M.ncols + 1, Int32Array.from([...M.colPtr, nnz]), M.rowIdx, M.values, M.triangle)),
          'invalid'
        ),
      ],
      [
        `${f}.unsorted`,
        () => {
          if (col2 === undefined) return ((M.colPtr[M.ncols] = nnz + 1), 'invalid');
          const t = M.colPtr[col2]!;
          [M.rowIdx[t], M.rowIdx[t + 1]] = [M.rowIdx[t + 1]!, M.rowIdx[t]!];
          return 'invalid';
        },
      ],
      [
        `${f}.duplicate`,
        () => {
          if (col2 === undefined) return ((M.colPtr[M.ncols] = nnz + 1), 'invalid');
          const t = M.colPtr[col2]!;
          M.rowIdx[t + 1] = M.rowIdx[t]!;
          return 'invalid';
        },
      ],
    );
  }
  if (p.P && n >= 2) {
    faults.push([
      'P.asymmetric',
      () => (
        (p.P = dense(
          p.P!.toDense().map((row, i) => row.map((v, j) => (i === 1 && j === 0 ? v + 1 : v))),
          'full',
        )),
        'invalid'
      ),
    ]);
    faults.push([
      'P.wrongTriangle',
      () => (
        (p.P = dense(
          p.P!.toDense().map((row, i) => row.map((v, j) => (i === 1 && j === 0 ? 1 : i === 0 && j === 1 ? 1 : v))),
          'full',
        )),
        (p.P = new CscMatrix(n, n, p.P.colPtr, p.P.rowIdx, p.P.values, 'lower')),
        'invalid'
      ),
    ]);
  }
  const [name, apply] = r.pick(faults);
  // Even a valid result (a longer q with no other data) is a different problem.
  return { problem: p, validity: apply(), expect: 'unknown', what: name };
}

/** Shapes far beyond the data: an empty A with 2³¹−1 rows must not allocate 2 × 16 GiB of bounds. */
function mutateSize(r: Rand, b: Built): Mutated {
  const p = copyProblem(b.problem);
  const n = p.q.length;
  const rows = r.pick([0x7fffffff, 2 ** 30, 2 ** 28, 2 ** 31, 2 ** 53, -1, 1.5, NaN]);
  const validInt = Number.isInteger(rows) && rows >= 0 && rows <= 0x7fffffff;
  if (r.chance(0.5)) {
    const fresh: CanonicalProblem<Float64Array, CscMatrix> = {
      q: p.q,
      A: new CscMatrix(rows, n, new Int32Array(n + 1), new Int32Array(0), new Float64Array(0)),
    };
    if (p.P) fresh.P = p.P;
    // With l and u omitted every row is free: valid, if absurd.
    return { problem: fresh, validity: validInt ? 'either' : 'invalid', expect: 'unknown', what: `A.nrows=${rows}` };
  }
  p.P = new CscMatrix(rows, rows, new Int32Array(2), new Int32Array(0), new Float64Array(0), 'lower');
  return { problem: p, validity: rows === n ? 'valid' : 'invalid', expect: 'unknown', what: `P.size=${rows}` };
}

// ---- options -----------------------------------------------------------------------------------

const solverKeys = ['auto', 'ipm', 'highs', 'ipopt', 'clp', 'admm'];

/** Options: a solver, a small time limit (a slow solver is then not a hang), and sometimes a broken option. */
function options(r: Rand, n: number, m: number): { options: Record<string, unknown>; validity: Validity; what: string } {
  const o: Record<string, unknown> = { solver: r.pick(solverKeys), timeLimit: r.pick([0.5, 1, 2]) };
  if (r.chance(0.3)) o.polish = r.chance(0.5);
  if (r.chance(0.15)) o.maxIter = r.pick([1, 5, 50]);
  if (r.chance(0.1)) o.epsAbs = r.pick([1e-3, 1e-9]);
  if (r.chance(0.05)) o.x0 = new Float64Array(n).fill(r.uniform(-1, 1));
  if (!r.chance(0.15)) return { options: o, validity: 'valid', what: String(o.solver) };
  const faults: [string, unknown, Validity][] = [
    ['solver', r.pick(['bogus', '', null, 5, 'AUTO']), 'invalid'],
    ['epsAbs', r.pick([-1, NaN, '1e-6', null]), 'invalid'],
    ['epsAbs', r.pick([0, 1e-300, 5e-324]), 'valid'],
    ['maxIter', r.pick([-1, 1.5, NaN, '10']), 'invalid'],
    ['maxIter', r.pick([0, 2 ** 31, 1e20]), 'either'],
    ['timeLimit', r.pick([-1, NaN, 'x']), 'invalid'],
    ['timeLimit', r.pick([0, 1e-300]), 'valid'],
    ['polish', r.pick([1, 'yes', null]), 'invalid'],
    ['x0', r.pick([new Float64Array(n + 1), Float64Array.of(NaN), [0]]), n === 1 ? 'either' : 'invalid'],
    ['y0', new Float64Array(m + 2), 'invalid'],
    ['verbose', 'loud', 'invalid'],
    ['bogusOption', 1, 'invalid'],
    [
      'solverOptions',
      r.pick([
        { max_iter: 3 },
        { presolve: 'off' },
        { bogus_name: 1 },
        { tol: -1 },
        { print_level: 12 },
        { primalTolerance: 'x' },
        { maxIterations: 2 },
      ]),
      'either',
    ],
    ['solverOptions', r.pick([[], null, 'x', { a: NaN }, { a: {} }]), 'invalid'],
    ['signal', {}, 'invalid'],
  ];
  const [key, value, validity] = r.pick(faults);
  o[key] = value;
  return { options: o, validity, what: `${String(o.solver)}/${key}=${describe(value)}` };
}

function describe(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Float64Array).length})`;
  return Array.isArray(v) ? `Array(${v.length})` : JSON.stringify(v);
}

// ---- oracles -----------------------------------------------------------------------------------

const infinite = (v: number) => !Number.isFinite(v) || Math.abs(v) >= 1e20;

/** max |v_i| */
const normInf = (v: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s = Math.max(s, Math.abs(v[i]!));
  return s;
};

/** Full symmetric P·x from any stored triangle. */
/** The same matrix with |values|. */
function absValues(M: CscMatrix): CscMatrix {
  return new CscMatrix(M.nrows, M.ncols, M.colPtr, M.rowIdx, M.values.map(Math.abs), M.triangle);
}

function symMultiply(P: CscMatrix | undefined, x: Float64Array): Float64Array {
  const n = x.length;
  const y = new Float64Array(n);
  if (!P) return y;
  const L = P.lowerTriangle();
  for (let j = 0; j < n; j++) {
    for (let t = L.colPtr[j]!; t < L.colPtr[j + 1]!; t++) {
      const i = L.rowIdx[t]!;
      y[i]! += L.values[t]! * x[j]!;
      if (i !== j) y[j]! += L.values[t]! * x[i]!;
    }
  }
  return y;
}

/**
 * The docs/METHODS.md §3 residuals recomputed here, each relative to the size of its terms (the
 * solver's claim is absolute at epsAbs; relative 1e-4 leaves room for rounding at any scale and
 * still catches an answer that is not a KKT point). Undefined when a term overflows.
 */
export function kktViolation(p: CanonicalProblem<Float64Array, CscMatrix>, s: Solution): number | undefined {
  const n = p.q.length;
  const m = p.A?.nrows ?? 0;
  const Px = symMultiply(p.P, s.x);
  const Ax = p.A ? p.A.multiply(s.x) : new Float64Array(0);
  const ATy = p.A ? p.A.multiplyTransposed(s.y) : new Float64Array(n);
  const abs = (v: Float64Array) => v.map(Math.abs);
  const absPx = symMultiply(p.P ? absValues(p.P) : undefined, abs(s.x));
  const absATy = p.A ? absValues(p.A).multiplyTransposed(abs(s.y)) : new Float64Array(n);
  let worst = 0;
  let gap = 0;
  let gapScale = 1;
  const absAx = p.A ? absValues(p.A).multiply(abs(s.x)) : new Float64Array(0);
  // `size`: of the terms summed into v before they cancel (|A||x| for a row); `floor`: as for
  // the dual below, 1e-2 of the largest row's size (the solved test is norm-wise over rows:
  // one row of 3e14 lets another of O(1) miss by 1e-2 at epsRel 1e-6, fuzz seed 84005).
  let rowFloor = 0;
  for (let i = 0; i < m; i++) rowFloor = Math.max(rowFloor, 1e-2 * absAx[i]!);
  const bound = (v: number, lo: number, hi: number, w: number, size = Math.abs(v), floor = 0) => {
    const scale = 1 + size + floor + (Number.isFinite(lo) ? Math.abs(lo) : 0) + (Number.isFinite(hi) ? Math.abs(hi) : 0);
    worst = Math.max(worst, (v - hi) / scale, (lo - v) / scale);
    const term = w > 0 ? hi * w : w < 0 ? lo * w : 0;
    gap += term;
    gapScale = Math.max(gapScale, Math.abs(term));
  };
  for (let i = 0; i < m; i++) bound(Ax[i]!, p.l ? p.l[i]! : -Infinity, p.u ? p.u[i]! : Infinity, s.y[i]!, absAx[i]!, rowFloor);
  let dualScale = 0;
  for (let j = 0; j < n; j++) dualScale = Math.max(dualScale, absPx[j]!, Math.abs(p.q[j]!), absATy[j]!, Math.abs(s.z[j]!));
  for (let j = 0; j < n; j++) {
    bound(s.x[j]!, p.lb ? p.lb[j]! : -Infinity, p.ub ? p.ub[j]! : Infinity, s.z[j]!);
    const r = Px[j]! + p.q[j]! + ATy[j]! + s.z[j]!;
    // Scaled by the sizes of the terms before they cancel (|P||x|, |A|ᵀ|y|): a component
    // whose 1e20-sized products cancel to O(1) cannot be computed better than their round-off.
    // Plus 1e-2 of the largest such size: an r_j within 1e-6 of the problem's dual scale is
    // what the solved test of docs/METHODS.md (norm-wise, epsRel 1e-6) allows, at any q.
    worst = Math.max(worst, Math.abs(r) / (1 + absPx[j]! + Math.abs(p.q[j]!) + absATy[j]! + Math.abs(s.z[j]!) + 1e-2 * dualScale));
    const terms = [s.x[j]! * Px[j]!, p.q[j]! * s.x[j]!];
    for (const t of terms) {
      gap += t;
      gapScale = Math.max(gapScale, Math.abs(t));
    }
  }
  worst = Math.max(worst, Math.abs(gap) / gapScale);
  return Number.isFinite(worst) ? worst : undefined;
}

/** Farkas: Aᵀdy + dz ≈ 0 and a negative support value, zero weight on every infinite side. */
function primalCertificateHolds(p: CanonicalProblem<Float64Array, CscMatrix>, cert: Float64Array): boolean {
  const n = p.q.length;
  const m = p.A?.nrows ?? 0;
  if (cert.length !== m + n) return false;
  const dy = cert.subarray(0, m);
  const dz = cert.subarray(m);
  const scale = normInf(cert);
  if (!(scale > 0) || !Number.isFinite(scale)) return false;
  const r = p.A ? p.A.multiplyTransposed(dy) : new Float64Array(n);
  for (let j = 0; j < n; j++) r[j]! += dz[j]!;
  let support = 0;
  let supportScale = 0;
  const side = (lo: number, hi: number, w: number): boolean => {
    if (w > 0 && infinite(hi)) return Math.abs(w) <= 1e-9 * scale;
    if (w < 0 && infinite(lo)) return Math.abs(w) <= 1e-9 * scale;
    const t = w > 0 ? hi * w : w < 0 ? lo * w : 0;
    support += t;
    supportScale = Math.max(supportScale, Math.abs(t));
    return true;
  };
  for (let i = 0; i < m; i++) if (!side(p.l ? p.l[i]! : -Infinity, p.u ? p.u[i]! : Infinity, dy[i]!)) return false;
  for (let j = 0; j < n; j++) if (!side(p.lb ? p.lb[j]! : -Infinity, p.ub ? p.ub[j]! : Infinity, dz[j]!)) return false;
  const normA = p.A ? normInf(p.A.values) : 0;
  return normInf(r) <= 1e-6 * scale * Math.max(1, normA) && support < -1e-9 * Math.max(scale, supportScale);
}

/** An unbounded ray: P dx ≈ 0, qᵀdx < 0, A dx and dx in the recession cones of the bounds. */
function dualCertificateHolds(p: CanonicalProblem<Float64Array, CscMatrix>, dx: Float64Array): boolean {
  const n = p.q.length;
  if (dx.length !== n) return false;
  const scale = normInf(dx);
  if (!(scale > 0) || !Number.isFinite(scale)) return false;
  const tol = 1e-6 * scale;
  const normP = p.P ? Math.max(1, normInf(p.P.values)) : 1;
  if (normInf(symMultiply(p.P, dx)) > tol * normP) return false;
  let qdx = 0;
  for (let j = 0; j < n; j++) qdx += p.q[j]! * dx[j]!;
  if (!(qdx < 0)) return false;
  const adx = p.A ? p.A.multiply(dx) : new Float64Array(0);
  const normA = p.A ? Math.max(1, normInf(p.A.values)) : 1;
  for (let i = 0; i < adx.length; i++) {
    if (!infinite(p.u ? p.u[i]! : Infinity) && adx[i]! > tol * normA) return false;
    if (!infinite(p.l ? p.l[i]! : -Infinity) && adx[i]! < -tol * normA) return false;
  }
  for (let j = 0; j < n; j++) {
    if (!infinite(p.ub ? p.ub[j]! : Infinity) && dx[j]! > tol) return false;
    if (!infinite(p.lb ? p.lb[j]! : -Infinity) && dx[j]! < -tol) return false;
  }
  return true;
}

type Verdict = { outcome: string; failed: boolean; detail: string };

const ok = (outcome: string, detail = ''): Verdict => ({ outcome: `ok:${outcome}`, failed: false, detail });
const fail = (outcome: (typeof failingOutcomes)[number], detail: string): Verdict => ({ outcome, failed: true, detail });

/** A thrown value: a QpError other than ERR_QP_NATIVE is a right answer to anything. */
export function judgeError(e: unknown): Verdict {
  if (!(e instanceof QpError) || !Object.values(ErrorCode).includes(e.code)) {
    const err = e as { name?: string; message?: string; code?: string };
    return fail('untyped', `${err?.name ?? typeof e}${err?.code ? ` ${err.code}` : ''}: ${String(err?.message ?? e).slice(0, 300)}`);
  }
  if (e.code === ErrorCode.NATIVE) return fail('native', e.message.slice(0, 300));
  return ok(e.code, e.message.slice(0, 200));
}

/** A returned Solution, judged against the class the data was built in. */
function judgeSolution(s: Solution, problem: unknown, validity: Validity, expect: Expect, epsAbs = 1e-6): Verdict {
  const claimed = s.status === 'solved' || s.status === 'solvedInaccurate';
  if (validity === 'invalid') return fail('acceptedInvalid', `status ${s.status}`);
  const p = problem as CanonicalProblem<Float64Array, CscMatrix>;
  if (claimed && (expect === 'infeasible' || expect === 'unbounded' || expect === 'nonconvex')) {
    return fail('falseSolved', `${s.solver}: ${s.status} on a ${expect} problem (objective ${s.objective}, ${s.rawStatusText})`);
  }
  if (
    (s.status === 'primalInfeasible' || s.status === 'dualInfeasible') &&
    (expect === 'optimal' ||
      (expect === 'unbounded' && s.status === 'primalInfeasible') ||
      (expect === 'infeasible' && s.status === 'dualInfeasible'))
  ) {
    return fail('wrongStatus', `${s.solver}: ${s.status} on a ${expect} problem (${s.rawStatusText})`);
  }
  if (s.certificate && validity === 'valid' && (s.status === 'primalInfeasible' || s.status === 'dualInfeasible')) {
    const holds = s.status === 'primalInfeasible' ? primalCertificateHolds(p, s.certificate) : dualCertificateHolds(p, s.certificate);
    if (!holds) return fail('badCertificate', `${s.solver}: ${s.status} with a certificate that does not hold`);
  }
  if (s.status === 'solved' && expect === 'optimal' && validity === 'valid') {
    const v = kktViolation(p, s);
    if (v !== undefined && v > Math.max(1e-4, 10 * epsAbs))
      return fail('badSolved', `${s.solver}: solved, but the relative KKT violation is ${v.toExponential(2)}`);
  }
  return ok(s.status, s.solver);
}

function judgeFinite(what: string, values: Record<string, unknown>): Verdict {
  for (const [k, v] of Object.entries(values)) {
    if (v instanceof Float64Array)
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return fail('nonFinite', `${what}: ${k}[${i}] = ${v[i]}`);
  }
  return ok('returned');
}

// ---- QPS text --------------------------------------------------------------------------------------

// From test/fixtures, which every clone has: the cases of a seed do not depend on whether the
// whole set is on the machine.
const fixturesDir = path.resolve(__dirname, '..', '..', 'test', 'fixtures');
const smallMm = [
  'HS21',
  'HS35',
  'HS51',
  'HS52',
  'HS53',
  'HS76',
  'HS118',
  'HS268',
  'GENHS28',
  'TAME',
  'LOTSCHD',
  'QAFIRO',
  'DUALC1',
  'QADLITTL',
];

/** Our own small QPS problem, beside the Maros–Meszaros ones. */
const ownQps = `NAME          FUZZQP
ROWS
 N  COST
 L  LIM1
 G  LIM2
 E  MYEQN
COLUMNS
    X1        COST         1.0   LIM1         1.0
    X1        LIM2         1.0
    X2        COST         2.0   LIM1         1.0
    X2        MYEQN       -1.0
    X3        COST        -1.0   MYEQN        1.0
RHS
    RHS       COST        -4.0
    RHS       LIM1         4.0   LIM2         1.0
    RHS       MYEQN        7.0
RANGES
    RNG       LIM1         2.5
BOUNDS
 UP BND       X1           4.0
 LO BND       X2          -1.0
 UP BND       X2           1.0
 FR BND       X3
QUADOBJ
    X1        X1          10.0
    X1        X2           2.0
    X2        X2           4.0
    X3        X3           1.0
ENDATA
`;

let qpsTexts: { name: string; text: string }[] | undefined;
function fixtures(): { name: string; text: string }[] {
  if (!qpsTexts) {
    qpsTexts = [{ name: 'FUZZQP', text: ownQps }];
    for (const name of smallMm) {
      const file = path.join(fixturesDir, `${name}.QPS.gz`);
      if (existsSync(file)) qpsTexts.push({ name, text: gunzipSync(readFileSync(file)).toString('utf8') });
    }
  }
  return qpsTexts;
}

const tokens = [
  'NaN',
  'nan',
  'inf',
  '-inf',
  'Infinity',
  '1e999',
  '-1e999',
  '1e308',
  '1e-308',
  '1e20',
  '-1e30',
  '0x10',
  '',
  '1e',
  '--1',
  'X1',
  'RHS',
  'BOUNDS',
  'QUADOBJ',
  'UP',
  'FR',
  'MI',
  'BV',
  'ENDATA',
  'MARKER',
  "'INTORG'",
  '\u0000',
  '\t',
  'é',
];

/** One of: truncation, a token replaced, a line deleted, duplicated or swapped, random bytes. */
function mutateText(r: Rand, text: string): { text: string; what: string } {
  const lines = text.split('\n');
  const how = r.int(0, 6);
  const at = r.int(0, Math.max(0, lines.length - 1));
  switch (how) {
    case 0:
      return { text: text.slice(0, r.int(0, text.length)), what: 'truncate' };
    case 1: {
      const words = lines[at]!.split(/(\s+)/);
      const w = r.int(0, Math.max(0, words.length - 1));
      words[w] = r.pick(tokens);
      lines[at] = words.join('');
      return { text: lines.join('\n'), what: 'token' };
    }
    case 2:
      lines.splice(at, 1);
      return { text: lines.join('\n'), what: 'deleteLine' };
    case 3:
      lines.splice(at, 0, lines[r.int(0, lines.length - 1)]!);
      return { text: lines.join('\n'), what: 'duplicateLine' };
    case 4: {
      const b = r.int(0, lines.length - 1);
      [lines[at], lines[b]] = [lines[b]!, lines[at]!];
      return { text: lines.join('\n'), what: 'swapLines' };
    }
    case 5: {
      const chars = [...text];
      for (let k = r.int(1, 5); k > 0; k--) chars[r.int(0, chars.length - 1)] = String.fromCharCode(r.int(0, 255));
      return { text: chars.join(''), what: 'bytes' };
    }
    default:
      return { text, what: 'unchanged' };
  }
}

/** The environment variable by which the runner gives its children one folder for readQps files. */
export const scratchVariable = 'DIFFQP_FUZZ_TMP';

let scratch: string | undefined;
function scratchDir(): string {
  scratch ??= process.env[scratchVariable] || mkdtempSync(path.join(tmpdir(), 'diffqp-fuzz-'));
  return scratch;
}

/** A parsed problem must be a valid one: lb = +∞ from "1e999" or a NaN is a parse fault. */
function judgeParsed(problem: unknown): Verdict {
  try {
    toCanonical(problem as Problem<Float64Array, CscMatrix>);
  } catch (e) {
    return fail('parsedInvalid', `the parsed problem fails validation: ${(e as Error).message.slice(0, 200)}`);
  }
  return ok('parsed');
}

// ---- the case ----------------------------------------------------------------------------------

/** A built problem, mutated or not (about half of the cases). */
function problemCase(r: Rand): Mutated & { base: Built } {
  const base = buildProblem(r);
  const k = r.next();
  const m =
    k < 0.45
      ? undefined
      : k < 0.7
        ? mutateValue(r, base)
        : k < 0.85
          ? mutateType(r, base)
          : k < 0.95
            ? mutateStructure(r, base)
            : mutateSize(r, base);
  if (!m) return { problem: base.problem, validity: 'valid', expect: base.expect, what: base.kind, base };
  return { ...m, what: `${base.kind}/${m.what}`, base };
}

const worst = (a: Validity, b: Validity): Validity =>
  a === 'invalid' || b === 'invalid' ? 'invalid' : a === 'either' || b === 'either' ? 'either' : 'valid';

async function solveCase(r: Rand, call: 'solve' | 'solveSync'): Promise<[string, Verdict]> {
  const c = problemCase(r);
  const n = c.base.problem.q.length;
  const o = options(r, n, c.base.problem.A?.nrows ?? 0);
  const validity = worst(c.validity, o.validity);
  const kind = `${c.what}|${o.what}`;
  // Shrinking a resizable buffer while the solver reads it.
  const shrink = call === 'solve' && r.chance(0.02) && n > 0;
  let problem = c.problem;
  if (shrink) {
    const buf = new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer & { resize(k: number): void })(n * 8, {
      maxByteLength: n * 8,
    });
    const q = new Float64Array(buf);
    q.set(c.base.problem.q);
    problem = { ...(c.problem as object), q };
    record(`${kind}|shrink`, `${call} (q's buffer shrunk to 0 after the call)`, problem, o.options);
    try {
      const pending = solve(problem as Problem<Float64Array, CscMatrix>, o.options as SolveOptions);
      buf.resize(0);
      await pending;
      return [`${kind}|shrink`, ok('returned')];
    } catch (e) {
      return [`${kind}|shrink`, judgeError(e)];
    }
  }
  const eps = typeof o.options.epsAbs === 'number' ? o.options.epsAbs : undefined;
  const judge = (s: Solution) => judgeSolution(s, problem, validity, c.expect, eps);
  if (call === 'solve' && o.validity === 'valid' && r.chance(0.1)) {
    // Three solves of the same data at once, one with another solver: each answer judged alone.
    const other = { ...o.options, solver: r.pick(solverKeys) };
    record(`${kind}|concurrent`, 'solve ×3 at once', problem, o.options, other);
    const settled = await Promise.allSettled(
      [o.options, other, o.options].map((opts) => solve(problem as Problem<Float64Array, CscMatrix>, opts as SolveOptions)),
    );
    const verdicts = settled.map((x) => (x.status === 'fulfilled' ? judge(x.value) : judgeError(x.reason)));
    return [`${kind}|concurrent`, verdicts.find((v) => v.failed) ?? verdicts[0]!];
  }
  if (call === 'solve' && o.validity === 'valid' && r.chance(0.05)) {
    // Cancelled at a random moment: ERR_QP_ABORTED, or the answer if it came first.
    const controller = new AbortController();
    const delay = r.pick([0, 1, 5, 20]);
    record(`${kind}|abort${delay}ms`, `solve, aborted after ${delay} ms`, problem, o.options);
    const timer = setTimeout(() => controller.abort(), delay);
    try {
      return [
        `${kind}|abort${delay}ms`,
        judge(await solve(problem as Problem<Float64Array, CscMatrix>, { ...(o.options as SolveOptions), signal: controller.signal })),
      ];
    } catch (e) {
      return [`${kind}|abort${delay}ms`, judgeError(e)];
    } finally {
      clearTimeout(timer);
    }
  }
  record(kind, call, problem, o.options);
  try {
    return [
      kind,
      judge(
        call === 'solve'
          ? await solve(problem as Problem<Float64Array, CscMatrix>, o.options as SolveOptions)
          : solveSync(problem as Problem<Float64Array, CscMatrix>, o.options as SolveOptions),
      ),
    ];
  } catch (e) {
    return [kind, judgeError(e)];
  }
}

const gradientSolvers = ['ipm', 'highs', 'ipopt', 'admm', 'auto'];

/** A differentiable solve of a built problem, then a backward or forward pass with seeds that may be broken. */
async function derivativeCase(r: Rand, call: 'differentiate' | 'jvp'): Promise<[string, Verdict]> {
  const base = buildProblem(r);
  const n = base.problem.q.length;
  const m = base.problem.A?.nrows ?? 0;
  const solver = r.pick(gradientSolvers);
  let sol: Solution;
  record(`${base.kind}|${solver}|solve`, 'solveSync', base.problem, { solver, timeLimit: 1 });
  try {
    sol = solveSync(base.problem, { solver, timeLimit: 1, differentiable: r.chance(0.5) });
  } catch (e) {
    return [`${base.kind}|${solver}|solve`, judgeError(e)];
  }
  const forward = judgeSolution(sol, base.problem, 'valid', base.expect);
  if (forward.failed) return [`${base.kind}|${solver}|solve`, forward];
  const seed = (len: number) => Float64Array.from({ length: len }, () => r.uniform(-1, 1));
  let validity = 'valid' as Validity;
  let what = 'seeds';
  const use = (v: Validity) => (validity = worst(validity, v));
  /** A seed of the wrong length or type, with a NaN, extreme but finite (then 'either'), or a plain array (valid: copied). */
  const brokenSeed = (len: number): unknown => {
    const k = r.int(0, 4);
    // A NaN or an extreme value at index 0 of an empty seed is no change at all.
    if (k !== 1 && (len > 0 || k === 0 || k === 3)) use(k === 4 ? 'either' : 'invalid');
    what = `brokenSeed${k}`;
    return [
      new Float64Array(len + 1),
      Array.from(seed(len)),
      Float64Array.from(seed(len), (x, i) => (i === 0 ? NaN : x)),
      null,
      Float64Array.from(seed(len), (x, i) => (i === 0 ? r.pick([1e308, -1e308, 1e200]) : x)),
    ][k];
  };
  const solution: { x: Float64Array; y: Float64Array; z: Float64Array; status?: string; hasDuals?: boolean } = sol;
  let target: unknown = solution;
  if (r.chance(0.1) && n > 0) {
    // An extreme but finite solution handed in by the caller.
    target = {
      ...sol,
      x: Float64Array.from(sol.x, (v, i) => (i === 0 ? r.pick([1e308, 1e200, -1e300]) : v)),
      status: sol.status,
      hasDuals: sol.hasDuals,
    };
    use('either');
    what = 'extremeX';
  }
  const opts: Record<string, unknown> = {};
  // jvp has no method, penaltyBeta or wrt: giving one is an error.
  const backwardOnly = (p: number) => r.chance(call === 'jvp' ? p / 10 : p);
  if (backwardOnly(0.5)) opts.method = r.pick(['kkt', 'full', 'penalty', 'qp', 'bogus']);
  if (opts.method === 'bogus') use('invalid');
  if (r.chance(0.1)) opts.epsActive = r.pick([0, 1e-3, -1, NaN]);
  if (opts.epsActive !== undefined && !((opts.epsActive as number) >= 0)) use('invalid');
  if (call === 'jvp' && (opts.method !== undefined || opts.penaltyBeta !== undefined || opts.wrt !== undefined)) use('invalid');
  if (backwardOnly(0.1)) opts.penaltyBeta = r.pick([1e-8, 1, -1, 1e300]);
  if (opts.penaltyBeta !== undefined && !((opts.penaltyBeta as number) > 0)) use('invalid');
  if (backwardOnly(0.1)) {
    opts.wrt = r.pick([['q'], ['P', 'A'], ['bogus'], [], 'q']);
    if (opts.wrt === 'q' || (opts.wrt as string[])[0] === 'bogus') use('invalid');
  }
  const handle = 'dispose' in sol && sol.dispose !== undefined && r.chance(0.7) && target === solution;
  if (handle && r.chance(0.1)) {
    sol.dispose!();
    use('invalid');
    what = 'disposed';
  }
  const sync = r.chance(0.5);
  const label = () => `${base.kind}|${solver}:${sol.status}|${what}|${sync ? 'sync' : 'async'}${handle ? '|handle' : ''}`;
  const differentiableStatus = sol.status === 'solved' || sol.status === 'solvedInaccurate';
  const args = (payload: unknown) => (handle ? [target, payload, opts] : [base.problem, target, payload, opts]);
  try {
    if (call === 'differentiate') {
      const grads: Record<string, unknown> = { dx: r.chance(0.15) ? brokenSeed(n) : seed(n) };
      if (r.chance(0.3)) grads.dy = r.chance(0.2) ? brokenSeed(m) : seed(m);
      const fn = (sync ? differentiateSync : differentiate) as (...a: unknown[]) => unknown;
      record(label(), sync ? 'differentiateSync' : 'differentiate', ...args(grads));
      const g = (await fn(...args(grads))) as Record<string, unknown>;
      if (validity === 'invalid' || (!differentiableStatus && validity === 'valid'))
        return [label(), fail('acceptedInvalid', `gradients returned (solution status ${sol.status})`)];
      return [label(), judgeFinite('differentiate', g)];
    }
    const tangents: Record<string, unknown> = { dq: r.chance(0.15) ? brokenSeed(n) : seed(n) };
    if (r.chance(0.3) && base.problem.l) tangents.dl = seed(m);
    if (r.chance(0.1)) tangents.dBogus = seed(n);
    if (tangents.dBogus) use('invalid');
    const fn = (sync ? jvpSync : jvp) as (...a: unknown[]) => unknown;
    record(label(), sync ? 'jvpSync' : 'jvp', ...args(tangents));
    const t = (await fn(...args(tangents))) as Record<string, unknown>;
    if (validity === 'invalid' || (!differentiableStatus && validity === 'valid'))
      return [label(), fail('acceptedInvalid', `tangents returned (solution status ${sol.status})`)];
    return [label(), judgeFinite('jvp', t)];
  } catch (e) {
    return [label(), judgeError(e)];
  }
}

async function qpsCase(r: Rand, call: 'parseQps' | 'readQps'): Promise<[string, Verdict]> {
  const fx = r.pick(fixtures());
  const { text, what } = mutateText(r, fx.text);
  const options: Record<string, unknown> = {};
  let validity: Validity = 'either';
  if (r.chance(0.1)) {
    const [k, v] = r.pick([
      ['format', 'fixed'],
      ['format', 'free'],
      ['format', 'bogus'],
      ['format', Object.create(null)],
      ['infinity', 1e10],
      ['infinity', -1],
      ['infinity', NaN],
      ['name', 5],
    ] as [string, unknown][]);
    options[k] = v;
    if (v === 'bogus' || typeof v === 'object' || (k === 'infinity' && !((v as number) > 0)) || k === 'name') validity = 'invalid';
  }
  let kind = `${fx.name}/${what}${Object.keys(options).length ? `|${Object.keys(options)[0]}=${describe(Object.values(options)[0])}` : ''}`;
  let parsed: unknown;
  try {
    if (call === 'parseQps') {
      record(kind, 'parseQps', text, options);
      parsed = parseQps(r.chance(0.02) ? (r.pick([null, 5, Buffer.from(text)]) as unknown as string) : text, options);
    } else {
      const file = path.join(scratchDir(), `${fx.name}.QPS${r.chance(0.5) ? '' : '.gz'}`);
      const special = r.chance(0.05) ? r.pick(['', scratchDir(), path.join(scratchDir(), 'missing.QPS')]) : undefined;
      if (special === undefined) {
        let bytes: Buffer = file.endsWith('.gz') ? gzipSync(Buffer.from(text)) : Buffer.from(text);
        if (file.endsWith('.gz') && r.chance(0.5)) {
          bytes = Buffer.from(bytes);
          const how = r.int(0, 2);
          if (how === 0) bytes = bytes.subarray(0, r.int(0, bytes.length));
          else for (let k = r.int(1, 4); k > 0; k--) bytes[r.int(how === 1 ? 0 : 10, bytes.length - 1)] = r.int(0, 255);
          kind += `|gzip${['Truncated', 'Bytes', 'BodyBytes'][how]}`;
        }
        writeFileSync(file, bytes);
        record(kind, `readQps of ${file}`, file.endsWith('.gz') ? bytes.toString('base64') : text, options);
      } else {
        kind += `|path=${special === '' ? "''" : path.basename(special)}`;
      }
      parsed = r.chance(0.5) ? await readQps(special ?? file, options) : readQpsSync(special ?? file, options);
    }
  } catch (e) {
    return [kind, judgeError(e)];
  }
  if (validity === 'invalid') return [kind, fail('acceptedInvalid', 'parsed with an invalid option')];
  const v = judgeParsed(parsed);
  if (v.failed || !r.chance(0.25)) return [kind, v];
  // Solve some of what parses: real structure, mutated.
  const solver = r.pick(solverKeys);
  record(`${kind}|${solver}`, 'solve', parsed, { solver, timeLimit: 1 });
  try {
    const s = await solve(parsed as Problem<Float64Array, CscMatrix>, { solver, timeLimit: 1 });
    // The Maros–Meszaros problems all have an optimum; a mutated one may not.
    return [
      `${kind}|${solver}`,
      judgeSolution(s, parsed, 'valid', what === 'unchanged' && Object.keys(options).length === 0 ? 'optimal' : 'unknown'),
    ];
  } catch (e) {
    return [`${kind}|${solver}`, judgeError(e)];
  }
}

const calls: readonly Call[] = ['solve', 'solveSync', 'differentiate', 'jvp', 'parseQps', 'readQps'];
const callWeights = [0.3, 0.2, 0.12, 0.08, 0.2, 0.1];

function pickCall(r: Rand): Call {
  let x = r.next();
  let k = 0;
  while (x >= callWeights[k]! && k < calls.length - 1) x -= callWeights[k++]!;
  return calls[k]!;
}

/** The call a seed makes (its first draw). */
export const callOf = (seed: number): Call => pickCall(new Rand(random(seed)));

/**
 * Seeds below 0 are the runner's own checks (test/04): −1 dies by SIGSEGV, −2 never answers,
 * −3 throws a plain Error. Only in a child: in the parent they would take it down.
 */
function runnerCheck(seed: number): Promise<CaseResult> | undefined {
  if (seed >= 0 || !trace.child) return undefined;
  record(`runner-check${seed}`, 'runner check');
  if (seed === -1) process.kill(process.pid, 'SIGSEGV');
  if (seed === -2) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  const [kind, v] = ['runner-check', judgeError(new Error('a plain Error'))];
  return Promise.resolve({ seed, call: 'solve', kind, ...v });
}

/** Runs the case of one seed in this process. */
export async function runCase(seed: number): Promise<CaseResult> {
  const check = runnerCheck(seed);
  if (check) return check;
  const r = new Rand(random(seed));
  const call = pickCall(r);
  const [kind, v] =
    call === 'solve' || call === 'solveSync'
      ? await solveCase(r, call)
      : call === 'differentiate' || call === 'jvp'
        ? await derivativeCase(r, call)
        : await qpsCase(r, call);
  return { seed, call, kind, ...v };
}
