/**
 * The generated problem families of `npm run bench`, and the independent references some of
 * them have. Everything is built in memory from a seed: nothing is downloaded.
 *
 *   simplex    projection onto the probability simplex (dQP "random_projection"):
 *                min ½‖x‖² + qᵀx  s.t.  Σx = 1, x ≥ 0,   q ~ N(0, 1)
 *              i.e. the Euclidean projection of −q; reference: the sort-based closed form.
 *   chain      projection onto the monotone chain (isotonic regression):
 *                min ½‖x − v‖²  s.t.  x_1 ≤ x_2 ≤ … ≤ x_n   (n − 1 rows x_{i+1} − x_i ≥ 0),
 *              v_i = 3·i/n + N(0, 1); reference: pool-adjacent-violators.
 *   chain-box  projection onto the bounded-difference chain (the constraint set of dQP's chain
 *              on a line; the dual of 1-D total-variation denoising):
 *                min ½‖x − v‖²  s.t.  −1 ≤ x_i − x_{i+1} ≤ 1   (n − 1 rows),
 *              v = a piecewise-constant signal plus N(0, 1) noise; reference: an exact dynamic
 *              programme over piecewise-linear derivatives (projectBoundedDifferences).
 *   chain-dqp  the dQP paper's "chain": a closed chain of N = 100 points in R^d (n = 100·d),
 *                min ½xᵀ(½I + (L⊗I_d)ᵀ(L⊗I_d))x − pᵀx  s.t.  −1 ≤ x_i,k − x_{i+1},k ≤ 1
 *              (cyclically, i + 1 = 0 after N − 1), L = tridiag(−1, 2, −1), p = 10·N(0, 1).
 *   dense      dQP's random dense QP (as OptNet's): P = MMᵀ + 1e-4·I, q, G, A ~ U[0, 1),
 *              n inequalities Gx ≤ G·1 + 1, ⌈n/2⌉ equalities Ax = A·1 (feasible at x = 1).
 *   sparse     dQP's random sparse QP: P = the Laplacian of the 3-nearest-neighbour graph of n
 *              points drawn from 3 Gaussian blobs in the plane (positive SEMIdefinite),
 *              q ~ N(0, 1), G (n rows) and A (⌈n/2⌉ rows) with density 5e-4 and N(0, 1)
 *              values, every row holding at least one entry, h = G·1 + 1, b = A·1.
 *   portfolio  long-only mean-variance portfolio with a factor covariance (as OSQP's
 *              benchmark draws it): Σ = FFᵀ + D, F n×k (k = ⌈n/10⌉, density ½, N(0, 1)),
 *              D = diag(U[0, 1)·√k), μ ~ N(0, 1):
 *                min γ·xᵀΣx − μᵀx  s.t.  Σx = 1, x ≥ 0     (γ = 1, so P = 2Σ, dense)
 */
import { differenceMatrix } from '../lib/projections';
import { CscMatrix } from '../lib/sparse';
import { CanonicalProblem } from '../lib/problem';

export const familyNames = ['simplex', 'chain', 'chain-box', 'chain-dqp', 'dense', 'sparse', 'portfolio'] as const;
export type FamilyName = (typeof familyNames)[number];

