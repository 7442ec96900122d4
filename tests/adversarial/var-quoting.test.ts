/**
 * Guarantee: var values and YAML test arguments are never raw SQL — also inside the sandbox.
 * No filter, method, loop, operator or member turns a var (or a data test's argument) that is
 * not an identifier into unquoted SQL text: `.raw` is unreachable, and every built-in filter and
 * string/list method applied to such a value works on the value and returns an identifier or a
 * quoted literal again (runner/compiler/safe-values.ts, sandbox-filters.ts).
 *
 * The check: strip every well-formed SQL string literal from the compiled SQL; what is left must
 * hold no quote and no piece of the hostile text. A compile error is an acceptable outcome too
 * (it never runs anything); an internal error is not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FILTERS } from '../../runner/compiler/sandbox-filters.js';
import { compileForTarget } from '../../runner/compiler/for-target.js';
import { parseProject } from '../../runner/project/parse.js';
import type { Diagnostic } from '../../runner/core/diagnostics.js';
import { copyFixture, explain, query, readJson, removeFixtures, stedi, write } from '../helpers/stedi.js';

afterAll(removeFixtures);

const HOSTILE = "zz'; drop table t; --";
const VARS = {
  h: HOSTILE,
  ident: 'as_of_date',
  list: ['email', HOSTILE],
  idents: ['email', 'country'],
  map: { [HOSTILE]: 1, ok: HOSTILE },
  plain_map: { a: 'x', b: 'y' },
};
const PROJECT = 'name: demo\ndefault-target: local\ntargets:\n  local: { type: duckdb }\n';

function compileModel(sql: string, extra: Record<string, string> = {}, vars: Record<string, unknown> = {}): { sql?: string; errors: Diagnostic[]; nodes: Record<string, { compiled_code?: string }> } {
  const files = { 'stedi_project.yml': PROJECT, 'models/m.sql': sql, ...extra };
  const parsed = parseProject(Object.entries(files).map(([p, text]) => ({ path: p, text })));
  if (!parsed.project) return { errors: parsed.diagnostics, nodes: {} };
  const c = compileForTarget(parsed.project, { target: 'local', cliVars: JSON.stringify({ ...VARS, ...vars }), now: new Date(0) });
  const errors = [...c.configDiagnostics, ...c.compileDiagnostics].filter((d) => d.severity === 'error');
  const nodes = (c.manifest?.nodes ?? {}) as Record<string, { compiled_code?: string }>;
  return { ...(c.manifest ? { sql: nodes['model.demo.m']?.compiled_code } : {}), errors, nodes };
}

/** What is left of `sql` outside well-formed single-quoted literals. */
function outsideLiterals(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'/g, '<lit>');
}

