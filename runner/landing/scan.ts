/**
 * Exact readings of a landing line's text that `JSON.parse` does not give: the members of the
 * record's top level as written (a key written twice, the text of a number), and the exact value
 * of a JSON number. Pure.
 *
 * `topLevelMembers` reads text that `JSON.parse` has already accepted as an object, so it only
 * has to find where things are, in one pass over the line: keys are decoded as `JSON.parse`
 * decodes them (escapes such as `\u0061`), strings are skipped escape-aware (braces, quotes and
 * colons inside them mean nothing), nested objects and arrays are skipped whole, so a nested key
 * of the same name is never taken for a member of the record. Linear in the length of the line.
 */

/** A member of the record's top level: where its key and its value are written. */
export interface Member {
  /** The key's text (without its quotes) is `line.slice(keyStart, keyEnd)`; decoded by `memberKey`. */
  keyStart: number;
  keyEnd: number;
  /** The key holds an escape (`\u0061`, `\"`): compare it only decoded. */
  escaped: boolean;
  /** The value's text is `line.slice(start, end)`. */
  start: number;
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** JSON's whitespace: space, tab, LF, CR (and nothing else: JSON.parse refuses other spaces). */
function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** The index of the quote that closes the string opened at `open`. */
function stringEnd(s: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = s.indexOf('"', from);
    if (q < 0) throw new Error('topLevelMembers: unterminated string (the text was not valid JSON)');
    // escaped when preceded by an odd number of backslashes (each run is counted once: linear)
    let b = q - 1;
    while (b > open && s.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
    from = q + 1;
  }
}

/** The index just after the value that starts at `i` (a string, an object, an array or a literal). */
function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return stringEnd(s, i) + 1;
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === QUOTE) j = stringEnd(s, j);
      else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return j + 1;
    }
    throw new Error('topLevelMembers: unbalanced value (the text was not valid JSON)');
  }
  // a number, true, false or null: up to the next separator
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isWs(d)) break;
    j++;
  }
  return j;
}

function hasBackslash(s: string, from: number, to: number): boolean {
  for (let j = from; j < to; j++) if (s.charCodeAt(j) === BACKSLASH) return true;
  return false;
}

/** A member's key decoded exactly as JSON.parse decodes it. */
export function memberKey(s: string, m: Member): string {
  return m.escaped ? (JSON.parse(s.slice(m.keyStart - 1, m.keyEnd + 1)) as string) : s.slice(m.keyStart, m.keyEnd);
}

/** Whether the member's key is `key` (without decoding the usual key, which has no escape). */
function hasKey(s: string, m: Member, key: string): boolean {
  if (m.escaped) return memberKey(s, m) === key;
  return m.keyEnd - m.keyStart === key.length && s.startsWith(key, m.keyStart);
}

/**
 * The members of the object `s` (text that JSON.parse accepted as an object), in written order,
 * a key written twice listed twice.
 */
export function topLevelMembers(s: string): Member[] {
  const out: Member[] = [];
  let i = skipWs(s, 0);
  if (s.charCodeAt(i) !== OPEN_BRACE) throw new Error('topLevelMembers: not an object');
  i = skipWs(s, i + 1);
  if (s.charCodeAt(i) === CLOSE_BRACE) return out;
  for (;;) {
    const close = stringEnd(s, i);
    const escaped = hasBackslash(s, i + 1, close);
    const start = skipWs(s, skipWs(s, close + 1) + 1); // past the colon
    const end = valueEnd(s, start);
    out.push({ keyStart: i + 1, keyEnd: close, escaped, start, end });
    i = skipWs(s, end);
    if (s.charCodeAt(i) !== COMMA) return out;
    i = skipWs(s, i + 1);
  }
}

/** The value text of `key` as JSON.parse reads it: its last member (JSON keeps the last value). */
export function memberText(s: string, members: Member[], key: string): string | undefined {
  for (let i = members.length - 1; i >= 0; i--) {
    const m = members[i]!;
    if (hasKey(s, m, key)) return s.slice(m.start, m.end);
  }
  return undefined;
}

/**
 * Whether `s` (an object JSON.parse accepted) is flat and plain: no backslash, no `[`, and no `{`
 * but the first. Then no string can hold a quote, so `"key"` followed by `:` is written only
 * where that key is a member of the record, and `flatMemberText` finds it without the full scan.
 */
export function isFlatPlain(s: string): boolean {
  return s.indexOf('\\') < 0 && s.indexOf('[') < 0 && s.indexOf('{', s.indexOf('{') + 1) < 0;
}

/** A key that holds none of JSON's structural characters or whitespace (so `"key"` cannot span two tokens). */
export const PLAIN_KEY = /^[^"\\:,{}[\]\s]+$/;

/**
 * `memberText` for a line `isFlatPlain` accepted and a key PLAIN_KEY accepts: the value text of
 * the last `"key":` member. In such a line every quote delimits a string, only a key is followed
 * by a colon, and a plain key's quoted form cannot straddle two tokens: the match is the member.
 */
export function flatMemberText(s: string, key: string): string | undefined {
  const quoted = `"${key}"`;
  for (let at = s.lastIndexOf(quoted); at >= 0; at = at === 0 ? -1 : s.lastIndexOf(quoted, at - 1)) {
    let i = skipWs(s, at + quoted.length);
    if (s.charCodeAt(i) !== 0x3a) continue; // a string value equal to the key, not the key
    i = skipWs(s, i + 1);
    return s.slice(i, valueEnd(s, i));
  }
  return undefined;
}

/** A JSON number's text (RFC 8259 grammar), or a numeric string as a landing line may send one. */
const NUMBER_PARTS = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Whether the number written as `text` is exactly zero (`0`, `-0.000`, `0e99`): no digit but 0 before the exponent. */
export function isZeroText(text: string): boolean {
  if (!NUMBER_PARTS.test(text)) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x65 || c === 0x45) return true; // e, E: the exponent of zero is zero
    if (c >= 0x31 && c <= 0x39) return false; // a digit 1-9
  }
  return true;
}

/** The largest number of decimal digits an integer of 64 bits can have (9223372036854775807). */
const MAX_INT_DIGITS = 19;

/**
 * The exact integer a JSON number's text stands for, computed from its digits (never through a
 * double): `1e2` is 100, `1.0` is 1, `-0` is 0; `1.5` and `1e-400` are `fractional`; a value of
 * more than 19 digits is `too_large` (beyond every integer column's range). Linear in the text.
 */
export function exactInteger(text: string): bigint | 'fractional' | 'too_large' | 'not_a_number' {
  const m = NUMBER_PARTS.exec(text);
  if (!m) return 'not_a_number';
  const [, sign, int, frac = '', exp = '0'] = m;
  let digits = `${int!}${frac}`.replace(/^0+/, '');
  if (digits === '') return 0n;
  // value = digits × 10^scale; an exponent beyond ±1e9 is far outside every reachable range
  let scale = Math.max(-1e9, Math.min(1e9, Number(exp))) - frac.length;
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 0x30) end--; // trailing zeros (a loop: /0+$/ is quadratic on long runs)
  scale += digits.length - end;
  digits = digits.slice(0, end);
  if (scale < 0) return 'fractional';
  if (digits.length + scale > MAX_INT_DIGITS) return 'too_large';
  const n = BigInt(`${digits}${'0'.repeat(scale)}`);
  return sign === '-' ? -n : n;
}
