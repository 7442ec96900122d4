/**
 * Fail closed, section 6: the landing parser is exact (with parts of sections 1 and 3). Every
 * case asserts the guarantee itself — the exact value, or the reject with its reason and line,
 * the counts balanced, nothing printed that must not be — on the real classifier and ingestion,
 * through the real CLI on a real DuckDB, and through the Athena adapter with faked SDK clients.
 *
 *   1. no accepted value differs from what the JSON says (property test on generated records)
 *   2. a line above max_line_bytes is a `line_too_long` reject, read in linear time and bounded memory
 *   3. a non-zero number a double or a real cannot hold (underflow to 0, overflow) is a type_mismatch;
 *      integers are exact (`1e2` is 100, `1.0000000000000001` is not 1)
 *   4. a local landing file that changes while it is read fails the source; nothing is published
 *   5. a missing landing location fails the source (folder or S3 prefix); an empty folder does not
 *   6. unknown keys and file names are reported in safe form only
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { safeText } from '../../runner/core/redact.js';
import { classifyLine, KeyResolver, landingColumns } from '../../runner/landing/classify.js';
import { ingestLanding, type LandingSink, type LandingSpec } from '../../runner/landing/ingest.js';
import { balanceProblem, malformedError, reportForArtifacts, sourceMessage } from '../../runner/landing/report.js';
import { exactInteger, memberText, topLevelMembers } from '../../runner/landing/scan.js';
import { LandingReadError, localStore, type LandingEntry, type LandingStore } from '../../runner/landing/store.js';
import { DEFAULT_MAX_LINE_BYTES, RAW_PREFIX_BYTES, type LandingReport, type LandingValue, type RejectRow } from '../../runner/landing/types.js';
import { checkConfigEntry } from '../../runner/project/schema.js';
import { copyFixture, explain, query, removeFixtures, runResults, start, stedi, withCatalog, write, type Row } from '../helpers/stedi.js';
import type { HookedSimulator } from '../helpers/hooked-simulator.js';
import { adapterOptions, build, compileProject, type FakeAws, fakeAwsEachTest } from '../unit/athena/harness.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  removeFixtures();
});

function folder(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-parser-'));
  dirs.push(dir);
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
  return dir;
}

const at = (line = 1, terminated = true) => ({ line, terminated });

interface Ingested {
  report: LandingReport;
  accepted: LandingValue[][];
  rejects: RejectRow[];
}

async function ingest(location: string, columns: LandingSpec['columns'], opts: { maxLineBytes?: number; chunkBytes?: number; store?: LandingStore } = {}): Promise<Ingested> {
  const accepted: LandingValue[][] = [];
  const rejects: RejectRow[] = [];
  const sink: LandingSink = { accept: (v) => accepted.push([...v]), reject: (r) => rejects.push(r) };
  const report = await ingestLanding(
    { source: 'landing.t', relation: 'landing.t', rejects_relation: 'landing.t__rejects', location, columns, on_malformed: 'quarantine', ...(opts.maxLineBytes ? { max_line_bytes: opts.maxLineBytes } : {}) },
    sink,
    { ...(opts.chunkBytes ? { chunkBytes: opts.chunkBytes } : {}), ...(opts.store ? { store: opts.store } : {}) },
  );
  return { report, accepted, rejects };
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------------------------------------
// 1. No accepted value may differ from what the JSON says
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so a failure names a seed that reproduces it. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type R = () => number;
const pick = <T,>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const hex4 = (c: number) => c.toString(16).padStart(4, '0');

/** A string's JSON text with every character written plainly or as an escape, at random (both decode the same). */
function encodeString(r: R, s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += r() < 0.5 ? '\\"' : '\\u0022';
    else if (c === 0x5c) out += r() < 0.5 ? '\\\\' : '\\u005C';
    else if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) out += `\\u${hex4(c)}`;
    else if (c === 0x2f && r() < 0.5) out += '\\/';
    else if (r() < 0.15) out += `\\u${r() < 0.5 ? hex4(c) : hex4(c).toUpperCase()}`;
    else out += s[i];
  }
  return `${out}"`;
}

/** JSON whitespace (no line feed: a landing line has none); `\r` only inside the record. */
const ws = (r: R, inner = true) => (r() < 0.6 ? '' : Array.from({ length: int(r, 1, 3) }, () => pick(r, inner ? [' ', '\t', '\r', ' '] : [' ', '\t'])).join(''));

const TRICKY = ['{', '}', '[', ']', '"', ':', ',', '\\', '"timestamp":5', '{"x":1}', '\\"user\\":', 'timestamp', 'user', 'é', '🚀', ' ', '\t', '\u2028', '0', '-1e5', 'null', 'true', 'a@example.com', '},{', '":"'];
const trickyString = (r: R) => Array.from({ length: int(r, 0, 6) }, () => pick(r, TRICKY)).join('');

/** A JSON number's text, anywhere in the grammar (some overflow or underflow a double). */
function numberText(r: R): string {
  const digits = (n: number) => Array.from({ length: n }, () => String(int(r, 0, 9))).join('');
  const sign = r() < 0.3 ? '-' : '';
  const intPart = r() < 0.3 ? '0' : `${int(r, 1, 9)}${digits(int(r, 0, 17))}`;
  const frac = r() < 0.5 ? `.${digits(int(r, 1, 20))}` : '';
  const exp = r() < 0.4 ? `${pick(r, ['e', 'E'])}${pick(r, ['', '+', '-'])}${int(r, 0, r() < 0.2 ? 400 : 30)}` : '';
  return `${sign}${intPart}${frac}${exp}`;
}

const COLUMNS = [
  { name: 'timestamp', data_type: 'bigint' },
  { name: 'user', data_type: 'varchar' },
  { name: 'x', data_type: 'double' },
  { name: 'note', data_type: 'varchar' },
  { name: 'level', data_type: 'integer' },
] as const;
const { columns: PROPERTY_COLUMNS } = landingColumns([...COLUMNS]);
const RANGE: Record<string, [bigint, bigint]> = { bigint: [-(2n ** 63n), 2n ** 63n - 1n], integer: [-(2n ** 31n), 2n ** 31n - 1n] };

