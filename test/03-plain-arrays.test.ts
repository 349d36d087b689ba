/**
 * Plain arrays of numbers wherever a vector goes (issue 11 item 6): each is checked element by
 * element and copied once into a Float64Array, so a solve or a backward pass on number[] data
 * gives the same bits as on Float64Array data; a malformed array is a typed error naming the
 * field, the index and the value. CSC matrices may be plain objects (a structuredClone of a
 * CscMatrix) whose colPtr/rowIdx/values are number[]; CscMatrix.from checks one.
 */
import { strict as assert } from 'node:assert';
import { CanonicalProblem, StandardProblem, toCanonical } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';
import { solve, solveSync } from '../lib/solve';
import { differentiate, differentiateSync } from '../lib/differentiate';
import { jvp, jvpSync } from '../lib/jvp';
import { ErrorCode, QpError } from '../lib/errors';
import { assertClose, chainQp, f64 } from './helpers';

/** Same bits, element by element (so −0 ≠ 0 and NaN = NaN). */
function sameBits(actual: ArrayLike<number> | undefined, expected: ArrayLike<number> | undefined, what: string): void {
  assert.ok(actual && expected, `${what}: missing`);
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++)
    assert.ok(Object.is(actual[i], expected[i]), `${what}[${i}] = ${actual[i]}, expected ${expected[i]}`);
}

const plain = (a: ArrayLike<number>): number[] => Array.from(a);
/** A CscMatrix as a plain object of number[] arrays. */
const plainCsc = (M: CscMatrix) => ({
  nrows: M.nrows,
  ncols: M.ncols,
  colPtr: plain(M.colPtr),
  rowIdx: plain(M.rowIdx),
  values: plain(M.values),
  triangle: M.triangle,
});

