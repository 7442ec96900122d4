/**
 * Volume guards: a table is not published when its new version collapses against the published
 * one. Pure. Part of the gate of write-audit-publish (run.ts), before the blocking tests.
 *
 *   allow_empty   (default false) a version with 0 rows over a published version with rows
 *                 fails, unless the node allows it
 *   max_row_drop  (default 0.5) a version with fewer than (1 - max_row_drop) x the published
 *                 rows fails; null switches the guard off
 *
 * Why these defaults: the STEDI landing zone only grows (devices report every day), and the
 * trusted and curated tables shrink only when customers withdraw consent or a rule changes,
 * which never halves a table in one build. A version that is empty or half the size is far
 * more likely a wrong landing_root, a lost delivery or a broken join than a fact, and once
 * published it replaces good data. A first build (nothing published yet) is never refused,
 * and views are not counted. `--allow-shrink` publishes such a version for one run, with a
 * warning.
 */
import type { Candidate } from '../adapters/types.js';
import type { ManifestNode } from '../manifest/types.js';

export const DEFAULT_MAX_ROW_DROP = 0.5;

export interface VolumeGuard {
  allowEmpty: boolean;
  /** Fraction of the published rows a new version may lose; null: no limit. */
  maxRowDrop: number | null;
}

export function volumeGuard(node: ManifestNode): VolumeGuard {
  const c = node.config as Record<string, unknown>;
  const drop = c.max_row_drop;
  return {
    allowEmpty: c.allow_empty === true,
    maxRowDrop: drop === null || drop === 'none' ? null : typeof drop === 'number' ? drop : DEFAULT_MAX_ROW_DROP,
  };
}

const n = (x: number) => x.toLocaleString('en-US');

/** Why the candidate must not be published, or undefined. */
export function volumeProblem(guard: VolumeGuard, c: Candidate): string | undefined {
  const { rows, previousRows: before } = c;
  if (rows === undefined || before === undefined || before === 0) return undefined;
  if (rows === 0) return guard.allowEmpty ? undefined : `it would publish 0 rows over the published ${n(before)} (allow_empty is false)`;
  if (guard.maxRowDrop === null) return undefined;
  if (rows < before * (1 - guard.maxRowDrop)) {
    const pct = Math.round((1 - rows / before) * 1000) / 10;
    return `it would publish ${n(rows)} rows, ${pct}% fewer than the published ${n(before)} (max_row_drop is ${guard.maxRowDrop})`;
  }
  return undefined;
}

export const GUARD_HINT = 'if the drop is intended, rerun with --allow-shrink, or set allow_empty / max_row_drop on the node';
