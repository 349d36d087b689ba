/**
 * Portfolio (as in BPQP and dXPP): learn expected returns end to end through a
 * mean-variance QP, and compare the backward methods.
 *
 * Generated market: n assets, d features per period, f_t ~ N(0, I); expected returns
 * μ_t = W* f_t; realised returns r_t = μ_t + σ ε_t; covariance Σ = F Fᵀ + D (three factors).
 * The layer solves, for the predicted μ̂_t = W f_t (W learned, a tf variable),
 *
 *   minimize ½ γ xᵀ Σ x − μ̂_tᵀ x   s.t.  1ᵀx = 1,  0 ≤ x ≤ x_max,
 *
 * and training minimises the decision regret on the realised returns,
 * U_r(x*(r_t)) − U_r(x̂_t) with U_r(x) = rᵀx − ½ γ xᵀΣx. What the example reports (and the test
 * asserts on) is the regret on the expected returns μ_t, which a perfect W brings to 0.
 * The same training runs once per backward method: kkt (dQP), penalty (dXPP), qp (BPQP).
 */
import * as tf from '@tensorflow/tfjs';
import { solveBatchSync } from '../lib/batch';
import { DifferentiateMethod } from '../lib/differentiate';
import { CscMatrix } from '../lib/sparse';
import { qpLayer } from '../lib/tfjs';
import { ExampleOptions, ExampleResult, normal, now, random, seconds } from './common';
import { lineChart, writeSvg } from './svg';

export interface PortfolioSize {
  assets: number;
  features: number;
  periods: number;
  epochs: number;
  batch: number;
  /** Noise of realised returns relative to the spread of expected ones. */
  noise: number;
  lr: number;
  methods: DifferentiateMethod[];
}

interface Market {
  f: Float32Array; // periods × features
  mu: Float32Array; // periods × assets (expected)
  r: Float32Array; // periods × assets (realised)
  sigma: number[][]; // assets × assets
}

function market(size: PortfolioSize, rnd: () => number): Market {
  const { assets: n, features: d, periods: T } = size;
  const W = Array.from({ length: d * n }, () => normal(rnd) / Math.sqrt(d));
  const F = Array.from({ length: n }, () => [0, 1, 2].map(() => 0.5 * normal(rnd)));
  const sigma = F.map((a, i) => F.map((b, j) => a.reduce((s, v, k) => s + v * b[k]!, 0) + (i === j ? 0.2 + 0.3 * rnd() : 0)));
  const f = Float32Array.from({ length: T * d }, () => normal(rnd));
  const mu = new Float32Array(T * n),
    r = new Float32Array(T * n);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < n; j++) {
      let m = 0;
      for (let k = 0; k < d; k++) m += f[t * d + k]! * W[k * n + j]!;
      mu[t * n + j] = m;
      r[t * n + j] = m + size.noise * normal(rnd);
    }
  }
  return { f, mu, r, sigma };
}

