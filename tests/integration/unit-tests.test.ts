/**
 * Model unit tests (`unit_tests:` in YAML) on the in-memory DuckDB: given rows for each input
 * are created as temp tables and the model's SQL runs on the same connection.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, query, removeFixtures, resultOf, runResults, stedi, write } from '../helpers/stedi.js';

const UNIT_YML = `version: 2
unit_tests:
  # two inputs, one of them empty: the join finds no country
  - name: curated_joins_countries
    model: customer_curated
    given:
      - input: ref('customer_trusted')
        rows:
          - { email: u1@unit.test, name: U1, n: 1, country: DE }
          - { email: u2@unit.test, name: U2, n: 2, country: FR }
      - input: ref('countries')
        format: csv
        rows: |
          code,country_name
          DE,Germany
    expect:
      rows:
        - { email: u1@unit.test, n: 1, country_name: Germany }
        - { email: u2@unit.test, n: 2, country_name: null }
  - name: curated_no_countries
    model: customer_curated
    given:
      - input: ref('customer_trusted')
        rows:
          - { email: u3@unit.test, n: 3, country: IT }
      - input: ref('countries')
        rows: []
    expect:
      rows:
        - { email: u3@unit.test, n: 3, country_name: null }
`;

const FAILING_YML = `version: 2
unit_tests:
  - name: summary_counts_wrong
    model: country_summary
    given:
      - input: ref('countries')
        rows:
          - { code: DE, country_name: Germany }
          - { code: FR, country_name: France }
    expect:
      rows:
        - { countries: 3 }
  - name: trusted_expects_other_rows
    model: customer_trusted
    given:
      - input: source('landing', 'customer')
        rows:
          - { email: secret1@unit.test, name: Secret One, n: 1, country: DE }
          - { email: secret2@unit.test, name: Secret Two, n: 2, country: FR }
    expect:
      rows:
        - { email: secret1@unit.test, n: 1, country: DE }
        - { email: secret2@unit.test, n: 20, country: FR }
`;

describe('unit tests', () => {
  let dir: string;

  beforeAll(async () => {
    dir = copyFixture();
    write(dir, 'models/curated/unit.yml', UNIT_YML);
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
  });
  afterAll(removeFixtures);

  it('passing unit tests (one and several inputs, dict and csv rows, empty input) PASS with exit 0', async () => {
    const r = await stedi(dir, ['test', '--select', 'resource_type:unit_test']);
    expect(r.code, explain(r)).toBe(0);
    const rr = runResults(dir);
    expect(rr.results.map((x) => [x.name, x.status]).sort()).toEqual([
      ['curated_joins_countries', 'pass'],
      ['curated_no_countries', 'pass'],
      ['customer_trusted_keeps_rows', 'pass'],
    ]);
    expect(r.stdout).toMatch(/\d+ of 3 PASS unit_test curated_joins_countries \.+ \[PASS in/);
  });

  it('a failing unit test prints a readable diff, masks PII and exits 1', async () => {
    write(dir, 'models/trusted/unit_failing.yml', FAILING_YML);
    const r = await stedi(dir, ['test', '--select', 'resource_type:unit_test']);
    expect(r.code, explain(r)).toBe(1);
    const summary = resultOf(dir, 'unit_test.mini.country_summary.summary_counts_wrong');
    expect(summary).toMatchObject({ status: 'fail', failures: 2 });
    expect(summary.message).toBe('rows differ:\n- expected, missing: {"countries":3}\n+ unexpected: {"countries":2}');
    expect(r.stderr).toContain('Failure in unit_test summary_counts_wrong: rows differ:\n- expected, missing: {"countries":3}\n+ unexpected: {"countries":2}');

    const trusted = resultOf(dir, 'unit_test.mini.customer_trusted.trusted_expects_other_rows');
    expect(trusted).toMatchObject({ status: 'fail', failures: 2 });
    // only the differing row is reported; its email is masked, the other columns readable
    expect(trusted.message).toMatch(/^rows differ:\n- expected, missing: \{"email":"<masked #[0-9a-f]{4}>","n":20,"country":"FR"\}\n\+ unexpected: \{"email":"<masked #[0-9a-f]{4}>","n":2,"country":"FR"\}$/);
    for (const text of [r.stdout, r.stderr, fs.readFileSync(path.join(dir, 'target/run_results.json'), 'utf8')]) expect(text).not.toContain('secret2@unit.test');
    expect(r.stderr).toMatch(/\d+ of 5 FAIL unit_test summary_counts_wrong \.+ \[2 failing in/);
    expect(resultOf(dir, 'unit_test.mini.customer_curated.curated_joins_countries').status).toBe('pass');
  });

  it('in a build, a failing unit test keeps its model unpublished and skips it', async () => {
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(1);
    expect(resultOf(dir, 'model.mini.country_summary')).toMatchObject({ status: 'skipped', skipped_because: 'unit_test.mini.country_summary.summary_counts_wrong' });
    expect(resultOf(dir, 'model.mini.customer_trusted').status).toBe('skipped');
    expect(resultOf(dir, 'model.mini.slow').status).toBe('success');
    expect(await query(dir, 'select countries from curated.country_summary')).toEqual([{ countries: '3' }]);
  });
});
