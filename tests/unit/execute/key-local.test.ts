/**
 * Which test SQL is proven key-local on a keyed dimension (runner/execute/key-local.ts), and that
 * each accepted shape holds on data: on a real DuckDB, when the dimension changed only for keys
 * whose rows are all fresh and the kept rows passed under the old dimension, the test on the
 * fresh rows counts what the whole test counts under the new dimension. Some refused shapes are
 * shown to break that on the same data (so the refusal is needed, not only cautious).
 */
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { deltaTestSql } from '../../../runner/execute/delta-test.js';
import { keyLocal } from '../../../runner/execute/key-local.js';

const M = { schema: 'curated', identifier: 'readings' };
const DIM = { relation: { schema: 'curated', identifier: 'people' }, key: 'k', column: 'k' };
const prove = (sql: string, dim = DIM) => keyLocal(sql, 'duckdb', M, dim);

const CONSENT = `with consenting as (
    select k as customer_key, d as consent_date
    from "curated"."people"
    where k is not null and d is not null
)
select m.k as k, m.t as t
from "curated"."readings" m
where not exists (
    select 1 from consenting c
    where c.customer_key = m.k
      and (c.consent_date is not null and m.t is not null and m.t >= c.consent_date)
)`;

/** The consent test's form since it joins on the key alone (macros/tests/consent.sql): one row per key, LEFT JOINed. */
const CONSENT_GROUPED = `with consenting as (
    select k as customer_key, min(d) as consent_date
    from "curated"."people"
    where k is not null and d is not null
    group by 1
)
select m.k as k, m.t as t
from "curated"."readings" m
left join consenting c
    on c.customer_key = m.k
where c.customer_key is null
   or not coalesce((c.consent_date is not null and m.t is not null and m.t >= c.consent_date), false)`;

/** A window over the dimension in the CTE: a kept row's verdict depends on other keys' rows. */
const WINDOWED = 'with c as (select k, count(*) over () as n from curated.people) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k and c.n = 4)';

const KEY_LOCAL: [string, string][] = [
  ['consent (not exists over a CTE filtering the dimension)', CONSENT],
  ['consent (left join to a CTE grouping the dimension by its key)', CONSENT_GROUPED],
  ['a CTE grouping by the key by name, with HAVING', 'with c as (select k, max(d) as d from curated.people group by k having count(*) = 1) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k and c.d <= m.t)'],
  ['a CTE grouping by the key qualified', 'with c as (select p.k as ck, max(p.d) as d from curated.people p group by p.k) select m.k from curated.readings m left join c on c.ck = m.k where c.ck is null'],
  ['exists over the dimension itself, equality written the other way', 'select m.k from curated.readings m where exists (select 1 from curated.people p where m.k = p.k and p.d > m.t)'],
  ['relationships (left join, the dimension optional)', 'select child.k as from_field\nfrom "curated"."readings" as child\nleft join "curated"."people" as parent on child.k = parent.k\nwhere child.k is not null and parent.k is null'],
  ['inner join with more conditions', 'select r.k, r.t from curated.readings r join curated.people p on p.k = r.k and r.t < p.d'],
  ['anti join', 'select r.k from curated.readings r anti join curated.people p on (p.k = r.k)'],
  ['the dimension unaliased', 'select readings.k from curated.readings where not exists (select 1 from curated.people where people.k = readings.k and people.d <= readings.t)'],
  ['the model read in a derived table, the exists beside it', 'select * from (select m.k, m.t from curated.readings m where not exists (select 1 from curated.people p where p.k = m.k)) q where q.t > 0'],
  ['exists under OR and NOT in the WHERE', 'select m.k from curated.readings m where m.t < 0 or not (exists (select 1 from curated.people p where p.k = m.k))'],
];

