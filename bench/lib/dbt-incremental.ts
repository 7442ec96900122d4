/**
 * dbt-duckdb running the STEDI models incrementally, the peer of stedi's warm builds: the dbt peer
 * (bench/peers/dbt) with var `peer_incremental`, where the three reading tables are dbt microbatch
 * models by hour of reading time (lookback 0), kept in the peer's DuckDB catalog (dbt-duckdb builds
 * incremental models there). dbt rebuilds the hourly batches it is given with
 * --event-time-start/--event-time-end and nothing else: what a dbt user runs for a daily delivery.
 * The timed build is the daily one (+1% new files, the hours they hold); it is compared with the
 * peer's full build of the same models as tables (bench/lib/peers.ts dbtBuild, the cold dbt build).
 * Its unit tests are left out here (dbt refuses unit tests on these microbatch models, "depends on
 * a node named 'device_owners' which was not found"); its data tests run, on the whole tables.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFingerprints } from './fingerprint.js';
import { dbtEnv, dbtSetup, VENV } from './peers.js';
import { check, measure } from './proc.js';

const VARS = '{peer_incremental: true}';
/** One batch per year: how the benchmark fills the tables before the timed build (same rows, see macros/peer_microbatch.sql). */
const YEARLY = '{peer_incremental: true, peer_batch_size: year}';
/** The peer's reading tables (in its DuckDB catalog when incremental). */
const READING_TABLES = ['main_trusted.accelerometer_trusted', 'main_trusted.step_trainer_trusted', 'main_curated.machine_learning_curated'];

export interface Window {
  start: string;
  end: string;
}

/** The working copy of the incremental peer, parsed with its var. */
export function dbtIncrementalSetup(landingRoot: string): Promise<string> {
  return dbtSetup(landingRoot, 'dbt-incremental', VARS);
}

/** The hours (UTC, [start, end)) holding the readings of the given landing files. */
export async function readingHours(files: string[]): Promise<Window> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    const list = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ');
    const row = (await c.runAndReadAll(`SELECT min(t), max(t) FROM (SELECT coalesce(TRY_CAST(json_extract_string(json, '$.timestamp') AS BIGINT), TRY_CAST(json_extract_string(json, '$.sensorReadingTime') AS BIGINT)) AS t FROM read_json_objects([${list}], format = 'newline_delimited'))`)).getRows()[0]!;
    const hour = 3_600_000;
    const start = Math.floor(Number(row[0]) / hour) * hour;
    const end = Math.floor(Number(row[1]) / hour) * hour + hour;
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);
    return { start: iso(start), end: iso(end) };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/**
 * `dbt build` of the incremental peer over `window`, by hour (a first build creates the tables);
 * `yearly` fills them in one batch per year instead (the untimed first build and the full refresh).
 */
export async function dbtIncrementalBuild(work: string, landingRoot: string, window: Window, opts: { fullRefresh?: boolean; yearly?: boolean } = {}): Promise<{ wall_s: number; batches: number }> {
  const fullRefresh = opts.fullRefresh === true;
  const args = ['build', '--threads', '4', '--vars', opts.yearly ? YEARLY : VARS, '--exclude', 'resource_type:unit_test', '--event-time-start', window.start, '--event-time-end', window.end, ...(fullRefresh ? ['--full-refresh'] : [])];
  const m = check(`dbt ${args.join(' ')}`, await measure(path.join(VENV, 'bin', 'dbt'), args, { cwd: work, env: dbtEnv(work, landingRoot) }));
  const rr = JSON.parse(fs.readFileSync(path.join(work, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string; status: string; batch_results?: { successful?: unknown[] } }[] };
  const bad = rr.results.filter((r) => !['success', 'pass', 'warn'].includes(r.status));
  if (bad.length) throw new Error(`dbt build (incremental peer): ${bad.map((r) => `${r.unique_id} ${r.status}`).join(', ')}`);
  const batches = rr.results.reduce((n, r) => n + (r.batch_results?.successful?.length ?? 0), 0);
  return { wall_s: m.wall_s, batches };
}

/** Rows and an order-free checksum of each reading table of the incremental peer. */
export const dbtReadingFingerprint = (work: string) => tableFingerprints(path.join(work, 'lake', 'peer.duckdb'), READING_TABLES);
