/**
 * The flow of one SQL expression: which columns in scope its value is computed from. A bare
 * column (possibly cast or parenthesised) passes its value `direct`ly; anything else computes
 * an `expression` from every column it mentions, scalar subqueries included. Columns that only
 * decide the value are a `condition`: CASE WHEN tests, window PARTITION BY/ORDER BY, FILTER
 * clauses, count() arguments. No expression pseudonymises: a hash of personal data in SQL is
 * derived from it, whatever its form (the one pseudonym is the column a source derives at
 * ingestion, runner/landing/derive.ts). EXISTS and IN (subquery) only test rows: the subquery's
 * columns do not flow into the value.
 *
 * The walk is an allow-list, default-deny: only the AST variants whose value is a function of
 * their children are followed, each through the keys known to hold those children. Any other
 * variant, or an unexpected key on a known one, is unresolved ("… is not analysed"), and so are
 * the constructs that reach data without naming a column: a star inside an expression (except
 * count(*)), functions that select columns or read settings by name (columns(), getvariable(),
 * query(), …), query parameters, a table used as a value.
 */
import { field, identText, isObj, list, nameParts, variant } from './ast.js';
import { compose, EMPTY, merge, through, type Flow } from './flow.js';
import type { Via } from './types.js';

/** A column reference resolved in scope; `absent` when nothing in scope can have that name. */
export interface Resolved {
  flow: Flow;
  absent?: boolean;
}

export interface ExprContext {
  /** Resolves a column reference (`email`, `c.email`) in the current scope. */
  resolve(parts: string[]): Resolved;
  /** The flow of each output column of a subquery, analysed in the current scope. */
  subquery(query: unknown): Flow[];
  /** Lower-cased names of the lambda parameters in scope. */
  params?: Set<string>;
}

export function unresolvedFlow(reference: string, reason: string): Flow {
  return { edges: [], unresolved: [{ reference, reason }] };
}

/** Plain words for the variants a reader may meet in an error. */
const DESCRIBED: Record<string, string> = {
  JsonAccess: 'a colon expression (JSON access, or DuckDB\'s `name: expr` alias)',
  MatchAgainst: 'MATCH … AGAINST',
  OuterJoin: 'an Oracle (+) outer join',
  Prior: 'PRIOR',
  GroupingSets: 'GROUPING SETS',
  Cube: 'CUBE',
  Rollup: 'ROLLUP',
  Prefixed: 'a prefixed literal',
};
const notAnalysed = (what: string): Flow => unresolvedFlow(DESCRIBED[what] ?? what, `${DESCRIBED[what] ?? what} is not analysed`);
const low = (s: string) => s.toLowerCase();

/**
 * Functions that reach data, settings or secrets by name or position instead of through column
 * references (DuckDB's catalog: `select function_name from duckdb_functions()`). Their value is
 * never a function of the columns they mention.
 */
const REFLECTIVE = new Set([
  'columns', 'unpack', 'getvariable', 'current_setting', 'getenv', 'query', 'query_table', 'json_execute_serialized_sql',
  'current_query', 'pg_get_viewdef', 'pg_get_expr', 'pg_get_constraintdef', 'which_secret', 'sql_auto_complete',
]);
/** Table functions named as scalars (read_csv, duckdb_secrets, pragma_table_info, parquet_metadata …). */
const REFLECTIVE_PREFIX = /^(read_|duckdb_|pragma_|parquet_|sniff_)/;
/** Functions that may turn one select item into several columns whose names the engine picks. */
const EXPANDING = new Set(['columns', 'unnest', 'unpack']);

/** Literal kinds whose value is the literal itself in DuckDB and Trino. A double-quoted "string" is an identifier there. */
const LITERALS = new Set([
  'Number', 'SingleQuotedString', 'DollarQuotedString', 'EscapedStringLiteral', 'UnicodeStringLiteral', 'NationalStringLiteral',
  'HexStringLiteral', 'SingleQuotedByteStringLiteral', 'TripleSingleQuotedString', 'Boolean', 'Null',
]);

