/**
 * The DuckDB adapter: the local lake. Every table (landing tables included) is Parquet under the
 * lake folder, one `v=<version>/` folder per version; a DuckDB catalog file holds one view per
 * node (pointing at the published version) and stedi's bookkeeping (catalog.ts), so the plain
 * DuckDB CLI queries every table by name.
 *
 * Write-audit-publish: the new version is written to a fresh folder (with its ownership marker,
 * lake.ts), then — inside one transaction — the view is switched to it, the version and the
 * inputs it was built from are recorded, and the executor's gate runs against it (volume guards,
 * blocking tests); the transaction commits only when the gate passes. Other connections never see
 * the candidate; a failed gate, a failed query or a killed process leaves the previous version
 * published (DuckDB's write-ahead log guarantees the catalog).
 *
 * Readers (`open('read')`) never open the catalog: they build their views from the published
 * snapshot in memory (reader.ts), so they work while a build holds the catalog. For them, the
 * previous `keep_versions` versions of each table stay on disk.
 *
 * Deletions: only `v=` folders whose marker names this project and target, never one the
 * committed catalog keeps (read on a fresh connection, never what a call returned: a COMMIT hit
 * by Ctrl-C can raise after committing).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { scrubEngineMessage } from '../../core/redact.js';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { PseudonymKey } from '../../landing/derive.js';
import type { ErasureList } from '../../landing/erasure.js';
import { erasureList, erasureLogPath, readErasureLog } from '../../landing/erasure-log.js';
import { localErasure } from './erasure.js';
import type { DuckDbTargetConfig } from '../../targets/duckdb/spec.js';
import type { ModelNode, SeedNode, SourceNode } from '../../manifest/types.js';
import type { Adapter, AdapterResponse, Audit, Candidate, MaterializeResult, PublishedRecord, PublishOptions, QueryResult, ReuseStore } from '../types.js';
import { EngineError, type ErasureAccess } from '../types.js';
import { canonicalLine, readLine, sourceMessage } from '../../landing/report.js';
import { LandingReadError, localStore, type LandingStore } from '../../landing/store.js';
import { duckdbReuseStore } from './reuse-store.js';
import { asPublishedRecords, keptFiles, keptPaths, landingFileRows, landingStateRows, prepareBookkeeping, publishedRows, readSnapshot, recordInputs, recordPublished, snapshotPath, SNAPSHOT_SCHEMA_VERSION, versionsBeyond, forgetHistory, writeSnapshot, type PublishedRow, type Snapshot } from './catalog.js';
import { adoptVersionDir, claimLake, listOwnedVersionDirs, makeVersionDir, newVersion, removeVersionDir, type Owner } from './lake.js';
import { localTableFolder } from '../../core/paths.js';
import { explainOpen, isDamage, openInstance } from './open.js';
import { loadSnapshot, parquetView } from './reader.js';
import { dropLegacyTable, loadState, recordFiles, rejectsRelation, stageLanding } from './sources.js';
import { writeIncremental } from './incremental.js';
import { writeMicrobatch } from './microbatch.js';
import { partRows, type SourceState } from '../../landing/state.js';
import { toQueryResult } from './values.js';
import { duckdbVersionFiles } from './versions.js';
import { sameAsPublished } from './unchanged.js';

const q = duckdbDialect.quoteIdent;

export type DuckDbAdapterConfig = Pick<DuckDbTargetConfig, 'lake_dir' | 'path_template' | 'catalog' | 'memory_limit' | 'temp_directory' | 'ingest_threads' | 'landing_reader'> & { keep_versions?: number };

/** The connection-local view of a candidate's fresh parts while its gate tests run. */
const DELTA_VIEW = '__stedi_delta';

/**
 * The parts of a candidate that the published version of the same node does not have, when both
 * are lists of immutable parts and some are kept (otherwise there is no delta: every row is new).
 */
function freshParts(published: PublishedRow | undefined, node: string, parts: string[]): { fresh: string[]; kept: number } | undefined {
  if (!published || published.kind !== 'table' || published.node !== node || !published.parts?.length) return undefined;
  const before = new Set(published.parts);
  const fresh = parts.filter((p) => !before.has(p));
  const kept = parts.length - fresh.length;
  return kept > 0 ? { fresh, kept } : undefined;
}

/** Earlier versions kept besides the published one (as on the athena target). */
export const DEFAULT_KEEP_VERSIONS = 1;

