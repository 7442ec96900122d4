/** Executes one data test: count the failing rows, keep a few masked samples, apply thresholds. */
import type { QueryStats, Queryable } from '../adapters/types.js';
import { projectLineage } from '../lineage/project.js';
import type { Manifest, TestNode } from '../manifest/types.js';
import { maskRow } from './mask.js';
import { testStatus } from './thresholds.js';

export const SAMPLE_ROWS = 3;

export interface TestOutcome {
  status: 'pass' | 'warn' | 'fail';
  failures: number;
  sample: Record<string, unknown>[];
  /** What the engine reported about the test's queries (Athena: ids, bytes scanned, cost). */
  stats?: QueryStats;
}

function addStats(...all: (QueryStats | undefined)[]): QueryStats | undefined {
  const some = all.filter((s): s is QueryStats => !!s);
  if (some.length === 0) return undefined;
  return {
    query_ids: some.flatMap((s) => s.query_ids),
    data_scanned_bytes: some.reduce((n, s) => n + s.data_scanned_bytes, 0),
    estimated_cost_usd: Math.round(some.reduce((n, s) => n + s.estimated_cost_usd, 0) * 1e8) / 1e8,
  };
}

/**
 * Column names that must be masked in the samples of a test: every column of its parents that
 * is declared `meta.pii`, and every model column that column lineage finds carrying personal
 * data (`pii` or `derived`) or cannot show free of it (`unknown`), declared or not. Computed
 * only when a test fails (its samples are about to be printed and stored).
 */
export function piiColumnsOf(manifest: Manifest, test: TestNode): Set<string> {
  const out = new Set<string>();
  for (const id of test.depends_on) {
    const n = manifest.nodes[id];
    if (n && 'columns' in n) for (const c of n.columns) if (c.pii) out.add(c.name.toLowerCase());
  }
  const models = test.depends_on.filter((id) => manifest.nodes[id]?.resource_type === 'model');
  if (models.length) {
    const pseudonymiser = manifest.metadata.pseudonymiser;
    const lineage = projectLineage({ nodes: manifest.nodes, dialect: manifest.metadata.target.type, only: models, ...(pseudonymiser ? { pseudonymiser } : {}) });
    for (const id of models) {
      for (const [column, status] of Object.entries(lineage.pii[id] ?? {})) if (status === 'pii' || status === 'derived' || status === 'unknown') out.add(column.toLowerCase());
    }
  }
  const parent = manifest.nodes[test.attached_node];
  const col = test.column_name && parent && 'columns' in parent ? parent.columns.find((c) => c.name === test.column_name) : undefined;
  if (col && (col.pii || out.has(col.name.toLowerCase()))) for (const alias of ['unique_field', 'value_field', 'from_field']) out.add(alias);
  return out;
}

export async function runDataTest(q: Queryable, manifest: Manifest, test: TestNode, signal?: AbortSignal): Promise<TestOutcome> {
  const counted = await q.query(`select count(*) as failures from (\n${test.compiled_code}\n) as stedi_test`, signal);
  const failures = Number(counted.rows[0]?.failures ?? 0);
  const status = testStatus(test.severity, test.warn_if, test.error_if, failures);
  if (failures === 0) return { status, failures, sample: [], ...(counted.stats ? { stats: counted.stats } : {}) };
  const rows = await q.query(`select * from (\n${test.compiled_code}\n) as stedi_test limit ${SAMPLE_ROWS}`, signal);
  const pii = piiColumnsOf(manifest, test);
  const stats = addStats(counted.stats, rows.stats);
  return { status, failures, sample: rows.rows.map((r) => maskRow(r, pii)), ...(stats ? { stats } : {}) };
}
