/**
 * The arrays diffqp reads: a Float64Array or Int32Array (borrowed), or a plain array of numbers
 * (checked element by element and copied once into a typed array). The lowest layer of the input
 * checks: it knows nothing of matrices or problems.
 *
 * Typed arrays are recognised by their internal slots (the %TypedArray%.prototype getters),
 * never by `instanceof` or by their own properties, which Proxies and look-alikes can fake.
 * An array whose memory can change length or be written by another thread while a solve
 * reads it (a resizable or growable buffer, a SharedArrayBuffer) is copied into a fresh
 * fixed-length one; an array on a detached buffer is an error. docs/ERRORS.md lists both.
 */
import { types } from 'node:util';
import { ErrorCode, problemError } from './errors';

/**
 * A vector of doubles: a Float64Array is read in place (no copy); a plain array of numbers is
 * checked element by element and copied once into a Float64Array.
 */
export type Vector = Float64Array | readonly number[];

/** Indices (a CSC matrix's colPtr, rowIdx): an Int32Array in place, or a plain array of 32-bit integers, copied. */
export type IndexVector = Int32Array | readonly number[];

const typedArrayPrototype = Object.getPrototypeOf(Int32Array.prototype) as object;
const intrinsicGetter = (target: object, key: PropertyKey) =>
  Object.getOwnPropertyDescriptor(target, key)!.get! as (this: unknown) => unknown;
/** 'Float64Array', 'Int32Array', … for a real typed array; undefined for anything else (Proxies included). */
export const typedArrayKind = intrinsicGetter(typedArrayPrototype, Symbol.toStringTag);
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

const wantedText = (kind: Kind) =>
  kind === 'Int32Array' ? 'must be an Int32Array or an array of 32-bit integers' : 'must be a Float64Array or an array of numbers';

/** What a value that is not a typed array of the wanted kind is, for the message. */
function notKind(kind: Kind, value: unknown): string {
  const wanted = wantedText(kind);
  const actual = typedArrayKind.call(value) as string | undefined;
  if (actual !== undefined) return wanted;
  if (typeof value === 'object' && value !== null) {
    let looksLike = types.isProxy(value);
    try {
      looksLike ||= value instanceof Float64Array || value instanceof Int32Array;
    } catch {
      // a revoked Proxy: not a typed array either
    }
    if (looksLike) return `${wanted}, not a Proxy or an object inheriting from a typed array's prototype`;
  }
  return wanted;
}

/** The most elements a plain array may have here: every array diffqp reads has a 32-bit length. */
const MAX_PLAIN_LENGTH = 0x7fffffff;
/** From this length on, a plain array is first scanned for holes, so a sparse one allocates nothing. */
const SCAN_HOLES_FROM = 1 << 16;

/**
 * A plain array copied into a fresh typed array, each element read once (a getter cannot show
 * the check one value and the copy another). Holes, non-numbers and, for Int32Array, values
 * that are not 32-bit integers are errors naming the index; NaN and ±Infinity are copied for
 * the caller's field checks to judge, as they would be in a Float64Array.
 */
function fromPlainArray<T extends Float64Array | Int32Array>(
  kind: Kind,
  field: string,
  value: readonly unknown[],
  length: number | undefined,
): T {
  const actual = value.length;
  if (length !== undefined && actual !== length)
    throw problemError(ErrorCode.DIMENSION_MISMATCH, field, `must have length ${length}`, undefined, actual);
  if (actual > MAX_PLAIN_LENGTH)
    throw problemError(ErrorCode.TOO_LARGE, field, `has more than ${MAX_PLAIN_LENGTH} elements`, undefined, actual);
  const hole = (i: number) =>
    problemError(
      ErrorCode.INVALID_TYPE,
      field,
      'is a hole (an empty slot of a sparse array); every element must be a number',
      i,
      undefined,
    );
  if (actual >= SCAN_HOLES_FROM) for (let i = 0; i < actual; i++) if (!Object.prototype.hasOwnProperty.call(value, i)) throw hole(i);
  const out = (kind === 'Float64Array' ? new Float64Array(actual) : new Int32Array(actual)) as T;
  for (let i = 0; i < actual; i++) {
    const v = value[i];
    if (typeof v !== 'number') {
      if (v === undefined && !Object.prototype.hasOwnProperty.call(value, i)) throw hole(i);
      throw problemError(ErrorCode.INVALID_TYPE, field, 'must be a number', i, v);
    }
    if (kind === 'Int32Array' && (v | 0) !== v) throw problemError(ErrorCode.INVALID_TYPE, field, 'must be a 32-bit integer', i, v);
    out[i] = v;
  }
  return out;
}

/**
 * A typed array of the given kind and length, checked through its internal slots, or a plain
 * array of numbers. Returns the caller's typed array, or a fixed-length copy when its buffer is
 * resizable, growable or shared, or the plain array's copy.
 */
function requireTypedArray<T extends Float64Array | Int32Array>(kind: Kind, field: string, value: unknown, length: number | undefined): T {
  if (typedArrayKind.call(value) !== kind) {
    // types.isProxy first: Array.isArray throws on a revoked Proxy, and a Proxy's elements could change between reads.
    if (!types.isProxy(value) && Array.isArray(value)) return fromPlainArray<T>(kind, field, value, length);
    throw problemError(ErrorCode.INVALID_TYPE, field, notKind(kind, value), undefined, value);
  }
  const buffer = typedArrayBuffer.call(value);
  const shared = types.isSharedArrayBuffer(buffer); // a C++ type test: no exception on the common path
  const actual = typedArrayLength.call(value);
  // Every view of a detached buffer has length 0, so only an empty view needs the test.
  if (actual === 0 && !shared && isDetached(buffer))
    throw problemError(ErrorCode.INVALID_TYPE, field, 'its ArrayBuffer is detached (transferred)', undefined, value);
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

/**
 * A Float64Array of that length (any length when omitted): the caller's, a fixed-length copy of
 * one on a resizable or shared buffer, or a plain array of numbers copied into one.
 */
export function requireFloat64Array(field: string, value: unknown, length?: number): Float64Array {
  return requireTypedArray<Float64Array>('Float64Array', field, value, length);
}

/** An Int32Array of that length (any length when omitted), as requireFloat64Array; a plain array must hold 32-bit integers. */
export function requireInt32Array(field: string, value: unknown, length?: number): Int32Array {
  return requireTypedArray<Int32Array>('Int32Array', field, value, length);
}

export function requireDimension(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw problemError(ErrorCode.INVALID_TYPE, field, 'must be a non-negative 32-bit integer', undefined, value);
  }
  return value;
}
