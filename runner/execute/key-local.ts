/**
 * Key-local gates: a row-wise test (runner/execute/delta-test.ts) whose verdict on a row of its
 * model M depends on another input D only through D's rows with the same key.
 *
 * A microbatch model with `restate_by` restates every row of a key whose rows in a keyed dimension
 * D changed: after a build, every such row is in the fresh parts, and each kept row has a key
 * whose D rows are what they were when the published version was built. If a test is row-wise on
 * M (failures = Σ over rows r of f(r, inputs)) and key-local on D — f(r, D) = f(r, D restricted to
 * rows whose key equals r's key) — then for a kept row f(r, D now) = f(r, D then), which was no
 * failure when the test passed on the published version under D then. So the test on the fresh
 * parts alone is the whole test, although D changed. The executor checks the "passed under D then"
 * part with the test's recorded key (runner/execute/run.ts); this file proves key-locality.
 *
 * Proven from the parsed SQL, never assumed (fail closed: anything else runs whole). D is named
 * exactly once in the query, and that one reading is, in the SELECT that reads M directly (the
 * row-wise path's end, M under the alias `m`):
 *   - a join of that SELECT's FROM (inner, left, semi or anti: D is never the preserved side)
 *     whose ON is a conjunction holding `d.K = m.c`, or
 *   - the one FROM item (no join) of an EXISTS / NOT EXISTS subquery in that SELECT's WHERE, the
 *     subquery a plain SELECT (no grouping, DISTINCT, window, limit, set operation) whose WHERE is
 *     a conjunction holding `d.K = m.c`, its alias not shadowing `m`;
 * where `d` is D, or a CTE read only there whose query is a plain filter of D (one FROM item, no
 * join, no grouping, DISTINCT, window or limit; plain columns) exposing D's key column as K; c is
 * M's restate_by column and the key D's restate_by.from column. Both sides are qualified names.
 * Equality on a text or integer key (the adapter reports keys only of those types) holds exactly
 * when the texts the microbatch compares are equal; a NULL key matches nothing on either side.
 */
import { isObj, nameParts, variant, type Obj } from '../lineage/ast.js';
import { empty, find, isModel, oneQuery, only, rowWiseSelect, type Found, type RelationName } from './delta-test.js';
import type { Provable } from './reuse.js';

export interface KeyedInput {
  /** The dimension the model restates by. */
  relation: RelationName;
  /** Its restate_by.from column. */
  key: string;
  /** The model's restate_by column. */
  column: string;
}

const lower = (s: string) => s.toLowerCase();

/** The alias a table factor is read under (its alias, else the last part of its name). */
function aliasOf(table: Obj): string | undefined {
  const a = isObj(table.alias) && isObj(table.alias.name) ? table.alias.name.value : undefined;
  if (typeof a === 'string') return lower(a);
  if (isObj(table.alias) && Array.isArray(table.alias.columns) && table.alias.columns.length) return undefined;
  const parts = nameParts(table.name);
  return parts.length ? lower(parts.at(-1)!) : undefined;
}

/** `alias.column` when `e` is exactly that qualified name. */
function qualified(e: unknown): [string, string] | undefined {
  const [tag, body] = variant(e) ?? [];
  if (tag === 'Nested') return qualified(body);
  if (tag !== 'CompoundIdentifier' || !Array.isArray(body) || body.length !== 2) return undefined;
  const [a, c] = body.map((p) => (isObj(p) && typeof p.value === 'string' ? lower(p.value) : undefined));
  return a !== undefined && c !== undefined ? [a, c] : undefined;
}

/** The conjuncts of an AND chain. */
function conjuncts(e: unknown): unknown[] {
  const [tag, body] = variant(e) ?? [];
  if (tag === 'Nested') return conjuncts(body);
  if (tag === 'BinaryOp' && isObj(body) && body.op === 'And') return [...conjuncts(body.left), ...conjuncts(body.right)];
  return [e];
}

/** Whether `e` is a conjunction holding `d.k = m.c` (either side first). */
function keyEquality(e: unknown, d: string, k: string, m: string, c: string): boolean {
  return conjuncts(e).some((x) => {
    const [tag, body] = variant(x) ?? [];
    if (tag !== 'BinaryOp' || !isObj(body) || body.op !== 'Eq') return false;
    const l = qualified(body.left);
    const r = qualified(body.right);
    const is = (p: [string, string] | undefined, a: string, col: string) => !!p && p[0] === a && p[1] === col;
    return (is(l, d, k) && is(r, m, c)) || (is(l, m, c) && is(r, d, k));
  });
}

