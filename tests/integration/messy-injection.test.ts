/**
 * `--vars` values and YAML test arguments reach SQL only as quoted literals or validated
 * identifiers: an injection attempt through either is a harmless literal or a compile error,
 * never executed SQL. Real builds on a copy of the mini fixture (and of the STEDI project).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, query, readJson, removeFixtures, REPO, resultOf, stedi, write } from '../helpers/stedi.js';
import { removeCopies, stediWithCorpus } from './messy-helpers.js';

afterAll(() => {
  removeFixtures();
  removeCopies();
});

const INJECT = "DE' or '1'='1";

/** The mini project plus models and a custom test that use a var and a YAML argument. */
function project(): string {
  const dir = copyFixture('mini');
  write(dir, 'models/trusted/by_country.sql', "{{ config(entity='customer') }}\nselect email, country from {{ ref('customer_trusted') }} where country = {{ literal(var('country', 'DE')) }}\n");
  write(dir, 'models/trusted/by_country_printed.sql', "{{ config(entity='customer') }}\nselect email, country from {{ ref('customer_trusted') }} where country = {{ var('country', 'DE') }} or false\n");
  write(dir, 'models/trusted/by_country_quoted.sql', "{{ config(entity='customer') }}\nselect email, country from {{ ref('customer_trusted') }} where country = '{{ var('country', 'DE') }}'\n");
  // a custom generic test that prints its argument as it is: fails with every row equal to `value`
  write(dir, 'macros/forbidden_value.sql', '{% macro test_forbidden_value(model, column_name, value) %}\nselect * from {{ model }} where {{ column_name }} = {{ value }}\n{% endmacro %}\n');
  write(dir, 'models/trusted/injection.yml', `version: 2
models:
  - name: by_country
    columns:
      - name: country
        tests:
          - forbidden_value: { value: "'ZZ' or 1=1" }
`);
  return dir;
}

describe('--vars', () => {
  it('a plain value works as intended', async () => {
    const dir = project();
    const r = await stedi(dir, ['build', '--vars', '{country: FR}', '--exclude', 'by_country_printed']);
    expect(r.code, explain(r)).toBe(0);
    expect(await query(dir, 'select email from trusted.by_country')).toEqual([{ email: 'bob@mini.example' }]);
    expect(await query(dir, 'select email from trusted.by_country_quoted')).toEqual([{ email: 'bob@mini.example' }]);
  });

  it("an injection attempt is one quoted literal wherever the var is printed: it matches no row and runs nothing else", async () => {
    const dir = project();
    // the quoted model would be broken SQL under this var (next test): a compile error of the whole project
    fs.rmSync(path.join(dir, 'models/trusted/by_country_quoted.sql'));
    const r = await stedi(dir, ['build', '--vars', `{country: "${INJECT}"}`]);
    expect(r.code, explain(r)).toBe(0);
    const m = readJson(dir, 'target/manifest.json');
    expect(m.nodes['model.mini.by_country'].compiled_code).toContain("where country = 'DE'' or ''1''=''1'");
    expect(m.nodes['model.mini.by_country_printed'].compiled_code).toContain("where country = 'DE'' or ''1''=''1' or false");
    expect(await query(dir, 'select count(*) as n from trusted.by_country')).toEqual([{ n: '0' }]);
    expect(await query(dir, 'select count(*) as n from trusted.by_country_printed')).toEqual([{ n: '0' }]);
  });

  it("a template that puts its own quotes around the var gets broken SQL, not injected SQL: the compile stops, nothing runs or is published", async () => {
    const dir = project();
    const ok = await stedi(dir, ['build', '--select', '+by_country_quoted']);
    expect(ok.code, explain(ok)).toBe(0);
    const r = await stedi(dir, ['build', '--select', 'by_country_quoted', '--vars', `{country: "${INJECT}"}`]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/E_SQL_SYNTAX models\/trusted\/by_country_quoted\.sql:2: .*syntax error/);
    expect(await query(dir, 'select email from trusted.by_country_quoted')).toEqual([{ email: 'alice@mini.example' }]);
  });

  it('ident() and number() refuse a value that is not one: compile error, exit 2, nothing runs', async () => {
    const dir = project();
    write(dir, 'models/trusted/pick.sql', "{{ config(entity='customer') }}\nselect {{ ident(var('col', 'email')) }} from {{ ref('customer_trusted') }} limit {{ number(var('lim', 1)) }}\n");
    const r = await stedi(dir, ['build', '--vars', '{col: "email from x; drop table y; --", lim: "1; select 1"}']);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/E_BAD_IDENTIFIER/);
    expect(r.stderr).toMatch(/E_BAD_NUMBER/);
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
  });

  it('STEDI: an injection through consent_policy stops the compile', async () => {
    const dir = stediWithCorpus();
    const r = await stedi(dir, ['compile', '--vars', `{consent_policy: "as_of_date' or '1'='1"}`]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/E_COMPILER_ERROR .*Unknown consent_policy/);
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
  });
});

describe('YAML test arguments', () => {
  it('an argument that is not an identifier is a quoted literal in the test: the injected "or 1=1" never runs', async () => {
    const dir = project();
    const r = await stedi(dir, ['build', '--exclude', 'by_country_printed']);
    expect(r.code, explain(r)).toBe(0);
    const t = resultOf(dir, 'test.mini.forbidden_value_by_country_country_ZZ_or_1_1');
    // printed as it is, `where country = 'ZZ' or 1=1` would fail with every row
    expect(t).toMatchObject({ status: 'pass', failures: 0 });
    expect(readJson(dir, 'target/manifest.json').nodes[t.unique_id].compiled_code).toContain("where country = '''ZZ'' or 1=1'");
  });

  it('a column argument that is not an identifier is a compile error', async () => {
    const dir = project();
    write(dir, 'models/trusted/injection.yml', `version: 2
models:
  - name: by_country
    columns:
      - name: country
        tests:
          - relationships: { to: "ref('customer_trusted')", field: "country or 1=1 --" }
`);
    const r = await stedi(dir, ['compile']);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/E_BAD_IDENTIFIER .*'country or 1=1 --' is not a valid identifier/);
  });
});

it('the STEDI project itself prints no var and no argument raw', () => {
  // every custom test argument of the project is an identifier or a ref/source; reconciles quotes its rule
  const macro = fs.readFileSync(path.join(REPO, 'macros/tests/reconciles.sql'), 'utf8');
  expect(macro).toContain('{{ literal(total_rule) }}');
  expect(macro).not.toContain("'{{ total_rule }}'");
});
