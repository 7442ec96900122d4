import { describe, it, expect } from 'vitest';
import { ancestors, buildGraph, descendants, findAllCycles, findCycle, topoOrder } from '../../../runner/graph/dag.js';
import type { ModelNode } from '../../../runner/manifest/types.js';

/** A minimal model whose unique_id is its name, to keep the assertions short. */
function model(name: string, deps: string[] = []): ModelNode {
  return {
    unique_id: name,
    resource_type: 'model',
    name,
    original_file_path: `models/${name}.sql`,
    line: 1,
    fqn: ['models', `${name}.sql`],
    tags: [],
    description: '',
    depends_on: deps,
    config: { enabled: true },
    materialized: 'view',
    entity: 'customer',
    zone: 'trusted',
    relation: { schema: 'trusted', identifier: name, rendered: `"trusted"."${name}"` },
    columns: [],
    raw_code: 'select 1',
    compiled_code: 'select 1',
  };
}

/** `{ b: ['a'] }` = b depends on a. */
function graphOf(deps: Record<string, string[]>) {
  return buildGraph(Object.fromEntries(Object.entries(deps).map(([id, d]) => [id, model(id, d)])));
}

function cycleOf(deps: Record<string, string[]>, ids = Object.keys(deps)) {
  return findCycle(ids, (id) => deps[id] ?? []);
}

describe('buildGraph', () => {
  it('derives parents from depends_on, ignoring unknown ids and duplicates', () => {
    const g = graphOf({ a: [], b: ['a', 'missing', 'a'], c: ['b', 'a'] });
    expect(g.parents.get('b')).toEqual(['a']);
    expect(g.parents.get('c')).toEqual(['b', 'a']);
    expect(g.children.get('a')).toEqual(['b', 'c']);
    expect(g.children.get('c')).toEqual([]);
    expect([...g.nodes.keys()]).toEqual(['a', 'b', 'c']);
  });
});

describe('findCycle', () => {
  it('returns undefined for an acyclic graph', () => {
    expect(cycleOf({ a: [], b: ['a'], c: ['a', 'b'] })).toBeUndefined();
  });

  it('returns the full chain in dependency-flow order, smallest id first', () => {
    // b depends on a, c depends on b, a depends on c: a feeds b feeds c feeds a.
    expect(cycleOf({ c: ['b'], a: ['c'], b: ['a'] })).toEqual(['a', 'b', 'c', 'a']);
  });

  it('reports a self-loop as [id, id]', () => {
    expect(cycleOf({ a: ['a'], b: ['a'] })).toEqual(['a', 'a']);
  });

  it('is deterministic whatever the order of ids and parents', () => {
    const deps = { x: ['w'], w: ['z', 'y'], y: ['x'], z: ['y'] };
    const first = cycleOf(deps);
    expect(cycleOf(deps, ['z', 'y', 'x', 'w'])).toEqual(first);
    expect(first?.[0]).toBe('w');
    expect(first?.at(-1)).toBe('w');
  });

  it('returns the cycle through the smallest id when there are several', () => {
    expect(cycleOf({ m: ['n'], n: ['m'], b: ['c'], c: ['b'] })).toEqual(['b', 'c', 'b']);
  });

  it('ignores edges to ids outside the list', () => {
    expect(cycleOf({ a: ['b'], b: ['a'] }, ['a'])).toBeUndefined();
  });

  it('walks the edges: each element is a parent of the next', () => {
    const deps: Record<string, string[]> = { a: ['d'], b: ['a'], c: ['b'], d: ['c'], e: ['d'] };
    const cycle = cycleOf(deps)!;
    expect(cycle).toEqual(['a', 'b', 'c', 'd', 'a']);
    for (let i = 0; i + 1 < cycle.length; i++) expect(deps[cycle[i + 1]!]).toContain(cycle[i]);
  });
});

describe('findAllCycles', () => {
  it('reports every cycle once, sorted by first id', () => {
    const deps: Record<string, string[]> = { a: ['b'], b: ['a'], s: ['s'], x: ['z'], y: ['x'], z: ['y'], free: ['a'] };
    expect(findAllCycles(Object.keys(deps), (id) => deps[id] ?? [])).toEqual([
      ['a', 'b', 'a'],
      ['s', 's'],
      ['x', 'y', 'z', 'x'],
    ]);
  });

  it('returns [] for a DAG', () => {
    expect(findAllCycles(['a', 'b'], (id) => (id === 'b' ? ['a'] : []))).toEqual([]);
  });
});

describe('topoOrder', () => {
  it('puts parents first and breaks ties by id', () => {
    const g = graphOf({ d: ['b', 'c'], c: ['a'], b: ['a'], a: [], e: [] });
    expect(topoOrder(g)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('orders a subset, ignoring edges that leave it', () => {
    const g = graphOf({ a: [], b: ['a'], c: ['b'], d: ['c'] });
    expect(topoOrder(g, new Set(['d', 'b']))).toEqual(['b', 'd']);
  });

  it('throws on a cycle (the compiler must have rejected it)', () => {
    expect(() => topoOrder(graphOf({ a: ['b'], b: ['a'] }))).toThrow(/a > b > a/);
  });
});

describe('ancestors and descendants', () => {
  const g = graphOf({ a: [], b: ['a'], c: ['b'], d: ['c'], x: ['a'] });

  it('exclude the node itself and follow every hop by default', () => {
    expect([...ancestors(g, 'd')].sort()).toEqual(['a', 'b', 'c']);
    expect([...descendants(g, 'a')].sort()).toEqual(['b', 'c', 'd', 'x']);
    expect(ancestors(g, 'a').size).toBe(0);
  });

  it('limit the hops with depth', () => {
    expect([...ancestors(g, 'd', 1)]).toEqual(['c']);
    expect([...ancestors(g, 'd', 2)].sort()).toEqual(['b', 'c']);
    expect([...descendants(g, 'a', 1)].sort()).toEqual(['b', 'x']);
    expect(descendants(g, 'a', 0).size).toBe(0);
  });
});

describe('large graphs', () => {
  const N = 10_000;
  const id = (i: number): string => `n${String(i).padStart(5, '0')}`;
  const chain: Record<string, string[]> = {};
  for (let i = 0; i < N; i++) chain[id(i)] = i === 0 ? [] : [id(i - 1)];

  it('handles a 10,000-node chain without recursion limits', () => {
    const g = graphOf(chain);
    expect(topoOrder(g)).toEqual(Array.from({ length: N }, (_, i) => id(i)));
    expect(ancestors(g, id(N - 1)).size).toBe(N - 1);
    expect(descendants(g, id(0)).size).toBe(N - 1);
    expect(cycleOf(chain)).toBeUndefined();
  });

  it('finds a 10,000-node cycle', () => {
    const ring = { ...chain, [id(0)]: [id(N - 1)] };
    const cycle = cycleOf(ring)!;
    expect(cycle).toHaveLength(N + 1);
    expect(cycle.slice(0, 3)).toEqual([id(0), id(1), id(2)]);
    expect(cycle.at(-1)).toBe(id(0));
  });
});
