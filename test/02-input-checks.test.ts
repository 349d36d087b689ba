/**
 * Issue 10, items 4 and 5: every malformed input is a typed QpError naming its field before
 * anything is allocated, and every input that can change under a running solve is copied.
 * Buffers, sizes, matrices, strict options and keys, QPS numbers and files, and gradients of
 * extreme but finite data. Each accepted case is checked against a known optimum.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { differentiate, differentiateSync, DifferentiateOptions, Grads } from '../lib/differentiate';
import { jvp, jvpSync, Tangents } from '../lib/jvp';
import { ErrorCode, QpError } from '../lib/errors';
import { CanonicalProblem, Problem, StandardProblem } from '../lib/problem';
import { parseQps, QpsOptions, readQps, readQpsSync } from '../lib/qps';
import { solve, solveSync, SolveOptions } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { MAX_ROWS_PLUS_COLUMNS } from '../lib/validate';
import { assertClose, chainQp, f64 } from './helpers';

/**
 * min (x₁ − 1)² + (x₂ − 2)² = ½xᵀ(2I)x − (2, 4)ᵀx + 5  s.t.  x₁ + x₂ ≤ 2: the projection of
 * (1, 2) onto the half-plane, x* = (0.5, 1.5), y* = 1 (P x + q + Aᵀy = 0).
 */
const xStar = [0.5, 1.5];

function parts() {
  return {
    P: new CscMatrix(2, 2, Int32Array.from([0, 1, 2]), Int32Array.from([0, 1]), f64([2, 2]), 'lower'),
    q: f64([-2, -4]),
    A: new CscMatrix(1, 2, Int32Array.from([0, 1, 2]), Int32Array.from([0, 0]), f64([1, 1])),
    l: f64([-Infinity]),
    u: f64([2]),
  };
}

function problem(): CanonicalProblem<Float64Array, CscMatrix> {
  return parts();
}

/** The same problem in the standard form (G x ≤ h). */
function standard(): StandardProblem<Float64Array, CscMatrix> {
  const { P, q, A } = parts();
  return { form: 'standard', P, q, G: A, h: f64([2]) };
}

