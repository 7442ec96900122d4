/**
 * Correctness at scale: `stedi build` on 1M phone readings generated WITH the messy-data defects
 * (default rate 0.001: trailing commas, `timeStamp`, duplicate emails, shared serials, cut-off
 * records, numbers as strings, empty and stray files, CRLF, BOM). Passes when every blocking test
 * passes and the reconciliation and every table equal the generator's expected counts. (The
 * scale, floor and peer benchmarks use defect-free data, since the peers read plain JSON.)
 */
import { addSection, table, writeJson } from './lib/report.js';
import { stediBuild } from './lib/stedi.js';
import { landing, projectCopy, type Size } from './lib/workspace.js';

export async function correctnessBench(sizes: Size[], defectRate = 0.001): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const size of sizes) {
    const messy: Size = { name: `${size.name}-defects`, args: [...size.args], defectRate };
    const l = await landing(messy);
    process.stderr.write(`[bench] ${messy.name}: stedi build\n`);
    const build = await stediBuild(projectCopy('correctness'), l.root, l.summary);
    const tests = build.results.results.filter((r) => r.resource_type === 'test');
    rows.push({
      size: messy.name,
      defect_rate: defectRate,
      defects: l.summary.defects,
      rejected: l.summary.expected.rejected,
      wall_s: build.wall_s,
      tests: tests.length,
      tests_failed: tests.filter((r) => r.status === 'fail' || r.status === 'error').length,
      tests_warned: tests.filter((r) => r.status === 'warn').length,
      correct: build.problems.length === 0,
      problems: build.problems,
      tables: build.tables,
    });
  }
  addSection(
    table(
      'Correctness: `stedi build` on generated data with defects, against the generator’s expected counts',
      ['size', 'defect rate', 'defects injected', 'build s', 'data tests', 'failed', 'warned', 'counts = expected'],
      rows.map((r: any) => [r.size, r.defect_rate, Object.values(r.defects as Record<string, number>).reduce((a, b) => a + b, 0), r.wall_s, r.tests, r.tests_failed, r.tests_warned, r.correct ? 'yes' : 'NO']),
    ),
  );
  writeJson('correctness', { results: rows });
  if (rows.some((r) => !r.correct)) throw new Error('the build on messy data was not correct (see target/bench/correctness.json)');
}
