/**
 * `stedi test` against what is published: severities, warn_if/error_if thresholds, `where`,
 * and failing-row samples (at most 3 rows, every meta.pii column masked everywhere).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, CUSTOMER_LANDING, explain, ndjson, removeFixtures, resultOf, runResults, stedi, write, type Finished } from '../helpers/stedi.js';

/** Every PII value of the fixture's landing data (emails and names). */
const PII = [...['alice', 'bob', 'carol', 'dave', 'erin'].map((n) => `${n}@mini.example`), 'Alice Anders', 'Bob Brown', 'Carol Clark', 'Dave Dunn', 'Erin Evans'];
const MASKED = /^<masked #[0-9a-f]{4}>$/;

/** schema.yml of the fixture (without its unit test) plus the tests under study; `failing` adds two error-severity failures. */
function schema(failing: boolean): string {
  return `version: 2
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
          - accepted_values: { values: [DE, FR, IT], config: { severity: warn, name: country_known } }
      - name: n
        tests:
          - accepted_range: { min_value: 0 }
    tests:
      # n <= 2 fails for n = 3, 4, 5: three failing rows
      - expression_is_true: { expression: "n <= 2", config: { name: big_n_warns, warn_if: ">1", error_if: ">5" } }
      - expression_is_true: { expression: "n <= 2", config: { name: big_n_tolerated, warn_if: ">10", error_if: ">10" } }
      - expression_is_true: { expression: "n <= 2", config: { name: small_n_where, where: "country in ('DE', 'FR')" } }
${failing ? `      - expression_is_true: { expression: "n <= 2", config: { name: big_n_errors, error_if: ">2" } }
      - expression_is_true: { expression: "n < 0", config: { name: all_rows_fail } }
` : ''}  - name: customer_curated
    columns:
      - name: email
        meta: { pii: true }
`;
}

function expectNoPii(r: Finished, dir: string): void {
  const artifacts = fs.readFileSync(path.join(dir, 'target/run_results.json'), 'utf8');
  for (const v of PII) {
    expect(r.stdout, v).not.toContain(v);
    expect(r.stderr, v).not.toContain(v);
    expect(artifacts, v).not.toContain(v);
  }
}

describe('stedi test', () => {
  let dir: string;

  beforeAll(async () => {
    dir = copyFixture();
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
  });
  afterAll(removeFixtures);

  it('runs against the published tables, not the landing data', async () => {
    const landing = path.join(dir, CUSTOMER_LANDING);
    const original = fs.readFileSync(landing, 'utf8');
    fs.appendFileSync(landing, ndjson([{ email: 'alice@mini.example', name: 'Dup', n: 9, country: 'DE' }]));
    const r = await stedi(dir, ['test']);
    fs.writeFileSync(landing, original);
    expect(r.code, explain(r)).toBe(0);
    expect(runResults(dir).metadata.command).toBe('test');
    expect(resultOf(dir, 'test.mini.unique_customer_trusted_email')).toMatchObject({ status: 'pass', failures: 0 });
    expect(resultOf(dir, 'unit_test.mini.customer_trusted.customer_trusted_keeps_rows').status).toBe('pass');
    // a test command materializes nothing
    expect(runResults(dir).results.map((x) => x.resource_type).sort()).toEqual(['test', 'test', 'test', 'unit_test']);
  });

  it('severity warn and warn_if/error_if thresholds give WARN with exit 0; where filters rows', async () => {
    write(dir, 'models/trusted/schema.yml', schema(false));
    const r = await stedi(dir, ['test']);
    expect(r.code, explain(r)).toBe(0);
    expect(resultOf(dir, 'test.mini.country_known')).toMatchObject({ status: 'warn', failures: 1, sample: [{ value_field: 'XX', n_records: 1 }] });
    expect(resultOf(dir, 'test.mini.big_n_warns')).toMatchObject({ status: 'warn', failures: 3 });
    expect(resultOf(dir, 'test.mini.big_n_tolerated')).toMatchObject({ status: 'pass', failures: 3 });
    expect(resultOf(dir, 'test.mini.small_n_where')).toMatchObject({ status: 'pass', failures: 0 });
    expect(r.stdout).toMatch(/\d+ of 7 WARN test country_known \.+ \[1 failing in/);
    expect(r.stdout).toMatch(/\d+ of 7 WARN test big_n_warns \.+ \[3 failing in/);
    expect(r.stdout).toMatch(/\d+ of 7 PASS test small_n_where /);
    expect(r.stderr).toContain('Warning in test country_known: 1 failing row');
    expect(r.stdout).toContain('Done. PASS=5 WARN=2 ERROR=0 SKIP=0 TOTAL=7');
    expect(runResults(dir).success).toBe(true);
    // samples of warnings are masked as well
    const sample = resultOf(dir, 'test.mini.big_n_warns').sample!;
    expect(sample).toHaveLength(3);
    for (const row of sample) {
      expect(row.email).toMatch(MASKED);
      expect(row.name).toMatch(MASKED);
    }
    expectNoPii(r, dir);
  });

  it('error thresholds fail with exit 1; samples hold at most 3 rows with every PII column masked', async () => {
    write(dir, 'models/trusted/schema.yml', schema(true));
    const r = await stedi(dir, ['test']);
    expect(r.code, explain(r)).toBe(1);
    expect(resultOf(dir, 'test.mini.big_n_errors')).toMatchObject({ status: 'fail', failures: 3 });
    const all = resultOf(dir, 'test.mini.all_rows_fail');
    expect(all).toMatchObject({ status: 'fail', failures: 5, message: '5 failing rows' });
    expect(all.sample).toHaveLength(3);
    for (const row of all.sample!) {
      expect(Object.keys(row).sort()).toEqual(['country', 'email', 'n', 'name']);
      expect(row.email).toMatch(MASKED);
      expect(row.name).toMatch(MASKED);
      expect(typeof row.n).toBe('number'); // non-PII columns stay readable
    }
    // the same value always gets the same fingerprint, different values different ones
    expect(new Set(all.sample!.map((x) => x.email)).size).toBe(3);
    expect(r.stderr).toContain('Failure in test all_rows_fail: 5 failing rows');
    const printed = r.stderr.split('\n').filter((l) => l.startsWith('  sample: '));
    // 3 rows each for all_rows_fail, big_n_errors, big_n_warns; 1 for country_known
    expect(printed).toHaveLength(10);
    for (const l of printed) {
      const row = JSON.parse(l.slice('  sample: '.length)) as Record<string, unknown>;
      if ('email' in row) expect(row.email).toMatch(MASKED);
    }
    expect(r.stderr).toContain('Done. PASS=5 WARN=2 ERROR=2 SKIP=0 TOTAL=9');
    expectNoPii(r, dir);
  });

  it('a model column that carries personal data is masked even when the model does not declare it meta.pii (column lineage)', async () => {
    // customer_trusted copies landing.customer.name (meta.pii there) but does not declare it here
    write(dir, 'models/trusted/schema.yml', schema(true).replace('      - name: name\n        meta: { pii: true }\n', ''));
    const r = await stedi(dir, ['test', '--select', 'all_rows_fail']);
    expect(r.code, explain(r)).toBe(1);
    const all = resultOf(dir, 'test.mini.all_rows_fail');
    expect(all.sample).toHaveLength(3);
    for (const row of all.sample!) {
      expect(row.name).toMatch(MASKED);
      expect(row.email).toMatch(MASKED);
      expect(row.country).not.toMatch(MASKED); // not personal data: readable
    }
    expectNoPii(r, dir);
  });
});