/** The guarantee, for one compiled text: no quote and no piece of the hostile text outside literals. */
function expectNoRawVarText(sql: string): void {
  const rest = outsideLiterals(sql);
  expect(rest, sql).not.toMatch(/'|zz|drop|;|--/i);
}

/** Every filter of the sandbox, with arguments it needs. */
const FILTER_ARGS: Record<string, string> = {
  batch: '(2)', center: '(40)', d: "('d')", default: "('d')", groupby: "('length')", indent: '(2)', join: "(', ')",
  replace: `("'", "")`, round: '(1)', select: "('string')", reject: "('number')", selectattr: "('length')",
  rejectattr: "('length')", slice: '(2)', sum: '', truncate: '(8)', urlize: '(5)',
};

describe('every built-in filter applied to a var that is not an identifier', () => {
  it('covers every filter the sandbox offers', () => {
    expect(FILTERS.length).toBeGreaterThanOrEqual(40);
  });
  for (const f of FILTERS) {
    for (const subject of ["var('h')", "var('list')", "var('map')"]) {
      it(`${subject} | ${f}`, () => {
        const out = compileModel(`select {{ ${subject} | ${f}${FILTER_ARGS[f] ?? ''} }} as v`);
        if (out.sql === undefined) {
          // refusing is fine; it must be a reported error, not a crash
          expect(out.errors.length).toBeGreaterThan(0);
          return;
        }
        expectNoRawVarText(out.sql);
      });
    }
  }
});

describe('chains, methods, loops, operators and members', () => {
  const cases = [
    "{{ var('h') | dump }}",
    "{{ var('h') | dump | safe }}",
    "{{ var('h') | safe | replace(\"'\", '') }}",
    "{{ var('h') | string | replace(\"'\", '') }}",
    "{{ var('h') | list | join }}",
    "{{ var('h') | reverse | join('') }}",
    "{{ var('h') | urlencode | replace('%27', \"'\") }}",
    "{{ var('h') | escape | replace('&#39;', \"'\") }}",
    "{{ var('h') | replace('zz', '') | replace(\"'\", '') }}",
    "{{ 'x' | replace('x', var('h')) }}",
    "{{ [var('h')] | join }}",
    "{{ var('list') | join(', ') }}",
    "{{ var('list') | sort | join }}",
    "{{ var('list') | first }}{{ var('list') | last }}",
    "{{ var('list')[1] }}",
    "{{ var('list').join(', ') }}",
    "{{ var('list').slice(1) }}",
    "{{ var('list') }}",
    "{{ var('h').replace(\"'\", '') }}",
    "{{ var('h').replaceAll(\"'\", '') }}",
    "{{ var('h').split(\"'\") | join }}",
    "{{ var('h').split('').join('') }}",
    "{{ var('h').slice(0) }}{{ var('h').substring(0, 5) }}{{ var('h').concat('') }}",
    "{{ var('h').toUpperCase() }}{{ var('h').trim() }}",
    "{{ var('h')[2] }}{{ var('h').charAt(2) }}",
    "{% for c in var('h') %}{{ c }}{% endfor %}",
    "{% for k, v in var('map') %}{{ k }} {{ v }}{% endfor %}",
    "{{ var('map') | dictsort }}",
    "{{ (var('map') | dictsort)[0][0] }}",
    "{{ var('map') | list }}",
    "{% for e in var('map') | list %}{{ e.key }}{% endfor %}",
    "{{ var('map') | dump }}",
    "{{ var('map') | urlencode }}",
    "{{ var('map') | dump | replace('\"', '') }}",
    "{{ var('map').ok }}",
    "{{ var('h') ~ '' }}{{ '' ~ var('h') }}{{ var('h') + '' }}",
    "{% set s %}{{ var('h') }}{% endset %}{{ s }}",
    "{% macro echo(x) %}{{ x }}{% endmacro %}{{ echo(var('h')) }}",
    "{% for k, v in var('h') %}{{ k }}{{ v }}{% endfor %}",
    "{{ var('h') | list | first }}{{ var('h') | first }}{{ var('h') | batch(3) | first | join }}",
    "{{ var('h') if var('h') is string }}",
    "{{ var('missing', var('h')) }}",
  ];
  for (const c of cases) {
    it(c, () => {
      const out = compileModel(`select ${c} as v`);
      if (out.sql === undefined) {
        expect(out.errors.length).toBeGreaterThan(0);
        return;
      }
      expectNoRawVarText(out.sql);
    });
  }

  it('a few exact results: the value, transformed, as one literal', () => {
    const sql = (c: string) => compileModel(`select ${c}`).sql;
    expect(sql("{{ var('h') | dump }}")).toBe(`select '"zz''; drop table t; --"'`);
    expect(sql("{{ var('h') | replace(\"'\", '') }}")).toBe("select 'zz; drop table t; --'");
    expect(sql("{{ var('h') | upper }}")).toBe("select 'ZZ''; DROP TABLE T; --'");
    expect(sql("{{ var('h') | length }}")).toBe(`select ${HOSTILE.length}`);
    expect(sql("{{ var('h') | first }}")).toBe("select 'z'");
    expect(sql("{{ var('list') | join(', ') }}")).toBe("select 'email, zz''; drop table t; --'");
    expect(sql("{% for k, v in var('map') %}{{ k }}={{ v }} {% endfor %}")).toBe("select 'zz''; drop table t; --'=1 'ok'='zz''; drop table t; --'");
    // pieces of the text printed side by side merge into one literal
    const chars = sql("{% for c in var('h') %}{{ c }}{% endfor %}")!;
    expect(chars).toBe(`select ${[...HOSTILE].map((c) => `'${c.replace(/'/g, "''")}'`).join('')}`);
    expect(outsideLiterals(chars)).toBe('select <lit>');
  });

  it('a literal holding a backslash cannot become an escape string after an identifier var E', () => {
    // DuckDB reads E'\' …' as an escape string, where \' does not end the literal
    const out = compileModel("select {{ var('e') }}{{ var('b') }} as x, {{ var('h') }} as y", {}, { e: 'E', b: 'a\\' });
    expect(out.sql).toBe("select E 'a\\' as x, 'zz''; drop table t; --' as y");
  });

  it(".raw is refused with E_SANDBOX at its line; so is every other way to the raw text", () => {
    for (const c of ["{{ var('h').raw }}", "{{ var('h')['ra' ~ 'w'] }}", "{{ var('h').toJSON() }}", "{{ var('h').valueOf() }}"]) {
      const out = compileModel(`select 1\n${c}`);
      expect(out.sql, c).toBeUndefined();
      expect(out.errors.map((d) => [d.code, d.line]), c).toEqual([['E_SANDBOX', 2]]);
    }
  });
});

