/**
 * Lineage of one query: each output column with the upstream columns it is computed from. FROM
 * items become relations in a scope (catalog tables, CTEs, derived tables); every column
 * reference is resolved in that scope (then the enclosing ones, for correlated subqueries);
 * CTEs and subqueries are analysed first, so what they pass through is followed to the
 * catalog's columns. `*` expands the relations' known columns. What cannot be resolved is
 * recorded as unresolved, never guessed.
 */
import { allIdentTexts, field, identText, list, nameParts, variant } from './ast.js';
import { exprFlow, implicitName, type ExprContext } from './expr.js';
import { EMPTY, merge, type Flow } from './flow.js';

export interface OutColumn extends Flow {
  name: string;
}

/** A table the query can read: a source, seed or model of the project. */
export interface CatalogTable {
  node: string;
  label: string;
  /** Known columns, or undefined (then `reason` says why). */
  columns?: string[];
  reason?: string;
}

export interface QueryEnv {
  /** Finds a relation by its name parts (`"trusted"."customer_trusted"` → ['trusted', 'customer_trusted']). */
  lookup(parts: string[]): CatalogTable | undefined;
  pseudonymiser?: ExprContext['pseudonymiser'];
}

export class LineageError extends Error {}

interface Rel {
  alias: string;
  label: string;
  columns?: OutColumn[];
  reason?: string;
}

interface Scope {
  rels: Rel[];
  using: Set<string>;
  laterals: Map<string, Flow>;
  parent?: Scope;
}

type Ctes = Map<string, OutColumn[]>;
const low = (s: string) => s.toLowerCase();

export function analyzeQuery(query: unknown, env: QueryEnv, ctes: Ctes = new Map(), outer?: Scope): OutColumn[] {
  const visible = new Map(ctes);
  for (const cte of list(field(field(query, 'with'), 'cte_tables'))) {
    const alias = field(cte, 'alias');
    const out = renamed(analyzeQuery(field(cte, 'query'), env, visible, outer), field(alias, 'columns'));
    visible.set(low(identText(field(alias, 'name')) ?? ''), out);
  }
  return analyzeBody(field(query, 'body'), env, visible, outer);
}

function analyzeBody(body: unknown, env: QueryEnv, ctes: Ctes, outer?: Scope): OutColumn[] {
  const [tag, payload] = variant(body) ?? ['?', undefined];
  if (tag === 'Select') return analyzeSelect(payload, env, ctes, outer);
  if (tag === 'Query') return analyzeQuery(payload, env, ctes, outer);
  if (tag === 'SetOperation') {
    const left = analyzeBody(field(payload, 'left'), env, ctes, outer);
    const right = analyzeBody(field(payload, 'right'), env, ctes, outer);
    const mismatch = left.length === right.length ? EMPTY : { edges: [], unresolved: [{ reference: 'set operation', reason: `its branches have ${left.length} and ${right.length} columns` }] };
    return left.map((c, i) => ({ name: c.name, ...merge(c, right[i] ?? EMPTY, mismatch) }));
  }
  throw new LineageError(`a query of the form ${tag} is not analysed`);
}

function analyzeSelect(select: unknown, env: QueryEnv, ctes: Ctes, outer?: Scope): OutColumn[] {
  const scope: Scope = { rels: [], using: new Set(), laterals: new Map(), ...(outer ? { parent: outer } : {}) };
  for (const twj of list(field(select, 'from'))) addFrom(twj, scope, env, ctes, outer);
  const ctx: ExprContext = {
    resolve: (parts) => resolve(parts, scope),
    subquery: (q) => analyzeQuery(q, env, ctes, scope),
    ...(env.pseudonymiser ? { pseudonymiser: env.pseudonymiser } : {}),
  };
  const out: OutColumn[] = [];
  list(field(select, 'projection')).forEach((item, i) => {
    const [tag, payload] = variant(item) ?? ['?', undefined];
    if (tag === 'UnnamedExpr' || tag === 'ExprWithAlias') {
      const expr = tag === 'UnnamedExpr' ? payload : field(payload, 'expr');
      const name = tag === 'ExprWithAlias' ? identText(field(payload, 'alias')) : implicitName(expr);
      const col = { name: name ?? `_col${i}`, ...exprFlow(expr, ctx) };
      out.push(col);
      if (!scope.laterals.has(low(col.name))) scope.laterals.set(low(col.name), col);
    } else if (tag === 'Wildcard') {
      for (const rel of scope.rels) out.push(...expand(rel, payload));
    } else if (tag === 'QualifiedWildcard') {
      const [kind, opts] = list(payload);
      const qualifier = nameParts(variant(kind)?.[1]).at(-1) ?? '';
      const rel = findRel(qualifier, scope);
      if (rel) out.push(...expand(rel, opts));
      else out.push(unknownStar(`${qualifier}.*`, `no table named ${qualifier} in scope`));
    } else {
      throw new LineageError(`a select item of the form ${tag} is not analysed`);
    }
  });
  return out;
}

