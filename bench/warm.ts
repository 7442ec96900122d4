/**
 * Warm builds: what a daily build costs once the landing zone was ingested. Per size, on a copy
 * of the generated landing data (hard links: the cached data is never modified):
 *
 *   1. cold   `stedi build` on an empty lake; then again with no new file (everything reused) and
 *             with no new file and `--no-reuse` (every model rebuilt, every test run);
 *   2. +1%    new landing files holding 1% more phone and device readings (the same readings a
 *             day later: timestamps shifted, so the consent filters and the pairing still apply),
 *             then `stedi build`;
 *   3. change one landing file (its last record removed), then `stedi build`;
 *   3b. consent changes: a new customer file with a later record of 0.1% of the customers (at
 *      least 2), each flipping research consent (given → withdrawn, none → given at
 *      registration, so readings from before the change enter history), then `stedi build`: every
 *      reading table restates those customers' readings over all history;
 *   4. after each warm build, `stedi build --full-refresh` on the same files: every landing
 *      table, rejects table and zone table must hold the same rows (count and an order-free
 *      checksum of every row) — the warm build is only counted when it is right.
 *
 *   After the +1% build, `same_customer_pairs` is run whole on the same lake (`stedi test`),
 *   beside its time in the build (partition-local when it could be: runner/execute/partition-delta.ts);
 *   the two must count the same failing rows. The slowest nodes of each build are kept too.
 *
 *   5. beside it, dbt-duckdb running the same models incrementally (bench/lib/dbt-incremental.ts:
 *      the three reading tables as dbt microbatch models by hour): its full build of the models as
 *      tables (timed: the denominator), the incremental tables filled (not timed), then the +1%
 *      files with the hours they hold as --event-time-start/--event-time-end (timed), checked
 *      against a dbt --full-refresh (dbt does not restate history when a
 *      customer's consent or curation changes, so it may differ; reported, never hidden).
 *
 * Reported: wall time of each build, the ingestion's share (the sources' execution time in
 * run_results.json), and warm ÷ cold for both. The three reading tables are microbatch models
 * (only the intervals and keys that changed are rebuilt); a model or test whose inputs did not
 * change is reused; the others (the reconciliation, the tests of changed tables) run on whole
 * tables, which bounds the build ratio.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tableFingerprints } from './lib/fingerprint.js';
import { addSection, table, writeJson } from './lib/report.js';
import { dbtIncrementalBuild, dbtIncrementalSetup, dbtReadingFingerprint, readingHours } from './lib/dbt-incremental.js';
import { dbtBuild, dbtSetup, peersMissing } from './lib/peers.js';
import { breakdown, stediRun } from './lib/stedi.js';
import { linkedCopy, log, benchDir, benchLake, landing, projectCopy, type Size } from './lib/workspace.js';

const RELATIONS = [
  'landing.customer', 'landing.accelerometer', 'landing.step_trainer', 'landing.customer__rejects', 'landing.accelerometer__rejects', 'landing.step_trainer__rejects',
  'trusted.customer_trusted', 'trusted.accelerometer_trusted', 'trusted.step_trainer_trusted', 'curated.customer_curated', 'curated.device_owners', 'curated.machine_learning_curated', 'audit.reconciliation',
];

/** Rows and an order-free checksum of every row of each relation (rejects name their file by path: the same in both builds, same folder). */
const fingerprint = (project: string) => tableFingerprints(path.join(project, benchLake('bench'), 'stedi.duckdb'), RELATIONS, { fileSearchPath: project });

/** `count` lines of `file` (the first ones), with every reading time moved by `shiftMs`. */
function shifted(file: string, count: number, shiftMs: number): string {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(Math.min(fs.fstatSync(fd).size, count * 400 + 4096));
  fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  const lines = buf.toString('utf8').split('\n').slice(0, count).filter((l) => l.trim() !== '');
  return `${lines.map((l) => l.replace(/"(timestamp|sensorReadingTime)":\s*(\d+)/g, (_m, k: string, v: string) => `"${k}":${Number(v) + shiftMs}`)).join('\n')}\n`;
}

/** lastUpdateDate of the consent-change records (2100-01-01): later than any generated record, so they are the latest. */
const LATER_THAN_ANY_RECORD = Date.UTC(2100, 0, 1);