/** Wrappers that leave a value as it is. */
const TRANSPARENT = new Set(['Nested', 'Cast', 'TryCast', 'SafeCast', 'Collate']);

/** Variants whose payload is one expression, and whose value is a function of it. */
const UNARY = new Set(['Nested', 'IsNull', 'IsNotNull', 'IsTrue', 'IsNotTrue', 'IsFalse', 'IsNotFalse', 'IsUnknown', 'IsNotUnknown']);
/** Variants whose payload is a list of expressions. */
const LISTS = new Set(['Tuple', 'IsDistinctFrom', 'IsNotDistinctFrom']);
/** Struct-shaped variants: the keys holding expressions (or lists of them) and the keys holding nothing but names, types and flags. */
const SHAPES: Record<string, { values: string[]; inert: string[] }> = {
  BinaryOp: { values: ['left', 'right'], inert: ['op'] },
  UnaryOp: { values: ['expr'], inert: ['op'] },
  InList: { values: ['expr', 'list'], inert: ['negated'] },
  InUnnest: { values: ['expr', 'array_expr'], inert: ['negated'] },
  Between: { values: ['expr', 'low', 'high'], inert: ['negated'] },
  Like: { values: ['expr', 'pattern'], inert: ['negated', 'any', 'escape_char'] },
  ILike: { values: ['expr', 'pattern'], inert: ['negated', 'any', 'escape_char'] },
  SimilarTo: { values: ['expr', 'pattern'], inert: ['negated', 'escape_char'] },
  RLike: { values: ['expr', 'pattern'], inert: ['negated', 'regexp'] },
  AnyOp: { values: ['left', 'right'], inert: ['compare_op', 'is_some'] },
  AllOp: { values: ['left', 'right'], inert: ['compare_op'] },
  Cast: { values: ['expr'], inert: ['kind', 'data_type', 'array', 'format'] },
  TryCast: { values: ['expr'], inert: ['data_type', 'format'] },
  SafeCast: { values: ['expr'], inert: ['data_type', 'format'] },
  Convert: { values: ['expr', 'styles'], inert: ['is_try', 'data_type', 'charset', 'target_before_value'] },
  AtTimeZone: { values: ['timestamp', 'time_zone'], inert: [] },
  Extract: { values: ['expr'], inert: ['field', 'syntax'] },
  Ceil: { values: ['expr'], inert: ['field'] },
  Floor: { values: ['expr'], inert: ['field'] },
  Position: { values: ['expr', 'in'], inert: [] },
  Substring: { values: ['expr', 'substring_from', 'substring_for'], inert: ['special', 'shorthand'] },
  Trim: { values: ['expr', 'trim_what', 'trim_characters'], inert: ['trim_where'] },
  Overlay: { values: ['expr', 'overlay_what', 'overlay_from', 'overlay_for'], inert: [] },
  Collate: { values: ['expr'], inert: ['collation'] },
  IsNormalized: { values: ['expr'], inert: ['form', 'negated'] },
  Array: { values: ['elem'], inert: ['named'] },
  Struct: { values: ['values'], inert: ['fields'] },
  Named: { values: ['expr'], inert: ['name'] },
  Interval: { values: ['value'], inert: ['leading_field', 'leading_precision', 'last_field', 'fractional_seconds_precision'] },
  TypedString: { values: [], inert: ['data_type', 'value', 'uses_odbc_syntax'] },
  Exists: { values: [], inert: ['subquery', 'negated'] },
  InSubquery: { values: ['expr'], inert: ['subquery', 'negated'] },
};

/** Nothing there: a missing optional part. */
function empty(v: unknown): boolean {
  return v === undefined || v === null || v === false || v === 'None' || (Array.isArray(v) && v.length === 0);
}