export function runPortfolio(opts: ExampleOptions, tune: Partial<PortfolioSize> = {}): ExampleResult {
  const { log } = opts;
  const size: PortfolioSize = {
    ...(opts.small
      ? { assets: 8, features: 4, periods: 64, epochs: 30, batch: 16, noise: 0.3, lr: 0.05 }
      : { assets: 50, features: 10, periods: 1000, epochs: 20, batch: 50, noise: 0.3, lr: 0.02 }),
    methods: ['kkt', 'penalty', 'qp'],
    ...tune,
  };
  const { assets: n, features: d, periods: T } = size;
  const gamma = 2;
  const xMax = Math.max(2 / n, 0.25);
  const rnd = random(opts.seed);
  const m = market(size, rnd);
  log(
    `portfolio: ${n} assets, ${d} features, ${T} periods, noise ${size.noise}; γ = ${gamma}, 0 ≤ x ≤ ${xMax}; methods ${size.methods.join(', ')}`,
  );

  const structure = {
    n,
    P: CscMatrix.fromDense(
      m.sigma.map((row) => row.map((v) => gamma * v)),
      { triangle: 'lower' },
    ),
    A: CscMatrix.fromDense([new Array<number>(n).fill(1)]),
    l: [1],
    u: [1],
    lb: new Float64Array(n),
    ub: new Float64Array(n).fill(xMax),
  };
  const Sg = tf.tensor2d(
    m.sigma.flat().map((v) => gamma * v),
    [n, n],
  );
  const utility = (ret: tf.Tensor2D, x: tf.Tensor2D) =>
    tf.sub(tf.sum(tf.mul(ret, x), 1), tf.mul(0.5, tf.sum(tf.mul(tf.matMul(x, Sg), x), 1)));
  // The hindsight optimum of every period, for realised and for expected returns (float64 solves).
  const best = (ret: Float32Array) => {
    const { P, A, l, u, lb, ub } = structure;
    const data = { P, A, l, u, lb, ub };
    const sols = solveBatchSync(
      Array.from({ length: T }, (_, t) => ({ ...data, q: Float64Array.from(ret.subarray(t * n, (t + 1) * n), (v) => -v) })),
      { solver: 'ipm' },
    );
    return tf.tensor2d(Float32Array.from(sols.flatMap((s) => Array.from(s.x))), [T, n]);
  };
  const F = tf.tensor2d(m.f, [T, d]),
    MU = tf.tensor2d(m.mu, [T, n]),
    R = tf.tensor2d(m.r, [T, n]);
  const uMu = utility(MU, best(m.mu)),
    uR = utility(R, best(m.r));

  const W0 = Float32Array.from({ length: d * n }, () => 0.1 * normal(rnd));
  const curves: { name: string; values: number[] }[] = [];
  const metrics: Record<string, number> = {};
  for (const method of size.methods) {
    const layer = qpLayer(structure, { inputs: ['q'], method });
    const W = tf.variable(tf.tensor2d(W0, [d, n]));
    const decide = (rows: tf.Tensor2D) => layer({ q: tf.neg(tf.matMul(rows, W)) });
    const regret = () => tf.tidy(() => tf.mean(tf.sub(uMu, utility(MU, decide(F)))).dataSync()[0]!);
    const optimizer = tf.train.adam(size.lr);
    const values = [regret()];
    const t0 = now();
    for (let epoch = 1; epoch <= size.epochs; epoch++) {
      for (let s = 0; s < T; s += size.batch) {
        const e = Math.min(T, s + size.batch);
        tf.tidy(() => {
          const rows = tf.slice(F, [s, 0], [e - s, d]);
          const ret = tf.slice(R, [s, 0], [e - s, n]);
          const hindsight = tf.slice(uR, [s], [e - s]);
          optimizer.minimize(() => tf.mean(tf.sub(hindsight, utility(ret as tf.Tensor2D, decide(rows as tf.Tensor2D)))), false, [W]);
        });
      }
      values.push(regret());
    }
    const took = seconds(t0);
    // The layer's own clock: the seconds inside its batch solves (training steps and regret
    // evaluations) and inside its batch differentiations (one per training step), per QP.
    const st = layer.stats;
    const backwardUs = (1e6 * st.backwardSeconds) / st.backwardProblems;
    const forwardUs = (1e6 * st.forwardSeconds) / st.forwardProblems;
    log(
      `portfolio: ${method.padEnd(7)} expected regret ${values[0]!.toExponential(3)} → ${values[values.length - 1]!.toExponential(3)} in ${size.epochs} epochs, ${took.toFixed(2)} s; ` +
        `backward ${backwardUs.toFixed(0)} µs per QP (forward ${forwardUs.toFixed(0)} µs per QP)`,
    );
    curves.push({ name: method, values });
    metrics[`${method}Seconds`] = took;
    metrics[`${method}BackwardUs`] = backwardUs;
    metrics[`${method}Final`] = values[values.length - 1]!;
    W.dispose();
    optimizer.dispose();
  }
  tf.dispose([Sg, F, MU, R, uMu, uR]);
  const svg = writeSvg(
    opts.out,
    'portfolio.svg',
    lineChart('Portfolio: expected regret of the learned returns, per backward method', 'epoch', 'expected regret', curves),
  );
  log(`portfolio: wrote ${svg}`);
  const first = curves[0]!.values;
  return { losses: first, initialLoss: first[0]!, finalLoss: first[first.length - 1]!, svgs: [svg], metrics };
}
