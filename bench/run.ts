/**
 * `npm run bench`: runs every benchmark, prints a table, writes target/bench/*.json and
 * target/bench/performance.md. `npm run bench -- <name>...` runs some:
 *
 *   compile  a 1,000-model project compiled in-process and by the CLI
 *   scale    `stedi build` on generated data at each size (wall time, rows/s, peak RSS, correctness)
 *   floor    the build time ÷ DuckDB reading the landing files once
 *   peers    dbt-duckdb and PySpark on the same data (needs `npm run bench:setup`)
 *   memory   the largest build with DuckDB's memory limit at 2 GB
 *   correctness  `stedi build` on 1M rows WITH defects, checked against the generator's counts
 *   landing  landing ingestion: the DuckDB sink and the Athena sink (gzipped JSON lines) ÷ classifying alone (1m)
 *   longline one long landing line at two sizes: time ratio (linear ≈ 2) and peak memory, rejected and accepted
 *   warm     `stedi build` after 1% new landing files and after one changed file ÷ the cold build, checked against --full-refresh
 *   forget   `stedi forget` of one person (and its dry run, and the build after) ÷ the cold build (10m)
 *   trino-publish  the trino target's publish (CREATE OR REPLACE TABLE … AS SELECT * FROM candidate) ÷ drop + rename, on a real Trino (STEDI_TRINO_URL); run only when named
 *
 * `--sizes tiny,1m,10m,50m` chooses the data sizes (default: all four for scale/floor/peers,
 * 50m for memory, 1m for correctness). Generated data is kept in STEDI_BENCH_DIR (default <tmp>/stedi-bench).
 */
import { compileBench } from './compile.js';
import { correctnessBench } from './correctness.js';
import { landingBench } from './landing.js';
import { longlineBench } from './longline.js';
import { memoryBench } from './memory.js';
import { addSection, table, writeJson, writeMarkdown } from './lib/report.js';
import { scaleBench } from './scale.js';
import { warmBench } from './warm.js';
import { forgetBench } from './forget.js';
import { trinoPublishBench } from './trino-publish.js';
import { BIN, sizesFrom } from './lib/workspace.js';

const argv = process.argv.slice(2);
const names = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--sizes');
const known = ['compile', 'scale', 'floor', 'peers', 'memory', 'correctness', 'landing', 'longline', 'warm', 'forget', 'trino-publish'];
for (const n of names) if (!known.includes(n)) throw new Error(`unknown benchmark '${n}' (known: ${known.join(', ')})`);
const all = names.length === 0;
const want = (n: string) => all || names.includes(n);

if (want('compile')) {
  const r = compileBench(BIN);
  addSection(table('Compile: 1,000 models and 3,000 tests (median of 5; seconds)', ['measure', 'value'], Object.entries(r).map(([k, v]) => [k, v])));
  writeJson('compile', { results: r });
}
if (want('scale') || want('floor') || want('peers')) {
  await scaleBench(sizesFrom(argv, ['tiny', '1m', '10m', '50m']), { scale: want('scale'), floor: want('floor'), peers: want('peers') });
}
if (want('correctness')) {
  await correctnessBench(sizesFrom(argv, ['1m']));
}
if (want('landing')) {
  await landingBench(sizesFrom(argv, ['1m']));
}
if (want('longline')) {
  await longlineBench();
}
if (want('forget')) {
  await forgetBench(sizesFrom(argv, ['10m']));
}
if (want('warm')) {
  await warmBench(sizesFrom(argv, ['10m', '50m']));
}
if (names.includes('trino-publish')) {
  await trinoPublishBench();
}
if (want('memory')) {
  await memoryBench(sizesFrom(argv, ['50m']));
}
writeMarkdown();