export class DuckDbAdapter implements Adapter {
  readonly dialect = duckdbDialect;
  private instance?: DuckDBInstance;
  private pseudonymKey?: PseudonymKey;
  private readonly live = new Set<DuckDBConnection>();
  private schemaLock: Promise<void> = Promise.resolve();
  /** Pruning and snapshot writes, one at a time. */
  private bookkeeping: Promise<unknown> = Promise.resolve();
  private readonly schemas = new Set<string>();
  private mode?: 'read' | 'write' | 'memory';
  private snapshot?: Snapshot;

  /** `catalog` ':memory:' gives a throw-away database (unit tests): queries only. */
  constructor(
    private readonly cfg: DuckDbAdapterConfig,
    private readonly owner: Owner = { project: '', target: '' },
  ) {}

  private get keep(): number {
    return this.cfg.keep_versions ?? DEFAULT_KEEP_VERSIONS;
  }

  private options(): Record<string, string> {
    const o: Record<string, string> = {};
    if (this.cfg.memory_limit) o.memory_limit = this.cfg.memory_limit;
    if (this.cfg.temp_directory) o.temp_directory = this.cfg.temp_directory;
    return o;
  }

  async open(mode: 'read' | 'write'): Promise<void> {
    if (this.cfg.catalog === ':memory:') {
      this.instance = await openInstance(':memory:', this.options());
      this.mode = 'memory';
      return;
    }
    if (mode === 'read') return this.openReader();
    claimLake(this.cfg.lake_dir, this.owner, { write: true, adoptable: fs.existsSync(this.cfg.catalog) });
    fs.mkdirSync(path.dirname(this.cfg.catalog), { recursive: true });
    this.instance = await openInstance(this.cfg.catalog, this.options());
    this.mode = 'write';
    try {
      await this.withConnection((c) => prepareBookkeeping(c));
      await this.withConnection((c) => this.erasuresView(c));
      await this.adoptKept();
    } catch (e) {
      // DuckDB opens a truncated file; a damaged block shows only when it is read
      const msg = (e as Error).message ?? String(e);
      if (isDamage(msg)) throw explainOpen(this.cfg.catalog, msg);
      throw e;
    }
    await this.sweep();
    await this.writeSnapshotNow();
  }

  /**
   * Readers see what the published snapshot lists, in an in-memory database. A lake written by
   * a stedi version before the snapshot existed is read through its catalog, read-only.
   */
  private async openReader(): Promise<void> {
    claimLake(this.cfg.lake_dir, this.owner, { write: false, adoptable: false });
    const file = snapshotPath(this.cfg.catalog);
    let snap: Snapshot | undefined;
    try {
      snap = readSnapshot(file);
    } catch (e) {
      throw new EngineError(`cannot read ${file}: ${scrubEngineMessage((e as Error).message)}; run stedi build (it rewrites the file)`, { path: file });
    }
    if (!snap) {
      if (!fs.existsSync(this.cfg.catalog)) throw new EngineError(`no catalog at ${this.cfg.catalog}: nothing has been built on this target yet (run stedi build)`, { path: this.cfg.catalog });
      this.instance = await openInstance(this.cfg.catalog, { ...this.options(), access_mode: 'READ_ONLY' });
      this.mode = 'read';
      return;
    }
    this.snapshot = snap;
    this.instance = await openInstance(':memory:', this.options());
    this.mode = 'read';
    await this.withConnection((c) => loadSnapshot(c, snap));
  }

  /** Folders the catalog keeps but that carry no marker yet (a lake of an earlier stedi): the catalog is the proof they are ours. */
  private async adoptKept(): Promise<void> {
    const rows = await this.withConnection((c) => publishedRows(c));
    for (const r of rows) if (r.path) adoptVersionDir(r.path, this.owner, r.node ?? r.relation);
    for (const p of await this.withConnection((c) => keptPaths(c))) adoptVersionDir(p, this.owner, 'history');
  }

  /**
   * Removes every version folder of this project and target that the committed catalog does not
   * keep: what a killed build left (at open) or what a stopped one could not prune itself (at
   * close). Compared as absolute paths: the same lake named another way must not make every
   * published version look stale.
   */
  private async sweep(): Promise<void> {
    const kept = new Set((await this.withConnection((c) => keptPaths(c))).map((p) => path.resolve(p)));
    for (const dir of listOwnedVersionDirs(this.cfg.lake_dir, this.owner)) if (!kept.has(path.resolve(dir))) removeVersionDir(dir, this.owner);
  }

