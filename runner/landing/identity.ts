/**
 * The canonical form of a customer identity, as `canonical_email` (macros/identity.sql) defines
 * it, computed in TypeScript for the pseudonym the ingestion derives (derive.ts):
 *   1. trim every leading and trailing code point of the identity space set;
 *   2. NFC;
 *   3. the simple, locale-free lower-case mapping of each code point, as DuckDB (utf8proc) and
 *      Trino (Character.toLowerCase) apply it — not String.prototype.toLowerCase, which applies the
 *      full mapping (U+0130 would become i + U+0307) and the final-sigma rule (Σ at the end of a
 *      word would become ς);
 *   4. NFC again;
 *   5. an empty result is null: a missing email.
 * A value that is not a string (null, a number, a boolean) is no identity: null.
 *
 * tests/unit/identity/typescript.test.ts proves it equal to the macro evaluated by DuckDB (and by
 * Trino's functions) on every code point and on hard strings. Where the engines' Unicode versions
 * differ (characters that newer Unicode versions added), the result follows this runtime's
 * Unicode tables, as each engine follows its own: the documented limit of the macro.
 */

/** The code points trimmed around an identity (identity_space_code_points in macros/identity.sql). */
export const IDENTITY_SPACES: readonly number[] = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x180e, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x200b, 0x200c, 0x200d, 0x2028, 0x2029, 0x202f, 0x205f, 0x2060, 0x3000, 0xfeff,
];

const SPACES = new Set<number>(IDENTITY_SPACES);

/** Printable ASCII with a visible first and last character: the canonical form is its ASCII lower case (no trim, NFC leaves it as it is). */
const PLAIN_ASCII = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

export function canonicalEmail(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (PLAIN_ASCII.test(value)) return value.toLowerCase();
  // every code point of the set is in the BMP and none is a surrogate: trimming UTF-16 units is trimming code points
  let start = 0;
  let end = value.length;
  while (start < end && SPACES.has(value.charCodeAt(start))) start++;
  while (end > start && SPACES.has(value.charCodeAt(end - 1))) end--;
  if (start === end) return null;
  const nfc = value.slice(start, end).normalize('NFC');
  let lower = '';
  for (const ch of nfc) lower += simpleLower(ch);
  const out = lower.normalize('NFC');
  return out === '' ? null : out;
}

/** The simple lower-case mapping of one code point: one code point, never a sequence. */
function simpleLower(ch: string): string {
  const full = ch.toLowerCase();
  if (full === ch) return ch;
  // the full mapping gives a sequence only where the simple one is its first code point (U+0130 -> i + U+0307)
  const first = full.codePointAt(0)!;
  return full.length === String.fromCodePoint(first).length ? full : String.fromCodePoint(first);
}
