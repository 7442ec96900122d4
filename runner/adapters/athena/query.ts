/**
 * Running statements on Athena: one statement per StartQueryExecution (catalog + database
 * context, workgroup, result location), GetQueryExecution polled with growing intervals,
 * GetQueryResults paged. Starting a query is retried on throttling and service errors with
 * jittered exponential backoff, always with the same ClientRequestToken, so a retried start
 * can never run a statement twice. A query that ran and FAILED is never re-run, except a read
 * (a test's SELECT) that Athena itself marks retryable. Every query in flight is known, so
 * cancelAll() can stop them all.
 */
import { randomUUID } from 'node:crypto';
import type { ColumnInfo, QueryExecution, ResultConfiguration, Row } from '@aws-sdk/client-athena';
import { scrubEngineMessage } from '../../core/redact.js';
import { checkQuoting, countParameters } from '../../dialect/lint.js';
import type { QueryResult, QueryStats } from '../types.js';
import { EngineError } from '../types.js';
import { estimatedCostUsd, roundUsd } from './cost.js';
import type { AthenaSettings } from './settings.js';
import { convertRows, isHeaderRow } from './values.js';
import type { AwsApi } from './api.js';

/** Athena rejects a query string longer than this many bytes. */
export const MAX_STATEMENT_BYTES = 262_144;

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface Timing {
  sleep: Sleep;
  random: () => number;
  /** Attempts to start one query before giving up. */
  startAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  pollFirstMs: number;
  pollMaxMs: number;
}

export const DEFAULT_TIMING: Timing = { sleep: realSleep, random: Math.random, startAttempts: 8, baseDelayMs: 500, maxDelayMs: 30_000, pollFirstMs: 200, pollMaxMs: 5_000 };

/** Polls after StopQueryExecution before giving up waiting (200 ms doubling to 5 s: about 30 s). */
const SETTLE_POLLS = 10;

export interface Executed {
  id: string;
  state: string;
  statementType?: string;
  dataScannedBytes: number;
  costUsd: number;
}

export interface ExecOptions {
  signal?: AbortSignal;
  /** Values for the statement's `?` markers, in order (already SQL literals). */
  params?: string[];
  /** A read whose failure Athena marks retryable may be run again (never a CTAS). */
  rerunnable?: boolean;
  /** What the statement is for, e.g. `model customer_trusted`; used in errors. */
  purpose?: string;
}

const RETRYABLE = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'InternalServerException', 'ServiceUnavailableException', 'InternalFailure', 'ServiceUnavailable', 'RequestTimeout']);

export function isRetryableAwsError(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = err.$metadata?.httpStatusCode ?? 0;
  return RETRYABLE.has(err.name ?? '') || status === 429 || status >= 500 || !!err.$retryable;
}

function cancelled(): EngineError {
  return new EngineError('cancelled: the run was stopped');
}

const CATEGORY: Record<number, string> = { 1: 'SYSTEM', 2: 'USER', 3: 'OTHER' };

/** Athena's reason for a failed query, scrubbed of every value of the data (runner/core/redact.ts). */
export function failureMessage(q: QueryExecution, statement?: string): string {
  const err = q.Status?.AthenaError;
  const msg = scrubEngineMessage(err?.ErrorMessage ?? q.Status?.StateChangeReason ?? 'no reason given', statement);
  const kind = err ? ` [Athena ${CATEGORY[err.ErrorCategory ?? 0] ?? 'UNKNOWN'} error, type ${err.ErrorType ?? '?'}]` : '';
  return `${msg}${kind} (query ${q.QueryExecutionId})`;
}

export class QueryRunner {
  readonly inFlight = new Set<string>();
  resultConfiguration?: ResultConfiguration;

  constructor(
    private readonly athena: AwsApi,
    private readonly settings: AthenaSettings,
    private readonly timing: Timing = DEFAULT_TIMING,
  ) {}

  private backoff(attempt: number): number {
    // "full jitter": a random delay up to an exponentially growing cap
    return Math.floor(this.timing.random() * Math.min(this.timing.maxDelayMs, this.timing.baseDelayMs * 2 ** attempt));
  }