function addFrom(twj: unknown, scope: Scope, env: QueryEnv, ctes: Ctes, outer?: Scope): void {
  addFactor(field(twj, 'relation'), scope, env, ctes, outer);
  for (const join of list(field(twj, 'joins'))) {
    addFactor(field(join, 'relation'), scope, env, ctes, outer);
    const op = variant(field(join, 'join_operator'))?.[1];
    const using = variant(op)?.[0] === 'Using' ? variant(op)![1] : undefined;
    for (const name of allIdentTexts(using)) scope.using.add(low(name));
  }
}

function addFactor(factor: unknown, scope: Scope, env: QueryEnv, ctes: Ctes, outer?: Scope): void {
  const [tag, p] = variant(factor) ?? ['?', undefined];
  const alias = identText(field(field(p, 'alias'), 'name'));
  const aliasColumns = field(field(p, 'alias'), 'columns');
  if (tag === 'Table' && field(p, 'args') === undefined) {
    const parts = nameParts(field(p, 'name'));
    const name = parts.join('.');
    const cte = parts.length === 1 ? ctes.get(low(parts[0]!)) : undefined;
    if (cte) {
      scope.rels.push({ alias: alias ?? parts[0]!, label: `${parts[0]} (CTE)`, columns: renamed(cte, aliasColumns) });
      return;
    }
    const table = env.lookup(parts);
    const rel: Rel = { alias: alias ?? parts.at(-1) ?? '', label: table?.label ?? name };
    if (!table) rel.reason = `${name} is not a source, seed or model of the project`;
    else if (!table.columns) rel.reason = table.reason ?? `the columns of ${table.label} are not known`;
    else rel.columns = renamed(table.columns.map((c) => ({ name: c, edges: [{ node: table.node, column: c, via: 'direct' }], unresolved: [] })), aliasColumns);
    scope.rels.push(rel);
  } else if (tag === 'Derived') {
    const lateral = field(p, 'lateral') === true;
    const columns = renamed(analyzeQuery(field(p, 'subquery'), env, ctes, lateral ? scope : outer), aliasColumns);
    scope.rels.push({ alias: alias ?? '', label: alias ? `subquery ${alias}` : 'subquery', columns });
  } else if (tag === 'NestedJoin') {
    addFrom(field(p, 'table_with_joins'), scope, env, ctes, outer);
  } else {
    const what = tag === 'Table' ? `table function ${nameParts(field(p, 'name')).join('.')}` : `${tag} in FROM`;
    scope.rels.push({ alias: alias ?? '', label: what, reason: `${what} is not analysed` });
  }
}

/** Applies `AS t(a, b)` column aliases. */
function renamed(columns: OutColumn[], aliases: unknown): OutColumn[] {
  const names = list(aliases).map((a) => identText(field(a, 'name')) ?? identText(a));
  return names.length ? columns.map((c, i) => ({ ...c, name: names[i] ?? c.name })) : columns;
}

function findRel(qualifier: string, scope: Scope | undefined): Rel | undefined {
  for (let s = scope; s; s = s.parent) {
    const rel = s.rels.find((r) => low(r.alias) === low(qualifier));
    if (rel) return rel;
  }
  return undefined;
}

function resolve(parts: string[], scope: Scope): Flow {
  const ref = parts.join('.');
  const col = low(parts.at(-1) ?? '');
  const miss = (reason: string): Flow => ({ edges: [], unresolved: [{ reference: ref, reason }] });
  if (parts.length >= 2) {
    const qualifier = parts.at(-2)!;
    const rel = findRel(qualifier, scope);
    if (!rel) return miss(`no table named ${qualifier} in scope`);
    if (!rel.columns) return miss(rel.reason ?? `the columns of ${rel.label} are not known`);
    return rel.columns.find((c) => low(c.name) === col) ?? miss(`${rel.label} has no column ${parts.at(-1)}`);
  }
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const hits = s.rels.flatMap((r) => r.columns?.filter((c) => low(c.name) === col) ?? []);
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) return s.using.has(col) ? merge(...hits) : miss(`ambiguous: ${s.rels.filter((r) => r.columns?.some((c) => low(c.name) === col)).map((r) => r.label).join(', ')} all have it`);
    const unknown = s.rels.filter((r) => !r.columns);
    if (unknown.length) return miss(`it may come from a relation whose columns are not known: ${unknown.map((r) => r.reason ?? r.label).join('; ')}`);
    const lateral = s === scope ? s.laterals.get(col) : undefined;
    if (lateral) return lateral;
  }
  return miss('no relation in scope has this column');
}

function expand(rel: Rel, opts: unknown): OutColumn[] {
  const star = rel.alias ? `${rel.alias}.*` : '*';
  if (!rel.columns) return [unknownStar(star, rel.reason ?? `the columns of ${rel.label} are not known`)];
  const excluded = new Set([...allIdentTexts(field(opts, 'opt_exclude')), ...allIdentTexts(field(opts, 'opt_except'))].map(low));
  const other = ['opt_replace', 'opt_rename', 'opt_ilike'].find((k) => field(opts, k) !== undefined && field(opts, k) !== null);
  if (other) return [unknownStar(star, `${other.slice(4).toUpperCase()} on * is not analysed`)];
  return rel.columns.filter((c) => !excluded.has(low(c.name)));
}

function unknownStar(reference: string, reason: string): OutColumn {
  return { name: reference, edges: [], unresolved: [{ reference, reason }] };
}