  async close(): Promise<void> {
    if (this.mode === 'write' && this.live.size === 0) {
      // nothing runs any more: what the catalog committed decides; if it cannot be read, the next open sweeps
      await this.bookkeeping.catch(() => undefined);
      await this.sweep().catch(() => undefined);
      await this.writeSnapshotNow().catch(() => undefined);
    }
    this.mode = undefined;
    for (const c of this.live) c.closeSync();
    this.live.clear();
    this.instance?.closeSync();
    this.instance = undefined;
  }

  setPseudonymKey(key: PseudonymKey): void {
    this.pseudonymKey = key;
  }

  landingStore(): LandingStore {
    return localStore();
  }

  erasure(): ErasureAccess {
    return localErasure(this.cfg.lake_dir, this.owner, (sql) => this.query(sql), () => claimLake(this.cfg.lake_dir, this.owner, { write: true, adoptable: fs.existsSync(this.cfg.catalog) }));
  }

  /** Test results for reuse: only while writing (a build); readers and the in-memory catalog keep none. */
  reuse(): ReuseStore | undefined {
    return this.mode === 'write' ? duckdbReuseStore((fn) => this.withConnection(fn)) : undefined;
  }

  /** `_stedi.erasures`: the erasure log (request and receipt lines, hashes and counts only) as a view, once there is one. */
  private async erasuresView(c: DuckDBConnection): Promise<void> {
    const file = erasureLogPath(this.cfg.lake_dir);
    if (!fs.existsSync(file)) return;
    const columns = "{'kind': 'VARCHAR', 'id': 'VARCHAR', 'at': 'TIMESTAMP', 'key_fingerprint': 'VARCHAR', 'persons': 'VARCHAR[]', 'devices': 'VARCHAR[]', 'removed': 'JSON', 'unknown': 'BIGINT'}";
    await c.run(`CREATE OR REPLACE VIEW _stedi.erasures AS SELECT * FROM read_json(${duckdbDialect.quoteString(file)}, format = 'newline_delimited', columns = ${columns})`);
  }

  /** The lake's erasure list (`stedi forget`), read afresh for every ingestion: a log that cannot be read stops it. */
  private erasureOption(): { erasure?: ErasureList } {
    const file = erasureLogPath(this.cfg.lake_dir);
    let list: ErasureList | undefined;
    try {
      list = erasureList(readErasureLog(file), file);
    } catch (e) {
      throw new EngineError((e as Error).message, { path: file });
    }
    return list ? { erasure: list } : {};
  }

  async query(sql: string, signal?: AbortSignal): Promise<QueryResult> {
    return this.withConnection((c) => run(c, sql), signal);
  }

  async published(): Promise<PublishedRecord[]> {
    if (this.mode === 'read' && this.snapshot) return asPublishedRecords(this.snapshot.relations);
    if (this.mode === 'memory') return [];
    try {
      return asPublishedRecords(await this.withConnection((c) => publishedRows(c)), (f) => fs.existsSync(f));
    } catch (e) {
      // a catalog of an earlier stedi opened read-only has no inputs recorded
      if (this.mode === 'read') return [];
      throw e;
    }
  }

