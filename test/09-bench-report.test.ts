import { strict as assert } from 'node:assert';
import { isSuccess, performanceProfile, profileSvg, shiftedGeometricMean } from '../scripts/bench-report';

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

  it('performance profile: ratios to the fastest solver, failures never counted', () => {
    const prof = performanceProfile({ a: [1, 4, Infinity], b: [2, 2, 3] });
    // a: problem 0 best (ratio 1), problem 1 ratio 2, problem 2 failed
    assert.deepEqual(prof.a, [[1, 1 / 3], [2, 2 / 3]]);
    // b: ratios 2, 1, 1 → sorted 1, 1, 2
    assert.deepEqual(prof.b, [[1, 1 / 3], [1, 2 / 3], [2, 1]]);
    const svg = profileSvg('t', prof);
    assert.match(svg, /^<svg/);
    assert.match(svg, /b \(100%\)/);
    assert.match(svg, /a \(67%\)/);
  });
});
