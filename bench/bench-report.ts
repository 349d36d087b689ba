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

/** Solved at tol: the solver produced a solution and every docs/METHODS.md §3 measure ≤ tol. */
export function isSuccess(r: { status: string; primalResidual: number; dualResidual: number; dualityGap: number }, tol: number): boolean {
  if (r.status !== 'solved' && r.status !== 'solvedInaccurate') return false;
  return r.primalResidual <= tol && r.dualResidual <= tol && r.dualityGap <= tol;
}

export { median } from './stats';

/**
 * The backward pass's share of the total time, Σ backward / Σ (forward + backward), over
 * problems where both ran (entry k of each array is one problem). NaN when there are none.
 */
export function backwardShare(forwardSeconds: readonly number[], backwardSeconds: readonly number[]): number {
  if (forwardSeconds.length !== backwardSeconds.length) throw new Error('backwardShare: one forward and one backward time per problem');
  let backward = 0;
  let total = 0;
  for (let k = 0; k < forwardSeconds.length; k++) {
    backward += backwardSeconds[k]!;
    total += forwardSeconds[k]! + backwardSeconds[k]!;
  }
  return forwardSeconds.length === 0 ? NaN : backward / total;
}

/** Forward + backward success at tol: the forward solve succeeded at tol and the backward pass was ok. */
export function isForwardBackwardSuccess(
  r: { success: Record<ToleranceName, boolean>; backwardOk?: boolean | null },
  tol: ToleranceName,
): boolean {
  return r.success[tol] && r.backwardOk === true;
}

/**
 * The time a run is charged in a shifted geometric mean: its forward + backward seconds when
 * it succeeded, the time limit otherwise (as a failure is charged in the forward-only summary).
 */
export function forwardBackwardCharge(
  r: { success: Record<ToleranceName, boolean>; backwardOk?: boolean | null; seconds: number; backwardSeconds?: number | null },
  tol: ToleranceName,
  timeLimit: number,
): number {
  return isForwardBackwardSuccess(r, tol) ? r.seconds + (r.backwardSeconds ?? 0) : timeLimit;
}

/** True when every array given (undefined ones skipped) holds only finite numbers. */
export function allFinite(arrays: Iterable<ArrayLike<number> | undefined>): boolean {
  for (const a of arrays) {
    if (!a) continue;
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  }
  return true;
}

