/**
 * dbt's node selection grammar (the common cases). Pure.
 *
 *   --select "a b"         union (spaces, and across the array's strings)
 *   --select "a,b"         intersection
 *   name | stg_*           node name (glob); sources also as `source_name.name`
 *   models/trusted | x.sql bare values with a `/` use the path method, with an extension the file one
 *   tag:x  path:p  file:f  resource_type:t  config.<key>:v  source:s[.t]  test_type:t  test_name:n
 *   fqn:stedi.trusted.x    dbt's fqn method: a leading run of fqn parts, or the node name; wildcards
 *   state:modified[.body|.configs|.vars|.macros]  state:new|old|unmodified   against --state's manifest (state.ts)
 *   result:error|fail|skipped|warn|pass|success|cancelled   the status in --state's run_results.json
 *   +x  x+  2+x+3  @x      ancestors, descendants (depth-limited), x + descendants + their ancestors
 *
 * Tests are selected indirectly (dbt's default "eager" mode): a test whose parent is selected
 * is selected, a unit test whose model is selected is selected. Exclusion uses the same grammar
 * and the same indirect selection (so `--exclude orders` also drops the tests on orders).
 * Disabled nodes (`config.enabled === false`) are never selected.
 */
import { didYouMean } from '../core/diagnostics.js';
import { isModel, type ManifestNode, type ResourceType } from '../manifest/types.js';
import { walk, type Graph } from './dag.js';
import { STATE_VALUES, stateValues, type StatePart } from './state.js';

export interface SelectionError {
  message: string;
  hint?: string;
  /** `no_match`: a criterion matched no enabled node (a warning, as in dbt); `invalid`: a bad selector (an error). */
  kind?: 'no_match' | 'invalid';
}

export interface SelectOptions {
  select?: string[];
  exclude?: string[];
  /** Keeps only these types at the very end (`stedi run` = ['model'], …). Empty = all. */
  resourceTypes?: ResourceType[];
  /** `--state`: what the `state:` and `result:` methods compare with. Without it they are invalid. */
  state?: SelectionState;
  /** Nodes chosen by unique_id instead of `select` (`stedi retry`); their tests are added as for any selection. */
  ids?: string[];
}

export interface SelectionState {
  /** The state folder, as given (for messages). */
  dir: string;
  /** compareState(): unique_id → the parts that differ, or 'new'. */
  diff: Map<string, StatePart[] | 'new'>;
  /** unique_id → status in the state's run_results.json; undefined when the folder has none. */
  results?: Map<string, string>;
}

export const RESOURCE_TYPES: readonly ResourceType[] = ['model', 'seed', 'source', 'test', 'unit_test'];
/** `config.<key>` falls back to these node fields when the config does not hold the key. */
const CONFIG_FIELDS = new Set(['materialized', 'severity', 'tags']);

type Matcher = (n: ManifestNode) => boolean;

interface Criterion {
  raw: string;
  at: boolean;
  /** Hops of `n+x` / `x+n`: Infinity for a bare `+`, undefined without one. */
  up?: number;
  down?: number;
  method: string;
  key?: string;
  value: string;
}

/** How `-s` names a node: `source:landing.customer` for a source, its name otherwise. */
export function selectorOf(n: ManifestNode): string {
  return n.resource_type === 'source' ? `source:${n.source_name}.${n.name}` : n.name;
}

export function select(graph: Graph, opts: SelectOptions): { ids: Set<string>; errors: SelectionError[] } {
  const errors: SelectionError[] = [];
  const chosen = opts.ids ? byId(graph, opts.ids, errors) : hasTerms(opts.select) ? evaluate(graph, opts.select!, errors, opts.state) : new Set(graph.nodes.keys());
  const selected = withIndirect(graph, chosen);
  if (hasTerms(opts.exclude)) {
    for (const id of withIndirect(graph, evaluate(graph, opts.exclude!, errors, opts.state))) selected.delete(id);
  }
  const types = opts.resourceTypes?.length ? new Set(opts.resourceTypes) : undefined;
  const keep = (n?: ManifestNode): boolean => !!n && isEnabled(n) && (!types || types.has(n.resource_type));
  const ids = new Set([...selected].filter((id) => keep(graph.nodes.get(id))));
  return { ids, errors: [...new Map(errors.map((e) => [e.message, e])).values()] };
}

