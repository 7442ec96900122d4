/**
 * The dependency graph of a manifest. Pure: no I/O. Every traversal is iterative, so a chain of
 * tens of thousands of nodes cannot overflow the stack, and every result is deterministic
 * (ties are broken by unique_id).
 *
 * Direction convention (the same as dbt's): an edge goes from a PARENT to a CHILD, i.e. from
 * the node that is read to the node built from it. `b.depends_on = ['a']` means `a` is a parent
 * of `b`. A cycle is returned in this dependency-flow order: `['a', 'b', 'c', 'a']` (printed
 * by the CLI as `a > b > c > a`) means b is built from a, c from b and a from c – that is,
 * b depends on a, c depends on b, a depends on c.
 */
import type { ManifestNode } from '../manifest/types.js';

export interface Graph {
  nodes: Map<string, ManifestNode>;
  /** Parents (the nodes a node reads from), in first-use order, deduplicated. */
  parents: Map<string, string[]>;
  /** Children (the nodes built from a node), sorted by id. */
  children: Map<string, string[]>;
}

/** Build the graph. `depends_on` entries that are not in `nodes` are ignored. */
export function buildGraph(nodes: Record<string, ManifestNode>): Graph {
  const graph: Graph = { nodes: new Map(), parents: new Map(), children: new Map() };
  for (const id of Object.keys(nodes).sort()) {
    graph.nodes.set(id, nodes[id]!);
    graph.children.set(id, []);
  }
  for (const [id, node] of graph.nodes) {
    const ps = [...new Set(node.depends_on)].filter((p) => graph.nodes.has(p));
    graph.parents.set(id, ps);
    for (const p of ps) graph.children.get(p)!.push(id);
  }
  return graph;
}

/**
 * One cycle among `ids` (edges to ids outside the list are ignored), or undefined when there is
 * none. The chain is in dependency-flow order (see the file comment), starts at the smallest
 * id of the cycle and repeats it at the end; a self-loop is `['a', 'a']`. When several cycles
 * exist, the one through the smallest id is returned.
 */
export function findCycle(ids: string[], parentsOf: (id: string) => string[]): string[] | undefined {
  return findAllCycles(ids, parentsOf)[0];
}

/**
 * Every cycle of the graph, reported once per strongly connected component (Tarjan, iterative):
 * for each component with more than one node, or with a self-loop, the shortest cycle through
 * its smallest id, in the form of `findCycle`. Sorted by first id.
 */
export function findAllCycles(ids: string[], parentsOf: (id: string) => string[]): string[][] {
  const inSet = new Set(ids);
  const next = (id: string): string[] => [...new Set(parentsOf(id))].filter((p) => inSet.has(p)).sort();
  const cycles: string[][] = [];
  for (const scc of stronglyConnected([...inSet].sort(), next)) {
    const start = scc.reduce((a, b) => (b < a ? b : a));
    if (scc.length === 1 && !next(start).includes(start)) continue;
    cycles.push(shortestCycle(start, new Set(scc), next));
  }
  return cycles.sort((a, b) => cmp(a[0]!, b[0]!));
}

interface Frame {
  id: string;
  succ: string[];
  i: number;
}

