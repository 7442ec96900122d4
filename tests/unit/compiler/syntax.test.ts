import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../runner/core/diagnostics.js';
import { positionMark, renderedOffset, sourcePosition, unmark } from '../../../runner/compiler/source-map.js';
import { parserJudge, syntaxErrors, type SqlJudge } from '../../../runner/compiler/syntax.js';
import { tidy } from '../../../runner/compiler/models.js';
import { compileFiles, model } from './harness.js';

const where = (out: ReturnType<typeof compileFiles>) => out.diagnostics.map((d) => ({ file: d.file, line: d.line, code: d.code }));

describe('source map: compiled position → template line', () => {
  it('unmark strips the marks and records where each piece starts', () => {
    const out = unmark(`${positionMark('text', 0, 0)}select ${positionMark('expr', 0, 7)}x${positionMark('text', 0, 17)}\nfrom t`)!;
    expect(out.text).toBe('select x\nfrom t');
    expect(out.pieces).toEqual([
      { at: 0, kind: 'text', line: 0, col: 0 },
      { at: 7, kind: 'expr', line: 0, col: 7 },
      { at: 8, kind: 'text', line: 0, col: 17 },
    ]);
    expect(unmark('a\u0001t1,2 b')).toBeUndefined();
  });

  it('renderedOffset follows tidy(): dropped blank lines, trimmed ends, trailing blanks', () => {
    const rendered = '\n\n   select a,   \n\n\n\n  b\nfrom t  \n\n';
    const compiled = tidy(rendered);
    expect(compiled).toBe('select a,\n\n  b\nfrom t');
    const at = (line: number, col: number) => rendered[renderedOffset(rendered, compiled, line, col)!];
    expect(at(1, 1)).toBe('s');
    expect(at(3, 3)).toBe('b');
    expect(at(4, 6)).toBe('t');
    expect(renderedOffset(rendered, 'select b', 1, 1)).toBeUndefined();
  });

  it('literal text maps to its exact line and column, also after whitespace control trimmed it', () => {
    const template = '{{ config(x=1) }}\n{#- note -#}\n  select a\nfrom t';
    // what nunjucks writes for it: the comment's -#} dropped the leading blanks of the text after it
    const out = unmark(`${positionMark('expr', 0, 0)}${positionMark('text', 0, 17)}\n${positionMark('text', 1, 12)}select a\nfrom t`)!;
    const pos = sourcePosition(template, out.text, out.pieces, out.text.indexOf('from') + 5);
    expect(pos).toEqual({ exact: true, line: 4, column: 6 });
  });

  it("an expression's value maps to the expression's line, exactly only before a line break in it", () => {
    const template = 'select *\nfrom {{ m() }}\nwhere x';
    const out = unmark(`${positionMark('text', 0, 0)}select *\nfrom ${positionMark('expr', 1, 5)}(select 1\n  form y)${positionMark('text', 1, 14)}\nwhere x`)!;
    expect(sourcePosition(template, out.text, out.pieces, out.text.indexOf('(select'))).toEqual({ exact: true, line: 2 });
    const inside = sourcePosition(template, out.text, out.pieces, out.text.indexOf('form'));
    expect(inside).toMatchObject({ exact: false, line: 2 });
    expect(inside.exact ? '' : inside.why).toMatch(/inside what the \{\{ … \}\} at line 2 expands to \(its line 2\)/);
  });
});

