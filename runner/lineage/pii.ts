/**
 * Personal data along column lineage. A column tagged `meta.pii` is personal data; a direct
 * copy of it stays `pii`, anything computed from it is `derived` (still personal data), and
 * what only the approved pseudonymisation macro turned into a keyed hash is `pseudonymised`.
 * A column with an unresolved origin is `unknown`: it cannot be shown free of personal data.
 */
import type { ManifestNode } from '../manifest/types.js';
import { PII_RANK, type ColumnLineage, type ColumnRef, type LineageEdge, type ModelLineage, type PiiStatus, type Unresolved } from './types.js';

const worst = (a: PiiStatus, b: PiiStatus): PiiStatus => (PII_RANK[b] > PII_RANK[a] ? b : a);

function carried(status: PiiStatus, edge: LineageEdge): PiiStatus {
  if (status === 'none' || edge.via === 'condition') return 'none';
  if (edge.via === 'pseudonymised') return 'pseudonymised';
  if (edge.via === 'expression' && status === 'pii') return 'derived';
  return status;
}

const declaredPii = (n: ManifestNode | undefined, column: string): boolean =>
  !!n && 'columns' in n && n.columns.some((c) => c.pii && c.name.toLowerCase() === column.toLowerCase());

export type StatusOf = (ref: ColumnRef) => PiiStatus;

/** A status lookup over computed statuses: a column not there is `unknown`. */
export function statusLookup(pii: Record<string, Record<string, PiiStatus>>): StatusOf {
  return (ref) => {
    const cols = pii[ref.node] ?? {};
    const key = Object.keys(cols).find((k) => k.toLowerCase() === ref.column.toLowerCase());
    return key === undefined ? 'unknown' : cols[key]!;
  };
}

/** The status of one output column from its lineage: the worst of what its upstream edges carry, unknown when anything is unresolved. */
export function columnStatus(c: ColumnLineage, statusOf: StatusOf): PiiStatus {
  let s: PiiStatus = c.unresolved.length ? 'unknown' : 'none';
  for (const e of c.upstream) s = worst(s, carried(statusOf(e), e));
  return s;
}

/**
 * Sources and seeds: a declared column is `pii` when tagged meta.pii, `pseudonymised` when it is a
 * source's derived pseudonym (`derived: {pseudonym_of: …}`, computed at ingestion with the
 * pseudonymisation key: the one approved way personal data reaches a `pii_allowed: false` model),
 * else `none`.
 */
export function declaredStatuses(n: ManifestNode): Record<string, PiiStatus> | undefined {
  if (n.resource_type !== 'source' && n.resource_type !== 'seed') return undefined;
  return Object.fromEntries(n.columns.map((c) => [c.name, c.pii ? 'pii' : n.resource_type === 'source' && c.derived ? 'pseudonymised' : 'none']));
}

/**
 * Status of every column of one analysed model: by lineage, `pii` where the model declares it
 * meta.pii; a declared column its SQL does not produce is `unknown` (or `pii`). Two columns of
 * the same name (placeholders included) get the worse status.
 */
export function modelStatuses(node: ManifestNode | undefined, m: ModelLineage, statusOf: StatusOf): Record<string, PiiStatus> {
  const cols: Record<string, PiiStatus> = {};
  for (const c of m.columns) {
    const s = declaredPii(node, c.name) ? 'pii' : columnStatus(c, statusOf);
    cols[c.name] = cols[c.name] === undefined ? s : worst(cols[c.name]!, s);
  }
  for (const c of node && 'columns' in node ? node.columns : []) {
    if (!Object.keys(cols).some((k) => k.toLowerCase() === c.name.toLowerCase())) cols[c.name] = c.pii ? 'pii' : 'unknown';
  }
  return cols;
}

/** Status of every column of every source, seed and analysed model (`models` in dependency order). */
export function piiStatuses(nodes: Record<string, ManifestNode>, models: Record<string, ModelLineage>): Record<string, Record<string, PiiStatus>> {
  const out: Record<string, Record<string, PiiStatus>> = {};
  for (const n of Object.values(nodes)) {
    const declared = declaredStatuses(n);
    if (declared) out[n.unique_id] = declared;
  }
  const statusOf = statusLookup(out);
  for (const [id, m] of Object.entries(models)) out[id] = modelStatuses(nodes[id], m, statusOf);
  return out;
}

export interface PiiViolation {
  node: string;
  /** Undefined when the model's SQL could not be analysed at all: then nothing of it is known. */
  column?: string;
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
  const statusOf = statusLookup(pii);
  for (const [id, m] of Object.entries(models)) {
    const node = nodes[id];
    if (node?.config.pii_allowed !== false) continue;
    if (m.error !== undefined) {
      out.push({ node: id, status: 'unknown', path: [], unresolved: { reference: nodeName(node, id), reason: m.error } });
      continue;
    }
    for (const column of [...new Set(m.columns.map((c) => c.name))]) {
      const status = statusOf({ node: id, column });
      if (PII_RANK[status] < PII_RANK.unknown || declaredPii(node, column)) continue;
      out.push({ node: id, column, status, ...trace({ node: id, column }, status, models, statusOf) });
    }
  }
  return out;
}

const nodeName = (n: ManifestNode | undefined, id: string) => n?.name ?? id;

/** Follows non-pseudonymised edges towards the origin of `status`. */
function trace(start: ColumnRef, status: PiiStatus, models: Record<string, ModelLineage>, statusOf: StatusOf): { path: ColumnRef[]; unresolved?: Unresolved } {
  const path = [start];
  const seen = new Set<string>();
  const wanted = (s: PiiStatus) => (status === 'unknown' ? s === 'unknown' : s === 'pii' || s === 'derived');
  const onward = (c: ColumnLineage) => c.upstream.find((e) => e.via !== 'pseudonymised' && e.via !== 'condition' && wanted(statusOf(e)) && !seen.has(`${e.node}.${e.column}`));
  for (let at = start; ; ) {
    seen.add(`${at.node}.${at.column}`);
    const m = models[at.node];
    const same = m?.columns.filter((c) => c.name.toLowerCase() === at.column.toLowerCase()) ?? [];
    const col = same.find((c) => (status === 'unknown' ? c.unresolved.length > 0 : onward(c))) ?? same.find(onward) ?? same[0];
    if (status === 'unknown' && (m?.error !== undefined || (col && col.unresolved.length))) {
      const unresolved = col?.unresolved[0] ?? { reference: at.column, reason: m?.error ?? 'not analysed' };
      return { path, unresolved };
    }
    const next = col && onward(col);
    if (!next) return status === 'unknown' ? { path, unresolved: { reference: at.column, reason: `${at.column} is not a column lineage knows` } } : { path };
    at = { node: next.node, column: next.column };
    path.push(at);
  }
}
