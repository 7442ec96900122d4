/** state: and result: and fqn: selection against manifests compiled from in-memory projects. */
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../../runner/graph/dag.js';
import { select, type SelectionState } from '../../../runner/graph/select.js';
import { compareState, stateMismatch } from '../../../runner/graph/state.js';
import type { Manifest } from '../../../runner/manifest/types.js';
import { compileFiles, PROJECT_YML } from '../compiler/harness.js';

const FILES = {
  'macros/m.sql': "{% macro cents(c) %}{{ c }} * 100{% endmacro %}",
  'models/trusted/a.sql': "select email, {{ cents('n') }} as n from {{ source('landing', 'customer') }}",
  'models/trusted/b.sql': "select * from {{ ref('a') }} where n > {{ var('policy') == 'strict' and 1 or 0 }}",
  'models/trusted/c.sql': "select count(*) as k from {{ ref('b') }}",
  'models/trusted/lone.sql': 'select 1 as x',
  'models/trusted/a.yml': 'version: 2\nmodels:\n  - name: a\n    description: first\n    columns:\n      - name: n\n        tests: [not_null]\n',
};

function manifest(over: Record<string, string> = {}, opts: { target?: string; vars?: Record<string, unknown> } = {}): Manifest {
  const out = compileFiles({ ...FILES, ...over }, opts);
  if (!out.manifest) throw new Error(JSON.stringify(out.diagnostics));
  return out.manifest;
}

function state(current: Manifest, old: Manifest, results?: Record<string, string>): SelectionState {
  return { dir: 'prod-target', diff: compareState(current, old), ...(results ? { results: new Map(Object.entries(results)) } : {}) };
}

function names(m: Manifest, sel: string[], st?: SelectionState, types: ('model' | 'test' | 'source')[] = ['model']): { names: string[]; errors: string[] } {
  const { ids, errors } = select(buildGraph(m.nodes), { select: sel, resourceTypes: types, ...(st ? { state: st } : {}) });
  return { names: [...ids].map((id) => m.nodes[id]!.name).sort(), errors: errors.map((e) => e.message) };
}

describe('compareState', () => {
  const old = manifest();

  it('an identical manifest has nothing modified, every node old', () => {
    const diff = compareState(manifest(), old);
    expect([...diff.values()].every((d) => Array.isArray(d) && d.length === 0)).toBe(true);
    expect(names(manifest(), ['state:modified'], state(manifest(), old)).names).toEqual([]);
  });

  it('an edited model is modified.body; its children are not modified, only selected by +', () => {
    const cur = manifest({ 'models/trusted/b.sql': "select * from {{ ref('a') }} where n > 2" });
    const diff = compareState(cur, old);
    expect(diff.get('model.demo.b')).toEqual(['body']);
    expect(diff.get('model.demo.c')).toEqual([]);
    const st = state(cur, old);
    expect(names(cur, ['state:modified'], st).names).toEqual(['b']);
    expect(names(cur, ['state:modified+'], st).names).toEqual(['b', 'c']);
    expect(names(cur, ['+state:modified'], st).names).toEqual(['a', 'b']);
    expect(names(cur, ['state:modified.configs'], st).names).toEqual([]);
    expect(names(cur, ['state:unmodified'], st).names).toEqual(['a', 'c', 'lone']);
  });

  it('a changed macro is modified.macros of the model calling it (and of nothing else)', () => {
    const cur = manifest({ 'macros/m.sql': "{% macro cents(c) %}{{ c }} * 1000{% endmacro %}" });
    expect(compareState(cur, old).get('model.demo.a')).toEqual(['macros']);
    expect(names(cur, ['state:modified'], state(cur, old)).names).toEqual(['a']);
    expect(names(cur, ['state:modified.body'], state(cur, old)).names).toEqual([]);
  });

  it('a var a model reads is modified.vars; a config is modified.configs; a description changes nothing', () => {
    const vars = manifest({}, { vars: { policy: 'lax' } });
    expect(compareState(vars, old).get('model.demo.b')).toEqual(['vars']);
    const conf = manifest({ 'models/trusted/lone.yml': 'version: 2\nmodels:\n  - name: lone\n    config: { materialized: view }\n' });
    expect(compareState(conf, old).get('model.demo.lone')).toEqual(['configs']);
    const desc = manifest({ 'models/trusted/a.yml': FILES['models/trusted/a.yml'].replace('first', 'the first') });
    expect(names(desc, ['state:modified'], state(desc, old), ['model', 'test', 'source']).names).toEqual([]);
  });

  it('a new model is state:new and state:modified; a changed test or source definition is modified', () => {
    const cur = manifest({
      'models/trusted/d.sql': 'select 2 as y',
      'models/trusted/a.yml': 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: n\n        tests: [not_null, unique]\n',
    });
    const st = state(cur, old);
    expect(names(cur, ['state:new'], st).names).toEqual(['d']);
    expect(names(cur, ['state:modified'], st).names).toEqual(['d']);
    expect(names(cur, ['state:new'], st, ['test']).names).toEqual(['unique_a_n']);
    const src = manifest({}, { vars: { landing_root: 'elsewhere' } });
    expect(compareState(src, old).get('source.demo.landing.customer')).toEqual(['body']);
  });

  it('the same project on another target of the same engine compares equal (relations are named by node)', () => {
    const other = compileFiles(FILES, { target: 'local' }).manifest!;
    // the relations (and the SQL naming them) in another schema; the config is untouched
    const renamed: Manifest = JSON.parse(JSON.stringify(other).split('\\"trusted\\"').join('\\"trusted_ci\\"'));
    expect(JSON.stringify(renamed)).toContain('trusted_ci');
    expect([...compareState(renamed, old).values()].every((d) => Array.isArray(d) && d.length === 0)).toBe(true);
  });

  it('another project or another engine is a mismatch, not a comparison', () => {
    expect(stateMismatch(manifest(), manifest({}, { target: 'athena' }))).toMatch(/athena.*cannot be compared/);
    const foreign = { ...old, metadata: { ...old.metadata, project_name: 'other' } };
    expect(stateMismatch(manifest(), foreign)).toContain("project 'other'");
    expect(stateMismatch(manifest(), old)).toBeUndefined();
    expect(PROJECT_YML).toContain('athena');
  });

  it('a seed without a recorded checksum counts as modified', () => {
    const withSeed = (checksum?: string): Manifest => {
      const m = manifest();
      const id = 'seed.demo.s';
      m.nodes[id] = { unique_id: id, resource_type: 'seed', name: 's', original_file_path: 'seeds/s.csv', line: 1, fqn: ['demo', 's'], tags: [], description: '', depends_on: [], config: { enabled: true }, relation: { schema: 'seeds', identifier: 's', rendered: '"seeds"."s"' }, columns: [], seed_path: 'seeds/s.csv', entity: 's', ...(checksum ? { checksum: { name: 'sha256', checksum } } : {}) };
      return m;
    };
    expect(compareState(withSeed('abc'), withSeed('abc')).get('seed.demo.s')).toEqual([]);
    expect(compareState(withSeed('abc'), withSeed('abd')).get('seed.demo.s')).toEqual(['body']);
    expect(compareState(withSeed(), withSeed()).get('seed.demo.s')).toEqual(['body']);
  });
});

