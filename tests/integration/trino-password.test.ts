/**
 * Password authentication against a real Trino 476 configured for it: a second server, started
 * here by `scripts/trino.sh start` with STEDI_TRINO_PASSWORD_DB (Trino's file authenticator, a
 * PBKDF2 line made here; https on 127.0.0.1 with a certificate made at start: Trino takes a
 * password over https only) and stopped at the end. The right password builds; a wrong one and
 * none fail with stedi's error, which never holds the password. Runs where the other Trino tests
 * run (STEDI_TRINO_URL: Trino is installed); costs one server start (~30 s, 3 GB heap).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../runner/execute/results.js';
import { copyFixture, explain, readJson, removeFixtures, REPO, stedi, write } from '../helpers/stedi.js';

const AVAILABLE = !!process.env.STEDI_TRINO_URL;
const PASSWORD = `pw-${crypto.randomBytes(9).toString('hex')}`;
const run = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-trino-pw-'));
const script = (cmd: string, extra: Record<string, string> = {}) =>
  spawnSync('bash', [path.join(REPO, 'scripts/trino.sh'), cmd], { encoding: 'utf8', env: { ...process.env, STEDI_TRINO_RUN: path.join(run, 'server'), STEDI_TRINO_HEAP: '3G', ...extra } });

/** Trino's file authenticator line for PBKDF2: `user:iterations:salt:hash`, hex, HMAC-SHA1 (as Trino checks it). */
function pbkdf2Line(user: string, password: string): string {
  const salt = crypto.randomBytes(16);
  return `${user}:4096:${salt.toString('hex')}:${crypto.pbkdf2Sync(password, salt, 4096, 32, 'sha1').toString('hex')}\n`;
}

let server: { url: string; ca: string } | undefined;

describe.skipIf(!AVAILABLE)('the trino target against a Trino that asks for a password', () => {
  beforeAll(() => {
    const db = path.join(run, 'password.db');
    fs.writeFileSync(db, pbkdf2Line('stedi', PASSWORD), { mode: 0o600 });
    const started = script('start', { STEDI_TRINO_PASSWORD_DB: db });
    expect(started.status, started.stdout + started.stderr).toBe(0);
    const env = Object.fromEntries([...script('env').stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    server = { url: env.STEDI_TRINO_URL!, ca: env.STEDI_TRINO_CA! };
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  }, 180_000);
  afterAll(() => {
    script('stop');
    fs.rmSync(run, { recursive: true, force: true });
    removeFixtures();
  });

  function project(): string {
    const dir = copyFixture('mini');
    const yml = path.join(dir, 'stedi_project.yml');
    const target = `  trino: { type: trino, url: "{{ env_var('STEDI_TRINO_URL') }}", schema: stedi_pw, threads: 1 }\n`;
    fs.writeFileSync(yml, fs.readFileSync(yml, 'utf8').replace(/^targets:\n/m, `targets:\n${target}`));
    write(dir, 'models/curated/items.sql', "{{ config(entity='items') }}\nselect x from unnest(sequence(1, 3)) as t(x)\n");
    return dir;
  }
  const build = (dir: string, password?: string) =>
    stedi(dir, ['build', '--target', 'trino', '-s', 'items'], { env: { STEDI_TRINO_URL: server!.url, NODE_EXTRA_CA_CERTS: server!.ca, STEDI_TRINO_PASSWORD: password }, timeoutMs: 120_000 });

  it('builds with the right password, and says clearly (without the password) when it is wrong or missing', async () => {
    const dir = project();
    const ok = await build(dir, PASSWORD);
    expect(ok.code, explain(ok)).toBe(0);
    expect(readJson<RunResults>(dir, 'target/run_results.json').results.find((r) => r.name === 'items')?.rows_affected).toBe(3);

    const wrong = await build(dir, `${PASSWORD}-not`);
    expect(wrong.code, explain(wrong)).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toContain(`the Trino coordinator at ${server!.url} (401: Access Denied: Invalid credentials) refused the password of user 'stedi': check STEDI_TRINO_PASSWORD`);
    expect(wrong.stdout + wrong.stderr).not.toContain(PASSWORD);

    const none = await build(dir);
    expect(none.code, explain(none)).not.toBe(0);
    expect(none.stdout + none.stderr).toContain(`the Trino coordinator at ${server!.url} (401: Unauthorized) asks user 'stedi' for a password: set STEDI_TRINO_PASSWORD`);
  }, 300_000);
});