/** Asserts that e is a QpError with this code and field (and message pattern). */
function checkError(e: unknown, code: string, field: string | undefined, pattern?: RegExp): QpError {
  assert.ok(e instanceof QpError, `expected a QpError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  assert.equal(e.field, field, e.message);
  if (pattern) assert.match(e.message, pattern);
  return e;
}

function expectCode(fn: () => unknown, code: string, field: string | undefined, pattern?: RegExp): QpError {
  try {
    fn();
  } catch (e) {
    return checkError(e, code, field, pattern);
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

async function expectCodeAsync(fn: () => Promise<unknown>, code: string, field: string | undefined, pattern?: RegExp): Promise<QpError> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, code, field, pattern);
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

/** solveSync and solve both reject the problem with this code and field. */
async function rejects(
  p: unknown,
  code: string,
  field: string,
  pattern?: RegExp,
  options: SolveOptions = { solver: 'ipm' },
): Promise<void> {
  expectCode(() => solveSync(p as Problem<Float64Array, CscMatrix>, options), code, field, pattern);
  await expectCodeAsync(() => solve(p as Problem<Float64Array, CscMatrix>, options), code, field, pattern);
}

/** solveSync and solve both reach the known optimum. */
async function solvesToOptimum(p: unknown, options: SolveOptions = { solver: 'ipm' }): Promise<void> {
  for (const sol of [
    solveSync(p as Problem<Float64Array, CscMatrix>, options),
    await solve(p as Problem<Float64Array, CscMatrix>, options),
  ]) {
    assert.equal(sol.status, 'solved');
    assertClose(sol.x, xStar, 1e-6, 'x');
  }
}

function f64On(buffer: ArrayBufferLike, values: number[]): Float64Array {
  const a = new Float64Array(buffer, 0, values.length);
  a.set(values);
  return a;
}

/** ES2024 buffers (Node 20 has them; the TypeScript lib here predates them). */
type Resizable = ArrayBuffer & { resize(byteLength: number): void };
const resizable = (byteLength: number, maxByteLength: number) =>
  new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => Resizable)(byteLength, { maxByteLength });
const growableShared = (byteLength: number, maxByteLength: number) =>
  new (SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer)(byteLength, { maxByteLength });

function detach(a: Float64Array | Int32Array): void {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
}

describe('input checks: typed-array arguments', () => {
  it('the reference problem reaches x* = (0.5, 1.5) through every solver path used below', async () => {
    await solvesToOptimum(problem());
    await solvesToOptimum(standard());
  });

  it('a Float64Array on a resizable ArrayBuffer is copied: shrinking it during an async solve changes nothing', async () => {
    const buffer = resizable(16, 64);
    const q = f64On(buffer, [-2, -4]);
    await solvesToOptimum({ ...problem(), q });
    // A length-tracking view too; then shrink the buffer while the solve runs.
    const tracking = new Float64Array(buffer);
    const running = solve({ ...problem(), q: tracking }, { solver: 'ipm' });
    buffer.resize(0);
    const sol = await running;
    assert.equal(sol.status, 'solved');
    assertClose(sol.x, xStar, 1e-6, 'x');
    assert.equal(tracking.length, 0);
  });

  it('an Int32Array on a resizable buffer (A.colPtr) is copied as well', async () => {
    const buffer = resizable(12, 12);
    const colPtr = new Int32Array(buffer);
    colPtr.set([0, 1, 2]);
    const { A } = parts();
    await solvesToOptimum({ ...problem(), A: new CscMatrix(1, 2, colPtr, A.rowIdx, A.values) });
  });

  it('a view shrunk out of bounds before the call is a dimension error naming the field', async () => {
    const buffer = resizable(16, 16);
    const u = f64On(buffer, [2]);
    buffer.resize(0);
    await rejects({ ...problem(), u }, ErrorCode.DIMENSION_MISMATCH, 'u', /^u: must have length 1 \(got 0\)/);
  });

  it('SharedArrayBuffer-backed arrays (fixed and growable) are copied and solve', async () => {
    const q = f64On(new SharedArrayBuffer(16), [-2, -4]);
    const growable = growableShared(8, 64);
    const u = f64On(growable, [2]);
    const rowIdx = new Int32Array(new SharedArrayBuffer(8));
    const { A } = parts();
    await solvesToOptimum({ ...problem(), q, u, A: new CscMatrix(1, 2, A.colPtr, rowIdx, A.values) });
  });

  it('an array on a detached buffer is ERR_QP_INVALID_TYPE naming the field (even when empty)', async () => {
    const q = f64([-2, -4]);
    detach(q);
    await rejects({ ...problem(), q }, ErrorCode.INVALID_TYPE, 'q', /detached/);
    const values = f64([1, 1]);
    detach(values);
    const { A } = parts();
    await rejects({ ...problem(), A: new CscMatrix(1, 2, A.colPtr, A.rowIdx, values) }, ErrorCode.INVALID_TYPE, 'A.values', /detached/);
    const x0 = f64([0, 0]);
    detach(x0);
    expectCode(() => solveSync(problem(), { solver: 'ipm', x0 }), ErrorCode.INVALID_TYPE, 'options.x0', /detached/);
    const empty = new Float64Array(0);
    detach(empty);
    const noRows = { q: f64([-2, -4]), A: CscMatrix.zeros(0, 2), l: empty };
    await rejects(noRows, ErrorCode.INVALID_TYPE, 'l', /detached/);
  });

  it('a Proxy of a Float64Array passes instanceof but is ERR_QP_INVALID_TYPE', async () => {
    const q = new Proxy(f64([-2, -4]), {});
    assert.ok(q instanceof Float64Array);
    await rejects({ ...problem(), q }, ErrorCode.INVALID_TYPE, 'q', /^q: must be a Float64Array or an array of numbers, not a Proxy/);
    const revocable = Proxy.revocable(f64([2]), {});
    revocable.revoke();
    await rejects({ ...problem(), u: revocable.proxy }, ErrorCode.INVALID_TYPE, 'u', /^u: must be a Float64Array/);
    const values = new Proxy(f64([2, 2]), {});
    const { P } = parts();
    await rejects(
      { ...problem(), P: new CscMatrix(2, 2, P.colPtr, P.rowIdx, values, 'lower') },
      ErrorCode.INVALID_TYPE,
      'P.values',
      /Proxy/,
    );
  });

  it('an object whose prototype is Float64Array.prototype is not a Float64Array', async () => {
    const fake = Object.create(Float64Array.prototype) as Float64Array;
    await rejects({ ...problem(), q: fake }, ErrorCode.INVALID_TYPE, 'q', /not a Proxy or an object inheriting/);
    const fakeInt = Object.create(Int32Array.prototype) as Int32Array;
    const { A } = parts();
    await rejects(
      { ...problem(), A: new CscMatrix(1, 2, fakeInt, A.rowIdx, A.values) },
      ErrorCode.INVALID_TYPE,
      'A.colPtr',
      /^A\.colPtr: must be an Int32Array/,
    );
  });

  it('typed arrays of the wrong kind are ERR_QP_INVALID_TYPE naming the field', async () => {
    const { P, A } = parts();
    await rejects(
      { ...problem(), q: Float32Array.from([-2, -4]) },
      ErrorCode.INVALID_TYPE,
      'q',
      /^q: must be a Float64Array or an array of numbers \(got Float32Array\(2\)\)/,
    );
    await rejects(
      { ...problem(), P: new CscMatrix(2, 2, P.colPtr, P.rowIdx, Int32Array.from([2, 2]) as unknown as Float64Array, 'lower') },
      ErrorCode.INVALID_TYPE,
      'P.values',
    );
    await rejects(
      { ...problem(), A: new CscMatrix(1, 2, Float64Array.from([0, 1, 2]) as unknown as Int32Array, A.rowIdx, A.values) },
      ErrorCode.INVALID_TYPE,
      'A.colPtr',
    );
    await rejects(
      { ...problem(), A: new CscMatrix(1, 2, A.colPtr, Uint32Array.from([0, 0]) as unknown as Int32Array, A.values) },
      ErrorCode.INVALID_TYPE,
      'A.rowIdx',
    );
    await rejects({ ...problem(), lb: BigInt64Array.from([0n, 0n]) }, ErrorCode.INVALID_TYPE, 'lb');
    await rejects({ ...problem(), u: new DataView(new ArrayBuffer(8)) }, ErrorCode.INVALID_TYPE, 'u');
  });

  it('subarray views with offsets are read at their offset (no copy needed)', async () => {
    const big = f64([9, 9, 9, -2, -4, 9]);
    const q = big.subarray(3, 5);
    const ints = Int32Array.from([7, 0, 1, 2, 7]);
    const values = f64([5, 1, 1, 5]).subarray(1, 3);
    const bounds = f64([3, 2, 3]).subarray(1, 2);
    await solvesToOptimum({ ...problem(), q, A: new CscMatrix(1, 2, ints.subarray(1, 4), Int32Array.from([0, 0]), values), u: bounds });
  });
});

describe('input checks: buffers transferred while async work runs', function () {
  this.timeout(120000);
  type Chain = ReturnType<typeof chainQp>;
  const arraysOf = (p: Chain) => [p.q, p.l, p.u, p.lb, p.ub, p.P.colPtr, p.P.rowIdx, p.P.values, p.A.colPtr, p.A.rowIdx, p.A.values];
  // The collector, so that the transferred memory is freed (and reused) while the work runs.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  /** Transfers every buffer away and lets the collector free them, then fills the heap. */
  const transferAll = (arrays: Array<Float64Array | Int32Array>) => {
    for (const a of arrays) detach(a);
    gc();
    const filler: Float64Array[] = [];
    for (let k = 0; k < 20; k++) filler.push(new Float64Array(50000).fill(1e300));
    return filler.length;
  };

  it('solve, differentiate and jvp read copies: the answers equal those of the intact sync calls', async () => {
    // The reference: the sync calls on an intact copy of the same data (they borrow, no JS runs meanwhile).
    const n = 3000;
    const reference = chainQp(n, 1000, 7);
    const refSol = solveSync(reference, { solver: 'ipm' });
    assert.equal(refSol.status, 'solved');
    const dx = new Float64Array(n).map((_, j) => Math.sin(j));
    const refGrad = differentiateSync(reference, refSol, { dx });
    const dq = new Float64Array(n).map((_, j) => Math.cos(j));
    const refJvp = jvpSync(reference, refSol, { dq });

    const p = chainQp(n, 1000, 7);
    const running = solve(p, { solver: 'ipm' });
    transferAll(arraysOf(p));
    const sol = await running;
    assert.equal(sol.status, 'solved');
    assertClose(sol.x, refSol.x, 1e-12, 'x');

    const p2 = chainQp(n, 1000, 7);
    const sol2 = { x: refSol.x.slice(), y: refSol.y.slice(), z: refSol.z.slice(), status: refSol.status };
    const seeds = { dx: dx.slice() };
    const backward = differentiate(p2, sol2, seeds);
    transferAll([...arraysOf(p2), sol2.x, sol2.y, sol2.z, seeds.dx]);
    const g = await backward;
    assertClose(g.dq!, refGrad.dq!, 1e-12, 'dq');
    assertClose(g.dA!, refGrad.dA!, 1e-12, 'dA');
    assertClose(g.dP!, refGrad.dP!, 1e-12, 'dP');

    const p3 = chainQp(n, 1000, 7);
    const sol3 = { x: refSol.x.slice(), y: refSol.y.slice(), z: refSol.z.slice(), status: refSol.status };
    const tangents = { dq: dq.slice() };
    const forward = jvp(p3, sol3, tangents);
    transferAll([...arraysOf(p3), sol3.x, sol3.y, sol3.z, tangents.dq]);
    const t = await forward;
    assertClose(t.dx, refJvp.dx, 1e-12, 'jvp dx');
  });
});

describe('input checks: sizes before allocation', () => {
  it(`n + m is at most ${MAX_ROWS_PLUS_COLUMNS}: an empty A of 2³¹−1, 2³⁰ or 2²⁸ rows is ERR_QP_TOO_LARGE`, async () => {
    for (const rows of [2 ** 31 - 1, 2 ** 30, 2 ** 28]) {
      const p = { q: f64([-2, -4]), A: CscMatrix.zeros(rows, 2) };
      const e = expectCode(() => solveSync(p), ErrorCode.TOO_LARGE, 'A.nrows', /n \+ m = \d+ exceeds the limit of 268435455/);
      assert.equal(e.value, rows);
      await expectCodeAsync(() => solve(p), ErrorCode.TOO_LARGE, 'A.nrows');
    }
    // Standard form: G alone, and G and A together (checked before h and b, here far too short).
    const none = new Float64Array(0);
    expectCode(() => solveSync({ form: 'standard', q: f64([1]), G: CscMatrix.zeros(2 ** 28, 1), h: none }), ErrorCode.TOO_LARGE, 'G.nrows');
    const half: StandardProblem<Float64Array, CscMatrix> = {
      form: 'standard',
      q: f64([1]),
      G: CscMatrix.zeros(2 ** 27, 1),
      h: none,
      A: CscMatrix.zeros(2 ** 27, 1),
      b: none,
    };
    const e = expectCode(() => solveSync(half), ErrorCode.TOO_LARGE, 'A.nrows', /n \+ m = 268435457/);
    assert.equal(e.value, 2 ** 28);
  });

  it('a row count beyond 32 bits is ERR_QP_INVALID_TYPE naming A.nrows', async () => {
    const A = new CscMatrix(2 ** 31, 2, new Int32Array(3), new Int32Array(0), new Float64Array(0));
    await rejects({ q: f64([-2, -4]), A }, ErrorCode.INVALID_TYPE, 'A.nrows', /non-negative 32-bit integer/);
  });

  it('empty rows within the limit solve: 1000 free rows leave x* unchanged', async () => {
    const rows = 1001;
    const A = new CscMatrix(rows, 2, Int32Array.from([0, 1, 2]), Int32Array.from([1000, 1000]), f64([1, 1]));
    const u = new Float64Array(rows).fill(Infinity);
    u[1000] = 2;
    await solvesToOptimum({ P: parts().P, q: f64([-2, -4]), A, u });
  });
});

describe('input checks: matrices', () => {
  it('a CSC-shaped plain object (e.g. a structuredClone of a CscMatrix) is accepted as P, A and G', async () => {
    const { P, A } = parts();
    const plainP = { nrows: 2, ncols: 2, colPtr: P.colPtr, rowIdx: P.rowIdx, values: P.values, triangle: 'lower' };
    await solvesToOptimum({ ...problem(), P: plainP, A: structuredClone(A) });
    await solvesToOptimum({
      ...standard(),
      P: structuredClone(P),
      G: { nrows: 1, ncols: 2, colPtr: A.colPtr, rowIdx: A.rowIdx, values: A.values },
    });
  });

  /**
   * With the row active, x₁ = −q₁/2 + (q₁+q₂)/4 + 1, so for dx = (1, 0): dq = (−¼, ¼). With
   * P = diag(p₁, p₂), x₁ = (2 − y)/p₁ and y = (2/p₁ + 4/p₂ − 2)/(1/p₁ + 1/p₂); at p = (2, 2):
   * ∂x₁/∂p₁ = −2/(2 + p₁)² = −⅛ and ∂x₁/∂p₂ = 6/(p₂ + 2)² = ⅜.
   */
  it('gradients on a plain-object P and G match the closed form: dq = (−¼, ¼), dP = (−⅛, ⅜)', () => {
    const { P, A } = parts();
    for (const p of [
      { ...problem(), P: structuredClone(P) },
      { ...standard(), P: structuredClone(P), G: structuredClone(A) },
    ] as Problem<Float64Array, CscMatrix>[]) {
      const sol = solveSync(p, { solver: 'ipm', epsAbs: 1e-10, epsRel: 1e-10 });
      const g = differentiateSync(p, sol, { dx: f64([1, 0]) });
      assertClose(g.dq!, [-0.25, 0.25], 1e-6, 'dq');
      assert.equal(g.dP!.length, 2);
      assertClose(g.dP!, [-0.125, 0.375], 1e-6, 'dP');
      const t = jvpSync(p, sol, { dq: f64([1, 0]) });
      assertClose(t.dx, [-0.25, 0.25], 1e-6, 'jvp dx');
    }
  });

  it('anything else as a matrix is ERR_QP_INVALID_TYPE naming the field or its key', async () => {
    const { P, A } = parts();
    await rejects({ ...problem(), P: new Map() }, ErrorCode.INVALID_TYPE, 'P', /must be a CscMatrix or a plain object/);
    await rejects(
      {
        ...problem(),
        P: [
          [2, 0],
          [0, 2],
        ],
      },
      ErrorCode.INVALID_TYPE,
      'P',
    );
    await rejects({ ...standard(), G: 'G' }, ErrorCode.INVALID_TYPE, 'G');
    const shaped = { shape: [1, 2], colPtr: A.colPtr, rowIdx: A.rowIdx, values: A.values };
    await rejects({ ...standard(), G: shaped }, ErrorCode.INVALID_TYPE, 'G.shape', /is not a field of a CSC matrix \(known: nrows, ncols/);
    await rejects(
      { ...problem(), P: { ncols: 2, colPtr: P.colPtr, rowIdx: P.rowIdx, values: P.values } },
      ErrorCode.INVALID_TYPE,
      'P.nrows',
      /got undefined/,
    );
  });

  it("triangle: null is ERR_QP_INVALID_TYPE, never an unchecked P; an omitted triangle is 'full' and checked", async () => {
    const colPtr = Int32Array.from([0, 2, 3]);
    const rowIdx = Int32Array.from([0, 1, 1]);
    const values = f64([2, 1, 2]); // (1, 0) = 1 but (0, 1) = 0: not symmetric
    await rejects(
      { ...problem(), P: { nrows: 2, ncols: 2, colPtr, rowIdx, values, triangle: null } },
      ErrorCode.INVALID_TYPE,
      'P.triangle',
      /got null/,
    );
    const asClass = Object.assign(Object.create(CscMatrix.prototype), { nrows: 2, ncols: 2, colPtr, rowIdx, values, triangle: null });
    await rejects({ ...problem(), P: asClass }, ErrorCode.INVALID_TYPE, 'P.triangle');
    await rejects({ ...problem(), P: { nrows: 2, ncols: 2, colPtr, rowIdx, values } }, ErrorCode.NOT_SYMMETRIC, 'P.values');
  });

  it('a matrix whose getters change between reads is checked once, on what the solver gets', async () => {
    const { A } = parts();
    let reads = 0;
    const good = A.colPtr;
    const tricky = {
      nrows: 1,
      ncols: 2,
      get colPtr() {
        reads++;
        return reads === 1 ? good : Int32Array.from([0, 5, 9]);
      },
      rowIdx: A.rowIdx,
      values: A.values,
    };
    const sol = solveSync({ ...problem(), A: tricky as unknown as CscMatrix }, { solver: 'ipm' });
    assert.equal(reads, 1);
    assert.equal(sol.status, 'solved');
    assertClose(sol.x, xStar, 1e-6, 'x');
  });
});

describe('input checks: strict options and keys', () => {
  it('solver: null and options = [] are ERR_QP_INVALID_OPTION', async () => {
    await rejects(problem(), ErrorCode.INVALID_OPTION, 'options.solver', /got null/, { solver: null } as unknown as SolveOptions);
    await rejects(problem(), ErrorCode.INVALID_OPTION, 'options', /must be an object \(got Array\(0\)\)/, [] as unknown as SolveOptions);
    await rejects(problem(), ErrorCode.INVALID_OPTION, 'options.signal', undefined, {
      signal: new Proxy(new AbortController().signal, {}),
    });
    await rejects(problem(), ErrorCode.INVALID_OPTION, 'options.signal', undefined, { signal: Object.create(AbortSignal.prototype) });
  });

  it('a misspelt problem key is ERR_QP_INVALID_TYPE naming it and the known keys', async () => {
    await rejects({ ...problem(), UB: f64([1, 1]) }, ErrorCode.INVALID_TYPE, 'UB', /^UB: is not a problem field \(known: .*\bub\b/);
    await rejects({ ...standard(), H: f64([2]) }, ErrorCode.INVALID_TYPE, 'H');
    // Undefined values count as well: the key itself is the mistake.
    await rejects({ ...problem(), Lb: undefined }, ErrorCode.INVALID_TYPE, 'Lb');
  });

  it('known fields may be inherited (Object.create(base)); unknown own keys are still named', async () => {
    const inherited = Object.create(problem()) as CanonicalProblem<Float64Array, CscMatrix>;
    await solvesToOptimum(inherited);
    await rejects(Object.assign(Object.create(problem()), { Q: 1 }), ErrorCode.INVALID_TYPE, 'Q');
  });

  it("a QpsProblem's description keys (name, stats, rowNames, …) are known", async () => {
    const p = parseQps(
      [
        'NAME T',
        'ROWS',
        ' N obj',
        ' L c',
        'COLUMNS',
        ' x obj -2 c 1',
        ' y obj -4 c 1',
        'RHS',
        ' rhs c 2',
        'BOUNDS',
        ' FR bnd x',
        ' FR bnd y',
        'QUADOBJ',
        ' x x 2',
        ' y y 2',
        'ENDATA',
      ].join('\n'),
    );
    await solvesToOptimum(p);
  });

  it('differentiate and jvp: options [] / null, method null, a misspelt seed, grads [] are typed errors', () => {
    const p = problem();
    const sol = solveSync(p, { solver: 'ipm' });
    const grads = { dx: f64([1, 0]) };
    expectCode(() => differentiateSync(p, sol, grads, [] as unknown as DifferentiateOptions), ErrorCode.INVALID_OPTION, 'options');
    expectCode(() => differentiateSync(p, sol, grads, null as unknown as DifferentiateOptions), ErrorCode.INVALID_OPTION, 'options');
    expectCode(
      () => differentiateSync(p, sol, grads, { method: null } as unknown as DifferentiateOptions),
      ErrorCode.INVALID_OPTION,
      'options.method',
    );
    expectCode(
      () => differentiateSync(p, sol, { dx: f64([1, 0]), dX: f64([1, 0]) } as Grads),
      ErrorCode.INVALID_TYPE,
      'grads.dX',
      /known: dx, dy, dz/,
    );
    expectCode(() => differentiateSync(p, sol, [] as unknown as Grads), ErrorCode.INVALID_TYPE, 'grads');
    expectCode(() => differentiateSync(p, sol, { dx: new Proxy(f64([1, 0]), {}) }), ErrorCode.INVALID_TYPE, 'grads.dx', /Proxy/);
    expectCode(() => jvpSync(p, sol, { dq: f64([1, 0]) }, [] as never), ErrorCode.INVALID_OPTION, 'options');
    expectCode(() => jvpSync(p, sol, [] as unknown as Tangents), ErrorCode.INVALID_TYPE, 'tangents');
    expectCode(() => jvpSync(p, sol, { dQ: f64([1, 0]) } as Tangents), ErrorCode.INVALID_TYPE, 'tangents.dQ');
  });

  it('parseQps / readQps options: Object.create(null), unknown keys and arrays are ERR_QP_INVALID_OPTION', async () => {
    const text = 'NAME T\nROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\n';
    expectCode(() => parseQps(text, { format: Object.create(null) }), ErrorCode.INVALID_OPTION, 'options.format', /got object/);
    expectCode(
      () => parseQps(text, { Format: 'fixed' } as QpsOptions),
      ErrorCode.INVALID_OPTION,
      'options.Format',
      /known: format, name, infinity/,
    );
    expectCode(() => parseQps(text, [] as QpsOptions), ErrorCode.INVALID_OPTION, 'options');
    expectCode(() => parseQps(text, { infinity: NaN }), ErrorCode.INVALID_OPTION, 'options.infinity');
    await expectCodeAsync(() => readQps('x.qps', { format: Object.create(null) }), ErrorCode.INVALID_OPTION, 'options.format');
    expectCode(() => readQpsSync('x.qps', { nmae: 'x' } as QpsOptions), ErrorCode.INVALID_OPTION, 'options.nmae');
  });
});

/** A QPS text with one line replaced: the lines are numbered from 1 as in the file. */
function qps(overrides: Record<number, string> = {}): string {
  const lines = [
    'NAME T', //              1
    'ROWS', //                2
    ' N obj', //              3
    ' L c', //                4
    ' E e', //                5
    'COLUMNS', //             6
    ' x obj -2 c 1', //       7
    ' y obj -4 c 1', //       8
    ' y e 0', //              9
    'RHS', //                 10
    ' rhs c 2', //            11
    ' rhs e 0', //            12
    'RANGES', //              13
    ' rng e 1', //            14
    'BOUNDS', //              15
    ' UP bnd x 10', //        16
    ' LO bnd y -10', //       17
    'QUADOBJ', //             18
    ' x x 2', //              19
    ' y y 2', //              20
    'ENDATA', //              21
  ];
  for (const [k, v] of Object.entries(overrides)) lines[Number(k) - 1] = v;
  return lines.join('\n');
}

function parseFails(text: string, line: number, token: string, pattern?: RegExp): void {
  const e = expectCode(() => parseQps(text), ErrorCode.QPS_PARSE, `line ${line}`, pattern);
  assert.equal(e.index, line);
  assert.equal(e.value, token);
}

describe('input checks: QPS numbers and files', () => {
  it('the reference QPS text is the reference problem (x* = (0.5, 1.5), row e: 0 ≤ 0·y ≤ 1)', async () => {
    const p = parseQps(qps());
    assert.deepEqual(Array.from(p.l), [-Infinity, 0]);
    assert.deepEqual(Array.from(p.u), [2, 1]);
    await solvesToOptimum(p);
  });

  it('inf and 1e999 are rejected wherever a coefficient must be finite', () => {
    parseFails(qps({ 7: ' x obj inf c 1' }), 7, 'inf', /'inf' is not finite \(value for row 'obj' must be\)/);
    parseFails(qps({ 8: ' y obj -4 c -Infinity' }), 8, '-Infinity', /not finite/);
    parseFails(qps({ 7: ' x obj 1e999 c 1' }), 7, '1e999', /beyond the double range/);
    parseFails(qps({ 19: ' x x inf' }), 19, 'inf', /quadratic coefficient/);
    parseFails(qps({ 12: ' rhs obj inf' }), 12, 'inf', /RHS of row 'obj'/);
    parseFails(qps({ 11: ' rhs c 1e999' }), 11, '1e999', /beyond the double range/);
    parseFails(qps({ 14: ' rng e -1d400' }), 14, '-1d400', /beyond the double range/);
    parseFails(qps({ 16: ' UP bnd x 1e999' }), 16, '1e999', /beyond the double range/);
  });

  it('bounds: UP ≥ 1e20 is +∞ and LO ≤ −1e20 is −∞; LO +1e30, UP −1e30 and FX ±1e30 are errors naming the line', () => {
    const p = parseQps(qps({ 16: ' UP bnd x 1e30', 17: ' LO bnd y -1e20' }));
    assert.deepEqual(Array.from(p.ub), [Infinity, Infinity]);
    assert.deepEqual(Array.from(p.lb), [0, -Infinity]);
    parseFails(qps({ 17: ' LO bnd y 1e30' }), 17, '1e30', /LO bound of column 'y' is '1e30', read as Infinity/);
    parseFails(qps({ 17: ' LO bnd y inf' }), 17, 'inf', /LO bound/);
    parseFails(qps({ 16: ' UP bnd x -1e30' }), 16, '-1e30', /UP bound/);
    parseFails(qps({ 16: ' FX bnd x 1e21' }), 16, '1e21', /FX bound/);
    parseFails(qps({ 16: ' LI bnd x 1e21' }), 16, '1e21', /LI bound/);
  });

  it('row bounds: an infinite RHS only where it removes a side (L: +∞, G: −∞), else an error naming the RHS line', () => {
    const p = parseQps(qps({ 11: ' rhs c 1e30' }));
    assert.deepEqual(Array.from(p.u), [Infinity, 1]);
    parseFails(qps({ 11: ' rhs c -1e30' }), 11, 'c', /row 'c' \(type L\): RHS -Infinity give the bounds \[-Infinity, -Infinity\]/);
    parseFails(qps({ 12: ' rhs e 1e30' }), 12, 'e', /row 'e' \(type E\): RHS Infinity and range 1/);
    parseFails(qps({ 4: ' G c', 11: ' rhs c 1e30' }), 11, 'c', /type G/);
    // ∞ − ∞: an L row with RHS +∞ and an infinite range.
    parseFails(qps({ 11: ' rhs c 1e30', 13: 'RANGES', 14: ' rng c 1e30' }), 11, 'c', /range Infinity give the bounds \[NaN, Infinity\]/);
    // A finite RHS with an infinite range is a one-sided row.
    const r = parseQps(qps({ 14: ' rng e -1e30' }));
    assert.deepEqual([r.l[1], r.u[1]], [-Infinity, 0]);
  });

  it('repeated entries that sum past the double range are an error naming the entry', () => {
    // x gets three entries in row c (1, 1.7e308, 1.7e308): a column listed again is the same column.
    parseFails(
      qps({ 9: ' x c 1.7e308 c 1.7e308' }),
      21,
      'Infinity',
      /the entry of column 'x' in row 'c': its repeated entries sum to Infinity/,
    );
    parseFails(qps({ 20: ' x x 1.7e308', 19: ' x x 1.7e308' }), 21, 'Infinity', /the quadratic entry \('x', 'x'\)/);
    parseFails(
      qps({ 9: ' x obj -1.7e308' }).replace(' x obj -2 c 1', ' x obj -1.7e308 c 1'),
      21,
      '-Infinity',
      /objective coefficient of column 'x'/,
    );
  });

  it('readQps of a missing file, a directory or "" is ERR_QP_QPS_PARSE naming the path; a non-string path is ERR_QP_INVALID_TYPE', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffqp-18-'));
    try {
      const missing = path.join(dir, 'none.qps');
      for (const [file, pattern] of [
        [missing, /none\.qps: no such file/],
        [dir, /is a directory/],
        ['', /^'': no such file/],
      ] as const) {
        const e = await expectCodeAsync(() => readQps(file), ErrorCode.QPS_PARSE, 'file', pattern);
        assert.equal(e.value, file);
        expectCode(() => readQpsSync(file), ErrorCode.QPS_PARSE, 'file', pattern);
      }
      await expectCodeAsync(() => readQps(42 as unknown as string), ErrorCode.INVALID_TYPE, 'file');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('truncated or corrupt gzip is ERR_QP_QPS_PARSE naming the file; the intact file reads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffqp-18-'));
    try {
      const gz = gzipSync(Buffer.from(qps()));
      const good = path.join(dir, 'good.qps.gz');
      fs.writeFileSync(good, gz);
      await solvesToOptimum(await readQps(good));
      const truncated = path.join(dir, 'truncated.qps.gz');
      fs.writeFileSync(truncated, gz.subarray(0, gz.length - 12));
      const corrupt = path.join(dir, 'corrupt.qps.gz');
      const flipped = Buffer.from(gz);
      for (let k = 12; k < flipped.length - 8; k++) flipped[k] ^= 0x5a;
      fs.writeFileSync(corrupt, flipped);
      for (const file of [truncated, corrupt]) {
        await expectCodeAsync(() => readQps(file), ErrorCode.QPS_PARSE, 'file', /cannot decompress gzip data/);
        expectCode(() => readQpsSync(file), ErrorCode.QPS_PARSE, 'file', /cannot decompress gzip data/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('input checks: gradients of extreme but finite data', () => {
  it('a solution x of 1e300 with a seed of 1e10: ERR_QP_NOT_FINITE up front naming solution.x', () => {
    const p = problem();
    const sol = solveSync(p, { solver: 'ipm' });
    const huge = { x: f64([1e300, 1.5]), y: sol.y, z: sol.z, status: sol.status };
    const e = expectCode(
      () => differentiateSync(p, huge, { dx: f64([1e10, 0]) }),
      ErrorCode.NOT_FINITE,
      'solution.x',
      /could overflow double precision/,
    );
    assert.equal(e.index, 0);
    assert.equal(e.value, 1e300);
  });

  it('seeds of 1.7e308 (dA = d_w xᵀ + y d_xᵀ overflows) and a dy of 1.7e308: ERR_QP_NOT_FINITE naming the seed', () => {
    const p = problem();
    const sol = solveSync(p, { solver: 'ipm' });
    const e = expectCode(
      () => differentiateSync(p, sol, { dx: f64([1.7e308, 1.7e308]) }),
      ErrorCode.NOT_FINITE,
      'grads.dx',
      /could overflow/,
    );
    assert.equal(e.value, 1.7e308);
    expectCode(() => differentiateSync(p, sol, { dx: f64([0, 0]), dy: f64([1.7e308]) }), ErrorCode.NOT_FINITE, 'grads.dy');
  });

  it('jvp with dA = 1e308 (dA·x overflows; the native pass returned dx = 0 for it): ERR_QP_NOT_FINITE naming the tangent', () => {
    const p = problem();
    const sol = solveSync(p, { solver: 'ipm' });
    // At 1e290 the exact answer, dx = −1e290·(1, 1) (A dx = −dA·x with x₁ + x₂ = 2, along (1, 1)).
    const r = jvpSync(p, sol, { dA: f64([1e290, 1e290]) });
    assertClose(
      Array.from(r.dx, (v) => v / 1e290),
      [-1, -1],
      1e-6,
      'dx / 1e290',
    );
    expectCode(() => jvpSync(p, sol, { dA: f64([1e308, 1e308]) }), ErrorCode.NOT_FINITE, 'tangents.dA', /could overflow/);
  });

  it('a result that overflows inside the pass (P = 1e-100·I, dx = 1e208: dP = dq·x = −2e308) is ERR_QP_NOT_FINITE, not Infinity', () => {
    const P = new CscMatrix(2, 2, Int32Array.from([0, 1, 2]), Int32Array.from([0, 1]), f64([1e-100, 1e-100]), 'lower');
    const p = { P, q: f64([-1e-100, -2e-100]) };
    // Unconstrained: x* = −P⁻¹q = (1, 2), so dq = −P⁻¹dx; at dx = 1e190 that is −1e290, still finite.
    const sol = { x: f64([1, 2]), y: new Float64Array(0), z: f64([0, 0]), status: 'solved' as const };
    assertClose(
      Array.from(differentiateSync(p, sol, { dx: f64([1e190, 0]) }).dq!, (v) => v / 1e290),
      [-1, 0],
      1e-9,
      'dq / 1e290',
    );
    for (const method of ['kkt', 'full', 'penalty'] as const) {
      const e = expectCode(
        () => differentiateSync(p, sol, { dx: f64([1e208, 1e208]) }, { method }),
        ErrorCode.NOT_FINITE,
        'grads.dx',
        /the gradient dP\[1\] came out -Infinity/,
      );
      assert.equal(e.value, 1e208);
    }
  });

  it('moderate seeds (1e150) still give the exact gradient, scaled: dq = 1e150·(−¼, ¼)', () => {
    const p = problem();
    const sol = solveSync(p, { solver: 'ipm', epsAbs: 1e-10, epsRel: 1e-10 });
    const g = differentiateSync(p, sol, { dx: f64([1e150, 0]) });
    assertClose(
      Array.from(g.dq!, (v) => v / 1e150),
      [-0.25, 0.25],
      1e-6,
      'dq / 1e150',
    );
  });
});

describe('input checks: CscMatrix builders', () => {
  it('bad sizes and indices are typed errors naming the argument', () => {
    expectCode(() => CscMatrix.zeros(-1, 2), ErrorCode.INVALID_TYPE, 'nrows', /got -1/);
    expectCode(() => CscMatrix.zeros(2, 2 ** 31), ErrorCode.INVALID_TYPE, 'ncols');
    expectCode(() => CscMatrix.identity(1.5), ErrorCode.INVALID_TYPE, 'n');
    expectCode(() => CscMatrix.fromTriplets(2, NaN, [0], [0], [1]), ErrorCode.INVALID_TYPE, 'ncols', /got NaN/);
    const e = expectCode(
      () => CscMatrix.fromTriplets(2, 2, [0, 5], [0, 1], [1, 1]),
      ErrorCode.INVALID_MATRIX,
      'rows',
      /rows\[1\] = 5 is outside 0\.\.1/,
    );
    assert.equal(e.index, 1);
    expectCode(() => CscMatrix.fromTriplets(2, 2, [0], [0, 1], [1]), ErrorCode.DIMENSION_MISMATCH, 'cols');
    expectCode(
      () => CscMatrix.vstack([CscMatrix.zeros(1, 2), CscMatrix.zeros(1, 3)]),
      ErrorCode.DIMENSION_MISMATCH,
      'blocks',
      /block 1 has 3 columns/,
    );
    // The builders' output is what the solver is checked against: x* of the reference problem.
    const A = CscMatrix.vstack([CscMatrix.fromTriplets(1, 2, [0, 0], [0, 1], [1, 1]), CscMatrix.zeros(1, 2)]);
    const sol = solveSync({ ...problem(), A, u: f64([2, Infinity]), l: f64([-Infinity, -Infinity]) }, { solver: 'ipm' });
    assertClose(sol.x, xStar, 1e-6, 'x');
  });
});
