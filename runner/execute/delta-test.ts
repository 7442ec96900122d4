/**
 * Delta audits: a gate test run only on the rows a new version added, when that proves what the
 * whole run would.
 *
 * A test is *row-wise* on its model M when its failing rows are a union, over M's rows, of what
 * each row yields with the test's other inputs: failures(M) = Σ over rows r of f(r, others). Then,
 * when a new version M1 keeps some immutable parts of the published M0 and adds fresh parts,
 *   failures(M1) = failures(kept rows) + failures(fresh rows)
 * and failures(kept rows) ≤ failures(M0) = 0 when the test passed on M0 *under the same other
 * inputs* (the executor checks that with the test's reuse key, runner/execute/reuse.ts; for the
 * keyed dimensions of a microbatch model, runner/execute/key-local.ts relaxes it). So the
 * count on the fresh rows alone is the exact count on M1, and its sample is a sample of M1's.
 *
 * Row-wise is proven from the parsed SQL, never assumed (fail closed: anything else runs whole):
 *   - one query; M named exactly once in it; a CTE on M's path named exactly once;
 *   - on the path from the outer query down to M, every SELECT reads M (or the derived table or
 *     CTE holding it) as the leftmost relation of its one FROM item, joined to other relations
 *     only by inner, left, cross, semi or anti joins (M is never the optional side), with no
 *     GROUP BY, HAVING, DISTINCT, QUALIFY, window, LIMIT/OFFSET/FETCH, set operation, lateral
 *     join or sample; its columns are plain expressions of columns and literals (no function, so
 *     no aggregate); its WHERE may hold anything, M not being in it.
 * The builtin not_null, accepted_range, relationships and expression_is_true (without a
 * function in their select list) and the STEDI consent test are row-wise; unique, accepted_values
 * (grouped), row_count and same_customer_pairs are not.
 */
import { isObj, nameParts, variant, type Obj } from '../lineage/ast.js';
import { parseSql } from '../lineage/parser.js';
import type { Provable } from './reuse.js';

export interface RelationName {
  schema: string;
  identifier: string;
}

interface Pos {
  line: number;
  column: number;
}

export interface Found {
  /** Table references naming M (with the span of their name). */
  model: ({ start: Pos; end: Pos } | undefined)[];
  /** How many times each one-part table name is referenced (CTE uses). */
  bare: Map<string, number>;
}

const EMPTY_GROUP = JSON.stringify({ Expressions: [[], []] });

/** No content: what an absent clause serialises as. */
export function empty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 'None' || v === 'Standard') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.keys(v).length === 0 || JSON.stringify(v) === EMPTY_GROUP;
  return false;
}

/** The first key of `o` with content that is not `allowed` (source positions and tokens carry no meaning). */
export function only(o: Obj, allowed: string[]): string | undefined {
  for (const [k, v] of Object.entries(o)) if (!allowed.includes(k) && k !== 'span' && !k.endsWith('_token') && !empty(v)) return k;
  return undefined;
}

export function isModel(parts: string[], m: RelationName): boolean {
  const p = parts.map((x) => x.toLowerCase());
  if (p.length >= 2) return p.at(-2) === m.schema.toLowerCase() && p.at(-1) === m.identifier.toLowerCase();
  return p.length === 1 && p[0] === m.identifier.toLowerCase();
}

function spanOf(name: unknown): { start: Pos; end: Pos } | undefined {
  const ids = (Array.isArray(name) ? name : []).map((p) => (variant(p)?.[0] === 'Identifier' ? variant(p)![1] : p));
  const first = isObj(ids[0]) ? (ids[0].span as { start?: Pos } | undefined)?.start : undefined;
  const last = isObj(ids.at(-1)) ? (ids.at(-1) as Obj & { span?: { end?: Pos } }).span?.end : undefined;
  return first && last ? { start: first, end: last } : undefined;
}

export function find(v: unknown, m: RelationName, out: Found): void {
  if (Array.isArray(v)) {
    for (const x of v) find(x, m, out);
    return;
  }
  if (!isObj(v)) return;
  const t = v.Table;
  if (isObj(t) && Array.isArray(t.name)) {
    const parts = nameParts(t.name);
    if (parts.length === 1) out.bare.set(parts[0]!.toLowerCase(), (out.bare.get(parts[0]!.toLowerCase()) ?? 0) + 1);
    if (isModel(parts, m)) {
      out.model.push(spanOf(t.name));
    }
  }
  for (const x of Object.values(v)) find(x, m, out);
}

