/**
 * The Athena adapter: the zones on S3, the Glue Data Catalog and Athena.
 *
 * Write-audit-publish on Athena:
 * 1. CTAS into a candidate table `<name>__stedi_<version>` at a fresh S3 prefix
 *    `<s3_data_dir>/<entity>/<zone>/<name>/v=<version>/` (Iceberg or Hive/Parquet);
 * 2. the blocking tests run against the candidate (each test's SQL with the published relation
 *    replaced by the candidate's);
 * 3. publish: the published Glue table takes the candidate's definition in one UpdateTable
 *    (CreateTable the first time), guarded by the Glue VersionId read before the build, so
 *    readers see the old version or the new one, never a missing or half-written table;
 * 4. finally (success, failure or Ctrl-C): the candidate's Glue entry is removed (Glue
 *    DeleteTable, which never deletes data) and, unless published, its S3 prefix is deleted;
 * 5. Glue versions beyond `keep_versions` earlier ones are deleted, with the S3 prefixes only
 *    they recorded in `stedi_location`.
 * A failed CTAS, a failing test or a cancelled build never reaches step 3.
 */
import fs from 'node:fs';
import type { ResultConfiguration } from '@aws-sdk/client-athena';
import type { AwsApi } from './api.js';
import type { Table } from '@aws-sdk/client-glue';
import { athenaDialect } from '../../targets/athena/spec.js';
import type { PseudonymKey } from '../../landing/derive.js';
import type { ModelNode, SeedNode, SourceNode } from '../../manifest/types.js';
import { csvHeader, csvToRows } from '../../project/csv.js';
import type { Adapter, AdapterResponse, ErasureAccess, Audit, MaterializeResult, PublishedRecord, PublishOptions, QueryResult, Queryable } from '../types.js';
import { fillWindow } from '../../core/batches.js';
import { EngineError } from '../types.js';
import { removeStaged } from './cleanup.js';
import { Catalog, foreignTableError, INPUTS_PARAM, isOwned, LOCATION_PARAM, ownerParams, PART_PREFIXES_PARAM, partPrefixesOf, ROWS_PARAM, tableInputOf, type Owner } from './glue.js';
import { ingestToAthena, landingNames, type LandingDeps } from './landing.js';
import { s3LandingStore } from './landing-io.js';
import type { LandingStore } from '../../landing/store.js';
import { athenaErasure, erasureLogPrefix, readS3ErasureLog } from './erasure.js';
import { erasureList } from '../../landing/erasure-log.js';
import type { ErasureList } from '../../landing/erasure.js';
import { CANDIDATE, candidateName, candidateParts, checkGlueName, isStediVersionLocation, newVersion, versionLocation } from './names.js';
import { DEFAULT_TIMING, QueryRunner, statsOf, type Executed, type Timing } from './query.js';
import { S3Data } from './s3.js';
import { athenaSettings, trimSlash, type AthenaSettings, type TableFormat } from './settings.js';
import { createView, ctas, relation, seedSelect } from './sql.js';
import { isStateUri, MB_STATE_PARAM, stateUri, type MbState } from './microbatch.js';
import { batchStrategy, buildBatch } from './incremental-build.js';
import { buildRestated, type MbBuildDeps } from './microbatch-build.js';
import { planMicrobatch } from './microbatch-plan.js';
import { buildHive, hivePlan, HIVE_MANIFEST_PARAM, orphanFiles, readManifest, versionPrefixOfFile } from './microbatch-hive.js';

/** The AWS calls of the adapter (api.ts): the SDK clients (clients.ts) or the simulator. */
export type AthenaClients = AwsApi;

export interface AthenaAdapterOptions {
  /** Whose tables and data these are: every table and prefix the adapter creates names them. */
  owner?: Owner;
  timing?: Partial<Timing>;
  now?: () => Date;
  random?: () => number;
  /** Candidate tables older than this are leftovers of a killed build and are removed at open('write'). */
  staleCandidateHours?: number;
  log?: (msg: string) => void;
  /** Uncompressed characters per object written by the landing ingestion (default 32 Mi). */
  landingPartChars?: number;
}

