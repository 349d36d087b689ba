/**
 * The public API is what the README says: every name a public signature uses is exported from
 * the entry, the `exports` map serves one module to `require` and `import` alike, a
 * differentiable solution's dispose() is typed as present, and differentiate on a solution
 * without a handle says how to fix the call. (scripts/check-consumer.sh does the same from a
 * packed tarball in a fresh project; this file needs no packing.)
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import * as entry from '../lib';
import type {
  ActiveSetOptions,
  Attempt,
  CscMatrixLike,
  IndexVector,
  Vector,
  DataArrays,
  DifferentiableSolveOptions,
  DisposableSolution,
  JvpOptions,
  NativeSolverInfo,
  PolishInfo,
  QpErrorDetails,
  QpsFormat,
  QpsOptions,
  QpsProblem,
  QpsStats,
  Solution,
  UnavailableSolver,
} from '../lib';
import { commonJsForm, extractSnippets } from '../scripts/readme-snippets';
import { dense, denseLower, f64 } from './helpers';

const root = path.resolve(__dirname, '..', '..');
const builtEntry = path.resolve(__dirname, '..', 'lib', 'index.d.ts');

/**
 * Walks the declarations of everything index.d.ts exports, through every type they name that is
 * declared in the package, and returns the names reached that the entry does not export (with
 * the export that led there) and every name visited.
 */
function unexportedTypes(entryFile: string): { missing: Map<string, string>; visited: Set<string> } {
  const program = ts.createProgram([entryFile], { strict: true, noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const libDir = path.dirname(entryFile);
  const unalias = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const inPackage = (d: ts.Declaration) => path.dirname(d.getSourceFile().fileName) === libDir;
  const exported = new Set(checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entryFile)!)!).map(unalias));
  const missing = new Map<string, string>();
  const visited = new Set<ts.Symbol>();
  const isPrivate = (node: ts.Node) =>
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
  const walk = (node: ts.Node, from: string): void => {
    if (isPrivate(node)) return; // private class members are not API
    const name = ts.isTypeReferenceNode(node)
      ? node.typeName
      : ts.isExpressionWithTypeArguments(node)
        ? node.expression
        : ts.isTypeQueryNode(node)
          ? node.exprName
          : undefined;
    const found = name && checker.getSymbolAtLocation(name);
    if (found) {
      const s = unalias(found);
      if (!(s.flags & ts.SymbolFlags.TypeParameter) && (s.declarations ?? []).some(inPackage)) {
        if (!exported.has(s)) missing.set(s.name, from);
        visit(s);
      }
    }
    ts.forEachChild(node, (child) => walk(child, from));
  };
  const visit = (s: ts.Symbol): void => {
    if (visited.has(s)) return;
    visited.add(s);
    for (const d of s.declarations ?? []) if (inPackage(d)) walk(d, s.name);
  };
  for (const s of exported) visit(s);
  return { missing, visited: new Set([...visited].map((s) => s.name)) };
}

const problem = () => ({
  P: denseLower([
    [2, 0],
    [0, 2],
  ]),
  q: f64([-2, -5]),
  A: dense([[1, 1]]),
  l: f64([-Infinity]),
  u: f64([1]),
});
// min (x1 − 1)² + (x2 − 2.5)² s.t. x1 + x2 ≤ 1: x = (−0.25, 1.25), y = 2.5; with the row active,
// x moves with q along the null space of [1 1]: ∂x1/∂q = −(½, −½)·½·2 = (−¼, ¼) for P = 2I.
const expectedDq = [-0.25, 0.25];