describe('state: and result: need --state', () => {
  it('are invalid selectors without it, and result: without a run_results.json', () => {
    const m = manifest();
    const { errors } = select(buildGraph(m.nodes), { select: ['state:modified+', 'result:fail'] });
    expect(errors.map((e) => [e.kind, e.message])).toEqual([
      ['invalid', "'state:modified+': the state method needs --state <dir>"],
      ['invalid', "'result:fail': the result method needs --state <dir>"],
    ]);
    const r = select(buildGraph(m.nodes), { select: ['result:fail'], state: state(m, m) });
    expect(r.errors[0]?.message).toContain('prod-target/run_results.json');
    expect(select(buildGraph(m.nodes), { select: ['state:changed'], state: state(m, m) }).errors[0]).toMatchObject({ kind: 'invalid', hint: expect.stringContaining('modified') });
  });
});

describe('result:', () => {
  it('selects by the status recorded in the state, with graph operators', () => {
    const m = manifest();
    const st = state(m, m, { 'model.demo.a': 'error', 'model.demo.b': 'skipped', 'model.demo.c': 'skipped', 'model.demo.lone': 'success', 'test.demo.not_null_a_n': 'fail' });
    expect(names(m, ['result:error'], st).names).toEqual(['a']);
    expect(names(m, ['result:skipped'], st).names).toEqual(['b', 'c']);
    expect(names(m, ['result:error+'], st).names).toEqual(['a', 'b', 'c']);
    expect(names(m, ['result:fail'], st, ['test']).names).toEqual(['not_null_a_n']);
    expect(names(m, ['result:success,lone'], st).names).toEqual(['lone']);
  });
});

describe('fqn:', () => {
  const m = manifest();
  it.each([
    ['demo.trusted.a', ['a']],
    ['a', ['a']],
    ['demo.trusted', ['a', 'b', 'c', 'lone']],
    ['demo', ['a', 'b', 'c', 'lone']],
    ['demo.trusted.l*', ['lone']],
    ['demo.*.c', ['c']],
    ['trusted.a', []],
  ])('fqn:%s selects %j', (sel, want) => {
    expect(names(m, [`fqn:${sel}`]).names).toEqual(want);
  });
});
