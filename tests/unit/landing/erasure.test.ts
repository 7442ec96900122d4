/**
 * The erasure list (runner/landing/erasure.ts, erasure-log.ts) and what `stedi forget` removes
 * from a landing file (forget.ts): the matcher finds a person in any spelling and nothing else,
 * the ingestion counts their lines as `erased` (never hands them to the sink) on one thread and on
 * many alike, and a rewritten file keeps every other byte.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { landingColumns } from '../../../runner/landing/classify.js';
import { pseudonymKey, readColumns } from '../../../runner/landing/derive.js';
import { appendErasureLog, erasureList, readErasureLog, type LogEntry } from '../../../runner/landing/erasure-log.js';
import { deviceHash, erasureKeyProblem, ErasureMatcher, identityRoles, matcherSetup, personHash, type ErasureList } from '../../../runner/landing/erasure.js';
import { addClaims, scanFile, soleDevices, withoutLines, type Claims } from '../../../runner/landing/forget.js';
import { ingestLanding, type LandingSink } from '../../../runner/landing/ingest.js';
import type { LandingValue, RejectRow } from '../../../runner/landing/types.js';

const KEY = pseudonymKey(Buffer.from('erasure-test-key-0123456789'));
const OTHER_KEY = pseudonymKey(Buffer.from('another-key-0123456789abcdef'));

const customer = landingColumns([
  { name: 'customerName', data_type: 'varchar' },
  { name: 'email', data_type: 'varchar', meta: { identity: 'person' } },
  { name: 'serialNumber', data_type: 'varchar', meta: { identity: 'device' } },
  { name: 'subject_key', data_type: 'varchar', derived: { pseudonym_of: 'email' } },
]).columns;
const readings = landingColumns([
  { name: 'serialNumber', data_type: 'varchar', meta: { identity: 'device' } },
  { name: 'distance', data_type: 'bigint' },
]).columns;
const phone = landingColumns([
  { name: 'user', data_type: 'varchar', meta: { identity: 'person' } },
  { name: 'timestamp', data_type: 'bigint' },
]).columns;

function list(persons: string[], serials: string[] = [], key = KEY): ErasureList {
  return { key_fingerprint: key.fingerprint, persons: persons.map((p) => personHash(key.key, p)!), devices: serials.map((s) => deviceHash(key.key, s)) };
}

function matcher(l: ErasureList, columns = phone, key = KEY): ErasureMatcher {
  return new ErasureMatcher(matcherSetup(l, key.key, readColumns(columns))!);
}

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-erasure-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('the erasure matcher', () => {
  const m = matcher(list(['Ann.Lee@example.com'], ['s-ann']), readings);

  it('finds a person in every spelling of the canonical identity, and no one else', () => {
    for (const spelling of ['ann.lee@example.com', 'ANN.LEE@EXAMPLE.COM', '  Ann.Lee@example.com\t', '\u00a0ann.lee@example.com\u2003']) expect(m.erasedValue(spelling)).toBe(true);
    for (const other of ['ann.lee@example.co', 'ann.lee2@example.com', 'bob@example.com', '', 's-ann2', 'S-ANN']) expect(m.erasedValue(other)).toBe(false);
  });

  it('matches a device serial exactly as written (the models match serials exactly)', () => {
    expect(m.erasedValue('s-ann')).toBe(true);
    expect(m.erasedValue('s-ann ')).toBe(false);
  });

  it('decides an accepted record by its identity columns only', () => {
    // readings: the device column decides
    expect(m.record(['s-ann', 5n])).toBe(true);
    expect(m.record(['s-bob', 5n])).toBe(false);
    // customer records: the person column decides; the device is their claim, not the record's owner
    const c = matcher(list(['Ann.Lee@example.com'], ['s-ann']), customer);
    expect(c.record(['Bob', 'bob@example.com', 's-ann'])).toBe(false);
    expect(c.record(['Ann', 'ANN.lee@example.com', 's-x'])).toBe(true);
    // a value of another column is not an identity
    expect(c.record(['ann.lee@example.com', 'bob@example.com', 's-x'])).toBe(false);
  });

  it('finds any trace of them in a rejected line: quoted, bare, in broken JSON, after a BOM', () => {
    for (const raw of ['{"user":"ann.lee@example.com","timestamp":', 'user=ANN.LEE@example.com;ts=1', '\ufeff["x", "  ann.lee@example.com "]', '{"serialNumber":"s-ann","distance":"far"}', '{"note":"see Ann.Lee@example.com", "x": 1']) {
      expect(m.raw(raw)).toBe(true);
    }
    for (const raw of ['{"user":"bob@example.com","timestamp":"x"}', 'annlee@example.com', '{"serialNumber":"s-ann-2"}']) expect(m.raw(raw)).toBe(false);
  });

  it('has no matcher without a list, a key or an identity column', () => {
    expect(matcherSetup(undefined, KEY.key, readColumns(phone))).toBeUndefined();
    expect(matcherSetup({ key_fingerprint: KEY.fingerprint, persons: [], devices: [] }, KEY.key, readColumns(phone))).toBeUndefined();
    expect(matcherSetup(list(['a@b.c']), undefined, readColumns(phone))).toBeUndefined();
    expect(matcherSetup(list(['a@b.c']), KEY.key, readColumns(landingColumns([{ name: 'x', data_type: 'varchar' }]).columns))).toBeUndefined();
    expect(identityRoles(readColumns(customer))).toEqual([{ index: 1, role: 'person' }]);
    expect(identityRoles(readColumns(readings))).toEqual([{ index: 0, role: 'device' }]);
  });

  it('refuses a list it cannot apply: no key, or another key', () => {
    const l = list(['a@b.c']);
    expect(erasureKeyProblem(undefined, undefined)).toBeUndefined();
    expect(erasureKeyProblem(l, KEY.fingerprint)).toBeUndefined();
    expect(erasureKeyProblem(l, undefined)).toMatch(/no pseudonymisation key/);
    expect(erasureKeyProblem(l, OTHER_KEY.fingerprint)).toMatch(/another pseudonymisation key/);
  });

  it('checks meta.identity: person or device, on a text column that is read', () => {
    expect(landingColumns([{ name: 'e', data_type: 'varchar', meta: { identity: 'email' } }]).problems.join()).toMatch(/meta.identity must be person or device/);
    expect(landingColumns([{ name: 'e', data_type: 'bigint', meta: { identity: 'person' } }]).problems.join()).toMatch(/needs data_type: varchar/);
  });
});

describe('the erasure log', () => {
  const entry = (over: Partial<LogEntry> = {}): LogEntry => ({ kind: 'request', id: 'r1', at: '2026-01-01T00:00:00Z', key_fingerprint: KEY.fingerprint, persons: [personHash(KEY.key, 'a@b.c')!], devices: [], ...over });

  it('appends entries and reads back the union of their hashes', () => {
    const file = path.join(tempDir(), 'lake', '_stedi_erasures.jsonl');
    expect(readErasureLog(file)).toEqual([]);
    appendErasureLog(file, entry());
    appendErasureLog(file, entry({ kind: 'receipt', persons: [personHash(KEY.key, 'x@y.z')!], devices: [deviceHash(KEY.key, 's1')] }));
    const l = erasureList(readErasureLog(file), file)!;
    expect(l.persons).toHaveLength(2);
    expect(l.devices).toEqual([deviceHash(KEY.key, 's1')]);
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/a@b\.c|x@y\.z|s1"/);
  });

  it('names the file and line of an entry it cannot read, and refuses entries of several keys', () => {
    const file = path.join(tempDir(), 'log.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(entry())}\n{broken\n`);
    expect(() => readErasureLog(file)).toThrow(`${file} line 2: not a JSON object`);
    fs.writeFileSync(file, `${JSON.stringify(entry())}\n\n${JSON.stringify(entry({ persons: ['not-a-hash'] }))}\n`);
    expect(() => readErasureLog(file)).toThrow(`${file} line 3: field persons`);
    fs.writeFileSync(file, `${JSON.stringify(entry())}\n${JSON.stringify(entry({ key_fingerprint: OTHER_KEY.fingerprint }))}\n`);
    expect(() => erasureList(readErasureLog(file), file)).toThrow(/2 different pseudonymisation keys/);
  });
});

describe('what stedi forget removes from a landing file', () => {
  const m = matcher(list(['Ann.Lee@example.com']), phone);

  it('removes their lines (records and quarantined lines) and keeps every other byte', () => {
    const lines = [
      '\ufeff{"user":"bob@example.com","timestamp":1}\r\n',
      '{"user":"ANN.LEE@example.com","timestamp":2}\r\n',
      '   \n',
      '{"user":"ann.lee@example.com","timestamp":"late"}\n', // type_mismatch: a reject of hers
      '{"user":"carol@example.com","timestamp":3},\n',
      '\xff{"user":"ann.lee@example.com"}\n', // invalid UTF-8
      '{"user":" Ann.Lee@Example.com ","timestamp":4}', // last line, no line feed
    ];
    const buf = Buffer.concat(lines.map((l, i) => (i === 5 ? Buffer.concat([Buffer.from([0xff]), Buffer.from(l.slice(1))]) : Buffer.from(l, 'utf8'))));
    const scan = scanFile(buf, phone, m, 1 << 20);
    expect(scan.lines).toBe(7);
    expect(scan.remove.map((r) => [r.line, r.kind])).toEqual([[2, 'accepted'], [4, 'rejected'], [6, 'rejected'], [7, 'accepted']]);
    const out = withoutLines(buf, scan.remove).toString('utf8');
    expect(out).toBe(`${lines[0]}${lines[2]}${lines[4]}`);
    expect([...scan.values]).toEqual(expect.arrayContaining(['ANN.LEE@example.com', ' Ann.Lee@Example.com ']));
  });

  it('searches the whole of a line longer than max_line_bytes', () => {
    const long = `{"pad":"${'x'.repeat(300)}","user":"ann.lee@example.com","timestamp":1}\n`;
    const scan = scanFile(Buffer.from(`{"user":"bob@example.com","timestamp":1}\n${long}`), phone, m, 100);
    expect(scan.remove.map((r) => r.line)).toEqual([2]);
  });

  it('erases a device only when erased people alone claim it', () => {
    const persons = new Set([personHash(KEY.key, 'ann@example.com')!]);
    const claims: Claims = new Map();
    const file = [
      { customerName: 'Ann', email: 'Ann@example.com', serialNumber: 's-ann' },
      { customerName: 'Ann', email: 'ann@example.com ', serialNumber: 's-shared' },
      { customerName: 'Bob', email: 'bob@example.com', serialNumber: 's-shared' },
      { customerName: 'Ann', email: 'ann@example.com', serialNumber: 's-anon' },
      { customerName: '?', email: '', serialNumber: 's-anon' }, // a record without an identity claims it for someone unknown
      { customerName: 'Bob', email: 'bob@example.com', serialNumber: 's-bob' },
    ].map((r) => JSON.stringify(r)).join('\n');
    addClaims(claims, Buffer.from(file), customer, KEY.key, persons, 1 << 20);
    const sole = soleDevices(claims, KEY.key);
    expect(sole.serials).toEqual(['s-ann']);
    expect(sole.hashes).toEqual([deviceHash(KEY.key, 's-ann')]);
  });
});

describe('ingestion with an erasure list', () => {
  async function ingest(dir: string, erasure: ErasureList | undefined, threads: number) {
    const calls: string[] = [];
    const sink: LandingSink = {
      accept: (v: LandingValue[]) => void calls.push(`A ${v.map(String).join('|')}`),
      reject: (r: RejectRow) => void calls.push(`R ${r.line} ${r.reason} ${r.raw}`),
    };
    const report = await ingestLanding({ source: 'landing.phone', relation: 'landing.phone', rejects_relation: 'landing.phone__rejects', location: dir, columns: phone, on_malformed: 'quarantine', derive: KEY, ...(erasure ? { erasure } : {}) }, sink, { threads, rangeBytes: 64, chunkBytes: 61 });
    return { calls, report };
  }

  it('counts their lines as erased, hands none of them on, and balances; one thread and several alike', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      const who = i % 7 === 0 ? `  Ann.Lee@EXAMPLE.com` : i % 5 === 0 ? 'bob@example.com' : `p${i % 13}@example.com`;
      lines.push(i % 11 === 0 ? `{"user":"${who}","timestamp":"bad${i}"}` : `{"user":"${who}","timestamp":${i}}`);
    }
    fs.writeFileSync(path.join(dir, 'a.json'), `${lines.slice(0, 120).join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'b.json'), lines.slice(120).join('\n'));
    const l = list(['ann.lee@example.com']);
    const one = await ingest(dir, l, 1);
    const many = await ingest(dir, l, 3);
    expect(many.calls).toEqual(one.calls);
    expect(many.report.files).toEqual(one.report.files);
    const hers = lines.filter((x) => x.includes('Ann.Lee')).length;
    expect(one.report.totals.erased).toBe(hers);
    expect(one.calls.join('\n')).not.toMatch(/ann\.lee/i);
    const t = one.report.totals;
    expect(t.accepted + t.rejected + t.blank + t.duplicate_delivery + (t.erased ?? 0)).toBe(t.lines_read);
    // without the list, every line is there
    const none = await ingest(dir, undefined, 1);
    expect(none.report.totals.erased).toBeUndefined();
    expect(none.report.totals.accepted + none.report.totals.rejected).toBe(200);
    expect(one.report.warnings.join('\n')).toMatch(/a\.json: \d+ lines of erased people left out/);
  });

  it('stops before reading anything when the list cannot be applied', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.json'), '{"user":"a@b.c","timestamp":1}\n');
    const sink: LandingSink = { accept: () => undefined, reject: () => undefined };
    const spec = { source: 'landing.phone', relation: 'r', rejects_relation: 'rr', location: dir, columns: phone, on_malformed: 'quarantine' as const, erasure: list(['a@b.c']) };
    await expect(ingestLanding(spec, sink)).rejects.toThrow(/no pseudonymisation key/);
    await expect(ingestLanding({ ...spec, derive: OTHER_KEY }, sink)).rejects.toThrow(/another pseudonymisation key/);
  });
});
