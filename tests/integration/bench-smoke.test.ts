/**
 * The benchmarks run: `floor` and `warm` on the tiny generated data, compiled as `npm run bench`
 * compiles them, in a throw-away bench folder. Timings mean nothing here; what is checked is that
 * the scripts still run against the current project (a model added to the STEDI project once left
 * the pipeline floor and the five-model run unable to run), that the pipeline floor gives the
 * build's row counts, and that every warm build equals a --full-refresh build (warm.ts throws
 * otherwise). The dbt-duckdb and PySpark peers need bench/.venv and are not run here.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/stedi.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-bench-smoke-'));
const env = { ...process.env, STEDI_BENCH_DIR: path.join(work, 'data'), STEDI_BENCH_OUT: path.join(work, 'out'), STEDI_BENCH_NO_PEERS: '1' };

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the benchmarks run on the current project', () => {
  it('floor and warm at the tiny size: the pipeline floor gives the build\'s rows, every warm build equals a full refresh', () => {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.bench.json'], { cwd: REPO, stdio: 'pipe' });
    execFileSync(process.execPath, ['dist-bench/bench/run.js', 'floor', 'warm', '--sizes', 'tiny'], { cwd: REPO, env, stdio: 'pipe', timeout: 600_000 });
    const floor = JSON.parse(fs.readFileSync(path.join(work, 'out', 'floor.json'), 'utf8')) as { results: { size: string; pipeline_same_rows: boolean }[] };
    expect(floor.results.map((r) => [r.size, r.pipeline_same_rows])).toEqual([['tiny', true]]);
    const warm = JSON.parse(fs.readFileSync(path.join(work, 'out', 'warm.json'), 'utf8')) as { results: { size: string; same_as_full_refresh: { add: boolean; change: boolean; consent: boolean }; consent_changes: { customers: number; reading_tables: { name: string; message?: string }[] } }[] };
    expect(warm.results.map((r) => [r.size, r.same_as_full_refresh])).toEqual([['tiny', { add: true, change: true, consent: true }]]);
    // the consent changes were restated by key, not by rebuilding the reading tables whole
    expect(warm.results[0]!.consent_changes.customers).toBeGreaterThanOrEqual(2);
    const tables = warm.results[0]!.consent_changes.reading_tables;
    expect(tables.map((x) => x.name).sort()).toEqual(['accelerometer_trusted', 'machine_learning_curated', 'step_trainer_trusted']);
    for (const x of tables) expect(x.message, x.name).toMatch(/microbatch: .*keys? restated/);
  }, 900_000);
});