export class AthenaAdapter implements Adapter {
  readonly dialect;
  readonly settings: AthenaSettings;
  private readonly runner: QueryRunner;
  private readonly catalog: Catalog;
  private readonly data: S3Data;
  private readonly owner: Owner;
  private pseudonymKey?: PseudonymKey;

  constructor(
    target: Record<string, unknown>,
    private readonly clients: AthenaClients,
    private readonly opts: AthenaAdapterOptions = {},
  ) {
    this.settings = athenaSettings(target);
    this.dialect = athenaDialect(this.settings.database);
    this.runner = new QueryRunner(clients, this.settings, { ...DEFAULT_TIMING, ...opts.timing });
    this.catalog = new Catalog(clients, this.settings.database);
    // an adapter without an owner owns nothing: it can create, but never replace or delete
    this.owner = opts.owner ?? { project: '', target: '' };
    this.data = new S3Data(clients, this.settings.s3DataDir, this.owner);
  }

  async open(mode: 'read' | 'write'): Promise<void> {
    try {
      this.runner.resultConfiguration = await this.resultConfiguration();
      await this.catalog.checkDatabase();
      if (mode === 'write') await this.removeStaleCandidates();
    } catch (e) {
      throw awsSetupError(e, `the athena target (region ${this.settings.region}, workgroup '${this.settings.workgroup}', Glue database '${this.settings.database}')`);
    }
  }

  /**
   * `stedi debug`: the checks of open(), one at a time, each a sentence or an EngineError.
   * The workgroup (one GetWorkGroup) as a build would use it: enabled, engine version 3, a result location.
   */
  async checkWorkgroup(): Promise<string> {
    try {
      const own = await this.resultConfiguration();
      const where = own?.OutputLocation ?? this.workgroupResults;
      return `workgroup '${this.settings.workgroup}' is usable; query results ${where ? `go to ${where}` : 'are managed by the workgroup'}`;
    } catch (e) {
      throw awsSetupError(e, `the workgroup '${this.settings.workgroup}' (region ${this.settings.region})`);
    }
  }

  /** `stedi debug`: the Glue database exists and can be read (one GetDatabase). */
  async checkDatabase(): Promise<string> {
    try {
      await this.catalog.checkDatabase();
      return `Glue database '${this.settings.database}' exists`;
    } catch (e) {
      throw awsSetupError(e, `the Glue database '${this.settings.database}' (region ${this.settings.region})`);
    }
  }

  /** The workgroup decides: an enforced configuration (or managed results) keeps its own location. */
  private async resultConfiguration(): Promise<ResultConfiguration | undefined> {
    const { workgroup, s3StagingDir } = this.settings;
    let wg;
    try {
      wg = (await this.runner.retrying(() => this.clients.call('GetWorkGroup', { WorkGroup: workgroup }))).WorkGroup;
    } catch (e) {
      if ((e as { name?: string }).name === 'InvalidRequestException') throw new EngineError(`the Athena workgroup '${workgroup}' cannot be read: ${(e as Error).message}`);
      throw e;
    }
    if (!wg) throw new EngineError(`the Athena workgroup '${workgroup}' does not exist`);
    if (wg.State === 'DISABLED') throw new EngineError(`the Athena workgroup '${workgroup}' is disabled`);
    const cfg = wg.Configuration ?? {};
    this.workgroupResults = cfg.ResultConfiguration?.OutputLocation;
    const engine = cfg.EngineVersion?.EffectiveEngineVersion ?? '';
    if (/version [12]$/i.test(engine)) {
      throw new EngineError(`the Athena workgroup '${workgroup}' runs ${engine}; stedi needs Athena engine version 3 (Iceberg CTAS, execution parameters)`);
    }
    if (cfg.EnforceWorkGroupConfiguration || cfg.ManagedQueryResultsConfiguration?.Enabled) return undefined;
    if (s3StagingDir) return { OutputLocation: s3StagingDir };
    if (cfg.ResultConfiguration?.OutputLocation) return undefined;
    throw new EngineError(`the Athena workgroup '${workgroup}' has no query result location: set s3_staging_dir on the athena target (e.g. s3://my-bucket/athena-results/)`);
  }

