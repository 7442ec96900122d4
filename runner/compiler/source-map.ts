/**
 * From a position in compiled SQL back to the line of the template it came from. Pure.
 *
 * A template compiled with marks (sandbox.ts) writes, before each piece of its output, a mark
 * naming where that piece is in the template: literal text (whose characters are the template's
 * own, line for line) or the value of an expression (`{{ ref('x') }}`, a macro call), which has
 * one position, its `{{`. Rendering it again with marks and stripping them must give exactly the
 * text of the real rendering; when it does not (a template that inspects a macro's output), no
 * position is claimed.
 *
 * A position in literal text maps to its exact line and column. In an expression's value it maps
 * to the expression's line when the value has no line break before it; otherwise it is inside a
 * multi-line expansion (a macro) and the line given is that of the expression, said to be inexact.
 */

const START = '\u0001';
const END = '\u0002';

export type PieceKind = 'text' | 'expr';

/** The mark written before a piece of output; `line` and `col` are nunjucks' (0-based). */
export function positionMark(kind: PieceKind, line: number, col: number): string {
  return `${START}${kind === 'text' ? 't' : 'e'}${line},${col}${END}`;
}

export interface Piece {
  /** Offset of the piece in the unmarked output. */
  at: number;
  kind: PieceKind;
  /** 0-based, as nunjucks counts. */
  line: number;
  col: number;
}

/** The output without its marks, and where each piece starts; undefined when a mark is damaged. */
export function unmark(marked: string): { text: string; pieces: Piece[] } | undefined {
  const pieces: Piece[] = [];
  let text = '';
  let i = 0;
  for (;;) {
    const s = marked.indexOf(START, i);
    if (s < 0) break;
    text += marked.slice(i, s);
    const e = marked.indexOf(END, s);
    const m = e < 0 ? null : /^([te])(\d+),(\d+)$/.exec(marked.slice(s + 1, e));
    if (!m) return undefined;
    pieces.push({ at: text.length, kind: m[1] === 't' ? 'text' : 'expr', line: Number(m[2]), col: Number(m[3]) });
    i = e + 1;
  }
  text += marked.slice(i);
  return text.includes(END) ? undefined : { text, pieces };
}

/**
 * The offset in `rendered` of the 1-based (line, column) of `compiled`, the rendered text tidied
 * (blank lines collapsed, trailing blanks and the ends trimmed: models.ts tidy()). Undefined when
 * `compiled` is not a tidying of `rendered`.
 */
export function renderedOffset(rendered: string, compiled: string, line: number, column: number): number | undefined {
  const starts = compiledLineStarts(rendered, compiled);
  const want = compiled.split('\n')[line - 1];
  if (!starts || want === undefined) return undefined;
  return starts[line - 1]! + Math.max(0, Math.min(column - 1, want.length));
}

/** The offset in `rendered` of the first character of each line of `compiled` (its tidying), or undefined. */
export function compiledLineStarts(rendered: string, compiled: string): number[] | undefined {
  const r = rendered.split('\n');
  const c = compiled.split('\n');
  const starts: number[] = [];
  let j = 0;
  let offset = 0;
  for (let i = 0; i < c.length; i++) {
    const want = c[i]!;
    // skip the blank lines tidy() dropped; a line with text must be the next one
    for (;;) {
      if (j >= r.length) return undefined;
      const got = i === 0 ? r[j]!.trim() : r[j]!.trimEnd();
      if (got === want) break;
      if (r[j]!.trim() !== '') return undefined;
      offset += r[j]!.length + 1;
      j++;
    }
    starts.push(offset + (i === 0 ? r[j]!.length - r[j]!.trimStart().length : 0));
    offset += r[j]!.length + 1;
    j++;
  }
  return starts;
}

export type SourcePosition =
  | { exact: true; line: number; column?: number }
  /** `line`: the line of the expression whose multi-line value holds the position (0: unknown). */
  | { exact: false; line: number; why: string };

/** Where in `template` the character at `offset` of the unmarked output comes from. */
export function sourcePosition(template: string, output: string, pieces: Piece[], offset: number): SourcePosition {
  let k = -1;
  for (let i = 0; i < pieces.length && pieces[i]!.at <= offset; i++) k = i;
  // a position at the very end (a missing `end`) belongs to the last piece
  const piece = pieces[k];
  if (!piece) return { exact: false, line: 0, why: 'the template wrote no text before it' };
  const end = pieces[k + 1]?.at ?? output.length;
  const before = output.slice(piece.at, Math.min(offset, end));
  if (piece.kind === 'expr') {
    if (!before.includes('\n')) return { exact: true, line: piece.line + 1 };
    return { exact: false, line: piece.line + 1, why: `inside what the {{ … }} at line ${piece.line + 1} expands to (its line ${before.split('\n').length})` };
  }
  // literal text: whitespace control ({%- -%}) may have trimmed its start
  const value = output.slice(piece.at, end);
  let at = offsetOf(template, piece.line, piece.col);
  if (at === undefined) return { exact: false, line: piece.line + 1, why: 'the template text moved' };
  while (!template.startsWith(value, at) && /\s/.test(template[at] ?? '')) at++;
  if (!template.startsWith(value, at)) return { exact: false, line: piece.line + 1, why: 'the template text moved' };
  const src = at + (offset - piece.at);
  const lines = template.slice(0, src).split('\n');
  return { exact: true, line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

function offsetOf(text: string, line: number, col: number): number | undefined {
  let at = 0;
  for (let l = 0; l < line; l++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return undefined;
    at = nl + 1;
  }
  return at + col <= text.length ? at + col : undefined;
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const lines = text.slice(0, offset).split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}
