/**
 * Column lineage proves, it does not assume: the allow-list of expressions, what a star over a
 * join really expands to, columns whose names the engine picks, and models whose columns their
 * children cannot know.
 */
import { describe, expect, it } from 'vitest';
import { parseSql } from '../../../runner/lineage/parser.js';
import { lineageSession } from '../../../runner/lineage/project.js';
import { lineageOf, model, SOURCES, summary } from './harness.js';

const s = (sql: string, extra = [] as Parameters<typeof lineageOf>[1]) => summary(lineageOf(sql, extra).columns);
const shapes = (sql: string) => lineageOf(sql).columns.map((c) => [c.name, c.shape ?? 'named']);
const reasons = (sql: string) => lineageOf(sql).columns.flatMap((c) => c.unresolved.map((u) => u.reason));

describe('expressions: followed only through what is known to hold values', () => {
  it('follows every variant of the allow-list to its columns', () => {
    expect(s(`select email is null as a, age between 1 and 2 as b, name like 'x%' as c, position('x' in name) as d,
      substring(name from 1 for 2) as e, trim(both 'x' from name) as f, extract(year from age) as g, age::varchar as h,
      (email, age) as i, [name] as j, {'k': email} as k, map {name: 1} as l, {'k': email}.k as m, interval (age) day as n2,
      email collate nocase as o, date '2024-01-01' as p, age in (1, 2) as q, - age as r from raw.users`)).toEqual({
      a: ['users.email[expression]'], b: ['users.age[expression]'], c: ['users.name[expression]'], d: ['users.name[expression]'],
      e: ['users.name[expression]'], f: ['users.name[expression]'], g: ['users.age[expression]'], h: ['users.age'],
      i: ['users.email[expression]', 'users.age[expression]'], j: ['users.name[expression]'], k: ['users.email[expression]'], l: ['users.name[expression]'],
      m: ['users.email[expression]'], n2: ['users.age[expression]'], o: ['users.email'], p: [], q: ['users.age[expression]'], r: ['users.age[expression]'],
    });
  });

  it('leaves constructs it does not know unresolved instead of treating them as carrying nothing', () => {
    expect(reasons('select email:x as v from raw.users')).toEqual(["a colon expression (JSON access, or DuckDB's `name: expr` alias) is not analysed"]);
    expect(reasons('select ? as p')).toEqual(['a query parameter: its value is not in the SQL']);
  });

  it('a star inside an expression is unresolved, except count(*)', () => {
    expect(s('select count(*) as c from raw.users')).toEqual({ c: [] });
    for (const sql of ['select struct_pack(*) as x from raw.users', 'select hash(u.*) as x from raw.users u', 'select coalesce(*) as x from raw.users', 'select count(u.*) as x from raw.users u']) {
      expect(reasons(sql), sql).toEqual(['a star inside an expression is not analysed (only count(*) is)']);
    }
  });

  it('functions that reach data or settings by name are unresolved; a keyed hash in SQL is no pseudonym', () => {
    for (const fn of ["columns('e.*')", "getvariable('stedi_subject_key')", "current_setting('threads')", "query_table('users')", 'current_query()']) {
      expect(reasons(`select ${fn} as x from raw.users`)[0], fn).toMatch(/reaches columns, settings or data by name or pattern/);
    }
    expect(s("select sha256(getvariable('stedi_subject_key') || ':' || lower(email)) as k from raw.users")).toEqual({ k: ['users.email[expression]', '?getvariable(…)'] });
  });

  it('a lambda parameter is not a column, but a parameter named like a column may be the column (DuckDB JSON arrow)', () => {
    expect(s('select list_transform([age], x -> x + 1) as l, list_transform([1], x -> name) as m from raw.users')).toEqual({ l: ['users.age[expression]'], m: ['users.name[expression]'] });
    expect(s("select email -> '$.x' as j from raw.users")).toEqual({ j: ['users.email[expression]'] });
    expect(s('select list_transform([1], email -> email) as l from raw.users')).toEqual({ l: ['users.email[expression]'] });
    expect(s('select list_transform([age], x -> x.f) as l from raw.users')).toEqual({ l: ['users.age[expression]'] });
  });

  it('a table used as a value is unresolved', () => {
    expect(reasons('select u as r from raw.users u')).toEqual(['u is a table: a whole row used as a value is not analysed']);
  });
});

