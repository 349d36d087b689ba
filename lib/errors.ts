/**
 * Errors thrown or rejected by diffqp. An error means the call could not run; a solve
 * that ran and found the problem infeasible resolves with a status instead.
 * Every error has a stable `code`; problem errors also name the field, index and value.
 */

export const ErrorCode = {
  /** An argument is not of the expected type (e.g. a plain array where a Float64Array is needed). */
  INVALID_TYPE: 'ERR_QP_INVALID_TYPE',
  /** Array lengths or matrix shapes do not agree with n and m. */
  DIMENSION_MISMATCH: 'ERR_QP_DIMENSION_MISMATCH',
  /** n + m beyond the limit diffqp can solve (MAX_ROWS_PLUS_COLUMNS in lib/validate.ts), found before allocating. */
  TOO_LARGE: 'ERR_QP_TOO_LARGE',
  /** NaN or ±Infinity in P, q, A or the objective constant. */
  NOT_FINITE: 'ERR_QP_NOT_FINITE',
  /** NaN bound, l > u or lb > ub. */
  INVALID_BOUNDS: 'ERR_QP_INVALID_BOUNDS',
  /** A CSC structure fault: colPtr, rowIdx order, duplicates, range, or P triangle. */
  INVALID_MATRIX: 'ERR_QP_INVALID_MATRIX',
  /** A P stored in full is not symmetric. */
  NOT_SYMMETRIC: 'ERR_QP_NOT_SYMMETRIC',
  /** An option has the wrong type or value. */
  INVALID_OPTION: 'ERR_QP_INVALID_OPTION',
  /**
   * P is not positive semidefinite (within 1e-4·max P_jj for HiGHS, Ipopt and Clp, checked by
   * one LDLᵀ of P + εI; ipm and admm check in their own factorisation). `index` names a witness
   * variable (a negative pivot, diagonal entry or 2×2 minor).
   */
  NOT_CONVEX: 'ERR_QP_NOT_CONVEX',
  /**
   * A finite datum beyond what the chosen solver takes (it would abort, hang, or read it as
   * infinite): the message names field, index, value and the solver's limit. `auto` skips
   * such a solver.
   */
  OUT_OF_RANGE: 'ERR_QP_OUT_OF_RANGE',
  /** The requested solver is unknown or was not built into this binary. */
  SOLVER_UNAVAILABLE: 'ERR_QP_SOLVER_UNAVAILABLE',
  /** The solve was cancelled through an AbortSignal. */
  ABORTED: 'ERR_QP_ABORTED',
  /** differentiate was given a solution it cannot differentiate (status not solved/solvedInaccurate, or no duals). */
  NOT_DIFFERENTIABLE: 'ERR_QP_NOT_DIFFERENTIABLE',
  /** A differentiable solution was used after dispose(). */
  DISPOSED: 'ERR_QP_DISPOSED',
  /** A QPS/MPS file could not be read (missing, a directory, bad gzip) or parsed. */
  QPS_PARSE: 'ERR_QP_QPS_PARSE',
  /**
   * `diffqp fetch-mm` (lib/fetch-mm.ts) could not get a file of the Maros–Meszaros set: an HTTP
   * error, a network failure, or a download whose checksum is not the manifest's. `field` names
   * the problem, `value` the URL (or the checksum found).
   */
  FETCH: 'ERR_QP_FETCH',
  /**
   * A queue job or result payload (lib/queue/format.ts) is malformed: wrong magic or version, a
   * header that is not the documented JSON, an array out of bounds, misaligned or overlapping, an
   * unknown job kind or key. `field` names the part (e.g. `payload.arrays[2].offset`).
   */
  INVALID_PAYLOAD: 'ERR_QP_INVALID_PAYLOAD',
  /**
   * The job queue (lib/queue) could not serve a job: the optional packages bullmq and ioredis are
   * not installed, or a job failed for a reason outside diffqp (its worker died more often than
   * maxStalledCount allows, a missing job). A job that diffqp rejected fails with that QpError's own code.
   */
  QUEUE: 'ERR_QP_QUEUE',
  /** The native addon could not be loaded. */
  ADDON_LOAD: 'ERR_QP_ADDON_LOAD',
  /** An unexpected failure inside a native library (a bug: please report it). */
  NATIVE: 'ERR_QP_NATIVE',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface QpErrorDetails {
  /** The offending field, e.g. "A.rowIdx" or "options.epsAbs". */
  field?: string;
  /** The offending position in that field, when there is one. */
  index?: number;
  /** The offending value, when there is one. */
  value?: unknown;
}

export class QpError extends Error {
  readonly code: ErrorCodeValue;
  readonly field?: string;
  readonly index?: number;
  readonly value?: unknown;

  constructor(code: ErrorCodeValue, message: string, details: QpErrorDetails = {}) {
    super(message);
    this.name = code === ErrorCode.ABORTED ? 'AbortError' : 'QpError';
    this.code = code;
    if (details.field !== undefined) this.field = details.field;
    if (details.index !== undefined) this.index = details.index;
    if ('value' in details) this.value = details.value;
  }
}

/**
 * Formats a value for an error message: short, and NaN/Infinity spelled out. Never throws: the
 * value may be a Proxy, a revoked one, or an object without a prototype.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value !== 'object' && typeof value !== 'function') return `${typeof value} ${String(value)}`;
  try {
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`;
    if (Array.isArray(value)) return `Array(${value.length})`;
    return (value as object).constructor?.name ?? 'object';
  } catch {
    return typeof value;
  }
}

export function problemError(code: ErrorCodeValue, field: string, what: string, index?: number, value?: unknown): QpError {
  const at = index === undefined ? field : `${field}[${index}]`;
  const shown = arguments.length >= 5 ? ` (got ${describeValue(value)})` : '';
  const details: QpErrorDetails = { field };
  if (index !== undefined) details.index = index;
  if (arguments.length >= 5) details.value = value;
  return new QpError(code, `${at}: ${what}${shown}`, details);
}

/**
 * Throws for the first own key of `value` that `known` lacks: a QpError of `code` naming
 * `${prefix}${key}`, saying `${what} (known: …)` and showing the key's value.
 */
export function rejectUnknownKeys(value: object, known: Iterable<string>, code: ErrorCodeValue, prefix: string, what: string): void {
  const names = [...known];
  for (const key of Object.keys(value)) {
    if (!names.includes(key))
      throw problemError(
        code,
        `${prefix}${key}`,
        `${what} (known: ${names.join(', ')})`,
        undefined,
        (value as Record<string, unknown>)[key],
      );
  }
}
