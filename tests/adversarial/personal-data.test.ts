/**
 * Guarantee: personal data never reaches a `pii_allowed: false` model, and what column lineage
 * cannot prove free of personal data counts as personal (fail closed). Each case is a model
 * with `pii_allowed: false` reading customer data through one construct; the compile must stop
 * with E_PII_LINEAGE (proven personal) or E_PII_UNVERIFIED (not provable) naming the model's
 * file. The positive controls must compile: the STEDI project itself, and the ordinary SQL of
 * an ML or audit table (counts, the derived subject_key, aggregates and windows over non-personal
 * columns). A hash of personal data computed in SQL is never a pseudonym, keyed or not: the one
 * pseudonym is the column a landing source derives at ingestion.
 * End to end through the real CLI on a real DuckDB: `stedi build` refuses such a model and
 * writes nothing of it, and `stedi show --inline` with such constructs over a built project prints
 * no email, name or phone number, anywhere.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFiles } from '../unit/compiler/harness.js';
import { loadProject } from '../../runner/project/load.js';
import { compileForTarget } from '../../runner/compiler/for-target.js';
import { copyFixture, copyProjectInto, CUSTOMER_LANDING, explain, ndjson, query, readJson, removeFixtures, REPO, stedi, type Finished, write } from '../helpers/stedi.js';

const SOURCES = `version: 2
sources:
  - name: landing
    tables:
      - name: customer
        location: "{{ var('landing_root') }}/customer/landing"
        columns:
          - { name: customerName, data_type: varchar, meta: { pii: true } }
          - { name: email, data_type: varchar, meta: { pii: true } }
          - { name: phone, data_type: varchar, meta: { pii: true } }
          - { name: n, data_type: bigint }
          - { name: country, data_type: varchar }
          - { name: subject_key, data_type: varchar, derived: { pseudonym_of: email } }
`;

/** What the project's subject_key() macro was: a keyed hash in SQL. Now a project macro like any other. */
const SUBJECT_KEY_MACRO = "{% macro subject_key(expr) -%}sha256('k' || ':' || lower({{ expr }})){%- endmacro %}";

/** customer_curated: personal data allowed, as in the STEDI project. */
const CURATED = `{{ config(zone='trusted', pii_allowed=true) }}
select customerName as customer_name, email, phone, n, country, subject_key from {{ source('landing', 'customer') }}`;

const BASE: Record<string, string> = {
  'models/sources.yml': SOURCES,
  'models/trusted/customer_curated.sql': CURATED,
  'seeds/rules.csv': 'entity,rule,n\ncustomer,landing,1\n',
};

const CC = "{{ ref('customer_curated') }}";
const LC = "{{ source('landing', 'customer') }}";
const FILE = 'models/ml/leak.sql';

function compile(sql: string, opts: { target?: string; extra?: Record<string, string> } = {}) {
  const out = compileFiles({ ...BASE, 'macros/subject_key.sql': SUBJECT_KEY_MACRO, ...opts.extra, [FILE]: `{{ config(pii_allowed=false) }}\n${sql}` }, { target: opts.target ?? 'local' });
  return out.diagnostics.filter((d) => d.severity === 'error');
}

