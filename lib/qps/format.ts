/**
 * QPS / MPS lexical layer: tokens, numbers, and the fixed-or-free format detection.
 *
 * Format detection ('auto', the default). Every data line of a fixed-format file keeps its
 * fields in columns 2–3, 5–12, 15–22, 25–36, 40–47 and 50–61, so the separator columns 4, 13–14,
 * 23–24, 37–39 and 48–49 are blank and nothing follows column 61. A pre-scan checks exactly that
 * ("the file is column-aligned"; MARKER lines are exempt, a tab in a data line makes the file
 * unaligned). In an aligned file every token lies inside one field, so a
 * fixed-column reading and a whitespace-split reading agree wherever both are possible, and the
 * fixed reading is the only correct one where they are not: names with blanks inside (QFORPLAN)
 * and empty RHS/BOUNDS set-name fields (QGFRDXPN, VALUES). So an aligned file is read as fixed,
 * any other file as free. Should that reading fail, the other one is tried (this catches a
 * free-format file that happens to align, or a fixed file with card sequence numbers after column
 * 61); if both fail, the error of the first choice is thrown. The choice is per file, never per
 * line: a file does not switch format halfway, and per-line guessing could misread a line.
 */
import { ErrorCode, QpError } from '../errors';

// ---------------------------------------------------------------------------------------------
// Errors

export function parseError(lineNo: number, message: string, token?: string): QpError {
  const details: { field: string; index: number; value?: unknown } = { field: `line ${lineNo}`, index: lineNo };
  if (token !== undefined) details.value = token;
  return new QpError(ErrorCode.QPS_PARSE, `QPS line ${lineNo}: ${message}`, details);
}

export const quote = (s: string): string => `'${s}'`;

// ---------------------------------------------------------------------------------------------
// Lexical helpers

export const SPACE = 32;
const TAB = 9;

export function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === 13 || c === 11 || c === 12;
}

/** 0-based separator columns of the fixed format (column 1 is blank on every data line). */
export const SEPARATORS = [3, 12, 13, 22, 23, 36, 37, 38, 47, 48];
/** 0-based [start, end) of the six fixed-format fields. */
export const FIELD_START = [1, 4, 14, 24, 39, 49];
export const FIELD_END = [3, 12, 22, 36, 47, 61];
export const FIXED_WIDTH = 61;

/** Splits on blanks into out; returns the token count (may exceed out's useful length). */
export function tokenize(line: string, out: string[]): number {
  const len = line.length;
  let count = 0;
  let k = 0;
  while (k < len) {
    while (k < len && isBlank(line.charCodeAt(k))) k++;
    if (k >= len) break;
    const start = k;
    while (k < len && !isBlank(line.charCodeAt(k))) k++;
    out[count++] = line.slice(start, k);
  }
  return count;
}

/** A number, or NaN. Accepts Fortran D exponents and inf/infinity (±Infinity); rejects hex and the like. */
export function parseNumber(tok: string): number {
  if (tok.length === 0) return NaN;
  const v = Number(tok);
  // Number() also reads 0x.., 0b.., 0o.. (second character a letter): those go the slow way.
  const c1 = tok.charCodeAt(1) | 0x20;
  if (v === v && c1 !== 0x78 && c1 !== 0x62 && c1 !== 0x6f) return v;
  const lower = tok.toLowerCase();
  const sign = lower.charCodeAt(0);
  const unsigned = sign === 43 || sign === 45 ? lower.slice(1) : lower;
  if (unsigned === 'inf' || unsigned === 'infinity') return sign === 45 ? -Infinity : Infinity;
  if (/^[+-]?(\d+\.?\d*|\.\d+)d[+-]?\d+$/.test(lower)) return Number(lower.replace('d', 'e'));
  return NaN;
}

/** Whether a token is the word inf or infinity (any case, signed), not a number that overflowed. */
export function isInfinityWord(tok: string): boolean {
  const lower = tok.toLowerCase();
  const unsigned = lower.charCodeAt(0) === 43 || lower.charCodeAt(0) === 45 ? lower.slice(1) : lower;
  return unsigned === 'inf' || unsigned === 'infinity';
}

/** Sections whose data lines hold fields (not OBJSENSE / OBJNAME / NAME). */
const FIELD_SECTIONS = new Set(['ROWS', 'COLUMNS', 'RHS', 'RANGES', 'BOUNDS', 'QUADOBJ', 'QMATRIX', 'QSECTION']);

/**
 * Whether the text looks like fixed-format MPS: every data line has blanks in the separator
 * columns and nothing after column 61 (MARKER lines and blank lines excepted; a tab in a data
 * line makes the text free format). See the comment at the top.
 */
export function isColumnAligned(text: string): boolean {
  const L = text.length;
  const hasTab = text.indexOf('\t') >= 0;
  let pos = 0;
  let section = '';
  let fields = false;
  while (pos < L) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = L;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
    const first = pos < stop ? text.charCodeAt(pos) : SPACE;
    if (first === 42 /* * */) {
      // comment
    } else if (!isBlank(first)) {
      let k = pos;
      while (k < stop && !isBlank(text.charCodeAt(k))) k++;
      section = text.slice(pos, k).toUpperCase();
      if (section === 'ENDATA') break;
      fields = FIELD_SECTIONS.has(section);
    } else if (fields) {
      const len = stop - pos;
      let ok = true;
      for (let s = 0; s < SEPARATORS.length; s++) {
        const c = SEPARATORS[s]!;
        if (c >= len) break;
        if (text.charCodeAt(pos + c) !== SPACE) {
          ok = false;
          break;
        }
      }
      for (let k = pos + FIXED_WIDTH; ok && k < stop; k++) if (text.charCodeAt(k) !== SPACE) ok = false;
      for (let k = pos; ok && hasTab && k < stop; k++) if (text.charCodeAt(k) === TAB) ok = false;
      if (!ok) {
        const line = text.slice(pos, stop);
        if (line.trim() !== '' && !(section === 'COLUMNS' && line.indexOf("'MARKER'") >= 0)) return false;
      }
    }
    pos = end + 1;
  }
  return true;
}