export interface BenchProblem {
  family: FamilyName;
  /** e.g. "simplex-n1000". */
  name: string;
  n: number;
  m: number;
  problem: CanonicalProblem<Float64Array, CscMatrix>;
  /** An independently computed solution, where the family has one. */
  reference?: { x: Float64Array; how: string };
  /** P positive definite (quadprog needs it). */
  positiveDefinite: boolean;
  /** P is stored dense (every lower-triangle entry). */
  denseP: boolean;
  /** Seconds spent generating (and computing the reference). */
  generateSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// Random numbers: a small seeded generator, so that every run builds the same problems.

/** xoshiro128** seeded by splitmix32: uniform [0, 1) with 32 random bits. */
export function uniform(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r / 4294967296;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Standard normal by Box–Muller on a uniform generator. */
export function normal(u: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let a = u();
    while (a === 0) a = u();
    const b = u();
    const r = Math.sqrt(-2 * Math.log(a));
    spare = r * Math.sin(2 * Math.PI * b);
    return r * Math.cos(2 * Math.PI * b);
  };
}

// ---------------------------------------------------------------------------------------------
// References.

/**
 * Euclidean projection of y onto the probability simplex {x ≥ 0, Σx = 1}: sort y decreasingly,
 * ρ = max{ j : u_j − (Σ_{i≤j} u_i − 1)/j > 0 }, τ = (Σ_{i≤ρ} u_i − 1)/ρ, x = max(y − τ, 0).
 */
export function projectSimplex(y: Float64Array): Float64Array {
  const u = Float64Array.from(y).sort().reverse();
  let sum = 0;
  let tau = 0;
  for (let j = 0; j < u.length; j++) {
    sum += u[j]!;
    const t = (sum - 1) / (j + 1);
    if (u[j]! - t > 0) tau = t;
  }
  const x = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) x[i] = Math.max(y[i]! - tau, 0);
  return x;
}

/**
 * Pool-adjacent-violators: the projection of v onto {x_1 ≤ x_2 ≤ … ≤ x_n} (least squares,
 * unit weights). Blocks are merged while their means decrease; each block takes its mean.
 */
export function isotonicRegression(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const mean = new Float64Array(n);
  const size = new Int32Array(n);
  let top = -1;
  for (let i = 0; i < n; i++) {
    top++;
    mean[top] = v[i]!;
    size[top] = 1;
    while (top > 0 && mean[top - 1]! > mean[top]!) {
      const s = size[top - 1]! + size[top]!;
      mean[top - 1] = (mean[top - 1]! * size[top - 1]! + mean[top]! * size[top]!) / s;
      size[top - 1] = s;
      top--;
    }
  }
  const x = new Float64Array(n);
  let k = 0;
  for (let b = 0; b <= top; b++) for (let r = 0; r < size[b]!; r++) x[k++] = mean[b]!;
  return x;
}

/**
 * Euclidean projection of v onto the bounded-difference chain {x : |x_i − x_{i+1}| ≤ w}, exactly
 * (up to rounding), by dynamic programming in the style of Johnson's fused-lasso algorithm:
 *
 *   f_1(z) = ½(z − v_1)²,   f_{i+1}(z) = ½(z − v_{i+1})² + min_{|z' − z| ≤ w} f_i(z').
 *
 * Every f_i is convex with a continuous piecewise-linear derivative. The window minimum of a
 * convex f with minimiser z* has derivative f′(z + w) left of z* − w, 0 on [z* − w, z* + w] and
 * f′(z − w) right of z* + w: the knots left of z* move by −w, those right of it by +w, and two
 * knots are added. The knots live on two stacks (left and right of the current minimiser) with
 * lazy shifts; each knot stores its position and its change of slope (an integer), and the
 * derivative is followed by continuity from the middle segment, so no intercept is ever formed.
 * Backward: x_n = argmin f_n, x_i = clamp(argmin f_i, x_{i+1} − w, x_{i+1} + w).
 * Time O(n + knot crossings) (linear on the benchmark's data; O(n²) only for adversarial input),
 * memory O(n).
 */
