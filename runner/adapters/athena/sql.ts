/**
 * The Athena statements stedi sends. Trino grammar (double-quoted identifiers) for CTAS, views
 * and queries. The Hive DDL (backticks) here is never sent: landing tables are created through
 * the Glue API; `jsonTableDdl` renders a Glue table input as its exact Hive DDL equivalent, kept
 * in the golden files so that it can be read, pasted into the console, and parsed by a Hive grammar.
 */
import { doubleQuote, sqlString } from '../../dialect/types.js';
import type { TableInput } from '@aws-sdk/client-glue';
import type { TableFormat } from './settings.js';

const q = doubleQuote;
const lit = sqlString;

export function relation(database: string, name: string): string {
  return `${q(database)}.${q(name)}`;
}

/** A CTAS; `partitionedBy` (Hive only) names the last columns of the select, which become folders. */
export function ctas(database: string, name: string, format: TableFormat, location: string, select: string, partitionedBy: string[] = []): string {
  if (partitionedBy.length && format !== 'hive') throw new Error('internal: only a Hive CTAS is partitioned here');
  const props =
    format === 'iceberg'
      ? [`table_type = 'ICEBERG'`, `is_external = false`, `location = ${lit(location)}`, `format = 'PARQUET'`, `write_compression = 'ZSTD'`]
      : [`format = 'PARQUET'`, `external_location = ${lit(location)}`, `write_compression = 'SNAPPY'`, ...(partitionedBy.length ? [`partitioned_by = ARRAY[${partitionedBy.map(lit).join(', ')}]`] : [])];
  return `CREATE TABLE ${relation(database, name)}\nWITH (${props.join(', ')})\nAS\n${select.replace(/;\s*$/, '')}`;
}

export function createView(database: string, name: string, select: string, replace: boolean): string {
  return `CREATE ${replace ? 'OR REPLACE ' : ''}VIEW ${relation(database, name)} AS\n${select.replace(/;\s*$/, '')}`;
}

export { seedSelect } from '../trino-sql/seed.js';

const bt = (id: string) => `\`${id.replace(/`/g, '``')}\``;

/**
 * Hive DDL equivalent of a table stedi creates through Glue (a landing table or its rejects, a Hive
 * microbatch table's symlink manifest table): for the golden files and the Hive-grammar check,
 * never sent.
 */
export function jsonTableDdl(database: string, t: TableInput): string {
  const sd = t.StorageDescriptor ?? {};
  const cols = (sd.Columns ?? []).map((c) => `  ${bt(c.Name ?? '')} ${c.Type}`);
  const serde = Object.entries(sd.SerdeInfo?.Parameters ?? {}).map(([k, v]) => `  ${lit(k)} = ${lit(v)}`);
  const props = Object.entries(t.Parameters ?? {}).filter(([k]) => k !== 'EXTERNAL').map(([k, v]) => `${lit(k)} = ${lit(v)}`);
  return [
    `CREATE EXTERNAL TABLE ${bt(database)}.${bt(t.Name ?? '')} (`,
    cols.join(',\n'),
    `)`,
    `ROW FORMAT SERDE ${lit(sd.SerdeInfo?.SerializationLibrary ?? '')}`,
    `WITH SERDEPROPERTIES (`,
    serde.join(',\n'),
    `)`,
    `STORED AS INPUTFORMAT ${lit(sd.InputFormat ?? '')}`,
    `OUTPUTFORMAT ${lit(sd.OutputFormat ?? '')}`,
    `LOCATION ${lit(sd.Location ?? '')}`,
    `TBLPROPERTIES (${props.join(', ')})`,
  ].join('\n');
}
