/**
 * What a microbatch build on Athena does (microbatch.ts decides, from the data): `restated` when
 * the published version's state lets stedi compare every input, else whole with the reason — and
 * the state to record with the whole build, when the table can be built incrementally later.
 */
import type { Table } from '@aws-sdk/client-glue';
import type { ModelNode } from '../../manifest/types.js';
import { EngineError, type PublishOptions, type QueryResult } from '../types.js';
import { checkKeyTypes, columnReader, decide, fingerprints, MB_STATE_PARAM, parseState, unsupported, type MbState } from './microbatch.js';
import type { Restated } from './microbatch-build.js';
import type { BatchSpec } from './microbatch-sql.js';
import { HIVE_MANIFEST_PARAM, readManifest } from './microbatch-hive.js';
import type { TableFormat } from './settings.js';

export interface PlanDeps {
  query(sql: string): Promise<QueryResult>;
  /** A state object's text; undefined when it does not exist. */
  readText(uri: string): Promise<string | undefined>;
  keepVersions: number;
}

/** Restated, or built whole with the reason — and, when the inputs could be fingerprinted, the state to record and the batch spec. */
export type Planned = { restated: Restated } | { restated?: undefined; state?: MbState; spec?: BatchSpec; why: string };

export async function planMicrobatch(d: PlanDeps, node: ModelNode, sql: string, format: TableFormat, previous: Table | undefined, opts: PublishOptions): Promise<Planned> {
  if (opts.incrementalSql === undefined || !opts.microbatch) throw new EngineError(`${node.name}: incremental_strategy microbatch, but its batch SQL or its inputs were not handed to the adapter; compile again`);
  const size = String(node.config.batch_size);
  const lookback = typeof node.config.lookback === 'number' ? node.config.lookback : 1;
  const no = unsupported(size, format);
  if (no) return { why: no };
  const spec = { full: sql, batch: opts.incrementalSql, eventTime: String(node.config.event_time), size, plan: opts.microbatch };
  const columns = columnReader(d.query);
  const { state, why } = await fingerprints({ query: d.query, columns }, spec);
  if (!state) return { why: why ?? 'its inputs could not be fingerprinted' };
  const batchSpec: BatchSpec = { full: sql, batch: opts.incrementalSql, eventTime: spec.eventTime, ...(opts.microbatch.restateColumn ? { restateColumn: opts.microbatch.restateColumn } : {}) };
  const whole = (reason: string): Planned => ({ state, spec: batchSpec, why: reason });
  if (opts.fullRefresh) return whole('--full-refresh');
  // a MERGE leaves the rows it replaced in the table's earlier Iceberg snapshots (its shared
  // location): with keep_versions 0 (stedi forget) no earlier version may stay readable. A Hive
  // table's replaced files would leave with the version, but stedi forget promises a rebuild at a
  // new location of every microbatch table, of either format: nothing of an erased person can
  // then hide in a file an incremental build kept.
  if (d.keepVersions === 0) return whole('keep_versions is 0: no earlier version may stay readable, and an incremental build keeps rows or files of earlier versions');
  if (!previous) return whole('first build');
  if (previous.Parameters?.stedi_format !== format) return whole(`the published version is not ${format === 'iceberg' ? 'an Iceberg' : 'a Hive'} table`);
  let entries: string[] | undefined;
  if (format === 'hive') {
    const manifest = previous.Parameters?.[HIVE_MANIFEST_PARAM];
    if (!manifest) return whole('the published version is not a Hive table of interval files');
    try {
      entries = await readManifest(d.readText, manifest);
    } catch (e) {
      return whole(`the manifest of the published version (${manifest}) cannot be read: ${(e as Error).message}`);
    }
    if (!entries) return whole(`the manifest of the published version (${manifest}) is missing or lists a file that is not an interval's`);
  }
  const uri = previous.Parameters?.[MB_STATE_PARAM];
  if (!uri) return whole('no microbatch state recorded with the published version');
  let text: string | undefined;
  try {
    text = await d.readText(uri);
  } catch (e) {
    return whole(`the microbatch state of the published version (${uri}) cannot be read: ${(e as Error).message}`);
  }
  const before = parseState(text ?? '');
  if (!before) return whole(`the microbatch state of the published version (${uri}) is missing or cannot be read`);
  const decided = decide(before, state, opts.microbatch, size as 'hour' | 'day', lookback);
  if (decided.kind === 'whole') return whole(decided.why);
  const unseen = await checkKeyTypes(node, spec, opts.microbatch, columns);
  if (unseen) return whole(unseen);
  return { restated: { spec: batchSpec, ...(decided.kind === 'restate' ? { restate: decided.restate, intervals: decided.intervals } : { intervals: 0 }), state, previous, ...(entries ? { entries } : {}) } };
}
