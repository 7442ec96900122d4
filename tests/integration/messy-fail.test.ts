/**
 * `on_malformed: fail`: one malformed line stops the build before anything is published, with an
 * error naming the file, the line and the problem; the previously published tables (landing and
 * zones) stay exactly as they were.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, publishedDirs, runResults, stedi, versionDirs, type Row } from '../helpers/stedi.js';
import { counts, edit, everything, removeCopies, stediWithCorpus, VARS } from './messy-helpers.js';

afterAll(removeCopies);

const FAIL_ACCELEROMETER = ['          event_time: timestamp\n', '          event_time: timestamp\n          on_malformed: fail\n'] as const;

describe('on_malformed: fail', () => {
  let dir: string;
  let before: Record<string, Row[]>;
  let dirsBefore: string[];

  beforeAll(async () => {
    dir = stediWithCorpus();
    const first = await stedi(dir, ['build', ...VARS]);
    expect(first.code, explain(first)).toBe(0);
    before = await everything(dir);
    dirsBefore = versionDirs(dir);
  });

  it('stops the build before publishing anything, naming file, line and problem', async () => {
    edit(dir, 'models/landing/sources.yml', ...FAIL_ACCELEROMETER);
    // new data arrives for every source: none of it may be published
    fs.writeFileSync(path.join(dir, 'landing/customer/landing/customer-5-new.json'), '{"email":"hal.new@example.com","serialNumber":"m3ssy-0010","lastUpdateDate":1,"shareWithResearchAsOfDate":1}\n');
    const r = await stedi(dir, ['build', ...VARS]);
    expect(r.code, explain(r)).toBe(1);
    const rr = runResults(dir);
    const acc = rr.results.find((x) => x.unique_id === 'source.stedi.landing.accelerometer')!;
    expect(acc.status).toBe('error');
    expect(acc.message).toContain("landing/accelerometer/landing/accelerometer-1.json line 5: invalid_json: not valid JSON (and 3 more malformed lines); on_malformed is 'fail', so nothing is published");
    expect(r.stderr).toContain('accelerometer-1.json line 5: invalid_json');
    // the other sources wait for the failing one: they did not ingest, nor did any seed or model run
    for (const x of rr.results.filter((x) => x.unique_id !== acc.unique_id && x.resource_type !== 'unit_test')) {
      expect([x.unique_id, x.status]).toEqual([x.unique_id, 'skipped']);
    }
    expect(await everything(dir)).toEqual(before);
    expect(versionDirs(dir)).toEqual(dirsBefore);
    expect(await publishedDirs(dir)).toEqual(dirsBefore);
    // the error holds no value of the malformed record
    expect(`${r.stdout}${r.stderr}${fs.readFileSync(path.join(dir, 'target/run_results.json'), 'utf8')}`).not.toMatch(/@example\.com/);
  });

  it('once the file is fixed, the same source under fail builds', async () => {
    const file = path.join(dir, 'landing/accelerometer/landing/accelerometer-1.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').split('\n').slice(0, 4).join('\n') + '\n');
    fs.rmSync(path.join(dir, 'landing/accelerometer/landing/accelerometer-2.json'));
    const r = await stedi(dir, ['build', ...VARS]);
    expect(r.code, explain(r)).toBe(0);
    expect(runResults(dir).reconciliation!.sources.find((s) => s.source === 'landing.accelerometer')).toMatchObject({ lines_read: 4, accepted: 4, rejected: 0 });
    // Hal's new record is published now; Ann lost her 3000 ms reading with accelerometer-2.json
    expect(await counts(dir)).toMatchObject({ customer_trusted: 5, accelerometer_trusted: 3 });
  });
});
