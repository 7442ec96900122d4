import { describe, expect, it } from 'vitest';
import { foldDiagnostics, formatDiagnostic, type Diagnostic } from '../../../runner/core/diagnostics.js';
import { compileFiles, compilePartial, SOURCES_YML } from './harness.js';

const where = (ds: Diagnostic[]) => ds.map((d) => ({ file: d.file, line: d.line, code: d.code, from: d.called_from?.map((c) => `${c.file}:${c.line}`) }));

/** A macro like macros/consent.sql: a var picks a predicate, any other value raises. */
const CONSENT = `{% macro consent_filter(col) -%}
{%- set policy = var('policy') -%}
{%- if policy == 'strict' -%}
({{ col }} is not null)
{%- else -%}
{{ exceptions.raise_compiler_error("Unknown policy '" ~ policy ~ "'") }}
{%- endif -%}
{%- endmacro %}
`;

const RESTRICTED = `version: 2
models:
  - name: b
    config: { pii_allowed: false }
`;

const files = (macro: string) => ({
  'macros/consent.sql': macro,
  'models/trusted/a.sql': "select n\nfrom {{ source('landing', 'customer') }}\nwhere {{ consent_filter('n') }}",
  'models/trusted/a2.sql': "select n from {{ source('landing', 'customer') }}\n\nwhere {{ consent_filter('n') }}",
  'models/trusted/b.sql': "select a.n from {{ ref('a') }} a",
  'models/trusted/props.yml': RESTRICTED,
});

