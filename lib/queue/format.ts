/**
 * The binary payload of a queue job and of its result (docs/QUEUE.md "Job format"), version 1.
 * BullMQ stores job data and return values as JSON, so a payload travels as one base64 string
 * ({ diffqp: 1, payload }): 4/3 of the bytes, and no vector ever becomes JSON numbers.
 *
 *   bytes 0–3    magic "DQPJ" (a job) or "DQPR" (a result)
 *   bytes 4–7    format version (uint32, little-endian): 1
 *   bytes 8–11   header length H (uint32)
 *   bytes 12–15  0
 *   16 … 16+H    header: UTF-8 JSON { tree, arrays }
 *   then         the arrays, each at an offset that is a multiple of 8, little-endian
 *
 * `arrays` lists [type, offset, length] with type "f64" or "i32"; `tree` is the job (or result)
 * as JSON in which {"$a": k} stands for arrays[k] and {"$n": "Infinity" | "-Infinity" | "NaN"}
 * for a number JSON cannot hold. The decoder checks everything before it builds anything
 * (magic, version, lengths, bounds, alignment, overlap, every array used once, depth) and throws
 * ERR_QP_INVALID_PAYLOAD naming the part; what it returns then goes through diffqp's own checks.
 * This file knows nothing of BullMQ.
 */
import * as os from 'node:os';
import { typedArrayKind } from '../arrays';
import { ErrorCode, QpError } from '../errors';

export const FORMAT_VERSION = 1;
const MAGIC = { job: 'DQPJ', result: 'DQPR' } as const;
export type PayloadType = keyof typeof MAGIC;

const PREFIX = 16;
/** A header is small (a job's options, shapes and names): a larger one is a malformed payload. */
const MAX_HEADER = 1 << 20;
const MAX_DEPTH = 8;
const MAX_ARRAYS = 256;

/** A JSON-like value whose leaves may also be typed arrays and non-finite numbers. */
export type Tree = null | boolean | number | string | Float64Array | Int32Array | Tree[] | { [key: string]: Tree | undefined };

function payloadError(field: string, what: string, value?: unknown): QpError {
  const details: { field: string; value?: unknown } = { field };
  if (arguments.length >= 3) details.value = value;
  return new QpError(ErrorCode.INVALID_PAYLOAD, `${field}: ${what}`, details);
}

/** Arrays are written as the platform lays them out; every platform diffqp builds for is little-endian. */
function requireLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new QpError(ErrorCode.QUEUE, 'diffqp queue payloads need a little-endian platform');
}

/** Encodes a tree as a payload. Plain arrays stay JSON: callers turn vectors into typed arrays first. */
export function encodePayload(type: PayloadType, tree: Tree): Uint8Array {
  requireLittleEndian();
  const arrays: Array<Float64Array | Int32Array> = [];
  const json = JSON.stringify(tree, function replacer(this: unknown, key: string, value: unknown) {
    if (typeof value === 'number' && !Number.isFinite(value)) return { $n: String(value) };
    if (value !== null && typeof value === 'object') {
      const kind = typedArrayKind.call(value);
      if (kind === 'Float64Array' || kind === 'Int32Array') {
        arrays.push(value as Float64Array | Int32Array);
        return { $a: arrays.length - 1 };
      }
      if (kind !== undefined) throw payloadError(key || 'tree', `a ${kind} cannot be sent (Float64Array or Int32Array)`);
      if (!Array.isArray(value)) {
        for (const k of Object.keys(value)) if (k.startsWith('$')) throw payloadError(k, 'keys starting with $ are reserved');
      }
    }
    return value;
  });
  // The table is part of the header, whose length moves the offsets: lay out until it is stable.
  let table: Array<[string, number, number]> = [];
  let headerText = Buffer.alloc(0);
  let offset = 0;
  for (let start = align8(PREFIX + json.length + 24); ;) {
    table = [];
    offset = start;
    for (const a of arrays) {
      table.push([typedArrayKind.call(a) === 'Float64Array' ? 'f64' : 'i32', offset, a.length]);
      offset = align8(offset + a.byteLength);
    }
    headerText = Buffer.from(`{"tree":${json},"arrays":${JSON.stringify(table)}}`, 'utf8');
    if (align8(PREFIX + headerText.length) <= start) break;
    start = align8(PREFIX + headerText.length);
  }
  const out = new Uint8Array(Math.max(offset, align8(PREFIX + headerText.length)));
  const view = new DataView(out.buffer);
  out.set(Buffer.from(MAGIC[type], 'latin1'), 0);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, headerText.length, true);
  out.set(headerText, PREFIX);
  arrays.forEach((a, k) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), table[k]![1]));
  return out;
}

function align8(x: number): number {
  return Math.ceil(x / 8) * 8;
}

