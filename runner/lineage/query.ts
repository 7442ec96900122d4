/**
 * Lineage of one query: each output column with the upstream columns it is computed from. FROM
 * items become relations in a scope (catalog tables, CTEs, derived tables, VALUES); every column
 * reference is resolved in that scope (then the enclosing ones, for correlated subqueries);
 * CTEs and subqueries are analysed first, so what they pass through is followed to the
 * catalog's columns. `*` expands the relations' known columns. What cannot be resolved is
 * recorded as unresolved, never guessed.
 *
 * Output columns also say what is known of their shape: a column without an alias that is not a
 * plain column reference is named by the engine (`unnamed`: its name here is a placeholder), and
 * a star over something whose columns are not known, or a function that expands (columns(),
 * unnest()), may stand for any number of columns (`many`). A reference by name into a relation
 * that holds such columns may reach them, so it carries their flow too.
 */
import { field, identText, isObj, list, nameParts, variant } from './ast.js';
import { expansion, exprFlow, implicitName, unresolvedFlow, type ExprContext, type Resolved } from './expr.js';
import { EMPTY, merge, type Flow } from './flow.js';

export type ColumnShape = 'unnamed' | 'many';

export interface OutColumn extends Flow {
  name: string;
  /** unnamed: one column the engine names (`name` is a placeholder); many: any number of columns, names unknown. */
  shape?: ColumnShape;
}

export interface CatalogColumn {
  name: string;
  /** The engine chose the name (a model's column without an alias); `name` is lineage's placeholder. */
  unnamed?: boolean;
}

/** A table the query can read: a source, seed or model of the project. */
export interface CatalogTable {
  node: string;
  label: string;
  /** Known columns, in order, or undefined (then `reason` says why). */
  columns?: CatalogColumn[];
  reason?: string;
}

export interface QueryEnv {
  /** Finds a relation by its name parts (`"trusted"."customer_trusted"` → ['trusted', 'customer_trusted']). */
  lookup(parts: string[]): CatalogTable | undefined;
}

export class LineageError extends Error {}

interface Rel {
  alias: string;
  label: string;
  columns?: OutColumn[];
  reason?: string;
  /** Lower-cased names an unqualified `*` shows once, with an earlier relation's column (JOIN … USING, NATURAL JOIN); 'all' for the right side of a SEMI/ANTI join. */
  hidden?: Set<string> | 'all';
}

interface Scope {
  rels: Rel[];
  /** Lower-cased USING / NATURAL join columns: one value from several relations. */
  using: Set<string>;
  laterals: Map<string, Flow>;
  /** Set when no unqualified reference can be resolved here (a NATURAL JOIN with a relation whose columns are not known). */
  opaque?: string;
  parent?: Scope;
}

type Ctes = Map<string, OutColumn[]>;
const low = (s: string) => s.toLowerCase();
const empty = (v: unknown) => v === undefined || v === null || v === false || (Array.isArray(v) && v.length === 0);

/** Query keys that do not change which columns come out or what they hold. */
const QUERY_KEYS = new Set(['with', 'body', 'order_by', 'limit_clause', 'fetch', 'locks', 'span']);
/** SELECT keys that only filter, group, order or hint; `into`, `lateral_views`, `value_table_mode`, `exclude` and others must be absent. */
const SELECT_KEYS = new Set([
  'select_token', 'optimizer_hints', 'distinct', 'select_modifiers', 'top', 'top_before_distinct', 'projection', 'from', 'prewhere',
  'selection', 'connect_by', 'group_by', 'cluster_by', 'distribute_by', 'sort_by', 'having', 'named_window', 'qualify',
  'window_before_qualify', 'flavor', 'span',
]);

function onlyKnownKeys(node: unknown, known: Set<string>, what: string): void {
  for (const [k, v] of Object.entries(isObj(node) ? node : {})) if (!known.has(k) && !empty(v)) throw new LineageError(`${what} with ${k} is not analysed`);
}

