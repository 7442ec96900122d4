/**
 * Scale, floor and peers, measured side by side in one run on the same generated landing data:
 *
 *  - scale: `stedi build` (models, tests, unit tests) at each size — wall time, landing rows per
 *    second, peak resident memory — checked against the generator's expected counts;
 *  - floor: DuckDB reading every landing file once, every column (bench/floor-read.ts), and the
 *    pipeline floor: the five transformations as one plain DuckDB script over read_json
 *    (bench/floor-pipeline.ts); the build's wall time divided by each, and where the rest goes
 *    (run_results.json per node);
 *  - peers: dbt-core + dbt-duckdb building the same project, and PySpark running the five
 *    transformations; stedi's time as a ratio to each (for Spark, also stedi running only the
 *    five models, with the blocking tests that gate them).
 *
 * Per size the order is: generate (or reuse), floor, stedi build, stedi run (five models), dbt,
 * Spark — one after the other, never two at once.
 */
import path from 'node:path';
import { TABLES } from '../runner/generate/expect.js';
import { dbtBuild, dbtSetup, peersMissing, sparkRun, type PeerRun } from './lib/peers.js';
import { check, measure } from './lib/proc.js';
import { addSection, table, writeJson } from './lib/report.js';
import { breakdown, stediBuild, stediRun, type Breakdown } from './lib/stedi.js';
import { BENCH_KEY, landing, projectCopy, REPO, type Size } from './lib/workspace.js';

export interface Selected {
  scale: boolean;
  floor: boolean;
  peers: boolean;
}

// the five transformations, and device_owners: the table of device owners step_trainer_trusted reads
const FIVE = ['customer_trusted', 'accelerometer_trusted', 'customer_curated', 'device_owners', 'step_trainer_trusted', 'machine_learning_curated'];

function log(s: string): void {
  process.stderr.write(`[bench ${new Date().toTimeString().slice(0, 8)}] ${s}\n`);
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  return TABLES.every((t) => a[t] === b[t]);
}

