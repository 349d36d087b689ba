import { strict as assert } from 'node:assert';
import { isSuccess, shiftedGeometricMean } from '../scripts/bench-report';

describe('benchmark report arithmetic', () => {
  it('shifted geometric mean matches a hand computation', () => {
    // exp((log 11 + log 20 + log 1010) / 3) − 10
    const expected = Math.cbrt(11 * 20 * 1010) - 10;
    assert.ok(Math.abs(shiftedGeometricMean([1, 10, 1000]) - expected) < 1e-12);
    assert.ok(Math.abs(shiftedGeometricMean([5, 5, 5]) - 5) < 1e-12);
    assert.ok(Number.isNaN(shiftedGeometricMean([])));
  });

  it('success needs a solution and all three residuals within the tolerance', () => {
    const ok = { status: 'solved', primalResidual: 1e-7, dualResidual: 5e-7, dualityGap: 1e-6 };
    assert.equal(isSuccess(ok, 1e-6), true);
    assert.equal(isSuccess(ok, 1e-9), false);
    assert.equal(isSuccess({ ...ok, status: 'solvedInaccurate' }, 1e-6), true);
    assert.equal(isSuccess({ ...ok, status: 'maxIterations' }, 1e-3), false);
    assert.equal(isSuccess({ ...ok, dualityGap: Infinity }, 1e-3), false);
    assert.equal(isSuccess({ ...ok, primalResidual: NaN }, 1e-3), false);
  });
});
