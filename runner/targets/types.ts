/**
 * What a target (an engine stedi can build on) declares, as plain data and pure functions: its
 * settings, their defaults and rules, its dialect, its capabilities and where it stores tables.
 * Everything outside runner/targets/ asks these instead of comparing `type` strings. The engine
 * itself (its adapter) is loaded only when a command uses the target (`TargetPlugin.load`).
 */
import type { Adapter, PublishedRecord } from '../adapters/types.js';
import type { TableParts } from '../core/paths.js';
import type { Dialect } from '../dialect/types.js';
import type { NodeResult } from '../execute/results.js';

/** How one setting is checked once its `{{ env_var() }}` templates are rendered. */
export type FieldRule = { type: 'string' } | { type: 'int'; min: number } | { type: 'enum'; values: readonly string[] } | { type: 'bool' };

/** A target's settings after defaults and rendering, with its name (the project's key). */
export interface TargetSettings {
  name: string;
  type: string;
  threads: number;
  ingest_threads?: number;
  [key: string]: unknown;
}

/** What the rest of stedi may ask of an engine, with the defaults a new target starts from. */
export interface TargetCapabilities {
  /** Tables are Iceberg tables (renamed and replaced atomically by the engine). */
  iceberg: boolean;
  /** The engine takes statement parameters (`EXECUTE … USING`), so values need not be in SQL text. */
  executionParameters: boolean;
  /** `ALTER TABLE … RENAME TO` publishes a candidate. */
  renameTable: boolean;
  /** `--dry-run` prints every call and statement, answered locally. */
  dryRun: boolean;
  /**
   * The target is a folder of this machine run by the in-process DuckDB: `--empty` runs its SQL,
   * `stedi recover` rebuilds its catalog, a missing pseudonymisation key is created beside its lake.
   */
  local: boolean;
}

export interface TargetSpec {
  readonly type: string;
  /** Every setting but `type`, with its rule. */
  readonly fields: Readonly<Record<string, FieldRule>>;
  /** Settings that must be given (after env_var rendering). */
  readonly required: readonly string[];
  /** Fills defaults (works on raw, still templated values too). */
  defaults(t: Record<string, unknown>): Record<string, unknown>;
  /** Its SQL, with the `<prefix>__macro` chain `adapter.dispatch()` tries (`Dialect.dispatch`). */
  dialect(t: TargetSettings): Dialect;
  readonly capabilities: TargetCapabilities;
  /** Vars the target sets for the models (project vars < these < STEDI_VARS < --vars). */
  vars?(t: TargetSettings): Record<string, unknown>;
  /** The zone a source's storage folder is named after; its schema when absent. */
  readonly sourceZone?: string;
  /** The folder (local path or URI prefix) holding a table's versions: the formula the adapter writes with. */
  tableFolder(t: TargetSettings, parts: TableParts): string;
  /** Where the target writes and deletes, each with the setting that names it (`catalog` is never compared). */
  writtenLocations(t: TargetSettings): [string, string][];
  /** Further checks of the settings (e.g. a path template), as messages; none when absent. */
  check?(t: TargetSettings): string[];
  /** One line saying where the target is (`stedi debug`). */
  describe(t: TargetSettings): string;
}

/** How a command opens the engine of a target. */
export interface AdapterOptions {
  /** With the target's name, the owner of everything the adapter creates. */
  project: string;
  /** `--dry-run`: print each call here instead of sending it (targets with the `dryRun` capability). */
  dryRun?: (line: string) => void;
  log?: (msg: string) => void;
}

/** The engine side of a target, imported only when a command uses it (the AWS SDK, DuckDB's native module). */
export interface TargetRuntime {
  /** The engine's adapter; a UserError when the settings or options do not fit the engine. */
  createAdapter(t: TargetSettings, opts: AdapterOptions): Promise<Adapter>;
  /** What the target has published, read without opening the engine (the local target's published snapshot); undefined when it has none. */
  publishedSnapshot?(t: TargetSettings): Promise<PublishedRecord[] | undefined>;
  /** `stedi recover`: rebuilds the target's catalog from what it stored, returning the lines to print. */
  recover?(t: TargetSettings, project: string): Promise<string[]>;
  /** The engine talks through the AWS SDK (the CLI says once which Node.js versions the SDK supports). */
  readonly awsSdk?: boolean;
  /** A line of what the whole run cost on the engine (Athena: queries, bytes scanned, dollars), printed after a build. */
  runTotals?(results: NodeResult[]): string | undefined;
}

export interface TargetPlugin {
  readonly spec: TargetSpec;
  load(): Promise<TargetRuntime>;
}