  /** Calls `fn`, retrying throttling and service errors with jittered backoff. */
  async retrying<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted?.();
      try {
        return await fn();
      } catch (e) {
        if (!isRetryableAwsError(e) || attempt + 1 >= this.timing.startAttempts) throw e;
        await this.timing.sleep(this.backoff(attempt), signal);
      }
    }
  }

  /** Runs one statement to completion; throws EngineError when it fails or is stopped. */
  async execute(sql: string, opts: ExecOptions = {}): Promise<Executed> {
    checkStatement(sql, opts.purpose);
    const expected = countParameters(sql);
    const params = opts.params ?? [];
    if (expected !== params.length) {
      throw new EngineError(`internal: the statement has ${expected} parameter marker${expected === 1 ? '' : 's'} but ${params.length} value${params.length === 1 ? '' : 's'} were given`);
    }
    for (let run = 0; ; run++) {
      const q = await this.runOnce(sql, params, opts.signal);
      const state = q.Status?.State ?? 'UNKNOWN';
      const bytes = q.Statistics?.DataScannedInBytes ?? 0;
      const done: Executed = { id: q.QueryExecutionId!, state, ...(q.StatementType ? { statementType: q.StatementType } : {}), dataScannedBytes: bytes, costUsd: estimatedCostUsd({ state, ...(q.StatementType ? { statementType: q.StatementType } : {}), dataScannedBytes: bytes }) };
      if (state === 'SUCCEEDED') return done;
      if (state === 'FAILED' && opts.rerunnable && q.Status?.AthenaError?.Retryable && run < 2) continue;
      if (state === 'CANCELLED') throw new EngineError(`query ${done.id} was cancelled${opts.signal?.aborted ? ': the run was stopped' : ' outside stedi'}`, { queryId: done.id });
      throw new EngineError(`Athena query failed: ${failureMessage(q, sql)}`, { queryId: done.id });
    }
  }

  private async runOnce(sql: string, params: string[], signal?: AbortSignal): Promise<QueryExecution> {
    signal?.throwIfAborted?.();
    const token = randomUUID();
    const started = await this.retrying(
      () =>
        this.athena.call('StartQueryExecution', {
            QueryString: sql,
            ClientRequestToken: token,
            QueryExecutionContext: { Catalog: this.settings.catalog, Database: this.settings.database },
            WorkGroup: this.settings.workgroup,
            ...(this.resultConfiguration ? { ResultConfiguration: this.resultConfiguration } : {}),
            ...(params.length ? { ExecutionParameters: params } : {}),
          }),
      signal,
    );
    const id = started.QueryExecutionId;
    if (!id) throw new EngineError('Athena started a query without an id');
    this.inFlight.add(id);
    try {
      for (let poll = 0; ; poll++) {
        if (signal?.aborted) {
          await this.stopAndSettle(id);
          throw cancelled();
        }
        const got = await this.retrying(() => this.athena.call('GetQueryExecution', { QueryExecutionId: id }));
        const q = got.QueryExecution ?? {};
        const state = q.Status?.State;
        if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') return { ...q, QueryExecutionId: id };
        try {
          await this.timing.sleep(Math.min(this.timing.pollMaxMs, this.timing.pollFirstMs * 2 ** Math.min(poll, 10)), signal);
        } catch {
          await this.stopAndSettle(id);
          throw cancelled();
        }
      }
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Every page of a query's results; the header row Athena adds to SELECT results is dropped. */
  async results(done: Executed, signal?: AbortSignal): Promise<QueryResult> {
    let columns: ColumnInfo[] = [];
    const rows: Row[] = [];
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.retrying(() => this.athena.call('GetQueryResults', { QueryExecutionId: done.id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }), signal);
      if (first) columns = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      const pageRows = page.ResultSet?.Rows ?? [];
      if (first && done.statementType === 'DML' && isHeaderRow(columns, pageRows[0])) pageRows.shift();
      rows.push(...pageRows);
      first = false;
      token = page.NextToken;
    } while (token);
    return {
      columns: columns.map((c, i) => ({ name: c.Label ?? c.Name ?? `_col${i}`, type: c.Type ?? 'varchar' })),
      rows: convertRows(columns, rows),
      stats: statsOf([done]),
    };
  }

  /**
   * The rows a CREATE TABLE AS SELECT (or INSERT) wrote: GetQueryResults' UpdateCount, which costs
   * no scan. Undefined when Athena does not report it.
   */
  async updateCount(done: Executed, signal?: AbortSignal): Promise<number | undefined> {
    const page = await this.retrying(() => this.athena.call('GetQueryResults', { QueryExecutionId: done.id, MaxResults: 1 }), signal);
    return typeof page.UpdateCount === 'number' ? page.UpdateCount : undefined;
  }

  async stop(id: string): Promise<void> {
    try {
      await this.retrying(() => this.athena.call('StopQueryExecution', { QueryExecutionId: id }));
    } catch {
      // a query that already finished cannot be stopped; nothing else to do
    }
  }

  /**
   * Stops a query and waits (bounded, about 30 s) until Athena reports it finished: a cancelled
   * CTAS may still be writing for a moment after StopQueryExecution returns, and the caller
   * deletes the candidate's prefix right after this, so nothing may land in it afterwards.
   */
  private async stopAndSettle(id: string): Promise<void> {
    await this.stop(id);
    for (let poll = 0; poll < SETTLE_POLLS; poll++) {
      let state: string | undefined;
      try {
        state = (await this.athena.call('GetQueryExecution', { QueryExecutionId: id })).QueryExecution?.Status?.State;
      } catch {
        return;
      }
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') return;
      await this.timing.sleep(Math.min(this.timing.pollMaxMs, this.timing.pollFirstMs * 2 ** poll)).catch(() => undefined);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.inFlight].map((id) => this.stop(id)));
  }
}

export function statsOf(done: Executed[]): QueryStats {
  return {
    query_ids: done.map((d) => d.id),
    data_scanned_bytes: done.reduce((n, d) => n + d.dataScannedBytes, 0),
    estimated_cost_usd: roundUsd(done.reduce((n, d) => n + d.costUsd, 0)),
  };
}

/** Athena limits checked before a statement is sent. */
export function checkStatement(sql: string, purpose?: string): void {
  const what = purpose ? ` for ${purpose}` : '';
  const bytes = Buffer.byteLength(sql, 'utf8');
  if (bytes > MAX_STATEMENT_BYTES) {
    throw new EngineError(`the statement${what} is ${bytes.toLocaleString('en-US')} bytes; Athena accepts at most ${MAX_STATEMENT_BYTES.toLocaleString('en-US')} bytes per query: split the model into smaller models`);
  }
  const q = checkQuoting(sql, 'trino');
  if (q) throw new EngineError(`the statement${what} cannot run on Athena: ${q.message}`);
}
