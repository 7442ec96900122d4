/**
 * Column lineage of a whole project from its manifest nodes: every model's compiled SQL parsed
 * and analysed against a catalog of the project's relations. A source or seed offers its
 * declared columns; a model its declared columns plus any other column its SQL produces
 * (models are analysed parents first). Pure apart from the parser.
 */
import { field, list, variant } from './ast.js';
import { parseSql } from './parser.js';
import { piiStatuses } from './pii.js';
import { analyzeQuery, type CatalogTable, type QueryEnv } from './query.js';
import type { ColumnLineage, ModelLineage, ProjectLineage } from './types.js';
import type { ManifestNode, ModelNode } from '../manifest/types.js';

/** What the pseudonymisation macro is rendered with to learn its shape (see pseudonymiserTemplate). */
export const PSEUDONYMISER_PROBE = '__stedi_probe__';

export interface LineageInput {
  nodes: Record<string, ManifestNode>;
  /** The dialect the SQL was compiled for (`duckdb`, `athena`). */
  dialect: string;
  /** `subject_key('__stedi_probe__')` as rendered for this dialect, when the project has the macro. */
  pseudonymiser?: string;
  /** Analyse only these models and the models upstream of them (default: every model). */
  only?: Iterable<string>;
}

export function nodeLabel(n: ManifestNode | undefined, id: string): string {
  if (!n) return id;
  return n.resource_type === 'source' ? `${n.source_name}.${n.name}` : n.name;
}

export function projectLineage(input: LineageInput): ProjectLineage {
  const { nodes } = input;
  const template = input.pseudonymiser ? pseudonymiserTemplate(input.pseudonymiser, input.dialect) : undefined;
  const models: Record<string, ModelLineage> = {};
  const byName = new Map<string, CatalogTable[]>();
  const byQualified = new Map<string, string>();
  for (const n of Object.values(nodes)) {
    if (n.resource_type !== 'source' && n.resource_type !== 'seed' && n.resource_type !== 'model') continue;
    byQualified.set(`${n.relation.schema}.${n.relation.identifier}`.toLowerCase(), n.unique_id);
    const key = n.relation.identifier.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), { node: n.unique_id, label: '' }]);
  }
  const table = (id: string): CatalogTable => {
    const n = nodes[id]!;
    const label = nodeLabel(n, id);
    const declared = 'columns' in n ? n.columns.map((c) => c.name) : [];
    if (n.resource_type !== 'model') return { node: id, label, columns: declared };
    const derived = models[id]?.error === undefined ? (models[id]?.columns ?? []).filter((c) => !c.name.endsWith('*')).map((c) => c.name) : [];
    const lower = new Set(declared.map((c) => c.toLowerCase()));
    const columns = [...declared, ...derived.filter((c) => !lower.has(c.toLowerCase()))];
    return columns.length ? { node: id, label, columns } : { node: id, label, reason: `${label} declares no columns and its own lineage is unknown` };
  };
  const env: QueryEnv = {
    lookup(parts) {
      const id = parts.length >= 2 ? byQualified.get(parts.slice(-2).join('.').toLowerCase()) : undefined;
      const candidates = byName.get((parts.at(-1) ?? '').toLowerCase()) ?? [];
      const found = id ?? (parts.length === 1 && candidates.length === 1 ? candidates[0]!.node : undefined);
      return found ? table(found) : undefined;
    },
    ...(template !== undefined ? { pseudonymiser: { template, probe: PSEUDONYMISER_PROBE } } : {}),
  };
  for (const id of modelOrder(nodes, input.only)) models[id] = modelLineage(nodes[id] as ModelNode, input.dialect, env);
  return { models, pii: piiStatuses(nodes, models) };
}

/** The lineage of one model's compiled SQL. */
export function modelLineage(model: ModelNode, dialect: string, env: QueryEnv): ModelLineage {
  try {
    const statements = parseSql(model.compiled_code, dialect);
    const [tag, query] = variant(statements[0]) ?? ['?', undefined];
    if (statements.length !== 1 || tag !== 'Query') return { node: model.unique_id, columns: [], error: 'the compiled SQL is not a single SELECT query' };
    const columns: ColumnLineage[] = analyzeQuery(query, env).map((c) => ({ name: c.name, upstream: c.edges, unresolved: c.unresolved }));
    return { node: model.unique_id, columns };
  } catch (e) {
    return { node: model.unique_id, columns: [], error: (e as Error).message };
  }
}

/** The rendered macro (with the probe as its argument) as an expression AST. */
export function pseudonymiserTemplate(rendered: string, dialect: string): unknown {
  try {
    const [, query] = variant(parseSql(`select ${rendered}`, dialect)[0]) ?? [];
    const item = list(field(variant(field(query, 'body'))?.[1], 'projection'))[0];
    return variant(item)?.[0] === 'UnnamedExpr' ? variant(item)![1] : undefined;
  } catch {
    return undefined;
  }
}

/** Models in dependency order (parents first); with `only`, just those and their model ancestors. */
export function modelOrder(nodes: Record<string, ManifestNode>, only?: Iterable<string>): string[] {
  const isModel = (id: string) => nodes[id]?.resource_type === 'model';
  const roots = only ? [...only].filter(isModel) : Object.keys(nodes).filter(isModel).sort();
  const order: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: { id: string; i: number }[] = roots.map((id) => ({ id, i: -1 })).reverse();
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i === -1) {
      if (state.has(top.id)) {
        stack.pop();
        continue;
      }
      state.set(top.id, 'open');
      top.i = 0;
    }
    const deps = (nodes[top.id]?.depends_on ?? []).filter(isModel);
    const next = deps[top.i++];
    if (next === undefined) {
      state.set(top.id, 'done');
      order.push(top.id);
      stack.pop();
    } else if (!state.has(next)) stack.push({ id: next, i: -1 });
  }
  return order;
}
