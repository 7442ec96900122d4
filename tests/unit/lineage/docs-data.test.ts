/** The docs site's data and page, without a browser: zones, what is left out, safe inlining. */
import { describe, expect, it } from 'vitest';
import { buildDocsData, lineageJson } from '../../../runner/docs/data.js';
import { renderIndexHtml } from '../../../runner/docs/html.js';
import { projectLineage } from '../../../runner/lineage/project.js';
import type { Manifest, ManifestNode, TestNode, UnitTestNode } from '../../../runner/manifest/types.js';
import { model, SOURCES } from './harness.js';

const m = { ...model('m', 'select email, age from raw.users', { deps: ['source.t.raw.users'] }), zone: 'curated', description: 'evil </script><script>alert(1)</script>' };
const test: TestNode = {
  unique_id: 'test.t.not_null_m_email', resource_type: 'test', name: 'not_null_m_email', original_file_path: 'models/m.yml', line: 1, fqn: [], tags: [], description: '',
  depends_on: ['model.t.m'], config: { enabled: true }, test_metadata: { name: 'not_null', kwargs: {} }, attached_node: 'model.t.m', column_name: 'email',
  severity: 'error', warn_if: '!=0', error_if: '!=0', compiled_code: 'select 1',
};
const unit: UnitTestNode = {
  unique_id: 'unit_test.t.m.u', resource_type: 'unit_test', name: 'u', original_file_path: 'models/m.yml', line: 1, fqn: [], tags: [], description: '',
  depends_on: ['model.t.m'], config: { enabled: true }, model: 'model.t.m', given: [{ input: 'source.t.raw.users', rows: [{ email: 'someone@example.com' }] }], expect: { rows: [{ email: 'someone@example.com' }] }, compiled_code: 'select 1',
};
const nodes: Record<string, ManifestNode> = Object.fromEntries([...SOURCES, m, test, unit].map((n) => [n.unique_id, n]));
const manifest = (target: string): Manifest => ({
  metadata: { schema_version: 1, stedi_version: '0', generated_at: '', project_name: 't', target: { name: target, type: 'duckdb', settings: {} }, vars: {} },
  nodes, diagnostics: [],
});

describe('docs data', () => {
  const lineage = projectLineage({ nodes, dialect: 'duckdb' });
  const data = buildDocsData({ manifests: { local: manifest('local'), athena: manifest('athena') }, primary: 'local', lineage, generatedAt: 'now' });

  it('places every node in a zone: sources in landing, tests with what they test', () => {
    expect(data.zones).toEqual({ 'source.t.raw.users': 'landing', 'source.t.raw.orders': 'landing', 'source.t.raw.people': 'landing', 'model.t.m': 'curated', 'test.t.not_null_m_email': 'curated', 'unit_test.t.m.u': 'curated' });
    expect(data.targets).toEqual(['local', 'athena']);
    expect(Object.keys(data.compiled['model.t.m']!)).toEqual(['local', 'athena']);
  });

  it('leaves unit test rows out of the site', () => {
    const u = data.nodes['unit_test.t.m.u'] as UnitTestNode;
    expect(u.given).toEqual([{ input: 'source.t.raw.users', rows: [] }]);
    expect(u.expect.rows).toEqual([]);
    expect(JSON.stringify(data)).not.toContain('someone@example.com');
  });

  it('lineage.json: columns with upstream and PII status, and the node edges', () => {
    const json = lineageJson(data) as { nodes: Record<string, { columns?: Record<string, unknown> }>; edges: unknown[] };
    expect(json.nodes['model.t.m']!.columns).toEqual({
      email: { pii: 'pii', declared_pii: false, upstream: [{ node: 'source.t.raw.users', column: 'email', via: 'direct' }], unresolved: [] },
      age: { pii: 'none', declared_pii: false, upstream: [{ node: 'source.t.raw.users', column: 'age', via: 'direct' }], unresolved: [] },
    });
    expect(json.edges).toContainEqual({ from: 'model.t.m', to: 'test.t.not_null_m_email' });
  });

  it('lineage.json: a derived source column is a pseudonym of its base column, not a direct identifier', () => {
    const json = lineageJson(data) as { nodes: Record<string, { columns?: Record<string, unknown> }> };
    expect(json.nodes['source.t.raw.people']!.columns).toEqual({
      email: { pii: 'pii', declared_pii: true, upstream: [], unresolved: [] },
      subject_key: { pii: 'pseudonymised', declared_pii: false, upstream: [{ node: 'source.t.raw.people', column: 'email', via: 'pseudonymised' }], unresolved: [] },
    });
  });

  it('carries the ingestion of every source the last run ingested, by source id', () => {
    const landing = {
      source: 'raw.users', relation: 'raw.users', rejects_relation: 'raw.users__rejects', location: 'l', on_malformed: 'quarantine', files: [], skipped: [], warnings: [],
      totals: { files: 0, lines_read: 3, accepted: 3, rejected: 0, blank: 0, duplicate_delivery: 0, tolerated: { bom: 0, crlf: 0, trailing_comma: 0, case_folded_keys: 0, coerced_values: 0 }, empty_files: 0, duplicate_files: 0, skipped_files: 0 },
    };
    const base = { started_at: '', completed_at: 'c', execution_time: 0, message: '', status: 'success' as const };
    const withResults = buildDocsData({
      manifests: { local: manifest('local') }, primary: 'local', lineage, generatedAt: 'now',
      runResults: {
        metadata: { schema_version: 1, generated_at: 'g', invocation_id: 'i', command: 'build', target: 'local' }, args: { threads: 1, fail_fast: false }, elapsed_time: 0, success: true,
        results: [{ ...base, unique_id: 'source.t.raw.users', name: 'users', resource_type: 'source', adapter_response: { landing } }, { ...base, unique_id: 'model.t.m', name: 'm', resource_type: 'model' }],
      },
    });
    expect(Object.keys(withResults.ingestion ?? {})).toEqual(['source.t.raw.users']);
    expect(withResults.ingestion!['source.t.raw.users']).toMatchObject({ lines_read: 3, accepted: 3, balanced: true, entity: [] });
    expect(data.ingestion).toBeUndefined();
  });

  it('inlines data and script without letting either close the <script> element', () => {
    const html = renderIndexHtml(data, 'var s = "</script><!--";');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain('evil \\u003c/script>\\u003cscript>alert(1)\\u003c/script>');
    const json = /<script type="application\/json" id="stedi-data">(.*?)<\/script>/s.exec(html)![1]!;
    expect(JSON.parse(json).nodes['model.t.m'].description).toBe(m.description);
    expect(html).toContain('var s = "<\\/script><\\!--";');
  });
});
