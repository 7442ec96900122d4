import { describe, expect, it } from 'vitest';
import type { PublishedRecord } from '../../../runner/adapters/types.js';
import { plan } from '../../../runner/execute/plan.js';
import { unbuiltReads } from '../../../runner/execute/inputs.js';
import { deferRefusal, unpublishedParents } from '../../../runner/cli/state.js';
import { compileFiles } from '../compiler/harness.js';

const m = compileFiles({
  'models/trusted/a.sql': "select * from {{ source('landing', 'customer') }}",
  'models/trusted/b.sql': "select * from {{ ref('a') }}",
  'models/trusted/c.sql': "select * from {{ ref('b') }}",
}).manifest!;
const published = (...ids: string[]): PublishedRecord[] => ids.map((id) => ({ relation: (m.nodes[id] as { relation: { rendered: string } }).relation.rendered } as PublishedRecord));

describe('--defer: unpublishedParents', () => {
  const steps = plan(m, new Set(['model.demo.c']), 'build');

  it('names each table read but not built that is not published on the target', () => {
    expect(unpublishedParents(m, steps, published())).toEqual([{ node: 'model.demo.c', parent: 'model.demo.b' }]);
    expect(unpublishedParents(m, steps, published('model.demo.b'))).toEqual([]);
  });

  it('never asks for a table the command builds itself, nor for a source (ingested by the plan)', () => {
    expect(unpublishedParents(m, plan(m, new Set(['model.demo.a', 'model.demo.b', 'model.demo.c']), 'build'), published())).toEqual([]);
  });

  it('says why another target is not read from', () => {
    const state = { dir: '/s', manifest: { ...m, metadata: { ...m.metadata, target: { ...m.metadata.target, name: 'prod' } } } };
    const e = deferRefusal(m, [{ node: 'model.demo.c', parent: 'model.demo.b' }], state);
    expect(e.message).toContain('b (read by c)');
    expect(e.message).toContain('does not read them from target prod');
    expect(deferRefusal(m, [{ node: 'model.demo.c', parent: 'model.demo.b' }], { dir: '/s', manifest: m }).message).not.toContain('target prod');
  });
});

describe('unbuiltReads', () => {
  const g = compileFiles({
    'models/trusted/a.sql': "select 1 as id",
    'models/trusted/b.sql': "select * from {{ ref('a') }}",
    'models/trusted/c.sql': "select * from {{ ref('b') }}",
    'models/trusted/schema.yml': "version: 2\nmodels:\n  - name: c\n    columns:\n      - name: id\n        tests:\n          - relationships: { to: ref('a'), field: id }\n",
  }).manifest!;
  const rel = (...ids: string[]): PublishedRecord[] => ids.map((id) => ({ relation: (g.nodes[id] as { relation: { rendered: string } }).relation.rendered } as PublishedRecord));
  const gate = Object.keys(g.nodes).find((id) => id.startsWith('test.') && id.includes('relationships'))!;

  it('names a table that only a test gating the model reads (an ancestor, not a parent)', () => {
    const steps = plan(g, new Set(['model.demo.c', gate]), 'build');
    const audit = steps.find((s) => s.kind === 'materialize');
    expect(audit?.kind === 'materialize' && audit.audit.map((t) => t.unique_id)).toEqual([gate]);
    expect([...unbuiltReads(g, steps, rel('model.demo.b'))]).toEqual([[gate, ['model.demo.a']]]);
    expect([...unbuiltReads(g, steps, rel('model.demo.a', 'model.demo.b'))]).toEqual([]);
    expect([...unbuiltReads(g, steps, rel())]).toEqual([['model.demo.c', ['model.demo.b']], [gate, ['model.demo.a']]]);
  });
});
