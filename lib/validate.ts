/**
 * Input validation before any native call. Each check throws a QpError naming the field,
 * the index and the value; the native layer checks the same things again.
 */
import { CscMatrix } from './sparse';
import { ErrorCode, problemError, QpError } from './errors';

export function requireFloat64Array(field: string, value: unknown, length: number): Float64Array {
  if (!(value instanceof Float64Array)) {
    throw problemError(ErrorCode.INVALID_TYPE, field, 'must be a Float64Array', undefined, value);
  }
  if (value.length !== length) {
    throw problemError(ErrorCode.DIMENSION_MISMATCH, field, `must have length ${length}`, undefined, value.length);
  }
  return value;
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
 * Checks a CSC matrix: its type, shape, array types and lengths, column pointers, sorted
 * unique in-range row indices, finite values, and for a symmetric triangle that every
 * entry lies in it.
 */
export function validateCsc(field: string, M: unknown, nrows: number, ncols: number): CscMatrix {
  if (!(M instanceof CscMatrix)) {
    if (typeof M !== 'object' || M === null) throw problemError(ErrorCode.INVALID_TYPE, field, 'must be a CscMatrix', undefined, M);
  }
  const m = M as CscMatrix;
  if (m.nrows !== nrows || m.ncols !== ncols) {
    throw new QpError(ErrorCode.DIMENSION_MISMATCH, `${field}: shape must be ${nrows}×${ncols} (got ${String(m.nrows)}×${String(m.ncols)})`, {
      field: `${field}.shape`,
      value: [m.nrows, m.ncols],
    });
  }
  const triangle = m.triangle ?? 'full';
  if (triangle !== 'full' && triangle !== 'lower' && triangle !== 'upper') {
    throw problemError(ErrorCode.INVALID_TYPE, `${field}.triangle`, "must be 'full', 'lower' or 'upper'", undefined, triangle);
  }
  if (!(m.colPtr instanceof Int32Array)) throw problemError(ErrorCode.INVALID_TYPE, `${field}.colPtr`, 'must be an Int32Array', undefined, m.colPtr);
  if (!(m.rowIdx instanceof Int32Array)) throw problemError(ErrorCode.INVALID_TYPE, `${field}.rowIdx`, 'must be an Int32Array', undefined, m.rowIdx);
  if (!(m.values instanceof Float64Array)) throw problemError(ErrorCode.INVALID_TYPE, `${field}.values`, 'must be a Float64Array', undefined, m.values);
  const { colPtr, rowIdx, values } = m;
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
      if (i < 0 || i >= nrows) throw problemError(ErrorCode.INVALID_MATRIX, `${field}.rowIdx`, `must be in 0..${nrows - 1}`, k, i);
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
  return m;
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