/** [what, SQL of the pii_allowed: false model]. */
const LEAKS: [string, string][] = [
  // DuckDB star expressions and reflection
  ["columns('e.*') (a regular expression over names)", `select columns('e.*') from ${CC} e`],
  ['columns(*)', `select columns(*) from ${CC}`],
  ['columns() with a lambda', `select columns(c -> c like '%mail%') from ${CC}`],
  ['coalesce(*columns(*))', `select coalesce(*columns(*)) from ${CC}`],
  ['a positional reference #2', `select #2 from ${CC}`],
  ['struct_pack(*)', `select struct_pack(*) as s from ${CC}`],
  ['hash(t.*)', `select hash(c.*) as h from ${CC} c`],
  ['struct_pack(* exclude (n))', `select struct_pack(* exclude (n)) as s from ${CC}`],
  ['the table as a value (a row as a struct)', `select c as row_value from ${CC} c`],
  ['to_json of the table alias', `select to_json(c) as j from ${CC} c`],
  ['cast of the table alias', `select cast(c as varchar) as v from ${CC} c`],
  ['a struct field of a struct column', `select s.email from (select {'email': email} as s from ${CC}) t`],
  ['DuckDB prefix alias n: email', `select n: email from ${CC}`],
  ['FROM without SELECT', `from ${CC}`],
  ['FROM without SELECT in a CTE', `with x as (from ${LC}) select * from x`],
  ['unnest of a struct (expands into columns)', `select unnest({'n': email}) from ${CC}`],
  ['unnest of a list', `select unnest([email]) as e from ${CC}`],
  ['unnest of a struct next to a clean column of the same name, read by name', `with x as (select unnest({'n': email}), 5 as n from ${CC}) select n from x`],
  ['unpack(columns(*))', `select struct_pack(unpack(columns(*))) as s from ${CC}`],
  ['the old subject key session variable', "select getvariable('stedi_subject_key') as k"],
  ['a setting read by name', "select current_setting('s3_secret_access_key') as s"],
  ['a query parameter', 'select ? as p'],
  ['query() in FROM', `select * from query('select email from customer_curated')`],
  ['query_table() in FROM', "select * from query_table('customer_curated')"],
  ['current_query()', 'select current_query() as q'],
  // stars
  ['select *', `select * from ${CC}`],
  ['select * from the landing source', `select * from ${LC}`],
  ['t.*', `select c.* from ${CC} c`],
  ['* EXCLUDE of a clean column', `select * exclude (n) from ${CC}`],
  ['* EXCLUDE of a column that does not exist', `select * exclude (nope) from ${CC}`],
  ['* REPLACE', `select * replace (1 as n) from ${CC}`],
  ['* RENAME', `select * rename (email as n) from ${CC}`],
  ['* ILIKE', `select * ilike '%mail%' from ${CC}`],
  ['* LIKE', `select * like '%mail%' from ${CC}`],
  ['a star over a subquery', `select * from (select email from ${CC}) s`],
  ['a star over a table function', "select * from read_json('seeds/landing/customer/landing/*.json')"],
  ['a file read by its path', "select * from 'seeds/landing/customer/landing/part-0001.json'"],
  ['a column of a table function', "select email from read_csv('customers.csv')"],
  ['a column of a table function through a subquery', "select t.n from (select * from read_csv('customers.csv')) t"],
  ['NATURAL JOIN with a table function', `select * from ${CC} natural join read_csv('x.csv')`],
  ['a star with USING', `select * from ${CC} a join ${CC} b using (n)`],
  ['POSITIONAL JOIN', `select * from {{ ref('rules') }} positional join ${CC}`],
  ['ASOF JOIN', `select r.n from {{ ref('rules') }} r asof join ${CC} c on r.n >= c.n`],
  ['SEMI JOIN star is still read', `select * from ${CC} c semi join {{ ref('rules') }} r on r.n = c.n`],
  ['LATERAL', `select l.x from ${CC} c, lateral (select c.email as x) l`],
  ['unnest in FROM', `select u.x from ${CC} c, unnest([c.email]) as u(x)`],
  ['PIVOT in FROM', `select * from ${CC} pivot (count(*) for email in ('a@example.com'))`],
  ['the DuckDB PIVOT statement', `pivot ${CC} on email using count(*)`],
  ['UNPIVOT', `select * from ${CC} unpivot (v for k in (email, phone))`],
  ['VALUES carrying a subquery', `select x from (values ((select max(email) from ${CC}))) v(x)`],
  ['VALUES without aliases', `select * from (values ((select max(phone) from ${CC}))) v`],
  // set operations
  ['UNION', `select n from ${CC} union all select email from ${CC}`],
  ['UNION BY NAME', `select 1 as n union all by name select email as n from ${CC}`],
  ['set operation with mismatched arity', `select n from ${CC} union all select email, n from ${CC}`],
  ['INTERSECT', `select email from ${CC} intersect select email from ${CC}`],
  ['WITH RECURSIVE', `with recursive r(n) as (select email from ${CC} union all select n from r where false) select n from r`],
  // expressions that carry the value
  ['a renamed copy', `select email as contact from ${CC}`],
  ['a quoted identifier', `select "email" as contact from ${CC}`],
  ['a plain hash', `select md5(email) as h from ${CC}`],
  ['a keyed hash in SQL', `select sha256('k' || ':' || lower(email)) as h from ${CC}`],
  ['a subject_key() macro of the project (no longer a pseudonymiser)', `select {{ subject_key('email') }} as h from ${CC}`],
  ['the email next to the derived subject_key', `select subject_key, email from ${CC}`],
  ['the pseudonym combined with the email', `select subject_key || email as k from ${CC}`],
  ['JSON arrow on a personal column', `select email -> '$' as j from ${CC}`],
  ['a lambda parameter named like the column', `select list_transform([1], email -> email) as l from ${CC}`],
  ['a lambda over a list of personal data', `select list_transform([email], x -> upper(x)) as l from ${CC}`],
  ['a lambda capturing an outer column', `select list_transform([1], x -> phone) as l from ${CC}`],
  ['a struct literal', `select {'a': email} as s from ${CC}`],
  ['a struct field access', `select {'a': email}.a as a from ${CC}`],
  ['a map key', `select map {email: 1} as m from ${CC}`],
  ['a named argument', `select struct_pack(k := phone) as s from ${CC}`],
  ['an array subquery', `select array(select email from ${CC}) as a`],
  ['a scalar subquery', `select (select max(email) from ${CC}) as e`],
  ['a window over personal data', `select max(email) over () as m from ${CC}`],
  ['an aggregate ORDER BY', `select string_agg(n::varchar, ',' order by email) as s from ${CC}`],
  ['WITHIN GROUP', `select mode() within group (order by phone) as p from ${CC}`],
  ['if()', `select if(n > 0, email, null) as e from ${CC}`],
  ['a subscript', `select email[1:3] as e from ${CC}`],
  ['an unaliased expression', `select lower(email) from ${CC}`],
  ['an unaliased expression shadowing a clean name, read by name', `with x as (select lower(email), 1 as "lower(email)" from ${CC}) select "lower(email)" as v from x`],
  ['two columns of one name in a subquery', `select x.a from (select email as a, 1 as a from ${CC}) x`],
  ['JSON access with a colon', `select email:x as v from ${CC}`],
  ['TRY_CAST', `select try_cast(phone as bigint) as p from ${CC}`],
  ['a table-qualified star over the landing source in a join', `select l.* exclude (n) from ${LC} l join {{ ref('rules') }} r on r.n = l.n`],
];

