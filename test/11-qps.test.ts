import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { isColumnAligned, parseQps, qpsNameFromPath, readQps, readQpsSync, type QpsProblem } from '../lib/qps';
import { ErrorCode, QpError } from '../lib/errors';
import { toCanonical } from '../lib/problem';
import type { CscMatrix } from '../lib/sparse';
import { describeWholeSet, fixture } from './helpers';
const INF = Infinity;

/** A fixed-format data line: fields at columns 2–3, 5–12, 15–22, 25–36, 40–47, 50–61. */
function fx(f1 = '', f2 = '', f3 = '', f4 = '', f5 = '', f6 = ''): string {
  const cols: [number, number, string][] = [
    [2, 2, f1],
    [5, 8, f2],
    [15, 8, f3],
    [25, 12, f4],
    [40, 8, f5],
    [50, 12, f6],
  ];
  const line = new Array<string>(61).fill(' ');
  for (const [start, width, text] of cols) {
    assert.ok(text.length <= width, `fx: '${text}' is wider than ${width}`);
    for (let k = 0; k < text.length; k++) line[start - 1 + k] = text[k]!;
  }
  return line.join('').trimEnd();
}

function csc(M: CscMatrix): { shape: [number, number]; colPtr: number[]; rowIdx: number[]; values: number[] } {
  return { shape: M.shape, colPtr: Array.from(M.colPtr), rowIdx: Array.from(M.rowIdx), values: Array.from(M.values) };
}

function expectQpsError(fn: () => unknown, line: number, token: string | undefined, messagePart?: RegExp): QpError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof QpError, `expected a QpError, got ${String(caught)}`);
  const e = caught as QpError;
  assert.equal(e.code, ErrorCode.QPS_PARSE, e.message);
  assert.equal(e.field, `line ${line}`, e.message);
  assert.equal(e.index, line, e.message);
  assert.match(e.message, new RegExp(`line ${line}\\b`));
  if (token !== undefined) {
    assert.equal(e.value, token, e.message);
    assert.ok(e.message.includes(token), `message names the token '${token}': ${e.message}`);
  }
  if (messagePart) assert.match(e.message, messagePart);
  return e;
}

// ---------------------------------------------------------------------------------------------
// A small problem with every feature, in free and in fixed format.

const FREE_QP = `NAME          TESTQP
* a comment line
ROWS
 L  LIM1
 N  COST
 G  LIM2
 E  EQ1
 N  OTHER
 E  EQ2
 E  EQ3
 L  RL
 G  RG
COLUMNS
    X1  COST  1  LIM1  1
    X1  LIM2  1  EQ1  1
    X1  OTHER  5
    X2  COST  2  LIM1  1
    X2  EQ2  -1  RL  1
    X3  COST  -1  EQ1  1
    X3  RG  1  EQ2  0
    X4  LIM2  2  EQ3  1
    X5  RL  1
    X6  RG  1
    X7  COST  1  LIM1  1
    X8  LIM2  1
    X9  EQ2  1
    X10  RL  2
    X11  COST  0.5  RG  -1
RHS
    RHS  COST  -3.5  LIM1  4
    RHS  LIM2  1  EQ1  2

    RHS  EQ2  -1  EQ3  7
    RHS  RL  10  RG  -2
    RHS  OTHER  99
RANGES
    RNG  EQ1  3  EQ2  -2
    RNG  RL  4  RG  -5
BOUNDS
 UP BND  X1  4
 LO BND  X2  -1
 FX BND  X3  2.5
 FR BND  X4
 UP BND  X5  3
 MI BND  X5
 UP BND  X6  1
 PL BND  X6
 BV BND  X7
 LI BND  X8  -2
 UI BND  X8  7
 UP BND  X9  -3
 UP BND  X10  0
 LO BND  X11  -5
 UP BND  X11  -1
QUADOBJ
    X1  X1  2
    X1  X2  -1
    X2  X2  3
    X3  X1  0.5
    X4  X4  0
ENDATA
`;

/** What FREE_QP means (rows LIM1 LIM2 EQ1 EQ2 EQ3 RL RG; OTHER dropped; columns X1..X11). */
const EXPECTED = {
  n: 11,
  m: 7,
  q: [1, 2, -1, 0, 0, 0, 1, 0, 0, 0, 0.5],
  constant: 3.5,
  A: {
    shape: [7, 11] as [number, number],
    colPtr: [0, 3, 6, 9, 11, 12, 13, 14, 15, 16, 17, 18],
    rowIdx: [0, 1, 2, 0, 3, 5, 2, 3, 6, 1, 4, 5, 6, 0, 1, 3, 5, 6],
    values: [1, 1, 1, 1, -1, 1, 1, 0, 1, 2, 1, 1, 1, 1, 1, 1, 2, -1],
  },
  l: [-INF, 1, 2, -3, 7, 6, -2],
  u: [4, INF, 5, -1, 7, 10, 3],
  lb: [0, -1, 2.5, -INF, -INF, 0, 0, -2, -INF, 0, -5],
  ub: [4, INF, 2.5, INF, 3, INF, 1, 7, -3, 0, -1],
  P: {
    shape: [11, 11] as [number, number],
    colPtr: [0, 3, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5],
    rowIdx: [0, 1, 2, 1, 3],
    values: [2, -1, 0.5, 3, 0],
  },
};

