/** Executes one data test: count the failing rows, keep a few masked samples, apply thresholds. */
import type { QueryStats, Queryable } from '../adapters/types.js';
import type { Manifest, TestNode } from '../manifest/types.js';
import { maskRow, personalColumns } from './mask.js';
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
 * Column names that must be masked in the samples of a test: the personal columns of its parents
 * (declared, or found by column lineage: see personalColumns), and the generic tests' own output
 * columns when the tested column is personal. Computed only when a test fails.
 */
export function piiColumnsOf(manifest: Manifest, test: TestNode): Set<string> {
  const out = personalColumns(manifest, test.depends_on);
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