/** Decodes and checks a payload; the typed arrays returned are views on one fresh buffer. */
export function decodePayload(type: PayloadType, bytes: Uint8Array): Tree {
  requireLittleEndian();
  if (bytes.length < PREFIX) throw payloadError('payload', `is ${bytes.length} bytes, shorter than its 16-byte prefix`);
  // One aligned copy: views need 8-byte alignment, and the caller's buffer may be pooled.
  const buf = new Uint8Array(bytes.length);
  buf.set(bytes);
  const view = new DataView(buf.buffer);
  const magic = Buffer.from(buf.subarray(0, 4)).toString('latin1');
  if (magic !== MAGIC[type]) throw payloadError('payload.magic', `is not "${MAGIC[type]}" (a diffqp ${type})`, magic);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION)
    throw payloadError('payload.version', `format version ${version} is not supported (this diffqp reads ${FORMAT_VERSION})`, version);
  const h = view.getUint32(8, true);
  if (h > MAX_HEADER || PREFIX + h > buf.length)
    throw payloadError('payload.headerLength', `${h} bytes does not fit (payload ${buf.length} bytes, header at most ${MAX_HEADER})`, h);
  if (view.getUint32(12, true) !== 0) throw payloadError('payload.reserved', 'bytes 12–15 must be 0');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(PREFIX, PREFIX + h)));
  } catch (e) {
    throw payloadError('payload.header', `is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw payloadError('payload.header', 'must be a JSON object { tree, arrays }');
  for (const k of Object.keys(header))
    if (k !== 'tree' && k !== 'arrays') throw payloadError(`payload.header.${k}`, 'is not a header field (tree, arrays)');
  const table = (header as { arrays?: unknown }).arrays;
  if (!Array.isArray(table) || table.length > MAX_ARRAYS)
    throw payloadError('payload.arrays', `must be an array of at most ${MAX_ARRAYS} entries`);
  const dataStart = align8(PREFIX + h);
  const arrays: Array<Float64Array | Int32Array> = [];
  const spans: Array<[number, number, number]> = [];
  table.forEach((entry: unknown, k) => {
    const at = `payload.arrays[${k}]`;
    if (!Array.isArray(entry) || entry.length !== 3) throw payloadError(at, 'must be [type, offset, length]');
    const [t, offset, length] = entry as [unknown, unknown, unknown];
    if (t !== 'f64' && t !== 'i32') throw payloadError(`${at}.type`, 'must be "f64" or "i32"', t);
    const size = t === 'f64' ? 8 : 4;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset % 8 !== 0 || offset < dataStart) {
      throw payloadError(`${at}.offset`, `must be a multiple of 8 at or after the header's end (${dataStart})`, offset);
    }
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0 || offset + length * size > buf.length) {
      throw payloadError(
        `${at}.length`,
        `must be a count of ${t} that ends within the payload (${buf.length} bytes from offset ${offset})`,
        length,
      );
    }
    spans.push([offset, offset + length * size, k]);
    arrays.push(t === 'f64' ? new Float64Array(buf.buffer, offset, length) : new Int32Array(buf.buffer, offset, length));
  });
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1])
      throw payloadError(`payload.arrays[${spans[i]![2]}]`, `overlaps payload.arrays[${spans[i - 1]![2]}]`);
  }
  const used = new Uint8Array(arrays.length);
  const build = (node: unknown, path: string, depth: number): Tree => {
    if (depth > MAX_DEPTH) throw payloadError(path, `nests deeper than ${MAX_DEPTH}`);
    if (node === null || typeof node === 'boolean' || typeof node === 'number' || typeof node === 'string') return node;
    if (typeof node !== 'object') throw payloadError(path, 'is missing', node);
    if (Array.isArray(node)) return node.map((x, i) => build(x, `${path}[${i}]`, depth + 1));
    const o = node as Record<string, unknown>;
    const ks = Object.keys(o);
    if (ks.length === 1 && ks[0] === '$a') {
      const k = o.$a;
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= arrays.length)
        throw payloadError(path, `refers to array ${String(k)}, not in payload.arrays`, k);
      if (used[k]) throw payloadError(path, `refers to array ${k} a second time`, k);
      used[k] = 1;
      return arrays[k]!;
    }
    if (ks.length === 1 && ks[0] === '$n') {
      const s = o.$n;
      if (s === 'Infinity') return Infinity;
      if (s === '-Infinity') return -Infinity;
      if (s === 'NaN') return NaN;
      throw payloadError(path, 'a {"$n": …} number must be "Infinity", "-Infinity" or "NaN"', s);
    }
    const out: { [key: string]: Tree } = {};
    for (const k of ks) {
      if (k.startsWith('$')) throw payloadError(`${path}.${k}`, 'keys starting with $ are reserved');
      if (k === '__proto__') throw payloadError(`${path}.${k}`, 'is not a valid key');
      out[k] = build(o[k], `${path}.${k}`, depth + 1);
    }
    return out;
  };
  const tree = build((header as { tree?: unknown }).tree, 'payload.tree', 0);
  const unused = used.indexOf(0);
  if (unused >= 0) throw payloadError(`payload.arrays[${unused}]`, 'is not used by the tree');
  return tree;
}

/** What goes into BullMQ's JSON: the payload as one base64 string. */
export interface WirePayload {
  diffqp: number;
  payload: string;
}

export function toWire(type: PayloadType, tree: Tree): WirePayload {
  const bytes = encodePayload(type, tree);
  return { diffqp: FORMAT_VERSION, payload: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}

export function fromWire(type: PayloadType, wire: unknown): Tree {
  if (typeof wire !== 'object' || wire === null || typeof (wire as WirePayload).payload !== 'string') {
    throw payloadError('data', `must be { diffqp: ${FORMAT_VERSION}, payload: BASE64 } (made by diffqp's producer)`);
  }
  const w = wire as WirePayload;
  if (w.diffqp !== FORMAT_VERSION)
    throw payloadError(
      'data.diffqp',
      `format version ${String(w.diffqp)} is not supported (this diffqp reads ${FORMAT_VERSION})`,
      w.diffqp,
    );
  // Node's decoder skips characters outside the alphabet: a shorter result than the length promises means there were some.
  const s = w.payload;
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const bytes = s.length % 4 === 0 ? Buffer.from(s, 'base64') : undefined;
  if (!bytes || bytes.length !== (s.length / 4) * 3 - padding) throw payloadError('data.payload', 'is not base64');
  return decodePayload(type, bytes);
}
