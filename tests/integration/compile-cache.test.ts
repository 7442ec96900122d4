/**
 * The compile cache (runner/cli/compile-cache.ts): a command uses the previous compile only when
 * every input of it is the same — the project's files, the target, --vars, the project folder,
 * the environment variables the compile read, stedi's code — and never trusts a damaged file.
 * Real CLI on a copy of the STEDI project.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyStediProject, explain, removeFixtures, stedi, tempDir } from '../helpers/stedi.js';

afterAll(removeFixtures);
const project = () => copyStediProject('stedi-ccache-');

const CACHED = /from the compile cache/;
/** This machine user's cache key lives under XDG_CACHE_HOME: one folder per "machine". */
const machine = () => tempDir('stedi-ccache-home-');
const HOME = machine();
const ENV = { STEDI_TARGET: undefined, STEDI_VARS: undefined, STEDI_THREADS: undefined, STEDI_COMPILE_CACHE: undefined, XDG_CACHE_HOME: HOME };

async function compile(dir: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<{ cached: boolean; manifest: Record<string, any> }> {
  const r = await stedi(dir, ['compile', ...args], { env: { ...ENV, ...env } });
  expect(r.code, explain(r)).toBe(0);
  return { cached: CACHED.test(r.stdout), manifest: JSON.parse(fs.readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')) };
}

/** The manifest without the time it was written. */
const stable = (m: Record<string, any>) => ({ ...m, metadata: { ...m.metadata, generated_at: undefined } });

describe('compile cache', () => {
  const dir = project();

  it('a second compile of the same project is the cached one, with the same manifest and a new generated_at', async () => {
    const first = await compile(dir);
    expect(first.cached).toBe(false);
    expect(fs.existsSync(path.join(dir, 'target', 'compile_cache.json'))).toBe(true);
    const second = await compile(dir);
    expect(second.cached).toBe(true);
    expect(stable(second.manifest)).toEqual(stable(first.manifest));
    expect(second.manifest.metadata.generated_at).not.toBe(first.manifest.metadata.generated_at);
  });

  it('a changed model, a changed --vars, another target: compiled again, and the new manifest shows the change', async () => {
    const model = path.join(dir, 'models/curated/customer_curated.sql');
    const text = fs.readFileSync(model, 'utf8');
    fs.writeFileSync(model, text.replace('    c.subject_key\nfrom', '    c.subject_key -- edited\nfrom'));
    const edited = await compile(dir);
    expect(edited.cached).toBe(false);
    expect(edited.manifest.nodes['model.stedi.customer_curated'].compiled_code).toContain('-- edited');
    expect((await compile(dir)).cached).toBe(true);
    const vars = await compile(dir, ['--vars', '{consent_policy: any_time}']);
    expect(vars.cached).toBe(false);
    expect(vars.manifest.metadata.vars.consent_policy).toBe('any_time');
    expect((await compile(dir, ['--vars', '{consent_policy: any_time}'])).cached).toBe(true);
    const athena = await compile(dir, ['--vars', '{consent_policy: any_time}', '--target', 'athena']);
    expect(athena.cached).toBe(false);
    expect(athena.manifest.metadata.target.type).toBe('athena');
    // back to the first inputs: the cache holds one entry, so this compiles again
    expect((await compile(dir)).cached).toBe(false);
    fs.writeFileSync(model, text);
    expect((await compile(dir)).cached).toBe(false);
  });

  it('an environment variable the compile reads changes: compiled again; one it does not read: cached', async () => {
    await compile(dir);
    // the project file reads STEDI_TRINO_URL through env_var() for its trino target
    const a = await compile(dir, [], { STEDI_TRINO_URL: 'http://127.0.0.1:18080' });
    expect(a.cached).toBe(false);
    expect((await compile(dir, [], { STEDI_TRINO_URL: 'http://127.0.0.1:18080' })).cached).toBe(true);
    expect((await compile(dir, [], { STEDI_TRINO_URL: 'http://127.0.0.1:18080', SOME_OTHER_VARIABLE: 'x' })).cached).toBe(true);
    expect((await compile(dir, [], { STEDI_TRINO_URL: 'http://127.0.0.1:18081' })).cached).toBe(false);
  });

  it('keeps a digest of each environment value it read, never the value', async () => {
    const secret = 'a-secret-url-value-0f3c9e';
    await compile(dir, [], { STEDI_TRINO_URL: secret });
    const text = fs.readFileSync(path.join(dir, 'target', 'compile_cache.json'), 'utf8');
    expect(text).toContain('STEDI_TRINO_URL');
    expect(text).not.toContain(secret);
  });

  it('--no-compile-cache and STEDI_COMPILE_CACHE=0 neither read nor write it', async () => {
    await compile(dir);
    const file = path.join(dir, 'target', 'compile_cache.json');
    const before = fs.readFileSync(file, 'utf8');
    expect((await compile(dir, ['--no-compile-cache'])).cached).toBe(false);
    expect((await compile(dir, [], { STEDI_COMPILE_CACHE: '0' })).cached).toBe(false);
    // an edit compiled without the cache leaves the cache file as it was
    fs.writeFileSync(path.join(dir, 'models/curated/extra_note.sql'), "{{ config(pii_allowed=false) }}\nselect 1 as n\n");
    expect((await compile(dir, ['--no-compile-cache'])).cached).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    fs.rmSync(path.join(dir, 'models/curated/extra_note.sql'));
    expect((await compile(dir)).cached).toBe(true);
  });

  it('a damaged or tampered cache file is a miss (compiled again and rewritten), never an error', async () => {
    const file = path.join(dir, 'target', 'compile_cache.json');
    await compile(dir);
    const text = fs.readFileSync(file, 'utf8');
    const good = JSON.parse(text.slice(text.indexOf('\n') + 1));
    for (const bad of ['', '{', 'null', '[]', JSON.stringify({ ...good, format: 99 }), JSON.stringify({ ...good, key: 'f'.repeat(64) }), JSON.stringify({ ...good, result: { ...good.result, manifest: undefined } }), JSON.stringify({ ...good, env: null }), JSON.stringify({ ...good, key: 'f'.repeat(64), parsed: 'not a list' })]) {
      fs.writeFileSync(file, bad);
      const r = await compile(dir);
      expect(r.cached, bad.slice(0, 40)).toBe(false);
      expect(Object.keys(r.manifest.nodes).length).toBeGreaterThan(50);
    }
    expect((await compile(dir)).cached).toBe(true);
    // the MAC: a body changed under its header, or a header of another key, is a miss
    const signed = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, signed.replace('"format":1', '"format":1 '));
    expect((await compile(dir)).cached).toBe(false);
    fs.writeFileSync(file, signed.replace(/^stedi-compile-cache [0-9a-f]{64}/, `stedi-compile-cache ${'0'.repeat(64)}`));
    expect((await compile(dir)).cached).toBe(false);
    expect((await compile(dir)).cached).toBe(true);
  });

  it('a cache written on another machine (another user key) is a miss, and replaced', async () => {
    await compile(dir);
    expect((await compile(dir)).cached).toBe(true);
    const elsewhere = machine();
    expect((await compile(dir, [], { XDG_CACHE_HOME: elsewhere })).cached).toBe(false);
    expect((await compile(dir, [], { XDG_CACHE_HOME: elsewhere })).cached).toBe(true);
    // back here: the file is now the other machine's
    expect((await compile(dir)).cached).toBe(false);
  });

  it('a key file others can read (or that is not this user\'s) turns the cache off', async () => {
    const loose = machine();
    await compile(dir, [], { XDG_CACHE_HOME: loose });
    const key = path.join(loose, 'stedi', 'compile-cache.key');
    expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    expect((await compile(dir, [], { XDG_CACHE_HOME: loose })).cached).toBe(true);
    fs.chmodSync(key, 0o644);
    expect((await compile(dir, [], { XDG_CACHE_HOME: loose })).cached).toBe(false);
    expect((await compile(dir, [], { XDG_CACHE_HOME: loose })).cached).toBe(false);
  });

  it('a project that does not compile is not cached, and its errors are reported every time', async () => {
    const model = path.join(dir, 'models/curated/broken.sql');
    fs.writeFileSync(model, "select {{ ref('no_such_model') }}\n");
    for (let i = 0; i < 2; i++) {
      const r = await stedi(dir, ['compile'], { env: ENV });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/no_such_model/);
    }
    fs.rmSync(model);
  });

  it('keeps the statements the compile parsed, by digest (the reuse checks of a build parse the same SQL)', async () => {
    await compile(dir);
    const text = fs.readFileSync(path.join(dir, 'target', 'compile_cache.json'), 'utf8');
    expect(text).toMatch(/^stedi-compile-cache [0-9a-f]{64}\n/);
    const entry = JSON.parse(text.slice(text.indexOf('\n') + 1));
    expect(Array.isArray(entry.parsed)).toBe(true);
    expect(entry.parsed.length).toBeGreaterThan(50);
    for (const [k, v] of entry.parsed) {
      expect(k).toMatch(/^[0-9a-f]{64}$/);
      expect(Array.isArray(v)).toBe(true);
    }
  });

  it('a build uses it too, and builds the same', async () => {
    const r1 = await stedi(dir, ['build'], { env: { ...ENV, STEDI_SUBJECT_KEY: 'compile-cache-key-0123456789abcdef' } });
    expect(r1.code, explain(r1)).toBe(0);
    const cacheFile = path.join(dir, 'target', 'compile_cache.json');
    const written = fs.readFileSync(cacheFile, 'utf8');
    const r2 = await stedi(dir, ['build'], { env: { ...ENV, STEDI_SUBJECT_KEY: 'compile-cache-key-0123456789abcdef' } });
    expect(r2.code, explain(r2)).toBe(0);
    // a hit leaves the file as it was (a miss rewrites it, with new parse results and MAC)
    expect(fs.readFileSync(cacheFile, 'utf8')).toBe(written);
    expect(r2.stdout).toMatch(/PASS=\d+ WARN=\d+ ERROR=0/);
  });
});
