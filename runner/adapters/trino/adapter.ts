/**
 * The trino target's engine: Iceberg tables in one schema, published by write-audit-publish.
 * A candidate table `<name>__stedi_<version>` is built (CREATE TABLE AS), the executor's gate
 * runs against it, and only then `CREATE OR REPLACE TABLE <name> AS SELECT * FROM candidate`
 * publishes it in one Iceberg commit (readers see the old or the new snapshot, never a mix; a
 * rename would need the old table dropped first, a moment with no table). Every table stedi
 * creates carries its owner in its comment; a table of that name without this owner's comment is
 * never replaced. Landing: the runner's classifier writes normalised JSON lines into a local
 * folder (`landing_dir`) that Trino reads as `landing_location`, registered as a Hive JSON table
 * and copied into the Iceberg candidate. The pseudonymisation key stays in the runner: the
 * derived column is computed at ingestion (runner/landing/derive.ts), so Trino never sees the key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fillWindow } from '../../core/batches.js';
import type { Dialect } from '../../dialect/types.js';
import { landingColumns } from '../../landing/classify.js';
import type { PseudonymKey } from '../../landing/derive.js';
import { ingestLanding, sourceSpec } from '../../landing/ingest.js';
import { localStore } from '../../landing/store.js';
import { REJECTS_COLUMNS, type LandingColumn, type LandingValue, type RejectRow } from '../../landing/types.js';
import type { ModelNode, SeedNode, SourceNode } from '../../manifest/types.js';
import { csvHeader, csvToRows } from '../../project/csv.js';
import { trinoSpec } from '../../targets/trino/spec.js';
import type { TargetSettings } from '../../targets/types.js';
import { candidateName, newVersion } from '../athena/names.js';
import { seedSelect } from '../athena/sql.js';
import { mapType } from '../athena/types-map.js';
import type { Adapter, AdapterResponse, Audit, ErasureAccess, MaterializeResult, PublishedRecord, PublishOptions, QueryResult, Queryable } from '../types.js';
import { EngineError } from '../types.js';
import { TrinoClient } from './client.js';

/** What a table's comment records: its owner, node, rows and inputs. */
interface Meta {
  stedi: string;
  node: string;
  rows?: number;
  inputs?: Record<string, unknown>;
  published_at?: string;
}

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The variable a Trino password is read from: never a setting, so it is in no project file, manifest or log. */
export const TRINO_PASSWORD_ENV = 'STEDI_TRINO_PASSWORD';

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

  /** The comments of the schema's tables: stedi's (parsed) and whether a table exists at all. */
  private async tables(signal?: AbortSignal): Promise<Map<string, Meta | undefined>> {
    const r = await this.client.query(`SELECT table_name, comment FROM system.metadata.table_comments WHERE catalog_name = ${lit(this.catalog)} AND schema_name = ${lit(this.schema)}`, signal);
    const out = new Map<string, Meta | undefined>();
    for (const [name, comment] of r.rows as [string, string | null][]) {
      let meta: Meta | undefined;
      try {
        const m = comment ? (JSON.parse(comment) as Meta) : undefined;
        meta = m?.stedi === this.ownerTag ? m : undefined;
      } catch {
        meta = undefined;
      }
      out.set(name, meta);
    }
    return out;
  }

  private async checkOwned(name: string, node: string, what: string, signal?: AbortSignal): Promise<Meta | undefined> {
    const tables = await this.tables(signal);
    if (!tables.has(name)) return undefined;
    const meta = tables.get(name);
    if (!meta || meta.node !== node) throw new EngineError(`${what}: ${this.catalog}.${this.schema}.${name} exists but stedi did not create it for ${node} of ${this.ownerTag} (its comment names no such owner): stedi replaces only its own tables; drop or rename it, or choose another schema`);
    return meta;
  }

  private rel(name: string): string {
    return `${q(this.schema)}.${q(name)}`;
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
    const previous = await this.checkOwned(name, node.unique_id, what, signal);
    if (node.resource_type === 'model' && node.materialized === 'incremental' && node.config.incremental_strategy !== 'microbatch') {
      throw new EngineError(`${what}: materialized: incremental (${String(node.config.incremental_strategy ?? 'append')}) is not supported on the trino target yet; use materialized: table, or incremental_strategy: microbatch`);
    }
    const select = node.resource_type === 'seed' ? this.seedSql(node) : fillWindow(sql, () => 'TRUE');
    const cand = candidateName(name, newVersion());
    const view = node.resource_type === 'model' && node.materialized === 'view';
    try {
      let rows: number | undefined;
      if (view) await this.client.query(`CREATE VIEW ${this.rel(cand)} AS ${select}`, signal);
      else rows = (await this.client.query(`CREATE TABLE ${this.rel(cand)} COMMENT ${this.comment(node.unique_id)} AS ${select}`, signal)).updateCount;
      const ok = await audit(this.candidate(node.relation.rendered, this.rel(cand), signal), { ...(rows !== undefined ? { rows } : {}), ...(previous?.rows !== undefined ? { previousRows: previous.rows } : {}) });
      if (!ok) return { published: false, response: { message: `NOT PUBLISHED ${view ? 'view' : 'table'}` } };
      signal?.throwIfAborted();
      const meta = this.comment(node.unique_id, { ...(rows !== undefined ? { rows } : {}), ...(opts.inputs ? { inputs: opts.inputs } : {}), published_at: new Date().toISOString() });
      if (view) {
        await this.client.query(`CREATE OR REPLACE VIEW ${this.rel(name)} AS ${select}`, signal);
        await this.client.query(`COMMENT ON VIEW ${this.rel(name)} IS ${meta}`, signal);
      } else {
        await this.client.query(`CREATE OR REPLACE TABLE ${this.rel(name)} COMMENT ${meta} AS SELECT * FROM ${this.rel(cand)}`, signal);
      }
      return { published: true, response: { message: view ? 'OK view' : `${rows ?? '?'} rows`, ...(rows !== undefined ? { rows_affected: rows } : {}) } };
    } finally {
      await this.client.query(`DROP ${view ? 'VIEW' : 'TABLE'} IF EXISTS ${this.rel(cand)}`).catch(() => undefined);
    }
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
    const landingLocation = this.t.landing_location;
    if (typeof landingDir !== 'string' || typeof landingLocation !== 'string') throw new EngineError(`${what}: the trino target needs landing_dir (a folder this machine writes) and landing_location (the same folder as Trino reads it) to ingest landing files`);
    const { columns, problems } = landingColumns(node.columns);
    if (problems.length) throw new EngineError(`${what}: ${problems.join('; ')}`);
    const names = { accepted: node.relation.identifier, rejects: node.rejects_relation?.identifier ?? `${node.relation.identifier}__rejects` };
    const previous = { accepted: await this.checkOwned(names.accepted, node.unique_id, what, signal), rejects: await this.checkOwned(names.rejects, node.unique_id, what, signal) };
    const version = newVersion();
    const folder = (n: string) => `${node.entity}/${n}/v=${version.toLowerCase()}`;
    const files = { accepted: path.join(landingDir, folder(names.accepted), 'part-00000.json'), rejects: path.join(landingDir, folder(names.rejects), 'part-00000.json') };
    for (const f of Object.values(files)) fs.mkdirSync(path.dirname(f), { recursive: true });
    const out = { accepted: fs.openSync(files.accepted, 'w'), rejects: fs.openSync(files.rejects, 'w') };
    const raw = { accepted: candidateName(`${names.accepted}_raw`, version), rejects: candidateName(`${names.rejects}_raw`, version) };
    const cand = { accepted: candidateName(names.accepted, version), rejects: candidateName(names.rejects, version) };
    try {
      let report;
      try {
        const sink = { accept: (v: LandingValue[]) => fs.writeSync(out.accepted, `${recordLine(columns, v)}\n`), reject: (r: RejectRow) => fs.writeSync(out.rejects, `${JSON.stringify({ file: r.file, line: r.line, reason: r.reason, detail: r.detail, raw: r.raw })}\n`) };
        const rel = (n: string) => `${this.schema}.${n}`;
        report = await ingestLanding(sourceSpec(node, columns, { accepted: rel(names.accepted), rejects: rel(names.rejects) }, node.location, this.key), sink, { store: localStore(), ...(signal ? { signal } : {}), ...(typeof this.t.ingest_threads === 'number' ? { threads: this.t.ingest_threads } : {}) });
      } finally {
        fs.closeSync(out.accepted);
        fs.closeSync(out.rejects);
      }
      const cols = { accepted: columns.map((c) => ({ name: c.name, data_type: c.sqlType.toLowerCase() })), rejects: REJECTS_COLUMNS };
      const rows: Record<string, number | undefined> = {};
      for (const k of ['accepted', 'rejects'] as const) {
        const defs = cols[k].map((c) => `${q(c.name.toLowerCase())} ${mapType(c.data_type, `${what} ${c.name}`).trino}`).join(', ');
        await this.client.query(`CREATE TABLE ${q(this.hive)}.${this.rel(raw[k])} (${defs}) WITH (format = 'JSON', external_location = ${lit(`${String(landingLocation).replace(/\/+$/, '')}/${folder(names[k])}`)})`, signal);
        rows[k] = (await this.client.query(`CREATE TABLE ${this.rel(cand[k])} COMMENT ${this.comment(node.unique_id)} AS SELECT * FROM ${q(this.hive)}.${this.rel(raw[k])}`, signal)).updateCount;
      }
      const candidateQ: Queryable = { query: (sql, s) => this.query(sql.split(node.relation.rendered).join(this.rel(cand.accepted)).split(node.rejects_relation?.rendered ?? '\u0000').join(this.rel(cand.rejects)), s ?? signal) };
      const ok = await audit(candidateQ, { ...(rows.accepted !== undefined ? { rows: rows.accepted } : {}), ...(previous.accepted?.rows !== undefined ? { previousRows: previous.accepted.rows } : {}), landing: report });
      if (!ok) return { published: false, message: 'NOT PUBLISHED landing', landing: report };
      signal?.throwIfAborted();
      for (const k of ['accepted', 'rejects'] as const) {
        const meta = this.comment(node.unique_id, { ...(rows[k] !== undefined ? { rows: rows[k] } : {}), ...(opts.inputs ? { inputs: opts.inputs } : {}), published_at: new Date().toISOString() });
        await this.client.query(`CREATE OR REPLACE TABLE ${this.rel(names[k])} COMMENT ${meta} AS SELECT * FROM ${this.rel(cand[k])}`, signal);
      }
      return { published: true, message: `${rows.accepted ?? '?'} rows, ${rows.rejects ?? '?'} rejects`, landing: report, ...(rows.accepted !== undefined ? { rows_affected: rows.accepted } : {}) };
    } finally {
      for (const k of ['accepted', 'rejects'] as const) {
        await this.client.query(`DROP TABLE IF EXISTS ${this.rel(cand[k])}`).catch(() => undefined);
        await this.client.query(`DROP TABLE IF EXISTS ${q(this.hive)}.${this.rel(raw[k])}`).catch(() => undefined);
        fs.rmSync(path.join(landingDir, folder(names[k])), { recursive: true, force: true });
      }
    }
  }

  async published(signal?: AbortSignal): Promise<PublishedRecord[]> {
    const out: PublishedRecord[] = [];
    for (const [name, meta] of await this.tables(signal)) {
      if (!meta || /__stedi_/.test(name)) continue;
      out.push({ relation: this.rel(name), node: meta.node, ...(meta.rows !== undefined ? { rows: meta.rows } : {}), ...(meta.inputs ? { inputs: meta.inputs } : {}), ...(meta.published_at ? { published_at: meta.published_at } : {}) });
    }
    return out;
  }

  erasure(): ErasureAccess {
    throw new EngineError('stedi forget is not supported on the trino target yet');
  }
}

/** A record as one JSON line, keys in lower case (Trino's Hive JSON reader matches lower-case columns). */
function recordLine(columns: LandingColumn[], values: LandingValue[]): string {
  const parts = columns.map((c, i) => {
    const v = values[i];
    return `${JSON.stringify(c.name.toLowerCase())}:${v === null || v === undefined ? 'null' : typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
  });
  return `{${parts.join(',')}}`;
}
