/**
 * The files of kept versions of published tables, as one connection of the catalog sees them: the
 * published row of a relation (inside a publishing transaction, the candidate's) and its rows in
 * `_stedi.history`. A version is named by its content token (catalog.ts `contentOf`): the same
 * token the executor keys reuse and test results with, so a recorded result's inputs can be read
 * back exactly — or not at all, when the version was pruned or a file of it is gone.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { VersionFiles } from '../types.js';
import { contentOf, type PublishedRow } from './catalog.js';
import { toQueryResult } from './values.js';

const lit = duckdbDialect.quoteString;

/** A version's files: its parts, or the Parquet files of its folder, listed (a folder written with no row may hold none). */
function filesOf(r: Pick<PublishedRow, 'path' | 'parts'>): string[] | undefined {
  if (r.parts) return r.parts;
  try {
    return fs
      .readdirSync(r.path!)
      .filter((f) => f.endsWith('.parquet'))
      .sort()
      .map((f) => path.join(r.path!, f));
  } catch {
    return undefined;
  }
}

function rowOf(x: Record<string, unknown>): Pick<PublishedRow, 'kind' | 'path' | 'parts'> {
  return {
    kind: x.kind === 'view' ? 'view' : 'table',
    path: x.path === null || x.path === undefined ? null : String(x.path),
    parts: typeof x.parts === 'string' ? (JSON.parse(x.parts) as string[]) : null,
  };
}

export function duckdbVersionFiles(c: DuckDBConnection): VersionFiles {
  const exists = (f: string) => fs.existsSync(f);
  const token = (r: Pick<PublishedRow, 'kind' | 'path' | 'parts'>) => contentOf({ ...r } as PublishedRow, exists);
  return {
    async files(relation, wanted) {
      const published = toQueryResult(await c.runAndReadAll(`SELECT kind, path, parts FROM _stedi.published WHERE relation = ${lit(relation)}`)).rows.map(rowOf);
      const found = async () => {
        if (wanted === undefined) return published[0];
        const history = toQueryResult(await c.runAndReadAll(`SELECT kind, path, parts FROM _stedi.history WHERE relation = ${lit(relation)}`)).rows.map(rowOf);
        return [...published, ...history].find((x) => token(x) === wanted);
      };
      const r = await found();
      const t = r ? token(r) : undefined;
      const files = r && t !== undefined ? filesOf(r) : undefined;
      return t !== undefined && files ? { token: t, files } : undefined;
    },
    read(files, columns, relation) {
      const cols = columns.map(duckdbDialect.quoteIdent).join(', ');
      if (files.length === 0) return `SELECT ${cols} FROM ${relation} WHERE false`;
      return `SELECT ${cols} FROM read_parquet([${files.map(lit).join(', ')}], hive_partitioning = false)`;
    },
  };
}
