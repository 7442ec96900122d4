/**
 * Landing ingestion on Athena, with the same rules as the local target (runner/landing): every
 * line of the source's landing prefix becomes a row of `<table>` or of `<table>__rejects`
 * (file, line, reason, detail, raw), and the report balances
 * lines read = accepted + rejected + blank + duplicate_delivery.
 *
 * Why stedi reads the files itself instead of pointing a SerDe table at them: Trino gives no line
 * numbers, and the OpenX SerDe is laxer than JSON (single quotes, unquoted keys, one of two
 * duplicate keys kept silently) and turns a malformed line into a row of NULLs. So the runner
 * streams the landing objects through the pure classifier and writes what it decided as gzipped
 * JSON lines, which the Glue tables then read.
 *
 Incremental (runner/landing/incremental.ts): only the objects that are new or changed since the
 * last ingestion (their ETag differs) are downloaded; the parts written by earlier builds are
 * kept where they are, and a table version reads them through a **symlink manifest** (Hive's
 * SymlinkTextInputFormat: the table's location is a folder whose `manifest` lists the s3:// URIs
 * of its parts), so nothing is copied. A part holding rows that must leave (a changed or dropped
 * file) is downloaded (stedi's own part, never the landing object) and rewritten without them.
 * The state (every file's version, counts and segments) is a JSON object beside the new parts,
 * named by both Glue tables (`stedi_state`); `stedi_part_prefixes` lists the prefixes a version
 * reads, so that pruning never deletes a part a kept version still reads.
 *
 * Write-audit-publish, as for models:
 * 1. write: new parts, rewritten parts, both manifests and the state go to fresh version prefixes
 *    `<s3_data_dir>/<entity>/landing/<table>[__rejects]/v=<version>/`;
 * 2. audit: candidate Glue tables over the manifests are counted by Athena and must hold exactly
 *    the accepted and rejected counts (the SerDe reads back what was written);
 * 3. publish: `<table>__rejects`, then `<table>`, each switched with one UpdateTable guarded by
 *    the Glue VersionId read before the build (CreateTable the first time);
 * 4. finally: the candidate Glue entries are removed, and every prefix not published is deleted;
 *    older versions beyond keep_versions are pruned with their data.
 * Under `on_malformed: fail`, a malformed line stops before step 2: nothing is published.
 * The delivered landing objects are only listed and read, never written or deleted.
 */
import type { AwsApi } from './api.js';
import { landingColumns } from '../../landing/classify.js';
import { derivationProblems, type PseudonymKey } from '../../landing/derive.js';
import type { ErasureList } from '../../landing/erasure.js';
import { ingestSource, sourceSpec } from '../../landing/ingest.js';
import type { BatchWriter, NotRead } from '../../landing/incremental.js';
import type { SourceState } from '../../landing/state.js';
import type { Table } from '@aws-sdk/client-glue';
import { LandingReadError } from '../../landing/store.js';
import { balanceProblem, malformedError, readLine, sourceMessage } from '../../landing/report.js';
import type { LandingReport } from '../../landing/types.js';
import type { SourceNode } from '../../manifest/types.js';
import type { AdapterResponse, Audit, PublishOptions, QueryResult, QueryStats } from '../types.js';
import { EngineError } from '../types.js';
import { removeStaged } from './cleanup.js';
import { Catalog, foreignTableError, INPUTS_PARAM, isOwned, jsonTableInput, landingTableSpec, LOCATION_PARAM, ownerParams, PART_PREFIXES_PARAM, ROWS_PARAM, STATE_PARAM, type Owner } from './glue.js';
import { gzipText, jsonLinesSink, readStediObject, rewriteS3Part, s3LandingStore, S3LinesWriter } from './landing-io.js';
import { candidateName, checkGlueName, isStediVersionLocation, versionLocation } from './names.js';
import type { S3Data } from './s3.js';
import { isS3Uri, trimSlash, type AthenaSettings } from './settings.js';
import { relation } from './sql.js';

export interface LandingDeps {
  settings: AthenaSettings;
  owner: Owner;
  catalog: Catalog;
  data: S3Data;
  s3: AwsApi;
  newVersion(): string;
  query(sql: string, signal?: AbortSignal): Promise<QueryResult>;
  /** Removes versions beyond keep_versions (never a prefix in `reads`, which the new version reads); returns a note for the message. */
  prune(name: string, current: string, reads?: string[]): Promise<string>;
  /** Uncompressed characters per written object (tests make it small). */
  partChars?: number;
  /** The pseudonymisation key of derived columns (runner/landing/derive.ts); stays in the runner. */
  key?: PseudonymKey;
  /** The erasure list (runner/landing/erasure.ts): records of erased people are counted as `erased`, stored nowhere. */
  erasure?: ErasureList;
}

/** The Glue names of a source's two tables. */
export function landingNames(node: SourceNode): { accepted: string; rejects: string } {
  const accepted = node.relation.identifier;
  return { accepted, rejects: node.rejects_relation?.identifier ?? `${accepted}__rejects` };
}

