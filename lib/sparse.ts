/**
 * Compressed sparse column matrices, the one matrix format diffqp passes to native code, and
 * their structural check. A CscMatrix is a view over typed arrays, never a copy of them; a
 * CSC-shaped plain object (what structuredClone leaves of one) is accepted wherever a matrix is.
 */
import { types } from 'node:util';
import { IndexVector, requireDimension, requireFloat64Array, requireInt32Array, Vector } from './arrays';
import { ErrorCode, problemError, QpError, rejectUnknownKeys } from './errors';

/** A row or column count a CSC matrix can hold (32-bit indices), else a typed error naming it. */
const dimension = requireDimension;

/** How a symmetric matrix is stored: both triangles ('full') or one of them. */
export type Triangle = 'full' | 'upper' | 'lower';

/**
 * What every matrix argument accepts: a CscMatrix, or a plain object of its fields (e.g. a
 * CscMatrix after structuredClone or postMessage). Typed arrays are read in place; plain arrays
 * are checked and copied (lib/arrays.ts). `triangle` omitted: 'full'.
 */
export interface CscMatrixLike {
  readonly nrows: number;
  readonly ncols: number;
  readonly colPtr: IndexVector;
  readonly rowIdx: IndexVector;
  readonly values: Vector;
  readonly triangle?: Triangle;
}

export class CscMatrix {
  /**
   * @param nrows number of rows
   * @param ncols number of columns
   * @param colPtr column pointers, length ncols + 1, colPtr[0] = 0, non-decreasing
   * @param rowIdx row indices, length nnz, sorted and unique within each column, 0-based
   * @param values stored values, length nnz
   * @param triangle for a symmetric matrix (P), which triangle is stored; 'full' otherwise
   */
  constructor(
    readonly nrows: number,
    readonly ncols: number,
    readonly colPtr: Int32Array,
    readonly rowIdx: Int32Array,
    readonly values: Float64Array,
    readonly triangle: Triangle = 'full',
  ) {}

  get shape(): [number, number] {
    return [this.nrows, this.ncols];
  }

  get nnz(): number {
    return this.colPtr[this.ncols] ?? 0;
  }

  /**
   * A checked CscMatrix from a CscMatrix or a CSC-shaped plain object: shape, array types and
   * lengths, column pointers, sorted unique in-range row indices, finite values, the triangle.
   * Returns `M` itself when it is a CscMatrix whose arrays need no copy. Errors are QpErrors
   * naming `matrix.<field>` (e.g. `matrix.rowIdx`), the index and the value.
   */
  static from(M: CscMatrixLike): CscMatrix {
    return checkCsc('matrix', M, undefined, undefined);
  }

  /** An all-zero matrix with no stored entries. */
  static zeros(nrows: number, ncols: number, triangle: Triangle = 'full'): CscMatrix {
    dimension('nrows', nrows);
    dimension('ncols', ncols);
    return new CscMatrix(nrows, ncols, new Int32Array(ncols + 1), new Int32Array(0), new Float64Array(0), triangle);
  }

