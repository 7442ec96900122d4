/**
 * A microbatch model built incrementally on Athena (Iceberg), by write-audit-publish:
 * 1. CTAS a candidate `<name>__stedi_<version>` at a fresh owned prefix with the new rows of the
 *    restated intervals and keys (microbatch-sql.ts candidateSelect);
 * 2. the batch must be interval-local (a row no restated interval or key explains is an error);
 * 3. the blocking tests run on what would be published: in their SQL the published table is
 *    replaced by the published rows kept plus the candidate's (wouldPublish);
 * 4. only then ONE atomic Iceberg commit publishes it: `MERGE INTO <table>` deleting the rows of
 *    the restated intervals and keys and inserting the candidate's (never DELETE then INSERT: a
 *    reader or a kill in between would see half a build);
 * 5. the Glue record (read again after the MERGE, which Athena itself records in Glue) takes the
 *    new version, rows, inputs and state; the candidate's Glue entry and its prefix are removed.
 * The table's location is shared by all its incremental versions (one Iceberg table, its
 * snapshots): prune keeps every prefix a kept version records, so it never deletes it, and stedi
 * does not expire Iceberg snapshots (the rows a build replaced stay readable by time travel until
 * the table's own VACUUM / snapshot expiry removes them; see the README).
 * A MERGE that committed but whose Glue update failed leaves the old state recorded: the next
 * build restates the same intervals and keys again, which gives the same rows.
 */
import type { Table } from '@aws-sdk/client-glue';
import type { ModelNode } from '../../manifest/types.js';
import { EngineError, type Audit, type MaterializeResult, type PublishOptions, type Queryable, type QueryResult } from '../types.js';
import type { Catalog, Owner } from './glue.js';
import { INPUTS_PARAM, LOCATION_PARAM, ownerParams, ROWS_PARAM, tableInputOf } from './glue.js';
import { MB_STATE_PARAM, stateUri, type MbState } from './microbatch.js';
import { candidateSelect, mergeSql, strayRows, wouldPublish, type BatchSpec, type Restate } from './microbatch-sql.js';
import { candidateName, versionLocation } from './names.js';
import { statsOf, type Executed, type QueryRunner } from './query.js';
import type { S3Data } from './s3.js';
import type { AthenaSettings } from './settings.js';
import { ctas, relation } from './sql.js';

export interface MbBuildDeps {
  settings: AthenaSettings;
  owner: Owner;
  catalog: Catalog;
  data: S3Data;
  runner: QueryRunner;
  /** A query recorded in `spent`. */
  query(sql: string): Promise<QueryResult>;
  /** Every statement the node sent so far (its stats and cost). */
  spent: Executed[];
  newVersion(): string;
  candidateQueryable(published: string, replacement: string, signal?: AbortSignal): Queryable;
  removeCandidate(candidate: string, location: string | undefined): Promise<string>;
  prune(name: string, current: string | undefined, node: string): Promise<string>;
}

export interface Restated {
  spec: BatchSpec;
  /** undefined: no input changed (the table is audited and recorded again as it is). */
  restate?: Restate;
  intervals: number;
  state: MbState;
  previous: Table;
  /** A Hive table's published files (its manifest): what an interval replacement keeps from. */
  entries?: string[];
}

const count = async (d: MbBuildDeps, sql: string) => Number(Object.values((await d.query(sql)).rows[0] ?? {})[0] ?? 0);

