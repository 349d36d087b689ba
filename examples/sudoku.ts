/**
 * Sudoku (OptNet, Amos & Kolter 2017; repeated by dQP): learn the equality constraints of 4×4
 * Sudoku from solved puzzles alone.
 *
 * A board is x ∈ R⁶⁴, x[16r + 4c + d] = 1 when cell (r, c) holds digit d. The layer solves
 *
 *   minimize ½ε‖x‖² − pᵀx   s.t.  A x = A x̄,  x ≥ 0
 *
 * where p is the puzzle one-hot (its givens), A (k × 64, dense) is learned from a random start,
 * and x̄ = ¼·1 (every digit equally likely in every cell) satisfies the true constraints with
 * right-hand side 1; b = A x̄ keeps every A feasible during training (OptNet fixes b = 1).
 * k is the rank of the true constraint matrix (one digit per cell, row, column and box). The
 * loss is the mean squared error between x and the solution's one-hot.
 */
import * as tf from '@tensorflow/tfjs';
import { CscMatrix } from '../lib/sparse';
import { qpLayer } from '../lib/tfjs';
import { ExampleOptions, ExampleResult, now, random, seconds, shuffle } from './common';
import { lineChart, writeSvg } from './svg';

const N = 4; // digits, rows, columns
const BOX = 2;
const NX = N * N * N;
const idx = (r: number, c: number, d: number) => N * N * r + N * c + d;

/** Every solved 4×4 board (there are 288), by backtracking. */
export function allBoards(): number[][] {
  const boards: number[][] = [];
  const cells = new Array<number>(N * N).fill(-1);
  const fits = (k: number, d: number) => {
    const r = Math.floor(k / N),
      c = k % N;
    for (let j = 0; j < k; j++) {
      const rj = Math.floor(j / N),
        cj = j % N;
      const sameBox = Math.floor(rj / BOX) === Math.floor(r / BOX) && Math.floor(cj / BOX) === Math.floor(c / BOX);
      if (cells[j] === d && (rj === r || cj === c || sameBox)) return false;
    }
    return true;
  };
  const place = (k: number) => {
    if (k === N * N) return void boards.push([...cells]);
    for (let d = 0; d < N; d++) {
      if (!fits(k, d)) continue;
      cells[k] = d;
      place(k + 1);
      cells[k] = -1;
    }
  };
  place(0);
  return boards;
}

/** The true constraint matrix (cell, row, column, box: 64 rows of four ones). */
export function sudokuConstraints(): number[][] {
  const rows: number[][] = [];
  const row = (ks: number[]) => rows.push(Array.from({ length: NX }, (_, j) => (ks.includes(j) ? 1 : 0)));
  const range = [...Array(N).keys()];
  for (const r of range) for (const c of range) row(range.map((d) => idx(r, c, d)));
  for (const d of range) for (const r of range) row(range.map((c) => idx(r, c, d)));
  for (const d of range) for (const c of range) row(range.map((r) => idx(r, c, d)));
  for (const d of range) {
    for (let b = 0; b < N; b++) {
      const r0 = BOX * Math.floor(b / BOX),
        c0 = BOX * (b % BOX);
      row(range.map((k) => idx(r0 + Math.floor(k / BOX), c0 + (k % BOX), d)));
    }
  }
  return rows;
}

/** Rank by Gaussian elimination with partial pivoting. */
export function rank(M: number[][]): number {
  const a = M.map((r) => [...r]);
  let rk = 0;
  for (let c = 0; c < (a[0]?.length ?? 0) && rk < a.length; c++) {
    let p = rk;
    for (let i = rk + 1; i < a.length; i++) if (Math.abs(a[i]![c]!) > Math.abs(a[p]![c]!)) p = i;
    if (Math.abs(a[p]![c]!) < 1e-9) continue;
    [a[rk], a[p]] = [a[p]!, a[rk]!];
    for (let i = rk + 1; i < a.length; i++) {
      const f = a[i]![c]! / a[rk]![c]!;
      for (let j = c; j < a[i]!.length; j++) a[i]![j]! -= f * a[rk]![j]!;
    }
    rk++;
  }
  return rk;
}

interface Puzzle {
  puzzle: Float32Array;
  solution: Float32Array;
}

/** Puzzles with `blanks` empty cells and exactly one solution among the 288 boards. */
function makePuzzles(count: number, blanks: number, r: () => number): Puzzle[] {
  const boards = allBoards();
  const out: Puzzle[] = [];
  while (out.length < count) {
    const board = boards[Math.floor(r() * boards.length)]!;
    const hidden = new Set(shuffle([...Array(N * N).keys()], r).slice(0, blanks));
    const unique = boards.filter((b) => b.every((d, k) => hidden.has(k) || d === board[k])).length === 1;
    if (!unique) continue;
    const puzzle = new Float32Array(NX),
      solution = new Float32Array(NX);
    board.forEach((d, k) => {
      solution[idx(Math.floor(k / N), k % N, d)] = 1;
      if (!hidden.has(k)) puzzle[idx(Math.floor(k / N), k % N, d)] = 1;
    });
    out.push({ puzzle, solution });
  }
  return out;
}

const stack = (ps: Puzzle[], key: 'puzzle' | 'solution') =>
  tf.tensor2d(Float32Array.from(ps.flatMap((p) => Array.from(p[key]))), [ps.length, NX]);

/** Fraction of boards whose arg-max digit is right in every cell. */
function boardAccuracy(x: tf.Tensor2D, ps: Puzzle[]): number {
  const xs = x.arraySync();
  let right = 0;
  ps.forEach((p, b) => {
    let ok = true;
    for (let cell = 0; cell < N * N && ok; cell++) {
      let best = 0;
      for (let d = 1; d < N; d++) if (xs[b]![cell * N + d]! > xs[b]![cell * N + best]!) best = d;
      ok = p.solution[cell * N + best] === 1;
    }
    if (ok) right++;
  });
  return right / ps.length;
}

