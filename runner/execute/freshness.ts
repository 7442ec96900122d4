/**
 * `stedi source freshness`: how old each landing source's newest data is, judged against its
 * `freshness` thresholds as dbt does. Pure: the command measures (newest file, newest event
 * time), this decides and words the result.
 *
 * A source has two measures: its newest landing file (by the store's modification time) and,
 * when it names an event-time column, the newest event in its published table. Its age is the
 * larger of the two: a table not rebuilt since new files landed is as stale to its readers as a
 * source whose files stopped coming. A measure that cannot be taken where thresholds are set (no
 * file, a table not published or without a row) is an error, never a pass.
 */
import { describeThreshold, thresholdMs } from '../project/freshness.js';
import type { Freshness, SourceNode } from '../manifest/types.js';

export const SOURCES_SCHEMA_VERSION = 1;

/** What the command found for one source. */
export interface FreshnessMeasure {
  /** The landing location could not be listed (it does not exist, access denied …): the message. */
  listProblem?: string;
  /** Landing files in the location. */
  files: number;
  /** The newest of them by modification time (its name in safe form). */
  newestFile?: { name: string; modifiedMs: number };
  /** Only when the source names an event-time column: the newest value, or why there is none. */
  newestEvent?: { column: string; ms: number } | { column: string; problem: string };
}

/** dbt's statuses, plus `skipped` for a source without thresholds (measured, not judged). */
export type FreshnessStatus = 'pass' | 'warn' | 'error' | 'runtime error' | 'skipped';

export interface FreshnessResult {
  unique_id: string;
  /** `landing.customer` */
  source: string;
  status: FreshnessStatus;
  /** One line: what was judged, and why. */
  message: string;
  /** The measure that decided: the older of the two. */
  max_loaded_at?: string;
  snapshotted_at: string;
  max_loaded_at_time_ago_in_s?: number;
  decided_by?: 'newest_file' | 'newest_event';
  criteria: { warn_after: { count: number | null; period: string | null }; error_after: { count: number | null; period: string | null } };
  files: number;
  newest_file: { name: string; modified_at: string; age_s: number } | null;
  newest_event: { column: string; at: string; age_s: number } | { column: string; problem: string } | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Ages are whole seconds, never negative (a clock ahead of ours reads as just now). */
const ageS = (now: number, ms: number) => Math.max(0, Math.floor((now - ms) / 1000));

/** `3d 4h`, `5h 12m`, `42m`, `17s`: an age as a person reads it. */
export function formatAge(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d) return h ? `${d}d ${h}h` : `${d}d`;
  if (h) return m ? `${h}h ${m}m` : `${h}h`;
  if (m) return `${m}m`;
  return `${seconds}s`;
}

function criteria(f: Freshness | undefined): FreshnessResult['criteria'] {
  const one = (t: Freshness['warn_after']) => ({ count: t?.count ?? null, period: t?.period ?? null });
  return { warn_after: one(f?.warn_after), error_after: one(f?.error_after) };
}

export function judgeFreshness(node: SourceNode, m: FreshnessMeasure, nowMs: number): FreshnessResult {
  const f = node.freshness;
  const base = {
    unique_id: node.unique_id,
    source: `${node.source_name}.${node.name}`,
    snapshotted_at: iso(nowMs),
    criteria: criteria(f),
    files: m.files,
    newest_file: m.newestFile ? { name: m.newestFile.name, modified_at: iso(m.newestFile.modifiedMs), age_s: ageS(nowMs, m.newestFile.modifiedMs) } : null,
    newest_event: !m.newestEvent ? null : 'ms' in m.newestEvent ? { column: m.newestEvent.column, at: iso(m.newestEvent.ms), age_s: ageS(nowMs, m.newestEvent.ms) } : { ...m.newestEvent },
  };
  if (m.listProblem !== undefined) return { ...base, status: 'runtime error', message: m.listProblem };
  const ages: { by: 'newest_file' | 'newest_event'; ms: number }[] = [];
  if (m.newestFile) ages.push({ by: 'newest_file', ms: m.newestFile.modifiedMs });
  if (m.newestEvent && 'ms' in m.newestEvent) ages.push({ by: 'newest_event', ms: m.newestEvent.ms });
  const oldest = ages.sort((a, b) => a.ms - b.ms)[0];
  const measured = oldest ? { max_loaded_at: iso(oldest.ms), max_loaded_at_time_ago_in_s: ageS(nowMs, oldest.ms), decided_by: oldest.by } : {};
  const missing = [
    ...(m.newestFile ? [] : ['no landing file']),
    ...(m.newestEvent && 'problem' in m.newestEvent ? [`no newest ${m.newestEvent.column}: ${m.newestEvent.problem}`] : []),
  ];
  if (!f) return { ...base, ...measured, status: 'skipped', message: `no freshness set: measured, not judged${missing.length ? ` (${missing.join('; ')})` : ''}` };
  if (missing.length || !oldest) return { ...base, ...measured, status: 'error', message: `${missing.join('; ')}: its freshness cannot be shown` };
  const age = nowMs - oldest.ms;
  const what = `${oldest.by === 'newest_file' ? 'newest file' : `newest ${m.newestEvent!.column}`} is ${formatAge(ageS(nowMs, oldest.ms))} old`;
  if (f.error_after && age > thresholdMs(f.error_after)) return { ...base, ...measured, status: 'error', message: `${what}, over error_after (${describeThreshold(f.error_after)})` };
  if (f.warn_after && age > thresholdMs(f.warn_after)) return { ...base, ...measured, status: 'warn', message: `${what}, over warn_after (${describeThreshold(f.warn_after)})` };
  const limit = f.warn_after ?? f.error_after!;
  return { ...base, ...measured, status: 'pass', message: `${what}, within ${f.warn_after ? 'warn_after' : 'error_after'} (${describeThreshold(limit)})` };
}

/** The newest file of a listing by modification time (the name breaks a tie, the later wins). */
export function newestFile<T extends { name: string; modified?: number }>(files: T[]): (T & { modified: number }) | undefined {
  let best: (T & { modified: number }) | undefined;
  for (const f of files) {
    if (f.modified === undefined) continue;
    if (!best || f.modified > best.modified || (f.modified === best.modified && f.name > best.name)) best = f as T & { modified: number };
  }
  return best;
}
