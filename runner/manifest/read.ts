/**
 * Reading stedi's artifacts back (target/manifest.json, target/run_results.json): `--state`,
 * `stedi retry`, `stedi docs`. A file is used only when it is provably what this stedi writes: a
 * stedi artifact (not dbt's, not another JSON file) of the schema version this stedi reads.
 * Anything else is a UserError naming the file (exit 2), never "nothing there".
 * `parse*` are pure; `read*` add the file read.
 */
import fs from 'node:fs';
import { UserError } from '../core/diagnostics.js';
import { RUN_RESULTS_SCHEMA_VERSION, type RunResults } from '../execute/results.js';
import { isTargetType } from '../targets/registry.js';
import { MANIFEST_SCHEMA_VERSION, type Manifest } from './types.js';

const RESOURCE_TYPES = new Set(['source', 'seed', 'model', 'test', 'unit_test']);
const STATUSES = new Set(['success', 'error', 'skipped', 'pass', 'fail', 'warn', 'cancelled']);

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function parseJson(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UserError(`${file} is not a readable ${what}: ${(e as Error).message}`);
  }
}

/** A hint for a dbt artifact handed to stedi. */
function dbtHint(meta: Record<string, unknown>): string {
  return typeof meta.dbt_schema_version === 'string' ? ` (it is dbt's, ${meta.dbt_schema_version}: stedi reads only the artifacts stedi writes)` : '';
}

/** The manifest in `text` (read from `file`), checked; a UserError naming the file otherwise. */
export function parseManifest(text: string, file: string): Manifest {
  const m = parseJson(text, file, 'stedi manifest');
  const meta = isObject(m) && isObject(m.metadata) ? m.metadata : undefined;
  if (!isObject(m) || !meta || typeof meta.stedi_version !== 'string' || !isObject(m.nodes)) {
    throw new UserError(`${file} is not a stedi manifest (no metadata.stedi_version or nodes)${meta ? dbtHint(meta) : ''}`);
  }
  if (meta.schema_version !== MANIFEST_SCHEMA_VERSION) {
    throw new UserError(
      `${file} is a stedi manifest of schema version ${JSON.stringify(meta.schema_version)} (written by stedi ${meta.stedi_version}); this stedi reads version ${MANIFEST_SCHEMA_VERSION} only. ` +
        'Write it again with this stedi (stedi compile on the state you compare with) and point --state at that target folder',
    );
  }
  const target = meta.target;
  if (typeof meta.project_name !== 'string' || !isObject(target) || typeof target.name !== 'string' || !isTargetType(target.type)) {
    throw new UserError(`${file} is not a complete stedi manifest: metadata.project_name or metadata.target (name, type) is missing`);
  }
  for (const [id, n] of Object.entries(m.nodes)) {
    if (!isObject(n) || n.unique_id !== id || typeof n.resource_type !== 'string' || !RESOURCE_TYPES.has(n.resource_type) || !isObject(n.config) || !Array.isArray(n.depends_on) || !Array.isArray(n.fqn)) {
      throw new UserError(`${file} is not a complete stedi manifest: node '${id}' lacks its unique_id, resource_type, config, depends_on or fqn`);
    }
  }
  if (!Array.isArray(m.diagnostics)) throw new UserError(`${file} is not a complete stedi manifest: diagnostics is missing`);
  return m as unknown as Manifest;
}

/** The run results in `text` (read from `file`), checked; a UserError naming the file otherwise. */
export function parseRunResults(text: string, file: string): RunResults {
  const rr = parseJson(text, file, 'stedi run_results.json');
  const meta = isObject(rr) && isObject(rr.metadata) ? rr.metadata : undefined;
  if (!isObject(rr) || !meta || typeof meta.invocation_id !== 'string' || typeof meta.command !== 'string' || !Array.isArray(rr.results)) {
    throw new UserError(`${file} is not a stedi run_results.json (no metadata.invocation_id, metadata.command or results)${meta ? dbtHint(meta) : ''}`);
  }
  if (meta.schema_version !== RUN_RESULTS_SCHEMA_VERSION) {
    throw new UserError(`${file} is a stedi run_results.json of schema version ${JSON.stringify(meta.schema_version)}; this stedi reads version ${RUN_RESULTS_SCHEMA_VERSION} only. Run the command again with this stedi`);
  }
  if (typeof meta.target !== 'string' || !isObject(rr.args)) throw new UserError(`${file} is not a complete stedi run_results.json: metadata.target or args is missing`);
  for (const [i, r] of rr.results.entries()) {
    if (!isObject(r) || typeof r.unique_id !== 'string' || typeof r.status !== 'string' || !STATUSES.has(r.status)) {
      throw new UserError(`${file} is not a complete stedi run_results.json: result ${i + 1} lacks its unique_id or a known status`);
    }
  }
  return rr as unknown as RunResults;
}

function readText(file: string, what: string, hint: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `no ${what} at ${file}: ${hint}` : `${file} cannot be read: ${(e as Error).message}`);
  }
}

export function readManifest(file: string): Manifest {
  return parseManifest(readText(file, 'stedi manifest', 'stedi compile, run or build writes one into the target folder'), file);
}

export function readRunResults(file: string): RunResults {
  return parseRunResults(readText(file, 'run_results.json', 'stedi build, run, test or seed writes one into the target folder'), file);
}
