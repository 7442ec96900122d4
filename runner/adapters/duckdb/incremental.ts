/**
 * `materialized: incremental` on DuckDB. A table version is a list of Parquet parts, as the
 * landing tables are (`_stedi.published.parts`): a part written once is shared by every later
 * version that still holds its rows, never copied.
 *
 *   first build     no published version of this model's parts table (or a view, or another
 *                   node's table), or `--full-refresh`: the model's SQL (is_incremental() false)
 *                   is the whole table, one part
 *   append          the published parts, then the batch (the SQL with is_incremental() true)
 *   delete+insert   the published parts without the rows whose unique_key is in the batch — only
 *   merge           the parts holding such rows are rewritten — then the batch. On DuckDB merge is
 *                   delete+insert: a matched row is replaced whole (dbt's merge updates it in place;
 *                   the published rows are the same)
 *
 * `on_schema_change` (dbt's policies; `fail` is stedi's default) when the batch's columns (names,
 * order, types) differ from the published table's — see `alignSchema` in schema-change.ts. A NULL
 * key matches nothing (as `IN` in dbt's delete+insert). Every part is written into the new version
 * folder, which write-audit-publish then publishes or removes as for any table: the published
 * version is never touched.
 */
import fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { incrementalStrategy } from '../../compiler/configs.js';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { ModelNode } from '../../manifest/types.js';
import { EngineError } from '../types.js';
import type { PublishedRow } from './catalog.js';
import { alignSchema, type Column } from './schema-change.js';

const q = duckdbDialect.quoteIdent;
const lit = duckdbDialect.quoteString;

export interface IncrementalWrite {
  /** The parts of the new version, in order. */
  parts: string[];
  rows: number;
  /** `full`: the whole table was written; `append`, `delete+insert`, `merge`: a batch was added. */
  mode: 'full' | 'append' | 'delete+insert' | 'merge';
  /** Rows of the batch, and published rows it replaced. */
  batch: number;
  replaced: number;
  /** What `on_schema_change` did when the batch's columns differed from the published table's. */
  schemaChange?: string;
  /** How many parts were written into one (compact). */
  compacted?: number;
}

/** The Parquet files a published table reads. */
export function partsOf(row: PublishedRow): string[] {
  if (row.parts && row.parts.length) return row.parts;
  if (!row.path || !fs.existsSync(row.path)) return [];
  return fs.readdirSync(row.path).filter((f) => f.endsWith('.parquet')).sort().map((f) => `${row.path}/${f}`);
}

const read = (files: string[]) => `read_parquet([${files.map(lit).join(', ')}], hive_partitioning = false)`;

async function columnsOf(c: DuckDBConnection, files: string[]): Promise<Column[]> {
  const r = await c.runAndReadAll(`DESCRIBE SELECT * FROM ${read(files)}`);
  return r.getRows().map((row) => ({ name: String(row[0]), type: String(row[1]) }));
}

async function copy(c: DuckDBConnection, select: string, file: string): Promise<number> {
  const r = await c.runAndReadAll(`COPY (\n${select}\n) TO ${lit(file)} (FORMAT parquet)`);
  return Number(r.rowsChanged);
}

export async function writeIncremental(c: DuckDBConnection, node: ModelNode, sql: { full: string; batch: string }, dir: string, published: PublishedRow | undefined, fullRefresh: boolean): Promise<IncrementalWrite> {
  let previous = published && published.kind === 'table' && published.node === node.unique_id ? [...partsOf(published)] : [];
  if (fullRefresh || !previous.length) {
    const file = `${dir}/part-00000.parquet`;
    const rows = await copy(c, sql.full, file);
    return { parts: [file], rows, mode: 'full', batch: rows, replaced: 0 };
  }
  const strategy = incrementalStrategy(node.config) as IncrementalWrite['mode'];
  let batchFile = `${dir}/batch.parquet`;
  const batch = await copy(c, sql.batch, batchFile);
  const ours = await columnsOf(c, [batchFile]);
  const theirs = await columnsOf(c, previous);
  let schemaChange: string | undefined;
  const same = ours.length === theirs.length && ours.every((col, i) => col.name === theirs[i]!.name && col.type === theirs[i]!.type);
  if (!same) ({ batchFile, previous, note: schemaChange } = await changeSchema(c, node, { ours, theirs }, batchFile, previous, dir));
  const keyColumns = node.config.unique_key === undefined ? [] : (Array.isArray(node.config.unique_key) ? node.config.unique_key : [node.config.unique_key]).map(String);
  if (strategy !== 'append' && keyColumns.length) {
    const have = new Set((await columnsOf(c, [batchFile])).map((col) => col.name));
    const missing = keyColumns.filter((k) => !have.has(k));
    if (missing.length) throw new EngineError(`${node.name}: unique_key ${missing.join(', ')} ${missing.length === 1 ? 'is not a column' : 'are not columns'} of the table it would publish`);
  }
  const kept: string[] = [];
  let replaced = 0;
  if (strategy === 'append' || batch === 0) kept.push(...previous);
  else {
    const match = `EXISTS (SELECT 1 FROM ${read([batchFile])} b WHERE ${keyColumns.map((k) => `b.${q(k)} = p.${q(k)}`).join(' AND ')})`;
    if (strategy === 'merge') await refuseAmbiguousMerge(c, node, keyColumns, batchFile, previous);
    let n = 0;
    for (const part of previous) {
      const hit = Number((await c.runAndReadAll(`SELECT count(*) FROM ${read([part])} p WHERE ${match}`)).getRows()[0]?.[0] ?? 0);
      if (hit === 0) {
        kept.push(part);
        continue;
      }
      replaced += hit;
      const file = `${dir}/rw-${String(n++).padStart(5, '0')}.parquet`;
      const left = await copy(c, `SELECT p.* FROM ${read([part])} p WHERE NOT ${match}`, file);
      if (left > 0) kept.push(file);
      else fs.rmSync(file, { force: true });
    }
  }
  const listed = batch > 0 || kept.length === 0 ? [...kept, batchFile] : kept;
  if (!listed.includes(batchFile)) fs.rmSync(batchFile, { force: true });
  const { parts, merged } = await compact(c, listed, dir);
  const rows = Number((await c.runAndReadAll(`SELECT count(*) FROM ${read(parts)}`)).getRows()[0]?.[0] ?? 0);
  return { parts, rows, mode: strategy, batch, replaced, ...(schemaChange ? { schemaChange } : {}), ...(merged ? { compacted: merged } : {}) };
}