/** A select-list expression of columns and literals only. */
function plain(e: unknown): boolean {
  const [tag, body] = variant(e) ?? [];
  switch (tag) {
    case 'Identifier':
    case 'CompoundIdentifier':
    case 'Value':
    case 'TypedString':
      return true;
    case 'Nested':
      return plain(body);
    case 'Cast':
    case 'UnaryOp':
    case 'IsNull':
    case 'IsNotNull':
    case 'IsTrue':
    case 'IsFalse':
    case 'IsNotTrue':
    case 'IsNotFalse':
      return isObj(body) && 'expr' in body ? plain(body.expr) && (tag !== 'Cast' || empty(body.format)) : plain(body);
    case 'BinaryOp':
      return isObj(body) && plain(body.left) && plain(body.right);
    default:
      return false;
  }
}

function projectionIsPlain(items: unknown): string | undefined {
  for (const item of Array.isArray(items) ? items : []) {
    const [tag, body] = variant(item) ?? [];
    if (tag === 'Wildcard' || tag === 'QualifiedWildcard') {
      const opts = tag === 'Wildcard' ? body : Array.isArray(body) ? body[1] : undefined;
      if (isObj(opts) && !empty(opts.opt_replace)) return 'a REPLACE in its select list';
      continue;
    }
    if (tag === 'UnnamedExpr' && plain(body)) continue;
    if (tag === 'ExprWithAlias' && isObj(body) && plain(body.expr)) continue;
    return 'a computed column in its select list';
  }
  return undefined;
}

const ROW_WISE_JOINS = new Set(['Join', 'Inner', 'Left', 'LeftOuter', 'CrossJoin', 'Semi', 'LeftSemi', 'Anti', 'LeftAnti']);

interface Walk {
  m: RelationName;
  ctes: Map<string, Obj>;
  found: Found;
  depth: number;
  /** Shared by every step of one walk (each step copies the rest): set when the walk reaches M, the SELECT whose FROM reads M, M's table factor and the CTEs in scope there. */
  out: { at?: ModelSelect };
}

/** The SELECT that reads the model directly (its leftmost FROM relation), as the row-wise walk found it. */
export interface ModelSelect {
  select: Obj;
  table: Obj;
  ctes: Map<string, Obj>;
}

/** Why the query is not row-wise on M along its path to M, or undefined when it is. */
function rowWise(query: unknown, w: Walk): string | undefined {
  if (w.depth > 32) return 'its queries nest too deeply';
  if (!isObj(query)) return 'it is not a query';
  const extra = only(query, ['body', 'with', 'order_by']);
  if (extra) return `its query has ${extra}`;
  const ctes = new Map(w.ctes);
  if (isObj(query.with)) {
    if (query.with.recursive === true) return 'it has a recursive CTE';
    for (const c of Array.isArray(query.with.cte_tables) ? query.with.cte_tables : []) {
      const name = isObj(c) && isObj(c.alias) && isObj(c.alias.name) ? c.alias.name.value : undefined;
      if (typeof name === 'string' && isObj(c) && isObj(c.query)) ctes.set(name.toLowerCase(), c.query);
    }
  }
  const [tag, select] = variant(query.body) ?? [];
  if (tag !== 'Select' || !isObj(select)) return tag === 'Query' ? rowWise(select, { ...w, ctes, depth: w.depth + 1 }) : `it combines queries (${tag ?? 'unknown'})`;
  const clause = only(select, ['projection', 'from', 'selection', 'top_before_distinct', 'window_before_qualify', 'flavor']);
  if (clause) return `a SELECT on its path to the model has ${clause}`;
  const cols = projectionIsPlain(select.projection);
  if (cols) return `a SELECT on its path to the model has ${cols}`;
  const from = Array.isArray(select.from) ? select.from : [];
  if (from.length !== 1 || !isObj(from[0])) return 'a SELECT on its path to the model reads several FROM items';
  for (const j of Array.isArray(from[0].joins) ? from[0].joins : []) {
    const op = isObj(j) ? variant(j.join_operator)?.[0] : undefined;
    if (!op || !ROW_WISE_JOINS.has(op)) return `it joins the model with a ${op ?? 'lateral or unknown'} join`;
    const [rt, rel] = variant(isObj(j) ? j.relation : undefined) ?? [];
    if (rt === 'Derived' && isObj(rel) && rel.lateral === true) return 'it joins the model with a lateral subquery';
  }
  const [rtag, rel] = variant(from[0].relation) ?? [];
  if (!isObj(rel)) return 'its FROM is not a table or a subquery';
  if (rtag === 'Derived') {
    if (rel.lateral === true) return 'its FROM is a lateral subquery';
    return rowWise(rel.subquery, { ...w, ctes, depth: w.depth + 1 });
  }
  if (rtag !== 'Table') return `its FROM is a ${rtag ?? 'relation'} it cannot see through`;
  if (!empty(rel.args) || !empty(rel.sample) || !empty(rel.version)) return 'its FROM calls a table function or samples';
  const parts = nameParts(rel.name);
  if (isModel(parts, w.m) && !(parts.length === 1 && ctes.has(parts[0]!.toLowerCase()))) {
    w.out.at = { select, table: rel, ctes };
    return undefined;
  }
  const cte = parts.length === 1 ? ctes.get(parts[0]!.toLowerCase()) : undefined;
  if (!cte) return 'the model is not the leftmost relation of its FROM';
  if (w.found.bare.get(parts[0]!.toLowerCase()) !== 1) return `the CTE ${parts[0]} holding the model is read more than once`;
  return rowWise(cte, { ...w, ctes, depth: w.depth + 1 });
}

