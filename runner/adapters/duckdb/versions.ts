/**
 * The files of kept versions of published tables, as one connection of the catalog sees them: the
 * published row of a relation (inside a publishing transaction, the candidate's) and its rows in
 * `_stedi.history`. A version is named by its content token (catalog.ts `contentOf`): the same
 * token the executor keys reuse and test results with, so a recorded result's inputs can be read
 * back exactly — or not at all, when the version was pruned or a file of it is gone.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import fs from 'node:fs';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { VersionFiles } from '../types.js';
import { contentOf, versionRows } from './catalog.js';
import { partsOf } from './incremental.js';

const lit = duckdbDialect.quoteString;

/**
 * `aside` runs a query on another connection of the same database, outside the publishing
 * transaction of `c`: DuckDB aborts a transaction in which a read fails (a damaged Parquet file,
 * a file gone), so `readable` tries the files there first.
 */
export function duckdbVersionFiles(c: DuckDBConnection, aside: (fn: (side: DuckDBConnection) => Promise<boolean>) => Promise<boolean>): VersionFiles {
  const exists = (f: string) => fs.existsSync(f);
  const read = (files: string[], columns: string[], relation: string) => {
    const cols = columns.map(duckdbDialect.quoteIdent).join(', ');
    if (files.length === 0) return `SELECT ${cols} FROM ${relation} WHERE false`;
    return `SELECT ${cols} FROM read_parquet([${files.map(lit).join(', ')}], hive_partitioning = false)`;
  };
  return {
    async files(relation, wanted) {
      const { published, history } = await versionRows(c, relation);
      const r = wanted === undefined ? published : [published, ...history].find((x) => x && contentOf(x, exists) === wanted);
      const token = r ? contentOf(r, exists) : undefined;
      // a version's parts, or the Parquet files of its folder (a folder written with no row may hold none)
      return r && token !== undefined ? { token, files: r.parts ?? partsOf(r) } : undefined;
    },
    read,
    async readable(groups) {
      // every value of every column is decoded (hashed), not only the footers a count(*) reads
      const reads = groups.filter((g) => g.files.length).map((g) => `SELECT bit_xor(hash(t)) FROM (${read(g.files, g.columns, '')}) t`);
      if (!reads.length) return true;
      return aside(async (side) => {
        try {
          for (const sql of reads) await side.run(sql);
          return true;
        } catch {
          return false;
        }
      });
    },
  };
}