/** A version of an incremental table lists at most this many parts (compact). */
export const MAX_PARTS = 8;

/**
 * Above MAX_PARTS, the newest parts are written into one: the newest two, and each part before
 * them while the run is more than half its size (bytes) — sizes then stay roughly geometric, as a
 * binary counter's: small recent parts are merged often, large old ones seldom, so a row is
 * rewritten about log2(builds) times, never at every build, and a version never lists more than
 * MAX_PARTS. A merged file of this version's folder is deleted; one of an earlier version stays
 * (it is shared with that version).
 */
async function compact(c: DuckDBConnection, parts: string[], dir: string): Promise<{ parts: string[]; merged: number }> {
  if (parts.length <= MAX_PARTS) return { parts, merged: 0 };
  const size = (f: string) => fs.statSync(f).size;
  let i = parts.length - 2;
  let tail = size(parts[i]!) + size(parts[i + 1]!);
  while (i > 0 && tail * 2 > size(parts[i - 1]!)) {
    i--;
    tail += size(parts[i]!);
  }
  const file = `${dir}/compact.parquet`;
  await copy(c, `SELECT * FROM ${read(parts.slice(i))}`, file);
  for (const f of parts.slice(i)) if (f.startsWith(`${dir}/`)) fs.rmSync(f, { force: true });
  return { parts: [...parts.slice(0, i), file], merged: parts.length - i };
}

/**
 * MERGE's rule: a published row that more than one new row matches is an error (Athena's
 * MERGE_TARGET_ROW_MULTIPLE_MATCHES; most engines refuse it), never a guess of which row wins; new
 * keys that repeat are all inserted, as MERGE inserts every row it matched to nothing.
 */
async function refuseAmbiguousMerge(c: DuckDBConnection, node: ModelNode, keys: string[], batchFile: string, previous: string[]): Promise<void> {
  const on = keys.map((k) => `d.${q(k)} = p.${q(k)}`).join(' AND ');
  const r = await c.runAndReadAll(`SELECT count(*) FROM (SELECT ${keys.map((k) => q(k)).join(', ')} FROM ${read([batchFile])} GROUP BY ALL HAVING count(*) > 1) d WHERE EXISTS (SELECT 1 FROM ${read(previous)} p WHERE ${on})`);
  const n = Number(r.getRows()[0]?.[0] ?? 0);
  if (n > 0) throw new EngineError(`${node.name}: incremental_strategy merge: ${n} published row key${n === 1 ? ' is' : 's are'} matched by more than one new row (unique_key ${keys.join(', ')}); a merge replaces each published row by one row: make the batch unique on the key, or use delete+insert`);
}

/**
 * The batch and the published parts in the columns `on_schema_change` decides (schema-change.ts):
 * the batch rewritten in them, and the published parts too when the columns themselves change.
 */
async function changeSchema(c: DuckDBConnection, node: ModelNode, cols: { ours: Column[]; theirs: Column[] }, batchFile: string, previous: string[], dir: string): Promise<{ batchFile: string; previous: string[]; note: string }> {
  const plan = alignSchema(node.name, (node.config.on_schema_change as string | undefined) ?? 'fail', cols.ours, cols.theirs);
  // the values of a column whose type changes must all convert: counted first, so that a
  // failure names the column and how many values, never a value
  for (const col of plan.casts) {
    const bad = Number((await c.runAndReadAll(`SELECT count(*) FROM ${read(previous)} p WHERE p.${q(col.name)} IS NOT NULL AND TRY_CAST(p.${q(col.name)} AS ${col.type}) IS NULL`)).getRows()[0]?.[0] ?? 0);
    if (bad > 0) throw new EngineError(`on_schema_change: sync_all_columns: ${bad} published value${bad === 1 ? '' : 's'} of ${node.name}.${col.name} cannot be converted to ${col.type}; nothing was published; run with --full-refresh to rebuild it from its SQL`);
  }
  const aligned = `${dir}/batch-aligned.parquet`;
  await copy(c, `SELECT ${plan.batch.join(', ')} FROM ${read([batchFile])} b`, aligned);
  fs.rmSync(batchFile, { force: true });
  if (!plan.published) return { batchFile: aligned, previous, note: plan.note };
  // every published part is written again in the new columns (NULL in a new column for the rows
  // published before): the parts of a version all have one schema
  const rewritten: string[] = [];
  for (const [i, part] of previous.entries()) {
    const file = `${dir}/sc-${String(i).padStart(5, '0')}.parquet`;
    await copy(c, `SELECT ${plan.published.join(', ')} FROM ${read([part])} p`, file);
    rewritten.push(file);
  }
  return { batchFile: aligned, previous: rewritten, note: plan.note };
}
