/**
 * stedi's own bookkeeping in the local catalog (schema `_stedi`), and the published snapshot.
 *
 *   _stedi.published      one row per published relation: the version folder (NULL for a
 *                         view), rows, the node, the inputs it was built from, a view's SQL
 *   _stedi.history        earlier versions kept besides the published one (keep_versions)
 *   _stedi.landing_files  every landing file of each source's last ingestion: its counts, its
 *                         version (stat stamp) and where its rows are (segments of parts)
 *   _stedi.landing_state  per source: the location, the ingestion fingerprint and the parts of
 *                         both landing tables (runner/landing/state.ts)
 *   _stedi.test_results   per data test: its last pass or warn and the key it held under
 *                         (runner/execute/reuse.ts), so an unchanged test is not run again
 *
 * The published snapshot (`<catalog>.published.json`, replaced atomically after every publish)
 * holds the same published rows and landing-file records as plain JSON. Readers (`stedi show`,
 * `stedi test`) build their views from it in an in-memory DuckDB, so they never need the
 * catalog file, which a build holds open: they see the published tables during a build, and
 * after a damaged catalog file (`stedi recover` rebuilds the catalog from the snapshot).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { PublishedRecord } from '../types.js';
import { versionFolderOf } from './lake.js';
import { toQueryResult } from './values.js';

const lit = duckdbDialect.quoteString;

export const SNAPSHOT_SCHEMA_VERSION = 1;

/** What the snapshot and the catalog record of one published relation. */
export interface PublishedRow {
  relation: string;
  schema_name: string;
  identifier: string;
  kind: 'table' | 'view';
  node: string | null;
  version: string | null;
  path: string | null;
  published_at: string;
  row_count: number | null;
  /** A view's SQL (views are rebuilt from it by readers and by `stedi recover`). */
  definition: string | null;
  /** JSON of the inputs the relation was built from (runner/execute/inputs.ts). */
  inputs: string | null;
  /**
   * The Parquet files of a table whose version is made of parts kept from earlier versions (a
   * landing table ingested incrementally); null when the table is every file of `path`.
   */
  parts?: string[] | null;
}

export interface Snapshot {
  schema_version: number;
  project: string;
  target: string;
  written_at: string;
  relations: PublishedRow[];
  landing_files: Record<string, unknown>[];
  /** Rows of `_stedi.landing_state` (absent in snapshots of earlier stedi versions). */
  landing_state?: Record<string, unknown>[];
}

const COLUMNS = `relation VARCHAR, schema_name VARCHAR, identifier VARCHAR, kind VARCHAR, node VARCHAR, version VARCHAR, path VARCHAR, published_at TIMESTAMP, row_count BIGINT, definition VARCHAR, inputs VARCHAR, parts VARCHAR`;
const NAMES = 'relation, schema_name, identifier, kind, node, version, path, published_at, row_count, definition, inputs, parts';

/** The ingestion record; the columns after `ingested_at` were added with incremental ingestion. */
export const LANDING_FILES_DDL = `CREATE TABLE IF NOT EXISTS _stedi.landing_files (source VARCHAR, file VARCHAR, status VARCHAR, duplicate_of VARCHAR, bytes BIGINT, sha256 VARCHAR, lines BIGINT, accepted BIGINT, rejected BIGINT, blank BIGINT, duplicate_delivery BIGINT, bom BIGINT, crlf BIGINT, trailing_comma BIGINT, case_folded_keys BIGINT, coerced_values BIGINT, no_final_newline BOOLEAN, unknown_keys VARCHAR[], ingested_at TIMESTAMP, name VARCHAR, file_version VARCHAR, removed BOOLEAN, segments VARCHAR, first_rejects VARCHAR, erased BIGINT, rejected_by_reason VARCHAR)`;
const LANDING_FILES_ADDED = ['name VARCHAR', 'file_version VARCHAR', 'removed BOOLEAN', 'segments VARCHAR', 'first_rejects VARCHAR', 'erased BIGINT', 'rejected_by_reason VARCHAR'];
export const LANDING_STATE_DDL = `CREATE TABLE IF NOT EXISTS _stedi.landing_state (source VARCHAR PRIMARY KEY, location VARCHAR, fingerprint VARCHAR, accepted_parts VARCHAR, rejects_parts VARCHAR)`;

