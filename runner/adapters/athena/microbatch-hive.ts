/**
 * `incremental_strategy: microbatch` on Athena for a Hive table (`table_format: hive`): interval
 * replacement through a symlink manifest. A Hive table has no MERGE, and Glue cannot swap several
 * partitions in one step, so a version of such a table is a list of Parquet files, one folder per
 * interval, which the table reads through Hive's SymlinkTextInputFormat (its location is a folder
 * whose `manifest` lists the s3:// URIs of its files, as the landing tables do):
 * 1. write: a partitioned CTAS (then INSERT INTO, at most 99 intervals a statement: Athena writes
 *    at most 100 partitions a statement, one is kept for strays) writes the rows of every
 *    rewritten interval to `v=<version>/stedi_interval=<start>/`. A row a statement produced
 *    outside its own intervals goes to `stedi_interval=-1` (no interval starts there) and fails the
 *    build: a microbatch model's event time must come from the rows it reads;
 * 2. the manifest lists the files of the previous version whose interval is not rewritten, plus the
 *    new files; a candidate table `<name>__stedi_<version>` reads it, and the blocking tests run on
 *    it: the audit reads exactly the files that would be published;
 * 3. publish: one UpdateTable switches the table to the new manifest (CreateTable the first time).
 * What is rewritten: every interval on a whole build (`--full-refresh`, the first build, a changed
 * spec…: the intervals the inputs have, from the fingerprints); on an incremental one the intervals
 * microbatch.ts decided, plus, for each restated key, every interval holding a row of that key in
 * the published table or in the model's rows now — so a key's rows leave (consent withdrawn) or
 * enter (consent given) every interval they are in, by rewriting those intervals whole.
 * The files a version lists stay under their version prefixes (`stedi_part_prefixes`, kept by
 * pruning while a kept version lists them); a file no kept version lists any more is deleted when
 * the last version listing it is pruned (orphanFiles), so a replaced interval's rows do not outlive
 * keep_versions.
 */
import type { Column, Table, TableInput } from '@aws-sdk/client-glue';
import { fillWindow, inRanges, NULL_INTERVAL, rangesOf, unionRanges, type Range } from '../../core/batches.js';
import { doubleQuote } from '../../dialect/types.js';
import type { ModelNode } from '../../manifest/types.js';
import { EngineError, type Audit, type MaterializeResult, type PublishOptions } from '../types.js';
import { INPUTS_PARAM, LOCATION_PARAM, ownerParams, PART_PREFIXES_PARAM, ROWS_PARAM, SYMLINK_INPUT_FORMAT, tableInputOf } from './glue.js';
import { MB_STATE_PARAM, stateUri, type MbState } from './microbatch.js';
import type { MbBuildDeps } from './microbatch-build.js';
import type { Planned } from './microbatch-plan.js';
import { inIntervals, inKeys, intervalSql, type BatchSpec, type Restate } from './microbatch-sql.js';
import { candidateName, versionLocation } from './names.js';
import { statsOf } from './query.js';
import { ctas, relation } from './sql.js';

const q = doubleQuote;
/** The partition column of the interval files (not a column of the table). */
export const INTERVAL_COLUMN = 'stedi_interval';
/** Where a version's rows of no interval of their statement go: no interval starts at -1. */
const STRAY = -1;
/** Intervals a statement writes: Athena writes at most 100 partitions per CTAS or INSERT INTO; one is kept for STRAY. */
export const CHUNK = 99;
/** The Glue parameter naming a Hive microbatch version's manifest. */
export const HIVE_MANIFEST_PARAM = 'stedi_interval_manifest';
export const MANIFEST_FOLDER = '_symlink_format_manifest/';
const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

/** The interval of a file of a version (from its `stedi_interval=` folder), or undefined when it has none. */
export function intervalOfFile(uri: string): string | undefined {
  const m = /\/stedi_interval=([^/]+)\/[^/]+$/.exec(uri);
  if (!m) return undefined;
  if (m[1] === HIVE_NULL) return NULL_INTERVAL;
  // interval starts are whole hours or days of epoch milliseconds (negative before 1970); -1 is the stray folder
  return /^-?\d+$/.test(m[1]!) && m[1] !== String(STRAY) ? m[1] : undefined;
}

/** The version prefix (`…/v=<version>/`) an interval file lies in, or undefined. */
export function versionPrefixOfFile(uri: string): string | undefined {
  return /^(.*\/v=[^/]+\/)stedi_interval=[^/]+\/[^/]+$/.exec(uri)?.[1];
}

/** A version's files from its manifest at `uri`; undefined when it is missing (not an empty table: its files are unknown) or not one stedi wrote. */
export async function readManifest(readText: (uri: string) => Promise<string | undefined>, uri: string): Promise<string[] | undefined> {
  const text = await readText(uri);
  return text === undefined ? undefined : parseManifest(text);
}

