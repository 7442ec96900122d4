/**
 * The structural interface between the executor and an engine. It names only the calls the
 * executor makes, so tests can hand in a fake and engines stay at the edge.
 */
import type { Dialect } from '../dialect/types.js';
import type { PseudonymKey } from '../landing/derive.js';
import type { LandingReport } from '../landing/types.js';
import type { ModelNode, SeedNode, SourceNode } from '../manifest/types.js';

/** What an engine reports about the statements behind one result (Athena: ids, bytes, cost). */
export interface QueryStats {
  query_ids: string[];
  data_scanned_bytes: number;
  /** USD, see runner/adapters/athena/cost.ts for the rule. */
  estimated_cost_usd: number;
}

export interface QueryResult {
  columns: { name: string; type: string }[];
  /** JSON-safe values: integers beyond 2^53 become strings, NULL stays null. */
  rows: Record<string, unknown>[];
  stats?: QueryStats;
}

export interface Queryable {
  query(sql: string, signal?: AbortSignal): Promise<QueryResult>;
}

export interface AdapterResponse {
  message: string;
  rows_affected?: number;
  query_ids?: string[];
  data_scanned_bytes?: number;
  estimated_cost_usd?: number;
  /** prepareSource: what happened to every landing line (see runner/landing/types.ts). */
  landing?: LandingReport;
}

/** What an adapter knows of a candidate version before it is published (undefined: not known, e.g. a view). */
export interface Candidate {
  /** Rows of the candidate. */
  rows?: number;
  /** Rows of the version published now; undefined when nothing is published yet. */
  previousRows?: number;
}

/**
 * The gate of write-audit-publish, run by the executor: the volume guards, then the node's
 * blocking tests against the candidate version (through `q`); false discards the candidate.
 */
export type Audit = (q: Queryable, candidate: Candidate) => Promise<boolean>;

export interface PublishOptions {
  signal?: AbortSignal;
  /**
   * What the version is built from (target, vars read, landing locations; see
   * runner/execute/inputs.ts), recorded with it when it is published. Opaque to adapters.
   */
  inputs?: Record<string, unknown>;
  /**
   * `--full-refresh`: sources read every landing file again instead of only the new and changed
   * ones; incremental models are rebuilt whole instead of adding a batch.
   */
  fullRefresh?: boolean;
  /** An incremental model's SQL with is_incremental() true: the batch added to the published table. */
  incrementalSql?: string;
  /** A microbatch model's inputs, as the executor found them in the manifest (runner/execute/microbatch.ts). */
  microbatch?: MicrobatchPlan;
}

/**
 * What a microbatch model reads. Its event-time inputs are read by interval (window tokens in its
 * SQL, see runner/core/batches.ts); every other input is a dimension: when one changes, the
 * model's rows are restated by key (`key`: the input column that restate_by.from names) or, for a
 * dimension without one, the model is rebuilt whole.
 */
export interface MicrobatchPlan {
  eventInputs: { id: string; relation: string; column: string }[];
  dimensions: { id: string; relation: string; key?: string }[];
  /** restate_by.column: the model's column holding the keys of its keyed dimensions. */
  restateColumn?: string;
  /** `--event-time-start/--event-time-end`: the intervals of this window are rebuilt too (epoch ms, end exclusive). */
  window?: { start?: number; end?: number };
}

/** A relation as the warehouse has it published, with what stedi recorded when it did. */
export interface PublishedRecord {
  /** The rendered relation (as in the manifest). */
  relation: string;
  /** unique_id of the node that published it. */
  node?: string;
  rows?: number;
  inputs?: Record<string, unknown>;
  published_at?: string;
}

export interface MaterializeResult {
  published: boolean;
  response: AdapterResponse;
}

export interface Adapter extends Queryable {
  readonly dialect: Dialect;
  /** Opens the warehouse; `write` takes the build lock and removes stale staging data. */
  open(mode: 'read' | 'write'): Promise<void>;
  close(): Promise<void>;
  /**
   * The pseudonymisation key of the sources' derived columns (runner/landing/derive.ts): used by
   * the runner while it ingests, never handed to the engine, never in SQL text or artifacts.
   */
  setPseudonymKey(key: PseudonymKey): void;
  /** Landing ingestion, write-audit-publish like a table: `published: false` when the audit refused it. */
  prepareSource(node: SourceNode, audit: Audit, opts?: PublishOptions): Promise<AdapterResponse & { published: boolean }>;
  /** Write-audit-publish: build a new version, audit it, publish it only if the audit passes. */
  materialize(node: ModelNode | SeedNode, sql: string, audit: Audit, opts?: PublishOptions): Promise<MaterializeResult>;
  /** Every relation this target has published, with its recorded inputs (for the consistency checks). */
  published(signal?: AbortSignal): Promise<PublishedRecord[]>;
  /** Stops every statement in flight. */
  cancelAll(): Promise<void>;
}

export class EngineError extends Error {
  constructor(
    message: string,
    readonly detail?: { path?: string; queryId?: string },
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
