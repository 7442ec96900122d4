import { describe, expect, it } from 'vitest';
import { dispatchChain } from '../../../runner/compiler/render-env.js';
import { duckdbDialect } from '../../../runner/dialect/duckdb.js';
import { trinoDialect } from '../../../runner/dialect/trino.js';
import { MANIFEST_SCHEMA_VERSION } from '../../../runner/manifest/types.js';
import { codes, compileFiles, model, tests } from './harness.js';

describe('compile: rendering', () => {
  it('resolves ref and source per target and records dependencies in order of use', () => {
    const files = {
      'models/trusted/a.sql': "select * from {{ source('landing', 'customer') }}",
      'models/trusted/b.sql': "select * from {{ ref('a') }} join {{ source('landing','customer') }} using (email)",
    };
    const local = compileFiles(files);
    expect(local.diagnostics).toEqual([]);
    expect(model(local, 'b').compiled_code).toBe('select * from "trusted"."a" join "landing"."customer" using (email)');
    expect(model(local, 'b').depends_on).toEqual(['model.demo.a', 'source.demo.landing.customer']);
    const athena = compileFiles(files, { target: 'athena' });
    expect(model(athena, 'b').compiled_code).toBe('select * from "lakedb"."a" join "lakedb"."customer" using (email)');
    expect(local.manifest?.metadata.schema_version).toBe(MANIFEST_SCHEMA_VERSION);
    expect(local.manifest?.nodes['source.demo.landing.customer']).toMatchObject({ location: 'landing/customer/landing' });
  });

  it('merges folder, property and in-file config, in that order; tags accumulate', () => {
    const out = compileFiles({
      'models/trusted/a.sql': "{{ config(materialized='view', tags=['in_file'], entity='customer') }}select 1 as x",
      'models/trusted/props.yml': 'version: 2\nmodels:\n  - name: a\n    config: { materialized: table, tags: [props] }\n',
    });
    const a = model(out, 'a');
    expect(a.materialized).toBe('view');
    expect(a.zone).toBe('trusted');
    expect(a.entity).toBe('customer');
    expect(a.tags.sort()).toEqual(['in_file', 'props', 'zone_t']);
    expect(a.compiled_code).toBe('select 1 as x');
  });

  it('exposes var (with default), target, this and project macros with dialect dispatch', () => {
    const out = compileFiles({
      'macros/ms.sql': "{% macro duckdb__ms(c) %}epoch_ms({{ c }}){% endmacro %}{% macro athena__ms(c) %}from_unixtime({{ c }} / 1000.0){% endmacro %}",
      'macros/other.sql': '{% macro twice(c) %}{{ adapter.dispatch("ms")(c) }} + {{ adapter.dispatch("ms")(c) }}{% endmacro %}',
      'models/trusted/a.sql': "select {{ twice('t') }}, '{{ var('policy') }}', '{{ var('missing', 'dflt') }}', '{{ target.type }}', '{{ this }}'",
    });
    expect(model(out, 'a').compiled_code).toBe(`select epoch_ms(t) + epoch_ms(t), 'strict', 'dflt', 'duckdb', '"trusted"."a"'`);
    const athena = compileFiles({
      'macros/ms.sql': "{% macro duckdb__ms(c) %}epoch_ms({{ c }}){% endmacro %}{% macro athena__ms(c) %}from_unixtime({{ c }} / 1000.0){% endmacro %}",
      'models/trusted/a.sql': "select {{ adapter.dispatch('ms')('t') }}",
    }, { target: 'athena' });
    expect(model(athena, 'a').compiled_code).toBe('select from_unixtime(t / 1000.0)');
  });

  it('adapter.dispatch resolves through the parent chain: athena__, then trino__ (whose SQL Athena runs), then default__', () => {
    const ms = (defs: string) => ({ 'macros/ms.sql': defs, 'models/trusted/a.sql': "select {{ adapter.dispatch('ms')('t') }}" });
    const trino = '{% macro trino__ms(c) %}trino({{ c }}){% endmacro %}';
    const athena = '{% macro athena__ms(c) %}athena({{ c }}){% endmacro %}';
    const dflt = '{% macro default__ms(c) %}dflt({{ c }}){% endmacro %}';
    const on = (target: string, defs: string) => compileFiles(ms(defs), { target });
    // the most specific prefix wins, wherever it is defined
    expect(model(on('athena', dflt + trino + athena), 'a').compiled_code).toBe('select athena(t)');
    // Athena inherits Trino's SQL
    expect(model(on('athena', dflt + trino), 'a').compiled_code).toBe('select trino(t)');
    expect(model(on('athena', dflt), 'a').compiled_code).toBe('select dflt(t)');
    // DuckDB is not in Trino's family: it skips trino__ and athena__
    expect(model(on('local', dflt + trino + athena), 'a').compiled_code).toBe('select dflt(t)');
    // nothing in the chain: a compile error naming every macro that would do, in order
    const none = on('athena', '{% macro duckdb__ms(c) %}d({{ c }}){% endmacro %}');
    expect(none.manifest).toBeUndefined();
    expect(none.diagnostics.map((d) => d.message).join('\n')).toContain("no macro implements 'ms' for athena (define athena__ms or trino__ms or default__ms)");
  });

  it('dispatchChain lists the prefixes of a dialect, most specific first, then default__', () => {
    expect(dispatchChain(duckdbDialect, 'x')).toEqual(['duckdb__x', 'default__x']);
    expect(dispatchChain(trinoDialect('db'), 'x')).toEqual(['trino__x', 'default__x']);
    expect(dispatchChain(trinoDialect('db', 'athena', ['athena', 'trino']), 'x')).toEqual(['athena__x', 'trino__x', 'default__x']);
  });

  it('has no way to reach a secret from SQL: the pseudonymisation key stays in the runner', () => {
    const out = compileFiles({ 'models/trusted/a.sql': "select sha256({{ subject_key_secret() }} || email) from {{ source('landing','customer') }}" });
    expect(out.manifest).toBeUndefined();
    expect(out.diagnostics.map((d) => d.message).join('\n')).toMatch(/subject_key_secret/);
  });

  it('a derived source column is declared data: its base, its type, never tagged meta.pii; only sources have one', () => {
    const sources = (col: string) => `version: 2
sources:
  - name: landing
    tables:
      - name: customer
        location: x
        columns:
          - { name: email, data_type: varchar, meta: { pii: true } }
          - { name: n, data_type: bigint }
          - ${col}
`;
    const errs = (col: string) => compileFiles({ 'models/sources.yml': sources(col), 'models/trusted/x.sql': 'select 1 as x' }).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.line}: ${d.message}`);
    expect(errs('{ name: k, data_type: varchar, derived: { pseudonym_of: email } }')).toEqual([]);
    expect(errs('{ name: k, data_type: varchar, derived: { pseudonym_of: mail } }')).toEqual(["E_BAD_DERIVED 10: landing.customer.k: pseudonym_of 'mail' is not a column of landing.customer"]);
    expect(errs('{ name: k, data_type: varchar, derived: { pseudonym_of: n } }')).toEqual(["E_BAD_DERIVED 10: landing.customer.k: pseudonym_of 'n' must be a varchar column"]);
    expect(errs('{ name: k, data_type: bigint, derived: { pseudonym_of: email } }')).toEqual(['E_BAD_DERIVED 10: landing.customer.k: a pseudonym is 64 hex digits: declare data_type: varchar']);
    expect(errs('{ name: k, data_type: varchar, meta: { pii: true }, derived: { pseudonym_of: email } }')).toEqual(['E_BAD_DERIVED 10: landing.customer.k: a pseudonym is not tagged meta.pii: column lineage knows it as pseudonymised']);
    expect(errs('{ name: k, data_type: varchar, derived: { hmac_of: email } }').map((e) => e.split(':')[0])).toEqual(['E_UNKNOWN_KEY 10', 'E_MISSING_KEY 10']);
    const model = compileFiles({ 'models/m.yml': 'version: 2\nmodels:\n  - name: a\n    columns:\n      - { name: k, derived: { pseudonym_of: email } }\n', 'models/trusted/a.sql': 'select 1 as k' });
    expect(model.diagnostics.map((d) => d.message)).toContain("model 'a' column 'k': 'derived' is only for columns of a landing source");
  });
});

describe('compile: errors are data', () => {
  it('collects every problem of one compile, each with code, file, line and hint', () => {
    const out = compileFiles({
      'models/trusted/a.sql': "select 1\nfrom {{ ref('bb') }}",
      'models/trusted/b.sql': "{{ config(materialised='table') }}\nselect {{ var('nope') }}",
      'models/trusted/bad_syntax.sql': 'select 1\n{% if %}',
      'models/trusted/raise.sql': "select 1\n\n{{ exceptions.raise_compiler_error('policy must be set') }}",
    });
    expect(out.manifest).toBeUndefined();
    expect(codes(out)).toEqual(expect.arrayContaining([
      { file: 'models/trusted/a.sql', line: 2, code: 'E_UNKNOWN_REF' },
      { file: 'models/trusted/b.sql', line: 1, code: 'E_BAD_CONFIG' },
      { file: 'models/trusted/b.sql', line: 2, code: 'E_UNKNOWN_VAR' },
      { file: 'models/trusted/bad_syntax.sql', line: 2, code: 'E_TEMPLATE_SYNTAX' },
      { file: 'models/trusted/raise.sql', line: 3, code: 'E_COMPILER_ERROR' },
    ]));
    expect(out.diagnostics.find((d) => d.code === 'E_UNKNOWN_REF')?.hint).toBe("did you mean 'b'?");
    expect(out.diagnostics.find((d) => d.code === 'E_BAD_CONFIG')?.hint).toBe("did you mean 'materialized'?");
    expect(out.diagnostics.find((d) => d.code === 'E_COMPILER_ERROR')?.message).toBe('policy must be set');
  });

  it('finds the line of a name written with double quotes', () => {
    const out = compileFiles({ 'models/trusted/a.sql': 'select 1\n\nfrom {{ ref("nope") }}' });
    expect(codes(out)).toEqual([{ file: 'models/trusted/a.sql', line: 3, code: 'E_UNKNOWN_REF' }]);
  });

  it('reports a duplicate model name across folders', () => {
    const out = compileFiles({ 'models/trusted/a.sql': 'select 1', 'models/curated/a.sql': 'select 2' });
    expect(codes(out)).toEqual([{ file: 'models/trusted/a.sql', line: 1, code: 'E_DUPLICATE_MODEL' }]);
  });

  it('prints the whole chain of a cycle', () => {
    const out = compileFiles({
      'models/trusted/a.sql': "select * from {{ ref('c') }}",
      'models/trusted/b.sql': "select * from {{ ref('a') }}",
      'models/trusted/c.sql': "select * from {{ ref('b') }}",
    });
    const cycle = out.diagnostics.filter((d) => d.code === 'E_CYCLE');
    expect(cycle).toHaveLength(1);
    expect(cycle[0]!.message).toMatch(/dependency cycle: (a > c > b > a|a > b > c > a)/);
  });

  it('refuses a PII column in a model that declares pii_allowed: false', () => {
    const out = compileFiles({
      'models/trusted/ml.sql': "{{ config(pii_allowed=false) }}select email from {{ source('landing','customer') }}",
      'models/trusted/ml.yml': 'version: 2\nmodels:\n  - name: ml\n    columns:\n      - name: email\n        meta: { pii: true }\n',
    });
    expect(codes(out)).toEqual([{ file: 'models/trusted/ml.sql', line: 1, code: 'E_PII_FORBIDDEN' }]);
  });
});

describe('compile: data tests', () => {
  const props = `version: 2
models:
  - name: a
    columns:
      - name: email
        tests:
          - not_null
          - unique: { config: { severity: warn } }
          - relationships: { to: "ref('b')", field: email }
          - accepted_values: { values: ["x'; drop table t; --", 'y'], config: { where: "n > 1" } }
      - name: n
        tests:
          - accepted_range: { min_value: 0, max_value: 10 }
          - positive
    tests:
      - row_count: { min: 1 }
`;
  const files = {
    'models/trusted/a.sql': "select * from {{ source('landing','customer') }}",
    'models/trusted/b.sql': "select * from {{ source('landing','customer') }}",
    'models/trusted/a.yml': props,
    'macros/positive.sql': '{% macro test_positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endmacro %}',
  };

  it('compiles built-in and custom generic tests to SQL returning failing rows', () => {
    const out = compileFiles(files);
    expect(out.diagnostics).toEqual([]);
    const byName = Object.fromEntries(tests(out).map((t) => [t.test_metadata.name, t]));
    expect(byName.not_null!.compiled_code).toBe('select * from "trusted"."a" where email is null');
    expect(byName.unique!.severity).toBe('warn');
    expect(byName.relationships!.depends_on).toEqual(['model.demo.a', 'model.demo.b']);
    expect(byName.relationships!.compiled_code).toContain('left join "trusted"."b" as parent on child.email = parent.email');
    expect(byName.positive!.compiled_code).toBe('select * from "trusted"."a" where n <= 0');
    expect(byName.row_count!.compiled_code).toContain('row_count < 1');
    expect(byName.accepted_values!.compiled_code).toContain(`from (select * from "trusted"."a" where n > 1)`);
    // A hostile argument reaches SQL only as a quoted literal.
    expect(byName.accepted_values!.compiled_code).toContain(`'x''; drop table t; --'`);
    expect(tests(out).every((t) => t.attached_node === 'model.demo.a')).toBe(true);
  });

  it('reports an unknown generic test with the nearest name', () => {
    const out = compileFiles({ ...files, 'models/trusted/a.yml': props.replace('- not_null', '- not_nul') });
    expect(codes(out)).toEqual([{ file: 'models/trusted/a.yml', line: 7, code: 'E_UNKNOWN_TEST' }]);
    expect(out.diagnostics[0]!.hint).toBe("did you mean 'not_null'?");
  });

  it('rejects a column name that is not an identifier', () => {
    const out = compileFiles({ ...files, 'macros/bad.sql': "{% macro test_bad(model) %}select * from {{ model }} where {{ ident('1; drop') }}{% endmacro %}", 'models/trusted/a.yml': 'version: 2\nmodels:\n  - name: a\n    tests: [bad]\n' });
    expect(codes(out).map((c) => c.code)).toEqual(['E_BAD_IDENTIFIER']);
  });
});

describe('compile: unit tests', () => {
  it('replaces each given input by a placeholder and applies var overrides', () => {
    const out = compileFiles({
      'models/trusted/a.sql': "select * from {{ source('landing','customer') }} where '{{ var('policy') }}' = 'loose'",
      'models/trusted/a.yml': `version: 2
unit_tests:
  - name: a_keeps_rows
    model: a
    overrides: { vars: { policy: loose } }
    given:
      - input: source('landing', 'customer')
        rows: [{ email: e, n: 1 }]
    expect:
      rows: [{ n: 1 }]
`,
    });
    const ut = out.manifest?.nodes['unit_test.demo.a.a_keeps_rows'];
    expect(ut).toMatchObject({ resource_type: 'unit_test', model: 'model.demo.a', compiled_code: "select * from __stedi_given_0 where 'loose' = 'loose'" });
  });

  it('requires every input of the model to be given', () => {
    const out = compileFiles({
      'models/trusted/a.sql': "select * from {{ source('landing','customer') }} join {{ ref('b') }} using (email)",
      'models/trusted/b.sql': 'select 1 as email',
      'models/trusted/a.yml': "version: 2\nunit_tests:\n  - name: t\n    model: a\n    given:\n      - input: ref('b')\n        rows: []\n    expect:\n      rows: []\n",
    });
    expect(codes(out)).toEqual([{ file: 'models/trusted/a.yml', line: 3, code: 'E_UNIT_TEST_MISSING_INPUT' }]);
  });
});
