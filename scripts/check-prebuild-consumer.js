// The program scripts/check-prebuild.sh runs inside its bare Debian root, from a project that has
// the packed diffqp installed: every solver solves and differentiates a QP whose answer is known,
// and no shared library may come from outside node_modules/diffqp/ but the C/C++ runtime, neither
// in `ldd` of the prebuild's files nor in this process's /proc/self/maps after the solves.
// Plain CommonJS with no dependency but diffqp: the root has nothing else.
//
//   node check-prebuild-consumer.js                          every solver present and working
//   DIFFQP_EXPECT_MISSING=ipopt node check-prebuild-consumer.js
//                                                            ipopt missing with a reason, the rest working
// Exit status 1 when anything failed; every failure is one line starting with "FAIL".
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const SOLVERS = ['ipm', 'admm', 'highs', 'ipopt', 'clp'];
// The C/C++ runtime a bare Debian root has anyway (libc6, libstdc++6, libgcc-s1).
const RUNTIME = /^(libc|libm|libstdc\+\+|libgcc_s|ld-linux(-[a-z0-9_-]+)?|libpthread|libdl|librt)\.so(\.[0-9]+)*$/;
// The shared objects, and the Clp plugin's worker executable (diffqp_clp_qp).
const SHARED = /(\.so(\.[0-9]+)*|\.node)$|^diffqp_\w+_qp$/;

const expectMissing = (process.env.DIFFQP_EXPECT_MISSING || '').split(',').filter(Boolean);
const failures = [];
const fail = (what) => {
  failures.push(what);
  console.log(`FAIL ${what}`);
};
const say = (what) => console.log(`  ${what}`);

const pkg = fs.realpathSync(path.dirname(require.resolve('diffqp/package.json')));
const inPackage = (file) => {
  let real = file;
  try {
    real = fs.realpathSync(file);
  } catch {
    // a file deleted since it was mapped: judge its recorded path
  }
  return real.startsWith(pkg + path.sep);
};
const allowed = (file) => inPackage(file) || RUNTIME.test(path.basename(file));

// 1. ldd of every shared object (and worker executable) the package ships (prebuilds/, and build/ if a local build ran).
function sharedFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && SHARED.test(e.name))
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}
function ldd() {
  const files = [...sharedFiles(path.join(pkg, 'prebuilds')), ...sharedFiles(path.join(pkg, 'build'))];
  if (files.length === 0) fail(`no .node or .so file under ${pkg}/prebuilds`);
  for (const file of files) lddOne(file);
}
function lddOne(file) {
  const rel = path.relative(pkg, file);
  let out;
  try {
    out = execFileSync('ldd', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    fail(`ldd ${rel}: ${String(e.stderr || e.message).trim()}`);
    return;
  }
  let bad = 0;
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+)(?: => (.*?))?(?: \(0x[0-9a-f]+\))?$/.exec(line);
    if (!m) continue;
    const [, name, target] = m;
    if (target === 'not found') {
      fail(`ldd ${rel}: ${name} not found`);
      bad++;
    } else {
      const resolved = target ?? name;
      if (resolved.startsWith('/') && !allowed(resolved)) {
        fail(`ldd ${rel}: ${name} => ${resolved}, outside the package`);
        bad++;
      }
    }
  }
  if (bad === 0) say(`ldd ${rel}: only the package and the C/C++ runtime`);
}

// 2. Every solver: min (x1 − 1)² + (x2 − 2.5)²  s.t.  x1 + x2 ≤ 1. By hand: x = (−0.25, 1.25),
//    y = 2.5; with dL/dx = (1, 0), x1 = (−q1 + q2 + 2u)/4 gives dq = (−0.25, 0.25) and du = 0.5.
function near(what, got, want, tol = 1e-6) {
  const off = want.findIndex((w, i) => !(Math.abs(got[i] - w) <= tol));
  if (off >= 0) throw new Error(`${what}[${off}] = ${got[off]}, expected ${want[off]}`);
}

