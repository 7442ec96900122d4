/**
 * Text that reaches a log line, an error message or an artifact (run_results.json, the
 * manifest, stedi's own bookkeeping tables) must never carry a value of the data, and must
 * never be able to forge a line of its own. Pure helpers, used wherever text that stedi did not
 * write itself is shown: file names and JSON keys of landing files, and the messages of engines.
 *
 *   safeText      escapes control and invisible characters, masks spans that look like
 *                 personal data (an email, a phone number, a date, a UUID)
 *   safeKey       a JSON key: shown (JSON-quoted) when it looks like a field name, else masked
 *   scrubEngine   an engine's error message with every literal removed (see below)
 *
 * A masked value keeps a 4-hex-digit fingerprint (`<masked #3f2a>`) so two findings can be told
 * apart; the value cannot be recovered from it.
 */
import { createHash } from 'node:crypto';

export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 4);
}

export function masked(value: string, what = 'masked'): string {
  return `<${what} #${fingerprint(value)}>`;
}

/** Control characters, format characters (bidi overrides, zero-width), separators other than space. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu;
/** Anything with an @ between two non-space parts: an email or something close to one. */
const EMAIL_LIKE = /[^\s@'"`<>()[\]{},;:]+@[^\s@'"`<>()[\]{},;:]+/g;
/**
 * A phone number as people write it: seven or more digits with a leading + or grouped by spaces,
 * dots, dashes or parentheses. A plain run of digits is left alone: in a file name it is a
 * timestamp or a sequence number (`customer-1691348231425.json`).
 */
const PHONE_LIKE = /(?:\+\d[\d ().-]{5,}\d|\(?\d{2,4}\)?[ .-]\d{2,4}[ .-]\d{2,5}(?:[ .-]\d{2,5})*)/g;
/** A date or a timestamp (a birthday): 1987-02-03, 1987/02/03, 03.02.1987, with an optional time. */
const DATE_LIKE = /\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\b/g;
/** A UUID (a device serial number). */
const UUID_LIKE = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

function escapeInvisible(s: string, keepNewlines = false): string {
  return s.replace(INVISIBLE, (c) => (keepNewlines && c === '\n' ? c : `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`));
}

/** Masks the spans of `s` that look like personal data. */
export function maskDataLike(s: string): string {
  return s
    .replace(EMAIL_LIKE, (m) => masked(m))
    .replace(UUID_LIKE, (m) => masked(m))
    .replace(DATE_LIKE, (m) => masked(m))
    .replace(PHONE_LIKE, (m) => (m.replace(/\D/g, '').length >= 7 ? masked(m) : m));
}

/**
 * A name stedi did not write (a landing file name, a folder entry, an S3 key) as it may be shown:
 * one line, printable, with what looks like personal data masked, at most `max` characters.
 */
export function safeText(s: string, max = 200): string {
  const out = escapeInvisible(maskDataLike(s));
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * A JSON key of a landing record that is not in the schema. A key that looks like a field name
 * (letters, digits, _; at most 64) is shown JSON-quoted; any other key may be a value sent as a
 * key (an email, a phone number) and is masked.
 */
export function safeKey(k: string): string {
  return FIELD_NAME.test(k) ? JSON.stringify(k) : masked(k, 'key');
}

/** Identifier-like text in double quotes (a column, a table): kept in engine messages. */
const PLAIN_IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,127}$/;
const SINGLE_QUOTED = /'(?:[^']|'')*'/g;
const DOUBLE_QUOTED = /"(?:[^"]|"")*"/g;
/** A number with a fraction or an exponent, or of five or more digits: a value, not a position. */
const VALUE_NUMBER = /(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])/g;

/**
 * An engine's message (DuckDB, Athena) with the values of the data removed. Engines quote the
 * value they could not convert (`Could not convert string 'x@example.com' to INT64`), print the
 * value that overflowed (`value 1e+300 is out of range`), or show a key that was duplicated
 * (`Duplicate key "id: 5"`). So: a single-quoted literal becomes `'<redacted>'` unless it is a
 * name the failing statement itself spells (`statement`, when given: `Column 'email' cannot be
 * resolved` keeps its column); a double-quoted text stays only when it is a plain identifier, or a dotted name whose every part
 * the statement spells (`Table with name "curated.customer_curated"`); numbers with a fraction,
 * an exponent or five or more digits become `<number>`; dates, UUIDs, emails and long digit runs
 * anywhere are masked; control characters are escaped. Line and column positions (small integers)
 * and the words of the message stay, so it still says what went wrong and where.
 */
export function scrubEngineMessage(msg: string, statement?: string): string {
  // a quoted name that the statement itself spells (`Column 'email' cannot be resolved`) is SQL the
  // project wrote, not data: it stays; so does a double-quoted identifier (DuckDB quotes names so)
  const words = statement ? new Set(statement.match(/[A-Za-z_][A-Za-z0-9_$]*/g) ?? []) : new Set<string>();
  const named = (inner: string) => inner.split('.').every((part) => PLAIN_IDENT.test(part) && words.has(part));
  const out = msg
    .replace(SINGLE_QUOTED, (m) => (named(m.slice(1, -1)) ? m : "'<redacted>'"))
    .replace(DOUBLE_QUOTED, (m) => (PLAIN_IDENT.test(m.slice(1, -1).replace(/""/g, '"')) || named(m.slice(1, -1)) ? m : '"<redacted>"'))
    .replace(EMAIL_LIKE, '<redacted>')
    .replace(UUID_LIKE, '<redacted>')
    .replace(DATE_LIKE, '<redacted>')
    .replace(VALUE_NUMBER, (m) => (/[.eE]/.test(m) || m.replace(/^[-+]/, '').length >= 5 ? '<number>' : m));
  return escapeInvisible(out, true);
}
