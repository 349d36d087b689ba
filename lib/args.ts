/**
 * The one command-line parser of the diffqp CLI and of the scripts, on node:util parseArgs:
 * every flag is declared once with its help line, so `--help` and the errors come from the same
 * table. A bad command line is a UsageError (exit 2, one line on stderr, no stack trace);
 * `--help` or `-h` anywhere before `--` prints the help to stdout and exits 0.
 */
import { parseArgs } from 'node:util';

export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | string[];
  /** The value's placeholder in --help, e.g. SECONDS. */
  arg?: string;
  /**
   * A string flag whose value may be left out: `--backward` alone means `--backward <bare>`.
   * parseArgs has no optional values, so the command line is rewritten before it runs.
   */
  bare?: string;
  help: string;
}

export type Flags = Record<string, Flag>;

export interface Command<F extends Flags = Flags> {
  /** What errors are prefixed with, e.g. 'diffqp solve' or 'bench:mm'. */
  name: string;
  /** How the command is run, when not by its name, e.g. 'npm run bench:mm --'. */
  run?: string;
  /** What follows the name on the usage line, e.g. '<file.QPS[.gz]>... [options]'. */
  synopsis: string;
  /** A paragraph printed under the usage line. */
  about?: string;
  flags: F;
  /** Bounds on the number of positional arguments (default: none allowed). */
  positionals?: { min?: number; max?: number };
}

type FlagValue<T extends Flag> = T['type'] extends 'boolean'
  ? T['multiple'] extends true
    ? boolean[]
    : boolean
  : T['multiple'] extends true
    ? string[]
    : string;

/** Booleans are always set (false when absent); a string flag is undefined unless it has a default. */
export type Values<F extends Flags> = {
  [K in keyof F]: F[K]['type'] extends 'boolean'
    ? FlagValue<F[K]>
    : F[K] extends { default: string | string[] }
      ? FlagValue<F[K]>
      : FlagValue<F[K]> | undefined;
};

export interface Parsed<F extends Flags> {
  values: Values<F>;
  positionals: string[];
}

/** A command line that cannot be run as given. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Thrown by parseCommand on --help; its message is the help text. */
export class HelpRequested extends Error {
  constructor(text: string) {
    super(text);
    this.name = 'HelpRequested';
  }
}

const helpFlag: Flag = { type: 'boolean', short: 'h', help: 'print this help and exit' };

function flagLabel(name: string, f: Flag): string {
  const value = f.type === 'string' ? (f.bare !== undefined ? ` [${f.arg ?? 'VALUE'}]` : ` ${f.arg ?? 'VALUE'}`) : '';
  return `${f.short ? `-${f.short}, ` : '    '}--${name}${value}`;
}