export function analyzeQuery(query: unknown, env: QueryEnv, ctes: Ctes = new Map(), outer?: Scope): OutColumn[] {
  onlyKnownKeys(query, QUERY_KEYS, 'a query');
  const w = field(query, 'with');
  if (field(w, 'recursive') === true) throw new LineageError('WITH RECURSIVE is not analysed');
  const visible = new Map(ctes);
  for (const cte of list(field(w, 'cte_tables'))) {
    const alias = field(cte, 'alias');
    const out = renamed(analyzeQuery(field(cte, 'query'), env, visible, outer), field(alias, 'columns'), identText(field(alias, 'name')) ?? 'CTE');
    visible.set(low(identText(field(alias, 'name')) ?? ''), out);
  }
  return analyzeBody(field(query, 'body'), env, visible, outer);
}

function analyzeBody(body: unknown, env: QueryEnv, ctes: Ctes, outer?: Scope): OutColumn[] {
  const [tag, payload] = variant(body) ?? ['?', undefined];
  if (tag === 'Select') return analyzeSelect(payload, env, ctes, outer);
  if (tag === 'Query') return analyzeQuery(payload, env, ctes, outer);
  if (tag === 'Values') return analyzeValues(payload, env, ctes, outer);
  if (tag === 'SetOperation') {
    const left = analyzeBody(field(payload, 'left'), env, ctes, outer);
    const right = analyzeBody(field(payload, 'right'), env, ctes, outer);
    const quantifier = String(field(payload, 'set_quantifier') ?? '');
    const why = /ByName/i.test(quantifier) ? `${String(field(payload, 'op'))} BY NAME matches columns by name, which is not analysed`
      : [...left, ...right].some((c) => c.shape === 'many') ? 'a branch has columns that are not known'
        : left.length !== right.length ? `its branches have ${left.length} and ${right.length} columns` : undefined;
    if (why) return [manyColumn('set operation', why, ...left, ...right)];
    return left.map((c, i) => ({ ...c, ...merge(c, right[i] ?? EMPTY) }));
  }
  throw new LineageError(`a query of the form ${tag} is not analysed`);
}

/** VALUES rows: column i holds row[i] of every row; the engine names the columns (col0, col1 … in DuckDB). */
function analyzeValues(values: unknown, env: QueryEnv, ctes: Ctes, outer?: Scope): OutColumn[] {
  const rows = list(field(values, 'rows')).map((r) => (Array.isArray(r) ? r : list(field(r, 'content'))));
  const width = rows[0]?.length ?? 0;
  if (!width || rows.some((r) => r.length !== width)) throw new LineageError('VALUES rows of different widths are not analysed');
  const scope: Scope = { rels: [], using: new Set(), laterals: new Map(), ...(outer ? { parent: outer } : {}) };
  const ctx = exprContext(scope, env, ctes);
  return Array.from({ length: width }, (_, i) => ({ name: `col${i}`, shape: 'unnamed' as const, ...merge(...rows.map((r) => exprFlow(r[i], ctx))) }));
}

function exprContext(scope: Scope, env: QueryEnv, ctes: Ctes): ExprContext {
  return {
    resolve: (parts) => resolve(parts, scope),
    subquery: (q) => analyzeQuery(q, env, ctes, scope),
  };
}

function analyzeSelect(select: unknown, env: QueryEnv, ctes: Ctes, outer?: Scope): OutColumn[] {
  onlyKnownKeys(select, SELECT_KEYS, 'a SELECT');
  const scope: Scope = { rels: [], using: new Set(), laterals: new Map(), ...(outer ? { parent: outer } : {}) };
  for (const twj of list(field(select, 'from'))) addFrom(twj, scope, env, ctes, outer);
  const ctx = exprContext(scope, env, ctes);
  const flavor = field(select, 'flavor') ?? 'Standard';
  if (flavor === 'FromFirstNoSelect') return star(scope, undefined); // DuckDB: `FROM t` is `SELECT * FROM t`
  if (flavor !== 'Standard' && flavor !== 'FromFirst') throw new LineageError(`a SELECT of the form ${String(flavor)} is not analysed`);
  const out: OutColumn[] = [];
  list(field(select, 'projection')).forEach((item, i) => {
    const [tag, payload] = variant(item) ?? ['?', undefined];
    if (tag === 'UnnamedExpr' || tag === 'ExprWithAlias') {
      const expr = tag === 'UnnamedExpr' ? payload : field(payload, 'expr');
      const alias = tag === 'ExprWithAlias' ? identText(field(payload, 'alias')) : implicitName(expr);
      const flow = exprFlow(expr, ctx);
      const expands = expansion(expr);
      const col: OutColumn = expands ? manyColumn(expands, `${expands} may stand for several columns, named by the engine`, flow)
        : alias !== undefined ? { name: alias, ...flow } : { name: `_col${i}`, shape: 'unnamed', ...flow };
      out.push(col);
      if (!col.shape && !scope.laterals.has(low(col.name))) scope.laterals.set(low(col.name), col);
    } else if (tag === 'Wildcard') {
      out.push(...star(scope, payload));
    } else if (tag === 'QualifiedWildcard') {
      const [kind, opts] = list(payload);
      const qualifier = nameParts(variant(kind)?.[1]).at(-1) ?? '';
      const rel = findRel(qualifier, scope);
      if (rel) out.push(...expand([rel], opts, `${qualifier}.*`));
      else out.push(manyColumn(`${qualifier}.*`, `no table named ${qualifier} in scope`));
    } else {
      throw new LineageError(`a select item of the form ${tag} is not analysed`);
    }
  });
  if (!out.length) throw new LineageError('a SELECT without columns is not analysed');
  return out;
}

