/**
 * The duality gap diffqp reports is the gap of the vectors it returns, not the round-off of
 * adding terms as large as the objective: checked against the same sum done in exact
 * (BigInt) arithmetic, in the test, on a problem whose gap is a tiny difference of large terms.
 */
import { strict as assert } from 'node:assert';
import { solve } from '../lib/solve';
import { CscMatrix } from '../lib/sparse';
import { f64, rng } from './helpers';

/** A double as num · 2^exp with num a BigInt (exact). */
interface Exact {
  num: bigint;
  exp: number;
}

function exact(v: number): Exact {
  if (v === 0) return { num: 0n, exp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const hi = view.getUint32(0),
    lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased !== 0) mant |= 1n << 52n;
  const num = hi >>> 31 ? -mant : mant;
  return { num, exp: (biased === 0 ? 1 : biased) - 1075 };
}

const mul = (a: Exact, b: Exact): Exact => ({ num: a.num * b.num, exp: a.exp + b.exp });

function add(a: Exact, b: Exact): Exact {
  if (a.num === 0n) return b;
  if (b.num === 0n) return a;
  const exp = Math.min(a.exp, b.exp);
  return { num: (a.num << BigInt(a.exp - exp)) + (b.num << BigInt(b.exp - exp)), exp };
}

function toNumber(a: Exact): number {
  // Keep 64 significant bits, then let the float conversion round.
  const bits = a.num < 0n ? (-a.num).toString(2).length : a.num.toString(2).length;
  const drop = Math.max(0, bits - 64);
  return Number(a.num >> BigInt(drop)) * 2 ** (a.exp + drop);
}

describe('measuring a solution', () => {
  it('dualityGap is the exact gap of x, y, z to within round-off of the gap itself', async () => {
    // min ½‖x‖² + qᵀx  s.t.  Σx = s, x ≥ 0, with entries of q near −100: an objective of
    // about −10⁸ built from 20,000 terms of 10⁴, where a naive sum errs by ~10⁻⁶.
    const n = 20000;
    const next = rng(7);
    const q = new Float64Array(n).map(() => -100 - 10 * next());
    const P = CscMatrix.identity(n);
    const A = CscMatrix.fromDense([Array.from({ length: n }, () => 1)]);
    const problem = { P, q, A, l: f64([n * 90]), u: f64([n * 90]), lb: new Float64Array(n), ub: new Float64Array(n).fill(Infinity) };
    const sol = await solve(problem, { solver: 'ipm', epsAbs: 1e-9, epsRel: 0 });
    let gap = exact(0);
    let magnitude = 0;
    const term = (t: Exact) => {
      gap = add(gap, t);
      magnitude += Math.abs(toNumber(t));
    };
    for (let j = 0; j < n; j++) {
      term(mul(exact(sol.x[j]!), exact(sol.x[j]!))); // xᵀPx with P = I
      term(mul(exact(q[j]!), exact(sol.x[j]!)));
      // z: lb = 0 and ub = ∞, so z ≤ 0 and lb·z adds nothing.
      assert.ok(sol.z[j]! <= 0, `z[${j}] = ${sol.z[j]}`);
    }
    const y = sol.y[0]!;
    term(mul(exact(n * 90), exact(y))); // l = u: the side does not matter
    const reference = Math.abs(toNumber(gap));

    assert.ok(magnitude > 1e8, `the terms are large (Σ|terms| = ${magnitude})`);
    assert.ok(
      Math.abs(sol.dualityGap - reference) <= 1e-6 * reference + 1e-20 * magnitude,
      `reported gap ${sol.dualityGap} against exact ${reference} (Σ|terms| ${magnitude.toExponential(2)})`,
    );
  });

  it('primalResidual and dualResidual are those of x, y, z summed exactly (BOYD1-like rows)', async () => {
    // One row of 5,000 products near 1e6 (Σ about 1e10) whose naive sum carries round-off of ~1e-5, far
    // above a 1e-6 test: the reported r_p must be the exact |Ax − u|, and r_d the exact
    // |Px + q + Aᵀy + z|, both computed here in BigInt from the returned vectors.
    const n = 5000;
    const next = rng(23);
    const a = Array.from({ length: n }, () => 1e4 * (1 + next()));
    const A = CscMatrix.fromDense([a]);
    const q = new Float64Array(n).map(() => -100 * (1 + next()));
    // half of what x = −q would give: y ≠ 0, x_j of about 10², products of about 10⁶
    let full = 0;
    for (let j = 0; j < n; j++) full += a[j]! * -q[j]!;
    const target = Math.round(full / 2);
    const problem = { P: CscMatrix.identity(n), q, A, l: f64([target]), u: f64([target]) };
    const sol = await solve(problem, { solver: 'ipm', epsAbs: 1e-6, epsRel: 0 });
    let ax = exact(-target);
    let magnitude = 0;
    for (let j = 0; j < n; j++) {
      const t = mul(exact(a[j]!), exact(sol.x[j]!));
      ax = add(ax, t);
      magnitude += Math.abs(toNumber(t));
    }
    const rp = Math.abs(toNumber(ax));
    // whatever the status: the measure must be exact for any x, y, z returned
    assert.ok(magnitude > 1e9, `the terms are large (Σ|terms| = ${magnitude})`);
    assert.ok(
      Math.abs(sol.primalResidual - rp) <= 1e-12 * Math.max(rp, 1e-300) + 1e-28 * magnitude,
      `reported r_p ${sol.primalResidual} against exact ${rp}`,
    );
    let rd = 0;
    for (let j = 0; j < n; j++) {
      // P = I: x_j + q_j + a_j·y + z_j (z = 0: no bounds)
      const r = add(add(exact(sol.x[j]!), exact(q[j]!)), add(mul(exact(a[j]!), exact(sol.y[0]!)), exact(sol.z[j]!)));
      rd = Math.max(rd, Math.abs(toNumber(r)));
    }
    assert.ok(
      Math.abs(sol.dualResidual - rd) <= 1e-12 * Math.max(rd, 1e-300) + 1e-30,
      `reported r_d ${sol.dualResidual} against exact ${rd}`,
    );
  });
});