describe('data test arguments from YAML', () => {
  const macro = (body: string) => `{% macro test_show(model, column_name, value) %}\nselect * from {{ model }} where {{ column_name }} = ${body}\n{% endmacro %}\n`;
  const props = (value: unknown) => `version: 2\nmodels:\n  - name: m\n    columns:\n      - name: a\n        tests:\n          - show: { value: ${JSON.stringify(value)} }\n`;
  const bodies = [
    '{{ value }}', "{{ value | replace(\"'\", '') }}", '{{ value | dump }}', '{{ value | safe }}', '{{ value | list | join }}',
    "{{ value.split(\"'\") | join }}", '{% for c in value %}{{ c }}{% endfor %}', '{{ value | urlencode }}', "{% for k, v in value %}{{ k }}{% endfor %}",
  ];
  for (const body of bodies) {
    for (const value of [HOSTILE, { [HOSTILE]: 1 }, [HOSTILE]]) {
      it(`${body} with ${JSON.stringify(value).slice(0, 30)}`, () => {
        const out = compileModel('select 1 as a', { 'macros/show.sql': macro(body), 'models/p.yml': props(value) });
        const test = Object.entries(out.nodes).find(([id]) => id.startsWith('test.'))?.[1];
        if (!test) {
          expect(out.errors.length).toBeGreaterThan(0);
          return;
        }
        expectNoRawVarText(test.compiled_code!);
      });
    }
  }

  it('.raw of an argument is refused at the test\'s line', () => {
    const out = compileModel('select 1 as a', { 'macros/show.sql': macro('{{ value.raw }}'), 'models/p.yml': props(HOSTILE) });
    expect(out.errors.map((d) => ({ code: d.code, file: d.file, line: d.line }))).toEqual([{ code: 'E_SANDBOX', file: 'models/p.yml', line: 7 }]);
  });
});

describe('positive controls: what worked keeps working', () => {
  it('identifier vars print as themselves, compare in {% if %}, and identifier lists and keys stay identifiers', () => {
    const out = compileModel([
      "select {{ var('ident') }}, {{ var('idents') | join(', ') }}, {{ var('idents').join(' || ') }}",
      "{% if var('ident') == 'as_of_date' %}-- yes{% endif %}",
      "{% for k, v in var('plain_map') %}{{ k }} as {{ v }} {% endfor %}",
      "{{ var('plain_map') | dump }}",
    ].join('\n'));
    expect(out.errors).toEqual([]);
    expect(out.sql).toBe('select as_of_date, email, country, email || country\n-- yes\na as x b as y\n{"a":"x","b":"y"}');
  });

  it('literal(), ident(), number() and sql() behave as documented', () => {
    const out = compileModel("select {{ literal(var('h')) }}, {{ ident(var('ident')) }}, {{ number(3) }}, {{ sql('1 + 1') }}, {{ var('h') }}");
    expect(out.errors).toEqual([]);
    expect(out.sql).toBe("select 'zz''; drop table t; --', as_of_date, 3, 1 + 1, 'zz''; drop table t; --'");
  });
});

describe('end to end through the CLI', () => {
  const INJECT = "'DE' or 1=1";
  it('a filter on a --vars value works on the value; on a hostile one it yields one quoted literal in a real build, matching no row', async () => {
    const dir = copyFixture('mini');
    write(dir, 'models/trusted/by_country.sql', "{{ config(entity='customer') }}\nselect email from {{ ref('customer_trusted') }} where country = {{ var('c') | replace(' ', '') }}\n");
    const ok = await stedi(dir, ['build', '--select', '+by_country', '--vars', '{c: "F R"}']);
    expect(ok.code, explain(ok)).toBe(0);
    expect(await query(dir, 'select email from trusted.by_country')).toEqual([{ email: 'bob@mini.example' }]);
    // the injected value matches no row: publishing the now empty table needs --allow-shrink (the volume guard)
    const r = await stedi(dir, ['build', '--select', 'by_country', '--allow-shrink', '--vars', JSON.stringify({ c: INJECT })]);
    expect(r.code, explain(r)).toBe(0);
    const compiled = readJson(dir, 'target/manifest.json').nodes['model.mini.by_country'].compiled_code as string;
    expect(compiled).toContain("where country = '''DE''or1=1'");
    expect(await query(dir, 'select count(*) as n from trusted.by_country')).toEqual([{ n: '0' }]);
  });

  it('.raw of a hostile --vars value stops the compile: exit 2, E_SANDBOX with file and line, nothing is built', async () => {
    const dir = copyFixture('mini');
    write(dir, 'models/trusted/by_country.sql', "{{ config(entity='customer') }}\nselect email from {{ ref('customer_trusted') }} where country = {{ var('c').raw }}\n");
    const r = await stedi(dir, ['build', '--vars', JSON.stringify({ c: INJECT })]);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/E_SANDBOX models\/trusted\/by_country\.sql:2: 'raw' is not available/);
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
  });
});
