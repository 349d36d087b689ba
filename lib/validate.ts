/**
 * Input validation before any native call. Each check throws a QpError naming the field,
 * the index and the value; the native layer checks the same things again. The arrays
 * themselves (typed or plain, borrowed or copied) are checked in lib/arrays.ts.
 */
import { requireDimension, requireFloat64Array, requireInt32Array, typedArrayKind } from './arrays';
import { checkCsc, CscMatrix } from './sparse';
import { ErrorCode, problemError, QpError } from './errors';

/**
 * For native work on the threadpool: a shallow copy of `o` whose typed arrays and CSC matrices
 * are fresh copies. Any ArrayBuffer can be transferred (structuredClone, postMessage) while an
 * async call awaits, and a transfer frees the memory a borrowed pointer reads: the process
 * segfaulted. Sync calls borrow (no JavaScript runs during them); async calls hand these copies
 * to the addon. The copy is one memcpy of the input, small beside any solve or backward pass.
 */
export function ownedArrays<T extends object>(o: T): T {
  // Two allocations in all (one buffer per element type, the copies are views into it): a
  // buffer each cost ~1.6 µs, most of a small async solve's overhead.
  const entries = Object.entries(o);
  let floats = 0;
  let ints = 0;
  const count = (v: unknown) => {
    const kind = typedArrayKind.call(v);
    if (kind === 'Float64Array') floats += (v as Float64Array).length;
    else if (kind === 'Int32Array') ints += (v as Int32Array).length;
  };
  for (const [, v] of entries) {
    if (v instanceof CscMatrix) {
      ints += v.colPtr.length + v.rowIdx.length;
      floats += v.values.length;
    } else count(v);
  }
  const f64 = new Float64Array(floats);
  const i32 = new Int32Array(ints);
  let fAt = 0;
  let iAt = 0;
  const copy = <A extends Float64Array | Int32Array>(pool: A, at: number, v: A): A => {
    const view = pool.subarray(at, at + v.length) as A;
    view.set(v);
    return view;
  };
  const own = (v: unknown): unknown => {
    const kind = typedArrayKind.call(v);
    if (kind === 'Float64Array') {
      const c = copy(f64, fAt, v as Float64Array);
      fAt += c.length;
      return c;
    }
    if (kind === 'Int32Array') {
      const c = copy(i32, iAt, v as Int32Array);
      iAt += c.length;
      return c;
    }
    if (v instanceof CscMatrix)
      return new CscMatrix(
        v.nrows,
        v.ncols,
        own(v.colPtr) as Int32Array,
        own(v.rowIdx) as Int32Array,
        own(v.values) as Float64Array,
        v.triangle,
      );
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries) out[key] = own(v);
  return out as T;
}

export function requireFinite(field: string, values: Float64Array): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw problemError(ErrorCode.NOT_FINITE, field, 'must be finite', i, values[i]);
  }
}

export function requireNoNaN(field: string, values: Float64Array): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw problemError(ErrorCode.INVALID_BOUNDS, field, 'must not be NaN', i, values[i]);
  }
}

/** lower[i] ≤ upper[i] for every i (both already checked for NaN). */
export function requireOrdered(lowerField: string, lower: Float64Array, upperField: string, upper: Float64Array): void {
  for (let i = 0; i < lower.length; i++) {
    if (lower[i]! > upper[i]!) {
      throw new QpError(ErrorCode.INVALID_BOUNDS, `${lowerField}[${i}] = ${lower[i]} exceeds ${upperField}[${i}] = ${upper[i]}`, {
        field: lowerField,
        index: i,
        value: lower[i],
      });
    }
  }
}

/**
 * The largest n + m diffqp accepts. Every solver and backward method builds a KKT system of at
 * least n + m rows with 32-bit indices (ipm and admm stop at 2³⁰, with the bounds' rows on top),
 * and a solve keeps about ten vectors of that length: above 2²⁸ a problem cannot be solved on any
 * machine diffqp is built for, and default bounds alone would take gigabytes. Checked before
 * anything of size n or m is allocated.
 */
export const MAX_ROWS_PLUS_COLUMNS = 2 ** 28 - 1;

/** n + m within MAX_ROWS_PLUS_COLUMNS; `field` names the size that took it over. */
export function requireSize(field: string, n: number, m: number): void {
  if (n + m > MAX_ROWS_PLUS_COLUMNS) {
    throw new QpError(
      ErrorCode.TOO_LARGE,
      `${field}: n + m = ${n + m} exceeds the limit of ${MAX_ROWS_PLUS_COLUMNS} rows plus columns (n = ${n}, m = ${m})`,
      { field, value: field === 'q.length' ? n : m },
    );
  }
}

/** A full symmetric matrix must equal its transpose exactly (same pattern, same values). */
export function requireSymmetric(field: string, M: CscMatrix): void {
  const T = M.transpose();
  for (let j = 0; j < M.ncols; j++) {
    const a = M.colPtr[j]!;
    const b = M.colPtr[j + 1]!;
    const count = b - a;
    const tcount = T.colPtr[j + 1]! - T.colPtr[j]!;
    for (let k = 0; k < Math.max(count, tcount); k++) {
      const i = k < count ? M.rowIdx[a + k]! : -1;
      const ti = k < tcount ? T.rowIdx[T.colPtr[j]! + k]! : -1;
      const v = k < count ? M.values[a + k]! : 0;
      const tv = k < tcount ? T.values[T.colPtr[j]! + k]! : 0;
      if (i !== ti || v !== tv) {
        const row = i === -1 || (ti !== -1 && ti < i) ? ti : i;
        const pos = row === i ? a + k : -1;
        throw new QpError(
          ErrorCode.NOT_SYMMETRIC,
          `${field}: a full P must be symmetric, but entry (${row}, ${j}) differs from entry (${j}, ${row}); store one triangle or fix P`,
          { field: `${field}.values`, ...(pos >= 0 ? { index: pos } : {}), value: row === i ? v : 0 },
        );
      }
    }
  }
}

export { requireDimension, requireFloat64Array, requireInt32Array };
/** Checks a CSC matrix (see checkCsc in lib/sparse.ts). */
export const validateCsc = checkCsc;
