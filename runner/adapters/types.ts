/**
 * The structural interface between the executor and an engine. It names only the calls the
 * executor makes, so tests can hand in a fake and engines stay at the edge.
 */
import type { Dialect } from '../dialect/types.js';
import type { LogEntry } from '../landing/erasure-log.js';
import type { PseudonymKey } from '../landing/derive.js';
import type { LandingReport } from '../landing/types.js';
import type { LandingStore } from '../landing/store.js';
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
  /** A source's candidate: what happened to every landing line (its warnings fail the gate under `--warn-error`). */
  landing?: LandingReport;
  /**
   * When the candidate keeps immutable parts of the published version of the same node: a
   * relation holding only the rows it adds (its fresh parts), readable while the gate runs, for
   * delta audits (runner/execute/delta-test.ts). Absent: every row is to be audited.
   */
  delta?: {
    relation: string;
    parts: number;
    kept: number;
    /**
     * A microbatch model restated by key: per keyed dimension (its relation and restate_by.from
     * column; `column` the model's restate_by column), the dimension's content token the kept
     * parts were built under. Every row of a key whose rows in the dimension differ from that
     * version is in the fresh parts (keyed delta audits, runner/execute/key-local.ts).
     */
    keyed?: { relation: string; key: string; column: string; baseline: string }[];
  };
  /**
   * The versions of the relations the gate may compare (partition-local audits,
   * runner/execute/partition-delta.ts): absent where the target cannot name a version's files.
   */
  versions?: VersionFiles;
}

/** The files of kept versions of published relations, as the gate's connection sees them. */
export interface VersionFiles {
  /**
   * The data files of the version of `relation` whose content token is `token` — the one this
   * connection publishes (the candidate, for the node under audit) or one kept in history — and
   * the token of the one published here (`token` omitted). Undefined when that version is not
   * kept or a file of it is gone.
   */
  files(relation: string, token?: string): Promise<{ token: string; files: string[] } | undefined>;
  /** SQL reading `columns` of exactly `files` (no row when `files` is empty; `relation` gives the columns then). */
  read(files: string[], columns: string[], relation: string): string;
  /**
   * Whether `columns` of every one of `files` can be read, for each group, tried where a failure
   * cannot harm the publishing transaction (a damaged or vanished file makes an engine abort the
   * transaction it fails in, and the gate could then not run the test whole instead).
   */
  readable(groups: { files: string[]; columns: string[] }[]): Promise<boolean>;
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
  /**
   * A table rebuilt to exactly the rows it publishes may keep its published version (early
   * cutoff, runner/adapters/duckdb/unchanged.ts): set when reuse is on (not under `--no-reuse`
   * or `--full-refresh`, which publish what they build). An adapter may ignore it.
   */
  keepUnchanged?: boolean;
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
  /**
   * A name for exactly the data published (runner/execute/reuse.ts): equal tokens, equal rows.
   * Undefined when the adapter cannot name it (a view, an engine that does not version tables):
   * nothing reading it is then reused.
   */
  content?: string;
}

/** A data test's result kept for reuse: it holds while the test's key (its SQL, config and the versions it read) is the same. */
export interface RecordedTest {
  test: string;
  key: string;
  status: 'pass' | 'warn';
  failures: number;
  message: string;
  /** Masked sample rows (only a warn has any). */
  sample?: Record<string, unknown>[];
  recorded_at?: string;
  /** The content token of each relation the test read (by unique_id), as its key was computed: partition-local audits diff against them. */
  inputs?: Record<string, string>;
}

/** Where an adapter keeps test results for reuse; `engine` names the engine and its version (results of another engine are not reused). */
export interface ReuseStore {
  engine(): Promise<string>;
  testResults(): Promise<Map<string, RecordedTest>>;
  recordTest(r: RecordedTest): Promise<void>;
  /** Forgets a test's recorded result (it ran again and did not pass or warn). */
  dropTest(test: string): Promise<void>;
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
  /** Where this target's landing files are listed and read (`stedi source freshness` lists them). */
  landingStore?(): LandingStore;
  /** What `stedi forget` needs of the target (runner/cli/forget.ts), bound to the open adapter. */
  erasure(): ErasureAccess;
  /** Test results kept for reuse; absent on an engine that does not name its versions (nothing is reused there). */
  reuse?(): ReuseStore | undefined;
}

/** A landing file as `stedi forget` sees it: `token` tells whether it is still what was listed. */
export interface ForgetFile {
  name: string;
  path: string;
  token: string;
}

/** A landing file as the published ingestion of its source recorded it. */
export interface RecordedFile {
  name: string;
  sha256: string;
  removed: boolean;
  /** Its accepted rows and rejects. */
  rows: number;
}

/**
 * The target's side of `stedi forget`: its erasure log, its landing files, the record of what was
 * ingested, its stored table versions, how to look for values in a table without the engine's
 * history keeping them, and what it cannot erase itself.
 */
export interface ErasureAccess {
  /** Where the erasure log is (for messages). */
  readonly logLocation: string;
  readLog(): Promise<LogEntry[]>;
  appendLog(entry: LogEntry): Promise<void>;
  /** The landing files of a source (`*.json`, not hidden), in name order. */
  listLanding(node: SourceNode): Promise<ForgetFile[]>;
  readLanding(file: ForgetFile): Promise<Buffer>;
  /** Replaces the file's bytes at once, only if it is still what was listed (else an error, nothing replaced). */
  replaceLanding(file: ForgetFile, bytes: Buffer): Promise<void>;
  /** What the published ingestion of the source recorded; undefined when it has none. */
  recordedFiles(node: SourceNode): Promise<RecordedFile[] | undefined>;
  /** An id for every stored table version of this project and target, published or older. */
  storedVersions(): Promise<string[]>;
  /** Older versions kept besides the published ones. */
  olderVersions(): Promise<number>;
  /** A predicate true when the text column `column` holds one of `values` (lower case) in any case; never puts a value where the engine keeps query texts. */
  holding(column: string, values: string[]): string;
  /** What stedi cannot erase on this target (given the landing locations), each with the exact setting or action that does. */
  outOfReach(landingLocations: string[]): Promise<string[]>;
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
