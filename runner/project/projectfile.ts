/** `stedi_project.yml`: strict parse into ProjectConfig. Pure. */
import { isMap, isScalar } from 'yaml';
import { didYouMean, type DiagnosticBag } from '../core/diagnostics.js';
import { checkConfigEntry, MODEL_CONFIG_KEYS, PROJECT_KEYS } from './schema.js';
import {
  applyTargetDefaults,
  checkTargetValue,
  checkTemplate,
  isTemplated,
  targetKeys,
  TARGET_TYPES,
} from './target.js';
import { targetSpec } from '../targets/registry.js';
import type { FolderConfig, Loc, ProjectConfig, TargetConfig } from './types.js';
import { deref, describe, lineOf, MapView, parseYaml, toJS } from './yamlread.js';

export const PROJECT_NAME_RE = /^[a-z_][a-z0-9_]*$/;

type Target = TargetConfig & { loc: Loc };

export function defaultProjectConfig(file: string): ProjectConfig {
  return {
    name: '',
    version: '',
    model_paths: ['models'],
    seed_paths: ['seeds'],
    macro_paths: ['macros'],
    test_paths: [],
    target_path: 'target',
    clean_targets: ['target'],
    vars: {},
    default_target: '',
    targets: {},
    model_configs: [],
    loc: { file, line: 1 },
  };
}

/**
 * Parse the project file; always returns a config (defaults where unreadable). `read.unreadable`
 * is set when the file is not a readable mapping at all: then nothing of the project can be
 * resolved (folders, vars, targets), and every later error would only follow from this one.
 */
export function parseProjectFile(file: string, text: string, bag: DiagnosticBag, read: { unreadable?: boolean } = {}): ProjectConfig {
  const cfg = defaultProjectConfig(file);
  const ctx = parseYaml(file, text, bag);
  if (!ctx) {
    read.unreadable = true;
    return cfg;
  }
  const root = ctx.doc.contents;
  if (!root || !isMap(root)) {
    bag.error('E_BAD_TYPE', file, lineOf(ctx, root, 1), `${file} must be a mapping, got ${describe(deref(ctx, root))}`);
    read.unreadable = true;
    return cfg;
  }
  const v = new MapView(ctx, root, file);
  v.checkKeys(PROJECT_KEYS, ['name', 'default-target', 'targets']);
  cfg.loc = { file, line: v.line };
  cfg.name = readProjectName(v);
  cfg.version = readVersion(v);
  cfg.model_paths = readPaths(v, 'model-paths') ?? cfg.model_paths;
  cfg.seed_paths = readPaths(v, 'seed-paths') ?? cfg.seed_paths;
  cfg.macro_paths = readPaths(v, 'macro-paths') ?? cfg.macro_paths;
  cfg.test_paths = readPaths(v, 'test-paths') ?? cfg.test_paths;
  cfg.target_path = readPaths(v, 'target-path', true)?.[0] ?? cfg.target_path;
  cfg.clean_targets = readPaths(v, 'clean-targets') ?? [cfg.target_path];
  cfg.vars = v.record('vars') ?? {};
  cfg.targets = readTargets(v);
  cfg.default_target = readDefaultTarget(v, cfg.targets);
  cfg.model_configs = readFolderConfigs(v);
  return cfg;
}

function readProjectName(v: MapView): string {
  const name = v.str('name') ?? '';
  if (name !== '' && !PROJECT_NAME_RE.test(name)) {
    v.err('E_BAD_NAME', 'name', `project name '${name}' is invalid`, 'use lower-case letters, digits and _ (not starting with a digit)');
  }
  return name;
}

function readVersion(v: MapView): string {
  const n = v.get('version');
  if (n === undefined) return '';
  if (isScalar(n) && typeof n.value === 'string') return n.value;
  v.err('E_BAD_TYPE', 'version', `${v.what}: 'version' must be a string, got ${describe(n)}`, 'quote it, e.g. version: "1.0"');
  return '';
}

function normalizePath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** A list of relative paths (or a single path when `single`). */
function readPaths(v: MapView, key: string, single = false): string[] | undefined {
  const raw = single ? (v.str(key) === undefined ? undefined : [v.str(key)!]) : v.strList(key, true);
  if (raw === undefined) return undefined;
  const paths = raw.map(normalizePath);
  for (const p of paths) {
    if (p === '' || p === '.') v.err('E_BAD_VALUE', key, `${v.what}: '${key}' must name a folder inside the project, got '${p}'`);
  }
  return paths.filter((p) => p !== '' && p !== '.');
}

