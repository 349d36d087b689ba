#!/usr/bin/env node
/**
 * diffqp command line (the package's bin; `npx diffqp --help`): solve QPS/MPS files and print
 * what happened, profile the solvers on one file, list the solvers built in (and those whose
 * plugin did not load), download the Maros–Meszaros set (fetch-mm, lib/fetch-mm.ts), build the
 * addon from source where no prebuild fits (setup).
 *
 * Exit status: 0 when every file was read and every solve ran (an infeasible or inaccurate
 * outcome is a result, not a failure); 1 when a file could not be read or parsed or a solve
 * threw (each says so in one line on stderr, and the other files are still solved); 2 for a
 * command line that cannot run (an unknown option or command, a bad value).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, listFlag, numberFlag, parseCommand, reportUsage, UsageError } from './args';
import { readQps, QpsProblem } from './qps';
import { availableSolvers, solve, Solution, unavailableSolvers } from './solve';
import { QpError } from './errors';
import { fetchMm, MM_DEFAULT_BASE_URL, MM_DEFAULT_NAME_PATTERN, MM_MIRROR_NAME_PATTERN } from './fetch-mm';
import { MM_DIR_ENV } from './mm-set';
import { QueueWorker, QueueWorkerOptions, startWorker } from './queue/worker';

const fileArg = '<file.QPS[.gz]|file.MPS[.gz]>';

const solveCommand = {
  name: 'diffqp solve',
  synopsis: `${fileArg}... [options]`,
  about:
    'Solves each file with each solver and prints one row per (file, solver): a Markdown table, or\n' +
    'with --json one JSON object per line with the solution (x, y, z). With --solver auto (the\n' +
    'default) each row says which solver answered and lists every attempt.',
  positionals: { min: 1, max: Infinity },
  flags: {
    solver: {
      type: 'string',
      arg: 'KEY[,KEY]',
      default: 'auto',
      help: "auto, a solver key (see 'diffqp solvers'), a comma-separated list, or all",
    },
    eps: { type: 'string', arg: 'TOL', help: "absolute and relative tolerance (the solvers' own defaults otherwise)" },
    'time-limit': { type: 'string', arg: 'SECONDS', help: 'time limit per solve' },
    polish: {
      type: 'boolean',
      help: 'polish every answer (Newton steps on the reduced KKT system, kept when the residuals improve); auto polishes without it',
    },
    json: { type: 'boolean', help: 'one JSON object per line, with x, y, z (non-finite numbers as null)' },
  },
} satisfies Command;

const profileCommand = {
  name: 'diffqp profile',
  synopsis: `${fileArg} [options]`,
  about: 'Runs every solver, with and without polish, on one problem and recommends the fastest whose\nanswer meets the tolerance.',
  positionals: { min: 1, max: 1 },
  flags: {
    eps: { type: 'string', arg: 'TOL', default: '1e-6', help: 'success: r_p, r_d, r_g ≤ TOL' },
    'time-limit': { type: 'string', arg: 'SECONDS', default: '60', help: 'time limit per solve' },
  },
} satisfies Command;

const solversCommand = {
  name: 'diffqp solvers',
  synopsis: '[options]',
  about:
    'Lists the solvers built into this binary, their versions, licences and what they honour, then\n' +
    'any solver whose plugin did not load, with the reason (--json: the available ones only).',
  flags: { json: { type: 'boolean', help: 'as JSON' } },
} satisfies Command;

const setupCommand = {
  name: 'diffqp setup',
  synopsis: '[--help]',
  about:
    'Makes the native addon of this installed package: the Debian packages it links against (as root;\n' +
    'otherwise it prints the apt-get line to run as root), HiGHS built once into ~/.cache/diffqp, then\n' +
    'the addon from source (cmake-js). Needed only where no prebuilt binary matches (scripts/setup.sh).',
  flags: {},
} satisfies Command;

const fetchMmCommand = {
  name: 'diffqp fetch-mm',
  synopsis: '--dir DIR [options]',
  about:
    'Downloads the Maros–Meszaros set (117 problems) into DIR as NAME.QPS.gz files plus index.csv,\n' +
    "checks each against the checksums in diffqp's manifest, and skips files already there and right.\n" +
    `Point ${MM_DIR_ENV} at DIR to run the whole-set tests and benchmarks (docs/MAROS_MESZAROS.md).`,
  flags: {
    dir: { type: 'string', arg: 'DIR', help: 'the folder to fill (made if missing; required)' },
    'base-url': { type: 'string', arg: 'URL', default: MM_DEFAULT_BASE_URL, help: 'where the files are' },
    'name-pattern': {
      type: 'string',
      arg: 'PATTERN',
      help: `file name under URL, {name} the problem (default: ${MM_DEFAULT_NAME_PATTERN} for the default URL, else ${MM_MIRROR_NAME_PATTERN})`,
    },
    only: { type: 'string', arg: 'NAME,NAME', help: 'only these problems' },
  },
} satisfies Command;

const workerCommand = {
  name: 'diffqp worker',
  synopsis: '--redis URL --queue NAME [options]',
  about:
    'Runs diffqp jobs (solve, differentiate, project) from a BullMQ queue and stores their results\n' +
    'back through it, until SIGTERM or SIGINT: then it takes no new job, finishes the current ones and\n' +
    'exits with status 0. Needs the optional packages bullmq and ioredis (docs/QUEUE.md).',
  flags: {
    redis: { type: 'string', arg: 'URL', help: 'redis://HOST:PORT[/DB] (required)' },
    queue: { type: 'string', arg: 'NAME', help: "the queue's name (required)" },
    concurrency: { type: 'string', arg: 'K', default: '1', help: 'jobs run at once' },
    prefix: { type: 'string', arg: 'PREFIX', help: "BullMQ's key prefix (default bull)" },
    'lock-duration': {
      type: 'string',
      arg: 'MS',
      help: "a job's lock: how long a dead worker's job waits before another takes it (default 30000)",
    },
    'stalled-interval': { type: 'string', arg: 'MS', help: 'milliseconds between stalled-job checks (default 30000)' },
    name: { type: 'string', arg: 'NAME', help: 'the name stored on the jobs it takes (default host:pid)' },
  },
} satisfies Command;

const commands: Record<string, { command: Command; run: (argv: string[]) => Promise<number> }> = {
  solve: { command: solveCommand, run: solveFiles },
  profile: { command: profileCommand, run: profile },
  solvers: { command: solversCommand, run: listSolvers },
  'fetch-mm': { command: fetchMmCommand, run: fetchMaros },
  setup: { command: setupCommand, run: setup },
  worker: { command: workerCommand, run: runWorker },
};

const topCommand = {
  name: 'diffqp',
  synopsis: '<command> [options]',
  about: [
    'commands:',
    ...Object.values(commands).map(({ command: c }) => `  ${c.name} ${c.synopsis}`),
    '',
    "'diffqp <command> --help' lists a command's options.",
  ].join('\n'),
  flags: { version: { type: 'boolean', short: 'v', help: 'print the version and exit' } },
} satisfies Command;

function version(): string {
  // dist/lib/cli.js → the package root, in the repository and in node_modules/diffqp alike.
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** An error as one line on stderr: its message and code, never a stack. */
function sayError(e: unknown, context = ''): void {
  const text = (e instanceof QpError ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ');
  const line = context && !text.includes(context) ? `${context}: ${text}` : text;
  console.error(line.startsWith('diffqp: ') ? line : `diffqp: ${line}`);
}

function solverKeys(text: string): string[] {
  const built = availableSolvers().map((s) => s.key);
  const keys = listFlag(text);
  if (keys.length === 0) throw new UsageError('--solver needs at least one solver key');
  if (keys.includes('all')) return built;
  for (const k of keys)
    if (k !== 'auto' && !built.includes(k))
      throw new UsageError(`--solver: unknown solver '${k}' (built in: auto, ${built.join(', ')}, all)`);
  return keys;
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));

