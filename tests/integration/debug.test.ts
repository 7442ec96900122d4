/**
 * `stedi debug` through the real CLI on the local target: versions, the project, the target, the
 * lake folder, the catalog (read-only; a build holding it is reported, not waited for or
 * disturbed; a damaged one is an error with its hint) and the key by its fingerprint. The athena
 * checks are in tests/unit/cli/debug.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../runner/landing/derive.js';
import { copyFixture, copyProjectInto, explain, removeFixtures, REPO, start, stedi } from '../helpers/stedi.js';

const made: string[] = [];
afterAll(() => {
  removeFixtures();
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const line = (out: string, name: string) => out.split('\n').find((l) => new RegExp(`^(OK|ERROR|SKIP) +${name} `).test(l));

describe('stedi debug (trino target)', () => {
  it('says where the coordinator is, checks the key, and says its engine is not checked (no AWS check is run)', async () => {
    const r = await stedi(REPO, ['debug', '--target', 'trino'], { env: { STEDI_TRINO_URL: 'http://127.0.0.1:1', STEDI_SUBJECT_KEY: '0123456789abcdef0123' } });
    expect(r.code, explain(r)).toBe(0);
    expect(line(r.stdout, 'target')).toBe('OK    target      trino (trino), chosen by --target, coordinator http://127.0.0.1:1, catalog iceberg, schema stedi, user stedi');
    expect(line(r.stdout, 'engine')).toBe("SKIP  engine      not checked: stedi debug has no checks of the trino target's engine yet");
    expect(line(r.stdout, 'key')).toMatch(/^OK +key +STEDI_SUBJECT_KEY, fingerprint [0-9a-f]{16}$/);
    expect(r.stdout).not.toMatch(/credentials|workgroup/);
  });
});

describe('stedi debug (local target)', () => {
  it('before and after a build: every check OK, exit 0; nothing created', async () => {
    const dir = copyFixture();
    const r = await stedi(dir, ['debug']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^stedi \S+ · Node\.js v\d+\.\d+\.\d+ · DuckDB v\d+\.\d+\.\d+ \(@duckdb\/node-api \S+\) · AWS SDK for JavaScript v3 \d+\.\d+\.\d+$/);
    expect(line(r.stdout, 'project')).toMatch(/^OK +project +stedi_project.yml is valid: project 'mini'/);
    expect(line(r.stdout, 'target')).toBe('OK    target      local (duckdb), chosen by default-target, lake lake/');
    expect(line(r.stdout, 'lake')).toBe('OK    lake        lake/ does not exist yet; the first build creates it (./ is writable)');
    expect(line(r.stdout, 'catalog')).toBe('OK    catalog     lake/stedi.duckdb does not exist yet; the first build creates it');
    expect(r.stdout).toContain('All checks passed.');
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'target'))).toBe(false);

    expect((await stedi(dir, ['build', '-q'])).code).toBe(0);
    const after = await stedi(dir, ['debug', '--target', 'local']);
    expect(after.code, explain(after)).toBe(0);
    expect(line(after.stdout, 'target')).toContain('chosen by --target');
    expect(line(after.stdout, 'catalog')).toMatch(/^OK +catalog +lake\/stedi\.duckdb opens read-only and reads through; \d+ relations published as of /);
  }, 120_000);

  it('a catalog held by a running build is reported (with its pid), not waited for; the build is not disturbed', async () => {
    const dir = copyFixture();
    const build = start(dir, ['build', '--vars', '{slow_rows: 7000}']);
    await build.waitFor(/ \d+ of \d+ /);
    const r = await stedi(dir, ['debug']);
    expect(r.code, explain(r)).toBe(0);
    expect(line(r.stdout, 'catalog')).toMatch(new RegExp(`^OK +catalog +lake/stedi\\.duckdb is held by a running build \\(pid ${build.child.pid}\\): not opened; `));
    const done = await build.exited;
    expect(done.code, explain(done)).toBe(0);
  }, 120_000);

  it('a damaged catalog, a wrong target and a missing project are errors with hints (exit 1)', async () => {
    const dir = copyFixture();
    fs.mkdirSync(path.join(dir, 'lake'));
    fs.writeFileSync(path.join(dir, 'lake/stedi.duckdb'), 'this is not a DuckDB database file'.repeat(200));
    const damaged = await stedi(dir, ['debug']);
    expect(damaged.code, explain(damaged)).toBe(1);
    expect(line(damaged.stdout, 'catalog')).toMatch(/^ERROR catalog +the lake catalog lake\/stedi\.duckdb cannot be read: it is damaged .*\(hint: stedi recover\)$/);
    expect(damaged.stderr).toContain('1 check failed');

    const wrong = await stedi(dir, ['debug', '-t', 'locl']);
    expect(wrong.code).toBe(1);
    expect(line(wrong.stdout, 'target')).toMatch(/^ERROR target .*target 'locl' is not defined .*\(hint: did you mean 'local'\?\)/);
    expect(line(wrong.stdout, 'lake')).toBeUndefined();

    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-debug-'));
    made.push(empty);
    const none = await stedi(empty, ['debug']);
    expect(none.code).toBe(1);
    expect(line(none.stdout, 'project')).toBe(`ERROR project     no stedi_project.yml in ${fs.realpathSync(empty)} (hint: run stedi in the project folder, pass --project-dir, or start one with stedi init)`);
  }, 120_000);

  it('the STEDI project: the key by its fingerprint, never its value; a malformed key is an error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-debug-'));
    made.push(dir);
    copyProjectInto(dir);
    const key = 'debug-test-subject-key-0123456789';
    const ok = await stedi(dir, ['debug'], { env: { STEDI_SUBJECT_KEY: key } });
    expect(ok.code, explain(ok)).toBe(0);
    expect(line(ok.stdout, 'key')).toBe(`OK    key         STEDI_SUBJECT_KEY, fingerprint ${keyFingerprint(Buffer.from(key))}`);
    expect(ok.stdout + ok.stderr).not.toContain(key);
    const none = await stedi(dir, ['debug']);
    expect(line(none.stdout, 'key')).toBe('OK    key         no key yet: the first build creates a random one in .stedi/subject_key (set STEDI_SUBJECT_KEY to use your own)');
    expect(fs.existsSync(path.join(dir, '.stedi'))).toBe(false);
    const bad = await stedi(dir, ['debug'], { env: { STEDI_SUBJECT_KEY: 'short-key' } });
    expect(bad.code).toBe(1);
    expect(line(bad.stdout, 'key')).toMatch(/^ERROR key +STEDI_SUBJECT_KEY is too short/);
    expect(bad.stdout + bad.stderr).not.toContain('short-key');
  }, 120_000);
});
