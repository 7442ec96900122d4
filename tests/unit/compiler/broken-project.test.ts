import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../runner/compiler/compile.js';
import { duckdbDialect } from '../../../runner/dialect/duckdb.js';
import { loadProject } from '../../../runner/project/load.js';
import { resolveTarget, resolveVars } from '../../../runner/project/resolve.js';

/** The fixture project of deliberately broken files: one compile reports every problem. */
describe('broken fixture project', () => {
  it('reports the whole list of {file, code} diagnostics at once', () => {
    const loaded = loadProject(path.join(__dirname, '../../fixtures/broken'));
    const project = loaded.partial!;
    const target = resolveTarget(project.config, undefined, {}).target!;
    const out = compile({ project, target, dialect: duckdbDialect, vars: resolveVars(project.config.vars, undefined, {}).vars });
    const all = [...loaded.diagnostics, ...out.diagnostics].map((d) => ({ file: d.file, code: d.code }));
    const key = (d: { file: string; code: string }) => `${d.file} ${d.code}`;
    expect(all.map(key).sort()).toEqual(
      [
        { file: 'stedi_project.yml', code: 'E_UNKNOWN_KEY' },
        { file: 'models/sources.yml', code: 'E_MISSING_KEY' },
        { file: 'models/a/props.yml', code: 'E_UNKNOWN_KEY' },
        { file: 'models/b/broken_yaml.yml', code: 'E_YAML_PARSE' },
        { file: 'macros/bad_macro.sql', code: 'E_TEMPLATE_SYNTAX' },
        { file: 'models/a/uses_unknown_ref.sql', code: 'E_UNKNOWN_REF' },
        { file: 'models/a/bad_config.sql', code: 'E_BAD_CONFIG' },
        { file: 'models/a/bad_config.sql', code: 'E_UNKNOWN_VAR' },
        { file: 'models/b/dup.sql', code: 'E_DUPLICATE_MODEL' },
        { file: 'models/b/bad_template.sql', code: 'E_TEMPLATE_SYNTAX' },
        { file: 'models/b/unknown_source.sql', code: 'E_UNKNOWN_SOURCE' },
        { file: 'models/a/props.yml', code: 'E_PROPS_UNKNOWN_MODEL' },
        { file: 'models/a/props.yml', code: 'E_UNKNOWN_TEST' },
        { file: 'models/a/cycle_one.sql', code: 'E_CYCLE' },
      ].map(key).sort(),
    );
    const cycle = out.diagnostics.find((d) => d.code === 'E_CYCLE')!;
    expect(cycle.message).toMatch(/cycle_one > cycle_two > cycle_one/);
    expect(out.diagnostics.find((d) => d.code === 'E_UNKNOWN_REF')).toMatchObject({ line: 2, hint: "did you mean 'cycle_two'?" });
  });
});
