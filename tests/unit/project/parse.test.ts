import { describe, expect, it } from 'vitest';
import { parseProject } from '../../../runner/project/parse.js';
import { baseFiles, withFile } from './fixtures.js';

describe('parseProject: a valid project', () => {
  const { project, diagnostics } = parseProject(baseFiles());

  it('has no diagnostics', () => {
    expect(diagnostics).toEqual([]);
    expect(project).toBeDefined();
  });

  it('reads the project config with defaults and targets', () => {
    const c = project!.config;
    expect(c.name).toBe('stedi');
    expect(c.version).toBe('1.0');
    expect(c.model_paths).toEqual(['models']);
    expect(c.default_target).toBe('local');
    expect(c.vars).toEqual({ landing_root: 'seeds/landing', consent_policy: 'as_of_date' });
    expect(c.targets.local).toMatchObject({
      type: 'duckdb',
      lake_dir: 'lake',
      path_template: '{entity}/{zone}/{name}',
      catalog: 'lake/stedi.duckdb',
      threads: 2,
      loc: { file: 'stedi_project.yml', line: 13 },
    });
    // templated values are kept as strings
    expect(c.targets.athena).toMatchObject({ type: 'athena', threads: "{{ env_var('ATHENA_THREADS', '8') }}", catalog: 'AwsDataCatalog' });
  });

  it('orders folder configs from least to most specific', () => {
    expect(project!.config.model_configs).toEqual([
      { path: '', config: { materialized: 'view' }, loc: { file: 'stedi_project.yml', line: 23 } },
      { path: 'trusted', config: { zone: 'trusted', materialized: 'table' }, loc: { file: 'stedi_project.yml', line: 25 } },
      { path: 'curated', config: { zone: 'curated' }, loc: { file: 'stedi_project.yml', line: 30 } },
      { path: 'trusted/sub', config: { tags: ['deep'] }, loc: { file: 'stedi_project.yml', line: 28 } },
    ]);
  });

  it('classifies files by folder and extension, sorted', () => {
    expect(project!.models.map((m) => m.path)).toEqual([
      'models/curated/customer_curated.sql',
      'models/trusted/customer_trusted.sql',
    ]);
    expect(project!.macros.map((m) => m.path)).toEqual(['macros/mask.sql']);
    expect(project!.seeds).toEqual([{ path: 'seeds/countries.csv', name: 'countries', header: ['code', 'name'] }]);
  });

  it('reads sources with columns, config and tests', () => {
    const [src] = project!.sources;
    expect(src).toMatchObject({ name: 'landing', description: 'Raw JSON landing zone', loc: { file: 'models/sources.yml', line: 3 } });
    const t = src!.tables[0]!;
    expect(t).toMatchObject({
      name: 'customer',
      entity: 'customer',
      format: 'json',
      location: "{{ var('landing_root') }}/customer/landing",
      config: { on_malformed: 'quarantine', tags: ['landing'] },
      loc: { file: 'models/sources.yml', line: 6 },
    });
    expect(t.columns.map((c) => [c.name, c.data_type, c.meta])).toEqual([
      ['email', 'varchar', { pii: true }],
      ['shareWithResearchAsOfDate', 'bigint', {}],
    ]);
    expect(t.columns[0]!.tests).toEqual([{ name: 'not_null', args: {}, config: {}, loc: { file: 'models/sources.yml', line: 14 } }]);
    expect(t.tests).toEqual([
      { name: 'unique_combination', args: { columns: ['email'] }, config: {}, loc: { file: 'models/sources.yml', line: 18 } },
    ]);
  });

  it('reads model properties and every test form', () => {
    const m = project!.modelProps[0]!;
    expect(m).toMatchObject({
      name: 'customer_trusted',
      config: { materialized: 'table', zone: 'trusted', entity: 'customer', tags: ['a'] },
      loc: { file: 'models/trusted/customer_trusted.yml', line: 3 },
    });
    const [email, status] = m.columns;
    expect(email!.tests.map((t) => [t.name, t.args, t.config])).toEqual([
      ['not_null', {}, {}],
      ['relationships', { to: "ref('customer_landing')", field: 'email' }, { severity: 'warn' }],
    ]);
    expect(status!.data_type).toBeUndefined();
    expect(status!.tests.map((t) => [t.name, t.args, t.config, t.loc.line])).toEqual([
      ['accepted_values', { values: ['a', 'b'] }, { severity: 'warn', error_if: '>10' }, 14],
      ['accepted_values', { values: ['x'] }, { where: 'status is not null' }, 15],
    ]);
  });

  it('reads unit tests with dict and csv rows', () => {
    expect(project!.unitTests).toEqual([
      {
        name: 'ut_customer_trusted',
        model: 'customer_trusted',
        description: '',
        overrides: { vars: { consent_policy: 'any_time' } },
        given: [
          {
            input: "source('landing', 'customer')",
            rows: [{ email: 'a@b.c', shareWithResearchAsOfDate: 1 }],
            loc: { file: 'models/trusted/customer_trusted.yml', line: 23 },
          },
          {
            input: "ref('other')",
            rows: [
              { id: '1', name: 'x, y' },
              { id: '2', name: null },
            ],
            loc: { file: 'models/trusted/customer_trusted.yml', line: 26 },
          },
        ],
        expect: { rows: [{ email: 'a@b.c' }] },
        loc: { file: 'models/trusted/customer_trusted.yml', line: 19 },
      },
    ]);
  });

  it('ignores dot-files and files outside the configured folders', () => {
    const files = [
      ...baseFiles(),
      { path: 'models/.hidden.sql', text: 'select 1' },
      { path: 'models/.cache/x.yml', text: 'not: [valid' },
      { path: 'other/x.sql', text: 'select 1' },
      { path: 'seeds/landing/customer/landing/a.json', text: '{}' },
    ];
    const r = parseProject(files);
    expect(r.diagnostics).toEqual([]);
    expect(r.project!.models).toHaveLength(2);
    expect(r.project!.seeds).toHaveLength(1);
  });

  it('honours configured paths', () => {
    const yml = baseFiles()[0]!.text.replace('model-paths: [models]', 'model-paths: [transform]');
    const files = [...withFile('stedi_project.yml', yml), { path: 'transform/a.sql', text: 'select 1' }];
    const r = parseProject(files);
    expect(r.project!.models.map((m) => m.path)).toEqual(['transform/a.sql']);
    expect(r.project!.modelProps).toEqual([]);
  });

  it('a minimal project gets defaults', () => {
    const r = parseProject([{ path: 'stedi_project.yml', text: 'name: p\ndefault-target: dev\ntargets:\n  dev: { type: duckdb, lake_dir: data }\n' }]);
    expect(r.diagnostics).toEqual([]);
    expect(r.project!.config).toMatchObject({
      seed_paths: ['seeds'],
      macro_paths: ['macros'],
      target_path: 'target',
      clean_targets: ['target'],
      vars: {},
      model_configs: [],
    });
    expect(r.project!.config.targets.dev).toMatchObject({ catalog: 'data/stedi.duckdb', threads: 4 });
  });
});
