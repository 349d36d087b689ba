/**
 * npm run fuzz [-- options]   (the options: `command` below, or --help)
 * npm run fuzz -- --replay <seed>
 *
 * Seeded fuzzing of the public API (the cases and their oracles: scripts/fuzz-cases.ts). Every
 * case runs in a child process, many cases per child: when a child dies (a signal, an abort, an
 * OOM kill) the case it was running is a crash, and a new child takes the next seed; a case that
 * takes longer than --timeout seconds is a hang (its child is killed). Children run under an
 * address-space limit (--memory GiB) so that a runaway allocation fails inside the child instead
 * of pressing on the machine. Prints counts per outcome and per call, and the seeds that failed.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CaseResult, callOf, kindMarker, runCase, scratchVariable, trace } from './fuzz-cases';
import { Command, listFlag, numberFlag, parseCommand, runScript } from '../lib/args';

export interface FuzzOptions {
  first: number;
  cases: number;
  jobs: number;
  /** Seconds before a case counts as a hang. */
  timeout: number;
  /** Address-space limit of a child, GiB (0: none, e.g. under ASan). */
  memory: number;
  /** Children print each case's input to stderr, passed through (--replay). */
  trace?: boolean;
  /** Called after every case (progress). */
  onResult?: (r: CaseResult, done: number) => void;
}

export interface FuzzSummary {
  results: CaseResult[];
  seconds: number;
  byOutcome: Map<string, number>;
  byCall: Map<string, Map<string, number>>;
  failures: CaseResult[];
}

const childScript = path.join(__dirname, 'fuzz.js');
/** A fresh child after this many cases, so one child's heap and solver state do not pile up. */
const casesPerChild = 2000;

/** Reads seeds from the parent, answers each with its CaseResult. */
function childMain(): void {
  trace.child = true;
  trace.on = process.argv.includes('--trace');
  process.on('message', (msg: { seed: number }) => {
    runCase(msg.seed).then(
      (r) => process.send!(r),
      (e) =>
        process.send!({
          seed: msg.seed,
          call: 'solve',
          kind: 'runner',
          outcome: 'untyped',
          failed: true,
          detail: `the case itself threw: ${String((e as Error)?.stack ?? e)}`,
        }),
    );
  });
  process.send!({ ready: true });
}

class Worker {
  private child: ChildProcess | undefined;
  private stderr = '';
  /** The kind the case in flight announced (kindMarker), for a crash or hang. */
  private kind = '?';
  private current: { seed: number; timer: NodeJS.Timeout; resolve: (r: CaseResult) => void } | undefined;
  private served = 0;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly options: FuzzOptions,
    private readonly scratch: string,
  ) {
    mkdirSync(scratch);
  }

  private start(): Promise<void> {
    // ulimit -v caps the child's address space; exec keeps the IPC channel (fd 3).
    const kib = Math.round(this.options.memory * 1024 * 1024);
    const limit = kib > 0 ? `ulimit -v ${kib} && ` : '';
    const child = spawn(
      '/bin/sh',
      ['-c', `${limit}exec "$0" "$1" --child ${this.options.trace ? '--trace' : ''}`, process.execPath, childScript],
      {
        stdio: ['ignore', 'ignore', this.options.trace ? 'inherit' : 'pipe', 'ipc'],
        env: { ...process.env, [scratchVariable]: this.scratch },
      },
    );
    this.child = child;
    this.stderr = '';
    this.served = 0;
    child.stderr?.on('data', (d: Buffer) => {
      const lines = d.toString().split('\n');
      for (const line of lines) if (line.startsWith(kindMarker)) this.kind = line.slice(kindMarker.length);
      const rest = lines.filter((line) => !line.startsWith(kindMarker)).join('\n');
      this.stderr = (this.stderr + rest).slice(-4000);
    });
    this.ready = new Promise((resolve) => {
      // A child that dies before it is ready (the addon does not load) ends the wait too.
      child.on('exit', () => resolve());
      child.on('message', (msg: CaseResult | { ready: true }) => {
        if ('ready' in msg) return resolve();
        const c = this.current;
        if (!c || c.seed !== msg.seed) return;
        clearTimeout(c.timer);
        this.current = undefined;
        c.resolve(msg);
      });
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      const c = this.current;
      if (!c) return;
      clearTimeout(c.timer);
      this.current = undefined;
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      c.resolve({
        seed: c.seed,
        call: callOf(c.seed),
        kind: this.kind,
        outcome: 'crash',
        failed: true,
        detail: `${why}; stderr: ${lastLines(this.stderr)}`,
      });
    });
    return this.ready;
  }

  /** Runs one case in the child, restarting the child when needed. */
  async run(seed: number): Promise<CaseResult> {
    if (!this.child || this.served >= casesPerChild) {
      this.stop();
      await this.start();
      if (!this.child) {
        return {
          seed,
          call: callOf(seed),
          kind: 'runner',
          outcome: 'crash',
          failed: true,
          detail: `the child died before it was ready; stderr: ${lastLines(this.stderr)}`,
        };
      }
    }
    this.served++;
    this.kind = '?';
    this.stderr = '';
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.current = undefined;
        const child = this.child;
        this.child = undefined;
        child?.kill('SIGKILL');
        resolve({
          seed,
          call: callOf(seed),
          kind: this.kind,
          outcome: 'hang',
          failed: true,
          detail: `no answer in ${this.options.timeout} s; stderr: ${lastLines(this.stderr)}`,
        });
      }, this.options.timeout * 1000);
      this.current = { seed, timer, resolve };
      this.child!.send({ seed });
    });
  }

  stop(): void {
    const child = this.child;
    this.child = undefined;
    if (child) child.kill('SIGKILL');
  }
}

