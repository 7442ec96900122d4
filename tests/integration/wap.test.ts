/**
 * Write-audit-publish: a failing blocking test or a failing query leaves the previous version
 * published (and no stale version folder); fixing the problem publishes the new rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, CUSTOMER_LANDING, explain, ndjson, publishedDirs, query, removeFixtures, resultOf, runResults, snapshot, stedi, versionDirs, write, type Row, keptDirs } from '../helpers/stedi.js';

const CT = 'model.mini.customer_trusted';
const CT_DIR = 'lake/customer/trusted/customer_trusted';
const GATES = ['test.mini.not_null_customer_trusted_email', 'test.mini.unique_customer_trusted_email', 'test.mini.accepted_range_customer_trusted_n'];

describe('write-audit-publish', () => {
  let dir: string;
  let original: string;
  let published: Record<string, Row[]>;
  let firstVersion: string;

  const versionsOfCt = () => versionDirs(dir).filter((d) => d.startsWith(`${CT_DIR}/`));

  beforeAll(async () => {
    dir = copyFixture();
    original = fs.readFileSync(path.join(dir, CUSTOMER_LANDING), 'utf8');
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    published = await snapshot(dir);
    const versions = versionsOfCt();
    expect(versions).toHaveLength(1);
    firstVersion = versions[0]!;
  });
  afterAll(removeFixtures);

  it('a failing blocking test: exit 1, not published, descendants skipped, old rows still served', async () => {
    // a duplicate email breaks `unique`; the extra row must never become visible
    write(dir, CUSTOMER_LANDING, `${original}${ndjson([{ email: 'alice@mini.example', name: 'Alice Again', n: 6, country: 'DE' }])}`);
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toMatch(/\d+ of 10 ERROR table trusted\.customer_trusted \.+ \[ERROR in/);
    expect(r.stderr).toMatch(/\d+ of 10 FAIL test unique_customer_trusted_email \.+ \[1 failing in/);
    expect(r.stdout).toMatch(/\d+ of 10 SKIP view curated\.customer_curated \.+ \[SKIP\]/);
    expect(r.stderr).toContain('Failure in model customer_trusted: not published: blocking test failed (unique_customer_trusted_email); the previous version stays published');
    // the rewritten landing file is itself a warning (its rows are replaced), published as such
    expect(r.stderr).toContain('Done. PASS=6 WARN=1 ERROR=2 SKIP=1 TOTAL=10');
    expect(resultOf(dir, 'source.mini.landing.customer').status).toBe('warn');
    expect(resultOf(dir, 'source.mini.landing.customer').message).toContain('part-0001.json: changed since it was ingested');

    const ct = resultOf(dir, CT);
    expect(ct.status).toBe('error');
    expect(ct.message).toMatch(/^not published/);
    expect(resultOf(dir, 'test.mini.unique_customer_trusted_email')).toMatchObject({ status: 'fail', failures: 1 });
    expect(resultOf(dir, 'test.mini.not_null_customer_trusted_email').status).toBe('pass');
    expect(resultOf(dir, 'model.mini.customer_curated')).toMatchObject({ status: 'skipped', skipped_because: CT });
    // the independent branch still ran
    expect(resultOf(dir, 'model.mini.country_summary').status).toBe('success');
    expect(runResults(dir).success).toBe(false);

    // the unique test's sample names the duplicated email only masked
    const sample = resultOf(dir, 'test.mini.unique_customer_trusted_email').sample!;
    expect(sample).toEqual([{ unique_field: expect.stringMatching(/^<masked #[0-9a-f]{4}>$/), n_records: 2 }]);
    for (const text of [r.stdout, r.stderr, fs.readFileSync(path.join(dir, 'target/run_results.json'), 'utf8')]) expect(text).not.toContain('alice@mini.example');

    expect(await snapshot(dir)).toEqual(published);
    expect(versionsOfCt()).toEqual([firstVersion]);
    expect(await keptDirs(dir)).toEqual(versionDirs(dir));
  });

  it('a failing query after a successful build: old version published, gating tests skipped, no stale folder', async () => {
    write(dir, CUSTOMER_LANDING, original);
    const sqlFile = path.join(dir, 'models/trusted/customer_trusted.sql');
    const good = fs.readFileSync(sqlFile, 'utf8');
    fs.writeFileSync(sqlFile, good.replace('select email, name, n, country', 'select email, name, n, country, no_such_column'));
    // unit tests run against the model's SQL too; leave them out to reach the query itself
    const r = await stedi(dir, ['build', '--exclude', 'resource_type:unit_test']);
    fs.writeFileSync(sqlFile, good);
    expect(r.code, explain(r)).toBe(1);
    const ct = resultOf(dir, CT);
    expect(ct.status).toBe('error');
    expect(ct.message).toContain('no_such_column');
    expect(ct.message).toMatch(/Binder Error/);
    // a query error is not reported as a write error
    expect(ct.message).not.toMatch(/cannot write/);
    for (const id of GATES) expect(resultOf(dir, id)).toMatchObject({ status: 'skipped', skipped_because: CT });
    expect(resultOf(dir, 'model.mini.customer_curated')).toMatchObject({ status: 'skipped', skipped_because: CT });
    // every planned node is accounted for
    expect(runResults(dir).results).toHaveLength(9);
    expect(r.stderr).toContain('Done. PASS=3 WARN=1 ERROR=1 SKIP=4 TOTAL=9');

    expect(await snapshot(dir)).toEqual(published);
    expect(versionsOfCt()).toEqual([firstVersion]);
    expect(await keptDirs(dir)).toEqual(versionDirs(dir));
  });

  it('fixed data is published on the next build, keeping the published version and the one before it (keep_versions: 1)', async () => {
    write(dir, CUSTOMER_LANDING, `${original}${ndjson([{ email: 'frank@mini.example', name: 'Frank Fox', n: 6, country: 'FR' }])}`);
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    const rows = await query(dir, 'select email from trusted.customer_trusted order by n');
    expect(rows.map((x) => x.email)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((n) => `${n}@mini.example`));
    expect(await query(dir, "select country_name from curated.customer_curated where email = 'frank@mini.example'")).toEqual([{ country_name: 'France' }]);
    const now = versionsOfCt();
    expect(now).toHaveLength(2);
    expect(now).toContain(firstVersion);
    expect((await publishedDirs(dir)).filter((d) => d.startsWith(`${CT_DIR}/`))).toEqual(now.filter((d) => d !== firstVersion));
    expect(await keptDirs(dir)).toEqual(versionDirs(dir));
  });
});
