/**
 * Canonical lines: the landing lines that an engine's own JSON reader may read in place of the
 * classifier (classify.ts), because the classifier is proven to accept them unchanged, with the
 * very values that reader gives. Pure: patterns and reports, no file system, no engine.
 *
 * A file is read by the engine's reader only when *every* line of it matches the file's
 * canonical pattern (checked by the engine over the file's lines, counted against the line feeds
 * that this runner counted itself; see fast-path.ts). Anything else, a single blank line
 * included, sends the whole file to the classifier, which stays the only judge of what is
 * accepted: the fast path never rejects, repairs or coerces anything, so it cannot disagree with
 * the classifier about a reject.
 *
 * The canonical grammar is deliberately small. A line is `{`, then the members of the file's
 * shape (the keys of its first line, each an exact declared column name, each once, in that
 * order), separated by `,` with at most one space after the comma and after each colon, then `}`:
 * no byte-order mark, no CR, no space before or after the object, no trailing comma. A value is
 *
 *   every kind   `null`
 *   varchar      a string without any escape or control character: `"[^"\\\x00-\x1f]*"` (its
 *                value is its bytes, for JSON.parse and for any JSON reader)
 *   bigint       `-?(0|[1-9][0-9]{0,17})`: at most 18 digits, always inside the 64-bit range;
 *                integer 9 digits, smallint 4, tinyint 2 (inside their ranges by construction)
 *   double/real  a decimal without exponent with at most 15 significant digits (`-1.0`, `0.25`,
 *                `245`; never `-0`): the value is then the digits (exact in a double, < 2^53)
 *                times or divided by an exact power of ten (≤ 10^15), one correctly rounded
 *                operation, so every correct parser, JavaScript's and the engine's, gives the same
 *                double; a real column rounds that double to 32 bits, as the classifier's sink does
 *   boolean      `true` or `false`
 *
 * Keys that are unknown, case-folded, repeated or escaped, numbers in a text column, strings in
 * a number column, exponents, `-0` (a JSON reader may read it as the integer 0), lines above
 * `max_line_bytes`: none of them is canonical, so their file is read by the classifier.
 */
import type { ColumnKind, FileReport, LandingColumn } from './types.js';
import { emptyTolerated } from './types.js';

/** A key the canonical grammar admits: a plain name (never integer-like, never escaped). */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const INT_DIGITS: Record<'bigint' | 'integer' | 'smallint' | 'tinyint', number> = { bigint: 18, integer: 9, smallint: 4, tinyint: 2 };

/** A decimal of at most 15 significant digits, no exponent, never `-0` (see the header). */
function decimalPattern(): string {
  const alts = ['0(?:\\.[0-9]{1,15})?', '-0\\.[0-9]{1,15}'];
  for (let i = 1; i <= 15; i++) {
    const frac = 15 - i;
    alts.push(`-?[1-9][0-9]{${i - 1}}${frac > 0 ? `(?:\\.[0-9]{1,${frac}})?` : ''}`);
  }
  return alts.join('|');
}

const DECIMAL = decimalPattern();

/** The values of a column kind, as a pattern (RE2 and JavaScript read it alike: no backreference, no lookaround). */
export function valuePattern(kind: ColumnKind): string {
  switch (kind) {
    case 'varchar': return 'null|"[^"\\\\\\x00-\\x1f]*"';
    case 'bigint':
    case 'integer':
    case 'smallint':
    case 'tinyint': return `null|-?(?:0|[1-9][0-9]{0,${INT_DIGITS[kind] - 1}})`;
    case 'double': return `null|${DECIMAL}`;
    case 'boolean': return 'null|true|false';
  }
}

/** The columns of a file's shape, in the order of its keys. */
export interface Shape {
  columns: LandingColumn[];
}

/**
 * The shape of a file from its first line: the keys of its object, in order, when each is the
 * exact name of a declared column that is read from the record (not derived), and no key repeats.
 * Undefined when the line is not such an object: the file is then the classifier's.
 */
export function shapeOf(firstLine: string, columns: LandingColumn[]): Shape | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(firstLine);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const keys = Object.keys(parsed);
  if (keys.length === 0) return undefined;
  const byName = new Map(columns.map((c) => [c.name, c]));
  const out: LandingColumn[] = [];
  for (const k of keys) {
    const col = byName.get(k);
    if (!col || col.pseudonym_of !== undefined || !NAME.test(k)) return undefined;
    out.push(col);
  }
  // JSON.parse keeps one value of a repeated key: the pattern (built from the distinct keys) then
  // cannot match the line, so a repeated key never passes; no need to look for it here
  return { columns: out };
}

/** The pattern every line of a file of this shape must match in full (no anchors: the caller anchors it). */
export function linePattern(shape: Shape): string {
  const members = shape.columns.map((c) => `"${c.name}": ?(?:${valuePattern(c.kind)})`);
  return `\\{${members.join(', ?')}\\}`;
}

/** The same pattern as a JavaScript RegExp (the tests check it against the classifier line by line). */
export function lineRegExp(shape: Shape): RegExp {
  return new RegExp(`^(?:${linePattern(shape)})$`, 'u');
}

/** What this runner measured of a file while hashing it (fast-path.ts). */
export interface FileFacts {
  bytes: number;
  sha256: string;
  /** Lines as the classifier counts them: line feeds, plus one for a last line without one. */
  lines: number;
  noFinalNewline: boolean;
  /** No CR byte, no byte-order mark at the start, valid UTF-8, at least one byte (and no line seen above the limit). */
  plain: boolean;
  /** The first line (without its LF), when it is short enough to hold a shape. */
  firstLine?: string;
}

/** The report of a file every line of which was canonical: all accepted, nothing repaired. */
export function canonicalReport(file: string, facts: FileFacts): FileReport {
  return {
    file,
    bytes: facts.bytes,
    sha256: facts.sha256,
    status: 'ingested',
    lines: facts.lines,
    accepted: facts.lines,
    rejected: 0,
    blank: 0,
    duplicate_delivery: 0,
    tolerated: emptyTolerated(),
    no_final_newline: facts.noFinalNewline,
    unknown_keys: [],
    first_rejects: [],
  };
}
