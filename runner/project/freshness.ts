/**
 * `freshness:` and `loaded_at_field:` of a source or a source table, as dbt writes them:
 *   freshness: { warn_after: {count: 12, period: hour}, error_after: {count: 1, period: day} }
 * `freshness: null` on a table switches its source's off. Pure.
 */
import { didYouMean } from '../core/diagnostics.js';
import type { FreshnessThreshold } from '../manifest/types.js';
import { FRESHNESS_KEYS, FRESHNESS_PERIODS, FRESHNESS_THRESHOLD_KEYS } from './schema.js';
import type { FreshnessSpec } from './types.js';
import { MapView, toJS } from './yamlread.js';

/** A threshold's length in milliseconds. */
export function thresholdMs(t: FreshnessThreshold): number {
  return t.count * { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[t.period];
}

export function describeThreshold(t: FreshnessThreshold): string {
  return `${t.count} ${t.period}${t.count === 1 ? '' : 's'}`;
}

/** The `freshness` of an entry: undefined when absent, null when written as null. */
export function readFreshness(view: MapView): FreshnessSpec | undefined {
  if (!view.pairs.has('freshness')) return undefined;
  if (view.get('freshness') === undefined) return null;
  const m = view.map('freshness', `${view.what} freshness`);
  if (!m) return undefined;
  m.checkKeys(FRESHNESS_KEYS);
  const warn = threshold(m, 'warn_after');
  const error = threshold(m, 'error_after');
  if (!m.keys().length) m.ctx.bag.error('E_MISSING_KEY', m.ctx.file, m.line, `${m.what}: give warn_after, error_after or both`, "or write 'freshness: null' to judge no freshness here");
  if (warn && error && thresholdMs(warn) >= thresholdMs(error)) {
    m.err('E_BAD_VALUE', 'warn_after', `${m.what}: warn_after (${describeThreshold(warn)}) must be shorter than error_after (${describeThreshold(error)})`, 'a source warns before it is an error');
  }
  return { ...(warn ? { warn_after: warn } : {}), ...(error ? { error_after: error } : {}) };
}

function threshold(m: MapView, key: 'warn_after' | 'error_after'): FreshnessThreshold | undefined {
  if (m.get(key) === undefined) {
    if (m.pairs.has(key)) m.typeErr(key, 'a mapping such as {count: 12, period: hour}');
    return undefined;
  }
  const t = m.map(key, `${m.what} ${key}`);
  if (!t) return undefined;
  t.checkKeys(FRESHNESS_THRESHOLD_KEYS, ['count', 'period']);
  const count = toJS(t.ctx, t.get('count'));
  const period = t.get('period') !== undefined ? toJS(t.ctx, t.get('period')) : undefined;
  let ok = true;
  if (t.get('count') !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1)) {
    t.err('E_BAD_VALUE', 'count', `${t.what}: count must be a whole number of at least 1, not ${JSON.stringify(count)}`);
    ok = false;
  }
  if (period !== undefined && !(FRESHNESS_PERIODS as readonly unknown[]).includes(period)) {
    const hint = (typeof period === 'string' && didYouMean(period.replace(/s$/, ''), FRESHNESS_PERIODS)) || `one of ${FRESHNESS_PERIODS.join(', ')}`;
    t.err('E_BAD_VALUE', 'period', `${t.what}: period must be minute, hour or day, not ${JSON.stringify(period)}`, hint);
    ok = false;
  }
  if (!ok || typeof count !== 'number' || typeof period !== 'string') return undefined;
  return { count, period: period as FreshnessThreshold['period'] };
}
