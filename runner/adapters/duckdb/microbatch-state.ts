/**
 * What a DuckDB microbatch version records beside its parts (`<version>/_state/`): the input parts
 * it was built from, with the intervals each holds, and the fingerprints of its dimensions; and
 * how its own parts are filed by interval (`p/__stedi_interval=<start ms>/…`).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { NULL_INTERVAL, type BatchSize } from '../../core/batches.js';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { PublishedRow } from './catalog.js';
import { intervalSql, rows } from './microbatch-sql.js';

const q = duckdbDialect.quoteIdent;
const lit = duckdbDialect.quoteString;

export const STATE_FORMAT = 1;
const PART_RE = /\/__stedi_interval=([^/]+)\//;
/** How DuckDB names the partition of NULL. */
const NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/**
 * A version lists at least one part: a model with no rows gets one Parquet file of its columns
 * and no row, filed under the NULL interval with a name DuckDB's partitioned writes never use
 * (theirs are `data_<n>.parquet`). It holds nothing, so it is left out as soon as any other part
 * exists.
 */
const EMPTY_PART = 'empty.parquet';
export const isEmptyPart = (part: string): boolean => path.basename(part) === EMPTY_PART;
export function emptyPartPath(dir: string): string {
  const folder = path.join(dir, 'p', `__stedi_interval=${NULL_PARTITION}`);
  fs.mkdirSync(folder, { recursive: true });
  return path.join(folder, EMPTY_PART).replace(/\\/g, '/');
}

export interface DimState {
  /** A keyed dimension: the Parquet file of (md5 of key, fingerprint) in the version folder. */
  keyed?: string;
  /**
   * A keyed dimension: its content token (catalog.ts contentOf) when the fingerprints were taken,
   * so the executor can tell which version of it the published model was built from (keyed delta
   * audits, runner/execute/key-local.ts). Absent in states written before it was recorded.
   */
  content?: string;
  /** A dimension compared whole: its fingerprint. */
  whole?: string;
}

export interface State {
  format: number;
  /** sha256 of what decides the rows: both SQL renderings and the microbatch config. */
  spec: string;
  /** Per event-time input relation: each part read, with the intervals it holds. */
  events: Record<string, { parts: Record<string, string[]> | null; version: string | null }>;
  dims: Record<string, DimState>;
}

export function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

export function readState(published: PublishedRow | undefined): State | undefined {
  if (!published?.path) return undefined;
  try {
    const s = JSON.parse(fs.readFileSync(path.join(published.path, '_state', 'state.json'), 'utf8')) as State;
    return s.format === STATE_FORMAT ? s : undefined;
  } catch {
    return undefined;
  }
}

/** The interval a part of this model holds (from its folder), or undefined. */
export function partInterval(part: string): string | undefined {
  const v = PART_RE.exec(part.replace(/\\/g, '/'))?.[1];
  if (v === NULL_PARTITION) return NULL_INTERVAL;
  return v !== undefined && /^-?\d+$/.test(v) ? v : undefined;
}

/**
 * The intervals of the parts of each event-time input that `before` has not seen (recorded in
 * `next`); returns every interval they hold.
 */
export async function recordEventParts(c: DuckDBConnection, inputs: EventInput[], size: BatchSize, next: State, before: State['events']): Promise<Set<string>> {
  const found = new Set<string>();
  for (const e of inputs) {
    const now = next.events[e.relation]!;
    if (now.parts === null) continue;
    const seen = before[e.relation]?.parts ?? {};
    const unseen = e.parts.filter((p) => !seen[p]);
    if (!unseen.length) continue;
    const got = await rows(c, `SELECT f, string_agg(coalesce(CAST(b AS VARCHAR), '${NULL_INTERVAL}'), ',') AS i FROM (SELECT DISTINCT filename AS f, ${intervalSql(`p.${q(e.column)}`, e.type, size)} AS b FROM read_parquet([${unseen.map(lit).join(', ')}], hive_partitioning = false, filename = true, union_by_name = true) p) GROUP BY f`);
    for (const p of unseen) now.parts![p] = [];
    for (const r of got) {
      const list = String(r.i ?? '').split(',').filter(Boolean);
      now.parts![String(r.f)] = list;
      for (const i of list) found.add(i);
    }
  }
  return found;
}

/** An event-time input as the build sees it: its published parts and the type of its event time. */
export interface EventInput {
  relation: string;
  column: string;
  parts: string[];
  type: string;
}

export function listParts(out: string): string[] {
  if (!fs.existsSync(out)) return [];
  const found: string[] = [];
  for (const d of fs.readdirSync(out).sort()) {
    const sub = path.join(out, d);
    if (!fs.statSync(sub).isDirectory()) continue;
    for (const f of fs.readdirSync(sub).sort()) if (f.endsWith('.parquet')) found.push(path.join(sub, f).replace(/\\/g, '/'));
  }
  return found.sort((a, b) => sortKey(a) - sortKey(b));
}

export function sortKey(part: string): number {
  const i = partInterval(part);
  return i === undefined || i === NULL_INTERVAL ? Number.MAX_SAFE_INTEGER : Number(i);
}

export function intervalCount(parts: string[]): number {
  return new Set(parts.filter((p) => !isEmptyPart(p)).map((p) => partInterval(p))).size;
}

export function writeState(dir: string, state: State): void {
  fs.writeFileSync(path.join(dir, '_state', 'state.json'), JSON.stringify(state));
}
