import { describe, expect, it } from 'vitest';
import { compileFiles, model, PROJECT_YML } from './harness.js';

const withModels = (models: string) => PROJECT_YML.replace(/^models:\n[\s\S]*$/m, `models:\n${models}`);
const files = (models: string) => ({
  'stedi_project.yml': withModels(models),
  'models/trusted/a.sql': 'select 1 as n',
  'models/curated/deep/b.sql': 'select 1 as n',
});

describe('folder configs under models:', () => {
  it("dbt's nesting under the project name applies to the project's folders", () => {
    const out = compileFiles(files('  demo:\n    +materialized: table\n    trusted: { +zone: trusted }\n    curated:\n      deep: { +zone: curated, +tags: [deep] }\n'));
    expect(out.diagnostics).toEqual([]);
    expect(model(out, 'a')).toMatchObject({ zone: 'trusted', materialized: 'table' });
    expect(model(out, 'b')).toMatchObject({ zone: 'curated', materialized: 'table', tags: ['deep'] });
  });

  it('a path that names no model folder is an error at its key, with a did-you-mean (never ignored)', () => {
    const f = files('  trustd: { +zone: trusted }\n  demo:\n    curated:\n      dep: { +zone: curated }\n  other_project:\n    trusted: { +zone: x }\n');
    const lineOf = (key: string) => f['stedi_project.yml'].split('\n').findIndex((l) => l.trimStart().startsWith(`${key}:`)) + 1;
    const out = compileFiles(f);
    // least nested first, as folder configs apply
    expect(out.diagnostics.map((d) => ({ file: d.file, line: d.line, code: d.code, hint: d.hint }))).toEqual([
      { file: 'stedi_project.yml', line: lineOf('trustd'), code: 'E_UNUSED_CONFIG_PATH', hint: "did you mean 'trusted'?" },
      { file: 'stedi_project.yml', line: lineOf('trusted'), code: 'E_UNUSED_CONFIG_PATH', hint: "keys under models: are folders of models (curated, curated/deep, trusted), optionally under the project name 'demo' as in dbt" },
      { file: 'stedi_project.yml', line: lineOf('dep'), code: 'E_UNUSED_CONFIG_PATH', hint: "did you mean 'curated/deep'?" },
    ]);
    expect(lineOf('trustd')).toBeGreaterThan(0);
    expect(out.diagnostics[0]!.message).toBe("models.trustd: no model folder 'trustd' under models, so this config applies to nothing");
    expect(out.manifest).toBeUndefined();
  });

  it('a model folder named like the project is that folder, not the project', () => {
    const out = compileFiles({ 'stedi_project.yml': withModels('  demo: { +zone: trusted }\n'), 'models/demo/a.sql': 'select 1 as n', 'models/other/b.sql': 'select 1 as n' });
    expect(out.diagnostics).toEqual([]);
    expect(model(out, 'a').zone).toBe('trusted');
    expect(model(out, 'b').zone).toBe('main');
  });
});
