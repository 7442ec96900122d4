/**
 * Event-time intervals of microbatch models (pure). An interval is named by the epoch
 * milliseconds (UTC) of its start, as a decimal string, or `null` for the rows whose event time is
 * NULL. A microbatch model reads each input that declares an `event_time` through a window token
 * the compiler writes and the adapter fills in at run time with the intervals of the batch:
 *
 *   (SELECT * FROM <input> WHERE __stedi_batch_window('<unique_id>', "<column>"))
 */
import type { Dialect } from '../dialect/types.js';

export type BatchSize = 'hour' | 'day' | 'month' | 'year';
export const BATCH_SIZES: readonly BatchSize[] = ['hour', 'day', 'month', 'year'];
export const NULL_INTERVAL = 'null';
export const WINDOW_FN = '__stedi_batch_window';

/** What the compiler renders for an input with an event_time in a microbatch model. */
export function batchWindow(d: Dialect): (relation: string, id: string, column: string) => string {
  return (relation, id, column) => `(SELECT * FROM ${relation} WHERE ${WINDOW_FN}(${d.quoteString(id)}, ${d.quoteIdent(column)}))`;
}

const TOKEN = new RegExp(`${WINDOW_FN}\\('((?:[^']|'')*)', ("(?:[^"]|"")*")\\)`, 'g');

/** Every window token of `sql`: the input's unique_id and its quoted column. */
export function windowTokens(sql: string): { id: string; column: string }[] {
  return [...sql.matchAll(TOKEN)].map((m) => ({ id: m[1]!.replace(/''/g, "'"), column: m[2]! }));
}

/** `sql` with every window token replaced by the predicate `fill` returns for its input. */
export function fillWindow(sql: string, fill: (id: string, quotedColumn: string) => string): string {
  return sql.replace(TOKEN, (_m, id: string, column: string) => `(${fill(id.replace(/''/g, "'"), column)})`);
}

/** The start of the interval holding `ms`. */
export function intervalStart(ms: number, size: BatchSize): number {
  const d = new Date(ms);
  switch (size) {
    case 'hour': return Math.floor(ms / 3_600_000) * 3_600_000;
    case 'day': return Math.floor(ms / 86_400_000) * 86_400_000;
    case 'month': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case 'year': return Date.UTC(d.getUTCFullYear(), 0, 1);
  }
}

/** The start of the interval after the one starting at `start`. */
export function nextStart(start: number, size: BatchSize): number {
  const d = new Date(start);
  switch (size) {
    case 'hour': return start + 3_600_000;
    case 'day': return start + 86_400_000;
    case 'month': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    case 'year': return Date.UTC(d.getUTCFullYear() + 1, 0, 1);
  }
}

/** The start of the interval before the one starting at `start`. */
export function previousStart(start: number, size: BatchSize): number {
  return intervalStart(start - 1, size);
}

export interface Range {
  /** Inclusive, epoch milliseconds. */
  start: number;
  /** Exclusive; Infinity for an open end. */
  end: number;
}

/** The intervals named (NULL_INTERVAL excluded) as sorted, merged ranges. */
export function rangesOf(intervals: Iterable<string>, size: BatchSize): Range[] {
  const starts = [...new Set([...intervals].filter((i) => i !== NULL_INTERVAL).map(Number))].sort((a, b) => a - b);
  const out: Range[] = [];
  for (const s of starts) {
    const e = nextStart(s, size);
    const last = out[out.length - 1];
    if (last && last.end >= s) last.end = Math.max(last.end, e);
    else out.push({ start: s, end: e });
  }
  return out;
}

/** Merges two lists of ranges. */
export function unionRanges(a: Range[], b: Range[]): Range[] {
  const all = [...a, ...b].sort((x, y) => x.start - y.start);
  const out: Range[] = [];
  for (const r of all) {
    const last = out[out.length - 1];
    if (last && last.end >= r.start) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** Whether the interval named `interval` lies inside one of `ranges`. */
export function inRanges(interval: string, ranges: Range[]): boolean {
  if (interval === NULL_INTERVAL) return false;
  const s = Number(interval);
  return ranges.some((r) => s >= r.start && s < r.end);
}

/** Ranges clipped to start at `begin` (when set). */
export function clipRanges(ranges: Range[], begin: number | undefined): Range[] {
  if (begin === undefined) return ranges;
  return ranges.map((r) => ({ start: Math.max(r.start, begin), end: r.end })).filter((r) => r.end > r.start);
}