  /** scale · I (n×n), stored as a diagonal (valid for any triangle). */
  static identity(n: number, scale = 1, triangle: Triangle = 'full'): CscMatrix {
    dimension('n', n);
    const colPtr = new Int32Array(n + 1);
    const rowIdx = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      colPtr[j + 1] = j + 1;
      rowIdx[j] = j;
    }
    return new CscMatrix(n, n, colPtr, rowIdx, new Float64Array(n).fill(scale), triangle);
  }

  /**
   * From dense rows (rows[i][j] is entry (i, j)); zeros are not stored. With triangle
   * 'lower' or 'upper' only that triangle of the (square, symmetric) input is kept.
   */
  static fromDense(rows: ArrayLike<ArrayLike<number>>, options: { triangle?: Triangle; ncols?: number } = {}): CscMatrix {
    const triangle = options.triangle ?? 'full';
    const nrows = rows.length;
    const ncols = options.ncols ?? (nrows > 0 ? rows[0]!.length : 0);
    const r: number[] = [];
    const c: number[] = [];
    const v: number[] = [];
    for (let i = 0; i < nrows; i++) {
      const row = rows[i]!;
      for (let j = 0; j < ncols; j++) {
        const x = row[j]!;
        if (x === 0) continue;
        if (triangle === 'lower' && i < j) continue;
        if (triangle === 'upper' && i > j) continue;
        r.push(i);
        c.push(j);
        v.push(x);
      }
    }
    return CscMatrix.fromTriplets(nrows, ncols, r, c, v, { triangle });
  }

  /**
   * From (row, col, value) triplets in any order; duplicates are summed (their sum is
   * stored even when it is zero, so the pattern is predictable).
   */
  static fromTriplets(
    nrows: number,
    ncols: number,
    rows: ArrayLike<number>,
    cols: ArrayLike<number>,
    vals: ArrayLike<number>,
    options: { triangle?: Triangle } = {},
  ): CscMatrix {
    dimension('nrows', nrows);
    dimension('ncols', ncols);
    const count = rows.length;
    if (cols.length !== count || vals.length !== count) {
      throw new QpError(
        ErrorCode.DIMENSION_MISMATCH,
        `fromTriplets: rows, cols and vals differ in length (${count}, ${cols.length}, ${vals.length})`,
        { field: 'cols' },
      );
    }
    for (let k = 0; k < count; k++) {
      const i = rows[k]!;
      const j = cols[k]!;
      if (!Number.isInteger(i) || i < 0 || i >= nrows)
        throw new QpError(ErrorCode.INVALID_MATRIX, `fromTriplets: rows[${k}] = ${i} is outside 0..${nrows - 1}`, {
          field: 'rows',
          index: k,
          value: i,
        });
      if (!Number.isInteger(j) || j < 0 || j >= ncols)
        throw new QpError(ErrorCode.INVALID_MATRIX, `fromTriplets: cols[${k}] = ${j} is outside 0..${ncols - 1}`, {
          field: 'cols',
          index: k,
          value: j,
        });
    }
    const { colPtr, rowIdx, values } = compressTriplets(nrows, ncols, rows, cols, vals, count);
    return new CscMatrix(nrows, ncols, colPtr, rowIdx, values, options.triangle ?? 'full');
  }

  /** Stacks matrices with equal column counts on top of each other. */
  static vstack(blocks: readonly CscMatrix[]): CscMatrix {
    if (blocks.length === 0) throw new QpError(ErrorCode.DIMENSION_MISMATCH, 'vstack: no blocks', { field: 'blocks' });
    const ncols = blocks[0]!.ncols;
    let nrows = 0;
    let nnz = 0;
    for (const [b, block] of blocks.entries()) {
      if (block.ncols !== ncols)
        throw new QpError(ErrorCode.DIMENSION_MISMATCH, `vstack: block ${b} has ${block.ncols} columns, block 0 has ${ncols}`, {
          field: 'blocks',
          index: b,
          value: block.ncols,
        });
      nrows += block.nrows;
      nnz += block.nnz;
    }
    const colPtr = new Int32Array(ncols + 1);
    const rowIdx = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    let p = 0;
    for (let j = 0; j < ncols; j++) {
      let offset = 0;
      for (const block of blocks) {
        for (let k = block.colPtr[j]!; k < block.colPtr[j + 1]!; k++) {
          rowIdx[p] = block.rowIdx[k]! + offset;
          values[p++] = block.values[k]!;
        }
        offset += block.nrows;
      }
      colPtr[j + 1] = p;
    }
    return new CscMatrix(nrows, ncols, colPtr, rowIdx, values);
  }

  /** The transpose (a lower triangle becomes an upper one and vice versa). */
  transpose(): CscMatrix {
    const { nrows, ncols } = this;
    const nnz = this.nnz;
    const colPtr = new Int32Array(nrows + 1);
    for (let k = 0; k < nnz; k++) colPtr[this.rowIdx[k]! + 1]!++;
    for (let i = 0; i < nrows; i++) colPtr[i + 1]! += colPtr[i]!;
    const next = colPtr.slice(0, nrows);
    const rowIdx = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    for (let j = 0; j < ncols; j++) {
      for (let k = this.colPtr[j]!; k < this.colPtr[j + 1]!; k++) {
        const dest = next[this.rowIdx[k]!]!++;
        rowIdx[dest] = j;
        values[dest] = this.values[k]!;
      }
    }
    const triangle: Triangle = this.triangle === 'lower' ? 'upper' : this.triangle === 'upper' ? 'lower' : 'full';
    return new CscMatrix(ncols, nrows, colPtr, rowIdx, values, triangle);
  }

  /**
   * The lower triangle of a symmetric matrix, as stored for the solvers. Returns `this`
   * when it is already lower; takes rows ≥ column of a full matrix; transposes an upper one.
   */
  lowerTriangle(): CscMatrix {
    if (this.triangle === 'lower') return this;
    if (this.triangle === 'upper') return this.transpose();
    const colPtr = new Int32Array(this.ncols + 1);
    const rowIdx: number[] = [];
    const values: number[] = [];
    for (let j = 0; j < this.ncols; j++) {
      for (let k = this.colPtr[j]!; k < this.colPtr[j + 1]!; k++) {
        if (this.rowIdx[k]! >= j) {
          rowIdx.push(this.rowIdx[k]!);
          values.push(this.values[k]!);
        }
      }
      colPtr[j + 1] = rowIdx.length;
    }
    return new CscMatrix(this.nrows, this.ncols, colPtr, Int32Array.from(rowIdx), Float64Array.from(values), 'lower');
  }

  /** y = M x, mirroring the stored triangle of a symmetric matrix. */
  multiply(x: ArrayLike<number>, y: Float64Array = new Float64Array(this.nrows)): Float64Array {
    y.fill(0);
    for (let j = 0; j < this.ncols; j++) {
      const xj = x[j]!;
      for (let k = this.colPtr[j]!; k < this.colPtr[j + 1]!; k++) {
        const i = this.rowIdx[k]!;
        const v = this.values[k]!;
        y[i]! += v * xj;
        if (this.triangle !== 'full' && i !== j) y[j]! += v * x[i]!;
      }
    }
    return y;
  }

  /** y = Mᵀ x (for a non-symmetric matrix). */
  multiplyTransposed(x: ArrayLike<number>, y: Float64Array = new Float64Array(this.ncols)): Float64Array {
    for (let j = 0; j < this.ncols; j++) {
      let s = 0;
      for (let k = this.colPtr[j]!; k < this.colPtr[j + 1]!; k++) s += this.values[k]! * x[this.rowIdx[k]!]!;
      y[j] = s;
    }
    return y;
  }

  /** Dense rows; a symmetric triangle is mirrored into both halves. */
  toDense(): number[][] {
    const rows = Array.from({ length: this.nrows }, () => new Array<number>(this.ncols).fill(0));
    for (let j = 0; j < this.ncols; j++) {
      for (let k = this.colPtr[j]!; k < this.colPtr[j + 1]!; k++) {
        const i = this.rowIdx[k]!;
        rows[i]![j] = this.values[k]!;
        if (this.triangle !== 'full') rows[j]![i] = this.values[k]!;
      }
    }
    return rows;
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
    rejectUnknownKeys(o, cscFields, ErrorCode.INVALID_TYPE, `${field}.`, 'is not a field of a CSC matrix');
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
 * entry lies in it. `nrows` / `ncols` undefined: any count (read from the matrix). Returns the
 * matrix itself when it is a CscMatrix whose arrays need no copy, else a new CscMatrix of the
 * checked arrays (triangle resolved, plain arrays and resizable or shared buffers copied as
 * lib/arrays.ts says).
 */
export function checkCsc(field: string, M: unknown, nrows: number | undefined, ncols: number | undefined): CscMatrix {
  const f = cscFieldsOf(field, M);
  const rows = requireDimension(`${field}.nrows`, f.nrows);
  const cols = requireDimension(`${field}.ncols`, f.ncols);
  if ((nrows !== undefined && rows !== nrows) || (ncols !== undefined && cols !== ncols)) {
    throw new QpError(ErrorCode.DIMENSION_MISMATCH, `${field}: shape must be ${nrows ?? rows}×${ncols ?? cols} (got ${rows}×${cols})`, {
      field: `${field}.shape`,
      value: [rows, cols],
    });
  }
  if (f.triangle !== undefined && !triangles.includes(f.triangle as Triangle)) {
    throw problemError(
      ErrorCode.INVALID_TYPE,
      `${field}.triangle`,
      "must be 'full', 'lower' or 'upper' (omitted: 'full')",
      undefined,
      f.triangle,
    );
  }
  const triangle = (f.triangle ?? 'full') as Triangle;
  const colPtr = requireInt32Array(`${field}.colPtr`, f.colPtr);
  const rowIdx = requireInt32Array(`${field}.rowIdx`, f.rowIdx);
  const values = requireFloat64Array(`${field}.values`, f.values);
  if (colPtr.length !== cols + 1) {
    throw problemError(ErrorCode.INVALID_MATRIX, `${field}.colPtr`, `must have length ncols + 1 = ${cols + 1}`, undefined, colPtr.length);
  }
  if (colPtr[0] !== 0) throw problemError(ErrorCode.INVALID_MATRIX, `${field}.colPtr`, 'must start at 0', 0, colPtr[0]);
  for (let j = 0; j < cols; j++) {
    if (colPtr[j + 1]! < colPtr[j]!) {
      throw problemError(
        ErrorCode.INVALID_MATRIX,
        `${field}.colPtr`,
        `must be non-decreasing (previous ${colPtr[j]})`,
        j + 1,
        colPtr[j + 1],
      );
    }
  }
  const nnz = colPtr[cols]!;
  if (rowIdx.length !== nnz)
    throw problemError(ErrorCode.INVALID_MATRIX, `${field}.rowIdx`, `must have length colPtr[ncols] = ${nnz}`, undefined, rowIdx.length);
  if (values.length !== nnz)
    throw problemError(ErrorCode.INVALID_MATRIX, `${field}.values`, `must have length colPtr[ncols] = ${nnz}`, undefined, values.length);
  for (let j = 0; j < cols; j++) {
    let previous = -1;
    for (let k = colPtr[j]!; k < colPtr[j + 1]!; k++) {
      const i = rowIdx[k]!;
      if (i < 0 || i >= rows) throw problemError(ErrorCode.INVALID_MATRIX, `${field}.rowIdx`, `must be in 0..${rows - 1}`, k, i);
      if (i <= previous) {
        const what = i === previous ? `duplicates row ${i} in column ${j}` : `must be sorted within column ${j} (previous ${previous})`;
        throw problemError(ErrorCode.INVALID_MATRIX, `${field}.rowIdx`, what, k, i);
      }
      if (triangle === 'lower' && i < j)
        throw problemError(ErrorCode.INVALID_MATRIX, `${field}.rowIdx`, `lies above the diagonal in column ${j} of a lower triangle`, k, i);
      if (triangle === 'upper' && i > j)
        throw problemError(
          ErrorCode.INVALID_MATRIX,
          `${field}.rowIdx`,
          `lies below the diagonal in column ${j} of an upper triangle`,
          k,
          i,
        );
      if (!Number.isFinite(values[k])) throw problemError(ErrorCode.NOT_FINITE, `${field}.values`, 'must be finite', k, values[k]);
      previous = i;
    }
  }
  const checked = new CscMatrix(rows, cols, colPtr, rowIdx, values, triangle);
  return isSameMatrix(M, checked) ? (M as CscMatrix) : checked;
}

/**
 * The first `count` triplets (in range, checked by the caller) as CSC arrays: rows sorted in
 * each column and duplicates summed in the order given, by two stable counting sorts (by row,
 * then by column): O(count + nrows + ncols), no comparison sort. Shared by
 * CscMatrix.fromTriplets and the QPS reader.
 */
export function compressTriplets(
  nrows: number,
  ncols: number,
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  vals: ArrayLike<number>,
  count: number,
): { colPtr: Int32Array; rowIdx: Int32Array; values: Float64Array } {
  const rowStart = new Int32Array(nrows + 1);
  for (let k = 0; k < count; k++) rowStart[rows[k]! + 1]!++;
  for (let i = 0; i < nrows; i++) rowStart[i + 1]! += rowStart[i]!;
  const byRow = new Int32Array(count);
  for (let k = 0; k < count; k++) byRow[rowStart[rows[k]!]!++] = k;
  const colStart = new Int32Array(ncols + 1);
  for (let k = 0; k < count; k++) colStart[cols[k]! + 1]!++;
  for (let j = 0; j < ncols; j++) colStart[j + 1]! += colStart[j]!;
  const next = colStart.slice(0, ncols);
  const order = new Int32Array(count);
  for (let t = 0; t < count; t++) {
    const k = byRow[t]!;
    order[next[cols[k]!]!++] = k;
  }
  const colPtr = new Int32Array(ncols + 1);
  let rowIdx = new Int32Array(count);
  let values = new Float64Array(count);
  let p = 0;
  for (let j = 0; j < ncols; j++) {
    const first = p;
    for (let t = colStart[j]!; t < colStart[j + 1]!; t++) {
      const k = order[t]!;
      const i = rows[k]!;
      if (p > first && rowIdx[p - 1] === i) values[p - 1]! += vals[k]!;
      else {
        rowIdx[p] = i;
        values[p++] = vals[k]!;
      }
    }
    colPtr[j + 1] = p;
  }
  if (p < count) {
    rowIdx = rowIdx.slice(0, p);
    values = values.slice(0, p);
  }
  return { colPtr, rowIdx, values };
}