export function projectBoundedDifferences(v: ArrayLike<number>, w = 1): Float64Array {
  const n = v.length;
  if (!(w >= 0)) throw new Error(`projectBoundedDifferences: w must be ≥ 0 (got ${w})`);
  const argmin = new Float64Array(n);
  // Stack entries: position at insertion, shift count at insertion, change of slope across it.
  const cap = 2 * n + 2;
  const lPos = new Float64Array(cap);
  const lAt = new Float64Array(cap);
  const lDs = new Float64Array(cap);
  const rPos = new Float64Array(cap);
  const rAt = new Float64Array(cap);
  const rDs = new Float64Array(cap);
  let lTop = 0;
  let rTop = 0;
  let shifts = 0; // window operations so far: left knots have moved −w·(shifts − at), right +w·(…)
  // The middle segment of the derivative: slope a, value d at the point zr.
  let a = 0;
  let zr = 0;
  let d = 0;
  for (let i = 0; i < n; i++) {
    a += 1;
    d += zr - v[i]!;
    let z = zr - d / a;
    for (;;) {
      if (lTop > 0 && z < lPos[lTop - 1]! - w * (shifts - lAt[lTop - 1]!)) {
        lTop--;
        const t = lPos[lTop]! - w * (shifts - lAt[lTop]!);
        d += a * (t - zr);
        zr = t;
        a -= lDs[lTop]!;
        rPos[rTop] = t;
        rAt[rTop] = shifts;
        rDs[rTop++] = lDs[lTop]!;
      } else if (rTop > 0 && z > rPos[rTop - 1]! + w * (shifts - rAt[rTop - 1]!)) {
        rTop--;
        const t = rPos[rTop]! + w * (shifts - rAt[rTop]!);
        d += a * (t - zr);
        zr = t;
        a += rDs[rTop]!;
        lPos[lTop] = t;
        lAt[lTop] = shifts;
        lDs[lTop++] = rDs[rTop]!;
      } else {
        break;
      }
      z = zr - d / a;
    }
    argmin[i] = z;
    // The window minimum: knots at z − w (slope a → 0) and z + w (slope 0 → a), flat between.
    shifts++;
    lPos[lTop] = z - w;
    lAt[lTop] = shifts;
    lDs[lTop++] = -a;
    rPos[rTop] = z + w;
    rAt[rTop] = shifts;
    rDs[rTop++] = a;
    a = 0;
    zr = z;
    d = 0;
  }
  const x = new Float64Array(n);
  if (n === 0) return x;
  x[n - 1] = argmin[n - 1]!;
  for (let i = n - 2; i >= 0; i--) x[i] = Math.min(Math.max(argmin[i]!, x[i + 1]! - w), x[i + 1]! + w);
  return x;
}

/**
 * An optimality certificate for the bounded-difference chain projection that needs no solver:
 * the row duals are forced by stationarity x − v + Dᵀy = 0 (row i of D is e_iᵀ − e_{i+1}ᵀ), so
 * y_i = Σ_{k≤i} (v_k − x_k), and the last equation leaves Σ_k (v_k − x_k) as a residual. x is
 * optimal iff that residual is 0, |x_i − x_{i+1}| ≤ w, and y_i > 0 only where x_i − x_{i+1} = w,
 * y_i < 0 only where it is −w (docs/METHODS.md §2). Returns the violations, absolute: the stationarity
 * residual, the largest constraint violation, the duality gap Σ_i |y_i|·(distance of row i from
 * the side y_i's sign names), 0 exactly at the optimum, and the largest single term of that sum
 * (the sum adds n rounding errors of size |y|·ε; the largest term does not).
 */
export function boundedDifferencesKkt(
  v: ArrayLike<number>,
  x: ArrayLike<number>,
  w = 1,
): {
  stationarity: number;
  feasibility: number;
  gap: number;
  complementarity: number;
  y: Float64Array;
} {
  const n = v.length;
  const y = new Float64Array(Math.max(n - 1, 0));
  let s = 0;
  let feasibility = 0;
  let gap = 0;
  let complementarity = 0;
  for (let i = 0; i < n - 1; i++) {
    s += v[i]! - x[i]!;
    y[i] = s;
    const r = x[i]! - x[i + 1]!;
    feasibility = Math.max(feasibility, r - w, -w - r);
    const c = s > 0 ? s * (w - r) : s < 0 ? -s * (r + w) : 0;
    gap += c;
    complementarity = Math.max(complementarity, Math.abs(c));
  }
  if (n > 0) s += v[n - 1]! - x[n - 1]!;
  return { stationarity: Math.abs(s), feasibility, gap: Math.abs(gap), complementarity, y };
}