/** The column name under which a plain filter of D exposes D's key, or why it is not one. */
function keyColumnOfFilter(query: unknown, dim: RelationName, key: string): Provable<string> {
  if (!isObj(query)) return { why: 'a CTE over the dimension is not a query' };
  const extra = only(query, ['body']);
  if (extra) return { why: `the CTE over the dimension has ${extra}` };
  const [tag, select] = variant(query.body) ?? [];
  if (tag !== 'Select' || !isObj(select)) return { why: 'the CTE over the dimension is not one SELECT' };
  const clause = only(select, ['projection', 'from', 'selection', 'group_by', 'having', 'top_before_distinct', 'window_before_qualify', 'flavor']);
  if (clause) return { why: `the CTE over the dimension has ${clause}` };
  // a window spans other keys' rows (`count(*) over ()`): never key-local
  if (hasWindow(select.projection) || hasWindow(select.having)) return { why: 'the CTE over the dimension has a window function' };
  const from = Array.isArray(select.from) ? select.from : [];
  if (from.length !== 1 || !isObj(from[0]) || !empty(from[0].joins)) return { why: 'the CTE over the dimension reads more than the dimension' };
  const [rt, rel] = variant(from[0].relation) ?? [];
  if (rt !== 'Table' || !isObj(rel) || !isModel(nameParts(rel.name), dim) || !empty(rel.args) || !empty(rel.sample)) return { why: 'the CTE over the dimension does not read it as a table' };
  const own = aliasOf(rel);
  // each output column: its name and, when it is a plain column of D, which one
  const columns: { name: string | undefined; col: string | undefined }[] = [];
  for (const item of Array.isArray(select.projection) ? select.projection : []) {
    const [it, body] = variant(item) ?? [];
    const expr = it === 'ExprWithAlias' && isObj(body) ? body.expr : it === 'UnnamedExpr' ? body : undefined;
    if (expr === undefined) return { why: 'the CTE over the dimension has a wildcard' };
    const [et, eb] = variant(expr) ?? [];
    const q = qualified(expr);
    const col = et === 'Identifier' && isObj(eb) && typeof eb.value === 'string' ? lower(eb.value) : q && q[0] === own ? q[1] : undefined;
    const name = it === 'ExprWithAlias' && isObj(body) && isObj(body.alias) && typeof body.alias.value === 'string' ? lower(body.alias.value) : (col ?? q?.[1]);
    columns.push({ name, col });
  }
  const keyed = columns.filter((x) => x.col === lower(key) && x.name !== undefined);
  if (keyed.length !== 1) return { why: keyed.length ? 'the CTE over the dimension exposes its key twice' : 'the CTE over the dimension does not expose its key' };
  const name = keyed[0]!.name!;
  if (columns.filter((x) => x.name === name).length !== 1) return { why: `the CTE over the dimension has two columns named ${name}` };
  // grouped: only by the key itself, so that each group (its aggregates, its HAVING) holds the rows of one key
  if (!empty(select.group_by) || !empty(select.having)) {
    const by = groupedBy(select.group_by);
    if (by === undefined || by.length !== 1) return { why: 'the CTE over the dimension groups by more or other than its key' };
    const [gt, gb] = variant(by[0]) ?? [];
    const q = qualified(by[0]);
    const ordinal = gt === 'Value' && isObj(gb) && isObj(gb.value) && Array.isArray(gb.value.Number) ? Number(gb.value.Number[0]) : undefined;
    const byName = gt === 'Identifier' && isObj(gb) && typeof gb.value === 'string' ? lower(gb.value) : undefined;
    // a bare name is the key column only when no other output column is named like it (an alias could stand for it)
    const isKey =
      (ordinal !== undefined && columns[ordinal - 1] === keyed[0]) ||
      (byName === lower(key) && columns.every((x) => x === keyed[0] || x.name !== byName)) ||
      (q !== undefined && q[0] === own && q[1] === lower(key));
    if (!isKey) return { why: 'the CTE over the dimension groups by more or other than its key' };
  }
  return { ok: name };
}

/** The expressions of a plain GROUP BY (no ROLLUP, CUBE, GROUPING SETS or ALL), or undefined. */
function groupedBy(g: unknown): unknown[] | undefined {
  if (!isObj(g) || !Array.isArray(g.Expressions)) return undefined;
  const [exprs, modifiers] = g.Expressions as unknown[];
  return Array.isArray(exprs) && empty(modifiers) ? exprs : undefined;
}

/** Whether an expression holds a window function (an OVER clause) anywhere. */
function hasWindow(e: unknown): boolean {
  if (Array.isArray(e)) return e.some(hasWindow);
  if (!isObj(e)) return false;
  if ('over' in e && !empty(e.over)) return true;
  return Object.values(e).some(hasWindow);
}

/** The key column a reading of `table` (D itself, or a CTE over D) exposes, or why it is not a plain reading of D. */
function readsDim(table: Obj, ctes: Map<string, Obj>, bare: Map<string, number>, dim: RelationName, key: string): Provable<string> {
  if (!empty(table.args) || !empty(table.sample) || !empty(table.version)) return { why: 'it reads the dimension through a table function or a sample' };
  const parts = nameParts(table.name);
  const cte = parts.length === 1 ? ctes.get(lower(parts[0]!)) : undefined;
  if (cte) {
    if (bare.get(lower(parts[0]!)) !== 1) return { why: `the CTE ${parts[0]} over the dimension is read more than once` };
    return keyColumnOfFilter(cte, dim, key);
  }
  if (isModel(parts, dim)) return { ok: lower(key) };
  return { why: 'not a reading of the dimension' };
}

