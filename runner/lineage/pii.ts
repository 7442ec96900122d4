/**
 * Personal data along column lineage. A column tagged `meta.pii` is personal data; a direct
 * copy of it stays `pii`, anything computed from it is `derived` (still personal data), and
 * what only the approved pseudonymisation macro turned into a keyed hash is `pseudonymised`.
 * A column with an unresolved origin is `unknown`: it cannot be shown free of personal data.
 */
import type { ManifestNode } from '../manifest/types.js';
import { PII_RANK, type ColumnRef, type LineageEdge, type ModelLineage, type PiiStatus, type Unresolved } from './types.js';

const worst = (a: PiiStatus, b: PiiStatus): PiiStatus => (PII_RANK[b] > PII_RANK[a] ? b : a);

function carried(status: PiiStatus, edge: LineageEdge): PiiStatus {
  if (status === 'none' || edge.via === 'condition') return 'none';
  if (edge.via === 'pseudonymised') return 'pseudonymised';
  if (edge.via === 'expression' && status === 'pii') return 'derived';
  return status;
}

const declaredPii = (n: ManifestNode | undefined, column: string): boolean =>
  !!n && 'columns' in n && n.columns.some((c) => c.pii && c.name.toLowerCase() === column.toLowerCase());

/** Status of every column of every source, seed and analysed model (`models` in dependency order). */
export function piiStatuses(nodes: Record<string, ManifestNode>, models: Record<string, ModelLineage>): Record<string, Record<string, PiiStatus>> {
  const out: Record<string, Record<string, PiiStatus>> = {};
  for (const n of Object.values(nodes)) {
    if (n.resource_type === 'source' || n.resource_type === 'seed') out[n.unique_id] = Object.fromEntries(n.columns.map((c) => [c.name, c.pii ? 'pii' : 'none']));
  }
  const statusOf = (ref: ColumnRef): PiiStatus => {
    const cols = out[ref.node] ?? {};
    const key = Object.keys(cols).find((k) => k.toLowerCase() === ref.column.toLowerCase());
    return key === undefined ? 'unknown' : cols[key]!;
  };
  for (const [id, m] of Object.entries(models)) {
    const node = nodes[id];
    const cols: Record<string, PiiStatus> = {};
    for (const c of m.columns) {
      let s: PiiStatus = c.unresolved.length ? 'unknown' : 'none';
      for (const e of c.upstream) s = worst(s, carried(statusOf(e), e));
      cols[c.name] = declaredPii(node, c.name) ? 'pii' : s;
    }
    for (const c of node && 'columns' in node ? node.columns : []) {
      if (!Object.keys(cols).some((k) => k.toLowerCase() === c.name.toLowerCase())) cols[c.name] = c.pii ? 'pii' : 'unknown';
    }
    out[id] = cols;
  }
  return out;
}

export interface PiiViolation {
  node: string;
  column: string;
  status: PiiStatus;
  /** From the offending column up to where the personal data (or the unknown) comes from. */
  path: ColumnRef[];
  /** For `unknown`: the unresolved reference at the end of the path. */
  unresolved?: Unresolved;
}

/**
 * Columns of models with `pii_allowed: false` that carry personal data (pii or derived) or
 * cannot be shown free of it (unknown). Columns tagged meta.pii there are left to
 * checkPiiPolicy, which reports them already.
 */
export function piiViolations(nodes: Record<string, ManifestNode>, models: Record<string, ModelLineage>, pii: Record<string, Record<string, PiiStatus>>): PiiViolation[] {
  const out: PiiViolation[] = [];
  const statusOf = (r: ColumnRef): PiiStatus => {
    const cols = pii[r.node] ?? {};
    const key = Object.keys(cols).find((k) => k.toLowerCase() === r.column.toLowerCase());
    return key === undefined ? 'unknown' : cols[key]!;
  };
  for (const [id, m] of Object.entries(models)) {
    const node = nodes[id];
    if (node?.config.pii_allowed !== false) continue;
    const columns = m.error !== undefined ? (node && 'columns' in node ? node.columns.map((c) => c.name) : []) : m.columns.map((c) => c.name);
    for (const column of columns) {
      const status = statusOf({ node: id, column });
      if (PII_RANK[status] < PII_RANK.unknown || declaredPii(node, column)) continue;
      out.push({ node: id, column, status, ...trace({ node: id, column }, status, models, statusOf) });
    }
  }
  return out;
}

/** Follows non-pseudonymised edges towards the origin of `status`. */
function trace(start: ColumnRef, status: PiiStatus, models: Record<string, ModelLineage>, statusOf: (r: ColumnRef) => PiiStatus): { path: ColumnRef[]; unresolved?: Unresolved } {
  const path = [start];
  const seen = new Set<string>();
  const wanted = (s: PiiStatus) => (status === 'unknown' ? s === 'unknown' : s === 'pii' || s === 'derived');
  for (let at = start; ; ) {
    seen.add(`${at.node}.${at.column}`);
    const m = models[at.node];
    const col = m?.columns.find((c) => c.name.toLowerCase() === at.column.toLowerCase());
    if (status === 'unknown' && (m?.error !== undefined || (col && col.unresolved.length))) {
      const unresolved = col?.unresolved[0] ?? { reference: at.column, reason: m?.error ?? 'not analysed' };
      return { path, unresolved };
    }
    const next = col?.upstream.find((e) => e.via !== 'pseudonymised' && e.via !== 'condition' && wanted(statusOf(e)) && !seen.has(`${e.node}.${e.column}`));
    if (!next) return { path };
    at = { node: next.node, column: next.column };
    path.push(at);
  }
}