// ---------------------------------------------------------------------------------------------
// Generators.

function timed(build: () => Omit<BenchProblem, 'generateSeconds'>): BenchProblem {
  const t0 = process.hrtime.bigint();
  const p = build();
  return { ...p, generateSeconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** A dense symmetric matrix (row-major n×n) as a CscMatrix of its lower triangle. */
export function denseLowerCsc(n: number, S: Float64Array): CscMatrix {
  const nnz = (n * (n + 1)) / 2;
  const colPtr = new Int32Array(n + 1);
  const rowIdx = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  for (let j = 0; j < n; j++) {
    for (let i = j; i < n; i++) {
      rowIdx[p] = i;
      values[p++] = S[i * n + j]!;
    }
    colPtr[j + 1] = p;
  }
  return new CscMatrix(n, n, colPtr, rowIdx, values, 'lower');
}

/** A dense row-major m×n matrix as a CscMatrix (zeros kept out). */
function denseCsc(m: number, n: number, M: Float64Array): CscMatrix {
  const colPtr = new Int32Array(n + 1);
  let nnz = 0;
  for (let k = 0; k < M.length; k++) if (M[k] !== 0) nnz++;
  const rowIdx = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      const v = M[i * n + j]!;
      if (v !== 0) {
        rowIdx[p] = i;
        values[p++] = v;
      }
    }
    colPtr[j + 1] = p;
  }
  return new CscMatrix(m, n, colPtr, rowIdx, values);
}

/** Projection onto the probability simplex, with the closed-form reference. */
export function simplexProblem(n: number, seed = 1, withReference = true): BenchProblem {
  return timed(() => {
    const randn = normal(uniform(seed));
    const q = new Float64Array(n);
    for (let i = 0; i < n; i++) q[i] = randn();
    const ones = new Float64Array(n).fill(1);
    const colPtr = new Int32Array(n + 1);
    for (let j = 0; j < n; j++) colPtr[j + 1] = j + 1;
    const A = new CscMatrix(1, n, colPtr, new Int32Array(n), ones);
    const problem: CanonicalProblem<Float64Array, CscMatrix> = {
      P: CscMatrix.identity(n, 1, 'lower'),
      q,
      A,
      l: Float64Array.of(1),
      u: Float64Array.of(1),
      lb: new Float64Array(n),
      ub: new Float64Array(n).fill(Infinity),
      name: `simplex-n${n}`,
    };
    const bp: Omit<BenchProblem, 'generateSeconds'> = {
      family: 'simplex',
      name: problem.name!,
      n,
      m: 1,
      problem,
      positiveDefinite: true,
      denseP: false,
    };
    if (withReference) bp.reference = { x: projectSimplex(q.map((v) => -v)), how: 'sort-based closed form' };
    return bp;
  });
}

/** Projection onto the monotone chain x_1 ≤ … ≤ x_n, with the PAVA reference. */
export function chainProblem(n: number, seed = 2, withReference = true): BenchProblem {
  return timed(() => {
    const randn = normal(uniform(seed));
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = (3 * i) / n + randn();
    // Row i (0 ≤ i < n − 1): x_{i+1} − x_i ≥ 0. Column j holds −1 in row j and +1 in row j − 1.
    const m = n - 1;
    const colPtr = new Int32Array(n + 1);
    const rowIdx = new Int32Array(2 * m);
    const values = new Float64Array(2 * m);
    let p = 0;
    for (let j = 0; j < n; j++) {
      if (j >= 1) {
        rowIdx[p] = j - 1;
        values[p++] = 1;
      }
      if (j < m) {
        rowIdx[p] = j;
        values[p++] = -1;
      }
      colPtr[j + 1] = p;
    }
    const problem: CanonicalProblem<Float64Array, CscMatrix> = {
      P: CscMatrix.identity(n, 1, 'lower'),
      q: v.map((x) => -x),
      A: new CscMatrix(m, n, colPtr, rowIdx, values),
      l: new Float64Array(m),
      u: new Float64Array(m).fill(Infinity),
      name: `chain-n${n}`,
    };
    const bp: Omit<BenchProblem, 'generateSeconds'> = {
      family: 'chain',
      name: problem.name!,
      n,
      m,
      problem,
      positiveDefinite: true,
      denseP: false,
    };
    if (withReference) bp.reference = { x: isotonicRegression(v), how: 'pool-adjacent-violators' };
    return bp;
  });
}

