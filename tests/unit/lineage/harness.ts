/** Small in-memory catalogs for column-lineage tests: a few sources, one model under test. */
import { projectLineage } from '../../../runner/lineage/project.js';
import type { ColumnLineage, ProjectLineage } from '../../../runner/lineage/types.js';
import type { ManifestNode, ModelNode, SourceNode } from '../../../runner/manifest/types.js';

function source(name: string, columns: [string, boolean | 'pseudonym'][]): SourceNode {
  return {
    unique_id: `source.t.raw.${name}`, resource_type: 'source', name, source_name: 'raw', original_file_path: 'models/sources.yml', line: 1,
    fqn: [], tags: [], description: '', depends_on: [], config: { enabled: true },
    relation: { schema: 'raw', identifier: name, rendered: `"raw"."${name}"` },
    columns: columns.map(([c, pii]) => (pii === 'pseudonym' ? { name: c, description: '', pii: false, meta: {}, derived: { pseudonym_of: 'email' } } : { name: c, description: '', pii, meta: pii ? { pii: true } : {} })),
    location: '', format: 'json', entity: name,
  };
}

export function model(name: string, sql: string, opts: { columns?: string[]; deps?: string[]; config?: Record<string, unknown> } = {}): ModelNode {
  return {
    unique_id: `model.t.${name}`, resource_type: 'model', name, original_file_path: `models/${name}.sql`, line: 1, fqn: [], tags: [], description: '',
    depends_on: opts.deps ?? ['source.t.raw.users', 'source.t.raw.orders'], config: { enabled: true, ...opts.config }, materialized: 'table', entity: name, zone: 'main',
    relation: { schema: 'main', identifier: name, rendered: `"main"."${name}"` },
    columns: (opts.columns ?? []).map((c) => ({ name: c, description: '', pii: false, meta: {} })), raw_code: sql, compiled_code: sql,
  };
}

export const SOURCES: ManifestNode[] = [
  source('users', [['id', false], ['email', true], ['name', true], ['age', false]]),
  source('orders', [['id', false], ['user_id', false], ['amount', false], ['created_at', false]]),
  // a source with a pseudonym derived at ingestion (derived: {pseudonym_of: email})
  source('people', [['email', true], ['subject_key', 'pseudonym']]),
];

export function lineageOf(sql: string, extra: ManifestNode[] = []): { columns: ColumnLineage[]; project: ProjectLineage; error?: string } {
  const m = model('m', sql, { deps: ['source.t.raw.users', 'source.t.raw.orders', ...extra.map((n) => n.unique_id)] });
  const nodes = Object.fromEntries([...SOURCES, ...extra, m].map((n) => [n.unique_id, n]));
  const project = projectLineage({ nodes, dialect: 'duckdb' });
  const ml = project.models['model.t.m']!;
  return { columns: ml.columns, project, ...(ml.error ? { error: ml.error } : {}) };
}

/** `name <- node.column[via], …` per column, short ids, for readable assertions. */
export function summary(columns: ColumnLineage[]): Record<string, string[]> {
  return Object.fromEntries(columns.map((c) => [c.name, [
    ...c.upstream.map((e) => `${e.node.split('.').at(-1)}.${e.column}${e.via === 'direct' ? '' : `[${e.via}]`}`),
    ...c.unresolved.map((u) => `?${u.reference}`),
  ]]));
}
