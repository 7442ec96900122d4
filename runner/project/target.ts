/**
 * Target fields: value rules, defaults, and the tiny `{{ env_var('NAME', 'default') }}`
 * renderer. Shared by the loader (which keeps templated values as strings) and resolveTarget
 * (which renders them, then validates types). Pure.
 */
import { ATHENA_TARGET_KEYS, DUCKDB_TARGET_KEYS } from './schema.js';

export const TARGET_TYPES = ['duckdb', 'athena'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export const TARGET_KEYS: Record<TargetType, readonly string[]> = {
  duckdb: DUCKDB_TARGET_KEYS,
  athena: ATHENA_TARGET_KEYS,
};

type FieldRule = { type: 'string' } | { type: 'int'; min: number } | { type: 'enum'; values: readonly string[] };

const S: FieldRule = { type: 'string' };
const THREADS: FieldRule = { type: 'int', min: 1 };

export const TARGET_FIELD_RULES: Record<TargetType, Record<string, FieldRule>> = {
  duckdb: { lake_dir: S, path_template: S, catalog: S, threads: THREADS, ingest_threads: THREADS, landing_reader: { type: 'enum', values: ['auto', 'classifier'] }, memory_limit: S, temp_directory: S },
  athena: {
    region: S,
    database: S,
    workgroup: S,
    s3_data_dir: S,
    s3_staging_dir: S,
    landing_root: S,
    catalog: S,
    threads: THREADS,
    ingest_threads: THREADS,
    keep_versions: { type: 'int', min: 0 },
    table_format: { type: 'enum', values: ['iceberg', 'hive'] },
    /** The AWS Secrets Manager secret (name or ARN) holding the pseudonymisation key; its id, never its value. */
    subject_key_secret_id: S,
  },
};

export interface FieldProblem {
  code: 'E_BAD_TYPE' | 'E_BAD_VALUE' | 'E_BAD_TEMPLATE' | 'E_ENV_VAR_MISSING';
  message: string;
  hint?: string;
}

export type FieldResult = { value: unknown } | { problem: FieldProblem };

/** Check (and normalise: digit strings → int) one rendered target value. */
export function checkTargetValue(type: TargetType, key: string, value: unknown): FieldResult {
  const rule = TARGET_FIELD_RULES[type][key];
  if (!rule) return { value };
  if (rule.type === 'int') {
    const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      return { problem: { code: 'E_BAD_TYPE', message: `target key '${key}' must be an integer, got ${JSON.stringify(value)}` } };
    }
    if (n < rule.min) return { problem: { code: 'E_BAD_VALUE', message: `target key '${key}' must be >= ${rule.min}, got ${n}` } };
    return { value: n };
  }
  if (typeof value !== 'string') {
    return { problem: { code: 'E_BAD_TYPE', message: `target key '${key}' must be a string, got ${JSON.stringify(value)}` } };
  }
  if (value.trim() === '') return { problem: { code: 'E_BAD_VALUE', message: `target key '${key}' must not be empty` } };
  if (rule.type === 'enum' && !rule.values.includes(value)) {
    return { problem: { code: 'E_BAD_VALUE', message: `target key '${key}' must be one of ${rule.values.join(', ')}, got '${value}'` } };
  }
  return { value };
}

/** Fill the defaults of a target (works on raw, still templated values too). */
export function applyTargetDefaults(type: TargetType, t: Record<string, unknown>): Record<string, unknown> {
  if (type === 'duckdb') {
    const lake = t.lake_dir ?? 'lake';
    return {
      ...t,
      lake_dir: lake,
      path_template: t.path_template ?? '{entity}/{zone}/{name}',
      catalog: t.catalog ?? `${String(lake)}/stedi.duckdb`,
      threads: t.threads ?? 4,
    };
  }
  return { ...t, threads: t.threads ?? 4, catalog: t.catalog ?? 'AwsDataCatalog' };
}

const ENV_VAR_RE = /\{\{\s*env_var\(\s*(['"])([A-Za-z_][A-Za-z0-9_]*)\1\s*(?:,\s*(['"])((?:(?!\3).)*)\3\s*)?\)\s*\}\}/g;

export function isTemplated(value: unknown): value is string {
  return typeof value === 'string' && (value.includes('{{') || value.includes('{%'));
}

/** Problem when a value uses anything but `{{ env_var('NAME'[, 'default']) }}`. */
export function checkTemplate(key: string, value: string): FieldProblem | undefined {
  const rest = value.replace(ENV_VAR_RE, '');
  if (!/\{\{|\}\}|\{%|%\}/.test(rest)) return undefined;
  return {
    code: 'E_BAD_TEMPLATE',
    message: `target key '${key}': only {{ env_var('NAME') }} or {{ env_var('NAME', 'default') }} may be used, got '${value}'`,
  };
}

/**
 * Environment variables that hold secrets: a target setting may not read them, since settings
 * are written to target/manifest.json and quoted in error messages (a pull request could
 * otherwise exfiltrate the pseudonymisation key through, say, `workgroup`).
 */
export const SECRET_ENV_VARS: ReadonlySet<string> = new Set(['STEDI_SUBJECT_KEY', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN']);

/** Render every `{{ env_var(...) }}` in a value. */
export function renderEnvVars(key: string, value: string, env: Record<string, string | undefined>): FieldResult {
  const bad = checkTemplate(key, value);
  if (bad) return { problem: bad };
  const secret = [...value.matchAll(ENV_VAR_RE)].map((m) => m[2]!).find((n) => SECRET_ENV_VARS.has(n));
  if (secret) {
    return { problem: { code: 'E_BAD_TEMPLATE', message: `target key '${key}': env_var('${secret}') reads a secret; target settings are written to target/manifest.json and shown in messages, so secrets may not be used in them`, hint: `stedi reads ${secret} itself where it needs it` } };
  }
  const missing: string[] = [];
  const out = value.replace(ENV_VAR_RE, (_m, _q, name: string, _q2, dflt: string | undefined) => {
    const v = env[name] ?? dflt;
    if (v === undefined) missing.push(name);
    return v ?? '';
  });
  if (missing.length === 0) return { value: out };
  return {
    problem: {
      code: 'E_ENV_VAR_MISSING',
      message: `target key '${key}': environment variable ${missing.join(', ')} is not set and has no default`,
      hint: `set ${missing[0]} or write {{ env_var('${missing[0]}', 'default') }}`,
    },
  };
}

/**
 * Vars a target sets for the models: on athena the landing sources live on S3, so the target's
 * `landing_root` (when given) replaces the project default; STEDI_VARS and --vars still win.
 */
export function targetVars(target: { type: string; landing_root?: unknown }): Record<string, unknown> {
  if (target.type === 'athena' && typeof target.landing_root === 'string') return { landing_root: target.landing_root };
  return {};
}
