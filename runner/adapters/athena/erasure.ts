/**
 * The athena target's side of `stedi forget` (ErasureAccess, runner/adapters/types.ts).
 *
 * - The erasure log is a set of objects, one per entry, under `<s3_data_dir>/_stedi/erasures/`
 *   (S3 has no append; a new object per entry is append-only by construction).
 * - A landing object is rewritten by a PutObject with `IfMatch` on the ETag it was listed with:
 *   an object that changed since is never overwritten (S3 answers 412 and nothing is replaced).
 * - Versions are the Glue versions of this project's tables (and their S3 prefixes, which the
 *   build's pruning deletes with them).
 * - Values are looked for by their SHA-256 only (`to_hex(sha256(to_utf8(lower(col))))`): Athena
 *   keeps every query text in its history for 45 days, so a value in the text would outlive the
 *   erasure. Exact (case-insensitive) matches only: a quarantined raw line is searched by the
 *   forget's own scan of the landing objects, not by a query.
 * - What stedi cannot erase: S3 Versioning of the buckets (GetBucketVersioning), the workgroup's
 *   query results, backups.
 */
import { createHash } from 'node:crypto';
import type { Table } from '@aws-sdk/client-glue';
import { isLandingFileName } from '../../landing/classify.js';
import type { LogEntry } from '../../landing/erasure-log.js';
import type { SourceState } from '../../landing/state.js';
import type { SourceNode } from '../../manifest/types.js';
import { EngineError, type ErasureAccess, type ForgetFile } from '../types.js';
import { isOwned, ownerParams, STATE_PARAM, type Catalog, type Owner } from './glue.js';
import { readStediObject, s3LandingStore } from './landing-io.js';
import { parseS3 } from './s3.js';
import type { AthenaSettings } from './settings.js';
import type { AwsApi } from './api.js';

export interface AthenaErasureDeps {
  s3: AwsApi;
  catalog: Catalog;
  settings: AthenaSettings;
  owner: Owner;
  /** The Glue table names of a source: its landing table and its rejects. */
  landingNames(node: SourceNode): { accepted: string; rejects: string };
  /** The query result location in use (the workgroup's or s3_staging_dir), if known. */
  resultLocation(): string | undefined;
}

export function erasureLogPrefix(s3DataDir: string): string {
  return `${s3DataDir}/_stedi/erasures/`;
}

async function bodyOf(s3: AwsApi, bucket: string, key: string, etag?: string): Promise<Buffer> {
  const got = await s3.call('GetObject', { Bucket: bucket, Key: key, ...(etag ? { IfMatch: etag } : {}) });
  const chunks: Buffer[] = [];
  for await (const c of (got.Body ?? []) as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** Every entry of the erasure log, in the order they were written (their keys start with the time). */
export async function readS3ErasureLog(s3: AwsApi, s3DataDir: string): Promise<LogEntry[]> {
  const where = erasureLogPrefix(s3DataDir);
  const { bucket, prefix } = parseS3(where);
  const cannot = (e: unknown) => new EngineError(`cannot read the erasure log ${where}: ${(e as Error).name}: ${(e as Error).message}; nothing is ingested`);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await s3.call('ListObjectsV2', { Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) });
    } catch (e) {
      throw cannot(e);
    }
    for (const o of page.Contents ?? []) if (o.Key && o.Key.endsWith('.json')) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const out: LogEntry[] = [];
  for (const key of keys.sort()) {
    const text = (await bodyOf(s3, bucket, key).catch((e: unknown) => Promise.reject(cannot(e)))).toString('utf8');
    let e: LogEntry;
    try {
      e = JSON.parse(text) as LogEntry;
    } catch {
      throw new EngineError(`s3://${bucket}/${key}: not a JSON object; the erasure log cannot be read, so nothing is ingested (restore the object)`);
    }
    if (!e || (e.kind !== 'request' && e.kind !== 'receipt') || typeof e.key_fingerprint !== 'string' || !Array.isArray(e.persons) || !Array.isArray(e.devices)) {
      throw new EngineError(`s3://${bucket}/${key}: not an erasure log entry (kind, key_fingerprint, persons, devices); nothing is ingested`);
    }
    out.push(e);
  }
  return out;
}

