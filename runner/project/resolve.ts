/**
 * Vars and target resolution: project defaults + environment + command line. Pure (the
 * caller passes `process.env`).
 */
import { LineCounter, parseDocument } from 'yaml';
import { DiagnosticBag, didYouMean, type Diagnostic } from '../core/diagnostics.js';
import { isPlainObject } from './schema.js';
import { targetSpec } from '../targets/registry.js';
import { applyTargetDefaults, checkTargetValue, isTemplated, renderEnvVars, type TargetType } from './target.js';
import { checkYamlLimits, guardedToJS } from './yaml-limits.js';
import type { ProjectConfig, TargetConfig } from './types.js';

type Env = Record<string, string | undefined>;
export type ResolvedTarget = TargetConfig & { name: string };

function given(s: string | undefined): s is string {
  return s !== undefined && s.trim() !== '';
}

/** Parse a `--vars` / `STEDI_VARS` string (a YAML or JSON mapping). */
export function parseVarsString(source: string, text: string): { vars?: Record<string, unknown>; diagnostics: Diagnostic[] } {
  const bag = new DiagnosticBag();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  for (const e of doc.errors.slice(0, 1)) {
    const line = e.pos[0] >= 0 ? lc.linePos(e.pos[0]).line : 0;
    bag.error('E_BAD_VARS', source, line, `${source} is not valid YAML/JSON: ${e.message.split('\n')[0]}`, "write a mapping, e.g. \"{landing_root: ../data}\"");
  }
  if (bag.hasErrors) return { diagnostics: bag.items };
  // hostile YAML (an alias bomb, a recursive alias, deep nesting) is a user error naming the source
  const limit = checkYamlLimits(doc);
  if (limit) {
    bag.error(limit.code, source, limit.offset >= 0 ? lc.linePos(limit.offset).line : 0, `${source}: ${limit.message}`, limit.hint);
    return { diagnostics: bag.items };
  }
  const converted = guardedToJS(() => doc.toJS() as unknown);
  if (!('value' in converted)) {
    bag.error('E_YAML_ALIAS', source, 0, `${source}: ${converted.message}`, 'write the values out, or use fewer aliases');
    return { diagnostics: bag.items };
  }
  const value = converted.value;
  if (!isPlainObject(value)) {
    bag.error('E_BAD_VARS', source, 0, `${source} must be a mapping of var names to values`, "write e.g. \"{landing_root: ../data, consent_policy: any_time}\"");
    return { diagnostics: bag.items };
  }
  return { vars: value, diagnostics: bag.items };
}

/**
 * project vars < the target's vars (e.g. the athena target's `landing_root`) < STEDI_VARS <
 * --vars (shallow merge, later wins).
 */
export function resolveVars(
  projectVars: Record<string, unknown>,
  cliVars: string | undefined,
  env: Env,
  targetVars: Record<string, unknown> = {},
): { vars: Record<string, unknown>; diagnostics: Diagnostic[] } {
  let vars = { ...projectVars, ...targetVars };
  const diagnostics: Diagnostic[] = [];
  const layers: [string, string | undefined][] = [
    ['STEDI_VARS', env.STEDI_VARS],
    ['--vars', cliVars],
  ];
  for (const [source, text] of layers) {
    if (!given(text)) continue;
    const r = parseVarsString(source, text);
    diagnostics.push(...r.diagnostics);
    if (r.vars) vars = { ...vars, ...r.vars };
  }
  return { vars, diagnostics };
}

/** Pick `name ?? STEDI_TARGET ?? default-target`, render env_var() values, validate types. */
export function resolveTarget(
  config: ProjectConfig,
  name: string | undefined,
  env: Env,
): { target?: ResolvedTarget; diagnostics: Diagnostic[] } {
  const bag = new DiagnosticBag();
  const fromCli = given(name);
  const fromEnv = !fromCli && given(env.STEDI_TARGET);
  const chosen = fromCli ? name! : fromEnv ? env.STEDI_TARGET! : config.default_target;
  const raw = Object.hasOwn(config.targets, chosen) ? config.targets[chosen] : undefined;
  if (!raw) {
    const names = Object.keys(config.targets);
    const file = fromCli ? '--target' : fromEnv ? 'STEDI_TARGET' : config.loc.file;
    const hint = didYouMean(chosen, names) ?? `defined targets: ${names.join(', ') || '(none)'}`;
    bag.error('E_UNKNOWN_TARGET', file, 0, `target '${chosen}' is not defined in ${config.loc.file}`, hint);
    return { diagnostics: bag.items };
  }
  const out = renderTarget(raw, chosen, env, bag);
  return bag.hasErrors ? { diagnostics: bag.items } : { target: { ...out, name: chosen } as ResolvedTarget, diagnostics: bag.items };
}

function renderTarget(raw: TargetConfig & { loc: { file: string; line: number } }, name: string, env: Env, bag: DiagnosticBag): Record<string, unknown> {
  const { loc, type, ...fields } = raw;
  const tt = type as TargetType;
  const out: Record<string, unknown> = { type: tt };
  for (const [key, value] of Object.entries(applyTargetDefaults(tt, fields))) {
    const rendered = isTemplated(value) ? renderEnvVars(key, value, env) : { value };
    const r = 'value' in rendered ? checkTargetValue(tt, key, rendered.value) : rendered;
    if (!('problem' in r)) out[key] = r.value;
    // a default built from another templated value (catalog from lake_dir) repeats its problem
    else if (!bag.items.some((d) => d.code === r.problem.code && d.hint !== undefined && d.hint === r.problem.hint)) {
      bag.error(r.problem.code, loc.file, loc.line, `target '${name}': ${r.problem.message}`, r.problem.hint);
    }
  }
  for (const [key, name] of [['threads', 'STEDI_THREADS'], ['ingest_threads', 'STEDI_INGEST_THREADS']] as const) {
    if (!given(env[name])) continue;
    const r = checkTargetValue(tt, key, env[name]);
    if ('problem' in r) bag.error(r.problem.code, name, 0, `${name}: ${r.problem.message}`);
    else out[key] = r.value;
  }
  for (const key of targetSpec(tt).required) {
    if (out[key] === undefined) bag.error('E_MISSING_KEY', loc.file, loc.line, `target '${name}': missing required key '${key}'`);
  }
  return out;
}