function expectCode(f: () => unknown, code: string, field: string, index?: number, pattern?: RegExp): QpError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof QpError, `expected a QpError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.field, field, caught.message);
  if (index !== undefined) assert.equal(caught.index, index, caught.message);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

// n = 30, m = 12: box bounds and coupling rows, some of each active at the optimum.
const typed = (): CanonicalProblem<Float64Array, CscMatrix> => chainQp(30, 12, 7);
const allPlain = (): CanonicalProblem => {
  const p = typed();
  return { P: plainCsc(p.P!), q: plain(p.q), A: plainCsc(p.A!), l: plain(p.l!), u: plain(p.u!), lb: plain(p.lb!), ub: plain(p.ub!) };
};
/** The same data in the standard form: G = [A; −A] for the row bounds, one equality row. */
function standardOf(p: CanonicalProblem<Float64Array, CscMatrix>, asPlain: boolean): StandardProblem {
  const n = p.q.length;
  const dense = p.A!.toDense();
  const G = CscMatrix.fromDense([...dense, ...dense.map((row) => row.map((v) => -v))], { ncols: n });
  const h = f64([...p.u!, ...p.l!.map((v) => -v)]);
  const E = CscMatrix.fromDense([Array.from({ length: n }, (_, j) => (j < 3 ? 1 : 0))]);
  const b = f64([0.1]);
  if (!asPlain) return { form: 'standard', P: p.P, q: p.q, G, h, A: E, b, lb: p.lb, ub: p.ub };
  return {
    form: 'standard',
    P: plainCsc(p.P!),
    q: plain(p.q),
    G: plainCsc(G),
    h: plain(h),
    A: plainCsc(E),
    b: plain(b),
    lb: plain(p.lb!),
    ub: plain(p.ub!),
  };
}

describe('plain arrays of numbers', () => {
  it('every vector and CSC array of a canonical problem as number[]: the same bits as Float64Array (ipm, sync and async)', async () => {
    const ref = solveSync(typed(), { solver: 'ipm' });
    assert.equal(ref.status, 'solved');
    const active = ref.z.filter((v) => Math.abs(v) > 1e-6).length + ref.y.filter((v) => Math.abs(v) > 1e-6).length;
    assert.ok(active > 0, 'some constraint is active, so l, u, lb, ub matter');
    for (const sol of [solveSync(allPlain(), { solver: 'ipm' }), await solve(allPlain(), { solver: 'ipm' })]) {
      sameBits(sol.x, ref.x, 'x');
      sameBits(sol.y, ref.y, 'y');
      sameBits(sol.z, ref.z, 'z');
      assert.ok(Object.is(sol.objective, ref.objective));
    }
  });

  it('a standard-form problem as number[] (q, h, b, lb, ub; P, G, A plain objects): the same bits', async () => {
    const ref = solveSync(standardOf(typed(), false), { solver: 'ipm' });
    assert.equal(ref.status, 'solved');
    for (const sol of [
      solveSync(standardOf(typed(), true), { solver: 'ipm' }),
      await solve(standardOf(typed(), true), { solver: 'ipm' }),
    ]) {
      sameBits(sol.x, ref.x, 'x');
      sameBits(sol.y, ref.y, 'y');
      sameBits(sol.yEq, ref.yEq, 'yEq');
    }
  });

  it('warm starts x0, y0, z0 as number[]: the same bits as Float64Array (admm, which reads them)', () => {
    const p = typed();
    const start = solveSync(p, { solver: 'admm', maxIter: 25 });
    const options = { solver: 'admm', maxIter: 50, epsAbs: 1e-9, epsRel: 0 };
    const ref = solveSync(p, { ...options, x0: start.x, y0: start.y, z0: start.z });
    const cold = solveSync(p, options);
    const warm = solveSync(p, { ...options, x0: plain(start.x), y0: plain(start.y), z0: plain(start.z) });
    sameBits(warm.x, ref.x, 'x');
    assert.notDeepEqual(Array.from(cold.x), Array.from(ref.x), 'the warm start changes the iterates (else this test could not fail)');
  });

  it('differentiate: seeds dx, dy, dz and the solution as number[] give the same gradients (kkt; sync, async, with a handle)', async () => {
    const p = typed();
    const sol = solveSync(p, { solver: 'ipm', differentiable: true });
    const dx = f64(Array.from({ length: 30 }, (_, j) => Math.sin(j + 1)));
    const dy = f64(Array.from({ length: 12 }, (_, i) => Math.cos(i)));
    const dz = f64(Array.from({ length: 30 }, (_, j) => (j % 3) - 1));
    const ref = differentiateSync(p, sol, { dx, dy, dz });
    const plainSol = { x: plain(sol.x), y: plain(sol.y), z: plain(sol.z), status: sol.status, hasDuals: true };
    const seeds = { dx: plain(dx), dy: plain(dy), dz: plain(dz) };
    for (const g of [
      differentiateSync(allPlain(), plainSol, seeds),
      await differentiate(allPlain(), plainSol, seeds),
      await differentiate(sol, seeds),
    ]) {
      for (const key of ['dP', 'dq', 'dA', 'dl', 'du', 'dlb', 'dub'] as const) sameBits(g[key], ref[key], key);
    }
    sol.dispose();
  });

  it('jvp: tangents as number[] give the same derivative; a plain-array tangent of the standard form too', async () => {
    const p = typed();
    const sol = solveSync(p, { solver: 'ipm' });
    const dq = f64(Array.from({ length: 30 }, (_, j) => Math.sin(2 * j)));
    const du = f64(new Array<number>(12).fill(0.5));
    const ref = jvpSync(p, sol, { dq, du });
    for (const t of [jvpSync(p, sol, { dq: plain(dq), du: plain(du) }), await jvp(allPlain(), sol, { dq: plain(dq), du: plain(du) })]) {
      sameBits(t.dx, ref.dx, 'dx');
      sameBits(t.dy, ref.dy, 'dy');
    }
    const s = standardOf(typed(), false);
    const ss = solveSync(s, { solver: 'ipm' });
    const db = [1];
    const sref = jvpSync(s, ss, { db: f64(db), dh: new Float64Array(24).fill(0.25) });
    sameBits(jvpSync(standardOf(typed(), true), ss, { db, dh: new Array<number>(24).fill(0.25) }).dx, sref.dx, 'standard dx');
  });

  it('matches the closed form: min (x₁ − 1)² + (x₂ − 2.5)² s.t. x₁ + x₂ ≤ 1 in plain arrays gives x = (−¼, 5⁄4), y = 5⁄2, dq = (−¼, ¼)', () => {
    const p = {
      P: { nrows: 2, ncols: 2, colPtr: [0, 1, 2], rowIdx: [0, 1], values: [2, 2], triangle: 'lower' as const },
      q: [-2, -5],
      A: { nrows: 1, ncols: 2, colPtr: [0, 1, 2], rowIdx: [0, 0], values: [1, 1] },
      u: [1],
    };
    const sol = solveSync(p, { solver: 'ipm', differentiable: true });
    assertClose(sol.x, [-0.25, 1.25], 1e-7, 'x');
    assertClose(sol.y, [2.5], 1e-7, 'y');
    assertClose(differentiateSync(sol, { dx: [1, 0] }).dq!, [-0.25, 0.25], 1e-7, 'dq');
    sol.dispose();
  });

  it('the copy is the documented one: a Float64Array is borrowed, a number[] copied once and left as it was', () => {
    const q = f64([-2, -5]);
    assert.equal(toCanonical({ q }).q, q);
    const list = [-2, -5];
    const c = toCanonical({ q: list });
    assert.ok(c.q instanceof Float64Array);
    sameBits(c.q, [-2, -5], 'q');
    c.q[0] = 7;
    assert.deepEqual(list, [-2, -5]);
  });
});

describe('plain arrays: malformed ones are typed errors naming field, index and value', () => {
  const base = () => ({ P: CscMatrix.identity(3, 2, 'lower'), q: [1, 2, 3], A: CscMatrix.fromDense([[1, 1, 1]]), l: [-1], u: [1] });

  it('a hole, a string, null, undefined, a boxed number or a bigint element is ERR_QP_INVALID_TYPE at its index', () => {
    expectCode(() => solveSync({ ...base(), q: [1, , 3] as number[] }), ErrorCode.INVALID_TYPE, 'q', 1, /^q\[1\]: is a hole/);
    expectCode(
      () => solveSync({ ...base(), q: [1, 2, '3'] as unknown as number[] }),
      ErrorCode.INVALID_TYPE,
      'q',
      2,
      /^q\[2\]: must be a number \(got string "3"\)/,
    );
    expectCode(() => solveSync({ ...base(), lb: [0, null, 0] as unknown as number[] }), ErrorCode.INVALID_TYPE, 'lb', 1, /got null/);
    expectCode(
      () => solveSync({ ...base(), ub: [1, 1, undefined] as unknown as number[] }),
      ErrorCode.INVALID_TYPE,
      'ub',
      2,
      /must be a number \(got undefined\)/,
    );
    expectCode(() => solveSync({ ...base(), l: [Object(1)] as unknown as number[] }), ErrorCode.INVALID_TYPE, 'l', 0);
    expectCode(() => solveSync({ ...base(), u: [1n] as unknown as number[] }), ErrorCode.INVALID_TYPE, 'u', 0, /got bigint 1/);
  });

  it('NaN and ±Infinity are judged as in a Float64Array: NOT_FINITE for q, INVALID_BOUNDS for a NaN bound; −Infinity lower bounds are fine', () => {
    expectCode(() => solveSync({ ...base(), q: [1, NaN, 3] }), ErrorCode.NOT_FINITE, 'q', 1, /got NaN/);
    expectCode(() => solveSync({ ...base(), q: [1, 2, Infinity] }), ErrorCode.NOT_FINITE, 'q', 2);
    expectCode(() => solveSync({ ...base(), l: [NaN] }), ErrorCode.INVALID_BOUNDS, 'l', 0);
    expectCode(() => solveSync({ ...base(), lb: [0, 2, 0], ub: [1, 1, 1] }), ErrorCode.INVALID_BOUNDS, 'lb', 1);
    const sol = solveSync({ ...base(), l: [-Infinity], lb: [-Infinity, -Infinity, -Infinity] }, { solver: 'ipm' });
    assertClose(sol.x, [-0.5, -1, -1.5], 1e-7, 'x'); // −q/2: no bound active
  });

  it('a wrong length is ERR_QP_DIMENSION_MISMATCH before anything is copied; seeds, warm starts and tangents likewise', () => {
    expectCode(() => solveSync({ ...base(), u: [1, 2] }), ErrorCode.DIMENSION_MISMATCH, 'u', undefined, /must have length 1 \(got 2\)/);
    expectCode(() => solveSync(base(), { x0: [0, 0] }), ErrorCode.DIMENSION_MISMATCH, 'options.x0');
    expectCode(
      () => solveSync(base(), { solver: 'admm', y0: [0, 'a'] as unknown as number[] }),
      ErrorCode.DIMENSION_MISMATCH,
      'options.y0',
    );
    expectCode(
      () => solveSync(base(), { solver: 'admm', z0: [0, 'a', 0] as unknown as number[] }),
      ErrorCode.INVALID_TYPE,
      'options.z0',
      1,
    );
    expectCode(() => solveSync(base(), { solver: 'admm', x0: [0, NaN, 0] }), ErrorCode.INVALID_OPTION, 'options.x0', 1);
    const p = base();
    const sol = solveSync(p, { solver: 'ipm' });
    expectCode(() => differentiateSync(p, sol, { dx: [1, 2] }), ErrorCode.DIMENSION_MISMATCH, 'grads.dx');
    expectCode(() => differentiateSync(p, sol, { dx: [1, 2, Infinity] }), ErrorCode.NOT_FINITE, 'grads.dx', 2);
    expectCode(
      () => differentiateSync(p, { ...sol, x: [0, 0, '0'] as unknown as number[] }, { dx: [1, 2, 3] }),
      ErrorCode.INVALID_TYPE,
      'solution.x',
      2,
    );
    expectCode(() => jvpSync(p, sol, { dq: [1, 2, 3, 4] }), ErrorCode.DIMENSION_MISMATCH, 'tangents.dq');
    expectCode(() => jvpSync(p, sol, { dA: [1, , 1] as number[] }), ErrorCode.INVALID_TYPE, 'tangents.dA', 1);
  });

  it('CSC arrays as number[]: colPtr and rowIdx must hold 32-bit integers; structure faults keep their codes', () => {
    const P = { nrows: 3, ncols: 3, colPtr: [0, 1, 2, 3], rowIdx: [0, 1, 2], values: [2, 2, 2], triangle: 'lower' as const };
    assert.equal(solveSync({ ...base(), P }).status, 'solved');
    expectCode(
      () => solveSync({ ...base(), P: { ...P, rowIdx: [0, 1.5, 2] } }),
      ErrorCode.INVALID_TYPE,
      'P.rowIdx',
      1,
      /must be a 32-bit integer \(got 1\.5\)/,
    );
    expectCode(() => solveSync({ ...base(), P: { ...P, colPtr: [0, 1, 2, 2 ** 31] } }), ErrorCode.INVALID_TYPE, 'P.colPtr', 3);
    expectCode(() => solveSync({ ...base(), P: { ...P, rowIdx: [0, 2, 1] } }), ErrorCode.INVALID_MATRIX, 'P.rowIdx', 2);
    expectCode(() => solveSync({ ...base(), P: { ...P, rowIdx: [0, -1, 2] } }), ErrorCode.INVALID_MATRIX, 'P.rowIdx', 1);
    expectCode(
      () => solveSync({ ...base(), P: { ...P, values: [2, '2', 2] as unknown as number[] } }),
      ErrorCode.INVALID_TYPE,
      'P.values',
      1,
    );
    expectCode(() => solveSync({ ...base(), P: { ...P, values: [2, NaN, 2] } }), ErrorCode.NOT_FINITE, 'P.values', 1);
    expectCode(
      () => solveSync({ ...base(), P: { ...P, colPtr: [0, 1, 2] } }),
      ErrorCode.INVALID_MATRIX,
      'P.colPtr',
      undefined,
      /ncols \+ 1 = 4/,
    );
  });

  it('a Proxy of an array (revoked or not) is ERR_QP_INVALID_TYPE; an element getter is read once', () => {
    expectCode(() => solveSync({ ...base(), q: new Proxy([1, 2, 3], {}) }), ErrorCode.INVALID_TYPE, 'q', undefined, /not a Proxy/);
    const revocable = Proxy.revocable([1, 2, 3], {});
    revocable.revoke();
    expectCode(() => solveSync({ ...base(), q: revocable.proxy }), ErrorCode.INVALID_TYPE, 'q');
    let reads = 0;
    const q = [1, 2, 3];
    Object.defineProperty(q, 1, { get: () => (++reads === 1 ? 2 : NaN), enumerable: true });
    const sol = solveSync({ ...base(), q }, { solver: 'ipm' });
    assert.equal(reads, 1);
    assert.equal(sol.status, 'solved');
  });

  it('a huge sparse array is refused at its first hole without allocating its length', () => {
    const q = new Array<number>(2 ** 31 - 1);
    expectCode(() => solveSync({ q }), ErrorCode.INVALID_TYPE, 'q', 0, /hole/);
    q[0] = 1;
    expectCode(() => solveSync({ q }), ErrorCode.INVALID_TYPE, 'q', 1, /hole/);
  });
});

describe('CscMatrix.from and structuredClone', () => {
  it('CscMatrix.from checks a plain object and returns a CscMatrix; a CscMatrix comes back as it is', () => {
    const A = CscMatrix.fromDense([
      [1, 0, 2],
      [0, 3, 0],
    ]);
    assert.equal(CscMatrix.from(A), A);
    for (const like of [structuredClone(A), plainCsc(A)]) {
      const M = CscMatrix.from(like);
      assert.ok(M instanceof CscMatrix);
      assert.deepEqual(M.toDense(), [
        [1, 0, 2],
        [0, 3, 0],
      ]);
      assert.ok(M.colPtr instanceof Int32Array && M.values instanceof Float64Array);
    }
    expectCode(
      () => CscMatrix.from({ ...plainCsc(A), rowIdx: [0, 1, 2] }),
      ErrorCode.INVALID_MATRIX,
      'matrix.rowIdx',
      2,
      /must be in 0\.\.1/,
    );
    expectCode(() => CscMatrix.from({ nrows: 2, ncols: 3 } as never), ErrorCode.INVALID_TYPE, 'matrix.colPtr');
    expectCode(() => CscMatrix.from(new Map() as never), ErrorCode.INVALID_TYPE, 'matrix');
    expectCode(() => CscMatrix.from({ ...plainCsc(A), triangle: 'lower' }), ErrorCode.INVALID_MATRIX, 'matrix.rowIdx');
  });

  it('a standard-form problem whose P, G and A went through structuredClone: solved and differentiated with a handle (closed form)', async () => {
    // min (x₁ − 1)² + (x₂ − 2.5)² s.t. x₁ + x₂ ≤ 1 (G), x₁ − x₂ = −1.5 (A): x = (−0.25, 1.25) is on both, y = (2.5, 0).
    const P = CscMatrix.identity(2, 2, 'lower');
    const G = CscMatrix.fromDense([[1, 1]]);
    const A = CscMatrix.fromDense([[1, -1]]);
    const p: StandardProblem = {
      form: 'standard',
      P: structuredClone(P),
      q: [-2, -5],
      G: structuredClone(G),
      h: [1],
      A: structuredClone(A),
      b: [-1.5],
    };
    const sol = await solve(p, { solver: 'ipm', differentiable: true });
    assertClose(sol.x, [-0.25, 1.25], 1e-7, 'x');
    assertClose(sol.yIneq!, [2.5], 1e-6, 'yIneq');
    assertClose(sol.yEq!, [0], 1e-6, 'yEq');
    // Both rows active, x fixed by them: dx/dq = 0, and dL/dh, dL/db from x = [1 1; 1 −1]⁻¹ (h, b).
    const g = await differentiate(sol, { dx: [1, 0] });
    assertClose(g.dq!, [0, 0], 1e-7, 'dq');
    assertClose(g.dh!, [0.5], 1e-7, 'dh');
    assertClose(g.db!, [0.5], 1e-7, 'db');
    assert.equal(g.dG!.length, 2);
    assert.equal(g.dA!.length, 2);
    sol.dispose();
  });
});
