/** Column lineage questions the page asks: upstream trace, downstream uses, labels. Pure. */
import type { DocsData } from '../data.js';
import type { ColumnRef, LineageEdge, PiiStatus } from '../../lineage/types.js';
import type { ManifestNode } from '../../manifest/types.js';

export function label(data: DocsData, id: string): string {
  const n = data.nodes[id];
  if (!n) return id;
  return n.resource_type === 'source' ? `${n.source_name}.${n.name}` : n.name;
}

export function columnLabel(data: DocsData, r: ColumnRef): string {
  return `${label(data, r.node)}.${r.column}`;
}

export function columnsOf(data: DocsData, id: string): string[] {
  const n = data.nodes[id];
  const lineage = data.lineage.models[id]?.columns.map((c) => c.name) ?? [];
  const declared = n && 'columns' in n ? n.columns.map((c) => c.name) : [];
  return [...lineage, ...declared].filter((c, i, all) => all.findIndex((x) => x.toLowerCase() === c.toLowerCase()) === i);
}

export function upstreamOf(data: DocsData, r: ColumnRef): LineageEdge[] {
  return data.lineage.models[r.node]?.columns.find((c) => c.name.toLowerCase() === r.column.toLowerCase())?.upstream ?? [];
}

export function piiOf(data: DocsData, r: ColumnRef): PiiStatus | undefined {
  const cols = data.lineage.pii[r.node];
  if (!cols) return undefined;
  const key = Object.keys(cols).find((k) => k.toLowerCase() === r.column.toLowerCase());
  return key === undefined ? undefined : cols[key];
}

export interface TraceStep extends ColumnRef {
  depth: number;
  via?: LineageEdge['via'];
}

/** Every upstream column of `start`, depth first, each once (the first way it is reached). */
export function traceUpstream(data: DocsData, start: ColumnRef): TraceStep[] {
  const out: TraceStep[] = [{ ...start, depth: 0 }];
  const seen = new Set([`${start.node}.${start.column}`]);
  const visit = (r: ColumnRef, depth: number) => {
    for (const e of upstreamOf(data, r)) {
      const key = `${e.node}.${e.column}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ node: e.node, column: e.column, via: e.via, depth });
      visit(e, depth + 1);
    }
  };
  visit(start, 1);
  return out;
}

/** Columns of other models computed from `r`. */
export function downstreamOf(data: DocsData, r: ColumnRef): LineageEdge[] {
  const out: LineageEdge[] = [];
  for (const m of Object.values(data.lineage.models)) {
    for (const c of m.columns) {
      const e = c.upstream.find((u) => u.node === r.node && u.column.toLowerCase() === r.column.toLowerCase());
      if (e) out.push({ node: m.node, column: c.name, via: e.via });
    }
  }
  return out;
}

/** Every column computed from `start`, transitively (except through conditions), each once. */
export function traceDownstream(data: DocsData, start: ColumnRef): LineageEdge[] {
  const out: LineageEdge[] = [];
  const seen = new Set([`${start.node}.${start.column.toLowerCase()}`]);
  for (let i = -1; i < out.length; i++) {
    const from = i < 0 ? start : out[i]!;
    for (const e of downstreamOf(data, from)) {
      const key = `${e.node}.${e.column.toLowerCase()}`;
      if (e.via === 'condition' || seen.has(key)) continue;
      seen.add(key);
      out.push(e);
    }
  }
  return out;
}

/** The node's worst column PII status, for its badge in the graph. */
export function nodePii(data: DocsData, id: string): PiiStatus {
  const rank: Record<PiiStatus, number> = { none: 0, pseudonymised: 1, unknown: 2, derived: 3, pii: 4 };
  let worst: PiiStatus = 'none';
  for (const s of Object.values(data.lineage.pii[id] ?? {})) if (rank[s] > rank[worst]) worst = s;
  return worst;
}

export function testsOf(data: DocsData, id: string): ManifestNode[] {
  return Object.values(data.nodes)
    .filter((n) => (n.resource_type === 'test' && n.attached_node === id) || (n.resource_type === 'unit_test' && n.model === id))
    .sort((a, b) => a.name.localeCompare(b.name));
}