describe('public API', () => {
  it('every type named by a public signature is exported from the entry', () => {
    const { missing, visited } = unexportedTypes(builtEntry);
    assert.deepEqual(
      [...missing].map(([name, from]) => `${name} (reached from ${from})`),
      [],
    );
    // The walk reaches the types nested in signatures, not only the exported names themselves.
    for (const name of ['Attempt', 'PolishInfo', 'QpsStats', 'NativeSolverInfo', 'ActiveSetOptions', 'QpErrorDetails', 'Triangle'])
      assert.ok(visited.has(name), name);
  });

  it('the README functions are exported and callable', () => {
    for (const name of [
      'solve',
      'solveSync',
      'differentiate',
      'differentiateSync',
      'jvp',
      'jvpSync',
      'readQps',
      'readQpsSync',
      'parseQps',
      'availableSolvers',
      'unavailableSolvers',
      'toCanonical',
      'problemForm',
    ] as const) {
      assert.equal(typeof entry[name], 'function', name);
    }
    assert.equal(entry.ErrorCode.NOT_DIFFERENTIABLE, 'ERR_QP_NOT_DIFFERENTIABLE');
    const parsed: QpsProblem = entry.parseQps(
      [
        'NAME T',
        'ROWS',
        ' N obj',
        ' L c1',
        'COLUMNS',
        '    x1 obj 1 c1 1',
        'RHS',
        '    rhs c1 4',
        'BOUNDS',
        ' UP bnd x1 3',
        'ENDATA',
        '',
      ].join('\n'),
    );
    const stats: QpsStats = parsed.stats;
    assert.equal(stats.n, 1);
    // min x1 s.t. x1 ≤ 4, 0 ≤ x1 ≤ 3: x1 = 0.
    assert.equal(entry.solveSync(parsed, { solver: 'ipm' }).x[0]! <= 1e-6, true);
  });

  it('solve(p, { differentiable: true }) is typed with dispose(); a plain Solution is not', async () => {
    const sol: DisposableSolution = await entry.solve(problem(), { differentiable: true });
    const g = await entry.differentiate(sol, { dx: f64([1, 0]) });
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(g.dq![i]! - expectedDq[i]!) < 1e-6, String(g.dq));
    sol.dispose(); // no `?.`: this line is the type test (TS2722 under --strict before)
    assert.equal(sol.disposed, true);
    const options: DifferentiableSolveOptions = { differentiable: true, solver: 'admm' };
    entry.solveSync(problem(), options).dispose();
    const plain: Solution = entry.solveSync(problem());
    // @ts-expect-error a solution made without differentiable: true may have no dispose()
    assert.throws(() => plain.dispose(), TypeError);
  });

  it('differentiate and jvp on a solution without a handle throw ERR_QP_NOT_DIFFERENTIABLE saying how to fix the call', async () => {
    const p = problem();
    const plain = entry.solveSync(p, { solver: 'ipm' });
    const fixable = (e: unknown) =>
      e instanceof entry.QpError &&
      e.code === entry.ErrorCode.NOT_DIFFERENTIABLE &&
      e.field === 'solution' &&
      e.message.includes('{ differentiable: true }') &&
      e.message.includes('differentiate(problem, solution, grads)');
    assert.throws(() => entry.differentiateSync(plain, { dx: f64([1, 0]) }), fixable);
    await assert.rejects(entry.differentiate(plain, { dx: f64([1, 0]) }), fixable);
    assert.throws(() => entry.jvpSync(plain, { dq: f64([1, 0]) }), fixable);
    await assert.rejects(entry.jvp(plain, { dq: f64([1, 0]) }), fixable);
    // The fix the message names works, and gives the closed-form gradient.
    const g = entry.differentiateSync(p, plain, { dx: f64([1, 0]) });
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(g.dq![i]! - expectedDq[i]!) < 1e-5, String(g.dq));
    // A disposed handle keeps its own code.
    const sol = entry.solveSync(p, { differentiable: true });
    sol.dispose();
    assert.throws(
      () => entry.differentiateSync(sol, { dx: f64([1, 0]) }),
      (e: unknown) => e instanceof entry.QpError && e.code === entry.ErrorCode.DISPOSED,
    );
  });

  it("the exports map gives require('diffqp') and import('diffqp') one module", () => {
    // A package may import itself by name through its own exports map: run from the repository root.
    const script = [
      "import { createRequire } from 'node:module';",
      "const esm = await import('diffqp');",
      "const cjs = createRequire(process.cwd() + '/')('diffqp');",
      "const names = (o) => Object.keys(o).filter((k) => k !== '__esModule' && k !== 'default').sort();",
      'const same = names(esm).every((k) => esm[k] === cjs[k]);',
      "console.log(JSON.stringify({ esm: names(esm), cjs: names(cjs), same, entry: import.meta.resolve('diffqp') }));",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { esm: string[]; cjs: string[]; same: boolean; entry: string };
    assert.deepEqual(out.esm, out.cjs);
    assert.deepEqual(
      out.esm,
      Object.keys(entry)
        .filter((k) => k !== '__esModule')
        .sort(),
    );
    assert.ok(out.same, 'the ESM entry re-exports the CJS objects (one QpError class, one addon)');
    assert.ok(out.entry.endsWith('/dist/lib/index.mjs'), out.entry);
  });
});

describe('README snippets (npm run check:readme compiles and runs them against the packed package)', () => {
  it('extracts every ```ts block, honours the fragment mark, and wraps the CommonJS form in an async main', () => {
    const md = [
      '# t',
      '```ts',
      "import { solve } from 'diffqp';",
      'await solve({ q: [1] });',
      '```',
      '',
      '<!-- snippet: fragment -->',
      '```ts',
      'partial(',
      '```',
      '```js',
      'x',
      '```',
      '<!-- snippet: compile-only -->',
      '```ts',
      'y',
      '```',
    ].join('\n');
    const s = extractSnippets(md);
    assert.deepEqual(
      s.map((b) => [b.index, b.line, b.fragment, b.compileOnly]),
      [
        [1, 2, false, false],
        [2, 8, true, false],
        [3, 15, false, true],
      ],
    );
    const cjs = commonJsForm(s[0]!.code);
    assert.match(
      cjs,
      /^import \{ solve \} from 'diffqp';\n\nasync function main\(\): Promise<void> \{\n  await solve\(\{ q: \[1\] \}\);\n\}/,
    );
    assert.match(cjs, /main\(\)\.catch/);
  });

  it("the README's blocks are whole programs: each imports from 'diffqp', none is marked a fragment", () => {
    const blocks = extractSnippets(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
    assert.ok(blocks.length >= 2, `${blocks.length} blocks`);
    for (const b of blocks) {
      assert.equal(b.fragment, false, `README.md:${b.line}`);
      assert.match(b.code, /from 'diffqp';/, `README.md:${b.line}`);
    }
  });
});

// Types exported for signatures, named here so that a removed export fails the build of this file.
export type PublicTypes = [
  ActiveSetOptions,
  Attempt,
  CscMatrixLike,
  DataArrays,
  IndexVector,
  JvpOptions,
  NativeSolverInfo,
  PolishInfo,
  QpErrorDetails,
  QpsFormat,
  QpsOptions,
  UnavailableSolver,
  Vector,
];
