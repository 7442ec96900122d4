/**
 * The canonical identity in TypeScript (runner/landing/identity.ts), from which the ingestion
 * derives subject_key, equals `canonical_email` (macros/identity.sql) as the engines evaluate it:
 * the macro rendered for DuckDB on a real in-memory DuckDB, and the macro rendered for Athena with
 * the code Trino 476 runs for its functions (the trino-functions Java peer). On hard strings they
 * are equal; on every code point and base letter with a combining mark they differ only where a
 * newer Unicode version than the engine's added a case pair or a combining class (the documented
 * limit of the macro: each follows its own Unicode tables).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalEmail, IDENTITY_SPACES } from '../../../runner/landing/identity.js';
import { corpus, renderCanonical, unicode16, unicode17, canonOnDuckDB, canonDatabase } from './harness.js';

const cp = (...cps: number[]) => String.fromCodePoint(...cps);

/** Strings where a careless implementation goes wrong, with the canonical form the macro gives. */
const HARD: [string, string | null][] = [
  // every trimmed code point, alone, on both sides, and doubled; and inside (kept)
  ...IDENTITY_SPACES.flatMap((c): [string, string | null][] => [
    [cp(c), null],
    [`${cp(c)}Ann@X.example${cp(c)}`, 'ann@x.example'],
    [`${cp(c, c)}ann@x${cp(c, c)}`, 'ann@x'],
    [`a${cp(c)}b@x`, `a${cp(c)}b@x`.normalize('NFC')], // kept inside (EN and EM QUAD become EN and EM SPACE: NFC)
  ]),
  // combining sequences: composed and decomposed, marks in another order, a mark alone
  ['Ren\u00e9e@x', 'ren\u00e9e@x'],
  ['RENE\u0301E@X', 'ren\u00e9e@x'],
  ['A\u030a\u0301@x', '\u01fb@x'],
  ['a\u0323\u0307@x', '\u1ea1\u0307@x'], // canonical order, then the one composition there is
  ['\u0301ann@x', '\u0301ann@x'],
  ['\u1100\u1161\u11a8@x', '\uac01@x'], // Hangul jamo compose
  ['\u212bngstr\u00f6m@x', '\u00e5ngstr\u00f6m@x'],
  // Turkish dotted and dotless I: the simple, locale-free mapping
  ['\u0130STANBUL@x', 'istanbul@x'],
  ['\u0130\u0301@x', '\u00ed@x'],
  ['I\u0307@x', 'i@x'], // I + COMBINING DOT ABOVE composes to U+0130, which lower-cases to i
  ['\u0131@x', '\u0131@x'],
  ['ISTANBUL@x', 'istanbul@x'],
  // sharp s: no case folding; capital sharp s lower-cases to sharp s
  ['STRA\u00dfE@x', 'stra\u00dfe@x'],
  ['STRA\u1e9eE@x', 'stra\u00dfe@x'],
  ['STRASSE@x', 'strasse@x'],
  // final sigma is not special: every capital sigma becomes U+03C3
  ['\u039f\u0394\u039f\u03a3@x', '\u03bf\u03b4\u03bf\u03c3@x'],
  ['\u03a3\u0391\u03a3', '\u03c3\u03b1\u03c3'],
  ['\u03bf\u03b4\u03bf\u03c2@x', '\u03bf\u03b4\u03bf\u03c2@x'],
  // title case and letters whose lower case is outside their block
  ['\u01c5@x', '\u01c6@x'],
  ['\u2126@x', '\u03c9@x'], // OHM SIGN is canonically OMEGA (NFC)
  ['\u212a@x', 'k@x'], // KELVIN SIGN is canonically K
  ['\uff21nn@x', '\uff41nn@x'], // fullwidth: NFC, not NFKC
  // emoji and other astral characters
  ['\u{1F600}Ann@x', '\u{1f600}ann@x'],
  ['\u{1F469}\u200d\u{1F469}\u200d\u{1F467}@x', '\u{1f469}\u200d\u{1f469}\u200d\u{1f467}@x'],
  ['\u{10400}@x', '\u{10428}@x'], // DESERET CAPITAL LONG I
  ['\u{1F600}\u200d', '\u{1f600}'], // a trailing ZERO WIDTH JOINER is trimmed
  // control characters that are not in the set (NUL-free): kept
  ...[0x01, 0x07, 0x08, 0x0e, 0x1b, 0x7f, 0x80, 0x84, 0x86, 0x9f, 0xad, 0x200e, 0x202e, 0x2061].map((c): [string, string | null] => [`${cp(c)}A@x${cp(c)}`, `${cp(c)}a@x${cp(c)}`]),
  // ASCII: the shortcut and its edges
  ['Zed.Case@Example.com', 'zed.case@example.com'],
  ['~A@x!', '~a@x!'],
  ['a b@x', 'a b@x'],
  ['A', 'a'],
  ['', null],
  [' ', null],
  ['\t\n\u000b\u000c\r ', null],
];

