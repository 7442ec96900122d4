/**
 * `incremental_strategy: microbatch` on Athena (Iceberg): what a build restates, found from the
 * data, with the semantics of the DuckDB target (runner/adapters/duckdb/microbatch.ts):
 *   - event-time inputs: per interval, a fingerprint of the input's rows (count and Trino's
 *     order-insensitive `checksum` of every column). An interval whose rows changed, appeared or
 *     disappeared in any event-time input — a new landing file, a changed or withdrawn one, a late
 *     reading, an interval an upstream microbatch model restated — is rebuilt whole, plus
 *     `lookback` intervals before the newest of them, plus `--event-time-start/--event-time-end`.
 *     (DuckDB compares parts instead of rows: the same intervals, found without a scan; on Athena
 *     the landing parts are JSON objects behind a symlink manifest, and the upstream models are
 *     Iceberg tables without parts, so the rows are compared: one scan of each input per build.)
 *   - keyed dimensions (`restate_by`): per key, a fingerprint of its rows; only md5 hashes of the
 *     keys are stored, never a key. A key whose fingerprint changed is restated.
 *   - anything stedi cannot compare builds the model whole, and says why: the first build,
 *     `--full-refresh`, other SQL or microbatch config, a dimension without a key that changed, a
 *     state that is missing or unreadable, an event time that is not epoch milliseconds, a batch
 *     size other than hour or day.
 * A Iceberg table publishes the restated rows with one MERGE (microbatch-build.ts); a Hive table by
 * rewriting the restated intervals' files and switching its symlink manifest (microbatch-hive.ts).
 * The state (the fingerprints) is a JSON object beside the table's version prefixes (owned data),
 * `<table prefix>/_stedi_microbatch/v=<version>.json`, named by the Glue parameter
 * `stedi_microbatch_state` of the version it describes; prune deletes it with the last version
 * naming it.
 */
import { createHash } from 'node:crypto';
import { fillWindow, NULL_INTERVAL, previousStart, rangesOf, intervalStart, unionRanges, type Range } from '../../core/batches.js';
import type { MicrobatchPlan } from '../types.js';
import { EngineError, type QueryResult } from '../types.js';
import { intervalSql, keyHash, rowsFingerprint, type Restate } from './microbatch-sql.js';

export const MB_STATE_PARAM = 'stedi_microbatch_state';
const FORMAT = 1;
/** More restated keys than this are one predicate too long to send: the model is built whole. */
export const MAX_KEYS = 2000;

export interface MbState {
  format: number;
  spec: string;
  /** Per event-time input: interval → `<rows>:<checksum>`. */
  events: Record<string, Record<string, string>>;
  /** Per dimension: key hash → checksum of its rows (keyed), or `<rows>:<checksum>` of all its rows. */
  dims: Record<string, { keys?: Record<string, string>; whole?: string }>;
}

export type Decision = { kind: 'whole'; why: string } | { kind: 'restate'; restate: Restate; intervals: number } | { kind: 'unchanged' };

type Columns = (relation: string) => Promise<{ name: string; type: string }[]>;

interface Deps {
  query(sql: string): Promise<QueryResult>;
  /** A relation's columns (columnReader: read once per plan). */
  columns: Columns;
}

const INTEGER = /^(tinyint|smallint|integer|int|bigint)$/i;

/** A relation's columns by `SELECT * … LIMIT 0`, each relation read once (a plan reads an input's columns for its fingerprints and again for its key's type). */
export function columnReader(query: Deps['query']): Columns {
  const read = new Map<string, Promise<{ name: string; type: string }[]>>();
  return (relation) => {
    let cols = read.get(relation);
    if (!cols) read.set(relation, (cols = query(`SELECT * FROM ${relation} LIMIT 0`).then((r) => r.columns)));
    return cols;
  };
}

export interface Spec {
  full: string;
  batch: string;
  eventTime: string;
  size: string;
  plan: MicrobatchPlan;
}

export function specHash(s: Spec): string {
  const { window: _w, ...plan } = s.plan;
  return createHash('sha256').update(JSON.stringify([s.full, s.batch, s.eventTime, s.size, plan])).digest('hex');
}

/** Why this model cannot be built incrementally on Athena at all (then it is built whole), or undefined. */
export function unsupported(size: string, _format: string): string | undefined {
  if (size !== 'hour' && size !== 'day') return `batch_size ${size} is built whole on athena (only hour and day so far)`;
  return undefined;
}

