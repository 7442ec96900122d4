/**
 * The canonical grammar (runner/landing/canonical.ts) is a subset of what the classifier accepts
 * unchanged: every line that matches a shape's pattern is accepted by classifyLine with nothing
 * repaired, coerced, case-folded or unknown, and with exactly the values the grammar says (the
 * string's bytes, the integer's digits, the decimal's correctly rounded double). Checked on
 * directed cases at every edge of the grammar and on a large seeded fuzz of near-canonical lines.
 */
import { describe, expect, it } from 'vitest';
import { canonicalReport, lineRegExp, shapeOf, type Shape } from '../../../runner/landing/canonical.js';
import { classifyLine, KeyResolver, landingColumns } from '../../../runner/landing/classify.js';
import type { LandingColumn, LandingValue } from '../../../runner/landing/types.js';
import { EVERY_KIND, fuzzLine, random } from '../../helpers/canonical-fuzz.js';

const { columns } = landingColumns([...EVERY_KIND, { name: 'key', data_type: 'varchar', derived: { pseudonym_of: 's' } }]);
const resolver = new KeyResolver(columns.filter((c) => c.pseudonym_of === undefined));

/** The value the grammar gives a canonical value text of a column. */
function grammarValue(col: LandingColumn, text: string): LandingValue {
  if (text === 'null') return null;
  switch (col.kind) {
    case 'varchar': return text.slice(1, -1);
    case 'bigint': return BigInt(text);
    case 'integer':
    case 'smallint':
    case 'tinyint': return Number(text);
    case 'double': return Number(text);
    case 'boolean': return text === 'true';
  }
}

/** The members of a canonical line, split by the grammar (values hold no `"` inside strings, no `,`/`}` elsewhere). */
function members(line: string, shape: Shape): Map<string, string> {
  const out = new Map<string, string>();
  let rest = line.slice(1, -1);
  for (const col of shape.columns) {
    const m = new RegExp(`^"${col.name}": ?(null|"[^"]*"|[^,}]*)(?:, ?)?`).exec(rest)!;
    out.set(col.name, m[1]!);
    rest = rest.slice(m[0].length);
  }
  return out;
}

/** Checks one line: when the pattern matches, the classifier accepts it unchanged with the grammar's values. */
function check(line: string, shape: Shape): boolean {
  if (!lineRegExp(shape).test(line)) return false;
  const o = classifyLine(line, { line: 1, terminated: true }, resolver);
  expect(o.kind, line).toBe('accepted');
  expect({ bom: o.bom, crlf: o.crlf, trailingComma: o.trailingComma, caseFolded: o.caseFolded, coerced: o.coerced, unknown: o.unknownKeys }, line).toEqual({ bom: false, crlf: false, trailingComma: false, caseFolded: false, coerced: false, unknown: undefined });
  const m = members(line, shape);
  resolver.columns.forEach((col, i) => {
    const text = m.get(col.name);
    const want = text === undefined ? null : grammarValue(col, text);
    const got = o.values![i]!;
    expect(Object.is(got, want) || got === want, `${line}: column ${col.name}: ${String(got)} vs ${String(want)}`).toBe(true);
  });
  return true;
}

const shape = (first: string) => {
  const s = shapeOf(first, columns);
  if (!s) throw new Error(`no shape: ${first}`);
  return s;
};

const FULL = shape('{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}');

describe('the shape of a file', () => {
  it('is the keys of its first line, each an exact declared column read from the record', () => {
    expect(shapeOf('{"d":1.5,"s":"x"}', columns)!.columns.map((c) => c.name)).toEqual(['d', 's']);
    expect(shapeOf('{"S":"x"}', columns)).toBeUndefined(); // case-folded
    expect(shapeOf('{"s":"x","other":1}', columns)).toBeUndefined(); // unknown key
    expect(shapeOf('{"key":"x"}', columns)).toBeUndefined(); // a derived column is never read from the record
    expect(shapeOf('{}', columns)).toBeUndefined();
    expect(shapeOf('[1]', columns)).toBeUndefined();
    expect(shapeOf('{"s":', columns)).toBeUndefined();
    expect(shapeOf('{"\\u0073":"x"}', columns)!.columns.map((c) => c.name)).toEqual(['s']); // …but its pattern is unescaped:
    expect(lineRegExp(shapeOf('{"\\u0073":"x"}', columns)!).test('{"\\u0073":"x"}')).toBe(false);
  });

  it('a repeated key in the first line gives a pattern that line does not match', () => {
    const s = shapeOf('{"s":"a","s":"b"}', columns)!;
    expect(lineRegExp(s).test('{"s":"a","s":"b"}')).toBe(false);
  });
});

