/**
 * Fail closed, section 3 (second half): an engine's error never carries a value of the data to
 * stderr, the JSON log or target/run_results.json. DuckDB quotes the value it could not convert
 * (`Could not convert string '<an email>' to INT64`), Athena likewise; stedi keeps the words of
 * the message (what went wrong, where) and removes the values.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HookedSimulator } from '../helpers/hooked-simulator.js';
import { copyFixture, explain, removeFixtures, stedi, write } from '../helpers/stedi.js';
import { adapterOptions, build, compileProject, deliverLanding, fakeAwsEachTest } from '../unit/athena/harness.js';

afterAll(removeFixtures);

/** The personal values of the mini fixture's landing data. */
const PERSONAL = ['alice@mini.example', 'bob@mini.example', 'carol@mini.example', 'Alice Anders', 'Bob Brown'];

function everythingPrinted(dir: string, r: { stdout: string; stderr: string }): string {
  const results = path.join(dir, 'target/run_results.json');
  return `${r.stdout}\n${r.stderr}\n${fs.existsSync(results) ? fs.readFileSync(results, 'utf8') : ''}`;
}

describe('DuckDB errors over personal data', () => {
  const cases: [string, string][] = [
    ['a cast of an email to a number', "select cast(email as bigint) as n from {{ ref('customer_trusted') }}"],
    ['a cast of a name to a date', "select cast(name as date) as d from {{ ref('customer_trusted') }}"],
    ['an email used as a number in arithmetic', "select email::integer + 1 as n from {{ ref('customer_trusted') }}"],
    ['a failing error() with the value', "select error('bad ' || email) as n from {{ ref('customer_trusted') }}"],
    ['a duplicate key in a map', "select map([email, email], [1, 2]) as m from {{ ref('customer_trusted') }}"],
  ];
  for (const [what, sql] of cases) {
    for (const format of ['text', 'json'] as const) {
      it(`${what} (--log-format ${format}): the build fails naming the model, and no value appears anywhere`, async () => {
        const dir = copyFixture();
        write(dir, 'models/curated/leak.sql', `{{ config(entity='leak') }}\n${sql}\n`);
        const r = await stedi(dir, ['build', '--log-format', format]);
        expect(r.code, explain(r)).toBe(1);
        const printed = everythingPrinted(dir, r);
        expect(printed).toContain('models/curated/leak.sql');
        for (const v of PERSONAL) expect(printed, v).not.toContain(v);
      });
    }
  }

  it('stedi show --inline over personal data that fails in the engine prints no value', async () => {
    const dir = copyFixture();
    const b = await stedi(dir, ['build']);
    expect(b.code, explain(b)).toBe(0);
    const r = await stedi(dir, ['show', '--inline', "select cast(email as int) as n from {{ ref('customer_trusted') }}"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Conversion Error/);
    for (const v of PERSONAL) expect(`${r.stdout}${r.stderr}`, v).not.toContain(v);
  });

  it('a data test that fails in the engine prints no value', async () => {
    const dir = copyFixture();
    write(dir, 'models/trusted/extra.yml', "version: 2\nmodels:\n  - name: slow\n    tests:\n      - expression_is_true:\n          expression: \"(select max(cast(email as bigint)) from trusted.customer_trusted) > 0\"\n");
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(1);
    for (const v of PERSONAL) expect(everythingPrinted(dir, r), v).not.toContain(v);
  });

  it('a unit test whose model fails on the in-memory engine prints no value of its given rows', async () => {
    const dir = copyFixture();
    write(dir, 'models/curated/leak.sql', "{{ config(entity='leak') }}\nselect cast(email as bigint) as n from {{ ref('customer_trusted') }}\n");
    write(dir, 'models/curated/leak.yml', 'version: 2\nunit_tests:\n  - name: leak_unit\n    model: leak\n    given:\n      - input: ref(\'customer_trusted\')\n        rows:\n          - { email: unit.person@secret.example, name: Unit Person, n: 1, country: DE }\n    expect:\n      rows:\n        - { n: 1 }\n');
    const r = await stedi(dir, ['build', '--select', 'leak_unit']);
    expect(r.code, explain(r)).toBe(1);
    const printed = everythingPrinted(dir, r);
    expect(printed).toContain('leak_unit');
    expect(printed).not.toContain('unit.person@secret.example');
  });
});

describe('Athena errors over personal data', () => {
  let sim: HookedSimulator;
  fakeAwsEachTest((s) => {
    sim = s;
  });
  const { manifest, target } = compileProject({ 'models/emails.sql': "select cast(email as bigint) as n from {{ source('landing', 'customer') }}\n" });

  it("Athena's failure message is scrubbed before it is reported", async () => {
    deliverLanding(sim, 'tests/fixtures/mini/seeds/landing');
    sim.hooks.outcome = (sql) => (/^CREATE TABLE "stedi"\."emails__stedi_/.test(sql) ? { state: 'FAILED', error: { message: "INVALID_CAST_ARGUMENT: Cannot cast 'alice@mini.example' to BIGINT. Value 15551234567 out of range at 1987-02-03", category: 2, type: 1006 } } : undefined);
    const { results } = await build(target, manifest, adapterOptions());
    const r = results.find((x) => x.name === 'emails')!;
    expect(r.status).toBe('error');
    expect(r.message).toContain('INVALID_CAST_ARGUMENT: Cannot cast');
    const text = JSON.stringify(r);
    for (const v of ['alice@mini.example', '15551234567', '1987-02-03']) expect(text, v).not.toContain(v);
  });
});
