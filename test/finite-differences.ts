/**
 * Central finite differences of re-solved problems (docs/METHODS.md §9), shared by the gradient
 * tests: the loss ⟨c, x⟩ is re-evaluated by Ipopt at 1e-10 with one datum shifted along a
 * direction, and compared with the predicted ⟨∇L, δ⟩.
 */
import { strict as assert } from 'node:assert';
import { Problem } from '../lib/problem';
import { solveSync, Solution } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';

export const solveOptions = { solver: 'ipopt', epsAbs: 1e-10, epsRel: 1e-10 };

export function solveChecked(problem: Problem<Float64Array, CscMatrix>): Solution {
  const s = solveSync(problem, solveOptions);
  assert.ok(s.status === 'solved' || s.status === 'solvedInaccurate', `ipopt status ${s.status}`);
  assert.ok(s.primalResidual < 1e-8 && s.dualResidual < 1e-8, `ipopt residuals rp=${s.primalResidual} rd=${s.dualResidual}`);
  return s;
}

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** A direction on a data array: random on finite entries selected by `keep`, 0 elsewhere. */
export function direction(values: Float64Array, r: () => number, keep: (i: number) => boolean = () => true): Float64Array {
  return values.map((v, i) => (Number.isFinite(v) && keep(i) ? 2 * r() - 1 : 0));
}

export interface Check {
  name: string;
  predicted: number;
  fd: number;
}

/** Replaces the value arrays of the problem named by `set` and returns the loss. */
export function lossAt(
  problem: Problem<Float64Array, CscMatrix>,
  c: Float64Array,
  edit: (p: Record<string, unknown>, t: number) => void,
  t: number,
): number {
  const p = { ...(problem as unknown as Record<string, unknown>) };
  edit(p, t);
  return dot(c, solveChecked(p as unknown as Problem<Float64Array, CscMatrix>).x);
}

export function shifted(values: Float64Array, dir: Float64Array, t: number): Float64Array {
  return values.map((v, i) => (dir[i] === 0 ? v : v + t * dir[i]!));
}

export function withValues(M: CscMatrix, values: Float64Array): CscMatrix {
  return new CscMatrix(M.nrows, M.ncols, M.colPtr, M.rowIdx, values, M.triangle);
}

/** Finite-difference check of ⟨grad, δ⟩ for a vector datum (q, l, u, h, b, lb, ub). */
export function checkVector(
  problem: Problem<Float64Array, CscMatrix>,
  c: Float64Array,
  key: string,
  dirs: Record<string, Float64Array>,
  grads: Record<string, Float64Array>,
  eps: number,
): Check {
  const keys = Object.keys(dirs);
  let predicted = 0;
  for (const k of keys) predicted += dot(grads[k]!, dirs[k]!);
  const edit = (p: Record<string, unknown>, t: number) => {
    for (const k of keys) p[k] = shifted(p[k] as Float64Array, dirs[k]!, t);
  };
  const fd = (lossAt(problem, c, edit, eps) - lossAt(problem, c, edit, -eps)) / (2 * eps);
  return { name: key, predicted, fd };
}

/** Finite-difference check for a matrix datum's stored values (P, A, G). */
export function checkMatrix(
  problem: Problem<Float64Array, CscMatrix>,
  c: Float64Array,
  key: string,
  dir: Float64Array,
  grad: Float64Array,
  eps: number,
): Check {
  const M = (problem as unknown as Record<string, CscMatrix>)[key]!;
  const edit = (p: Record<string, unknown>, t: number) => {
    p[key] = withValues(M, shifted(M.values, dir, t));
  };
  const fd = (lossAt(problem, c, edit, eps) - lossAt(problem, c, edit, -eps)) / (2 * eps);
  return { name: key, predicted: dot(grad, dir), fd };
}

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-6);
}
