/**
 * The command line (lib/cli.ts, run as a child process the way `npx diffqp` and `npm run solve`
 * run it) and the one parser it shares with the scripts (lib/args.ts). Every solution the CLI
 * prints is checked against a solve in this process and against residuals recomputed here.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HelpRequested, numberFlag, parseCommand, UsageError } from '../lib/args';
import { readQps } from '../lib/qps';
import { availableSolvers, solve, Solution } from '../lib/solve';
import { assertClose, kktResiduals, fixture } from './helpers';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'lib', 'cli.js');

function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const diffqp = (...args: string[]) => run(cli, args);

/** A line of a Node stack trace. */
const stackLine = /^\s+at /m;

// min ½‖x‖² − 2x1 − 2x2 − x3  s.t.  x1 + x2 ≤ 1,  x2 + x3 = 1,  0 ≤ x ≤ 4 (free format).
// KKT by hand: x = (2/3, 1/3, 2/3), y = (4/3, 1/3), both rows strictly active, no bound active.
const smallQps = `NAME SMALL
ROWS
 N obj
 L c1
 E c2
COLUMNS
 x1 obj -2 c1 1
 x2 obj -2 c1 1
 x2 c2 1
 x3 obj -1 c2 1
RHS
 rhs c1 1 c2 1
BOUNDS
 UP bnd x1 4
 UP bnd x2 4
 UP bnd x3 4
QUADOBJ
 x1 x1 1
 x2 x2 1
 x3 x3 1
ENDATA
`;
const smallX = [2 / 3, 1 / 3, 2 / 3];
const smallY = [4 / 3, 1 / 3];

interface JsonRow {
  file: string;
  problem: string;
  n: number;
  m: number;
  requested: string;
  solver: string;
  status: string;
  objective: number;
  attempts?: Array<{ solver: string; status: string; seconds: number }>;
  x: number[];
  y: number[];
  z: number[];
}

const jsonRows = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonRow);

