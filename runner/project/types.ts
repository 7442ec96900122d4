/**
 * The user's project as plain data: what the loader read from disk and validated, before any
 * template is rendered. The compiler is a pure function of this (plus target and vars).
 */

/** Where a value came from, for diagnostics. */
export interface Loc {
  file: string; // project-relative, forward slashes
  line: number; // 1-based
}

/**
 * A target as the project file gives it: `type` names its spec in runner/targets/registry.ts, which
 * says which further settings it takes (checked with their defaults when the project is read).
 */
export interface TargetConfig {
  type: string;
  threads: number;
  /** Threads that classify landing lines (default: one per core; 1: no thread started). */
  ingest_threads?: number;
  [key: string]: unknown;
}

/** Folder-level model config from `stedi_project.yml` `models:` (dbt's `+key` form). */
export interface FolderConfig {
  /** Folder path relative to the model path, '' for all models. */
  path: string;
  config: Record<string, unknown>;
  loc: Loc;
}

export interface ProjectConfig {
  name: string;
  version: string;
  model_paths: string[];
  seed_paths: string[];
  macro_paths: string[];
  test_paths: string[];
  target_path: string;
  clean_targets: string[];
  vars: Record<string, unknown>;
  default_target: string;
  targets: Record<string, TargetConfig & { loc: Loc }>;
  model_configs: FolderConfig[];
  loc: Loc;
}

export interface SourceFile {
  path: string; // project-relative
  text: string;
  /** Seed files: SHA-256 (hex) of the whole file, of which `text` holds only the head (set by the loader). */
  sha256?: string;
}

/** A data test as written in YAML: `- not_null` or `- relationships: {to: ..., field: ...}`. */
export interface TestSpec {
  /** Generic test name (`not_null`, `relationships`, custom). */
  name: string;
  /** Arguments other than `config` (and other than the dbt-compatible top-level config keys). */
  args: Record<string, unknown>;
  /** severity, warn_if, error_if, where, tags, name (custom test name), enabled. */
  config: Record<string, unknown>;
  loc: Loc;
}

export interface ColumnSpec {
  name: string;
  description: string;
  data_type?: string;
  /** A source column computed at ingestion: the pseudonym of another column (runner/landing/derive.ts). */
  derived?: { pseudonym_of: string };
  meta: Record<string, unknown>;
  tests: TestSpec[];
  loc: Loc;
}

export interface ModelPropsSpec {
  name: string;
  description: string;
  config: Record<string, unknown>;
  columns: ColumnSpec[];
  tests: TestSpec[];
  loc: Loc;
}

/** `freshness:` as written: thresholds, or null (dbt's way to switch an inherited one off). */
export type FreshnessSpec = import('../manifest/types.js').Freshness | null;

export interface SourceTableSpec {
  name: string;
  description: string;
  /** Template string, e.g. `{{ var('landing_root') }}/customer/landing`. */
  location: string;
  format: 'json';
  entity: string;
  config: Record<string, unknown>;
  columns: ColumnSpec[];
  tests: TestSpec[];
  /** Absent: the source's applies. */
  freshness?: FreshnessSpec;
  /** The column of the newest event, where it is written. */
  loaded_at_field?: { column: string; loc: Loc };
  loc: Loc;
}

export interface SourceSpec {
  name: string;
  description: string;
  tables: SourceTableSpec[];
  /** Inherited by every table that does not set its own. */
  freshness?: FreshnessSpec;
  /** The column of the newest event, where it is written. */
  loaded_at_field?: { column: string; loc: Loc };
  loc: Loc;
}

export interface SeedPropsSpec {
  name: string;
  description: string;
  config: Record<string, unknown>;
  columns: ColumnSpec[];
  tests: TestSpec[];
  loc: Loc;
}

export interface UnitTestSpec {
  name: string;
  model: string;
  description: string;
  /** `input` is written as in SQL: `ref('x')` or `source('landing', 'customer')`. */
  given: { input: string; rows: Record<string, unknown>[]; loc: Loc }[];
  expect: { rows: Record<string, unknown>[] };
  /** Optional var overrides for this unit test (e.g. consent_policy), and is_incremental() for an incremental model's branch. */
  overrides: { vars: Record<string, unknown>; macros?: { is_incremental: boolean } };
  loc: Loc;
}

export interface CsvSeedFile {
  path: string; // project-relative
  name: string; // file stem
  header: string[];
  /** SHA-256 (hex) of the file's bytes, when the loader read them (`state:modified` compares it). */
  checksum?: string;
}

export interface ProjectSpec {
  config: ProjectConfig;
  models: SourceFile[]; // .sql files under model_paths
  macros: SourceFile[]; // .sql/.njk files under macro_paths
  seeds: CsvSeedFile[];
  modelProps: ModelPropsSpec[];
  sources: SourceSpec[];
  seedProps: SeedPropsSpec[];
  unitTests: UnitTestSpec[];
  /**
   * Property files that could not be read (YAML syntax, not a mapping; only in a partial project):
   * what they declare is missing, so the compiler does not report a source() they name as
   * undeclared a second time (compile.ts).
   */
  unreadable_properties?: SourceFile[];
}
