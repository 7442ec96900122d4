/**
 * The SQL of microbatch models on Athena (pure; Trino grammar): the interval of an event time,
 * the hashes keys and rows are compared by, the batch of restated intervals and keys, the table
 * as it would be published (for the audit), and the one MERGE that publishes it.
 *
 * What a build restates is `Restate`: ranges of intervals (merged, start inclusive, end
 * exclusive; an open end is MAX_END), whether the NULL interval is one, and the md5 hashes of the
 * restated keys. Event times are epoch milliseconds (an integer), by hour or day.
 */
import { doubleQuote, sqlString } from '../../dialect/types.js';
import { fillWindow, type Range } from '../../core/batches.js';

const q = doubleQuote;
const lit = sqlString;

export const MAX_END = '9223372036854775807';

export interface Restate {
  ranges: Range[];
  withNull: boolean;
  /** md5 hashes of the restated keys (keyHash), sorted. */
  keys: string[];
  /**
   * Every restated key is new to the keyed dimensions of the published version (none of them held
   * it, and it is not the NULL key): the published table then holds no row of these keys (see
   * decide in microbatch.ts), so a build need not look for them in it.
   */
  keysNew?: true;
}

/** The start of the interval of an integer event time (epoch ms), floored for times before 1970; NULL for NULL. */
export function intervalSql(expr: string, size: 'hour' | 'day'): string {
  const n = size === 'hour' ? 3_600_000 : 86_400_000;
  return `(CAST(${expr} AS BIGINT) - ((CAST(${expr} AS BIGINT) % ${n}) + ${n}) % ${n})`;
}

/** The hash a key is stored and matched by: md5 of its text, '-' for NULL (no md5 is '-'). */
export function keyHash(expr: string): string {
  return `coalesce(lower(to_hex(md5(to_utf8(CAST(${expr} AS varchar))))), '-')`;
}

/** An order-insensitive fingerprint of the rows of alias `t` over `columns` (Trino's checksum; NULL over no rows). */
export function rowsFingerprint(t: string, columns: string[]): string {
  return `coalesce(to_hex(checksum(ROW(${columns.map((c) => `${t}.${q(c)}`).join(', ')}))), '-')`;
}

const end = (x: Range) => (x.end === Infinity ? MAX_END : String(x.end));

/** The predicate: the integer event time `col` lies in the restated intervals. */
export function inIntervals(col: string, r: Pick<Restate, 'ranges' | 'withNull'>): string {
  const terms = r.ranges.map((x) => `(${col} >= ${x.start} AND ${col} < ${end(x)})`);
  if (r.withNull) terms.push(`${col} IS NULL`);
  return terms.length ? `(${terms.join(' OR ')})` : 'FALSE';
}

/** The predicate: the row's key is restated. */
export function inKeys(col: string, keys: string[]): string {
  return keys.length ? `${keyHash(col)} IN (${keys.map(lit).join(', ')})` : 'FALSE';
}

export interface BatchSpec {
  /** The model's SQL with is_incremental() false and true (window tokens unfilled). */
  full: string;
  batch: string;
  eventTime: string;
  restateColumn?: string;
}

/** The window of each event-time input: the restated intervals, by its own event-time column. */
function windowed(sql: string, r: Restate): string {
  return fillWindow(sql, (_id, column) => inIntervals(column, r));
}

/**
 * The new rows: the batch over the restated intervals, plus, for restated keys, their rows of every
 * other interval from the whole SQL (a key's rows of a restated interval come with the batch).
 */
export function candidateSelect(s: BatchSpec, r: Restate): string {
  const parts: string[] = [];
  if (r.ranges.length || r.withNull) parts.push(`SELECT * FROM (\n${windowed(s.batch, r)}\n) stedi_batch`);
  if (r.keys.length) {
    const et = `stedi_keyed.${q(s.eventTime)}`;
    parts.push(`SELECT * FROM (\n${fillWindow(s.full, () => 'TRUE')}\n) stedi_keyed WHERE ${inKeys(`stedi_keyed.${q(s.restateColumn!)}`, r.keys)} AND NOT ${inIntervals(et, r)}`);
  }
  return parts.join('\nUNION ALL\n');
}

/** Rows of the candidate that no restated interval or key explains: a batch that is not interval-local. */
export function strayRows(candidate: string, s: BatchSpec, r: Restate): string {
  const key = s.restateColumn && r.keys.length ? ` AND NOT ${inKeys(`c.${q(s.restateColumn)}`, r.keys)}` : '';
  return `SELECT count(*) AS stray FROM ${candidate} c WHERE NOT ${inIntervals(`c.${q(s.eventTime)}`, r)}${key}`;
}

/** The published table's rows that the build replaces. */
function replaced(alias: string, s: BatchSpec, r: Restate): string {
  const key = s.restateColumn && r.keys.length ? ` OR ${inKeys(`${alias}.${q(s.restateColumn)}`, r.keys)}` : '';
  return `(${inIntervals(`${alias}.${q(s.eventTime)}`, r)}${key})`;
}

/** The table as it would be published: the published rows kept, plus the candidate's (for the audit and its row count). */
export function wouldPublish(published: string, candidate: string, s: BatchSpec, r: Restate): string {
  return `(SELECT * FROM ${published} stedi_kept WHERE NOT ${replaced('stedi_kept', s, r)} UNION ALL SELECT * FROM ${candidate})`;
}

/**
 * One atomic Iceberg commit: `MERGE INTO` the published table from a source of
 * - one delete row (`__stedi_delete = 1`), which every target row of a restated interval or key
 *   matches (one source row may match many target rows; no target row matches two);
 * - the candidate's rows (`__stedi_delete` NULL), which match nothing and are inserted (an empty
 *   candidate leaves one row without `__stedi_row`: nothing is inserted).
 * The ON condition is an equality (the target side a CASE over the restated intervals and key
 * hashes), so the engine joins by hash; an OR of per-interval and per-key conditions would join
 * every target row with every source row.
 */
export function mergeSql(published: string, candidate: string, columns: string[], s: BatchSpec, r: Restate): string {
  return [
    `MERGE INTO ${published} t`,
    `USING (SELECT d.__stedi_delete, c.* FROM (VALUES (1), (CAST(NULL AS integer))) AS d(__stedi_delete) LEFT JOIN (SELECT 1 AS __stedi_row, * FROM ${candidate}) c ON d.__stedi_delete IS NULL) s`,
    `ON (CASE WHEN ${replaced('t', s, r)} THEN 1 END) = s.__stedi_delete`,
    `WHEN MATCHED THEN DELETE`,
    `WHEN NOT MATCHED AND s.__stedi_row = 1 THEN INSERT (${columns.map(q).join(', ')}) VALUES (${columns.map((c) => `s.${q(c)}`).join(', ')})`,
  ].join('\n');
}
