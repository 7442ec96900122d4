/**
 * Reading sqlparser-rs' AST (serde JSON) as plain data. An enum value is either a bare string
 * (`"Natural"`) or an object with one key, the variant (`{"Identifier": {...}}`).
 */

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{Tag: payload}` → [Tag, payload]; a bare string variant → [Tag, undefined]. */
export function variant(v: unknown): [string, unknown] | undefined {
  if (typeof v === 'string') return [v, undefined];
  if (!isObj(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 ? [keys[0]!, v[keys[0]!]] : undefined;
}

export function field(v: unknown, key: string): unknown {
  return isObj(v) ? v[key] : undefined;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** An Ident (`{value, quote_style?}`) → its text. */
export function identText(v: unknown): string | undefined {
  const value = field(v, 'value');
  return typeof value === 'string' ? value : undefined;
}

/** An ObjectName: `[{Identifier: Ident}, …]` (or bare Idents) → the parts' text. */
export function nameParts(v: unknown): string[] {
  return list(v).map((p) => identText(variant(p)?.[0] === 'Identifier' ? variant(p)![1] : p) ?? '');
}

/** Every Ident text found anywhere inside `v` (for `USING (…)`, `EXCLUDE (…)` lists). */
export function allIdentTexts(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(allIdentTexts);
  if (!isObj(v)) return [];
  const own = identText(v);
  return own !== undefined ? [own] : Object.values(v).flatMap(allIdentTexts);
}

/** Keys that carry source positions or tokens, not meaning. */
const NOISE = new Set(['span', 'select_token', 'wildcard_token', 'case_token', 'end_token', 'with_token', 'closing_paren_token', 'quote_style']);
