/**
 * Where the pseudonymisation key comes from (runner/cli/secrets.ts): STEDI_SUBJECT_KEY, an AWS
 * Secrets Manager secret named by the athena target (read through the real SDK client with its
 * transport faked by aws-sdk-client-mock), or on the local target a key file created once. It
 * fails closed — no key, an unreadable or binary secret, a malformed key, two different keys —
 * with a message that never holds the key; and only a command that ingests a source with a
 * derived column needs it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSecretsClient, readSecretString } from '../../../runner/adapters/athena/secret-store.js';
import { dryRunKeyCheck, needsPseudonymKey, resolvePseudonymKey, type SecretReader } from '../../../runner/cli/secrets.js';
import { keyFingerprint } from '../../../runner/landing/derive.js';
import type { Manifest } from '../../../runner/manifest/types.js';
import type { ResolvedTarget } from '../../../runner/project/resolve.js';

const KEY = 'k3y-0123456789abcdef-0123456789';
const OTHER = 'other-0123456789abcdef-01234567';
const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:stedi/subject-key';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());

/** The production reader: the real SDK client (its transport faked), as commands.ts builds it. */
const readSecret: SecretReader = (id, region) => readSecretString(createSecretsClient(region), id);

const athena = (extra: Record<string, unknown> = {}): ResolvedTarget => ({ name: 'athena', type: 'athena', region: 'eu-west-1', database: 'db', workgroup: 'wg', s3_data_dir: 's3://b/z', threads: 1, ...extra }) as ResolvedTarget;
function local(): ResolvedTarget {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-key-'));
  dirs.push(dir);
  return { name: 'local', type: 'duckdb', lake_dir: path.join(dir, 'lake'), path_template: '{entity}/{zone}/{name}', catalog: path.join(dir, 'lake', 'stedi.duckdb'), threads: 1 } as ResolvedTarget;
}
const resolve = (target: ResolvedTarget, env: Record<string, string> = {}, info: (m: string) => void = () => undefined) => resolvePseudonymKey(target, { env, info, readSecret });

/** The error of a refused key, checked to hold neither key. */
async function refused(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x as Error);
  expect(e, 'expected a refusal').toBeInstanceOf(Error);
  for (const k of [KEY, OTHER, KEY.slice(0, 12)]) expect(e!.message).not.toContain(k);
  return e!.message;
}

describe('STEDI_SUBJECT_KEY', () => {
  it('is the key, trimmed, on both targets; the fingerprint names it', async () => {
    for (const target of [local(), athena()]) {
      const k = await resolve(target, { STEDI_SUBJECT_KEY: ` ${KEY}\n` });
      expect(k.key.toString()).toBe(KEY);
      expect(k.fingerprint).toBe(keyFingerprint(Buffer.from(KEY)));
    }
    expect(sm.calls()).toHaveLength(0);
  });

  it('keeps the checks on strength and form: 16 to 256 printable ASCII characters', async () => {
    expect(await refused(resolve(athena(), { STEDI_SUBJECT_KEY: 'short-key' }))).toMatch(/STEDI_SUBJECT_KEY is too short: use at least 16 characters/);
    expect(await refused(resolve(local(), { STEDI_SUBJECT_KEY: `${KEY}\u00e9` }))).toMatch(/STEDI_SUBJECT_KEY must be 16 to 256 printable ASCII characters/);
    expect(await refused(resolve(athena(), { STEDI_SUBJECT_KEY: 'x'.repeat(257) }))).toMatch(/must be 16 to 256 printable ASCII/);
  });
});

