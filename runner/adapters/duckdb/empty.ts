/**
 * `--empty` (dbt 1.8's flag): every node is built on zero input rows, to check its SQL and the
 * schemas it reads and produces cheaply, and nothing is published.
 *
 * Everything happens in a throw-away in-memory DuckDB; the target's lake and catalog are not
 * opened, so no published table can be replaced by an empty one. A source is an empty table of
 * its declared columns (the columns and types its ingestion would publish: landing tables have
 * exactly the declared schema) and an empty rejects table; a seed or model is built from its SQL
 * limited to zero rows, so whatever reads it reads zero rows. The window tokens of a microbatch
 * model read every interval, and an incremental model's `is_incremental()` SQL is checked
 * against the table just built (same columns and types as the full SQL, or an error).
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { scrubEngineMessage } from '../../core/redact.js';
import { fillWindow } from '../../core/batches.js';
import { duckdbDialect } from '../../dialect/duckdb.js';
import { REJECTS_COLUMNS } from '../../landing/types.js';
import type { ModelNode, SeedNode, SourceNode } from '../../manifest/types.js';
import type { Adapter, AdapterResponse, Audit, ErasureAccess, MaterializeResult, PublishedRecord, PublishOptions, QueryResult } from '../types.js';
import { EngineError } from '../types.js';
import { openInstance } from './open.js';
import { rejectsRelation, sourceColumns } from './sources.js';
import { toQueryResult } from './values.js';

const q = duckdbDialect.quoteIdent;

/** What every node's result says under --empty. */
export const EMPTY_NOTE = 'built on zero input rows in a throw-away database; nothing published (--empty)';

/** The SQL of a node limited to zero rows: a query of the project, its window tokens reading every interval. */
export function zeroRows(sql: string): string {
  return `SELECT * FROM (\n${fillWindow(sql, () => 'TRUE').replace(/;\s*$/, '')}\n) AS stedi_empty LIMIT 0`;
}

/** Which columns of two results differ by name or type, in words; undefined when none does. */
export function columnsDiffer(full: QueryResult['columns'], incremental: QueryResult['columns']): string | undefined {
  const show = (cols: QueryResult['columns']) => cols.map((c) => `${c.name} ${c.type}`).join(', ');
  if (show(full) === show(incremental)) return undefined;
  return `its is_incremental() SQL yields (${show(incremental)}) but its full SQL yields (${show(full)})`;
}

export class EmptyRunAdapter implements Adapter {
  readonly dialect = duckdbDialect;
  private instance?: DuckDBInstance;
  private readonly live = new Set<DuckDBConnection>();
  /** One statement at a time: zero rows make each one quick, and DDL never races. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly schemas = new Set<string>();

  async open(): Promise<void> {
    this.instance = await openInstance(':memory:', {});
  }

  async close(): Promise<void> {
    for (const c of this.live) c.closeSync();
    this.live.clear();
    this.instance?.closeSync();
    this.instance = undefined;
  }

  /** No landing file is read: the pseudonymisation key is never needed. */
  setPseudonymKey(): void {}

  query(sql: string, signal?: AbortSignal): Promise<QueryResult> {
    return this.serial((c) => run(c, sql), signal);
  }

  async prepareSource(node: SourceNode, audit: Audit, opts: PublishOptions = {}): Promise<AdapterResponse & { published: boolean }> {
    const columns = sourceColumns(node);
    const rej = rejectsRelation(node);
    await this.serial(async (c) => {
      await this.schema(c, node.relation.schema);
      await c.run(`CREATE OR REPLACE TABLE ${node.relation.rendered} (${columns.map((col) => `${q(col.name)} ${col.sqlType}`).join(', ')})`);
      await c.run(`CREATE OR REPLACE TABLE ${rej.rendered} (${REJECTS_COLUMNS.map((col) => `${q(col.name)} ${col.data_type.toUpperCase()}`).join(', ')})`);
    }, opts.signal);
    const ok = await audit(this, { rows: 0 });
    // `published` into the throw-away database only: the executor reports it as built
    return { published: ok, message: `${ok ? 'EMPTY' : 'REFUSED'} ${node.columns.length} declared columns, no landing file read; ${EMPTY_NOTE}`, rows_affected: 0 };
  }

  async materialize(node: ModelNode | SeedNode, sql: string, audit: Audit, opts: PublishOptions = {}): Promise<MaterializeResult> {
    const kind = node.resource_type === 'model' && node.materialized === 'view' ? 'VIEW' : 'TABLE';
    const made = await this.serial(async (c) => {
      await this.schema(c, node.relation.schema);
      await c.run(`CREATE OR REPLACE ${kind} ${node.relation.rendered} AS\n${zeroRows(sql)}`);
      return run(c, `SELECT * FROM ${node.relation.rendered} LIMIT 0`);
    }, opts.signal);
    if (opts.incrementalSql !== undefined) {
      const inc = await this.query(zeroRows(opts.incrementalSql), opts.signal);
      const differ = columnsDiffer(made.columns, inc.columns);
      if (differ) throw new EngineError(differ);
    }
    const ok = await audit(this, { rows: 0 });
    return { published: ok, response: { message: `${ok ? 'EMPTY' : 'REFUSED'} ${made.columns.length} columns; ${EMPTY_NOTE}`, rows_affected: 0 } };
  }

  /** Nothing is published here, and the target's record is not read. */
  async published(): Promise<PublishedRecord[]> {
    return [];
  }

  async cancelAll(): Promise<void> {
    for (const c of this.live) c.interrupt();
  }

  erasure(): ErasureAccess {
    throw new Error('internal: --empty builds in a throw-away database; stedi forget does not use it');
  }

  private async schema(c: DuckDBConnection, schema: string): Promise<void> {
    if (this.schemas.has(schema)) return;
    await c.run(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`);
    this.schemas.add(schema);
  }

  private serial<T>(fn: (c: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const next = this.queue.then(async () => {
      if (!this.instance) throw new Error('internal: adapter used before open()');
      signal?.throwIfAborted();
      const c = await this.instance.connect();
      this.live.add(c);
      const onAbort = () => c.interrupt();
      signal?.addEventListener('abort', onAbort);
      try {
        return await fn(c);
      } catch (e) {
        if (e instanceof EngineError || signal?.aborted) throw e;
        throw new EngineError(scrubEngineMessage((e as Error).message ?? String(e)));
      } finally {
        signal?.removeEventListener('abort', onAbort);
        this.live.delete(c);
        c.closeSync();
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

async function run(c: DuckDBConnection, sql: string): Promise<QueryResult> {
  try {
    return toQueryResult(await c.runAndReadAll(sql));
  } catch (e) {
    throw new EngineError(scrubEngineMessage((e as Error).message, sql));
  }
}
