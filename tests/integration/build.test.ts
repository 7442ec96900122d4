/**
 * `stedi build` end to end on a real DuckDB: progress lines, artifacts, the catalog queried by
 * name from a separate connection, Parquet versions under lake/<entity>/<zone>/<name>/v=…/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_SCHEMA_VERSION } from '../../runner/manifest/types.js';
import { RUN_RESULTS_SCHEMA_VERSION } from '../../runner/execute/results.js';
import { copyFixture, explain, keptDirs, publishedDirs, query, readJson, removeFixtures, runResults, stedi, versionDirs, VERSION_DIR_RE, withCatalog, zoneDirs, type Finished } from '../helpers/stedi.js';

const MODELS = ['model.mini.customer_trusted', 'model.mini.customer_curated', 'model.mini.country_summary', 'model.mini.slow'];
const ALL = [
  'source.mini.landing.customer',
  'seed.mini.countries',
  ...MODELS,
  'test.mini.not_null_customer_trusted_email',
  'test.mini.unique_customer_trusted_email',
  'test.mini.accepted_range_customer_trusted_n',
  'unit_test.mini.customer_trusted.customer_trusted_keeps_rows',
].sort();

describe('stedi build end to end', () => {
  let dir: string;
  let first: Finished;

  beforeAll(async () => {
    dir = copyFixture();
    first = await stedi(dir, ['build']);
  });
  afterAll(removeFixtures);

  it('exits 0 and prints one dbt-style progress line per node', () => {
    expect(first.code, explain(first)).toBe(0);
    expect(first.stderr).toBe('');
    const lines = first.stdout.split('\n');
    expect(lines[0]).toMatch(/^Running with stedi \S+ on target local \(duckdb\): 10 nodes, 4 threads$/);
    const progress = lines.filter((l) => / of 10 /.test(l));
    expect(progress).toHaveLength(10);
    // every index 1..10 exactly once
    expect(progress.map((l) => Number(/ (\d+) of 10 /.exec(l)![1])).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first.stdout).toMatch(/^\d\d:\d\d:\d\d {2}\d+ of 10 OK table trusted\.customer_trusted \.{3,} \[5 rows in \d+\.\d\ds\]$/m);
    expect(first.stdout).toMatch(/^\d\d:\d\d:\d\d {2}\d+ of 10 OK view curated\.customer_curated \.{3,} \[OK in \d+\.\d\ds\]$/m);
    expect(first.stdout).toMatch(/^\d\d:\d\d:\d\d {2}\d+ of 10 OK seed seeds\.countries \.{3,} \[3 rows in \d+\.\d\ds\]$/m);
    expect(first.stdout).toMatch(/^\d\d:\d\d:\d\d {2}\d+ of 10 OK source landing\.customer \.{3,} \[OK in \d+\.\d\ds\]$/m);
    expect(first.stdout).toMatch(/^\d\d:\d\d:\d\d {2}\d+ of 10 PASS test unique_customer_trusted_email \.{3,} \[PASS in \d+\.\d\ds\]$/m);
    expect(first.stdout).toMatch(/^\d\d:\d\d:\d\d {2}\d+ of 10 PASS unit_test customer_trusted_keeps_rows \.{3,} \[PASS in \d+\.\d\ds\]$/m);
    expect(first.stdout).toContain('Done. PASS=10 WARN=0 ERROR=0 SKIP=0 TOTAL=10');
    // the parent is published before its gating tests report, and those before the view on it
    const at = (re: RegExp) => progress.findIndex((l) => re.test(l));
    expect(at(/OK table trusted\.customer_trusted/)).toBeLessThan(at(/unique_customer_trusted_email/));
    expect(at(/unique_customer_trusted_email/)).toBeLessThan(at(/view curated\.customer_curated/));
  });

  it('writes target/manifest.json with the schema version and compiled SQL of every node', () => {
    const m = readJson(dir, 'target/manifest.json');
    expect(m.metadata.schema_version).toBe(MANIFEST_SCHEMA_VERSION);
    expect(m.metadata.project_name).toBe('mini');
    expect(m.metadata.target.name).toBe('local');
    expect(m.metadata.vars.landing_root).toBe('seeds/landing');
    expect(Object.keys(m.nodes).sort()).toEqual(ALL);
    const ct = m.nodes['model.mini.customer_trusted'];
    expect(ct.compiled_code).toMatch(/from "landing"\."customer"/);
    expect(ct.compiled_code).not.toContain('{{');
    expect(ct.relation.rendered).toBe('"trusted"."customer_trusted"');
    expect(m.nodes['model.mini.customer_curated'].compiled_code).toMatch(/from "trusted"\."customer_trusted" as c\s+left join "seeds"\."countries" as k/);
    expect(m.nodes['model.mini.slow'].compiled_code).toContain('range(2)');
    expect(m.nodes['test.mini.unique_customer_trusted_email'].compiled_code).toMatch(/from "trusted"\."customer_trusted"/);
    expect(m.nodes['source.mini.landing.customer'].location).toBe('seeds/landing/customer/landing');
    // compiled SQL of models is also written for reading
    expect(fs.readFileSync(path.join(dir, 'target/compiled/models/trusted/customer_trusted.sql'), 'utf8')).toBe(`${ct.compiled_code}\n`);
  });

  it('writes target/run_results.json with status, timings and rows per node', () => {
    const rr = runResults(dir);
    expect(rr.metadata.schema_version).toBe(RUN_RESULTS_SCHEMA_VERSION);
    expect(rr.metadata.command).toBe('build');
    expect(rr.metadata.target).toBe('local');
    expect(rr.success).toBe(true);
    expect(rr.args).toEqual({ threads: 4, fail_fast: false });
    expect(rr.results.map((r) => r.unique_id).sort()).toEqual(ALL);
    for (const r of rr.results) {
      expect(['success', 'pass'], r.unique_id).toContain(r.status);
      const start = Date.parse(r.started_at);
      const end = Date.parse(r.completed_at);
      expect(end).toBeGreaterThanOrEqual(start);
      expect(r.execution_time).toBeCloseTo((end - start) / 1000, 2);
    }
    const rows = Object.fromEntries(rr.results.map((r) => [r.unique_id, r.rows_affected]));
    expect(rows).toMatchObject({ 'model.mini.customer_trusted': 5, 'model.mini.slow': 2000, 'seed.mini.countries': 3, 'model.mini.country_summary': 1 });
    expect(rows['model.mini.customer_curated']).toBeUndefined(); // a view has no rows written
    expect(rr.elapsed_time).toBeGreaterThan(0);
  });

  it('publishes a catalog that a separate READ_ONLY connection queries by name', async () => {
    await withCatalog(dir, async (q) => {
      const rows = await q('select * from trusted.customer_trusted order by n');
      expect(rows).toEqual([
        { email: 'alice@mini.example', name: 'Alice Anders', n: '1', country: 'DE' },
        { email: 'bob@mini.example', name: 'Bob Brown', n: '2', country: 'FR' },
        { email: 'carol@mini.example', name: 'Carol Clark', n: '3', country: 'IT' },
        { email: 'dave@mini.example', name: 'Dave Dunn', n: '4', country: null },
        { email: 'erin@mini.example', name: 'Erin Evans', n: '5', country: 'XX' },
      ]);
      expect(await q('select email, country_name from curated.customer_curated order by n limit 2')).toEqual([
        { email: 'alice@mini.example', country_name: 'Germany' },
        { email: 'bob@mini.example', country_name: 'France' },
      ]);
      expect(await q('select countries from curated.country_summary')).toEqual([{ countries: '3' }]);
      expect(await q('select count(*) as n from trusted.slow')).toEqual([{ n: '2000' }]);
      expect(await q('select * from seeds.countries order by code')).toEqual([
        { code: 'DE', country_name: 'Germany' },
        { code: 'FR', country_name: 'France' },
        { code: 'IT', country_name: 'Italy' },
      ]);
    });
  });

  it('writes each table as Parquet under lake/<entity>/<zone>/<name>/v=<version>/, each version with its ownership marker', async () => {
    const dirs = versionDirs(dir);
    expect(dirs.map((d) => d.replace(/\/v=[^/]+$/, ''))).toEqual([
      'lake/countries/seeds/countries',
      'lake/country/curated/country_summary',
      // the landing source and its rejects are table versions too
      'lake/customer/landing/customer',
      'lake/customer/landing/customer__rejects',
      'lake/customer/trusted/customer_trusted',
      'lake/load/trusted/slow',
    ]);
    for (const d of dirs) {
      expect(path.basename(d)).toMatch(VERSION_DIR_RE);
      const files = fs.readdirSync(path.join(dir, d)).sort();
      expect(files).toEqual(d.includes('/landing/') ? ['_stedi_version.json', 'part-00000.parquet'] : ['_stedi_version.json', 'data.parquet']);
      expect(JSON.parse(fs.readFileSync(path.join(dir, d, '_stedi_version.json'), 'utf8'))).toMatchObject({ project: 'mini', target: 'local', version: path.basename(d).slice(2) });
    }
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'lake/_stedi_lake.json'), 'utf8'))).toMatchObject({ project: 'mini', target: 'local' });
    expect(await publishedDirs(dir)).toEqual(dirs);
    expect(fs.existsSync(path.join(dir, 'lake/customer/curated'))).toBe(false); // the view model writes no files
    // the Parquet file is a real table on its own
    const ct = dirs.find((d) => d.includes('customer_trusted'))!;
    const rows = await query(dir, `select count(*) as n, count(distinct email) as e from read_parquet('${ct}/data.parquet')`);
    expect(rows).toEqual([{ n: '5', e: '5' }]);
  });

  it('a second build publishes new versions and keeps one earlier version (keep_versions: 1); a third removes the first', async () => {
    const first = versionDirs(dir);
    // --no-reuse: nothing changed, so a plain build would publish nothing new (tests/integration/reuse.test.ts)
    const again = await stedi(dir, ['build', '--no-reuse']);
    expect(again.code, explain(again)).toBe(0);
    const second = await publishedDirs(dir);
    expect(second).toHaveLength(6);
    for (const d of second) expect(first).not.toContain(d);
    // the earlier versions stay for readers that loaded the published snapshot just before
    expect(versionDirs(dir)).toEqual([...first, ...second].sort());
    expect(await keptDirs(dir)).toEqual(versionDirs(dir));
    const third = await stedi(dir, ['build', '--no-reuse']);
    expect(third.code, explain(third)).toBe(0);
    // the first versions are gone, except the landing folders whose parts the landing tables still
    // read (no landing file changed since the first ingestion: its parts are kept, not copied)
    const left = versionDirs(dir).filter((d) => first.includes(d));
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((d) => d.split('/').includes('landing'))).toBe(true);
    expect(zoneDirs(dir).filter((d) => first.includes(d))).toEqual([]);
    expect(await keptDirs(dir)).toEqual(versionDirs(dir));
    expect(await query(dir, 'select count(*) as n from trusted.customer_trusted')).toEqual([{ n: '5' }]);
  });
});