/** Creates the bookkeeping tables, and adds the columns a catalog of an earlier stedi lacks. */
export async function prepareBookkeeping(c: DuckDBConnection): Promise<void> {
  await c.run(`CREATE SCHEMA IF NOT EXISTS _stedi`);
  await c.run(`CREATE TABLE IF NOT EXISTS _stedi.published (relation VARCHAR PRIMARY KEY, version VARCHAR, path VARCHAR, published_at TIMESTAMP, row_count BIGINT)`);
  for (const col of ['schema_name VARCHAR', 'identifier VARCHAR', 'kind VARCHAR', 'node VARCHAR', 'definition VARCHAR', 'inputs VARCHAR', 'parts VARCHAR']) {
    await c.run(`ALTER TABLE _stedi.published ADD COLUMN IF NOT EXISTS ${col}`);
  }
  await c.run(`CREATE TABLE IF NOT EXISTS _stedi.history (${COLUMNS}, superseded_at TIMESTAMP)`);
  await c.run(`ALTER TABLE _stedi.history ADD COLUMN IF NOT EXISTS parts VARCHAR`);
  await c.run(LANDING_FILES_DDL);
  for (const col of LANDING_FILES_ADDED) await c.run(`ALTER TABLE _stedi.landing_files ADD COLUMN IF NOT EXISTS ${col}`);
  await c.run(LANDING_STATE_DDL);
  await c.run(TEST_RESULTS_DDL);
  await c.run(`ALTER TABLE _stedi.test_results ADD COLUMN IF NOT EXISTS inputs VARCHAR`);
}

/** Data test results kept for reuse (runner/execute/reuse.ts); counts and masked samples only. */
export const TEST_RESULTS_DDL = `CREATE TABLE IF NOT EXISTS _stedi.test_results (test VARCHAR PRIMARY KEY, reuse_key VARCHAR, status VARCHAR, failures BIGINT, message VARCHAR, sample VARCHAR, recorded_at TIMESTAMP)`;

/** A bookkeeping value as SQL: NULL, a number, or a quoted string. */
export function sqlValue(x: string | number | null): string {
  return x === null ? 'NULL' : typeof x === 'number' ? String(x) : lit(x);
}

/** A published row's values in NAMES order, with `published_at` as given (SQL). */
export function publishedValues(row: Omit<PublishedRow, 'published_at'>, publishedAt: string): string {
  const v = sqlValue;
  return `${v(row.relation)}, ${v(row.schema_name)}, ${v(row.identifier)}, ${v(row.kind)}, ${v(row.node)}, ${v(row.version)}, ${v(row.path)}, ${publishedAt}, ${v(row.row_count)}, ${v(row.definition)}, ${v(row.inputs)}, ${v(row.parts ? JSON.stringify(row.parts) : null)}`;
}

/** Inside the publishing transaction: the new row replaces the relation's row; the old one goes to history. */
export async function recordPublished(c: DuckDBConnection, row: Omit<PublishedRow, 'published_at'>): Promise<void> {
  const r = lit(row.relation);
  await c.run(`INSERT INTO _stedi.history (${NAMES}, superseded_at) SELECT ${NAMES}, now() FROM _stedi.published WHERE relation = ${r} AND path IS NOT NULL`);
  await c.run(`DELETE FROM _stedi.published WHERE relation = ${r}`);
  await c.run(`INSERT INTO _stedi.published (${NAMES}) VALUES (${publishedValues(row, 'now()')})`);
}

/** A published version kept as it is, now known to be built from `inputs` (unchanged.ts). */
export async function recordInputs(c: DuckDBConnection, relation: string, inputs: string): Promise<void> {
  await c.run(`UPDATE _stedi.published SET inputs = ${lit(inputs)} WHERE relation = ${lit(relation)}`);
}

export async function publishedRows(c: DuckDBConnection): Promise<PublishedRow[]> {
  const r = toQueryResult(await c.runAndReadAll(`SELECT ${NAMES} FROM _stedi.published ORDER BY relation`));
  return r.rows.map(asRow);
}

