/**
 * The allowed keys of every YAML object kind, and the value rules of every config key.
 * Pure data plus tiny checks on plain JS values, so the compiler can validate in-file
 * `{{ config(...) }}` calls with exactly the rules the loader applies to YAML.
 */
import { didYouMean } from '../core/diagnostics.js';
import { MAX_MAX_LINE_BYTES } from '../landing/types.js';

export const PROJECT_FILE = 'stedi_project.yml';

export const PROJECT_KEYS = [
  'name',
  'version',
  'model-paths',
  'seed-paths',
  'macro-paths',
  'test-paths',
  'target-path',
  'clean-targets',
  'default-target',
  'vars',
  'targets',
  'models',
] as const;

export const PROPERTY_FILE_KEYS = ['version', 'sources', 'models', 'seeds', 'unit_tests'] as const;
export const SOURCE_KEYS = ['name', 'description', 'tables', 'freshness', 'loaded_at_field'] as const;
export const SOURCE_TABLE_KEYS = [
  'name',
  'description',
  'entity',
  'location',
  'format',
  'config',
  'columns',
  'tests',
  'data_tests',
  'freshness',
  'loaded_at_field',
] as const;
/** `freshness:` of a source or source table (dbt's, without `filter`). */
export const FRESHNESS_KEYS = ['warn_after', 'error_after'] as const;
export const FRESHNESS_THRESHOLD_KEYS = ['count', 'period'] as const;
export const FRESHNESS_PERIODS = ['minute', 'hour', 'day'] as const;
export const MODEL_PROPS_KEYS = ['name', 'description', 'config', 'columns', 'tests', 'data_tests'] as const;
export const SEED_PROPS_KEYS = MODEL_PROPS_KEYS;
export const COLUMN_KEYS = [
  'name',
  'description',
  'data_type',
  'meta',
  'tests',
  'data_tests',
  'tags',
  'quote',
  'derived',
] as const;
/** `derived:` of a source column: what stedi computes it from at ingestion (runner/landing/derive.ts). */
export const DERIVED_KEYS = ['pseudonym_of'] as const;
export const UNIT_TEST_KEYS = ['name', 'model', 'description', 'overrides', 'given', 'expect'] as const;
export const UNIT_TEST_OVERRIDES_KEYS = ['vars', 'macros'] as const;
/** The macros a unit test may override (dbt's `overrides: {macros: {is_incremental: true}}`). */
export const UNIT_TEST_MACRO_KEYS = ['is_incremental'] as const;
export const UNIT_TEST_GIVEN_KEYS = ['input', 'rows', 'format'] as const;
export const UNIT_TEST_EXPECT_KEYS = ['rows', 'format'] as const;

export const MODEL_CONFIG_KEYS = [
  'enabled',
  'materialized',
  'incremental_strategy',
  'unique_key',
  'on_schema_change',
  'full_refresh',
  'event_time',
  'batch_size',
  'lookback',
  'begin',
  'restate_by',
  'zone',
  'entity',
  'tags',
  'meta',
  'alias',
  'table_format',
  'pii_allowed',
  'allow_empty',
  'max_row_drop',
] as const;
export const SOURCE_TABLE_CONFIG_KEYS = ['enabled', 'tags', 'meta', 'on_malformed', 'max_line_bytes', 'allow_empty', 'max_row_drop', 'on_removed_file', 'event_time'] as const;
export const SEED_CONFIG_KEYS = ['enabled', 'zone', 'entity', 'tags', 'meta', 'column_types', 'allow_empty', 'max_row_drop'] as const;
export const TEST_CONFIG_KEYS = [
  'severity',
  'warn_if',
  'error_if',
  'where',
  'tags',
  'enabled',
  'name',
  'meta',
] as const;

export type ConfigKind = 'model' | 'source_table' | 'seed' | 'test';

export const CONFIG_KEYS: Record<ConfigKind, readonly string[]> = {
  model: MODEL_CONFIG_KEYS,
  source_table: SOURCE_TABLE_CONFIG_KEYS,
  seed: SEED_CONFIG_KEYS,
  test: TEST_CONFIG_KEYS,
};

type Rule =
  | { type: 'bool' | 'string' | 'tags' | 'map' | 'string_map' | 'threshold' | 'fraction_or_none' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'int'; min: number; max: number };

/** One rule per config key name; a key means the same thing in every kind. */
export const CONFIG_RULES: Record<string, Rule> = {
  enabled: { type: 'bool' },
  materialized: { type: 'enum', values: ['view', 'table', 'incremental'] },
  /** materialized: incremental (see runner/adapters/duckdb/incremental.ts and microbatch.ts). */
  incremental_strategy: { type: 'enum', values: ['append', 'merge', 'delete+insert', 'microbatch'] },
  /** The column holding each row's event time (epoch milliseconds, a date or a timestamp): on a source or a model it filters that input into batches; on a microbatch model it is the column its rows are filed by. */
  event_time: { type: 'string' },
  batch_size: { type: 'enum', values: ['hour', 'day', 'month', 'year'] },
  lookback: { type: 'int', min: 0, max: 10_000 },
  begin: { type: 'string' },
  /** microbatch: the output column whose values are restated when a non-event-time input changes for them (see microbatch.ts). */
  restate_by: { type: 'map' },
  unique_key: { type: 'tags' },
  /** dbt's model config: false keeps --full-refresh from rebuilding the model; true rebuilds it whole on every build. */
  full_refresh: { type: 'bool' },
  on_schema_change: { type: 'enum', values: ['fail', 'ignore', 'append_new_columns', 'sync_all_columns'] },
  zone: { type: 'string' },
  entity: { type: 'string' },
  tags: { type: 'tags' },
  meta: { type: 'map' },
  alias: { type: 'string' },
  table_format: { type: 'enum', values: ['iceberg', 'hive'] },
  pii_allowed: { type: 'bool' },
  allow_empty: { type: 'bool' },
  max_row_drop: { type: 'fraction_or_none' },
  on_malformed: { type: 'enum', values: ['quarantine', 'fail'] },
  on_removed_file: { type: 'enum', values: ['keep', 'drop'] },
  /** The longest landing line read, in bytes (default DEFAULT_MAX_LINE_BYTES, 1 MiB); longer lines are `line_too_long` rejects. */
  max_line_bytes: { type: 'int', min: 1, max: MAX_MAX_LINE_BYTES },
  column_types: { type: 'string_map' },
  severity: { type: 'enum', values: ['error', 'warn'] },
  warn_if: { type: 'threshold' },
  error_if: { type: 'threshold' },
  where: { type: 'string' },
  name: { type: 'string' },
};