const WHOLE: [string, string, RegExp][] = [
  ['the join is not on the key alone (OR)', 'select r.k from curated.readings r left join curated.people p on p.k = r.k or p.d = r.t where p.k is null', /does not hold/],
  ['the equality is on another column of the model', 'select r.k from curated.readings r left join curated.people p on p.k = r.other where p.k is null', /does not hold/],
  ['the equality is on another column of the dimension', 'select r.k from curated.readings r left join curated.people p on p.other = r.k where p.k is null', /does not hold/],
  ['the key compared through a function', 'select r.k from curated.readings r left join curated.people p on lower(p.k) = lower(r.k) where p.k is null', /does not hold/],
  ['a CTE grouping the dimension by another column', 'with c as (select k, max(d) as d from curated.people group by other) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k)', /groups by more or other than its key/],
  ['a CTE grouping by the key and another column', 'with c as (select k, max(d) as d from curated.people group by k, other) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k)', /groups by more or other than its key/],
  ['a CTE grouping by ROLLUP', 'with c as (select k, max(d) as d from curated.people group by rollup (k)) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k)', /groups by more or other than its key/],
  ['a CTE grouping by a name that is another column\'s alias', 'with c as (select other as k, k as ck, max(d) as d from curated.people group by k) select m.k from curated.readings m where not exists (select 1 from c where c.ck = m.k)', /groups by more or other than its key/],
  ['a CTE grouping by the ordinal of another column', 'with c as (select other, k, max(d) as d from curated.people group by 1) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k)', /groups by more or other than its key/],
  ['a CTE with HAVING and no grouping', 'with c as (select k from curated.people having count(*) > 0) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k)', /groups by more or other than its key/],
  ['a window over the dimension in the CTE', WINDOWED, /window function/],
  ['a window over the dimension in a grouping CTE', 'with c as (select k, count(*) over () as n from curated.people group by k) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k and c.n > 2)', /window function/],
  ['a CTE with distinct', 'with c as (select distinct k, d from curated.people) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k)', /distinct/],
  ['a CTE computing the key', 'with c as (select lower(k) as k from curated.people) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k)', /does not expose its key/],
  ['a CTE with a wildcard', 'with c as (select *, k as key2 from curated.people) select m.k from curated.readings m where not exists (select 1 from c where c.key2 = m.k)', /wildcard/],
  ['a CTE over the dimension read twice', 'with c as (select k from curated.people) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k) and (select count(*) from c) > 0', /more than once/],
  ['the dimension read twice', 'select m.k from curated.readings m where exists (select 1 from curated.people p where p.k = m.k) and (select count(*) from curated.people) > 2', /more than once/],
  ['a global aggregate of the dimension', 'select m.k from curated.readings m where m.t > (select max(d) from curated.people)', /elsewhere/],
  ['the dimension in a CTE joined to another table', 'with c as (select p.k from curated.people p join curated.other o on o.k = p.k) select m.k from curated.readings m where not exists (select 1 from c where c.k = m.k)', /reads more than the dimension/],
  ['the subquery rebinds the model alias', 'select m.k from curated.readings m where not exists (select 1 from curated.people m where m.k = m.k)', /shadows/],
  ['exists nested in another subquery (the alias could be rebound there)', 'select m.k from curated.readings m where (select count(*) from curated.other o where exists (select 1 from curated.people p where p.k = m.k)) = 0', /elsewhere/],
  ['a subquery over the dimension that groups', 'select m.k from curated.readings m where not exists (select 1 from curated.people p where p.k = m.k group by p.k having count(*) > 1)', /group_by|having/],
  ['join using', 'select r.k from curated.readings r join curated.people p using (k)', /not ON an equality/],
  ['not row-wise on the model', 'select m.k, count(*) from curated.readings m join curated.people p on p.k = m.k group by m.k', /group_by/],
  ['unparsable', 'select from where', /could not be parsed/],
  ['the exists outside the SELECT reading the model (a where-config wrapper)', 'select * from (select * from curated.readings where t > 5) w where not exists (select 1 from curated.people p where p.k = w.k)', /elsewhere/],
];

describe('keyLocal', () => {
  for (const [name, sql] of KEY_LOCAL) {
    it(`key-local: ${name}`, () => {
      expect(prove(sql)).toEqual({ ok: true });
    });
  }
  for (const [name, sql, why] of WHOLE) {
    it(`runs whole: ${name}`, () => {
      const r = prove(sql);
      expect(r.ok).toBeUndefined();
      expect(r.why).toMatch(why);
    });
  }
  it('the restate_by columns must be the ones compared', () => {
    expect(prove(CONSENT, { ...DIM, column: 'other' }).why).toMatch(/does not hold/);
    expect(prove(CONSENT, { ...DIM, key: 'd' }).why).toMatch(/does not hold/);
    expect(prove(CONSENT, { ...DIM, relation: { schema: 'curated', identifier: 'others' } }).why).toMatch(/does not read the dimension/);
  });
});

