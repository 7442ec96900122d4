/** The local target: DuckDB in process, tables as Parquet in a lake folder. Pure. */
import { localTableFolder } from '../../core/paths.js';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { FieldRule, TargetSettings, TargetSpec } from '../types.js';

/** The settings of a duckdb target, as the adapter reads them. */
export interface DuckDbTargetConfig {
  type: 'duckdb';
  /** Folder holding the lake (tables as Parquet), relative to the project root. */
  lake_dir: string;
  /** Storage path of a table inside lake_dir; placeholders {entity} {zone} {name}. */
  path_template: string;
  /** DuckDB catalog file in which every node is queryable by name. */
  catalog: string;
  /** `auto` (default): DuckDB's JSON reader takes the landing files whose every line is canonical; `classifier`: every line is classified by the runner. */
  landing_reader?: 'auto' | 'classifier';
  memory_limit?: string;
  temp_directory?: string;
  threads: number;
  /** Threads that classify landing lines (default: one per core; 1: no thread started). */
  ingest_threads?: number;
}

/** A resolved duckdb target's settings, typed (the spec's defaults and rules have been applied). */
export function duckdbSettings(t: TargetSettings): DuckDbTargetConfig & { name: string } {
  return t as unknown as DuckDbTargetConfig & { name: string };
}

const S: FieldRule = { type: 'string' };
const THREADS: FieldRule = { type: 'int', min: 1 };

/** A path_template must keep each table in a folder of its own inside the lake. */
function pathTemplateProblem(t: string): string | undefined {
  if (!t.includes('{name}')) return 'must contain {name}, so that every table has a folder of its own';
  if (t.startsWith('/') || t.split('/').includes('..')) return 'must stay inside the lake (no leading / and no ..)';
  if (/[^A-Za-z0-9_{}/.-]/.test(t.replace(/\{(entity|zone|name)\}/g, ''))) return 'may hold only {entity}, {zone}, {name}, letters, digits, _, -, . and /';
  if (/\{(?!entity\}|zone\}|name\})/.test(t)) return 'knows only the placeholders {entity}, {zone} and {name}';
  return undefined;
}

export const duckdbSpec: TargetSpec = {
  type: 'duckdb',
  fields: { lake_dir: S, path_template: S, catalog: S, threads: THREADS, ingest_threads: THREADS, landing_reader: { type: 'enum', values: ['auto', 'classifier'] }, memory_limit: S, temp_directory: S },
  required: [],
  defaults(t) {
    const lake = t.lake_dir ?? 'lake';
    return { ...t, lake_dir: lake, path_template: t.path_template ?? '{entity}/{zone}/{name}', catalog: t.catalog ?? `${String(lake)}/stedi.duckdb`, threads: t.threads ?? 4 };
  },
  dialect: () => duckdbDialect,
  capabilities: { iceberg: false, executionParameters: true, renameTable: true, dryRun: false, local: true },
  tableFolder: (t, parts) => localTableFolder(String(t.lake_dir), String(t.path_template), parts),
  writtenLocations: (t) => [['lake folder', String(t.lake_dir)], ['catalog', String(t.catalog)]],
  check(t) {
    const problem = pathTemplateProblem(String(t.path_template));
    return problem ? [`path_template '${String(t.path_template)}' ${problem}`] : [];
  },
  describe: (t) => `lake ${String(t.lake_dir)}/`,
};