/** Models that allow personal data but whose columns lineage cannot know: their children cannot prove anything. */
const OPAQUE_PARENTS: [string, string, string][] = [
  ['a parent lineage cannot parse', `select #1, #2 from ${CC}`, 'select n from {{ ref("wide") }}'],
  ['a parent with columns(*)', `select columns(*) from ${CC}`, 'select n from {{ ref("wide") }}'],
  ['a parent with a star over a table function', "select * from read_csv('x.csv')", 'select * from {{ ref("wide") }}'],
  ['a parent with two columns of one name', `select 1 as n, email as n from ${CC}`, 'select * from {{ ref("wide") }}'],
  ['a parent with an unaliased expression before a clean name', `select lower(email), 1 as "lower(email)" from ${CC}`, 'select "lower(email)" as v from {{ ref("wide") }}'],
  ['a parent with * REPLACE', `select * replace (email as n) from ${CC}`, 'select n from {{ ref("wide") }}'],
];

describe('pii_allowed: false refuses every way of reading personal data (local)', () => {
  it.each(LEAKS)('%s', (_what, sql) => {
    const errors = compile(sql);
    expect(errors.length, JSON.stringify(errors)).toBeGreaterThan(0);
    for (const e of errors) {
      expect(['E_PII_LINEAGE', 'E_PII_UNVERIFIED']).toContain(e.code);
      expect(e.file).toBe(FILE);
      expect(e.hint).toBeTruthy();
    }
  });

  it.each(OPAQUE_PARENTS)('reading %s', (_what, parent, sql) => {
    const errors = compile(sql, { extra: { 'models/trusted/wide.sql': `{{ config(zone='trusted') }}\n${parent}` } });
    expect(errors.length, JSON.stringify(errors)).toBeGreaterThan(0);
    for (const e of errors) expect([e.file, ['E_PII_LINEAGE', 'E_PII_UNVERIFIED'].includes(e.code)]).toEqual([FILE, true]);
  });
});