function star(scope: Scope, opts: unknown): OutColumn[] {
  if (scope.opaque) return [manyColumn('*', scope.opaque)];
  return expand(scope.rels, opts, '*');
}

function addFrom(twj: unknown, scope: Scope, env: QueryEnv, ctes: Ctes, outer?: Scope): void {
  addFactor(field(twj, 'relation'), scope, env, ctes, outer);
  for (const join of list(field(twj, 'joins'))) {
    const before = scope.rels.length;
    addFactor(field(join, 'relation'), scope, env, ctes, outer);
    const added = scope.rels.slice(before);
    const [kind, payload] = variant(field(join, 'join_operator')) ?? ['?', undefined];
    const constraint = isObj(payload) && 'constraint' in payload ? payload.constraint : payload;
    const [how, using] = variant(constraint) ?? ['None', undefined];
    if (/^Right(Semi|Anti)/.test(kind)) scope.opaque = `a ${kind} join is not analysed`;
    else if (/Semi|Anti/.test(kind)) for (const r of added) r.hidden = 'all';
    if (how === 'Using') {
      const names = list(using).map((n) => low(nameParts(n).at(-1) ?? nameParts([n]).at(-1) ?? ''));
      for (const name of names) scope.using.add(name);
      for (const r of added) if (r.hidden !== 'all') r.hidden = new Set(names);
    } else if (how === 'Natural') {
      const earlier = scope.rels.slice(0, before);
      const unknown = [...earlier, ...added].find((r) => !r.columns);
      if (unknown) scope.opaque = `a NATURAL JOIN with ${unknown.reason ?? unknown.label}`;
      const seen = new Set(earlier.flatMap((r) => r.columns?.map((c) => low(c.name)) ?? []));
      for (const r of added) {
        const common = new Set((r.columns ?? []).map((c) => low(c.name)).filter((n) => seen.has(n)));
        for (const n of common) scope.using.add(n);
        if (r.hidden !== 'all') r.hidden = common;
      }
    }
  }
}