export function athenaErasure(deps: AthenaErasureDeps): ErasureAccess {
  const { s3, catalog, settings, owner } = deps;
  const store = s3LandingStore(s3);
  const ownTables = async (): Promise<Table[]> => (await catalog.tables()).filter((t) => isOwned(t, owner));
  return {
    logLocation: erasureLogPrefix(settings.s3DataDir),
    readLog: () => readS3ErasureLog(s3, settings.s3DataDir),
    async appendLog(entry) {
      await ensureLogTable(catalog, settings, owner);
      const { bucket, prefix } = parseS3(erasureLogPrefix(settings.s3DataDir));
      const key = `${prefix}${entry.at.replace(/[:.]/g, '-')}-${entry.id}-${entry.kind}.json`;
      // a new key per entry, never overwritten (IfNoneMatch: the write fails if it exists)
      await s3.call('PutObject', { Bucket: bucket, Key: key, Body: JSON.stringify(entry), ContentType: 'application/json', IfNoneMatch: '*' });
    },
    async listLanding(node) {
      const entries = await store.list(node.location);
      if (!entries) throw new EngineError(`the landing location ${node.location} holds no object`);
      return entries.filter((e) => e.kind === 'file' && isLandingFileName(e.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((e) => ({ name: e.name, path: e.path, token: e.version ?? '' }));
    },
    async readLanding(file: ForgetFile) {
      const { bucket, prefix } = parseS3(file.path);
      return bodyOf(s3, bucket, prefix, file.token || undefined);
    },
    async replaceLanding(file, bytes) {
      const { bucket, prefix } = parseS3(file.path);
      try {
        await s3.call('PutObject', { Bucket: bucket, Key: prefix, Body: bytes, IfMatch: file.token });
      } catch (e) {
        const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (err.$metadata?.httpStatusCode === 412 || err.name === 'PreconditionFailed') throw new EngineError(`${file.name} changed while stedi forget ran; nothing of it was replaced (run stedi build, then stedi forget again)`);
        throw e;
      }
    },
    async recordedFiles(node) {
      const t = await catalog.get(deps.landingNames(node).accepted);
      const uri = t?.Parameters?.[STATE_PARAM];
      if (!uri) return undefined;
      const state = JSON.parse(await readStediObject(s3, uri)) as SourceState;
      return state.files.map((f) => ({ name: f.name, sha256: f.sha256, removed: f.removed === true, rows: f.accepted + f.rejected }));
    },
    async storedVersions() {
      const out: string[] = [];
      for (const t of await ownTables()) for (const v of await catalog.versions(t.Name!)) out.push(`${t.Name}@${v.VersionId}`);
      return out.sort();
    },
    async olderVersions() {
      let n = 0;
      for (const t of await ownTables()) n += Math.max(0, (await catalog.versions(t.Name!)).length - 1);
      return n;
    },
    holding(column, values) {
      if (!values.length) return 'FALSE';
      const hashes = values.map((v) => `'${createHash('sha256').update(v, 'utf8').digest('hex')}'`);
      return `lower(to_hex(sha256(to_utf8(lower("${column.replace(/"/g, '""')}"))))) IN (${hashes.join(', ')})`;
    },
    async outOfReach(landingLocations) {
      const out: string[] = [];
      const buckets = new Set<string>([parseS3(settings.s3DataDir).bucket, ...landingBuckets(landingLocations)]);
      for (const b of [...buckets].sort()) {
        let status: string | undefined;
        try {
          status = (await s3.call('GetBucketVersioning', { Bucket: b })).Status;
        } catch (e) {
          out.push(`bucket ${b}: stedi could not read its versioning (${(e as Error).name}): if S3 Versioning is on, the rewritten and deleted objects live on as noncurrent versions; check with aws s3api get-bucket-versioning --bucket ${b}`);
          continue;
        }
        if (status === 'Enabled' || status === 'Suspended') {
          out.push(`bucket ${b}: S3 Versioning is ${status}: the rewritten landing objects and the deleted table data live on as noncurrent versions; delete them (aws s3api list-object-versions --bucket ${b}, then aws s3api delete-object --bucket ${b} --key <key> --version-id <id>) or add a lifecycle rule with NoncurrentVersionExpiration`);
        }
      }
      const results = deps.resultLocation();
      out.push(`Athena query results${results ? ` under ${results}` : ' of the workgroup'}: result files of queries that returned their rows (stedi show, test failure samples) stay until deleted; delete them (aws s3 rm --recursive) or give that prefix a lifecycle expiration`);
      out.push('AWS Backup recovery points and any copy of the buckets: they expire on their own schedule; delete them by hand if the request demands it');
      return out;
    },
  };
}

/** The Glue table that reads the erasure log (the local target's `_stedi.erasures`): hashes and counts only. */
export const ERASURES_TABLE = 'stedi_erasures';

/**
 * Creates `<database>.stedi_erasures` over the log prefix (one JSON object per entry, read with
 * the OpenX SerDe; nested values as their JSON text) when it does not exist. A table of that
 * name that stedi did not create is never replaced: an error, before anything is erased.
 */
async function ensureLogTable(catalog: Catalog, settings: AthenaSettings, owner: Owner): Promise<void> {
  const found = await catalog.get(ERASURES_TABLE);
  if (found) {
    if (isOwned(found, owner)) return;
    throw new EngineError(`the Glue table ${settings.database}.${ERASURES_TABLE} exists and was not created by this project and target: stedi forget will not replace it (rename it, or use another database); nothing was erased`);
  }
  const cols: [string, string, string][] = [
    ['kind', 'string', 'request (written before anything is removed) or receipt (once everything is removed and checked)'],
    ['id', 'string', 'the request; its receipt has the same id'],
    ['at', 'string', 'when the entry was written (ISO 8601, UTC)'],
    ['key_fingerprint', 'string', 'the fingerprint of the pseudonymisation key of the hashes'],
    ['persons', 'string', 'keyed hashes of the people erased (JSON array)'],
    ['devices', 'string', 'keyed hashes of the devices only they claimed (JSON array)'],
    ['removed', 'string', 'receipt: what was removed, per landing file and table (JSON)'],
    ['rewrites', 'string', 'request: content hashes of each landing object before and after its rewrite (JSON array)'],
    ['completes', 'string', 'receipt: requests that stopped half-way and that this one completed (JSON array)'],
    ['unknown', 'bigint', 'receipt: identities that matched no record anywhere'],
  ];
  await catalog.create({
    Name: ERASURES_TABLE,
    Description: 'The erasure log of stedi forget: one row per request and receipt; keyed hashes and counts only, never an identifier.',
    TableType: 'EXTERNAL_TABLE',
    Parameters: { EXTERNAL: 'TRUE', classification: 'json', ...ownerParams(owner) },
    StorageDescriptor: {
      Columns: cols.map(([Name, Type, Comment]) => ({ Name, Type, Comment })),
      Location: erasureLogPrefix(settings.s3DataDir),
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', Parameters: { 'ignore.malformed.json': 'FALSE', 'dots.in.keys': 'FALSE', 'case.insensitive': 'TRUE' } },
    },
  });
}

/** The buckets of the landing locations of `sources`, for the versioning check. */
export function landingBuckets(locations: string[]): string[] {
  return [...new Set(locations.filter((l) => l.startsWith('s3://')).map((l) => parseS3(l).bucket))].sort();
}
