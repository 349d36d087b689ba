/**
 * The 'auto' solver: picks an order of solvers from the problem's structure and falls
 * back to the next one when an answer fails the residual test (the solver claims no solution,
 * or r_p, r_d, r_g of METHODS.md §3 exceed epsAbs: Ipopt's "solved to an acceptable level" that
 * meets them passes). The rules, measured on the Maros–Meszaros set (npm run bench:mm):
 *
 * 1. P = 0 (an LP): highs first (simplex, exact vertex duals), then clp, ipopt, admm.
 * 2. A nearly linear QP (P touches under a quarter of the variables, as the LP-derived Q*
 *    problems of the set): clp first (its QP simplex solves most of them in milliseconds,
 *    including QBANDM, QBEACONF, QSEBA, QSTANDAT where ipopt stops short of 1e-6), then ipopt,
 *    admm, highs.
 * 3. Otherwise: ipopt first (97 of 117 at 1e-6 alone, the most of our solvers), then admm
 *    (polished ADMM), clp, and highs last (its QP duals carry a 1e-7 regularisation).
 * Equality-only problems need no rule of their own: ipopt converges in one or two iterations.
 *
 * Only solvers built into the binary are tried. The time limit is one budget for all attempts
 * (each gets what the earlier ones left). Every attempt is polished (Newton steps on the
 * reduced KKT system, kept only when the residuals improve) unless the caller passed
 * polish: false: that turns HiGHS's regularised duals and admm's moderately accurate answers
 * into ones that pass the residual test. The Solution says which solver answered (`solver`)
 * and lists every attempt (`attempts`).
 */
import { Canonical } from './problem';

export interface Attempt {
  solver: string;
  status: string;
  seconds: number;
}

export function autoOrder(c: Canonical, available: readonly string[]): string[] {
  const preferred =
    c.P.nnz === 0 ? ['highs', 'clp', 'ipopt', 'admm'] : quadraticFraction(c) < 0.25 ? ['clp', 'ipopt', 'admm', 'highs'] : ['ipopt', 'admm', 'clp', 'highs'];
  return preferred.filter((k) => available.includes(k));
}

/** The fraction of variables that appear in P (a column with a stored entry). */
export function quadraticFraction(c: Canonical): number {
  if (c.n === 0) return 0;
  let touched = 0;
  for (let j = 0; j < c.n; j++) if (c.P.colPtr[j + 1]! > c.P.colPtr[j]!) touched++;
  return touched / c.n;
}

/** Of several answers, the one to return when none passed: the smallest worst residual. */
export function worstResidual(s: { primalResidual: number; dualResidual: number; dualityGap: number }): number {
  const v = Math.max(s.primalResidual, s.dualResidual, s.dualityGap);
  return Number.isNaN(v) ? Infinity : v;
}
