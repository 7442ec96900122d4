/**
 * The peers, run on the same landing data as stedi: dbt-core with dbt-duckdb (the fixture project
 * in bench/peers/dbt: the STEDI models, seed, data tests and unit tests, materialized as Parquet
 * files behind DuckDB views like stedi's local target) and PySpark in local mode (the five
 * transformations as Spark SQL, bench/peers/spark). Both live in the Python virtual environment
 * bench/.venv (`npm run bench:setup`); when it is missing, the peers are skipped and say so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { TABLES } from '../../runner/generate/expect.js';
import { check, measure, type Measured } from './proc.js';
import { BENCH_KEY, benchDir, REPO } from './workspace.js';

export const VENV = path.join(REPO, 'bench', '.venv');
const PY = path.join(VENV, 'bin', 'python');

export function peersMissing(): string | undefined {
  if (process.env.STEDI_BENCH_NO_PEERS) return 'STEDI_BENCH_NO_PEERS is set';
  for (const exe of ['python', 'dbt']) {
    if (!fs.existsSync(path.join(VENV, 'bin', exe))) return `bench/.venv has no ${exe}: run \`npm run bench:setup\` (python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/peers/requirements.txt)`;
  }
  return undefined;
}

export interface PeerRun extends Measured {
  tables: Record<string, number>;
  detail: Record<string, unknown>;
}

async function parquetCounts(dir: string, file: (t: string) => string): Promise<Record<string, number>> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const out: Record<string, number> = {};
  try {
    for (const t of TABLES) out[t] = Number((await c.runAndReadAll(`select count(*) from read_parquet('${path.join(dir, file(t))}')`)).getRows()[0]![0]);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
  return out;
}

export function dbtEnv(work: string, landingRoot: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    STEDI_LANDING_ROOT: landingRoot,
    STEDI_PEER_CATALOG: path.join(work, 'lake', 'peer.duckdb'),
    STEDI_PEER_LAKE: path.join(work, 'lake'),
    STEDI_SUBJECT_KEY: BENCH_KEY,
    DBT_PROFILES_DIR: work,
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DBT_USE_COLORS: 'false',
  };
}

/** Project macros the dbt peer uses as they are (identical syntax in nunjucks and Jinja). */
export const SHARED_MACROS = ['customers.sql', 'consent.sql', 'tests/consent.sql', 'tests/one_customer_per_serial.sql', 'tests/same_customer_pairs.sql', 'tests/canonical_identity.sql'];

/**
 * A working copy of the dbt peer (in `<bench dir>/peers/<name>`) with the project's CSV seed and
 * shared macros; parsed once (with `vars`), so runs use dbt's partial parsing as a user's would.
 */
export async function dbtSetup(landingRoot: string, name = 'dbt', vars?: string): Promise<string> {
  const work = path.join(benchDir(), 'peers', name);
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(path.join(REPO, 'bench', 'peers', 'dbt'), work, { recursive: true });
  fs.mkdirSync(path.join(work, 'seeds'), { recursive: true });
  fs.mkdirSync(path.join(work, 'lake'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'seeds', 'exclusion_rules.csv'), path.join(work, 'seeds', 'exclusion_rules.csv'));
  // Macros that read the same in nunjucks and Jinja come from the project itself, so the peer
  // always runs the logic stedi runs; only the dialect-specific ones live in bench/peers/dbt.
  for (const m of SHARED_MACROS) fs.copyFileSync(path.join(REPO, 'macros', m), path.join(work, 'macros', m));
  check('dbt parse', await measure(path.join(VENV, 'bin', 'dbt'), ['parse', ...(vars ? ['--vars', vars] : [])], { cwd: work, env: dbtEnv(work, landingRoot) }));
  return work;
}

export async function dbtBuild(work: string, landingRoot: string): Promise<PeerRun> {
  fs.rmSync(path.join(work, 'lake'), { recursive: true, force: true });
  fs.mkdirSync(path.join(work, 'lake'), { recursive: true });
  const m = check('dbt build', await measure(path.join(VENV, 'bin', 'dbt'), ['build', '--threads', '4'], { cwd: work, env: dbtEnv(work, landingRoot) }));
  const rr = JSON.parse(fs.readFileSync(path.join(work, 'target', 'run_results.json'), 'utf8')) as { elapsed_time: number; results: { unique_id: string; status: string; execution_time: number }[] };
  const bad = rr.results.filter((r) => !['success', 'pass', 'warn'].includes(r.status));
  if (bad.length) throw new Error(`dbt build: ${bad.map((r) => `${r.unique_id} ${r.status}`).join(', ')}`);
  const models = Object.fromEntries(rr.results.filter((r) => r.unique_id.startsWith('model.')).map((r) => [r.unique_id.split('.').pop()!, r.execution_time]));
  return { ...m, tables: await parquetCounts(path.join(work, 'lake'), (t) => `${t}.parquet`), detail: { nodes: rr.results.length, elapsed_s: rr.elapsed_time, models } };
}

export async function sparkRun(landingRoot: string): Promise<PeerRun> {
  const out = path.join(benchDir(), 'peers', 'spark-out');
  fs.rmSync(out, { recursive: true, force: true });
  const memory = process.env.STEDI_BENCH_SPARK_MEMORY ?? '8g';
  const script = path.join(REPO, 'bench', 'peers', 'spark', 'stedi_spark.py');
  const m = check('pyspark', await measure(PY, [script, '--landing', landingRoot, '--out', out, '--threads', '2', '--memory', memory], { cwd: benchDir(), env: { ...process.env, PYSPARK_PYTHON: PY, STEDI_SUBJECT_KEY: BENCH_KEY } }));
  const last = m.stdout.trim().split('\n').pop() ?? '{}';
  const res = JSON.parse(last) as { tables: Record<string, number>; timings: Record<string, number> };
  return { ...m, tables: res.tables, detail: { timings: res.timings, driver_memory: memory } };
}