/** The bounded-difference chain −1 ≤ x_i − x_{i+1} ≤ 1 as A: lib/projections.ts builds it for the queue's chain set too. */
export { differenceMatrix };

/**
 * The data v of the chain-box family: a piecewise-constant signal (a new level U[−5, 5) with
 * probability 1/100 at each step) plus N(0, 1) noise, so that |v| stays O(1) at every n and
 * about 40% of the difference rows end up active.
 */
export function chainBoxData(n: number, seed = 7): Float64Array {
  const u = uniform(seed);
  const randn = normal(uniform(seed + 1000));
  const v = new Float64Array(n);
  let level = 10 * u() - 5;
  for (let i = 0; i < n; i++) {
    if (u() < 0.01) level = 10 * u() - 5;
    v[i] = level + randn();
  }
  return v;
}

/** Projection onto the bounded-difference chain |x_i − x_{i+1}| ≤ 1, with the exact DP reference. */
export function chainBoxProblem(n: number, seed = 7, withReference = true): BenchProblem {
  return timed(() => {
    const v = chainBoxData(n, seed);
    const m = Math.max(n - 1, 0);
    const problem: CanonicalProblem<Float64Array, CscMatrix> = {
      P: CscMatrix.identity(n, 1, 'lower'),
      q: v.map((x) => -x),
      A: differenceMatrix(n),
      l: new Float64Array(m).fill(-1),
      u: new Float64Array(m).fill(1),
      name: `chain-box-n${n}`,
    };
    const bp: Omit<BenchProblem, 'generateSeconds'> = {
      family: 'chain-box',
      name: problem.name!,
      n,
      m,
      problem,
      positiveDefinite: true,
      denseP: false,
    };
    if (withReference) bp.reference = { x: projectBoundedDifferences(v), how: 'exact dynamic programme' };
    return bp;
  });
}

/** dQP's "chain": N = 100 points in R^d, Laplacian smoothing, bounded cyclic differences. */
export function chainDqpProblem(d: number, seed = 3, N = 100, lambda = 1): BenchProblem {
  return timed(() => {
    const n = N * d;
    // LᵀL for L = tridiag(−1, 2, −1) (N×N, not cyclic): a symmetric pentadiagonal matrix.
    const L = (i: number, j: number) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0);
    const LtL = (i: number, j: number) => {
      let s = 0;
      for (let k = Math.max(0, Math.min(i, j) - 1); k <= Math.min(N - 1, Math.max(i, j) + 1); k++) s += L(k, i) * L(k, j);
      return s;
    };
    // P = ½I + λ·(LᵀL ⊗ I_d): entry (i·d + c, j·d + c) = λ·(LᵀL)_ij (+ ½ on the diagonal).
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < N; i++) {
      for (let j = Math.max(0, i - 2); j <= i; j++) {
        const v = lambda * LtL(i, j) + (i === j ? 0.5 : 0);
        if (v === 0) continue;
        for (let c = 0; c < d; c++) {
          rows.push(i * d + c);
          cols.push(j * d + c);
          vals.push(v);
        }
      }
    }
    const P = CscMatrix.fromTriplets(n, n, rows, cols, vals, { triangle: 'lower' });
    // G0: row i is x_i − x_{i+1} (i < N − 1), row N − 1 is x_{N−1} − x_0; G = G0 ⊗ I_d.
    const gr: number[] = [];
    const gc: number[] = [];
    const gv: number[] = [];
    for (let i = 0; i < N; i++) {
      const next = (i + 1) % N;
      for (let c = 0; c < d; c++) {
        gr.push(i * d + c, i * d + c);
        gc.push(i * d + c, next * d + c);
        gv.push(1, -1);
      }
    }
    const A = CscMatrix.fromTriplets(n, n, gr, gc, gv);
    const randn = normal(uniform(seed));
    const q = new Float64Array(n);
    for (let i = 0; i < n; i++) q[i] = -10 * randn();
    const problem: CanonicalProblem<Float64Array, CscMatrix> = {
      P,
      q,
      A,
      l: new Float64Array(n).fill(-1),
      u: new Float64Array(n).fill(1),
      name: `chain-dqp-d${d}`,
    };
    return { family: 'chain-dqp', name: problem.name!, n, m: n, problem, positiveDefinite: true, denseP: false };
  });
}

