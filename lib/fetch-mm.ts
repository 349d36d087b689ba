/**
 * `diffqp fetch-mm --dir D`: downloads the Maros–Meszaros set into D as NAME.QPS.gz files plus
 * index.csv, checking each against the manifest in the repository (lib/mm-manifest.ts). The
 * manifest holds the checksum of each problem's QPS text, not of a compressed file, so a source
 * may serve plain text (with CRLF or LF line endings) or gzip. Every file is written to a
 * temporary name and renamed, so D never holds a half-written or unchecked file; a file already
 * in D with the right checksum is not downloaded again. docs/MAROS_MESZAROS.md.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ErrorCode, QpError } from './errors';
import { MM_FILES, MM_INDEX_CSV } from './mm-manifest';

/**
 * The public copy of the set fetch-mm reads by default: the optrove repository of the CUTEst
 * test sets on Bitbucket, at a fixed commit, one NAME.SIF file per problem (the QPS text).
 * This machine reaches no such host, so whether its files match the manifest is unchecked
 * here: a file that does not is reported by name and not written (docs/MAROS_MESZAROS.md).
 */
export const MM_DEFAULT_BASE_URL = 'https://bitbucket.org/optrove/maros-meszaros/raw/9adfb5707b1e0b83a2e0a26cc8310704ff01b7c1/';
export const MM_DEFAULT_NAME_PATTERN = '{name}.SIF';
/** The file names of another source, e.g. a folder fetch-mm wrote, served over HTTP. */
export const MM_MIRROR_NAME_PATTERN = '{name}.QPS.gz';

export interface FetchMmOptions {
  /** The folder to fill (made if missing). */
  dir: string;
  /** Where the files are: `new URL(pattern with the name, baseUrl)` (default MM_DEFAULT_BASE_URL). */
  baseUrl?: string;
  /** The file name under baseUrl, with `{name}` (default '{name}.SIF' for the default source, else '{name}.QPS.gz'). */
  namePattern?: string;
  /** Only these problems (names as in the manifest); all 117 by default. */
  only?: readonly string[];
  /** Per file, from request to last byte (default 300). */
  timeoutSeconds?: number;
  /** Called after each file, in order. */
  onFile?: (file: FetchedFile) => void;
}

export interface FetchedFile {
  name: string;
  /** 'present': already in dir with the right checksum, nothing downloaded. */
  outcome: 'downloaded' | 'present' | 'failed';
  /** Bytes written (downloaded) or found (present). */
  bytes?: number;
  error?: QpError;
}

export interface FetchMmReport {
  dir: string;
  files: FetchedFile[];
}

