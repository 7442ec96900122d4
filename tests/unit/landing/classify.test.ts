/** The line classifier: what one landing line becomes (pure; no file, no engine). */
import { describe, expect, it } from 'vitest';
import { classifyLine, coerce, columnKind, isLandingFileName, KeyResolver, landingColumns } from '../../../runner/landing/classify.js';
import { memberText, topLevelMembers } from '../../../runner/landing/scan.js';

const { columns } = landingColumns([
  { name: 'user', data_type: 'varchar' },
  { name: 'timestamp', data_type: 'bigint' },
  { name: 'x', data_type: 'double' },
]);
const resolver = () => new KeyResolver(columns);
const at = (line = 1, terminated = true) => ({ line, terminated });
const classify = (text: string, pos = at()) => classifyLine(text, pos, resolver());

describe('classifyLine: accepted records', () => {
  it('parses a clean record into the declared columns, in declared order', () => {
    const o = classify('{"x":1.5,"timestamp":1700000000000,"user":"a@example.com"}');
    expect(o).toMatchObject({ kind: 'accepted', values: ['a@example.com', 1700000000000n, 1.5], bom: false, crlf: false, trailingComma: false, caseFolded: false, coerced: false });
  });

  it('a missing key and an explicit null are both null', () => {
    expect(classify('{"user":"a@example.com","x":null}').values).toEqual(['a@example.com', null, null]);
  });

  it('matches keys case-insensitively and says so', () => {
    const o = classify('{"USER":"a@example.com","timeStamp":5,"X":2}');
    expect(o).toMatchObject({ kind: 'accepted', values: ['a@example.com', 5n, 2], caseFolded: true });
  });

  it('ignores keys that match no column, and names them', () => {
    const o = classify('{"user":"a@example.com","gyro":1,"tempC":20}');
    expect(o).toMatchObject({ kind: 'accepted', unknownKeys: ['gyro', 'tempC'] });
  });

  it('tolerates and flags a BOM, a CRLF ending and a trailing comma after the object', () => {
    const o = classify('\ufeff{"user":"a@example.com","timestamp":1} , \r');
    expect(o).toMatchObject({ kind: 'accepted', bom: true, crlf: true, trailingComma: true, values: ['a@example.com', 1n, null] });
  });

  it('accepts an exact numeric string for a number column, counted as coerced', () => {
    expect(classify('{"timestamp":"123","x":"-1.5e2"}')).toMatchObject({ kind: 'accepted', values: [null, 123n, -150], coerced: true });
  });

  it('keeps a number sent to a text column as its JSON text, counted as coerced', () => {
    expect(classify('{"user":5551234567}')).toMatchObject({ kind: 'accepted', values: ['5551234567', null, null], coerced: true });
    expect(classify('{"user":1.50}').values?.[0]).toBe('1.50');
  });

  it('reads integers beyond 2^53 exactly from the line text', () => {
    expect(classify('{"timestamp":9007199254740993}').values?.[1]).toBe(9007199254740993n);
    expect(classify('{"timestamp":"-9223372036854775808"}').values?.[1]).toBe(-9223372036854775808n);
  });
});

describe('classifyLine: blank lines', () => {
  it.each([[''], ['   '], ['\t'], ['\r'], ['  \r'], ['\ufeff']])('%j is blank', (text) => {
    expect(classify(text).kind).toBe('blank');
  });
  it('a blank CRLF line still counts its CR', () => {
    expect(classify(' \r')).toMatchObject({ kind: 'blank', crlf: true });
  });
});

describe('classifyLine: rejects (never a silent null)', () => {
  it.each([
    ['user,timestamp,x', 'invalid_json'],
    ['{"user":"a",}', 'invalid_json'], // a comma inside the object is not the tolerated one
    ['{"x":NaN}', 'invalid_json'],
    ['{"user":"a"},,', 'invalid_json'],
    ['[1,2]', 'not_an_object'],
    ['"text"', 'not_an_object'],
    ['null', 'not_an_object'],
    ['{}', 'no_declared_field'],
    ['{"gyro":1}', 'no_declared_field'],
    ['{"timestamp":1,"TimeStamp":1}', 'duplicate_key'],
    ['{"timestamp":"abc"}', 'type_mismatch'],
    ['{"timestamp":1.5}', 'type_mismatch'],
    ['{"timestamp":true}', 'type_mismatch'],
    ['{"timestamp":"1.0"}', 'type_mismatch'],
    ['{"timestamp":" 12"}', 'type_mismatch'],
    ['{"timestamp":9223372036854775808}', 'type_mismatch'],
    ['{"x":"NaN"}', 'type_mismatch'],
    ['{"x":"1e999"}', 'type_mismatch'],
    ['{"x":1e999}', 'type_mismatch'],
    ['{"x":[1]}', 'type_mismatch'],
    ['{"user":{"a":1}}', 'type_mismatch'],
  ])('%s → %s', (text, reason) => {
    expect(classify(text)).toMatchObject({ kind: 'rejected', reason });
  });

  it('the same key twice is a duplicate_key (JSON.parse would keep the last value silently); nested objects and values that spell a key are not', () => {
    expect(classify('{"user":"a@example.com","user":"b@example.com"}')).toMatchObject({ kind: 'rejected', reason: 'duplicate_key', detail: 'key "user" appears twice in the record (JSON keeps only the last value)' });
    expect(classify('{"timestamp":1, "x":2 , "timestamp" :3}')).toMatchObject({ kind: 'rejected', reason: 'duplicate_key' });
    expect(classify('{"user":"a@example.com","\\u0075ser":"b@example.com"}')).toMatchObject({ kind: 'rejected', reason: 'duplicate_key' });
    expect(classify('{"gyro":{"user":"inner","x":1},"user":"a@example.com","x":2}').kind).toBe('accepted');
    expect(classify('{"user":"user","note":"\\"user\\": quoted","gyro":[{"user":1}]}').kind).toBe('accepted');
    expect(classify('{"user":"a","gyro":1,"gyro":2}').kind).toBe('accepted'); // unknown keys are ignored, twice or not
  });

  it('a record cut off at the end of the file is truncated_record; the same text inside the file is invalid_json', () => {
    expect(classify('{"user":"a@example.com","timest', at(9, false))).toMatchObject({ kind: 'rejected', reason: 'truncated_record' });
    expect(classify('{"user":"a@example.com","timest', at(9, true))).toMatchObject({ kind: 'rejected', reason: 'invalid_json' });
  });

  it('a complete last record without a final line feed is accepted', () => {
    expect(classify('{"user":"a@example.com"}', at(3, false)).kind).toBe('accepted');
  });

  it('names every column that does not fit, but never the value', () => {
    const o = classify('{"user":"secret@example.com","timestamp":"secret-value","x":"another-secret"}');
    expect(o.reason).toBe('type_mismatch');
    expect(o.detail).toBe('column timestamp expects bigint, got a string that is not an integer; column x expects double, got a string that is not a number');
    const invalid = classify('{"user":"secret@example.com", oops}');
    expect(invalid.detail).toMatch(/^not valid JSON/);
    for (const d of [o.detail, invalid.detail]) expect(d).not.toMatch(/secret/);
  });
});