export function exprFlow(expr: unknown, ctx: ExprContext): Flow {
  let core = expr;
  for (let v = variant(core); v && TRANSPARENT.has(v[0]); v = variant(core)) core = v[0] === 'Nested' ? v[1] : field(v[1], 'expr');
  const tag = variant(core)?.[0];
  if (tag === 'Identifier' || tag === 'CompoundIdentifier' || tag === 'Subquery') return value(core, ctx, 'direct');
  return value(expr, ctx, 'expression');
}

/** The flow of an expression (or a list of them) reaching a value `via`. */
function value(node: unknown, ctx: ExprContext, via: Via): Flow {
  if (Array.isArray(node)) return merge(...node.map((n) => value(n, ctx, via)));
  if (empty(node)) return EMPTY;
  const v = variant(node);
  if (!v) return notAnalysed('an expression of an unknown form');
  const [tag, p] = v;
  if (UNARY.has(tag)) return value(p, ctx, via);
  if (LISTS.has(tag)) return Array.isArray(p) ? value(p, ctx, via) : notAnalysed(tag);
  switch (tag) {
    case 'Identifier':
      return reference([identText(p) ?? ''], ctx, via);
    case 'CompoundIdentifier':
      return reference(nameParts(p), ctx, via);
    case 'Value':
      return literal(field(p, 'value'));
    case 'Subquery':
      return through(merge(...ctx.subquery(p)), via);
    case 'Case':
      return caseFlow(p, ctx, via);
    case 'Function':
      return functionFlow(p, ctx, via);
    case 'Lambda':
      return lambdaFlow(p, ctx, via);
    case 'CompoundFieldAccess':
      return fieldAccess(p, ctx, via);
    case 'Dictionary':
      return Array.isArray(p) ? merge(...p.map((f) => value(field(f, 'value'), ctx, via))) : notAnalysed(tag);
    case 'Map':
      return merge(...list(field(p, 'entries')).map((e) => merge(value(field(e, 'key'), ctx, via), value(field(e, 'value'), ctx, via))));
    case 'Wildcard':
    case 'QualifiedWildcard':
      return unresolvedFlow('*', 'a star inside an expression is not analysed');
    default:
      return SHAPES[tag] ? shaped(tag, p, ctx, via) : notAnalysed(tag);
  }
}

/** A key of `node`, other than `known` ones and positions, that holds something. */
function unexpectedKey(node: unknown, known: string[]): string | undefined {
  return Object.entries(isObj(node) ? node : {}).find(([k, v]) => k !== 'span' && !known.includes(k) && !empty(v))?.[0];
}

function shaped(tag: string, p: unknown, ctx: ExprContext, via: Via): Flow {
  const shape = SHAPES[tag]!;
  if (!isObj(p)) return notAnalysed(tag);
  const odd = unexpectedKey(p, [...shape.values, ...shape.inert]);
  if (odd) return notAnalysed(`${tag} with ${odd}`);
  return merge(...shape.values.map((k) => value(p[k], ctx, via)));
}

function literal(v: unknown): Flow {
  const kind = variant(v)?.[0];
  if (kind && LITERALS.has(kind)) return EMPTY;
  if (kind === 'Placeholder') return unresolvedFlow(String(variant(v)![1]), 'a query parameter: its value is not in the SQL');
  return notAnalysed(`a literal of the form ${kind ?? '?'}`);
}

/**
 * A column reference. Inside a lambda, a name that is one of its parameters is the parameter
 * (its value comes from the function's other arguments, which are followed anyway) unless a
 * column or table of that name is in scope: DuckDB reads `col -> 'key'` as JSON access then.
 */
function reference(parts: string[], ctx: ExprContext, via: Via): Flow {
  const r = ctx.resolve(parts);
  if (ctx.params?.has(low(parts[0] ?? '')) && r.absent) return EMPTY;
  return through(r.flow, via);
}

