/** Column lineage on small SQL cases: each construct the STEDI models use, and a few more. */
import { describe, expect, it } from 'vitest';
import { lineageOf, model, summary } from './harness.js';

const s = (sql: string, extra = [] as Parameters<typeof lineageOf>[1]) => summary(lineageOf(sql, extra).columns);

describe('column lineage: names and aliases', () => {
  it('follows plain, qualified, aliased and quoted columns to the source', () => {
    expect(s('select id, u.email as mail, "u"."name" from "raw"."users" u')).toEqual({ id: ['users.id'], mail: ['users.email'], name: ['users.name'] });
  });

  it('matches identifiers case-insensitively and keeps the declared spelling', () => {
    expect(s('select U.EMAIL from raw.users u')).toEqual({ EMAIL: ['users.email'] });
  });

  it('treats CAST and parentheses as the same value', () => {
    expect(s('select cast(age as bigint) as age, (id) as id2, age::varchar as a2 from raw.users')).toEqual({ age: ['users.age'], id2: ['users.id'], a2: ['users.age'] });
  });
});

describe('column lineage: joins', () => {
  it('resolves qualified and unambiguous unqualified columns across a join', () => {
    expect(s('select o.id, email, amount from raw.orders o join raw.users u on u.id = o.user_id')).toEqual({ id: ['orders.id'], email: ['users.email'], amount: ['orders.amount'] });
  });

  it('reports an ambiguous unqualified column as unresolved instead of guessing', () => {
    const out = lineageOf('select id from raw.orders o join raw.users u on u.id = o.user_id').columns[0]!;
    expect(out.upstream).toEqual([]);
    expect(out.unresolved[0]!.reason).toMatch(/ambiguous/);
  });

  it('merges both sides of a USING column', () => {
    expect(s('select id from raw.orders join raw.users using (id)')).toEqual({ id: ['orders.id', 'users.id'] });
  });
});

describe('column lineage: CTEs and subqueries', () => {
  it('follows columns through CTEs, derived tables and renames', () => {
    const sql = `with a as (select id as user_key, email from raw.users), b(k, mail) as (select * from a)
      select x.k, x.mail from (select k, mail from b) x`;
    expect(s(sql)).toEqual({ k: ['users.id'], mail: ['users.email'] });
  });

  it('a CTE shadows a table of the same name', () => {
    expect(s('with users as (select 1 as one) select one from users')).toEqual({ one: [] });
  });

  it('a scalar subquery feeds the value; EXISTS only filters', () => {
    const sql = `select (select max(amount) from raw.orders o where o.user_id = u.id) as top, u.id
      from raw.users u where exists (select 1 from raw.orders o2 where o2.user_id = u.id)`;
    expect(s(sql)).toEqual({ top: ['orders.amount[expression]'], id: ['users.id'] });
  });

  it('unions merge the columns of every branch by position', () => {
    expect(s("select id, 'u' as kind from raw.users union all select user_id, 'o' from raw.orders")).toEqual({ id: ['users.id', 'orders.user_id'], kind: [] });
  });
});

describe('column lineage: select *', () => {
  it('expands * and t.* from the declared columns, with EXCLUDE', () => {
    expect(Object.keys(s('select * from raw.users'))).toEqual(['id', 'email', 'name', 'age']);
    expect(s('select o.* exclude (created_at), u.email from raw.orders o join raw.users u on u.id = o.user_id')).toEqual({
      id: ['orders.id'], user_id: ['orders.user_id'], amount: ['orders.amount'], email: ['users.email'],
    });
  });

  it('expands a model to exactly the columns its SQL produces, whatever its YAML declares', () => {
    const up = model('up', 'select id, email from raw.users', { columns: ['id', 'stale'] });
    expect(s('select * from main.up', [up])).toEqual({ id: ['up.id'], email: ['up.email'] });
    expect(lineageOf('select u.stale from main.up u', [up]).columns[0]!.unresolved[0]!.reason).toBe('up has no column stale');
  });

  it('leaves * over a relation of unknown columns unresolved', () => {
    const out = lineageOf("select * from read_json('x.json')").columns;
    expect(out).toHaveLength(1);
    expect(out[0]!.unresolved[0]!.reason).toMatch(/table function read_json is not analysed/);
  });

  it('never guesses a column a relation does not have', () => {
    expect(lineageOf('select u.phone from raw.users u').columns[0]!.unresolved[0]!.reason).toMatch(/has no column phone/);
    expect(lineageOf('select x.id from raw.users u').columns[0]!.unresolved[0]!.reason).toMatch(/no table named x/);
    expect(lineageOf('select id from some_schema.unknown_table').columns[0]!.unresolved[0]!.reason).toMatch(/not a source, seed or model/);
  });
});

