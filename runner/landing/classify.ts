/**
 * What one landing line becomes: a typed record of the source's declared schema, a tolerated
 * blank line, or a reject with its reason. Pure: no file system, no engine. The rules here are
 * the contract both targets implement (see runner/landing/README.md and the README section
 * "When landing data is messy").
 *
 * A line is read as strict JSON (RFC 8259, as JSON.parse reads it: no NaN, no comments, no
 * trailing comma inside an object) after these tolerated repairs, each counted:
 *   - a byte-order mark at the start of the line is removed;
 *   - one CR before the line feed (CRLF endings) is removed;
 *   - a comma after the closing brace of the object (`{…},`) is removed.
 * A line holding only spaces and tabs is `blank` (tolerated, counted). Keys match declared
 * columns case-insensitively; two keys of one record that match the same column are a reject
 * (`duplicate_key`), since which one wins would be a guess. Keys matching no column are ignored
 * and reported once per file. A value that does not fit its column type is a reject, never a
 * silent null; a value that fits only after a lossless coercion is accepted and counted.
 *
 * No accepted value differs from what the line says. Where JSON.parse's number would not be
 * exact, the value is read from the line's own text, found by an exact scan of the record's
 * top-level members (scan.ts; never a search over the whole line, which a nested key of the same
 * name or an escaped key would fool): integer columns take the exact integer the digits stand
 * for (`1e2` is 100; `1.0000000000000001` and `1e-400` are fractional, not 1 or 0), text columns
 * keep a number as written, and a non-zero number that a double (or a 32-bit real) would store
 * as 0 or as infinity is a `type_mismatch`.
 */
import { safeKey } from '../core/redact.js';
import { exactInteger, flatMemberText, isFlatPlain, PLAIN_KEY, isZeroText, memberKey, memberText, topLevelMembers, type Member } from './scan.js';
import type { ColumnKind, LandingColumn, LandingValue, RejectReason } from './types.js';

/** Declared types stored as 32-bit floats (DuckDB FLOAT/REAL, Athena `float`/`real`). */
const FLOAT32 = new Set(['float', 'float4', 'real']);

const KINDS: Record<string, ColumnKind> = {
  varchar: 'varchar', text: 'varchar', string: 'varchar',
  bigint: 'bigint', int8: 'bigint', long: 'bigint',
  integer: 'integer', int: 'integer', int4: 'integer',
  smallint: 'smallint', int2: 'smallint',
  tinyint: 'tinyint', int1: 'tinyint',
  double: 'double', float8: 'double', 'double precision': 'double', float: 'double', float4: 'double', real: 'double',
  boolean: 'boolean', bool: 'boolean',
};

export const SUPPORTED_TYPES = 'varchar, bigint, integer, smallint, tinyint, double, float, real, boolean';

/** The kind of a declared data_type, or undefined when landing columns cannot have that type. */
export function columnKind(dataType: string | undefined): ColumnKind | undefined {
  return KINDS[(dataType ?? 'varchar').trim().toLowerCase().replace(/\s+/g, ' ')];
}

/** The columns of a source, or the problems that stop its ingestion before any file is read. */
export function landingColumns(cols: { name: string; data_type?: string; derived?: { pseudonym_of: string }; meta?: Record<string, unknown> }[]): { columns: LandingColumn[]; problems: string[] } {
  const columns: LandingColumn[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const c of cols) {
    const kind = columnKind(c.data_type);
    if (!kind) problems.push(`column ${c.name}: data_type '${c.data_type}' cannot be read from landing JSON (use one of ${SUPPORTED_TYPES}; convert in a model)`);
    const lower = c.name.toLowerCase();
    const other = seen.get(lower);
    if (other !== undefined) problems.push(`columns ${other} and ${c.name} differ only in case: landing keys are matched case-insensitively`);
    seen.set(lower, c.name);
    const type = (c.data_type ?? 'varchar').trim();
    if (kind) columns.push({ name: c.name, kind, sqlType: type.toUpperCase(), ...(FLOAT32.has(type.toLowerCase()) ? { float32: true } : {}), ...(c.derived ? { pseudonym_of: c.derived.pseudonym_of } : {}), ...identityOf(c, problems) });
  }
  if (cols.length === 0) problems.push('no columns declared');
  return { columns, problems };
}