/** A config problem on one key; the caller adds file and line. */
export interface ConfigProblem {
  key: string;
  code: 'E_UNKNOWN_KEY' | 'E_BAD_TYPE' | 'E_BAD_VALUE';
  message: string;
  hint?: string;
}

export type ConfigEntryResult = { value: unknown } | { problem: ConfigProblem };

/** `>0`, `!=0`, `>=10`, `= 3`, `<5.5` … as in dbt's warn_if / error_if. */
export const THRESHOLD_RE = /^\s*(>=|<=|!=|==|=|>|<)\s*\d+(\.\d+)?\s*$/;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(key: string, expected: string): ConfigEntryResult {
  return { problem: { key, code: 'E_BAD_TYPE', message: `config '${key}' must be ${expected}` } };
}

function checkEnum(key: string, value: unknown, values: readonly string[]): ConfigEntryResult {
  if (typeof value !== 'string') return bad(key, `one of ${values.join(', ')}`);
  const v = key === 'severity' ? value.toLowerCase() : value;
  if (values.includes(v)) return { value: v };
  const hint = didYouMean(v, values) ?? `allowed: ${values.join(', ')}`;
  return { problem: { key, code: 'E_BAD_VALUE', message: `config '${key}' has invalid value '${value}'`, hint } };
}

function checkRule(key: string, rule: Rule, value: unknown): ConfigEntryResult {
  switch (rule.type) {
    case 'bool':
      return typeof value === 'boolean' ? { value } : bad(key, 'a boolean (true/false)');
    case 'string':
      return typeof value === 'string' ? { value } : bad(key, 'a string');
    case 'tags':
      if (typeof value === 'string') return { value: [value] };
      if (Array.isArray(value) && value.every((t) => typeof t === 'string')) return { value: [...value] };
      return bad(key, 'a string or a list of strings');
    case 'map':
      return isPlainObject(value) ? { value } : bad(key, 'a mapping');
    case 'string_map':
      if (isPlainObject(value) && Object.values(value).every((t) => typeof t === 'string')) return { value };
      return bad(key, 'a mapping of column name to type string');
    case 'threshold':
      if (typeof value !== 'string') return bad(key, "a condition string such as '>0' or '!=0'");
      if (THRESHOLD_RE.test(value)) return { value: value.replace(/\s+/g, '') };
      return {
        problem: {
          key,
          code: 'E_BAD_VALUE',
          message: `config '${key}' has invalid condition '${value}'`,
          hint: "write an operator and a number, e.g. '>0', '!=0', '>=10'",
        },
      };
    case 'enum':
      return checkEnum(key, value, rule.values);
    case 'fraction_or_none':
      return checkFraction(key, value);
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) return bad(key, `a whole number from ${rule.min} to ${rule.max}`);
      if (value < rule.min || value > rule.max) {
        return { problem: { key, code: 'E_BAD_VALUE', message: `config '${key}' has invalid value ${value}`, hint: `use a whole number from ${rule.min} to ${rule.max}` } };
      }
      return { value };
  }
}

/** A share between 0 and 1, or null/none (no limit). */
export function checkFraction(key: string, value: unknown): ConfigEntryResult {
  if (value === null || value === 'none') return { value: null };
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1) return { value };
  return { problem: { key, code: 'E_BAD_VALUE', message: `config '${key}' must be a share between 0 and 1 (e.g. 0.5: at most half of the published rows may go) or none, not ${JSON.stringify(value)}` } };
}

/** Validate one config entry of a kind; returns the normalised value or a problem. */
export function checkConfigEntry(kind: ConfigKind, key: string, value: unknown): ConfigEntryResult {
  const allowed = CONFIG_KEYS[kind];
  if (!allowed.includes(key)) {
    const hint = didYouMean(key, allowed) ?? `allowed keys: ${allowed.join(', ')}`;
    return { problem: { key, code: 'E_UNKNOWN_KEY', message: `unknown ${kind.replace('_', ' ')} config key '${key}'`, hint } };
  }
  const rule = CONFIG_RULES[key];
  return rule ? checkRule(key, rule, value) : { value };
}

/** Validate a whole config object (e.g. the arguments of an in-file `config()` call). */
export function checkConfig(
  kind: ConfigKind,
  config: Record<string, unknown>,
): { config: Record<string, unknown>; problems: ConfigProblem[] } {
  const out: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(config)) {
    const r = checkConfigEntry(kind, key, value);
    if ('problem' in r) problems.push(r.problem);
    else out[key] = r.value;
  }
  return { config: out, problems };
}