/** dQP's random dense QP (generate_random_qp): feasible at x = 1, strictly for Gx ≤ h. */
export function denseProblem(n: number, seed = 4): BenchProblem {
  return timed(() => {
    const u = uniform(seed);
    const M = new Float64Array(n * n);
    for (let k = 0; k < M.length; k++) M[k] = u();
    // S = MMᵀ + 1e-4·I (only the lower triangle is needed).
    const S = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      for (let j = 0; j <= i; j++) {
        const rj = j * n;
        let s = 0;
        for (let k = 0; k < n; k++) s += M[ri + k]! * M[rj + k]!;
        S[ri + j] = s + (i === j ? 1e-4 : 0);
      }
    }
    const q = new Float64Array(n);
    for (let i = 0; i < n; i++) q[i] = u();
    const mIneq = n;
    const mEq = Math.ceil(n / 2);
    const m = mIneq + mEq;
    const C = new Float64Array(m * n);
    for (let k = 0; k < C.length; k++) C[k] = u();
    const l = new Float64Array(m);
    const uu = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let rowSum = 0;
      for (let j = 0; j < n; j++) rowSum += C[i * n + j]!;
      if (i < mIneq) {
        l[i] = -Infinity;
        uu[i] = rowSum + 1;
      } else {
        l[i] = rowSum;
        uu[i] = rowSum;
      }
    }
    const problem: CanonicalProblem<Float64Array, CscMatrix> = {
      P: denseLowerCsc(n, S),
      q,
      A: denseCsc(m, n, C),
      l,
      u: uu,
      name: `dense-n${n}`,
    };
    return { family: 'dense', name: problem.name!, n, m, problem, positiveDefinite: true, denseP: true };
  });
}

/**
 * Points from 3 isotropic Gaussian blobs in the plane (as scikit-learn's make_blobs: centres
 * uniform in [−10, 10]², standard deviation 1, samples split evenly among the centres).
 */
function blobs(n: number, u: () => number, randn: () => number): Float64Array {
  const centres = 3;
  const cx: number[] = [];
  const cy: number[] = [];
  for (let c = 0; c < centres; c++) {
    cx.push(-10 + 20 * u());
    cy.push(-10 + 20 * u());
  }
  const xy = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const c = Math.min(centres - 1, Math.floor((i * centres) / n));
    xy[2 * i] = cx[c]! + randn();
    xy[2 * i + 1] = cy[c]! + randn();
  }
  return xy;
}

/**
 * The k nearest neighbours (self excluded) of every point, by a uniform grid: cells are searched
 * in growing square rings until the k-th distance found is within the searched radius.
 */
