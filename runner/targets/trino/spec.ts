/**
 * Trino (or Starburst): the engine Athena is built on, over its HTTP protocol. Tables live in an
 * Iceberg catalog (`catalog`), one schema per target (`schema`); the macros are `trino__` ones,
 * which Athena shares. Pure.
 */
import { trinoDialect } from '../../dialect/trino.js';
import type { FieldRule, TargetSpec } from '../types.js';

const S: FieldRule = { type: 'string' };
const THREADS: FieldRule = { type: 'int', min: 1 };

export const trinoSpec: TargetSpec = {
  type: 'trino',
  fields: {
    /** The coordinator's URL, e.g. http://127.0.0.1:8080 (no auth on a local server). */
    url: S,
    user: S,
    /** The Iceberg catalog of the tables. */
    catalog: S,
    schema: S,
    threads: THREADS,
    ingest_threads: THREADS,
    /** The Hive catalog (sharing the Iceberg catalog's metastore) that reads the landing parts. */
    hive_catalog: S,
    /** Where the landing ingestion writes its parts: a folder of this machine, or an S3 prefix (s3://bucket/prefix)… */
    landing_dir: S,
    /** …and the same place as Trino reads it (e.g. local:///landing, file:///…; for an S3 landing_dir, itself by default). */
    landing_location: S,
    /** Path-style S3 requests (http://host/bucket/key) for an S3-compatible endpoint without a bucket.host name (AWS_ENDPOINT_URL_S3). */
    s3_force_path_style: { type: 'bool' },
    /** Earlier versions of each table kept besides the published one (default 1): Iceberg snapshots, or Hive version tables. */
    keep_versions: { type: 'int', min: 0 },
    /** `iceberg` (default) or `hive` (Parquet version tables behind a view); a model may set config(table_format=...). */
    table_format: { type: 'enum', values: ['iceberg', 'hive'] },
  },
  required: ['url', 'schema'],
  defaults: (t) => ({ ...t, user: t.user ?? 'stedi', catalog: t.catalog ?? 'iceberg', hive_catalog: t.hive_catalog ?? 'hive', threads: t.threads ?? 4 }),
  // the schema is the one namespace, as Glue's database on Athena: the zone decides no name
  dialect: (t) => trinoDialect(String(t.schema), 'trino', ['trino']),
  capabilities: { iceberg: true, executionParameters: true, renameTable: true, dryRun: false, local: false },
  // the catalog places the tables' files itself: two nodes clash only by name, and no folder of this machine is written
  tableFolder: (t, parts) => `trino://${String(t.catalog)}/${String(t.schema)}/${parts.entity}/${parts.zone}/${parts.name}`,
  writtenLocations: (t) => (typeof t.landing_dir === 'string' ? [['landing_dir', t.landing_dir]] : []),
  describe: (t) => `coordinator ${String(t.url)}, catalog ${String(t.catalog)}, schema ${String(t.schema)}, user ${String(t.user)}`,
};
