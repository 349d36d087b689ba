/**
 * diffqp/tfjs: a QP as a TensorFlow.js layer (issue 12 item 4).
 *
 *   const layer = qpLayer({ P, A, l, u, lb }, { inputs: ['q', 'A'] });
 *   const x = layer({ q, A: aValues });          // x: float32 [B, n]
 *
 * Each call solves the B problems of the batch in one native call (solveBatchSync) and, when a
 * gradient is taken, differentiates them in one native call (differentiateBatchSync), through
 * tf.customGrad. Tensors come in as float32 and are widened to float64 for the solver; x goes
 * back as float32. The only file of diffqp that imports @tensorflow/tfjs-core (an optional peer
 * dependency): the main entry never loads it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { performance } from 'node:perf_hooks';
import { Vector } from './arrays';
import { differentiateBatchSync, solveBatchSync } from './batch';
import { DifferentiateMethod, DifferentiateOptions, GradientName, Gradients } from './differentiate';
import { describeValue, ErrorCode, problemError, QpError } from './errors';
import { CanonicalProblem } from './problem';
import { DisposableSolution, SolveOptions } from './solve';
import { CscMatrix, CscMatrixLike } from './sparse';
import { SolveStatus } from './status';

/** The data a layer input can replace: q, P's or A's stored values, the bounds. */
export type QpLayerInput = 'q' | 'P' | 'A' | 'l' | 'u' | 'lb' | 'ub';

/**
 * The fixed part of the problem (canonical form: ½xᵀPx + qᵀx, l ≤ Ax ≤ u, lb ≤ x ≤ ub). P and A
 * fix the sparsity patterns; their values, q and the bounds are the defaults an input replaces.
 */
export interface QpLayerStructure {
  /** Number of variables. */
  n: number;
  /** n×n, a triangle or 'full' (as solve takes it); omitted: P = 0 unless 'P' is an input (then give its pattern). */
  P?: CscMatrixLike;
  /** m×n; omitted: no rows. */
  A?: CscMatrixLike;
  q?: Vector;
  l?: Vector;
  u?: Vector;
  lb?: Vector;
  ub?: Vector;
}

export interface QpLayerOptions {
  /** Which data the layer takes as tensors (default ['q']). Each is float32, [B, k] or [k] (shared by the batch). */
  inputs?: readonly QpLayerInput[];
  /** A solver key (solveBatch takes no 'auto'); default 'ipm'. */
  solver?: string;
  /** The backward method (default 'kkt'): differentiate's `method`. */
  method?: DifferentiateMethod;
  /** Native threads for both passes (default os.availableParallelism()). */
  threads?: number;
  /** Forward options passed to solveBatchSync (epsAbs, epsRel, maxIter, polish, …). */
  solveOptions?: Omit<SolveOptions, 'solver' | 'differentiable' | 'signal' | 'x0' | 'y0' | 'z0'>;
  /** Backward options passed to differentiateBatchSync (epsActive, penaltyBeta, …). */
  differentiateOptions?: Omit<DifferentiateOptions, 'method' | 'wrt'>;
  /** Accept a forward status of 'solvedInaccurate' as well as 'solved' (default false: it is an error). */
  allowInaccurate?: boolean;
}

/** The tensors of one call, by name; the names must be exactly the layer's inputs. */
export type QpLayerTensors = Partial<Record<QpLayerInput, tf.Tensor>>;

export interface QpLayer {
  /** Solves the batch: x as float32 [B, n]. Differentiable with respect to every input tensor. */
  (tensors: QpLayerTensors): tf.Tensor2D;
  readonly inputs: readonly QpLayerInput[];
  /** Each input's length k (the last dimension of its tensor). */
  readonly sizes: Readonly<Record<QpLayerInput, number>>;
  /** Seconds spent in the batch solves and the batch differentiations so far, and their counts. */
  readonly stats: QpLayerStats;
}

export interface QpLayerStats {
  /** Layer calls (batch solves), the QPs they solved and the seconds inside solveBatchSync. */
  forwardCalls: number;
  forwardProblems: number;
  forwardSeconds: number;
  /** Backward passes (batch differentiations), their QPs and the seconds inside differentiateBatchSync. */
  backwardCalls: number;
  backwardProblems: number;
  backwardSeconds: number;
}

const inputNames: readonly QpLayerInput[] = ['q', 'P', 'A', 'l', 'u', 'lb', 'ub'];

function layerError(code: (typeof ErrorCode)[keyof typeof ErrorCode], field: string, what: string, value: unknown): QpError {
  return new QpError(code, `qpLayer: ${field}: ${what}`, { field, value });
}

