/**
 * The daily-run flags through the CLI on the mini fixture: what `stedi run` leaves untested and
 * says so, node counts that agree between the header, the progress lines and the summary,
 * `--warn-error`, and `--empty`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { copyFixture, CUSTOMER_LANDING, REPO, explain, query, removeFixtures, resultOf, runResults, stedi, write } from '../helpers/stedi.js';

/** The fixture's schema.yml with one warn-severity test on customer_trusted (it warns: Erin's country XX is not in the list). */
const WITH_WARN_TEST = `version: 2
models:
  - name: customer_trusted
    columns:
      - name: email
        meta: { pii: true }
        tests: [not_null, unique]
      - name: name
        meta: { pii: true }
      - name: country
        tests:
          - accepted_values: { values: [DE, FR, IT, ES, NL], config: { severity: warn, name: country_known } }
      - name: n
        tests:
          - accepted_range: { min_value: 0 }
  - name: customer_curated
    columns:
      - name: email
        meta: { pii: true }
unit_tests:
  - name: customer_trusted_keeps_rows
    model: customer_trusted
    given:
      - input: source('landing', 'customer')
        rows: [{ email: u1@unit.test, name: U One, n: 1, country: DE }]
    expect:
      rows: [{ email: u1@unit.test, n: 1, country: DE }]
`;

/** "Running … N nodes", the largest "i of N" of the progress lines, "Finished running N nodes". */
function counts(stdout: string): { header: number; progress: number[]; finished: number } {
  const header = Number(/^Running with stedi \S+ on target \S+ \(duckdb\): (\d+) nodes?,/m.exec(stdout)?.[1]);
  const progress = [...stdout.matchAll(/^\S+ {2}(\d+) of (\d+) /gm)].map((m) => Number(m[2]));
  const finished = Number(/^Finished running (\d+) nodes?/m.exec(stdout)?.[1]);
  return { header, progress, finished };
}

afterAll(removeFixtures);

