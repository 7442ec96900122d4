/**
 * The other commands and output modes: show (model and inline SQL, table and JSON), ls with
 * graph/tag/resource_type selectors, clean, --log-format json, --quiet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, removeFixtures, stedi, write } from '../helpers/stedi.js';

const CT_TESTS = ['test.mini.accepted_range_customer_trusted_n', 'test.mini.not_null_customer_trusted_email', 'test.mini.unique_customer_trusted_email'];
const UNIT = 'unit_test.mini.customer_trusted.customer_trusted_keeps_rows';

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('commands on a built project', () => {
  let dir: string;

  beforeAll(async () => {
    dir = copyFixture();
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
  });
  afterAll(removeFixtures);

  it('show --select <model> --limit 1 --output json prints a JSON array of row objects', async () => {
    const r = await stedi(dir, ['show', '--select', 'customer_trusted', '--limit', '1', '--output', 'json']);
    expect(r.code, explain(r)).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(Array.isArray(rows)).toBe(true);
    expect(rows).toHaveLength(1);
    // exactly the model's columns: the version folder must not leak in as a column
    expect(Object.keys(rows[0]!).sort()).toEqual(['country', 'email', 'n', 'name']);
  });

  it('show masks the columns that hold personal data unless --unmask, and says so on stderr', async () => {
    const r = await stedi(dir, ['show', '--select', 'customer_trusted', '--output', 'json']);
    expect(r.code, explain(r)).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThan(0);
    const masked = (v: unknown) => v === null || /^<masked #[0-9a-f]{4}>$/.test(String(v));
    expect(rows.filter((row) => row.email !== null).length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(masked(row.email), String(row.email)).toBe(true);
      expect(masked(row.name)).toBe(true);
      expect(String(row.country)).not.toMatch(/masked/);
    }
    expect(r.stderr).toContain('2 columns hold personal data and are masked: email, name (--unmask shows the values)');
    expect(r.stdout).not.toContain('@mini.example');
    // inline SQL is traced too: a copy of email under another name is still personal data
    const inline = await stedi(dir, ['show', '--inline', "select email as contact, n from {{ ref('customer_trusted') }}", '--output', 'json']);
    expect(inline.code, explain(inline)).toBe(0);
    for (const row of JSON.parse(inline.stdout) as Record<string, unknown>[]) {
      expect(masked(row.contact)).toBe(true);
      expect(typeof row.n).toBe('number');
    }
    const open = await stedi(dir, ['show', '--select', 'customer_trusted', '--output', 'json', '--unmask']);
    expect(open.code, explain(open)).toBe(0);
    expect(open.stdout).toContain('@mini.example');
    expect(open.stderr).toContain('showing personal data unmasked (--unmask): email, name');
  });

  it('show works on a seed and on a view, and refuses an ambiguous selection with exit 2', async () => {
    const seed = await stedi(dir, ['show', '--select', 'countries', '--output', 'json']);
    expect(seed.code, explain(seed)).toBe(0);
    expect(JSON.parse(seed.stdout)).toHaveLength(3);
    const view = await stedi(dir, ['show', '--select', 'customer_curated', '--limit', '2', '--output', 'json']);
    expect(view.code, explain(view)).toBe(0);
    expect(JSON.parse(view.stdout)).toHaveLength(2);
    const many = await stedi(dir, ['show', '--select', 'tag:customer']);
    expect(many.code, explain(many)).toBe(2);
    expect(many.stderr).toContain('--select must name exactly one model, seed or source (matched 2)');
  });

  it('show --inline renders ref() and prints a table', async () => {
    const r = await stedi(dir, ['show', '--inline', "select count(*) as n from {{ ref('customer_trusted') }}"]);
    expect(r.code, explain(r)).toBe(0);
    expect(lines(r.stdout)).toEqual(['+---+', '| n |', '+---+', '| 5 |', '+---+', '1 row']);
    const j = await stedi(dir, ['show', '--inline', "select code from {{ ref('countries') }} order by code", '--output', 'json']);
    expect(j.code, explain(j)).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual([{ code: 'DE' }, { code: 'FR' }, { code: 'IT' }]);
    // the throw-away inline model is not written to the manifest
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'target/manifest.json'), 'utf8')) as { nodes: Record<string, unknown> };
    expect(Object.keys(m.nodes).some((id) => id.includes('inline'))).toBe(false);
  });

  it('ls prints the ids of +model, tag: and resource_type: selections', async () => {
    const up = await stedi(dir, ['ls', '--select', '+customer_curated']);
    expect(up.code, explain(up)).toBe(0);
    expect(lines(up.stdout)).toEqual(
      ['model.mini.customer_curated', 'model.mini.customer_trusted', 'seed.mini.countries', 'source.mini.landing.customer', ...CT_TESTS, UNIT].sort(),
    );
    const tag = await stedi(dir, ['ls', '--select', 'tag:customer']);
    expect(lines(tag.stdout)).toEqual(['model.mini.customer_curated', 'model.mini.customer_trusted', ...CT_TESTS, UNIT].sort());
    const tests = await stedi(dir, ['ls', '--select', 'resource_type:test']);
    expect(lines(tests.stdout)).toEqual(CT_TESTS);
    const names = await stedi(dir, ['ls', '--resource-type', 'model', '--output', 'name']);
    expect(lines(names.stdout)).toEqual(['country_summary', 'customer_curated', 'customer_trusted', 'slow']);
    const none = await stedi(dir, ['ls', '--select', 'tag:nothing']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain("does not match any enabled nodes");
  });

  it('--log-format json emits one JSON object per line', async () => {
    const r = await stedi(dir, ['build', '--log-format', 'json']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stderr).toBe('');
    const objs = lines(r.stdout).map((l) => JSON.parse(l) as { ts: string; level: string; msg: string; index?: number; total?: number; node?: { unique_id: string; status: string } });
    for (const o of objs) {
      expect(typeof o.ts).toBe('string');
      expect(['info', 'warn', 'error']).toContain(o.level);
      expect(typeof o.msg).toBe('string');
    }
    const nodes = objs.filter((o) => o.node);
    expect(nodes).toHaveLength(10);
    expect(nodes.map((o) => o.index).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(nodes.find((o) => o.node!.unique_id === 'model.mini.customer_trusted')).toMatchObject({ level: 'info', msg: 'table trusted.customer_trusted', total: 10, node: { status: 'success', rows_affected: 5 } });
    expect(objs.at(-1)!.msg).toBe('Done. PASS=10 WARN=0 ERROR=0 SKIP=0 TOTAL=10');
  });

  it('--log-format json reports failures as error objects on stdout', async () => {
    const other = copyFixture();
    write(other, 'models/trusted/boom.sql', 'select no_such_column from range(1)\n');
    const r = await stedi(other, ['build', '--log-format', 'json']);
    expect(r.code, explain(r)).toBe(1);
    const objs = lines(r.stdout).map((l) => JSON.parse(l) as { level: string; msg: string; node?: { unique_id: string; status: string } });
    expect(objs.find((o) => o.node?.unique_id === 'model.mini.boom')).toMatchObject({ level: 'error', node: { status: 'error' } });
    expect(objs.some((o) => o.level === 'error' && o.msg.startsWith('Done. PASS=10 WARN=0 ERROR=1'))).toBe(true);
  });

  it('--quiet prints only errors and the summary', async () => {
    const ok = await stedi(dir, ['build', '--quiet']);
    expect(ok.code, explain(ok)).toBe(0);
    expect(ok.stderr).toBe('');
    expect(lines(ok.stdout)).toEqual(['Done. PASS=10 WARN=0 ERROR=0 SKIP=0 TOTAL=10']);

    const other = copyFixture();
    write(other, 'models/trusted/boom.sql', 'select no_such_column from range(1)\n');
    const bad = await stedi(other, ['build', '-q']);
    expect(bad.code, explain(bad)).toBe(1);
    expect(bad.stdout).toBe('');
    const err = lines(bad.stderr);
    expect(err[0]).toMatch(/^\d\d:\d\d:\d\d {2}\d+ of 11 ERROR table trusted\.boom /);
    expect(err.some((l) => l.startsWith('Failure in model boom: '))).toBe(true);
    expect(err.at(-1)).toBe('Done. PASS=10 WARN=0 ERROR=1 SKIP=0 TOTAL=11');
    expect(err.some((l) => / OK /.test(l))).toBe(false);
  });

  it('clean removes target/ and nothing else', async () => {
    expect(fs.existsSync(path.join(dir, 'target/manifest.json'))).toBe(true);
    const r = await stedi(dir, ['clean']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain('Removed target/');
    expect(fs.existsSync(path.join(dir, 'target'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'lake/stedi.duckdb'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'models/trusted/customer_trusted.sql'))).toBe(true);
    // the published tables are still there to read
    const show = await stedi(dir, ['show', '--inline', "select count(*) as n from {{ ref('customer_trusted') }}", '--output', 'json']);
    expect(JSON.parse(show.stdout)).toEqual([{ n: 5 }]);
  });
});

describe('show before any build', () => {
  afterAll(removeFixtures);
  it('explains that nothing has been built yet', async () => {
    const dir = copyFixture();
    const r = await stedi(dir, ['show', '--select', 'customer_trusted']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('nothing has been built on this target yet (run stedi build)');
    expect(fs.existsSync(path.join(dir, 'lake/stedi.duckdb'))).toBe(false);
  });
});

describe('project warnings', () => {
  it('a build on the local target prints them (a YAML warning, with file and line)', async () => {
    const dir = copyFixture();
    write(dir, 'models/extra.yml', 'version: 2\nseeds:\n  - name: countries\n    description: !weird x\n');
    const r = await stedi(dir, ['build', '-s', 'countries']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stderr).toMatch(/W_YAML models\/extra\.yml:4: YAML warning: Unresolved tag: !weird/);
  });
});