function readDefaultTarget(v: MapView, targets: Record<string, Target>): string {
  const name = v.str('default-target') ?? '';
  const names = Object.keys(targets);
  if (name !== '' && v.get('targets') !== undefined && !(name in targets)) {
    const hint = didYouMean(name, names) ?? `defined targets: ${names.join(', ') || '(none)'}`;
    v.err('E_UNKNOWN_TARGET', 'default-target', `default-target '${name}' is not defined under 'targets:'`, hint);
  }
  return name;
}

function readTargets(v: MapView): Record<string, Target> {
  const m = v.map('targets', 'targets');
  const out: Record<string, Target> = {};
  if (!m) return out;
  for (const name of m.keys()) {
    const node = m.get(name);
    if (node === undefined || !isMap(node)) {
      m.typeErr(name, 'a mapping');
      continue;
    }
    const t = readTarget(new MapView(v.ctx, node, `target '${name}'`), m.keyLine(name));
    if (t) out[name] = t;
  }
  return out;
}

function readTarget(v: MapView, line: number): Target | undefined {
  const type = v.str('type');
  if (type === undefined) {
    if (v.get('type') === undefined) v.checkKeys(v.keys(), ['type']);
    return undefined;
  }
  if (!(TARGET_TYPES as readonly string[]).includes(type)) {
    v.err('E_BAD_VALUE', 'type', `${v.what}: unknown target type '${type}'`, didYouMean(type, TARGET_TYPES) ?? `allowed: ${TARGET_TYPES.join(', ')}`);
    return undefined;
  }
  const tt = type;
  const keys = targetKeys(tt);
  v.checkKeys(keys, targetSpec(tt).required);
  const out: Record<string, unknown> = { type: tt };
  for (const key of v.keys()) {
    if (key === 'type' || !keys.includes(key)) continue;
    const value = toJS(v.ctx, v.get(key));
    if (value === undefined) continue;
    const r = isTemplated(value) ? templated(key, value) : checkTargetValue(tt, key, value);
    if ('problem' in r) v.err(r.problem.code, key, `${v.what}: ${r.problem.message}`, r.problem.hint);
    else out[key] = r.value;
  }
  return { ...applyTargetDefaults(tt, out), loc: { file: v.ctx.file, line } } as Target;
}

function templated(key: string, value: string): ReturnType<typeof checkTargetValue> {
  const problem = checkTemplate(key, value);
  return problem ? { problem } : { value };
}

/** `models:` folder configs: `+key` entries are configs, other keys are sub-folders. */
function readFolderConfigs(v: MapView): FolderConfig[] {
  const m = v.map('models', 'models');
  if (!m) return [];
  const out: FolderConfig[] = [];
  walkFolder(m, '', v.keyLine('models'), out);
  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => depth(a.f.path) - depth(b.f.path) || a.i - b.i)
    .map((x) => x.f);
}

function depth(path: string): number {
  return path === '' ? 0 : path.split('/').length;
}

function walkFolder(m: MapView, path: string, line: number, out: FolderConfig[]): void {
  const config: Record<string, unknown> = {};
  for (const key of m.keys().filter((k) => k.startsWith('+'))) {
    const r = checkConfigEntry('model', key.slice(1), toJS(m.ctx, m.get(key)));
    if ('value' in r) config[key.slice(1)] = r.value;
    else {
      const where = r.problem.code === 'E_UNKNOWN_KEY' ? m.keyLine(key) : m.valueLine(key);
      const hint = r.problem.hint?.replace(/'([a-z_]+)'\?$/, "'+$1'?");
      m.ctx.bag.error(r.problem.code, m.ctx.file, where, `models${path ? `.${path}` : ''}: ${r.problem.message}`, hint);
    }
  }
  if (Object.keys(config).length > 0) out.push({ path, config, loc: { file: m.ctx.file, line } });
  for (const key of m.keys().filter((k) => !k.startsWith('+'))) {
    const node = m.get(key);
    if (node === undefined) continue;
    const sub = path ? `${path}/${key}` : key;
    if (isMap(node)) {
      walkFolder(new MapView(m.ctx, node, `models.${sub}`), normalizePath(sub), m.keyLine(key), out);
      continue;
    }
    const hint = (MODEL_CONFIG_KEYS as readonly string[]).includes(key) ? `did you mean '+${key}'?` : "config keys start with '+'";
    m.ctx.bag.error('E_BAD_TYPE', m.ctx.file, m.keyLine(key), `models${path ? `.${path}` : ''}: '${key}' must be a mapping of folder configs, got ${describe(node)}`, hint);
  }
}
