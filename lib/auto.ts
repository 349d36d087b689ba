/**
 * The 'auto' solver: picks an order of solvers from the problem's structure and falls
 * back to the next one when an answer fails the residual test (the solver claims no solution,
 * or r_p, r_d, r_g of METHODS.md §3 exceed epsAbs: Ipopt's "solved to an acceptable level" that
 * meets them passes). The rules, measured on the Maros–Meszaros set (npm run bench:mm):
 *
 * 1. P = 0 (an LP): highs first (simplex, exact vertex duals), then clp, ipopt, admm.
 * 2. Otherwise: ipopt first (the most problems solved at 1e-6 here), then admm (polished
 *    ADMM), clp, and highs last (its QP duals carry a 1e-7 regularisation).
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
  const isLp = c.P.nnz === 0;
  const preferred = isLp ? ['highs', 'clp', 'ipopt', 'admm'] : ['ipopt', 'admm', 'clp', 'highs'];
  return preferred.filter((k) => available.includes(k));
}

/** Of several answers, the one to return when none passed: the smallest worst residual. */
export function worstResidual(s: { primalResidual: number; dualResidual: number; dualityGap: number }): number {
  const v = Math.max(s.primalResidual, s.dualResidual, s.dualityGap);
  return Number.isNaN(v) ? Infinity : v;
}
