/**
 * `incremental_strategy: microbatch` on DuckDB: a table whose parts are filed by event-time
 * interval (`<version>/p/__stedi_interval=<start ms>/…parquet`, runner/core/batches.ts), rebuilt
 * interval by interval and key by key so that after any build it holds exactly what a whole
 * build on the same inputs gives.
 *
 * What a build restates, found from the data (the version's `_state/state.json` records what it
 * was built from):
 *   - event-time inputs (sources and models with `event_time`) that are made of parts (landing
 *     tables, other microbatch models): the intervals of every part added or removed since the
 *     published version (a new landing file, a changed one, a part another model restated), plus
 *     `lookback` intervals before the newest of them; `--event-time-start/--event-time-end`
 *     intervals too. Those intervals are rebuilt whole from the model's SQL, its event-time
 *     inputs read through the window of those intervals only.
 *   - dimensions with a `restate_by.from` column: per key, a fingerprint of the key's rows (md5
 *     of each row's JSON; only md5 hashes of the keys are stored, never a key). Keys whose
 *     fingerprint changed (rows changed, appeared or disappeared: a consent withdrawn, given or
 *     moved, a customer record gone, a serial that became ambiguous) are restated: their rows
 *     leave every interval and the model's SQL over all intervals gives their rows again. An
 *     interval whose kept parts hold none of their rows (a customer new to the dimension) keeps
 *     its parts and gains one with the keys' rows (MAX_PARTS_PER_INTERVAL bounds how many).
 *   - anything stedi cannot compare (no state, another SQL or config, a dimension without a
 *     key that changed, an event-time input that is not made of parts and changed, a part without
 *     its interval) rebuilds the model whole, and the build says why.
 *
 * A batch must be interval-local: its rows must fall in the intervals it was asked for (a row of
 * another interval is an error, never published). The new version is a list of parts (kept
 * parts + the rewritten intervals), published by write-audit-publish like any table.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { beginMs } from '../../compiler/configs.js';
import { BATCH_SIZES, clipRanges, fillWindow, inRanges, intervalStart, NULL_INTERVAL, previousStart, rangesOf, unionRanges, windowTokens, type BatchSize, type Range } from '../../core/batches.js';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { ModelNode } from '../../manifest/types.js';
import { EngineError, type MicrobatchPlan } from '../types.js';
import { contentOf, type PublishedRow } from './catalog.js';
import { partsOf } from './incremental.js';
import { columnType, count, intervalIn, intervalName, intervalSql, keyHash, rangePredicate, read, rowHash, rows, sortedConcat } from './microbatch-sql.js';
import { emptyPartPath, intervalCount, isEmptyPart, listParts, partInterval, readState, recordEventParts, sha256, sortKey, STATE_FORMAT, writeState, type State } from './microbatch-state.js';

const q = duckdbDialect.quoteIdent;
const lit = duckdbDialect.quoteString;
export interface MicrobatchWrite {
  parts: string[];
  rows: number;
  note: string;
  /**
   * Set when the build kept parts of the published version: per keyed dimension whose key is text
   * or an integer, the dimension's content token the published version's fingerprints were taken
   * from. Every row of a key whose rows in it differ from that version is in the fresh parts.
   */
  keyed?: { relation: string; key: string; baseline: string }[];
}

/** Key types whose equality in SQL is equality of the text the fingerprints compare (no -0.0, NaN, time zones, collations). */
const TEXT_EXACT_KEYS = /^(VARCHAR|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|UHUGEINT)$/;

interface Ctx {
  c: DuckDBConnection;
  node: ModelNode;
  plan: MicrobatchPlan;
  dir: string;
  size: BatchSize;
  begin: number | undefined;
  types: Map<string, string>;
}

const ALL: Range[] = [{ start: -8.64e15, end: Infinity }];

/**
 * An interval that only gains rows (a restated key with no row in its kept parts, e.g. a customer
 * who just reached the dimension) gets them as one more part beside its kept ones, until it has
 * this many parts; then it is rewritten into one (so a table's file count stays bounded).
 */
const MAX_PARTS_PER_INTERVAL = 8;