describe('command line', function () {
  this.timeout(120_000);
  let dir: string;
  let small: string;
  let broken: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffqp-cli-'));
    small = path.join(dir, 'SMALL.QPS');
    fs.writeFileSync(small, smallQps);
    broken = path.join(dir, 'BROKEN.QPS');
    fs.writeFileSync(broken, smallQps.replace(' UP bnd x2 4', ' UP bnd x2 four'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('help, version and bad command lines', () => {
    it('--help prints every command to stdout and exits 0', () => {
      const r = diffqp('--help');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      for (const c of ['diffqp solve', 'diffqp profile', 'diffqp solvers', '--version'])
        assert.ok(r.stdout.includes(c), `${c} missing from:\n${r.stdout}`);
    });

    it('solve --help (what `npm run solve -- --help` runs) lists every option, exit 0', () => {
      const r = diffqp('solve', '--help');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^usage: diffqp solve /);
      for (const flag of ['--solver', '--eps', '--time-limit', '--polish', '--json', '--help']) assert.ok(r.stdout.includes(flag), flag);
      assert.equal(run(cli, ['profile', '-h']).status, 0);
    });

    it('--version prints the version of package.json', () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
      for (const flag of ['--version', '-v']) {
        const r = diffqp(flag);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), pkg.version);
      }
    });

    it('an unknown option, command, solver or value is named on stderr, exit 2, no stack trace, nothing solved', () => {
      const cases: Array<[string[], RegExp]> = [
        [['solve', '--bogus', small], /unknown option '--bogus'/],
        [['solve', small, '--time-limt', '3'], /unknown option '--time-limt'/],
        [['--bogus'], /unknown option '--bogus'/],
        [['frobnicate'], /unknown command 'frobnicate'/],
        [['solve', '--solver', 'gurobi', small], /unknown solver 'gurobi'/],
        [['solve', '--eps', 'tiny', small], /--eps must be a positive number \(got 'tiny'\)/],
        [['solve', '--time-limit', '-1', small], /--time-limit/],
        [['solve', small, '--json=yes'], /--json/],
        [['solve'], /missing argument/],
        [['profile', small, small], /unexpected argument/],
      ];
      for (const [args, message] of cases) {
        const r = diffqp(...args);
        assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}\n${r.stderr}`);
        assert.match(r.stderr, message, args.join(' '));
        assert.match(r.stderr, /--help/, 'points at the help');
        assert.doesNotMatch(r.stderr, stackLine, args.join(' '));
        assert.equal(r.stdout, '', `${args.join(' ')} printed to stdout`);
      }
    });

    it('no arguments: the usage on stderr, exit 2', () => {
      const r = diffqp();
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /usage: diffqp/);
    });

    it('the bin entry is dist/lib/cli.js with a node shebang', () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
        bin: Record<string, string>;
        scripts: Record<string, string>;
      };
      assert.equal(path.resolve(root, pkg.bin.diffqp!), cli);
      assert.equal(fs.readFileSync(cli, 'utf8').split('\n')[0], '#!/usr/bin/env node');
      assert.match(pkg.scripts.solve!, /node dist\/lib\/cli\.js solve$/);
    });
  });

  describe('solve', () => {
    it('--json: x, y, z are the in-process solution, and satisfy the KKT conditions recomputed here', async () => {
      const problem = await readQps(small);
      for (const solver of ['ipm', 'highs']) {
        const r = diffqp('solve', small, '--solver', solver, '--json');
        assert.equal(r.status, 0, r.stderr);
        const [row, ...more] = jsonRows(r.stdout);
        assert.equal(more.length, 0);
        assert.equal(row!.problem, 'SMALL');
        assert.equal(row!.file, small);
        assert.equal(row!.status, 'solved');
        assert.deepEqual([row!.n, row!.m, row!.x.length, row!.y.length, row!.z.length], [3, 2, 3, 2, 3]);
        const here = await solve(problem, { solver });
        assertClose(row!.x, here.x, 1e-12, `${solver} x`);
        assertClose(row!.x, smallX, 1e-6, `${solver} x against the hand solution`);
        assertClose(row!.y, smallY, 1e-6, `${solver} y against the hand solution`);
        const res = kktResiduals(
          { x: Float64Array.from(row!.x), y: Float64Array.from(row!.y), z: Float64Array.from(row!.z) } as Solution,
          problem,
        );
        assert.ok(Math.max(res.rp, res.rd, res.rg) < 1e-6, `${solver}: residuals ${JSON.stringify(res)}`);
      }
    });

    it('--solver auto: the row names the solver that answered and lists the attempts', async () => {
      const r = diffqp('solve', small, '--json');
      assert.equal(r.status, 0, r.stderr);
      const row = jsonRows(r.stdout)[0]!;
      const here = await solve(await readQps(small));
      assert.equal(row.requested, 'auto');
      assert.equal(row.solver, here.solver);
      assert.ok(row.attempts && row.attempts.length >= 1, 'attempts listed');
      assert.equal(row.attempts.at(-1)!.solver, row.solver, 'the last attempt answered');
      assert.deepEqual(
        row.attempts.map((a) => a.solver),
        here.attempts!.map((a) => a.solver),
      );

      const table = diffqp('solve', small);
      assert.equal(table.status, 0, table.stderr);
      const line = table.stdout.split('\n').find((l) => l.startsWith('| SMALL |'))!;
      assert.ok(line.includes(`auto → ${here.solver}`), line);
      assert.ok(line.includes(`${here.solver}: ${here.status}`), line);
    });

    it('a missing and an unparsable file: one line each naming it, the other file still solved, exit 1', async () => {
      const missing = path.join(dir, 'NOPE.QPS');
      const r = diffqp('solve', missing, broken, small, '--solver', 'ipm', '--json');
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 2, r.stderr);
      assert.ok(lines[0]!.includes(missing) && /no such file/.test(lines[0]!), lines[0]);
      assert.ok(lines[1]!.includes(broken) && /four/.test(lines[1]!), lines[1]);
      assert.doesNotMatch(r.stderr, stackLine);
      const rows = jsonRows(r.stdout);
      assert.deepEqual(
        rows.map((row) => row.problem),
        ['SMALL'],
      );
      assertClose(rows[0]!.x, (await solve(await readQps(small), { solver: 'ipm' })).x, 1e-12, 'x');
    });

    it('--solver all: one table row per solver built in', function () {
      const file = fixture('HS21');
      const r = diffqp('solve', file, '--solver', 'all');
      assert.equal(r.status, 0, r.stderr);
      const rows = r.stdout.split('\n').filter((l) => l.startsWith('| HS21 |'));
      assert.deepEqual(
        rows.map((l) => l.split('|')[4]!.trim()),
        availableSolvers().map((s) => s.key),
      );
    });
  });

  it('solvers --json: the solvers this process sees, with what they honour', () => {
    const r = diffqp('solvers', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), availableSolvers());
  });

  describe('the parser the scripts share (lib/args.ts)', () => {
    const command = {
      name: 'demo',
      synopsis: '[options]',
      positionals: { max: 1 },
      flags: {
        backward: { type: 'string', bare: 'kkt', help: 'optional value' },
        fresh: { type: 'boolean', help: 'a switch' },
        reps: { type: 'string', default: '1', help: 'a number' },
      },
    } as const;

    it('an optional value: alone, before another option, or given', () => {
      assert.equal(parseCommand(command, ['--backward']).values.backward, 'kkt');
      assert.equal(parseCommand(command, ['--backward', '--fresh']).values.backward, 'kkt');
      assert.equal(parseCommand(command, ['--backward', '--fresh']).values.fresh, true);
      assert.equal(parseCommand(command, ['--backward', 'full']).values.backward, 'full');
      assert.equal(parseCommand(command, []).values.backward, undefined);
      assert.equal(parseCommand(command, []).values.fresh, false);
      assert.equal(parseCommand(command, []).values.reps, '1');
    });

    it('--help anywhere before --, with every flag in the text', () => {
      assert.throws(
        () => parseCommand(command, ['--fresh', '-h']),
        (e: unknown) =>
          e instanceof HelpRequested && ['--backward [VALUE]', '--fresh', '--reps', '(default: 1)'].every((s) => e.message.includes(s)),
      );
      assert.deepEqual(parseCommand(command, ['--', '--help']).positionals, ['--help']);
    });

    it('usage errors name the option or argument', () => {
      assert.throws(
        () => parseCommand(command, ['--nope']),
        (e: unknown) => e instanceof UsageError && e.message === "unknown option '--nope'",
      );
      assert.throws(
        () => parseCommand(command, ['a', 'b']),
        (e: unknown) => e instanceof UsageError && /'b'/.test(e.message),
      );
      assert.throws(() => parseCommand(command, ['--fresh=1']), UsageError);
      assert.throws(() => numberFlag('reps', '2.5', { min: 1, integer: true }), /--reps must be an integer ≥ 1 \(got '2\.5'\)/);
      assert.throws(() => numberFlag('reps', '', { min: 0 }), /--reps must be a non-negative number/);
      assert.equal(numberFlag('reps', '1e3', { min: 1, integer: true }), 1000);
    });

    it('every script: --help to stdout with exit 0, an unknown option named with exit 2', () => {
      for (const script of [
        'bench',
        'bench-mm',
        'bench-backward',
        'bench-overhead',
        'bench-batch',
        'bench-train',
        'bench-projections',
        'bench-memory',
        'fuzz',
        'mm-manifest',
        'example',
      ]) {
        const file = path.join(root, 'dist', script.startsWith('bench') ? 'bench' : 'scripts', `${script}.js`);
        const help = run(file, ['--help']);
        assert.equal(help.status, 0, `${script} --help: ${help.stderr}`);
        assert.match(help.stdout, /^usage: /, script);
        const bad = run(file, ['--no-such-flag']);
        assert.equal(bad.status, 2, `${script}: status ${bad.status}\n${bad.stderr}`);
        assert.match(bad.stderr, /unknown option '--no-such-flag'/, script);
        assert.doesNotMatch(bad.stderr, stackLine, script);
      }
    });
  });
});