function caseFlow(p: unknown, ctx: ExprContext, via: Via): Flow {
  const odd = unexpectedKey(p, ['case_token', 'end_token', 'operand', 'conditions', 'else_result']);
  if (odd) return notAnalysed(`CASE with ${odd}`);
  const decides = compose(via, 'condition');
  return merge(
    value(field(p, 'operand'), ctx, decides),
    ...list(field(p, 'conditions')).map((w) => merge(value(field(w, 'condition'), ctx, decides), value(field(w, 'result'), ctx, via))),
    value(field(p, 'else_result'), ctx, via),
  );
}

function lambdaFlow(p: unknown, ctx: ExprContext, via: Via): Flow {
  const raw = field(p, 'params');
  const [kind, payload] = variant(raw) ?? ['?', undefined];
  const params = (kind === 'One' ? [payload] : kind === 'Many' ? list(payload) : []).map((x) => identText(field(x, 'name')) ?? '');
  if (!params.length || params.some((x) => !x)) return notAnalysed('a lambda of an unknown form');
  // a parameter that is also a column in scope may be the column (`col -> 'key'` is JSON access in DuckDB)
  const own = params.map((name) => ctx.resolve([name])).filter((r) => !r.absent).map((r) => through(r.flow, compose(via, 'expression')));
  const inner: ExprContext = { ...ctx, params: new Set([...(ctx.params ?? []), ...params.map(low)]) };
  return merge(...own, value(field(p, 'body'), inner, via));
}

function fieldAccess(p: unknown, ctx: ExprContext, via: Via): Flow {
  const parts = [value(field(p, 'root'), ctx, via)];
  for (const step of list(field(p, 'access_chain'))) {
    const [kind, x] = variant(step) ?? ['?', undefined];
    if (kind === 'Dot' && variant(x)?.[0] === 'Identifier') continue; // a field name
    const [sub, s] = kind === 'Subscript' ? variant(x) ?? ['?', undefined] : ['?', undefined];
    if (sub === 'Index') parts.push(value(field(s, 'index'), ctx, via));
    else if (sub === 'Slice') parts.push(value([field(s, 'lower_bound'), field(s, 'upper_bound'), field(s, 'stride')], ctx, via));
    else parts.push(notAnalysed(`a field access of the form ${kind}`));
  }
  return merge(...parts);
}

function functionName(p: unknown): string {
  return low(nameParts(field(p, 'name')).at(-1) ?? '');
}

function functionFlow(p: unknown, ctx: ExprContext, via: Via): Flow {
  const name = functionName(p);
  if (REFLECTIVE.has(name) || REFLECTIVE_PREFIX.test(name)) {
    return unresolvedFlow(`${name}(…)`, `${name}() reaches columns, settings or data by name or pattern, not through column references`);
  }
  const decides = compose(via, 'condition');
  const parts: Flow[] = [];
  for (const [k, child] of Object.entries(isObj(p) ? p : {})) {
    if (k === 'span' || k === 'name' || k === 'uses_odbc_syntax' || k === 'null_treatment' || empty(child)) continue;
    if (k === 'args') parts.push(argsFlow(child, name, ctx, name === 'count' ? decides : via));
    else if (k === 'parameters') parts.push(argsFlow(child, name, ctx, via));
    else if (k === 'filter') parts.push(value(child, ctx, decides));
    else if (k === 'over') parts.push(windowFlow(child, ctx, decides));
    else if (k === 'within_group') parts.push(orderByFlow(child, ctx, via));
    else parts.push(notAnalysed(`${name}() with ${k}`));
  }
  return merge(...parts);
}