const KEYED_JOINS = new Set(['Join', 'Inner', 'Left', 'LeftOuter', 'Semi', 'LeftSemi', 'Anti', 'LeftAnti']);

/** Every EXISTS subquery of an expression (not descending into other subqueries). */
function existsIn(e: unknown, out: Obj[]): void {
  if (Array.isArray(e)) {
    for (const x of e) existsIn(x, out);
    return;
  }
  if (!isObj(e)) return;
  // another subquery: its own FROM may rebind the model's alias
  if ('body' in e && ('locks' in e || 'with' in e || 'order_by' in e)) return;
  const ex = e.Exists;
  if (isObj(ex) && isObj(ex.subquery)) {
    out.push(ex.subquery);
    return;
  }
  for (const x of Object.values(e)) existsIn(x, out);
}

/** Why `sql` is not proven key-local on `dim` (with the model row-wise), or ok. */
export function keyLocal(sql: string, dialect: string, model: RelationName, dim: KeyedInput): Provable<true> {
  const parsed = oneQuery(sql, dialect);
  if (parsed.why !== undefined) return { why: parsed.why };
  const query = parsed.ok;
  const at = rowWiseSelect(query, model);
  if (at.why !== undefined) return { why: at.why };
  const dims: Found = { model: [], bare: new Map() };
  find(query, dim.relation, dims);
  if (dims.model.length !== 1) return { why: dims.model.length ? 'it reads the dimension more than once' : 'it does not read the dimension by name' };
  const m = aliasOf(at.ok.table);
  if (m === undefined) return { why: 'the alias of its model could not be read' };
  const c = lower(dim.column);
  const { select, ctes } = at.ok;
  const bare = new Map<string, number>();
  find(query, { schema: '', identifier: '\u0000' }, { model: [], bare });
  const tried: string[] = [];
  // a join of the SELECT reading M
  const from = Array.isArray(select.from) && isObj(select.from[0]) ? select.from[0] : undefined;
  for (const j of Array.isArray(from?.joins) ? from!.joins : []) {
    if (!isObj(j)) continue;
    const [op, constraint] = variant(j.join_operator) ?? [];
    const [rt, rel] = variant(j.relation) ?? [];
    if (rt !== 'Table' || !isObj(rel)) continue;
    const k = readsDim(rel, ctes, bare, dim.relation, dim.key);
    if (k.why !== undefined) {
      if (k.why !== 'not a reading of the dimension') tried.push(k.why);
      continue;
    }
    if (!op || !KEYED_JOINS.has(op)) return { why: `it joins the dimension with a ${op ?? 'lateral or unknown'} join` };
    const [ct, on] = variant(constraint) ?? [];
    const d = aliasOf(rel);
    if (ct !== 'On' || d === undefined || d === m) return { why: 'its join of the dimension is not ON an equality of keys' };
    if (keyEquality(on, d, k.ok, m, c)) return { ok: true };
    return { why: `its join of the dimension does not hold ${d}.${k.ok} = ${m}.${c}` };
  }
  // an EXISTS / NOT EXISTS in the WHERE of the SELECT reading M
  const subqueries: Obj[] = [];
  existsIn(select.selection, subqueries);
  for (const sq of subqueries) {
    if (only(sq, ['body']) !== undefined) continue;
    const [bt, sub] = variant(sq.body) ?? [];
    if (bt !== 'Select' || !isObj(sub)) continue;
    const f = Array.isArray(sub.from) ? sub.from : [];
    if (f.length !== 1 || !isObj(f[0])) continue;
    const [rt, rel] = variant(f[0].relation) ?? [];
    if (rt !== 'Table' || !isObj(rel)) continue;
    const k = readsDim(rel, ctes, bare, dim.relation, dim.key);
    if (k.why !== undefined) {
      if (k.why !== 'not a reading of the dimension') tried.push(k.why);
      continue;
    }
    const clause = only(sub, ['projection', 'from', 'selection', 'top_before_distinct', 'window_before_qualify', 'flavor']);
    if (clause) return { why: `its subquery over the dimension has ${clause}` };
    if (!empty(f[0].joins)) return { why: 'its subquery over the dimension joins it with something else' };
    const d = aliasOf(rel);
    if (d === undefined || d === m) return { why: 'its subquery over the dimension shadows the alias of the model' };
    if (keyEquality(sub.selection, d, k.ok, m, c)) return { ok: true };
    return { why: `its subquery over the dimension does not hold ${d}.${k.ok} = ${m}.${c}` };
  }
  return { why: tried[0] ?? 'it reads the dimension elsewhere than by its key from the rows of its model' };
}
