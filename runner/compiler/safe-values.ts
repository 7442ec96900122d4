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
 *     element; the empty string stays empty (it cannot inject anything, and stays falsy).
 *
 * Functions that know what they need unwrap it: `literal()` quotes once, `ident()` validates,
 * `number()` validates. `sql(v)` is the explicit, greppable opt-in for arguments that are SQL by
 * design (the `expression` of expression_is_true), which come from the project's own YAML.
 */
export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class QuotedValue {
  constructor(
    readonly raw: string,
    private readonly quoted: string,
  ) {}
  toString(): string {
    return this.quoted;
  }
  valueOf(): string {
    return this.quoted;
  }
  [Symbol.toPrimitive](): string {
    return this.quoted;
  }
  /** Artifacts (manifest, configs) keep the value itself. */
  toJSON(): string {
    return this.raw;
  }
}

export function sqlSafe(v: unknown, quote: (s: string) => string): unknown {
  if (typeof v === 'string') return v === '' || IDENT.test(v) ? v : new QuotedValue(v, quote(v));
  if (Array.isArray(v)) return v.map((x) => sqlSafe(x, quote));
  if (isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sqlSafe(x, quote)]));
  return v;
}

/** The value a QuotedValue stands for (deeply for lists and mappings); anything else unchanged. */
export function unwrap(v: unknown): unknown {
  if (v instanceof QuotedValue) return v.raw;
  if (Array.isArray(v)) return v.map(unwrap);
  if (isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
  return v;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}
