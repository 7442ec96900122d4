/**
 * The SQL of DuckDB microbatch models (runner/adapters/duckdb/microbatch.ts): reading parts, the
 * interval of an event time, and the window predicate of an event-time input.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { NULL_INTERVAL, type BatchSize, type Range } from '../../core/batches.js';
import { duckdbDialect } from '../../dialect/duckdb.js';
import { EngineError } from '../types.js';
import { toQueryResult } from './values.js';

const lit = duckdbDialect.quoteString;

export const read = (files: string[]) => `read_parquet([${files.map(lit).join(', ')}], hive_partitioning = false)`;

export async function rows(c: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return toQueryResult(await c.runAndReadAll(sql)).rows;
}

export async function count(c: DuckDBConnection, sql: string): Promise<number> {
  return Number(Object.values((await rows(c, sql))[0] ?? {})[0] ?? 0);
}

/**
 * SQL for the interval of an event-time expression of `type`: the epoch milliseconds of its start
 * (BIGINT; NULL for a NULL event time). Hours and days of epoch milliseconds by integer arithmetic
 * (floored for times before 1970), the rest by the calendar (date_trunc, UTC).
 */
export function intervalSql(expr: string, type: string, size: BatchSize): string {
  if (isInteger(type) && (size === 'hour' || size === 'day')) {
    const n = size === 'hour' ? 3_600_000 : 86_400_000;
    return `(CAST(${expr} AS BIGINT) - ((CAST(${expr} AS BIGINT) % ${n}) + ${n}) % ${n})`;
  }
  return `epoch_ms(date_trunc('${size}', ${asTimestamp(expr, type)}))`;
}

/** An interval as the engine returns it (a number, or NULL) by its name. */
export function intervalName(v: unknown): string {
  return v === null || v === undefined ? NULL_INTERVAL : String(v);
}

/** SQL: `__stedi_interval` is one of `intervals`. */
export function intervalIn(intervals: Iterable<string>): string {
  const list = [...intervals];
  const numbers = list.filter((i) => i !== NULL_INTERVAL);
  const terms = [...(numbers.length ? [`__stedi_interval IN (${numbers.join(', ')})`] : []), ...(list.includes(NULL_INTERVAL) ? ['__stedi_interval IS NULL'] : [])];
  return terms.length ? `(${terms.join(' OR ')})` : 'FALSE';
}

export function isInteger(type: string): boolean {
  return /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(type);
}

export function asTimestamp(expr: string, type: string): string {
  if (isInteger(type)) return `epoch_ms(CAST(${expr} AS BIGINT))`;
  if (type === 'DATE' || type === 'TIMESTAMP' || /^TIMESTAMP_(S|MS|NS)$/.test(type)) return `CAST(${expr} AS TIMESTAMP)`;
  throw new EngineError(`event_time must be epoch milliseconds (an integer), a DATE or a TIMESTAMP; it is ${type}`);
}

/** The predicate selecting `ranges` (and the NULL interval when asked) of an event-time column. */
export function rangePredicate(col: string, type: string, ranges: Range[], withNull: boolean): string {
  const value = (ms: number) => (isInteger(type) ? String(ms) : `epoch_ms(${ms})`);
  const x = isInteger(type) ? col : asTimestamp(col, type);
  const terms = ranges.map((r) => (r.end === Infinity ? `${x} >= ${value(r.start)}` : `(${x} >= ${value(r.start)} AND ${x} < ${value(r.end)})`));
  if (withNull) terms.push(`${col} IS NULL`);
  return terms.length ? terms.join(' OR ') : 'FALSE';
}

export async function columnType(c: DuckDBConnection, relation: string, column: string): Promise<string> {
  const r = await rows(c, `DESCRIBE SELECT ${column} FROM ${relation}`);
  return String(r[0]?.column_type ?? '');
}

/**
 * The hash a key is stored and matched by (md5 of its text; NULL as '-', which no md5 is). The
 * dimension fingerprints, the restated keys and the rows they select all use this one expression:
 * were two of them to differ, a restated key would miss its rows.
 */
export function keyHash(expr: string): string {
  return `coalesce(md5(CAST(${expr} AS VARCHAR)), '-')`;
}

/** The hash of a whole row of alias `t` (its JSON: every value typed and quoted, unambiguous). */
export function rowHash(t: string): string {
  return `md5(CAST(to_json(${t}) AS VARCHAR))`;
}

/**
 * SQL aggregate: the values of `expr` (row hashes) sorted and concatenated — the text a
 * fingerprint is the md5 of. Equal to `string_agg(expr, '' ORDER BY expr)`, which gave the
 * fingerprints of earlier versions, at about half its cost (a list sort instead of an ordered
 * aggregate); NULL over no rows.
 */
export function sortedConcat(expr: string): string {
  return `array_to_string(list_sort(list(${expr})), '')`;
}
