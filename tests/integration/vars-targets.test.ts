/**
 * --vars / STEDI_VARS change where a source reads from; --target / STEDI_TARGET pick the
 * target (here: a second DuckDB lake).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, keptDirs, ndjson, publishedDirs, query, readJson, removeFixtures, runResults, snapshot, stedi, versionDirs, write, zoneDirs } from '../helpers/stedi.js';

afterAll(removeFixtures);

/** A project whose `other/dir` landing holds one customer that the default landing does not. */
function withOtherLanding(): string {
  const dir = copyFixture();
  write(dir, 'other/dir/customer/landing/x.json', ndjson([{ email: 'zed@other.example', name: 'Zed', n: 42, country: 'IT' }]));
  write(dir, 'third/customer/landing/x.json', ndjson([{ email: 'yan@third.example', name: 'Yan', n: 7, country: 'FR' }]));
  return dir;
}

const emails = async (dir: string, catalog?: string) => (await query(dir, 'select email from trusted.customer_trusted order by n', catalog)).map((r) => r.email);

describe('vars', () => {
  it('--vars moves the source location', async () => {
    const dir = withOtherLanding();
    const r = await stedi(dir, ['build', '--vars', '{landing_root: other/dir}']);
    expect(r.code, explain(r)).toBe(0);
    expect(await emails(dir)).toEqual(['zed@other.example']);
    const m = readJson(dir, 'target/manifest.json');
    expect(m.metadata.vars.landing_root).toBe('other/dir');
    expect(m.nodes['source.mini.landing.customer'].location).toBe('other/dir/customer/landing');
  });

  it('STEDI_VARS moves it too, and --vars wins over STEDI_VARS', async () => {
    const dir = withOtherLanding();
    const env = await stedi(dir, ['build', '--select', '+customer_trusted'], { env: { STEDI_VARS: '{landing_root: other/dir}' } });
    expect(env.code, explain(env)).toBe(0);
    expect(await emails(dir)).toEqual(['zed@other.example']);

    const both = await stedi(dir, ['build', '--select', '+customer_trusted', '--vars', '{landing_root: third}'], { env: { STEDI_VARS: '{landing_root: other/dir, slow_rows: 3}' } });
    expect(both.code, explain(both)).toBe(0);
    expect(await emails(dir)).toEqual(['yan@third.example']);
    // the layers merge key by key: slow_rows still comes from STEDI_VARS
    expect(readJson(dir, 'target/manifest.json').metadata.vars).toMatchObject({ landing_root: 'third', slow_rows: 3 });

    const none = await stedi(dir, ['build', '--select', '+customer_trusted']);
    expect(none.code, explain(none)).toBe(0);
    expect(await emails(dir)).toHaveLength(5);
  });

  it('a location that does not exist is an error naming it; an existing folder without files gives an empty table', async () => {
    const dir = copyFixture();
    const r = await stedi(dir, ['build', '--select', '+customer_trusted', '--vars', '{landing_root: nowhere}']);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stdout + r.stderr).toContain('the landing folder nowhere/customer/landing does not exist');
    fs.mkdirSync(path.join(dir, 'nowhere/customer/landing'), { recursive: true });
    const empty = await stedi(dir, ['build', '--select', '+customer_trusted', '--vars', '{landing_root: nowhere}']);
    expect(empty.code, explain(empty)).toBe(0);
    // a source without any record warns (the first build here: nothing published to compare with)
    expect(empty.stdout).toMatch(/WARN source landing\.customer /);
    expect(await emails(dir)).toEqual([]);
  });
});

describe('targets', () => {
  it('STEDI_TARGET and --target pick the target; --target wins', async () => {
    const dir = copyFixture();
    const viaEnv = await stedi(dir, ['build'], { env: { STEDI_TARGET: 'alt' } });
    expect(viaEnv.code, explain(viaEnv)).toBe(0);
    expect(viaEnv.stdout).toContain('on target alt (duckdb)');
    expect(viaEnv.stdout).toContain('2 threads');
    expect(runResults(dir).metadata.target).toBe('alt');
    expect(fs.existsSync(path.join(dir, 'alt_lake/stedi.duckdb'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
    expect(zoneDirs(dir, 'alt_lake')).toHaveLength(4);
    expect(await emails(dir, 'alt_lake/stedi.duckdb')).toHaveLength(5);

    const viaFlag = await stedi(dir, ['build', '--target', 'local', '--select', 'countries'], { env: { STEDI_TARGET: 'alt' } });
    expect(viaFlag.code, explain(viaFlag)).toBe(0);
    expect(viaFlag.stdout).toContain('on target local (duckdb)');
    expect(runResults(dir).metadata.target).toBe('local');
    expect(versionDirs(dir).map((d) => d.replace(/\/v=.*/, ''))).toEqual(['lake/countries/seeds/countries']);
    // the alt lake was left alone
    expect(zoneDirs(dir, 'alt_lake')).toHaveLength(4);

    const show = await stedi(dir, ['show', '--target', 'alt', '--inline', "select count(*) as n from {{ ref('customer_trusted') }}", '--output', 'json']);
    expect(show.code, explain(show)).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual([{ n: 5 }]);
  });

  it('the same lake named by an absolute path keeps every published version', async () => {
    const dir = copyFixture();
    const first = await stedi(dir, ['build']);
    expect(first.code, explain(first)).toBe(0);
    const before = await snapshot(dir);
    // only countries is rebuilt (--no-reuse: its inputs did not change); the other tables' versions were recorded with relative paths
    const abs = await stedi(dir, ['build', '--select', 'countries', '--no-reuse'], { env: { MINI_LAKE: path.join(dir, 'lake') } });
    expect(abs.code, explain(abs)).toBe(0);
    expect(await snapshot(dir)).toEqual(before);
    // 4 tables and the customer source's two landing tables; countries also keeps its previous version
    expect(await publishedDirs(dir)).toHaveLength(6);
    expect(versionDirs(dir)).toEqual(await keptDirs(dir));
    expect(versionDirs(dir)).toHaveLength(7);
    const back = await stedi(dir, ['build', '--no-reuse']);
    expect(back.code, explain(back)).toBe(0);
    expect(await snapshot(dir)).toEqual(before);
    expect(await publishedDirs(dir)).toHaveLength(6);
    expect(versionDirs(dir)).toEqual(await keptDirs(dir));
    expect(versionDirs(dir)).toHaveLength(12);
  });
});
