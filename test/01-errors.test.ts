/**
 * Every error code, and a generated sweep of malformed problems: each must end in a typed
 * QpError (never a crash, never a plain Error), through solve, solveSync and the raw addon.
 */
import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import { binding, loadBinding, translateNativeError } from '../lib/binding';
import { ErrorCode, QpError } from '../lib/errors';
import { CanonicalProblem } from '../lib/problem';
import { solve, solveSync, SolveOptions } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { dense, denseLower, f64 } from './helpers';

const allCodes = new Set<string>(Object.values(ErrorCode));

function base(): CanonicalProblem<Float64Array, CscMatrix> {
  return {
    P: denseLower([
      [2, 0, 0],
      [1, 2, 0],
      [0, 1, 2],
    ]),
    q: f64([1, -1, 0.5]),
    A: dense([
      [1, 1, 0],
      [0, 1, 1],
    ]),
    l: f64([-1, -Infinity]),
    u: f64([1, 2]),
    lb: f64([-5, -5, -5]),
    ub: f64([5, 5, 5]),
  };
}

function clone(M: CscMatrix): CscMatrix {
  // A previous mutation may have replaced the matrix by something else: keep it.
  if (!(M instanceof CscMatrix) || !M.colPtr || !M.rowIdx || !M.values) return M;
  return new CscMatrix(M.nrows, M.ncols, M.colPtr.slice(), M.rowIdx.slice(), M.values.slice(), M.triangle);
}

function expectCode(fn: () => unknown, code: string, pattern?: RegExp): QpError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof QpError, `expected a QpError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

async function expectCodeAsync(p: () => Promise<unknown>, code: string, pattern?: RegExp): Promise<QpError> {
  try {
    await p();
  } catch (e) {
    assert.ok(e instanceof QpError, `expected a QpError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

