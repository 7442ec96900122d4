/**
 * Values that come from outside the templates — `var()` (stedi_project.yml, STEDI_VARS, --vars)
 * and the arguments of YAML data tests — reach SQL only as a validated identifier or a quoted
 * literal, never as raw text:
 *
 *   - a string that is a plain identifier (letters, digits, _; not starting with a digit) stays
 *     a string: printed, it is that identifier, and `{% if var('x') == 'as_of_date' %}` works;
 *   - any other string becomes a QuotedValue: however it is printed or concatenated
 *     (`{{ v }}`, `'a' ~ v`, passed to a macro), it renders as a quoted SQL string literal of
 *     the target's dialect, so `x' or '1'='1` can only ever be the value of a literal;
 *   - numbers, booleans and null stay as they are; lists and mappings are converted element by
 *     element; the empty string stays empty (it cannot inject anything, and stays falsy);
 *   - a mapping with a key that is not an identifier is marked external: its keys are var text
 *     too, so a loop hands them out as quoted literals and filters treat them as var text.
 *
 * The value a QuotedValue stands for lives outside the object (a module-private WeakMap), so no
 * template can read it: not as a member, not by iterating the object, not through a filter.
 * The sandbox (sandbox-runtime.ts, sandbox-filters.ts) lets filters and string methods work on
 * the value itself and makes every string in their result a quoted literal again (requote).
 *
 * Functions that know what they need unwrap it: `literal()` quotes once, `ident()` validates,
 * `number()` validates. `sql(v)` is the explicit, greppable opt-in for arguments that are SQL by
 * design (the `expression` of expression_is_true), which come from the project's own YAML.
 */
export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

const RAW = new WeakMap<QuotedValue, string>();
const QUOTED = new WeakMap<QuotedValue, string>();
/** Mappings made by sqlSafe whose keys are not all identifiers. */
const EXTERNAL = new WeakSet<object>();

export class QuotedValue {
  constructor(raw: string, quoted: string) {
    RAW.set(this, raw);
    QUOTED.set(this, quoted);
  }
  toString(): string {
    return QUOTED.get(this)!;
  }
  valueOf(): string {
    return QUOTED.get(this)!;
  }
  [Symbol.toPrimitive](): string {
    return QUOTED.get(this)!;
  }
  /** Artifacts (manifest, configs) keep the value itself; the sandbox re-quotes `| dump`. */
  toJSON(): string {
    return RAW.get(this)!;
  }
}

/** The text a QuotedValue stands for. Never reachable from a template. */
export function rawOf(v: QuotedValue): string {
  return RAW.get(v)!;
}

export function sqlSafe(v: unknown, quote: (s: string) => string): unknown {
  if (v instanceof String) v = String(v);
  if (typeof v === 'string') return v === '' || IDENT.test(v) ? v : new QuotedValue(v, quoteLiteral(v, quote));
  if (Array.isArray(v)) return v.map((x) => sqlSafe(x, quote));
  if (isPlain(v)) {
    const out = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sqlSafe(x, quote)]));
    if (Object.keys(out).some((k) => !IDENT.test(k))) EXTERNAL.add(out);
    return out;
  }
  return v;
}

/**
 * A value computed from var text that is not an identifier (by a filter, a method, a loop over
 * its characters): every non-empty string in it becomes a quoted literal, an identifier too —
 * pieces of such text printed side by side then merge into one literal instead of forming SQL.
 */
export function requote(v: unknown, quote: (s: string) => string): unknown {
  if (v instanceof String) v = String(v);
  if (typeof v === 'string') return v === '' ? v : new QuotedValue(v, quoteLiteral(v, quote));
  if (Array.isArray(v)) return v.map((x) => requote(x, quote));
  if (isPlain(v)) {
    const out = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, requote(x, quote)]));
    EXTERNAL.add(out);
    return out;
  }
  return v;
}

/**
 * A string literal of the dialect. One holding a backslash starts with a space, so that an `E`
 * printed just before it (an identifier var) cannot turn it into an escape string (DuckDB's
 * E'…', where \' does not end the literal).
 */
export function quoteLiteral(s: string, quote: (s: string) => string): string {
  const q = quote(s);
  return s.includes('\\') ? ` ${q}` : q;
}

/** A mapping from outside whose keys are not all identifiers (see sqlSafe). */
export function isExternalMapping(v: unknown): boolean {
  return typeof v === 'object' && v !== null && EXTERNAL.has(v);
}

/** Whether `v` holds text from outside that is not an identifier (a QuotedValue or an external key), at any depth. */
export function isTainted(v: unknown): boolean {
  if (v instanceof QuotedValue || isExternalMapping(v)) return true;
  if (Array.isArray(v)) return v.some(isTainted);
  if (isPlain(v)) return Object.values(v).some(isTainted);
  return false;
}

/** The value a QuotedValue stands for (deeply for lists and mappings); anything else unchanged. */
export function unwrap(v: unknown): unknown {
  if (v instanceof QuotedValue) return rawOf(v);
  if (Array.isArray(v)) return v.map(unwrap);
  if (isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
  return v;
}

export function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
