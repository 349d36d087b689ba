/**
 * The 'auto' solver (the default): picks an order of solvers from the problem's structure and
 * falls back to the next one when an answer fails the residual test (the solver claims no
 * solution, or r_p, r_d, r_g of docs/METHODS.md §3 exceed epsAbs: Ipopt's "solved to an acceptable
 * level" that meets them passes). The rules come from the per-solver Maros–Meszaros runs
 * (npm run bench:mm, README "Maros–Meszaros"):
 *
 * 1. ipm first, for every class: it solves the most problems alone (at 1e-6 and 60 s: ipm 113
 *    of 117, shifted GM 1.3 s; at 30 s before ipm: ipopt 97, clp 81, admm 43, highs 22), costs
 *    microseconds on tiny problems (5 µs on a 2-variable QP; a 5-variable solve + differentiate
 *    34 µs against Ipopt's 5.5 ms: npm run bench:overhead), honours time limits and
 *    cancellation, and runs concurrently (no lock).
 * 2. Then, by structure, what solved most of ipm's failures alone:
 *    - P = 0 (an LP): highs (simplex, exact vertex duals), clp, ipopt, admm;
 *    - a QP: ipopt, admm, highs. Never Clp, for what a spin costs, not for want of a way to
 *      stop it: its QP primal can spin for good inside one iteration on moderate data (four
 *      of 300 random small convex QPs in docs/RELIABILITY.md). Its QP solves now run in a
 *      child process that is killed at the time limit or on cancellation, but a spin still
 *      takes the whole budget that the solvers after it would have had (all of it without a
 *      timeLimit: for good), and each QP solve pays ~3 ms to start that process. It used to
 *      take the nearly linear QPs first, when it answered 30 Maros–Meszaros problems before
 *      ipm came first.
 * 3. Data beyond a solver's limits (ERR_QP_OUT_OF_RANGE: Clp aborts or runs on for good on
 *    some, HiGHS rejects others) skip that solver; a non-convex P (ERR_QP_NOT_CONVEX) ends the
 *    search, as every solver would refuse it. An infeasible or unbounded status counts as an
 *    answer: the native layer keeps it only with a certificate it verified.
 * 4. A time limit means what it says: with a finite timeLimit, a solver that cannot stop near
 *    it on this class of problem is skipped (HiGHS's QP solver polls nothing), and so is
 *    Ipopt from n + m ≥ 10⁵ (it polls once per iteration, and one of its iterations on BOYD2
 *    outlasted the budget by 83 s); with an AbortSignal, so is a solver that cannot be
 *    cancelled (HiGHS on QPs, Clp on LPs; availableSolvers() says which, per class, under
 *    `honours`).
 *
 * Only solvers built into the binary are tried. The time limit is one budget for all attempts
 * (each gets what the earlier ones left). Every attempt is polished (Newton steps on the
 * reduced KKT system, kept only when the residuals improve) unless the caller passed
 * polish: false. The Solution says which solver answered (`solver`) and lists every attempt
 * (`attempts`).
 */
import type { NativeSolverInfo } from './binding';
import { Canonical } from './problem';

export interface Attempt {
  solver: string;
  /** A SolveStatus, or 'skipped' when the data exceed the solver's limits (ERR_QP_OUT_OF_RANGE). */
  status: string;
  seconds: number;
  /** Why it was skipped. */
  reason?: string;
}

/** What the caller asked of a time limit and of cancellation. */
export interface AutoLimits {
  timeLimit?: number;
  cancellable?: boolean;
}

type SolverHonours = Pick<NativeSolverInfo, 'key' | 'honours'>;

/** n + m from which auto does not start Ipopt under a finite time limit (rule 4). */
export const IPOPT_LIMITED_SIZE = 100_000;

export function autoOrder(c: Canonical, available: readonly SolverHonours[], limits: AutoLimits = {}): string[] {
  const lp = c.P.nnz === 0;
  // Clp only for LPs: its QP primal can spin inside one iteration (docs/RELIABILITY.md), and
  // though its child process is then killed at the limit, the spin takes the whole budget.
  const rest = lp ? ['highs', 'clp', 'ipopt', 'admm'] : ['ipopt', 'admm', 'highs'];
  const cls = lp ? 'lp' : 'qp';
  const usable = (s: SolverHonours) =>
    !(limits.timeLimit !== undefined && Number.isFinite(limits.timeLimit) && !s.honours.timeLimit[cls]) &&
    !(limits.cancellable && !s.honours.cancellation[cls]);
  const keys = new Set(available.filter(usable).map((s) => s.key));
  // Ipopt checks its limit once per iteration, and one iteration on a large problem can outlast
  // the budget: on BOYD2 (n + m = 2.8·10⁵) it ran 83 s past the 53 s a 60 s limit left it.
  if (limits.timeLimit !== undefined && Number.isFinite(limits.timeLimit) && c.n + c.m >= IPOPT_LIMITED_SIZE) keys.delete('ipopt');
  return ['ipm', ...rest].filter((k) => keys.has(k));
}

/** Of several answers, the one to return when none passed: the smallest worst residual. */
export function worstResidual(s: { primalResidual: number; dualResidual: number; dualityGap: number }): number {
  const v = Math.max(s.primalResidual, s.dualResidual, s.dualityGap);
  return Number.isNaN(v) ? Infinity : v;
}
