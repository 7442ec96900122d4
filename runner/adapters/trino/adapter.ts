/**
 * The trino target's engine: Iceberg tables in one schema, published by write-audit-publish.
 * A candidate table `<name>__stedi_<version>` is built (CREATE TABLE AS), the executor's gate
 * runs against it, and only then `CREATE OR REPLACE TABLE <name> AS SELECT * FROM candidate`
 * publishes it in one Iceberg commit (readers see the old or the new snapshot, never a mix; a
 * rename would need the old table dropped first, a moment with no table). Every table stedi
 * creates carries its owner in its comment; a table of that name without this owner's comment is
 * never replaced. Landing: the runner's classifier reads the landing files (a local folder, or an
 * S3 prefix: s3.ts) and writes normalised JSON lines into `landing_dir` (a local folder, or an S3
 * prefix under stedi's ownership markers: s3.ts) that Trino reads as `landing_location`,
 * registered as a Hive JSON table and copied into the Iceberg candidate. The pseudonymisation
 * key stays in the runner: the derived column is computed at ingestion (runner/landing/derive.ts),
 * so Trino never sees the key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fillWindow } from '../../core/batches.js';
import type { Dialect } from '../../dialect/types.js';
import { landingColumns } from '../../landing/classify.js';
import type { PseudonymKey } from '../../landing/derive.js';
import { ingestLanding, sourceSpec, type LandingSink } from '../../landing/ingest.js';
import { localStore } from '../../landing/store.js';
import { REJECTS_COLUMNS, type LandingColumn, type LandingValue, type RejectRow } from '../../landing/types.js';
import type { ModelNode, SeedNode, SourceNode } from '../../manifest/types.js';
import { csvHeader, csvToRows } from '../../project/csv.js';
import { trinoSpec } from '../../targets/trino/spec.js';
import type { TargetSettings } from '../../targets/types.js';
import { candidateName, newVersion } from '../trino-sql/versions.js';
import { seedSelect } from '../trino-sql/seed.js';
import { mapType } from '../trino-sql/types-map.js';
import type { Adapter, AdapterResponse, Audit, ErasureAccess, MaterializeResult, PublishedRecord, PublishOptions, QueryResult, Queryable } from '../types.js';
import { EngineError } from '../types.js';
import type { AwsApi } from '../athena/api.js';
import { s3LandingStore } from '../athena/landing-io.js';
import { TRINO_PASSWORD_ENV, TrinoClient } from './client.js';
import { hiveVersionName, keptVersions, versionsToDrop } from './hive.js';
import { pruneSnapshots } from './prune.js';
import { lit, ownMeta, q, type Meta } from './sql.js';
import { createS3Api, isS3, S3Parts } from './s3.js';
import { leftoverPartFolders, leftoverTables, type Listed } from './sweep.js';

export { TRINO_PASSWORD_ENV };

/**
 * The password of the target's user, from STEDI_TRINO_PASSWORD (none: no authentication, as on a
 * local server). Fail closed: a password is sent only over https://, or over http:// to this
 * machine (127.0.0.1, ::1, localhost), where nothing travels on a network.
 */
export function trinoPassword(url: string, env: NodeJS.ProcessEnv): string | undefined {
  const password = env[TRINO_PASSWORD_ENV];
  if (password === undefined || password === '') return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EngineError(`the trino target's url '${url}' is not a URL`);
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) throw new EngineError(`${TRINO_PASSWORD_ENV} is set, but the trino target's url is ${u.protocol}//${u.host}: a password is sent only over https:// (or http:// to this machine); nothing was sent`);
  return password;
}

export class TrinoAdapter implements Adapter {
  readonly dialect: Dialect;
  private readonly client: TrinoClient;
  private readonly schema: string;
  private readonly catalog: string;
  private readonly hive: string;
  private key?: PseudonymKey;
  private s3Api?: Promise<AwsApi>;

  constructor(
    private readonly t: TargetSettings,
    private readonly owner: { project: string; target: string },
  ) {
    this.dialect = trinoSpec.dialect(t);
    this.schema = String(t.schema).toLowerCase();
    this.catalog = String(t.catalog);
    this.hive = String(t.hive_catalog ?? 'hive');
    const url = String(t.url).replace(/\/+$/, '');
    const password = trinoPassword(url, process.env);
    this.client = new TrinoClient({ url, user: String(t.user), catalog: this.catalog, schema: this.schema, ...(password !== undefined ? { password } : {}) });
  }

