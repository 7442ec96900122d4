/**
 * Reading a landing folder: exact line numbers whatever the line endings and chunk boundaries,
 * duplicate deliveries, empty and stray files, and the accounting of every line. Uses a temp
 * folder and an in-memory sink (no engine).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { landingColumns } from '../../../runner/landing/classify.js';
import { ingestLanding, type LandingSink } from '../../../runner/landing/ingest.js';
import { LandingReadError, localStore, type LandingStore } from '../../../runner/landing/store.js';
import { balanceLine, balanceProblem, malformedError, needsAttention, sourceMessage } from '../../../runner/landing/report.js';
import type { LandingValue, RejectRow } from '../../../runner/landing/types.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function folder(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-landing-'));
  dirs.push(dir);
  for (const [name, body] of Object.entries(files)) {
    if (name.endsWith('/')) fs.mkdirSync(path.join(dir, name));
    else fs.writeFileSync(path.join(dir, name), body);
  }
  return dir;
}

const { columns } = landingColumns([
  { name: 'user', data_type: 'varchar' },
  { name: 'timestamp', data_type: 'bigint' },
]);

async function ingest(dir: string, opts: { chunkBytes?: number; on_malformed?: 'quarantine' | 'fail' } = {}) {
  const accepted: LandingValue[][] = [];
  const rejected: RejectRow[] = [];
  const sink: LandingSink = { accept: (v) => accepted.push([...v]), reject: (r) => rejected.push(r) };
  const report = await ingestLanding(
    { source: 'landing.t', relation: 'landing.t', rejects_relation: 'landing.t__rejects', location: dir, columns, on_malformed: opts.on_malformed ?? 'quarantine' },
    sink,
    opts.chunkBytes ? { chunkBytes: opts.chunkBytes } : {},
  );
  return { report, accepted, rejected };
}

const rec = (user: string, ts: number) => JSON.stringify({ user, timestamp: ts });

describe('line numbers are exact', () => {
  const body = ['\ufeff' + rec('a', 1), '', '  ', rec('b', 2) + ',', 'oops', '\t', rec('c', 3)];
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('%s, with a BOM, blank lines and a final line without line feed, across tiny chunks', async (_name, eol) => {
    const text = body.join(eol); // no final line feed
    for (const chunkBytes of [3, 7, 64, 1 << 20]) {
      const { report, accepted, rejected } = await ingest(folder({ 'a.json': text }), { chunkBytes });
      expect(accepted).toEqual([['a', 1n], ['b', 2n], ['c', 3n]]);
      expect(rejected.map((r) => [r.line, r.reason, r.raw])).toEqual([[5, 'invalid_json', eol === '\r\n' ? 'oops\r' : 'oops']]);
      const f = report.files[0]!;
      expect(f).toMatchObject({ lines: 7, accepted: 3, rejected: 1, blank: 3, no_final_newline: true, status: 'ingested' });
      expect(f.tolerated).toEqual({ bom: 1, crlf: eol === '\r\n' ? 6 : 0, trailing_comma: 1, case_folded_keys: 0, coerced_values: 0 });
    }
  });

  it('a final line feed ends the last line; it does not start an empty one', async () => {
    const { report } = await ingest(folder({ 'a.json': `${rec('a', 1)}\n${rec('b', 2)}\n` }));
    expect(report.files[0]).toMatchObject({ lines: 2, accepted: 2, blank: 0, no_final_newline: false });
  });

  it('multi-byte characters split across chunks stay intact; invalid UTF-8 is a reject of its own line', async () => {
    const good = rec('Zoë Ångström 🚀', 1);
    const bad = Buffer.concat([Buffer.from('{"user":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","timestamp":2}')]);
    const file = Buffer.concat([Buffer.from(`${good}\n`), bad, Buffer.from(`\n${good}\n`)]);
    for (const chunkBytes of [5, 11, 1 << 20]) {
      const { accepted, rejected } = await ingest(folder({ 'a.json': file }), { chunkBytes });
      expect(accepted).toEqual([['Zoë Ångström 🚀', 1n], ['Zoë Ångström 🚀', 1n]]);
      expect(rejected.map((r) => [r.line, r.reason])).toEqual([[2, 'invalid_utf8']]);
    }
  });

  it('a record cut off at the end of the file is truncated_record, at its line', async () => {
    const { rejected, report } = await ingest(folder({ 'a.json': `${rec('a', 1)}\n{"user":"b","time` }));
    expect(rejected.map((r) => [r.line, r.reason])).toEqual([[2, 'truncated_record']]);
    expect(report.files[0]!.first_rejects).toEqual([{ line: 2, reason: 'truncated_record', detail: expect.stringMatching(/^the file ends in the middle of a record/) }]);
  });
});

describe('files of the landing folder', () => {
  it('reads *.json in name order; skips and names everything else; counts empty files', async () => {
    const dir = folder({ 'b.json': `${rec('b', 2)}\n`, 'a.JSON': `${rec('a', 1)}\n`, 'notes.txt': 'hello\n', '.DS_Store': 'x', 'old/': '', 'c.json': '', 'd.json': '\n  \n' });
    const { report, accepted } = await ingest(dir);
    expect(report.files.map((f) => [path.basename(f.file), f.status])).toEqual([['a.JSON', 'ingested'], ['b.json', 'ingested'], ['c.json', 'empty'], ['d.json', 'empty']]);
    expect(accepted).toEqual([['a', 1n], ['b', 2n]]);
    expect(report.skipped).toEqual(['.DS_Store', 'notes.txt', 'old/']);
    expect(report.totals).toMatchObject({ files: 4, lines_read: 4, accepted: 2, blank: 2, empty_files: 2, skipped_files: 3 });
    expect(report.warnings).toEqual([
      'c.json: no record (an empty file)',
      'd.json: no record (only 2 blank lines)',
      `${dir}: 3 entries not read (not a *.json landing file): .DS_Store, notes.txt, old/`,
    ]);
  });

  it('the same bytes under another name are a duplicate delivery: counted, never ingested twice', async () => {
    const body = `${rec('a', 1)}\n\n${rec('b', 2)}\n`;
    const { report, accepted } = await ingest(folder({ 'x-1.json': body, 'x-2.json': body, 'x-3.json': `${rec('a', 1)}\n\n${rec('b', 3)}\n`, 'e1.json': '\n', 'e2.json': '\n' }));
    expect(accepted).toHaveLength(4);
    const byName = Object.fromEntries(report.files.map((f) => [path.basename(f.file), f]));
    expect(byName['x-2.json']).toMatchObject({ status: 'duplicate', duplicate_of: byName['x-1.json']!.file, lines: 3, duplicate_delivery: 3, accepted: 0 });
    expect(byName['x-3.json']!.status).toBe('ingested'); // same size, other bytes
    // two blank files are two empty files, not a duplicate
    expect([byName['e1.json']!.status, byName['e2.json']!.status]).toEqual(['empty', 'empty']);
    expect(report.totals).toMatchObject({ lines_read: 11, accepted: 4, blank: 4, duplicate_delivery: 3, duplicate_files: 1 });
    expect(balanceProblem(report)).toBeUndefined();
    expect(report.warnings).toContain('x-2.json: same content as x-1.json: its 3 lines are not ingested twice (duplicate_delivery)');
  });

  it('reads each file once, plus one hashing read only for a file as large as another', async () => {
    const body = `${rec('a', 1)}\n`;
    const dir = folder({ 'a.json': body, 'b.json': `${rec('b', 1)}\n`, 'c.json': body, 'd.json': `${rec('dd', 22)}\n` });
    const reads: string[] = [];
    const local = localStore();
    const counting: LandingStore = { list: (l, s) => local.list(l, s), read: (e, s) => (reads.push(path.basename(e.path)), local.read(e, s)) };
    const report = await ingestLanding({ source: 's', relation: 'r', rejects_relation: 'rr', location: dir, columns, on_malformed: 'quarantine' }, { accept: () => undefined, reject: () => undefined }, { store: counting });
    expect(report.files.map((f) => `${path.basename(f.file)} ${f.status}`)).toEqual(['a.json ingested', 'b.json ingested', 'c.json duplicate', 'd.json ingested']);
    // a, b and c have one size: hashed before anything is read (statuses are decided before the
    // reading, which may then run in parallel); c is a duplicate and not read again; d has its own size
    expect(reads).toEqual(['a.json', 'b.json', 'c.json', 'a.json', 'b.json', 'd.json']);
  });

  it('reports an unknown key once per file, however many lines carry it', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ user: 'a', timestamp: i, gyro: i, Extra: 1 }));
    const { report } = await ingest(folder({ 'a.json': lines.join('\n'), 'b.json': JSON.stringify({ user: 'b', gyro: 1 }) }));
    expect(report.warnings).toEqual([
      'a.json: keys "Extra", "gyro" not in the schema of landing.t (ignored; reported once per file)',
      'b.json: key "gyro" not in the schema of landing.t (ignored; reported once per file)',
    ]);
  });

  it('a missing folder is an error naming it (read as no file, every table would be republished empty); dangling links and folders named *.json are skipped', async () => {
    const missing = path.join(os.tmpdir(), 'stedi-no-such-landing-folder');
    await expect(ingest(missing)).rejects.toThrow(`the landing folder ${missing} does not exist (check the source's location and the vars it is built from, e.g. landing_root)`);
    await expect(ingest(missing)).rejects.toBeInstanceOf(LandingReadError);
    // an existing empty folder is read as no file
    expect((await ingest(folder({}))).report.totals.files).toBe(0);
    const dir = folder({ 'a.json': '{}' });
    fs.rmSync(path.join(dir, 'a.json'));
    fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'b.json'));
    fs.mkdirSync(path.join(dir, 'c.json'));
    const r = await ingest(dir);
    // a dangling link and a folder named *.json are not landing files
    expect(r.report.skipped).toEqual(['b.json', 'c.json/']);
  });

  it('LandingReadError names the path and says why', () => {
    const e = new LandingReadError('landing/a.json', Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' }));
    expect(e.message).toBe('cannot read landing/a.json: permission denied');
  });
});

describe('report', () => {
  it('balance, messages and the fail-mode error never hold a value of a record', async () => {
    const dir = folder({ 'a.json': `${rec('secret@example.com', 1)}\n{"user":"secret@example.com","timestamp":"x"}\n\n` });
    const { report } = await ingest(dir, { on_malformed: 'fail' });
    expect(balanceLine(report.totals)).toBe('3 lines read = 1 accepted + 1 rejected + 1 blank');
    expect(needsAttention(report)).toBe(true);
    expect(malformedError(report)).toBe(`${dir}/a.json line 2: type_mismatch: column timestamp expects bigint, got a string that is not an integer; on_malformed is 'fail', so nothing is published`);
    for (const text of [sourceMessage(report), malformedError(report)!]) expect(text).not.toContain('secret');
  });

  it('a sink that stored other counts than were classified does not reconcile', async () => {
    const { report } = await ingest(folder({ 'a.json': `${rec('a', 1)}\n` }));
    expect(balanceProblem(report, { accepted: 1, rejected: 0 })).toBeUndefined();
    expect(balanceProblem(report, { accepted: 2, rejected: 0 })).toBe('landing.t does not reconcile: 1 accepted but 2 stored in landing.t');
    const broken = { ...report, totals: { ...report.totals, blank: 5 } };
    expect(balanceProblem(broken)).toMatch(/1 lines read but 6 accounted for/);
  });
});
