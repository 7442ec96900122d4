/** Merging and validating node configs: folder (stedi_project.yml) < YAML properties < in-file config(). */
import { didYouMean } from '../core/diagnostics.js';
import { checkFraction } from '../project/schema.js';
import type { FolderConfig } from '../project/types.js';

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
 * `unique_key`; `on_schema_change: fail` (the only policy: a batch whose columns differ from the
 * published table is an error). microbatch is refused until stedi tracks event-time intervals.
 */
export function incrementalProblems(config: Record<string, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const s = config.incremental_strategy;
  const keyed = config.unique_key !== undefined && !(Array.isArray(config.unique_key) && config.unique_key.length === 0);
  if (s === 'microbatch') problems.push({ key: 'incremental_strategy', message: "incremental_strategy 'microbatch' is not supported yet (stedi does not track event-time intervals yet)", hint: "use 'append', 'delete+insert' or 'merge'" });
  else if (s !== undefined && s !== 'append' && s !== 'merge' && s !== 'delete+insert') problems.push({ key: 'incremental_strategy', message: `incremental_strategy must be 'append', 'merge' or 'delete+insert', not '${String(s)}'` });
  if ((s === 'merge' || s === 'delete+insert') && !keyed) problems.push({ key: 'incremental_strategy', message: `incremental_strategy '${String(s)}' needs a unique_key`, hint: 'set unique_key to the column (or columns) that identify a row' });
  if (config.on_schema_change !== undefined && config.on_schema_change !== 'fail') problems.push({ key: 'on_schema_change', message: `on_schema_change must be 'fail' (the only policy stedi has), not '${String(config.on_schema_change)}'` });
  const incremental = config.materialized === 'incremental';
  if (!incremental) for (const k of ['incremental_strategy', 'unique_key', 'on_schema_change']) if (config[k] !== undefined) problems.push({ key: k, message: `${k} applies to materialized: incremental only` });
  return problems;
}
