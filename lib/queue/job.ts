/**
 * What a queue job asks for and what its result holds, and their payloads (lib/queue/format.ts):
 *
 *   solve          a problem (either form) and solve options
 *   differentiate  the same, plus the seeds dx (dy, dz) and differentiate options: the solution and
 *                  the vector–Jacobian product (dP, dq, …)
 *   project        a point v and a set (lib/projections.ts): the projection of v onto the set
 *
 * Vectors given as plain arrays become Float64Arrays and matrices plain CSC objects with typed
 * arrays before encoding, so nothing large is ever JSON. A decoded job is checked for its kind
 * and keys here; its numbers are checked by solve, as any caller's are.
 */
import { typedArrayKind, Vector } from '../arrays';
import { DifferentiateOptions, Gradients, Grads } from '../differentiate';
import { ErrorCode, QpError } from '../errors';
import { Problem } from '../problem';
import { ProjectionSet } from '../projections';
import { Solution, SolveOptions } from '../solve';
import { CscMatrix, CscMatrixLike } from '../sparse';
import { fromWire, toWire, Tree, WirePayload } from './format';

/** SolveOptions a job can carry: all but the signal (cancellation goes through the queue) and the handle. */
export type JobSolveOptions = Omit<SolveOptions, 'signal' | 'differentiable'>;

export type QueueJob =
  | { kind: 'solve'; problem: Problem; options?: JobSolveOptions }
  | { kind: 'differentiate'; problem: Problem; seeds: Grads; options?: JobSolveOptions; differentiateOptions?: DifferentiateOptions }
  | { kind: 'project'; set: ProjectionSet; point: Vector; options?: JobSolveOptions };

export type QueueJobKind = QueueJob['kind'];

/** What a job returns: the solution's numbers (no handle), and the gradients of a differentiate job. */
export interface JobResult {
  kind: QueueJobKind;
  status: Solution['status'];
  x: Float64Array;
  y: Float64Array;
  z: Float64Array;
  objective: number;
  primalResidual: number;
  dualResidual: number;
  dualityGap: number;
  iterations: number;
  setupTime: number;
  solveTime: number;
  solver: string;
  rawStatus: number;
  rawStatusText: string;
  hasDuals: boolean;
  certificate?: Float64Array;
  /** differentiate jobs: the vector–Jacobian product, as differentiate returns it. */
  gradients?: Gradients;
  /** Seconds the worker spent on the job: decoding, solving, differentiating, encoding. */
  workerSeconds: number;
}

const jobKeys: Record<QueueJobKind, readonly string[]> = {
  solve: ['kind', 'problem', 'options'],
  differentiate: ['kind', 'problem', 'seeds', 'options', 'differentiateOptions'],
  project: ['kind', 'set', 'point', 'options'],
};

function jobError(field: string, what: string, value?: unknown): QpError {
  const details: { field: string; value?: unknown } = { field };
  if (arguments.length >= 3) details.value = value;
  return new QpError(ErrorCode.INVALID_PAYLOAD, `${field}: ${what}`, details);
}

/** A plain number array becomes a Float64Array (checked by solve later like any other); anything else is left as it is. */
function vectorLeaf(v: unknown): unknown {
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? Float64Array.from(v as number[]) : v;
}

function matrixLeaf(M: unknown): unknown {
  if (typeof M !== 'object' || M === null) return M;
  const c = CscMatrix.from(M as CscMatrixLike); // checks the CSC structure: the producer hears of a bad matrix at once
  const out: Record<string, unknown> = { nrows: c.nrows, ncols: c.ncols, colPtr: c.colPtr, rowIdx: c.rowIdx, values: c.values };
  if (c.triangle !== undefined) out.triangle = c.triangle;
  return out;
}

const matrixFields = new Set(['P', 'A', 'G', 'C']);

/** A problem-like record (a problem, a set, seeds, options) with vectors typed and matrices as CSC objects. */
function typedRecord(o: unknown): unknown {
  if (typeof o !== 'object' || o === null || typedArrayKind.call(o) !== undefined || Array.isArray(o)) return o;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = matrixFields.has(k) ? matrixLeaf(v) : k === 'solverOptions' || k === 'wrt' ? v : vectorLeaf(v);
  }
  return out;
}

