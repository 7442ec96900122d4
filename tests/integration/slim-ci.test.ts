/**
 * Slim CI through the real CLI on the mini project: --state with state:modified, --defer, stedi
 * retry and the result: method, against manifests and run results that earlier builds wrote.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, readJson, removeFixtures, runResults, stedi, write } from '../helpers/stedi.js';

const made: string[] = [];
afterAll(() => {
  removeFixtures();
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const TRUSTED = 'models/trusted/customer_trusted.sql';

/** A copy of the project's target folder, as a CI job would keep the main branch's. */
function keepState(dir: string): string {
  const st = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-state-'));
  made.push(st);
  fs.cpSync(path.join(dir, 'target'), st, { recursive: true });
  return st;
}

async function ok(dir: string, args: string[], code = 0) {
  const r = await stedi(dir, args);
  expect(r.code, explain(r)).toBe(code);
  return r;
}

/** Names of the models and seeds the last command ran (reused or not), and of every node it reported. */
function ran(dir: string): { tables: string[]; all: string[] } {
  const rs = runResults(dir).results;
  return { tables: rs.filter((r) => r.resource_type === 'model' || r.resource_type === 'seed').map((r) => r.name).sort(), all: rs.map((r) => r.unique_id).sort() };
}

describe('--state with state:modified', () => {
  it('builds exactly the edited model and its children, reading the rest from what is published', async () => {
    const dir = copyFixture('mini');
    await ok(dir, ['build']);
    const st = keepState(dir);
    write(dir, TRUSTED, fs.readFileSync(path.join(dir, TRUSTED), 'utf8').replace('select email, name, n, country', 'select email, name, n, country, 1 as extra'));

    const ls = await ok(dir, ['ls', '-s', 'state:modified', '--state', st, '--output', 'name', '--resource-type', 'model', 'seed']);
    expect(ls.stdout.trim().split('\n')).toEqual(['customer_trusted']);

    await ok(dir, ['build', '-s', 'state:modified+', '--state', st]);
    const { tables, all } = ran(dir);
    expect(tables).toEqual(['customer_curated', 'customer_trusted']);
    // its tests come with it; the source it reads is ingested; nothing else runs
    expect(all).toEqual([
      'model.mini.customer_curated', 'model.mini.customer_trusted', 'source.mini.landing.customer',
      'test.mini.accepted_range_customer_trusted_n', 'test.mini.not_null_customer_trusted_email', 'test.mini.unique_customer_trusted_email',
      'unit_test.mini.customer_trusted.customer_trusted_keeps_rows',
    ]);
    expect(runResults(dir).args).toMatchObject({ select: ['state:modified+'], state: st });

    // an edited seed is modified by its file's bytes; +state:modified adds its parents (none)
    fs.appendFileSync(path.join(dir, 'seeds/countries.csv'), 'IT,Italy\n');
    const seed = await ok(dir, ['ls', '-s', 'state:modified.body', '--state', st, '--output', 'name', '--resource-type', 'model', 'seed']);
    expect(seed.stdout.trim().split('\n').sort()).toEqual(['countries', 'customer_trusted']);
  });

  it('refuses a state manifest of another schema version or another project, naming the file; nothing runs', async () => {
    const dir = copyFixture('mini');
    await ok(dir, ['compile']);
    const st = keepState(dir);
    const file = path.join(st, 'manifest.json');
    const m = readJson(st, 'manifest.json');
    fs.writeFileSync(file, JSON.stringify({ ...m, metadata: { ...m.metadata, schema_version: 1 } }));
    const old = await ok(dir, ['build', '-s', 'state:modified+', '--state', st], 2);
    expect(old.stderr).toContain(file);
    expect(old.stderr).toContain('schema version 1');
    expect(old.stdout).not.toContain('Running with');
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);

    fs.writeFileSync(file, JSON.stringify({ ...m, metadata: { ...m.metadata, project_name: 'other' } }));
    const other = await ok(dir, ['ls', '-s', 'state:modified', '--state', st], 2);
    expect(other.stderr).toContain("project 'other'");

    fs.rmSync(file);
    const none = await ok(dir, ['ls', '-s', 'state:modified', '--state', st], 2);
    expect(none.stderr).toContain(`no stedi manifest at ${file}`);
    // without --state the method is a usage error, not "nothing modified"
    const bare = await ok(dir, ['ls', '-s', 'state:modified'], 2);
    expect(bare.stderr).toContain('needs --state');
  });
});

