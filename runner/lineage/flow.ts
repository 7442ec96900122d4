/** What flows into one value: upstream columns (with how) and references that could not be resolved. */
import type { LineageEdge, Unresolved, Via } from './types.js';

export interface Flow {
  edges: LineageEdge[];
  unresolved: Unresolved[];
}

export const EMPTY: Flow = { edges: [], unresolved: [] };

/** `outer` applied on top of an edge that reached a value `inner`ly. */
export function compose(outer: Via, inner: Via): Via {
  if (outer === 'condition' || inner === 'condition') return 'condition';
  if (outer === 'pseudonymised' || inner === 'pseudonymised') return 'pseudonymised';
  return outer === 'expression' || inner === 'expression' ? 'expression' : 'direct';
}

export function through(flow: Flow, via: Via): Flow {
  return { edges: flow.edges.map((e) => ({ ...e, via: compose(via, e.via) })), unresolved: flow.unresolved };
}

/** Union of flows, each edge and each unresolved reference once, in first-seen order. */
export function merge(...flows: Flow[]): Flow {
  const edges = new Map<string, LineageEdge>();
  const unresolved = new Map<string, Unresolved>();
  for (const f of flows) {
    for (const e of f.edges) edges.set(`${e.node}\u0000${e.column}\u0000${e.via}`, e);
    for (const u of f.unresolved) unresolved.set(`${u.reference}\u0000${u.reason}`, u);
  }
  return { edges: [...edges.values()], unresolved: [...unresolved.values()] };
}