export interface SudokuSize {
  train: number;
  test: number;
  epochs: number;
  batch: number;
  blanks: number;
  lr: number;
  /** The learning rate at the last epoch, reached geometrically. */
  lrEnd: number;
  eps: number;
}

export function runSudoku(opts: ExampleOptions, tune: Partial<SudokuSize> = {}): ExampleResult {
  const { log } = opts;
  const size: SudokuSize = {
    ...(opts.small
      ? { train: 64, test: 32, epochs: 60, batch: 16, blanks: 6, lr: 0.1, lrEnd: 0.01, eps: 0.5 }
      : { train: 1000, test: 200, epochs: 30, batch: 50, blanks: 8, lr: 0.1, lrEnd: 0.01, eps: 0.5 }),
    ...tune,
  };
  const r = random(opts.seed);
  const truth = sudokuConstraints();
  const k = rank(truth);
  const eps = size.eps;
  log(
    `sudoku: 4×4 boards, ${size.train} training and ${size.test} test puzzles with ${size.blanks} blanks; A is ${k}×${NX} (the rank of the true 64×${NX} constraints), random start; ε = ${eps}`,
  );

  const train = makePuzzles(size.train, size.blanks, r);
  const test = makePuzzles(size.test, size.blanks, r);
  const layer = qpLayer(
    {
      n: NX,
      P: CscMatrix.identity(NX, eps, 'lower'),
      A: CscMatrix.fromDense(Array.from({ length: k }, () => new Array<number>(NX).fill(1))),
      lb: new Float64Array(NX),
    },
    // A learned A can be ill-conditioned for a step: accept ipm's 'solvedInaccurate' rather than stop training.
    { inputs: ['q', 'A', 'l', 'u'], solver: 'ipm', threads: 2, allowInaccurate: true, solveOptions: { maxIter: 1000 } },
  );
  const A = tf.variable(
    tf.tensor2d(
      Float32Array.from({ length: k * NX }, () => r()),
      [k, NX],
    ),
  );
  const forward = (puzzles: tf.Tensor2D) => {
    const aValues = tf.reshape(tf.transpose(A), [-1]); // CSC of a dense matrix: column by column
    const b = tf.mul(tf.sum(A, 1), 1 / N); // A x̄ with x̄ = ¼·1
    return layer({ q: tf.neg(puzzles), A: aValues, l: b, u: b });
  };
  const mse = (ps: Puzzle[]) =>
    tf.tidy(() => tf.mean(tf.square(tf.sub(forward(stack(ps, 'puzzle')), stack(ps, 'solution')))).dataSync()[0]!);

  const optimizer = tf.train.adam(size.lr);
  const losses = [mse(train)];
  const t0 = now();
  log(`sudoku: epoch 0  train mse ${losses[0]!.toExponential(3)}`);
  for (let epoch = 1; epoch <= size.epochs; epoch++) {
    // tf's Adam reads its rate at every step: decay it by setting the field.
    (optimizer as unknown as { learningRate: number }).learningRate =
      size.lr * (size.lrEnd / size.lr) ** ((epoch - 1) / Math.max(1, size.epochs - 1));
    shuffle(train, r);
    for (let s = 0; s < train.length; s += size.batch) {
      const ps = train.slice(s, s + size.batch);
      tf.tidy(() => {
        const puzzles = stack(ps, 'puzzle'),
          solutions = stack(ps, 'solution');
        optimizer.minimize(() => tf.mean(tf.square(tf.sub(forward(puzzles), solutions))), false, [A]);
      });
    }
    losses.push(mse(train));
    if (epoch % Math.max(1, Math.floor(size.epochs / 10)) === 0 || epoch === size.epochs)
      log(`sudoku: epoch ${epoch}  train mse ${losses[epoch]!.toExponential(3)}  (${seconds(t0).toFixed(1)} s)`);
  }
  const testMse = mse(test);
  const accuracy = tf.tidy(() => boardAccuracy(forward(stack(test, 'puzzle')), test));
  // The same layer with the true constraints (b = 1): what a perfect A would give at this ε.
  const [trueMse, trueAccuracy] = tf.tidy(() => {
    const exact = qpLayer({
      n: NX,
      P: CscMatrix.identity(NX, eps, 'lower'),
      A: CscMatrix.fromDense(truth),
      l: new Float64Array(truth.length).fill(1),
      u: new Float64Array(truth.length).fill(1),
      lb: new Float64Array(NX),
    });
    const x = exact({ q: tf.neg(stack(test, 'puzzle')) });
    return [tf.mean(tf.square(tf.sub(x, stack(test, 'solution')))).dataSync()[0]!, boardAccuracy(x, test)];
  });
  log(
    `sudoku: test mse ${testMse.toExponential(3)}, boards solved ${(100 * accuracy).toFixed(1)}% (the true constraints: mse ${trueMse.toExponential(3)}, ${(100 * trueAccuracy).toFixed(1)}%); ${seconds(t0).toFixed(1)} s`,
  );
  const svg = writeSvg(
    opts.out,
    'sudoku.svg',
    lineChart('Sudoku 4×4: learning A of OptNet’s QP layer', 'epoch', 'training MSE', [{ name: 'train MSE', values: losses }]),
  );
  log(`sudoku: wrote ${svg}`);
  A.dispose();
  optimizer.dispose();
  return {
    losses,
    initialLoss: losses[0]!,
    finalLoss: losses[losses.length - 1]!,
    svgs: [svg],
    metrics: { testMse, accuracy, trueMse, trueAccuracy, rank: k, seconds: seconds(t0) },
  };
}
