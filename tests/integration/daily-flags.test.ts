/**
 * The daily-run flags through the CLI on the mini fixture: what `stedi run` leaves untested and
 * says so, node counts that agree between the header, the progress lines and the summary,
 * `--warn-error`, and `--empty`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { copyFixture, CUSTOMER_LANDING, explain, query, removeFixtures, resultOf, runResults, stedi, write } from '../helpers/stedi.js';

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
    // a new landing line: a build that published would make 6 rows
    fs.appendFileSync(path.join(dir, CUSTOMER_LANDING), '{"email":"fay@mini.example","name":"Fay Fox","n":6,"country":"DE"}\n');
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