function byId(graph: Graph, ids: string[], errors: SelectionError[]): Set<string> {
  const gone = ids.filter((id) => !graph.nodes.has(id));
  if (gone.length) errors.push({ kind: 'no_match', message: `${gone.length} node${gone.length === 1 ? ' is' : 's are'} no longer in the project: ${gone.sort().join(', ')}` });
  return new Set(ids.filter((id) => graph.nodes.has(id)));
}

function hasTerms(values: string[] | undefined): boolean {
  return (values ?? []).some((v) => v.trim() !== '');
}

function isEnabled(n: ManifestNode): boolean {
  return n.config.enabled !== false;
}

/** Union of the space-separated terms; each term is the intersection of its comma parts. */
function evaluate(graph: Graph, values: string[], errors: SelectionError[], state: SelectionState | undefined): Set<string> {
  const out = new Set<string>();
  for (const term of values.flatMap((v) => v.trim().split(/\s+/)).filter(Boolean)) {
    let acc: Set<string> | undefined;
    for (const atom of term.split(',').filter(Boolean)) {
      const ids = evaluateAtom(graph, atom, errors, state);
      acc = acc ? new Set([...acc].filter((id) => ids.has(id))) : ids;
    }
    for (const id of acc ?? []) out.add(id);
  }
  return out;
}

function evaluateAtom(graph: Graph, atom: string, errors: SelectionError[], state: SelectionState | undefined): Set<string> {
  const compiled = compileAtom(atom, state);
  if ('message' in compiled) {
    errors.push(compiled);
    return new Set();
  }
  const { c, m } = compiled;
  const base = new Set<string>();
  for (const [id, n] of graph.nodes) if (isEnabled(n) && m(n)) base.add(id);
  if (base.size === 0) errors.push(noMatch(graph, c, state));
  return expand(graph, c, base);
}

function expand(graph: Graph, c: Criterion, base: Set<string>): Set<string> {
  const up = (id: string): string[] => graph.parents.get(id) ?? [];
  const down = (id: string): string[] => graph.children.get(id) ?? [];
  if (c.at) {
    const below = new Set([...base, ...walk(base, down)]);
    return new Set([...below, ...walk(below, up)]);
  }
  const out = new Set(base);
  if (c.up !== undefined) for (const id of walk(base, up, c.up)) out.add(id);
  if (c.down !== undefined) for (const id of walk(base, down, c.down)) out.add(id);
  return out;
}

const ATOM_RE = /^(@)?(?:(\d*)\+)?(.*?)(?:\+(\d*))?$/;
const METHOD_RE = /^([A-Za-z_]\w*)(?:\.([\w.]+))?:(.*)$/;
function parseCriterion(raw: string): Criterion | SelectionError {
  const m = ATOM_RE.exec(raw)!;
  const [, at, upN, body = '', downN] = m;
  if (at && upN !== undefined) return invalid(`'${raw}': '@' and a leading '+' cannot be combined`);
  const base = { raw, at: !!at, up: hops(upN), down: hops(downN) };
  const mm = METHOD_RE.exec(body);
  if (mm) {
    const [, method = '', key, value = ''] = mm;
    if (value === '') return invalid(`'${raw}': the '${method}' method needs a value`);
    const v = method === 'path' ? normPath(value) : value;
    return { ...base, method, ...(key !== undefined ? { key } : {}), value: v };
  }
  if (body === '') return invalid(`'${raw}' is not a valid selector`);
  // As dbt: a value with a `/` is a path, one ending in a file extension a file name.
  if (body.includes('/')) return { ...base, method: 'path', value: normPath(body) };
  return { ...base, method: /\.(sql|ya?ml|csv)$/.test(body) ? 'file' : 'name', value: body };
}

