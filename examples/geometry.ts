/**
 * Bi-level geometry (after dQP's geometry experiment): a triangle-mesh embedding solved as a QP,
 * its edge weights optimised through the QP's gradient until the embedding meets a target.
 *
 * Inner problem (Tutte's embedding with weights): a disc-topology mesh (a g×g grid of squares,
 * each cut into two triangles, (g+1)² vertices) has its boundary vertices pinned on the unit
 * circle; the interior vertices X_I minimise the weighted spring energy
 *
 *   ½ Σ_edges w_e ‖X_i − X_j‖²  =  ½ X_Iᵀ L_II X_I + (L_IB X_B)ᵀ X_I + const,
 *
 * a QP per coordinate with P = L_II (the weighted Laplacian's interior block, positive definite)
 * and q = L_IB X_B. Both coordinates are one batch of two QPs sharing P (solveBatchSync,
 * differentiateBatchSync).
 * Outer problem: w = exp(θ), minimise ½‖X_I(w) − X*‖² by Adam on θ, where X* is the embedding
 * of hidden weights w* (a smooth field over the mesh), so the target is reachable. The
 * gradient with respect to θ is the chain rule through dP (on P's stored values) and dq,
 * from diffqp's differentiate: no TensorFlow.js here.
 */
import { differentiateBatchSync, solveBatchSync } from '../lib/batch';
import { CanonicalProblem } from '../lib/problem';
import { CscMatrix } from '../lib/sparse';
import { ExampleOptions, ExampleResult, now, seconds } from './common';
import { lineChart, meshPanels, writeSvg } from './svg';

export interface GeometrySize {
  /** Squares per side: (g+1)² vertices. */
  grid: number;
  steps: number;
  lr: number;
}

interface Mesh {
  nv: number;
  /** Vertex pairs, 2 per edge. */
  edges: Int32Array;
  /** Grid position (u, v) ∈ [0, 1]² of each vertex. */
  uv: Float64Array;
  boundary: Uint8Array;
  /** Interior index of a vertex, or −1. */
  interior: Int32Array;
  ni: number;
  /** Boundary positions on the unit circle (x, y per vertex; interior entries unused). */
  xyB: Float64Array;
}

function gridMesh(g: number): Mesh {
  const nv = (g + 1) * (g + 1);
  const id = (i: number, j: number) => i * (g + 1) + j;
  const edges: number[] = [];
  for (let i = 0; i <= g; i++) {
    for (let j = 0; j <= g; j++) {
      if (j < g) edges.push(id(i, j), id(i, j + 1));
      if (i < g) edges.push(id(i, j), id(i + 1, j));
      if (i < g && j < g) edges.push(id(i, j), id(i + 1, j + 1)); // the diagonal that cuts the square
    }
  }
  const uv = new Float64Array(2 * nv),
    boundary = new Uint8Array(nv),
    interior = new Int32Array(nv).fill(-1),
    xyB = new Float64Array(2 * nv);
  let ni = 0;
  for (let i = 0; i <= g; i++) {
    for (let j = 0; j <= g; j++) {
      const v = id(i, j),
        u0 = j / g,
        v0 = i / g;
      uv[2 * v] = u0;
      uv[2 * v + 1] = v0;
      if (i === 0 || j === 0 || i === g || j === g) {
        boundary[v] = 1;
        // Arc length along the square's perimeter, counter-clockwise from (0, 0), onto the circle.
        const s = v0 === 0 ? u0 : u0 === 1 ? 1 + v0 : v0 === 1 ? 3 - u0 : 4 - v0;
        xyB[2 * v] = Math.cos((Math.PI / 2) * s - (3 * Math.PI) / 4);
        xyB[2 * v + 1] = Math.sin((Math.PI / 2) * s - (3 * Math.PI) / 4);
      } else {
        interior[v] = ni++;
      }
    }
  }
  return { nv, edges: Int32Array.from(edges), uv, boundary, interior, ni, xyB };
}

/**
 * The map from edge weights to the QP's data: P = L_II on a fixed lower-triangle pattern, and q
 * per coordinate. Each edge adds +w to its interior ends' diagonals, −w at (i, j) when both ends
 * are interior, and −w·X_B[j] to q_i when j is on the boundary.
 */
class SpringQp {
  readonly P: CscMatrix;
  /** Per edge: the indices into P.values of its +w and −w entries (−1: none). */
  private readonly plus: Int32Array;
  private readonly minus: Int32Array;

