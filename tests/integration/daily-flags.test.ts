/**
 * The daily-run flags through the CLI on the mini fixture: what `stedi run` leaves untested and
 * says so, node counts that agree between the header, the progress lines and the summary,
 * `--warn-error`, and `--empty`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, removeFixtures, stedi, write } from '../helpers/stedi.js';

/** The fixture's schema.yml with one warn-severity test on customer_trusted (it passes: every country is known). */
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