  /**
   * Candidates older than `staleCandidateHours` are leftovers of a killed build. Their Glue entry
   * is removed; their data only when the location is the very prefix stedi made for that
   * candidate (`<s3_data_dir>/…/<name>/v=<the candidate's version>/`) and no version of the
   * published table records it: a build killed between publishing and removing the candidate
   * leaves a candidate whose location IS the published data. A problem with one candidate is
   * reported and retried at the next build; it does not stop this one.
   */
  private async removeStaleCandidates(): Promise<void> {
    const hours = this.opts.staleCandidateHours ?? 24;
    const now = (this.opts.now ?? (() => new Date()))().getTime();
    for (const t of await this.catalog.candidates()) {
      const parts = t.Name && CANDIDATE.test(t.Name) ? candidateParts(t.Name) : undefined;
      if (!t.Name || !parts) continue;
      // a table named like a candidate is deleted only when it carries this project's and target's marker
      if (!isOwned(t, this.owner)) continue;
      const created = t.CreateTime ? new Date(t.CreateTime).getTime() : now;
      if (now - created < hours * 3600_000) continue;
      const what = `${this.settings.database}.${t.Name}`;
      try {
        // a Hive microbatch candidate reads a manifest inside its version prefix: the prefix it recorded is its data
        const where = t.Parameters?.[LOCATION_PARAM] ?? t.StorageDescriptor?.Location;
        const loc = where ? `${trimSlash(where)}/` : undefined;
        let kept = '';
        if (loc) {
          const deleted = (await this.isOwnCandidateData(parts, loc)) ? await this.data.deletePrefix(loc) : undefined;
          if (deleted === undefined) kept = ` (its location ${loc} is not data stedi made for this candidate alone, so it was left in place)`;
        }
        await this.catalog.delete(t.Name);
        this.opts.log?.(`removed the candidate table ${what} left by an interrupted build${kept}`);
      } catch (e) {
        this.opts.log?.(`warning: the candidate table ${what} left by an interrupted build could not be removed (${(e as Error).message}); the next build retries`);
      }
    }
  }

  /** The candidate's own version prefix, recorded by no version of the published table (as its location or as a prefix whose files it reads). */
  private async isOwnCandidateData(parts: { name: string; version: string }, loc: string): Promise<boolean> {
    if (!isStediVersionLocation(this.settings.s3DataDir, loc) || !loc.endsWith(`/${parts.name}/v=${parts.version}/`)) return false;
    const published = await this.catalog.get(parts.name);
    if (published && !isOwned(published, this.owner)) return false;
    for (const v of await this.catalog.versions(parts.name)) {
      const parts = partPrefixesOf(v.Table);
      if (!parts) return false;
      const recorded = [v.Table?.Parameters?.[LOCATION_PARAM], v.Table?.StorageDescriptor?.Location, ...parts].filter((x): x is string => !!x).map((x) => `${trimSlash(x)}/`);
      if (recorded.includes(loc)) return false;
    }
    return true;
  }

  async close(): Promise<void> {
    // the SDK clients hold no session state; their sockets close with the process
  }

  private erasures?: Promise<ErasureList | undefined>;
  /** The workgroup's own query result location, when it has one (read at open). */
  private workgroupResults?: string;

  /** The erasure list (`stedi forget`), read once per build for the sources with identity columns: a log that cannot be read stops them. */
  private async erasureOption(): Promise<{ erasure?: ErasureList }> {
    this.erasures ??= readS3ErasureLog(this.clients, this.settings.s3DataDir).then((entries) => erasureList(entries, erasureLogPrefix(this.settings.s3DataDir)));
    let list: ErasureList | undefined;
    try {
      list = await this.erasures;
    } catch (e) {
      throw e instanceof EngineError ? e : new EngineError((e as Error).message);
    }
    return list ? { erasure: list } : {};
  }

  landingStore(): LandingStore {
    return s3LandingStore(this.clients);
  }