function hops(s: string | undefined): number | undefined {
  return s === undefined ? undefined : s === '' ? Infinity : Number(s);
}

function normPath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

function compileAtom(atom: string, state: SelectionState | undefined): { c: Criterion; m: Matcher } | SelectionError {
  const c = parseCriterion(atom);
  if ('message' in c) return c;
  const m = matcher(c, state);
  return 'message' in m ? m : { c, m };
}

/** An `invalid` error; the defined hint parts are joined by spaces. */
function invalid(message: string, ...hints: (string | undefined)[]): SelectionError {
  const hint = hints.filter(Boolean).join(' ');
  return { message, kind: 'invalid', ...(hint ? { hint } : {}) };
}

/** What each method compares the value with: a node matches when the glob matches one of them. */
const METHODS: Record<string, (n: ManifestNode, key: string, state?: SelectionState) => string[]> = {
  name: (n) => (n.resource_type === 'source' ? [n.name, `${n.source_name}.${n.name}`] : [n.name]),
  tag: (n) => n.tags,
  path: (n) => pathPrefixes(n.original_file_path),
  file: (n) => [fileName(n), fileName(n).replace(/\.[^.]*$/, '')],
  resource_type: (n) => [n.resource_type],
  config: configValues,
  source: (n) => (n.resource_type === 'source' ? [n.source_name, `${n.source_name}.${n.name}`] : []),
  test_type: testTypes,
  test_name: (n) => (n.resource_type === 'test' ? [n.test_metadata.name] : []),
  fqn: (n) => [n.fqn.join('.')],
  state: (n, _k, state) => stateValues(state?.diff.get(n.unique_id)),
  result: (n, _k, state) => {
    const status = state?.results?.get(n.unique_id);
    return status ? [status] : [];
  },
};
/** Methods that read `--state`. */
const STATEFUL = new Set(['state', 'result']);
/** Methods whose value must be one of a fixed list. */
const ENUMS: Record<string, readonly string[]> = {
  resource_type: RESOURCE_TYPES,
  test_type: ['generic', 'singular', 'data', 'unit'],
  state: STATE_VALUES,
  result: ['success', 'error', 'fail', 'skipped', 'warn', 'pass', 'cancelled'],
};
export const SELECTOR_METHODS = Object.keys(METHODS).filter((m) => m !== 'name');

function matcher(c: Criterion, state: SelectionState | undefined): Matcher | SelectionError {
  if ((c.key === undefined) === (c.method === 'config')) {
    const what = c.method === 'config' ? 'the config method needs a key' : 'only the config method takes a key';
    return invalid(`'${c.raw}': ${what}`, 'write config.<key>:<value>, e.g. config.materialized:table');
  }
  const values = Object.hasOwn(METHODS, c.method) ? METHODS[c.method] : undefined;
  if (!values) {
    const list = `valid methods: ${SELECTOR_METHODS.join(', ')} (config as config.<key>), or a bare node name`;
    return invalid(`'${c.raw}': unknown selector method '${c.method}'`, didYouMean(c.method, SELECTOR_METHODS), list);
  }
  const allowed = Object.hasOwn(ENUMS, c.method) ? ENUMS[c.method] : undefined;
  if (allowed && !allowed.includes(c.value)) {
    const list = `valid values: ${allowed.join(', ')}`;
    return invalid(`'${c.raw}': '${c.value}' is not a valid ${c.method}`, didYouMean(c.value, allowed), list);
  }
  if (STATEFUL.has(c.method) && !state) return invalid(`'${c.raw}': the ${c.method} method needs --state <dir>`, 'the target folder of an earlier run (its manifest.json and run_results.json), e.g. a copy of target/ from the main branch');
  if (c.method === 'result' && !state?.results) return invalid(`'${c.raw}': the result method reads ${state!.dir}/run_results.json, which is not there`, 'point --state at a target folder a build, run, test or seed wrote');
  if (c.method === 'fqn') return fqnMatcher(c.value);
  const g = glob(c.value);
  return (n) => values(n, c.key ?? '', state).some((v) => g.test(v));
}

