/**
 * The manifest: the one contract between compile and everything after it (run, test, docs,
 * later targets). Plain JSON-serialisable data only. Bump MANIFEST_SCHEMA_VERSION on any
 * incompatible change; readers refuse a manifest of another major version.
 */
import type { Diagnostic } from '../core/diagnostics.js';

/**
 * 2: `fqn` in dbt's form (project, folders below the model/seed path, name parts) and a seed's
 * `checksum` (its file's bytes), both read by the selector methods `fqn:` and `state:`.
 */
export const MANIFEST_SCHEMA_VERSION = 2;

export type ResourceType = 'source' | 'seed' | 'model' | 'test' | 'unit_test';
export type Materialization = 'view' | 'table' | 'incremental';
export type TestSeverity = 'error' | 'warn';

/** A column as declared in YAML. Sources must declare data_type; models may. */
export interface ColumnDef {
  name: string;
  description: string;
  data_type?: string;
  /** True when `meta.pii: true`: values are masked in every sample stedi prints or stores. */
  pii: boolean;
  /**
   * A source column stedi computes at ingestion and never reads from a record: the pseudonym
   * (keyed HMAC) of the column named, in its canonical form. Column lineage counts it as
   * `pseudonymised` (derived from that personal data through the approved pseudonymisation).
   */
  derived?: { pseudonym_of: string };
  meta: Record<string, unknown>;
}

/** Where a node lives in the warehouse, already rendered for the target. */
export interface Relation {
  schema: string;
  identifier: string;
  /** Fully qualified and quoted, ready to paste into SQL for this target. */
  rendered: string;
}

export interface NodeBase {
  /** `model.stedi.customer_trusted`, `source.stedi.landing.customer`, `test.stedi.<name>` … */
  unique_id: string;
  resource_type: ResourceType;
  name: string;
  /** Project-relative file that defines the node (the .sql for models, the .yml for sources). */
  original_file_path: string;
  /** 1-based line of the definition inside original_file_path (1 for whole-file nodes). */
  line: number;
  /**
   * dbt's fully qualified name, matched by the `fqn:` selector method: the project, the folders
   * below the model/seed path, the name parts, e.g. ['stedi', 'trusted', 'customer_trusted'].
   */
  fqn: string[];
  tags: string[];
  description: string;
  /** unique_ids this node reads from, in first-use order. */
  depends_on: string[];
  config: Record<string, unknown> & { enabled: boolean };
}

/** dbt's freshness periods. */
export type FreshnessPeriod = 'minute' | 'hour' | 'day';
export interface FreshnessThreshold {
  count: number;
  period: FreshnessPeriod;
}
/** `freshness:` of a source table (or inherited from its source): how old its newest data may be. */
export interface Freshness {
  warn_after?: FreshnessThreshold;
  error_after?: FreshnessThreshold;
}

export interface SourceNode extends NodeBase {
  resource_type: 'source';
  /** The YAML `sources:` group, e.g. `landing`. */
  source_name: string;
  relation: Relation;
  columns: ColumnDef[];
  /** Rendered location of the files (a folder), relative to the project unless absolute/URI. */
  location: string;
  format: 'json';
  /** e.g. `customer` – the lake entity the source belongs to. */
  entity: string;
  /**
   * Where lines that do not fit the declared schema are quarantined (file, line, reason, detail,
   * raw), in the landing zone: `<schema>.<table>__rejects`. Never read by a model.
   */
  rejects_relation?: Relation;
  /** The vars the location was rendered from (e.g. landing_root), as read. */
  location_vars?: Record<string, unknown>;
  /** `stedi source freshness`: the table's thresholds, or its source's (absent: not judged). */
  freshness?: Freshness;
  /** The column whose newest value is the newest event (epoch milliseconds): `loaded_at_field`, else `config.event_time`. */
  loaded_at_field?: string;
}

export interface SeedNode extends NodeBase {
  resource_type: 'seed';
  relation: Relation;
  columns: ColumnDef[];
  /** Project-relative CSV path. */
  seed_path: string;
  entity: string;
  /** SHA-256 of the CSV file's bytes when it was compiled (`state:modified.body` compares it). */
  checksum?: { name: 'sha256'; checksum: string };
}

export interface ModelNode extends NodeBase {
  resource_type: 'model';
  materialized: Materialization;
  /** The lake entity (`customer`, `accelerometer`, …) – part of the storage path. */
  entity: string;
  /** The zone (`trusted`, `curated`) – the schema on the local target. */
  zone: string;
  relation: Relation;
  columns: ColumnDef[];
  raw_code: string;
  compiled_code: string;
  /** materialized: incremental: the SQL rendered with is_incremental() true (the batch added to the published table). */
  compiled_incremental_code?: string;
  /** Every var() the model's SQL read (its macros' included), with the value it got. */
  vars_read?: Record<string, unknown>;
  /**
   * The line of raw_code each line of compiled_code (and of compiled_incremental_code) comes from,
   * 0 where it is not known exactly: an engine's error at run time names the model's line.
   */
  source_lines?: { compiled: number[]; incremental?: number[] };
}

export interface TestNode extends NodeBase {
  resource_type: 'test';
  test_metadata: {
    /** Generic test name: `not_null`, `relationships`, or a custom `test_<name>` macro's name. */
    name: string;
    kwargs: Record<string, unknown>;
  };
  /** The model/source/seed the test was declared on. */
  attached_node: string;
  column_name?: string;
  severity: TestSeverity;
  /** Threshold expressions in dbt form: `>0`, `>=10`, `!=0`. */
  warn_if: string;
  error_if: string;
  /** SQL that returns the failing rows. A test passes when it returns zero rows. */
  compiled_code: string;
}

export interface UnitTestNode extends NodeBase {
  resource_type: 'unit_test';
  /** The model under test. */
  model: string;
  /** For each ref/source unique_id of the model: the given rows. */
  given: { input: string; rows: Record<string, unknown>[] }[];
  expect: { rows: Record<string, unknown>[] };
  /** Model SQL compiled with inputs replaced by placeholders `__stedi_given_<n>`. */
  compiled_code: string;
}

export type ManifestNode = SourceNode | SeedNode | ModelNode | TestNode | UnitTestNode;

export interface TargetInfo {
  name: string;
  /** A target type of runner/targets/registry.ts. */
  type: string;
  /** Everything from the target block except secrets, for artifacts. */
  settings: Record<string, unknown>;
}

export interface Manifest {
  metadata: {
    schema_version: number;
    stedi_version: string;
    generated_at: string;
    project_name: string;
    target: TargetInfo;
    /** Effective vars after defaults, --vars and environment; never holds secrets. */
    vars: Record<string, unknown>;
  };
  nodes: Record<string, ManifestNode>;
  /** Warnings of the compile (errors stop it before a manifest is written). */
  diagnostics: Diagnostic[];
}

export function isModel(n: ManifestNode): n is ModelNode {
  return n.resource_type === 'model';
}
export function isTest(n: ManifestNode): n is TestNode {
  return n.resource_type === 'test';
}
