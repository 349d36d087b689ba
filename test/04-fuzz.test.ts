/**
 * The CI-sized fuzz run (issue 10 item 7): seeds 1 … 10,000 of scripts/fuzz-cases.ts through solve,
 * solveSync, differentiate, jvp, parseQps and readQps, each case in a child process. A case
 * fails on a crash, a hang (> 10 s), an error that is not a QpError, ERR_QP_NATIVE, invalid input
 * accepted, "solved" on data built infeasible, unbounded or non-convex, a solution that is not a
 * KKT point or a certificate that does not hold (both recomputed from the data), and non-finite
 * gradients. `npm run fuzz -- --replay <seed>` shows a failing case's input.
 */
import { strict as assert } from 'node:assert';
import { formatSummary, runFuzz } from '../scripts/fuzz';

describe('fuzz (CI slice: seeds 1 … 10,000)', function () {
  this.timeout(30 * 60 * 1000);

  it('the runner counts a crash, a hang and an untyped error, and goes on with the next seed', async () => {
    // Seeds −3, −2, −1 are the runner's own checks (scripts/fuzz-cases.ts: runnerCheck); 0 is a real case.
    const s = await runFuzz({ first: -3, cases: 4, jobs: 1, timeout: 3, memory: 6 });
    assert.deepEqual(s.results.map((r) => [r.seed, r.outcome]).slice(0, 3), [
      [-3, 'untyped'],
      [-2, 'hang'],
      [-1, 'crash'],
    ]);
    assert.match(s.results[2]!.detail, /SIGSEGV/);
    assert.equal(s.results[3]!.seed, 0);
    assert.notEqual(s.results[3]!.outcome, 'crash');
  });

  it('no case crashes, hangs, or gets a wrong or untyped answer', async () => {
    const s = await runFuzz({ first: 1, cases: 10000, jobs: 2, timeout: 10, memory: 6 });
    console.log(formatSummary(s, 2000).replace(/^/gm, '      '));
    assert.equal(s.results.length, 10000);
    assert.equal(s.failures.length, 0, `${s.failures.length} failing cases; seeds: ${s.failures.map((f) => f.seed).join(' ')}`);
  });
});
