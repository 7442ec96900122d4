/**
 * Early cutoff for tables: a table model rebuilt to exactly the rows it already publishes keeps
 * its published version (and so its content token, catalog.ts `contentOf`). What reads it is then
 * provably reading what it read before and is reused (runner/execute/reuse.ts), instead of being
 * rebuilt because its parent has a new folder. A daily build meets this all the time: a day of new
 * phone readings of customers who already have readings rebuilds `customer_curated` to the same
 * rows, and `device_owners`, the Step Trainer restatement and the training table's fingerprint of
 * its customers need not run again.
 *
 * "The same rows" is proven, never guessed: the same columns with the same types in the same
 * order, the same row count, and no row of the candidate missing from the published version as a
 * multiset (`EXCEPT ALL`: with equal counts, A ⊆ B as multisets means A = B). Values are compared
 * exactly: floating point and nested values as their text (`-0.0` and `0.0` are equal numbers but
 * not the same data). A hash of the rows would be cheaper and could collide; it is not used.
 *
 * Only plain `table` models (one folder of Parquet files) are compared, and only up to
 * MAX_COMPARED_ROWS rows: the comparison reads both versions once, which for a large table would
 * cost about what publishing the new one costs. Anything that cannot be compared (a file gone, a
 * read error) is "not the same": the candidate is published as usual.
 */
import fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { PublishedRow } from './catalog.js';
import { parquetFiles } from './reader.js';

const q = duckdbDialect.quoteIdent;

/** Tables larger than this are published without comparing (the comparison would cost about a rebuild). */
export const MAX_COMPARED_ROWS = 2_000_000;

/** Types whose equality is equality of the stored value; any other column is compared as its text. */
const EXACT = /^(VARCHAR|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|UHUGEINT|BOOLEAN|DATE|TIME|TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMP WITH TIME ZONE|BLOB|UUID|DECIMAL\(\d+,\d+\))$/;

async function columns(c: DuckDBConnection, dir: string): Promise<{ name: string; type: string }[]> {
  const r = await c.runAndReadAll(`DESCRIBE SELECT * FROM ${parquetFiles(dir)}`);
  return r.getRowObjectsJson().map((x) => ({ name: String(x.column_name), type: String(x.column_type) }));
}

/**
 * Whether the table written to `dir` (`rows` rows, by `node`) holds exactly the rows of the
 * published version `published`. False whenever that cannot be proven.
 */
export async function sameAsPublished(c: DuckDBConnection, published: PublishedRow | undefined, node: string, dir: string, rows: number): Promise<boolean> {
  if (!published || published.kind !== 'table' || published.node !== node || !published.path || published.parts) return false;
  if (published.row_count !== rows || rows > MAX_COMPARED_ROWS) return false;
  if (!fs.existsSync(published.path)) return false;
  try {
    const [now, was] = [await columns(c, dir), await columns(c, published.path)];
    if (now.length === 0 || JSON.stringify(now) !== JSON.stringify(was)) return false;
    const select = now.map((col) => (EXACT.test(col.type) ? q(col.name) : `CAST(${q(col.name)} AS VARCHAR)`)).join(', ');
    // the rows of both versions counted in their files (not taken from the catalog), and the candidate's rows the published one lacks
    const r = await c.runAndReadAll(`SELECT (SELECT count(*) FROM ${parquetFiles(dir)}) AS a, (SELECT count(*) FROM ${parquetFiles(published.path)}) AS b, (SELECT count(*) FROM (SELECT ${select} FROM ${parquetFiles(dir)} EXCEPT ALL SELECT ${select} FROM ${parquetFiles(published.path)})) AS n`);
    const [k] = r.getRowObjectsJson();
    return Number(k?.a) === rows && Number(k?.b) === rows && Number(k?.n) === 0;
  } catch {
    return false;
  }
}
