/**
 * The QPS / MPS reader: a state machine over the sections, from text to the canonical problem
 * (docs/METHODS.md §1):
 *
 * The file describes   minimize c0 + cᵀx + ½ xᵀQx   s.t. rows of type E/L/G (+ RANGES), bounds.
 * It is returned in the canonical form of docs/METHODS.md §1:
 *
 *   P  lower triangle of Q (CscMatrix, triangle 'lower'); explicit zeros kept
 *   q  objective-row coefficients;     constant = c0 = −(RHS of the objective row)
 *   A  m×n over the non-objective rows in file order (explicit zeros kept, duplicates summed)
 *   l, u from the row type, RHS and RANGES;   lb, ub from BOUNDS with the MPS defaults 0 ≤ x < +∞
 *
 * The free reader is lenient where the token count is unambiguous: an RHS/RANGES line with an
 * even number of tokens has no set name, a BOUNDS line with one token fewer than usual has none.
 * The fixed reader is strict: a character in a separator column is an error (it would otherwise
 * be cut off silently), text after column 61 is ignored.
 *
 * Conventions and choices (all MPS-standard unless noted):
 * - The objective is the first N row (or the row named by OBJNAME); other N rows are dropped with
 *   all their entries (counted in stats.droppedRows).
 * - RANGES R: E row → [rhs, rhs+|R|] if R > 0, [rhs−|R|, rhs] if R < 0; L → [rhs−|R|, rhs];
 *   G → [rhs, rhs+|R|].
 * - BOUNDS UP v with v < 0 and no lower bound given sets lb = −∞ (and counts it in
 *   stats.negativeUpperBounds); UP 0 keeps lb = 0. LO, FX, FR, MI (lb = −∞, ub kept), PL, BV
 *   (0..1), LI, UI. Integer markers and BV/LI/UI are read as continuous (the QP relaxation;
 *   counted in stats.integerColumns).
 * - Bound, RHS and range values with |v| ≥ options.infinity (default 1e20), and the words inf and
 *   infinity, are ±Infinity, but only where an infinite value means a missing bound: UP, UI, PL
 *   +∞; LO, LI, MI −∞; an RHS or range whose row bounds stay l < +∞, u > −∞. An LO of +1e30, an
 *   UP or FX of ±1e30, an E row's RHS of 1e30 are parse errors naming the line (they would make
 *   the problem infeasible by a convention, not by the data). Coefficients (COLUMNS, QUADOBJ,
 *   QMATRIX, the objective's RHS) must be finite; a number beyond the double range (1e999) is
 *   an error everywhere.
 * - QUADOBJ `c1 c2 v` is Q(c2, c1) = Q(c1, c2) (one triangle listed, mirrored). QMATRIX and
 *   QSECTION (for the objective) list the full matrix: P takes (Q + Qᵀ)/2, i.e. each off-diagonal
 *   entry contributes half to the lower-triangle position (exact for a symmetric listing).
 * - Only the first RHS, RANGES and BOUNDS set is used; entries of other sets are skipped and
 *   counted in stats.ignoredEntries. Repeated COLUMNS / QUADOBJ entries are summed (counted in
 *   stats.duplicateEntries). A column that reappears after others in COLUMNS is the same column.
 * - OBJSENSE MAX: the equivalent minimisation is returned (q, P and constant negated);
 *   stats.sense says 'max'.
 */
import { compressTriplets, CscMatrix } from '../sparse';
import type { CanonicalProblem } from '../problem';
import { QpError } from '../errors';
import { FIELD_END, FIELD_START, isBlank, isInfinityWord, parseError, parseNumber, quote, SEPARATORS, SPACE, tokenize } from './format';

export type QpsFormat = 'auto' | 'fixed' | 'free';

export interface QpsOptions {
  /** 'auto' (default) detects the format, see lib/qps/format.ts. */
  format?: QpsFormat;
  /** The problem name; default: the file name stem (readQps) or the NAME record (parseQps). */
  name?: string;
  /** Bound, RHS and range values with |v| ≥ infinity are read as ±Infinity. Default 1e20. */
  infinity?: number;
}