  erasure(): ErasureAccess {
    return athenaErasure({
      s3: this.clients,
      catalog: this.catalog,
      settings: this.settings,
      owner: this.owner,
      landingNames,
      resultLocation: () => this.runner.resultConfiguration?.OutputLocation ?? this.workgroupResults ?? this.settings.s3StagingDir,
    });
  }

  setPseudonymKey(key: PseudonymKey): void {
    this.pseudonymKey = key;
  }

  async query(sql: string, signal?: AbortSignal): Promise<QueryResult> {
    const done = await this.runner.execute(sql, { ...(signal ? { signal } : {}), rerunnable: true, purpose: 'a query' });
    return this.runner.results(done, signal);
  }

  /** Every table of the database this project and target published, with what it recorded. */
  async published(): Promise<PublishedRecord[]> {
    const out: PublishedRecord[] = [];
    for (const t of await this.catalog.tables()) {
      if (!t.Name || CANDIDATE.test(t.Name) || !isOwned(t, this.owner, t.Parameters?.stedi_node)) continue;
      const p = t.Parameters ?? {};
      let inputs: Record<string, unknown> | undefined;
      try {
        inputs = p[INPUTS_PARAM] ? (JSON.parse(p[INPUTS_PARAM]) as Record<string, unknown>) : undefined;
      } catch {
        inputs = undefined;
      }
      out.push({ relation: relation(this.settings.database, t.Name), ...(p.stedi_node ? { node: p.stedi_node } : {}), ...(p[ROWS_PARAM] !== undefined ? { rows: Number(p[ROWS_PARAM]) } : {}), ...(inputs ? { inputs } : {}) });
    }
    return out;
  }

  /** Landing ingestion with the local target's rules; see ./landing.ts. */
  async prepareSource(node: SourceNode, audit: Audit, opts: PublishOptions = {}): Promise<AdapterResponse & { published: boolean }> {
    const { signal } = opts;
    const deps: LandingDeps = {
      settings: this.settings,
      owner: this.owner,
      catalog: this.catalog,
      data: this.data,
      s3: this.clients,
      newVersion: () => this.newVersion(),
      query: (sql, s) => this.query(sql, s ?? signal),
      prune: (name, current, reads) => this.prune(name, current, node.unique_id, reads),
      ...(this.opts.landingPartChars ? { partChars: this.opts.landingPartChars } : {}),
      ...(this.pseudonymKey ? { key: this.pseudonymKey } : {}),
      ...(node.columns.some((c) => c.meta?.identity !== undefined) ? await this.erasureOption() : {}),
    };
    return ingestToAthena(deps, node, audit, opts);
  }