export function nearestNeighbours(xy: Float64Array, k: number): Int32Array {
  const n = xy.length / 2;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, xy[2 * i]!);
    maxX = Math.max(maxX, xy[2 * i]!);
    minY = Math.min(minY, xy[2 * i + 1]!);
    maxY = Math.max(maxY, xy[2 * i + 1]!);
  }
  const side = Math.max(1, Math.ceil(Math.sqrt(n / 2)));
  const w = Math.max(maxX - minX, maxY - minY, 1e-12) / side;
  const cellOf = (v: number, lo: number) => Math.min(side - 1, Math.floor((v - lo) / w));
  const cellStart = new Int32Array(side * side + 1);
  const cell = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    cell[i] = cellOf(xy[2 * i + 1]!, minY) * side + cellOf(xy[2 * i]!, minX);
    cellStart[cell[i]! + 1]!++;
  }
  for (let c = 0; c < side * side; c++) cellStart[c + 1]! += cellStart[c]!;
  const order = new Int32Array(n);
  const next = cellStart.slice(0, side * side);
  for (let i = 0; i < n; i++) order[next[cell[i]!]!++] = i;
  const out = new Int32Array(n * k);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const px = xy[2 * i]!;
    const py = xy[2 * i + 1]!;
    const cx = cellOf(px, minX);
    const cy = cellOf(py, minY);
    let found = 0;
    bestD.fill(Infinity);
    for (let ring = 0; ring <= side; ring++) {
      for (let gy = cy - ring; gy <= cy + ring; gy++) {
        if (gy < 0 || gy >= side) continue;
        for (let gx = cx - ring; gx <= cx + ring; gx++) {
          if (gx < 0 || gx >= side) continue;
          if (Math.max(Math.abs(gx - cx), Math.abs(gy - cy)) !== ring) continue;
          const c = gy * side + gx;
          for (let p = cellStart[c]!; p < cellStart[c + 1]!; p++) {
            const j = order[p]!;
            if (j === i) continue;
            const dx = xy[2 * j]! - px;
            const dy = xy[2 * j + 1]! - py;
            const dd = dx * dx + dy * dy;
            if (dd >= bestD[k - 1]!) continue;
            let s = k - 1;
            while (s > 0 && bestD[s - 1]! > dd) {
              bestD[s] = bestD[s - 1]!;
              bestI[s] = bestI[s - 1]!;
              s--;
            }
            bestD[s] = dd;
            bestI[s] = j;
            found++;
          }
        }
      }
      // Every point outside the searched rings is farther than ring·w from (px, py).
      if (found >= k && bestD[k - 1]! <= (ring * w) ** 2) break;
    }
    for (let s = 0; s < k; s++) out[i * k + s] = bestI[s]!;
  }
  return out;
}

/** dQP's generate_sparse_mat: ⌈5e-4·m·n⌉ N(0,1) entries, plus one in every row left empty. */
function sparseRandomMatrix(m: number, n: number, u: () => number, randn: () => number, density = 5e-4): CscMatrix {
  const count = Math.ceil(density * m * n);
  const rows: number[] = [];
  const seen = new Uint8Array(m);
  for (let k = 0; k < count; k++) {
    const i = Math.floor(u() * m);
    rows.push(i);
    seen[i] = 1;
  }
  for (let i = 0; i < m; i++) if (!seen[i]) rows.push(i);
  const cols = rows.map(() => Math.floor(u() * n));
  const vals = rows.map(() => randn());
  return CscMatrix.fromTriplets(m, n, rows, cols, vals);
}