describe('column lineage: expressions, aggregates, windows', () => {
  it('marks computed values as expressions of every input', () => {
    expect(s("select lower(email) || ':' || name as label, amount * 2 as double_amount, coalesce(u.age, 0) as age from raw.users u join raw.orders o on o.user_id = u.id")).toEqual({
      label: ['users.email[expression]', 'users.name[expression]'], double_amount: ['orders.amount[expression]'], age: ['users.age[expression]'],
    });
  });

  it('aggregates: sum/max carry values, count() only decides', () => {
    expect(s('select user_id, sum(amount) as total, max(created_at) as last, count(distinct id) as n, count(*) as c from raw.orders group by user_id')).toEqual({
      user_id: ['orders.user_id'], total: ['orders.amount[expression]'], last: ['orders.created_at[expression]'], n: ['orders.id[condition]'], c: [],
    });
  });

  it('window functions: the argument carries, PARTITION BY/ORDER BY decide', () => {
    expect(s('select row_number() over (partition by user_id order by created_at desc nulls last) as rn, lag(amount) over (order by id) as prev from raw.orders')).toEqual({
      rn: ['orders.user_id[condition]', 'orders.created_at[condition]'], prev: ['orders.amount[expression]', 'orders.id[condition]'],
    });
  });

  it('CASE: conditions decide, results carry', () => {
    expect(s("select case when email is null then 'none' when age > 18 then name else 'minor' end as who from raw.users")).toEqual({
      who: ['users.email[condition]', 'users.age[condition]', 'users.name[expression]'],
    });
  });

  it('no expression pseudonymises: a hash of personal data in SQL is computed from it; the derived column is a plain column', () => {
    const out = s("select p.subject_key as k, sha256(p.email) as h, sha256(getvariable('stedi_subject_key') || p.email) as k2 from raw.people p");
    // getvariable() reads a session variable by name: not a column lineage can follow
    expect(out).toEqual({ k: ['people.subject_key'], h: ['people.email[expression]'], k2: ['people.email[expression]', '?getvariable(…)'] });
  });

  it('a DuckDB lateral alias resolves to its expression', () => {
    expect(s('select amount * 2 as twice, twice + 1 as more from raw.orders')).toEqual({ twice: ['orders.amount[expression]'], more: ['orders.amount[expression]'] });
  });
});

describe('column lineage: PII status', () => {
  it('direct copies stay pii, computations are derived, the derived pseudonym stays pseudonymised, conditions carry nothing', () => {
    const { project } = lineageOf(`select u.email, upper(u.name) as n, p.subject_key as k, upper(p.subject_key) as k2, sha256('k:' || lower(u.email)) as h,
      case when u.email like '%@x' then 1 else 0 end as flag, u.age from raw.users u join raw.people p on p.email = u.email`);
    expect(project.pii['model.t.m']).toEqual({ email: 'pii', n: 'derived', k: 'pseudonymised', k2: 'pseudonymised', h: 'derived', flag: 'none', age: 'none' });
    expect(project.pii['source.t.raw.people']).toEqual({ email: 'pii', subject_key: 'pseudonymised' });
  });

  it('an unresolved origin is unknown', () => {
    expect(lineageOf('select nope from raw.users').project.pii['model.t.m']).toEqual({ nope: 'unknown' });
  });

  it('SQL the parser cannot read is an error for the model, not a guess', () => {
    const out = lineageOf('select from where');
    expect(out.error).toBeDefined();
    expect(out.columns).toEqual([]);
  });
});