/** A manifest's entries, or undefined when one is not a file of an interval (a manifest stedi did not write). */
export function parseManifest(text: string): string[] | undefined {
  const entries = text.split('\n').filter((l) => l.trim() !== '');
  return entries.every((e) => /^s3:\/\//.test(e) && intervalOfFile(e) !== undefined) ? entries : undefined;
}

/**
 * The data files the statements wrote under `location`: every object a Hive reader reads (not a
 * folder, not hidden by a leading `_` or `.`) must be a file of an interval; anything else stops
 * the build (fail closed: a file the manifest would leave out is rows lost).
 */
export function dataFiles(uris: string[], location: string, what: string): string[] {
  const out: string[] = [];
  for (const uri of uris) {
    const base = uri.slice(uri.lastIndexOf('/') + 1);
    if (base === '' || base.startsWith('_') || base.startsWith('.') || uri.slice(location.length).split('/').some((p) => p.startsWith('_') || p.startsWith('.'))) continue;
    if (intervalOfFile(uri) === undefined) throw new EngineError(`${what}: ${uri} is not a file of an interval folder; nothing was published`);
    out.push(uri);
  }
  return out;
}

export interface HivePlan {
  spec: BatchSpec;
  size: 'hour' | 'day';
  state: MbState;
  previous?: Table;
  /** Incremental: the published version's files and what microbatch.ts restated; whole otherwise. */
  incremental?: { entries: string[]; restate: Restate; intervals: number };
  /** Why it is built whole (when it is). */
  why?: string;
}

/** The intervals the inputs have now (from the fingerprints): what a build can produce rows in. */
export function inputIntervals(state: MbState): Set<string> {
  return new Set(Object.values(state.events).flatMap((e) => Object.keys(e)));
}

/** The rewritten intervals, in statements of at most CHUNK: each a Restate without keys. */
export function chunks(intervals: Iterable<string>, size: 'hour' | 'day'): Restate[] {
  const all = [...new Set(intervals)].sort((a, b) => (a === NULL_INTERVAL ? -1 : b === NULL_INTERVAL ? 1 : Number(a) - Number(b)));
  const out: Restate[] = [];
  for (let i = 0; i < all.length; i += CHUNK) {
    const part = all.slice(i, i + CHUNK);
    out.push({ ranges: rangesOf(part.filter((x) => x !== NULL_INTERVAL), size), withNull: part.includes(NULL_INTERVAL), keys: [] });
  }
  return out.length ? out : [{ ranges: [], withNull: false, keys: [] }];
}

/** One statement's rows: the model's SQL over `chunk`, each row with the folder of its interval (STRAY outside the chunk). */
export function chunkSelect(sql: string, eventTime: string, size: 'hour' | 'day', chunk: Restate): string {
  const et = `stedi_m.${q(eventTime)}`;
  const body = fillWindow(sql, (_id, column) => inIntervals(column, chunk));
  return `SELECT stedi_m.*, CASE WHEN ${inIntervals(et, chunk)} THEN ${intervalSql(et, size)} ELSE CAST(${STRAY} AS BIGINT) END AS ${q(INTERVAL_COLUMN)}\nFROM (\n${body}\n) stedi_m`;
}

/** The intervals in which relation `from` (alias `alias`) has a row of a restated key. */
export function keyIntervalsSql(from: string, alias: string, spec: BatchSpec, size: 'hour' | 'day', keys: string[]): string {
  return `SELECT DISTINCT CAST(${intervalSql(`${alias}.${q(spec.eventTime)}`, size)} AS varchar) AS i FROM ${from} ${alias} WHERE ${inKeys(`${alias}.${q(spec.restateColumn!)}`, keys)}`;
}

/** The rows a version's statements wrote outside their own intervals. */
export function straySql(candidate: string): string {
  return `SELECT count(*) AS stray FROM ${candidate} WHERE ${q(INTERVAL_COLUMN)} = ${STRAY}`;
}

/** Files listed by versions being dropped that no kept version lists: deleted with the last version listing them. */
export function orphanFiles(dropped: string[][], kept: string[][]): string[] {
  const keep = new Set(kept.flat());
  return [...new Set(dropped.flat())].filter((f) => !keep.has(f));
}

/** The Glue table of a version: Parquet files read through the manifest in `manifestFolder`. */
export function symlinkParquetInput(name: string, columns: Column[], manifestFolder: string, params: Record<string, string>, description?: string): TableInput {
  return {
    Name: name,
    ...(description ? { Description: description.trim().slice(0, 2048) } : {}),
    TableType: 'EXTERNAL_TABLE',
    Parameters: { EXTERNAL: 'TRUE', classification: 'parquet', ...params },
    PartitionKeys: [],
    StorageDescriptor: {
      Columns: columns.map((c) => ({ Name: c.Name, Type: c.Type })),
      Location: manifestFolder,
      InputFormat: SYMLINK_INPUT_FORMAT,
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      SerdeInfo: { SerializationLibrary: PARQUET_SERDE, Parameters: { 'serialization.format': '1' } },
    },
  };
}

const firstNumber = (rows: Record<string, unknown>[]) => Number(Object.values(rows[0] ?? {})[0] ?? 0);

export async function buildHive(d: MbBuildDeps, node: ModelNode, p: HivePlan, audit: Audit, opts: PublishOptions): Promise<MaterializeResult> {
  const { signal } = opts;
  const what = `model ${node.name}`;
  const name = node.relation.identifier;
  const published = relation(d.settings.database, name);
  const version = d.newVersion();
  const candidate = candidateName(name, version);
  const cand = relation(d.settings.database, candidate);
  const location = versionLocation(d.settings.s3DataDir, { entity: node.entity, zone: node.zone, name }, version);
  const known = inputIntervals(p.state);

  // what is rewritten, and which files of the published version stay
  let rewritten: Set<string>;
  let kept: string[] = [];
  let sql = p.spec.full;
  let keysNote = '';
  if (p.incremental) {
    const { restate, entries } = p.incremental;
    const ranges: Range[] = [...restate.ranges];
    let withNull = restate.withNull;
    if (restate.keys.length) {
      // every interval a restated key has a row in, in the published table or in the model's rows
      // now; the published table is not read when every restated key is new to the dimensions
      // (restate.keysNew: it holds no row of them)
      const ofKeys = async (from: string, alias: string) => (await d.query(keyIntervalsSql(from, alias, p.spec, p.size, restate.keys))).rows.map((r) => (r.i === null || r.i === undefined ? NULL_INTERVAL : String(r.i)));
      const keyed = [...(restate.keysNew ? [] : await ofKeys(published, 'stedi_was')), ...(await ofKeys(`(\n${fillWindow(p.spec.full, () => 'TRUE')}\n)`, 'stedi_now'))];
      if (keyed.includes(NULL_INTERVAL)) withNull = true;
      const extra = rangesOf(keyed.filter((i) => i !== NULL_INTERVAL), p.size);
      keysNote = `, ${restate.keys.length} key${restate.keys.length === 1 ? '' : 's'} restated (${new Set(keyed).size} interval${new Set(keyed).size === 1 ? '' : 's'} of theirs${restate.keysNew ? '; all new to the dimensions: the published table not read for them' : ''})`;
      ranges.splice(0, ranges.length, ...unionRanges(ranges, extra));
    }
    const isRewritten = (i: string) => (i === NULL_INTERVAL ? withNull : inRanges(i, ranges));
    rewritten = new Set([...known].filter(isRewritten));
    // an interval of the published version that is rewritten but has no input rows now simply loses its files
    kept = entries.filter((f) => !isRewritten(intervalOfFile(f)!));
    sql = p.spec.batch;
  } else {
    rewritten = known;
  }

  const done = d.spent;
  let published_ = false;
  let cleanup = '';
  let rows: number;
  const manifestUri = `${location}${MANIFEST_FOLDER}manifest`;
  let entries: string[];
  try {
    await d.data.mark(location, node.unique_id);
    let columns: Column[];
    let fresh: string[] = [];
    if (p.incremental && rewritten.size === 0) {
      // nothing to rewrite (no input changed, or only intervals no input has any more): no statement, the same columns
      columns = p.previous?.StorageDescriptor?.Columns ?? [];
    } else {
      for (const [i, chunk] of chunks(rewritten, p.size).entries()) {
        const select = chunkSelect(sql, p.spec.eventTime, p.size, chunk);
        const statement = i === 0 ? ctas(d.settings.database, candidate, 'hive', location, select, [INTERVAL_COLUMN]) : `INSERT INTO ${cand}\n${select}`;
        done.push(await d.runner.execute(statement, { ...(signal ? { signal } : {}), purpose: what }));
      }
      const built = await d.catalog.get(candidate);
      if (!built) throw new EngineError(`${what}: the CTAS succeeded but Glue has no table ${candidate}`);
      // the candidate carries the owner, so that only this project and target may remove it (a killed build's)
      await d.catalog.update({ ...tableInputOf(built, candidate), Parameters: { ...(built.Parameters ?? {}), ...ownerParams(d.owner), stedi_node: node.unique_id } }, built.VersionId, true);
      columns = built.StorageDescriptor?.Columns ?? [];
      if (columns.some((c) => c.Name?.toLowerCase() === INTERVAL_COLUMN)) throw new EngineError(`${what}: a column named ${INTERVAL_COLUMN} is reserved for the interval folders of a Hive microbatch table; rename it`);
      const stray = firstNumber((await d.query(straySql(cand))).rows);
      if (stray > 0) throw new EngineError(`${what}: ${stray} row(s) were produced outside the intervals their batch read; a microbatch model's ${p.spec.eventTime} must come from the event time of the rows it reads`);
      // the CTAS table goes; its files stay and are read through the manifest from now on
      fresh = dataFiles(await d.data.list(location), location, what);
      await d.catalog.delete(candidate);
    }
    if (p.previous && p.incremental) {
      const shape = (cols: Column[]) => cols.map((c) => `${c.Name} ${c.Type}`).join(', ');
      const theirs = shape(p.previous.StorageDescriptor?.Columns ?? []);
      if (shape(columns) !== theirs) throw new EngineError(`on_schema_change: fail: the restated rows of ${node.name} have the columns (${shape(columns)}) but the published table has (${theirs}); run with --full-refresh to rebuild it`);
    }
    entries = [...kept, ...fresh];
    await d.data.putText(manifestUri, entries.map((e) => `${e}\n`).join(''), 'text/plain');
    const prefixes = [...new Set([location, ...entries.map((e) => versionPrefixOfFile(e)!)])];
    const params: Record<string, string> = {
      ...ownerParams(d.owner),
      stedi_node: node.unique_id,
      [LOCATION_PARAM]: location,
      stedi_version: version,
      stedi_format: 'hive',
      [HIVE_MANIFEST_PARAM]: manifestUri,
      [PART_PREFIXES_PARAM]: JSON.stringify(prefixes),
      [MB_STATE_PARAM]: stateUri(location, version),
      ...(opts.inputs ? { [INPUTS_PARAM]: JSON.stringify(opts.inputs) } : {}),
    };
    const input = (n: string, extra: Record<string, string> = {}) => symlinkParquetInput(n, columns, `${location}${MANIFEST_FOLDER}`, { ...params, ...extra }, node.description);
    await d.catalog.create(input(candidate));
    rows = firstNumber((await d.query(`SELECT count(*) FROM ${cand}`)).rows);
    const previousRows = p.previous?.Parameters?.[ROWS_PARAM] !== undefined ? Number(p.previous.Parameters[ROWS_PARAM]) : undefined;
    const ok = await audit(d.candidateQueryable(published, cand, signal), { rows, ...(previousRows !== undefined && Number.isFinite(previousRows) ? { previousRows } : {}) });
    if (!ok) return { published: false, response: { message: 'NOT PUBLISHED hive table (the published table is unchanged)', ...statsOf(done) } };
    signal?.throwIfAborted();
    await d.data.putText(stateUri(location, version), JSON.stringify(p.state));
    const final = input(name, { [ROWS_PARAM]: String(rows) });
    if (p.previous) await d.catalog.update(final, p.previous.VersionId);
    else await d.catalog.create(final);
    published_ = true;
  } finally {
    cleanup = await d.removeCandidate(candidate, published_ ? undefined : location);
  }
  const pruned = await d.prune(name, location, node.unique_id);
  const n = rewritten.size;
  const how = p.incremental
    ? `${p.incremental.intervals} interval${p.incremental.intervals === 1 ? '' : 's'} restated${keysNote}; ${n} interval${n === 1 ? '' : 's'} rewritten, ${kept.length} file${kept.length === 1 ? '' : 's'} kept`
    : `built whole: ${p.why ?? 'every interval'}; ${n} interval${n === 1 ? '' : 's'} written`;
  return { published: true, response: { message: `OK hive table at ${location} (microbatch: ${how})${pruned}${cleanup}`, rows_affected: rows, ...statsOf(done) } };
}

/** What a Hive microbatch build rewrites: the restated intervals (and keys) of `planned`, or every interval. */
export function hivePlan(node: ModelNode, planned: Planned, previous: Table | undefined): HivePlan {
  const size = String(node.config.batch_size) as 'hour' | 'day';
  const r = planned.restated;
  if (r) {
    if (!r.entries) throw new EngineError(`internal: ${node.name}: a Hive microbatch plan without the published version's files`);
    return { spec: r.spec, size, state: r.state, previous: r.previous, incremental: { entries: r.entries, restate: r.restate ?? { ranges: [], withNull: false, keys: [] }, intervals: r.intervals } };
  }
  if (!planned.state || !planned.spec) throw new EngineError(`internal: ${node.name}: a Hive microbatch plan without the state of its inputs`);
  return { spec: planned.spec, size, state: planned.state, ...(previous ? { previous } : {}), why: planned.why };
}
