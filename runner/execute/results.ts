/** run_results.json: what happened to every node of one invocation. Never holds secrets. */
import type { ResourceType } from '../manifest/types.js';
import type { Reconciliation } from './reconciliation.js';

export const RUN_RESULTS_SCHEMA_VERSION = 1;

export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn' | 'cancelled';

export interface NodeResult {
  unique_id: string;
  name: string;
  resource_type: ResourceType;
  status: NodeStatus;
  message: string;
  started_at: string;
  completed_at: string;
  execution_time: number;
  rows_affected?: number;
  /** Tests: number of failing rows; unit tests: number of differing rows. */
  failures?: number;
  /** A few failing rows, every PII column masked. */
  sample?: Record<string, unknown>[];
  adapter_response?: Record<string, unknown>;
  /** `--warn-error`: the node failed because of a warning (its own, or a warning of a test that gates it). */
  warn_error?: boolean;
  /** Set when the node was skipped because an upstream node failed. */
  skipped_because?: string;
  /** Not run: it reads these tables (unique_ids), which are neither built by the command nor published on its target. */
  not_published?: string[];
  /** Not run: its inputs are those of its published version or recorded result (runner/execute/reuse.ts). */
  reused?: boolean;
  /** A gate test run only on the rows its model's candidate adds (runner/execute/delta-test.ts). */
  delta?: boolean;
}

export interface RunResults {
  metadata: {
    schema_version: number;
    generated_at: string;
    invocation_id: string;
    command: string;
    target: string;
  };
  /** The command's options, enough for `stedi retry` to run it again (vars as given; never a secret: vars hold none). */
  args: {
    select?: string[];
    exclude?: string[];
    threads: number;
    fail_fast: boolean;
    allow_shrink?: boolean;
    full_refresh?: boolean;
    no_reuse?: boolean;
    warn_error?: boolean;
    empty?: boolean;
    event_time_start?: string;
    event_time_end?: string;
    ingest_threads?: number;
    /** `--vars` as given. */
    vars?: string;
    /** `--state` (the folder, resolved) and `--defer`. */
    state?: string;
    defer?: boolean;
    /** The run was a `stedi retry` of the nodes it lists. */
    retry?: boolean;
  };
  elapsed_time: number;
  success: boolean;
  results: NodeResult[];
  /** build/run: where every landing line and landing row went (runner/execute/reconciliation.ts). */
  reconciliation?: Reconciliation;
  /** The command was refused before running: it would have published tables built from other inputs than their neighbours (runner/execute/inputs.ts). */
  refused?: Record<string, unknown>[];
  /** After the run: published tables built from other inputs than their parents. */
  inconsistencies?: Record<string, unknown>[];
}

export function isFailure(r: NodeResult): boolean {
  return r.status === 'error' || r.status === 'fail';
}