type Expected = { ok: true; value: LandingValue } | { ok: false };

/** An integer column's value: the text of an exact integer in one of its many spellings, or a text that is not one. */
function integerValue(r: R, type: 'bigint' | 'integer'): { text: string; expect: Expected } {
  const [lo, hi] = RANGE[type]!;
  const k = r();
  const n =
    k < 0.3 ? BigInt(int(r, -1000, 1000)) : k < 0.5 ? 2n ** 53n + BigInt(int(r, -1000, 1000)) : k < 0.7 ? (r() < 0.5 ? hi - BigInt(int(r, 0, 1000)) : lo + BigInt(int(r, 0, 1000))) : BigInt.asIntN(64, BigInt(int(r, 0, 2 ** 30)) * 2n ** 33n + BigInt(int(r, 0, 2 ** 30)));
  const v = (x: bigint): Expected => (x >= lo && x <= hi ? { ok: true, value: type === 'bigint' ? x : Number(x) } : { ok: false });
  const abs = n < 0n ? -n : n;
  const sign = n < 0n ? '-' : '';
  const s = abs.toString();
  switch (int(r, 0, 9)) {
    case 0:
      return { text: `${sign}${s}.${'0'.repeat(int(r, 1, 5))}`, expect: v(n) };
    case 1: // d.ddd e(m-1): the same integer in scientific notation
      return { text: `${sign}${s[0]}${s.length > 1 ? `.${s.slice(1)}` : ''}e${r() < 0.5 ? '+' : ''}${s.length - 1}`, expect: v(n) };
    case 2: // n·10 e-1
      return { text: `${sign}${s}0e-1`, expect: v(n) };
    case 3: // a fraction, even one a double would round away
      return { text: `${sign}${s}.${'0'.repeat(int(r, 0, 20))}${int(r, 1, 9)}`, expect: { ok: false } };
    case 4: { // n·10^-j: an integer only when n ends with j zeros
      if (r() < 0.3) return { text: `${sign}${s === '0' ? '1' : s}e-400`, expect: { ok: false } };
      const j = int(r, 1, 3);
      const exact = abs === 0n || s.endsWith('0'.repeat(j));
      return { text: `${sign}${s}e-${j}`, expect: exact ? v(n / 10n ** BigInt(j)) : { ok: false } };
    }
    case 5: // an exact integer string (coerced)
      return { text: JSON.stringify(`${sign}${s}`), expect: v(n) };
    case 6:
      return { text: n === 0n ? '-0' : `${sign}${s}`, expect: v(n) };
    default:
      return { text: `${sign}${s}`, expect: v(n) };
  }
}

/** A double column's value: a number's text (or the same as a string); what a double holds of it, or a reject. */
function doubleValue(r: R): { text: string; expect: Expected } {
  const t = numberText(r);
  const x = Number(t);
  const zeroText = !/[1-9]/.test(t.replace(/[eE].*$/, ''));
  const ok = Number.isFinite(x) && (x !== 0 || zeroText);
  return { text: r() < 0.2 ? JSON.stringify(t) : t, expect: ok ? { ok: true, value: x } : { ok: false } };
}

/** A text column's value: a string (decoded as written), a number (kept as written) or a boolean. */
function textValue(r: R, numbers: boolean): { text: string; expect: Expected } {
  const k = r();
  if (numbers && k < 0.4) {
    const t = numberText(r);
    return { text: t, expect: { ok: true, value: t } };
  }
  if (numbers && k < 0.5) {
    const b = r() < 0.5;
    return { text: String(b), expect: { ok: true, value: String(b) } };
  }
  const s = trickyString(r);
  return { text: encodeString(r, s), expect: { ok: true, value: s } };
}

/** A value that no column reads: nested objects and arrays whose keys collide with the columns' names. */
function decoy(r: R, depth = 0): string {
  const k = r();
  if (depth > 3 || k < 0.35) {
    return pick(r, [() => numberText(r), () => encodeString(r, trickyString(r)), () => 'true', () => 'null', () => '9007199254740993'])();
  }
  if (k < 0.7) {
    const members = Array.from({ length: int(r, 0, 4) }, () => `${ws(r)}${encodeString(r, spell(r, pick(r, [...COLUMNS.map((c) => c.name), 'n', 'x'])))}${ws(r)}:${ws(r)}${decoy(r, depth + 1)}${ws(r)}`);
    return `{${members.join(',')}${members.length ? '' : ws(r)}}`;
  }
  const items = Array.from({ length: int(r, 0, 4) }, () => `${ws(r)}${decoy(r, depth + 1)}${ws(r)}`);
  return `[${items.join(',')}${items.length ? '' : ws(r)}]`;
}

/** A key in another case, at random (matched case-insensitively). */
const spell = (r: R, name: string) => [...name].map((c) => (r() < 0.2 ? c.toUpperCase() : c)).join('');

const DECOY_KEYS = ['n', 'meta', 'gyro', 'timestamps', 'userx', 'x1', 'notes', 'tímestamp', 'a b', '{"timestamp":1}', 'timestamp"', ':', '\\', 'ts', ''];

interface Case {
  line: string;
  expect: { kind: 'accepted'; values: LandingValue[] } | { kind: 'rejected'; reason: string };
}