/**
 * A later record of the first `count` customers of `file`, each with research consent flipped:
 * withdrawn when it was given, given from the registration date when it was not.
 */
function consentFlipped(file: string, count: number, laterThan: number): string {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, count);
  return `${lines
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      const consented = r.shareWithResearchAsOfDate !== null && r.shareWithResearchAsOfDate !== undefined;
      return JSON.stringify({ ...r, lastUpdateDate: laterThan, shareWithResearchAsOfDate: consented ? null : (r.registrationDate ?? laterThan) });
    })
    .join('\n')}\n`;
}

export async function warmBench(sizes: Size[]): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const size of sizes) {
    log(`${size.name}: landing data`);
    const l = await landing(size);
    const root = path.join(benchDir(), 'warm-landing', size.name);
    linkedCopy(l.root, root);
    const project = projectCopy('warm');
    const build = async (label: string, extra: string[] = []) => {
      log(`${size.name}: ${label}`);
      // stediRun removes the lake unless told to keep it: only the cold build starts empty
      const r = await stediRun(project, root, ['build', ...extra], 'bench', { keepLake: label !== 'cold' });
      const bad = r.results.results.filter((x) => x.status === 'error' || x.status === 'fail' || x.status === 'skipped');
      if (bad.length) throw new Error(`${label}: ${bad.map((x) => `${x.unique_id} ${x.status}`).join(', ')}`);
      // the slowest nodes: where a warm build still spends its time
      const slowest = [...r.results.results].sort((a, b) => b.execution_time - a.execution_time).slice(0, 6).map((x) => ({ name: x.name, s: x.execution_time, message: x.message }));
      return { wall_s: r.wall_s, sources_s: breakdown(r).sources_s, slowest, results: r.results.results };
    };
    const plain = ({ results: _results, ...rest }: Awaited<ReturnType<typeof build>>) => rest;
    const cold = await build('cold');
    // nothing new: every model, seed and test is reused (runner/execute/reuse.ts); sources list their files
    const same = await build('no new file');
    const noReuse = await build('no new file, --no-reuse', ['--no-reuse']);
    const missing = peersMissing();
    const dbtWork = missing ? undefined : await dbtIncrementalSetup(root);
    const readingFiles = () => (['accelerometer', 'step_trainer'] as const).flatMap((e) => fs.readdirSync(path.join(root, e, 'landing')).filter((f) => f.endsWith('.json')).map((f) => path.join(root, e, 'landing', f)));
    let dbtCold: { wall_s: number } | undefined;
    if (dbtWork) {
      log(`${size.name}: dbt-duckdb full build (the models as tables)`);
      dbtCold = { wall_s: (await dbtBuild(await dbtSetup(root), root)).wall_s };
      log(`${size.name}: dbt-duckdb incremental, first build (one batch per year, not timed)`);
      await dbtIncrementalBuild(dbtWork, root, await readingHours(readingFiles()), { yearly: true });
    } else log(`${size.name}: dbt-duckdb incremental peer skipped: ${missing}`);

    // +1%: one new file per sensor entity, 1% of its readings, a day later
    for (const entity of ['accelerometer', 'step_trainer'] as const) {
      const dir = path.join(root, entity, 'landing');
      const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
      const want = Math.max(1, Math.round(l.summary.entities[entity].lines / 100));
      fs.writeFileSync(path.join(dir, `${entity}-zz-new-day.json`), shifted(path.join(dir, files[0]!), want, 86_400_000));
    }
    const addOne = await build('+1% new files');
    const afterAdd = await fingerprint(project);
    // same_customer_pairs in that build (partition-local when its inputs allow) beside the same
    // test run whole on the same lake right after (`stedi test` always runs whole)
    const pairsIn = addOne.results.find((x) => x.name.startsWith('same_customer_pairs_'));
    let pairs: Record<string, unknown> | undefined;
    if (pairsIn) {
      log(`${size.name}: same_customer_pairs run whole on the +1% lake`);
      const whole = (await stediRun(project, root, ['test', '--select', pairsIn.name], 'bench', { keepLake: true })).results.results.find((x) => x.name === pairsIn.name);
      pairs = { in_build_s: pairsIn.execution_time, in_build: pairsIn.message, in_build_partition_local: !!pairsIn.delta, whole_s: whole?.execution_time, whole_failures: whole?.failures, in_build_failures: pairsIn.failures };
    }
    const fullAdd = await build('full refresh (+1%)', ['--full-refresh']);
    const sameAdd = JSON.stringify(afterAdd) === JSON.stringify(await fingerprint(project));
    let dbt: Record<string, unknown> | undefined;
    if (dbtWork && dbtCold) {
      log(`${size.name}: dbt-duckdb incremental, +1% new files`);
      const newHours = await readingHours(readingFiles().filter((f) => f.endsWith('-zz-new-day.json')));
      const add = await dbtIncrementalBuild(dbtWork, root, newHours);
      const after = await dbtReadingFingerprint(dbtWork);
      log(`${size.name}: dbt-duckdb incremental, --full-refresh (one batch per year)`);
      const full = await dbtIncrementalBuild(dbtWork, root, await readingHours(readingFiles()), { fullRefresh: true, yearly: true });
      const refreshed = await dbtReadingFingerprint(dbtWork);
      dbt = { full_build: dbtCold, add_one_percent: add, hours: newHours, full_refresh: full, same_as_full_refresh: JSON.stringify(after) === JSON.stringify(refreshed), tables: { incremental: after, full_refresh: refreshed } };
    }

    // one changed file: its last record removed (a new file replaces the hard link)
    const dir = path.join(root, 'accelerometer', 'landing');
    const victim = path.join(dir, fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()[0]!);
    const text = fs.readFileSync(victim, 'utf8').replace(/\n?[^\n]*\n?$/, '\n');
    fs.rmSync(victim);
    fs.writeFileSync(victim, text);
    const change = await build('one changed file');
    const afterChange = await fingerprint(project);
    const fullChange = await build('full refresh (changed)', ['--full-refresh']);
    const sameChange = JSON.stringify(afterChange) === JSON.stringify(await fingerprint(project));

    // consent changes: 0.1% of the customers (at least 2) send a later record flipping consent
    const cdir = path.join(root, 'customer', 'landing');
    const cfile = path.join(cdir, fs.readdirSync(cdir).filter((f) => f.endsWith('.json')).sort()[0]!);
    const flips = Math.max(2, Math.round(l.summary.entities.customer.lines / 1000));
    fs.writeFileSync(path.join(cdir, 'customer-zz-consent-changes.json'), consentFlipped(cfile, flips, LATER_THAN_ANY_RECORD));
    const consent = await build(`consent changes of ${flips} customers`);
    // how each reading table took them (restated by key, or rebuilt whole and why)
    const readingTables = consent.results.filter((x) => ['accelerometer_trusted', 'step_trainer_trusted', 'machine_learning_curated'].includes(x.name)).map((x) => ({ name: x.name, s: x.execution_time, message: x.message }));
    const afterConsent = await fingerprint(project);
    const fullConsent = await build('full refresh (consent)', ['--full-refresh']);
    const sameConsent = JSON.stringify(afterConsent) === JSON.stringify(await fingerprint(project));

    rows.push({ size: size.name, cold: plain(cold), no_new_file: plain(same), no_new_file_without_reuse: plain(noReuse), add_one_percent: plain(addOne), full_refresh_after_add: plain(fullAdd), one_changed_file: plain(change), full_refresh_after_change: plain(fullChange), consent_changes: { customers: flips, reading_tables: readingTables, ...plain(consent) }, full_refresh_after_consent: plain(fullConsent), same_as_full_refresh: { add: sameAdd, change: sameChange, consent: sameConsent }, ...(pairs ? { same_customer_pairs_after_add: pairs } : {}), ...(dbt ? { dbt_incremental: dbt } : {}) });
    fs.rmSync(root, { recursive: true, force: true });
  }
  addSection(
    table(
      'Warm builds: `stedi build` after 1% new landing files, and after one changed file, ÷ the cold build (seconds; ingestion = the sources\' execution time; "right" = every table equals a --full-refresh build of the same files)',
      ['size', 'cold build', 'cold ingestion', 'no new file', 'no new file ÷ cold', 'same, --no-reuse', '--no-reuse ÷ cold', '+1% build', '+1% ingestion', '+1% build ÷ cold', '+1% ingestion ÷ cold', 'changed build', 'changed ingestion', 'changed build ÷ cold', 'changed ingestion ÷ cold', 'consent changes (customers)', 'consent build', 'consent build ÷ cold', 'right'],
      rows.map((r: any) => [
        r.size, r.cold.wall_s, r.cold.sources_s, r.no_new_file.wall_s, r.no_new_file.wall_s / r.cold.wall_s, r.no_new_file_without_reuse.wall_s, r.no_new_file_without_reuse.wall_s / r.cold.wall_s, r.add_one_percent.wall_s, r.add_one_percent.sources_s, r.add_one_percent.wall_s / r.cold.wall_s, r.add_one_percent.sources_s / r.cold.sources_s,
        r.one_changed_file.wall_s, r.one_changed_file.sources_s, r.one_changed_file.wall_s / r.cold.wall_s, r.one_changed_file.sources_s / r.cold.sources_s,
        r.consent_changes.customers, r.consent_changes.wall_s, r.consent_changes.wall_s / r.cold.wall_s,
        r.same_as_full_refresh.add && r.same_as_full_refresh.change && r.same_as_full_refresh.consent ? 'yes' : 'NO',
      ]),
    ),
  );
  const withPairs = rows.filter((r: any) => r.same_customer_pairs_after_add);
  if (withPairs.length) {
    addSection(
      table(
        'The +1% build: `same_customer_pairs` as the build ran it (on the partitions whose inputs changed, when it could) beside the same test run whole on the same lake right after (seconds), and the slowest nodes of that build',
        ['size', 'in the build', 'partition-local', 'whole', 'in the build ÷ whole', 'failures (build, whole)', 'slowest nodes of the +1% build'],
        withPairs.map((r: any) => {
          const p = r.same_customer_pairs_after_add;
          return [r.size, p.in_build_s, p.in_build_partition_local ? 'yes' : 'no', p.whole_s, p.in_build_s / p.whole_s, `${p.in_build_failures}, ${p.whole_failures}`, r.add_one_percent.slowest.map((x: any) => `${x.name} ${x.s.toFixed(2)}`).join('; ')];
        }),
      ),
    );
    const disagree = withPairs.filter((r: any) => r.same_customer_pairs_after_add.in_build_failures !== r.same_customer_pairs_after_add.whole_failures);
    if (disagree.length) throw new Error(`same_customer_pairs counted differently in the build and whole at ${disagree.map((r) => String(r.size)).join(', ')}`);
  }
  const withDbt = rows.filter((r: any) => r.dbt_incremental);
  if (withDbt.length) {
    addSection(
      table(
        'Beside it, dbt-duckdb running the same models incrementally (the reading tables as dbt microbatch models by hour; the +1% build given the hours of the new files) ÷ its full build (the models as tables): seconds, and "right" = the three reading tables equal a dbt --full-refresh',
        ['size', 'stedi cold', 'stedi +1%', 'stedi +1% ÷ cold', 'stedi right', 'dbt full build', 'dbt +1% (hours given)', 'dbt +1% ÷ full build', 'dbt batches run', 'dbt right', 'stedi +1% ÷ dbt +1%'],
        withDbt.map((r: any) => [
          r.size, r.cold.wall_s, r.add_one_percent.wall_s, r.add_one_percent.wall_s / r.cold.wall_s, r.same_as_full_refresh.add ? 'yes' : 'NO',
          r.dbt_incremental.full_build.wall_s, r.dbt_incremental.add_one_percent.wall_s, r.dbt_incremental.add_one_percent.wall_s / r.dbt_incremental.full_build.wall_s, r.dbt_incremental.add_one_percent.batches, r.dbt_incremental.same_as_full_refresh ? 'yes' : 'no',
          r.add_one_percent.wall_s / r.dbt_incremental.add_one_percent.wall_s,
        ]),
      ),
    );
  }
  writeJson('warm', { results: rows });
  const wrong = rows.filter((r: any) => !(r.same_as_full_refresh.add && r.same_as_full_refresh.change && r.same_as_full_refresh.consent));
  if (wrong.length) throw new Error(`a warm build differed from a full refresh at ${wrong.map((r) => String(r.size)).join(', ')} (see target/bench/warm.json)`);
}
