/**
 * Column lineage of a whole project from its manifest nodes: every model's compiled SQL parsed
 * and analysed against a catalog of the project's relations. A source offers its declared
 * columns (the landing table has exactly those), a seed the columns of its CSV header, and a
 * model exactly the columns its lineage found — only when that lineage is complete: a model
 * whose SQL could not be analysed, that has columns whose number or names are not known, or two
 * columns of one name, is a relation of unknown columns to the models that read it. Models are
 * analysed on demand, parents first. Pure apart from the parser.
 */
import { field, list, variant } from './ast.js';
import { parseSql } from './parser.js';
import { columnStatus, declaredStatuses, modelStatuses, statusLookup } from './pii.js';
import { analyzeQuery, type CatalogTable, type OutColumn, type QueryEnv } from './query.js';
import type { ColumnLineage, ModelLineage, PiiStatus, ProjectLineage } from './types.js';
import type { ManifestNode } from '../manifest/types.js';

export interface LineageInput {
  nodes: Record<string, ManifestNode>;
  /** The dialect the SQL was compiled for (`duckdb`, `athena`). */
  dialect: string;
  /** Analyse only these models and the models upstream of them (default: every model). */
  only?: Iterable<string>;
}

/** One output column of a query, with what its lineage proves about personal data. */
export interface ResultColumn extends ColumnLineage {
  status: PiiStatus;
}

/** The lineage of a query's result: its columns in order, or why it could not be analysed. */
export type QueryLineage = { columns: ResultColumn[]; error?: undefined } | { columns?: undefined; error: string };

export interface LineageSession {
  /** The lineage of one model, working out the models it reads first. */
  model(id: string): ModelLineage;
  /** The lineage of any query over the project's relations (a data test, an inline query). */
  query(sql: string): QueryLineage;
  /** Everything analysed so far: models, and the status of each column of every source, seed and analysed model. */
  readonly lineage: ProjectLineage;
}

export function nodeLabel(n: ManifestNode | undefined, id: string): string {
  if (!n) return id;
  return n.resource_type === 'source' ? `${n.source_name}.${n.name}` : n.name;
}

export function projectLineage(input: LineageInput): ProjectLineage {
  const session = lineageSession(input);
  for (const id of modelOrder(input.nodes, input.only)) session.model(id);
  return session.lineage;
}

export function lineageSession(input: Omit<LineageInput, 'only'>): LineageSession {
  const { nodes, dialect } = input;
  const models: Record<string, ModelLineage> = {};
  const pii: Record<string, Record<string, PiiStatus>> = {};
  const open = new Set<string>();
  const byName = new Map<string, string[]>();
  const byQualified = new Map<string, string>();
  for (const n of Object.values(nodes)) {
    const declared = declaredStatuses(n);
    if (declared) pii[n.unique_id] = declared;
    if (n.resource_type !== 'source' && n.resource_type !== 'seed' && n.resource_type !== 'model') continue;
    byQualified.set(`${n.relation.schema}.${n.relation.identifier}`.toLowerCase(), n.unique_id);
    const key = n.relation.identifier.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), n.unique_id]);
  }
  const statusOf = statusLookup(pii);

  const table = (id: string): CatalogTable => {
    const n = nodes[id]!;
    const label = nodeLabel(n, id);
    if (n.resource_type !== 'model') return { node: id, label, columns: 'columns' in n ? n.columns.map((c) => ({ name: c.name })) : [] };
    if (open.has(id)) return { node: id, label, reason: `${label} reads itself` };
    const why = unknownColumns(model(id));
    if (why) return { node: id, label, reason: `the columns of ${label} are not known: ${why}` };
    return { node: id, label, columns: models[id]!.columns.map((c) => ({ name: c.name, ...(c.shape === 'unnamed' ? { unnamed: true } : {}) })) };
  };
  const env: QueryEnv = {
    lookup(parts) {
      const id = parts.length >= 2 ? byQualified.get(parts.slice(-2).join('.').toLowerCase()) : undefined;
      const candidates = byName.get((parts.at(-1) ?? '').toLowerCase()) ?? [];
      const found = id ?? (parts.length === 1 && candidates.length === 1 ? candidates[0] : undefined);
      return found ? table(found) : undefined;
    },
  };

  function model(id: string): ModelLineage {
    const done = models[id];
    if (done) return done;
    const n = nodes[id];
    if (n?.resource_type !== 'model') return { node: id, columns: [], error: `${id} is not a model` };
    open.add(id);
    const analysed = analyse(n.compiled_code, dialect, env);
    open.delete(id);
    const m: ModelLineage = analysed.error !== undefined ? { node: id, columns: [], error: analysed.error } : { node: id, columns: analysed.columns };
    models[id] = m;
    pii[id] = modelStatuses(n, m, statusOf);
    return m;
  }

  function query(sql: string): QueryLineage {
    const analysed = analyse(sql, dialect, env);
    if (analysed.error !== undefined) return { error: analysed.error };
    return { columns: analysed.columns.map((c) => ({ ...c, status: columnStatus(c, statusOf) })) };
  }

  return { model, query, lineage: { models, pii } };
}

/** Why the models reading `m` cannot know its columns, or undefined when they can. */
export function unknownColumns(m: ModelLineage): string | undefined {
  if (m.error !== undefined) return `its SQL could not be analysed (${m.error})`;
  const many = m.columns.find((c) => c.shape === 'many');
  if (many) return `${many.unresolved[0]?.reference ?? many.name} (${many.unresolved[0]?.reason ?? 'not analysed'})`;
  const seen = new Set<string>();
  for (const c of m.columns) {
    const key = c.name.toLowerCase();
    if (seen.has(key)) return `it has two columns named ${c.name}`;
    seen.add(key);
  }
  return undefined;
}

/** Parses and analyses one SELECT. */
function analyse(sql: string, dialect: string, env: QueryEnv): { columns: ColumnLineage[]; error?: undefined } | { error: string; columns?: undefined } {
  try {
    const statements = parseSql(sql, dialect);
    const [tag, query] = variant(statements[0]) ?? ['?', undefined];
    if (statements.length !== 1 || tag !== 'Query') return { error: 'the compiled SQL is not a single SELECT query' };
    return { columns: analyzeQuery(query, env).map(columnLineage) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function columnLineage(c: OutColumn): ColumnLineage {
  return { name: c.name, upstream: c.edges, unresolved: c.unresolved, ...(c.shape ? { shape: c.shape } : {}) };
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