function checkOptions(options: QpLayerOptions): Required<Pick<QpLayerOptions, 'inputs' | 'solver' | 'method'>> {
  if (typeof options !== 'object' || options === null)
    throw problemError(ErrorCode.INVALID_OPTION, 'options', 'must be an object', undefined, options);
  const inputs = options.inputs ?? ['q'];
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw problemError(
      ErrorCode.INVALID_OPTION,
      'options.inputs',
      `must be a non-empty array of ${inputNames.join(', ')}`,
      undefined,
      inputs,
    );
  inputs.forEach((name, i) => {
    if (!inputNames.includes(name))
      throw problemError(ErrorCode.INVALID_OPTION, 'options.inputs', `must name ${inputNames.join(', ')}`, i, name);
    if (inputs.indexOf(name) !== i) throw problemError(ErrorCode.INVALID_OPTION, 'options.inputs', `names ${name} twice`, i, name);
  });
  const solver = options.solver ?? 'ipm';
  return { inputs, solver, method: options.method ?? 'kkt' };
}

/** The structure checked once: matrices as CscMatrix, every input's length. */
function checkStructure(s: QpLayerStructure, inputs: readonly QpLayerInput[]) {
  if (typeof s !== 'object' || s === null) throw problemError(ErrorCode.INVALID_TYPE, 'structure', 'must be an object', undefined, s);
  const n = s.n;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw problemError(ErrorCode.INVALID_TYPE, 'structure.n', 'must be a positive integer', undefined, n);
  const matrix = (name: 'P' | 'A', M: CscMatrixLike | undefined): CscMatrix | undefined => {
    if (M === undefined) return undefined;
    try {
      return CscMatrix.from(M);
    } catch (e) {
      if (!(e instanceof QpError)) throw e;
      const field = `structure.${name}${e.field?.slice('matrix'.length) ?? ''}`;
      throw new QpError(e.code, e.message.replace(/^matrix/, `structure.${name}`), {
        field,
        ...(e.index !== undefined ? { index: e.index } : {}),
        value: e.value,
      });
    }
  };
  const P = matrix('P', s.P);
  const A = matrix('A', s.A);
  if (P && (P.nrows !== n || P.ncols !== n))
    throw problemError(ErrorCode.DIMENSION_MISMATCH, 'structure.P', `must be ${n}×${n}`, undefined, `${P.nrows}×${P.ncols}`);
  if (A && A.ncols !== n)
    throw problemError(ErrorCode.DIMENSION_MISMATCH, 'structure.A', `must have ${n} columns`, undefined, `${A.nrows}×${A.ncols}`);
  const m = A?.nrows ?? 0;
  if (inputs.includes('P') && !P)
    throw problemError(ErrorCode.INVALID_OPTION, 'options.inputs', "has 'P': give structure.P (its pattern)", undefined, 'P');
  if (inputs.includes('A') && !A)
    throw problemError(ErrorCode.INVALID_OPTION, 'options.inputs', "has 'A': give structure.A (its pattern)", undefined, 'A');
  if (!inputs.includes('q') && s.q === undefined)
    throw problemError(ErrorCode.INVALID_OPTION, 'structure.q', "is needed when 'q' is not an input", undefined, undefined);
  const sizes: Record<QpLayerInput, number> = { q: n, P: P?.nnz ?? 0, A: A?.nnz ?? 0, l: m, u: m, lb: n, ub: n };
  for (const name of ['q', 'l', 'u', 'lb', 'ub'] as const) {
    const v = s[name];
    if (v === undefined || inputs.includes(name)) continue;
    const length = (v as { length?: unknown }).length;
    if (length !== sizes[name])
      throw problemError(ErrorCode.DIMENSION_MISMATCH, `structure.${name}`, `must have length ${sizes[name]}`, undefined, v);
  }
  return { n, m, P, A, sizes };
}

interface Batched {
  /** B × k values widened to float64, row k of problem k (a shared input: one row for all). */
  rows: Float64Array[];
  shared: boolean;
}

