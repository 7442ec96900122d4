/**
 * Config mappings and data-test entries (`tests:` / `data_tests:`) in every dbt form:
 *   - not_null
 *   - relationships: { to: "ref('x')", field: id, severity: warn }   # legacy top-level config
 *   - accepted_values: { values: [a, b], config: { severity: warn } }
 *   - accepted_values: { arguments: { values: [a, b] }, config: {...} }  # dbt 1.10
 */
import { isMap, isScalar } from 'yaml';
import { checkConfigEntry, TEST_CONFIG_KEYS, type ConfigKind } from './schema.js';
import { deref, describe, IDENT_RE, lineOf, MapView, toJS, type Ctx } from './yamlread.js';
import type { TestSpec } from './types.js';

const TEST_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** Validate the entries of a config mapping against the rules of `kind`. */
export function readConfigMap(view: MapView, kind: ConfigKind, into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const key of view.keys()) {
    const r = checkConfigEntry(kind, key, toJS(view.ctx, view.get(key)));
    if ('value' in r) {
      if (r.value !== undefined) into[key] = r.value;
      continue;
    }
    const line = r.problem.code === 'E_UNKNOWN_KEY' ? view.keyLine(key) : view.valueLine(key);
    view.ctx.bag.error(r.problem.code, view.ctx.file, line, `${view.what}: ${r.problem.message}`, r.problem.hint);
  }
  return into;
}

/** `config:` of an entry, validated; {} when absent. */
export function readConfig(view: MapView, kind: ConfigKind): Record<string, unknown> {
  const m = view.map('config', `${view.what} config`);
  return m ? readConfigMap(m, kind) : {};
}

/** `tests:` or `data_tests:` (not both) of an entry. */
export function readTests(view: MapView): TestSpec[] {
  if (view.get('tests') !== undefined && view.get('data_tests') !== undefined) {
    view.err('E_BAD_VALUE', 'data_tests', `${view.what}: use either 'tests' or 'data_tests', not both`);
  }
  const key = view.get('data_tests') !== undefined ? 'data_tests' : 'tests';
  const seq = view.seq(key);
  if (!seq) return [];
  const out: TestSpec[] = [];
  for (const item of seq.items) {
    const t = readTest(view.ctx, item, `${view.what} test`);
    if (t) out.push(t);
  }
  return out;
}

function checkTestName(ctx: Ctx, name: string, line: number): boolean {
  if (TEST_NAME_RE.test(name)) return true;
  ctx.bag.error('E_BAD_NAME', ctx.file, line, `test name '${name}' is not a valid identifier`);
  return false;
}

function readTest(ctx: Ctx, item: unknown, what: string): TestSpec | undefined {
  const node = deref(ctx, item);
  const line = lineOf(ctx, item);
  const loc = { file: ctx.file, line };
  if (node !== undefined && isScalar(node) && typeof node.value === 'string') {
    return checkTestName(ctx, node.value, line) ? { name: node.value, args: {}, config: {}, loc } : undefined;
  }
  if (node === undefined || !isMap(node) || node.items.length !== 1) {
    const got = node !== undefined && isMap(node) ? `a mapping with ${node.items.length} keys` : describe(node);
    ctx.bag.error('E_BAD_TYPE', ctx.file, line, `${what}: expected a test name or a mapping with one key (the test name), got ${got}`);
    return undefined;
  }
  const view = new MapView(ctx, node, what);
  const name = view.keys()[0]!;
  if (!checkTestName(ctx, name, line)) return undefined;
  const body = view.get(name);
  if (body === undefined) return { name, args: {}, config: {}, loc };
  if (!isMap(body)) {
    view.typeErr(name, 'a mapping of test arguments');
    return undefined;
  }
  return { name, ...readTestBody(new MapView(ctx, body, `test '${name}'`)), loc };
}

function readTestBody(view: MapView): { args: Record<string, unknown>; config: Record<string, unknown> } {
  const config = readConfig(view, 'test');
  const hasArguments = view.get('arguments') !== undefined;
  const args: Record<string, unknown> = hasArguments ? (view.record('arguments') ?? {}) : {};
  // argument names are the keyword names of the test macro's call: identifiers only
  const argView = hasArguments ? view.map('arguments', `${view.what} arguments`) : undefined;
  for (const key of Object.keys(args)) {
    if (validArgumentName(key)) continue;
    badArgumentName(argView ?? view, key);
    delete args[key];
  }
  for (const key of view.keys()) {
    if (key === 'config' || key === 'arguments') continue;
    if ((TEST_CONFIG_KEYS as readonly string[]).includes(key)) {
      moveLegacyConfig(view, key, config);
    } else if (hasArguments) {
      view.ctx.bag.error('E_UNKNOWN_KEY', view.ctx.file, view.keyLine(key), `${view.what}: unexpected key '${key}' next to 'arguments'`, `move '${key}' under 'arguments:'`);
    } else if (!validArgumentName(key)) {
      badArgumentName(view, key);
    } else {
      args[key] = toJS(view.ctx, view.get(key));
    }
  }
  return { args, config };
}

function validArgumentName(key: string): boolean {
  return IDENT_RE.test(key) && !(key in Object.prototype);
}

function badArgumentName(view: MapView, key: string): void {
  view.ctx.bag.error('E_BAD_NAME', view.ctx.file, view.keyLine(key), `${view.what}: argument name '${key.slice(0, 60)}' is not a valid name`, "argument names are letters, digits and _ (not starting with a digit), as the macro's parameters are");
}

/** dbt's legacy form: config keys (severity, where, …) written next to the arguments. */
function moveLegacyConfig(view: MapView, key: string, config: Record<string, unknown>): void {
  if (key in config) {
    view.err('E_BAD_VALUE', key, `${view.what}: '${key}' is given both at the top level and under 'config:'`, `keep only config.${key}`);
    return;
  }
  const r = checkConfigEntry('test', key, toJS(view.ctx, view.get(key)));
  if ('problem' in r) view.err(r.problem.code, key, `${view.what}: ${r.problem.message}`, r.problem.hint);
  else if (r.value !== undefined) config[key] = r.value;
}