/** Flag lines, aligned: label, help, default. */
export function flagTable(flags: Flags): string {
  const rows = Object.entries({ ...flags, help: helpFlag }).map(([name, f]) => {
    const shown = f.default === undefined ? '' : ` (default: ${[f.default].flat().join(', ')})`;
    const bare = f.bare === undefined ? '' : ` (alone: ${f.bare})`;
    return [flagLabel(name, f), f.help + shown + bare] as const;
  });
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`).join('\n');
}

export function helpText(c: Command): string {
  return [`usage: ${c.run ?? c.name} ${c.synopsis}`, ...(c.about ? ['', c.about] : []), '', 'options:', flagTable(c.flags), ''].join('\n');
}

/** `--flag` with an optional value and nothing (or another option) after it becomes `--flag=<bare>`. */
function fillBareValues(flags: Flags, argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--') return [...out, ...argv.slice(k)];
    const f = a.startsWith('--') ? flags[a.slice(2)] : undefined;
    const next = argv[k + 1];
    out.push(f?.bare !== undefined && (next === undefined || next.startsWith('-')) ? `${a}=${f.bare}` : a);
  }
  return out;
}

function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** parseArgs' own message, one line, with the offending option quoted as the user typed it. */
function usageErrorFrom(e: unknown, flags: Flags, argv: readonly string[]): unknown {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return e;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const { tokens } = parseArgs({ args: [...argv], options: flags as never, strict: false, allowPositionals: true, tokens: true });
    const unknown = tokens.find((t) => t.kind === 'option' && !(t.name in flags));
    if (unknown?.kind === 'option') return new UsageError(`unknown option '${unknown.rawName}'`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError((e as Error).message.split('\n')[0]!);
  return new UsageError((e as Error).message.replace(/\s*\n\s*/g, ' '));
}

/**
 * Parses argv (without node and the script) against the command's flags. Throws HelpRequested
 * on --help, UsageError for an unknown option, a missing value or a wrong number of positionals.
 */
export function parseCommand<F extends Flags>(c: Command<F>, argv: readonly string[]): Parsed<F> {
  if (wantsHelp(argv)) throw new HelpRequested(helpText(c));
  const args = fillBareValues(c.flags, argv);
  const options = Object.fromEntries(
    Object.entries(c.flags).map(([name, f]) => {
      const o: { type: Flag['type']; short?: string; multiple?: boolean; default?: string | string[] } = { type: f.type };
      if (f.short !== undefined) o.short = f.short;
      if (f.multiple) o.multiple = true;
      if (f.default !== undefined) o.default = f.default;
      return [name, o];
    }),
  );
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw usageErrorFrom(e, c.flags, args);
  }
  const values = { ...parsed.values };
  for (const [name, f] of Object.entries(c.flags))
    if (f.type === 'boolean' && values[name] === undefined) values[name] = f.multiple ? [] : false;
  const { min = 0, max = 0 } = c.positionals ?? {};
  const n = parsed.positionals.length;
  if (n > max)
    throw new UsageError(
      max === 0
        ? `unexpected argument '${parsed.positionals[0]}' (this command takes options only)`
        : `unexpected argument '${parsed.positionals[max]}' (at most ${max})`,
    );
  if (n < min) throw new UsageError(`missing argument (usage: ${c.run ?? c.name} ${c.synopsis})`);
  return { values: values as Values<F>, positionals: parsed.positionals };
}

/** A number from a flag's text, or a UsageError naming the flag. */
export function numberFlag(flag: string, text: string, want: { min?: number; above?: number; integer?: boolean } = {}): number {
  const v = text.trim() === '' ? NaN : Number(text);
  const bad =
    !Number.isFinite(v) ||
    (want.integer && !Number.isInteger(v)) ||
    (want.min !== undefined && v < want.min) ||
    (want.above !== undefined && v <= want.above);
  if (!bad) return v;
  const kind = want.integer ? 'integer' : 'number';
  const what =
    want.above === 0 && want.min === undefined
      ? `a positive ${kind}`
      : want.min === 0 && want.above === undefined
        ? `a non-negative ${kind}`
        : [
            want.integer ? 'an integer' : 'a number',
            want.min !== undefined ? `≥ ${want.min}` : '',
            want.above !== undefined ? `> ${want.above}` : '',
          ]
            .filter(Boolean)
            .join(' ');
  throw new UsageError(`--${flag} must be ${what} (got '${text}')`);
}

/** A comma-separated list with empty items dropped. */
export function listFlag(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Writes what an error of a command line means and returns the exit code: help to stdout (0), a
 * usage error as one line on stderr (2). Undefined for any other error.
 */
export function reportUsage(c: Command, e: unknown): number | undefined {
  if (e instanceof HelpRequested) {
    process.stdout.write(e.message);
    return 0;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`${c.name}: ${e.message}\nsee '${c.run ?? c.name} --help'\n`);
    return 2;
  }
  return undefined;
}

/**
 * Runs a script's main. Help and usage errors as reportUsage; any other error is a failure of the
 * run: its stack on stderr and exit code `failure` (1 unless the script gives another meaning to 1).
 */
export function runScript(c: Command, main: () => Promise<void>, failure = 1): void {
  main().catch((e) => {
    const code = reportUsage(c, e);
    if (code !== undefined) {
      process.exitCode = code;
      return;
    }
    console.error(e);
    // exit, not exitCode: a failed run may leave children or timers behind.
    process.exit(failure);
  });
}
