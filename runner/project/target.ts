/**
 * Target fields: value rules, defaults, and the tiny `{{ env_var('NAME', 'default') }}`
 * renderer. Shared by the loader (which keeps templated values as strings) and resolveTarget
 * (which renders them, then validates types). Pure.
 */
import { TARGET_TYPES, targetSpec } from '../targets/registry.js';
import type { TargetSettings } from '../targets/types.js';

export { TARGET_TYPES };
export type TargetType = string;

/** The keys a target of this type may have (`type` and its settings). */
export function targetKeys(type: TargetType): string[] {
  return ['type', ...Object.keys(targetSpec(type).fields)];
}

export interface FieldProblem {
  code: 'E_BAD_TYPE' | 'E_BAD_VALUE' | 'E_BAD_TEMPLATE' | 'E_ENV_VAR_MISSING';
  message: string;
  hint?: string;
}

export type FieldResult = { value: unknown } | { problem: FieldProblem };

/** Check (and normalise: digit strings → int) one rendered target value. */
export function checkTargetValue(type: TargetType, key: string, value: unknown): FieldResult {
  const rule = targetSpec(type).fields[key];
  if (!rule) return { value };
  if (rule.type === 'int') {
    const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      return { problem: { code: 'E_BAD_TYPE', message: `target key '${key}' must be an integer, got ${JSON.stringify(value)}` } };
    }
    if (n < rule.min) return { problem: { code: 'E_BAD_VALUE', message: `target key '${key}' must be >= ${rule.min}, got ${n}` } };
    return { value: n };
  }
  if (rule.type === 'bool') {
    // a boolean, or its text from an env_var template
    if (typeof value === 'boolean') return { value };
    if (value === 'true' || value === 'false') return { value: value === 'true' };
    return { problem: { code: 'E_BAD_TYPE', message: `target key '${key}' must be true or false, got ${JSON.stringify(value)}` } };
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
  return targetSpec(type).defaults(t);
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

/** Vars a target sets for the models (its spec's `vars`); STEDI_VARS and --vars still win. */
export function targetVars(target: TargetSettings): Record<string, unknown> {
  return targetSpec(target.type).vars?.(target) ?? {};
}