describe('--defer', () => {
  it('stops before anything runs when a table it would read is not published here, and runs when it is', async () => {
    const dir = copyFixture('mini');
    await ok(dir, ['compile']);
    const st = keepState(dir);
    const r = await ok(dir, ['build', '-s', 'customer_curated', '--defer', '--state', st], 2);
    expect(r.stderr).toContain('not published on target local; nothing was run');
    expect(r.stderr).toMatch(/customer_trusted \(read by customer_curated\)/);
    expect(r.stderr).toMatch(/countries \(read by customer_curated\)/);
    expect(fs.existsSync(path.join(dir, 'target/run_results.json'))).toBe(false);

    await ok(dir, ['build', '--exclude', 'customer_curated']);
    await ok(dir, ['build', '-s', 'customer_curated', '--defer', '--state', st]);
    expect(ran(dir).tables).toEqual(['customer_curated']);
    expect((await ok(dir, ['build', '--defer'], 2)).stderr).toContain('--defer needs --state');
  });
});

describe('stedi retry and result:', () => {
  it('runs again only what failed or was skipped, with the recorded command and options; then there is nothing to retry', async () => {
    const dir = copyFixture('mini');
    const good = fs.readFileSync(path.join(dir, TRUSTED), 'utf8');
    // no email in the landing data is of @unit.test: not_null fails on the build, the unit test still passes
    write(dir, TRUSTED, good.replace('select email,', "select case when email like '%@unit.test' then email end as email,"));
    await ok(dir, ['build', '--threads', '2', '--vars', '{slow_rows: 1}'], 1);
    const failed = runResults(dir);
    const byId = Object.fromEntries(failed.results.map((r) => [r.unique_id, r.status]));
    expect(byId['test.mini.not_null_customer_trusted_email']).toBe('fail');
    expect(byId['model.mini.customer_curated']).toBe('skipped');
    expect(byId['model.mini.slow']).toBe('success');

    // result: reads the run results of the --state folder
    const st = keepState(dir);
    const ls = await ok(dir, ['ls', '-s', 'result:fail', 'result:skipped', '--state', st, '--output', 'name', '--resource-type', 'test', 'model']);
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['customer_curated', 'not_null_customer_trusted_email']);

    write(dir, TRUSTED, good);
    const r = await ok(dir, ['retry']);
    expect(r.stdout).toContain('Retrying the last stedi build on target local');
    const again = runResults(dir);
    expect(ran(dir).tables).toEqual(['customer_curated', 'customer_trusted']);
    expect(again.results.map((x) => x.resource_type === 'test' || x.resource_type === 'model' ? x.status : 'ok').every((s) => ['success', 'pass', 'ok'].includes(s))).toBe(true);
    expect(again.metadata.command).toBe('build');
    // the recorded options came along: the vars (the slow model was not rebuilt under other vars) and threads
    expect(again.args).toMatchObject({ threads: 2, vars: '{slow_rows: 1}', retry: true });
    expect(readJson(dir, 'target/manifest.json').metadata.vars).toMatchObject({ slow_rows: 1 });

    const nothing = await ok(dir, ['retry']);
    expect(nothing.stdout).toContain('Nothing to retry');
    expect(nothing.stdout).not.toContain('Running with');
  });

  it('refuses a run_results.json it cannot read, naming it', async () => {
    const dir = copyFixture('mini');
    write(dir, 'target/run_results.json', JSON.stringify({ metadata: { schema_version: 0, invocation_id: 'x', command: 'build', target: 'local' }, args: {}, results: [] }));
    const r = await ok(dir, ['retry'], 2);
    expect(r.stderr).toContain(path.join('target', 'run_results.json'));
    expect(r.stderr).toContain('schema version 0');
  });
});