export async function buildRestated(d: MbBuildDeps, node: ModelNode, r: Restated, audit: Audit, opts: PublishOptions): Promise<MaterializeResult> {
  const { signal } = opts;
  const what = `model ${node.name}`;
  const name = node.relation.identifier;
  const published = relation(d.settings.database, name);
  const location = r.previous.Parameters?.[LOCATION_PARAM] ?? r.previous.StorageDescriptor?.Location;
  if (!location) throw new EngineError(`${what}: the published table records no location`);
  const version = d.newVersion();
  const candidate = candidateName(name, version);
  const candLocation = versionLocation(d.settings.s3DataDir, { entity: node.entity, zone: node.zone, name }, version);
  const done = d.spent;
  let cleanup = '';
  let rows: number;
  try {
    let auditRelation = published;
    /** The published table's columns, read once: compared with the candidate's, then the MERGE's insert list. */
    let publishedColumns: { name: string; type: string }[] = [];
    if (r.restate) {
      await d.data.mark(candLocation, node.unique_id);
      done.push(await d.runner.execute(ctas(d.settings.database, candidate, 'iceberg', candLocation, candidateSelect(r.spec, r.restate)), { ...(signal ? { signal } : {}), purpose: what }));
      const built = await d.catalog.get(candidate);
      if (!built) throw new EngineError(`${what}: the CTAS succeeded but Glue has no table ${candidate}`);
      await d.catalog.update({ ...tableInputOf(built, candidate), Parameters: { ...(built.Parameters ?? {}), ...ownerParams(d.owner), stedi_node: node.unique_id } }, built.VersionId, true);
      const cand = relation(d.settings.database, candidate);
      const columnsOf = async (rel: string) => (await d.query(`SELECT * FROM ${rel} LIMIT 0`)).columns;
      const shape = (cols: { name: string; type: string }[]) => cols.map((c) => `${c.name} ${c.type}`).join(', ');
      publishedColumns = await columnsOf(published);
      const [ours, theirs] = [shape(await columnsOf(cand)), shape(publishedColumns)];
      if (ours !== theirs) throw new EngineError(`on_schema_change: fail: the restated rows of ${node.name} have the columns (${ours}) but the published table has (${theirs}); run with --full-refresh to rebuild it`);
      const stray = await count(d, strayRows(cand, r.spec, r.restate));
      if (stray > 0) throw new EngineError(`${what}: a batch for the restated intervals and keys produced ${stray} row(s) outside them; a microbatch model's ${r.spec.eventTime} must come from the event time of the rows it reads`);
      auditRelation = wouldPublish(published, cand, r.spec, r.restate);
    }
    rows = await count(d, `SELECT count(*) FROM ${auditRelation}`);
    const previousRows = r.previous.Parameters?.[ROWS_PARAM] !== undefined ? Number(r.previous.Parameters[ROWS_PARAM]) : undefined;
    const ok = await audit(d.candidateQueryable(published, auditRelation, signal), { rows, ...(previousRows !== undefined && Number.isFinite(previousRows) ? { previousRows } : {}) });
    if (!ok) return { published: false, response: { message: 'NOT PUBLISHED iceberg table (the published table is unchanged)', ...statsOf(done) } };
    signal?.throwIfAborted();
    // the state first (a version names it only once published), then the one commit, then Glue
    const uri = stateUri(location, version);
    await d.data.putText(uri, JSON.stringify(r.state));
    if (r.restate) {
      done.push(await d.runner.execute(mergeSql(published, relation(d.settings.database, candidate), publishedColumns.map((c) => c.name), r.spec, r.restate), { ...(signal ? { signal } : {}), purpose: what }));
    }
    await recordCommitted(d, node, { location, version, rows, ...(opts.inputs ? { inputs: opts.inputs } : {}), extra: { [MB_STATE_PARAM]: uri } });
  } finally {
    // the candidate's rows are in the published table now (or were refused): its prefix is never published
    if (r.restate) cleanup = await d.removeCandidate(candidate, candLocation);
  }
  const pruned = await d.prune(name, location, node.unique_id);
  const k = r.restate?.keys.length ?? 0;
  const what_ = r.restate ? `${r.intervals} interval${r.intervals === 1 ? '' : 's'} restated${k ? `, ${k} key${k === 1 ? '' : 's'} restated` : ''}, one MERGE` : 'no input changed, nothing merged';
  return { published: true, response: { message: `OK iceberg table at ${location} (microbatch: ${what_})${pruned}${cleanup}`, rows_affected: rows, ...statsOf(done) } };
}

/**
 * After the one commit (a MERGE or INSERT INTO, which Athena records in Glue itself): the Glue
 * table, read again, takes the new version, location, rows and inputs, guarded by its Glue version.
 */
export async function recordCommitted(d: MbBuildDeps, node: ModelNode, v: { location: string; version: string; rows: number; inputs?: Record<string, unknown>; extra?: Record<string, string> }): Promise<void> {
  const name = node.relation.identifier;
  const now = await d.catalog.get(name);
  if (!now) throw new EngineError(`model ${node.name}: ${relation(d.settings.database, name)} disappeared from Glue during the build`);
  const input = tableInputOf(now, name);
  input.Parameters = {
    ...(now.Parameters ?? {}),
    ...ownerParams(d.owner),
    stedi_node: node.unique_id,
    [LOCATION_PARAM]: v.location,
    stedi_version: v.version,
    stedi_format: 'iceberg',
    [ROWS_PARAM]: String(v.rows),
    ...(v.extra ?? {}),
    ...(v.inputs ? { [INPUTS_PARAM]: JSON.stringify(v.inputs) } : {}),
  };
  await d.catalog.update(input, now.VersionId);
}