/** One input tensor checked (float32, [B, k] or [k]); its batch size, undefined for a shared [k]. */
function checkInput(name: QpLayerInput, t: unknown, k: number): number | undefined {
  const field = `tensors.${name}`;
  if (!(t instanceof tf.Tensor))
    throw layerError(ErrorCode.INVALID_TYPE, field, `must be a tf.Tensor (float32, [B, ${k}] or [${k}])`, describeValue(t));
  if (t.isDisposed) throw layerError(ErrorCode.INVALID_TYPE, field, 'is a disposed tensor', `[${t.shape.join(', ')}]`);
  if (t.dtype !== 'float32')
    throw layerError(ErrorCode.INVALID_TYPE, field, `must be float32 (got ${t.dtype}, shape [${t.shape.join(', ')}])`, t.dtype);
  const shape = t.shape;
  const ok = (shape.length === 2 && shape[1] === k) || (shape.length === 1 && shape[0] === k);
  if (!ok)
    throw layerError(
      ErrorCode.DIMENSION_MISMATCH,
      field,
      `must have shape [B, ${k}] or [${k}] (got [${shape.join(', ')}])`,
      `[${shape.join(', ')}]`,
    );
  return shape.length === 2 ? shape[0] : undefined;
}

function widen(data: Float32Array, batch: number, k: number, shared: boolean): Batched {
  const rows: Float64Array[] = [];
  for (let b = 0; b < (shared ? 1 : batch); b++) rows.push(Float64Array.from(data.subarray(b * k, (b + 1) * k)));
  return { rows, shared };
}

function withValues(M: CscMatrix, values: Float64Array): CscMatrixLike {
  return { nrows: M.nrows, ncols: M.ncols, colPtr: M.colPtr, rowIdx: M.rowIdx, values, triangle: M.triangle };
}

