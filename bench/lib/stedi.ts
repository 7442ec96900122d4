/**
 * `stedi build` on a bench project: measured as a child process, then checked — every node
 * succeeded, every blocking test passed, and the reconciliation and table counts equal what the
 * generator says a correct build reports — and broken down per node from run_results.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { RunResults } from '../../runner/execute/results.js';
import type { GenerateSummary } from '../../runner/generate/generate.js';
import { TABLES } from '../../runner/generate/expect.js';
import { check, measure, type Measured } from './proc.js';
import { BENCH_KEY, benchLake, BIN, REPO } from './workspace.js';

export interface BuildRun extends Measured {
  results: RunResults;
  nodes: number;
  tables: Record<string, number>;
  /** Problems found by the correctness check (empty when the build is right). */
  problems: string[];
}

export async function stediRun(project: string, landingRoot: string, command: string[], target = 'bench', opts: { keepLake?: boolean } = {}): Promise<Measured & { results: RunResults }> {
  if (!opts.keepLake) fs.rmSync(path.join(project, benchLake(target)), { recursive: true, force: true });
  // a cold build starts with nothing; a warm one keeps what a user's project folder keeps between
  // builds (the compile cache, target/compile_cache.json), the rest of target/ is written anew
  const targetDir = path.join(project, 'target');
  if (!opts.keepLake) fs.rmSync(targetDir, { recursive: true, force: true });
  else for (const f of fs.existsSync(targetDir) ? fs.readdirSync(targetDir) : []) if (f !== 'compile_cache.json') fs.rmSync(path.join(targetDir, f), { recursive: true, force: true });
  const args = [BIN, ...command, '--project-dir', project, '--target', target, '--vars', `{landing_root: ${JSON.stringify(landingRoot)}}`, '--quiet'];
  const m = check(`stedi ${command.join(' ')}`, await measure(process.execPath, args, { cwd: REPO, env: { ...process.env, STEDI_SUBJECT_KEY: BENCH_KEY } }));
  const results = JSON.parse(fs.readFileSync(path.join(project, 'target', 'run_results.json'), 'utf8')) as RunResults;
  return { ...m, results };
}

async function catalogRows(project: string, target: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path.join(project, benchLake(target), 'stedi.duckdb'), { access_mode: 'READ_ONLY', file_search_path: project });
  const c = await instance.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** `stedi build` with the correctness check against the generator's expectations (as_of_date). */
export async function stediBuild(project: string, landingRoot: string, summary: GenerateSummary, target = 'bench'): Promise<BuildRun> {
  const run = await stediRun(project, landingRoot, ['build'], target);
  const problems: string[] = [];
  for (const r of run.results.results) {
    if (r.status === 'error' || r.status === 'fail' || r.status === 'skipped') problems.push(`${r.unique_id}: ${r.status} ${r.message}`);
  }
  const counts = await catalogRows(project, target, TABLES.map((t) => `select '${t}' as t, count(*) as n from ${t === 'customer_trusted' || t === 'accelerometer_trusted' || t === 'step_trainer_trusted' ? 'trusted' : 'curated'}.${t}`).join(' union all '));
  const tables = Object.fromEntries(counts.map((r) => [String(r.t), Number(r.n)]));
  const expected = summary.expected;
  for (const t of TABLES) if (tables[t] !== expected.tables.as_of_date[t]) problems.push(`${t}: ${tables[t]} rows, the generator expects ${expected.tables.as_of_date[t]}`);
  for (const r of await catalogRows(project, target, 'select entity, rule, row_count from audit.reconciliation')) {
    const e = String(r.entity) as keyof typeof expected.landing;
    const rule = String(r.rule);
    const want = rule === 'landing' ? expected.landing[e] : (expected.rules.as_of_date[e]?.[rule] ?? 0);
    if (Number(r.row_count) !== want) problems.push(`reconciliation ${e}/${rule}: ${String(r.row_count)}, the generator expects ${want}`);
  }
  return { ...run, nodes: run.results.results.length, tables, problems };
}

export interface Breakdown {
  /** execution_time per model (seconds; a model's time includes its blocking gate tests). */
  models: Record<string, number>;
  /** execution_time per source (the landing ingestion: every line parsed, typed, accepted or quarantined). */
  sources: Record<string, number>;
  sources_s: number;
  seeds_s: number;
  data_tests_s: number;
  unit_tests_s: number;
  /** Process wall time outside run_results' elapsed time (node start, module load). */
  process_start_s: number;
  /** run_results elapsed time minus the node timeline (compile, plan, catalog open). */
  compile_and_setup_s: number;
}

export function breakdown(m: Measured & { results: RunResults }): Breakdown {
  const out: Breakdown = { models: {}, sources: {}, sources_s: 0, seeds_s: 0, data_tests_s: 0, unit_tests_s: 0, process_start_s: 0, compile_and_setup_s: 0 };
  let first = Infinity;
  for (const r of m.results.results) {
    first = Math.min(first, Date.parse(r.started_at));
    if (r.resource_type === 'model') out.models[r.name] = r.execution_time;
    else if (r.resource_type === 'source') {
      out.sources[r.name] = r.execution_time;
      out.sources_s += r.execution_time;
    }
    else if (r.resource_type === 'seed') out.seeds_s += r.execution_time;
    else if (r.resource_type === 'test') out.data_tests_s += r.execution_time;
    else if (r.resource_type === 'unit_test') out.unit_tests_s += r.execution_time;
  }
  const runStart = Date.parse(m.results.metadata.generated_at) - m.results.elapsed_time * 1000;
  out.process_start_s = Math.max(0, m.wall_s - m.results.elapsed_time);
  out.compile_and_setup_s = Number.isFinite(first) ? Math.max(0, (first - runStart) / 1000) : 0;
  return out;
}