export interface QpsStats {
  /** The format the text was read in (for 'auto', the one detected). */
  format: 'fixed' | 'free';
  /** Lines in the text, ENDATA included. */
  lines: number;
  n: number;
  m: number;
  /** Stored entries of A, explicit zeros included. */
  nnzA: number;
  /** Stored entries of P's lower triangle, diagonal and explicit zeros included. */
  nnzP: number;
  /** Rows with l = u. */
  nEq: number;
  /** Rows with a RANGES entry. */
  nRanged: number;
  /** Variables with lb = −∞ and ub = +∞. */
  nFree: number;
  /** N rows other than the objective, dropped with their entries. */
  droppedRows: number;
  /** The quadratic sections present, in file order (empty for an LP). */
  quadraticSections: string[];
  /** The objective sense of the file; a 'max' problem is returned as its negated minimisation. */
  sense: 'min' | 'max';
  /** Columns marked integer (MARKER INTORG, BV, LI, UI); read as continuous. */
  integerColumns: number;
  /** COLUMNS / QUADOBJ entries repeating an earlier (row, column); summed. */
  duplicateEntries: number;
  /** Entries skipped: other RHS/RANGES/BOUNDS sets, RHS/RANGES on dropped N rows, RANGES on the objective. */
  ignoredEntries: number;
  /** UP/UI bounds below zero on a column without a lower bound: lb set to −∞. */
  negativeUpperBounds: number;
}

export type QpsProblem = CanonicalProblem & {
  form: 'canonical';
  name: string;
  P: CscMatrix;
  q: Float64Array;
  A: CscMatrix;
  l: Float64Array;
  u: Float64Array;
  lb: Float64Array;
  ub: Float64Array;
  constant: number;
  /** The NAME record of the file ('' if none); may differ from name (QAFIRO says AFIRO). */
  nameRecord: string;
  /** The objective row's name ('' if the file has no N row). */
  objectiveName: string;
  /** Names of the m rows of A, in order. */
  rowNames: string[];
  /** Names of the n columns, in order. */
  colNames: string[];
  stats: QpsStats;
};

// ---------------------------------------------------------------------------------------------
// Growable triplet storage

class Triplets {
  rows = new Int32Array(1024);
  cols = new Int32Array(1024);
  vals = new Float64Array(1024);
  count = 0;

  push(i: number, j: number, v: number): void {
    if (this.count === this.rows.length) {
      const cap = this.count * 2;
      const rows = new Int32Array(cap);
      rows.set(this.rows);
      const cols = new Int32Array(cap);
      cols.set(this.cols);
      const vals = new Float64Array(cap);
      vals.set(this.vals);
      this.rows = rows;
      this.cols = cols;
      this.vals = vals;
    }
    this.rows[this.count] = i;
    this.cols[this.count] = j;
    this.vals[this.count++] = v;
  }

  /** CSC with rows sorted in each column and duplicates summed (sparse.ts compressTriplets). */
  toCsc(nrows: number, ncols: number, triangle: 'full' | 'lower'): CscMatrix {
    const { colPtr, rowIdx, values } = compressTriplets(nrows, ncols, this.rows, this.cols, this.vals, this.count);
    return new CscMatrix(nrows, ncols, colPtr, rowIdx, values, triangle);
  }
}

