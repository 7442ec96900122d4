/**
 * The statements an incremental build of each STEDI microbatch model sends on Athena, for one
 * example of what it restates (two ranges of hours, the NULL interval and one key): the candidate
 * CTAS, the interval-local check, a blocking test on what would be published, and the MERGE.
 * The golden files (microbatch.test.ts) and the Trino grammar check (parsers.test.ts) read them.
 */
import { candidateSelect, mergeSql, strayRows, wouldPublish, type BatchSpec, type Restate } from '../../../runner/adapters/athena/microbatch-sql.js';
import { ctas, relation } from '../../../runner/adapters/athena/sql.js';
import { chunks, chunkSelect, INTERVAL_COLUMN, keyIntervalsSql, straySql } from '../../../runner/adapters/athena/microbatch-hive.js';
import { fillWindow } from '../../../runner/core/batches.js';
import type { ModelNode } from '../../../runner/manifest/types.js';
import { compileStedi } from './harness.js';

const H = 3_600_000;
export const EXAMPLE: Restate = { ranges: [{ start: 1700000000000 - (1700000000000 % H), end: 1700000000000 - (1700000000000 % H) + 2 * H }, { start: 1700300000000 - (1700300000000 % H), end: 1700300000000 - (1700300000000 % H) + H }], withNull: true, keys: ['0c83f57c786a0b4a39efab23731c7ebc'] };

/** Each STEDI microbatch model with its batch spec, its candidate's name and its version prefix in the example build. */
function microbatchModels(): { n: ModelNode; spec: BatchSpec; candidate: string; location: string }[] {
  const { manifest } = compileStedi();
  return Object.values(manifest.nodes).flatMap((n) => {
    if (n.resource_type !== 'model' || n.config.incremental_strategy !== 'microbatch') return [];
    const restate = n.config.restate_by as { column?: string } | undefined;
    const spec: BatchSpec = { full: String(n.compiled_code), batch: String(n.compiled_incremental_code), eventTime: String(n.config.event_time), ...(restate?.column ? { restateColumn: restate.column } : {}) };
    return [{ n, spec, candidate: `${n.name}__stedi_20260102t000000z_01010101`, location: `s3://lake-bucket/zones/${n.entity}/${n.zone}/${n.name}/v=20260102T000000Z-01010101/` }];
  });
}

/** The statements of each microbatch model, by name, as one text (blank line between statements). */
export function incrementalStatements(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { n, spec, candidate: name, location } of microbatchModels()) {
    const published = n.relation.rendered;
    const candidate = relation('stedi', name);
    out[n.name] = [
      ctas('stedi', name, 'iceberg', location, candidateSelect(spec, EXAMPLE)),
      strayRows(candidate, spec, EXAMPLE),
      `select count(*) as failures from (\nselect * from ${wouldPublish(published, candidate, spec, EXAMPLE)} where ${spec.eventTime} is null\n) as stedi_test`,
      mergeSql(published, candidate, n.columns.map((c) => c.name), spec, EXAMPLE),
    ].join('\n\n') + '\n';
  }
  return out;
}

/**
 * The statements of each microbatch model published as a Hive table (microbatch-hive.ts), for the
 * same example: the intervals of the restated key in the published table and in the model's rows
 * now, the partitioned CTAS of the first statement's intervals, an INSERT INTO of the next ones
 * (here the same intervals), and the stray check.
 */
export function hiveStatements(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { n, spec, candidate: name, location } of microbatchModels()) {
    const [chunk] = chunks([String(EXAMPLE.ranges[0]!.start), String(EXAMPLE.ranges[1]!.start), 'null'], 'hour');
    const select = chunkSelect(spec.batch, spec.eventTime, 'hour', chunk!);
    out[n.name] = [
      ...(spec.restateColumn ? [keyIntervalsSql(n.relation.rendered, 'stedi_was', spec, 'hour', EXAMPLE.keys), keyIntervalsSql(`(\n${fillWindow(spec.full, () => 'TRUE')}\n)`, 'stedi_now', spec, 'hour', EXAMPLE.keys)] : []),
      ctas('stedi', name, 'hive', location, select, [INTERVAL_COLUMN]),
      `INSERT INTO ${relation('stedi', name)}\n${select}`,
      straySql(relation('stedi', name)),
    ].join('\n\n') + '\n';
  }
  return out;
}
