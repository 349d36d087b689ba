/**
 * Input validation before any native call. Each check throws a QpError naming the field,
 * the index and the value; the native layer checks the same things again.
 *
 * Typed arrays are recognised by their internal slots (the %TypedArray%.prototype getters),
 * never by `instanceof` or by their own properties, which Proxies and look-alikes can fake.
 * An array whose memory can change length or be written by another thread while a solve
 * reads it (a resizable or growable buffer, a SharedArrayBuffer) is copied into a fresh
 * fixed-length one; an array on a detached buffer is an error. docs/ERRORS.md lists both.
 */
import { types } from 'node:util';
import { CscMatrix, Triangle } from './sparse';
import { ErrorCode, problemError, QpError } from './errors';

const typedArrayPrototype = Object.getPrototypeOf(Int32Array.prototype) as object;
const intrinsicGetter = (target: object, key: PropertyKey) => Object.getOwnPropertyDescriptor(target, key)!.get! as (this: unknown) => unknown;
/** 'Float64Array', 'Int32Array', … for a real typed array; undefined for anything else (Proxies included). */
const typedArrayKind = intrinsicGetter(typedArrayPrototype, Symbol.toStringTag);
const typedArrayLength = intrinsicGetter(typedArrayPrototype, 'length') as (this: unknown) => number;
const typedArrayBuffer = intrinsicGetter(typedArrayPrototype, 'buffer') as (this: unknown) => ArrayBufferLike;
const arrayBufferResizable = intrinsicGetter(ArrayBuffer.prototype, 'resizable');