  async materialize(node: ModelNode | SeedNode, sql: string, audit: Audit, opts: PublishOptions = {}): Promise<MaterializeResult> {
    const { signal } = opts;
    const what = `${node.resource_type} ${node.name}`;
    const name = node.relation.identifier;
    checkGlueName(name, what);
    if (node.resource_type === 'model' && node.materialized === 'view') return this.materializeView(node, sql, audit, what, opts);
    // A microbatch model is built incrementally when its published version's state lets stedi
    // compare its inputs (microbatch.ts), else whole (every interval), saying why. The other
    // strategies add their batch to the published Iceberg table (incremental-build.ts).
    const format = ((node.config.table_format as TableFormat | undefined) ?? this.settings.tableFormat);
    const previous = await this.catalog.get(name);
    if (previous && !isOwned(previous, this.owner, node.unique_id)) throw foreignTableError(this.settings.database, name, what, previous);
    let whole = '';
    let mbState: MbState | undefined;
    // the statements a microbatch build sends besides its CTAS (fingerprints, counts, the MERGE): in its stats and cost too
    const spent: Executed[] = [];
    if (node.resource_type === 'model' && node.materialized === 'incremental') {
      if (node.config.incremental_strategy !== 'microbatch') {
        // append, merge, delete+insert: the batch added to the published Iceberg table in one commit
        // (incremental-build.ts); whole only on the first build or --full-refresh, never because
        // something else is off (that could drop rows the is_incremental() branch kept)
        const strategy = batchStrategy(node);
        if (opts.incrementalSql === undefined) throw new EngineError(`${what}: materialized: incremental, but no is_incremental() SQL was compiled for it; compile again`);
        if (format !== 'iceberg') throw new EngineError(`${what}: incremental_strategy ${strategy} needs an Iceberg table on the athena target (a Hive table cannot take a batch in one atomic commit); remove table_format: hive`);
        const ours = previous !== undefined && previous.TableType !== 'VIRTUAL_VIEW' && previous.Parameters?.stedi_node === node.unique_id;
        if (ours && !opts.fullRefresh) {
          if (previous.Parameters?.stedi_format !== 'iceberg') throw new EngineError(`${what}: the published table is not an Iceberg table, so a batch cannot be added to it in one commit; run with --full-refresh to rebuild it as Iceberg`);
          return buildBatch(this.mbDeps(spent, what, signal), node, opts.incrementalSql, previous, audit, opts);
        }
        whole = ` (built whole: ${opts.fullRefresh ? '--full-refresh' : 'first build'})`;
      } else {
        if (node.config.begin !== undefined) throw new EngineError(`${what}: begin is not supported on the athena target yet; remove it or filter in the model's SQL`);
        const planned = await planMicrobatch({ query: this.recording(spent, what, signal), readText: (uri) => this.data.getText(uri), keepVersions: this.settings.keepVersions }, node, sql, format, previous, opts);
        // a Hive table replaces the files of its restated intervals (microbatch-hive.ts), whole builds included
        if (format === 'hive' && (planned.restated || planned.state)) return buildHive(this.mbDeps(spent, what, signal), node, hivePlan(node, planned, previous), audit, opts);
        if (planned.restated) return buildRestated(this.mbDeps(spent, what, signal), node, planned.restated, audit, opts);
        mbState = planned.state;
        sql = fillWindow(sql, () => 'TRUE');
        whole = ` (built whole: ${planned.why})`;
      }
    }
    const select = node.resource_type === 'seed' ? this.seedSql(node) : sql;
    const version = this.newVersion();
    const candidate = candidateName(name, version);
    const zone = node.resource_type === 'model' ? node.zone : String(node.config.zone ?? 'seeds');
    const location = versionLocation(this.settings.s3DataDir, { entity: node.entity, zone, name }, version);
    const done: Executed[] = spent;
    let published = false;
    let cleanup = '';
    let rows: number | undefined;
    try {
      // the marker first: whatever happens next, the prefix is provably this project's to delete
      await this.data.mark(location, node.unique_id);
      const statement = ctas(this.settings.database, candidate, format, location, select);
      const executed = await this.runner.execute(statement, { ...(signal ? { signal } : {}), purpose: what });
      done.push(executed);
      rows = await this.runner.updateCount(executed, signal);
      const built = await this.catalog.get(candidate);
      if (!built) throw new EngineError(`${what}: the CTAS succeeded but Glue has no table ${candidate}`);
      // the candidate carries the owner too, so that only this project and target may remove it
      await this.catalog.update({ ...tableInputOf(built, candidate), Parameters: { ...(built.Parameters ?? {}), ...ownerParams(this.owner), stedi_node: node.unique_id } }, built.VersionId, true);
      // a microbatch model's state, in its own location (a CTAS refuses a location holding any object, so after it)
      if (mbState) await this.data.putText(stateUri(location, version), JSON.stringify(mbState));
      const previousRows = previous?.Parameters?.[ROWS_PARAM] !== undefined ? Number(previous.Parameters[ROWS_PARAM]) : undefined;
      const ok = await audit(this.candidateQueryable(node.relation.rendered, relation(this.settings.database, candidate), signal), { ...(rows !== undefined ? { rows } : {}), ...(previousRows !== undefined && Number.isFinite(previousRows) ? { previousRows } : {}) });
      if (!ok) return { published: false, response: { message: `NOT PUBLISHED ${format} table`, ...statsOf(done) } };
      signal?.throwIfAborted();
      const input = tableInputOf(built, name);
      const params = Object.fromEntries(Object.entries(input.Parameters ?? {}).filter(([k]) => !k.startsWith('stedi_') && k !== 'previous_metadata_location'));
      if (format === 'iceberg' && previous?.Parameters?.metadata_location) params.previous_metadata_location = previous.Parameters.metadata_location;
      input.Parameters = {
        ...params,
        ...ownerParams(this.owner),
        stedi_node: node.unique_id,
        [LOCATION_PARAM]: location,
        stedi_version: version,
        stedi_format: format,
        ...(rows !== undefined ? { [ROWS_PARAM]: String(rows) } : {}),
        ...(opts.inputs ? { [INPUTS_PARAM]: JSON.stringify(opts.inputs) } : {}),
        ...(mbState ? { [MB_STATE_PARAM]: stateUri(location, version) } : {}),
      };
      if (node.description) input.Description = node.description.trim().slice(0, 2048);
      if (previous) await this.catalog.update(input, previous.VersionId);
      else await this.catalog.create(input);
      published = true;
    } finally {
      cleanup = await this.removeCandidate(candidate, published ? undefined : location);
    }
    const pruned = await this.prune(name, location, node.unique_id);
    return { published: true, response: { message: `OK ${format} table at ${location}${pruned}${cleanup}${whole}`, ...(rows !== undefined ? { rows_affected: rows } : {}), ...statsOf(done) } };
  }

