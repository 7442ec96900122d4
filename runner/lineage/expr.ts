/**
 * The flow of one SQL expression: which columns in scope its value is computed from. A bare
 * column (possibly cast or parenthesised) passes its value `direct`ly; anything else computes
 * an `expression` from every column it mentions, scalar subqueries included. Columns that only
 * decide the value are a `condition`: CASE WHEN tests, window PARTITION BY/ORDER BY, FILTER
 * clauses, count() arguments. An expression shaped like the approved pseudonymisation macro
 * makes what it hashes `pseudonymised`. EXISTS and IN (subquery) only test rows: the subquery's
 * columns do not flow into the value.
 */
import { field, isObj, list, matchTemplate, nameParts, variant } from './ast.js';
import { compose, EMPTY, merge, through, type Flow } from './flow.js';
import type { Via } from './types.js';

export interface ExprContext {
  /** Resolves a column reference (`email`, `c.email`) in the current scope. */
  resolve(parts: string[]): Flow;
  /** The flow of each output column of a subquery, analysed in the current scope. */
  subquery(query: unknown): Flow[];
  /** The approved pseudonymisation as an expression template holding `probe`, if any. */
  pseudonymiser?: { template: unknown; probe: string };
}

/** Wrappers that leave a value as it is. */
const TRANSPARENT = new Set(['Nested', 'Cast', 'TryCast', 'SafeCast', 'Collate']);
/** Keys that hold names, types and tokens, never values. */
const SKIP = new Set(['span', 'name', 'data_type', 'alias', 'format', 'kind', 'collation', 'parameters']);

export function exprFlow(expr: unknown, ctx: ExprContext): Flow {
  let core = expr;
  for (let v = variant(core); v && TRANSPARENT.has(v[0]); v = variant(core)) core = v[0] === 'Nested' ? v[1] : field(v[1], 'expr');
  const v = variant(core);
  if (v && (v[0] === 'Identifier' || v[0] === 'CompoundIdentifier' || v[0] === 'Subquery')) return collect(core, ctx, 'direct');
  return collect(expr, ctx, 'expression');
}

function collect(node: unknown, ctx: ExprContext, via: Via): Flow {
  if (ctx.pseudonymiser && variant(node)?.[0] === 'Function') {
    const inner = matchTemplate(node, ctx.pseudonymiser.template, ctx.pseudonymiser.probe);
    if (inner !== undefined) return collect(inner, ctx, 'pseudonymised');
  }
  if (Array.isArray(node)) return merge(...node.map((n) => collect(n, ctx, via)));
  const v = variant(node);
  if (v) {
    const [tag, payload] = v;
    switch (tag) {
      case 'Identifier':
        return through(ctx.resolve(nameParts([node])), via);
      case 'CompoundIdentifier':
        return through(ctx.resolve(nameParts(payload)), via);
      case 'Subquery':
        return through(merge(...ctx.subquery(payload)), via);
      case 'Exists':
      case 'Value':
        return EMPTY;
      case 'InSubquery':
        return collect(field(payload, 'expr'), ctx, via);
      case 'Case':
        return merge(
          collect(field(payload, 'operand'), ctx, compose(via, 'condition')),
          ...list(field(payload, 'conditions')).map((w) => merge(collect(field(w, 'condition'), ctx, compose(via, 'condition')), collect(field(w, 'result'), ctx, via))),
          collect(field(payload, 'else_result'), ctx, via),
        );
      case 'Function': {
        const counts = nameParts(field(payload, 'name')).at(-1)?.toLowerCase() === 'count';
        const decides = (k: string) => k === 'over' || k === 'filter' || (counts && k === 'args');
        return merge(...Object.entries(isObj(payload) ? payload : {}).filter(([k]) => !SKIP.has(k)).map(([k, c]) => collect(c, ctx, decides(k) ? compose(via, 'condition') : via)));
      }
      default:
        break;
    }
  }
  if (typeof node !== 'object' || node === null) return EMPTY;
  const parts: Flow[] = [];
  for (const [k, child] of Object.entries(node)) if (!SKIP.has(k)) parts.push(collect(child, ctx, via));
  return merge(...parts);
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