/** The model's SQL with every event-time input read through `ranges` (from begin) and, when asked, its NULL interval. */
function windowed(ctx: Ctx, sql: string, ranges: Range[], withNull: boolean): string {
  // every interval: no filter at all
  if (ranges === ALL && withNull && ctx.begin === undefined) return fillWindow(sql, () => 'TRUE');
  const clipped = clipRanges(ranges, ctx.begin);
  return fillWindow(sql, (id, column) => rangePredicate(column, ctx.types.get(`${id}|${column}`)!, clipped, withNull && ctx.begin === undefined));
}

/**
 * The parts a version lists: never none (a view over no file cannot be created), so a result with
 * no row is one empty part of the model's columns (microbatch-state.ts); an empty part is dropped
 * once other parts exist (it holds no row).
 */
async function listed(ctx: Ctx, sqlFull: string, parts: string[]): Promise<string[]> {
  const real = parts.filter((p) => !isEmptyPart(p));
  if (real.length) return real;
  const file = emptyPartPath(ctx.dir);
  await ctx.c.run(`COPY (SELECT * FROM (\n${windowed(ctx, sqlFull, [], false)}\n) q LIMIT 0) TO ${lit(file)} (FORMAT parquet)`);
  return [file];
}

export async function writeMicrobatch(c: DuckDBConnection, node: ModelNode, sql: { full: string; batch: string }, plan: MicrobatchPlan, dir: string, all: PublishedRow[], fullRefresh: boolean): Promise<MicrobatchWrite> {
  const size = node.config.batch_size as BatchSize;
  if (!BATCH_SIZES.includes(size)) throw new EngineError(`${node.name}: batch_size must be one of ${BATCH_SIZES.join(', ')}`);
  const eventTime = String(node.config.event_time);
  const lookback = typeof node.config.lookback === 'number' ? node.config.lookback : 1;
  const begin = node.config.begin === undefined ? undefined : beginMs(node.config.begin);
  const ctx: Ctx = { c, node, plan, dir, size, begin, types: new Map() };
  for (const t of [...windowTokens(sql.full), ...windowTokens(sql.batch)]) {
    const input = plan.eventInputs.find((e) => e.id === t.id);
    if (!input) throw new EngineError(`${node.name}: its SQL reads ${t.id} by event time, but the build plan does not list it as an event-time input; compile again`);
    if (!ctx.types.has(`${t.id}|${t.column}`)) ctx.types.set(`${t.id}|${t.column}`, await columnType(c, input.relation, t.column));
  }
  // the model's columns (planned, not run: every window is empty)
  const output = new Map((await rows(c, `DESCRIBE SELECT * FROM (${windowed(ctx, sql.full, [], false)})`)).map((r) => [String(r.column_name), String(r.column_type)]));
  const outType = output.get(eventTime);
  if (outType === undefined) throw new EngineError(`${node.name}: event_time '${eventTime}' is not one of its columns`);
  // keys are matched by their text (and by the md5 of it): the model's key column and each keyed
  // dimension's must have one type, or a restated key could miss its rows
  const keyTypes = new Map<string, string>();
  if (plan.restateColumn !== undefined && plan.dimensions.some((d) => d.key !== undefined)) {
    const ours = output.get(plan.restateColumn);
    if (ours === undefined) throw new EngineError(`${node.name}: restate_by column '${plan.restateColumn}' is not one of its columns`);
    for (const d of plan.dimensions) {
      if (d.key === undefined) continue;
      const theirs = await columnType(c, d.relation, q(d.key));
      keyTypes.set(d.relation, theirs);
      if (theirs !== ours) throw new EngineError(`${node.name}: restate_by: ${plan.restateColumn} is ${ours} but ${d.relation}.${d.key} is ${theirs}; keys are matched by their text, so both must have one type (cast them alike)`);
    }
  }
  // each event-time input with its parts now and the type of its event time
  const eventInputs = await Promise.all(plan.eventInputs.map(async (e) => ({ relation: e.relation, column: e.column, parts: all.find((r) => r.relation === e.relation)?.parts ?? [], type: ctx.types.get(`${e.id}|${q(e.column)}`) ?? (await columnType(c, e.relation, q(e.column))) })));
  const spec = sha256(JSON.stringify([sql.full, sql.batch, eventTime, size, begin ?? null, plan.restateColumn ?? null, plan.dimensions, plan.eventInputs]));
  const published = all.find((r) => r.relation === node.relation.rendered);
  const previous = published && published.kind === 'table' && published.node === node.unique_id ? published : undefined;
  const before = readState(previous);
  fs.mkdirSync(path.join(dir, '_state'), { recursive: true });

  // what the inputs are now
  const next: State = { format: STATE_FORMAT, spec, events: {}, dims: {} };
  const byRelation = new Map(all.map((r) => [r.relation, r]));
  for (const e of plan.eventInputs) {
    const r = byRelation.get(e.relation);
    next.events[e.relation] = { parts: r?.parts?.length ? {} : null, version: r?.version ?? null };
  }
  for (const [i, d] of plan.dimensions.entries()) {
    if (d.key !== undefined) {
      const file = path.join(dir, '_state', `keys-${i}.parquet`);
      const row = byRelation.get(d.relation);
      const content = row ? contentOf(row) : undefined;
      // the published version the fingerprints were taken of is the one read now (versions are
      // written once, so the same content token is the same rows) under the same spec (the same
      // key column): its fingerprints are these, copied rather than computed again
      const was = before?.spec === spec ? before.dims[d.relation] : undefined;
      if (content !== undefined && was?.content === content && was.keyed && fs.existsSync(was.keyed)) fs.copyFileSync(was.keyed, file);
      else await c.run(`COPY (SELECT ${keyHash(`t.${q(d.key)}`)} AS k, md5(${sortedConcat(rowHash('t'))}) AS fp FROM ${d.relation} t GROUP BY 1) TO ${lit(file)} (FORMAT parquet)`);
      next.dims[d.relation] = { keyed: file, ...(content !== undefined ? { content } : {}) };
    } else {
      const r = byRelation.get(d.relation);
      const whole = r?.parts?.length ? `parts:${sha256(JSON.stringify(r.parts))}` : `rows:${String((await rows(c, `SELECT md5(coalesce(${sortedConcat(rowHash('t'))}, '')) AS fp FROM ${d.relation} t`))[0]?.fp)}`;
      next.dims[d.relation] = { whole };
    }
  }

  const whole = async (why: string): Promise<MicrobatchWrite> => {
    const out = path.join(dir, 'p');
    // no rows: DuckDB writes no file at all; `listed` gives the version its one empty part
    await c.run(`COPY (SELECT q.*, ${intervalSql(`q.${q(eventTime)}`, outType, size)} AS __stedi_interval FROM (\n${windowed(ctx, sql.full, ALL, true)}\n) q) TO ${lit(out)} (FORMAT parquet, PARTITION_BY (__stedi_interval))`);
    const parts = await listed(ctx, sql.full, listParts(out));
    await recordEventParts(c, eventInputs, size, next, {});
    writeState(dir, next);
    const n = await count(c, `SELECT count(*) FROM ${read(parts)}`);
    return { parts, rows: n, note: ` (built whole: ${why}; ${intervalCount(parts)} interval${intervalCount(parts) === 1 ? '' : 's'})` };
  };

  if (fullRefresh) return whole('--full-refresh');
  if (!previous) return whole('first build');
  if (!before) return whole('no microbatch state recorded with the published version');
  if (before.spec !== spec) return whole('its SQL or microbatch config changed since the published version');
  const kept = partsOf(previous);
  if (kept.some((p) => partInterval(p) === undefined)) return whole('a published part is not filed by interval');

  // intervals whose event-time inputs changed
  const restate = new Set<string>();
  for (const e of plan.eventInputs) {
    const was = before.events[e.relation];
    const now = next.events[e.relation]!;
    if (!was) return whole(`${e.relation} is a new input`);
    if (now.parts === null || was.parts === null) {
      if (now.version === null || now.version !== was.version) return whole(`${e.relation} changed and is not made of parts`);
      continue;
    }
    const current = new Set(byRelation.get(e.relation)?.parts ?? []);
    for (const p of current) if (was.parts[p]) now.parts[p] = was.parts[p];
    for (const [p, intervals] of Object.entries(was.parts)) if (!current.has(p)) for (const i of intervals) restate.add(i);
  }
  const added = await recordEventParts(c, eventInputs, size, next, before.events);
  for (const i of added) restate.add(i);
  const numeric = [...restate].filter((i) => i !== NULL_INTERVAL).map(Number);
  if (numeric.length && lookback > 0) {
    let s = Math.max(...numeric);
    for (let k = 0; k < lookback; k++) restate.add(String((s = previousStart(s, size))));
  }
  let ranges = rangesOf(restate, size);
  if (plan.window) {
    const start = plan.window.start === undefined ? ALL[0]!.start : intervalStart(plan.window.start, size);
    const end = plan.window.end === undefined ? Infinity : plan.window.end;
    if (end > start) ranges = unionRanges(ranges, [{ start, end }]);
  }
  const withNull = restate.has(NULL_INTERVAL);

  // keys whose dimension rows changed
  const keyFiles: string[] = [];
  for (const d of plan.dimensions) {
    const was = before.dims[d.relation];
    const now = next.dims[d.relation]!;
    if (!was) return whole(`${d.relation} is a new input`);
    if (now.whole !== undefined) {
      if (was.whole !== now.whole) return whole(`${d.relation} changed (it has no restate_by key)`);
      continue;
    }
    if (!was.keyed || !fs.existsSync(was.keyed)) return whole(`the key fingerprints of ${d.relation} of the published version are gone`);
    keyFiles.push(`SELECT coalesce(n.k, o.k) AS k FROM read_parquet(${lit(now.keyed!)}, hive_partitioning = false) n FULL OUTER JOIN read_parquet(${lit(was.keyed)}, hive_partitioning = false) o ON n.k = o.k WHERE n.fp IS DISTINCT FROM o.fp`);
  }
  const keysFile = path.join(dir, '_state', 'restate-keys.parquet');
  let keys = 0;
  // restated keys that some keyed dimension of the published version held (or the NULL key): only
  // those can have rows in the kept parts (see `holding` below)
  let heldBefore = 0;
  if (keyFiles.length) {
    if (!plan.restateColumn) throw new EngineError(`${node.name}: restate_by.from names an input but restate_by.column is missing`);
    await c.run(`COPY (SELECT DISTINCT k FROM (${keyFiles.join(' UNION ALL ')})) TO ${lit(keysFile)} (FORMAT parquet)`);
    keys = await count(c, `SELECT count(*) FROM read_parquet(${lit(keysFile)}, hive_partitioning = false)`);
    if (keys) {
      // every keyed dimension's published fingerprints, not only the ones whose key changed: a key
      // new to one dimension may be held, unchanged, by another
      const olds = plan.dimensions.flatMap((d) => (d.key !== undefined ? [`SELECT k FROM read_parquet(${lit(before.dims[d.relation]!.keyed!)}, hive_partitioning = false)`] : []));
      heldBefore = await count(c, `SELECT count(*) FROM read_parquet(${lit(keysFile)}, hive_partitioning = false) r WHERE r.k = '-' OR r.k IN (${olds.join(' UNION ALL ')})`);
    }
  }
  // what a keyed delta audit may rely on: the dimension versions the published parts were built from
  const keyed = plan.dimensions.flatMap((d) => {
    const baseline = before.dims[d.relation]?.content;
    return d.key !== undefined && baseline !== undefined && TEXT_EXACT_KEYS.test(keyTypes.get(d.relation) ?? '') ? [{ relation: d.relation, key: d.key, baseline }] : [];
  });
  if (!ranges.length && !withNull && keys === 0) {
    writeState(dir, next);
    const n = await count(c, `SELECT count(*) FROM ${read(kept)}`);
    return { parts: kept, rows: n, note: ` (no input changed: ${intervalCount(kept)} intervals kept)`, keyed };
  }

  const iv = (alias: string) => intervalSql(`${alias}.${q(eventTime)}`, outType, size);
  const hashed = (alias: string) => keyHash(`${alias}.${q(plan.restateColumn ?? eventTime)}`);
  const tmp = path.join(dir, '_state');
  const pieces: string[] = [];
  let touched = new Set<string>();
  let gainOnly = new Set<string>();
  if (ranges.length || withNull) {
    // the intervals asked for, rebuilt whole (with every key, under the dimensions of now)
    const file = path.join(tmp, 'window.parquet');
    await c.run(`COPY (SELECT q.*, ${iv('q')} AS __stedi_interval FROM (\n${windowed(ctx, sql.batch, ranges, withNull)}\n) q) TO ${lit(file)} (FORMAT parquet)`);
    const stray = await rows(c, `SELECT DISTINCT __stedi_interval AS i FROM read_parquet(${lit(file)}, hive_partitioning = false)`);
    for (const r of stray) {
      const i = intervalName(r.i);
      if (!(i === NULL_INTERVAL ? withNull : inRanges(i, clipRanges(ranges, begin)))) {
        throw new EngineError(`${node.name}: a batch for the intervals ${describe(ranges, withNull)} produced rows in another interval (${i}); a microbatch model's ${eventTime} must come from the event time of the rows it reads`);
      }
    }
    pieces.push(`SELECT * FROM read_parquet(${lit(file)}, hive_partitioning = false)`);
    touched = new Set(kept.map((p) => partInterval(p)!).filter((i) => (i === NULL_INTERVAL ? withNull : inRanges(i, ranges))));
  }
  const inBatch = (i: string) => (i === NULL_INTERVAL ? withNull : inRanges(i, ranges));
  if (keys > 0) {
    const file = path.join(tmp, 'keyed.parquet');
    // the keys' rows of now: a key's rows are copies of its dimension rows (checked by lineage at
    // compile time), so only keys present in a keyed dimension now can have rows; they are named
    // as literals, which DuckDB pushes through the joins to the dimension's scan
    const present = await keysNow(c, plan, keysFile);
    const col = `q.${q(plan.restateColumn!)}`;
    const match = [...(present.values.length ? [`CAST(${col} AS VARCHAR) IN (${present.values.map(lit).join(', ')})`] : []), ...(present.nulls ? [`${col} IS NULL`] : [])];
    await c.run(`COPY (SELECT q.*, ${iv('q')} AS __stedi_interval FROM (\n${windowed(ctx, sql.full, ALL, true)}\n) q WHERE ${match.length ? match.join(' OR ') : 'FALSE'}) TO ${lit(file)} (FORMAT parquet)`);
    const keyedIntervals = (await rows(c, `SELECT DISTINCT __stedi_interval AS i FROM read_parquet(${lit(file)}, hive_partitioning = false)`)).map((r) => intervalName(r.i));
    // the intervals whose kept parts hold a row of a restated key. A row's key is a copy of its
    // dimension's key (checked by lineage at compile time), so the kept parts — the published
    // version, built under the dimensions its fingerprints record, a key gone from them having
    // been restated out of every kept part — hold no key that none of those dimensions held: when
    // every restated key is new, nothing is read
    const holding = kept.length && heldBefore > 0 ? (await rows(c, `SELECT DISTINCT filename AS f FROM read_parquet([${kept.map(lit).join(', ')}], hive_partitioning = false, filename = true) p WHERE ${hashed('p')} IN (SELECT k FROM read_parquet(${lit(keysFile)}, hive_partitioning = false))`)).map((r) => partInterval(String(r.f))!) : [];
    // an interval whose kept parts hold a row of a restated key is rewritten (its other rows and
    // the keys' rows of now); one whose kept parts hold none of them only gains the keys' rows of
    // now, as a part beside the kept ones (the same rows: nothing of the keys is in the kept
    // parts) — unless it already has MAX_PARTS_PER_INTERVAL parts, then it is rewritten into one
    const partCount = new Map<string, number>();
    for (const p of kept) partCount.set(partInterval(p)!, (partCount.get(partInterval(p)!) ?? 0) + 1);
    const held = new Set(holding);
    const rekeyed = new Set([...keyedIntervals, ...holding].filter((i) => !inBatch(i) && (held.has(i) || (partCount.get(i) ?? 0) >= MAX_PARTS_PER_INTERVAL)));
    gainOnly = new Set(keyedIntervals.filter((i) => !inBatch(i) && !rekeyed.has(i)));
    const old = kept.filter((p) => rekeyed.has(partInterval(p)!));
    if (old.length) pieces.push(`SELECT p.*, ${iv('p')} AS __stedi_interval FROM ${read(old)} p WHERE ${hashed('p')} NOT IN (SELECT k FROM read_parquet(${lit(keysFile)}, hive_partitioning = false))`);
    const gained = new Set([...rekeyed, ...gainOnly]);
    if (gained.size) pieces.push(`SELECT * FROM read_parquet(${lit(file)}, hive_partitioning = false) WHERE ${intervalIn(gained)}`);
    for (const i of rekeyed) touched.add(i);
  }
  const out = path.join(dir, 'p');
  if (pieces.length) await c.run(`COPY (${pieces.join('\nUNION ALL BY NAME\n')}) TO ${lit(out)} (FORMAT parquet, PARTITION_BY (__stedi_interval))`);
  const fresh = listParts(out);
  const parts = await listed(ctx, sql.full, [...kept.filter((p) => !touched.has(partInterval(p)!)), ...fresh].sort((a, b) => sortKey(a) - sortKey(b)));
  await checkColumns(c, node, fresh, kept);
  for (const f of ['window.parquet', 'keyed.parquet', 'restate-keys.parquet']) fs.rmSync(path.join(tmp, f), { force: true });
  writeState(dir, next);
  const n = await count(c, `SELECT count(*) FROM ${read(parts)}`);
  const rebuilt = new Set([...touched, ...fresh.map((p) => partInterval(p)!)].filter((i) => !gainOnly.has(i))).size;
  const unchanged = intervalCount(kept.filter((p) => !touched.has(partInterval(p)!) && !gainOnly.has(partInterval(p)!)));
  const restated = `${keys} key${keys === 1 ? '' : 's'} restated${heldBefore === 0 ? ' (all new to the dimensions: no kept part read)' : ''}`;
  const note = [`${rebuilt} interval${rebuilt === 1 ? '' : 's'} rebuilt`, ...(keys ? [restated] : []), ...(gainOnly.size ? [`${gainOnly.size} interval${gainOnly.size === 1 ? '' : 's'} given the restated keys' rows as a new part`] : []), `${unchanged} kept`];
  return { parts, rows: n, note: ` (microbatch: ${note.join(', ')})`, keyed };
}