/** The end of a child's stderr; for a sanitizer report, its first line, summary and first frames instead. */
function lastLines(text: string): string {
  const lines = text.trim().split('\n');
  const report = lines.findIndex((l) => /ERROR: \w+Sanitizer|runtime error:/.test(l));
  if (report >= 0) {
    const frames = lines
      .slice(report + 1)
      .filter((l) => /^\s+#\d+ /.test(l))
      .slice(0, 5)
      .map((l) => l.trim().replace(/^#\d+ 0x[0-9a-f]+ in /, ''));
    const summary = lines.find((l) => l.startsWith('SUMMARY:')) ?? '';
    return [lines[report]!.replace(/^==\d+==/, ''), summary, ...frames].join(' | ').slice(0, 1200);
  }
  return lines.slice(-3).join(' | ').slice(-600);
}

/** Runs seeds first … first + cases − 1 on `jobs` children. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const started = performance.now();
  const results: CaseResult[] = [];
  let next = options.first;
  const end = options.first + options.cases;
  // One folder for the readQps files of every child, removed at the end (a crashed child cannot clean up).
  const scratch = mkdtempSync(path.join(tmpdir(), 'diffqp-fuzz-'));
  const workers = Array.from({ length: Math.max(1, options.jobs) }, (_, k) => new Worker(options, path.join(scratch, String(k))));
  await Promise.all(
    workers.map(async (w) => {
      while (next < end) {
        const seed = next++;
        const r = await w.run(seed);
        results.push(r);
        options.onResult?.(r, results.length);
      }
      w.stop();
    }),
  );
  rmSync(scratch, { recursive: true, force: true });
  results.sort((a, b) => a.seed - b.seed);
  const byOutcome = new Map<string, number>();
  const byCall = new Map<string, Map<string, number>>();
  for (const r of results) {
    byOutcome.set(r.outcome, (byOutcome.get(r.outcome) ?? 0) + 1);
    const perCall = byCall.get(r.call) ?? new Map<string, number>();
    const key = r.failed ? r.outcome : 'ok';
    perCall.set(key, (perCall.get(key) ?? 0) + 1);
    byCall.set(r.call, perCall);
  }
  return { results, seconds: (performance.now() - started) / 1000, byOutcome, byCall, failures: results.filter((r) => r.failed) };
}

export function formatSummary(s: FuzzSummary, maxListed = 40): string {
  const out: string[] = [];
  const n = s.results.length;
  out.push(
    `${n} cases in ${s.seconds.toFixed(1)} s (${((s.seconds / Math.max(1, n)) * 1000).toFixed(1)} ms per case), ${s.failures.length} failed`,
  );
  out.push('outcomes:');
  for (const [k, v] of [...s.byOutcome].sort((a, b) => b[1] - a[1])) out.push(`  ${k.padEnd(36)} ${v}`);
  out.push('per call:');
  for (const [call, m] of [...s.byCall].sort())
    out.push(
      `  ${call.padEnd(14)} ${[...m]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (s.failures.length) {
    out.push(`failing seeds (replay: npm run fuzz -- --replay <seed>)${s.failures.length > maxListed ? `, first ${maxListed}` : ''}:`);
    for (const f of s.failures.slice(0, maxListed)) out.push(`  ${f.seed} ${f.outcome} ${f.call} ${f.kind}: ${f.detail}`);
  }
  return out.join('\n');
}

export const command = {
  name: 'fuzz',
  run: 'npm run fuzz --',
  synopsis: '[options]',
  about:
    'Seeded fuzzing of the public API, each case in a child process; prints counts per outcome and\nper call, and the seeds that failed. Exit status 1 when a case failed, 2 when the run could not.',
  flags: {
    cases: { type: 'string', arg: 'N', default: '100000', help: 'number of cases' },
    seed: { type: 'string', arg: 'S', default: '1', help: 'seed of the first case (the others follow)' },
    jobs: { type: 'string', arg: 'N', default: '2', help: 'child processes at once' },
    timeout: { type: 'string', arg: 'SECONDS', default: '10', help: 'a case running longer is a hang' },
    memory: { type: 'string', arg: 'GiB', default: '6', help: "a child's address-space limit (0: none, e.g. under ASan)" },
    replay: { type: 'string', arg: 'SEED', help: 'run this one case, printing its input' },
    json: { type: 'string', arg: 'FILE', help: 'write every result to FILE' },
    'fail-on': { type: 'string', arg: 'OUTCOME,OUTCOME', help: 'only these outcomes set the exit status (e.g. crash)' },
  },
} satisfies Command;

function parse(argv: string[]): { options: FuzzOptions; replay?: number; json?: string; failOn?: Set<string> } {
  const { values: v } = parseCommand(command, argv);
  const count = (flag: 'cases' | 'seed' | 'jobs' | 'timeout' | 'memory', text: string) => numberFlag(flag, text, { min: 0 });
  const options: FuzzOptions = {
    first: count('seed', v.seed),
    cases: count('cases', v.cases),
    jobs: count('jobs', v.jobs),
    timeout: count('timeout', v.timeout),
    memory: count('memory', v.memory),
  };
  return {
    options,
    ...(v.replay !== undefined ? { replay: numberFlag('replay', v.replay, { min: 0 }) } : {}),
    ...(v.json !== undefined ? { json: v.json } : {}),
    ...(v['fail-on'] !== undefined ? { failOn: new Set(listFlag(v['fail-on'])) } : {}),
  };
}

async function main(): Promise<void> {
  const { options, replay, json, failOn } = parse(process.argv.slice(2));
  if (replay !== undefined) {
    // The same child machinery, so a crash or hang shows as one; then the case in this process for its details.
    const s = await runFuzz({ ...options, first: replay, cases: 1, jobs: 1, trace: true });
    console.log(formatSummary(s));
    process.exitCode = s.failures.length ? 1 : 0;
    return;
  }
  let last = performance.now();
  const s = await runFuzz({
    ...options,
    onResult: (r, done) => {
      if (r.failed) console.log(`FAIL ${r.seed} ${r.outcome} ${r.call} ${r.kind}: ${r.detail}`);
      if (performance.now() - last > 30000) {
        last = performance.now();
        console.log(`… ${done} of ${options.cases}`);
      }
    },
  });
  console.log(formatSummary(s));
  if (json) writeFileSync(json, JSON.stringify({ seconds: s.seconds, results: s.results }, null, 1));
  // --fail-on crash: only those outcomes set the exit code (the ASan job, whose other failures test/04 reports).
  process.exitCode = s.failures.some((f) => !failOn || failOn.has(f.outcome)) ? 1 : 0;
}

if (require.main === module) {
  if (process.argv.includes('--child')) childMain();
  else runScript(command, main, 2);
}
