/**
 * Maros–Meszaros problems from the whole set (DIFFQP_MM_DIR or ../shared/maros-meszaros), per solver: the residuals of
 * docs/METHODS.md §3 (which check the dual signs, not just x) at 1e-6 and the objective within
 * 1e-5 relative of the published optimum (index.csv's opt_ref).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readQpsSync } from '../lib/qps';
import { availableSolvers, solve, SolveOptions } from '../lib/solve';
import { describeWholeSet, kktResiduals } from './helpers';

// Problems every solver here meets at 1e-6 (chosen by running them all: see the issue
// note). HiGHS's QP duals carry its 1e-7 Hessian regularisation, which rules out many
// problems with large |x| for it until the reduced-KKT polish lands.
const common = [
  'DUAL2',
  'DUAL3',
  'DUALC5',
  'GENHS28',
  'HS21',
  'HS35',
  'HS51',
  'HS52',
  'HS53',
  'HS76',
  'PRIMAL1',
  'PRIMAL2',
  'PRIMAL3',
  'QPCBLEND',
  'QSCSD1',
  'TAME',
  'VALUES',
];
const perSolver: Record<string, string[]> = {
  highs: common,
  ipopt: [
    ...common,
    'CVXQP2_S',
    'CVXQP3_S',
    'DPKLO1',
    'GOULDQP3',
    'HS118',
    'LOTSCHD',
    'PRIMALC1',
    'PRIMALC2',
    'PRIMALC5',
    'QAFIRO',
    'QSHARE2B',
  ],
  clp: [
    ...common,
    'CVXQP2_S',
    'CVXQP3_S',
    'DPKLO1',
    'HS118',
    'LOTSCHD',
    'PRIMALC1',
    'PRIMALC2',
    'QADLITTL',
    'QAFIRO',
    'QSCAGR7',
    'QSHARE2B',
  ],
  // admm with polishing at the default 1e-6 (QPCBLEND needs 1e-7 for its dual residual).
  admm: [
    'AUG2D',
    'AUG2DC',
    'AUG3D',
    'AUG3DQP',
    'CVXQP2_M',
    'CVXQP2_S',
    'CVXQP3_S',
    'DPKLO1',
    'DTOC3',
    'DUAL2',
    'DUAL3',
    'DUALC2',
    'DUALC5',
    'DUALC8',
    'GENHS28',
    'GOULDQP2',
    'GOULDQP3',
    'HS118',
    'HS21',
    'HS35',
    'HS51',
    'HS52',
    'HS53',
    'HS76',
    'LASER',
    'MOSARQP1',
    'PRIMAL1',
    'PRIMAL2',
    'PRIMAL3',
    'PRIMAL4',
    'PRIMALC2',
    'PRIMALC5',
    'QADLITTL',
    'QAFIRO',
    'QSCSD1',
    'STCQP1',
    'STCQP2',
    'TAME',
    'VALUES',
  ],
  // ipm at epsAbs 1e-6 with epsRel 0 (see perSolverOptions): every problem it solves in under
  // ~2 s each (103 of the 117 in ../shared). Left out: over 10 s (BOYD1, BOYD2, CONT-200,
  // CONT-201, CVXQP1_L, CVXQP3_L); maxIterations at 1e-6 (POWELL20, QPILOTNO, QSIERRA, STADAT1:
  // one centrality corrector, the default, measured best over both tolerances); a gap that rounding alone puts above
  // 1e-6 at |objective| > 4e9 (QFORPLAN, QGFRDXPN, QSHELL; docs/METHODS.md §3), where ipm's scaled
  // measures say solved; LISWET8, solved, but its opt_ref in index.csv is misprinted by a factor
  // 10 (ipm finds 714.47006 like the others).
  ipm: [
    'AUG2D',
    'AUG2DC',
    'AUG2DCQP',
    'AUG2DQP',
    'AUG3D',
    'AUG3DQP',
    'CONT-100',
    'CONT-101',
    'CVXQP1_M',
    'CVXQP2_M',
    'CVXQP2_S',
    'CVXQP3_M',
    'CVXQP3_S',
    'DPKLO1',
    'DTOC3',
    'DUAL2',
    'DUAL3',
    'DUALC1',
    'DUALC2',
    'DUALC5',
    'DUALC8',
    'GENHS28',
    'GOULDQP2',
    'GOULDQP3',
    'HS118',
    'HS21',
    'HS268',
    'HS35',
    'HS51',
    'HS52',
    'HS53',
    'HS76',
    'HUES-MOD',
    'KSIP',
    'LASER',
    'LISWET1',
    'LISWET10',
    'LISWET11',
    'LISWET12',
    'LISWET2',
    'LISWET4',
    'LISWET5',
    'LISWET6',
    'LISWET7',
    'LISWET9',
    'LOTSCHD',
    'MOSARQP1',
    'PRIMAL1',
    'PRIMAL2',
    'PRIMAL3',
    'PRIMAL4',
    'PRIMALC1',
    'PRIMALC2',
    'PRIMALC5',
    'PRIMALC8',
    'QADLITTL',
    'QAFIRO',
    'QBANDM',
    'QBEACONF',
    'QBORE3D',
    'QCAPRI',
    'QE226',
    'QETAMACR',
    'QFFFFF80',
    'QGROW15',
    'QGROW7',
    'QISRAEL',
    'QPCBLEND',
    'QPCBOEI1',
    'QPCBOEI2',
    'QPCSTAIR',
    'QSC205',
    'QSCAGR25',
    'QSCAGR7',
    'QSCFXM2',
    'QSCFXM3',
    'QSCORPIO',
    'QSCSD1',
    'QSCSD6',
    'QSCSD8',
    'QSCTAP1',
    'QSCTAP2',
    'QSCTAP3',
    'QSEBA',
    'QSHARE1B',
    'QSHARE2B',
    'QSHIP04L',
    'QSHIP04S',
    'QSHIP08L',
    'QSHIP08S',
    'QSHIP12L',
    'QSHIP12S',
    'QSTAIR',
    'QSTANDAT',
    'S268',
    'STADAT2',
    'STADAT3',
    'STCQP1',
    'STCQP2',
    'TAME',
    'UBH1',
    'VALUES',
    'YAO',
  ],
};
// Options beyond { solver, timeLimit }. ipm's tolerances are the docs/METHODS.md §3 measures
// themselves, so epsRel 0 asks it for exactly the 1e-6 absolute residuals checked here (with
// the default epsRel = 1e-6 it stops at relative residuals: 25 of the 117 passed that way before 8ef3869).
const perSolverOptions: Record<string, SolveOptions> = {
  ipm: { epsAbs: 1e-6, epsRel: 0 },
};

interface IndexRow {
  name: string;
  optRef: number;
  notes: string;
}

function readIndex(mmDir: string): Map<string, IndexRow> {
  const lines = fs.readFileSync(path.join(mmDir, 'index.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (k: string) => header.indexOf(k);
  const rows = new Map<string, IndexRow>();
  for (const line of lines.slice(1)) {
    const c = line.split(',');
    rows.set(c[col('name')]!, { name: c[col('name')]!, optRef: Number(c[col('opt_ref')]), notes: c.slice(col('notes')).join(',') });
  }
  return rows;
}

describeWholeSet('Maros–Meszaros problems, per solver', function (mmDir) {
  this.timeout(300000);
  let index: Map<string, IndexRow>;
  before(() => {
    index = readIndex(mmDir);
  });

  for (const { key: solver } of availableSolvers()) {
    const names = perSolver[solver] ?? common;
    describe(`${solver} (${names.length} problems)`, () => {
      it('lists at least 15 problems', () => assert.ok(names.length >= 15));
      for (const name of names) {
        it(name, async () => {
          const ref = index.get(name);
          assert.ok(ref, `${name} missing from index.csv`);
          const problem = readQpsSync(path.join(mmDir, `${name}.QPS.gz`));
          const sol = await solve(problem, { ...perSolverOptions[solver], solver, timeLimit: 60 });
          assert.equal(sol.status, 'solved', `${sol.status} (${sol.rawStatusText})`);
          assert.ok(sol.primalResidual <= 1e-6, `r_p = ${sol.primalResidual}`);
          assert.ok(sol.dualResidual <= 1e-6, `r_d = ${sol.dualResidual}`);
          assert.ok(sol.dualityGap <= 1e-6, `r_g = ${sol.dualityGap}`);
          // The same residuals recomputed here, independently of the native code.
          const js = kktResiduals(sol, problem);
          assert.ok(js.rp <= 1e-6 && js.rd <= 1e-6 && js.rg <= 1e-6, `JS residuals ${js.rp} ${js.rd} ${js.rg}`);
          const rel = Math.abs(sol.objective - ref.optRef) / Math.max(1, Math.abs(ref.optRef));
          assert.ok(rel <= 1e-5, `objective ${sol.objective} vs opt_ref ${ref.optRef} (relative ${rel.toExponential(2)})`);
        });
      }
    });
  }
});