  /** A query whose execution is recorded in `spent` (the node's stats and cost). */
  private recording(spent: Executed[], what: string, signal?: AbortSignal): (sql: string) => Promise<QueryResult> {
    return async (sql) => {
      const done = await this.runner.execute(sql, { ...(signal ? { signal } : {}), rerunnable: true, purpose: what });
      spent.push(done);
      return this.runner.results(done, signal);
    };
  }

  private mbDeps(spent: Executed[], what: string, signal?: AbortSignal): MbBuildDeps {
    return {
      settings: this.settings, owner: this.owner, catalog: this.catalog, data: this.data, runner: this.runner,
      query: this.recording(spent, what, signal),
      spent,
      newVersion: () => this.newVersion(),
      candidateQueryable: (p, r, s) => this.candidateQueryable(p, r, s),
      removeCandidate: (c, l) => this.removeCandidate(c, l),
      prune: (n, c, id) => this.prune(n, c, id),
    };
  }

  private async materializeView(node: ModelNode, sql: string, audit: Audit, what: string, opts: PublishOptions): Promise<MaterializeResult> {
    const { signal } = opts;
    const name = node.relation.identifier;
    const previous = await this.catalog.get(name);
    if (previous && !(await this.ownedView(previous, node.unique_id))) throw foreignTableError(this.settings.database, name, what, previous);
    if (previous && previous.TableType !== 'VIRTUAL_VIEW') {
      throw new EngineError(`${what}: ${this.settings.database}.${name} is published as a table; stedi will not drop it implicitly to make a view. Keep materialized='table', or remove the table first`);
    }
    const candidate = candidateName(name, this.newVersion());
    const done: Executed[] = [];
    let cleanup = '';
    try {
      const cand = createView(this.settings.database, candidate, sql, false);
      done.push(await this.runner.execute(cand, { ...(signal ? { signal } : {}), purpose: what }));
      const built = await this.catalog.get(candidate);
      if (built) await this.catalog.update({ ...tableInputOf(built, candidate), Parameters: { ...(built.Parameters ?? {}), ...ownerParams(this.owner), stedi_node: node.unique_id } }, built.VersionId, true);
      const ok = await audit(this.candidateQueryable(node.relation.rendered, relation(this.settings.database, candidate), signal), {});
      if (!ok) return { published: false, response: { message: 'NOT PUBLISHED view', ...statsOf(done) } };
      signal?.throwIfAborted();
      const replace = createView(this.settings.database, name, sql, true);
      done.push(await this.runner.execute(replace, { ...(signal ? { signal } : {}), purpose: what }));
      const view = await this.catalog.get(name);
      if (!view) throw new EngineError(`${what}: CREATE OR REPLACE VIEW succeeded but Glue has no view ${name}`);
      const input = tableInputOf(view, name);
      input.Parameters = { ...input.Parameters, ...ownerParams(this.owner), stedi_node: node.unique_id, ...(opts.inputs ? { [INPUTS_PARAM]: JSON.stringify(opts.inputs) } : {}) };
      // the marker is added without archiving a second Glue version of the same view
      await this.catalog.update(input, view.VersionId, true);
    } finally {
      cleanup = await this.removeCandidate(candidate, undefined);
    }
    const pruned = await this.prune(name, undefined, node.unique_id);
    return { published: true, response: { message: `OK view${pruned}${cleanup}`, ...statsOf(done) } };
  }

