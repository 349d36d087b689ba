/** The arithmetic of the benchmark reports, kept apart so that tests can check it. */

export const tolerances = { low: 1e-3, mid: 1e-6, high: 1e-9 } as const;
export type ToleranceName = keyof typeof tolerances;

/** exp(mean(log(t + shift))) − shift, in seconds (the QP benchmark's runtime summary). */
export function shiftedGeometricMean(times: readonly number[], shift = 10): number {
  if (times.length === 0) return NaN;
  let s = 0;
  for (const t of times) s += Math.log(t + shift);
  return Math.exp(s / times.length) - shift;
}

/** Solved at tol: the solver produced a solution and every METHODS.md §3 measure ≤ tol. */
export function isSuccess(r: { status: string; primalResidual: number; dualResidual: number; dualityGap: number }, tol: number): boolean {
  if (r.status !== 'solved' && r.status !== 'solvedInaccurate') return false;
  return r.primalResidual <= tol && r.dualResidual <= tol && r.dualityGap <= tol;
}