/** The column holding stored entry k (binary search in colPtr). */
function columnOf(M: CscMatrix, k: number): number {
  let lo = 0;
  let hi = M.ncols - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (M.colPtr[mid]! <= k) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// The reader

const enum Sec {
  None,
  Name,
  Rows,
  Columns,
  Rhs,
  Ranges,
  Bounds,
  QuadObj,
  QMatrix,
  ObjSense,
  ObjName,
  End,
}

const SECTIONS: Record<string, Sec> = {
  NAME: Sec.Name,
  ROWS: Sec.Rows,
  COLUMNS: Sec.Columns,
  RHS: Sec.Rhs,
  RANGES: Sec.Ranges,
  BOUNDS: Sec.Bounds,
  QUADOBJ: Sec.QuadObj,
  QMATRIX: Sec.QMatrix,
  QSECTION: Sec.QMatrix,
  OBJSENSE: Sec.ObjSense,
  OBJSENS: Sec.ObjSense,
  OBJNAME: Sec.ObjName,
  ENDATA: Sec.End,
};

const UNSUPPORTED_SECTIONS = new Set([
  'QCMATRIX',
  'CSECTION',
  'SOS',
  'INDICATORS',
  'GENCONS',
  'PWLOBJ',
  'PWLNAM',
  'PWLCON',
  'SETS',
  'BRANCH',
  'USERCUTS',
  'LAZYCONS',
]);

/** Row lookup codes besides indices ≥ 0. */
const OBJECTIVE = -1;
const DROPPED = -2;

const ROW_E = 0;
const ROW_L = 1;
const ROW_G = 2;

/** BOUNDS types: which need a value. */
const BOUND_NEEDS_VALUE: Record<string, boolean> = {
  UP: true,
  LO: true,
  FX: true,
  LI: true,
  UI: true,
  FR: false,
  MI: false,
  PL: false,
  BV: false,
};

export class Reader {
  private readonly fixed: boolean;
  private readonly infinity: number;

  private section: Sec = Sec.None;
  private sectionWord = '';
  private lineNo = 0;
  private nameRecord = '';
  private sense: 'min' | 'max' = 'min';
  private objNameWanted: string | undefined;
  private objectiveName = '';
  private sawEndata = false;
  private sawRows = false;

  private readonly rowMap = new Map<string, number>();
  private readonly rowNames: string[] = [];
  private readonly rowType: number[] = [];
  private readonly rhs: number[] = [];
  private readonly range: number[] = [];
  /** The line each row's RHS and range came from (0: none), for errors found at assembly. */
  private readonly rhsLine: number[] = [];
  private readonly rangeLine: number[] = [];
  private droppedRows = 0;

  private readonly colMap = new Map<string, number>();
  private readonly colNames: string[] = [];
  private readonly q: number[] = [];
  private readonly qSeen: number[] = [];
  private readonly lb: number[] = [];
  private readonly ub: number[] = [];
  private readonly lbSet: number[] = [];
  private readonly integer: number[] = [];
  private curColName: string | undefined;
  private curCol = -1;
  private inIntegerMarker = false;
  private readonly lastCol = new Int32Array([-1, -1]);
  /** Row-name cache per field position ('\n' is never a name). */
  private readonly lastRowName = ['\n', '\n'];
  private readonly lastRowIdx = new Int32Array([-3, -3]);

  private readonly A = new Triplets();
  private readonly P = new Triplets();
  private quadObjEntries = 0;
  private readonly quadraticSections: string[] = [];
  private constant = 0;

  private rhsSet: string | undefined;
  private rangesSet: string | undefined;
  private boundsSet: string | undefined;
  private ignoredEntries = 0;
  private negativeUpperBounds = 0;
  private duplicateEntries = 0;

  /** Normalised fields f[0..5] of the current data line (fixed-format positions). */
  private readonly f: string[] = ['', '', '', '', '', ''];
  private readonly tokens: string[] = [];

  constructor(format: 'fixed' | 'free', infinity: number) {
    this.fixed = format === 'fixed';
    this.infinity = infinity;
  }

  parse(text: string): Omit<QpsProblem, 'name'> {
    const L = text.length;
    let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    while (pos < L) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = L;
      let stop = end;
      if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
      this.lineNo++;
      const first = pos < stop ? text.charCodeAt(pos) : SPACE;
      if (first !== 42 /* '*' comment */) {
        if (!isBlank(first)) {
          this.header(text.slice(pos, stop));
          if (this.sawEndata) break;
        } else {
          let k = pos;
          while (k < stop && isBlank(text.charCodeAt(k))) k++;
          if (k < stop) this.data(text, pos, stop);
        }
      }
      pos = end + 1;
    }
    if (!this.sawEndata) {
      throw parseError(this.lineNo, `missing ENDATA (the text ends at line ${this.lineNo})`);
    }
    if (this.objNameWanted !== undefined && this.objectiveName === '') {
      throw parseError(this.lineNo, `OBJNAME names ${quote(this.objNameWanted)}, which is not an N row`, this.objNameWanted);
    }
    return this.finish();
  }

  // --- headers ---------------------------------------------------------------------------

  private header(line: string): void {
    let k = 0;
    while (k < line.length && !isBlank(line.charCodeAt(k))) k++;
    const word = line.slice(0, k);
    const upper = word.toUpperCase();
    const rest = line.slice(k).trim();
    const sec = SECTIONS[upper];
    if (sec === undefined) {
      if (UNSUPPORTED_SECTIONS.has(upper)) throw parseError(this.lineNo, `section ${upper} is not supported`, word);
      throw parseError(this.lineNo, `unknown section ${quote(word)}`, word);
    }
    this.section = sec;
    this.sectionWord = upper;
    this.curColName = undefined;
    switch (sec) {
      case Sec.Name: {
        // The name: the rest of the line up to a run of two blanks (QFORPLAN: "FORPLAN  (FORPLAN1)").
        const cut = rest.search(/\s\s|\t/);
        this.nameRecord = cut >= 0 ? rest.slice(0, cut) : rest;
        break;
      }
      case Sec.Rows:
        this.sawRows = true;
        break;
      case Sec.Columns:
        if (!this.sawRows) throw parseError(this.lineNo, 'COLUMNS before ROWS', word);
        break;
      case Sec.Rhs:
      case Sec.Ranges:
      case Sec.Bounds:
      case Sec.QuadObj:
        break;
      case Sec.QMatrix:
        if (upper === 'QSECTION' && rest !== '') {
          const idx = this.rowMap.get(rest);
          if (idx !== OBJECTIVE) {
            throw parseError(
              this.lineNo,
              `QSECTION ${quote(rest)}: quadratic constraints are not supported (only the objective row)`,
              rest,
            );
          }
        }
        break;
      case Sec.ObjSense:
        if (rest !== '') this.objSense(rest);
        break;
      case Sec.ObjName:
        if (rest !== '') this.objName(rest);
        break;
      case Sec.End:
        this.sawEndata = true;
        break;
      default:
        break;
    }
    if (sec === Sec.QuadObj || sec === Sec.QMatrix) this.quadraticSections.push(upper);
  }

  private objSense(text: string): void {
    const s = text.toUpperCase();
    if (s === 'MAX' || s === 'MAXIMIZE' || s === 'MAXIMISE') this.sense = 'max';
    else if (s === 'MIN' || s === 'MINIMIZE' || s === 'MINIMISE') this.sense = 'min';
    else throw parseError(this.lineNo, `unknown objective sense ${quote(text)} (MAX or MIN)`, text);
  }

  private objName(text: string): void {
    if (this.sawRows) throw parseError(this.lineNo, 'OBJNAME must come before ROWS', text);
    this.objNameWanted = text;
  }

  // --- data lines ------------------------------------------------------------------------

  private data(text: string, pos: number, stop: number): void {
    const sec = this.section;
    if (sec === Sec.ObjSense) return this.objSense(text.slice(pos, stop).trim());
    if (sec === Sec.ObjName) return this.objName(text.slice(pos, stop).trim());
    if (sec === Sec.None || sec === Sec.Name) {
      const what = sec === Sec.None ? 'data before the first section' : 'data line in the NAME section';
      const line = text.slice(pos, stop).trim();
      throw parseError(this.lineNo, `${what}: ${quote(line)}`, line);
    }
    const isData = this.fixed ? this.fixedFields(text, pos, stop) : this.freeFields(text.slice(pos, stop));
    if (!isData) return;
    switch (sec) {
      case Sec.Rows:
        return this.row();
      case Sec.Columns:
        return this.column();
      case Sec.Rhs:
        return this.pairedLine('rhsSet', (r, v, k) => this.rhsEntry(r, v, k));
      case Sec.Ranges:
        return this.pairedLine('rangesSet', (r, v, k) => this.rangeEntry(r, v, k));
      case Sec.Bounds:
        return this.bound();
      case Sec.QuadObj:
        return this.quad(false);
      case Sec.QMatrix:
        return this.quad(true);
      default:
        break;
    }
  }

  /** Cuts the line into the six fields; false for a MARKER line (handled here). */
  private fixedFields(text: string, pos: number, stop: number): boolean {
    const len = stop - pos;
    for (let s = 0; s < SEPARATORS.length; s++) {
      const c = SEPARATORS[s]!;
      if (c >= len) break;
      if (text.charCodeAt(pos + c) !== SPACE) {
        const line = text.slice(pos, stop);
        if (this.section === Sec.Columns && line.indexOf("'MARKER'") >= 0 && this.marker(line)) return false;
        throw parseError(
          this.lineNo,
          `fixed format: column ${c + 1} of ${quote(line.trim())} holds ${quote(line.charAt(c))}, outside the fields (columns 2-3, 5-12, 15-22, 25-36, 40-47, 50-61); is this free format?`,
          line.trim(),
        );
      }
    }
    const f = this.f;
    let quoted = false;
    for (let k = 0; k < 6; k++) {
      let s = pos + FIELD_START[k]!;
      let e = pos + FIELD_END[k]!;
      if (e > stop) e = stop;
      while (s < e && isBlank(text.charCodeAt(s))) s++;
      while (e > s && isBlank(text.charCodeAt(e - 1))) e--;
      if (s < e) {
        f[k] = text.slice(s, e);
        if (text.charCodeAt(s) === 39 /* ' */) quoted = true;
      } else f[k] = '';
    }
    if (quoted && this.section === Sec.Columns && this.marker(text.slice(pos, stop))) return false;
    return true;
  }

  /**
   * Maps whitespace tokens to the fixed-format field positions of the current section;
   * false for a MARKER line (handled here).
   */
  private freeFields(line: string): boolean {
    const t = this.tokens;
    const k = tokenize(line, t);
    if (this.section === Sec.Columns && k === 3 && t[1] === "'MARKER'") return !this.marker(line);
    const f = this.f;
    f[0] = f[1] = f[2] = f[3] = f[4] = f[5] = '';
    const wrongCount = (expected: string): QpError =>
      parseError(this.lineNo, `expected ${expected}, found ${k} field(s): ${quote(line.trim())}`, line.trim());
    switch (this.section) {
      case Sec.Rows:
        if (k !== 2) throw wrongCount('row type and row name');
        f[0] = t[0]!;
        f[1] = t[1]!;
        return true;
      case Sec.Columns:
        if (k !== 3 && k !== 5) throw wrongCount('column, row, value [, row, value]');
        f[1] = t[0]!;
        f[2] = t[1]!;
        f[3] = t[2]!;
        if (k === 5) {
          f[4] = t[3]!;
          f[5] = t[4]!;
        }
        return true;
      case Sec.Rhs:
      case Sec.Ranges: {
        if (k < 2 || k > 5) throw wrongCount('[set,] row, value [, row, value]');
        const o = k % 2; // odd count: a set name comes first
        if (o === 1) f[1] = t[0]!;
        f[2] = t[o]!;
        f[3] = t[o + 1]!;
        if (k - o === 4) {
          f[4] = t[o + 2]!;
          f[5] = t[o + 3]!;
        }
        return true;
      }
      case Sec.Bounds: {
        if (k < 2 || k > 4) throw wrongCount('type, [set,] column [, value]');
        const type = t[0]!.toUpperCase();
        f[0] = t[0]!;
        const needs = BOUND_NEEDS_VALUE[type];
        let hasSet: boolean;
        if (k === 4) hasSet = true;
        else if (k === 2) hasSet = false;
        else if (needs === true)
          hasSet = false; // UP col value
        else hasSet = this.colMap.has(t[2]!) || !this.colMap.has(t[1]!); // FR set col | FR col value
        if (hasSet) {
          f[1] = t[0 + 1]!;
          f[2] = t[2]!;
          if (k === 4) f[3] = t[3]!;
        } else {
          f[2] = t[1]!;
          if (k === 3) f[3] = t[2]!;
        }
        return true;
      }
      case Sec.QuadObj:
      case Sec.QMatrix:
        if (k !== 3) throw wrongCount('column, column, value');
        f[1] = t[0]!;
        f[2] = t[1]!;
        f[3] = t[2]!;
        return true;
      default:
        return true;
    }
  }

  private expectEmpty(...indices: number[]): void {
    for (const k of indices) {
      const s = this.f[k]!;
      if (s !== '') throw parseError(this.lineNo, `unexpected ${quote(s)} in ${this.sectionName()}`, s);
    }
  }

  private sectionName(): string {
    return this.sectionWord;
  }

  /** A finite number; `what` and `name` describe it in an error message (built only on error). */
  private number(tok: string, what: string, name: string): number {
    const v = this.anyNumber(tok, what, name);
    if (v !== Infinity && v !== -Infinity) return v;
    throw parseError(this.lineNo, `${quote(tok)} is not finite (${this.describe(what, name)} must be)`, tok);
  }

  /** A number or the word inf/infinity; a number beyond the double range is an error. */
  private anyNumber(tok: string, what: string, name: string): number {
    const v = parseNumber(tok);
    if (v === v) {
      if ((v === Infinity || v === -Infinity) && !isInfinityWord(tok)) {
        throw parseError(this.lineNo, `number ${quote(tok)} is beyond the double range (${this.describe(what, name)})`, tok);
      }
      return v;
    }
    if (tok === '') throw parseError(this.lineNo, `missing ${this.describe(what, name)}`, tok);
    throw parseError(this.lineNo, `bad number ${quote(tok)} (${this.describe(what, name)})`, tok);
  }

  private describe(what: string, name: string): string {
    return name === '' ? what : `${what} ${quote(name)}`;
  }

  /** A bound-like value: beyond ±infinity (or inf) it is ±Infinity; callers decide where that is allowed. */
  private bigNumber(tok: string, what: string, name: string): number {
    const v = this.anyNumber(tok, what, name);
    return v >= this.infinity ? Infinity : v <= -this.infinity ? -Infinity : v;
  }

  /**
   * A row's index (or OBJECTIVE / DROPPED). Entries in the same field position of consecutive
   * lines often name the same row or the next one: those are tried before the map.
   */
  private rowIndex(name: string, slot: 0 | 1): number {
    if (name === this.lastRowName[slot]) return this.lastRowIdx[slot]!;
    const guess = this.lastRowIdx[slot]! + 1;
    const names = this.rowNames;
    let idx: number | undefined;
    if (guess >= 0 && guess < names.length && names[guess] === name) idx = guess;
    else {
      if (name === '') throw parseError(this.lineNo, 'missing row name', name);
      idx = this.rowMap.get(name);
      if (idx === undefined) throw parseError(this.lineNo, `unknown row name ${quote(name)} in ${this.sectionName()}`, name);
    }
    this.lastRowName[slot] = name;
    this.lastRowIdx[slot] = idx;
    return idx;
  }

  /**
   * A column's index. Files list bounds and QUADOBJ entries mostly in column order, so the
   * column last found through this slot, and the one after it, are tried before the map.
   */
  private colIndex(name: string, slot: 0 | 1): number {
    const last = this.lastCol[slot]!;
    const names = this.colNames;
    if (last >= 0) {
      if (names[last] === name) return last;
      if (last + 1 < names.length && names[last + 1] === name) return (this.lastCol[slot] = last + 1);
    }
    if (name === '') throw parseError(this.lineNo, 'missing column name', name);
    const idx = this.colMap.get(name);
    if (idx === undefined) throw parseError(this.lineNo, `unknown column name ${quote(name)} in ${this.sectionName()}`, name);
    this.lastCol[slot] = idx;
    return idx;
  }

  // --- sections --------------------------------------------------------------------------

  private row(): void {
    const f = this.f;
    this.expectEmpty(2, 3, 4, 5);
    const typeTok = f[0]!;
    const name = f[1]!;
    if (name === '') throw parseError(this.lineNo, 'missing row name', typeTok);
    if (this.rowMap.has(name)) throw parseError(this.lineNo, `duplicate row name ${quote(name)}`, name);
    const type = typeTok.toUpperCase();
    if (type === 'N') {
      const isObjective = this.objectiveName === '' && (this.objNameWanted === undefined || this.objNameWanted === name);
      if (isObjective) {
        this.objectiveName = name;
        this.rowMap.set(name, OBJECTIVE);
      } else {
        this.rowMap.set(name, DROPPED);
        this.droppedRows++;
      }
      return;
    }
    let code: number;
    if (type === 'E') code = ROW_E;
    else if (type === 'L') code = ROW_L;
    else if (type === 'G') code = ROW_G;
    else throw parseError(this.lineNo, `unknown row type ${quote(typeTok)} (N, E, L or G)`, typeTok);
    this.rowMap.set(name, this.rowNames.length);
    this.rowNames.push(name);
    this.rowType.push(code);
    this.rhs.push(0);
    this.range.push(NaN);
    this.rhsLine.push(0);
    this.rangeLine.push(0);
  }

  private marker(line: string): boolean {
    const t = this.tokens;
    const k = tokenize(line, t);
    if (k !== 3 || t[1] !== "'MARKER'") return false;
    const kind = t[2]!.toUpperCase();
    if (kind === "'INTORG'") this.inIntegerMarker = true;
    else if (kind === "'INTEND'") this.inIntegerMarker = false;
    else throw parseError(this.lineNo, `unknown marker ${quote(t[2]!)} ('INTORG' or 'INTEND')`, t[2]!);
    this.curColName = undefined;
    return true;
  }

  private column(): void {
    const f = this.f;
    this.expectEmpty(0);
    const name = f[1]!;
    if (name !== this.curColName) {
      if (name === '') throw parseError(this.lineNo, 'missing column name', name);
      let j = this.colMap.get(name);
      if (j === undefined) {
        j = this.colNames.length;
        this.colMap.set(name, j);
        this.colNames.push(name);
        this.q.push(0);
        this.qSeen.push(0);
        this.lb.push(0);
        this.ub.push(Infinity);
        this.lbSet.push(0);
        this.integer.push(this.inIntegerMarker ? 1 : 0);
      }
      this.curColName = name;
      this.curCol = j;
    }
    this.entry(f[2]!, f[3]!, 0);
    if (f[4] !== '' || f[5] !== '') this.entry(f[4]!, f[5]!, 1);
  }

  private entry(rowName: string, valueTok: string, slot: 0 | 1): void {
    const i = this.rowIndex(rowName, slot);
    const v = this.number(valueTok, 'value for row', rowName);
    const j = this.curCol;
    if (i >= 0) this.A.push(i, j, v);
    else if (i === OBJECTIVE) {
      if (this.qSeen[j]) this.duplicateEntries++;
      this.qSeen[j] = 1;
      this.q[j] += v;
    }
  }

  /** Whether this line belongs to the set in use (the first one seen). */
  private inSet(kind: 'rhsSet' | 'rangesSet' | 'boundsSet', set: string, entries: number): boolean {
    const current = this[kind];
    if (current === undefined) {
      this[kind] = set;
      return true;
    }
    if (current === set) return true;
    this.ignoredEntries += entries;
    return false;
  }

  /** An RHS or RANGES line: a set name and one or two (row, value) pairs. */
  private pairedLine(kind: 'rhsSet' | 'rangesSet', entry: (rowName: string, valueTok: string, slot: 0 | 1) => void): void {
    const f = this.f;
    this.expectEmpty(0);
    const pairs = f[4] !== '' || f[5] !== '' ? 2 : 1;
    if (!this.inSet(kind, f[1]!, pairs)) return;
    entry(f[2]!, f[3]!, 0);
    if (pairs === 2) entry(f[4]!, f[5]!, 1);
  }

  private rhsEntry(rowName: string, valueTok: string, slot: 0 | 1): void {
    const i = this.rowIndex(rowName, slot);
    if (i === OBJECTIVE) {
      this.constant = -this.number(valueTok, 'RHS of row', rowName);
      return;
    }
    const v = this.bigNumber(valueTok, 'RHS of row', rowName);
    if (i === DROPPED) this.ignoredEntries++;
    else {
      this.rhs[i] = v;
      this.rhsLine[i] = this.lineNo;
    }
  }

  private rangeEntry(rowName: string, valueTok: string, slot: 0 | 1): void {
    const i = this.rowIndex(rowName, slot);
    const v = this.bigNumber(valueTok, 'range of row', rowName);
    if (i < 0) this.ignoredEntries++;
    else {
      this.range[i] = v;
      this.rangeLine[i] = this.lineNo;
    }
  }

  private bound(): void {
    const f = this.f;
    this.expectEmpty(4, 5);
    const typeTok = f[0]!;
    const type = typeTok.toUpperCase();
    const needs = BOUND_NEEDS_VALUE[type];
    if (needs === undefined) {
      if (type === 'SC') throw parseError(this.lineNo, 'bound type SC (semi-continuous) is not supported', typeTok);
      throw parseError(this.lineNo, `unknown bound type ${quote(typeTok)}`, typeTok);
    }
    if (!this.inSet('boundsSet', f[1]!, 1)) return;
    const j = this.colIndex(f[2]!, 0);
    const v = needs ? this.bigNumber(f[3]!, `${type} bound of column`, f[2]!) : 0;
    // An infinite value stands for a missing bound: +∞ only as an upper one, −∞ only as a lower one.
    const upper = type === 'UP' || type === 'UI';
    const lower = type === 'LO' || type === 'LI';
    if ((v === Infinity && !upper) || (v === -Infinity && !lower)) {
      throw parseError(
        this.lineNo,
        `${type} bound of column ${quote(f[2]!)} is ${quote(f[3]!)}, read as ${v}: an infinite value only stands for a missing bound (+Infinity as UP, -Infinity as LO)`,
        f[3]!,
      );
    }
    switch (type) {
      case 'UP':
      case 'UI':
        this.ub[j] = v;
        if (v < 0 && !this.lbSet[j]) {
          this.lb[j] = -Infinity;
          this.negativeUpperBounds++;
        }
        break;
      case 'LO':
      case 'LI':
        this.lb[j] = v;
        this.lbSet[j] = 1;
        break;
      case 'FX':
        this.lb[j] = v;
        this.ub[j] = v;
        this.lbSet[j] = 1;
        break;
      case 'FR':
        this.lb[j] = -Infinity;
        this.ub[j] = Infinity;
        this.lbSet[j] = 1;
        break;
      case 'MI':
        this.lb[j] = -Infinity;
        this.lbSet[j] = 1;
        break;
      case 'PL':
        this.ub[j] = Infinity;
        break;
      case 'BV':
        this.lb[j] = 0;
        this.ub[j] = 1;
        this.lbSet[j] = 1;
        break;
      default:
        break;
    }
    if (type === 'BV' || type === 'LI' || type === 'UI') this.integer[j] = 1;
  }

  private quad(full: boolean): void {
    const f = this.f;
    this.expectEmpty(0, 4, 5);
    const a = this.colIndex(f[1]!, 0);
    const b = this.colIndex(f[2]!, 1);
    const v = this.number(f[3]!, 'quadratic coefficient', '');
    const i = a > b ? a : b;
    const j = a > b ? b : a;
    if (!full) {
      this.P.push(i, j, v);
      this.quadObjEntries++;
    } else this.P.push(i, j, i === j ? v : 0.5 * v);
  }

  // --- assembly --------------------------------------------------------------------------

  /** Repeated entries are summed, and two finite values can sum past the double range. */
  private requireFiniteSums(values: Float64Array, what: (k: number) => string): void {
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k]))
        throw parseError(this.lineNo, `${what(k)}: its repeated entries sum to ${values[k]}`, String(values[k]));
    }
  }

  private finish(): Omit<QpsProblem, 'name'> {
    const n = this.colNames.length;
    const m = this.rowNames.length;
    const A = this.A.toCsc(m, n, 'full');
    this.duplicateEntries += this.A.count - A.nnz;
    const P = this.P.toCsc(n, n, 'lower');
    // Duplicates among QUADOBJ entries only (QMATRIX mirror pairs merge by design).
    if (this.quadObjEntries === this.P.count) this.duplicateEntries += this.P.count - P.nnz;

    const q = Float64Array.from(this.q);
    this.requireFiniteSums(q, (k) => `the objective coefficient of column ${quote(this.colNames[k]!)}`);
    this.requireFiniteSums(
      A.values,
      (k) => `the entry of column ${quote(this.colNames[columnOf(A, k)]!)} in row ${quote(this.rowNames[A.rowIdx[k]!]!)}`,
    );
    this.requireFiniteSums(
      P.values,
      (k) => `the quadratic entry (${quote(this.colNames[P.rowIdx[k]!]!)}, ${quote(this.colNames[columnOf(P, k)]!)})`,
    );
    const lb = Float64Array.from(this.lb);
    const ub = Float64Array.from(this.ub);
    const l = new Float64Array(m);
    const u = new Float64Array(m);
    let nEq = 0;
    let nRanged = 0;
    for (let i = 0; i < m; i++) {
      const b = this.rhs[i]!;
      const r = this.range[i]!;
      const type = this.rowType[i]!;
      let lo: number;
      let hi: number;
      if (Number.isNaN(r)) {
        lo = type === ROW_L ? -Infinity : b;
        hi = type === ROW_G ? Infinity : b;
      } else {
        nRanged++;
        const ar = Math.abs(r);
        if (type === ROW_E) {
          lo = r < 0 ? b - ar : b;
          hi = r > 0 ? b + ar : b;
        } else if (type === ROW_L) {
          lo = b - ar;
          hi = b;
        } else {
          lo = b;
          hi = b + ar;
        }
      }
      // lo = hi = ±∞ (an E row's RHS of 1e30), lo = +∞, hi = −∞ or ∞ − ∞: no x satisfies the row.
      if (!(lo < Infinity && hi > -Infinity)) {
        const line = Number.isNaN(r) || !Number.isFinite(b) ? this.rhsLine[i]! : this.rangeLine[i]!;
        const ranged = Number.isNaN(r) ? '' : ` and range ${r}`;
        throw parseError(
          line,
          `row ${quote(this.rowNames[i]!)} (type ${'ELG'[type]}): RHS ${b}${ranged} give the bounds [${lo}, ${hi}]; an infinite value can only stand for a missing bound`,
          this.rowNames[i]!,
        );
      }
      l[i] = lo;
      u[i] = hi;
      if (lo === hi) nEq++;
    }
    let nFree = 0;
    let integerColumns = 0;
    for (let j = 0; j < n; j++) {
      if (lb[j] === -Infinity && ub[j] === Infinity) nFree++;
      if (this.integer[j]) integerColumns++;
    }
    let constant = this.constant;
    if (this.sense === 'max') {
      for (let j = 0; j < n; j++) q[j] = -q[j]!;
      for (let k = 0; k < P.values.length; k++) P.values[k] = -P.values[k]!;
      constant = -constant;
    }
    return {
      form: 'canonical',
      P,
      q,
      A,
      l,
      u,
      lb,
      ub,
      constant,
      nameRecord: this.nameRecord,
      objectiveName: this.objectiveName,
      rowNames: this.rowNames,
      colNames: this.colNames,
      stats: {
        format: this.fixed ? 'fixed' : 'free',
        lines: this.lineNo,
        n,
        m,
        nnzA: A.nnz,
        nnzP: P.nnz,
        nEq,
        nRanged,
        nFree,
        droppedRows: this.droppedRows,
        quadraticSections: this.quadraticSections,
        sense: this.sense,
        integerColumns,
        duplicateEntries: this.duplicateEntries,
        ignoredEntries: this.ignoredEntries,
        negativeUpperBounds: this.negativeUpperBounds,
      },
    };
  }
}