describe('canonical lines are accepted by the classifier, unchanged, with the grammar\'s values', () => {
  const yes = [
    '{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}',
    '{"s": "Zoë 🚀 \u007f \u2028", "b": -999999999999999999, "i": 999999999, "sm": -9999, "t": 99, "d": -0.5, "r": 123456789012345, "f": false}',
    '{"s":null,"b":null,"i":null,"sm":null,"t":null,"d":null,"r":null,"f":null}',
    '{"s":"","b":0,"i":-0,"sm":0,"t":-99,"d":0.000000000000001,"r":-0.0,"f":true}',
    '{"s":"a,b}c:d","b":123456789012345678,"i":-999999999,"sm":9999,"t":0,"d":12345678901234.5,"r":1.23456789012345,"f":false}',
  ];
  for (const line of yes) it(line, () => expect(check(line, FULL)).toBe(true));

  const no: [string, string][] = [
    ['a BOM', '\ufeff{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['a CR', '{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}\r'],
    ['a trailing comma', '{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true},'],
    ['a space before', ' {"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['two spaces after a colon', '{"s":  "a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['an escape in a string', '{"s":"a\\"b","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['a tab in a string', '{"s":"a\tb","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['a number in a text column', '{"s":12,"b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['a string in a number column', '{"s":"a","b":"1","i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['19 digits in a bigint', '{"s":"a","b":1234567890123456789,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['10 digits in an integer', '{"s":"a","b":1,"i":1234567890,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['3 digits in a tinyint', '{"s":"a","b":1,"i":1,"sm":1,"t":100,"d":1,"r":1,"f":true}'],
    ['a leading zero', '{"s":"a","b":01,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['a fraction in a bigint', '{"s":"a","b":1.0,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['-0 in a double', '{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":-0,"r":1,"f":true}'],
    ['an exponent', '{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1e2,"r":1,"f":true}'],
    ['16 significant digits', '{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1234567890.123456,"r":1,"f":true}'],
    ['16 fraction digits', '{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":0.1234567890123456,"r":1,"f":true}'],
    ['a boolean string', '{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":"true"}'],
    ['a key in another case', '{"S":"a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['the keys in another order', '{"b":1,"s":"a","i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['a missing key', '{"s":"a","i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['an extra key', '{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true,"z":1}'],
    ['a repeated key', '{"s":"a","s":"b","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['a nested object', '{"s":{"a":1},"b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}'],
    ['a blank line', ''],
  ];
  for (const [what, line] of no) it(`not canonical: ${what}`, () => expect(check(line, FULL)).toBe(false));
});

describe('a seeded fuzz of near-canonical lines', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: every line the pattern matches is accepted unchanged with the grammar's values`, () => {
      const rnd = random(seed);
      const shapes = [FULL, shape('{"d":1,"s":"a"}'), shape('{"r":1}'), shape('{"f":true,"t":1,"b":1}')];
      let matched = 0;
      let total = 0;
      for (let n = 0; n < 20_000; n++) {
        const sh = shapes[n % shapes.length]!;
        const line = fuzzLine(rnd, sh.columns.map((c) => c.name));
        total++;
        if (check(line, sh)) matched++;
      }
      // the fuzz lands on both sides of the grammar
      expect(matched).toBeGreaterThan(total / 50);
      expect(matched).toBeLessThan(total * 0.9);
    });
  }
});

describe('the report of a canonical file', () => {
  it('accepts every line and repairs nothing', () => {
    const r = canonicalReport('/l/a.json', { bytes: 10, sha256: 'ab', lines: 3, noFinalNewline: true, plain: true });
    expect(r).toMatchObject({ status: 'ingested', lines: 3, accepted: 3, rejected: 0, blank: 0, no_final_newline: true, unknown_keys: [], first_rejects: [] });
  });
});