  /** A view published by stedi whose marker was not yet added (a build killed in between) is still stedi's. */
  private async ownedView(t: Table, node: string): Promise<boolean> {
    if (isOwned(t, this.owner, node)) return true;
    if (t.TableType !== 'VIRTUAL_VIEW' || !t.Name || t.Parameters?.stedi_managed !== undefined) return false;
    return (await this.catalog.versions(t.Name)).some((v) => isOwned(v.Table, this.owner, node));
  }

  /** The audit runs every test against the candidate: the published relation is replaced in its SQL. */
  private candidateQueryable(published: string, candidate: string, signal?: AbortSignal): Queryable {
    return { query: (sql, s) => this.query(sql.split(published).join(candidate), s ?? signal) };
  }

  /** A fresh version id (the clock and randomness are injectable for tests). */
  private newVersion(): string {
    return newVersion((this.opts.now ?? (() => new Date()))(), this.opts.random ?? Math.random);
  }

  /** Never throws: a cleanup problem is reported in the node's message and retried next build. */
  private removeCandidate(candidate: string, location: string | undefined): Promise<string> {
    return removeStaged(this.catalog, this.data, [candidate], location ? [location] : []);
  }

  /**
   * Keeps the newest `keep_versions + 1` Glue versions; deletes the older ones and the S3
   * prefixes that only they recorded (S3 first, so a failure leaves the record for next time).
   * A prefix is deleted only when its marker names this project and target, or (a version of an
   * earlier stedi, without marker) when a version of this owned table recorded it.
   */
  private async prune(name: string, current: string | undefined, node: string, reads: string[] = []): Promise<string> {
    try {
      const versions = await this.catalog.versions(name);
      const keep = versions.slice(0, this.settings.keepVersions + 1);
      const drop = versions.slice(this.settings.keepVersions + 1);
      if (drop.length === 0) return '';
      // a kept version reads its own prefix and, for a landing table, the prefixes of the parts it kept
      const partsOf = (v: (typeof keep)[number]) => {
        const parts = partPrefixesOf(v.Table);
        if (!parts) throw new Error(`the ${PART_PREFIXES_PARAM} of a version of ${name} cannot be read`);
        return parts;
      };
      const kept = new Set([current, ...reads, ...keep.map((v) => v.Table?.Parameters?.[LOCATION_PARAM]), ...keep.flatMap(partsOf)].filter((x): x is string => !!x));
      const prefixes = new Set<string>();
      for (const v of drop) {
        const loc = v.Table?.Parameters?.[LOCATION_PARAM];
        if (isOwned(v.Table, this.owner, node) && loc && !kept.has(loc) && isStediVersionLocation(this.settings.s3DataDir, loc)) prefixes.add(loc);
      }
      // a Hive microbatch table's files that only the dropped versions list (replaced intervals) go
      // with them; found before any prefix is deleted (a dropped version's manifest is in its prefix)
      const orphans = await this.orphans(keep.map((v) => v.Table), drop.filter((v) => isOwned(v.Table, this.owner, node)).map((v) => v.Table), prefixes);
      let left = 0;
      // a version stamped with its owner must also have its S3 marker; one of an earlier stedi is proven by its Glue record
      const legacy = new Set(drop.filter((v) => v.Table?.Parameters?.stedi_project === undefined).map((v) => v.Table?.Parameters?.[LOCATION_PARAM]));
      for (const p of prefixes) if ((await this.data.deletePrefix(p, { adopted: legacy.has(p) })) === undefined) left++;
      // a microbatch state goes with the last owned version naming it
      const keptStates = new Set(keep.map((v) => v.Table?.Parameters?.[MB_STATE_PARAM]));
      for (const v of drop) {
        const st = v.Table?.Parameters?.[MB_STATE_PARAM];
        if (st && !keptStates.has(st) && isOwned(v.Table, this.owner, node) && isStateUri(this.settings.s3DataDir, st)) await this.data.deleteObject(st);
      }
      for (const f of orphans) await this.data.deleteObject(f);
      await this.catalog.deleteVersions(name, drop.map((v) => v.VersionId!).filter(Boolean));
      return `; removed ${drop.length} old Glue version${drop.length === 1 ? '' : 's'}${prefixes.size ? ` and ${prefixes.size - left} old data prefix${prefixes.size - left === 1 ? '' : 'es'}` : ''}`;
    } catch (e) {
      return `; warning: old versions were not removed (${(e as Error).message}); the next build retries`;
    }
  }