describe('pii_allowed: false refuses on Athena too (generic SQL dialect)', () => {
  it.each([
    ['select *', `select * from ${CC}`],
    ['a parse error', `select #2 from ${CC}`],
    ['a query parameter', 'select ? as p'],
    ['the email next to the derived subject_key', `select subject_key, email from ${CC}`],
    ['a table function', `select * from ${CC} cross join unnest(array[1]) as u(x)`],
    ['a renamed copy', `select phone as p from ${CC}`],
    ['a lambda', `select transform(array[email], x -> upper(x)) as l from ${CC}`],
  ])('%s', (_what, sql) => {
    const errors = compile(sql, { target: 'athena' });
    expect(errors.length, JSON.stringify(errors)).toBeGreaterThan(0);
    for (const e of errors) expect(['E_PII_LINEAGE', 'E_PII_UNVERIFIED']).toContain(e.code);
  });
});

describe('a model lineage cannot read is one error for the model', () => {
  it('names the file, gives the parser reason and a hint, even when the model declares no columns', () => {
    const errors = compile(`select #2 from ${CC}`);
    expect(errors).toEqual([expect.objectContaining({ code: 'E_PII_UNVERIFIED', file: FILE, line: 1 })]);
    expect(errors[0]!.message).toMatch(/^cannot show that any column of leak is free of personal data, and leak has pii_allowed: false: column lineage cannot read its compiled SQL \(sql parser error: .*\)$/);
    expect(errors[0]!.hint).toMatch(/one SELECT/);
  });

  it('says which construct is not analysed', () => {
    const [e] = compile(`select columns('e.*') from ${CC} e`);
    expect(e!.message).toContain("columns(…): columns() reaches columns, settings or data by name or pattern");
    const [p] = compile(`select n from ${CC} union all by name select country as n from ${CC}`);
    expect(p).toEqual(expect.objectContaining({ code: 'E_PII_UNVERIFIED' }));
    expect(p!.message).toContain('BY NAME matches columns by name, which is not analysed');
  });
});

const CLEAN: [string, string][] = [
  ['count(*)', `select count(*) as customers from ${CC}`],
  ['count(distinct email)', `select count(distinct email) as customers from ${CC}`],
  ['count() with FILTER on personal data', `select count(*) filter (where email like '%@example.com') as at_example from ${CC}`],
  ['the derived subject_key', `select subject_key, n from ${CC}`],
  ['the derived subject_key of the landing source', `select c.subject_key from ${LC} c`],
  ['the derived subject_key joined on the email', `select l.subject_key from ${CC} c join ${LC} l on l.email = c.email`],
  ['aggregates of non-personal columns', `select country, sum(n) as total, avg(n) as mean, max(n) as top from ${CC} group by country`],
  ['a CTE', `with per_country as (select country, count(*) as c from ${CC} group by country) select country, c from per_country`],
  ['a union', `select country, n from ${CC} union all select entity, n from {{ ref('rules') }}`],
  ['a window over non-personal columns', `select n, row_number() over (partition by country order by n) as rn, sum(n) over (order by n rows between 1 preceding and current row) as running from ${CC}`],
  ['a window partitioned by personal data (it only decides)', `select n, rank() over (partition by email order by n) as r from ${CC}`],
  ['CASE on personal data deciding a literal', `select case when email like '%@example.com' then 'example' else 'other' end as domain_kind from ${CC}`],
  ['filters and joins on personal data', `select c.n from ${CC} c join ${LC} l on l.email = c.email where c.phone is not null`],
  ['EXISTS over personal data', `select n from ${CC} c where exists (select 1 from ${LC} l where l.email = c.email)`],
  ['* EXCLUDE of every personal column', `select * exclude (customer_name, email, phone) from ${CC}`],
  ['a star over a seed', "select * from {{ ref('rules') }}"],
  ['FROM without SELECT over a seed', "from {{ ref('rules') }}"],
  ['VALUES with aliases', 'select a, b from (values (1, 2)) v(a, b)'],
  ['literals, casts and date functions', `select cast(n as double) / 2 as half, date '2024-01-01' as day, n::varchar || '-' || country as label from ${CC}`],
  ['a lambda over a non-personal list', `select list_transform([n, n + 1], x -> x * 2) as doubled from ${CC}`],
  ['a function of the derived subject_key', `select upper(subject_key) as k, count(*) as n from ${CC} group by 1`],
];

