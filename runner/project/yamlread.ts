/**
 * Small typed readers over eemeli/yaml nodes that report problems (with file and line) into a
 * DiagnosticBag instead of throwing. Pure: no Node built-ins.
 */
import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node, Pair, YAMLMap, YAMLSeq } from 'yaml';
import { didYouMean, type DiagnosticBag } from '../core/diagnostics.js';
import type { Loc } from './types.js';
import { checkYamlLimits, guardedToJS } from './yaml-limits.js';

export interface Ctx {
  file: string;
  doc: Document;
  lc: LineCounter;
  bag: DiagnosticBag;
}

/** Valid identifier for models, sources, tables, columns, seeds. */
export const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parse YAML text; on syntax errors report them and return undefined. Every repeated key is
 * reported (each is a mistake of its own); of the other syntax errors only the first, with the
 * count of the rest: after a broken structure (an unclosed bracket, a bad indent) the parser
 * reports nearly every later line, and those reports follow from the first. Hostile YAML (alias
 * bombs, recursive aliases, deep nesting: yaml-limits.ts) is reported the same way.
 */
export function parseYaml(file: string, text: string, bag: DiagnosticBag): Ctx | undefined {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const lineOfError = (pos: number) => (pos >= 0 ? lc.linePos(pos).line : 0);
  const syntax = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY');
  for (const e of doc.errors) {
    const line = lineOfError(e.pos[0]);
    if (e.code !== 'DUPLICATE_KEY') {
      if (e !== syntax[0]) continue;
      const more = syntax.length - 1;
      const after = more > 0 ? `; ${more} more syntax error${more === 1 ? '' : 's'} after it (from line ${lineOfError(syntax[1]!.pos[0])}) may follow from this one` : '';
      bag.error('E_YAML_PARSE', file, line, `YAML syntax error: ${e.message.split('\n')[0]}${after}`, ...(more > 0 ? ['fix this one first and read the file again'] : []));
      continue;
    }
    // a repeated key is named (the line's key as written), so the fix is plain: merge the two
    const repeated = line > 0 ? /^\s*(?:-\s+)?([^\s:#][^:#]{0,79}?)\s*:/.exec(text.split('\n')[line - 1] ?? '')?.[1] : undefined;
    if (repeated && !/[\u0000-\u001f\u007f-\u009f]/.test(repeated)) bag.error('E_YAML_PARSE', file, line, `YAML syntax error: the key '${repeated}' appears twice in one mapping`, `merge the two '${repeated}' entries into one`);
    else bag.error('E_YAML_PARSE', file, line, `YAML syntax error: ${e.message.split('\n')[0]}`);
  }
  for (const w of doc.warnings) {
    const line = w.pos[0] >= 0 ? lc.linePos(w.pos[0]).line : 0;
    bag.warn('W_YAML', file, line, `YAML warning: ${w.message.split('\n')[0]}`);
  }
  if (doc.errors.length > 0) return undefined;
  const limit = checkYamlLimits(doc);
  if (limit) {
    bag.error(limit.code, file, limit.offset >= 0 ? lc.linePos(limit.offset).line : 0, limit.message, limit.hint);
    return undefined;
  }
  return { file, doc, lc, bag };
}

export function deref(ctx: Ctx, node: unknown): Node | undefined {
  if (node === null || node === undefined) return undefined;
  if (isAlias(node)) return deref(ctx, node.resolve(ctx.doc));
  if (isScalar(node) && node.value === null) return undefined;
  return node as Node;
}

export function lineOf(ctx: Ctx, node: unknown, fallback = 0): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? ctx.lc.linePos(range[0]).line : fallback;
}

export function locOf(ctx: Ctx, node: unknown, fallback = 0): Loc {
  return { file: ctx.file, line: lineOf(ctx, node, fallback) };
}

/** The plain value of a node; undefined (and an error reported) when the YAML library refuses it. */
export function toJS(ctx: Ctx, node: Node | undefined): unknown {
  if (node === undefined) return undefined;
  const r = guardedToJS(() => node.toJS(ctx.doc));
  if ('value' in r) return r.value;
  ctx.bag.error('E_YAML_ALIAS', ctx.file, lineOf(ctx, node), r.message, 'write the values out, or use fewer aliases');
  return undefined;
}

export function describe(node: Node | undefined): string {
  if (node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'null' : `a ${typeof node.value}`;
  return 'an unsupported value';
}

/** A YAML mapping whose keys were checked against an allowed list. */
export class MapView {
  readonly pairs = new Map<string, Pair>();
  readonly line: number;

  constructor(
    readonly ctx: Ctx,
    readonly node: YAMLMap,
    readonly what: string,
  ) {
    this.line = lineOf(ctx, node);
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      this.pairs.set(k, pair);
    }
  }

  keys(): string[] {
    return [...this.pairs.keys()];
  }

  keyLine(key: string): number {
    return lineOf(this.ctx, this.pairs.get(key)?.key, this.line);
  }

  /** Value node (aliases resolved, explicit null as absent). */
  get(key: string): Node | undefined {
    return deref(this.ctx, this.pairs.get(key)?.value);
  }

  valueLine(key: string): number {
    const pair = this.pairs.get(key);
    return lineOf(this.ctx, deref(this.ctx, pair?.value), this.keyLine(key));
  }

  err(code: string, key: string, message: string, hint?: string): void {
    this.ctx.bag.error(code, this.ctx.file, this.valueLine(key), message, hint);
  }

  typeErr(key: string, expected: string): void {
    const got = describe(this.get(key));
    this.err('E_BAD_TYPE', key, `${this.what}: '${key}' must be ${expected}, got ${got}`);
  }

  checkKeys(allowed: readonly string[], required: readonly string[] = []): void {
    for (const key of this.pairs.keys()) {
      if (allowed.includes(key)) continue;
      const hint = didYouMean(key, allowed) ?? `allowed keys: ${allowed.join(', ')}`;
      this.ctx.bag.error('E_UNKNOWN_KEY', this.ctx.file, this.keyLine(key), `${this.what}: unknown key '${key}'`, hint);
    }
    for (const key of required) {
      if (this.get(key) !== undefined) continue;
      this.ctx.bag.error('E_MISSING_KEY', this.ctx.file, this.line, `${this.what}: missing required key '${key}'`);
    }
  }

  str(key: string): string | undefined {
    const n = this.get(key);
    if (n === undefined) return undefined;
    if (isScalar(n) && typeof n.value === 'string') return n.value;
    this.typeErr(key, 'a string');
    return undefined;
  }

  bool(key: string): boolean | undefined {
    const n = this.get(key);
    if (n === undefined) return undefined;
    if (isScalar(n) && typeof n.value === 'boolean') return n.value;
    this.typeErr(key, 'a boolean (true/false)');
    return undefined;
  }

  /** A list of strings; a single string is accepted as a one-element list when `single`. */
  strList(key: string, single = false): string[] | undefined {
    const n = this.get(key);
    if (n === undefined) return undefined;
    if (single && isScalar(n) && typeof n.value === 'string') return [n.value];
    const js = isSeq(n) ? toJS(this.ctx, n) : undefined;
    if (Array.isArray(js) && js.every((v) => typeof v === 'string')) return js as string[];
    this.typeErr(key, single ? 'a string or a list of strings' : 'a list of strings');
    return undefined;
  }

  seq(key: string): YAMLSeq | undefined {
    const n = this.get(key);
    if (n === undefined) return undefined;
    if (isSeq(n)) return n;
    this.typeErr(key, 'a list');
    return undefined;
  }

  map(key: string, what: string): MapView | undefined {
    const n = this.get(key);
    if (n === undefined) return undefined;
    if (isMap(n)) return new MapView(this.ctx, n, what);
    this.typeErr(key, 'a mapping');
    return undefined;
  }

  /** A free-form mapping converted to plain JS. */
  record(key: string): Record<string, unknown> | undefined {
    const n = this.get(key);
    if (n === undefined) return undefined;
    if (isMap(n)) return toJS(this.ctx, n) as Record<string, unknown>;
    this.typeErr(key, 'a mapping');
    return undefined;
  }
}

/** Items of a sequence that are mappings; others are reported. */
export function mapItems(ctx: Ctx, seq: YAMLSeq, what: string): MapView[] {
  const out: MapView[] = [];
  for (const item of seq.items) {
    const n = deref(ctx, item);
    if (n !== undefined && isMap(n)) out.push(new MapView(ctx, n, what));
    else ctx.bag.error('E_BAD_TYPE', ctx.file, lineOf(ctx, item), `${what}: each entry must be a mapping, got ${describe(n)}`);
  }
  return out;
}

/** Read `name`, require it, and check it is an identifier. */
export function readName(view: MapView, kind: string): string | undefined {
  const name = view.str('name');
  if (name === undefined) return undefined;
  if (!IDENT_RE.test(name)) {
    view.err('E_BAD_NAME', 'name', `${kind} name '${name}' is not a valid identifier`, 'use letters, digits and _ (not starting with a digit)');
  }
  return name;
}