const conn = canonDatabase();

const duckCanon = (values: (string | null)[]) => canonOnDuckDB(conn(), values);

const hex = (s: string | null) => (s === null ? 'NULL' : [...s].map((ch) => ch.codePointAt(0)!.toString(16)).join('+'));
/** Inputs holding a code point that Unicode added after the engine's version. */
const newer = (s: string | null, since16: boolean) => [...(s ?? '')].some((ch) => unicode17(ch.codePointAt(0)!) || (since16 && unicode16(ch.codePointAt(0)!)));

describe('canonicalEmail (TypeScript) against canonical_email on DuckDB', () => {
  it('gives the stated canonical form of every hard string, and the value DuckDB gives', async () => {
    expect(HARD.map(([s]) => hex(canonicalEmail(s)))).toEqual(HARD.map(([, want]) => hex(want)));
    expect((await duckCanon(HARD.map(([s]) => s))).map(hex)).toEqual(HARD.map(([, want]) => hex(want)));
  });

  it('a missing value, and a value that is not a string, is no identity', async () => {
    for (const v of [null, undefined, 5, 0, true, {}, ['a@x']]) expect(canonicalEmail(v)).toBeNull();
    expect(await duckCanon([null])).toEqual([null]);
  });

  it('equals DuckDB on every code point and base letter with a combining mark, except characters newer than DuckDB’s Unicode', async () => {
    const inputs = corpus();
    const duck = await duckCanon(inputs);
    const differ = inputs.filter((s, i) => canonicalEmail(s) !== duck[i]);
    expect(differ.filter((s) => !newer(s, true)).map(hex)).toEqual([]);
    expect(differ.length).toBeLessThan(300);
  }, 120_000);

  it('is idempotent', () => {
    const moved = [...corpus(), ...HARD.map(([s]) => s)].filter((s) => {
      const once = canonicalEmail(s);
      return canonicalEmail(once) !== once;
    });
    expect(moved.map(hex)).toEqual([]);
  });
});

describe('canonicalEmail (TypeScript) against canonical_email on Athena (Trino 476 functions)', () => {
  const dir = path.join('tests', 'peers', 'dist', 'trino-functions');
  const built = fs.existsSync(path.join(dir, 'java.path'));
  if (!built && !process.env.CI) console.warn('SKIPPED: the trino-functions peer is not built; run tests/peers/build.sh (Java + Maven) to compare the TypeScript canonical form with Trino');

  it.skipIf(!built && !process.env.CI)('equals Trino on the hard strings, every code point and base letter with a combining mark, except characters of Unicode 17', () => {
    if (!built) throw new Error('the trino-functions peer is missing in CI: .ci/run must run tests/peers/build.sh before the tests');
    const inputs: (string | null)[] = [...HARD.map(([s]) => s), ...corpus(), null];
    const java = fs.readFileSync(path.join(dir, 'java.path'), 'utf8').trim();
    const stdin = [IDENTITY_SPACES.join(','), ...inputs.map((s) => (s === null ? 'N' : `S${s}`))].join('\u0000');
    const r = spawnSync(java, ['-cp', `${dir}/classes:${dir}/lib/*`, 'stedi.TrinoFunctionsPeer'], { input: stdin, encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status, r.stderr).toBe(0);
    const trino = r.stdout.split('\n').filter((l) => l.startsWith('= ')).map((l) => (l === '= NULL' ? null : Buffer.from(l.slice(2), 'hex').toString('utf8')));
    expect(trino).toHaveLength(inputs.length);
    expect(trino.slice(0, HARD.length).map(hex)).toEqual(HARD.map(([, want]) => hex(want)));
    const differ = inputs.filter((s, i) => canonicalEmail(s) !== trino[i]);
    expect(differ.filter((s) => !newer(s, false)).map(hex)).toEqual([]);
    expect(differ.length).toBeLessThan(300);
  }, 120_000);
});