/** Node 20 has no ArrayBuffer.prototype.detached: a view cannot be constructed on a detached buffer. */
function isDetached(buffer: ArrayBufferLike): boolean {
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

type Kind = 'Float64Array' | 'Int32Array';

/** What a value that is not a typed array of the wanted kind is, for the message. */
function notKind(kind: Kind, value: unknown): string {
  const wanted = `must be ${kind === 'Int32Array' ? 'an' : 'a'} ${kind}`;
  const actual = typedArrayKind.call(value) as string | undefined;
  if (actual !== undefined) return wanted;
  if (typeof value === 'object' && value !== null) {
    let looksLike = false;
    try {
      looksLike = value instanceof Float64Array || value instanceof Int32Array;
    } catch {
      // a revoked Proxy: not a typed array either
    }
    if (looksLike) return `${wanted}, not a Proxy or an object inheriting from a typed array's prototype`;
  }
  return wanted;
}

/**
 * A typed array of the given kind and length, checked through its internal slots. Returns the
 * caller's array, or a fixed-length copy when its buffer is resizable, growable or shared.
 */
function requireTypedArray<T extends Float64Array | Int32Array>(kind: Kind, field: string, value: unknown, length: number | undefined): T {
  if (typedArrayKind.call(value) !== kind) throw problemError(ErrorCode.INVALID_TYPE, field, notKind(kind, value), undefined, value);
  const buffer = typedArrayBuffer.call(value);
  const shared = types.isSharedArrayBuffer(buffer);  // a C++ type test: no exception on the common path
  const actual = typedArrayLength.call(value);
  // Every view of a detached buffer has length 0, so only an empty view needs the test.
  if (actual === 0 && !shared && isDetached(buffer)) throw problemError(ErrorCode.INVALID_TYPE, field, 'its ArrayBuffer is detached (transferred)', undefined, value);
  if (length !== undefined && actual !== length) {
    throw problemError(ErrorCode.DIMENSION_MISMATCH, field, `must have length ${length}`, undefined, actual);
  }
  // SharedArrayBuffer.prototype.growable exists wherever resizable does; a shared buffer is copied whether it grows or not.
  if (shared || arrayBufferResizable.call(buffer) === true) {
    const copy = kind === 'Float64Array' ? new Float64Array(actual) : new Int32Array(actual);
    copy.set(value as T);
    return copy as T;
  }
  return value as T;
}

/** A Float64Array of that length (any length when omitted): the caller's, or a fixed-length copy. */
export function requireFloat64Array(field: string, value: unknown, length?: number): Float64Array {
  return requireTypedArray<Float64Array>('Float64Array', field, value, length);
}

/** An Int32Array of that length (any length when omitted): the caller's, or a fixed-length copy. */
export function requireInt32Array(field: string, value: unknown, length?: number): Int32Array {
  return requireTypedArray<Int32Array>('Int32Array', field, value, length);
}

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
    if (v instanceof CscMatrix) return new CscMatrix(v.nrows, v.ncols, own(v.colPtr) as Int32Array, own(v.rowIdx) as Int32Array, own(v.values) as Float64Array, v.triangle);
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

export function requireDimension(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw problemError(ErrorCode.INVALID_TYPE, field, 'must be a non-negative 32-bit integer', undefined, value);
  }
  return value;
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

const cscFields = ['nrows', 'ncols', 'colPtr', 'rowIdx', 'values', 'triangle'] as const;
const triangles: readonly Triangle[] = ['full', 'lower', 'upper'];

/** A CscMatrix, or a plain object of its fields (e.g. one that went through structuredClone). */
function cscFieldsOf(field: string, M: unknown): Record<(typeof cscFields)[number], unknown> {
  let isInstance = false;
  try {
    isInstance = M instanceof CscMatrix;
  } catch {
    // a revoked Proxy
  }
  const proto = typeof M === 'object' && M !== null && !isInstance ? safePrototype(M) : undefined;
  const isPlain = proto === Object.prototype || proto === null;
  if (!isInstance && !isPlain) {
    throw problemError(ErrorCode.INVALID_TYPE, field, `must be a CscMatrix or a plain object { ${cscFields.join(', ')} }`, undefined, M);
  }
  const o = M as Record<string, unknown>;
  if (isPlain) {
    for (const key of Object.keys(o)) {
      if (!(cscFields as readonly string[]).includes(key)) {
        throw problemError(ErrorCode.INVALID_TYPE, `${field}.${key}`, `is not a field of a CSC matrix (known: ${cscFields.join(', ')})`, undefined, o[key]);
      }
    }
  }
  // Each field is read once: a getter cannot show the checks one array and the solver another.
  return { nrows: o.nrows, ncols: o.ncols, colPtr: o.colPtr, rowIdx: o.rowIdx, values: o.values, triangle: o.triangle };
}

function safePrototype(o: object): object | null | undefined {
  try {
    return Object.getPrototypeOf(o) as object | null;
  } catch {
    return undefined;
  }
}

/** Whether M can be handed on as it is: a CscMatrix whose fields are the values just checked. */
function isSameMatrix(M: unknown, checked: CscMatrix): boolean {
  if (types.isProxy(M) || safePrototype(M as object) !== CscMatrix.prototype) return false;
  for (const key of cscFields) {
    const d = Object.getOwnPropertyDescriptor(M, key);
    if (!d || !('value' in d) || d.value !== checked[key]) return false;
  }
  return true;
}

/**
 * Checks a CSC matrix: its type, shape, array types and lengths, column pointers, sorted
 * unique in-range row indices, finite values, and for a symmetric triangle that every
 * entry lies in it. `nrows` undefined: any row count (read from the matrix). Returns the
 * matrix itself when it is a CscMatrix whose arrays need no copy, else a new CscMatrix of the
 * checked arrays (triangle resolved, buffers copied as requireFloat64Array says).
 */
export function validateCsc(field: string, M: unknown, nrows: number | undefined, ncols: number): CscMatrix {
  const f = cscFieldsOf(field, M);
  const rows = requireDimension(`${field}.nrows`, f.nrows);
  const cols = requireDimension(`${field}.ncols`, f.ncols);
  if ((nrows !== undefined && rows !== nrows) || cols !== ncols) {
    throw new QpError(ErrorCode.DIMENSION_MISMATCH, `${field}: shape must be ${nrows ?? rows}×${ncols} (got ${rows}×${cols})`, {
      field: `${field}.shape`,
      value: [rows, cols],
    });
  }
  if (f.triangle !== undefined && !triangles.includes(f.triangle as Triangle)) {
    throw problemError(ErrorCode.INVALID_TYPE, `${field}.triangle`, "must be 'full', 'lower' or 'upper' (omitted: 'full')", undefined, f.triangle);
  }
  const triangle = (f.triangle ?? 'full') as Triangle;
  const colPtr = requireInt32Array(`${field}.colPtr`, f.colPtr);
  const rowIdx = requireInt32Array(`${field}.rowIdx`, f.rowIdx);
  const values = requireFloat64Array(`${field}.values`, f.values);
  if (colPtr.length !== ncols + 1) {
    throw problemError(ErrorCode.INVALID_MATRIX, `${field}.colPtr`, `must have length ncols + 1 = ${ncols + 1}`, undefined, colPtr.length);
  }
  if (colPtr[0] !== 0) throw problemError(ErrorCode.INVALID_MATRIX, `${field}.colPtr`, 'must start at 0', 0, colPtr[0]);
  for (let j = 0; j < ncols; j++) {
    if (colPtr[j + 1]! < colPtr[j]!) {
      throw problemError(ErrorCode.INVALID_MATRIX, `${field}.colPtr`, `must be non-decreasing (previous ${colPtr[j]})`, j + 1, colPtr[j + 1]);
    }
  }
  const nnz = colPtr[ncols]!;
  if (rowIdx.length !== nnz) throw problemError(ErrorCode.INVALID_MATRIX, `${field}.rowIdx`, `must have length colPtr[ncols] = ${nnz}`, undefined, rowIdx.length);
  if (values.length !== nnz) throw problemError(ErrorCode.INVALID_MATRIX, `${field}.values`, `must have length colPtr[ncols] = ${nnz}`, undefined, values.length);
  for (let j = 0; j < ncols; j++) {
    let previous = -1;
    for (let k = colPtr[j]!; k < colPtr[j + 1]!; k++) {
      const i = rowIdx[k]!;
      if (i < 0 || i >= rows) throw problemError(ErrorCode.INVALID_MATRIX, `${field}.rowIdx`, `must be in 0..${rows - 1}`, k, i);
      if (i <= previous) {
        const what = i === previous ? `duplicates row ${i} in column ${j}` : `must be sorted within column ${j} (previous ${previous})`;
        throw problemError(ErrorCode.INVALID_MATRIX, `${field}.rowIdx`, what, k, i);
      }
      if (triangle === 'lower' && i < j) throw problemError(ErrorCode.INVALID_MATRIX, `${field}.rowIdx`, `lies above the diagonal in column ${j} of a lower triangle`, k, i);
      if (triangle === 'upper' && i > j) throw problemError(ErrorCode.INVALID_MATRIX, `${field}.rowIdx`, `lies below the diagonal in column ${j} of an upper triangle`, k, i);
      if (!Number.isFinite(values[k])) throw problemError(ErrorCode.NOT_FINITE, `${field}.values`, 'must be finite', k, values[k]);
      previous = i;
    }
  }
  const checked = new CscMatrix(rows, cols, colPtr, rowIdx, values, triangle);
  return isSameMatrix(M, checked) ? (M as CscMatrix) : checked;
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