  /**
   * The files the manifests of dropped Hive microbatch versions list that no kept version lists,
   * in prefixes that stay (a prefix deleted whole takes its files) and are provably this project's.
   * A kept version's manifest that cannot be read stops the prune (nothing is deleted).
   */
  private async orphans(kept: (Table | undefined)[], dropped: (Table | undefined)[], deletedPrefixes: Set<string>): Promise<string[]> {
    const manifestOf = async (t: Table | undefined, required: boolean): Promise<string[]> => {
      const uri = t?.Parameters?.[HIVE_MANIFEST_PARAM];
      if (!uri) return [];
      const entries = await readManifest((u) => this.data.getText(u), uri);
      if (!entries && required) throw new Error(`the manifest ${uri} of a kept version cannot be read`);
      return entries ?? [];
    };
    const droppedLists = await Promise.all(dropped.map((t) => manifestOf(t, false)));
    if (!droppedLists.some((l) => l.length)) return [];
    const keptLists = await Promise.all(kept.map((t) => manifestOf(t, true)));
    const owned = new Map<string, Promise<boolean>>();
    const out: string[] = [];
    for (const f of orphanFiles(droppedLists, keptLists)) {
      const prefix = versionPrefixOfFile(f);
      if (!prefix || deletedPrefixes.has(prefix) || !isStediVersionLocation(this.settings.s3DataDir, prefix)) continue;
      if (!owned.has(prefix)) owned.set(prefix, this.data.owns(prefix));
      if (await owned.get(prefix)) out.push(f);
    }
    return out;
  }

  private seedSql(node: SeedNode): string {
    const text = fs.readFileSync(node.seed_path, 'utf8');
    const parsed = csvToRows(text);
    if (parsed.error) throw new EngineError(`seed ${node.name} (${node.seed_path}): ${parsed.error}`);
    return seedSelect(node, csvHeader(text), parsed.rows);
  }

  async cancelAll(): Promise<void> {
    await this.runner.stopAll();
  }
}

/**
 * The first calls of a run fail on setup problems, not on stedi bugs: no credentials in the
 * provider chain, an expired SSO session, a missing IAM permission. They become EngineErrors
 * that say so instead of an internal error with a stack trace.
 */
function awsSetupError(e: unknown, what: string): unknown {
  if (e instanceof EngineError) return e;
  const err = e as { name?: string; message?: string; code?: string; $metadata?: unknown };
  if (err.name === 'CredentialsProviderError' || err.name === 'TokenProviderError') {
    return new EngineError(
      `no usable AWS credentials for ${what}: ${err.message ?? err.name}. stedi takes them from the AWS SDK's default provider chain only: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE (run 'aws sso login' for an SSO profile), web identity, container or instance roles`,
    );
  }
  if (['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(err.code ?? '')) return new EngineError(`AWS could not be reached for ${what}: ${err.message ?? err.code} (network, proxy or region)`);
  if (err.$metadata !== undefined && err.name) return new EngineError(`AWS refused a call while opening ${what}: ${err.name}: ${err.message ?? ''} (see "The minimal IAM policy" in the README)`);
  return e;
}

