/**
 * The targets stedi can build on: one line per engine. Everything outside runner/targets/ finds a
 * target's settings, dialect and capabilities here, and opens its engine through `loadTarget`
 * (which imports the engine's code only then). Pure: the engines are imported on demand.
 */
import { athenaTarget } from './athena/index.js';
import { duckdbTarget } from './duckdb/index.js';
import { trinoTarget } from './trino/index.js';
import type { TargetPlugin, TargetRuntime, TargetSpec } from './types.js';

const PLUGINS: readonly TargetPlugin[] = [duckdbTarget, athenaTarget, trinoTarget];

const BY_TYPE = new Map(PLUGINS.map((p) => [p.spec.type, p]));

/** The target types, in the order they are listed to users. */
export const TARGET_TYPES: readonly string[] = PLUGINS.map((p) => p.spec.type);

export function isTargetType(type: unknown): type is string {
  return typeof type === 'string' && BY_TYPE.has(type);
}

/** The spec of a known target type (an internal error otherwise: types are checked when the project is read). */
export function targetSpec(type: string): TargetSpec {
  const p = BY_TYPE.get(type);
  if (!p) throw new Error(`internal: unknown target type '${type}'`);
  return p.spec;
}

/** The engine of a target type, imported now. */
export function loadTarget(type: string): Promise<TargetRuntime> {
  const p = BY_TYPE.get(type);
  if (!p) throw new Error(`internal: unknown target type '${type}'`);
  return p.load();
}
