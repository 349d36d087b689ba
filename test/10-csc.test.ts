import { strict as assert } from 'node:assert';
import { CscMatrix } from '../lib/sparse';

describe('CscMatrix builders', () => {
  it('fromDense drops zeros and keeps column order', () => {
    const M = CscMatrix.fromDense([
      [1, 0, 2],
      [0, 3, 0],
    ]);
    assert.deepEqual(M.shape, [2, 3]);
    assert.deepEqual([...M.colPtr], [0, 1, 2, 3]);
    assert.deepEqual([...M.rowIdx], [0, 1, 0]);
    assert.deepEqual([...M.values], [1, 3, 2]);
    assert.deepEqual(M.toDense(), [
      [1, 0, 2],
      [0, 3, 0],
    ]);
  });

  it('fromDense with a triangle keeps that triangle and mirrors it back', () => {
    const rows = [
      [4, 1, 0],
      [1, 5, 2],
      [0, 2, 6],
    ];
    const L = CscMatrix.fromDense(rows, { triangle: 'lower' });
    assert.equal(L.triangle, 'lower');
    assert.equal(L.nnz, 5);
    assert.deepEqual(L.toDense(), rows);
    const U = CscMatrix.fromDense(rows, { triangle: 'upper' });
    assert.deepEqual([...U.transpose().values], [...L.values]);
    assert.equal(U.transpose().triangle, 'lower');
  });

  it('fromTriplets sums duplicates and sorts rows', () => {
    const M = CscMatrix.fromTriplets(3, 2, [2, 0, 2, 1], [0, 0, 0, 1], [1, 5, 2.5, -1]);
    assert.deepEqual([...M.colPtr], [0, 2, 3]);
    assert.deepEqual([...M.rowIdx], [0, 2, 1]);
    assert.deepEqual([...M.values], [5, 3.5, -1]);
    assert.throws(() => CscMatrix.fromTriplets(2, 2, [2], [0], [1]), /rows\[0\] = 2/);
    assert.throws(() => CscMatrix.fromTriplets(2, 2, [0, 1], [0], [1]), /differ in length/);
  });

  it('identity, vstack and transpose agree with dense arithmetic', () => {
    const I = CscMatrix.identity(2, 3);
    assert.deepEqual(I.toDense(), [
      [3, 0],
      [0, 3],
    ]);
    const A = CscMatrix.fromDense([[1, 2]]);
    const S = CscMatrix.vstack([A, I]);
    assert.deepEqual(S.toDense(), [
      [1, 2],
      [3, 0],
      [0, 3],
    ]);
    assert.deepEqual(S.transpose().toDense(), [
      [1, 3, 0],
      [2, 0, 3],
    ]);
    assert.throws(() => CscMatrix.vstack([A, CscMatrix.identity(3)]), /block 1 has 3 columns/);
  });

  it('multiply mirrors a stored triangle; multiplyTransposed matches the transpose', () => {
    const rows = [
      [2, -1],
      [-1, 3],
    ];
    const L = CscMatrix.fromDense(rows, { triangle: 'lower' });
    const F = CscMatrix.fromDense(rows);
    const x = Float64Array.from([0.5, -2]);
    assert.deepEqual([...L.multiply(x)], [...F.multiply(x)]);
    assert.deepEqual([...F.multiply(x)], [2 * 0.5 + 2, -0.5 - 6]);
    const A = CscMatrix.fromDense([
      [1, 2, 0],
      [0, -1, 4],
    ]);
    const y = Float64Array.from([3, -1]);
    assert.deepEqual([...A.multiplyTransposed(y)], [...A.transpose().multiply(y)]);
  });

  it('lowerTriangle of a full symmetric matrix keeps rows ≥ column', () => {
    const F = CscMatrix.fromDense([
      [1, 2],
      [2, 5],
    ]);
    const L = F.lowerTriangle();
    assert.equal(L.triangle, 'lower');
    assert.deepEqual([...L.rowIdx], [0, 1, 1]);
    assert.deepEqual([...L.values], [1, 2, 5]);
    assert.equal(L.lowerTriangle(), L);
  });
});