  /**
   * Landing ingestion (sources.ts): both tables written as new versions, then published in one
   * transaction. Ingestions run side by side like models, each on its own connection with its own
   * staging tables (bounded: a Parquet part every few million rows) and its own classifier
   * threads: while one source's files are read by DuckDB's JSON reader, another's are hashed or
   * classified in the runner.
   */
  async prepareSource(node: SourceNode, audit: Audit, opts: PublishOptions = {}): Promise<AdapterResponse & { published: boolean }> {
    this.writable();
    const { signal } = opts;
    await this.ensureSchema(node.relation.schema);
    try {
      return await this.withConnection((c) => this.ingest(c, node, audit, opts), signal);
    } catch (e) {
      if (e instanceof LandingReadError) throw new EngineError(`${e.message}; the published version is unchanged`, { path: e.path });
      if (e instanceof EngineError) throw e;
      // DuckDB names the file it could not write (the catalog or its write-ahead log)
      const file = /file "([^"]+)"/.exec((e as Error).message ?? '')?.[1];
      const base = path.basename(this.cfg.catalog);
      const named = !file ? this.cfg.catalog : path.basename(file).startsWith(base) ? `${this.cfg.catalog}${path.basename(file).slice(base.length)}` : path.relative('.', file) || file;
      throw explainWrite(e, named);
    }
  }

  private async ingest(c: DuckDBConnection, node: SourceNode, audit: Audit, opts: PublishOptions): Promise<AdapterResponse & { published: boolean }> {
    const rej = rejectsRelation(node);
    const version = newVersion();
    const folder = (name: string) => `${localTableFolder(this.cfg.lake_dir, this.cfg.path_template, { entity: node.entity, zone: node.relation.schema, name })}/v=${version}`;
    const dirs = { accepted: folder(node.relation.identifier), rejects: folder(rej.identifier) };
    for (const d of Object.values(dirs)) mkVersion(d, this.owner, node.unique_id);
    let published = false;
    try {
      // the state of the last published ingestion, if both of its tables are still what it describes
      const source = `${node.source_name}.${node.name}`;
      const previous = await this.previousState(c, source, [node.relation.rendered, rej.rendered]);
      const staged = await stageLanding(c, node, dirs, { ...(opts.signal ? { signal: opts.signal } : {}), ...(previous ? { previous } : {}), ...(opts.fullRefresh ? { fullRefresh: true } : {}), ...(this.cfg.ingest_threads !== undefined ? { threads: this.cfg.ingest_threads } : {}), ...(this.cfg.landing_reader ? { reader: this.cfg.landing_reader } : {}), ...(this.pseudonymKey ? { key: this.pseudonymKey } : {}), ...this.erasureOption() });
      const { parts } = staged.state;
      const rows = { accepted: partRows(parts.accepted), rejects: partRows(parts.rejects) };
      const previousRows = await this.committedRows(node.relation.rendered);
      const inputs = opts.inputs ? JSON.stringify(opts.inputs) : null;
      published = await this.transact(c, async () => {
        for (const [r, dir, kind] of [[node.relation, dirs.accepted, 'accepted'], [rej, dirs.rejects, 'rejects']] as const) {
          await dropLegacyTable(c, r.schema, r.identifier);
          const files = parts[kind].map((p) => p.path);
          await c.run(parquetView(r.rendered, dir, files));
          await recordPublished(c, { relation: r.rendered, schema_name: r.schema, identifier: r.identifier, kind: 'table', node: node.unique_id, version, path: dir, row_count: rows[kind], definition: null, inputs, parts: files });
        }
        await recordFiles(c, staged.state);
      }, audit, { rows: rows.accepted, ...(previousRows !== undefined ? { previousRows } : {}), landing: staged.report });
      const read = [readLine(staged.report, staged.read, staged.notRead), canonicalLine(staged.read, staged.canonical)].filter(Boolean).join('\n  ');
      const message = `${sourceMessage(staged.report)}${read ? `\n  ${read}` : ''}`;
      return { published, message: published ? message : `NOT PUBLISHED ${message}`, landing: staged.report, rows_affected: rows.accepted };
    } finally {
      const committed = await this.committedPath(node.relation.rendered);
      const ours = committed !== 'unknown' && committed !== undefined && path.resolve(committed) === path.resolve(dirs.accepted);
      if (!ours && committed !== 'unknown') for (const d of Object.values(dirs)) removeVersionDir(d, this.owner);
      if (ours) await this.afterPublish([[node.relation.rendered, path.posix.dirname(dirs.accepted)], [rej.rendered, path.posix.dirname(dirs.rejects)]]);
    }
  }

  /**
   * The recorded ingestion state of `source`, used only when it describes exactly the parts the
   * published landing tables read (a catalog restored by `stedi recover`, or tables published by
   * an earlier stedi, give none: every file is read again).
   */
  private async previousState(c: DuckDBConnection, source: string, relations: string[]): Promise<SourceState | undefined> {
    const state = await loadState(c, source);
    if (!state) return undefined;
    const rows = await publishedRows(c);
    const same = (rel: string, parts: { path: string }[]) => {
      const r = rows.find((x) => x.relation === rel);
      return !!r?.parts && r.parts.length === parts.length && r.parts.every((p, i) => p === parts[i]!.path) && parts.every((p) => fs.existsSync(p.path));
    };
    return same(relations[0]!, state.parts.accepted) && same(relations[1]!, state.parts.rejects) ? state : undefined;
  }

  async materialize(node: ModelNode | SeedNode, sql: string, audit: Audit, opts: PublishOptions = {}): Promise<MaterializeResult> {
    this.writable();
    const { signal } = opts;
    await this.ensureSchema(node.relation.schema);
    const rel = node.relation;
    const inputs = opts.inputs ? JSON.stringify(opts.inputs) : null;
    return this.withConnection(async (c) => {
      if (node.resource_type === 'model' && node.materialized === 'view') {
        const ok = await this.transact(c, async () => {
          await c.run(`CREATE OR REPLACE VIEW ${rel.rendered} AS\n${sql}`);
          await recordPublished(c, { relation: rel.rendered, schema_name: rel.schema, identifier: rel.identifier, kind: 'view', node: node.unique_id, version: null, path: null, row_count: null, definition: sql, inputs });
        }, audit, {});
        if (ok) await this.afterPublish([]);
        return { published: ok, response: { message: ok ? 'OK VIEW' : 'NOT PUBLISHED VIEW' } };
      }
      const base = localTableFolder(this.cfg.lake_dir, this.cfg.path_template, { entity: node.entity, zone: rel.schema, name: rel.identifier });
      const version = newVersion();
      const dir = `${base}/v=${version}`;
      mkVersion(dir, this.owner, node.unique_id);
      let rows: number;
      // an incremental model's version lists its parts (incremental.ts); a table is every file of its folder
      let parts: string[] | null = null;
      let note = '';
      let keyed: { relation: string; key: string; column: string; baseline: string }[] | undefined;
      // what is published now, read once: an incremental model builds on it, and its delta audit is against it
      const before = node.resource_type === 'model' && node.materialized === 'incremental' ? await publishedRows(c) : [];
      try {
        if (node.resource_type === 'model' && node.materialized === 'incremental' && node.config.incremental_strategy === 'microbatch') {
          if (opts.incrementalSql === undefined || !opts.microbatch) throw new EngineError(`${node.name}: incremental_strategy microbatch, but its batch SQL or its inputs were not handed to the adapter; compile again`);
          const w = await writeMicrobatch(c, node, { full: sql, batch: opts.incrementalSql }, opts.microbatch, dir, before, opts.fullRefresh === true);
          rows = w.rows;
          parts = w.parts;
          note = w.note;
          const column = opts.microbatch.restateColumn;
          if (w.keyed?.length && column !== undefined) keyed = w.keyed.map((k) => ({ ...k, column }));
        } else if (node.resource_type === 'model' && node.materialized === 'incremental') {
          // never the full SQL as a batch: it would add every row again
          if (opts.incrementalSql === undefined) throw new EngineError(`${node.name}: materialized: incremental, but no is_incremental() SQL was compiled for it; compile again`);
          const published = before.find((r) => r.relation === rel.rendered);
          const w = await writeIncremental(c, node, { full: sql, batch: opts.incrementalSql }, dir, published, opts.fullRefresh === true);
          rows = w.rows;
          parts = w.parts;
          note = w.mode === 'full' ? ' (built whole)' : ` (${w.batch} new row${w.batch === 1 ? '' : 's'}, ${w.mode}${w.replaced ? `, ${w.replaced} replaced` : ''}${w.schemaChange ? `; ${w.schemaChange}` : ''}${w.compacted ? `; ${w.compacted} parts compacted into one` : ''})`;
        } else {
          const copied = await c.runAndReadAll(`COPY (\n${sql}\n) TO ${duckdbDialect.quoteString(`${dir}/data.parquet`)} (FORMAT parquet)`);
          rows = Number(copied.rowsChanged);
        }
      } catch (e) {
        removeVersionDir(dir, this.owner);
        if (e instanceof EngineError) throw e;
        throw explainWrite(e, dir);
      }
      const previous = await this.committedRow(rel.rendered);
      const previousRows = previous?.row_count ?? undefined;
      // a table rebuilt to exactly its published rows keeps that version (unchanged.ts): what reads it is reused
      const kept = !parts && node.resource_type === 'model' && opts.keepUnchanged === true && !opts.fullRefresh && (await sameAsPublished(c, previous, node.unique_id, dir, rows));
      if (kept) note = ' (the same rows as published: that version stays, and what reads it can be reused)';
      // the rows this version adds to the published one, for delta audits (runner/execute/delta-test.ts)
      const delta = parts ? freshParts(before.find((r) => r.relation === rel.rendered), node.unique_id, parts) : undefined;
      let ok = false;
      let failure: unknown;
      try {
        ok = await this.transact(c, async () => {
          if (kept) {
            // the gate audits the published version (the same rows); only the inputs it is now known to be built from are recorded
            if (inputs !== null) await recordInputs(c, rel.rendered, inputs);
            return;
          }
          await c.run(parquetView(rel.rendered, dir, parts));
          if (delta) await c.run(`CREATE OR REPLACE TEMP VIEW ${q(DELTA_VIEW)} AS ${delta.fresh.length ? `SELECT * FROM read_parquet([${delta.fresh.map(duckdbDialect.quoteString).join(', ')}], hive_partitioning = false)` : `SELECT * FROM ${rel.rendered} WHERE false`}`);
          await recordPublished(c, { relation: rel.rendered, schema_name: rel.schema, identifier: rel.identifier, kind: 'table', node: node.unique_id, version, path: dir, row_count: rows, definition: null, inputs, ...(parts ? { parts } : {}) });
        }, audit, { rows, ...(previousRows !== undefined ? { previousRows } : {}), ...(delta ? { delta: { relation: q(DELTA_VIEW), parts: delta.fresh.length, kept: delta.kept, ...(keyed ? { keyed } : {}) } } : {}), versions: duckdbVersionFiles(c, (fn) => this.withConnection(fn)) });
      } catch (e) {
        failure = e;
      } finally {
        if (delta) await c.run(`DROP VIEW IF EXISTS ${q(DELTA_VIEW)}`).catch(() => undefined);
      }
      // What is published is what the catalog says now, not what the calls returned: a COMMIT hit
      // by Ctrl-C can raise "Interrupted" after it has committed.
      const committed = await this.committedPath(rel.rendered);
      const ours = committed !== 'unknown' && committed !== undefined && path.resolve(committed) === path.resolve(dir);
      if (ours) await this.afterPublish([[rel.rendered, base]]);
      else if (committed !== 'unknown') removeVersionDir(dir, this.owner);
      // a kept version's recorded inputs changed: the readers' snapshot follows (ok is set only by a commit)
      if (kept && ok) await this.afterPublish([]);
      if (failure === undefined) return { published: ok, response: { message: ok ? `OK ${rows} rows${note}` : `NOT PUBLISHED ${rows} rows${note}`, rows_affected: rows } };
      if (ours) return { published: true, response: { message: `OK ${rows} rows (committed as the interrupt arrived)`, rows_affected: rows } };
      throw failure;
    }, signal);
  }

  private writable(): void {
    if (this.mode !== 'write') throw new Error(`internal: the adapter was opened for ${this.mode ?? 'nothing'}, not for writing`);
  }

  /** One publishing transaction: `body` switches views and records, then the gate decides. */
  private async transact(c: DuckDBConnection, body: () => Promise<void>, audit: Audit, candidate: Candidate): Promise<boolean> {
    await c.run('BEGIN TRANSACTION');
    try {
      await body();
      const ok = await audit({ query: (s) => run(c, s) }, candidate);
      await c.run(ok ? 'COMMIT' : 'ROLLBACK');
      return ok;
    } catch (e) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /**
   * After a commit: the snapshot readers use is rewritten, and each published table's versions
   * beyond keep_versions, and any other folder of its own in its table folder, are removed.
   */
  private afterPublish(tables: [relation: string, base: string][]): Promise<void> {
    const next = this.bookkeeping.then(async () => {
      await this.writeSnapshotNow();
      for (const [relation, base] of tables) await this.prune(relation, base);
    });
    this.bookkeeping = next.catch(() => undefined);
    return next.catch(() => undefined);
  }

  private async prune(relation: string, base: string): Promise<void> {
    await this.withConnection(async (c) => {
      // versions beyond keep_versions leave history; their folders go unless a kept version still reads parts of them
      const beyond = await versionsBeyond(c, relation, this.keep);
      await forgetHistory(c, beyond);
      const kept = new Set((await keptPaths(c)).map((p) => path.resolve(p)));
      const files = await keptFiles(c);
      for (const d of listOwnedVersionDirs(base, this.owner)) {
        if (!kept.has(path.resolve(d))) removeVersionDir(d, this.owner);
        else if (!files.wholeFolders.has(path.resolve(d))) removeUnreadParts(d, files.parts);
      }
    });
  }

  /** The published snapshot, from the committed catalog (a fresh connection sees committed state only). */
  private async writeSnapshotNow(): Promise<void> {
    const [relations, files, states] = await this.withConnection(async (c) => [await publishedRows(c), await landingFileRows(c), await landingStateRows(c)] as const);
    const file = snapshotPath(this.cfg.catalog);
    try {
      writeSnapshot(file, { schema_version: SNAPSHOT_SCHEMA_VERSION, project: this.owner.project, target: this.owner.target, written_at: new Date().toISOString(), relations, landing_files: files, landing_state: states });
    } catch (e) {
      throw explainWrite(e, file);
    }
  }

  /**
   * The version folder the catalog points at for `relation`, read on a fresh connection (which
   * sees only committed state); undefined when nothing is published, 'unknown' when it cannot
   * be read — then nothing is deleted now and the next `open('write')` cleans up.
   */
  private async committedPath(relation: string): Promise<string | undefined | 'unknown'> {
    try {
      return (await this.committedRow(relation))?.path ?? undefined;
    } catch {
      return 'unknown';
    }
  }

  private async committedRows(relation: string): Promise<number | undefined> {
    const r = await this.committedRow(relation);
    return r?.row_count ?? undefined;
  }

  private async committedRow(relation: string): Promise<PublishedRow | undefined> {
    const rows = await this.withConnection((fresh) => publishedRows(fresh));
    return rows.find((r) => r.relation === relation);
  }

  async cancelAll(): Promise<void> {
    for (const c of this.live) c.interrupt();
  }

  /** Schema creation is serialised: concurrent CREATE SCHEMA would conflict in the catalog. */
  private async ensureSchema(schema: string): Promise<void> {
    if (this.schemas.has(schema)) return;
    const next = this.schemaLock.then(async () => {
      if (!this.schemas.has(schema)) await this.withConnection((c) => c.run(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`));
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
      return await fn(c);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.live.delete(c);
      c.closeSync();
    }
  }
}

/** The Parquet files of a kept folder (read part by part) that no kept version lists any more. */
/**
 * The Parquet files of a kept version folder that no kept version lists, at any depth (microbatch
 * parts are filed by interval below it); its `_state` folder (what the version was built from)
 * stays with it.
 */
function removeUnreadParts(dir: string, listed: Set<string>): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.resolve(dir, e.name);
    if (e.isDirectory() && e.name !== '_state') {
      removeUnreadParts(p, listed);
      if (!fs.readdirSync(p).length) fs.rmdirSync(p);
    } else if (e.isFile() && e.name.endsWith('.parquet') && !listed.has(p)) fs.rmSync(p, { force: true });
  }
}

function mkVersion(dir: string, owner: Owner, node: string): void {
  try {
    makeVersionDir(dir, owner, node);
  } catch (e) {
    throw explainWrite(e, dir);
  }
}

/** A statement's result; an engine error keeps DuckDB's words without any value of the data. */
async function run(c: DuckDBConnection, sql: string): Promise<QueryResult> {
  try {
    return toQueryResult(await c.runAndReadAll(sql));
  } catch (e) {
    throw new EngineError(scrubEngineMessage((e as Error).message, sql));
  }
}

/**
 * Disk-full and permission errors name the path; the published version is untouched. Errors
 * of the query itself (binder, parser, conversion, interrupt …) are not write errors and keep
 * DuckDB's message, scrubbed of values.
 */
function explainWrite(e: unknown, dir: string): Error {
  const err = e as NodeJS.ErrnoException;
  const msg = err.message ?? String(e);
  const io = typeof err.code === 'string' || msg.includes(dir) || /no space left|disk full|read-only file system/i.test(msg);
  if (!io) return e instanceof EngineError ? e : new EngineError(scrubEngineMessage(msg));
  const why = err.code === 'ENOSPC' || /no space/i.test(msg) ? 'the disk is full' : err.code === 'EACCES' || /permission denied/i.test(msg) ? 'permission denied' : scrubEngineMessage(msg);
  return new EngineError(`cannot write ${dir}: ${why}; the published version is unchanged`, { path: dir });
}
