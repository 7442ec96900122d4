/**
 * The STEDI project built on a real DuckDB from the hand-made messy corpus
 * (tests/fixtures/messy/README.md): every line is either a typed landing row or quarantined with
 * file, line, raw text and reason; tolerated defects are counted; the reconciliation adds up from
 * lines read to rows kept; nothing personal reaches the output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, query, runResults, stedi, type Finished, type Row } from '../helpers/stedi.js';
import type { LandingReport } from '../../runner/landing/types.js';
import { counts, removeCopies, stediWithCorpus, VARS } from './messy-helpers.js';

afterAll(removeCopies);

const EXPECTED = { customer_trusted: 4, accelerometer_trusted: 5, customer_curated: 4, step_trainer_trusted: 3, machine_learning_curated: 3 };

const landingOf = (dir: string, source: string): LandingReport =>
  runResults(dir).results.find((r) => r.unique_id === `source.stedi.landing.${source}`)!.adapter_response!.landing as LandingReport;

interface Reject {
  file: string;
  line: number;
  reason: string;
  detail: string;
  raw: string;
}

const rejects = async (dir: string, table: string): Promise<Reject[]> =>
  (await query(dir, `select file, line, reason, detail, raw from landing.${table}__rejects order by file, line`)).map((r) => ({ file: path.basename(String(r.file)), line: Number(r.line), reason: String(r.reason), detail: String(r.detail), raw: String(r.raw) }));

describe('STEDI on the messy corpus', () => {
  let dir: string;
  let build: Finished;
  beforeAll(async () => {
    dir = stediWithCorpus();
    build = await stedi(dir, ['build', ...VARS]);
  });

  it('the build succeeds, with warnings, and the zone tables hold what the clean records give', async () => {
    expect(build.code, explain(build)).toBe(0);
    expect(build.stdout).toMatch(/WARN source landing\.customer /);
    expect(build.stdout).toMatch(/WARN source landing\.accelerometer /);
    expect(build.stdout).toMatch(/WARN source landing\.step_trainer /);
    expect(await counts(dir)).toEqual(EXPECTED);
  });

  it('every malformed line is quarantined with file, line, reason and raw text, in the landing zone', async () => {
    expect((await rejects(dir, 'customer')).map((r) => [r.file, r.line, r.reason, r.detail])).toEqual([
      ['customer-2-windows.json', 4, 'type_mismatch', 'column lastUpdateDate expects bigint, got a string that is not an integer'],
    ]);
    expect((await rejects(dir, 'accelerometer')).map((r) => [r.file, r.line, r.reason])).toEqual([
      ['accelerometer-1.json', 5, 'invalid_json'],
      ['accelerometer-1.json', 6, 'not_an_object'],
      ['accelerometer-2.json', 3, 'type_mismatch'],
      ['accelerometer-2.json', 4, 'truncated_record'],
    ]);
    const st = await rejects(dir, 'step_trainer');
    expect(st.map((r) => [r.file, r.line, r.reason, r.detail])).toEqual([
      ['step_trainer-1.json', 6, 'type_mismatch', 'column distanceFromObject expects bigint, got a fractional number'],
      ['step_trainer-1.json', 7, 'duplicate_key', 'keys "serialNumber" and "SerialNumber" both match column serialNumber'],
    ]);
    // the raw text is the line as delivered (CRLF line: with its CR), byte for byte
    const windows = fs.readFileSync(path.join(dir, 'landing/customer/landing/customer-2-windows.json'), 'utf8').split('\n');
    expect((await rejects(dir, 'customer'))[0]!.raw).toBe(windows[3]);
    const acc2 = fs.readFileSync(path.join(dir, 'landing/accelerometer/landing/accelerometer-2.json'), 'utf8').split('\n');
    expect((await rejects(dir, 'accelerometer'))[3]!.raw).toBe(acc2[3]);
  });

  it('a value that does not fit is a reject, never a silent null downstream', async () => {
    // the record with lastUpdateDate "yesterday" is not in landing.customer, and Fay is nowhere
    expect(await query(dir, "select count(*) as n from landing.customer where email = 'fay.ong@example.com'")).toEqual([{ n: '0' }]);
    expect(await query(dir, "select count(*) as n from landing.step_trainer where distanceFromObject is null")).toEqual([{ n: '0' }]);
    expect(await query(dir, "select count(*) as n from landing.accelerometer where x is null")).toEqual([{ n: '0' }]);
  });

  it('tolerated defects are repaired and counted: BOM, CRLF, blank line, trailing comma, key case, numbers as strings', async () => {
    const c = landingOf(dir, 'customer');
    expect(c.totals).toEqual({
      files: 4, lines_read: 13, accepted: 7, rejected: 1, blank: 1, duplicate_delivery: 4,
      tolerated: { bom: 1, crlf: 5, trailing_comma: 1, case_folded_keys: 1, coerced_values: 1 },
      empty_files: 1, duplicate_files: 1, skipped_files: 1,
    });
    const a = landingOf(dir, 'accelerometer');
    expect(a.totals).toMatchObject({ lines_read: 10, accepted: 6, rejected: 4, blank: 0, tolerated: { trailing_comma: 3, case_folded_keys: 2, coerced_values: 1 } });
    // "timeStamp" fed the timestamp column; "x": "0.5" became 0.5; "registrationDate": "900" became 900
    expect(await query(dir, "select \"timestamp\", x from landing.accelerometer where \"user\" = 'ann.lee@example.com' order by 1")).toEqual([{ timestamp: '2000', x: 1 }, { timestamp: '3000', x: 0.5 }]);
    expect(await query(dir, "select registrationDate from landing.customer where email = 'ed.wu@example.com'")).toEqual([{ registrationDate: '900' }]);
    // the EMAIL/serialnumber/LastUpdateDate record of Gus is a customer like any other
    expect(await query(dir, "select serialNumber, lastUpdateDate from landing.customer where email = 'gus.holm@example.com'")).toEqual([{ serialNumber: 'm3ssy-0007', lastUpdateDate: '1000' }]);
  });

  it('an unknown key is reported once per file; empty and stray files are counted and named', () => {
    const a = landingOf(dir, 'accelerometer');
    expect(a.files.map((f) => f.unknown_keys)).toEqual([[], ['gyro']]);
    expect(build.stderr.match(/key "gyro" not in the schema/g)).toHaveLength(1);
    const c = landingOf(dir, 'customer');
    expect(c.skipped).toEqual(['notes.txt']);
    expect(c.files.map((f) => [path.basename(f.file), f.status])).toEqual([['customer-1.json', 'ingested'], ['customer-2-windows.json', 'ingested'], ['customer-3-resent.json', 'duplicate'], ['customer-4-empty.json', 'empty']]);
    expect(build.stderr).toContain('customer-4-empty.json: no record (an empty file)');
    expect(build.stderr).toContain('1 entry not read (not a *.json landing file): notes.txt');
  });

  it('the reconciliation adds up from lines read to rows kept, printed and in run_results.json', () => {
    const rec = runResults(dir).reconciliation!;
    expect(rec.problems).toEqual([]);
    expect(rec.sources.map((s) => [s.source, s.lines_read, s.accepted, s.rejected, s.blank, s.duplicate_delivery, s.balanced])).toEqual([
      ['landing.accelerometer', 10, 6, 4, 0, 0, true],
      ['landing.customer', 13, 7, 1, 1, 4, true],
      ['landing.step_trainer', 18, 7, 2, 0, 9, true],
    ]);
    const rules = Object.fromEntries(rec.entities.map((e) => [e.entity, [e.landing, Object.fromEntries(e.rules.filter((r) => r.row_count > 0).map((r) => [r.rule, r.row_count]))]]));
    expect(rules).toEqual({
      accelerometer: [6, { kept: 5, no_consent: 1 }],
      customer: [7, { kept: 4, duplicate_record: 1, no_consent: 2 }],
      step_trainer: [7, { kept: 3, ambiguous_device: 2, no_consent: 1, unknown_device: 1 }],
    });
    expect(build.stdout).toContain('landing.customer       13 lines read = 7 accepted + 1 rejected + 1 blank + 4 duplicate_delivery');
    expect(build.stdout).toContain('step_trainer           7 landing = 3 kept + 2 ambiguous_device + 1 no_consent + 1 unknown_device');
  });

  it('ambiguous devices: a warning with counts and no identifier; the build still succeeds', async () => {
    const w = runResults(dir).results.find((r) => r.name === 'ambiguous_devices_step_trainer_trusted')!;
    expect(w.status).toBe('warn');
    expect(w.message).toMatch(/^1 device\(s\) and 2 reading\(s\) excluded as ambiguous/);
    expect(build.stderr).toContain('1 device(s) and 2 reading(s) excluded as ambiguous');
    expect(await query(dir, "select count(*) as n from trusted.step_trainer_trusted where serial_number = 'm3ssy-0003'")).toEqual([{ n: '0' }]);
  });

  it('no personal data in the output or the artifacts: no email, name, phone or serial number', () => {
    const artifacts = fs.readFileSync(path.join(dir, 'target/run_results.json'), 'utf8');
    for (const text of [build.stdout, build.stderr, artifacts]) {
      expect(text).not.toMatch(/@example\.com|m3ssy-|Ann Lee|555000/);
    }
  });

  it('the ingestion record lists every file with its counts', async () => {
    const rows: Row[] = await query(dir, "select file, status, lines, accepted, rejected, blank, duplicate_delivery from _stedi.landing_files where source = 'landing.step_trainer' order by file");
    expect(rows.map((r) => [path.basename(String(r.file)), r.status, Number(r.lines), Number(r.accepted), Number(r.rejected), Number(r.duplicate_delivery)])).toEqual([
      ['step_trainer-1.json', 'ingested', 9, 7, 2, 0],
      ['step_trainer-2-again.json', 'duplicate', 9, 0, 0, 9],
    ]);
  });
});

describe('the same file delivered twice', () => {
  it('does not double any downstream count; the reconciliation says duplicate_delivery', async () => {
    const dir = stediWithCorpus();
    const r = await stedi(dir, ['build', ...VARS]);
    expect(r.code, explain(r)).toBe(0);
    const withCopies = await counts(dir);
    expect(landingOf(dir, 'step_trainer').totals.duplicate_delivery).toBe(9);
    // the same corpus without the copies
    fs.rmSync(path.join(dir, 'landing/customer/landing/customer-3-resent.json'));
    fs.rmSync(path.join(dir, 'landing/step_trainer/landing/step_trainer-2-again.json'));
    const again = await stedi(dir, ['build', ...VARS]);
    expect(again.code, explain(again)).toBe(0);
    expect(await counts(dir)).toEqual(withCopies);
    expect(landingOf(dir, 'step_trainer').totals).toMatchObject({ lines_read: 9, accepted: 7, duplicate_delivery: 0 });
    // and a third delivery of the same bytes is a duplicate too
    fs.copyFileSync(path.join(dir, 'landing/step_trainer/landing/step_trainer-1.json'), path.join(dir, 'landing/step_trainer/landing/step_trainer-9-third.json'));
    const third = await stedi(dir, ['build', ...VARS]);
    expect(third.code, explain(third)).toBe(0);
    expect(await counts(dir)).toEqual(withCopies);
    expect(third.stderr).toContain('step_trainer-9-third.json: same content as step_trainer-1.json: its 9 lines are not ingested twice (duplicate_delivery)');
  });
});