/** Tarjan's algorithm without recursion. */
function stronglyConnected(ids: string[], next: (id: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const root of ids) {
    if (index.has(root)) continue;
    const frames: Frame[] = [];
    const enter = (id: string): void => {
      index.set(id, index.size);
      low.set(id, index.get(id)!);
      stack.push(id);
      onStack.add(id);
      frames.push({ id, succ: next(id), i: 0 });
    };
    enter(root);
    while (frames.length > 0) {
      const f = frames[frames.length - 1]!;
      const w = f.succ[f.i++];
      if (w !== undefined) {
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(f.id, Math.min(low.get(f.id)!, index.get(w)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(f.id)!));
      if (low.get(f.id) === index.get(f.id)) out.push(popComponent(stack, onStack, f.id));
    }
  }
  return out;
}

function popComponent(stack: string[], onStack: Set<string>, root: string): string[] {
  const scc: string[] = [];
  let w: string | undefined;
  do {
    w = stack.pop()!;
    onStack.delete(w);
    scc.push(w);
  } while (w !== root);
  return scc;
}

/** BFS along parent edges inside `scc` from `start` back to `start`; returned in flow order. */
function shortestCycle(start: string, scc: Set<string>, next: (id: string) => string[]): string[] {
  const via = new Map<string, string>();
  const queue = [start];
  for (let qi = 0; qi < queue.length; qi++) {
    const id = queue[qi]!;
    for (const p of next(id)) {
      if (!scc.has(p)) continue;
      if (p === start) {
        // Walking parents gives start <- id <- … ; the flow order is start > … > id > start.
        const chain = [id];
        for (let c = id; c !== start; ) chain.push((c = via.get(c)!));
        return [start, ...chain];
      }
      if (!via.has(p)) {
        via.set(p, id);
        queue.push(p);
      }
    }
  }
  throw new Error(`internal: no cycle through ${start} in its component`);
}

/**
 * Topological order (parents before children) of `ids` (default: every node), considering only
 * edges inside that set. Kahn's algorithm; among ready nodes the smallest id comes first.
 * Throws (a bug in stedi) when the set holds a cycle: the compiler rejects cyclic projects.
 */
export function topoOrder(graph: Graph, ids?: Set<string>): string[] {
  const members = ids ?? new Set(graph.nodes.keys());
  const pending = new Map<string, number>();
  for (const id of members) {
    pending.set(id, (graph.parents.get(id) ?? []).filter((p) => members.has(p)).length);
  }
  const ready = new MinHeap();
  for (const [id, n] of pending) if (n === 0) ready.push(id);
  const order: string[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    order.push(id);
    for (const c of graph.children.get(id) ?? []) {
      const n = pending.get(c);
      if (n === undefined) continue;
      pending.set(c, n - 1);
      if (n === 1) ready.push(c);
    }
  }
  if (order.length < members.size) {
    const cycle = findCycle([...members], (id) => graph.parents.get(id) ?? []);
    throw new Error(`internal: topoOrder on a cyclic graph (${(cycle ?? []).join(' > ')})`);
  }
  return order;
}

/** Every ancestor of `id`, not `id` itself; `depth` limits the hops (1 = direct parents). */
export function ancestors(graph: Graph, id: string, depth?: number): Set<string> {
  return walk([id], (n) => graph.parents.get(n) ?? [], depth);
}

/** Every descendant of `id`, not `id` itself; `depth` limits the hops (1 = direct children). */
export function descendants(graph: Graph, id: string, depth?: number): Set<string> {
  return walk([id], (n) => graph.children.get(n) ?? [], depth);
}

/** Breadth-first walk from several starts; the result excludes the starts themselves. */
export function walk(starts: Iterable<string>, next: (id: string) => string[], depth?: number): Set<string> {
  const first = new Set(starts);
  const seen = new Set<string>(first);
  let frontier = [...first];
  const limit = depth ?? Infinity;
  for (let d = 0; d < limit && frontier.length > 0; d++) {
    const nextFrontier: string[] = [];
    for (const id of frontier) {
      for (const n of next(id)) {
        if (seen.has(n)) continue;
        seen.add(n);
        nextFrontier.push(n);
      }
    }
    frontier = nextFrontier;
  }
  for (const s of first) seen.delete(s);
  return seen;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A binary min-heap of strings (for Kahn's ready set on large graphs). */
class MinHeap {
  private readonly a: string[] = [];

  push(v: string): void {
    const a = this.a;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p]! <= a[i]!) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  pop(): string | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l]! < a[m]!) m = l;
      if (r < a.length && a[r]! < a[m]!) m = r;
      if (m === i) break;
      [a[m], a[i]] = [a[i]!, a[m]!];
      i = m;
    }
    return top;
  }
}
