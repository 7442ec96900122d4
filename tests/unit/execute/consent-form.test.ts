/**
 * The consent test (macros/tests/consent.sql) joins each model row to its key's one consenting
 * row — the earliest consent date — instead of asking NOT EXISTS over every consenting record of
 * the key. The two forms must fail the same rows: here the macro as the STEDI project compiles it
 * (the step_trainer_trusted test: serial numbers, a reading time; both consent policies) runs on
 * random data with several records per key, NULL keys, NULL dates and NULL times, beside the
 * earlier NOT EXISTS form, on a real DuckDB.
 */
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { compileForTarget } from '../../../runner/compiler/for-target.js';
import { loadProject } from '../../../runner/project/load.js';
import { random as rng } from '../../helpers/canonical-fuzz.js';

/** The compiled consent test of step_trainer_trusted under a policy, reading the tables m and cust. */
function compiledConsent(policy: string): string {
  const loaded = loadProject('.');
  if (!loaded.project) throw new Error(JSON.stringify(loaded.diagnostics));
  const c = compileForTarget(loaded.project, { target: 'local', env: {}, cliVars: `{consent_policy: ${policy}}`, now: new Date(0) });
  const test = Object.values(c.manifest!.nodes).find((n) => n.unique_id.startsWith('test.stedi.consent_step_trainer_trusted'));
  if (!test || test.resource_type !== 'test') throw new Error('no consent test of step_trainer_trusted');
  const sql = String(test.compiled_code);
  expect(sql).toContain('left join consenting_customers');
  return sql.split('"trusted"."step_trainer_trusted"').join('m_rows').split('"curated"."customer_curated"').join('cust');
}

/** The earlier form: a model row fails when no consenting record of its key covers it. */
function notExistsForm(policy: string): string {
  const covers = policy === 'as_of_date' ? '(c.consent_date is not null and m.sensor_reading_time is not null and m.sensor_reading_time >= c.consent_date)' : '(c.consent_date is not null)';
  return `with consenting_customers as (
    select serial_number as customer_key, share_with_research_as_of_date as consent_date
    from cust where serial_number is not null and share_with_research_as_of_date is not null
  )
  select m.serial_number as serial_number, m.sensor_reading_time as sensor_reading_time
  from m_rows m
  where not exists (select 1 from consenting_customers c where c.customer_key = m.serial_number and ${covers})`;
}

describe('the consent test: the join on the key equals the NOT EXISTS form', () => {
  it('fails the same rows on random data, under both policies', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      const rows = async (sql: string) => (await c.runAndReadAll(`select serial_number, sensor_reading_time from (${sql}) q order by all`)).getRowsJson().map((r) => JSON.stringify(r));
      let failing = 0;
      for (let seed = 1; seed <= 12; seed++) {
        const r = rng(seed);
        const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
        const keys = ['s1', 's2', 's3', 's4', null];
        const dates = [10, 20, 30, null];
        const cust = Array.from({ length: 8 }, () => {
          const k = pick(keys);
          return `(${k === null ? 'NULL' : `'${k}'`}, ${pick(dates) ?? 'NULL'})`;
        });
        const m = Array.from({ length: 30 }, () => {
          const k = pick(keys);
          const t = pick([5, 10, 15, 20, 25, 30, 35, null]);
          return `(${k === null ? 'NULL' : `'${k}'`}, ${t ?? 'NULL'})`;
        });
        await c.run(`CREATE OR REPLACE TABLE cust AS SELECT * FROM (VALUES ${cust.join(', ')}) t(serial_number, share_with_research_as_of_date)`);
        await c.run(`CREATE OR REPLACE TABLE m_rows AS SELECT * FROM (VALUES ${m.join(', ')}) t(serial_number, sensor_reading_time)`);
        for (const policy of ['as_of_date', 'any_time']) {
          const want = await rows(notExistsForm(policy));
          expect(await rows(compiledConsent(policy)), `seed ${seed}, ${policy}`).toEqual(want);
          failing += want.length;
        }
      }
      // the data exercises both outcomes
      expect(failing).toBeGreaterThan(0);
      expect(failing).toBeLessThan(12 * 2 * 30);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