  constructor(readonly mesh: Mesh) {
    const { edges, interior, ni } = mesh;
    const ne = edges.length / 2;
    const cols: Map<number, number>[] = Array.from({ length: ni }, (_, c) => new Map([[c, 0]]));
    for (let e = 0; e < ne; e++) {
      const a = interior[edges[2 * e]!]!,
        b = interior[edges[2 * e + 1]!]!;
      if (a >= 0 && b >= 0) cols[Math.min(a, b)]!.set(Math.max(a, b), 0);
    }
    const colPtr = new Int32Array(ni + 1),
      rows: number[] = [];
    const where = cols.map((c, j) => {
      const sorted = [...c.keys()].sort((x, y) => x - y);
      const at = new Map<number, number>();
      sorted.forEach((r) => (at.set(r, rows.length), rows.push(r)));
      colPtr[j + 1] = rows.length;
      return at;
    });
    this.P = new CscMatrix(ni, ni, colPtr, Int32Array.from(rows), new Float64Array(rows.length), 'lower');
    this.plus = new Int32Array(2 * ne).fill(-1);
    this.minus = new Int32Array(ne).fill(-1);
    for (let e = 0; e < ne; e++) {
      const a = interior[edges[2 * e]!]!,
        b = interior[edges[2 * e + 1]!]!;
      if (a >= 0) this.plus[2 * e] = where[a]!.get(a)!;
      if (b >= 0) this.plus[2 * e + 1] = where[b]!.get(b)!;
      if (a >= 0 && b >= 0) this.minus[e] = where[Math.min(a, b)]!.get(Math.max(a, b))!;
    }
  }

  /** The two problems (x and y coordinates) for weights w. */
  problems(w: Float64Array): CanonicalProblem<Float64Array, CscMatrix>[] {
    const { edges, interior, ni, xyB } = this.mesh;
    const values = new Float64Array(this.P.values.length);
    const qx = new Float64Array(ni),
      qy = new Float64Array(ni);
    for (let e = 0; e < w.length; e++) {
      for (const s of [0, 1]) {
        const k = this.plus[2 * e + s]!;
        if (k < 0) continue;
        values[k]! += w[e]!;
        const other = edges[2 * e + 1 - s]!;
        if (interior[other]! < 0) {
          const i = interior[edges[2 * e + s]!]!;
          qx[i]! -= w[e]! * xyB[2 * other]!;
          qy[i]! -= w[e]! * xyB[2 * other + 1]!;
        }
      }
      if (this.minus[e]! >= 0) values[this.minus[e]!]! -= w[e]!;
    }
    const P = new CscMatrix(ni, ni, this.P.colPtr, this.P.rowIdx, values, 'lower');
    return [
      { P, q: qx },
      { P, q: qy },
    ];
  }

  /** ∂L/∂w from the gradients of the two problems (dP on P's values, dq). */
  weightGradient(w: Float64Array, dP: Float64Array[], dq: Float64Array[]): Float64Array {
    const { edges, interior, xyB } = this.mesh;
    const g = new Float64Array(w.length);
    for (let e = 0; e < w.length; e++) {
      let sum = 0;
      for (const s of [0, 1]) {
        const k = this.plus[2 * e + s]!;
        if (k < 0) continue;
        sum += dP[0]![k]! + dP[1]![k]!;
        const other = edges[2 * e + 1 - s]!;
        if (interior[other]! < 0) {
          const i = interior[edges[2 * e + s]!]!;
          sum -= xyB[2 * other]! * dq[0]![i]! + xyB[2 * other + 1]! * dq[1]![i]!;
        }
      }
      if (this.minus[e]! >= 0) sum -= dP[0]![this.minus[e]!]! + dP[1]![this.minus[e]!]!;
      g[e] = sum;
    }
    return g;
  }
}

/** Every vertex's position: the boundary's, and the interior's from the two solutions. */
function positions(mesh: Mesh, x: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  const xy = Float64Array.from(mesh.xyB);
  for (let v = 0; v < mesh.nv; v++) {
    const i = mesh.interior[v]!;
    if (i >= 0) {
      xy[2 * v] = x[i]!;
      xy[2 * v + 1] = y[i]!;
    }
  }
  return xy;
}

