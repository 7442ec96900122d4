/**
 * A reader of the local lake that never opens the catalog file: an in-memory DuckDB whose views
 * are built from the published snapshot (`<catalog>.published.json`, see catalog.ts). A build
 * holds the catalog file for its whole run (DuckDB allows one writing process and no other
 * process beside it), so this is how `stedi show` and `stedi test` see the published tables
 * while a build runs: each table as of its last publish, never a candidate. Table data is
 * Parquet under the lake; earlier versions are kept (keep_versions) so a reader that loaded the
 * snapshot just before a publish still finds its files.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb.js';
import { insertLandingFileRows, LANDING_FILES_DDL, publishedValues, sqlValue, type PublishedRow, type Snapshot } from './catalog.js';

const q = duckdbDialect.quoteIdent;
const lit = duckdbDialect.quoteString;

/** The view of a table version: every Parquet file of its folder, or the listed parts (a landing table, a microbatch model). */
export function parquetView(relation: string, dir: string, parts?: string[] | null): string {
  return `CREATE OR REPLACE VIEW ${relation} AS SELECT * FROM ${parquetFiles(dir, parts)}`;
}

/** The rows of a table version, as a table function: every Parquet file of its folder, or the listed parts. */
export function parquetFiles(dir: string, parts?: string[] | null): string {
  // fail closed: stedi never records a list of no part (an empty version is one part without
  // rows), so an empty list is a damaged record; reading the folder instead could take files no
  // version lists
  if (parts && parts.length === 0) throw new Error(`a table version at ${dir} lists no Parquet part: its catalog record is damaged (stedi recover rebuilds the catalog)`);
  const files = parts ? `[${parts.map(lit).join(', ')}]` : lit(`${dir}/*.parquet`);
  // hive_partitioning = false: the `v=<version>` folder must not surface as a column `v`.
  return `read_parquet(${files}, hive_partitioning = false)`;
}

/** Creates, on `c`, every published relation of the snapshot and stedi's bookkeeping tables. */
export async function loadSnapshot(c: DuckDBConnection, s: Snapshot): Promise<void> {
  const schemas = new Set(['_stedi', ...s.relations.map((r) => r.schema_name)]);
  for (const schema of schemas) await c.run(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`);
  for (const r of s.relations) if (r.kind === 'table' && r.path) await c.run(parquetView(r.relation, r.path, r.parts));
  await createViews(c, s.relations.filter((r) => r.kind === 'view'));
  await c.run(`CREATE TABLE _stedi.published (relation VARCHAR, schema_name VARCHAR, identifier VARCHAR, kind VARCHAR, node VARCHAR, version VARCHAR, path VARCHAR, published_at VARCHAR, row_count BIGINT, definition VARCHAR, inputs VARCHAR, parts VARCHAR)`);
  for (const r of s.relations) await c.run(`INSERT INTO _stedi.published VALUES (${publishedValues(r, sqlValue(r.published_at))})`);
  await c.run(LANDING_FILES_DDL);
  await insertLandingFileRows(c, s.landing_files);
}

/**
 * Creates the views of `rows` (a view may read other views: retried until none is left or none
 * can be made); returns those that could not be made.
 */
export async function createViews(c: DuckDBConnection, rows: PublishedRow[], created: (r: PublishedRow) => Promise<void> = async () => undefined): Promise<PublishedRow[]> {
  let pending = rows;
  while (pending.length) {
    const failed: PublishedRow[] = [];
    for (const r of pending) {
      try {
        await c.run(`CREATE OR REPLACE VIEW ${r.relation} AS\n${r.definition ?? ''}`);
        await created(r);
      } catch {
        failed.push(r);
      }
    }
    if (failed.length === pending.length) return failed;
    pending = failed;
  }
  return [];
}
