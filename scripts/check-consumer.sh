#!/usr/bin/env bash
# npm run check:consumer — the package as a consumer gets it: `npm pack`, the tarball installed
# into a fresh project, a CommonJS and an ES module program written against the README's API
# compiled with `tsc --strict` (module nodenext, so through the `exports` map; the CJS one also
# with the classic `moduleResolution: node`, through `types`), then both run and check their
# answers against closed forms.
#
# Packing and installing: scripts/consumer-project.sh (offline; DIFFQP_CONSUMER_KEEP=1 keeps the project).
set -euo pipefail

who=check-consumer
# shellcheck source=scripts/consumer-project.sh
source "$(dirname "${BASH_SOURCE[0]}")/consumer-project.sh"

# 3. The README's API, once per module system. Checked against closed forms:
#    min (x1 − 1)² + (x2 − 2.5)²  s.t.  x1 + x2 ≤ 1   →   x = (−0.25, 1.25), y = 2.5,
#    and with dL/dx = (1, 0): dL/dq = −(K⁻¹)₁ = (−0.25, 0.25) (a 2×2 KKT system solved by hand).
#    diffqp/tfjs: the same problem with q a tensor gives the same x and dq through tf.grad.
body() {
  cat <<'EOF'
const P = CscMatrix.fromDense([[2, 0], [0, 2]], { triangle: 'lower' });
const A = CscMatrix.fromDense([[1, 1]]);
const problem = { P, q: Float64Array.of(-2, -5), A, l: Float64Array.of(-Infinity), u: Float64Array.of(1) };
const near = (what: string, got: ArrayLike<number>, want: number[], tol = 1e-6): void => {
  want.forEach((w, i) => {
    if (!(Math.abs(got[i]! - w) <= tol)) throw new Error(`${what}[${i}] = ${got[i]}, expected ${w}`);
  });
};

async function main(): Promise<void> {
  const keys: string[] = availableSolvers().map((s: SolverInfo) => s.key);
  if (!keys.includes('ipm')) throw new Error(`availableSolvers(): ${keys.join(', ')}`);

  const sol = await solve(problem, { differentiable: true });
  near('x', sol.x, [-0.25, 1.25]);
  near('y', sol.y, [2.5]);
  const g: Gradients = await differentiate(sol, { dx: Float64Array.of(1, 0) }, { method: 'kkt' });
  near('dq', g.dq!, [-0.25, 0.25]);
  sol.dispose();  // required by the type of a differentiable solution: compiles under --strict
  if (!sol.disposed) throw new Error('dispose() left the handle');

  const plain: Solution = solveSync(problem, { solver: 'admm', epsAbs: 1e-9, epsRel: 0 });
  near('admm x', plain.x, [-0.25, 1.25], 1e-5);
  try {
    await differentiate(plain, { dx: Float64Array.of(1, 0) });
    throw new Error('differentiate without a handle resolved');
  } catch (e) {
    if (!(e instanceof QpError) || e.code !== ErrorCode.NOT_DIFFERENTIABLE || !e.message.includes('differentiable: true')) throw e;
  }
  const explicit = await differentiate(problem, plain, { dx: Float64Array.of(1, 0) });
  near('dq (problem passed)', explicit.dq!, [-0.25, 0.25], 1e-4);

  // Plain arrays for vectors and seeds, a structuredClone'd matrix, CscMatrix.from: the same answer.
  const cloned: CscMatrixLike = structuredClone(A);
  const like: Problem = { P: CscMatrix.from({ ...P, colPtr: [0, 1, 2], rowIdx: [0, 1], values: [2, 2] }), q: [-2, -5], A: cloned, u: [1] };
  const fromPlain = solveSync(like, { differentiable: true });
  near('x (plain arrays)', fromPlain.x, [-0.25, 1.25]);
  near('dq (plain arrays)', differentiateSync(fromPlain, { dx: [1, 0] }).dq!, [-0.25, 0.25]);
  fromPlain.dispose();

  // min x1 + 2 x2 + ½(x1² + x2²)  s.t.  x1 + x2 ≥ 1, x ≥ 0   →   x = (1, 0), objective 1.5.
  const qps = ['NAME QPSTEST', 'ROWS', ' N  obj', ' G  c1', 'COLUMNS', '    x1  obj  1  c1  1', '    x2  obj  2  c1  1',
    'RHS', '    rhs  c1  1', 'QUADOBJ', '    x1  x1  1', '    x2  x2  1', 'ENDATA', ''].join('\n');
  const parsed: QpsProblem = parseQps(qps);
  const file = join(tmpdir(), `diffqp-consumer-${process.pid}.qps`);
  writeFileSync(file, qps);
  try {
    const read: QpsProblem = await readQps(file);
    for (const p of [parsed, read]) {
      const s = solveSync(p);
      near(`${p.name} x`, s.x, [1, 0]);
      if (Math.abs(s.objective - 1.5) > 1e-6) throw new Error(`${p.name} objective ${s.objective}`);
    }
  } finally {
    unlinkSync(file);
  }
  checkTfjs();
}

function checkTfjs(): void {
  const layer = qpLayer({ n: 2, P, A, l: [-Infinity], u: [1] });
  const q = tf.tensor2d([[-2, -5]]);
  near('tfjs x', layer({ q }).dataSync(), [-0.25, 1.25], 1e-5);
  // tf.grad with dy = ∂L/∂x: the layer's own gradient only (tfjs-core's CommonJS build has none of tf's ops).
  const dq = tf.grad((qq: tf.Tensor) => layer({ q: qq }))(q, tf.tensor2d([[1, 0]]));
  near('tfjs dq', dq.dataSync(), [-0.25, 0.25], 1e-5);
}
EOF
}
tfjsImports() {
  echo "import '@tensorflow/tfjs-backend-cpu';"
  echo "import * as tf from '@tensorflow/tfjs-core';"
  echo "import { qpLayer } from 'diffqp/tfjs';"
}
{
  echo "import { availableSolvers, CscMatrix, CscMatrixLike, differentiate, differentiateSync, ErrorCode, Gradients, parseQps, Problem, QpError, QpsProblem, readQps, Solution, SolverInfo, solve, solveSync } from 'diffqp';"
  echo "import { unlinkSync, writeFileSync } from 'node:fs';"
  echo "import { tmpdir } from 'node:os';"
  echo "import { join } from 'node:path';"
  tfjsImports
  body
  echo "main().then(() => console.log('cjs: ok'), (e: unknown) => { console.error(e); process.exitCode = 1; });"
} >"$project/src/consumer.cts"
cp "$project/src/consumer.cts" "$project/src/consumer-node10.ts"
{
  echo "import { availableSolvers, CscMatrix, type CscMatrixLike, differentiate, differentiateSync, ErrorCode, type Gradients, parseQps, type Problem, QpError, type QpsProblem, readQps, type Solution, type SolverInfo, solve, solveSync } from 'diffqp';"
  echo "import { createRequire } from 'node:module';"
  echo "import { unlinkSync, writeFileSync } from 'node:fs';"
  echo "import { tmpdir } from 'node:os';"
  echo "import { join } from 'node:path';"
  tfjsImports
  body
  # One package in one process: the ESM entry re-exports the CJS build (instanceof holds across both).
  echo "const cjs = createRequire(import.meta.url)('diffqp') as { QpError: unknown; solve: unknown };"
  echo "if (cjs.QpError !== QpError || cjs.solve !== solve) throw new Error('the ESM and CJS entries are two copies');"
  echo "if ((createRequire(import.meta.url)('diffqp/tfjs') as { qpLayer: unknown }).qpLayer !== qpLayer) throw new Error('the ESM and CJS diffqp/tfjs are two copies');"
  echo "await main();"
  echo "console.log('esm: ok');"
} >"$project/src/consumer.mts"

(cd "$project" && "${tsc[@]}" --strict --noEmitOnError --module nodenext --moduleResolution nodenext --target es2022 \
  --types "$types" --outDir out src/consumer.cts src/consumer.mts)
(cd "$project" && "${tsc[@]}" --strict --noEmit --module commonjs --moduleResolution node --target es2022 --esModuleInterop \
  --types "$types" src/consumer-node10.ts)
step "compiled (tsc --strict: nodenext CJS + ESM, node10 CJS)"

(cd "$project" && node out/consumer.cjs && node out/consumer.mjs)
step "ran both"