export function runGeometry(opts: ExampleOptions, tune: Partial<GeometrySize> = {}): ExampleResult {
  const { log } = opts;
  const size: GeometrySize = { ...(opts.small ? { grid: 12, steps: 150, lr: 0.05 } : { grid: 100, steps: 300, lr: 0.05 }), ...tune };
  const mesh = gridMesh(size.grid);
  const qp = new SpringQp(mesh);
  const ne = mesh.edges.length / 2;
  log(
    `geometry: ${mesh.nv} vertices (${mesh.ni} interior), ${ne} edges; P is ${mesh.ni}×${mesh.ni} with ${qp.P.values.length} stored entries; ${size.steps} Adam steps, rate ${size.lr}`,
  );

  // Hidden weights: a smooth field over the mesh, e^{±1.2}.
  const wStar = new Float64Array(ne);
  for (let e = 0; e < ne; e++) {
    const a = mesh.edges[2 * e]!,
      b = mesh.edges[2 * e + 1]!;
    const u = (mesh.uv[2 * a]! + mesh.uv[2 * b]!) / 2,
      v = (mesh.uv[2 * a + 1]! + mesh.uv[2 * b + 1]!) / 2;
    wStar[e] = Math.exp(1.2 * Math.sin(2 * Math.PI * u) * Math.cos(Math.PI * v));
  }
  const solve = (w: Float64Array) => {
    const sols = solveBatchSync(qp.problems(w), { solver: 'ipm', differentiable: true, threads: 2 });
    sols.forEach((s, k) => {
      if (s.status !== 'solved') throw new Error(`geometry: the ${'xy'[k]} coordinate's QP ended '${s.status}'`);
    });
    return sols;
  };
  const target = solve(wStar);
  const Xt = target.map((s) => Float64Array.from(s.x));
  target.forEach((s) => s.dispose());

  const theta = new Float64Array(ne); // w = 1: the uniform Tutte embedding
  const m1 = new Float64Array(ne),
    m2 = new Float64Array(ne);
  const losses: number[] = [];
  let first: Float64Array | undefined, last: Float64Array | undefined;
  const t0 = now();
  let solveSeconds = 0,
    backwardSeconds = 0;
  for (let step = 0; step <= size.steps; step++) {
    const w = theta.map(Math.exp);
    const ts = now();
    const sols = solve(w);
    solveSeconds += seconds(ts);
    const residual = sols.map((s, k) => Float64Array.from(s.x, (v, i) => v - Xt[k]![i]!));
    losses.push(0.5 * residual.reduce((sum, r) => sum + r.reduce((a, v) => a + v * v, 0), 0));
    if (step === 0) first = positions(mesh, sols[0]!.x, sols[1]!.x);
    if (step === size.steps) {
      last = positions(mesh, sols[0]!.x, sols[1]!.x);
      sols.forEach((s) => s.dispose());
      break;
    }
    const tb = now();
    const grads = differentiateBatchSync(
      sols,
      residual.map((dx) => ({ dx })),
      { wrt: ['P', 'q'], threads: 2 },
    );
    backwardSeconds += seconds(tb);
    sols.forEach((s) => s.dispose());
    const gw = qp.weightGradient(
      w,
      grads.map((g) => g.dP!),
      grads.map((g) => g.dq!),
    );
    // Adam on θ = log w (β₁ 0.9, β₂ 0.999).
    const t = step + 1;
    for (let e = 0; e < ne; e++) {
      const g = gw[e]! * w[e]!;
      m1[e] = 0.9 * m1[e]! + 0.1 * g;
      m2[e] = 0.999 * m2[e]! + 0.001 * g * g;
      theta[e]! -= (size.lr * (m1[e]! / (1 - 0.9 ** t))) / (Math.sqrt(m2[e]! / (1 - 0.999 ** t)) + 1e-12);
    }
    if (step % Math.max(1, Math.floor(size.steps / 10)) === 0)
      log(`geometry: step ${step}  ½‖X − X*‖² ${losses[step]!.toExponential(3)}  (${seconds(t0).toFixed(1)} s)`);
  }
  const initialLoss = losses[0]!,
    finalLoss = losses[losses.length - 1]!;
  log(
    `geometry: ½‖X − X*‖² ${initialLoss.toExponential(3)} → ${finalLoss.toExponential(3)} (${(initialLoss / finalLoss).toFixed(1)}× lower) in ${size.steps} steps, ${seconds(t0).toFixed(1)} s (forward solves ${solveSeconds.toFixed(1)} s, backward ${backwardSeconds.toFixed(1)} s)`,
  );
  const targetXY = positions(mesh, Xt[0]!, Xt[1]!);
  const meshSvg = writeSvg(
    opts.out,
    'geometry-mesh.svg',
    meshPanels(
      `Weighted Tutte embedding, ${mesh.nv} vertices: before and after optimising the edge weights`,
      mesh.edges,
      [
        [
          { xy: targetXY, colour: '#d62728', name: 'target' },
          { xy: first!, colour: '#1f77b4', name: 'uniform weights' },
        ],
        [
          { xy: targetXY, colour: '#d62728', name: 'target' },
          { xy: last!, colour: '#1f77b4', name: 'optimised weights' },
        ],
      ],
      [
        `before: uniform weights (blue) and target (red), loss ${initialLoss.toExponential(2)}`,
        `after ${size.steps} steps: loss ${finalLoss.toExponential(2)}`,
      ],
    ),
  );
  const curve = writeSvg(
    opts.out,
    'geometry-loss.svg',
    lineChart('Bi-level geometry: distance of the embedding to the target', 'Adam step', '½‖X − X*‖²', [{ name: 'loss', values: losses }]),
  );
  log(`geometry: wrote ${meshSvg}, ${curve}`);
  return {
    losses,
    initialLoss,
    finalLoss,
    svgs: [meshSvg, curve],
    metrics: { vertices: mesh.nv, edges: ne, seconds: seconds(t0), solveSeconds, backwardSeconds },
  };
}
