/**
 * An `append`, `merge` or `delete+insert` model built incrementally on Athena (Iceberg), by
 * write-audit-publish, as a microbatch model is (microbatch-build.ts):
 * 1. CTAS a candidate `<name>__stedi_<version>` at a fresh owned prefix with the batch (the model's
 *    is_incremental() SQL, whose `{{ this }}` is the published table);
 * 2. its columns must be the published table's (`on_schema_change: fail`, the only policy here),
 *    its unique_key columns among them, and under merge no published row may be matched by two of
 *    its rows (MERGE's rule);
 * 3. the blocking tests run on what would be published: the published rows kept plus the batch's
 *    (incremental-sql.ts wouldPublishBatch), in place of the table in their SQL;
 * 4. only then ONE atomic Iceberg commit publishes it: `INSERT INTO` (append) or `MERGE INTO`
 *    (merge, delete+insert);
 * 5. the Glue record (read again after the commit, which Athena records in Glue itself) takes the
 *    new version, rows and inputs; the candidate's Glue entry and its prefix are removed.
 * The table keeps its location (one Iceberg table, its snapshots): prune keeps every prefix a kept
 * version records. A failed statement or test leaves the table at its snapshot.
 */
import type { Table } from '@aws-sdk/client-glue';
import { incrementalStrategy } from '../../compiler/configs.js';
import type { ModelNode } from '../../manifest/types.js';
import { EngineError, type Audit, type MaterializeResult, type PublishOptions } from '../types.js';
import { LOCATION_PARAM, ownerParams, ROWS_PARAM, tableInputOf } from './glue.js';
import { ambiguousMergeSql, publishBatchSql, wouldPublishBatch, type BatchStrategy } from './incremental-sql.js';
import { recordCommitted, type MbBuildDeps } from './microbatch-build.js';
import { candidateName, versionLocation } from './names.js';
import { statsOf } from './query.js';
import { ctas, relation } from './sql.js';

const count = async (d: MbBuildDeps, sql: string) => Number(Object.values((await d.query(sql)).rows[0] ?? {})[0] ?? 0);

export function batchStrategy(node: ModelNode): BatchStrategy {
  return incrementalStrategy(node.config) as BatchStrategy;
}

export function uniqueKeys(node: ModelNode): string[] {
  const k = node.config.unique_key;
  return k === undefined ? [] : (Array.isArray(k) ? k : [k]).map(String);
}

export async function buildBatch(d: MbBuildDeps, node: ModelNode, batchSql: string, previous: Table, audit: Audit, opts: PublishOptions): Promise<MaterializeResult> {
  const { signal } = opts;
  const what = `model ${node.name}`;
  const name = node.relation.identifier;
  const published = relation(d.settings.database, name);
  const location = previous.Parameters?.[LOCATION_PARAM] ?? previous.StorageDescriptor?.Location;
  if (!location) throw new EngineError(`${what}: the published table records no location`);
  const strategy = batchStrategy(node);
  const keys = strategy === 'append' ? [] : uniqueKeys(node);
  const version = d.newVersion();
  const candidate = candidateName(name, version);
  const cand = relation(d.settings.database, candidate);
  const candLocation = versionLocation(d.settings.s3DataDir, { entity: node.entity, zone: node.zone, name }, version);
  const done = d.spent;
  const recorded = Number(previous.Parameters?.[ROWS_PARAM] ?? NaN);
  const previousRows = Number.isFinite(recorded) ? recorded : undefined;
  let cleanup = '';
  let rows: number;
  let batch: number | undefined;
  try {
    await d.data.mark(candLocation, node.unique_id);
    const executed = await d.runner.execute(ctas(d.settings.database, candidate, 'iceberg', candLocation, batchSql), { ...(signal ? { signal } : {}), purpose: what });
    done.push(executed);
    batch = await d.runner.updateCount(executed, signal);
    const built = await d.catalog.get(candidate);
    if (!built) throw new EngineError(`${what}: the CTAS succeeded but Glue has no table ${candidate}`);
    await d.catalog.update({ ...tableInputOf(built, candidate), Parameters: { ...(built.Parameters ?? {}), ...ownerParams(d.owner), stedi_node: node.unique_id } }, built.VersionId, true);
    const columnsOf = async (rel: string) => (await d.query(`SELECT * FROM ${rel} LIMIT 0`)).columns;
    const shape = (cols: { name: string; type: string }[]) => cols.map((c) => `${c.name} ${c.type}`).join(', ');
    const publishedColumns = await columnsOf(published);
    const [ours, theirs] = [shape(await columnsOf(cand)), shape(publishedColumns)];
    if (ours !== theirs) {
      const policy = String(node.config.on_schema_change ?? 'fail');
      throw new EngineError(`on_schema_change: ${policy === 'fail' ? 'fail' : `${policy} is not supported on the athena target yet (only fail)`}: the new rows of ${node.name} have the columns (${ours}) but the published table has (${theirs}); run with --full-refresh to rebuild it`);
    }
    const missing = keys.filter((k) => !publishedColumns.some((c) => c.name === k));
    if (missing.length) throw new EngineError(`${node.name}: unique_key ${missing.join(', ')} ${missing.length === 1 ? 'is not a column' : 'are not columns'} of the table it would publish`);
    if (strategy === 'merge') {
      const n = await count(d, ambiguousMergeSql(published, cand, keys));
      if (n > 0) throw new EngineError(`${node.name}: incremental_strategy merge: ${n} published row key${n === 1 ? ' is' : 's are'} matched by more than one new row (unique_key ${keys.join(', ')}); a merge replaces each published row by one row: make the batch unique on the key, or use delete+insert`);
    }
    const auditRelation = wouldPublishBatch(published, cand, strategy, keys);
    rows = await count(d, `SELECT count(*) FROM ${auditRelation}`);
    const ok = await audit(d.candidateQueryable(published, auditRelation, signal), { rows, ...(previousRows !== undefined ? { previousRows } : {}) });
    if (!ok) return { published: false, response: { message: 'NOT PUBLISHED iceberg table (the published table is unchanged)', ...statsOf(done) } };
    signal?.throwIfAborted();
    if (batch !== 0) done.push(await d.runner.execute(publishBatchSql(published, cand, publishedColumns.map((c) => c.name), strategy, keys), { ...(signal ? { signal } : {}), purpose: what }));
    await recordCommitted(d, node, { location, version, rows, ...(opts.inputs ? { inputs: opts.inputs } : {}) });
  } finally {
    cleanup = await d.removeCandidate(candidate, candLocation);
  }
  const pruned = await d.prune(name, location, node.unique_id);
  // rows before + the batch - rows after: the published rows the batch replaced (no query)
  const replaced = batch !== undefined && previousRows !== undefined ? previousRows + batch - rows : 0;
  const added = batch === undefined ? '' : `${batch} new row${batch === 1 ? '' : 's'}, `;
  return { published: true, response: { message: `OK iceberg table at ${location} (${added}${strategy}${replaced > 0 ? `, ${replaced} replaced` : ''}${batch === 0 ? ', nothing to commit' : ''})${pruned}${cleanup}`, rows_affected: rows, ...statsOf(done) } };
}