describe('positive controls compile', () => {
  it.each(CLEAN)('%s', (_what, sql) => {
    expect(compile(sql)).toEqual([]);
  });

  it.each(['local', 'athena'])('the STEDI project compiles (%s)', (target) => {
    const loaded = loadProject(REPO);
    expect(loaded.project).toBeDefined();
    const c = compileForTarget(loaded.project!, { target, now: new Date(0) });
    expect([...c.configDiagnostics, ...c.compileDiagnostics].filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('the derived subject_key is accepted on Athena', () => {
    expect(compile(`select subject_key as k, n from ${CC}`, { target: 'athena' })).toEqual([]);
  });
});

/** The mini fixture with a phone number on every customer (the e2e cases search the output for every value). */
function projectWithPhones(): { dir: string; personal: string[] } {
  const dir = copyFixture();
  const people = [
    { email: 'alice@mini.example', name: 'Alice Anders', phone: '+49 170 5550101', n: 1, country: 'DE' },
    { email: 'bob@mini.example', name: 'Bob Brown', phone: '+33 6 55 50 01 02', n: 2, country: 'FR' },
    { email: 'carol@mini.example', name: 'Carol Clark', phone: '+39 333 555 0103', n: 3, country: 'IT' },
  ];
  write(dir, CUSTOMER_LANDING, ndjson(people));
  const sources = fs.readFileSync(path.join(dir, 'models/landing/sources.yml'), 'utf8');
  write(dir, 'models/landing/sources.yml', sources.replace('          - { name: n, data_type: bigint }', '          - { name: phone, data_type: varchar, meta: { pii: true } }\n          - { name: n, data_type: bigint }\n          - { name: subject_key, data_type: varchar, derived: { pseudonym_of: email } }'));
  write(dir, 'models/trusted/customer_trusted.sql', "{{ config(entity='customer', tags=['customer']) }}\nselect email, name, phone, n, country, subject_key\nfrom {{ source('landing', 'customer') }}\n");
  return { dir, personal: people.flatMap((p) => [p.email, p.name, p.phone, p.phone.replace(/\s/g, '')]) };
}

function expectNothingPersonal(r: Finished, personal: string[]): void {
  for (const v of personal) {
    expect(r.stdout.includes(v), `stdout shows a personal value:\n${r.stdout}`).toBe(false);
    expect(r.stderr.includes(v), `stderr shows a personal value:\n${r.stderr}`).toBe(false);
  }
}

describe('through the CLI on a real DuckDB', () => {
  let dir: string;
  let personal: string[];

  beforeAll(async () => {
    ({ dir, personal } = projectWithPhones());
    const r = await stedi(dir, ['build', '-q']);
    expect(r.code, explain(r)).toBe(0);
  });
  afterAll(removeFixtures);

  it.each([
    ["columns('e.*')", "select columns('e.*') from {{ ref('customer_trusted') }} e"],
    ['columns(*)', "select columns(*) from {{ ref('customer_trusted') }}"],
    ['#2', "select #2 from {{ ref('customer_trusted') }}"],
    ['PIVOT', "select * from {{ ref('customer_trusted') }} pivot (count(*) for email in ('alice@mini.example'))"],
    ['FROM without SELECT', "from {{ ref('customer_trusted') }}"],
  ])('stedi build refuses a pii_allowed: false model using %s with exit 2 and writes nothing of it', async (_what, sql) => {
    write(dir, 'models/curated/leak.sql', `{{ config(pii_allowed=false) }}\n${sql}\n`);
    try {
      const r = await stedi(dir, ['build']);
      expect(r.code, explain(r)).toBe(2);
      expect(r.stderr).toMatch(/error E_PII_(UNVERIFIED|LINEAGE) models\/curated\/leak\.sql:\d+: /);
      expect(r.stderr).toContain('hint: ');
      expectNothingPersonal(r, personal);
      expect(fs.readdirSync(path.join(dir, 'lake'), { recursive: true }).map(String).filter((f) => f.includes('leak'))).toEqual([]);
      expect(await query(dir, "select table_name from information_schema.tables where table_name = 'leak'")).toEqual([]);
    } finally {
      fs.rmSync(path.join(dir, 'models/curated/leak.sql'));
    }
  });

  const SHOWN: [string, string][] = [
    ["columns('e.*')", "select columns('e.*') from {{ ref('customer_trusted') }} e"],
    ['columns(*)', "select columns(*) from {{ ref('customer_trusted') }}"],
    ['#2 (a parse error)', "select #1, #2, #3 from {{ ref('customer_trusted') }}"],
    ['a dynamic PIVOT (its column names are emails)', "pivot {{ ref('customer_trusted') }} on email using count(*)"],
    ['a PIVOT in FROM', "select * from {{ ref('customer_trusted') }} pivot (max(phone) for country in ('DE', 'FR'))"],
    ['unnest of a struct named like a clean column', "select 5 as n, unnest({'n': email}) from {{ ref('customer_trusted') }}"],
    ['the prefix alias n: email', "select n: email from {{ ref('customer_trusted') }}"],
    ['the table as a value', "select c from {{ ref('customer_trusted') }} c"],
    ['FROM without SELECT', "from {{ ref('customer_trusted') }}"],
    ['an unaliased expression', "select lower(email), upper(name), phone || '' from {{ ref('customer_trusted') }}"],
    ['the landing files read directly', "select * from read_json('seeds/landing/customer/landing/*.json')"],
    ['a query parameter-free reflective query', "select * from query('select * from ' || 'trusted.customer_trusted')"],
  ];

  it.each(SHOWN)('stedi show --inline with %s prints no personal data and masks the columns', async (_what, sql) => {
    for (const output of ['json', 'table']) {
      const r = await stedi(dir, ['show', '--inline', sql, '--output', output]);
      expect(r.code, explain(r)).toBe(0);
      expectNothingPersonal(r, personal);
      expect(r.stdout).toContain('<masked #');
      expect(r.stderr).toMatch(/masked/);
    }
  });

  it('shows what lineage proves clean, masks the rest, and names masked columns on stderr', async () => {
    const r = await stedi(dir, ['show', '--inline', "select n, country, count(*) over () as total, subject_key as k, phone, lower(email) as contact, columns('^na') from {{ ref('customer_trusted') }} order by n", '--output', 'json']);
    expect(r.code, explain(r)).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows.map((row) => [row.n, row.country, row.total])).toEqual([[1, 'DE', 3], [2, 'FR', 3], [3, 'IT', 3]]);
    expect(String(rows[0]!.k)).toMatch(/^[0-9a-f]{64}$/); // pseudonymised: shown
    for (const row of rows) for (const c of ['phone', 'contact']) expect(String(row[c])).toMatch(/^<masked #[0-9a-f]{4}>$/);
    expect(r.stderr).toContain('2 columns hold personal data and are masked: phone, contact (--unmask shows the values)');
    expect(r.stderr).toMatch(/1 column is masked because column lineage cannot prove it free of personal data: <column #[0-9a-f]{4}>/);
    expectNothingPersonal(r, personal);
  });

  it('--unmask still shows the values, saying which columns are personal or unproven', async () => {
    const r = await stedi(dir, ['show', '--unmask', '--inline', "select phone, columns('^na') from {{ ref('customer_trusted') }}", '--output', 'json']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain('+49 170 5550101');
    expect(r.stderr).toContain('showing personal data unmasked (--unmask): phone');
    expect(r.stderr).toContain('showing columns that column lineage cannot prove free of personal data unmasked (--unmask): name');
  });

  it('show --select a model whose columns lineage cannot know masks every column', async () => {
    write(dir, 'models/trusted/wide.sql', "{{ config(entity='customer') }}\nselect columns(*) from {{ ref('customer_trusted') }}\n");
    try {
      const b = await stedi(dir, ['build', '--select', 'wide', '-q']);
      expect(b.code, explain(b)).toBe(0);
      const r = await stedi(dir, ['show', '--select', 'wide', '--output', 'json']);
      expect(r.code, explain(r)).toBe(0);
      const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
      expect(rows).toHaveLength(3);
      for (const row of rows) for (const v of Object.values(row)) expect(String(v)).toMatch(/^<masked #[0-9a-f]{4}>$/);
      expectNothingPersonal(r, personal);
    } finally {
      fs.rmSync(path.join(dir, 'models/trusted/wide.sql'));
    }
  });

  it('a data test sample shows only the columns lineage proves clean', async () => {
    write(dir, 'macros/tests/everything.sql', "{% macro test_everything(model) %}\nselect n, country, columns('^(email|phone)$'), count(*) over () as rows_total from {{ model }}\n{% endmacro %}\n");
    write(dir, 'models/trusted/schema.yml', fs.readFileSync(path.join(dir, 'models/trusted/schema.yml'), 'utf8').replace('  - name: customer_trusted\n', '  - name: customer_trusted\n    tests: [everything]\n'));
    const r = await stedi(dir, ['test', '--select', 'customer_trusted']);
    expect(r.code, explain(r)).toBe(1);
    expectNothingPersonal(r, personal);
    const results = readJson<{ results: { unique_id: string; sample?: Record<string, unknown>[] }[] }>(dir, 'target/run_results.json').results;
    const sample = results.find((x) => x.unique_id.startsWith('test.mini.everything'))!.sample!;
    expect(sample).toHaveLength(3);
    for (const row of sample) {
      expect(typeof row.n).toBe('number');
      expect(row.rows_total).toBe(3);
      expect(Object.entries(row).filter(([k]) => k !== 'n' && k !== 'country' && k !== 'rows_total').every(([k, v]) => /^<column #/.test(k) && /^<masked #/.test(String(v)))).toBe(true);
    }
    expect(JSON.stringify(results)).not.toMatch(/@mini\.example|\+49/);
  });
});

describe('the STEDI project through the CLI', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-project-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('its data-test samples still show their non-personal columns and mask the rest', async () => {
    copyProjectInto(dir);
    const r = await stedi(dir, ['build', '-q'], { env: { STEDI_SUBJECT_KEY: 'adversarial-test-key-0123456789abcdef' } });
    expect(r.code, explain(r)).toBe(0);
    const results = readJson<{ results: { unique_id: string; sample?: Record<string, unknown>[] }[] }>(dir, 'target/run_results.json').results;
    const sample = (id: string) => results.find((x) => x.unique_id === id)?.sample;
    expect(sample('test.stedi.ambiguous_devices_step_trainer_trusted')).toEqual([{ ambiguous_devices: 2, excluded_readings: 6 }]);
    expect(sample('test.stedi.unique_customer_curated_serial_number')).toEqual([{ unique_field: expect.stringMatching(/^<masked #[0-9a-f]{4}>$/), n_records: 2 }]);
  });
});