/** JSON has no Infinity or NaN: they become null (hasDuals and status say why). */
function finiteOrNull(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

function jsonRow(file: string, problem: QpsProblem, requested: string, sol: Solution): string {
  const { x, y, z, yIneq, yEq, certificate, ...rest } = sol;
  void yIneq; // views of y, for the standard form only
  void yEq;
  const row = {
    file,
    problem: problem.name,
    n: problem.q.length,
    m: problem.A.nrows,
    requested,
    ...rest,
    x: Array.from(x),
    y: Array.from(y),
    z: Array.from(z),
    ...(certificate ? { certificate: Array.from(certificate) } : {}),
  };
  return JSON.stringify(row, finiteOrNull);
}

const attemptsText = (sol: Solution) => sol.attempts?.map((a) => `${a.solver}: ${a.status} ${a.seconds.toFixed(3)} s`).join('; ') ?? '';

function tableRow(problem: QpsProblem, requested: string, sol: Solution): string {
  const seconds = sol.setupTime + sol.solveTime;
  const solver = requested === sol.solver ? sol.solver : `${requested} → ${sol.solver}`;
  return `| ${problem.name} | ${problem.q.length} | ${problem.A.nrows} | ${solver} | ${sol.status} | ${sol.objective.toPrecision(10)} | ${fmt(sol.primalResidual)} | ${fmt(sol.dualResidual)} | ${fmt(sol.dualityGap)} | ${sol.iterations} | ${seconds.toFixed(3)} | ${attemptsText(sol)} |`;
}

async function solveFiles(argv: string[]): Promise<number> {
  const { values: v, positionals: files } = parseCommand(solveCommand, argv);
  const eps = v.eps === undefined ? undefined : numberFlag('eps', v.eps, { above: 0 });
  const timeLimit = v['time-limit'] === undefined ? undefined : numberFlag('time-limit', v['time-limit'], { above: 0 });
  const solvers = solverKeys(v.solver);
  if (!v.json) {
    console.log('| problem | n | m | solver | status | objective | r_p | r_d | r_g | iterations | seconds | attempts |');
    console.log('|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|');
  }
  let failures = 0;
  for (const file of files) {
    let problem: QpsProblem;
    try {
      problem = await readQps(file);
    } catch (e) {
      failures++;
      sayError(e, file);
      continue;
    }
    for (const solver of solvers) {
      try {
        const sol = await solve(problem, {
          solver,
          ...(v.polish ? { polish: true } : {}),
          ...(eps !== undefined ? { epsAbs: eps, epsRel: eps } : {}),
          ...(timeLimit !== undefined ? { timeLimit } : {}),
        });
        console.log(v.json ? jsonRow(file, problem, solver, sol) : tableRow(problem, solver, sol));
      } catch (e) {
        failures++;
        sayError(e, `${file} (${solver})`);
      }
    }
  }
  return failures > 0 ? 1 : 0;
}

/**
 * Runs every solver, with and without polish, on one problem (as the dQP paper's solver
 * profiler) and recommends the fastest one whose answer meets the tolerance.
 */
async function profile(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommand(profileCommand, argv);
  const eps = numberFlag('eps', v.eps, { above: 0 });
  const timeLimit = numberFlag('time-limit', v['time-limit'], { above: 0 });
  const file = positionals[0]!;
  let problem: QpsProblem;
  try {
    problem = await readQps(file);
  } catch (e) {
    sayError(e, file);
    return 1;
  }
  console.log(
    `# ${problem.name}: n ${problem.q.length}, m ${problem.A.nrows}, nnz(P) ${problem.P.nnz}, nnz(A) ${problem.A.nnz}; success at ${eps}\n`,
  );
  console.log('| solver | polish | status | r_p | r_d | r_g | seconds | meets tol |\n|---|---|---|---:|---:|---:|---:|---|');
  let best: { solver: string; polish: boolean; seconds: number } | undefined;
  for (const { key } of availableSolvers()) {
    for (const polish of [false, true]) {
      const started = process.hrtime.bigint();
      let line: string;
      try {
        const sol = await solve(problem, { solver: key, epsAbs: eps, epsRel: 0, timeLimit, polish });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const ok =
          (sol.status === 'solved' || sol.status === 'solvedInaccurate') &&
          Math.max(sol.primalResidual, sol.dualResidual, sol.dualityGap) <= eps;
        if (ok && (!best || seconds < best.seconds)) best = { solver: key, polish, seconds };
        line = `| ${key} | ${polish} | ${sol.status} | ${fmt(sol.primalResidual)} | ${fmt(sol.dualResidual)} | ${fmt(sol.dualityGap)} | ${seconds.toFixed(3)} | ${ok ? 'yes' : 'no'} |`;
      } catch (e) {
        line = `| ${key} | ${polish} | error: ${e instanceof QpError ? e.code : String(e)} | | | | | no |`;
      }
      console.log(line);
    }
  }
  console.log(
    best
      ? `\nrecommended: { solver: '${best.solver}', polish: ${best.polish} } (${best.seconds.toFixed(3)} s)`
      : '\nno solver met the tolerance; try a looser --eps or a longer --time-limit',
  );
  return 0;
}

async function listSolvers(argv: string[]): Promise<number> {
  const { values: v } = parseCommand(solversCommand, argv);
  const solvers = availableSolvers();
  if (v.json) console.log(JSON.stringify(solvers, null, 1));
  else {
    // console.table shows nested objects as [Object]: the per-class promises as lp/qp.
    const perClass = (h: { lp: boolean; qp: boolean }) => `${h.lp}/${h.qp}`;
    console.table(
      solvers.map(({ honours, ...s }) => ({
        ...s,
        'timeLimit lp/qp': perClass(honours.timeLimit),
        'cancellation lp/qp': perClass(honours.cancellation),
      })),
    );
    for (const { key, reason } of unavailableSolvers()) console.log(`${key}: unavailable (its plugin did not load: ${reason})`);
  }
  return 0;
}

/** Runs the package's own scripts/setup.sh (it never loads the addon, which may not exist yet). */
async function setup(argv: string[]): Promise<number> {
  parseCommand(setupCommand, argv);
  const script = path.join(__dirname, '..', '..', 'scripts', 'setup.sh');
  const r = spawnSync('bash', [script], { stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`diffqp setup: bash could not run ${script} (${r.error.message})\n`);
    return 1;
  }
  return r.status ?? 1;
}

/** One line per file on stdout; a failure is one line on stderr and exit status 1 (the other files are still fetched). */
async function fetchMaros(argv: string[]): Promise<number> {
  const { values: v } = parseCommand(fetchMmCommand, argv);
  if (v.dir === undefined || v.dir === '') throw new UsageError('--dir is required');
  const only = v.only === undefined ? undefined : listFlag(v.only.toUpperCase());
  if (only !== undefined && only.length === 0) throw new UsageError('--only needs at least one problem name');
  let failed = 0;
  try {
    const report = await fetchMm({
      dir: v.dir,
      baseUrl: v['base-url'],
      ...(v['name-pattern'] !== undefined ? { namePattern: v['name-pattern'] } : {}),
      ...(only !== undefined ? { only } : {}),
      onFile: (f) => {
        if (f.outcome === 'failed') {
          failed++;
          sayError(f.error);
        } else console.log(`${f.name}: ${f.outcome === 'present' ? 'already there, checksum right' : `downloaded, ${f.bytes} bytes`}`);
      },
    });
    console.log(`${report.files.length} files and index.csv in ${v.dir}`);
    return 0;
  } catch (e) {
    if (!(e instanceof QpError)) throw e;
    // A bad option is a usage error; a failed file has had its line already.
    if (e.code === 'ERR_QP_INVALID_OPTION') throw new UsageError(e.message.replace(/^fetch-mm: /, ''));
    if (failed === 0) sayError(e);
    console.error(`diffqp: fetch-mm: ${failed} file(s) not fetched (see above); rerun to retry them`);
    return 1;
  }
}

/** Runs a queue worker until SIGTERM/SIGINT, then closes it gracefully (current jobs finish). */
async function runWorker(argv: string[]): Promise<number> {
  const { values: v } = parseCommand(workerCommand, argv);
  if (v.redis === undefined || v.redis === '') throw new UsageError('--redis is required');
  if (v.queue === undefined || v.queue === '') throw new UsageError('--queue is required');
  const options: QueueWorkerOptions = {
    redis: v.redis,
    queue: v.queue,
    concurrency: numberFlag('concurrency', v.concurrency, { min: 1, integer: true }),
  };
  if (v.prefix !== undefined) options.prefix = v.prefix;
  if (v.name !== undefined) options.name = v.name;
  if (v['lock-duration'] !== undefined) options.lockDuration = numberFlag('lock-duration', v['lock-duration'], { above: 0, integer: true });
  if (v['stalled-interval'] !== undefined)
    options.stalledInterval = numberFlag('stalled-interval', v['stalled-interval'], { above: 0, integer: true });
  let worker: QueueWorker;
  try {
    worker = await startWorker(options);
  } catch (e) {
    if (e instanceof QpError && e.code === 'ERR_QP_INVALID_OPTION') throw new UsageError(e.message);
    sayError(e);
    return 1;
  }
  // Signals count from here: a worker still waiting for Redis stops as cleanly as a busy one.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.error(`diffqp worker ${worker.name}: ${signal}: finishing the current jobs (a second signal stops at once)`);
      // Closing waits for the current jobs and for Redis: a second signal is the way out when Redis is gone.
      const now = (again: string) => {
        console.error(`diffqp worker ${worker.name}: ${again} again: exiting without finishing`);
        process.exit(1);
      };
      process.once('SIGTERM', () => now('SIGTERM'));
      process.once('SIGINT', () => now('SIGINT'));
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  // ioredis keeps trying an unreachable Redis: say so rather than wait in silence.
  const slow = setTimeout(() => console.error(`diffqp worker ${worker.name}: waiting for Redis at ${v.redis}`), 5000);
  const ready = await Promise.race([worker.waitUntilReady().then(() => true), stopped.then(() => false)]);
  clearTimeout(slow);
  if (!ready) {
    // No job taken, nothing to finish; BullMQ's close would wait for the connection first.
    console.error(`diffqp worker ${worker.name}: never connected to ${v.redis}; exiting`);
    process.exit(0);
  }
  console.error(`diffqp worker ${worker.name}: taking jobs from queue ${v.queue} at ${v.redis} (concurrency ${options.concurrency})`);
  await stopped;
  await worker.close();
  console.error(`diffqp worker ${worker.name}: closed (${worker.completed} completed, ${worker.failed} failed)`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    process.stderr.write(`usage: diffqp ${topCommand.synopsis}\n\n${topCommand.about}\n`);
    return 2;
  }
  if (first.startsWith('-')) {
    const { values } = parseCommand(topCommand, argv);
    if (values.version) console.log(version());
    return 0;
  }
  const entry = commands[first];
  if (!entry) throw new UsageError(`unknown command '${first}' (commands: ${Object.keys(commands).join(', ')})`);
  try {
    return await entry.run(argv.slice(1));
  } catch (e) {
    // Usage errors of a command point at that command's help.
    const code = reportUsage(entry.command, e);
    if (code === undefined) throw e;
    return code;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      const code = reportUsage(topCommand, e);
      // Not a usage error: the addon did not load, or a bug (then the stack helps).
      if (code === undefined) {
        if (e instanceof QpError) sayError(e);
        else console.error(e);
      }
      process.exitCode = code ?? 1;
    },
  );
}