function checkTestQp(p: QpsProblem): void {
  assert.equal(p.form, 'canonical');
  assert.deepEqual(Array.from(p.q), EXPECTED.q);
  assert.equal(p.constant, EXPECTED.constant);
  assert.deepEqual(csc(p.A), EXPECTED.A);
  assert.equal(p.A.triangle, 'full');
  assert.deepEqual(Array.from(p.l), EXPECTED.l);
  assert.deepEqual(Array.from(p.u), EXPECTED.u);
  assert.deepEqual(Array.from(p.lb), EXPECTED.lb);
  assert.deepEqual(Array.from(p.ub), EXPECTED.ub);
  assert.deepEqual(csc(p.P), EXPECTED.P);
  assert.equal(p.P.triangle, 'lower');
  const s = p.stats;
  assert.equal(s.n, 11);
  assert.equal(s.m, 7);
  assert.equal(s.nnzA, 18);
  assert.equal(s.nnzP, 5);
  assert.equal(s.nEq, 1);
  assert.equal(s.nRanged, 4);
  assert.equal(s.nFree, 1);
  assert.equal(s.droppedRows, 1);
  assert.equal(s.integerColumns, 2);
  assert.equal(s.negativeUpperBounds, 1);
  assert.equal(s.ignoredEntries, 1); // RHS on the dropped N row
  assert.equal(s.duplicateEntries, 0);
  assert.deepEqual(s.quadraticSections, ['QUADOBJ']);
  assert.equal(s.sense, 'min');
  // The result is a valid canonical problem.
  const c = toCanonical(p);
  assert.equal(c.n, 11);
  assert.equal(c.m, 7);
}

/** FREE_QP in fixed format, with blanks inside names and empty RHS/BOUNDS set names. */
const FIXED_NAMES: Record<string, string> = {
  LIM1: 'LIM 1',
  LIM2: 'LIM 2',
  EQ1: 'EQ 1',
  EQ2: 'EQ 2',
  EQ3: 'EQ 3',
  RL: 'R L',
  RG: 'R G',
  COST: 'COST',
  OTHER: 'OTH ER',
};
for (let j = 1; j <= 11; j++) FIXED_NAMES[`X${j}`] = `X ${j}`;

function toFixed(free: string, setNames: boolean): string {
  const out: string[] = [];
  let section = '';
  const nm = (s: string): string => FIXED_NAMES[s] ?? s;
  for (const line of free.split('\n')) {
    if (line === '' || line.startsWith('*')) {
      out.push(line);
      continue;
    }
    if (!line.startsWith(' ')) {
      section = line.split(/\s+/)[0]!;
      out.push(line);
      continue;
    }
    const t = line.trim().split(/\s+/);
    switch (section) {
      case 'ROWS':
        out.push(fx(t[0], nm(t[1]!)));
        break;
      case 'COLUMNS':
        out.push(fx('', nm(t[0]!), nm(t[1]!), t[2], t[3] ? nm(t[3]) : '', t[4]));
        break;
      case 'RHS':
      case 'RANGES':
        out.push(fx('', setNames ? (section === 'RHS' ? 'RHS 1' : 'RNG 1') : '', nm(t[1]!), t[2], t[3] ? nm(t[3]) : '', t[4]));
        break;
      case 'BOUNDS':
        out.push(fx(t[0], setNames ? 'BND 1' : '', nm(t[2]!), t[3] ?? ''));
        break;
      case 'QUADOBJ':
        out.push(fx('', nm(t[0]!), nm(t[1]!), t[2]));
        break;
      default:
        throw new Error(section);
    }
  }
  return out.join('\n');
}