describe('output columns: how many, and under which names', () => {
  it('an expression without an alias is named by the engine; a column reference keeps its name', () => {
    expect(shapes('select email, u.age, (name), lower(name), 1 from raw.users u')).toEqual([['email', 'named'], ['age', 'named'], ['name', 'named'], ['_col3', 'unnamed'], ['_col4', 'unnamed']]);
  });

  it('columns(), unnest() and stars over unknown columns may stand for several columns', () => {
    expect(shapes("select columns('a.*') from raw.users")).toEqual([['columns(…)', 'many']]);
    expect(shapes('select unnest([age]) as a from raw.users')).toEqual([['unnest(…)', 'many']]);
    expect(shapes("select * from read_csv('x.csv')")).toEqual([['*', 'many']]);
    expect(shapes('select * replace (1 as age) from raw.users')).toEqual([['*', 'many']]);
  });

  it('a reference by name into a relation also reaches the columns before it whose names the engine chose', () => {
    expect(s('select "lower(email)" as v from (select lower(email), 1 as "lower(email)" from raw.users) x')).toEqual({ v: ['users.email[expression]'] });
    expect(s('select n from (select 1 as n, lower(email) from raw.users) x')).toEqual({ n: [] });
    expect(s('select x.a from (select email as a, 1 as a from raw.users) x')).toEqual({ a: ['users.email'] });
  });

  it('FROM without SELECT is SELECT *', () => {
    expect(Object.keys(s('from raw.users'))).toEqual(['id', 'email', 'name', 'age']);
  });

  it('VALUES: the engine names the columns unless aliased', () => {
    expect(shapes('select * from (values (1, 2)) v')).toEqual([['col0', 'unnamed'], ['col1', 'unnamed']]);
    expect(s('select a, b from (values ((select max(email) from raw.users), 2)) v(a, b)')).toEqual({ a: ['users.email[expression]'], b: [] });
  });

  it('set operations: BY NAME and branches of different widths are not analysed', () => {
    expect(shapes('select id from raw.users union all by name select id from raw.orders')).toEqual([['set operation', 'many']]);
    expect(shapes('select id from raw.users union all select id, amount from raw.orders')).toEqual([['set operation', 'many']]);
  });
});

describe('stars over joins expand as the engine does', () => {
  it('USING and NATURAL columns appear once; SEMI and ANTI joins add nothing', () => {
    expect(Object.keys(s('select * from raw.users join raw.orders using (id)'))).toEqual(['id', 'email', 'name', 'age', 'user_id', 'amount', 'created_at']);
    expect(s('select * from raw.users join raw.orders using (id)').id).toEqual(['users.id', 'orders.id']);
    expect(Object.keys(s('select * from raw.users natural join raw.orders'))).toEqual(['id', 'email', 'name', 'age', 'user_id', 'amount', 'created_at']);
    expect(Object.keys(s('select * from raw.users u semi join raw.orders o on o.user_id = u.id'))).toEqual(['id', 'email', 'name', 'age']);
  });

  it('EXCLUDE drops exactly the columns it names, per table when qualified', () => {
    expect(Object.keys(s('select * exclude (id) from raw.users, raw.orders'))).toEqual(['email', 'name', 'age', 'user_id', 'amount', 'created_at']);
    expect(Object.keys(s('select * exclude (u.id) from raw.users u, raw.orders o'))).toEqual(['email', 'name', 'age', 'id', 'user_id', 'amount', 'created_at']);
    expect(reasons('select * exclude (nope) from raw.users')).toEqual(['EXCLUDE names nope, which * does not have']);
  });

  it('a NATURAL JOIN with a relation of unknown columns leaves every unqualified name unresolved', () => {
    expect(reasons("select age from raw.users natural join read_csv('x.csv')")[0]).toMatch(/^a NATURAL JOIN with table function read_csv is not analysed/);
  });
});

describe('a model is a relation of known columns to its children only when its lineage is complete', () => {
  const cases: [string, string, RegExp][] = [
    ['its SQL cannot be parsed', 'select #1 from raw.users', /its SQL could not be analysed \(sql parser error/],
    ['a star over a table function', "select * from read_csv('x.csv')", /table function read_csv is not analysed/],
    ['columns()', 'select columns(*) from raw.users', /columns\(\)/],
    ['two columns of one name', 'select id, email as id from raw.users', /it has two columns named id/],
  ];
  it.each(cases)('not when %s', (_what, sql, reason) => {
    const up = model('up', sql);
    const out = lineageOf('select * from main.up', [up]).columns;
    expect(out.map((c) => c.shape)).toEqual(['many']);
    expect(out[0]!.unresolved[0]!.reason).toMatch(/^the columns of up are not known: /);
    expect(out[0]!.unresolved[0]!.reason).toMatch(reason);
    expect(lineageOf('select id from main.up', [up]).project.pii['model.t.m']).toEqual({ id: 'unknown' });
  });

  it('its engine-named columns stay in the catalog, reachable by any name', () => {
    const up = model('up', 'select lower(email), 1 as "lower(email)" from raw.users');
    expect(s('select "lower(email)" as v from main.up', [up])).toEqual({ v: ['up.lower(email)', 'up._col0'] });
  });
});

describe('queries over the project (data tests, inline SQL) have a status per column', () => {
  it('session.query gives each output column its personal-data status', () => {
    const nodes = Object.fromEntries([...SOURCES, model('up', 'select id, email from raw.users')].map((n) => [n.unique_id, n]));
    const session = lineageSession({ nodes, dialect: 'duckdb' });
    const q = session.query('select u.id, u.email, count(*) as n, lower(u.email) from main.up u group by all');
    expect(q.columns?.map((c) => [c.name, c.status, c.shape ?? 'named'])).toEqual([['id', 'none', 'named'], ['email', 'pii', 'named'], ['n', 'none', 'named'], ['_col3', 'derived', 'unnamed']]);
    expect(session.query('select #1').error).toMatch(/sql parser error/);
  });
});
