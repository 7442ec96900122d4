/** Merging and validating node configs: folder (stedi_project.yml) < YAML properties < in-file config(). */
import { BATCH_SIZES, type BatchSize } from '../core/batches.js';
import { didYouMean, type Diagnostic } from '../core/diagnostics.js';
import { checkFraction } from '../project/schema.js';
import type { FolderConfig, ProjectSpec } from '../project/types.js';

/** Keys whose values accumulate across levels instead of being replaced (as in dbt). */
const ADDITIVE = new Set(['tags', 'meta']);

export function asTags(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function mergeConfigs(...levels: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const level of levels) {
    for (const [k, v] of Object.entries(level)) {
      if (k === 'tags') out.tags = [...new Set([...asTags(out.tags), ...asTags(v)])];
      else if (k === 'meta' && v && typeof v === 'object') out.meta = { ...(out.meta as object), ...v };
      else if (!ADDITIVE.has(k)) out[k] = v;
    }
  }
  return out;
}

/** Folder configs that apply to a model file, least specific first. */
export function folderConfigsFor(
  filePath: string,
  modelPaths: string[],
  folders: FolderConfig[],
): Record<string, unknown>[] {
  const root = modelPaths.find((p) => filePath.startsWith(`${p.replace(/\/$/, '')}/`));
  if (root === undefined) return [];
  const rel = filePath.slice(root.replace(/\/$/, '').length + 1);
  const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
  return folders
    .filter((f) => f.path === '' || dir === f.path || dir.startsWith(`${f.path}/`))
    .sort((a, b) => depth(a.path) - depth(b.path))
    .map((f) => f.config);
}

/**
 * The folder configs of `models:` as they apply. As in dbt, the project's name may be the first
 * key (`models: {stedi: {trusted: {+zone: trusted}}}`): it scopes what it holds to this project's
 * model folders, unless a model folder has that name (then the key is that folder). A config
 * whose path names no folder holding a model applies to nothing: an error at its key, never
 * silently ignored (dbt warns of "unused config paths").
 */
export function resolveFolderConfigs(project: ProjectSpec, diagnostics: Diagnostic[]): FolderConfig[] {
  const { name, model_paths: roots, model_configs: configs } = project.config;
  const folders = new Set<string>();
  for (const f of project.models) {
    const root = roots.find((p) => f.path.startsWith(`${p.replace(/\/$/, '')}/`));
    if (root === undefined) continue;
    const parts = f.path.slice(root.replace(/\/$/, '').length + 1).split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) folders.add(parts.slice(0, i).join('/'));
  }
  const out: FolderConfig[] = [];
  for (const c of configs) {
    const [first, ...rest] = c.path.split('/');
    const scoped = first === name && !folders.has(name);
    const path = scoped ? rest.join('/') : c.path;
    if (path === '' || folders.has(path)) {
      out.push({ ...c, path });
      continue;
    }
    const shown = `models.${c.path.split('/').join('.')}`;
    const guess = didYouMean(path, folders);
    diagnostics.push({
      code: 'E_UNUSED_CONFIG_PATH', severity: 'error', file: c.loc.file, line: c.loc.line,
      message: `${shown}: no model folder '${path}' under ${roots.join(', ')}, so this config applies to nothing`,
      hint: guess ?? `keys under models: are folders of ${roots.join(', ')} (${[...folders].sort().join(', ') || 'none'}), optionally under the project name '${name}' as in dbt`,
    });
  }
  return out;
}

function depth(p: string): number {
  return p === '' ? 0 : p.split('/').length;
}

export interface ConfigProblem {
  key: string;
  message: string;
  hint?: string;
}

export function checkConfigKeys(config: Record<string, unknown>, allowed: readonly string[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(config)) {
    if (!allowed.includes(key)) {
      problems.push({ key, message: `unknown config key '${key}'`, hint: didYouMean(key, allowed) ?? `allowed: ${allowed.join(', ')}` });
    }
  }
  const m = config.materialized;
  if (m !== undefined && m !== 'view' && m !== 'table' && m !== 'incremental') {
    problems.push({ key: 'materialized', message: `materialized must be 'view', 'table' or 'incremental', not '${String(m)}'` });
  }
  if ('max_row_drop' in config) {
    const r = checkFraction('max_row_drop', config.max_row_drop);
    if ('problem' in r) problems.push({ key: 'max_row_drop', message: r.problem.message });
  }
  if ('allow_empty' in config && typeof config.allow_empty !== 'boolean') problems.push({ key: 'allow_empty', message: `allow_empty must be true or false, not ${JSON.stringify(config.allow_empty)}` });
  return problems;
}

/**
 * The incremental settings of a model (dbt's vocabulary): `incremental_strategy` append (the
 * default without unique_key), delete+insert (the default with one) or merge, which need
 * `unique_key`; microbatch, which needs `event_time` and `batch_size` (optional: `lookback`,
 * `begin`, and stedi's `restate_by`); `on_schema_change`: fail (the default), ignore,
 * append_new_columns or sync_all_columns (runner/adapters/duckdb/schema-change.ts); a microbatch
 * model takes fail only.
 */
/** An incremental model's strategy, with dbt's defaults: delete+insert with a unique_key, else append. */
export function incrementalStrategy(config: Record<string, unknown>): 'append' | 'merge' | 'delete+insert' | 'microbatch' {
  const keyed = config.unique_key !== undefined && !(Array.isArray(config.unique_key) && config.unique_key.length === 0);
  return (config.incremental_strategy as 'append' | 'merge' | 'delete+insert' | 'microbatch' | undefined) ?? (keyed ? 'delete+insert' : 'append');
}

