import { describe, expect, it } from 'vitest';
import { parseProject } from '../../../runner/project/parse.js';
import { baseFiles, codes, find, PROJECT_YML, withFile } from './fixtures.js';

/** Sorts after the fixture's property files, so duplicates are reported here. */
const MODEL_FILE = 'models/z_extra.yml';

/** Parse the base project plus one property file. */
function withProps(text: string, path = MODEL_FILE) {
  return parseProject([...baseFiles(), { path, text }]);
}

function withProject(text: string) {
  return parseProject(withFile('stedi_project.yml', text));
}

describe('project file', () => {
  it('E_NO_PROJECT_FILE', () => {
    const r = parseProject([{ path: 'models/a.sql', text: 'select 1' }]);
    expect(r.project).toBeUndefined();
    expect(r.diagnostics).toMatchObject([{ code: 'E_NO_PROJECT_FILE', file: 'stedi_project.yml', line: 0 }]);
  });

  it('E_YAML_PARSE with the line of the error', () => {
    const r = withProject('name: stedi\ntargets:\n  local: [unclosed\n');
    expect(r.project).toBeUndefined();
    expect(find(r.diagnostics, 'E_YAML_PARSE')).toMatchObject({ file: 'stedi_project.yml', line: 4 });
  });

  it('a project file that is not a readable mapping stops the load: no partial project, no errors that follow from it', () => {
    for (const text of ['name: stedi\n  bad: [unclosed\ntargets:\n  local: {type: duckdb}\n', '- [1]\n']) {
      const r = parseProject(withFile('stedi_project.yml', text));
      expect(r.project).toBeUndefined();
      expect(r.partial).toBeUndefined();
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ file: 'stedi_project.yml', code: text.startsWith('-') ? 'E_BAD_TYPE' : 'E_YAML_PARSE' });
    }
    // a readable project file with a mistake still gives the rest to compile
    expect(parseProject(withFile('stedi_project.yml', PROJECT_YML.replace('model-paths:', 'model-path:'))).partial).toBeDefined();
  });

  it('E_YAML_PARSE names a key written twice in one mapping, at its second line', () => {
    const r = withProject('name: stedi\nvars:\n  a: 1\n  b: 2\n  a: 3\n');
    expect(find(r.diagnostics, 'E_YAML_PARSE')).toMatchObject({ file: 'stedi_project.yml', line: 5, message: "YAML syntax error: the key 'a' appears twice in one mapping", hint: "merge the two 'a' entries into one" });
    const list = withProject('name: stedi\nmodels:\n  - name: x\n    config: {}\n    config: {}\n');
    expect(find(list.diagnostics, 'E_YAML_PARSE')).toMatchObject({ line: 5, message: "YAML syntax error: the key 'config' appears twice in one mapping" });
  });

  it('E_UNKNOWN_KEY at top level with a hint', () => {
    const r = withProject(PROJECT_YML.replace('model-paths:', 'model-path:'));
    expect(find(r.diagnostics, 'E_UNKNOWN_KEY')).toMatchObject({ file: 'stedi_project.yml', line: 3, hint: "did you mean 'model-paths'?" });
  });

  it('E_UNKNOWN_KEY inside a target and in a folder config', () => {
    const text = PROJECT_YML.replace('    threads: 2', '    thread: 2').replace('+materialized: table', '+materialised: table');
    const r = withProject(text);
    expect(r.diagnostics.filter((d) => d.code === 'E_UNKNOWN_KEY')).toMatchObject([
      { line: 15, hint: "did you mean 'threads'?" },
      { line: 27, hint: "did you mean '+materialized'?" },
    ]);
  });

  it('E_BAD_TYPE for a folder key without +, with a hint', () => {
    const r = withProject(PROJECT_YML.replace('  +materialized: view', '  materialized: view'));
    expect(find(r.diagnostics, 'E_BAD_TYPE')).toMatchObject({ line: 24, hint: "did you mean '+materialized'?" });
  });

  it('E_BAD_VALUE for a folder config value', () => {
    const r = withProject(PROJECT_YML.replace('+materialized: view', '+materialized: ephemeral'));
    expect(find(r.diagnostics, 'E_BAD_VALUE')).toMatchObject({ file: 'stedi_project.yml', line: 24 });
  });

  it('E_MISSING_KEY, E_BAD_NAME, E_BAD_TYPE on the project itself', () => {
    const r = withProject('version: 1.0\nname: Stedi-X\ntargets:\n  local: { type: duckdb }\n');
    expect(r.diagnostics).toMatchObject([
      { code: 'E_MISSING_KEY', line: 1, message: expect.stringContaining("'default-target'") },
      { code: 'E_BAD_TYPE', line: 1, hint: 'quote it, e.g. version: "1.0"' },
      { code: 'E_BAD_NAME', line: 2 },
    ]);
  });

  it('E_UNKNOWN_TARGET when default-target is not defined', () => {
    const r = withProject(PROJECT_YML.replace('default-target: local', 'default-target: locall'));
    expect(find(r.diagnostics, 'E_UNKNOWN_TARGET')).toMatchObject({ line: 8, hint: "did you mean 'local'?" });
  });

  it('target type, required keys, int types and templates', () => {
    const text = PROJECT_YML.replace('    threads: 2', '    threads: zero')
      .replace('    database: stedi\n', '')
      .replace("{{ env_var('AWS_REGION', 'us-east-1') }}", "{{ var('region') }}");
    const r = withProject(text);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['E_BAD_TYPE', 15],
      ['E_MISSING_KEY', 17],
      ['E_BAD_TEMPLATE', 18],
    ]);
    const r2 = withProject(PROJECT_YML.replace('type: duckdb', 'type: duckbd'));
    expect(find(r2.diagnostics, 'E_BAD_VALUE')).toMatchObject({ line: 14, hint: "did you mean 'duckdb'?" });
  });
});