function addFactor(factor: unknown, scope: Scope, env: QueryEnv, ctes: Ctes, outer?: Scope): void {
  const [tag, p] = variant(factor) ?? ['?', undefined];
  const alias = identText(field(field(p, 'alias'), 'name'));
  const aliasColumns = field(field(p, 'alias'), 'columns');
  if (tag === 'Table' && field(p, 'args') === undefined) {
    const parts = nameParts(field(p, 'name'));
    const name = parts.join('.');
    const quoted = list(field(p, 'name')).some((n) => field(variant(n)?.[0] === 'Identifier' ? variant(n)![1] : n, 'quote_style') === "'");
    const odd = quoted ? `'${name}' is a file read by its path, which is not analysed` : ['version', 'with_ordinality', 'json_path'].filter((k) => !empty(field(p, k))).map((k) => `${name} read with ${k} is not analysed`)[0];
    if (odd) {
      scope.rels.push({ alias: alias ?? parts.at(-1) ?? '', label: name, reason: odd });
      return;
    }
    const cte = parts.length === 1 ? ctes.get(low(parts[0]!)) : undefined;
    if (cte) {
      scope.rels.push({ alias: alias ?? parts[0]!, label: `${parts[0]} (CTE)`, columns: renamed(cte, aliasColumns, `${parts[0]} (CTE)`) });
      return;
    }
    const table = env.lookup(parts);
    const rel: Rel = { alias: alias ?? parts.at(-1) ?? '', label: table?.label ?? name };
    if (!table) rel.reason = `${name} is not a source, seed or model of the project`;
    else if (!table.columns) rel.reason = table.reason ?? `the columns of ${table.label} are not known`;
    else {
      const columns = table.columns.map((c): OutColumn => ({ name: c.name, edges: [{ node: table.node, column: c.name, via: 'direct' }], unresolved: [], ...(c.unnamed ? { shape: 'unnamed' as const } : {}) }));
      rel.columns = renamed(columns, aliasColumns, table.label);
    }
    scope.rels.push(rel);
  } else if (tag === 'Derived') {
    const lateral = field(p, 'lateral') === true;
    const label = alias ? `subquery ${alias}` : 'subquery';
    const columns = renamed(analyzeQuery(field(p, 'subquery'), env, ctes, lateral ? scope : outer), aliasColumns, label);
    scope.rels.push({ alias: alias ?? '', label, columns });
  } else if (tag === 'NestedJoin') {
    addFrom(field(p, 'table_with_joins'), scope, env, ctes, outer);
  } else {
    const what = tag === 'Table' ? `table function ${nameParts(field(p, 'name')).join('.')}` : tag === 'Function' ? `table function ${nameParts(field(p, 'name')).join('.')}` : `${tag} in FROM`;
    scope.rels.push({ alias: alias ?? '', label: what, reason: `${what} is not analysed` });
  }
}

/** Applies `AS t(a, b)` column aliases: they name the first columns, in order. */
function renamed(columns: OutColumn[], aliases: unknown, label: string): OutColumn[] {
  const names = list(aliases).map((a) => identText(field(a, 'name')) ?? identText(a));
  if (!names.length) return columns;
  if (columns.some((c) => c.shape === 'many')) return [manyColumn(`${label}(…)`, `column aliases over ${label}, whose columns are not known`, ...columns)];
  return columns.map((c, i) => {
    const name = names[i];
    if (name === undefined) return c;
    const { shape: _named, ...rest } = c;
    return { ...rest, name };
  });
}

function manyColumn(reference: string, reason: string, ...flows: Flow[]): OutColumn {
  return { name: reference, shape: 'many', ...merge(...flows, unresolvedFlow(reference, reason)) };
}

function findRel(qualifier: string, scope: Scope | undefined): Rel | undefined {
  for (let s = scope; s; s = s.parent) {
    const rel = s.rels.find((r) => low(r.alias) === low(qualifier));
    if (rel) return rel;
  }
  return undefined;
}

/**
 * The column `col` (lower-cased) of one relation: its first column of that name, merged with
 * every column before it whose name is not known (the engine may have given it that name, and
 * the first column of a name wins). 'absent' when it cannot have one.
 */
function inRel(rel: Rel, col: string): Flow | 'absent' {
  const uncertain: OutColumn[] = [];
  for (const c of rel.columns ?? []) {
    if (c.shape) uncertain.push(c);
    else if (low(c.name) === col) return merge(c, ...uncertain);
  }
  return uncertain.length ? merge(...uncertain) : 'absent';
}