describe('qps: parseQps', () => {
  it('reads a free-format QP with every feature', () => {
    const p = parseQps(FREE_QP);
    assert.equal(p.stats.format, 'free');
    assert.equal(p.name, 'TESTQP');
    assert.equal(p.nameRecord, 'TESTQP');
    assert.equal(p.objectiveName, 'COST');
    assert.deepEqual(p.rowNames, ['LIM1', 'LIM2', 'EQ1', 'EQ2', 'EQ3', 'RL', 'RG']);
    assert.deepEqual(p.colNames, ['X1', 'X2', 'X3', 'X4', 'X5', 'X6', 'X7', 'X8', 'X9', 'X10', 'X11']);
    checkTestQp(p);
    assert.equal(isColumnAligned(FREE_QP), false);
    checkTestQp(parseQps(FREE_QP, { format: 'free' }));
  });

  it('reads the same QP in fixed format: blanks in names, empty set names, auto-detected', () => {
    for (const setNames of [true, false]) {
      const text = toFixed(FREE_QP, setNames);
      assert.equal(isColumnAligned(text), true);
      for (const format of ['auto', 'fixed'] as const) {
        const p = parseQps(text, { format });
        assert.equal(p.stats.format, 'fixed');
        assert.deepEqual(p.rowNames, ['LIM 1', 'LIM 2', 'EQ 1', 'EQ 2', 'EQ 3', 'R L', 'R G']);
        assert.equal(p.colNames[10], 'X 11');
        checkTestQp(p);
      }
    }
  });

  it('reads free format without set names (even token counts in RHS/RANGES, short BOUNDS lines)', () => {
    const text = FREE_QP.replace(/^ {4}(RHS|RNG) {2}/gm, '    ').replace(/^ ([A-Z]{2}) BND {2}/gm, ' $1 ');
    assert.ok(!text.includes('BND') && !text.includes('RNG'));
    checkTestQp(parseQps(text));
  });

  it('reads a literal fixed-format file (HS21) with the N row first and RANGES empty', () => {
    const hs21 = [
      'NAME          HS21',
      'ROWS',
      '  N OBJ.FUNC',
      '  G R------1',
      'COLUMNS',
      '    C------1  R------1  0.100000e+02',
      '    C------2  R------1  -.100000e+01',
      'RHS',
      '    RHS       OBJ.FUNC  0.100000e+03',
      '    RHS       R------1  0.100000e+02',
      'RANGES',
      'BOUNDS',
      ' LO BOUNDS    C------1  0.200000e+01',
      ' UP BOUNDS    C------1  0.500000e+02',
      ' LO BOUNDS    C------2  -.500000e+02',
      ' UP BOUNDS    C------2  0.500000e+02',
      'QUADOBJ',
      '    C------1  C------1  0.200000e-01',
      '    C------2  C------2  0.200000e+01',
      'ENDATA',
    ].join('\n');
    for (const format of ['auto', 'fixed', 'free'] as const) {
      const p = parseQps(hs21, { format });
      assert.equal(p.constant, -100);
      assert.deepEqual(Array.from(p.q), [0, 0]);
      assert.deepEqual(csc(p.A), { shape: [1, 2], colPtr: [0, 1, 2], rowIdx: [0, 0], values: [10, -1] });
      assert.deepEqual(Array.from(p.l), [10]);
      assert.deepEqual(Array.from(p.u), [INF]);
      assert.deepEqual(Array.from(p.lb), [2, -50]);
      assert.deepEqual(Array.from(p.ub), [50, 50]);
      assert.deepEqual(csc(p.P), { shape: [2, 2], colPtr: [0, 1, 2], rowIdx: [0, 1], values: [0.02, 2] });
      assert.equal(p.stats.format, format === 'free' ? 'free' : 'fixed');
    }
  });

  it('applies the MPS range rules on E, L and G rows', () => {
    const text = `NAME R
ROWS
 N obj
 E e1
 E e2
 E e3
 L l1
 L l2
 G g1
 G g2
COLUMNS
 x obj 1 e1 1
 x e2 1 e3 1
 x l1 1 l2 1
 x g1 1 g2 1
RHS
 rhs e1 1 e2 1
 rhs e3 1 l1 1
 rhs l2 1 g1 1
 rhs g2 1
RANGES
 rng e1 2 e2 -2
 rng e3 0 l1 2
 rng l2 -2 g1 2
 rng g2 -2
ENDATA`;
    const p = parseQps(text);
    assert.deepEqual(Array.from(p.l), [1, -1, 1, -1, -1, 1, 1]);
    assert.deepEqual(Array.from(p.u), [3, 1, 1, 1, 1, 3, 3]);
    assert.equal(p.stats.nRanged, 7);
    assert.equal(p.stats.nEq, 1);
  });

  it('UP bounds: negative with no lower bound makes lb −∞, UP 0 keeps lb = 0, LO first keeps lb', () => {
    const text = `NAME B
ROWS
 N obj
COLUMNS
 a obj 1
 b obj 1
 c obj 1
 d obj 1
BOUNDS
 UP bnd a -1
 UP bnd b 0
 LO bnd c -4
 UP bnd c -2
 UP bnd d -3
 LO bnd d -5
ENDATA`;
    const p = parseQps(text);
    assert.deepEqual(Array.from(p.lb), [-INF, 0, -4, -5]);
    assert.deepEqual(Array.from(p.ub), [-1, 0, -2, -3]);
    assert.equal(p.stats.negativeUpperBounds, 2);
    assert.equal(p.stats.m, 0);
    assert.deepEqual(p.A.shape, [0, 4]);
  });

  it('QMATRIX lists the full matrix: the lower triangle is kept (asymmetric input is symmetrised)', () => {
    const base = `NAME Q
ROWS
 N obj
 L c
COLUMNS
 x obj 1 c 1
 y obj 1 c 1
 z obj 1 c 1
RHS
 rhs c 1
`;
    const quadobj = parseQps(`${base}QUADOBJ
 x x 4
 x y 1
 y y 5
 y z -2
 z z 6
ENDATA`);
    const qmatrix = parseQps(`${base}QMATRIX
 x x 4
 x y 1
 y x 1
 y y 5
 y z -2
 z y -2
 z z 6
ENDATA`);
    const expected = { shape: [3, 3] as [number, number], colPtr: [0, 2, 4, 5], rowIdx: [0, 1, 1, 2, 2], values: [4, 1, 5, -2, 6] };
    assert.deepEqual(csc(quadobj.P), expected);
    assert.deepEqual(csc(qmatrix.P), expected);
    assert.deepEqual(qmatrix.stats.quadraticSections, ['QMATRIX']);
    // QSECTION (for the objective row) is the same as QMATRIX.
    const qsection = parseQps(`${base}QSECTION obj\n x x 4\n x y 1\n y x 1\n y y 5\n y z -2\n z y -2\n z z 6\nENDATA`);
    assert.deepEqual(csc(qsection.P), expected);
    // An asymmetric listing means xᵀQx = xᵀ((Q + Qᵀ)/2)x.
    const asym = parseQps(`${base}QMATRIX\n x y 3\n y x 1\n z x 2\nENDATA`);
    assert.deepEqual(csc(asym.P), { shape: [3, 3], colPtr: [0, 2, 2, 2], rowIdx: [1, 2], values: [2, 1] });
  });

  it('the objective constant is −RHS of the objective row (also −0), 0 without one', () => {
    const text = (rhs: string): string => `NAME C\nROWS\n N obj\n E c\nCOLUMNS\n x obj 1 c 1\nRHS\n${rhs}ENDATA\n`;
    assert.ok(Object.is(parseQps(text('')).constant, 0));
    assert.equal(parseQps(text(' rhs obj 2.5\n')).constant, -2.5);
    assert.equal(parseQps(text(' rhs obj -7\n')).constant, 7);
    assert.ok(Object.is(parseQps(text(' rhs obj 0.\n')).constant, -0));
  });

  it('stores explicit zeros in A and P, sums and counts duplicate entries', () => {
    const text = `NAME Z
ROWS
 N obj
 E c
COLUMNS
 x obj 1 c 0
 x obj 2
 y c 1 c 2
QUADOBJ
 x x 0
 y x 0
 y y 1
 y y 1
ENDATA`;
    const p = parseQps(text);
    assert.deepEqual(Array.from(p.q), [3, 0]);
    assert.deepEqual(csc(p.A), { shape: [1, 2], colPtr: [0, 1, 2], rowIdx: [0, 0], values: [0, 3] });
    assert.deepEqual(csc(p.P), { shape: [2, 2], colPtr: [0, 2, 3], rowIdx: [0, 1, 1], values: [0, 0, 2] });
    assert.equal(p.stats.duplicateEntries, 3);
  });

  it('OBJSENSE MAX gives the negated minimisation; OBJNAME picks the objective among N rows', () => {
    const text = `NAME S
OBJSENSE
    MAX
OBJNAME
    second
ROWS
 N first
 N second
 L c
COLUMNS
 x first 9 second 1
 x c 1
RHS
 rhs second 2 c 4
BOUNDS
 UP bnd x 3
QUADOBJ
 x x -2
ENDATA`;
    const p = parseQps(text);
    assert.equal(p.stats.sense, 'max');
    assert.equal(p.objectiveName, 'second');
    assert.equal(p.stats.droppedRows, 1);
    assert.deepEqual(Array.from(p.q), [-1]);
    assert.deepEqual(Array.from(p.P.values), [2]);
    assert.equal(p.constant, 2); // the file's constant is −2 (RHS 2 on the objective), negated
    const free = parseQps(text.replace('OBJSENSE\n    MAX', 'OBJSENSE MAX').replace('OBJNAME\n    second', 'OBJNAME second'));
    assert.deepEqual(Array.from(free.q), [-1]);
    assert.equal(free.stats.sense, 'max');
  });

  it('reads integer markers and BV/LI/UI as continuous, counting them', () => {
    const text = [
      'NAME I',
      'ROWS',
      fx('N', 'obj'),
      fx('L', 'c'),
      'COLUMNS',
      "    MARKER                 'MARKER'                 'INTORG'",
      fx('', 'x', 'obj', '1', 'c', '1'),
      fx('', 'y', 'obj', '1', 'c', '1'),
      "    MARKER                 'MARKER'                 'INTEND'",
      fx('', 'z', 'obj', '1', 'c', '1'),
      'RHS',
      fx('', 'rhs', 'c', '5'),
      'ENDATA',
    ].join('\n');
    assert.equal(isColumnAligned(text), true);
    for (const format of ['auto', 'fixed', 'free'] as const) {
      const p = parseQps(text, { format });
      assert.equal(p.stats.integerColumns, 2);
      assert.equal(p.stats.n, 3);
      assert.deepEqual(p.colNames, ['x', 'y', 'z']);
    }
  });

  it('reads ±infinite bound values, D exponents, inf; only the first RHS/RANGES/BOUNDS set', () => {
    const text = `NAME F
ROWS
 N obj
 L c1
 G c2
 E c3
COLUMNS
 x obj 1.5D+01 c1 1
 y obj 1 c2 1
 y c3 1
RHS
 rhs1 c1 1e30 c2 -1e+20
 rhs1 c3 2
 rhs2 c1 5 c2 5
BOUNDS
 LO bnd1 x -1e30
 UP bnd1 x 1d2
 UP bnd1 y inf
 LO bnd2 y 7
RANGES
 rng c3 3
 other c3 4
ENDATA`;
    const p = parseQps(text);
    assert.deepEqual(Array.from(p.q), [15, 1]);
    assert.deepEqual(Array.from(p.l), [-INF, -INF, 2]);
    assert.deepEqual(Array.from(p.u), [INF, INF, 5]);
    assert.deepEqual(Array.from(p.lb), [-INF, 0]);
    assert.deepEqual(Array.from(p.ub), [100, INF]);
    assert.equal(p.stats.ignoredEntries, 4);
    // A larger options.infinity keeps 1e20 finite.
    const q = parseQps(text, { infinity: 1e25 });
    assert.deepEqual(Array.from(q.l), [-INF, -1e20, 2]);
  });

  it('handles CRLF line endings, tabs, comments, blank lines and a column listed twice', () => {
    const text =
      'NAME\tW\r\n*comment\r\nROWS\r\n N\tobj\r\n E\tc\r\n\r\nCOLUMNS\r\n\tx\tobj\t1\r\n\ty\tc\t1\r\n\tx\tc\t2\r\nRHS\r\n\trhs\tc\t3\r\nENDATA\r\n';
    const p = parseQps(text);
    assert.equal(p.stats.format, 'free');
    assert.equal(p.nameRecord, 'W');
    assert.deepEqual(p.colNames, ['x', 'y']);
    assert.deepEqual(csc(p.A), { shape: [1, 2], colPtr: [0, 1, 2], rowIdx: [0, 0], values: [2, 1] });
    assert.deepEqual(Array.from(p.l), [3]);
  });

  it('takes the NAME record up to a double blank; options.name overrides it', () => {
    const text = 'NAME          FORPLAN  (FORPLAN1)\nROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\n';
    assert.equal(parseQps(text).name, 'FORPLAN');
    assert.equal(parseQps(text, { name: 'QFORPLAN' }).name, 'QFORPLAN');
    assert.equal(parseQps(text, { name: 'QFORPLAN' }).nameRecord, 'FORPLAN');
    assert.equal(parseQps('ROWS\n N obj\nENDATA').name, '');
  });

  it('auto falls back to free format when an aligned file does not read as fixed', () => {
    // Aligned, but the RHS line has no set name: fixed reads set 'c', row '4.' and fails.
    const text = [
      'NAME',
      'ROWS',
      ' N  obj',
      ' L  c',
      'COLUMNS',
      '    x         obj       1',
      '    x         c         1',
      'RHS',
      '    c         4.',
      'ENDATA',
    ].join('\n');
    assert.equal(isColumnAligned(text), true);
    const p = parseQps(text);
    assert.equal(p.stats.format, 'free');
    assert.deepEqual(Array.from(p.u), [4]);
    expectQpsError(() => parseQps(text, { format: 'fixed' }), 9, '4.', /unknown row name/);
  });

  it('auto falls back to fixed format for a fixed file with card sequence numbers after column 61', () => {
    let seq = 0;
    const text = toFixed(FREE_QP, true)
      .split('\n')
      .map((line) => (line.startsWith(' ') ? `${line.padEnd(72)}${String(++seq).padStart(8, '0')}` : line))
      .join('\n');
    assert.equal(isColumnAligned(text), false);
    const p = parseQps(text);
    assert.equal(p.stats.format, 'fixed');
    checkTestQp(p);
  });
});

