/**
 * A command that reads a table it neither builds nor finds published: the node says which table,
 * before any query, instead of an engine error on a missing relation. Through the real CLI on the
 * mini project (DuckDB).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, removeFixtures, runResults, stedi } from '../helpers/stedi.js';

afterAll(() => removeFixtures());

/** The mini project with a test of customer_curated that reads customer_trusted too. */
function project(): string {
  const dir = copyFixture('mini');
  const yml = path.join(dir, 'models/trusted/schema.yml');
  const text = fs.readFileSync(yml, 'utf8').replace(
    '  - name: customer_curated\n    columns:\n      - name: email\n        meta: { pii: true }\n',
    "  - name: customer_curated\n    columns:\n      - name: email\n        meta: { pii: true }\n        tests:\n          - relationships: { to: ref('customer_trusted'), field: email }\n",
  );
  expect(text).toContain('relationships');
  fs.writeFileSync(yml, text);
  return dir;
}

const result = (dir: string, name: string) => {
  const r = runResults(dir).results.find((x) => x.name === name);
  expect(r, name).toBeDefined();
  return r!;
};
const REL = 'relationships_customer_curated_email_ref_customer_trusted_email';

describe('a table read but neither built nor published', () => {
  it('a model whose parent is missing fails naming it, without a query; its tests are skipped', async () => {
    const dir = project();
    const r = await stedi(dir, ['build', '-s', 'customer_curated']);
    expect(r.code, explain(r)).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).not.toMatch(/Catalog Error|does not exist|<redacted>/);
    const m = result(dir, 'customer_curated');
    expect(m.status).toBe('error');
    expect(m.not_published).toEqual(['model.mini.customer_trusted', 'seed.mini.countries']);
    expect(m.message).toContain('model trusted.customer_trusted, seed');
    expect(m.message).toContain('not published on target');
    expect(m.message).toContain('stedi build -s +customer_curated');
    expect(out).toContain('stedi build -s +customer_curated');
    // the test that gates it is skipped with it, never run on a missing table
    expect(result(dir, REL)).toMatchObject({ status: 'skipped', skipped_because: 'model.mini.customer_curated' });
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(true);

    // the same selection with its parents builds
    const plus = await stedi(dir, ['build', '-s', '+customer_curated']);
    expect(plus.code, explain(plus)).toBe(0);
    expect(result(dir, 'customer_curated').status).toBe('success');
    expect(result(dir, REL).status).toBe('pass');
  });

  it('build: a test of an unselected table that was never built is skipped, and said so; test: it is an error', async () => {
    const dir = project();
    const b = await stedi(dir, ['build', '-s', 'customer_trusted']);
    expect(b.code, explain(b)).toBe(0);
    const rel = result(dir, REL);
    expect(rel).toMatchObject({ status: 'skipped', not_published: ['model.mini.customer_curated'] });
    expect(rel.message).toContain('model curated.customer_curated');
    expect(b.stdout + b.stderr).toContain('1 test was skipped: it reads customer_curated, neither built by this command nor published on this target');
    expect(b.stdout + b.stderr).toMatch(/SKIP=1 /);
    expect(result(dir, 'unique_customer_trusted_email').status).toBe('pass');

    // stedi show names the table that is not published, for a selection and for inline SQL
    for (const args of [['show', '-s', 'customer_curated'], ['show', '--inline', "select count(*) as n from {{ ref('customer_curated') }} join {{ ref('customer_trusted') }} using (email)"]]) {
      const sh = await stedi(dir, args);
      expect(sh.code, explain(sh)).toBe(1);
      expect(sh.stderr).toContain('customer_curated is not published on target');
      expect(sh.stderr).toContain('stedi build -s +customer_curated');
      expect(sh.stderr).not.toMatch(/Catalog Error|does not exist/);
    }
    const shown = await stedi(dir, ['show', '--inline', "select count(*) as n from {{ ref('customer_trusted') }}", '--output', 'json']);
    expect(shown.code, explain(shown)).toBe(0);

    const t = await stedi(dir, ['test']);
    expect(t.code, explain(t)).toBe(1);
    expect(t.stdout + t.stderr).not.toMatch(/Catalog Error|does not exist|<redacted>/);
    const err = result(dir, REL);
    expect(err).toMatchObject({ status: 'error', not_published: ['model.mini.customer_curated'] });
    expect(err.message).toContain('stedi build -s +customer_curated');
    // what is published is tested as usual
    expect(result(dir, 'unique_customer_trusted_email').status).toBe('pass');

    // once it is built, the same test runs under both commands
    expect((await stedi(dir, ['build'])).code).toBe(0);
    const again = await stedi(dir, ['build', '-s', 'customer_trusted', '--no-reuse']);
    expect(again.code, explain(again)).toBe(0);
    expect(result(dir, REL).status).toBe('pass');
    expect((await stedi(dir, ['test'])).code).toBe(0);
    expect(result(dir, REL).status).toBe('pass');
  });
});