/** The published row of `relation` (inside a publishing transaction, the candidate's) and its rows in history, in one query. */
export async function versionRows(c: DuckDBConnection, relation: string): Promise<{ published: PublishedRow | undefined; history: PublishedRow[] }> {
  const r = lit(relation);
  const q = `SELECT false AS kept, ${NAMES} FROM _stedi.published WHERE relation = ${r} UNION ALL SELECT true, ${NAMES} FROM _stedi.history WHERE relation = ${r}`;
  const rows = toQueryResult(await c.runAndReadAll(q)).rows;
  return { published: rows.filter((x) => x.kept !== true).map(asRow)[0], history: rows.filter((x) => x.kept === true).map(asRow) };
}

function asRow(x: Record<string, unknown>): PublishedRow {
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const relation = String(x.relation);
  const dot = /^"((?:[^"]|"")*)"\."((?:[^"]|"")*)"$/.exec(relation);
  return {
    relation,
    schema_name: s(x.schema_name) ?? dot?.[1]?.replace(/""/g, '"') ?? '',
    identifier: s(x.identifier) ?? dot?.[2]?.replace(/""/g, '"') ?? '',
    kind: x.kind === 'view' ? 'view' : 'table',
    node: s(x.node),
    version: s(x.version),
    path: s(x.path),
    published_at: s(x.published_at) ?? '',
    row_count: x.row_count === null || x.row_count === undefined ? null : Number(x.row_count),
    definition: s(x.definition),
    inputs: s(x.inputs),
    parts: typeof x.parts === 'string' ? (JSON.parse(x.parts) as string[]) : Array.isArray(x.parts) ? (x.parts as string[]) : null,
  };
}

/**
 * Every folder the catalog keeps: the published versions and the earlier ones of history, and
 * every folder holding a part that one of them reads (a landing table keeps parts of earlier
 * ingestions).
 */
export async function keptPaths(c: DuckDBConnection): Promise<string[]> {
  const out = new Set<string>();
  for (const r of await keptVersions(c)) {
    out.add(r.path);
    for (const p of r.parts ?? []) out.add(versionFolderOf(p));
  }
  return [...out];
}

/** The folder and (for a version made of parts) the listed parts of every kept version. */
async function keptVersions(c: DuckDBConnection): Promise<{ path: string; parts: string[] | null }[]> {
  const r = toQueryResult(await c.runAndReadAll(`SELECT path, parts FROM _stedi.published WHERE path IS NOT NULL UNION ALL SELECT path, parts FROM _stedi.history WHERE path IS NOT NULL`));
  return r.rows.map((x) => ({ path: String(x.path), parts: typeof x.parts === 'string' ? (JSON.parse(x.parts) as string[]) : null }));
}

/**
 * What the kept versions read file by file: the folders some kept version reads whole (every
 * Parquet file in it) and every part a kept version lists. A Parquet file in a kept folder that
 * is in neither is read by no one (a part whose rows were rewritten elsewhere).
 */
export async function keptFiles(c: DuckDBConnection): Promise<{ wholeFolders: Set<string>; parts: Set<string> }> {
  const wholeFolders = new Set<string>();
  const parts = new Set<string>();
  for (const r of await keptVersions(c)) {
    if (r.parts) for (const p of r.parts) parts.add(path.resolve(p));
    else wholeFolders.add(path.resolve(r.path));
  }
  return { wholeFolders, parts };
}

/** Earlier versions of a relation beyond the newest `keep`, oldest last. */
export async function versionsBeyond(c: DuckDBConnection, relation: string, keep: number): Promise<string[]> {
  const r = toQueryResult(await c.runAndReadAll(`SELECT path FROM _stedi.history WHERE relation = ${lit(relation)} ORDER BY superseded_at DESC, version DESC OFFSET ${keep}`));
  return r.rows.map((x) => String(x.path));
}

export async function forgetHistory(c: DuckDBConnection, paths: string[]): Promise<void> {
  if (paths.length) await c.run(`DELETE FROM _stedi.history WHERE path IN (${paths.map(lit).join(', ')})`);
}

const LANDING_FILE_COLUMNS = ['source', 'file', 'status', 'duplicate_of', 'bytes', 'sha256', 'lines', 'accepted', 'rejected', 'blank', 'duplicate_delivery', 'bom', 'crlf', 'trailing_comma', 'case_folded_keys', 'coerced_values', 'no_final_newline'];
const LANDING_FILE_LATER = ['name', 'file_version', 'removed', 'segments', 'first_rejects', 'erased', 'rejected_by_reason'];

/** Landing-file records as the snapshot holds them, back into `_stedi.landing_files` (readers, recover); many rows per statement. */
export async function insertLandingFileRows(c: DuckDBConnection, rows: Record<string, unknown>[]): Promise<void> {
  const cell = (x: unknown) => (x === null || x === undefined ? 'NULL' : typeof x === 'number' || typeof x === 'boolean' ? String(x) : lit(String(x)));
  const values = rows.map((f) => {
    const keys = Array.isArray(f.unknown_keys) ? `[${(f.unknown_keys as unknown[]).map((k) => lit(String(k))).join(', ')}]::VARCHAR[]` : 'NULL';
    return `(${LANDING_FILE_COLUMNS.map((k) => cell(f[k])).join(', ')}, ${keys}, ${f.ingested_at ? `${lit(String(f.ingested_at))}::TIMESTAMP` : 'now()'}, ${LANDING_FILE_LATER.map((k) => cell(f[k])).join(', ')})`;
  });
  for (let i = 0; i < values.length; i += 500) await c.run(`INSERT INTO _stedi.landing_files VALUES ${values.slice(i, i + 500).join(', ')}`);
}

/** The recorded ingestion state of every source (the snapshot carries it for readers and recover). */
export async function landingStateRows(c: DuckDBConnection): Promise<Record<string, unknown>[]> {
  return toQueryResult(await c.runAndReadAll(`SELECT * FROM _stedi.landing_state ORDER BY source`)).rows;
}

export async function insertLandingStateRows(c: DuckDBConnection, rows: Record<string, unknown>[]): Promise<void> {
  for (const r of rows) await c.run(`INSERT INTO _stedi.landing_state VALUES (${['source', 'location', 'fingerprint', 'accepted_parts', 'rejects_parts'].map((k) => (r[k] === null || r[k] === undefined ? 'NULL' : lit(String(r[k])))).join(', ')})`);
}

export function snapshotPath(catalog: string): string {
  return `${catalog.replace(/\.duckdb$/i, '')}.published.json`;
}

export async function landingFileRows(c: DuckDBConnection): Promise<Record<string, unknown>[]> {
  return toQueryResult(await c.runAndReadAll(`SELECT * FROM _stedi.landing_files ORDER BY source, file`)).rows;
}

export function writeSnapshot(file: string, s: Snapshot): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(s)}\n`);
  fs.renameSync(tmp, file);
}

/** The snapshot, or undefined when there is none; throws when it exists but cannot be read. */
export function readSnapshot(file: string): Snapshot | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const s = JSON.parse(text) as Snapshot;
  if (s?.schema_version !== SNAPSHOT_SCHEMA_VERSION || !Array.isArray(s.relations)) throw new Error(`${file} is not a stedi published snapshot of schema version ${SNAPSHOT_SCHEMA_VERSION}`);
  return s;
}

/** What the executor reads back: relation, node, rows and inputs of every published relation. */
export function asPublishedRecords(rows: PublishedRow[], exists?: (file: string) => boolean): PublishedRecord[] {
  return rows.map((r) => ({
    relation: r.relation,
    ...(r.node ? { node: r.node } : {}),
    ...(r.row_count !== null ? { rows: r.row_count } : {}),
    ...(r.inputs ? { inputs: JSON.parse(r.inputs) as Record<string, unknown> } : {}),
    published_at: r.published_at,
    ...(contentOf(r, exists) !== undefined ? { content: contentOf(r, exists)! } : {}),
  }));
}

/**
 * A published table's data is its version folder (every Parquet file in it, written once) or the
 * list of immutable parts it reads: either names exactly the rows. A view has no token, nor a
 * version whose folder or parts are gone (`exists`, when given, is asked): what reads it is built
 * again rather than reused over a table that can no longer be read.
 */
export function contentOf(r: PublishedRow, exists?: (file: string) => boolean): string | undefined {
  if (r.kind !== 'table' || !r.path) return undefined;
  if (exists && !(r.parts ?? [r.path]).every(exists)) return undefined;
  if (r.parts) return `parts:${createHash('sha256').update(JSON.stringify(r.parts)).digest('hex')}`;
  return `folder:${r.path}`;
}