function resolve(parts: string[], scope: Scope): Resolved {
  const ref = parts.join('.');
  const col = low(parts.at(-1) ?? '');
  const miss = (reason: string, absent = false): Resolved => ({ flow: unresolvedFlow(ref, reason), ...(absent ? { absent } : {}) });
  if (parts.length >= 2) {
    const qualifier = parts.at(-2)!;
    const rel = findRel(qualifier, scope);
    if (!rel) return miss(`no table named ${qualifier} in scope`, true);
    if (!rel.columns) return miss(rel.reason ?? `the columns of ${rel.label} are not known`);
    const hit = inRel(rel, col);
    return hit === 'absent' ? miss(`${rel.label} has no column ${parts.at(-1)}`) : { flow: hit };
  }
  const maybe: Flow[] = [];
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (s.opaque) return { flow: merge(...maybe, miss(s.opaque).flow) };
    const certain = s.rels.filter((r) => r.columns?.some((c) => !c.shape && low(c.name) === col));
    const unknown = s.rels.filter((r) => !r.columns);
    if (certain.length > 1 && !s.using.has(col)) return miss(`ambiguous: ${certain.map((r) => r.label).join(', ')} all have it`);
    if (certain.length && s.using.has(col) && unknown.length) return miss(`a USING or NATURAL join column, and ${unknown.map((r) => r.reason ?? r.label).join('; ')}`);
    if (certain.length) return { flow: merge(...certain.map((r) => inRel(r, col) as Flow), ...maybe) };
    if (unknown.length) return { flow: merge(...maybe, miss(`it may come from a relation whose columns are not known: ${unknown.map((r) => r.reason ?? r.label).join('; ')}`).flow) };
    for (const r of s.rels) {
      const hit = inRel(r, col);
      if (hit !== 'absent') maybe.push(hit);
    }
    if (s.rels.some((r) => low(r.alias) === col)) return { flow: merge(...maybe, miss(`${parts[0]} is a table: a whole row used as a value is not analysed`).flow) };
    const lateral = s === scope ? s.laterals.get(col) : undefined;
    if (lateral) return { flow: merge(lateral, ...maybe) };
  }
  return maybe.length ? { flow: merge(...maybe) } : miss('no relation in scope has this column', true);
}

/** The columns `*` (or `t.*`) stands for, with EXCLUDE; REPLACE, RENAME and ILIKE are not analysed. */
function expand(rels: Rel[], opts: unknown, reference: string): OutColumn[] {
  const qualified = reference !== '*';
  const unknown = rels.find((r) => !r.columns);
  if (unknown) return [manyColumn(reference, unknown.reason ?? `the columns of ${unknown.label} are not known`)];
  const other = ['opt_replace', 'opt_rename', 'opt_ilike', 'opt_except'].find((k) => !empty(field(opts, k)));
  if (other) return [manyColumn(reference, `${other.slice(4).toUpperCase()} on ${reference} is not analysed`)];
  const excluded = excludeList(rels, opts, reference);
  if (typeof excluded === 'string') return [manyColumn(reference, excluded, ...rels.flatMap((r) => r.columns!))];
  const out: OutColumn[] = [];
  for (const rel of rels) {
    for (const c of rel.columns!) {
      if (excluded.some((x) => x.column === low(c.name) && (x.qualifier === undefined || x.qualifier === low(rel.alias)))) continue;
      const hidden = !qualified && rel.hidden !== undefined && (rel.hidden === 'all' || (!c.shape && rel.hidden.has(low(c.name))));
      if (!hidden) out.push(c);
      else if (rel.hidden !== 'all') {
        const i = out.findIndex((o) => !o.shape && low(o.name) === low(c.name));
        if (i >= 0) out[i] = { ...out[i]!, ...merge(out[i]!, c) };
        else out.push(c);
      }
    }
  }
  return out;
}

/** The EXCLUDE list of a star, or why it is not analysed (a name the star does not have, a name the engine chose). */
function excludeList(rels: Rel[], opts: unknown, reference: string): { column: string; qualifier?: string }[] | string {
  const [how, items] = variant(field(opts, 'opt_exclude')) ?? ['None', undefined];
  if (how === 'None') return [];
  const names = (how === 'Single' ? [items] : list(items)).map((n) => nameParts(Array.isArray(n) ? n : [n]).map(low));
  if (rels.some((r) => r.columns!.some((c) => c.shape))) return `EXCLUDE over columns whose names the engine chooses`;
  const out: { column: string; qualifier?: string }[] = [];
  for (const parts of names) {
    const column = parts.at(-1) ?? '';
    const qualifier = parts.length > 1 ? parts.at(-2) : undefined;
    const owners = rels.filter((r) => qualifier === undefined || low(r.alias) === qualifier);
    if (!owners.some((r) => r.columns!.some((c) => low(c.name) === column))) return `EXCLUDE names ${parts.join('.')}, which ${reference} does not have`;
    if (qualifier !== undefined && rels.some((r) => r.hidden instanceof Set && r.hidden.has(column))) return `EXCLUDE of one side of the USING or NATURAL join column ${column}`;
    out.push({ column, ...(qualifier !== undefined ? { qualifier } : {}) });
  }
  return out;
}