describe('one mistake, one error', () => {
  it('an error raised in a macro is reported once, at the macro line, with every call site', () => {
    const out = compileFiles(files(CONSENT), { vars: { policy: 'lenient' } });
    expect(where(out.diagnostics)).toEqual([
      { file: 'macros/consent.sql', line: 6, code: 'E_COMPILER_ERROR', from: ['models/trusted/a.sql:3', 'models/trusted/a2.sql:3'] },
    ]);
    expect(out.diagnostics[0]!.message).toBe("in macro consent_filter: Unknown policy 'lenient'");
    // without a usable parent, b's lineage (pii_allowed: false) is not checked: no E_PII_UNVERIFIED
    expect(formatDiagnostic(out.diagnostics[0]!)).toBe(
      "error E_COMPILER_ERROR macros/consent.sql:6: in macro consent_filter: Unknown policy 'lenient'\n  called from models/trusted/a.sql:3, models/trusted/a2.sql:3",
    );
  });

  it('an unknown var in a macro names the macro file and line and stops that render (no error that only follows from it)', () => {
    const out = compileFiles(files(CONSENT.replace("var('policy')", "var('polcy')")));
    expect(where(out.diagnostics)).toEqual([
      { file: 'macros/consent.sql', line: 2, code: 'E_UNKNOWN_VAR', from: ['models/trusted/a.sql:3', 'models/trusted/a2.sql:3'] },
    ]);
    expect(out.diagnostics[0]!.hint).toBe("did you mean 'policy'?");
  });

  it('a macro called by a macro: the call site names the macro in between', () => {
    const out = compileFiles({
      ...files(CONSENT),
      'macros/outer.sql': "{% macro outer(c) %}\n  {{ consent_filter(c) }}\n{% endmacro %}",
      'models/trusted/a.sql': "select n\nfrom {{ source('landing', 'customer') }}\nwhere {{ outer('n') }}",
    }, { vars: { policy: 'lenient' } });
    expect(out.diagnostics).toHaveLength(1);
    expect(out.diagnostics[0]).toMatchObject({
      file: 'macros/consent.sql', line: 6,
      called_from: [{ file: 'models/trusted/a.sql', line: 3, through: [{ name: 'outer', file: 'macros/outer.sql', line: 2 }] }, { file: 'models/trusted/a2.sql', line: 3 }],
    });
    expect(formatDiagnostic(out.diagnostics[0]!)).toMatch(/called from models\/trusted\/a\.sql:3 \(through outer at macros\/outer\.sql:2\), models\/trusted\/a2\.sql:3$/m);
  });

  it('a ref() to a model whose template does not compile is no second error, nor are its unit tests', () => {
    const out = compileFiles({
      'models/trusted/a.sql': "{{ config(meta={'owner': {'team': 'data'}}) }}\nselect 1 as n",
      'models/trusted/b.sql': "select a.n from {{ ref('a') }} a",
      'models/trusted/props.yml': `${RESTRICTED}unit_tests:
  - name: a_one
    model: a
    given: []
    expect: { rows: [{ n: 1 }] }
  - name: b_one
    model: b
    given: [{ input: "ref('a')", rows: [{ n: 1 }] }]
    expect: { rows: [{ n: 1 }] }
`,
    });
    expect(where(out.diagnostics)).toEqual([{ file: 'models/trusted/a.sql', line: 1, code: 'E_TEMPLATE_SYNTAX', from: undefined }]);
    expect(out.diagnostics[0]!.hint).toMatch(/'}}' ends a \{\{ … \}\} tag/);
  });

  it('a ref() typo is reported once (not again by the unit test that renders the model)', () => {
    const out = compileFiles({
      'models/trusted/a.sql': "select 1 as n",
      'models/trusted/b.sql': "select x.n\nfrom {{ ref('aa') }} x",
      'models/trusted/props.yml': `version: 2
unit_tests:
  - name: b_one
    model: b
    given: []
    expect: { rows: [{ n: 1 }] }
`,
    });
    expect(where(out.diagnostics)).toEqual([{ file: 'models/trusted/b.sql', line: 2, code: 'E_UNKNOWN_REF', from: undefined }]);
  });

  it('foldDiagnostics merges the same problem at the same place, keeping each call site once', () => {
    const d = (file: string, line: number): Diagnostic => ({ code: 'E_X', severity: 'error', file: 'macros/m.sql', line: 4, message: 'm', called_from: [{ file, line }] });
    const folded = foldDiagnostics([d('a.sql', 1), d('b.sql', 2), d('a.sql', 1), { ...d('a.sql', 1), line: 5 }]);
    expect(folded.map((x) => [x.line, x.called_from?.map((c) => c.file)])).toEqual([[4, ['a.sql', 'b.sql']], [5, ['a.sql']]]);
  });

  describe('a property file whose YAML cannot be read', () => {
    const BROKEN = SOURCES_YML.replace('    tables:\n', '    tables: [unclosed\n');
    const models = {
      'models/a.sql': "select n\nfrom {{ source('landing', 'customer') }}",
      'models/b.sql': "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='n', batch_size='day', begin='2024-01-01') }}\nselect n from {{ source('landing', 'customer') }}",
      'models/c.sql': "select n from {{ source('landing', 'custmer') }}",
      'models/props.yml': "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: n\n        data_tests:\n          - relationships: { to: \"source('landing', 'customer')\", field: n }\n",
    };

    it('is one syntax error with the count of what follows, and one error for the references it would declare', () => {
      const out = compilePartial({ 'models/sources.yml': BROKEN, ...models });
      const yaml = out.diagnostics.filter((d) => d.code === 'E_YAML_PARSE');
      expect(yaml).toHaveLength(1);
      expect(yaml[0]).toMatchObject({ file: 'models/sources.yml', line: 4, hint: 'fix this one first and read the file again' });
      expect(yaml[0]!.message).toMatch(/; \d+ more syntax errors? after it \(from line \d+\) may follow from this one$/);
      const unknown = out.diagnostics.filter((d) => d.code === 'E_UNKNOWN_SOURCE');
      // the typo (custmer) is named where it is written; the three calls of landing.customer wait on the file
      expect(unknown.map((d) => `${d.file}:${d.line}`).sort()).toEqual(['models/c.sql:1', 'models/sources.yml:0']);
      expect(unknown.find((d) => d.file === 'models/sources.yml')!.message).toBe(
        'source() of landing.customer cannot be resolved in 3 places: this file names it but cannot be read, so it declares nothing',
      );
      // b's event_time check would only repeat that its input is missing
      expect(out.diagnostics.filter((d) => d.code === 'E_BAD_CONFIG')).toEqual([]);
      expect(out.manifest).toBeUndefined();
    });

    it('a property file that is not a mapping declares nothing either: one error for what it names', () => {
      const out = compilePartial({ ...models, 'models/sources.yml': `- ${BROKEN.split('\n').join('\n  ')}` .replace('[unclosed', '') });
      expect(out.diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`).sort()).toEqual(['models/c.sql:1 E_UNKNOWN_SOURCE', 'models/sources.yml:0 E_UNKNOWN_SOURCE', 'models/sources.yml:1 E_BAD_TYPE']);
    });

    it('a readable project reports each undeclared source() where it is called', () => {
      const out = compilePartial({ ...models, 'models/broken.yml': 'version: 2\nmodels: [unclosed\n' });
      expect(out.diagnostics.filter((d) => d.code === 'E_UNKNOWN_SOURCE').map((d) => `${d.file}:${d.line}`)).toEqual(['models/c.sql:1']);
    });

    it('every key written twice is reported, each where it is', () => {
      const out = compilePartial({ ...models, 'models/props.yml': 'version: 2\nmodels:\n  - name: a\n    description: x\n    description: y\n  - name: c\n    config: {}\n    config: {}\n' });
      expect(out.diagnostics.filter((d) => d.code === 'E_YAML_PARSE').map((d) => [d.line, d.message])).toEqual([
        [5, "YAML syntax error: the key 'description' appears twice in one mapping"],
        [8, "YAML syntax error: the key 'config' appears twice in one mapping"],
      ]);
    });
  });
});