/** The job as a tree for the payload. Throws the QpError of a bad matrix or a bad kind. */
export function jobTree(job: QueueJob): Tree {
  if (typeof job !== 'object' || job === null || !(job.kind in jobKeys))
    throw jobError('job.kind', `must be one of ${Object.keys(jobKeys).join(', ')}`, (job as { kind?: unknown })?.kind);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(job)) {
    if (v === undefined) continue;
    if (!jobKeys[job.kind].includes(k))
      throw jobError(`job.${k}`, `is not a field of a ${job.kind} job (fields: ${jobKeys[job.kind].join(', ')})`);
    if (k === 'options' && typeof v === 'object' && v !== null && ('signal' in v || 'differentiable' in v)) {
      throw jobError(
        `job.options.${'signal' in v ? 'signal' : 'differentiable'}`,
        'cannot travel in a job: pass a signal to the producer call; differentiate jobs make the handle themselves',
      );
    }
    out[k] = k === 'point' ? vectorLeaf(v) : k === 'kind' ? v : typedRecord(v);
  }
  return out as Tree;
}

export function encodeJob(job: QueueJob): WirePayload {
  return toWire('job', jobTree(job));
}

/** Decodes a job's data and checks its kind and keys (ERR_QP_INVALID_PAYLOAD); the numbers are solve's to check. */
export function decodeJob(data: unknown): QueueJob {
  const tree = fromWire('job', data);
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree) || typedArrayKind.call(tree) !== undefined)
    throw jobError('job', 'must be an object');
  const t = tree as Record<string, unknown>;
  const kind = t.kind;
  if (typeof kind !== 'string' || !(kind in jobKeys)) throw jobError('job.kind', `must be one of ${Object.keys(jobKeys).join(', ')}`, kind);
  for (const k of Object.keys(t))
    if (!jobKeys[kind as QueueJobKind].includes(k)) throw jobError(`job.${k}`, `is not a field of a ${kind} job`);
  const required = kind === 'project' ? ['set', 'point'] : kind === 'differentiate' ? ['problem', 'seeds'] : ['problem'];
  for (const k of required) if (t[k] === undefined) throw jobError(`job.${k}`, `is required in a ${kind} job`);
  for (const k of ['problem', 'seeds', 'options', 'differentiateOptions', 'set']) {
    if (
      t[k] !== undefined &&
      (typeof t[k] !== 'object' || t[k] === null || Array.isArray(t[k]) || typedArrayKind.call(t[k]) !== undefined)
    ) {
      throw jobError(`job.${k}`, 'must be an object');
    }
  }
  return t as unknown as QueueJob;
}

/** The result as a tree: numbers and typed arrays only (a gradient's arrays included). */
export function encodeResult(r: JobResult): WirePayload {
  const tree: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (v !== undefined) tree[k] = k === 'gradients' ? { ...(v as object) } : v;
  return toWire('result', tree as Tree);
}

const resultNumbers = [
  'objective',
  'primalResidual',
  'dualResidual',
  'dualityGap',
  'iterations',
  'setupTime',
  'solveTime',
  'rawStatus',
  'workerSeconds',
];

export function decodeResult(wire: unknown): JobResult {
  const tree = fromWire('result', wire);
  const t = tree as Record<string, unknown>;
  if (typeof t !== 'object' || t === null) throw jobError('result', 'must be an object');
  for (const k of ['x', 'y', 'z'])
    if (typedArrayKind.call(t[k]) !== 'Float64Array') throw jobError(`result.${k}`, 'must be a Float64Array');
  for (const k of resultNumbers) if (typeof t[k] !== 'number') throw jobError(`result.${k}`, 'must be a number', t[k]);
  for (const k of ['status', 'solver', 'rawStatusText', 'kind'])
    if (typeof t[k] !== 'string') throw jobError(`result.${k}`, 'must be a string', t[k]);
  return t as unknown as JobResult;
}