/** solveBatchSync's error about problems[k] renamed to the layer's batch[k] (the rest as it was). */
function atBatch(e: unknown): unknown {
  if (!(e instanceof QpError) || !e.field?.startsWith('problems[')) return e;
  const field = e.field.replace(/^problems\[/, 'batch[');
  return new QpError(e.code, `qpLayer: ${e.message.replace(/^problems\[/, 'batch[')}`, {
    field,
    ...(e.index !== undefined ? { index: e.index } : {}),
    ...('value' in e ? { value: e.value } : {}),
  });
}

/** The gradient of one input from the batch's gradients: [B, k], or summed over the batch for a shared [k] input. */
function gradientTensor(name: QpLayerInput, grads: Gradients[], k: number, shape: number[]): tf.Tensor {
  const key = `d${name}` as keyof Gradients;
  const of = (b: number) => (grads[b]![key] as Float64Array | undefined) ?? new Float64Array(k);
  if (shape.length === 1) {
    const sum = new Float64Array(k);
    grads.forEach((_, b) => of(b).forEach((v, i) => (sum[i]! += v)));
    return tf.tensor1d(Float32Array.from(sum), 'float32');
  }
  const out = new Float32Array(grads.length * k);
  grads.forEach((_, b) => out.set(of(b), b * k));
  return tf.tensor2d(out, [grads.length, k], 'float32');
}

/**
 * A layer that solves a batch of QPs sharing `structure` and replacing the data named in
 * `options.inputs` by tensors. Errors are QpErrors: a tensor of the wrong dtype or shape names
 * `tensors.<input>` and its shape; a forward solve that ends other than 'solved' names the batch
 * index and the status (code ERR_QP_NOT_DIFFERENTIABLE): never a silent NaN gradient.
 * Each forward's backward pass runs once (as tf's tapes do) and frees the solutions' handles.
 */
export function qpLayer(structure: QpLayerStructure, options: QpLayerOptions = {}): QpLayer {
  const { inputs, solver, method } = checkOptions(options);
  const s = checkStructure(structure, inputs);
  const accepted: readonly SolveStatus[] = options.allowInaccurate ? ['solved', 'solvedInaccurate'] : ['solved'];
  const wrt = inputs as readonly GradientName[];
  const stats: QpLayerStats = {
    forwardCalls: 0,
    forwardProblems: 0,
    forwardSeconds: 0,
    backwardCalls: 0,
    backwardProblems: 0,
    backwardSeconds: 0,
  };

  const forward = (tensors: tf.Tensor[], batch: number) => {
    const data = new Map<QpLayerInput, Batched>();
    inputs.forEach((name, i) => {
      const t = tensors[i]!;
      data.set(name, widen(t.dataSync() as Float32Array, batch, s.sizes[name], t.shape.length === 1));
    });
    const pick = (name: QpLayerInput, b: number): Float64Array | undefined => {
      const d = data.get(name);
      return d && d.rows[d.shared ? 0 : b];
    };
    const problems: CanonicalProblem[] = [];
    for (let b = 0; b < batch; b++) {
      const p: CanonicalProblem = { q: pick('q', b) ?? (structure.q as Vector) };
      const Pv = pick('P', b);
      if (s.P) p.P = Pv ? withValues(s.P, Pv) : s.P;
      const Av = pick('A', b);
      if (s.A) p.A = Av ? withValues(s.A, Av) : s.A;
      for (const name of ['l', 'u', 'lb', 'ub'] as const) {
        const v = pick(name, b) ?? structure[name];
        if (v !== undefined) p[name] = v;
      }
      problems.push(p);
    }
    const threads = options.threads === undefined ? {} : { threads: options.threads };
    const t0 = performance.now();
    const solutions = (() => {
      try {
        return solveBatchSync(problems, { ...options.solveOptions, ...threads, solver, differentiable: true });
      } catch (e) {
        throw atBatch(e);
      }
    })();
    stats.forwardSeconds += (performance.now() - t0) / 1000;
    stats.forwardCalls++;
    stats.forwardProblems += batch;
    const bad = solutions.findIndex((sol) => !accepted.includes(sol.status));
    if (bad >= 0) {
      const status = solutions[bad]!.status;
      solutions.forEach((sol) => sol.dispose());
      throw new QpError(
        ErrorCode.NOT_DIFFERENTIABLE,
        `qpLayer: batch[${bad}]: the forward solve ended with status '${status}' (${solver}); the layer has no solution to return or differentiate`,
        {
          field: 'batch',
          index: bad,
          value: status,
        },
      );
    }
    return solutions;
  };

  const layer = (tensors: QpLayerTensors): tf.Tensor2D => {
    if (typeof tensors !== 'object' || tensors === null || tensors instanceof tf.Tensor) {
      throw layerError(
        ErrorCode.INVALID_TYPE,
        'tensors',
        `must be an object of tensors named ${inputs.join(', ')}`,
        describeValue(tensors),
      );
    }
    for (const key of Object.keys(tensors)) {
      if (!inputs.includes(key as QpLayerInput))
        throw layerError(ErrorCode.INVALID_OPTION, `tensors.${key}`, `is not an input of this layer (inputs: ${inputs.join(', ')})`, key);
    }
    let batch: number | undefined;
    let batchFrom = '';
    const ordered = inputs.map((name) => {
      const t = tensors[name];
      if (t === undefined) throw layerError(ErrorCode.INVALID_TYPE, `tensors.${name}`, 'is missing (an input of this layer)', undefined);
      const tBatch = checkInput(name, t, s.sizes[name]);
      if (tBatch !== undefined) {
        if (batch !== undefined && tBatch !== batch) {
          throw layerError(
            ErrorCode.DIMENSION_MISMATCH,
            `tensors.${name}`,
            `has batch size ${tBatch}, but tensors.${batchFrom} has ${batch} (shape [${t.shape.join(', ')}])`,
            `[${t.shape.join(', ')}]`,
          );
        }
        batch = tBatch;
        batchFrom = name;
      }
      return t;
    });
    if (batch === undefined)
      throw layerError(
        ErrorCode.DIMENSION_MISMATCH,
        'tensors',
        'needs at least one input of shape [B, k] (batch first)',
        inputs.join(', '),
      );
    if (batch === 0) throw layerError(ErrorCode.DIMENSION_MISMATCH, `tensors.${batchFrom}`, 'has batch size 0', 0);
    const B = batch;
    const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const ts = args.slice(0, inputs.length) as tf.Tensor[];
      const solutions = forward(ts, B);
      const x = new Float32Array(B * s.n);
      solutions.forEach((sol, b) => x.set(sol.x, b * s.n));
      let done = false;
      const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
        if (done)
          throw new QpError(
            ErrorCode.DISPOSED,
            'qpLayer: this forward pass was already differentiated (its solutions are freed): run the layer again',
            { field: 'batch' },
          );
        done = true;
        const seeds = dy.dataSync() as Float32Array;
        const t0 = performance.now();
        const grads = (() => {
          try {
            return differentiateBatchSync(
              solutions as DisposableSolution[],
              solutions.map((_, b) => ({ dx: Float64Array.from(seeds.subarray(b * s.n, (b + 1) * s.n)) })),
              { ...options.differentiateOptions, ...(options.threads === undefined ? {} : { threads: options.threads }), method, wrt },
            );
          } finally {
            solutions.forEach((sol) => sol.dispose());
          }
        })();
        stats.backwardSeconds += (performance.now() - t0) / 1000;
        stats.backwardCalls++;
        stats.backwardProblems += B;
        return inputs.map((name, i) => gradientTensor(name, grads, s.sizes[name], ts[i]!.shape));
      };
      return { value: tf.tensor2d(x, [B, s.n], 'float32'), gradFunc };
    });
    return run(...ordered) as tf.Tensor2D;
  };
  return Object.assign(layer, { inputs: [...inputs] as readonly QpLayerInput[], sizes: { ...s.sizes }, stats });
}
