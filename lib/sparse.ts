/**
 * Compressed sparse column matrices, the one matrix format diffqp passes to native code.
 * Arrays are borrowed, never copied: a CscMatrix is a view over the caller's typed arrays.
 */

import { ErrorCode, problemError, QpError } from './errors';

/** A row or column count a CSC matrix can hold (32-bit indices), else a typed error naming it. */
function dimension(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw problemError(ErrorCode.INVALID_TYPE, what, 'must be a non-negative 32-bit integer', undefined, value);
  }
  return value;
}

/** How a symmetric matrix is stored: both triangles ('full') or one of them. */
export type Triangle = 'full' | 'upper' | 'lower';

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
      throw new QpError(ErrorCode.DIMENSION_MISMATCH, `fromTriplets: rows, cols and vals differ in length (${count}, ${cols.length}, ${vals.length})`, { field: 'cols' });
    }
    const colCount = new Int32Array(ncols + 1);
    for (let k = 0; k < count; k++) {
      const i = rows[k]!;
      const j = cols[k]!;
      if (!Number.isInteger(i) || i < 0 || i >= nrows) throw new QpError(ErrorCode.INVALID_MATRIX, `fromTriplets: rows[${k}] = ${i} is outside 0..${nrows - 1}`, { field: 'rows', index: k, value: i });
      if (!Number.isInteger(j) || j < 0 || j >= ncols) throw new QpError(ErrorCode.INVALID_MATRIX, `fromTriplets: cols[${k}] = ${j} is outside 0..${ncols - 1}`, { field: 'cols', index: k, value: j });
      colCount[j + 1]!++;
    }
    for (let j = 0; j < ncols; j++) colCount[j + 1]! += colCount[j]!;
    // Bucket by column, then sort each column by row and merge duplicates.
    const order = new Int32Array(count);
    const next = colCount.slice(0, ncols);
    for (let k = 0; k < count; k++) order[next[cols[k]!]!++] = k;
    const colPtr = new Int32Array(ncols + 1);
    const rowIdx: number[] = [];
    const values: number[] = [];
    for (let j = 0; j < ncols; j++) {
      const slice = Array.from(order.subarray(colCount[j]!, colCount[j + 1]!)).sort((a, b) => rows[a]! - rows[b]!);
      let last = -1;
      for (const k of slice) {
        const i = rows[k]!;
        if (i === last) values[values.length - 1]! += vals[k]!;
        else {
          rowIdx.push(i);
          values.push(vals[k]!);
          last = i;
        }
      }
      colPtr[j + 1] = rowIdx.length;
    }
    return new CscMatrix(nrows, ncols, colPtr, Int32Array.from(rowIdx), Float64Array.from(values), options.triangle ?? 'full');
  }

  /** Stacks matrices with equal column counts on top of each other. */
  static vstack(blocks: readonly CscMatrix[]): CscMatrix {
    if (blocks.length === 0) throw new QpError(ErrorCode.DIMENSION_MISMATCH, 'vstack: no blocks', { field: 'blocks' });
    const ncols = blocks[0]!.ncols;
    let nrows = 0;
    let nnz = 0;
    for (const [b, block] of blocks.entries()) {
      if (block.ncols !== ncols) throw new QpError(ErrorCode.DIMENSION_MISMATCH, `vstack: block ${b} has ${block.ncols} columns, block 0 has ${ncols}`, { field: 'blocks', index: b, value: block.ncols });
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
