/**
 * QPS / MPS files: parseQps (text), readQps and readQpsSync (files, gzip detected by its magic
 * bytes), one path for both: the steps of loadSteps, driven with or without awaiting the I/O.
 * The format and its conventions: ./format.ts (detection) and ./reader.ts.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { ErrorCode, problemError, QpError, rejectUnknownKeys } from '../errors';
import { isColumnAligned } from './format';
import { QpsFormat, QpsOptions, QpsProblem, Reader } from './reader';

export { isColumnAligned } from './format';
export type { QpsFormat, QpsOptions, QpsProblem, QpsStats } from './reader';

const qpsOptionKeys = ['format', 'name', 'infinity'];

function optionError(field: string, what: string, value: unknown): QpError {
  return problemError(ErrorCode.INVALID_OPTION, field, what, undefined, value);
}

function checkOptions(options: QpsOptions): { format: QpsFormat; infinity: number } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw optionError('options', 'must be an object', options);
  rejectUnknownKeys(options, qpsOptionKeys, ErrorCode.INVALID_OPTION, 'options.', 'is not a QPS option');
  const format = options.format === undefined ? 'auto' : options.format;
  if (format !== 'auto' && format !== 'fixed' && format !== 'free')
    throw optionError('options.format', "must be 'auto', 'fixed' or 'free'", format);
  const infinity = options.infinity === undefined ? 1e20 : options.infinity;
  if (typeof infinity !== 'number' || !(infinity > 0)) throw optionError('options.infinity', 'must be a positive number', infinity);
  if (options.name !== undefined && typeof options.name !== 'string') throw optionError('options.name', 'must be a string', options.name);
  return { format, infinity };
}

/** Parses QPS/MPS text. Throws QpError (code ERR_QP_QPS_PARSE) naming the line and the token. */
export function parseQps(text: string, options: QpsOptions = {}): QpsProblem {
  if (typeof text !== 'string') {
    throw new QpError(ErrorCode.INVALID_TYPE, 'parseQps: text must be a string', { field: 'text', value: text });
  }
  const { format, infinity } = checkOptions(options);
  let result: Omit<QpsProblem, 'name'>;
  if (format !== 'auto') {
    result = new Reader(format, infinity).parse(text);
  } else {
    const first = isColumnAligned(text) ? 'fixed' : 'free';
    try {
      result = new Reader(first, infinity).parse(text);
    } catch (e) {
      if (!(e instanceof QpError) || e.code !== ErrorCode.QPS_PARSE) throw e;
      try {
        result = new Reader(first === 'fixed' ? 'free' : 'fixed', infinity).parse(text);
      } catch {
        throw e;
      }
    }
  }
  return { ...result, name: options.name ?? result.nameRecord };
}

/** The problem name a file stands for: its base name without .gz and one more extension. */
export function qpsNameFromPath(file: string): string {
  let base = path.basename(file);
  if (/\.gz$/i.test(base)) base = base.slice(0, -3);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

function isGzip(data: Buffer): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

function gzipError(file: string, e: unknown): QpError {
  return fileError(file, `cannot decompress gzip data (${(e as Error).message})`);
}

function withFile(file: string, e: unknown): unknown {
  if (e instanceof QpError && e.code === ErrorCode.QPS_PARSE && e.field !== 'file') {
    const details: { field?: string; index?: number; value?: unknown } = {};
    if (e.field !== undefined) details.field = e.field;
    if (e.index !== undefined) details.index = e.index;
    if ('value' in e) details.value = e.value;
    return new QpError(ErrorCode.QPS_PARSE, `${file}: ${e.message}`, details);
  }
  return e;
}

const gunzipAsync = promisify(gunzip);

function fileError(file: string, what: string): QpError {
  return new QpError(ErrorCode.QPS_PARSE, `${file === '' ? "''" : file}: ${what}`, { field: 'file', value: file });
}

function checkFile(file: unknown): string {
  if (typeof file !== 'string') throw problemError(ErrorCode.INVALID_TYPE, 'file', 'must be a path string', undefined, file);
  return file;
}

/** Node's ENOENT, EISDIR, EACCES … as a typed error naming the path. */
function readError(file: string, e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || e instanceof QpError) return e;
  const what = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a QPS file' : `cannot be read (${code})`;
  return fileError(file, what);
}

/** The file's bytes as text, a typed error when they cannot be one string. */
function decode(file: string, data: Buffer): string {
  try {
    return data.toString('utf8');
  } catch (e) {
    // Beyond V8's longest string (about 2²⁹ characters).
    throw fileError(file, `${data.length} bytes are too long to read as text (${(e as Error).message})`);
  }
}

function parseFile(file: string, data: Buffer, options: QpsOptions): QpsProblem {
  const text = decode(file, data);
  try {
    return parseQps(text, { ...options, name: options.name ?? qpsNameFromPath(file) });
  } catch (e) {
    throw withFile(file, e);
  }
}

/** The I/O a load needs: the file's bytes, then (gzip) their decompression. */
type Io = { read: string } | { gunzip: Buffer };

/**
 * The one path of readQps and readQpsSync: yields each I/O step and receives its bytes, so the
 * async and the sync entry differ only in how they perform a step, never in what they check.
 */
function* loadSteps(file: unknown, options: QpsOptions): Generator<Io, QpsProblem, Buffer> {
  const path = checkFile(file);
  checkOptions(options);
  let data: Buffer;
  try {
    data = yield { read: path };
  } catch (e) {
    throw readError(path, e);
  }
  if (isGzip(data)) {
    try {
      data = yield { gunzip: data };
    } catch (e) {
      throw gzipError(path, e);
    }
  }
  return parseFile(path, data, options);
}

/** Reads a QPS/MPS file (gzip detected by its magic bytes). The name defaults to the file stem. */
export async function readQps(file: string, options: QpsOptions = {}): Promise<QpsProblem> {
  const steps = loadSteps(file, options);
  let step = steps.next();
  while (!step.done) {
    const io = step.value;
    let bytes: Buffer;
    try {
      bytes = 'read' in io ? await readFile(io.read) : await gunzipAsync(io.gunzip);
    } catch (e) {
      step = steps.throw(e);
      continue;
    }
    step = steps.next(bytes);
  }
  return step.value;
}

/** Synchronous readQps. */
export function readQpsSync(file: string, options: QpsOptions = {}): QpsProblem {
  const steps = loadSteps(file, options);
  let step = steps.next();
  while (!step.done) {
    const io = step.value;
    let bytes: Buffer;
    try {
      bytes = 'read' in io ? readFileSync(io.read) : gunzipSync(io.gunzip);
    } catch (e) {
      step = steps.throw(e);
      continue;
    }
    step = steps.next(bytes);
  }
  return step.value;
}