describe('qps: errors name the line and the token', () => {
  const head = 'NAME E\nROWS\n N obj\n L c\nCOLUMNS\n x obj 1 c 1\n';

  it('unknown section', () => {
    expectQpsError(() => parseQps(`${head}FOO\nENDATA`), 7, 'FOO', /unknown section/);
    expectQpsError(() => parseQps(`${head}QCMATRIX c\nENDATA`), 7, 'QCMATRIX', /not supported/);
  });

  it('unknown row and column names', () => {
    expectQpsError(() => parseQps(`${head} y obj 1 cc 2\nENDATA`), 7, 'cc', /unknown row name/);
    expectQpsError(() => parseQps(`${head}RHS\n rhs obj 1\n rhs d 1\nENDATA`), 9, 'd', /unknown row name/);
    expectQpsError(() => parseQps(`${head}BOUNDS\n UP bnd zz 1\nENDATA`), 8, 'zz', /unknown column name/);
    expectQpsError(() => parseQps(`${head}QUADOBJ\n x q 1\nENDATA`), 8, 'q', /unknown column name/);
  });

  it('bad and missing numbers', () => {
    expectQpsError(() => parseQps(`${head} y obj 1.2.3\nENDATA`), 7, '1.2.3', /bad number/);
    expectQpsError(() => parseQps(`${head} y obj 0x10\nENDATA`), 7, '0x10', /bad number/);
    expectQpsError(() => parseQps(`${head}BOUNDS\n UP bnd x abc\nENDATA`), 8, 'abc', /bad number/);
    expectQpsError(() => parseQps(`${head}BOUNDS\n UP bnd x\nENDATA`), 8, 'bnd', /unknown column name/);
    const fixed = ['NAME', 'ROWS', fx('N', 'obj'), 'COLUMNS', fx('', 'x', 'obj'), 'ENDATA'].join('\n');
    expectQpsError(() => parseQps(fixed, { format: 'fixed' }), 5, '', /missing value/);
  });

  it('missing ENDATA', () => {
    expectQpsError(() => parseQps(head), 6, undefined, /missing ENDATA/);
    expectQpsError(() => parseQps(''), 0, undefined, /missing ENDATA/);
  });

  it('row and bound types, duplicate rows, OBJNAME', () => {
    expectQpsError(() => parseQps('NAME\nROWS\n N obj\n X c\nENDATA'), 4, 'X', /unknown row type/);
    expectQpsError(() => parseQps('NAME\nROWS\n N obj\n L c\n G c\nENDATA'), 5, 'c', /duplicate row name/);
    expectQpsError(() => parseQps(`${head}BOUNDS\n XX bnd x 1\nENDATA`), 8, 'XX', /unknown bound type/);
    expectQpsError(() => parseQps(`${head}BOUNDS\n SC bnd x 1\nENDATA`), 8, 'SC', /not supported/);
    expectQpsError(() => parseQps(`OBJNAME zz\n${head}ENDATA`), 8, 'zz', /OBJNAME/);
  });

  it('structure: data before a section, wrong field counts, misaligned fixed lines', () => {
    expectQpsError(() => parseQps(' N obj\nROWS\nENDATA'), 1, 'N obj', /before the first section/);
    expectQpsError(
      () => parseQps('NAME\nROWS\n N obj extra\nENDATA', { format: 'free' }),
      3,
      'N obj extra',
      /expected row type and row name/,
    );
    expectQpsError(() => parseQps(`${head} y obj\nENDATA`), 7, 'y obj', /expected column, row, value/);
    // A value starting in column 24 would lose its sign in a fixed-column reading.
    const bad = ['NAME', 'ROWS', fx('N', 'obj'), 'COLUMNS', '    x         obj      -1.5', 'ENDATA'].join('\n');
    expectQpsError(() => parseQps(bad, { format: 'fixed' }), 5, 'x         obj      -1.5', /column 24/);
    assert.deepEqual(Array.from(parseQps(bad).q), [-1.5]); // auto reads it as free
  });

  it('auto reports the error of the format it detected', () => {
    // Free text (not aligned) with an unknown row at line 8: the free reader's error, not the fixed one's.
    expectQpsError(() => parseQps(`${head} y obj 1\n y zz 2\nENDATA`), 8, 'zz', /unknown row name/);
  });

  it('bad options', () => {
    assert.throws(
      () => parseQps(FREE_QP, { format: 'xml' as never }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION,
    );
    assert.throws(
      () => parseQps(FREE_QP, { infinity: -1 }),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_OPTION,
    );
    assert.throws(
      () => parseQps(42 as never),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.INVALID_TYPE,
    );
  });
});

describe('qps: readQps / readQpsSync', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffqp-qps-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads plain and gzipped files (gzip by magic bytes), named by the file stem', async () => {
    const plain = path.join(dir, 'TESTQP1.QPS');
    const gz = path.join(dir, 'TESTQP2.QPS.gz');
    const gzNoExt = path.join(dir, 'TESTQP3.mps');
    fs.writeFileSync(plain, FREE_QP);
    fs.writeFileSync(gz, gzipSync(FREE_QP));
    fs.writeFileSync(gzNoExt, gzipSync(toFixed(FREE_QP, false)));
    for (const [file, name] of [
      [plain, 'TESTQP1'],
      [gz, 'TESTQP2'],
      [gzNoExt, 'TESTQP3'],
    ] as const) {
      const a = await readQps(file);
      const b = readQpsSync(file);
      assert.equal(a.name, name);
      assert.equal(b.name, name);
      assert.equal(a.nameRecord, 'TESTQP');
      checkTestQp(a);
      checkTestQp(b);
    }
    assert.equal(readQpsSync(gz, { name: 'other' }).name, 'other');
    assert.equal(qpsNameFromPath('/x/QAFIRO.QPS.gz'), 'QAFIRO');
    assert.equal(qpsNameFromPath('CONT-100.qps'), 'CONT-100');
    assert.equal(qpsNameFromPath('noext'), 'noext');
  });

  it('errors name the file, the line and the token', async () => {
    const file = path.join(dir, 'BROKEN.QPS.gz');
    fs.writeFileSync(file, gzipSync('NAME\nROWS\n N obj\nCOLUMNS\n x obj 1 nope 2\nENDATA\n'));
    const check = (e: unknown): boolean => {
      assert.ok(e instanceof QpError);
      assert.equal(e.code, ErrorCode.QPS_PARSE);
      assert.equal(e.field, 'line 5');
      assert.equal(e.value, 'nope');
      assert.ok(e.message.startsWith(file), e.message);
      return true;
    };
    assert.throws(() => readQpsSync(file), check);
    await assert.rejects(readQps(file), check);
    const corrupt = path.join(dir, 'CORRUPT.QPS.gz');
    fs.writeFileSync(corrupt, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    assert.throws(
      () => readQpsSync(corrupt),
      (e: unknown) => e instanceof QpError && e.code === ErrorCode.QPS_PARSE,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The Maros–Meszaros set

interface IndexRow {
  name: string;
  n: number;
  m: number;
  nnzA: number;
  nnzP: number;
  nEq: number;
  nRanged: number;
  nFree: number;
  objConst: number;
}

function readIndex(dir: string): IndexRow[] {
  const lines = fs.readFileSync(path.join(dir, 'index.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (k: string): number => {
    const i = header.indexOf(k);
    assert.ok(i >= 0, `index.csv has no column ${k}`);
    return i;
  };
  const c = {
    name: col('name'),
    n: col('n'),
    m: col('m'),
    nnzA: col('nnzA'),
    nnzP: col('nnzP_lower'),
    nEq: col('n_eq'),
    nRanged: col('n_ranged'),
    nFree: col('free_vars'),
    objConst: col('obj_const'),
  };
  return lines.slice(1).map((line) => {
    const f = line.split(',');
    return {
      name: f[c.name]!,
      n: Number(f[c.n]),
      m: Number(f[c.m]),
      nnzA: Number(f[c.nnzA]),
      nnzP: Number(f[c.nnzP]),
      nEq: Number(f[c.nEq]),
      nRanged: Number(f[c.nRanged]),
      nFree: Number(f[c.nFree]),
      objConst: Number(f[c.objConst]),
    };
  });
}

function checkStructure(p: QpsProblem): void {
  const { n, m } = p.stats;
  assert.deepEqual(p.A.shape, [m, n]);
  assert.deepEqual(p.P.shape, [n, n]);
  assert.equal(p.q.length, n);
  assert.equal(p.lb.length, n);
  assert.equal(p.l.length, m);
  assert.equal(p.rowNames.length, m);
  assert.equal(p.colNames.length, n);
  for (let j = 0; j < n; j++) {
    for (let k = p.P.colPtr[j]!; k < p.P.colPtr[j + 1]!; k++) {
      assert.ok(p.P.rowIdx[k]! >= j, 'P is lower');
      if (k > p.P.colPtr[j]!) assert.ok(p.P.rowIdx[k]! > p.P.rowIdx[k - 1]!, 'P rows sorted');
    }
  }
  toCanonical(p); // validates CSC structure, bounds order, finiteness
}

describeWholeSet('qps: the Maros–Meszaros files match index.csv', function (dir) {
  this.timeout(120000);

  it('reads every file in the folder and matches n, m, nnzA, nnzP_lower, n_eq, n_ranged, free_vars, obj_const', function () {
    const index = readIndex(dir);
    const files = fs.readdirSync(dir).filter((f) => /\.(qps|mps|sif)(\.gz)?$/i.test(f));
    assert.deepEqual(files.map(qpsNameFromPath).sort(), index.map((r) => r.name).sort(), 'index.csv lists exactly the files present');
    const byName = new Map(index.map((r) => [r.name, r]));
    const t0 = process.hrtime.bigint();
    const mismatches: string[] = [];
    for (const file of files) {
      const p = readQpsSync(path.join(dir, file));
      const r = byName.get(p.name)!;
      const s = p.stats;
      const got = { n: s.n, m: s.m, nnzA: s.nnzA, nnzP: s.nnzP, nEq: s.nEq, nRanged: s.nRanged, nFree: s.nFree, objConst: p.constant };
      const want = { n: r.n, m: r.m, nnzA: r.nnzA, nnzP: r.nnzP, nEq: r.nEq, nRanged: r.nRanged, nFree: r.nFree, objConst: r.objConst };
      for (const k of Object.keys(want) as (keyof typeof want)[]) {
        // Object.is: QGROW7/QGROW15 have an objective RHS of 0, so the constant is −0 (index: -0.0).
        if (!Object.is(got[k], want[k])) mismatches.push(`${p.name}.${k}: got ${got[k]}, index.csv ${want[k]}`);
      }
      assert.equal(s.format, 'fixed', `${p.name} is column-aligned`);
      assert.equal(s.duplicateEntries, 0, p.name);
      assert.equal(s.ignoredEntries, 0, p.name);
      assert.deepEqual(s.quadraticSections, ['QUADOBJ'], p.name);
      checkStructure(p);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`      (${files.length} files read in ${ms.toFixed(0)} ms)`);
    assert.deepEqual(mismatches, []);
  });

  it('free-format reading of the small aligned files agrees with the fixed reading', function () {
    const small = readIndex(dir).filter((r) => r.name !== 'QFORPLAN' && r.n + r.m < 3000);
    assert.ok(small.length > 50);
    for (const r of small) {
      const file = path.join(dir, `${r.name}.QPS.gz`);
      const fixed = readQpsSync(file, { format: 'fixed' });
      const free = readQpsSync(file, { format: 'free' });
      assert.deepEqual(csc(free.A), csc(fixed.A), r.name);
      assert.deepEqual(csc(free.P), csc(fixed.P), r.name);
      for (const k of ['q', 'l', 'u', 'lb', 'ub'] as const) assert.deepEqual(free[k], fixed[k], `${r.name}.${k}`);
      assert.ok(Object.is(free.constant, fixed.constant), r.name);
    }
  });
});

describe('qps: the quirky Maros–Meszaros files (test/fixtures)', function () {
  it('QAFIRO (NAME differs), QFORPLAN (blanks in names), QGFRDXPN/VALUES (empty set names), QSIERRA (UP 0)', function () {
    const read = (name: string, format: 'auto' | 'fixed' | 'free' = 'auto'): QpsProblem => readQpsSync(fixture(name), { format });

    const afiro = read('QAFIRO');
    assert.equal(afiro.name, 'QAFIRO');
    assert.equal(afiro.nameRecord, 'AFIRO');
    assert.equal(afiro.objectiveName, 'COST');
    assert.equal(afiro.rowNames.indexOf('COST'), -1);

    const forplan = read('QFORPLAN');
    assert.equal(forplan.objectiveName, 'OB1PNW20'); // the second row of the file
    assert.equal(forplan.rowNames[0], 'LC123');
    assert.equal(forplan.rowNames[1], 'DEDO3 1R');
    assert.ok(forplan.colNames.includes('DEDO3 11'));
    expectQpsError(() => read('QFORPLAN', 'free'), 5, 'E  DEDO3 1R');

    // The lenient free reader gets the files with empty set-name fields right too; all agree.
    for (const name of ['QGFRDXPN', 'VALUES']) {
      const fixed = read(name);
      const free = read(name, 'free');
      assert.equal(free.stats.format, 'free');
      for (const k of ['q', 'l', 'u', 'lb', 'ub'] as const) assert.deepEqual(free[k], fixed[k], `${name}.${k}`);
      assert.deepEqual(csc(free.A), csc(fixed.A));
      assert.deepEqual(csc(free.P), csc(fixed.P));
    }
    const gfrd = read('QGFRDXPN');
    assert.ok(
      gfrd.u.some((v) => v === 1095.2),
      'QGFRDXPN RHS read (blank set name)',
    );
    const values = read('VALUES');
    assert.ok(
      values.ub.every((v) => v === 10),
      'VALUES bounds read (blank set name)',
    );

    const sierra = read('QSIERRA');
    let zeroUp = 0;
    for (let j = 0; j < sierra.stats.n; j++) if (sierra.ub[j] === 0) zeroUp++;
    assert.equal(zeroUp, 20);
    for (let j = 0; j < sierra.stats.n; j++) if (sierra.ub[j] === 0) assert.equal(sierra.lb[j], 0);
    assert.equal(sierra.stats.negativeUpperBounds, 0);
  });
});