/**
 * dbt's fqn method: the selector's dot-separated parts match the first parts of the node's fqn
 * (a node name holding dots counts as several parts), or the selector is the node's name; from
 * the first part with a wildcard on, the rest is matched as one glob over the rest of the fqn.
 */
function fqnMatcher(selector: string): Matcher {
  const want = selector.split('.');
  const wild = want.findIndex((p) => /[*?]/.test(p));
  return (n) => {
    if (n.fqn[n.fqn.length - 1] === selector) return true;
    const have = n.fqn.flatMap((p) => p.split('.'));
    if (have.length < want.length) return false;
    const fixed = wild === -1 ? want.length : wild;
    for (let i = 0; i < fixed; i++) if (have[i] !== want[i]) return false;
    return wild === -1 || glob(want.slice(wild).join('.')).test(have.slice(wild).join('.'));
  };
}

/** `models/trusted/x.sql` → `models`, `models/trusted`, `models/trusted/x.sql`. */
function pathPrefixes(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

function fileName(n: ManifestNode): string {
  return n.original_file_path.slice(n.original_file_path.lastIndexOf('/') + 1);
}

function testTypes(n: ManifestNode): string[] {
  if (n.resource_type === 'unit_test') return ['unit'];
  if (n.resource_type !== 'test') return [];
  return ['data', n.test_metadata?.name ? 'generic' : 'singular'];
}

/** The values `config.<key>` compares against, as strings (arrays: every element). */
function configValues(n: ManifestNode, key: string): string[] {
  let v = n.config[key];
  if (v === undefined && CONFIG_FIELDS.has(key)) v = (n as unknown as Record<string, unknown>)[key];
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

/** Glob (`*`, `?`) over the whole string, case-sensitive like dbt's fnmatch. */
function glob(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function noMatch(graph: Graph, c: Criterion, state: SelectionState | undefined): SelectionError {
  const hint = STATEFUL.has(c.method) ? undefined : didYouMean(c.value, candidates(graph, c));
  const against = state && STATEFUL.has(c.method) ? ` (compared with the state in ${state.dir})` : '';
  const message = `The selection criterion '${c.raw}' does not match any enabled nodes${against}`;
  return { message, kind: 'no_match', ...(hint ? { hint } : {}) };
}

/** Existing values for the criterion's method, for the "did you mean" hint. */
function candidates(graph: Graph, c: Criterion): Set<string> {
  const values = METHODS[c.method] ?? (() => []);
  const out = new Set<string>();
  for (const n of graph.nodes.values()) if (isEnabled(n)) values(n, c.key ?? '').forEach((v) => out.add(v));
  return out;
}

/** dbt's eager indirect selection: tests of selected parents, unit tests of selected models. */
function withIndirect(graph: Graph, chosen: Set<string>): Set<string> {
  const out = new Set(chosen);
  const modelNames = new Set([...chosen].map((id) => graph.nodes.get(id)!).filter(isModel).map((n) => n.name));
  for (const [id, n] of graph.nodes) {
    if (out.has(id)) continue;
    if (n.resource_type === 'test') {
      const parents = [...(graph.parents.get(id) ?? []), n.attached_node];
      if (parents.some((p) => chosen.has(p))) out.add(id);
    } else if (n.resource_type === 'unit_test' && (chosen.has(n.model) || modelNames.has(n.model))) {
      out.add(id);
    }
  }
  return out;
}
