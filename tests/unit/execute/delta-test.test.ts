/**
 * Which test SQL is proven row-wise on its model (runner/execute/delta-test.ts), and that the
 * rewritten SQL reads the delta exactly where it read the model. Each row-wise verdict is also
 * checked on data: on a real DuckDB, the test's failures on (kept ∪ fresh) equal its failures on
 * fresh when kept has none.
 */
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { deltaTestSql } from '../../../runner/execute/delta-test.js';

const M = { schema: 'trusted', identifier: 'readings' };
const D = '"__stedi_delta"';
const delta = (sql: string) => deltaTestSql(sql, 'duckdb', M, D);

const ROW_WISE: [string, string][] = [
  ['not_null', 'select * from "trusted"."readings" where x is null'],
  ['accepted_range, multi-line', 'select *\nfrom\n  trusted.readings\nwhere x is not null and not (true and x <= 100)'],
  ['relationships (left join, model on the kept side)', 'select child.k as from_field\nfrom "trusted"."readings" as child\nleft join "trusted"."people" as parent on child.k = parent.k\nwhere child.k is not null and parent.k is null'],
  ['inner join to another table', 'select r.k, r.x from trusted.readings r join trusted.people p on p.k = r.k where r.x > p.limit_x'],
  ['semi and anti joins', 'select r.k from trusted.readings r anti join trusted.people p on p.k = r.k'],
  ['consent shape: CTE of the other input, not exists', 'with ok as (select k, max(d) as d from trusted.people group by k)\nselect m.k as k, m.t as t from "trusted"."readings" m\nwhere not exists (select 1 from ok c where c.k = m.k and m.t >= c.d)'],
  ['where config: a derived table', 'select * from (select * from "trusted"."readings" where t > 5) dbt_subquery where x is null'],
  ['a CTE on the path, read once', 'with r as (select k, x from trusted.readings where x is not null)\nselect * from r where x < 0'],
  ['casts and arithmetic in the select list', "select CAST(k AS varchar) as k, x * 2 as twice, 'bad' as problem from trusted.readings where x > 1"],
  ['order by', 'select k from trusted.readings where x is null order by k'],
  ['columns qualified by the model name (no alias)', 'select readings.k from trusted.readings where readings.x is null'],
];

const WHOLE: [string, string, RegExp][] = [
  ['unique (group by)', 'select k, count(*) from trusted.readings group by k having count(*) > 1', /group_by/],
  ['an aggregate without group by', 'select count(*) as n from trusted.readings where x is null', /computed column/],
  ['row_count (aggregate in a derived table)', 'select n from (select count(*) as n from trusted.readings) c where n < 1', /computed column/],
  ['distinct', 'select distinct k from trusted.readings where x is null', /distinct/],
  ['limit', 'select * from trusted.readings where x is null limit 10', /limit/],
  ['a window function', 'select k, row_number() over (partition by k) as n from trusted.readings', /computed column/],
  ['union', 'select k from trusted.readings where x is null union all select k from trusted.people', /combines/],
  ['the model twice', 'select k from trusted.readings where k in (select k from trusted.readings where x > 1)', /more than once/],
  ['the model on the optional side', 'select p.k from trusted.people p left join trusted.readings r on r.k = p.k where r.k is null', /leftmost/],
  ['a right join', 'select r.k from trusted.readings r right join trusted.people p on r.k = p.k', /Right/],
  ['a full join', 'select r.k from trusted.readings r full outer join trusted.people p on r.k = p.k', /FullOuter/],
  ['a CTE holding the model read twice', 'with r as (select * from trusted.readings) select a.k from r a join r b on a.k = b.k', /more than once/],
  ['a recursive CTE', 'with recursive r as (select * from trusted.readings) select * from r', /recursive/],
  ['no model', 'select * from trusted.people', /does not read/],
  ['two statements', 'select 1; select * from trusted.readings', /not one query/],
  ['unparsable', 'select from where', /could not be parsed/],
  ['qualify', 'select k from trusted.readings qualify x > 1', /qualify/],
  ['a scalar function in the select list (could hide an aggregate)', 'select my_macro(k) as v from trusted.readings', /computed column/],
];

describe('deltaTestSql', () => {
  for (const [name, sql] of ROW_WISE) {
    it(`row-wise: ${name}`, () => {
      const r = delta(sql);
      expect(r.why).toBeUndefined();
      // the model's name, and nothing else, became the delta
      expect(r.ok!.split(D).length).toBe(2);
      // read without an alias, the delta is aliased by the model's name (its columns may be qualified by it)
      expect(r.ok!.replace(/"__stedi_delta"( AS "readings")?/, '"trusted"."readings"').replace(/"/g, '')).toBe(sql.replace(/"/g, ''));
    });
  }
  for (const [name, sql, why] of WHOLE) {
    it(`runs whole: ${name}`, () => {
      const r = delta(sql);
      expect(r.ok).toBeUndefined();
      expect(r.why).toMatch(why);
    });
  }
  it('a one-part name matches only the model, and a CTE of the model name is not the model', () => {
    expect(delta('select * from readings where x is null').ok).toBe(`select * from ${D} AS "readings" where x is null`);
    expect(delta('select * from readings r where x is null').ok).toBe(`select * from ${D} r where x is null`);
    expect(delta('with readings as (select * from trusted.readings) select * from readings').ok).toBeUndefined();
    expect(delta('select * from other.readings where x is null').ok).toBeUndefined();
  });
  it('names after non-ASCII text are located exactly (the parser counts characters, not UTF-16 units)', () => {
    expect(delta("select '💡é' as note, * from \"trusted\".\"readings\" where x is null").ok).toBe(`select '💡é' as note, * from ${D} AS "readings" where x is null`);
    expect(delta("select '💡' as a,\n  '𝔘' as b from trusted . readings where x is null").ok).toBe(`select '💡' as a,\n  '𝔘' as b from ${D} AS "readings" where x is null`);
  });
});

describe('row-wise verdicts hold on data', () => {
  it('failures on kept ∪ fresh = failures on fresh, when kept has none', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      await c.run(`CREATE SCHEMA trusted; CREATE TABLE trusted.people AS SELECT * FROM (VALUES ('a', 10.0, 5), ('b', 20.0, 7)) t(k, limit_x, d)`);
      // kept rows: none fail any row-wise test above; fresh rows: some fail
      await c.run(`CREATE TABLE kept AS SELECT * FROM (VALUES ('a', 1.0, 6), ('b', 2.0, 8)) t(k, x, t)`);
      await c.run(`CREATE TABLE fresh AS SELECT * FROM (VALUES ('a', 50.0, 9), ('z', NULL, 1), (NULL, -3.0, 6), ('b', 200.0, 2)) t(k, x, t)`);
      await c.run(`CREATE VIEW trusted.readings AS SELECT * FROM kept UNION ALL SELECT * FROM fresh`);
      await c.run(`CREATE VIEW "__stedi_delta" AS SELECT * FROM fresh`);
      const count = async (sql: string) => Number((await c.runAndReadAll(`select count(*) from (${sql}) q`)).getRows()[0]![0]);
      for (const [name, sql] of ROW_WISE) {
        await c.run(`CREATE OR REPLACE VIEW trusted.readings AS SELECT * FROM kept`);
        const keptFails = await count(sql);
        await c.run(`CREATE OR REPLACE VIEW trusted.readings AS SELECT * FROM kept UNION ALL SELECT * FROM fresh`);
        if (keptFails !== 0) continue; // the delta is only used after a pass
        expect(await count(delta(sql).ok!), name).toBe(await count(sql));
      }
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