  private get ownerTag(): string {
    return `${this.owner.project}/${this.owner.target}`;
  }

  async open(mode: 'read' | 'write'): Promise<void> {
    if (mode === 'write') await this.client.query(`CREATE SCHEMA IF NOT EXISTS ${q(this.catalog)}.${q(this.schema)}`);
    else await this.client.query('SELECT 1');
  }

  async close(): Promise<void> {}

  /** The S3 client, made when a landing location or landing_dir is on S3 (s3.ts). */
  private s3(): Promise<AwsApi> {
    return (this.s3Api ??= createS3Api({ forcePathStyle: this.t.s3_force_path_style === true }));
  }

  setPseudonymKey(key: PseudonymKey): void {
    this.key = key;
  }

  async query(sql: string, signal?: AbortSignal): Promise<QueryResult> {
    const r = await this.client.query(sql, signal);
    return { columns: r.columns, rows: r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i] ?? null]))) };
  }

  async cancelAll(): Promise<void> {
    await this.client.cancelAll();
  }

  /** The schema's tables and views (Hive ones too: both catalogs share the metastore), each with its owner record when its comment is this project's and target's. */
  private async tables(signal?: AbortSignal): Promise<Map<string, Listed>> {
    const where = `table_schema = ${lit(this.schema)}`;
    const types = await this.client.query(`SELECT table_name, table_type FROM ${q(this.catalog)}.information_schema.tables WHERE ${where}`, signal);
    const comments = await this.client.query(`SELECT table_name, comment FROM system.metadata.table_comments WHERE catalog_name = ${lit(this.catalog)} AND schema_name = ${lit(this.schema)}`, signal);
    const meta = new Map((comments.rows as [string, string | null][]).map(([name, comment]) => [name, ownMeta(comment, this.ownerTag)]));
    const out = new Map<string, Listed>();
    for (const [name, type] of types.rows as [string, string][]) {
      const m = meta.get(name);
      out.set(name, { view: type === 'VIEW', ...(m ? { meta: m } : {}) });
    }
    return out;
  }

  /** The schema's listing and the record of `name`, which must be this owner's for `node` when it exists. */
  private async owned(name: string, node: string, what: string, signal?: AbortSignal): Promise<{ tables: Map<string, Listed>; listed?: Listed }> {
    const tables = await this.tables(signal);
    const listed = tables.get(name);
    if (listed && listed.meta?.node !== node) throw new EngineError(`${what}: ${this.catalog}.${this.schema}.${name} exists but stedi did not create it for ${node} of ${this.ownerTag} (its comment names no such owner): stedi replaces only its own tables; drop or rename it, or choose another schema`);
    return { tables, ...(listed ? { listed } : {}) };
  }

  /** Earlier versions kept besides the published one. */
  private get keepVersions(): number {
    return typeof this.t.keep_versions === 'number' ? this.t.keep_versions : DEFAULT_KEEP_VERSIONS;
  }

  /**
   * Removes what a killed build of `node` left (sweep.ts): its candidate tables and views, and
   * its landing parts folders when `parts` is given. Never throws but when the run is stopped; a
   * problem is a warning in the node's message.
   */
  private async sweep(tables: Map<string, Listed>, names: string[], node: string, parts?: { dir: string; entity: string; names: string[] }, signal?: AbortSignal): Promise<string> {
    const removed: string[] = [];
    const problems: string[] = [];
    for (const name of leftoverTables(tables, names, node)) {
      try {
        await this.client.query(`DROP ${tables.get(name)?.view ? 'VIEW' : 'TABLE'} ${this.rel(name)}`, signal);
        removed.push(name);
      } catch (e) {
        if (signal?.aborted) throw e;
        problems.push(`${name} (${(e as Error).message})`);
      }
    }
    const left: string[] = [];
    if (parts && isS3(parts.dir)) {
      const s3 = await new S3Parts(await this.s3(), parts.dir, this.owner).sweep(parts.entity, parts.names, signal);
      removed.push(...s3.removed);
      left.push(...s3.left);
      problems.push(...s3.problems);
    } else if (parts) {
      for (const f of leftoverPartFolders(parts.dir, parts.entity, parts.names)) {
        fs.rmSync(f, { recursive: true, force: true });
        removed.push(`landing parts ${path.relative(parts.dir, f)}`);
      }
    }
    return `${removed.length ? `; removed what an interrupted build left: ${removed.join(', ')}` : ''}${problems.length ? `; warning: could not remove what an interrupted build left: ${problems.join('; ')}` : ''}${left.length ? `; warning: left in place, no ownership marker of ${this.ownerTag}: ${left.join(', ')}` : ''}`;
  }

  /** Expires the older versions of a published Iceberg table, once its comment proves it is still this owner's (prune.ts). */
  private async pruneTable(name: string, node: string, signal?: AbortSignal): Promise<string> {
    const r = await this.client.query(`SELECT comment FROM system.metadata.table_comments WHERE catalog_name = ${lit(this.catalog)} AND schema_name = ${lit(this.schema)} AND table_name = ${lit(name)}`, signal);
    if (ownMeta(r.rows[0]?.[0] as string | null | undefined, this.ownerTag)?.node !== node) return `; warning: old versions of ${this.schema}.${name} were not removed: its comment no longer names ${node} of ${this.ownerTag}`;
    return pruneSnapshots(this.client, this.catalog, this.schema, name, this.keepVersions, signal);
  }

  private rel(name: string): string {
    return `${q(this.schema)}.${q(name)}`;
  }

  private hiveRel(name: string): string {
    return `${q(this.hive)}.${q(this.schema)}.${q(name)}`;
  }

  private comment(node: string, extra: Partial<Meta> = {}): string {
    return lit(JSON.stringify({ stedi: this.ownerTag, node, ...extra } satisfies Meta));
  }

  private candidate(published: string, candidate: string, signal?: AbortSignal): Queryable {
    return { query: (sql, s) => this.query(sql.split(published).join(candidate), s ?? signal) };
  }

  async materialize(node: ModelNode | SeedNode, sql: string, audit: Audit, opts: PublishOptions = {}): Promise<MaterializeResult> {
    const { signal } = opts;
    const what = `${node.resource_type} ${node.name}`;
    const name = node.relation.identifier;
    const { tables, listed } = await this.owned(name, node.unique_id, what, signal);
    const previous = listed?.meta;
    if (node.resource_type === 'model' && node.materialized === 'incremental' && node.config.incremental_strategy !== 'microbatch') {
      throw new EngineError(`${what}: materialized: incremental (${String(node.config.incremental_strategy ?? 'append')}) is not supported on the trino target yet; use materialized: table, or incremental_strategy: microbatch`);
    }
    const view = node.resource_type === 'model' && node.materialized === 'view';
    const hive = !view && tableFormat(node, this.t) === 'hive';
    // a view cannot replace a table (nor a table a view) in one statement: fail closed instead of dropping first
    if (listed && listed.view !== (view || hive)) {
      const now = hive ? 'a view over a Hive table (table_format: hive)' : view ? 'a view' : 'an Iceberg table';
      throw new EngineError(`${what}: ${this.catalog}.${this.schema}.${name} is ${listed.view ? 'a view' : 'a table'} stedi published, and this build publishes ${now}: Trino cannot replace one by the other atomically, so nothing was changed; drop it (DROP ${listed.view ? 'VIEW' : 'TABLE'}) and build again`);
    }
    const swept = await this.sweep(tables, [name], node.unique_id, undefined, signal);
    const select = node.resource_type === 'seed' ? this.seedSql(node) : fillWindow(sql, () => 'TRUE');
    const version = newVersion();
    const cand = candidateName(name, version);
    let candidateLeft = true;
    try {
      let rows: number | undefined;
      if (view) await this.client.query(`CREATE VIEW ${this.rel(cand)} COMMENT ${this.comment(node.unique_id)} AS ${select}`, signal);
      else if (hive) rows = (await this.client.query(`CREATE TABLE ${this.hiveRel(cand)} COMMENT ${this.comment(node.unique_id)} WITH (format = 'PARQUET') AS ${select}`, signal)).updateCount;
      else rows = (await this.client.query(`CREATE TABLE ${this.rel(cand)} COMMENT ${this.comment(node.unique_id)} AS ${select}`, signal)).updateCount;
      const ok = await audit(this.candidate(node.relation.rendered, this.rel(cand), signal), { ...(rows !== undefined ? { rows } : {}), ...(previous?.rows !== undefined ? { previousRows: previous.rows } : {}) });
      if (!ok) return { published: false, response: { message: `NOT PUBLISHED ${view ? 'view' : 'table'}${swept}` } };
      signal?.throwIfAborted();
      const published = { ...(rows !== undefined ? { rows } : {}), ...(opts.inputs ? { inputs: opts.inputs } : {}), published_at: new Date().toISOString() };
      let pruned = '';
      if (view) {
        await this.client.query(`CREATE OR REPLACE VIEW ${this.rel(name)} COMMENT ${this.comment(node.unique_id, published)} AS ${select}`, signal);
      } else if (hive) {
        const versionTable = hiveVersionName(name, version);
        await this.client.query(`ALTER TABLE ${this.hiveRel(cand)} RENAME TO ${this.hiveRel(versionTable)}`, signal);
        candidateLeft = false;
        const kept = keptVersions(versionTable, previous, this.keepVersions);
        await this.client.query(`CREATE OR REPLACE VIEW ${this.rel(name)} COMMENT ${this.comment(node.unique_id, { ...published, format: 'hive', version_table: versionTable, kept_versions: kept })} AS SELECT * FROM ${this.hiveRel(versionTable)}`, signal);
        pruned = await this.pruneHiveVersions(tables, name, node.unique_id, kept, signal);
      } else {
        await this.client.query(`CREATE OR REPLACE TABLE ${this.rel(name)} COMMENT ${this.comment(node.unique_id, published)} AS SELECT * FROM ${this.rel(cand)}`, signal);
        pruned = await this.pruneTable(name, node.unique_id, signal);
      }
      return { published: true, response: { message: `${view ? 'OK view' : `${rows ?? '?'} rows`}${swept}${pruned}`, ...(rows !== undefined ? { rows_affected: rows } : {}) } };
    } finally {
      if (candidateLeft) await this.client.query(`DROP ${view ? 'VIEW' : 'TABLE'} IF EXISTS ${hive ? this.hiveRel(cand) : this.rel(cand)}`).catch(() => undefined);
    }
  }

  /**
   * Keeps the Hive version tables `kept` (the one the view now reads and the `keep_versions`
   * published before it, as the view's comment records them); drops the node's other version
   * tables, their data with them (managed tables): older versions, and one renamed by a build that
   * failed before its view was replaced. Only tables named `<name>__stedi_v_<version>` whose
   * comment names this owner and node are touched.
   */
  private async pruneHiveVersions(tables: Map<string, Listed>, name: string, node: string, kept: string[], signal?: AbortSignal): Promise<string> {
    const drop = versionsToDrop(tables, name, node, kept);
    const problems: string[] = [];
    for (const v of drop) {
      await this.client.query(`DROP TABLE ${this.hiveRel(v)}`, signal).catch((e: Error) => {
        if (signal?.aborted) throw e;
        problems.push(`${v} (${e.message})`);
      });
    }
    const gone = drop.length - problems.length;
    return `${gone ? `; removed ${gone} old version${gone === 1 ? '' : 's'} (Hive tables), ${kept.length} kept` : ''}${problems.length ? `; warning: old versions not removed: ${problems.join('; ')}` : ''}`;
  }

  private seedSql(node: SeedNode): string {
    const text = fs.readFileSync(node.seed_path, 'utf8');
    const parsed = csvToRows(text);
    if (parsed.error) throw new EngineError(`seed ${node.name} (${node.seed_path}): ${parsed.error}`);
    return seedSelect(node, csvHeader(text), parsed.rows);
  }

  async prepareSource(node: SourceNode, audit: Audit, opts: PublishOptions = {}): Promise<AdapterResponse & { published: boolean }> {
    const { signal } = opts;
    const what = `source ${node.source_name}.${node.name}`;
    const landingDir = this.t.landing_dir;
    const onS3 = typeof landingDir === 'string' && isS3(landingDir);
    // an S3 landing_dir is, by default, where Trino reads the parts too
    const landingLocation = this.t.landing_location ?? (onS3 ? landingDir : undefined);
    if (typeof landingDir !== 'string' || typeof landingLocation !== 'string') throw new EngineError(`${what}: the trino target needs landing_dir (a folder this machine writes, or an S3 prefix s3://bucket/prefix) and, for a folder, landing_location (the same folder as Trino reads it) to ingest landing files`);
    const { columns, problems } = landingColumns(node.columns);
    if (problems.length) throw new EngineError(`${what}: ${problems.join('; ')}`);
    const names = { accepted: node.relation.identifier, rejects: node.rejects_relation?.identifier ?? `${node.relation.identifier}__rejects` };
    const { tables, listed: accepted } = await this.owned(names.accepted, node.unique_id, what, signal);
    const rejectsListed = tables.get(names.rejects);
    if (rejectsListed && rejectsListed.meta?.node !== node.unique_id) await this.owned(names.rejects, node.unique_id, what, signal);
    const previous = { accepted: accepted?.meta, rejects: rejectsListed?.meta };
    const swept = await this.sweep(tables, [names.accepted, names.rejects, `${names.accepted}_raw`, `${names.rejects}_raw`], node.unique_id, { dir: landingDir, entity: node.entity, names: [names.accepted, names.rejects] }, signal);
    const version = newVersion();
    const parts = onS3 ? await this.s3Parts(landingDir, node, names, version, columns, signal) : this.localParts(landingDir, node, names, version, columns);
    const raw = { accepted: candidateName(`${names.accepted}_raw`, version), rejects: candidateName(`${names.rejects}_raw`, version) };
    const cand = { accepted: candidateName(names.accepted, version), rejects: candidateName(names.rejects, version) };
    let result: AdapterResponse & { published: boolean };
    let removed = '';
    try {
      let report;
      try {
        const rel = (n: string) => `${this.schema}.${n}`;
        const store = typeof node.location === 'string' && isS3(node.location) ? s3LandingStore(await this.s3()) : localStore();
        report = await ingestLanding(sourceSpec(node, columns, { accepted: rel(names.accepted), rejects: rel(names.rejects) }, node.location, this.key), parts.sink, { store, ...(signal ? { signal } : {}), ...(typeof this.t.ingest_threads === 'number' ? { threads: this.t.ingest_threads } : {}) });
      } finally {
        await parts.close(report !== undefined);
      }
      const cols = { accepted: columns.map((c) => ({ name: c.name, data_type: c.sqlType.toLowerCase() })), rejects: REJECTS_COLUMNS };
      const rows: Record<string, number | undefined> = {};
      for (const k of ['accepted', 'rejects'] as const) {
        const defs = cols[k].map((c) => `${q(c.name.toLowerCase())} ${mapType(c.data_type, `${what} ${c.name}`).trino}`).join(', ');
        await this.client.query(`CREATE TABLE ${this.hiveRel(raw[k])} (${defs}) COMMENT ${this.comment(node.unique_id)} WITH (format = 'JSON', external_location = ${lit(`${landingLocation.replace(/\/+$/, '')}/${parts.folders[k]}`)})`, signal);
        rows[k] = (await this.client.query(`CREATE TABLE ${this.rel(cand[k])} COMMENT ${this.comment(node.unique_id)} AS SELECT * FROM ${this.hiveRel(raw[k])}`, signal)).updateCount;
      }
      const candidateQ: Queryable = { query: (sql, s) => this.query(sql.split(node.relation.rendered).join(this.rel(cand.accepted)).split(node.rejects_relation?.rendered ?? '\u0000').join(this.rel(cand.rejects)), s ?? signal) };
      const ok = await audit(candidateQ, { ...(rows.accepted !== undefined ? { rows: rows.accepted } : {}), ...(previous.accepted?.rows !== undefined ? { previousRows: previous.accepted.rows } : {}), landing: report });
      if (!ok) {
        result = { published: false, message: `NOT PUBLISHED landing${swept}`, landing: report };
      } else {
        signal?.throwIfAborted();
        let pruned = '';
        for (const k of ['rejects', 'accepted'] as const) {
          const meta = this.comment(node.unique_id, { ...(rows[k] !== undefined ? { rows: rows[k] } : {}), ...(opts.inputs ? { inputs: opts.inputs } : {}), published_at: new Date().toISOString() });
          await this.client.query(`CREATE OR REPLACE TABLE ${this.rel(names[k])} COMMENT ${meta} AS SELECT * FROM ${this.rel(cand[k])}`, signal);
        }
        for (const k of ['accepted', 'rejects'] as const) pruned += await this.pruneTable(names[k], node.unique_id, signal);
        result = { published: true, message: `${rows.accepted ?? '?'} rows, ${rows.rejects ?? '?'} rejects${swept}${pruned}`, landing: report, ...(rows.accepted !== undefined ? { rows_affected: rows.accepted } : {}) };
      }
    } finally {
      for (const k of ['accepted', 'rejects'] as const) {
        await this.client.query(`DROP TABLE IF EXISTS ${this.rel(cand[k])}`).catch(() => undefined);
        await this.client.query(`DROP TABLE IF EXISTS ${this.hiveRel(raw[k])}`).catch(() => undefined);
      }
      removed = await parts.remove();
    }
    return { ...result, message: `${result.message}${removed}` };
  }

  /** The landing parts in a local landing_dir: `<entity>/<table>/v=<version>/part-00000.json`. */
  private localParts(landingDir: string, node: SourceNode, names: { accepted: string; rejects: string }, version: string, columns: LandingColumn[]): Parts {
    const folders = { accepted: `${node.entity}/${names.accepted}/v=${version.toLowerCase()}`, rejects: `${node.entity}/${names.rejects}/v=${version.toLowerCase()}` };
    const files = { accepted: path.join(landingDir, folders.accepted, 'part-00000.json'), rejects: path.join(landingDir, folders.rejects, 'part-00000.json') };
    for (const f of Object.values(files)) fs.mkdirSync(path.dirname(f), { recursive: true });
    const out = { accepted: fs.openSync(files.accepted, 'w'), rejects: fs.openSync(files.rejects, 'w') };
    return {
      folders,
      sink: { accept: (v: LandingValue[]) => fs.writeSync(out.accepted, `${recordLine(columns, v)}\n`), reject: (r: RejectRow) => fs.writeSync(out.rejects, `${JSON.stringify({ file: r.file, line: r.line, reason: r.reason, detail: r.detail, raw: r.raw })}\n`) },
      close: async () => {
        fs.closeSync(out.accepted);
        fs.closeSync(out.rejects);
      },
      remove: async () => {
        for (const f of Object.values(folders)) fs.rmSync(path.join(landingDir, f), { recursive: true, force: true });
        return '';
      },
    };
  }

  /** The landing parts under an S3 landing_dir, in version prefixes stedi marks as its own (s3.ts). */
  private async s3Parts(landingDir: string, node: SourceNode, names: { accepted: string; rejects: string }, version: string, columns: LandingColumn[], signal?: AbortSignal): Promise<Parts> {
    const w = new S3Parts(await this.s3(), landingDir, this.owner).write(node.entity, names, version, node.unique_id, columns, signal ? { signal } : {});
    return {
      folders: { accepted: `${node.entity}/${names.accepted}/v=${version}`, rejects: `${node.entity}/${names.rejects}/v=${version}` },
      sink: w.sink,
      // the uploads are awaited (and their failure raised) only after a complete ingestion
      close: async (complete) => {
        if (complete) await w.finish();
      },
      remove: () => w.remove(),
    };
  }

  async published(signal?: AbortSignal): Promise<PublishedRecord[]> {
    const out: PublishedRecord[] = [];
    for (const [name, { meta }] of await this.tables(signal)) {
      if (!meta || /__stedi_/.test(name)) continue;
      out.push({ relation: this.rel(name), node: meta.node, ...(meta.rows !== undefined ? { rows: meta.rows } : {}), ...(meta.inputs ? { inputs: meta.inputs } : {}), ...(meta.published_at ? { published_at: meta.published_at } : {}) });
    }
    return out;
  }

  erasure(): ErasureAccess {
    throw new EngineError('stedi forget is not supported on the trino target yet');
  }
}