const isGzip = (bytes: Buffer): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** CRLF made LF; the same Buffer when there is none. */
const lfText = (text: Buffer): Buffer =>
  text.includes('\r\n') ? Buffer.from(text.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : text;

/** The QPS text of a file's bytes: gunzipped when gzip, CRLF made LF. What the manifest checks. */
export function qpsText(bytes: Buffer): Buffer {
  return lfText(isGzip(bytes) ? gunzipSync(bytes) : bytes);
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function optionError(field: string, what: string, value: unknown): QpError {
  return new QpError(ErrorCode.INVALID_OPTION, `fetch-mm: ${field} ${what} (got ${JSON.stringify(value)})`, { field, value });
}

/** Writes through a temporary file in the same folder, so that the file appears whole or not at all. */
function writeAtomically(file: string, data: Buffer | string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The size of file when it exists and holds the QPS text the manifest names, else undefined (a corrupt file counts as absent). */
function presentAndRight(file: string, want: string): number | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const bytes = readFileSync(file);
    return sha256(qpsText(bytes)) === want ? bytes.length : undefined;
  } catch {
    return undefined;
  }
}

async function download(name: string, url: URL, want: string, timeoutSeconds: number): Promise<Buffer> {
  const fail = (what: string, value: unknown = url.href) => new QpError(ErrorCode.FETCH, `${name}: ${what}`, { field: name, value });
  let body: Buffer;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000) });
    if (!res.ok) throw fail(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} from ${url.href}`);
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (e instanceof QpError) throw e;
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw fail(`cannot download ${url.href}: ${(e as Error).message}${cause ? ` (${cause})` : ''}`);
  }
  let raw: Buffer;
  try {
    raw = isGzip(body) ? gunzipSync(body) : body;
  } catch (e) {
    throw fail(`${url.href} sent gzip data that does not decompress: ${(e as Error).message}`);
  }
  const text = lfText(raw);
  const got = sha256(text);
  if (got !== want) throw fail(`the QPS text from ${url.href} does not match the manifest: sha256 ${got}, expected ${want}`, got);
  // A gzip file that holds the exact text is kept as it came (a mirror of a fetched folder is
  // copied byte for byte); anything else is gzipped here.
  return isGzip(body) && text === raw ? body : gzipSync(text, { level: 9 });
}

/**
 * Fills dir with the set (or `only` those problems) and index.csv. Every file is tried; when any
 * failed, throws ERR_QP_FETCH naming the first (field, value) after the others are written.
 */
export async function fetchMm(options: FetchMmOptions): Promise<FetchMmReport> {
  const { dir, only, onFile } = options;
  if (typeof dir !== 'string' || dir === '') throw optionError('dir', 'must be a folder name', dir);
  const baseText = options.baseUrl ?? MM_DEFAULT_BASE_URL;
  let base: URL;
  try {
    base = new URL(baseText.endsWith('/') ? baseText : `${baseText}/`);
  } catch {
    throw optionError('baseUrl', 'is not a URL', baseText);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw optionError('baseUrl', 'must be http: or https:', baseText);
  const pattern = options.namePattern ?? (baseText === MM_DEFAULT_BASE_URL ? MM_DEFAULT_NAME_PATTERN : MM_MIRROR_NAME_PATTERN);
  if (!pattern.includes('{name}')) throw optionError('namePattern', "must contain '{name}'", pattern);
  const timeoutSeconds = options.timeoutSeconds ?? 300;
  if (!(timeoutSeconds > 0)) throw optionError('timeoutSeconds', 'must be a positive number', timeoutSeconds);
  const known = new Map(MM_FILES.map(([name, sum]) => [name, sum]));
  if (only !== undefined) {
    for (const name of only)
      if (!known.has(name))
        throw optionError('only', `names no problem of the set (known: ${[...known.keys()].slice(0, 4).join(', ')}, …)`, name);
  }
  const names = only ?? [...known.keys()];

  mkdirSync(dir, { recursive: true });
  const files: FetchedFile[] = [];
  for (const name of names) {
    const want = known.get(name)!;
    const target = path.join(dir, `${name}.QPS.gz`);
    let done: FetchedFile;
    const have = presentAndRight(target, want);
    if (have !== undefined) done = { name, outcome: 'present', bytes: have };
    else {
      try {
        const bytes = await download(name, new URL(pattern.replace(/\{name\}/g, encodeURIComponent(name)), base), want, timeoutSeconds);
        writeAtomically(target, bytes);
        done = { name, outcome: 'downloaded', bytes: bytes.length };
      } catch (e) {
        const error = e instanceof QpError ? e : new QpError(ErrorCode.FETCH, `${name}: ${(e as Error).message}`, { field: name });
        done = { name, outcome: 'failed', error };
      }
    }
    files.push(done);
    onFile?.(done);
  }
  const indexFile = path.join(dir, 'index.csv');
  if (!existsSync(indexFile) || readFileSync(indexFile, 'utf8') !== MM_INDEX_CSV) writeAtomically(indexFile, MM_INDEX_CSV);

  const failed = files.filter((f) => f.outcome === 'failed');
  if (failed.length > 0) {
    const first = failed[0]!.error!;
    const details: { field?: string; value?: unknown } = {};
    if (first.field !== undefined) details.field = first.field;
    if ('value' in first) details.value = first.value;
    const others =
      failed.length > 1
        ? `; ${failed.length - 1} more failed: ${failed
            .slice(1)
            .map((f) => f.name)
            .join(', ')}`
        : '';
    throw new QpError(
      ErrorCode.FETCH,
      `fetch-mm: ${failed.length} of ${files.length} files not fetched: ${first.message}${others}`,
      details,
    );
  }
  return { dir, files };
}