/** One generated record and what an exact reading of it gives. */
function generate(r: R): Case {
  const members: string[] = [];
  const values: LandingValue[] = COLUMNS.map(() => null);
  let mismatch = false;
  const present: number[] = [];
  const member = (key: string, value: string) => `${ws(r)}${encodeString(r, key)}${ws(r)}:${ws(r)}${value}${ws(r)}`;
  COLUMNS.forEach((c, i) => {
    if (r() < 0.25) return;
    present.push(i);
    const v = c.data_type === 'bigint' || c.data_type === 'integer' ? integerValue(r, c.data_type) : c.data_type === 'double' ? doubleValue(r) : textValue(r, c.name === 'note');
    members.push(member(spell(r, c.name), v.text));
    if (v.expect.ok) values[i] = v.expect.value;
    else mismatch = true;
  });
  for (let d = int(r, 0, 4); d > 0; d--) members.push(member(pick(r, DECOY_KEYS), decoy(r)));
  // now and then a column written twice (the same key, another case, or escaped differently)
  const twice = present.length > 0 && r() < 0.08;
  if (twice) {
    const c = COLUMNS[pick(r, present)]!;
    members.push(member(spell(r, c.name), c.data_type === 'varchar' ? '"again"' : '1'));
  }
  for (let i = members.length - 1; i > 0; i--) {
    const j = int(r, 0, i);
    [members[i], members[j]] = [members[j]!, members[i]!];
  }
  const line = `${ws(r, false)}{${members.join(',')}${members.length ? '' : ws(r)}}${ws(r, false)}`;
  const expect: Case['expect'] = twice
    ? { kind: 'rejected', reason: 'duplicate_key' }
    : present.length === 0
      ? { kind: 'rejected', reason: 'no_declared_field' }
      : mismatch
        ? { kind: 'rejected', reason: 'type_mismatch' }
        : { kind: 'accepted', values };
  return { line, expect };
}

