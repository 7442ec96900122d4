/**
 * What one landing line becomes: a typed record of the source's declared schema, a tolerated
 * blank line, or a reject with its reason. Pure: no file system, no engine. The rules here are
 * the contract both targets implement (see docs/messy-landing.md).
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
 */
import type { ColumnKind, LandingColumn, LandingValue, RejectReason } from './types.js';

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
export function landingColumns(cols: { name: string; data_type?: string }[]): { columns: LandingColumn[]; problems: string[] } {
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
    if (kind) columns.push({ name: c.name, kind, sqlType: (c.data_type ?? 'varchar').trim().toUpperCase() });
  }
  if (cols.length === 0) problems.push('no columns declared');
  return { columns, problems };
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
    if (keyOf[i] !== undefined) return reject('duplicate_key', `keys ${JSON.stringify(keyOf[i])} and ${JSON.stringify(key)} both match column ${col.name}`);
    keyOf[i] = key;
    if (key !== col.name) caseFolded = true;
  }
  const twice = repeatedKey(s, keys.length, keyOf);
  if (twice !== undefined) return reject('duplicate_key', `key ${JSON.stringify(twice)} appears twice in the record (JSON keeps only the last value)`);
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
    const r = coerce(record[key], col.kind, () => rawNumberText(s, key));
    if (r.ok) {
      values[i] = r.value;
      if (r.coerced) coerced = true;
    } else {
      problems.push(`column ${col.name} expects ${col.kind}, got ${r.got}`);
    }
  }
  if (problems.length) return { ...reject('type_mismatch', problems.join('; ')), caseFolded };
  return { kind: 'accepted', values, ...base, trailingComma, caseFolded, coerced, ...(unknownKeys ? { unknownKeys } : {}) };
}

/**
 * A matched key that the record holds twice, e.g. `{"email":"a","email":"b"}`: JSON.parse keeps
 * the last value and drops the other silently, so such a record is rejected. Cheap for the usual
 * line: every key written in the text (at any depth) is followed by its own colon, so a line with
 * no more colons than the parsed record has keys cannot hold a key twice. Only other lines
 * (colons in values, nested objects) have their top-level keys scanned.
 */
function repeatedKey(s: string, distinct: number, keys: (string | undefined)[]): string | undefined {
  let at = -1;
  for (let n = 0; n <= distinct; n++) {
    at = s.indexOf(':', at + 1);
    if (at < 0) return undefined;
  }
  const wanted = new Set(keys.filter((k): k is string => k !== undefined));
  const seen = new Set<string>();
  for (const k of topLevelKeys(s)) {
    if (!wanted.has(k)) continue;
    if (seen.has(k)) return k;
    seen.add(k);
  }
  return undefined;
}

/** The keys of a JSON object's own members, in order (the text is valid JSON: JSON.parse accepted it). */
function topLevelKeys(s: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      // a string: find its end, then whether it is a key (followed by ':') of the outer object
      let j = i + 1;
      let escaped = false;
      for (; j < s.length; j++) {
        const d = s.charCodeAt(j);
        if (d === 0x5c) {
          j++;
          escaped = true;
        } else if (d === 0x22) break;
      }
      if (depth === 1) {
        let k = j + 1;
        while (k < s.length && (s[k] === ' ' || s[k] === '\t' || s[k] === '\r' || s[k] === '\n')) k++;
        if (s[k] === ':') keys.push(escaped ? (JSON.parse(s.slice(i, j + 1)) as string) : s.slice(i + 1, j));
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return keys;
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

/**
 * A JSON value into a column kind. `rawNumber` returns the number's text as written in the line,
 * needed where a JS number would lose digits (integers beyond 2^53, numbers kept as text).
 *
 *   varchar          string; a number or boolean is kept as its JSON text (coerced); object/array: reject
 *   integer kinds    integral number in range; an exact integer string "123" (coerced); else reject
 *   double           finite number; a JSON-number string "1.5" (coerced); else reject
 *   boolean          true/false; the strings "true"/"false" (coerced); else reject
 *   null             null for every kind (a missing key too)
 */
export function coerce(v: unknown, kind: ColumnKind, rawNumber: () => string | undefined = () => undefined): Coerced {
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
        const x = v as number;
        if (!Number.isFinite(x)) return { ok: false, got: 'a number out of range' };
        if (!Number.isInteger(x)) return { ok: false, got: 'a fractional number' };
        if (Number.isSafeInteger(x)) n = BigInt(x);
        else {
          const raw = rawNumber();
          if (raw === undefined || !INT_TEXT.test(raw)) return { ok: false, got: 'an integer too large to read exactly' };
          n = BigInt(raw);
        }
      } else if (t === 'string') {
        if (!INT_TEXT.test(v as string)) return { ok: false, got: 'a string that is not an integer' };
        n = BigInt(v as string);
        coerced = true;
      } else return { ok: false, got: what() };
      const [lo, hi] = RANGES[kind];
      if (n < lo || n > hi) return { ok: false, got: 'a number out of range' };
      return { ok: true, value: kind === 'bigint' ? n : Number(n), coerced };
    }
    case 'double': {
      if (t === 'number') return Number.isFinite(v) ? { ok: true, value: v as number, coerced: false } : { ok: false, got: 'a number out of range' };
      if (t === 'string') {
        if (!JSON_NUMBER.test(v as string)) return { ok: false, got: 'a string that is not a number' };
        const x = Number(v);
        return Number.isFinite(x) ? { ok: true, value: x, coerced: true } : { ok: false, got: 'a number out of range' };
      }
      return { ok: false, got: what() };
    }
    case 'boolean':
      if (t === 'boolean') return { ok: true, value: v as boolean, coerced: false };
      if (v === 'true' || v === 'false') return { ok: true, value: v === 'true', coerced: true };
      return { ok: false, got: t === 'string' ? 'a string that is not true or false' : what() };
  }
}

/** The text of the number stored under `key` in a one-line JSON object, when it can be found unambiguously. */
export function rawNumberText(line: string, key: string): string | undefined {
  const k = JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`${k}\\s*:\\s*(-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)\\s*[,}]`, 'g');
  const found = [...line.matchAll(re)];
  return found.length === 1 ? found[0]![1] : undefined;
}
