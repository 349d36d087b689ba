#!/usr/bin/env node
/**
 * diffqp command line: solve QPS/MPS files and print what happened.
 *
 *   diffqp solve <file.QPS[.gz]>... [--solver auto|ipm|highs|ipopt|clp|admm|all] (default auto, as the API) [--eps 1e-6]
 *                [--time-limit s] [--polish] [--json]
 *   diffqp profile <file.QPS[.gz]> [--eps 1e-6] [--time-limit s]
 *   diffqp solvers
 */
import { readQps } from './qps';
import { availableSolvers, solve, Solution } from './solve';
import { QpError } from './errors';

interface Args {
  command: string;
  files: string[];
  solvers: string[];
  eps?: number;
  timeLimit?: number;
  json: boolean;
  polish: boolean;
}

function usage(): never {
  console.error(
    'usage: diffqp solve <file.QPS[.gz]>... [--solver KEY|auto|all] [--eps 1e-6] [--time-limit SECONDS] [--polish] [--json]\n' +
      '       diffqp profile <file.QPS[.gz]> [--eps 1e-6] [--time-limit SECONDS]\n       diffqp solvers',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: argv[0] ?? '', files: [], solvers: ['auto'], json: false, polish: false };
  for (let k = 1; k < argv.length; k++) {
    const a = argv[k]!;
    const value = () => {
      const v = argv[++k];
      if (v === undefined) usage();
      return v;
    };
    if (a === '--solver') args.solvers = value() === 'all' ? availableSolvers().map((s) => s.key) : argv[k]!.split(',');
    else if (a === '--eps') args.eps = Number(value());
    else if (a === '--time-limit') args.timeLimit = Number(value());
    else if (a === '--json') args.json = true;
    else if (a === '--polish') args.polish = true;
    else if (a.startsWith('--')) usage();
    else args.files.push(a);
  }
  return args;
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.command === 'solvers') {
    console.table(availableSolvers());
    return;
  }
  if (args.command === 'profile' && args.files.length === 1) return profile(args);
  if (args.command !== 'solve' || args.files.length === 0) usage();
  if (!args.json) console.log('| problem | n | m | solver | status | objective | r_p | r_d | r_g | iterations | seconds |\n|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|');
  let failures = 0;
  for (const file of args.files) {
    const problem = await readQps(file);
    for (const solver of args.solvers) {
      let sol: Solution;
      try {
        sol = await solve(problem, {
          solver,
          polish: args.polish,
          ...(args.eps !== undefined ? { epsAbs: args.eps, epsRel: args.eps } : {}),
          ...(args.timeLimit !== undefined ? { timeLimit: args.timeLimit } : {}),
        });
      } catch (e) {
        failures++;
        console.error(`${problem.name} ${solver}: ${e instanceof QpError ? `${e.code}: ${e.message}` : String(e)}`);
        continue;
      }
      const seconds = sol.setupTime + sol.solveTime;
      if (args.json) {
        const { x, y, z, yIneq, yEq, certificate, ...rest } = sol;
        void x, y, z, yIneq, yEq, certificate;
        console.log(JSON.stringify({ problem: problem.name, n: problem.q.length, m: problem.A.nrows, ...rest }));
      } else {
        console.log(`| ${problem.name} | ${problem.q.length} | ${problem.A.nrows} | ${solver} | ${sol.status} | ${sol.objective.toPrecision(10)} | ${fmt(sol.primalResidual)} | ${fmt(sol.dualResidual)} | ${fmt(sol.dualityGap)} | ${sol.iterations} | ${seconds.toFixed(3)} |`);
      }
    }
  }
  // Outcomes (infeasible, inaccurate, …) are results, not failures: only errors set the exit code.
  process.exitCode = failures > 0 ? 1 : 0;
}

/**
 * Runs every solver, with and without polish, on one problem (as the dQP paper's solver
 * profiler) and recommends the fastest one whose answer meets the tolerance.
 */
async function profile(args: Args): Promise<void> {
  const problem = await readQps(args.files[0]!);
  const eps = args.eps ?? 1e-6;
  const timeLimit = args.timeLimit ?? 60;
  console.log(`# ${problem.name}: n ${problem.q.length}, m ${problem.A.nrows}, nnz(P) ${problem.P.nnz}, nnz(A) ${problem.A.nnz}; success at ${eps}\n`);
  console.log('| solver | polish | status | r_p | r_d | r_g | seconds | meets tol |\n|---|---|---|---:|---:|---:|---:|---|');
  let best: { solver: string; polish: boolean; seconds: number } | undefined;
  for (const { key } of availableSolvers()) {
    for (const polish of [false, true]) {
      const started = process.hrtime.bigint();
      let line: string;
      try {
        const sol = await solve(problem, { solver: key, epsAbs: eps, epsRel: 0, timeLimit, polish });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const ok = (sol.status === 'solved' || sol.status === 'solvedInaccurate') && Math.max(sol.primalResidual, sol.dualResidual, sol.dualityGap) <= eps;
        if (ok && (!best || seconds < best.seconds)) best = { solver: key, polish, seconds };
        line = `| ${key} | ${polish} | ${sol.status} | ${fmt(sol.primalResidual)} | ${fmt(sol.dualResidual)} | ${fmt(sol.dualityGap)} | ${seconds.toFixed(3)} | ${ok ? 'yes' : 'no'} |`;
      } catch (e) {
        line = `| ${key} | ${polish} | error: ${e instanceof QpError ? e.code : String(e)} | | | | | no |`;
      }
      console.log(line);
    }
  }
  console.log(best ? `\nrecommended: { solver: '${best.solver}', polish: ${best.polish} } (${best.seconds.toFixed(3)} s)` : '\nno solver met the tolerance; try a looser --eps or a longer --time-limit');
}

main().catch((e) => {
  console.error(e instanceof QpError ? `${e.code}: ${e.message}` : e);
  process.exit(1);
});
