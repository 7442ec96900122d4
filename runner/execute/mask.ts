/**
 * Masking of personal data in anything stedi prints or stores (test samples, unit-test diffs,
 * `stedi show`), default-deny: a column is shown only when column lineage proves it free of
 * personal data (status `none` or `pseudonymised`); every other column is masked. A masked
 * value keeps a 4-hex-digit fingerprint so two samples can be told apart without the value
 * being recoverable.
 *
 * What the engine returned is matched to what lineage predicted by position, and each named
 * column must come back under the predicted name. Where lineage cannot say how many columns an
 * item stands for (a star over unknown columns, columns(), unnest()), only the columns before the
 * first such item and after the last one are matched; the rest are unproven. A column name
 * lineage did not predict is masked as well: names can be data too (a dynamic PIVOT names its
 * columns after values).
 */
import { createHash } from 'node:crypto';
import { lineageSession, type LineageSession, type QueryLineage, type ResultColumn } from '../lineage/project.js';
import type { PiiStatus } from '../lineage/types.js';
import type { Manifest } from '../manifest/types.js';

/** clean: proven free of personal data; personal: proven to carry it; unproven: neither. */
export type Exposure = 'clean' | 'personal' | 'unproven';

export interface ShownColumn {
  /** The key of the column in the engine's row objects. */
  key: string;
  /** The name as it may be printed: the engine's, or masked when lineage did not predict it. */
  label: string;
  exposure: Exposure;
}

const SESSIONS = new WeakMap<Manifest, LineageSession>();

/** One lineage session per manifest: each model is analysed once however many tests fail. */
export function lineageOf(manifest: Manifest): LineageSession {
  let s = SESSIONS.get(manifest);
  if (!s) {
    s = lineageSession({ nodes: manifest.nodes, dialect: manifest.metadata.target.type });
    SESSIONS.set(manifest, s);
  }
  return s;
}

/** The lineage of a model's output, as the result columns `exposeColumns` matches. */
export function modelResult(manifest: Manifest, id: string): QueryLineage {
  const session = lineageOf(manifest);
  const m = session.model(id);
  if (m.error !== undefined) return { error: m.error };
  // by name: a model's status map holds the worse of two columns of one name, and meta.pii
  const statuses = session.lineage.pii[id] ?? {};
  return { columns: m.columns.map((c) => ({ ...c, status: c.shape === 'many' ? 'unknown' : worstOf(statuses, c.name) })) };
}

function worstOf(statuses: Record<string, PiiStatus>, name: string): PiiStatus {
  const key = Object.keys(statuses).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? 'unknown' : statuses[key]!;
}

export const exposureOf = (s: PiiStatus): Exposure => (s === 'none' || s === 'pseudonymised' ? 'clean' : s === 'unknown' ? 'unproven' : 'personal');

/**
 * What may be shown of each column the engine returned (`actual`, in order), given what lineage
 * predicted for the query. Columns the engine returned under one name share one row key: the
 * key is shown only when every column under it is.
 */
export function exposeColumns(predicted: QueryLineage, actual: string[]): ShownColumn[] {
  const cols = predicted.columns ?? [];
  const predictedNames = new Set(cols.filter((c) => !c.shape).map((c) => c.name.toLowerCase()));
  const perPosition = actual.map((name, i): ShownColumn => {
    const c = predicted.columns ? matching(cols, actual.length, i) : undefined;
    const sameName = !!c && (c.shape === 'unnamed' || c.name.toLowerCase() === name.toLowerCase());
    const exposure: Exposure = c && sameName ? exposureOf(c.status) : 'unproven';
    const label = (c && sameName) || predictedNames.has(name.toLowerCase()) ? name : maskName(name);
    return { key: name, label, exposure };
  });
  const rank: Record<Exposure, number> = { clean: 0, unproven: 1, personal: 2 };
  return perPosition.map((p) => {
    const same = perPosition.filter((o) => o.key === p.key);
    const worst = same.reduce((w, o) => (rank[o.exposure] > rank[w] ? o.exposure : w), p.exposure);
    const label = same.some((o) => o.label !== o.key) ? maskName(p.key) : p.label;
    return { key: p.key, label, exposure: worst };
  });
}

/**
 * The predicted column the engine's column `i` (of `width`) is, when that is certain: every
 * predicted column stands for exactly one column, except `many` ones. Columns before the first
 * `many` one are matched from the left, those after the last one from the right, and only when
 * the engine returned at least as many columns as that accounts for.
 */
function matching(cols: ResultColumn[], width: number, i: number): ResultColumn | undefined {
  const first = cols.findIndex((c) => c.shape === 'many');
  if (first < 0) return cols.length === width ? cols[i] : undefined;
  const last = cols.length - 1 - [...cols].reverse().findIndex((c) => c.shape === 'many');
  const after = cols.length - 1 - last;
  if (width < first + after) return undefined;
  if (i < first) return cols[i];
  if (i >= width - after) return cols[cols.length - (width - i)];
  return undefined;
}

/** A result's rows with every column not proven clean masked, keyed by the printable names. */
export function maskRows(rows: Record<string, unknown>[], shown: ShownColumn[]): Record<string, unknown>[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const c of shown) out[c.label] = c.exposure === 'clean' ? row[c.key] : maskValue(row[c.key]);
    return out;
  });
}

/** One row with every key not in `clean` (lower-cased names) masked. */
export function maskRow(row: Record<string, unknown>, clean: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = clean.has(k.toLowerCase()) ? v : maskValue(v);
  return out;
}

export function maskValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const fp = createHash('sha256').update(String(v)).digest('hex').slice(0, 4);
  return `<masked #${fp}>`;
}

/** A column name lineage did not predict: it may be data. */
export function maskName(name: string): string {
  return `<column #${createHash('sha256').update(name).digest('hex').slice(0, 4)}>`;
}