/** `meta.identity` of a column (person or device), checked: another value is a problem, never ignored. */
function identityOf(c: { name: string; data_type?: string; derived?: unknown; meta?: Record<string, unknown> }, problems: string[]): { identity?: 'person' | 'device' } {
  const v = c.meta?.identity;
  if (v === undefined) return {};
  if (v !== 'person' && v !== 'device') {
    problems.push(`column ${c.name}: meta.identity must be person or device`);
    return {};
  }
  if (c.derived) problems.push(`column ${c.name}: a derived column cannot carry meta.identity (it is computed, never read)`);
  if (columnKind(c.data_type) !== 'varchar') problems.push(`column ${c.name}: meta.identity needs data_type: varchar`);
  return { identity: v };
}

/** A landing file: `*.json` (any case), not hidden. Everything else in the folder is skipped and reported. */
export function isLandingFileName(name: string): boolean {
  return !name.startsWith('.') && /\.json$/i.test(name);
}

/** Maps a key spelling to its column index (-1: unknown), case-insensitively, with a cache per spelling. */
export class KeyResolver {
  private readonly lower = new Map<string, number>();
  private readonly cache = new Map<string, number>();
  constructor(readonly columns: LandingColumn[]) {
    columns.forEach((c, i) => this.lower.set(c.name.toLowerCase(), i));
  }
  private readonly plain = new Map<string, boolean>();
  /** PLAIN_KEY, remembered per spelling (keys repeat on every line). */
  isPlain(key: string): boolean {
    let p = this.plain.get(key);
    if (p === undefined) {
      p = PLAIN_KEY.test(key);
      if (this.plain.size < 10_000) this.plain.set(key, p);
    }
    return p;
  }
  resolve(key: string): number {
    let i = this.cache.get(key);
    if (i === undefined) {
      i = this.lower.get(key.toLowerCase()) ?? -1;
      if (this.cache.size < 10_000) this.cache.set(key, i);
    }
    return i;
  }
}

export interface LinePosition {
  /** 1-based line number in the file. */
  line: number;
  /** False only for the last line of a file that does not end with a line feed. */
  terminated: boolean;
}

export interface LineOutcome {
  kind: 'blank' | 'accepted' | 'rejected';
  /** accepted: one value per declared column, in declared order. */
  values?: LandingValue[];
  reason?: RejectReason;
  detail?: string;
  bom: boolean;
  crlf: boolean;
  trailingComma: boolean;
  caseFolded: boolean;
  coerced: boolean;
  /** Keys of the record that match no column. */
  unknownKeys?: string[];
}

const BLANK = /^[ \t]*$/;
const INT_TEXT = /^-?\d+$/;
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

const RANGES: Record<'bigint' | 'integer' | 'smallint' | 'tinyint', [bigint, bigint]> = {
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
  smallint: [-(2n ** 15n), 2n ** 15n - 1n],
  tinyint: [-(2n ** 7n), 2n ** 7n - 1n],
};