/** dbt's `on_schema_change` policies; stedi's default is fail (runner/adapters/duckdb/schema-change.ts). */
export const SCHEMA_POLICIES = ['fail', 'ignore', 'append_new_columns', 'sync_all_columns'] as const;

export function incrementalProblems(config: Record<string, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const s = config.incremental_strategy;
  const keyed = config.unique_key !== undefined && !(Array.isArray(config.unique_key) && config.unique_key.length === 0);
  if (s !== undefined && s !== 'append' && s !== 'merge' && s !== 'delete+insert' && s !== 'microbatch') problems.push({ key: 'incremental_strategy', message: `incremental_strategy must be 'append', 'merge', 'delete+insert' or 'microbatch', not '${String(s)}'` });
  if ((s === 'merge' || s === 'delete+insert') && !keyed) problems.push({ key: 'incremental_strategy', message: `incremental_strategy '${String(s)}' needs a unique_key`, hint: 'set unique_key to the column (or columns) that identify a row' });
  const policy = config.on_schema_change;
  if (policy !== undefined && !(SCHEMA_POLICIES as readonly unknown[]).includes(policy)) problems.push({ key: 'on_schema_change', message: `on_schema_change must be 'fail' (the default), 'ignore', 'append_new_columns' or 'sync_all_columns', not '${String(policy)}'` });
  else if (policy !== undefined && policy !== 'fail' && s === 'microbatch') problems.push({ key: 'on_schema_change', message: `on_schema_change '${String(policy)}' does not apply to incremental_strategy 'microbatch': a microbatch table always equals a whole build of its SQL (a changed SQL rebuilds it whole), so a batch with other columns than its table is an error ('fail')`, hint: 'leave on_schema_change out, or set it to fail' });
  const incremental = config.materialized === 'incremental';
  if (!incremental) for (const k of ['incremental_strategy', 'unique_key', 'on_schema_change', 'full_refresh']) if (config[k] !== undefined) problems.push({ key: k, message: `${k} applies to materialized: incremental only` });
  const microbatch = incremental && s === 'microbatch';
  if (microbatch) {
    if (typeof config.event_time !== 'string' || !config.event_time) problems.push({ key: 'incremental_strategy', message: "incremental_strategy 'microbatch' needs event_time: the output column that holds each row's event time" });
    if (config.batch_size === undefined) problems.push({ key: 'incremental_strategy', message: "incremental_strategy 'microbatch' needs batch_size: hour, day, month or year" });
    else if (!BATCH_SIZES.includes(config.batch_size as BatchSize)) problems.push({ key: 'batch_size', message: `batch_size must be hour, day, month or year, not ${JSON.stringify(config.batch_size)}` });
    if (config.lookback !== undefined && !(Number.isSafeInteger(config.lookback) && (config.lookback as number) >= 0)) problems.push({ key: 'lookback', message: `lookback must be a whole number of intervals (0 or more), not ${JSON.stringify(config.lookback)}` });
    if (keyed) problems.push({ key: 'unique_key', message: "unique_key does not apply to incremental_strategy 'microbatch': its rows are replaced by event-time interval (and by restate_by key)" });
    if (config.begin !== undefined && beginMs(config.begin) === undefined) problems.push({ key: 'begin', message: `begin must be a UTC date or time such as '2022-06-01' or '2022-06-01T12:00:00', not ${JSON.stringify(config.begin)}` });
    if (config.restate_by !== undefined) problems.push(...restateByProblems(config.restate_by));
  } else {
    for (const k of ['batch_size', 'lookback', 'begin', 'restate_by']) if (config[k] !== undefined) problems.push({ key: k, message: `${k} applies to incremental_strategy: microbatch only` });
  }
  return problems;
}

/** `begin` as epoch milliseconds (UTC), or undefined when it is not a date or a date and time. */
export function beginMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?Z?$/.test(v)) return undefined;
  const ms = Date.parse(/[T ]/.test(v) ? `${v.replace(' ', 'T').replace(/Z$/, '')}Z` : `${v}T00:00:00Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `restate_by: {column: <output column>, from: {<ref or source.table>: <its column>}}`. */
export interface RestateBy {
  column: string;
  from: Record<string, string>;
}

export function asRestateBy(v: unknown): RestateBy | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.column !== 'string' || !o.from || typeof o.from !== 'object' || Array.isArray(o.from)) return undefined;
  const from: Record<string, string> = {};
  for (const [k, c] of Object.entries(o.from as Record<string, unknown>)) {
    if (typeof c !== 'string') return undefined;
    from[k] = c;
  }
  return { column: o.column, from };
}

function restateByProblems(v: unknown): ConfigProblem[] {
  const r = asRestateBy(v);
  const shape = 'restate_by must be {column: <output column>, from: {<ref name or source.table>: <its column>, ...}}';
  if (!r) return [{ key: 'restate_by', message: shape }];
  const extra = Object.keys(v as object).filter((k) => k !== 'column' && k !== 'from');
  const problems: ConfigProblem[] = extra.map((k) => ({ key: 'restate_by', message: `restate_by has an unknown key '${k}'; ${shape}` }));
  if (!r.column || !Object.keys(r.from).length || Object.values(r.from).some((c) => !c)) problems.push({ key: 'restate_by', message: shape });
  return problems;
}