describe('coerce', () => {
  it('checks integer ranges per type', () => {
    expect(coerce(127, 'tinyint')).toEqual({ ok: true, value: 127, coerced: false });
    expect(coerce(128, 'tinyint')).toMatchObject({ ok: false, got: 'a number out of range' });
    expect(coerce(-32768, 'smallint')).toMatchObject({ ok: true });
    expect(coerce(2 ** 31, 'integer')).toMatchObject({ ok: false });
    expect(coerce('2147483647', 'integer')).toEqual({ ok: true, value: 2147483647, coerced: true });
  });
  it('booleans: true/false, and the strings "true"/"false" coerced', () => {
    expect(coerce(true, 'boolean')).toEqual({ ok: true, value: true, coerced: false });
    expect(coerce('false', 'boolean')).toEqual({ ok: true, value: false, coerced: true });
    expect(coerce('yes', 'boolean')).toMatchObject({ ok: false });
    expect(coerce(1, 'boolean')).toMatchObject({ ok: false, got: 'a number' });
  });
  it('a boolean for a text column is its JSON text', () => {
    expect(coerce(false, 'varchar')).toEqual({ ok: true, value: 'false', coerced: true });
  });
});

describe('declarations', () => {
  it('maps declared types to kinds and refuses types JSON cannot carry exactly', () => {
    expect(['VARCHAR', 'bigint', 'Double', 'float', 'boolean', 'INTEGER'].map(columnKind)).toEqual(['varchar', 'bigint', 'double', 'double', 'boolean', 'integer']);
    const { problems } = landingColumns([{ name: 'd', data_type: 'date' }, { name: 'a', data_type: 'varchar' }, { name: 'A', data_type: 'varchar' }]);
    expect(problems).toEqual([
      expect.stringMatching(/^column d: data_type 'date' cannot be read from landing JSON/),
      'columns a and A differ only in case: landing keys are matched case-insensitively',
    ]);
  });
  it('landing files are *.json (any case), not hidden files', () => {
    expect(['a.json', 'B.JSON', 'notes.txt', '.hidden.json', 'x.json.gz', 'x.jsonl'].map(isLandingFileName)).toEqual([true, true, false, false, false, false]);
  });
  it('finds a value as written among the top-level members only (a nested key of the same name is not one)', () => {
    const line = '{"a": 12.50 ,"b":1}';
    expect(memberText(line, topLevelMembers(line), 'a')).toBe('12.50');
    const nested = '{"c":{"a":2},"a":1}';
    expect(memberText(nested, topLevelMembers(nested), 'a')).toBe('1');
  });
});

describe('the flat fast path reads the same member text as the full scan', () => {
  it('on generated flat lines: string values that spell keys, whitespace, repeated keys, numbers of every form', async () => {
    const { flatMemberText, isFlatPlain, memberText, PLAIN_KEY, topLevelMembers } = await import('../../../runner/landing/scan.js');
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const keys = ['timestamp', 'x', 'user', 'Timestamp', 'a b', 'k:1', 'e'];
    const values = () => ['1', '-0', '1.0000000000000001', '1e-400', '2E+3', '"timestamp"', '"x:"', '" ,:"', 'true', 'null', '"a}"', '12345678901234567890'][rnd(12)]!;
    const ws = () => ['', ' ', '\t', '  '][rnd(4)]!;
    let flat = 0;
    for (let n = 0; n < 5000; n++) {
      const members = Array.from({ length: 1 + rnd(6) }, () => `${ws()}${JSON.stringify(keys[rnd(keys.length)])}${ws()}:${ws()}${values()}${ws()}`);
      const line = `{${members.join(',')}}`;
      JSON.parse(line); // valid JSON
      if (!isFlatPlain(line)) continue;
      flat++;
      const all = topLevelMembers(line);
      for (const k of keys.filter((x) => PLAIN_KEY.test(x))) expect(flatMemberText(line, k), `${line} ${k}`).toBe(memberText(line, all, k));
    }
    expect(flat).toBeGreaterThan(1000);
  });
});
