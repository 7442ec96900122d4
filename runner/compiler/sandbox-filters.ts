/**
 * Filters and tests in the sandbox: nunjucks' built-in filters (an explicit list: a filter a
 * later nunjucks adds is not available until reviewed) and tests, each wrapped so that
 *
 *   - it takes values: a function (also inside a list or mapping) or a JavaScript object as an
 *     argument is refused;
 *   - a count or width is at most MAX_FILTER_SIZE (`x | slice(1e9)` would exhaust memory);
 *   - an attribute argument (`sort(attribute=…)`, `groupby`, `sum`, `join`, `selectattr`,
 *     `rejectattr`) is resolved with the sandbox's member rules first, so it cannot name
 *     `constructor` or read a prototype;
 *   - given a var value that is not an identifier (a QuotedValue, an external mapping key), it
 *     works on the value itself and every string in its result is a quoted literal: `| dump`,
 *     `| replace`, `| safe`, `| join`, `| list`, `| first` … of such a var is never raw SQL
 *     text (requote in safe-values.ts).
 */
import { asString, describe, holdsFunction, isPlainArray, member, type Rules } from './sandbox-runtime.js';
import { isPlain, isTainted, QuotedValue, rawOf, requote, unwrap } from './safe-values.js';

type Fn = (this: unknown, ...args: unknown[]) => unknown;

export const FILTERS = [
  'abs', 'batch', 'capitalize', 'center', 'd', 'default', 'dictsort', 'dump', 'e', 'escape', 'first', 'float',
  'forceescape', 'groupby', 'indent', 'int', 'join', 'last', 'length', 'list', 'lower', 'nl2br', 'random',
  'reject', 'rejectattr', 'replace', 'reverse', 'round', 'safe', 'select', 'selectattr', 'slice', 'sort',
  'string', 'striptags', 'sum', 'title', 'trim', 'truncate', 'upper', 'urlencode', 'urlize', 'wordcount',
] as const;

/** The largest count or width a filter takes (`batch`, `slice`, `center`, `indent`, `truncate`). */
export const MAX_FILTER_SIZE = 100_000;
const SIZE_ARG: Record<string, number> = { batch: 1, slice: 1, center: 1, indent: 1, truncate: 1 };

/** Position of the attribute argument (the value being 0). */
const ATTRIBUTE_ARG: Record<string, number> = { groupby: 1, join: 2, sum: 1, selectattr: 1, rejectattr: 1, sort: 3 };

/** The sandboxed filters, in an object without a prototype. */
export function sandboxFilters(builtin: Record<string, unknown>, r: Rules): Record<string, Fn> {
  const out = Object.create(null) as Record<string, Fn>;
  for (const name of FILTERS) {
    const fn = builtin[name];
    if (typeof fn === 'function') out[name] = wrapFilter(name, fn as Fn, r);
  }
  return out;
}

/** nunjucks' tests (`x is defined`), without a prototype; a var value is tested as the value itself. */
export function sandboxTests(builtin: Record<string, unknown>): Record<string, Fn> {
  const out = Object.create(null) as Record<string, Fn>;
  for (const [name, fn] of Object.entries(builtin)) {
    if (typeof fn !== 'function') continue;
    out[name] = function (this: unknown, ...args: unknown[]) {
      return (fn as Fn).apply(this, args.map((a) => (a instanceof QuotedValue ? rawOf(a) : a)));
    };
  }
  return out;
}

function wrapFilter(name: string, fn: Fn, r: Rules): Fn {
  return function (this: unknown, ...args: unknown[]) {
    for (const a of args) checkArgument(name, a, r);
    const tainted = args.some(isTainted);
    const clean = args.map((a) => (a instanceof String ? String(a) : tainted ? unwrap(a) : a));
    checkAttribute(name, clean, r);
    const size = SIZE_ARG[name] === undefined ? undefined : clean[SIZE_ARG[name]];
    if (typeof size === 'number' && !(Math.abs(size) <= MAX_FILTER_SIZE)) r.refuse(`filter '${name}' takes sizes up to ${MAX_FILTER_SIZE}`);
    const out = fn.apply(this, clean);
    return tainted ? requote(out, r.quote) : out;
  };
}

function checkArgument(name: string, a: unknown, r: Rules): void {
  if (holdsFunction(a)) r.refuse(`filter '${name}' takes values, not functions`);
  if (a === null || typeof a !== 'object') return;
  if (a instanceof QuotedValue || a instanceof String || isPlainArray(a) || isPlain(a)) return;
  r.refuse(`filter '${name}' cannot take ${describe(a)}`);
}

function checkAttribute(name: string, args: unknown[], r: Rules): void {
  const at = ATTRIBUTE_ARG[name];
  if (at === undefined) return;
  const last = args[args.length - 1];
  const keywords = isPlain(last) && last.__keywords === true ? last : undefined;
  const attr = keywords && 'attribute' in keywords ? keywords.attribute : args[at];
  if (attr === undefined || attr === null || attr === false || attr === '') return;
  const path = asString(attr) ?? (typeof attr === 'number' ? String(attr) : undefined);
  if (path === undefined) r.refuse(`the attribute of filter '${name}' must be a name, not ${describe(attr)}`);
  const items = args[0];
  if (!Array.isArray(items)) return;
  for (const item of items) {
    let v: unknown = item;
    for (const part of path.split('.')) v = member(v, part, r);
  }
}