/** The values (as text) of the restated keys that a keyed dimension holds now, and whether NULL is one. */
async function keysNow(c: DuckDBConnection, plan: MicrobatchPlan, keysFile: string): Promise<{ values: string[]; nulls: boolean }> {
  const values = new Set<string>();
  let nulls = false;
  for (const d of plan.dimensions) {
    if (d.key === undefined) continue;
    const got = await rows(c, `SELECT DISTINCT CAST(t.${q(d.key)} AS VARCHAR) AS v FROM ${d.relation} t WHERE ${keyHash(`t.${q(d.key)}`)} IN (SELECT k FROM read_parquet(${lit(keysFile)}, hive_partitioning = false))`);
    for (const r of got) {
      if (r.v === null || r.v === undefined) nulls = true;
      else values.add(String(r.v));
    }
  }
  return { values: [...values].sort(), nulls };
}

async function checkColumns(c: DuckDBConnection, node: ModelNode, fresh: string[], kept: string[]): Promise<void> {
  if (!fresh.length || !kept.length) return;
  const cols = async (files: string[]) => (await rows(c, `DESCRIBE SELECT * FROM ${read(files)}`)).map((r) => `${String(r.column_name)} ${String(r.column_type)}`).join(', ');
  const ours = await cols(fresh.slice(0, 1));
  const theirs = await cols(kept.slice(0, 1));
  if (ours !== theirs) throw new EngineError(`on_schema_change: fail: the rebuilt intervals of ${node.name} have the columns (${ours}) but the published table has (${theirs}); run with --full-refresh to rebuild it`);
}

function describe(ranges: Range[], withNull: boolean): string {
  const iso = (ms: number) => (Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : '…');
  return [...ranges.map((r) => `[${iso(r.start)}, ${iso(r.end)})`), ...(withNull ? ['NULL'] : [])].join(', ');
}

