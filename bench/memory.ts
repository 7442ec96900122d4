/**
 * Memory: `stedi build` on the largest data with DuckDB's memory limit at 2 GB and a temp
 * directory to spill to (the `bench_2gb` target of the bench project copy; the project's own
 * `local` target is unchanged). Passes when the build completes and is correct.
 */
import { addSection, table, writeJson } from './lib/report.js';
import { breakdown, stediBuild } from './lib/stedi.js';
import { landing, projectCopy, type Size } from './lib/workspace.js';

export async function memoryBench(sizes: Size[]): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const size of sizes) {
    const l = await landing(size);
    const project = projectCopy('memory');
    process.stderr.write(`[bench] ${size.name}: stedi build --target bench_2gb\n`);
    const build = await stediBuild(project, l.root, l.summary, 'bench_2gb');
    rows.push({ size: size.name, memory_limit: '2GB', accelerometer_rows: l.summary.entities.accelerometer.lines, wall_s: build.wall_s, max_rss_mb: build.max_rss_mb, correct: build.problems.length === 0, problems: build.problems, breakdown: breakdown(build) });
  }
  addSection(
    table(
      'Memory: `stedi build` with memory_limit 2GB (target bench_2gb, temp_directory set)',
      ['size', 'phone rows', 'build s', 'peak RSS MB', 'completed and correct'],
      rows.map((r: any) => [r.size, r.accelerometer_rows, r.wall_s, Math.round(r.max_rss_mb), r.correct ? 'yes' : 'NO']),
    ),
  );
  writeJson('memory', { results: rows });
  if (rows.some((r) => !r.correct)) throw new Error('the build under memory_limit 2GB was not correct (see target/bench/memory.json)');
}