/** How many times each value occurs, most frequent first (ties by name), for the 'auto' table. */
export function countOccurrences(values: readonly string[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * Dolan–Moré performance profile: for each solver s, the fraction of problems it solved
 * within a factor τ of the fastest solver on that problem. `times[s][p]` is the runtime,
 * or Infinity for a failure. Returns, per solver, the step points (τ, fraction).
 */
export function performanceProfile(times: Record<string, number[]>): Record<string, Array<[number, number]>> {
  const solvers = Object.keys(times);
  const problems = solvers.length > 0 ? times[solvers[0]!]!.length : 0;
  const out: Record<string, Array<[number, number]>> = {};
  const best: number[] = [];
  for (let p = 0; p < problems; p++) best.push(Math.min(...solvers.map((s) => times[s]![p]!)));
  for (const s of solvers) {
    const ratios: number[] = [];
    for (let p = 0; p < problems; p++) {
      const t = times[s]![p]!;
      if (Number.isFinite(t) && Number.isFinite(best[p]!)) ratios.push(best[p]! > 0 ? t / best[p]! : 1);
    }
    ratios.sort((a, b) => a - b);
    out[s] = ratios.map((r, k) => [r, (k + 1) / problems]);
  }
  return out;
}

/** The profile as a small standalone SVG (log2 τ on x, fraction solved on y). */
export function profileSvg(title: string, profile: Record<string, Array<[number, number]>>): string {
  const W = 640;
  const H = 400;
  const left = 60;
  const right = 150;
  const top = 40;
  const bottom = 50;
  const maxRatio = Math.max(2, ...Object.values(profile).flatMap((pts) => pts.map(([r]) => r)));
  const xmax = Math.ceil(Math.log2(maxRatio));
  const x = (r: number) => left + ((W - left - right) * Math.log2(r)) / xmax;
  const y = (f: number) => H - bottom - (H - top - bottom) * f;
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`);
  parts.push(`<line x1="${left}" y1="${y(0)}" x2="${W - right}" y2="${y(0)}" stroke="black"/>`);
  parts.push(`<line x1="${left}" y1="${y(0)}" x2="${left}" y2="${y(1)}" stroke="black"/>`);
  for (let k = 0; k <= xmax; k++) {
    parts.push(`<text x="${x(2 ** k)}" y="${y(0) + 18}" text-anchor="middle">${2 ** k}</text>`);
  }
  for (const f of [0, 0.25, 0.5, 0.75, 1]) parts.push(`<text x="${left - 8}" y="${y(f) + 4}" text-anchor="end">${f}</text>`);
  parts.push(
    `<text x="${(left + W - right) / 2}" y="${H - 12}" text-anchor="middle">τ (time ratio to the fastest solver, log scale)</text>`,
  );
  Object.entries(profile).forEach(([solver, pts], k) => {
    const color = colors[k % colors.length]!;
    let d = `M ${x(1)} ${y(0)}`;
    let last = 0;
    for (const [r, f] of pts) {
      d += ` H ${x(r).toFixed(1)} V ${y(f).toFixed(1)}`;
      last = f;
    }
    d += ` H ${x(2 ** xmax).toFixed(1)}`;
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${W - right + 10}" y="${top + 20 * k + 10}" fill="${color}">${solver} (${(100 * last).toFixed(0)}%)</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** One row of a peers file (../shared/benchmarks/peers-mm.csv): another solver on the same problem. */
export interface PeerRow {
  problem: string;
  solver: string;
  tol: ToleranceName;
  status: string;
  solved: boolean;
  seconds: number;
}

/** Parses a peers CSV (header: problem,solver,tol,status,solved,seconds,…; no quoted fields). */
export function parsePeers(text: string): PeerRow[] {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0]!.split(',');
  const col = (name: string) => {
    const k = header.indexOf(name);
    if (k < 0) throw new Error(`peers file: no column '${name}'`);
    return k;
  };
  const [p, s, t, st, ok, sec] = ['problem', 'solver', 'tol', 'status', 'solved', 'seconds'].map(col) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return lines
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const c = l.split(',');
      return { problem: c[p]!, solver: c[s]!, tol: c[t] as ToleranceName, status: c[st]!, solved: c[ok] === '1', seconds: Number(c[sec]) };
    });
}

/**
 * Why a row failed at tolerance tol, in a few words: the time or iteration limit, the precision
 * limit of an absolute gap test (|objective| so large that tol is below its round-off: docs/METHODS.md
 * §3 puts it at ~4e9 for 1e-6 and ~4e6..8e6 for 1e-9), an infeasibility claim, a numerical failure,
 * or residuals above tol. Empty for a success.
 */
export function failureCause(
  r: {
    status: string;
    error?: string;
    objective: number | null;
    primalResidual: number | null;
    dualResidual: number | null;
    dualityGap: number | null;
    seconds: number;
  },
  tol: number,
  timeLimit: number,
): string {
  const rp = r.primalResidual ?? Infinity,
    rd = r.dualResidual ?? Infinity,
    rg = r.dualityGap ?? Infinity;
  const claimed = r.status === 'solved' || r.status === 'solvedInaccurate';
  if (r.seconds > timeLimit) return `time limit (answered after ${r.seconds.toFixed(1)} s)`;
  if (claimed && rp <= tol && rd <= tol && rg <= tol) return '';
  if (r.error) return `error: ${r.error}`;
  if (r.status === 'timeLimit' || r.seconds >= timeLimit) return 'time limit';
  const precision = r.objective !== null && Math.abs(r.objective) * 2.5e-16 > tol && rp <= tol && rd <= tol;
  if (precision) return `precision limit of the absolute gap (|objective| ${Math.abs(r.objective!).toExponential(1)})`;
  if (r.status === 'maxIterations') return 'iteration limit';
  if (r.status === 'primalInfeasible' || r.status === 'dualInfeasible') return `declared ${r.status}`;
  if (r.status === 'solverFailed') return 'numerical failure';
  if (r.status === 'cancelled') return 'cancelled';
  const worst = [
    ['r_p', rp],
    ['r_d', rd],
    ['r_g', rg],
  ]
    .filter(([, v]) => (v as number) > tol)
    .map(([k, v]) => `${k} ${(v as number).toExponential(1)}`);
  return `residuals above tol (${worst.join(', ')})`;
}