export async function ingestToAthena(deps: LandingDeps, node: SourceNode, audit: Audit, opts: PublishOptions = {}): Promise<AdapterResponse & { published: boolean }> {
  const { signal } = opts;
  const what = `source ${node.source_name}.${node.name}`;
  const { settings, catalog } = deps;
  const names = landingNames(node);
  checkGlueName(names.accepted, what);
  checkGlueName(names.rejects, `${what} rejects`);
  if (!isS3Uri(node.location)) {
    throw new EngineError(`${what}: location '${node.location}' is not an S3 URI; set landing_root on the athena target (STEDI_LANDING_ROOT) or pass --vars '{landing_root: s3://bucket/landing}'`);
  }
  const { columns, problems } = landingColumns(node.columns);
  problems.push(...derivationProblems(columns));
  if (problems.length) throw new EngineError(`cannot ingest ${node.source_name}.${node.name}: ${problems.join('; ')}`);

  const previous = { accepted: await catalog.get(names.accepted), rejects: await catalog.get(names.rejects) };
  for (const k of ['accepted', 'rejects'] as const) {
    if (previous[k] && !isOwned(previous[k], deps.owner, node.unique_id)) throw foreignTableError(settings.database, names[k], what, previous[k]);
  }
  const previousState = await readPreviousState(deps, previous, signal);

  const version = deps.newVersion();
  const loc = {
    accepted: versionLocation(settings.s3DataDir, { entity: node.entity, zone: 'landing', name: names.accepted }, version),
    rejects: versionLocation(settings.s3DataDir, { entity: node.entity, zone: 'landing', name: names.rejects }, version),
  };
  const cand = { accepted: candidateName(names.accepted, version), rejects: candidateName(names.rejects, version) };
  const writerOpts = { ...(deps.partChars ? { partChars: deps.partChars } : {}), ...(signal ? { signal } : {}) };
  // each prefix is marked as this project's right before its first object: a source that fails
  // before writing anything (a missing location) leaves nothing at all
  const writer = (k: 'accepted' | 'rejects') => new S3LinesWriter(deps.s3, loc[k], { ...writerOpts, beforeFirstWrite: () => deps.data.mark(loc[k], node.unique_id) });
  const out = { accepted: writer('accepted'), rejects: writer('rejects') };
  const sink = jsonLinesSink(columns, out.accepted, out.rejects);
  let rewritten = 0;
  const batch: BatchWriter = {
    sink,
    async finish() {
      await out.accepted.finish();
      await out.rejects.finish();
      return { accepted: [...out.accepted.parts], rejects: [...out.rejects.parts] };
    },
    rewrite: (kind, part, drop) => rewriteS3Part(deps.s3, out[kind], part, drop, `rw-${String(rewritten++).padStart(5, '0')}.json.gz`, signal),
  };
  const published = { accepted: false, rejects: false };
  const created: string[] = [];
  let report: LandingReport;
  let state: SourceState;
  let read: number;
  let notRead: NotRead;
  let stats: QueryStats | undefined;
  let notes = '';
  try {
    const rel = (n: string) => `${settings.database}.${n}`;
    try {
      ({ report, state, read, notRead } = await ingestSource(
        { ...sourceSpec(node, columns, { accepted: rel(names.accepted), rejects: rel(names.rejects) }, trimSlash(node.location), deps.key), ...(deps.erasure ? { erasure: deps.erasure } : {}) },
        batch,
        {
          store: s3LandingStore(deps.s3), ...(signal ? { signal } : {}), ...(previousState ? { previous: previousState } : {}), ...(opts.fullRefresh ? { fullRefresh: true } : {}),
          ...(settings.ingestThreads !== undefined ? { threads: settings.ingestThreads } : {}),
          onRemoved: node.config.on_removed_file === 'drop' ? 'drop' : 'keep',
        },
      ));
    } catch (e) {
      if (e instanceof LandingReadError) throw new EngineError(`${what}: ${e.message}; the published version is unchanged`, { path: e.path });
      throw e;
    }
    const failed = malformedError(report);
    if (failed) throw new EngineError(failed);
    const unbalanced = balanceProblem(report);
    if (unbalanced) throw new EngineError(unbalanced);

    // the manifests (what each table version reads) and the state, beside the new parts
    const manifest = (k: 'accepted' | 'rejects') => out[k].put(`${MANIFEST_FOLDER}manifest`, state.parts[k].map((p) => `${p.path}\n`).join(''), 'text/plain');
    await manifest('accepted');
    await manifest('rejects');
    const stateUri = await out.accepted.put(STATE_OBJECT, await gzipText(JSON.stringify(state)), 'application/gzip');
    const prefixesOf = (k: 'accepted' | 'rejects') => JSON.stringify([...new Set(state.parts[k].map((p) => p.path.slice(0, p.path.lastIndexOf('/') + 1)))]);

    const params = (k: 'accepted' | 'rejects'): Record<string, string> => ({
      ...ownerParams(deps.owner),
      stedi_node: node.unique_id,
      [LOCATION_PARAM]: loc[k],
      stedi_version: version,
      stedi_landing_location: `${trimSlash(node.location)}/`,
      stedi_lines_read: String(report.totals.lines_read),
      [ROWS_PARAM]: String(k === 'accepted' ? report.totals.accepted : report.totals.rejected),
      [STATE_PARAM]: stateUri,
      [PART_PREFIXES_PARAM]: prefixesOf(k),
      ...(opts.inputs ? { [INPUTS_PARAM]: JSON.stringify(opts.inputs) } : {}),
    });
    const input = (k: 'accepted' | 'rejects', name: string) => jsonTableInput(landingTableSpec(node, k, name), `${loc[k]}${MANIFEST_FOLDER}`, params(k), true);

    // audit: Athena reads back exactly what was written
    for (const k of ['accepted', 'rejects'] as const) {
      await catalog.create(input(k, cand[k]));
      created.push(cand[k]);
    }
    signal?.throwIfAborted();
    const counted = await deps.query(`SELECT (SELECT count(*) FROM ${relation(settings.database, cand.accepted)}) AS accepted, (SELECT count(*) FROM ${relation(settings.database, cand.rejects)}) AS rejected`, signal);
    stats = counted.stats;
    const row = counted.rows[0] ?? {};
    const stored = balanceProblem(report, { accepted: Number(row.accepted ?? -1), rejected: Number(row.rejected ?? -1) });
    if (stored) throw new EngineError(`${stored}; nothing was published`);
    signal?.throwIfAborted();
    // the executor's gate (the volume guards) against the published version
    const before = previous.accepted?.Parameters?.[ROWS_PARAM];
    const previousRows = before !== undefined && Number.isFinite(Number(before)) ? Number(before) : undefined;
    const candidateQuery = { query: (sql: string, sig?: AbortSignal) => deps.query(sql, sig ?? signal) };
    if (!(await audit(candidateQuery, { rows: report.totals.accepted, ...(previousRows !== undefined ? { previousRows } : {}), landing: report }))) {
      return { published: false, message: `NOT PUBLISHED ${sourceMessage(report)}`, ...(stats ?? {}), landing: report };
    }

    // publish: the rejects first, so a reader of the new records can already find their rejects
    // (if the second UpdateTable is refused, the two tables name different states: the next
    // build sees it and reads every file again)
    for (const k of ['rejects', 'accepted'] as const) {
      const prev = previous[k];
      if (prev) await catalog.update(input(k, names[k]), prev.VersionId);
      else await catalog.create(input(k, names[k]));
      published[k] = true;
    }
  } finally {
    // an upload still in flight (a failure or Ctrl-C mid-write) must land before its prefix is deleted
    await out.accepted.settle();
    await out.rejects.settle();
    notes += await removeStaged(catalog, deps.data, created, (['accepted', 'rejects'] as const).filter((k) => !published[k] && out[k].touched).map((k) => loc[k]));
  }
  const reads = (k: 'accepted' | 'rejects') => state.parts[k].map((p) => p.path.slice(0, p.path.lastIndexOf('/') + 1));
  notes = (await deps.prune(names.rejects, loc.rejects, reads('rejects'))) + (await deps.prune(names.accepted, loc.accepted, reads('accepted'))) + notes;
  const extra = [readLine(report, read, notRead), notes.replace(/^; /, '')].filter(Boolean).join('\n  ');
  return { published: true, message: `${sourceMessage(report)}${extra ? `\n  ${extra}` : ''}`, ...(stats ?? {}), landing: report };
}

