/** The athena target's settings, validated for the adapter. */
import { EngineError } from '../types.js';

export type TableFormat = 'iceberg' | 'hive';

export interface AthenaSettings {
  region: string;
  /** Glue database (Athena schema) holding every stedi table. */
  database: string;
  workgroup: string;
  /** Glue Data Catalog name as Athena knows it (`AwsDataCatalog`). */
  catalog: string;
  /** s3://bucket/prefix (no trailing slash) under which every table version is written. */
  s3DataDir: string;
  /** Query result location; omitted when the workgroup enforces its own. */
  s3StagingDir?: string;
  /** Earlier versions kept besides the published one (Glue table versions and their S3 data). */
  keepVersions: number;
  tableFormat: TableFormat;
  /** Threads that classify landing lines (`ingest_threads`; default one per core). */
  ingestThreads?: number;
}

export const DEFAULT_KEEP_VERSIONS = 1;

const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;

export function isS3Uri(s: string): boolean {
  return S3_URI.test(s);
}

export function trimSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

export function athenaSettings(t: Record<string, unknown>): AthenaSettings {
  const str = (k: string): string | undefined => (typeof t[k] === 'string' && (t[k] as string).trim() ? (t[k] as string).trim() : undefined);
  const need = (k: string): string => {
    const v = str(k);
    if (!v) throw new EngineError(`the athena target needs '${k}'`);
    return v;
  };
  const s3 = (k: string, v: string): string => {
    if (!isS3Uri(v)) throw new EngineError(`athena target key '${k}' must be an S3 URI such as s3://my-bucket/prefix, got '${v}'`);
    return trimSlash(v);
  };
  const staging = str('s3_staging_dir');
  const format = str('table_format') ?? 'iceberg';
  if (format !== 'iceberg' && format !== 'hive') throw new EngineError(`athena target key 'table_format' must be iceberg or hive, got '${format}'`);
  const database = need('database');
  if (!/^[a-z0-9_]{1,255}$/.test(database)) {
    throw new EngineError(`athena database '${database}': Glue database names hold only lower-case letters, digits and _`);
  }
  return {
    region: need('region'),
    database,
    workgroup: need('workgroup'),
    catalog: str('catalog') ?? 'AwsDataCatalog',
    s3DataDir: s3('s3_data_dir', need('s3_data_dir')),
    ...(staging ? { s3StagingDir: `${s3('s3_staging_dir', staging)}/` } : {}),
    keepVersions: typeof t.keep_versions === 'number' ? t.keep_versions : DEFAULT_KEEP_VERSIONS,
    tableFormat: format,
    ...(typeof t.ingest_threads === 'number' ? { ingestThreads: t.ingest_threads } : {}),
  };
}