describe('errors: one test per code', () => {
  it('the base problem is valid', () => {
    assert.equal(solveSync(base()).status, 'solved');
  });

  it('ERR_QP_INVALID_TYPE names the field and value', () => {
    const e = expectCode(
      () => solveSync({ ...base(), q: 'abc' as unknown as Float64Array }),
      ErrorCode.INVALID_TYPE,
      /^q: must be a Float64Array or an array of numbers \(got string "abc"\)/,
    );
    assert.equal(e.field, 'q');
    const element = expectCode(
      () => solveSync({ ...base(), q: [1, '2', 3] as unknown as number[] }),
      ErrorCode.INVALID_TYPE,
      /^q\[1\]: must be a number \(got string "2"\)/,
    );
    assert.deepEqual([element.field, element.index, element.value], ['q', 1, '2']);
    const P = clone(base().P!);
    (P as unknown as { colPtr: unknown }).colPtr = Float64Array.from(P.colPtr);
    expectCode(() => solveSync({ ...base(), P }), ErrorCode.INVALID_TYPE, /P\.colPtr: must be an Int32Array/);
    expectCode(
      () => solveSync(null as unknown as CanonicalProblem<Float64Array, CscMatrix>),
      ErrorCode.INVALID_TYPE,
      /problem: must be an object/,
    );
  });

  it('ERR_QP_DIMENSION_MISMATCH', () => {
    expectCode(() => solveSync({ ...base(), l: f64([0]) }), ErrorCode.DIMENSION_MISMATCH, /^l: must have length 2 \(got 1\)/);
    expectCode(
      () => solveSync({ ...base(), A: dense([[1, 1]]), l: f64([0]), u: f64([1]), q: f64([1, 2, 3]) }),
      ErrorCode.DIMENSION_MISMATCH,
      /A: shape must be 1×3/,
    );
  });

  it('ERR_QP_NOT_FINITE names index and value', () => {
    const P = clone(base().P!);
    P.values[2] = NaN;
    const e = expectCode(() => solveSync({ ...base(), P }), ErrorCode.NOT_FINITE, /^P\.values\[2\]: must be finite \(got NaN\)/);
    assert.equal(e.index, 2);
    expectCode(() => solveSync({ ...base(), q: f64([1, Infinity, 0]) }), ErrorCode.NOT_FINITE, /^q\[1\]: must be finite \(got Infinity\)/);
  });

  it('ERR_QP_INVALID_BOUNDS: NaN bound, l > u, lb > ub', () => {
    expectCode(() => solveSync({ ...base(), lb: f64([0, NaN, 0]) }), ErrorCode.INVALID_BOUNDS, /^lb\[1\]: must not be NaN/);
    expectCode(() => solveSync({ ...base(), l: f64([3, 0]) }), ErrorCode.INVALID_BOUNDS, /^l\[0\] = 3 exceeds u\[0\] = 1/);
    expectCode(() => solveSync({ ...base(), lb: f64([0, 6, 0]) }), ErrorCode.INVALID_BOUNDS, /^lb\[1\] = 6 exceeds ub\[1\] = 5/);
  });

  it('ERR_QP_INVALID_MATRIX: CSC structure faults', () => {
    const A1 = clone(base().A!);
    A1.colPtr[1] = 3;
    A1.colPtr[2] = 2;
    expectCode(() => solveSync({ ...base(), A: A1 }), ErrorCode.INVALID_MATRIX, /^A\.colPtr\[2\]: must be non-decreasing/);
    const A2 = clone(base().A!);
    A2.rowIdx[0] = 7;
    expectCode(() => solveSync({ ...base(), A: A2 }), ErrorCode.INVALID_MATRIX, /^A\.rowIdx\[0\]: must be in 0\.\.1 \(got 7\)/);
    const A3 = clone(base().A!);
    A3.rowIdx[2] = 0; // column 1 holds rows 0, 1 → 0, 0 (duplicate)
    expectCode(() => solveSync({ ...base(), A: A3 }), ErrorCode.INVALID_MATRIX, /duplicates row 0 in column 1/);
    const A4 = clone(base().A!);
    A4.rowIdx[1] = 1;
    A4.rowIdx[2] = 0; // column 1 rows (1, 0): unsorted
    expectCode(() => solveSync({ ...base(), A: A4 }), ErrorCode.INVALID_MATRIX, /must be sorted within column 1/);
    const A5 = new CscMatrix(2, 3, Int32Array.from([0, 1, 3]), Int32Array.from([0, 0, 1]), f64([1, 1, 1]));
    expectCode(() => solveSync({ ...base(), A: A5 }), ErrorCode.INVALID_MATRIX, /^A\.colPtr: must have length ncols \+ 1 = 4/);
    const Pupper = new CscMatrix(3, 3, Int32Array.from([0, 1, 3, 4]), Int32Array.from([0, 0, 1, 2]), f64([2, 1, 2, 2]), 'lower');
    expectCode(
      () => solveSync({ ...base(), P: Pupper }),
      ErrorCode.INVALID_MATRIX,
      /lies above the diagonal in column 1 of a lower triangle/,
    );
  });

  it('ERR_QP_NOT_SYMMETRIC for an asymmetric full P', () => {
    const P = dense([
      [2, 1, 0],
      [0, 2, 0],
      [0, 0, 2],
    ]);
    expectCode(
      () => solveSync({ ...base(), P }),
      ErrorCode.NOT_SYMMETRIC,
      /entry \(1, 0\) differs from entry \(0, 1\)|entry \(0, 1\) differs/,
    );
  });

  it('ERR_QP_INVALID_OPTION', () => {
    expectCode(
      () => solveSync(base(), { epsAbs: -1 }),
      ErrorCode.INVALID_OPTION,
      /^options\.epsAbs: must be a non-negative number \(got -1\)/,
    );
    expectCode(() => solveSync(base(), { maxIter: 1.5 }), ErrorCode.INVALID_OPTION, /options\.maxIter/);
    expectCode(
      () => solveSync(base(), { tolerance: 1 } as unknown as SolveOptions),
      ErrorCode.INVALID_OPTION,
      /options\.tolerance: is not an option/,
    );
    expectCode(() => solveSync(base(), { x0: f64([1]) }), ErrorCode.DIMENSION_MISMATCH, /options\.x0: must have length 3/);
    expectCode(
      () => solveSync(base(), { solver: 'highs', solverOptions: { no_such_option: 1 } }),
      ErrorCode.INVALID_OPTION,
      /no_such_option/,
    );
  });

  it('ERR_QP_SOLVER_UNAVAILABLE lists the known solvers', async () => {
    expectCode(
      () => solveSync(base(), { solver: 'gurobi' }),
      ErrorCode.SOLVER_UNAVAILABLE,
      /unknown or unavailable solver 'gurobi' \(available: highs, ipopt/,
    );
    await expectCodeAsync(() => solve(base(), { solver: 'gurobi' }), ErrorCode.SOLVER_UNAVAILABLE);
  });

  it('ERR_QP_ABORTED for an already aborted signal, as an AbortError', async () => {
    const e = await expectCodeAsync(() => solve(base(), { signal: AbortSignal.abort() }), ErrorCode.ABORTED, /aborted/);
    assert.equal(e.name, 'AbortError');
  });

  it('ERR_QP_ADDON_LOAD when no addon is found', () => {
    expectCode(() => loadBinding(os.tmpdir()), ErrorCode.ADDON_LOAD, /could not be loaded.*npm run setup/s);
  });

  it('ERR_QP_NATIVE: an unexpected native exception becomes a typed error', () => {
    let caught: unknown;
    try {
      binding().throwNativeForTest();
    } catch (e) {
      caught = translateNativeError(e);
    }
    assert.ok(caught instanceof QpError);
    assert.equal(caught.code, ErrorCode.NATIVE);
    assert.match(caught.message, /native failure requested by a test/);
  });

  it('ERR_QP_QPS_PARSE is in the code table (tested with the QPS reader)', () => {
    assert.equal(ErrorCode.QPS_PARSE, 'ERR_QP_QPS_PARSE');
  });

  it("errors are rejected asynchronously with the caller's stack", async () => {
    const e = await expectCodeAsync(() => solve({ ...base(), q: f64([NaN, 0, 0]) }), ErrorCode.NOT_FINITE);
    assert.ok(e.stack && e.stack.includes('01-errors'), e.stack);
  });
});

// ---- generated sweep ------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

type Mutation = (p: Record<string, unknown>, r: () => number) => void;
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const bad = [NaN, Infinity, -Infinity, 1e308 * 10];
const matrixKeys = ['P', 'A'] as const;

const mutations: Mutation[] = [
  (p, r) => {
    const q = (p.q as Float64Array).slice();
    q[Math.floor(r() * q.length)] = pick(r, bad);
    p.q = q;
  },
  (p, r) => {
    p.q = pick(r, [[1, 2, 3], new Float32Array(3), new Float64Array(2), new Float64Array(4), 'q', null, 3]);
  },
  (p, r) => {
    const k = pick(r, matrixKeys);
    const M = clone(p[k] as CscMatrix);
    M.values[Math.floor(r() * M.values.length)] = pick(r, bad);
    p[k] = M;
  },
  (p, r) => {
    const k = pick(r, matrixKeys);
    const M = clone(p[k] as CscMatrix);
    M.colPtr[1 + Math.floor(r() * (M.colPtr.length - 1))] = pick(r, [-1, 0, 1, 1000, 2 ** 31 - 1, -(2 ** 31)]);
    p[k] = M;
  },
  (p, r) => {
    const k = pick(r, matrixKeys);
    const M = clone(p[k] as CscMatrix);
    M.rowIdx[Math.floor(r() * M.rowIdx.length)] = pick(r, [-1, 3, 99, 2 ** 31 - 1, 0, 1]);
    p[k] = M;
  },
  (p, r) => {
    const k = pick(r, matrixKeys);
    const M = p[k] as CscMatrix;
    const field = pick(r, ['colPtr', 'rowIdx', 'values'] as const);
    const arrays = { colPtr: M.colPtr, rowIdx: M.rowIdx, values: M.values };
    const replacement = pick(r, [
      arrays[field].slice(0, Math.max(0, arrays[field].length - 1)),
      Array.from(arrays[field]),
      new Uint32Array(arrays[field].length),
      new Float32Array(arrays[field].length),
      undefined,
    ]);
    p[k] = Object.assign(Object.create(CscMatrix.prototype), M, { [field]: replacement });
  },
  (p, r) => {
    const k = pick(r, matrixKeys);
    const M = p[k] as CscMatrix;
    p[k] = Object.assign(Object.create(CscMatrix.prototype), M, { nrows: pick(r, [M.nrows + 1, -1, 0.5, NaN, '2']) });
  },
  (p, r) => {
    const k = pick(r, ['l', 'u', 'lb', 'ub'] as const);
    const v = (p[k] as Float64Array).slice();
    v[Math.floor(r() * v.length)] = pick(r, [NaN, k === 'l' || k === 'lb' ? Infinity : -Infinity, k === 'l' || k === 'lb' ? 100 : -100]);
    p[k] = v;
  },
  (p, r) => {
    const k = pick(r, ['l', 'u', 'lb', 'ub'] as const);
    p[k] = pick(r, [new Float64Array(7), [0, 0], new Int32Array(2), 'x', {}]);
  },
  (p, r) => {
    p.P = pick(r, [
      dense([
        [1, 2, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
      new CscMatrix(3, 3, Int32Array.from([0, 2, 3, 4]), Int32Array.from([0, 1, 0, 2]), f64([1, 1, 1, 1]), 'lower'),
      new CscMatrix(3, 3, Int32Array.from([0, 1, 2, 3]), Int32Array.from([0, 1, 0]), f64([1, 1, 1]), 'upper'),
      { nrows: 3, ncols: 3, triangle: 'diagonal', colPtr: new Int32Array(4), rowIdx: new Int32Array(0), values: new Float64Array(0) },
      42,
    ]);
  },
  (p, r) => {
    p.constant = pick(r, [NaN, Infinity, '1', {}]);
  },
  (p, r) => {
    p.form = pick(r, ['standard', 'other', 3]);
    if (r() < 0.5) p.h = f64([1]);
  },
];

const badOptions: unknown[] = [
  { epsAbs: -1 },
  { epsRel: NaN },
  { maxIter: -3 },
  { timeLimit: 'soon' },
  { solver: 42 },
  { solver: 'nope' },
  { x0: new Float64Array(1) },
  { y0: [1, 2] },
  { verbose: 1 },
  { solverOptions: { a: null } },
  { signal: {} },
  { unknown: true },
  null,
];

describe('errors: generated sweep of malformed input', function () {
  this.timeout(300000);
  const count = 600;

  it(`${count} malformed problems through solveSync and solve end in typed errors`, async () => {
    const r = rng(12345);
    const codes = new Map<string, number>();
    for (let t = 0; t < count; t++) {
      const p = base() as unknown as Record<string, unknown>;
      let options: unknown = {};
      const steps = 1 + Math.floor(r() * 2);
      for (let s = 0; s < steps; s++) {
        try {
          pick(r, mutations)(p, r);
        } catch {
          // an earlier mutation replaced what this one edits: the problem is malformed already
        }
      }
      if (r() < 0.15) options = pick(r, badOptions);
      const record = (e: unknown, how: string) => {
        assert.ok(e instanceof QpError, `case ${t} (${how}): ${String(e)}`);
        assert.ok(allCodes.has(e.code), `case ${t}: unknown code ${e.code}`);
        assert.ok(e.message.length > 5);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      };
      let syncThrew = false;
      try {
        const sol = solveSync(p as unknown as CanonicalProblem<Float64Array, CscMatrix>, options as SolveOptions);
        // A mutation can leave the problem valid (e.g. a value replaced by an equal one).
        assert.ok(typeof sol.status === 'string');
      } catch (e) {
        record(e, 'solveSync');
        syncThrew = true;
      }
      try {
        await solve(p as unknown as CanonicalProblem<Float64Array, CscMatrix>, options as SolveOptions);
        assert.ok(!syncThrew, `case ${t}: solve accepted what solveSync rejected`);
      } catch (e) {
        record(e, 'solve');
      }
    }
    assert.ok(codes.size >= 6, `few distinct codes: ${[...codes.keys()]}`);
  });

  it('the raw addon (no JS validation) rejects malformed input with typed errors', async () => {
    const native = binding();
    const r = rng(777);
    const raw = () => {
      const b = base();
      return { n: 3, m: 2, P: b.P, q: b.q, A: b.A, l: b.l, u: b.u, lb: b.lb, ub: b.ub, constant: 0 } as Record<string, unknown>;
    };
    const rawMutations: Array<(p: Record<string, unknown>) => void> = [
      (p) => (p.n = pick(r, [-1, 1e10, 2 ** 31, 4, 0.5, 'x'])),
      (p) => (p.m = pick(r, [-1, 5, 1e12, 1])),
      (p) => {
        const M = clone(p.A as CscMatrix);
        M.colPtr[3] = pick(r, [1e9, 2 ** 31 - 1, -5, 100]);
        p.A = M;
      },
      (p) => {
        const M = clone(p.P as CscMatrix);
        M.colPtr[1] = pick(r, [1e9, -1, 5]);
        p.P = M;
      },
      (p) => {
        const M = clone(p.P as CscMatrix);
        M.rowIdx[0] = pick(r, [-1, 3, 2 ** 31 - 1]);
        p.P = M;
      },
      (p) => (p.P = { colPtr: new Int32Array(4), rowIdx: new Int32Array(5), values: new Float64Array(5) }),
      (p) => (p.P = { colPtr: new Int32Array(4) }),
      (p) => (p.q = pick(r, [undefined, null, new Float64Array(2), new Float32Array(3)])),
      (p) => (p.l = pick(r, [undefined, new Float64Array(0)])),
      (p) => {
        const l = new Float64Array(2);
        l[0] = NaN;
        p.l = l;
      },
      (p) => {
        const A = clone(p.A as CscMatrix);
        A.rowIdx[1] = A.rowIdx[0]!;
        p.A = A;
      },
      (p) => {
        // upper-triangle entry in P: the native layer expects the lower triangle
        p.P = { colPtr: Int32Array.from([0, 0, 1, 1]), rowIdx: Int32Array.from([0]), values: f64([1]) };
      },
      (p) => (p.constant = 'x'),
    ];
    let errors = 0;
    for (let t = 0; t < 300; t++) {
      const p = raw();
      pick(r, rawMutations)(p);
      const opts = pick(r, [{ solver: 'highs' }, { solver: 'ipopt' }, { solver: 'x' }, {}, { solver: 'highs', epsAbs: -1 }]);
      for (const run of [() => native.solveSync(p as never, opts as never), () => native.solveAsync(p as never, opts as never)]) {
        try {
          await run();
        } catch (e) {
          const err = translateNativeError(e);
          assert.ok(err instanceof QpError, `raw case ${t}: ${String(e)}`);
          assert.ok(allCodes.has(err.code));
          errors++;
        }
      }
    }
    assert.ok(errors > 400, `only ${errors} errors`);
  });

  it('the raw addon takes the flags as strictly as solve(): a non-boolean verbose or polish is ERR_QP_INVALID_OPTION', () => {
    const native = binding();
    const b = base();
    const p = { n: 3, m: 2, P: b.P, q: b.q, A: b.A, l: b.l, u: b.u, lb: b.lb, ub: b.ub, constant: 0 };
    for (const [key, value] of [
      ['verbose', 1],
      ['polish', 'yes'],
      ['polish', null],
      ['verbose', 0],
    ] as const) {
      assert.throws(
        () => native.solveSync(p as never, { solver: 'ipm', [key]: value } as never),
        (e: unknown) => {
          const err = translateNativeError(e);
          assert.ok(err instanceof QpError && err.code === ErrorCode.INVALID_OPTION && err.field === `options.${key}`, String(e));
          return true;
        },
      );
    }
    // and a boolean or nothing is taken as given
    for (const polish of [true, false, undefined])
      assert.equal((native.solveSync(p as never, { solver: 'ipm', polish } as never) as { status: string }).status, 'solved');
  });
});
