import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../runner/compiler/compile.js';
import { parserJudge } from '../../../runner/compiler/syntax.js';
import { duckdbDialect } from '../../../runner/dialect/duckdb.js';
import { loadProject } from '../../../runner/project/load.js';
import { resolveTarget, resolveVars } from '../../../runner/project/resolve.js';

/** The fixture project of deliberately broken files: one compile reports every problem. */
describe('broken fixture project', () => {
  it('reports the whole list of {file, line, code} diagnostics at once, each mistake once', () => {
    const loaded = loadProject(path.join(__dirname, '../../fixtures/broken'));
    const project = loaded.partial!;
    const target = resolveTarget(project.config, undefined, {}).target!;
    // DuckDB judged by the lineage parser alone (the CLI asks DuckDB's own parser)
    const out = compile({ project, target, dialect: duckdbDialect, vars: resolveVars(project.config.vars, undefined, {}).vars, judges: { duckdb: parserJudge('duckdb') } });
    const all = [...loaded.diagnostics, ...out.diagnostics].map((d) => ({ file: d.file, line: d.line, code: d.code }));
    const key = (d: { file: string; line: number; code: string }) => `${d.file}:${d.line} ${d.code}`;
    expect(all.map(key).sort()).toEqual(
      [
        { file: 'stedi_project.yml', line: 8, code: 'E_UNKNOWN_KEY' },
        // models: d: names no folder; models: broken: c: is dbt's nesting under the project name
        { file: 'stedi_project.yml', line: 13, code: 'E_UNUSED_CONFIG_PATH' },
        { file: 'models/sources.yml', line: 10, code: 'E_MISSING_KEY' },
        { file: 'models/a/props.yml', line: 4, code: 'E_UNKNOWN_KEY' },
        { file: 'models/b/broken_yaml.yml', line: 4, code: 'E_YAML_PARSE' },
        { file: 'macros/bad_macro.sql', line: 1, code: 'E_TEMPLATE_SYNTAX' },
        // one error for the two models that call the macro
        { file: 'macros/policy.sql', line: 2, code: 'E_UNKNOWN_VAR' },
        { file: 'models/a/uses_unknown_ref.sql', line: 2, code: 'E_UNKNOWN_REF' },
        { file: 'models/a/bad_config.sql', line: 1, code: 'E_BAD_CONFIG' },
        { file: 'models/a/bad_config.sql', line: 2, code: 'E_UNKNOWN_VAR' },
        { file: 'models/b/dup.sql', line: 1, code: 'E_DUPLICATE_MODEL' },
        { file: 'models/b/bad_template.sql', line: 2, code: 'E_TEMPLATE_SYNTAX' },
        { file: 'models/b/unknown_source.sql', line: 1, code: 'E_UNKNOWN_SOURCE' },
        // the source line of the typo, not the compiled one; reads_syntax (pii_allowed: false) adds nothing
        { file: 'models/c/syntax.sql', line: 7, code: 'E_SQL_SYNTAX' },
        { file: 'models/a/props.yml', line: 9, code: 'E_PROPS_UNKNOWN_MODEL' },
        { file: 'models/a/props.yml', line: 8, code: 'E_UNKNOWN_TEST' },
        { file: 'models/a/cycle_one.sql', line: 1, code: 'E_CYCLE' },
      ].map(key).sort(),
    );
    expect(out.diagnostics.find((d) => d.code === 'E_UNKNOWN_VAR' && d.file === 'macros/policy.sql')?.called_from).toEqual([
      { file: 'models/c/one.sql', line: 3 },
      { file: 'models/c/two.sql', line: 1 },
    ]);
    const cycle = out.diagnostics.find((d) => d.code === 'E_CYCLE')!;
    expect(cycle.message).toMatch(/cycle_one > cycle_two > cycle_one/);
    expect(out.diagnostics.find((d) => d.code === 'E_UNKNOWN_REF')).toMatchObject({ line: 2, hint: "did you mean 'cycle_two'?" });
  });
});