async function solvers() {
  let d;
  let available;
  try {
    d = require('diffqp');
    available = d.availableSolvers().map((s) => s.key);
  } catch (e) {
    fail(`loading diffqp: ${e.message.split('\n')[0]}`);
    return;
  }
  say(`availableSolvers(): ${available.join(', ')}`);
  const problem = {
    P: d.CscMatrix.fromDense([[2, 0], [0, 2]], { triangle: 'lower' }),
    q: Float64Array.of(-2, -5),
    A: d.CscMatrix.fromDense([[1, 1]]),
    l: Float64Array.of(-Infinity),
    u: Float64Array.of(1),
  };
  for (const key of new Set([...SOLVERS, ...available])) {
    if (expectMissing.includes(key)) {
      await missing(d, key, available, problem);
      continue;
    }
    if (!available.includes(key)) {
      fail(`${key} is not in availableSolvers()${reasonFor(d, key)}`);
      continue;
    }
    try {
      const sol = await d.solve(problem, { solver: key, differentiable: true });
      near(`${key}: x`, sol.x, [-0.25, 1.25]);
      near(`${key}: y`, sol.y, [2.5]);
      const g = await d.differentiate(sol, { dx: Float64Array.of(1, 0) });
      near(`${key}: dq`, g.dq, [-0.25, 0.25]);
      near(`${key}: du`, g.du, [0.5]);
      sol.dispose();
      say(`${key}: x = (${[...sol.x].map((v) => v.toFixed(6)).join(', ')}), dq = (${[...g.dq].join(', ')}), du = ${g.du[0]}`);
    } catch (e) {
      fail(`${key}: ${e.message}`);
    }
  }
}

function reasonFor(d, key) {
  if (typeof d.unavailableSolvers !== 'function') return '';
  const entry = d.unavailableSolvers().find((s) => s.key === key);
  return entry ? ` (${entry.reason})` : '';
}

// A hidden solver library: the solver is missing, says why, and asking for it is a typed error.
async function missing(d, key, available, problem) {
  if (available.includes(key)) {
    fail(`${key} is still in availableSolvers() after its library was hidden`);
    return;
  }
  if (typeof d.unavailableSolvers !== 'function') {
    fail(`${key} is missing, but diffqp exports no unavailableSolvers() to say why`);
  } else {
    const entry = d.unavailableSolvers().find((s) => s.key === key);
    if (!entry || typeof entry.reason !== 'string' || entry.reason === '') fail(`${key} is missing without a reason in unavailableSolvers()`);
    else say(`${key}: missing, reason: ${entry.reason}`);
  }
  try {
    await d.solve(problem, { solver: key });
    fail(`solve({ solver: '${key}' }) resolved with its library hidden`);
  } catch (e) {
    if (!(e instanceof d.QpError) || e.code !== d.ErrorCode.SOLVER_UNAVAILABLE) fail(`solve({ solver: '${key}' }) threw ${e.code ?? e.name}: ${e.message}`);
    else say(`solve({ solver: '${key}' }): ${e.code}`);
  }
}

// 3. What this process has mapped after loading the addon and running every solver.
function maps() {
  const mapped = new Set();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const file = line.split(/\s+/).slice(5).join(' ');
    if (file.startsWith('/') && SHARED.test(path.basename(file.replace(/ \(deleted\)$/, '')))) mapped.add(file);
  }
  const outside = [...mapped].filter((f) => !allowed(f));
  for (const f of outside) fail(`mapped from outside the package: ${f}`);
  const own = [...mapped].filter((f) => inPackage(f)).length;
  say(`/proc/self/maps: ${mapped.size} shared objects, ${own} from the package, ${outside.length} from outside it but the runtime`);
}

// With a library hidden on purpose, ldd would report it not found: only the load is judged then.
if (expectMissing.length === 0) ldd();
else say(`ldd: skipped (hidden on purpose: ${expectMissing.join(', ')})`);
solvers().then(() => {
  maps();
  if (failures.length > 0) {
    console.log(`${failures.length} failure(s)`);
    process.exitCode = 1;
  } else {
    console.log('all checks passed');
  }
}, (e) => {
  console.log(`FAIL ${e.stack}`);
  process.exitCode = 1;
});