describe('stedi run', () => {
  it('counts the same nodes in its header, progress lines and summary, and names the tests it did not run', async () => {
    const dir = copyFixture();
    write(dir, 'models/trusted/schema.yml', WITH_WARN_TEST);
    const seeded = await stedi(dir, ['seed']);
    expect(seeded.code, explain(seeded)).toBe(0);
    const r = await stedi(dir, ['run']);
    expect(r.code, explain(r)).toBe(0);
    const c = counts(r.stdout);
    // 4 models, the source, and customer_trusted's 3 error-severity gate tests
    expect(c.header).toBe(8);
    expect(new Set(c.progress)).toEqual(new Set([8]));
    expect(c.progress).toHaveLength(8);
    expect(c.finished).toBe(8);
    expect(r.stdout).not.toMatch(/country_known/);
    expect(r.stdout).toContain('1 warn-severity test was not run; `stedi build` or `stedi test` runs them');
    expect(r.stdout).toContain('1 unit test was not run; `stedi build` or `stedi test` runs them');
    // build runs them: nothing to say, and its header counts its 11 nodes
    const b = await stedi(dir, ['build']);
    expect(b.code, explain(b)).toBe(0);
    expect(counts(b.stdout)).toEqual({ header: 11, progress: Array(11).fill(11), finished: 11 });
    expect(b.stdout).not.toMatch(/were? not run/);
  });

  it('says in --help that warn-severity tests are not run', async () => {
    const r = await stedi(copyFixture(), ['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/warn-severity tests, tests across models and unit tests are not run \(stedi build or stedi test runs them\)/);
  });
});

describe('--warn-error', () => {
  it('makes a warning test fail: the table it gates is not published, its children skip, the run exits 1 naming the warning', async () => {
    const dir = copyFixture();
    write(dir, 'models/trusted/schema.yml', WITH_WARN_TEST);
    const plain = await stedi(dir, ['build', '-s', 'customer_trusted']);
    expect(plain.code, explain(plain)).toBe(0);
    expect(plain.stdout).toMatch(/WARN test country_known/);
    const before = await query(dir, 'select count(*) as n from trusted.customer_trusted');
    // a new landing file (a changed one would itself be a warning): a build that published would make 6 rows
    fs.writeFileSync(path.join(dir, path.dirname(CUSTOMER_LANDING), 'part-0002.json'), '{"email":"fay@mini.example","name":"Fay Fox","n":6,"country":"DE"}\n');
    const r = await stedi(dir, ['build', '--warn-error']);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toMatch(/FAIL test country_known/);
    expect(resultOf(dir, 'test.mini.country_known')).toMatchObject({ status: 'fail', warn_error: true, message: '1 failing row (a warning, made an error by --warn-error)' });
    expect(resultOf(dir, 'model.mini.customer_trusted')).toMatchObject({ status: 'error', warn_error: true });
    expect(resultOf(dir, 'model.mini.customer_trusted').message).toContain('blocking test failed (country_known; a warning, made an error by --warn-error)');
    expect(resultOf(dir, 'model.mini.customer_curated').status).toBe('skipped');
    expect(r.stderr).toContain('--warn-error: 1 warning made this run fail: test country_known');
    expect(runResults(dir)).toMatchObject({ success: false, args: { warn_error: true } });
    // the earlier version stays published
    expect(await query(dir, 'select count(*) as n from trusted.customer_trusted')).toEqual(before);
    // stedi test with the flag fails on the same warning, without it passes with a warning
    expect((await stedi(dir, ['test', '-s', 'country_known'])).code).toBe(0);
    const t = await stedi(dir, ['test', '-s', 'country_known', '--warn-error']);
    expect(t.code, explain(t)).toBe(1);
    expect(t.stderr).toContain('--warn-error: 1 warning made this run fail: test country_known');
  });

  it('keeps a source with landing warnings (a quarantined line) unpublished', async () => {
    const dir = copyFixture();
    fs.appendFileSync(path.join(dir, CUSTOMER_LANDING), '{"email": oops\n');
    const plain = await stedi(dir, ['build', '-s', 'source:landing.customer']);
    expect(plain.code, explain(plain)).toBe(0);
    expect(resultOf(dir, 'source.mini.landing.customer').status).toBe('warn');
    const published = await query(dir, 'select count(*) as n from landing.customer__rejects');
    expect(published).toEqual([{ n: '1' }]);
    // a second bad line: the build with --warn-error must not publish the two rejects
    fs.appendFileSync(path.join(dir, CUSTOMER_LANDING), '{"email": again\n');
    const r = await stedi(dir, ['build', '--warn-error']);
    expect(r.code, explain(r)).toBe(1);
    const src = resultOf(dir, 'source.mini.landing.customer');
    expect(src).toMatchObject({ status: 'error', warn_error: true });
    expect(src.message).toMatch(/^not published: its landing report has warnings \(a warning, made an error by --warn-error\); the previous version stays published/);
    expect(resultOf(dir, 'model.mini.customer_trusted').status).toBe('skipped');
    expect(r.stderr).toContain('--warn-error: 1 warning made this run fail: source landing.customer');
    expect(await query(dir, 'select count(*) as n from landing.customer__rejects')).toEqual(published);
  });

  it('stops before anything runs on a warning of the project (YAML) or a selector that matches nothing', async () => {
    const dir = copyFixture();
    const plain = await stedi(dir, ['build', '-s', 'nothing_is_called_this']);
    expect(plain.code, explain(plain)).toBe(0);
    expect(plain.stderr).toMatch(/warning: .*nothing_is_called_this/);
    const sel = await stedi(dir, ['build', '-s', 'nothing_is_called_this', '--warn-error']);
    expect(sel.code, explain(sel)).toBe(2);
    expect(sel.stderr).toContain('--warn-error: a selector matched nothing');
    write(dir, 'models/trusted/schema.yml', WITH_WARN_TEST.replace('  - name: customer_curated\n', '  - name: customer_curated\n    description: !shout hello\n'));
    const yaml = await stedi(dir, ['build', '--warn-error']);
    expect(yaml.code, explain(yaml)).toBe(2);
    expect(yaml.stderr).toMatch(/models\/trusted\/schema\.yml:\d+.*Unresolved tag: !shout/);
    expect(yaml.stderr).toContain('--warn-error: 1 warning of the project stop the build before anything runs');
    expect(yaml.stdout).not.toContain('Running with');
  });

  it('is refused together with --allow-shrink (that flag publishes with a warning)', async () => {
    const r = await stedi(copyFixture(), ['build', '--warn-error', '--allow-shrink']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--allow-shrink publishes what the volume guards refuse, with a warning, and --warn-error makes that warning an error: give one of them');
  });
});

/** Every file under the lake with its content hash: what a command must leave as it was. */
function lakeState(dir: string): Record<string, string> {
  const lake = path.join(dir, 'lake');
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(lake, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(lake, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

describe('--empty', () => {
  it('builds every node on zero rows without reading or changing the target; run_results.json stays the last real run', async () => {
    const dir = copyFixture();
    const real = await stedi(dir, ['build']);
    expect(real.code, explain(real)).toBe(0);
    const lake = lakeState(dir);
    const results = fs.readFileSync(path.join(dir, 'target/run_results.json'), 'utf8');
    // the landing folder is not read: an unreadable landing line changes nothing
    fs.appendFileSync(path.join(dir, CUSTOMER_LANDING), '{"email": oops\n');
    const r = await stedi(dir, ['build', '--empty']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain('EMPTY RUN (--empty)');
    expect(r.stdout).toMatch(/ of 10 OK table trusted\.customer_trusted \.+ \[0 rows in/);
    expect(r.stdout).toContain('Done. PASS=10 WARN=0 ERROR=0 SKIP=0 TOTAL=10');
    expect(r.stdout).not.toContain('Reconciliation');
    expect(lakeState(dir)).toEqual(lake);
    expect(fs.readFileSync(path.join(dir, 'target/run_results.json'), 'utf8')).toBe(results);
    const empty = readJsonFile(path.join(dir, 'target/run_results_empty.json'));
    expect(empty.args.empty).toBe(true);
    expect(empty.results.find((x: { unique_id: string }) => x.unique_id === 'test.mini.unique_customer_trusted_email').message).toBe('its SQL runs on zero rows; not judged (--empty)');
    expect(empty.results.find((x: { unique_id: string }) => x.unique_id === 'model.mini.customer_trusted').message).toMatch(/nothing published \(--empty\)/);
  });

  it('validates the STEDI project without its pseudonymisation key, building what a selection reads first', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-empty-'));
    for (const f of ['models', 'seeds', 'macros', 'stedi_project.yml']) fs.cpSync(path.join(REPO, f), path.join(dir, f), { recursive: true });
    try {
      const r = await stedi(dir, ['build', '--empty']);
      expect(r.code, explain(r)).toBe(0);
      expect(r.stdout).toContain('Done. PASS=99 WARN=0 ERROR=0 SKIP=0 TOTAL=99');
      expect(r.stdout).not.toContain('Pseudonymisation key');
      const sel = await stedi(dir, ['run', '--empty', '-s', 'machine_learning_curated']);
      expect(sel.code, explain(sel)).toBe(0);
      expect(sel.stdout).toMatch(/^Built 8 upstream nodes the selected ones read on zero rows first \(not counted below\): .*source landing\.customer.*table trusted\.customer_trusted/m);
      expect(sel.stdout).toMatch(/1 of \d+ OK incremental curated\.machine_learning_curated/);
      expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('needs no lake and no pseudonymisation key, and reports a SQL error of a model with its file', async () => {
    const dir = copyFixture();
    write(dir, 'models/curated/customer_curated.sql', "{{ config(entity='customer', materialized='view') }}\nselect c.email, c.nn, k.country_name\nfrom {{ ref('customer_trusted') }} as c\nleft join {{ ref('countries') }} as k on c.country = k.code\n");
    const r = await stedi(dir, ['run', '--empty']);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toMatch(/model customer_curated \(models\/curated\/customer_curated\.sql:\d+\): .*Binder Error.*nn/s);
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'target/run_results.json'))).toBe(false);
  });

  it("checks an incremental model's is_incremental() SQL against the table its full SQL builds", async () => {
    const dir = copyFixture();
    write(dir, 'models/trusted/inc.sql', "{{ config(materialized='incremental', entity='customer') }}\nselect n, email from {{ ref('customer_trusted') }}\n{% if is_incremental() %}\nwhere n > (select max(n) from {{ this }})\n{% endif %}\n");
    expect((await stedi(dir, ['build', '--empty', '-s', '+inc'])).code).toBe(0);
    write(dir, 'models/trusted/inc.sql', "{{ config(materialized='incremental', entity='customer') }}\n{% if is_incremental() %}\nselect email, n from {{ ref('customer_trusted') }} where n > (select max(n) from {{ this }})\n{% else %}\nselect n, email from {{ ref('customer_trusted') }}\n{% endif %}\n");
    const r = await stedi(dir, ['build', '--empty', '-s', '+inc']);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toContain('its is_incremental() SQL yields (email VARCHAR, n BIGINT) but its full SQL yields (n BIGINT, email VARCHAR)');
  });

  it('is refused on another target than duckdb and with the flags that read landing files or publish', async () => {
    const dir = copyFixture();
    fs.appendFileSync(path.join(dir, 'stedi_project.yml'), '');
    const yml = fs.readFileSync(path.join(dir, 'stedi_project.yml'), 'utf8').replace('targets:\n', 'targets:\n  athena: { type: athena, region: eu-west-1, database: mini, workgroup: primary, s3_data_dir: "s3://mini-lake/zones" }\n');
    write(dir, 'stedi_project.yml', yml);
    const a = await stedi(dir, ['build', '--empty', '--target', 'athena']);
    expect(a.code, explain(a)).toBe(2);
    expect(a.stderr).toContain("--empty builds in a throw-away in-memory DuckDB, which cannot run the athena target's SQL");
    const f = await stedi(dir, ['build', '--empty', '--full-refresh']);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('--empty reads no landing file and publishes nothing, so --full-refresh would do nothing: leave it out');
    const d = await stedi(dir, ['run', '--empty', '--dry-run', '--allow-shrink']);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('so --allow-shrink and --dry-run would do nothing: leave them out');
    const t = await stedi(dir, ['test', '--empty']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/unknown option '--empty'/);
  });
});

function readJsonFile(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