/**
 * The fingerprints of every input now (a query per input). First every input's columns are read
 * and checked; `why` (and no state) when an event time is not epoch milliseconds or a column the
 * fingerprints need is not there — no fingerprint query is sent then.
 */
export async function fingerprints(d: Deps, s: Spec): Promise<{ state?: MbState; why?: string }> {
  const quote = (c: string) => `t."${c.replace(/"/g, '""')}"`;
  const queries: { into: (rows: Record<string, unknown>[], state: MbState) => void; sql: string }[] = [];
  for (const e of s.plan.eventInputs) {
    const cols = await d.columns(e.relation);
    const col = cols.find((c) => c.name.toLowerCase() === e.column.toLowerCase());
    if (!col) return { why: `the event time column ${e.relation}.${e.column} was not found` };
    if (!INTEGER.test(col.type.replace(/\(.*$/, ''))) return { why: `the event time ${e.relation}.${e.column} is ${col.type}; only epoch milliseconds (an integer) are built incrementally on athena so far` };
    const iv = intervalSql(quote(e.column), s.size as 'hour' | 'day');
    queries.push({
      sql: `SELECT CAST(${iv} AS varchar) AS i, count(*) AS n, ${rowsFingerprint('t', cols.map((c) => c.name))} AS fp FROM ${e.relation} t GROUP BY 1`,
      into: (rows, state) => (state.events[e.relation] = Object.fromEntries(rows.map((x) => [x.i === null ? NULL_INTERVAL : String(x.i), `${String(x.n)}:${String(x.fp)}`]))),
    });
  }
  for (const dim of s.plan.dimensions) {
    const cols = (await d.columns(dim.relation)).map((c) => c.name);
    if (!cols.length) return { why: `the columns of ${dim.relation} could not be read` };
    if (dim.key !== undefined) {
      if (!cols.some((c) => c.toLowerCase() === dim.key!.toLowerCase())) return { why: `the restate_by column ${dim.relation}.${dim.key} was not found` };
      queries.push({
        sql: `SELECT ${keyHash(quote(dim.key))} AS k, ${rowsFingerprint('t', cols)} AS fp FROM ${dim.relation} t GROUP BY 1`,
        into: (rows, state) => (state.dims[dim.relation] = { keys: Object.fromEntries(rows.map((x) => [String(x.k), String(x.fp)])) }),
      });
    } else {
      queries.push({
        sql: `SELECT count(*) AS n, ${rowsFingerprint('t', cols)} AS fp FROM ${dim.relation} t`,
        into: (rows, state) => (state.dims[dim.relation] = { whole: `${String(rows[0]?.n)}:${String(rows[0]?.fp)}` }),
      });
    }
  }
  const state: MbState = { format: FORMAT, spec: specHash(s), events: {}, dims: {} };
  for (const q of queries) q.into((await d.query(q.sql)).rows, state);
  return { state };
}

/** What to restate (pure): the published version's state against the inputs' now. */
export function decide(before: MbState, now: MbState, plan: MicrobatchPlan, size: 'hour' | 'day', lookback: number): Decision {
  if (before.format !== FORMAT) return { kind: 'whole', why: 'the microbatch state of the published version has another format' };
  if (before.spec !== now.spec) return { kind: 'whole', why: 'its SQL or microbatch config changed since the published version' };
  const intervals = new Set<string>();
  for (const e of plan.eventInputs) {
    const was = before.events[e.relation];
    const is = now.events[e.relation];
    if (!was || !is) return { kind: 'whole', why: `${e.relation} is a new input` };
    for (const i of new Set([...Object.keys(was), ...Object.keys(is)])) if (was[i] !== is[i]) intervals.add(i);
  }
  const numeric = [...intervals].filter((i) => i !== NULL_INTERVAL).map(Number);
  if (numeric.length && lookback > 0) {
    let s = Math.max(...numeric);
    for (let k = 0; k < lookback; k++) intervals.add(String((s = previousStart(s, size))));
  }
  let ranges: Range[] = rangesOf(intervals, size);
  if (plan.window) {
    const start = plan.window.start === undefined ? -8.64e15 : intervalStart(plan.window.start, size);
    const end = plan.window.end === undefined ? Infinity : plan.window.end;
    if (end > start) ranges = unionRanges(ranges, [{ start, end }]);
  }
  const keys = new Set<string>();
  for (const d of plan.dimensions) {
    const was = before.dims[d.relation];
    const is = now.dims[d.relation];
    if (!was || !is) return { kind: 'whole', why: `${d.relation} is a new input` };
    if (is.whole !== undefined || was.whole !== undefined) {
      if (was.whole !== is.whole) return { kind: 'whole', why: `${d.relation} changed (it has no restate_by key)` };
      continue;
    }
    for (const k of new Set([...Object.keys(was.keys ?? {}), ...Object.keys(is.keys ?? {})])) if (was.keys?.[k] !== is.keys?.[k]) keys.add(k);
  }
  if (keys.size > MAX_KEYS) return { kind: 'whole', why: `${keys.size} keys changed (more than ${MAX_KEYS})` };
  if (keys.size && !plan.restateColumn) throw new EngineError('restate_by.from names an input but restate_by.column is missing');
  const withNull = intervals.has(NULL_INTERVAL);
  if (!ranges.length && !withNull && !keys.size) return { kind: 'unchanged' };
  // A row's key is a copy of a keyed dimension's key (checked by lineage at compile time), and a
  // key that left the dimensions was restated out of the table then: the published version, built
  // under the dimensions its state records, holds no key none of them held. When every restated
  // key is such a key (never the NULL key '-', which rows hold whatever the dimensions), nothing
  // of them is to be found in the published table. Every keyed dimension's keys are looked at,
  // not only the one whose key changed: a key new to one may be held, unchanged, by another.
  const held = (k: string) => k === '-' || plan.dimensions.some((d) => d.key !== undefined && before.dims[d.relation]?.keys?.[k] !== undefined);
  const keysNew = keys.size > 0 && ![...keys].some(held);
  return { kind: 'restate', restate: { ranges, withNull, keys: [...keys].sort(), ...(keysNew ? { keysNew: true as const } : {}) }, intervals: intervals.size };
}

/**
 * Keys are matched by their text: the model's restate_by column and each keyed dimension's
 * column must have one type (an error otherwise). A column Athena does not show is a reason to
 * build whole (returned).
 */
export async function checkKeyTypes(node: { name: string }, spec: { full: string }, plan: MicrobatchPlan, columns: Columns): Promise<string | undefined> {
  const col = plan.restateColumn;
  if (!col || !plan.dimensions.some((d) => d.key !== undefined)) return undefined;
  const typeOf = async (rel: string, c: string) => (await columns(rel)).find((x) => x.name.toLowerCase() === c.toLowerCase())?.type;
  const ours = await typeOf(`(${fillWindow(spec.full, () => 'FALSE')})`, col);
  if (ours === undefined) return `the type of its restate_by column '${col}' could not be read`;
  for (const d of plan.dimensions) {
    if (d.key === undefined) continue;
    const theirs = await typeOf(d.relation, d.key);
    if (theirs === undefined) return `the type of ${d.relation}.${d.key} could not be read`;
    if (theirs !== ours) throw new EngineError(`${node.name}: restate_by: ${col} is ${ours} but ${d.relation}.${d.key} is ${theirs}; keys are matched by their text, so both must have one type (cast them alike)`);
  }
  return undefined;
}

/** Reads a state object's JSON; undefined when it is not a state stedi wrote. */
export function parseState(text: string): MbState | undefined {
  try {
    const s = JSON.parse(text) as MbState;
    return typeof s.spec === 'string' && typeof s.events === 'object' && typeof s.dims === 'object' ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where a version's state is: beside the table's version prefixes and their ownership markers,
 * `<table prefix>/_stedi_microbatch/v=<version>.json` — outside the Iceberg location, whose files
 * no table metadata references would be removed by Athena's VACUUM (orphan file removal).
 */
export function stateUri(location: string, version: string): string {
  const m = /^(.*\/)v=[^/]+\/?$/.exec(location);
  if (!m) throw new EngineError(`internal: ${location} is not a version prefix`);
  return `${m[1]}_stedi_microbatch/v=${version}.json`;
}

/** A state object stedi wrote under s3_data_dir (what prune may delete with the versions naming it). */
export function isStateUri(s3DataDir: string, uri: string): boolean {
  const base = `${s3DataDir.replace(/\/+$/, '')}/`;
  return uri.startsWith(base) && /\/_stedi_microbatch\/v=\d{8}T\d{6}Z-[0-9a-f]{8}\.json$/.test(uri) && !uri.slice(base.length).split('/').includes('..');
}
