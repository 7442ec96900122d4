/** SELECT over a source's landing files with its declared schema (no inference). */
import fs from 'node:fs';
import path from 'node:path';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { SourceNode } from '../../manifest/types.js';

const lit = duckdbDialect.quoteString;

export function landingFiles(location: string): string[] {
  if (!fs.existsSync(location)) return [];
  return fs.readdirSync(location).filter((f) => f.endsWith('.json')).sort().map((f) => path.posix.join(location, f));
}

export function sourceSelect(node: SourceNode): { sql: string; files: number } {
  const files = landingFiles(node.location);
  const cols = node.columns.map((c) => `${lit(c.name)}: ${lit(String(c.data_type ?? 'varchar').toUpperCase())}`);
  if (files.length === 0) {
    const nulls = node.columns.map((c) => `CAST(NULL AS ${String(c.data_type ?? 'varchar').toUpperCase()}) AS ${duckdbDialect.quoteIdent(c.name)}`);
    return { sql: `SELECT ${nulls.join(', ')} WHERE false`, files: 0 };
  }
  const list = `[${files.map(lit).join(', ')}]`;
  return { sql: `SELECT * FROM read_json(${list}, format = 'newline_delimited', columns = {${cols.join(', ')}})`, files: files.length };
}