function argsFlow(args: unknown, fn: string, ctx: ExprContext, via: Via): Flow {
  const [kind, p] = variant(args) ?? ['?', undefined];
  if (kind === 'None') return EMPTY;
  if (kind === 'Subquery') return through(merge(...ctx.subquery(p)), via);
  if (kind !== 'List') return notAnalysed(`${fn}() arguments of the form ${kind}`);
  const odd = unexpectedKey(p, ['duplicate_treatment', 'args', 'clauses']);
  if (odd) return notAnalysed(`${fn}() with ${odd}`);
  const items = list(field(p, 'args'));
  const parts = items.map((a) => {
    const [k, x] = variant(a) ?? ['?', undefined];
    if (k === 'Unnamed') return argFlow(x, fn, items.length, ctx, via);
    if (k === 'Named') return argFlow(field(x, 'arg'), fn, items.length, ctx, via);
    if (k === 'ExprNamed') return merge(value(field(x, 'name'), ctx, via), argFlow(field(x, 'arg'), fn, items.length, ctx, via));
    return notAnalysed(`${fn}() argument of the form ${k}`);
  });
  for (const clause of list(field(p, 'clauses'))) {
    const [k, x] = variant(clause) ?? ['?', undefined];
    if (k === 'OrderBy') parts.push(orderByFlow(x, ctx, via));
    else if (k === 'Limit') parts.push(value(x, ctx, via));
    else if (k === 'OnOverflow') parts.push(value(field(variant(x)?.[1], 'filler'), ctx, via));
    else if (k !== 'IgnoreOrRespectNulls' && k !== 'Separator' && k !== 'JsonNullClause' && k !== 'JsonReturningClause') parts.push(notAnalysed(`${fn}() with ${k}`));
  }
  return merge(...parts);
}

/** One argument: an expression, or a star — which only count(*) may take. */
function argFlow(arg: unknown, fn: string, count: number, ctx: ExprContext, via: Via): Flow {
  const [k, x] = variant(arg) ?? ['?', undefined];
  if (k === 'Expr') return value(x, ctx, via);
  if (k === 'Wildcard' && fn === 'count' && count === 1) return EMPTY;
  if (k === 'Wildcard' || k === 'QualifiedWildcard' || k === 'WildcardWithOptions') return unresolvedFlow(`${fn}(*)`, 'a star inside an expression is not analysed (only count(*) is)');
  return notAnalysed(`${fn}() argument of the form ${k}`);
}

function orderByFlow(items: unknown, ctx: ExprContext, via: Via): Flow {
  return merge(...list(items).map((o) => (empty(field(o, 'with_fill')) ? value(field(o, 'expr'), ctx, via) : notAnalysed('ORDER BY … WITH FILL'))));
}

function windowFlow(over: unknown, ctx: ExprContext, via: Via): Flow {
  const [kind, spec] = variant(over) ?? ['?', undefined];
  if (kind === 'NamedWindow') return EMPTY; // a WINDOW clause only partitions and orders
  if (kind !== 'WindowSpec') return notAnalysed(`a window of the form ${kind}`);
  const frame = field(spec, 'window_frame');
  const bound = (b: unknown) => value(variant(b)?.[1], ctx, via);
  return merge(value(field(spec, 'partition_by'), ctx, via), orderByFlow(field(spec, 'order_by'), ctx, via), bound(field(frame, 'start_bound')), bound(field(frame, 'end_bound')));
}

/**
 * Why a select item may stand for several columns, or undefined: a call of a function that
 * expands (columns(), unnest() of a struct, unpack()) outside a subquery.
 */
export function expansion(expr: unknown): string | undefined {
  const v = variant(expr);
  if (v && (v[0] === 'Subquery' || v[0] === 'Exists')) return undefined;
  if (v?.[0] === 'InSubquery') return expansion(field(v[1], 'expr'));
  if (v?.[0] === 'Function' && EXPANDING.has(functionName(v[1]))) return `${functionName(v[1])}(…)`;
  const children = Array.isArray(expr) ? expr : isObj(expr) ? Object.values(expr) : [];
  for (const c of children) {
    const found = expansion(c);
    if (found) return found;
  }
  return undefined;
}

/** The name a projection item without an alias gets: the column's own name, when it is one. */
export function implicitName(expr: unknown): string | undefined {
  let core = expr;
  for (let v = variant(core); v && (v[0] === 'Nested'); v = variant(core)) core = v[1];
  const v = variant(core);
  if (v?.[0] === 'Identifier') return nameParts([core])[0];
  if (v?.[0] === 'CompoundIdentifier') return nameParts(list(v[1])).at(-1);
  return undefined;
}
