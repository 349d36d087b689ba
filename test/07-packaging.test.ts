/**
 * Solvers that degrade: Ipopt and Clp are plugins (diffqp_ipopt.so, diffqp_clp.so) that the addon
 * loads from its own folder. The folder this process loaded (build/Release, or a prebuild) is
 * copied, one plugin is made unloadable in the copy, and a child process loads the copy
 * (node-gyp-build's DIFFQP_PREBUILD override): that solver is missing with the loader's reason,
 * asking for it is ERR_QP_SOLVER_UNAVAILABLE naming the reason, and every other solver still
 * solves a QP whose optimum is known in closed form. The Clp plugin's worker executable
 * (diffqp_clp_qp, where its QPs run) missing costs Clp's QPs only.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCode, QpError } from '../lib/errors';
import { availableSolvers, solveSync, unavailableSolvers } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';

const root = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addonPath: string = require('node-gyp-build').resolve(root);

/** What the child reports: the solver lists, each solver's x or error, and auto's answer. */
interface Report {
  available: string[];
  unavailable: { key: string; reason: string }[];
  results: Record<string, { x?: number[]; status?: string; rawStatusText?: string; code?: string; message?: string }>;
  auto: { solver: string; x: number[]; attempts: string[] };
}

// min (x1 − 1)² + (x2 − 2.5)²  s.t.  x1 + x2 ≤ 1  →  x = (−0.25, 1.25), y = 2.5 (by hand).
const child = `
const d = require(${JSON.stringify(path.join(root, 'dist', 'lib'))});
const P = d.CscMatrix.fromDense([[2, 0], [0, 2]], { triangle: 'lower' });
const A = d.CscMatrix.fromDense([[1, 1]]);
const problem = { P, q: Float64Array.of(-2, -5), A, l: Float64Array.of(-Infinity), u: Float64Array.of(1) };
const results = {};
for (const key of ['ipm', 'admm', 'highs', 'ipopt', 'clp']) {
  try {
    const s = d.solveSync(problem, { solver: key, epsAbs: 1e-9, epsRel: 1e-9 });
    results[key] = { x: Array.from(s.x), status: s.status, rawStatusText: s.rawStatusText };
  } catch (e) {
    results[key] = { code: e.code, message: e.message };
  }
}
// An LP for Clp (in process, unlike its QPs): min −x1 − 2x2, x1 + x2 ≤ 1, x ≥ 0 → x = (0, 1).
try {
  const lp = { P: d.CscMatrix.zeros(2, 2, 'lower'), q: Float64Array.of(-1, -2), A, l: Float64Array.of(-Infinity), u: Float64Array.of(1), lb: Float64Array.of(0, 0) };
  const s = d.solveSync(lp, { solver: 'clp' });
  results['clp-lp'] = { x: Array.from(s.x), status: s.status };
} catch (e) {
  results['clp-lp'] = { code: e.code, message: e.message };
}
const a = d.solveSync(problem);
process.stdout.write(JSON.stringify({
  available: d.availableSolvers().map((s) => s.key),
  unavailable: d.unavailableSolvers(),
  results,
  auto: { solver: a.solver, x: Array.from(a.x), attempts: a.attempts.map((t) => t.solver) },
}));
`;

