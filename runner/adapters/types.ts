/**
 * The structural interface between the executor and an engine. It names only the calls the
 * executor makes, so tests can hand in a fake and engines stay at the edge.
 */
import type { Dialect } from '../dialect/types.js';
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

/** Runs a node's blocking tests against the candidate version; false discards it. */
export type Audit = (q: Queryable) => Promise<boolean>;

export interface MaterializeResult {
  published: boolean;
  response: AdapterResponse;
}

export interface Adapter extends Queryable {
  readonly dialect: Dialect;
  /** Opens the warehouse; `write` takes the build lock and removes stale staging data. */
  open(mode: 'read' | 'write'): Promise<void>;
  close(): Promise<void>;
  /** Secrets live in the session only; they never appear in SQL text or artifacts. */
  setSecret(name: string, value: string): void;
  prepareSource(node: SourceNode, signal?: AbortSignal): Promise<AdapterResponse>;
  /** Write-audit-publish: build a new version, audit it, publish it only if the audit passes. */
  materialize(node: ModelNode | SeedNode, sql: string, audit: Audit, signal?: AbortSignal): Promise<MaterializeResult>;
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