describe('property files', () => {
  it('E_YAML_PARSE reports the first syntax error with the count of the rest, and skips the file', () => {
    const r = withProps('version: 2\nmodels:\n  - name: a\n    config: {x: [1, }\n  - name: "b\n');
    expect(r.project).toBeUndefined();
    const errs = r.diagnostics.filter((d) => d.code === 'E_YAML_PARSE');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ file: MODEL_FILE, line: 4 });
    expect(errs[0]!.message).toMatch(/^YAML syntax error: .+; \d+ more syntax errors? after it \(from line [45]\) may follow from this one$/);
    expect(codes(r.diagnostics).every((c) => c === 'E_YAML_PARSE')).toBe(true);
  });

  it('E_UNKNOWN_KEY at top level, in a model, a column, a config and a test config', () => {
    const r = withProps(`version: 2
model:
  - name: x
models:
  - name: a
    descripton: typo
    config: { materialised: table }
    columns:
      - name: c
        dat_type: int
        tests:
          - not_null: { config: { severty: warn } }
`);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.hint])).toEqual([
      ['E_UNKNOWN_KEY', 2, "did you mean 'models'?"],
      ['E_UNKNOWN_KEY', 6, "did you mean 'description'?"],
      ['E_UNKNOWN_KEY', 7, "did you mean 'materialized'?"],
      ['E_UNKNOWN_KEY', 10, "did you mean 'data_type'?"],
      ['E_UNKNOWN_KEY', 12, "did you mean 'severity'?"],
    ]);
  });

  it('E_MISSING_KEY: source column data_type, table location, model name', () => {
    const r = withProps(`sources:
  - name: s
    tables:
      - name: t
        columns:
          - name: c
models:
  - description: no name
`);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['E_MISSING_KEY', 4],
      ['E_MISSING_KEY', 6],
      ['E_MISSING_KEY', 8],
    ]);
    expect(r.diagnostics[0]!.message).toContain("'location'");
    expect(r.diagnostics[1]!.message).toContain("'data_type'");
  });

  it('E_BAD_TYPE names the key and the expected type', () => {
    const r = withProps(`models:
  - name: a
    columns: c1
  - name: b
    tests: not_null
    columns:
      - name: c
        meta: { pii: "yes" }
        tags: 3
`);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['E_BAD_TYPE', 3],
      ['E_BAD_TYPE', 5],
      ['E_BAD_TYPE', 8],
      ['E_BAD_TYPE', 9],
    ]);
    expect(r.diagnostics[0]!.message).toContain("'columns' must be a list");
    expect(r.diagnostics[2]!.message).toContain("'pii' must be a boolean");
  });

  it('E_BAD_VALUE: config enums, thresholds, tests+data_tests, format, version', () => {
    const r = withProps(`version: 1
models:
  - name: a
    config: { materialized: ephemeral }
    columns:
      - name: c
        tests: [not_null]
        data_tests: [unique]
      - name: d
        tests:
          - accepted_values: { values: [x], severity: fatal, warn_if: "more than 0" }
sources:
  - name: s
    tables:
      - name: t
        location: x
        format: parquet
`);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['E_BAD_VALUE', 1],
      ['E_BAD_VALUE', 4],
      ['E_BAD_VALUE', 8],
      ['E_BAD_VALUE', 11],
      ['E_BAD_VALUE', 11],
      ['E_BAD_VALUE', 17],
    ]);
  });

  it('E_BAD_NAME for model, column and table names', () => {
    const r = withProps(`models:
  - name: my-model
    columns:
      - name: first name
sources:
  - name: s
    tables:
      - name: 1t
        location: x
`);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['E_BAD_NAME', 2],
      ['E_BAD_NAME', 4],
      ['E_BAD_NAME', 8],
    ]);
  });

  it('E_DUPLICATE_PROPERTY across files, hint names the first place', () => {
    const r = withProps('version: 2\nmodels:\n  - name: customer_trusted\n');
    expect(find(r.diagnostics, 'E_DUPLICATE_PROPERTY')).toMatchObject({
      file: MODEL_FILE,
      line: 3,
      hint: 'first declared at models/trusted/customer_trusted.yml:3',
    });
  });

  it('E_DUPLICATE_PROPERTY for source tables, unit tests and columns', () => {
    const r = withProps(`sources:
  - name: landing
    tables:
      - name: customer
        location: x
models:
  - name: z
    columns:
      - name: a
      - name: A
unit_tests:
  - name: ut_customer_trusted
    model: z
    given: []
    expect: { rows: [] }
`);
    expect(r.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([
      ['E_DUPLICATE_PROPERTY', MODEL_FILE, 4],
      ['E_DUPLICATE_PROPERTY', MODEL_FILE, 10],
      ['E_DUPLICATE_PROPERTY', MODEL_FILE, 12],
    ]);
  });

  it('test entries: bad shapes and arguments mixing', () => {
    const r = withProps(`models:
  - name: a
    tests:
      - { not_null: {}, unique: {} }
      - accepted_values: { arguments: { values: [a] }, values: [b] }
      - accepted_values: { severity: warn, config: { severity: error } }
`);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['E_BAD_TYPE', 4],
      ['E_UNKNOWN_KEY', 5],
      ['E_BAD_VALUE', 6],
    ]);
  });

  it('unit tests: bad input, bad rows', () => {
    const r = withProps(`unit_tests:
  - name: ut
    model: a
    given:
      - input: customer
        rows: [1]
    expect:
      rows: "a,b"
`);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['E_BAD_VALUE', 5],
      ['E_BAD_TYPE', 6],
      ['E_BAD_TYPE', 8],
    ]);
  });
});

describe('seeds', () => {
  it('E_BAD_SEED, E_DUPLICATE_SEED, E_BAD_NAME', () => {
    const r = parseProject([
      ...baseFiles(),
      { path: 'seeds/empty.csv', text: '' },
      { path: 'seeds/more/countries.csv', text: 'a,a\n' },
      { path: 'seeds/bad-name.csv', text: 'x\n' },
    ]);
    expect(r.diagnostics.map((d) => [d.code, d.file])).toEqual([
      ['E_BAD_NAME', 'seeds/bad-name.csv'],
      ['E_BAD_SEED', 'seeds/empty.csv'],
      ['E_DUPLICATE_SEED', 'seeds/more/countries.csv'],
      ['E_BAD_SEED', 'seeds/more/countries.csv'],
    ]);
  });
});
