/**
 * The DuckDB adapter: the local lake. Tables are Parquet files under the lake folder, and a
 * DuckDB catalog file holds one view per node (pointing at the published Parquet version),
 * so `stedi show` and the plain DuckDB CLI both query every model by name.
 *
 * Write-audit-publish: the new version is written to a fresh `v=` folder, then — inside one
 * transaction — the view is switched to it and the blocking tests run against it; the
 * transaction commits only when they pass. Other connections never see the candidate, and a
 * killed process leaves the catalog exactly as it was (DuckDB's WAL) plus a stale folder that
 * the next `open('write')` removes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { DuckDbTargetConfig } from '../../project/types.js';
import type { ModelNode, SeedNode, SourceNode } from '../../manifest/types.js';
import type { Adapter, AdapterResponse, Audit, MaterializeResult, QueryResult, Queryable } from '../types.js';
import { EngineError } from '../types.js';
import { sourceMessage } from '../../landing/report.js';
import type { LandingReport } from '../../landing/types.js';
import { listVersionDirs, newVersion, removeVersionDir, tablePath } from './lake.js';
import { ingestSource } from './sources.js';
import { toQueryResult } from './values.js';

const q = duckdbDialect.quoteIdent;
const lit = duckdbDialect.quoteString;

export class DuckDbAdapter implements Adapter {
  readonly dialect = duckdbDialect;
  private instance?: DuckDBInstance;
  private readonly secrets = new Map<string, string>();
  private readonly live = new Set<DuckDBConnection>();
  private schemaLock: Promise<void> = Promise.resolve();
  private ingestLock: Promise<void> = Promise.resolve();
  private readonly schemas = new Set<string>();
  /** Opened for writing on a catalog file: close() sweeps stale version folders. */
  private writing = false;

  /** `catalog` ':memory:' gives a throw-away database (unit tests). */
  constructor(private readonly cfg: Pick<DuckDbTargetConfig, 'lake_dir' | 'path_template' | 'catalog' | 'memory_limit' | 'temp_directory'>) {}

  async open(mode: 'read' | 'write'): Promise<void> {
    const memory = this.cfg.catalog === ':memory:';
    if (!memory && mode === 'read' && !fs.existsSync(this.cfg.catalog)) {
      throw new EngineError(`no catalog at ${this.cfg.catalog}: nothing has been built on this target yet (run stedi build)`, { path: this.cfg.catalog });
    }
    if (!memory) mkdirOrExplain(this.cfg.lake_dir);
    const options: Record<string, string> = {};
    if (mode === 'read' && !memory) options.access_mode = 'READ_ONLY';
    if (this.cfg.memory_limit) options.memory_limit = this.cfg.memory_limit;
    if (this.cfg.temp_directory) options.temp_directory = this.cfg.temp_directory;
    try {
      this.instance = await DuckDBInstance.create(this.cfg.catalog, options);
    } catch (e) {
      const msg = (e as Error).message;
      if (/lock/i.test(msg)) {
        const pid = /PID (\d+)/.exec(msg)?.[1];
        throw new EngineError(`the lake catalog ${this.cfg.catalog} is in use by another stedi process${pid ? ` (pid ${pid})` : ''}; wait for it to finish or stop it, then retry`, { path: this.cfg.catalog });
      }
      throw new EngineError(`cannot open ${this.cfg.catalog}: ${msg}`, { path: this.cfg.catalog });
    }
    if (mode === 'write') await this.prepareCatalog(memory);
  }

  private async prepareCatalog(memory: boolean): Promise<void> {
    await this.exec(`CREATE SCHEMA IF NOT EXISTS _stedi`);
    await this.exec(`CREATE TABLE IF NOT EXISTS _stedi.published (relation VARCHAR PRIMARY KEY, version VARCHAR, path VARCHAR, published_at TIMESTAMP, row_count BIGINT)`);
    if (memory) return;
    this.writing = true;
    await this.sweepStaleVersions();
  }

  /**
   * Removes every version folder the committed catalog does not point at: what a killed build
   * left (at open) or what a stopped one could not prune itself (at close: a Ctrl-C that landed
   * while a table's old versions were being looked up). Compared as absolute paths: the same lake
   * named another way (`lake` vs `/abs/lake`) must not make every published version look stale.
   */
  private async sweepStaleVersions(): Promise<void> {
    const published = new Set((await this.query(`SELECT path FROM _stedi.published`)).rows.map((r) => path.resolve(String(r.path))));
    for (const dir of listVersionDirs(this.cfg.lake_dir)) if (!published.has(path.resolve(dir))) removeVersionDir(dir);
  }

  async close(): Promise<void> {
    if (this.writing && this.live.size === 0) {
      // nothing runs any more: what the catalog committed decides; if it cannot be read, the next open sweeps
      await this.sweepStaleVersions().catch(() => undefined);
    }
    this.writing = false;
    for (const c of this.live) c.closeSync();
    this.live.clear();
    this.instance?.closeSync();
    this.instance = undefined;
  }

  setSecret(name: string, value: string): void {
    this.secrets.set(name, value);
  }

  async query(sql: string, signal?: AbortSignal): Promise<QueryResult> {
    return this.withConnection((c) => run(c, sql), signal);
  }

  /**
   * Landing ingestion (see sources.ts): the source table and its rejects table, replaced in one
   * transaction. Ingestions run one at a time: the line parsing is JavaScript on this thread
   * anyway, and one writer at a time keeps the catalog free of write-write conflicts.
   */
  async prepareSource(node: SourceNode, signal?: AbortSignal): Promise<AdapterResponse> {
    await this.ensureSchema(node.relation.schema);
    const turn = this.ingestLock.then(() => this.withConnection((c) => ingestSource(c, node, signal), signal));
    this.ingestLock = turn.then(() => undefined, () => undefined);
    let landing: LandingReport;
    try {
      landing = await turn;
    } catch (e) {
      if (e instanceof EngineError) throw e;
      // DuckDB names the file it could not write (the catalog or its write-ahead log)
      const file = /file "([^"]+)"/.exec((e as Error).message ?? '')?.[1];
      const base = path.basename(this.cfg.catalog);
      const named = !file ? this.cfg.catalog : path.basename(file).startsWith(base) ? `${this.cfg.catalog}${path.basename(file).slice(base.length)}` : path.relative('.', file) || file;
      throw explainWrite(e, named);
    }
    return { message: sourceMessage(landing), landing };
  }

  async materialize(node: ModelNode | SeedNode, sql: string, audit: Audit, signal?: AbortSignal): Promise<MaterializeResult> {
    await this.ensureSchema(node.relation.schema);
    return this.withConnection(async (c) => {
      if (node.resource_type === 'model' && node.materialized === 'view') {
        return this.publish(c, `CREATE OR REPLACE VIEW ${node.relation.rendered} AS\n${sql}`, node, audit, undefined, undefined);
      }
      const base = tablePath(this.cfg.lake_dir, this.cfg.path_template, { entity: node.entity, zone: node.relation.schema, name: node.relation.identifier });
      const dir = `${base}/v=${newVersion()}`;
      mkdirOrExplain(dir);
      let rows: number;
      try {
        const copied = await c.runAndReadAll(`COPY (\n${sql}\n) TO ${lit(`${dir}/data.parquet`)} (FORMAT parquet)`);
        rows = Number(copied.rowsChanged);
      } catch (e) {
        removeVersionDir(dir);
        throw explainWrite(e, dir);
      }
      // hive_partitioning = false: the `v=<version>` folder must not surface as a column `v`.
      const view = `CREATE OR REPLACE VIEW ${node.relation.rendered} AS SELECT * FROM read_parquet(${lit(`${dir}/*.parquet`)}, hive_partitioning = false)`;
      let res: MaterializeResult | undefined;
      let failure: unknown;
      try {
        res = await this.publish(c, view, node, audit, dir, rows);
      } catch (e) {
        failure = e;
      }
      // What is published is what the catalog says now, not what the calls returned: a COMMIT hit
      // by Ctrl-C can raise "Interrupted" after it has committed.
      const published = await this.committedPath(node.relation.rendered);
      if (published !== 'unknown') this.pruneVersions(base, published);
      if (failure === undefined) return res!;
      if (published !== 'unknown' && published !== undefined && path.resolve(published) === path.resolve(dir)) {
        return { published: true, response: { message: `OK ${rows} rows (committed as the interrupt arrived)`, rows_affected: rows } };
      }
      throw failure;
    }, signal);
  }

  private async publish(c: DuckDBConnection, ddl: string, node: ModelNode | SeedNode, audit: Audit, dir: string | undefined, rows: number | undefined): Promise<MaterializeResult> {
    await c.run('BEGIN TRANSACTION');
    try {
      await c.run(ddl);
      await c.run(`DELETE FROM _stedi.published WHERE relation = ${lit(node.relation.rendered)}`);
      if (dir) {
        await c.run(`INSERT INTO _stedi.published VALUES (${lit(node.relation.rendered)}, ${lit(dir.slice(dir.lastIndexOf('=') + 1))}, ${lit(dir)}, now(), ${rows ?? 0})`);
      }
      const ok = await audit({ query: (s) => run(c, s) });
      await c.run(ok ? 'COMMIT' : 'ROLLBACK');
      const what = dir ? `${rows} rows` : 'VIEW';
      return { published: ok, response: { message: ok ? `OK ${what}` : `NOT PUBLISHED ${what}`, ...(rows !== undefined ? { rows_affected: rows } : {}) } };
    } catch (e) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /**
   * The version folder the catalog points at for `relation`, read on a fresh connection (which
   * sees only committed state); undefined when nothing is published, 'unknown' when it cannot
   * be read — then nothing is deleted now and the next `open('write')` cleans up.
   */
  private async committedPath(relation: string): Promise<string | undefined | 'unknown'> {
    try {
      const r = await this.withConnection((fresh) => fresh.runAndReadAll(`SELECT path FROM _stedi.published WHERE relation = ${lit(relation)}`));
      const row = r.getRows()[0];
      return row ? String(row[0]) : undefined;
    } catch {
      return 'unknown';
    }
  }

  /** Deletes every version folder of a table except the one the catalog points at. */
  private pruneVersions(base: string, published: string | undefined): void {
    for (const d of listVersionDirs(base)) if (!published || path.resolve(d) !== path.resolve(published)) removeVersionDir(d);
  }

  async cancelAll(): Promise<void> {
    for (const c of this.live) c.interrupt();
  }

  private async exec(sql: string): Promise<void> {
    await this.withConnection((c) => c.run(sql));
  }

  /** Schema creation is serialised: concurrent CREATE SCHEMA would conflict in the catalog. */
  private async ensureSchema(schema: string): Promise<void> {
    if (this.schemas.has(schema)) return;
    const next = this.schemaLock.then(async () => {
      if (!this.schemas.has(schema)) await this.exec(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`);
      this.schemas.add(schema);
    });
    this.schemaLock = next.catch(() => undefined);
    await next;
  }

  private async withConnection<T>(fn: (c: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!this.instance) throw new Error('internal: adapter used before open()');
    signal?.throwIfAborted();
    const c = await this.instance.connect();
    this.live.add(c);
    const onAbort = () => c.interrupt();
    signal?.addEventListener('abort', onAbort);
    try {
      for (const [k, v] of this.secrets) await c.run(`SET VARIABLE ${q(k)} = ${lit(v)}`);
      return await fn(c);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.live.delete(c);
      c.closeSync();
    }
  }
}

async function run(c: DuckDBConnection, sql: string): Promise<QueryResult> {
  try {
    return toQueryResult(await c.runAndReadAll(sql));
  } catch (e) {
    throw new EngineError((e as Error).message);
  }
}

function mkdirOrExplain(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw explainWrite(e, dir);
  }
}

/**
 * Disk-full and permission errors name the path; the published version is untouched. Errors
 * of the query itself (binder, parser, conversion, interrupt …) are not write errors and keep
 * DuckDB's message.
 */
function explainWrite(e: unknown, dir: string): Error {
  const err = e as NodeJS.ErrnoException;
  const msg = err.message ?? String(e);
  const io = typeof err.code === 'string' || msg.includes(dir) || /no space left|disk full|read-only file system/i.test(msg);
  if (!io) return new EngineError(msg);
  const why = err.code === 'ENOSPC' || /no space/i.test(msg) ? 'the disk is full' : err.code === 'EACCES' || /permission denied/i.test(msg) ? 'permission denied' : msg;
  return new EngineError(`cannot write ${dir}: ${why}; the published version is unchanged`, { path: dir });
}
