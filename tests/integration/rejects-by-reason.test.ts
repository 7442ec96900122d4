/**
 * Every rejected line of a landing file is counted by reason (not only the first few the report
 * lists), on one thread and on classifier threads, and the counts survive incremental builds that
 * do not read the file again. Checked against the rejects table itself: its rows grouped by
 * reason. Real CLI, real DuckDB.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../runner/execute/results.js';
import type { LandingReport } from '../../runner/landing/types.js';
import { copyFixture, explain, query, readJson, removeFixtures, stedi } from '../helpers/stedi.js';

afterAll(removeFixtures);

const LANDING = 'seeds/landing/customer/landing';
// 2 invalid_json, 3 type_mismatch, 1 not_an_object, 1 no_declared_field, 1 duplicate_key: more than the 3 a report lists
const BAD = [
  '{"email":"x1@mini.example","n":',
  '{not json}',
  '{"email":"x2@mini.example","n":"two"}',
  '{"email":"x3@mini.example","n":1.5}',
  '{"email":"x4@mini.example","n":true}',
  '[1,2,3]',
  '{"other":1}',
  '{"email":"x5@mini.example","email":"x6@mini.example","n":1}',
  '{"email":"ok@mini.example","name":"Ok","n":9,"country":"DE"}',
];
const WANT = { invalid_json: 2, type_mismatch: 3, not_an_object: 1, no_declared_field: 1, duplicate_key: 1 };

function landing(dir: string): LandingReport {
  const rr = readJson<RunResults>(dir, 'target/run_results.json');
  return (rr.results.find((r) => r.unique_id === 'source.mini.landing.customer')!.adapter_response as { landing: LandingReport }).landing;
}

async function rejectsByReason(dir: string): Promise<Record<string, number>> {
  const rows = await query(dir, 'select reason, count(*) as n from landing.customer__rejects group by reason order by reason');
  return Object.fromEntries(rows.map((r) => [String(r.reason), Number(r.n)]));
}

describe('rejected lines by reason', () => {
  for (const threads of ['1', '3']) {
    it(`counts every reject by reason (--ingest-threads ${threads}), and keeps the counts of files not read again`, async () => {
      const dir = copyFixture();
      fs.writeFileSync(path.join(dir, LANDING, 'part-0002.json'), `${BAD.join('\n')}\n`);
      const r = await stedi(dir, ['build', '-s', 'source:landing.customer', '--ingest-threads', threads]);
      expect(r.code, explain(r)).toBe(0);
      const file = landing(dir).files.find((f) => f.file.endsWith('part-0002.json'))!;
      expect(file.rejected).toBe(8);
      expect(file.first_rejects).toHaveLength(3);
      expect(file.rejected_by_reason).toEqual(WANT);
      expect(await rejectsByReason(dir)).toEqual(WANT);
      // a new file: part-0002 is not read again, its counts come from the recorded state
      fs.writeFileSync(path.join(dir, LANDING, 'part-0003.json'), '{"email":"y@mini.example","n":"bad"}\n');
      const again = await stedi(dir, ['build', '-s', 'source:landing.customer', '--ingest-threads', threads]);
      expect(again.code, explain(again)).toBe(0);
      const rr = readJson<RunResults>(dir, 'target/run_results.json');
      expect(rr.results.find((x) => x.unique_id === 'source.mini.landing.customer')!.message).toMatch(/read 1 of 3 landing files/);
      const files = landing(dir).files;
      expect(files.find((f) => f.file.endsWith('part-0002.json'))!.rejected_by_reason).toEqual(WANT);
      expect(files.find((f) => f.file.endsWith('part-0003.json'))!.rejected_by_reason).toEqual({ type_mismatch: 1 });
      expect(files.find((f) => f.file.endsWith('part-0001.json'))!.rejected_by_reason).toBeUndefined();
      expect(await rejectsByReason(dir)).toEqual({ ...WANT, type_mismatch: 4 });
    });
  }
});