describe('key-local verdicts hold on data', () => {
  it('failures on kept ∪ fresh under the new dimension = failures on fresh, when kept passed under the old one', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      await c.run('CREATE SCHEMA curated');
      // the dimension then (d0) and now (d1): key b withdrawn, key c moved, key e new; a and z unchanged
      await c.run(`CREATE TABLE d0 AS SELECT * FROM (VALUES ('a', 5, 'x'), ('b', 5, 'x'), ('c', 1, 'x'), ('z', 0, 'x')) t(k, d, other)`);
      await c.run(`CREATE TABLE d1 AS SELECT * FROM (VALUES ('a', 5, 'x'), ('c', 9, 'x'), ('e', 2, 'x'), ('z', 0, 'x')) t(k, d, other)`);
      await c.run(`CREATE TABLE curated.other AS SELECT * FROM (VALUES ('a'), ('q')) t(k)`);
      // kept rows: only unchanged keys (a, z, a NULL key is row-local); fresh rows: every row of a changed key, and new rows
      await c.run(`CREATE TABLE kept AS SELECT * FROM (VALUES ('a', 6, 'a'), ('z', 3, 'z'), ('a', 7, 'a')) t(k, t, other)`);
      await c.run(`CREATE TABLE fresh AS SELECT * FROM (VALUES ('b', 6, 'b'), ('c', 3, 'c'), ('c', 10, 'c'), ('e', 1, 'e'), ('a', 1, 'a'), (NULL, 4, NULL), ('q', 8, 'q')) t(k, t, other)`);
      await c.run(`CREATE VIEW "__stedi_delta" AS SELECT * FROM fresh`);
      const count = async (sql: string) => Number((await c.runAndReadAll(`select count(*) from (${sql}) q`)).getRows()[0]![0]);
      const use = async (m: string, d: string) => {
        await c.run(`CREATE OR REPLACE VIEW curated.readings AS ${m}`);
        await c.run(`CREATE OR REPLACE VIEW curated.people AS SELECT * FROM ${d}`);
      };
      let checked = 0;
      for (const [name, sql] of KEY_LOCAL) {
        await use('SELECT * FROM kept', 'd0');
        if ((await count(sql)) !== 0) continue; // the delta is only used after a pass
        await use('SELECT * FROM kept UNION ALL SELECT * FROM fresh', 'd1');
        const delta = deltaTestSql(sql, 'duckdb', M, '"__stedi_delta"');
        expect(delta.ok, name).toBeDefined();
        expect(await count(delta.ok!), name).toBe(await count(sql));
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(7);
      // a refused shape: the dimension read by another column than the key. Key c moved (its
      // rows are fresh), yet a kept row of key a, which passed under d0, fails under d1: a delta
      // would miss it
      const byDate = 'select r.k from curated.readings r where not exists (select 1 from curated.people p where p.d = r.t)';
      expect(prove(byDate).why).toMatch(/does not hold/);
      await use(`SELECT * FROM (VALUES ('a', 1, 'a')) t(k, t, other)`, 'd0');
      expect(await count(byDate)).toBe(0);
      await use(`SELECT * FROM (VALUES ('a', 1, 'a')) t(k, t, other) UNION ALL SELECT * FROM fresh`, 'd1');
      const missed = deltaTestSql(byDate, 'duckdb', M, '"__stedi_delta"').ok!;
      expect(await count(byDate)).toBeGreaterThan(await count(missed));
      // a refused shape: a window over the dimension (its row count). Only key e was added (its
      // rows are fresh), yet the kept row of key a, which passed under d0 (4 rows), fails under
      // d2 (5 rows): a delta would miss it
      expect(prove(WINDOWED).why).toMatch(/window function/);
      await c.run(`CREATE OR REPLACE TABLE d2 AS SELECT * FROM d0 UNION ALL SELECT 'e', 2, 'x'`);
      await c.run(`CREATE OR REPLACE VIEW "__stedi_delta" AS SELECT * FROM (VALUES ('e', 1, 'e')) t(k, t, other)`);
      await use(`SELECT * FROM (VALUES ('a', 1, 'a')) t(k, t, other)`, 'd0');
      expect(await count(WINDOWED)).toBe(0);
      await use(`SELECT * FROM (VALUES ('a', 1, 'a'), ('e', 1, 'e')) t(k, t, other)`, 'd2');
      const windowMissed = deltaTestSql(WINDOWED, 'duckdb', M, '"__stedi_delta"').ok!;
      expect(await count(WINDOWED)).toBeGreaterThan(await count(windowMissed));
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
