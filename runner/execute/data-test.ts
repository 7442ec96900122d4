/** Executes one data test: count the failing rows, keep a few masked samples, apply thresholds. */
import type { QueryStats, Queryable } from '../adapters/types.js';
import type { Manifest, TestNode } from '../manifest/types.js';
import { exposeColumns, exposureOf, lineageOf, maskRows, modelResult, type Exposure, type ShownColumn } from './mask.js';
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

/** The output aliases of the generic tests that hold the tested column's values. */
const TESTED_VALUE_ALIASES = new Set(['unique_field', 'value_field', 'from_field']);

/**
 * What may be shown of each column of a test's sample rows. The sample query (the test's
 * compiled SQL is a query over the project's relations) is analysed with the same column
 * lineage, so a column is shown only when lineage proves it free of personal data. The generic
 * tests' aliases of the tested column stay masked whenever that column is not proven clean,
 * whatever the test's SQL looks like.
 */
export function sampleColumns(manifest: Manifest, test: TestNode, sql: string, actual: string[]): ShownColumn[] {
  const shown = exposeColumns(lineageOf(manifest).query(sql), actual);
  const tested = test.column_name ? testedExposure(manifest, test.attached_node, test.column_name) : 'clean';
  return shown.map((c) => (TESTED_VALUE_ALIASES.has(c.key.toLowerCase()) && c.exposure === 'clean' ? { ...c, exposure: tested } : c));
}

function testedExposure(manifest: Manifest, id: string, column: string): Exposure {
  const n = manifest.nodes[id];
  const name = column.toLowerCase();
  if (n && 'columns' in n && n.columns.some((c) => c.pii && c.name.toLowerCase() === name)) return 'personal';
  if (n?.resource_type === 'source' || n?.resource_type === 'seed') return 'clean';
  const col = n?.resource_type === 'model' ? modelResult(manifest, id).columns?.find((c) => c.name.toLowerCase() === name) : undefined;
  return col ? exposureOf(col.status) : 'unproven';
}

/**
 * Runs a data test. `sql`, when given, is the test's SQL reading only the rows a candidate adds
 * (a delta audit, runner/execute/delta-test.ts): it runs instead, and what its sample shows is
 * decided from the test's own SQL, which has the same columns.
 */
export async function runDataTest(q: Queryable, manifest: Manifest, test: TestNode, signal?: AbortSignal, sql: string = test.compiled_code): Promise<TestOutcome> {
  const counted = await q.query(`select count(*) as failures from (\n${sql}\n) as stedi_test`, signal);
  const failures = Number(counted.rows[0]?.failures ?? 0);
  const status = testStatus(test.severity, test.warn_if, test.error_if, failures);
  if (failures === 0) return { status, failures, sample: [], ...(counted.stats ? { stats: counted.stats } : {}) };
  const sampled = (from: string) => `select * from (\n${from}\n) as stedi_test limit ${SAMPLE_ROWS}`;
  const rows = await q.query(sampled(sql), signal);
  const shown = sampleColumns(manifest, test, sampled(test.compiled_code), rows.columns.map((c) => c.name));
  const stats = addStats(counted.stats, rows.stats);
  return { status, failures, sample: maskRows(rows.rows, shown), ...(stats ? { stats } : {}) };
}
