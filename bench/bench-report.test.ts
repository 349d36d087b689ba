import { strict as assert } from 'node:assert';
import {
  allFinite,
  backwardShare,
  countOccurrences,
  forwardBackwardCharge,
  isForwardBackwardSuccess,
  isSuccess,
  median,
  performanceProfile,
  profileSvg,
  shiftedGeometricMean,
  failureCause,
  parsePeers,
} from './bench-report';

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
    assert.deepEqual(prof.a, [
      [1, 1 / 3],
      [2, 2 / 3],
    ]);
    // b: ratios 2, 1, 1 → sorted 1, 1, 2
    assert.deepEqual(prof.b, [
      [1, 1 / 3],
      [1, 2 / 3],
      [2, 1],
    ]);
    const svg = profileSvg('t', prof);
    assert.match(svg, /^<svg/);
    assert.match(svg, /b \(100%\)/);
    assert.match(svg, /a \(67%\)/);
  });

  it('median of repetitions: the middle value, or the mean of the two middle ones', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
    assert.ok(Number.isNaN(median([])));
    const times = [3, 1, 2];
    median(times);
    assert.deepEqual(times, [3, 1, 2], 'the input is not reordered');
  });

  it('backward share: Σ backward / Σ (forward + backward)', () => {
    assert.equal(backwardShare([3, 1], [1, 1]), 2 / 6);
    assert.equal(backwardShare([1], [0]), 0);
    assert.equal(backwardShare([0.5, 0.5, 2], [1, 0.5, 0.5]), 2 / 5);
    assert.ok(Number.isNaN(backwardShare([], [])));
    assert.throws(() => backwardShare([1, 2], [1]));
  });

  it('forward + backward success needs both, and a failure is charged the time limit', () => {
    const forwardOkAtMid = { success: { low: true, mid: true, high: false }, seconds: 2, backwardSeconds: 0.5 };
    assert.equal(isForwardBackwardSuccess({ ...forwardOkAtMid, backwardOk: true }, 'mid'), true);
    assert.equal(isForwardBackwardSuccess({ ...forwardOkAtMid, backwardOk: true }, 'high'), false);
    assert.equal(isForwardBackwardSuccess({ ...forwardOkAtMid, backwardOk: false }, 'low'), false);
    assert.equal(isForwardBackwardSuccess({ ...forwardOkAtMid, backwardOk: null }, 'low'), false);
    assert.equal(isForwardBackwardSuccess(forwardOkAtMid, 'low'), false, 'a row without backward data is no F+B success');
    assert.equal(forwardBackwardCharge({ ...forwardOkAtMid, backwardOk: true }, 'mid', 30), 2.5);
    assert.equal(forwardBackwardCharge({ ...forwardOkAtMid, backwardOk: true }, 'high', 30), 30);
    assert.equal(forwardBackwardCharge({ ...forwardOkAtMid, backwardOk: false }, 'mid', 30), 30);
    // Two problems: 2.5 s (ok) and one failure at a 30 s limit → exp(mean(log 12.5, log 40)) − 10.
    const rows = [
      { ...forwardOkAtMid, backwardOk: true },
      { ...forwardOkAtMid, backwardOk: false },
    ];
    const sgm = shiftedGeometricMean(rows.map((r) => forwardBackwardCharge(r, 'mid', 30)));
    assert.ok(Math.abs(sgm - (Math.sqrt(12.5 * 40) - 10)) < 1e-12);
  });

  it('gradients are ok only when every array is finite; missing arrays are skipped', () => {
    assert.equal(allFinite([new Float64Array([1, -2]), undefined, new Float64Array(0)]), true);
    assert.equal(allFinite([new Float64Array([1]), new Float64Array([0, NaN])]), false);
    assert.equal(allFinite([new Float64Array([Infinity])]), false);
    assert.equal(allFinite([]), true);
  });

  it("counts which solver answered for 'auto', most frequent first", () => {
    assert.deepEqual(countOccurrences(['ipopt', 'highs', 'ipopt', 'admm', 'highs', 'ipopt']), [
      ['ipopt', 3],
      ['highs', 2],
      ['admm', 1],
    ]);
    assert.deepEqual(countOccurrences(['clp', 'admm']), [
      ['admm', 1],
      ['clp', 1],
    ]);
    assert.deepEqual(countOccurrences([]), []);
  });

  it('reads a peers file by its header, whatever the column order', () => {
    const rows = parsePeers('solver,problem,tol,status,solved,seconds\npiqp,HS21,mid,solved,1,0.25\nosqp,HS21,mid,max_iter_reached,0,60\n');
    assert.deepEqual(rows, [
      { problem: 'HS21', solver: 'piqp', tol: 'mid', status: 'solved', solved: true, seconds: 0.25 },
      { problem: 'HS21', solver: 'osqp', tol: 'mid', status: 'max_iter_reached', solved: false, seconds: 60 },
    ]);
    assert.throws(() => parsePeers('problem,solver\n'), /no column 'tol'/);
  });

  it('names the cause of a failure', () => {
    const base = { status: 'solved', objective: 1, primalResidual: 1e-8, dualResidual: 1e-8, dualityGap: 1e-8, seconds: 1 };
    assert.equal(failureCause(base, 1e-6, 60), '');
    assert.equal(failureCause({ ...base, status: 'maxIterations', dualityGap: 1e-3 }, 1e-6, 60), 'iteration limit');
    assert.equal(failureCause({ ...base, status: 'timeLimit' }, 1e-6, 60), 'time limit');
    assert.equal(failureCause({ ...base, status: 'maxIterations', seconds: 60 }, 1e-6, 60), 'time limit');
    // an answer that meets the tolerance after the limit is a timeout
    assert.equal(failureCause({ ...base, seconds: 84 }, 1e-6, 60), 'time limit (answered after 84.0 s)');
    // |objective| 1e11: 2.5e-16·1e11 = 2.5e-5 > 1e-6, so the gap test is below round-off
    assert.match(
      failureCause({ ...base, objective: 1e11, dualityGap: 3e-5 }, 1e-6, 60),
      /^precision limit of the absolute gap \(\|objective\| 1\.0e\+11\)$/,
    );
    // the same gap at |objective| 1e3 is a plain residual failure
    assert.equal(failureCause({ ...base, objective: 1e3, dualityGap: 3e-5 }, 1e-6, 60), 'residuals above tol (r_g 3.0e-5)');
    assert.equal(failureCause({ ...base, status: 'solverFailed', dualityGap: null }, 1e-6, 60), 'numerical failure');
    assert.equal(failureCause({ ...base, status: 'primalInfeasible' }, 1e-6, 60), 'declared primalInfeasible');
  });
});