/** dQP's random sparse QP (generate_random_spaqp): P is a graph Laplacian (singular). */
export function sparseProblem(n: number, seed = 5): BenchProblem {
  return timed(() => {
    const u = uniform(seed);
    const randn = normal(uniform(seed + 1000));
    const knn = nearestNeighbours(blobs(n, u, randn), 3);
    // Undirected 3-NN graph: edge {i, j} when j is among i's neighbours or i among j's.
    const edges = new Set<number>();
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    const degree = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < 3; s++) {
        const j = knn[i * 3 + s]!;
        const a = Math.max(i, j);
        const b = Math.min(i, j);
        const key = a * n + b;
        if (edges.has(key)) continue;
        edges.add(key);
        rows.push(a);
        cols.push(b);
        vals.push(-1);
        degree[a]!++;
        degree[b]!++;
      }
    }
    for (let i = 0; i < n; i++) {
      rows.push(i);
      cols.push(i);
      vals.push(degree[i]!);
    }
    const P = CscMatrix.fromTriplets(n, n, rows, cols, vals, { triangle: 'lower' });
    const q = new Float64Array(n);
    for (let i = 0; i < n; i++) q[i] = randn();
    const mIneq = n;
    const mEq = Math.ceil(n / 2);
    const G = sparseRandomMatrix(mIneq, n, u, randn);
    const E = sparseRandomMatrix(mEq, n, u, randn);
    const ones = new Float64Array(n).fill(1);
    const h = G.multiply(ones);
    const b = E.multiply(ones);
    const m = mIneq + mEq;
    const l = new Float64Array(m);
    const uu = new Float64Array(m);
    for (let i = 0; i < mIneq; i++) {
      l[i] = -Infinity;
      uu[i] = h[i]! + 1;
    }
    for (let i = 0; i < mEq; i++) {
      l[mIneq + i] = b[i]!;
      uu[mIneq + i] = b[i]!;
    }
    const problem: CanonicalProblem<Float64Array, CscMatrix> = { P, q, A: CscMatrix.vstack([G, E]), l, u: uu, name: `sparse-n${n}` };
    return { family: 'sparse', name: problem.name!, n, m, problem, positiveDefinite: false, denseP: false };
  });
}

/** Long-only mean-variance portfolio with a dense factor covariance. */
export function portfolioProblem(n: number, seed = 6, gamma = 1): BenchProblem {
  return timed(() => {
    const u = uniform(seed);
    const randn = normal(uniform(seed + 1000));
    const k = Math.ceil(n / 10);
    const F = new Float64Array(n * k);
    for (let t = 0; t < F.length; t++) F[t] = u() < 0.5 ? randn() : 0;
    const D = new Float64Array(n);
    for (let i = 0; i < n; i++) D[i] = u() * Math.sqrt(k);
    const mu = new Float64Array(n);
    for (let i = 0; i < n; i++) mu[i] = randn();
    // P = 2γ(FFᵀ + D), lower triangle.
    const S = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += F[i * k + t]! * F[j * k + t]!;
        S[i * n + j] = 2 * gamma * (s + (i === j ? D[i]! : 0));
      }
    }
    const colPtr = new Int32Array(n + 1);
    for (let j = 0; j < n; j++) colPtr[j + 1] = j + 1;
    const problem: CanonicalProblem<Float64Array, CscMatrix> = {
      P: denseLowerCsc(n, S),
      q: mu.map((v) => -v),
      A: new CscMatrix(1, n, colPtr, new Int32Array(n), new Float64Array(n).fill(1)),
      l: Float64Array.of(1),
      u: Float64Array.of(1),
      lb: new Float64Array(n),
      ub: new Float64Array(n).fill(Infinity),
      name: `portfolio-n${n}`,
    };
    return { family: 'portfolio', name: problem.name!, n, m: 1, problem, positiveDefinite: true, denseP: true };
  });
}

/**
 * One problem of a family at size `size` (n, except chain-dqp where it is the dimension d), with
 * its reference solution where the family has one, unless withReference is false.
 */
export function generate(family: FamilyName, size: number, withReference = true): BenchProblem {
  switch (family) {
    case 'simplex':
      return simplexProblem(size, undefined, withReference);
    case 'chain':
      return chainProblem(size, undefined, withReference);
    case 'chain-box':
      return chainBoxProblem(size, undefined, withReference);
    case 'chain-dqp':
      return chainDqpProblem(size);
    case 'dense':
      return denseProblem(size);
    case 'sparse':
      return sparseProblem(size);
    case 'portfolio':
      return portfolioProblem(size);
  }
}