/** Where a landing table version's manifest is, under its version prefix, and its state object. */
const MANIFEST_FOLDER = '_symlink_format_manifest/';
const STATE_OBJECT = '_stedi_state.json.gz';


/**
 * The state of the published ingestion: only when both tables name the same state object, in a
 * version prefix of this project under s3_data_dir, and it reads back whole. Anything else (a
 * table published by an earlier stedi, a half-finished publish, a state that does not account
 * for its rows) gives none: every landing file is then read again.
 */
async function readPreviousState(deps: LandingDeps, previous: { accepted?: Table; rejects?: Table }, signal?: AbortSignal): Promise<SourceState | undefined> {
  const uri = previous.accepted?.Parameters?.[STATE_PARAM];
  if (!uri || previous.rejects?.Parameters?.[STATE_PARAM] !== uri) return undefined;
  const prefix = uri.slice(0, uri.lastIndexOf('/') + 1);
  if (!isStediVersionLocation(deps.settings.s3DataDir, prefix)) return undefined;
  try {
    const state = JSON.parse(await readStediObject(deps.s3, uri, signal)) as SourceState;
    const ours = (p: { path: string }) => isStediVersionLocation(deps.settings.s3DataDir, p.path.slice(0, p.path.lastIndexOf('/') + 1));
    if (!Array.isArray(state?.files) || ![...state.parts.accepted, ...state.parts.rejects].every(ours)) return undefined;
    return state;
  } catch (e) {
    if (signal?.aborted) throw e;
    return undefined;
  }
}
