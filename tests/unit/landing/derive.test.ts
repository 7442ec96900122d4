/**
 * Derived landing columns (runner/landing/derive.ts): the pseudonym is the lower-case hex
 * HMAC-SHA256 of the canonical email under the key, NULL for a missing email, computed once per
 * accepted record and never read from the record (a record key named like it is an unknown key).
 * A source with a derived column and no key fails before any file is read; the fingerprint names
 * the key without revealing it. Uses a temp folder and an in-memory sink (no engine).
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { landingColumns } from '../../../runner/landing/classify.js';
import { derivationProblems, keyFingerprint, pseudonym, pseudonymKey, readColumns, withDerived } from '../../../runner/landing/derive.js';
import { ingestLanding, sourceSpec, type LandingSink } from '../../../runner/landing/ingest.js';
import type { LandingValue, RejectRow } from '../../../runner/landing/types.js';
import type { SourceNode } from '../../../runner/manifest/types.js';

const KEY = Buffer.from('derive-test-key-0123456789abcdef');
const hmac = (text: string) => createHmac('sha256', KEY).update(text, 'utf8').digest('hex');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-derive-'));
  dirs.push(dir);
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
  return dir;
}

// the derived column sits between read columns: the sink receives rows in declared order
const { columns } = landingColumns([
  { name: 'email', data_type: 'varchar' },
  { name: 'subject_key', data_type: 'varchar', derived: { pseudonym_of: 'email' } },
  { name: 'n', data_type: 'bigint' },
]);

async function ingest(dir: string, derive = pseudonymKey(KEY)) {
  const accepted: LandingValue[][] = [];
  const rejected: RejectRow[] = [];
  const sink: LandingSink = { accept: (v) => accepted.push([...v]), reject: (r) => rejected.push(r) };
  const report = await ingestLanding({ source: 'landing.customer', relation: 'landing.customer', rejects_relation: 'landing.customer__rejects', location: dir, columns, on_malformed: 'quarantine', ...(derive ? { derive } : {}) }, sink);
  return { report, accepted, rejected };
}

describe('the pseudonym', () => {
  it('is the lower-case hex HMAC-SHA256 of the canonical email; every spelling gives one key; a missing email none', () => {
    expect(pseudonym(KEY, 'ann.lee@example.com')).toBe(hmac('ann.lee@example.com'));
    expect(pseudonym(KEY, 'ann.lee@example.com')).toMatch(/^[0-9a-f]{64}$/);
    for (const spelling of [' Ann.Lee@Example.COM\u00a0', '\tANN.LEE@EXAMPLE.COM\ufeff', '\u3000ann.lee@example.com']) expect(pseudonym(KEY, spelling)).toBe(hmac('ann.lee@example.com'));
    expect(pseudonym(KEY, 'Zo\u00e9@x')).toBe(pseudonym(KEY, 'ZOE\u0301@X'));
    expect(pseudonym(KEY, 'zo\u00e9@x')).toBe(hmac('zo\u00e9@x')); // the UTF-8 bytes of the NFC form
    for (const missing of [null, '', '   ', '\u200b\u2060', undefined]) expect(pseudonym(KEY, missing)).toBeNull();
    expect(pseudonym(Buffer.from('another-key-0123456789abcdef'), 'ann.lee@example.com')).not.toBe(hmac('ann.lee@example.com'));
  });

  it('the fingerprint: 16 hex digits of HMAC(key, "stedi key fingerprint"), other for another key, never the key itself', () => {
    expect(keyFingerprint(KEY)).toBe(createHmac('sha256', KEY).update('stedi key fingerprint').digest('hex').slice(0, 16));
    expect(keyFingerprint(KEY)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyFingerprint(Buffer.from('derive-test-key-0123456789abcdeF'))).not.toBe(keyFingerprint(KEY));
    expect(pseudonymKey(KEY)).toEqual({ key: KEY, fingerprint: keyFingerprint(KEY) });
  });
});

describe('ingestion with a derived column', () => {
  it('computes it per accepted record, in declared column order, and records the key fingerprint in the report', async () => {
    const dir = folder({ 'a.json': ['{"email":" Ann.Lee@Example.com ","n":1}', '{"n":2}', '{"email":"","n":3}', '{"email":"bo@x","n":"x"}'].join('\n') });
    const { report, accepted, rejected } = await ingest(dir);
    expect(accepted).toEqual([[' Ann.Lee@Example.com ', hmac('ann.lee@example.com'), 1n], [null, null, 2n], ['', null, 3n]]);
    expect(rejected.map((r) => r.reason)).toEqual(['type_mismatch']);
    expect(report.key_fingerprint).toBe(keyFingerprint(KEY));
    expect(JSON.stringify(report)).not.toContain(KEY.toString());
  });

  it('never reads it from the record: a record key named like it (any case) is an unknown key, ignored and reported', async () => {
    const forged = 'f'.repeat(64);
    const dir = folder({ 'a.json': [`{"email":"ann@x","subject_key":"${forged}","n":1}`, `{"email":"bo@x","Subject_Key":"${forged}","n":2}`, `{"subject_key":"${forged}"}`].join('\n') });
    const { report, accepted, rejected } = await ingest(dir);
    expect(accepted).toEqual([['ann@x', hmac('ann@x'), 1n], ['bo@x', hmac('bo@x'), 2n]]);
    // a record holding nothing but the derived key holds no declared field
    expect(rejected.map((r) => [r.line, r.reason])).toEqual([[3, 'no_declared_field']]);
    expect(report.files[0]!.unknown_keys).toEqual(['Subject_Key', 'subject_key']);
    expect(report.warnings.join('\n')).toMatch(/"Subject_Key", "subject_key" not in the schema of landing.customer/);
  });

  it('fails closed without a key, before any file is read, naming the source and the columns', async () => {
    const dir = folder({ 'a.json': '{"email":"ann@x","n":1}\n' });
    const accepted: LandingValue[][] = [];
    await expect(ingestLanding({ source: 'landing.customer', relation: 'r', rejects_relation: 'rr', location: dir, columns, on_malformed: 'quarantine' }, { accept: (v) => accepted.push(v), reject: () => undefined })).rejects.toThrow(
      'cannot ingest landing.customer: it has derived columns (subject_key) and no pseudonymisation key was given; nothing was ingested',
    );
    expect(accepted).toEqual([]);
  });

  it('a source without derived columns keeps its sink as it is and needs no key', () => {
    const plain = landingColumns([{ name: 'email', data_type: 'varchar' }]).columns;
    const sink: LandingSink = { accept: () => undefined, reject: () => undefined };
    expect(withDerived(sink, { source: 's', columns: plain })).toBe(sink);
    expect(readColumns(columns).map((c) => c.name)).toEqual(['email', 'n']);
  });

  it('refuses a derivation it cannot compute: an unknown, derived or non-text base, a non-text pseudonym', () => {
    const cols = (base: string, type = 'varchar') => landingColumns([{ name: 'email', data_type: 'varchar' }, { name: 'n', data_type: 'bigint' }, { name: 'k', data_type: type, derived: { pseudonym_of: base } }, { name: 'k2', data_type: 'varchar', derived: { pseudonym_of: 'k' } }]).columns;
    expect(derivationProblems(cols('mail'))).toEqual(["column k: pseudonym_of 'mail' names no column of the source that is read from the records", "column k2: pseudonym_of 'k' names no column of the source that is read from the records"]);
    expect(derivationProblems(cols('n'))[0]).toBe("column k: pseudonym_of 'n' must be a varchar column");
    expect(derivationProblems(cols('email', 'bigint'))[0]).toBe('column k: a pseudonym is text; declare it data_type: varchar');
    expect(() => withDerived({ accept: () => undefined, reject: () => undefined }, { source: 's', columns: cols('mail'), derive: pseudonymKey(KEY) })).toThrow(/cannot ingest s: column k: pseudonym_of 'mail'/);
  });

  it('sourceSpec hands the key to the spec; the source node declares the derived column', () => {
    const node = { source_name: 'landing', name: 'customer', location: '/x', config: { enabled: true } } as unknown as SourceNode;
    expect(sourceSpec(node, columns, { accepted: 'a', rejects: 'r' }, '/x', pseudonymKey(KEY)).derive?.fingerprint).toBe(keyFingerprint(KEY));
    expect(sourceSpec(node, columns, { accepted: 'a', rejects: 'r' }).derive).toBeUndefined();
  });
});