/** Copies the loaded addon's folder to a temporary package root, lets `spoil` break it, runs the child there. */
function runWithCopy(spoil: (dir: string) => void): Report {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'diffqp-packaging-'));
  try {
    const dir = path.join(tmp, 'build', 'Release');
    fs.mkdirSync(dir, { recursive: true });
    const from = path.dirname(addonPath);
    for (const f of fs.readdirSync(from)) {
      // The addon, the plugins, bundled libraries, and the Clp plugin's worker executable.
      if (/\.node$|\.so(\.|$)|^diffqp_\w+_qp$/.test(f)) fs.copyFileSync(path.join(from, f), path.join(dir, f));
    }
    spoil(dir);
    const r = spawnSync(process.execPath, ['-e', child], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, DIFFQP_PREBUILD: tmp },
    });
    assert.equal(r.status, 0, `child failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Report;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The others still solve, to the closed-form optimum, and auto never tries the missing one. */
function assertOthersWork(report: Report, missing: string): void {
  for (const key of ['ipm', 'admm', 'highs', 'ipopt', 'clp'].filter((k) => k !== missing)) {
    const r = report.results[key]!;
    assert.ok(r.x, `${key}: ${r.code} ${r.message}`);
    assert.ok(r.status === 'solved' || r.status === 'solvedInaccurate', `${key}: ${r.status}`);
    assert.ok(Math.abs(r.x[0]! + 0.25) < 1e-5 && Math.abs(r.x[1]! - 1.25) < 1e-5, `${key}: x = ${r.x}`);
  }
  assert.ok(!report.auto.attempts.includes(missing), `auto tried ${missing}`);
  assert.ok(Math.abs(report.auto.x[0]! + 0.25) < 1e-6 && Math.abs(report.auto.x[1]! - 1.25) < 1e-6, `auto: x = ${report.auto.x}`);
}

describe('packaging: solvers that degrade', function () {
  this.timeout(120_000);

  before(function () {
    const plugins = fs.readdirSync(path.dirname(addonPath)).filter((f) => /^diffqp_\w+\.so$/.test(f));
    if (!plugins.includes('diffqp_ipopt.so') || !plugins.includes('diffqp_clp.so')) this.skip();
  });

  it('this build loads every plugin: ipopt and clp are available, nothing is unavailable', () => {
    const keys = availableSolvers().map((s) => s.key);
    assert.deepEqual(keys, ['highs', 'ipopt', 'clp', 'admm', 'ipm']);
    assert.deepEqual(unavailableSolvers(), []);
  });

  it('a QpError thrown inside a plugin reaches JavaScript with its code (not as ERR_QP_NATIVE)', () => {
    // clp_solver.cpp, in diffqp_clp.so, throws it; the addon catches it as a diffqp::QpError.
    const P = CscMatrix.fromDense(
      [
        [2, 0],
        [0, 2],
      ],
      { triangle: 'lower' },
    );
    const problem = {
      P,
      q: Float64Array.of(-2, -5),
      A: CscMatrix.fromDense([[1, 1]]),
      l: Float64Array.of(-Infinity),
      u: Float64Array.of(1),
    };
    assert.throws(
      () => solveSync(problem, { solver: 'clp', solverOptions: { no_such_option: 1 } }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION && /not a Clp option/.test(e.message),
    );
  });

  it('Ipopt library missing: ipopt is unavailable with the loader message, the other four solve', () => {
    const report = runWithCopy((dir) => {
      // Removing a bundled libipopt.so.1 would not do: the loader then takes the system's, when
      // there is one. The copied plugin is made to need a file that exists nowhere instead.
      const r = spawnSync(
        'patchelf',
        ['--replace-needed', 'libipopt.so.1', 'libipopt-hidden-by-test.so.1', path.join(dir, 'diffqp_ipopt.so')],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, `patchelf (Debian: apt-get install patchelf): ${r.error?.message ?? r.stderr}`);
    });
    assert.deepEqual(report.available, ['highs', 'clp', 'admm', 'ipm']);
    assert.equal(report.unavailable.length, 1);
    assert.equal(report.unavailable[0]!.key, 'ipopt');
    assert.match(report.unavailable[0]!.reason, /libipopt-hidden-by-test\.so\.1: cannot open shared object file/);
    const ipopt = report.results['ipopt']!;
    assert.equal(ipopt.code, 'ERR_QP_SOLVER_UNAVAILABLE');
    assert.ok(ipopt.message!.includes(report.unavailable[0]!.reason), ipopt.message);
    assertOthersWork(report, 'ipopt');
  });

  it('a Clp plugin that is not a shared object: clp is unavailable, the other four solve', () => {
    const report = runWithCopy((dir) => fs.writeFileSync(path.join(dir, 'diffqp_clp.so'), 'not an ELF file\n'.repeat(100)));
    assert.deepEqual(report.available, ['highs', 'ipopt', 'admm', 'ipm']);
    assert.deepEqual(
      report.unavailable.map((u) => u.key),
      ['clp'],
    );
    assert.match(report.unavailable[0]!.reason, /diffqp_clp\.so: invalid ELF header/);
    assert.equal(report.results['clp']!.code, 'ERR_QP_SOLVER_UNAVAILABLE');
    assertOthersWork(report, 'clp');
  });

  it('a Clp worker that is missing: clp still solves LPs, its QPs are solverFailed naming the file, the others solve', () => {
    const report = runWithCopy((dir) => fs.rmSync(path.join(dir, 'diffqp_clp_qp')));
    assert.deepEqual(report.available, ['highs', 'ipopt', 'clp', 'admm', 'ipm']);
    const clp = report.results['clp']!;
    assert.equal(clp.status, 'solverFailed');
    assert.match(clp.rawStatusText!, /cannot start .*diffqp_clp_qp: No such file or directory/);
    const lp = report.results['clp-lp']!;
    assert.equal(lp.status, 'solved', `${lp.code} ${lp.message}`);
    assert.ok(Math.abs(lp.x![0]!) < 1e-9 && Math.abs(lp.x![1]! - 1) < 1e-9, `clp LP: x = ${lp.x}`);
    assertOthersWork(report, 'clp');
  });
});
