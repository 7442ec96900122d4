/** AWS Athena: Trino SQL over Glue tables on S3. Pure. */
import { s3TableFolder } from '../../core/paths.js';
import { trinoDialect } from '../../dialect/trino.js';
import type { Dialect } from '../../dialect/types.js';
import type { FieldRule, TargetSpec } from '../types.js';

/** Trino SQL as Athena runs it: its macros fall back to trino__ ones, which a trino target shares. */
export function athenaDialect(database: string): Dialect {
  return trinoDialect(database, 'athena', ['athena', 'trino']);
}

const S: FieldRule = { type: 'string' };
const THREADS: FieldRule = { type: 'int', min: 1 };

export const athenaSpec: TargetSpec = {
  type: 'athena',
  fields: {
    region: S,
    database: S,
    workgroup: S,
    s3_data_dir: S,
    s3_staging_dir: S,
    landing_root: S,
    threads: THREADS,
    ingest_threads: THREADS,
    table_format: { type: 'enum', values: ['iceberg', 'hive'] },
    keep_versions: { type: 'int', min: 0 },
    catalog: S,
    /** The AWS Secrets Manager secret (name or ARN) holding the pseudonymisation key; its id, never its value. */
    subject_key_secret_id: S,
  },
  required: ['region', 'database', 'workgroup', 's3_data_dir'],
  defaults: (t) => ({ ...t, threads: t.threads ?? 4, catalog: t.catalog ?? 'AwsDataCatalog' }),
  dialect: (t) => athenaDialect(String(t.database)),
  capabilities: { iceberg: true, executionParameters: true, renameTable: false, dryRun: true, local: false },
  // the landing sources live on S3, so the target's landing_root (when given) replaces the project default
  vars: (t) => (typeof t.landing_root === 'string' ? { landing_root: t.landing_root } : {}),
  sourceZone: 'landing',
  tableFolder: (t, parts) => s3TableFolder(String(t.s3_data_dir), parts),
  writtenLocations(t) {
    const out: [string, string][] = [['s3_data_dir', String(t.s3_data_dir)]];
    if (typeof t.s3_staging_dir === 'string' && t.s3_staging_dir) out.push(['s3_staging_dir', t.s3_staging_dir]);
    return out;
  },
  describe: (t) => `region ${String(t.region)}, workgroup ${String(t.workgroup)}, Glue database ${String(t.database)}`,
};