describe('E_SQL_SYNTAX: compile stops at the line of the model', () => {
  const model = `{{ config(materialized='table') }}

{#
  a comment of
  several lines
#}
{%- set cols = ['n', 'email'] %}
select
{%- for c in cols %}
    {{ c }}{{ ',' if not loop.last }}
{%- endfor %}
form {{ source('landing', 'customer') }}
`;

  it('a typo in a model is an error at its template line, not the compiled line', () => {
    const out = compileFilesWith({ 'models/trusted/a.sql': model }, LINEAGE_PARSER);
    expect(where(out)).toEqual([{ file: 'models/trusted/a.sql', line: 12, code: 'E_SQL_SYNTAX' }]);
    expect(out.manifest).toBeUndefined();
    expect(out.diagnostics[0]!.message).toMatch(/^a: the SQL does not parse for duckdb: .*\(compiled line 4: form "landing"\."customer"\)$/);
  });

  it('the same on Athena (no engine parser: the lineage parser in every dialect judges)', () => {
    const out = compileFiles({ 'models/trusted/a.sql': model }, { target: 'athena' });
    expect(where(out)).toEqual([{ file: 'models/trusted/a.sql', line: 12, code: 'E_SQL_SYNTAX' }]);
  });

  it('a typo in literal text gets its column; a typo inside a macro expansion says the line is not exact', () => {
    const out = compileFilesWith({ 'models/trusted/a.sql': "select n\n\nfrom {{ source('landing', 'customer') }}\nwhere n = = 1" }, LINEAGE_PARSER);
    expect(out.diagnostics.map((d) => [d.line, d.column])).toEqual([[4, 11]]);
    const macro = compileFilesWith({
      'macros/cond.sql': '{% macro cond() %}n > 1\n  and n < 5\n  and and n <> 3{% endmacro %}',
      'models/trusted/a.sql': "select n\nfrom {{ source('landing', 'customer') }}\nwhere {{ cond() }}",
    }, LINEAGE_PARSER);
    expect(where(macro)).toEqual([{ file: 'models/trusted/a.sql', line: 3, code: 'E_SQL_SYNTAX' }]);
    expect(macro.diagnostics[0]!.message).toMatch(/the source line is not known exactly: inside what the \{\{ … \}\} at line 3 expands to \(its line 3\)/);
  });

  it("a model that does not parse is one error: what reads it (lineage, pii_allowed: false) and its unit tests say nothing", () => {
    const out = compileFilesWith({
      'models/trusted/a.sql': model,
      'models/trusted/b.sql': "select a.n from {{ ref('a') }} a",
      'models/trusted/props.yml': `version: 2
models:
  - name: b
    config: { pii_allowed: false }
unit_tests:
  - name: a_one
    model: a
    given: [{ input: "source('landing', 'customer')", rows: [{ n: 1 }] }]
    expect: { rows: [{ n: 1 }] }
`,
    }, LINEAGE_PARSER);
    expect(where(out)).toEqual([{ file: 'models/trusted/a.sql', line: 12, code: 'E_SQL_SYNTAX' }]);
  });

  it('the engine judges what the lineage parser cannot read: a construct it lacks passes, its verdict is shown', () => {
    const files = { 'models/trusted/a.sql': "select n\nfrom {{ source('landing', 'customer') }} using sample 10%" };
    // no dialect of the lineage parser reads USING SAMPLE: that parser alone would reject it
    expect(where(compileFilesWith(files, LINEAGE_PARSER))).toEqual([{ file: 'models/trusted/a.sql', line: 2, code: 'E_SQL_SYNTAX' }]);
    // a library caller that hands in no DuckDB judge leaves it to the engine at run time
    expect(compileFiles(files).diagnostics).toEqual([]);
    const asked: string[][] = [];
    const accepts: SqlJudge = (sqls) => (asked.push(sqls), sqls.map(() => undefined));
    const ok = compileFilesWith(files, { duckdb: accepts });
    expect(ok.diagnostics).toEqual([]);
    expect(asked).toEqual([['select n\nfrom "landing"."customer" using sample 10%']]);
    const rejects: SqlJudge = (sqls) => sqls.map((sql) => ({ message: 'syntax error at or near "using"', offset: sql.indexOf('using') }));
    const bad = compileFilesWith(files, { duckdb: rejects });
    const column = files['models/trusted/a.sql'].split('\n')[1]!.indexOf('using') + 1;
    expect(bad.diagnostics.map((d) => [d.line, d.column, d.message.replace(/ \(compiled.*/, '')])).toEqual([[2, column, 'a: the SQL does not parse for duckdb: syntax error at or near "using"']]);
  });

  it('a data test whose SQL does not parse is reported at its YAML entry', () => {
    const out = compileFilesWith({
      'models/trusted/a.sql': 'select 1 as n',
      'models/trusted/props.yml': 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: n\n        tests:\n          - not_null: { config: { where: "n = = 1" } }\n',
    }, LINEAGE_PARSER);
    expect(where(out)).toEqual([{ file: 'models/trusted/props.yml', line: 7, code: 'E_SQL_SYNTAX' }]);
    expect(formatDiagnostic(out.diagnostics[0]!)).toMatch(/test not_null_a_n: its SQL does not parse for duckdb/);
  });

  it('syntaxErrors asks each judge once, with every suspect of its dialect', () => {
    let calls = 0;
    const judge: SqlJudge = (sqls) => (calls++, sqls.map((s) => (s.includes('form') ? { message: 'no' } : undefined)));
    const r = syntaxErrors([{ sql: 'select 1', dialect: 'duckdb' }, { sql: 'select a\nform t', dialect: 'duckdb' }, { sql: 'pivot t on a using sum(b)', dialect: 'duckdb' }], { duckdb: judge });
    expect(calls).toBe(1);
    expect(r).toEqual([undefined, { message: 'no', line: 2, column: 6 }, undefined]);
    expect(parserJudge('athena')(['select a from t'])).toEqual([undefined]);
  });
});

import { compileForTarget } from '../../../runner/compiler/for-target.js';
import { parseProject } from '../../../runner/project/parse.js';
import { PROJECT_YML, SOURCES_YML } from './harness.js';

/** DuckDB judged by the lineage parser's dialects alone (as Athena is): the CLI asks DuckDB itself. */
const LINEAGE_PARSER = { duckdb: parserJudge('duckdb') };

function compileFilesWith(files: Record<string, string>, judges: Record<string, SqlJudge>) {
  const parsed = parseProject(Object.entries({ 'stedi_project.yml': PROJECT_YML, 'models/sources.yml': SOURCES_YML, ...files }).map(([path, text]) => ({ path, text })));
  const c = compileForTarget(parsed.project!, { target: 'local', now: new Date(0), judges });
  return { ...(c.manifest ? { manifest: c.manifest } : {}), diagnostics: [...c.configDiagnostics, ...c.compileDiagnostics] };
}

import { engineErrorLine } from '../../../runner/execute/engine-lines.js';

describe('engine errors at run time name the model line', () => {
  const files = {
    'models/trusted/a.sql': "{{ config(materialized='table') }}\n\n{# a comment #}\nselect n,\n{%- for c in ['x', 'y'] %}\n  {{ c }}_col,\n{%- endfor %}\n  email\nfrom {{ source('landing', 'customer') }}\n",
  };

  it('the manifest maps each compiled line to its template line (0 where not exact)', () => {
    const m = model(compileFiles(files), 'a');
    expect(m.compiled_code.split('\n')).toEqual(['select n,', '  x_col,', '  y_col,', '  email', 'from "landing"."customer"']);
    expect(m.source_lines).toEqual({ compiled: [4, 6, 6, 8, 9] });
  });

  it("DuckDB's quoted line, found once in the compiled SQL, gives the model's line; anything less certain gives none", () => {
    const m = model(compileFiles(files), 'a');
    expect(engineErrorLine(m, 'Binder Error: Referenced column "email" not found\n\nLINE 5:   email\n          ^')).toBe(8);
    // two compiled lines from one template line: still one source line
    expect(engineErrorLine(m, 'Binder Error: x\n\nLINE 3:   x_col,')).toBe(6);
    expect(engineErrorLine(m, 'Binder Error: no line quoted')).toBeUndefined();
    expect(engineErrorLine(m, 'Binder Error: x\n\nLINE 5: ...  email')).toBeUndefined();
    expect(engineErrorLine(m, 'Binder Error: x\n\nLINE 5: not in the model')).toBeUndefined();
  });
});