describe('AWS Secrets Manager (athena: subject_key_secret_id)', () => {
  it('reads the secret string with GetSecretValue of the secret id', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: `${KEY}\n` });
    const k = await resolve(athena({ subject_key_secret_id: SECRET_ID }));
    expect(k.key.toString()).toBe(KEY);
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_ID }]);
  });

  it('accepts the same key in both places; refuses two different keys as ambiguous', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    expect((await resolve(athena({ subject_key_secret_id: SECRET_ID }), { STEDI_SUBJECT_KEY: KEY })).key.toString()).toBe(KEY);
    expect(await refused(resolve(athena({ subject_key_secret_id: SECRET_ID }), { STEDI_SUBJECT_KEY: OTHER }))).toBe(
      'the pseudonymisation key is ambiguous: STEDI_SUBJECT_KEY and the secret of subject_key_secret_id hold different keys; unset STEDI_SUBJECT_KEY or make them the same',
    );
  });

  it('fails closed on a secret it cannot read, a binary or empty secret, a malformed key', async () => {
    sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    expect(await refused(resolve(athena({ subject_key_secret_id: SECRET_ID }), { STEDI_SUBJECT_KEY: KEY }))).toBe(
      "cannot read the pseudonymisation key from AWS Secrets Manager (subject_key_secret_id): ResourceNotFoundException: Secrets Manager can't find the specified secret.",
    );
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: Buffer.from(KEY) });
    expect(await refused(resolve(athena({ subject_key_secret_id: SECRET_ID })))).toMatch(/SecretNotText: the secret holds binary data; store the key as a secret string/);
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: '   ' });
    expect(await refused(resolve(athena({ subject_key_secret_id: SECRET_ID })))).toMatch(/the secret of subject_key_secret_id is empty/);
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'tiny' });
    expect(await refused(resolve(athena({ subject_key_secret_id: SECRET_ID })))).toMatch(/the secret of subject_key_secret_id is too short/);
  });

  it('the athena target without either refuses to ingest', async () => {
    expect(await refused(resolve(athena()))).toMatch(/^no pseudonymisation key: the athena target refuses to ingest a source with a derived column \(subject_key\) without one; set STEDI_SUBJECT_KEY or the target setting subject_key_secret_id/);
  });
});

describe('a dry run (athena, nothing sent)', () => {
  const check = (target: ResolvedTarget, env: Record<string, string>) => {
    try {
      return dryRunKeyCheck(target, env);
    } catch (e) {
      for (const k of [KEY, 'short-key']) expect((e as Error).message).not.toContain(k);
      return (e as Error).message;
    }
  };

  it('refuses the keys the build refuses, by the same rule', async () => {
    for (const bad of ['short-key', `${KEY}\u00e9`, 'x'.repeat(257)]) {
      const built = await refused(resolve(athena(), { STEDI_SUBJECT_KEY: bad }));
      expect(check(athena(), { STEDI_SUBJECT_KEY: bad })).toBe(built);
      expect(check(athena({ subject_key_secret_id: SECRET_ID }), { STEDI_SUBJECT_KEY: bad })).toBe(built);
    }
    expect(sm.calls()).toHaveLength(0);
  });

  it('accepts a good key silently; warns without any key; says the secret is not read', () => {
    expect(check(athena(), { STEDI_SUBJECT_KEY: ` ${KEY}\n` })).toEqual({ notes: [], warnings: [] });
    expect(check(athena(), {})).toEqual({ notes: [], warnings: ['neither STEDI_SUBJECT_KEY nor subject_key_secret_id is set: a real build on athena would refuse to start'] });
    const r = check(athena({ subject_key_secret_id: SECRET_ID }), { STEDI_SUBJECT_KEY: KEY }) as { notes: string[]; warnings: string[] };
    expect(r.warnings).toEqual([]);
    expect(r.notes.join('\n')).toMatch(/reads the pseudonymisation key from AWS Secrets Manager first .*equal STEDI_SUBJECT_KEY; the dry run reads no secret/);
    expect(r.notes.join('\n')).not.toContain(KEY);
    expect(sm.calls()).toHaveLength(0);
  });
});

describe('the local key file', () => {
  it('is created once (mode 0600) and read back, so subject_key stays stable between builds', async () => {
    const target = local();
    const said: string[] = [];
    const first = await resolve(target, {}, (m) => said.push(m));
    const second = await resolve(target, {}, (m) => said.push(m));
    expect(second.key.equals(first.key)).toBe(true);
    expect(said).toHaveLength(1);
    expect(said[0]).not.toContain(first.key.toString());
    const file = path.join(path.dirname(String(target.lake_dir)), '.stedi', 'subject_key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    fs.writeFileSync(file, 'short\n');
    expect(await refused(resolve(target))).toMatch(/subject_key is too short/);
  });
});

describe('when the key is needed', () => {
  const manifest = {
    nodes: {
      'source.s.landing.customer': { resource_type: 'source', columns: [{ name: 'email', pii: true }, { name: 'subject_key', pii: false, derived: { pseudonym_of: 'email' } }] },
      'source.s.landing.step_trainer': { resource_type: 'source', columns: [{ name: 'serialNumber', pii: true }] },
      'model.s.machine_learning_curated': { resource_type: 'model', columns: [] },
    },
  } as unknown as Manifest;

  it('only for a command that ingests a source with a derived column', () => {
    expect(needsPseudonymKey(manifest, ['source.s.landing.customer', 'model.s.machine_learning_curated'])).toBe(true);
    expect(needsPseudonymKey(manifest, ['source.s.landing.step_trainer', 'model.s.machine_learning_curated'])).toBe(false);
    expect(needsPseudonymKey(manifest, [])).toBe(false);
  });
});