export async function scaleBench(sizes: Size[], sel: Selected): Promise<void> {
  const scaleRows: Record<string, unknown>[] = [];
  const floorRows: Record<string, unknown>[] = [];
  const peerRows: Record<string, unknown>[] = [];
  const missing = sel.peers ? peersMissing() : undefined;
  if (missing) log(`peers skipped: ${missing}`);
  let dbtWork: string | undefined;
  for (const size of sizes) {
    log(`${size.name}: landing data`);
    const l = await landing(size);
    const s = l.summary;
    const landingRows = s.entities.customer.lines + s.entities.accelerometer.lines + s.entities.step_trainer.lines;
    const bytes = s.entities.customer.bytes + s.entities.accelerometer.bytes + s.entities.step_trainer.bytes;
    const project = projectCopy('scale');

    log(`${size.name}: stedi build`);
    const build = await stediBuild(project, l.root, s);
    if (build.problems.length) log(`${size.name}: CORRECTNESS PROBLEMS:\n  ${build.problems.join('\n  ')}`);
    const bd: Breakdown = breakdown(build);
    scaleRows.push({
      size: size.name,
      customers: s.options.customers,
      accelerometer_rows: s.entities.accelerometer.lines,
      step_trainer_rows: s.entities.step_trainer.lines,
      landing_rows: landingRows,
      landing_bytes: bytes,
      files: s.entities.customer.files + s.entities.accelerometer.files + s.entities.step_trainer.files,
      generate: l.generate,
      build: { wall_s: build.wall_s, landing_rows_per_s: landingRows / build.wall_s, max_rss_mb: build.max_rss_mb, tree_peak_rss_mb: build.tree_peak_rss_mb, nodes: build.nodes },
      correct: build.problems.length === 0,
      problems: build.problems,
      tables: build.tables,
      breakdown: bd,
    });

    if (sel.floor) {
      log(`${size.name}: floor read`);
      const f = check('floor read', await measure(process.execPath, [path.join(REPO, 'dist-bench', 'bench', 'floor-read.js'), path.join(project, 'target', 'manifest.json')], { cwd: REPO }));
      const res = JSON.parse(f.stdout.trim()) as { rows: Record<string, number>; seconds: Record<string, number>; total_s: number };
      log(`${size.name}: pipeline floor`);
      const pf = check('pipeline floor', await measure(process.execPath, [path.join(REPO, 'dist-bench', 'bench', 'floor-pipeline.js'), path.join(project, 'target', 'manifest.json')], { cwd: REPO, env: { ...process.env, STEDI_SUBJECT_KEY: BENCH_KEY } }));
      const pipe = JSON.parse(pf.stdout.trim()) as { rows: Record<string, number>; total_s: number };
      const pipeSame = TABLES.every((t) => pipe.rows[t] === build.tables[t]);
      floorRows.push({ size: size.name, floor_s: res.total_s, floor_process_s: f.wall_s, floor_rows: res.rows, floor_per_source_s: res.seconds, pipeline_floor_s: pf.wall_s, pipeline_rows: pipe.rows, pipeline_same_rows: pipeSame, build_s: build.wall_s, ratio: build.wall_s / res.total_s, ratio_pipeline: build.wall_s / pf.wall_s, breakdown: bd });
    }

    if (sel.peers && !missing) {
      log(`${size.name}: stedi run (five models)`);
      const five = await stediRun(project, l.root, ['run', '--select', ...FIVE]);
      dbtWork ??= await dbtSetup(l.root);
      log(`${size.name}: dbt build`);
      const dbt: PeerRun = await dbtBuild(dbtWork, l.root);
      log(`${size.name}: pyspark`);
      const spark: PeerRun = await sparkRun(l.root);
      peerRows.push({
        size: size.name,
        accelerometer_rows: s.entities.accelerometer.lines,
        stedi_build: { wall_s: build.wall_s, max_rss_mb: build.max_rss_mb, nodes: build.nodes },
        stedi_run_five: { wall_s: five.wall_s, max_rss_mb: five.max_rss_mb, nodes: five.results.results.length },
        dbt_build: { wall_s: dbt.wall_s, max_rss_mb: dbt.max_rss_mb, ...dbt.detail, same_counts: sameCounts(dbt.tables, build.tables) },
        spark: { wall_s: spark.wall_s, max_rss_mb: spark.max_rss_mb, tree_peak_rss_mb: spark.tree_peak_rss_mb, ...spark.detail, same_counts: sameCounts(spark.tables, build.tables) },
        ratio_stedi_build_to_dbt_build: build.wall_s / dbt.wall_s,
        ratio_stedi_run_five_to_spark: five.wall_s / spark.wall_s,
        ratio_stedi_build_to_spark: build.wall_s / spark.wall_s,
      });
    }
  }

  if (sel.scale) {
    addSection(
      table(
        'Scale: `stedi build` (sources, seed, models, data tests, unit tests) on generated data',
        ['size', 'customers', 'phone rows', 'device rows', 'landing MB', 'nodes', 'build s', 'landing rows/s', 'peak RSS MB', 'correct', 'generate s', 'generate RSS MB'],
        scaleRows.map((r: any) => [r.size, r.customers, r.accelerometer_rows, r.step_trainer_rows, Math.round(r.landing_bytes / 1e6), r.build.nodes, r.build.wall_s, Math.round(r.build.landing_rows_per_s), Math.round(r.build.max_rss_mb), r.correct ? 'yes' : 'NO', r.generate.wall_s, Math.round(r.generate.max_rss_mb)]),
      ),
    );
    writeJson('scale', { results: scaleRows });
  }
  if (sel.floor && floorRows.length) {
    addSection(
      table(
        'Floor: build time ÷ DuckDB reading every landing file once (count of every column), and ÷ the pipeline floor (the five transformations as one plain DuckDB script over read_json, process wall time); where the build time goes (node execution times, summed over nodes that run 4 at a time)',
        ['size', 'read floor s', 'pipeline floor s', 'build s', 'build ÷ read floor', 'build ÷ pipeline floor', 'pipeline rows = build', 'sources s', 'models s', 'slowest model', 'data tests s', 'unit tests s', 'start + compile s'],
        floorRows.map((r: any) => {
          const models = Object.entries(r.breakdown.models as Record<string, number>).sort((a, b) => b[1] - a[1]);
          const top = models[0];
          return [r.size, r.floor_s, r.pipeline_floor_s, r.build_s, r.ratio, r.ratio_pipeline, r.pipeline_same_rows ? 'yes' : 'NO', r.breakdown.sources_s, models.reduce((a, [, v]) => a + v, 0), top ? `${top[0]} ${top[1].toFixed(2)}` : '–', r.breakdown.data_tests_s, r.breakdown.unit_tests_s, r.breakdown.process_start_s + r.breakdown.compile_and_setup_s];
        }),
      ),
    );
    writeJson('floor', { results: floorRows });
  }
  if (sel.peers && peerRows.length) {
    addSection(
      table(
        'Peers: same data, same machine, one after the other (seconds; ratio = stedi ÷ peer, below 1 means stedi is faster)',
        ['size', 'stedi build', 'dbt build', 'stedi/dbt', 'stedi 5 models', 'pyspark 5 models', 'stedi 5/spark', 'stedi build/spark', 'stedi RSS MB', 'dbt RSS MB', 'spark RSS MB', 'same rows'],
        peerRows.map((r: any) => [r.size, r.stedi_build.wall_s, r.dbt_build.wall_s, r.ratio_stedi_build_to_dbt_build, r.stedi_run_five.wall_s, r.spark.wall_s, r.ratio_stedi_run_five_to_spark, r.ratio_stedi_build_to_spark, Math.round(r.stedi_build.max_rss_mb), Math.round(r.dbt_build.max_rss_mb), Math.round(r.spark.tree_peak_rss_mb), r.dbt_build.same_counts && r.spark.same_counts ? 'yes' : 'NO']),
      ),
    );
    writeJson('peers', { results: peerRows });
  }
  const wrong = scaleRows.filter((r) => !r.correct);
  if (wrong.length) throw new Error(`stedi build was not correct at ${wrong.map((r) => String(r.size)).join(', ')} (see target/bench/scale.json)`);
}
