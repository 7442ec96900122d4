/**
 * The canonical form of a customer identity, as macros/identity.sql defines it, in TypeScript for
 * tests: trim the identity space set at both ends, NFC, lower case, NFC; empty is null (a missing
 * email). JavaScript's toLowerCase applies the full Unicode mapping where the engines apply the
 * simple one; the two differ only for U+0130 (LATIN CAPITAL LETTER I WITH DOT ABOVE), which no
 * test spelling uses.
 */

/** The code points trimmed around an identity (identity_space_code_points in macros/identity.sql). */
export const IDENTITY_SPACES = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x180e, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x200b, 0x200c, 0x200d, 0x2028, 0x2029, 0x202f, 0x205f, 0x2060, 0x3000, 0xfeff,
] as const;

const SPACES = new Set<string>(IDENTITY_SPACES.map((c) => String.fromCodePoint(c)));

export function canonicalEmail(email: string | null | undefined): string | null {
  if (email === null || email === undefined) return null;
  const chars = [...email];
  let start = 0;
  let end = chars.length;
  while (start < end && SPACES.has(chars[start]!)) start++;
  while (end > start && SPACES.has(chars[end - 1]!)) end--;
  const out = chars.slice(start, end).join('').normalize('NFC').toLowerCase().normalize('NFC');
  return out === '' ? null : out;
}
