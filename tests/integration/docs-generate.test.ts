/**
 * `stedi docs generate` through the real CLI, and the PII policy of column lineage stopping
 * `stedi compile` and `stedi build` with the column path (the page itself: tests/browser).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, readJson, removeFixtures, stedi, write } from '../helpers/stedi.js';

afterAll(removeFixtures);

describe('stedi docs generate', () => {
  it('writes a self-contained index.html and lineage.json, with run results when present', async () => {
    const dir = copyFixture();
    const build = await stedi(dir, ['build', '-q']);
    expect(build.code, explain(build)).toBe(0);
    const r = await stedi(dir, ['docs', 'generate']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/Wrote target\/docs\/index\.html and lineage\.json: \d+ nodes, \d+ model columns traced, 3 with an unresolved origin, results of 'build'/); // slow.sql reads the table function range()
    const html = fs.readFileSync(path.join(dir, 'target/docs/index.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(\s*['"]?(https?:)?\/\//i);
    expect(html).toContain("default-src 'none'");
    const lineage = readJson(dir, 'target/docs/lineage.json');
    expect(lineage.schema_version).toBe(1);
    expect(lineage.nodes['model.mini.customer_trusted'].columns.email).toEqual({
      pii: 'pii', declared_pii: true, upstream: [{ node: 'source.mini.landing.customer', column: 'email', via: 'direct' }], unresolved: [],
    });
    expect(lineage.edges).toContainEqual({ from: 'source.mini.landing.customer', to: 'model.mini.customer_trusted' });
    expect(fs.existsSync(path.join(dir, 'target/manifest.json'))).toBe(true);
  });

  it('works before any run, without run_results.json', async () => {
    const dir = copyFixture();
    const r = await stedi(dir, ['docs', 'generate']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).not.toContain('results of');
  });
});

describe('pii_allowed: false through the CLI', () => {
  const LEAK = "{{ config(pii_allowed=false) }}\nselect country,\n  lower(email) as contact\nfrom {{ ref('customer_trusted') }}\n";
  const MESSAGE = 'error E_PII_LINEAGE models/curated/leak.sql:3: leak.contact is derived from personal data, and leak has pii_allowed: false: leak.contact <- customer_trusted.email <- landing.customer.email (meta.pii)';

  it('stedi compile and stedi build stop with exit 2, naming the column path; nothing is built', async () => {
    const dir = copyFixture();
    write(dir, 'models/curated/leak.sql', LEAK);
    for (const cmd of ['compile', 'build']) {
      const r = await stedi(dir, [cmd]);
      expect(r.code, explain(r)).toBe(2);
      expect(r.stderr).toContain(MESSAGE);
      expect(r.stderr).toContain('hint: use the pseudonym a landing source derives at ingestion');
    }
    expect(fs.existsSync(path.join(dir, 'lake/stedi.duckdb'))).toBe(false);
  });
});