/** Where one build of a source writes its landing parts, and how they are closed and removed. */
interface Parts {
  /** `<entity>/<table>/v=<version>`, under landing_dir, and under landing_location as Trino reads it. */
  folders: { accepted: string; rejects: string };
  sink: LandingSink;
  /** After the ingestion; `complete`: it ended without an error, so what is buffered is written. */
  close(complete: boolean): Promise<void>;
  /** Removes the parts; returns warnings for the node's message. */
  remove(): Promise<string>;
}

/** Earlier versions of a table kept besides the published one, as on the other targets. */
export const DEFAULT_KEEP_VERSIONS = 1;

/** The table format of a model's or seed's table: its config's, else the target's, else Iceberg. */
function tableFormat(node: ModelNode | SeedNode, t: TargetSettings): string {
  const own = (node.config as Record<string, unknown>).table_format;
  return typeof own === 'string' ? own : typeof t.table_format === 'string' ? t.table_format : 'iceberg';
}

/** A record as one JSON line, keys in lower case (Trino's Hive JSON reader matches lower-case columns). */
function recordLine(columns: LandingColumn[], values: LandingValue[]): string {
  const parts = columns.map((c, i) => {
    const v = values[i];
    return `${JSON.stringify(c.name.toLowerCase())}:${v === null || v === undefined ? 'null' : typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
  });
  return `{${parts.join(',')}}`;
}