describe('1. no accepted value differs from what the JSON says', () => {
  const resolver = new KeyResolver(PROPERTY_COLUMNS);

  it('the case of the issue: an escaped key and a nested object holding a member of the same name', () => {
    const { columns } = landingColumns([{ name: 'timestamp', data_type: 'bigint' }, { name: 'note', data_type: 'varchar' }]);
    const rs = new KeyResolver(columns);
    const lines: [string, LandingValue[]][] = [
      ['{"n":{"timestamp":5},"timest\\u0061mp":9007199254740993,"note":1}', [9007199254740993n, '1']],
      ['{"timest\\u0061mp":9007199254740993,"n":{"timestamp":5}}', [9007199254740993n, null]],
      ['{"n":[{"timestamp":5},"\\"timestamp\\":6"],"timestamp" : 9223372036854775807 ,"note":"{\\"timestamp\\":7}"}', [9223372036854775807n, '{"timestamp":7}']],
      ['{"n":"\\"note\\":12.50,","m":{"note":3},"NOTE":12.50}', [null, '12.50']],
      ['{"n":{"timestamp":5},"timestamp":1e2}', [100n, null]],
    ];
    for (const [line, values] of lines) expect(classifyLine(line, at(), rs), line).toMatchObject({ kind: 'accepted', values });
  });

  it('property: on many generated records, every accepted value is what an exact reading of the JSON gives, and every other record is rejected for its reason', () => {
    const seed = Number(process.env.STEDI_PROPERTY_SEED ?? 20260601);
    const r = prng(seed);
    const kinds: Record<string, number> = {};
    for (let n = 0; n < 6000; n++) {
      const c = generate(r);
      expect(() => JSON.parse(c.line), `seed ${seed} #${n}: the generator wrote valid JSON`).not.toThrow();
      const o = classifyLine(c.line, at(n + 1), resolver);
      const label = `seed ${seed} record #${n}: ${c.line}`;
      if (c.expect.kind === 'accepted') expect({ kind: o.kind, values: o.values }, label).toEqual({ kind: 'accepted', values: c.expect.values });
      else expect({ kind: o.kind, reason: o.reason }, label).toEqual(c.expect);
      const k = c.expect.kind === 'accepted' ? 'accepted' : c.expect.reason;
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
    // the generator reaches every outcome often enough to mean something
    expect(kinds.accepted).toBeGreaterThan(1500);
    expect(kinds.type_mismatch).toBeGreaterThan(500);
    expect(kinds.duplicate_key).toBeGreaterThan(100);
  });

  it('property, through the file reader: the same records in a landing file, across chunk boundaries, give the same rows and rejects at their lines', async () => {
    const r = prng(7);
    const cases = Array.from({ length: 800 }, () => generate(r));
    const dir = folder({ 'a.json': `${cases.map((c) => c.line).join('\n')}\n` });
    for (const chunkBytes of [7, 4096]) {
      const { report, accepted, rejects } = await ingest(dir, PROPERTY_COLUMNS, { chunkBytes });
      expect(accepted).toEqual(cases.flatMap((c) => (c.expect.kind === 'accepted' ? [c.expect.values] : [])));
      expect(rejects.map((x) => [x.line, x.reason])).toEqual(cases.flatMap((c, i) => (c.expect.kind === 'rejected' ? [[i + 1, c.expect.reason]] : [])));
      expect(balanceProblem(report)).toBeUndefined();
    }
  });

  it('the member scan is exact on what fools a search over the line, and linear (a long line of nested values is read in one pass)', () => {
    const line = '{"a":"\\\\","b":"\\\\\\"a\\":1","c":{"a":[{"a":2}]},"\\u0061":3}';
    const m = topLevelMembers(line);
    expect(m.map((x) => line.slice(x.start, x.end))).toEqual(['"\\\\"', '"\\\\\\"a\\":1"', '{"a":[{"a":2}]}', '3']);
    expect(memberText(line, m, 'a')).toBe('3');
    const deep = `{"x":${'['.repeat(5000)}${']'.repeat(5000)},"k":${'{"k":'.repeat(3000)}1${'}'.repeat(3000)},"s":"${'\\\\'.repeat(100_000)}","t":12}`;
    expect(memberText(deep, topLevelMembers(deep), 't')).toBe('12');
  });

  it('integers are read from their digits: exact, never through a rounded double', () => {
    expect(['1e2', '1.0', '-0', '1.5e1', '100e-2', '0e999999999', '9.223372036854775807e18', '-9223372036854775808', '1e-400', '1.0000000000000001', '1e19', '1e999999999999'].map(exactInteger)).toEqual([
      100n, 1n, 0n, 15n, 1n, 0n, 9223372036854775807n, -9223372036854775808n, 'fractional', 'fractional', 'too_large', 'too_large',
    ]);
    // a long run of zeros inside the digits is read in linear time (no backtracking regex)
    expect(exactInteger(`1${'0'.repeat(200_000)}1e-200001`)).toBe('fractional');
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Lines above a configured limit
// ---------------------------------------------------------------------------------------------

describe('2. a line above max_line_bytes is a line_too_long reject', () => {
  const { columns } = landingColumns([{ name: 'user', data_type: 'varchar' }, { name: 'n', data_type: 'bigint' }]);
  const rec = (user: string, n: number) => JSON.stringify({ user, n });
  const LIMIT = 64;

  it('wherever it is (first, inside a chunk, across chunks, last without a line feed): its own reason, exact line numbers, balanced counts, the file hash over every byte', async () => {
    const long = (n: number, ch = 'a') => rec(ch.repeat(n), 1);
    const exactly = rec('b'.repeat(LIMIT - rec('', 1).length), 2); // exactly LIMIT bytes: allowed
    expect(Buffer.byteLength(exactly)).toBe(LIMIT);
    const lines = [long(300), rec('c', 3), exactly, '', long(5000, 'é'), `${rec('d', 4)}\r`, long(70), long(3000)];
    const body = lines.join('\n'); // the last line has no line feed
    const dir = folder({ 'a.json': body });
    for (const chunkBytes of [1, 5, 64, 100, 4096, 1 << 20]) {
      const { report, accepted, rejects } = await ingest(dir, columns, { maxLineBytes: LIMIT, chunkBytes });
      expect(accepted, `chunk ${chunkBytes}`).toEqual([['c', 3n], ['b'.repeat(LIMIT - rec('', 1).length), 2n], ['d', 4n]]);
      expect(rejects.map((x) => [x.line, x.reason]), `chunk ${chunkBytes}`).toEqual([[1, 'line_too_long'], [5, 'line_too_long'], [7, 'line_too_long'], [8, 'line_too_long']]);
      const f = report.files[0]!;
      expect(f).toMatchObject({ lines: 8, accepted: 3, rejected: 4, blank: 1, no_final_newline: true, bytes: Buffer.byteLength(body), sha256: sha256(body) });
      expect(balanceProblem(report)).toBeUndefined();
      const [r1, r5] = [rejects[0]!, rejects[1]!];
      // shorter than RAW_PREFIX_BYTES: raw is the whole line
      expect(r1.detail).toBe(`the line has ${Buffer.byteLength(lines[0]!)} bytes, more than max_line_bytes (${LIMIT})`);
      expect(r1.raw).toBe(lines[0]);
      // a prefix cut at a character boundary, never more than RAW_PREFIX_BYTES
      expect(Buffer.byteLength(r5.raw)).toBeLessThanOrEqual(RAW_PREFIX_BYTES);
      expect(lines[4]!.startsWith(r5.raw)).toBe(true);
      expect(r5.raw).not.toContain('\ufffd');
      expect(r5.detail).toMatch(new RegExp(`^the line has ${Buffer.byteLength(lines[4]!)} bytes, more than max_line_bytes \\(64\\); raw keeps its first ${Buffer.byteLength(r5.raw)} bytes only$`));
    }
  });

  it('the limit holds before anything else: a too-long line of spaces is not blank; under on_malformed fail it names file and line', async () => {
    const dir = folder({ 'a.json': `${rec('a', 1)}\n${' '.repeat(LIMIT + 1)}\n` });
    const { report, rejects } = await ingest(dir, columns, { maxLineBytes: LIMIT });
    expect(rejects.map((x) => [x.line, x.reason])).toEqual([[2, 'line_too_long']]);
    expect(report.totals).toMatchObject({ lines_read: 2, accepted: 1, rejected: 1, blank: 0 });
    expect(malformedError({ ...report, on_malformed: 'fail' })).toBe(`${dir}/a.json line 2: line_too_long: the line has ${LIMIT + 1} bytes, more than max_line_bytes (${LIMIT}); on_malformed is 'fail', so nothing is published`);
  });

  it('the default limit is 1 MiB: a line of exactly that is read, one byte more is not', async () => {
    expect(DEFAULT_MAX_LINE_BYTES).toBe(1 << 20);
    const pad = (n: number) => rec('x'.repeat(n - rec('', 1).length), 1);
    const { accepted, rejects } = await ingest(folder({ 'a.json': `${pad(1 << 20)}\n${pad((1 << 20) + 1)}\n` }), columns);
    expect(accepted).toHaveLength(1);
    expect(rejects.map((x) => [x.line, x.reason])).toEqual([[2, 'line_too_long']]);
  });

  it('a too-long line is never held in memory: a 256 MiB line is read with flat memory (the store reuses one buffer)', async () => {
    const MB = 1 << 20;
    const block = Buffer.alloc(MB, 'a');
    let peak = 0;
    const base = process.memoryUsage().arrayBuffers;
    const store: LandingStore = {
      list: async () => [{ name: 'big.json', path: 'virtual/big.json', kind: 'file', size: 256 * MB + 2 }],
      async *read() {
        block.write('{"user":"', 0);
        yield block;
        block.fill('a');
        for (let i = 1; i < 256; i++) {
          peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
          yield block;
        }
        yield Buffer.from('"}\n{"user":"after","n":2}\n');
      },
    };
    const { report, accepted, rejects } = await ingest('virtual', columns, { store });
    expect(rejects.map((x) => [x.line, x.reason, Buffer.byteLength(x.raw)])).toEqual([[1, 'line_too_long', RAW_PREFIX_BYTES]]);
    expect(rejects[0]!.detail).toBe(`the line has ${256 * MB + 2} bytes, more than max_line_bytes (${1 << 20}); raw keeps its first ${RAW_PREFIX_BYTES} bytes only`);
    expect(accepted).toEqual([['after', 2n]]);
    expect(report.totals).toMatchObject({ lines_read: 2, accepted: 1, rejected: 1 });
    expect(peak).toBeLessThan(16 * MB);
  });

  it('max_line_bytes is a source config key: a whole number from 1 to 32 MiB', () => {
    expect(checkConfigEntry('source_table', 'max_line_bytes', 4096)).toEqual({ value: 4096 });
    for (const bad of [0, -1, 1.5, '1MB', 2 ** 40, null]) expect(checkConfigEntry('source_table', 'max_line_bytes', bad), String(bad)).toHaveProperty('problem');
    const p = compileProject({ 'models/sources.yml': "version: 2\nsources:\n  - name: landing\n    tables:\n      - name: customer\n        location: \"{{ var('landing_root') }}/customer/landing\"\n        config: { max_line_bytes: 4096 }\n        columns:\n          - { name: email, data_type: varchar }\n" });
    expect(p.manifest.nodes['source.mini.landing.customer']!.config.max_line_bytes).toBe(4096);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Numbers a column cannot hold
// ---------------------------------------------------------------------------------------------

const READING_COLUMNS = [
  { name: 'id', data_type: 'bigint' },
  { name: 'd', data_type: 'double' },
  { name: 'r', data_type: 'real' },
  { name: 'f', data_type: 'float' },
  { name: 'i', data_type: 'integer' },
  { name: 't', data_type: 'tinyint' },
];

/** A landing file of numbers at the edges: [line, outcome] (a reject reason, or the id of an accepted record). */
const READINGS: [string, string | number][] = [
  ['{"id":1,"d":1e-400}', 'type_mismatch'], // a double underflows to 0
  ['{"id":2,"d":"1e-400"}', 'type_mismatch'],
  ['{"id":3,"d":1e400}', 'type_mismatch'], // overflow
  ['{"id":4,"r":3.5e38}', 'type_mismatch'], // beyond a real's range: a silent infinity
  ['{"id":5,"r":1e-46}', 'type_mismatch'], // a real underflows to 0
  ['{"id":6,"f":"-1e39"}', 'type_mismatch'],
  ['{"id":7,"i":1.0000000000000001}', 'type_mismatch'], // a double would round it to 1
  ['{"id":8,"i":1e-400}', 'type_mismatch'],
  ['{"id":9,"t":1.28e2}', 'type_mismatch'],
  ['{"id":10,"d":4.9e-324,"r":1e-45,"f":-3.4e38,"i":1e2,"t":1.27e2}', 10],
  ['{"id":11,"d":-0.0,"r":0e-999,"i":-0,"t":"-007"}', 11],
  ['{"id":9.223372036854775807e18}', 9223372036854775807],
  ['{"n":{"id":5},"\\u0069d":9007199254740993}', 9007199254740993],
];

describe('3. a number the column cannot hold is a type_mismatch, never a silent 0 or infinity', () => {
  const { columns } = landingColumns(READING_COLUMNS);
  const rs = new KeyResolver(columns);

  it('doubles, reals (32-bit) and integers, as numbers and as numeric strings', () => {
    const o = (l: string) => classifyLine(l, at(), rs);
    for (const [line, outcome] of READINGS) {
      if (typeof outcome === 'string') expect(o(line), line).toMatchObject({ kind: 'rejected', reason: outcome });
      else expect(o(line).kind, line).toBe('accepted');
    }
    expect(o('{"d":1e-400}').detail).toBe('column d expects double, got a non-zero number too small (it would be stored as 0)');
    expect(o('{"r":3.5e38}').detail).toBe('column r expects real, got a number out of range');
    expect(o('{"r":1e-46}').detail).toBe('column r expects real, got a non-zero number too small (it would be stored as 0)');
    expect(o('{"f":"-1e39"}').detail).toBe('column f expects float, got a number out of range');
    expect(o('{"i":1.0000000000000001}').detail).toBe('column i expects integer, got a fractional number');
    expect(o(READINGS[9]![0]).values).toEqual([10n, 5e-324, 1e-45, -3.4e38, 100, 127]);
    expect(o(READINGS[10]![0]).values).toEqual([11n, -0, 0, null, 0, -7]);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. A local landing file that changes while it is read
// ---------------------------------------------------------------------------------------------

describe('4. a local landing file that changes while it is read fails the source', () => {
  const { columns } = landingColumns([{ name: 'user', data_type: 'varchar' }, { name: 'n', data_type: 'bigint' }]);
  const body = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ user: `u${i}`, n: i })).join('\n') + '\n';

  /** The local store, with `change` run on the file after its first chunk was handed over. */
  function changing(change: (file: string) => void): LandingStore {
    const local = localStore(1024);
    return {
      list: (l, s) => local.list(l, s),
      async *read(e: LandingEntry, s) {
        let first = true;
        for await (const chunk of local.read(e, s)) {
          yield chunk;
          if (first) change(e.path);
          first = false;
        }
      },
    };
  }

  const cases: [string, (file: string) => void][] = [
    ['appended to', (f) => fs.appendFileSync(f, '{"user":"late","n":1}\n')],
    ['truncated', (f) => fs.truncateSync(f, 100)],
    ['rewritten in place, same size', (f) => fs.writeFileSync(f, body.replace('"u1"', '"v1"'))],
    ['replaced by a rename', (f) => (fs.writeFileSync(`${f}.tmp`, body), fs.renameSync(`${f}.tmp`, f))],
  ];
  for (const [what, change] of cases) {
    it(`${what}: an error naming the file, whatever was already handed to the sink`, async () => {
      const dir = folder({ 'a.json': body });
      const err = await ingest(dir, columns, { store: changing(change) }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(LandingReadError);
      expect((err as Error).message).toBe(`cannot read ${dir}/a.json: it changed while it was read (its size, modification time or inode differ from the listing); run the build again`);
    });
  }

  it('changed between the listing and the read: the same error', async () => {
    const dir = folder({ 'a.json': body });
    const local = localStore();
    const store: LandingStore = { list: async (l, s) => { const e = await local.list(l, s); fs.appendFileSync(path.join(dir, 'a.json'), '\n'); return e; }, read: (e, s) => local.read(e, s) };
    await expect(ingest(dir, columns, { store })).rejects.toThrow(/a\.json: it changed while it was read/);
  });

  it('removed between the listing and the read: an error naming it', async () => {
    const dir = folder({ 'a.json': body });
    const local = localStore();
    const store: LandingStore = { list: async (l, s) => { const e = await local.list(l, s); fs.rmSync(path.join(dir, 'a.json')); return e; }, read: (e, s) => local.read(e, s) };
    await expect(ingest(dir, columns, { store })).rejects.toThrow(`cannot read ${dir}/a.json: it was removed after the landing folder was listed; run the build again`);
  });

  it('a file that does not change is read as usual', async () => {
    const { report } = await ingest(folder({ 'a.json': body }), columns, { chunkBytes: 1024 });
    expect(report.totals).toMatchObject({ lines_read: 2000, accepted: 2000 });
  });
});

// ---------------------------------------------------------------------------------------------
// 5 and 6 on the classifier's reports
// ---------------------------------------------------------------------------------------------

describe('5 and 6: missing locations, unknown keys and odd file names in the report', () => {
  const { columns } = landingColumns([{ name: 'email', data_type: 'varchar' }, { name: 'n', data_type: 'bigint' }]);
  const EMAIL_KEY = 'ann.lee@example.com';

  it('a missing folder is an error naming it; an existing empty folder is read as no file', async () => {
    const missing = path.join(os.tmpdir(), 'stedi-parser-no-such-folder');
    await expect(ingest(missing, columns)).rejects.toThrow(new RegExp(`^the landing folder ${missing} does not exist`));
    const { report } = await ingest(folder({}), columns);
    expect(report.totals).toMatchObject({ files: 0, lines_read: 0 });
  });

  it('unknown keys are kept in safe form (an email key masked), file names and the location shown safely in every message', async () => {
    const forged = 'part-2\nERROR forged line.json';
    const dir = folder({ [forged]: `{"email":"a@example.com","n":1,"${EMAIL_KEY}":true,"gyro":1}\n{"n":"x"}\n` });
    const { report } = await ingest(dir, columns);
    const f = report.files[0]!;
    expect(f.file).toBe(`${dir}/${forged}`); // the real path, for the rejects table
    expect(f.unknown_keys).toEqual([expect.stringMatching(/^<key #[0-9a-f]{4}>$/), 'gyro'].sort());
    const texts = [...report.warnings, sourceMessage(report), balanceProblem({ ...report, files: [{ ...f, blank: 5 }] })!, malformedError({ ...report, on_malformed: 'fail' })!];
    for (const t of texts) {
      expect(t).not.toContain(EMAIL_KEY);
      expect(t.split('\n').some((l) => l.startsWith('ERROR forged'))).toBe(false);
    }
    expect(report.warnings).toContain(`${safeText(forged)}: keys ${f.unknown_keys.map((k) => (k.startsWith('<') ? k : JSON.stringify(k))).join(', ')} not in the schema of landing.t (ignored; reported once per file)`);
    expect(malformedError({ ...report, on_malformed: 'fail' })).toBe(`${dir}/part-2\\u000aERROR forged line.json line 2: type_mismatch: column n expects bigint, got a string that is not an integer; on_malformed is 'fail', so nothing is published`);
  });

  it('reportForArtifacts: a copy with every file name, duplicate origin, skipped entry and the location in safe form, counts untouched', async () => {
    const body = '{"email":"a@example.com","n":1}\n';
    const dir = folder({ 'b\nERROR x.json': body, 'c-ann.lee@example.com.json': body, 'notes\u202e.txt': 'x' });
    const { report } = await ingest(dir, columns);
    const copy = reportForArtifacts(report);
    const text = JSON.stringify(copy);
    expect(text).not.toContain('ann.lee@example.com');
    expect(text).not.toContain('\\n'); // no raw line feed in any name (an escaped one is \\u000a)
    expect(text).not.toContain('\u202e');
    expect(copy.files.map((x) => x.file)).toEqual([safeText(`${dir}/b\nERROR x.json`, 1000), safeText(`${dir}/c-ann.lee@example.com.json`, 1000)]);
    expect(copy.files[1]!.duplicate_of).toBe(copy.files[0]!.file);
    expect(copy.skipped).toEqual([safeText('notes\u202e.txt')]);
    expect(copy.totals).toEqual(report.totals);
    // the original keeps the real paths
    expect(report.files[0]!.file).toBe(`${dir}/b\nERROR x.json`);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the real CLI on a real DuckDB
// ---------------------------------------------------------------------------------------------

const READING_SOURCE = `
      - name: reading
        location: "{{ var('landing_root') }}/reading/landing"
        entity: reading
        columns:
${READING_COLUMNS.map((c) => `          - { name: ${c.name}, data_type: ${c.data_type} }`).join('\n')}
`;

const EMAIL_KEY = 'ann.lee@example.com';
const FORGED = 'part-0002\nERROR forged line.json';
const LANDING = 'seeds/landing/customer/landing';

/** Every text value of every _stedi table, as one string. */
async function stediTables(dir: string): Promise<string> {
  return withCatalog(dir, async (q) => {
    const tables = await q("select table_name from information_schema.tables where table_schema = '_stedi'");
    const out: Row[] = [];
    for (const t of tables) out.push(...(await q(`select * from _stedi."${String(t.table_name)}"`)));
    return JSON.stringify(out);
  });
}

describe('through the CLI on DuckDB', () => {
  it('exact values, too-long lines, unrepresentable numbers, unknown keys and odd file names: each guarantee holds in the catalog and the output', async () => {
    const dir = copyFixture('mini');
    fs.appendFileSync(path.join(dir, 'models/landing/sources.yml'), READING_SOURCE);
    write(dir, 'seeds/landing/reading/landing/r.json', `${READINGS.map(([l]) => l).join('\n')}\n`);
    const long = JSON.stringify({ email: 'long@mini.example', name: 'x'.repeat(DEFAULT_MAX_LINE_BYTES), n: 9, country: 'DE' });
    write(dir, `${LANDING}/part-0003-long.json`, `${long}\n{"email":"z@mini.example","name":"Zed","n":10,"country":"DE"}\n`);
    write(dir, `${LANDING}/${FORGED}`, `{"email":"y@mini.example","name":"Yan","n":11,"country":"FR","${EMAIL_KEY}":true}\n`);
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);

    // 3 and 1: the exact values stored, every other line quarantined with its reason and line
    const rows = await query(dir, 'select id::varchar as id, d, r, f, i, t from landing.reading order by id');
    expect(rows.map((x) => x.id)).toEqual(['10', '11', '9007199254740993', '9223372036854775807']);
    expect(rows[0]).toMatchObject({ d: 5e-324, i: 100, t: 127 });
    expect(Math.fround(Number(rows[0]!.r))).toBe(Math.fround(1e-45));
    expect(Number(rows[0]!.f)).toBe(Math.fround(-3.4e38));
    expect(await query(dir, 'select line, reason from landing.reading__rejects order by line')).toEqual(
      READINGS.flatMap(([, o], i) => (typeof o === 'string' ? [{ line: String(i + 1), reason: o }] : [])),
    );
    expect(await query(dir, 'select count(*) as n from landing.reading where isinf(d) or isinf(r) or isinf(f)')).toEqual([{ n: '0' }]);

    // 2: the long line is a reject with its own reason, a bounded raw, and the file's counts balance
    const rej = await query(dir, "select file, line, reason, detail, length(raw) as raw_chars from landing.customer__rejects where reason = 'line_too_long'");
    expect(rej).toEqual([{ file: `${LANDING}/part-0003-long.json`, line: '1', reason: 'line_too_long', detail: `the line has ${long.length} bytes, more than max_line_bytes (1048576); raw keeps its first ${RAW_PREFIX_BYTES} bytes only`, raw_chars: String(RAW_PREFIX_BYTES) }]);
    expect(await query(dir, "select count(*) as n from landing.customer where email in ('long@mini.example')")).toEqual([{ n: '0' }]);
    const files = await query(dir, "select file, lines, accepted, rejected, sha256, unknown_keys from _stedi.landing_files where source = 'landing.customer' order by file");
    const longFile = files.find((f) => String(f.file).endsWith('part-0003-long.json'))!;
    expect(longFile).toMatchObject({ lines: '2', accepted: '1', rejected: '1', sha256: sha256(fs.readFileSync(path.join(dir, LANDING, 'part-0003-long.json'))) });
    const rec = runResults(dir).reconciliation!;
    expect(rec.problems).toEqual([]);
    expect(rec.sources.find((s) => s.source === 'landing.customer')).toMatchObject({ lines_read: 8, accepted: 7, rejected: 1, balanced: true });

    // 6: the email key is masked everywhere stedi writes it; the odd file name forges no line
    const forgedFile = files.find((f) => String(f.file).includes('ERROR forged'))!;
    expect(forgedFile.unknown_keys).toEqual([expect.stringMatching(/^<key #[0-9a-f]{4}>$/)]);
    const artifacts = fs.readFileSync(path.join(dir, 'target/run_results.json'), 'utf8');
    for (const text of [r.stdout, r.stderr, artifacts, await stediTables(dir)]) expect(text).not.toContain(EMAIL_KEY);
    for (const text of [r.stdout, r.stderr]) expect(text.split('\n').some((l) => l.startsWith('ERROR forged'))).toBe(false);
    expect(r.stderr).toContain('part-0002\\u000aERROR forged line.json: key <key #');
    // the rejects table keeps the real path next to the raw line
    expect(await query(dir, "select count(*) as n from landing.customer where email = 'y@mini.example'")).toEqual([{ n: '1' }]);
  });

  it('a missing landing folder fails the source, names the folder and republishes nothing; an existing empty folder builds', async () => {
    const dir = copyFixture('mini');
    const first = await stedi(dir, ['build']);
    expect(first.code, explain(first)).toBe(0);
    const before = await query(dir, 'select * from landing.customer order by all');
    expect(before.length).toBeGreaterThan(0);
    fs.renameSync(path.join(dir, LANDING), path.join(dir, 'seeds/landing/customer/moved'));
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr + r.stdout).toContain("the landing folder seeds/landing/customer/landing does not exist (check the source's location and the vars it is built from, e.g. landing_root); the published version is unchanged");
    expect(await query(dir, 'select * from landing.customer order by all')).toEqual(before);
    expect(runResults(dir).results.find((x) => x.unique_id === 'source.mini.landing.customer')!.status).toBe('error');
    expect(runResults(dir).results.find((x) => x.unique_id === 'model.mini.customer_trusted')!.status).toBe('skipped');
    // an existing empty folder is not this error: it is read as no file, and the volume guard
    // (tests/adversarial/collapse.test.ts) decides; published on purpose with --allow-shrink
    // (files that disappeared keep their rows unless on_removed_file is drop: a full refresh reads the empty folder)
    fs.mkdirSync(path.join(dir, LANDING));
    const empty = await stedi(dir, ['build', '--full-refresh', '--allow-shrink']);
    expect(empty.code, explain(empty)).toBe(0);
    expect(empty.stderr + empty.stdout).not.toContain('does not exist');
    expect(await query(dir, 'select count(*) as n from landing.customer')).toEqual([{ n: '0' }]);
  });

  it('a landing file that grows while the build reads it fails the source naming the file; nothing is published', async () => {
    const dir = copyFixture('mini');
    const first = await stedi(dir, ['build']);
    expect(first.code, explain(first)).toBe(0);
    const before = await query(dir, 'select * from landing.customer order by all');
    const record = await query(dir, 'select file, sha256, lines from _stedi.landing_files order by file');
    const big = path.join(dir, LANDING, 'part-0009-growing.json');
    const line = (i: number) => `{"email":"g${i}@mini.example","name":"G","n":${i},"country":"DE"}\n`;
    fs.writeFileSync(big, Array.from({ length: 300_000 }, (_, i) => line(i)).join(''));
    let i = 0;
    const p = start(dir, ['build']);
    const timer = setInterval(() => fs.appendFileSync(big, line(++i)), 2);
    const r = await p.exited.finally(() => clearInterval(timer));
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr + r.stdout).toContain(`cannot read ${LANDING}/part-0009-growing.json: it changed while it was read (its size, modification time or inode differ from the listing); run the build again; the published version is unchanged`);
    expect(await query(dir, 'select * from landing.customer order by all')).toEqual(before);
    expect(await query(dir, 'select file, sha256, lines from _stedi.landing_files order by file')).toEqual(record);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the Athena adapter (real SDK clients, faked transports)
// ---------------------------------------------------------------------------------------------

describe('through the Athena adapter', () => {
  let sim: HookedSimulator;
  let aws: FakeAws;
  fakeAwsEachTest((s, a) => {
    sim = s;
    aws = a;
  });
  const ROOT = 's3://lake-bucket/landing';
  const SOURCES = `version: 2\nsources:\n  - name: landing\n    tables:\n      - name: customer\n        location: "{{ var('landing_root') }}/customer/landing"\n        columns:\n          - { name: email, data_type: varchar }\n          - { name: n, data_type: bigint }\n${READING_SOURCE}`;
  const project = () => compileProject({ 'models/sources.yml': SOURCES });
  const landingOf = (results: { unique_id: string; adapter_response?: unknown }[], id: string) => (results.find((x) => x.unique_id === id)!.adapter_response as { landing: LandingReport }).landing;

  it('the same guarantees as on DuckDB: exact values, line_too_long, unrepresentable numbers, masked unknown keys, safe file names', async () => {
    const { manifest, target } = project();
    sim.putObject(`${ROOT}/reading/landing/r.json`, `${READINGS.map(([l]) => l).join('\n')}\n`);
    const long = JSON.stringify({ email: 'x'.repeat(DEFAULT_MAX_LINE_BYTES), n: 1 });
    sim.putObject(`${ROOT}/customer/landing/a.json`, `{"email":"a@example.com","n":1}\n${long}\n{"email":"b@example.com","n":2,"${EMAIL_KEY}":1}\n`);
    sim.putObject(`${ROOT}/customer/landing/${FORGED}`, `{"email":"c@example.com","n":3,"${EMAIL_KEY}":1}\n`);
    const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id.startsWith('source.'));
    expect(results.map((x) => `${x.unique_id} ${x.status}`).sort()).toEqual(['source.mini.landing.customer warn', 'source.mini.landing.reading warn']);

    // exact values (bigints as written: compare the JSON text Athena reads)
    const reading = sim.jsonRows('reading');
    expect(reading.map((l) => /"id":(\d+)/.exec(l)![1])).toEqual(['10', '11', '9223372036854775807', '9007199254740993']);
    expect(sim.jsonRows('reading__rejects').map((l) => JSON.parse(l) as RejectRow).map((x) => [x.line, x.reason])).toEqual(READINGS.flatMap(([, o], i) => (typeof o === 'string' ? [[i + 1, o]] : [])));
    // the long line
    const rejects = sim.jsonRows('customer__rejects').map((l) => JSON.parse(l) as RejectRow);
    expect(rejects.map((x) => [x.file, x.line, x.reason, Buffer.byteLength(x.raw)])).toEqual([[`${ROOT}/customer/landing/a.json`, 2, 'line_too_long', RAW_PREFIX_BYTES]]);
    const report = landingOf(results, 'source.mini.landing.customer');
    expect(report.totals).toMatchObject({ lines_read: 4, accepted: 3, rejected: 1 });
    expect(balanceProblem(report)).toBeUndefined();
    // unknown keys masked, names safe, in the report and every message
    expect(report.files.map((f) => f.unknown_keys)).toEqual([[expect.stringMatching(/^<key #[0-9a-f]{4}>$/)], [expect.stringMatching(/^<key #[0-9a-f]{4}>$/)]]);
    expect(JSON.stringify(results)).not.toContain(EMAIL_KEY);
    for (const x of results) expect((x.message ?? '').split('\n').some((l) => l.trimStart().startsWith('ERROR forged'))).toBe(false);
    expect(JSON.stringify(reportForArtifacts(report))).not.toMatch(/forged[^"]*\\n|\\nERROR/);
    expect(aws.calls.filter((c) => c.operation === 'PutObject').map((c) => Buffer.from(c.input.Body as Uint8Array).toString('latin1')).join('')).not.toContain(EMAIL_KEY);
  });

  it('an S3 prefix without any object fails the source naming it; a prefix holding only its folder marker is an empty folder, not an error', async () => {
    const { manifest, target } = project();
    sim.putObject(`${ROOT}/reading/landing/`, '');
    const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id.startsWith('source.'));
    const customer = results.find((x) => x.unique_id === 'source.mini.landing.customer')!;
    expect(customer.status).toBe('error');
    expect(customer.message).toContain(`the landing prefix ${ROOT}/customer/landing/ holds no object (check the source's location and the vars it is built from, e.g. landing_root); the published version is unchanged`);
    expect(sim.tables.has('customer')).toBe(false);
    const reading = results.find((x) => x.unique_id === 'source.mini.landing.reading')!;
    expect(reading.status).not.toBe('error');
    expect(landingOf(results, 'source.mini.landing.reading').totals).toMatchObject({ files: 0, lines_read: 0 });
  });
});