/** The UTF-16 offset of a parser position (1-based line, and column counted in characters, as sqlparser-rs counts them). */
function offsetOf(sql: string, p: Pos): number {
  let line = 1;
  let i = 0;
  while (line < p.line) {
    const nl = sql.indexOf('\n', i);
    if (nl < 0) return -1;
    i = nl + 1;
    line++;
  }
  for (let col = 1; col < p.column; col++) {
    if (i >= sql.length || sql[i] === '\n') return -1;
    i += (sql.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
  }
  return i;
}

/** The parts of a table name as written (`"a"."b"`, `a.b`), or undefined when `text` is not exactly a name. */
function writtenName(text: string): string[] | undefined {
  const part = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)`;
  if (!new RegExp(String.raw`^${part}(?:\s*\.\s*${part})*$`).test(text)) return undefined;
  return [...text.matchAll(new RegExp(part, 'g'))].map((m) => (m[0].startsWith('"') ? m[0].slice(1, -1).replace(/""/g, '"') : m[0]));
}

/** The one query of a test's SQL, or why it is not one. */
export function oneQuery(sql: string, dialect: string): Provable<Obj> {
  let ast: unknown[];
  try {
    ast = parseSql(sql, dialect);
  } catch {
    return { why: 'its SQL could not be parsed' };
  }
  if (ast.length !== 1) return { why: 'it is not one query' };
  const [tag, query] = variant(ast[0]) ?? [];
  if (tag !== 'Query' || !isObj(query)) return { why: 'it is not a query' };
  return { ok: query };
}

/** The row-wise proof (exported for the key-local proof, runner/execute/key-local.ts): where the query reads M, and every reference to M. */
export function rowWiseSelect(query: Obj, model: RelationName): Provable<ModelSelect & { found: Found }> {
  const found: Found = { model: [], bare: new Map() };
  find(query, model, found);
  if (found.model.length !== 1) return { why: found.model.length ? 'it reads its model more than once' : 'it does not read its model by name' };
  const walk: Walk = { m: model, ctes: new Map(), found, depth: 0, out: {} };
  const why = rowWise(query, walk);
  if (why) return { why };
  if (!walk.out.at) return { why: 'where it reads its model could not be located' };
  return { ok: { ...walk.out.at, found } };
}

/**
 * The test's SQL reading `delta` (the fresh rows) where it read its model, when the test is proven
 * row-wise on the model; otherwise why not (then the test runs whole).
 */
export function deltaTestSql(sql: string, dialect: string, model: RelationName, delta: string): Provable<string> {
  const query = oneQuery(sql, dialect);
  if (query.why !== undefined) return { why: query.why };
  const at = rowWiseSelect(query.ok, model);
  if (at.why !== undefined) return { why: at.why };
  const span = at.ok.found.model[0];
  const a = span ? offsetOf(sql, span.start) : -1;
  const b = span ? offsetOf(sql, span.end) : -1;
  // the span must cover exactly the model's name, or the rewrite could read something else
  const written = a >= 0 && b > a ? writtenName(sql.slice(a, b)) : undefined;
  if (!written || !isModel(written, model)) return { why: 'the position of its model in the SQL could not be located' };
  // read without an alias, the model's columns may be qualified by its name (readings.k): the delta keeps that name
  const alias = isObj(at.ok.table.alias) ? '' : ` AS "${written.at(-1)!.replace(/"/g, '""')}"`;
  return { ok: `${sql.slice(0, a)}${delta}${alias}${sql.slice(b)}` };
}