/** Classifies one line (without its line feed). */
export function classifyLine(text: string, pos: LinePosition, resolver: KeyResolver): LineOutcome {
  let s = text;
  const bom = s.charCodeAt(0) === 0xfeff;
  if (bom) s = s.slice(1);
  const crlf = s.endsWith('\r');
  if (crlf) s = s.slice(0, -1);
  const base = { bom, crlf, trailingComma: false, caseFolded: false, coerced: false };
  if (BLANK.test(s)) return { kind: 'blank', ...base };
  const trailingComma = hasTrailingComma(s);
  if (trailingComma) s = s.slice(0, s.lastIndexOf(','));
  const reject = (reason: RejectReason, detail: string): LineOutcome => ({ kind: 'rejected', reason, detail, ...base, trailingComma });
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    const where = at !== undefined ? ` (at character ${Number(at) + 1})` : '';
    return pos.terminated
      ? reject('invalid_json', `not valid JSON${where}`)
      : reject('truncated_record', `the file ends in the middle of a record${where}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return reject('not_an_object', `a JSON ${parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed}, not an object`);
  }
  const record = parsed as Record<string, unknown>;
  const cols = resolver.columns;
  const keyOf: (string | undefined)[] = new Array(cols.length);
  let unknownKeys: string[] | undefined;
  let caseFolded = false;
  const keys = Object.keys(record);
  for (const key of keys) {
    const i = resolver.resolve(key);
    if (i < 0) {
      (unknownKeys ??= []).push(key);
      continue;
    }
    const col = cols[i]!;
    if (keyOf[i] !== undefined) return reject('duplicate_key', `keys ${safeKey(keyOf[i]!)} and ${safeKey(key)} both match column ${col.name}`);
    keyOf[i] = key;
    if (key !== col.name) caseFolded = true;
  }
  let members: Member[] | undefined;
  let flat: boolean | undefined;
  // the raw text of a member: found directly in a flat plain line (most STEDI lines), else by the full scan
  const rawText = (key: string): string | undefined => ((flat ??= isFlatPlain(s)) && resolver.isPlain(key) ? flatMemberText(s, key) : memberText(s, (members ??= topLevelMembers(s)), key));
  const twice = repeatedKey(s, keys.length, keyOf, () => (members ??= topLevelMembers(s)));
  if (twice !== undefined) return reject('duplicate_key', `key ${safeKey(twice)} appears twice in the record (JSON keeps only the last value)`);
  if (!keyOf.some((k) => k !== undefined)) {
    return { ...reject('no_declared_field', 'no key of the record matches a declared column'), ...(unknownKeys ? { unknownKeys } : {}) };
  }
  const values: LandingValue[] = new Array(cols.length);
  let coerced = false;
  const problems: string[] = [];
  for (let i = 0; i < cols.length; i++) {
    const key = keyOf[i];
    if (key === undefined) {
      values[i] = null;
      continue;
    }
    const col = cols[i]!;
    const r = coerce(record[key], col.kind, () => rawText(key), col.float32 ? AS_FLOAT32 : AS_DECLARED);
    if (r.ok) {
      values[i] = r.value;
      if (r.coerced) coerced = true;
    } else {
      problems.push(`column ${col.name} expects ${col.float32 ? col.sqlType.toLowerCase() : col.kind}, got ${r.got}`);
    }
  }
  if (problems.length) return { ...reject('type_mismatch', problems.join('; ')), caseFolded };
  return { kind: 'accepted', values, ...base, trailingComma, caseFolded, coerced, ...(unknownKeys ? { unknownKeys } : {}) };
}

/**
 * A matched key that the record holds twice, e.g. `{"email":"a","email":"b"}` or
 * `{"email":"a","\u0065mail":"b"}`: JSON.parse keeps the last value and drops the other
 * silently, so such a record is rejected. Cheap for the usual line: every key written in the text
 * (at any depth) is followed by its own colon, so a line with no more colons than the parsed
 * record has keys cannot hold a key twice. Only other lines (colons in values, nested objects)
 * have their top-level members scanned.
 */
function repeatedKey(s: string, distinct: number, keys: (string | undefined)[], members: () => Member[]): string | undefined {
  let at = -1;
  for (let n = 0; n <= distinct; n++) {
    at = s.indexOf(':', at + 1);
    if (at < 0) return undefined;
  }
  const wanted = new Set(keys.filter((k): k is string => k !== undefined));
  const seen = new Set<string>();
  for (const m of members()) {
    const key = memberKey(s, m);
    if (!wanted.has(key)) continue;
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

/** `{…},` possibly with spaces around the comma. */
function hasTrailingComma(s: string): boolean {
  let i = s.length - 1;
  while (i >= 0 && (s[i] === ' ' || s[i] === '\t')) i--;
  if (s[i] !== ',') return false;
  i--;
  while (i >= 0 && (s[i] === ' ' || s[i] === '\t')) i--;
  return s[i] === '}';
}

export type Coerced = { ok: true; value: LandingValue; coerced: boolean } | { ok: false; got: string };

export interface CoerceOptions {
  /** The column is stored as a 32-bit float (declared real, float or float4). */
  float32?: boolean;
}

const AS_FLOAT32: CoerceOptions = { float32: true };
const AS_DECLARED: CoerceOptions = {};

/**
 * A JSON value into a column kind. `rawNumber` returns the number's text as written in the line
 * (classifyLine always passes it), so that no value depends on a double's rounding.
 *
 *   varchar          string; a number (as written) or boolean is kept as its JSON text (coerced);
 *                    object/array: reject
 *   integer kinds    a number whose written value is an integer in range (`12`, `1e2`, `1.0`,
 *                    `-0`), computed from its digits; an exact integer string "123" (coerced);
 *                    a fraction (`1.5`, `1.0000000000000001`, `1e-400`) or out of range: reject
 *   double / real    finite number; a JSON-number string "1.5" (coerced); a non-zero number the
 *                    column would store as 0 (underflow) or as infinity (overflow): reject
 *   boolean          true/false; the strings "true"/"false" (coerced); else reject
 *   null             null for every kind (a missing key too)
 */
export function coerce(v: unknown, kind: ColumnKind, rawNumber: () => string | undefined = () => undefined, opts: CoerceOptions = {}): Coerced {
  if (v === null || v === undefined) return { ok: true, value: null, coerced: false };
  const t = typeof v;
  const what = (): string => (Array.isArray(v) ? 'an array' : t === 'object' ? 'an object' : t === 'boolean' ? 'a boolean' : t === 'number' ? 'a number' : 'a string');
  switch (kind) {
    case 'varchar':
      if (t === 'string') return { ok: true, value: v as string, coerced: false };
      if (t === 'number') return { ok: true, value: rawNumber() ?? String(v), coerced: true };
      if (t === 'boolean') return { ok: true, value: String(v), coerced: true };
      return { ok: false, got: what() };
    case 'bigint':
    case 'integer':
    case 'smallint':
    case 'tinyint': {
      let n: bigint;
      let coerced = false;
      if (t === 'number') {
        const exact = integerOfNumber(v as number, rawNumber());
        if (typeof exact === 'string') return { ok: false, got: exact };
        n = exact;
      } else if (t === 'string') {
        const s = v as string;
        if (!INT_TEXT.test(s)) return { ok: false, got: 'a string that is not an integer' };
        const exact = exactInteger(s);
        if (typeof exact !== 'bigint') return { ok: false, got: 'a number out of range' };
        n = exact;
        coerced = true;
      } else return { ok: false, got: what() };
      const [lo, hi] = RANGES[kind];
      if (n < lo || n > hi) return { ok: false, got: 'a number out of range' };
      return { ok: true, value: kind === 'bigint' ? n : Number(n), coerced };
    }
    case 'double': {
      if (t === 'number') {
        const bad = unrepresentable(v as number, rawNumber, opts);
        return bad ? { ok: false, got: bad } : { ok: true, value: v as number, coerced: false };
      }
      if (t === 'string') {
        const s = v as string;
        if (!JSON_NUMBER.test(s)) return { ok: false, got: 'a string that is not a number' };
        const x = Number(s);
        const bad = unrepresentable(x, () => s, opts);
        return bad ? { ok: false, got: bad } : { ok: true, value: x, coerced: true };
      }
      return { ok: false, got: what() };
    }
    case 'boolean':
      if (t === 'boolean') return { ok: true, value: v as boolean, coerced: false };
      if (v === 'true' || v === 'false') return { ok: true, value: v === 'true', coerced: true };
      return { ok: false, got: t === 'string' ? 'a string that is not true or false' : what() };
  }
}

/** The exact integer of a JSON number (from its text when there is one), or what is wrong with it. */
function integerOfNumber(x: number, raw: string | undefined): bigint | string {
  if (raw !== undefined) {
    // the usual case, a plain integer that a double holds exactly: no need to read the digits
    if (Number.isSafeInteger(x) && INT_TEXT.test(raw)) return BigInt(x);
    const exact = exactInteger(raw);
    if (exact === 'fractional') return 'a fractional number';
    if (exact === 'too_large') return 'a number out of range';
    if (exact !== 'not_a_number') return exact;
  }
  // no text to read (a caller outside classifyLine): the parsed number, where it is exact
  if (!Number.isFinite(x)) return 'a number out of range';
  if (!Number.isInteger(x)) return 'a fractional number';
  if (!Number.isSafeInteger(x)) return 'an integer too large to read exactly';
  return BigInt(x);
}

/**
 * Why a parsed number cannot be stored as the column's float type, or undefined when it can:
 * infinity (overflow: `1e999`, or beyond ±3.4e38 for a 32-bit real), or a non-zero number stored
 * as 0 (underflow: `1e-400`; below ~1.4e-45 for a real). Rounding within the type's precision is
 * what declaring a float type means and is accepted.
 */
function unrepresentable(x: number, text: () => string | undefined, opts: CoerceOptions): string | undefined {
  const TOO_SMALL = 'a non-zero number too small (it would be stored as 0)';
  if (!Number.isFinite(x)) return 'a number out of range';
  if (opts.float32) {
    const f = Math.fround(x);
    if (!Number.isFinite(f)) return 'a number out of range';
    if (f === 0 && x !== 0) return TOO_SMALL;
  }
  if (x === 0) {
    const written = text();
    if (written !== undefined && !isZeroText(written)) return TOO_SMALL;
  }
  return undefined;
}
