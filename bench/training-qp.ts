/**
 * The QPs of a training loop for bench:train (bench/bench-train.ts) and test/41: strictly convex,
 * dense or sparse, every row with both sides finite, a box on every variable.
 */
import { CanonicalProblem } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';

export type TrainingQp = Required<Pick<CanonicalProblem<Float64Array, CscMatrix>, 'P' | 'q' | 'A' | 'l' | 'u' | 'lb' | 'ub'>>;

/** A deterministic pseudo-random generator in [0, 1) (an LCG): the same problems on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * P = a chain, stored as its lower triangle: base + U[0, 1) on the diagonal (one draw of r per
 * column, in order), −1 beside it. Diagonally dominant for base ≥ 2.
 */
export function chainP(n: number, r: () => number, base: number): CscMatrix {
  const pr: number[] = [],
    pc: number[] = [],
    pv: number[] = [];
  for (let j = 0; j < n; j++) {
    pr.push(j);
    pc.push(j);
    pv.push(base + r());
    if (j + 1 < n) {
      pr.push(j + 1);
      pc.push(j);
      pv.push(-1);
    }
  }
  return CscMatrix.fromTriplets(n, n, pr, pc, pv, { triangle: 'lower' });
}

/** A strictly convex QP with n variables, m rows (each with both sides finite) and a box. */
export function trainingQp(n: number, m: number, seed: number): TrainingQp {
  const r = rng(seed);
  const M = Array.from({ length: n }, () => Array.from({ length: n }, () => r() - 0.5));
  const P = M.map((row, i) => M.map((other, j) => row.reduce((s, v, k) => s + v * other[k]!, 0) + (i === j ? 0.5 : 0)));
  const A = Array.from({ length: m }, () => Array.from({ length: n }, () => (r() < 0.6 ? r() - 0.5 : 0)));
  return {
    P: CscMatrix.fromDense(P, { triangle: 'lower' }),
    q: Float64Array.from({ length: n }, () => 4 * (r() - 0.5)),
    A: CscMatrix.fromDense(A, { ncols: n }),
    l: Float64Array.from({ length: m }, () => -0.2 - r()),
    u: Float64Array.from({ length: m }, () => 0.1 + 0.3 * r()),
    lb: new Float64Array(n).fill(-1),
    ub: new Float64Array(n).fill(1),
  };
}

/**
 * A sparse one: P = a chain (tridiagonal, diagonally dominant), A with `perRow` nonzeros a row
 * over a window of neighbouring variables.
 */
export function sparseTrainingQp(n: number, m: number, seed: number, perRow = 4): TrainingQp {
  const r = rng(seed);
  const P = chainP(n, r, 2.5);
  const ar: number[] = [],
    ac: number[] = [],
    av: number[] = [];
  for (let i = 0; i < m; i++) {
    const start = Math.floor((i * (n - perRow)) / Math.max(1, m - 1));
    for (let k = 0; k < perRow && start + k < n; k++) {
      ar.push(i);
      ac.push(start + k);
      av.push(r() - 0.5);
    }
  }
  return {
    P,
    q: Float64Array.from({ length: n }, () => 4 * (r() - 0.5)),
    A: CscMatrix.fromTriplets(m, n, ar, ac, av),
    l: Float64Array.from({ length: m }, () => -0.2 - r()),
    u: Float64Array.from({ length: m }, () => 0.1 + 0.3 * r()),
    lb: new Float64Array(n).fill(-1),
    ub: new Float64Array(n).fill(1),
  };
}
