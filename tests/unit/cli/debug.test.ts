/**
 * `stedi debug` on the athena target (runner/cli/debug.ts): the real SDK v3 clients, their
 * transports faked with aws-sdk-client-mock; credentials from the SDK's own default provider
 * chain (here: the environment). One cheap read per check, each problem on its own line with a
 * hint, and no secret printed. The duckdb checks are run through the CLI in
 * tests/integration/debug.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AthenaClient, AthenaServiceException, GetWorkGroupCommand } from '@aws-sdk/client-athena';
import { EntityNotFoundException, GetDatabaseCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClients } from '../../../runner/adapters/athena/clients.js';
import { createSecretsClient, readSecretString } from '../../../runner/adapters/athena/secret-store.js';
import { formatCheck, lakeCheck } from '../../../runner/cli/debug-checks.js';
import { athenaChecks } from '../../../runner/cli/debug.js';
import { keyFingerprint } from '../../../runner/landing/derive.js';
import type { ResolvedTarget } from '../../../runner/project/resolve.js';

// not shaped like a real access key id (secret scanners look for the AKIA prefix); the SDK does not check its form
const ACCESS_KEY_ID = 'fake-debug-test-access-key-id';
const SECRET_ACCESS_KEY = 'fake/secret+access+key/that-must-never-print';
const KEY = 'debug-subject-key-0123456789abcdef';
const SECRET_ID = 'stedi/subject-key';
const target = (extra: Record<string, unknown> = {}) => ({ name: 'athena', type: 'athena', region: 'eu-west-1', database: 'stedi', workgroup: 'stedi', s3_data_dir: 's3://lake-bucket/zones', threads: 1, ...extra }) as unknown as ResolvedTarget;

const athena = mockClient(AthenaClient);
const glue = mockClient(GlueClient);
const sm = mockClient(SecretsManagerClient);
const saved = { ...process.env };

/** The environment of a machine whose only AWS credentials are the fake ones given (or none). */
function credentials(given: boolean): void {
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: path.join(os.tmpdir(), 'stedi-no-aws-config'), AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), 'stedi-no-aws-credentials'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  if (given) Object.assign(process.env, { AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });
  else process.env.AWS_PROFILE = 'stedi-no-such-profile';
}

beforeEach(() => {
  credentials(true);
  athena.on(GetWorkGroupCommand).resolves({ WorkGroup: { Name: 'stedi', State: 'ENABLED', Configuration: { EngineVersion: { EffectiveEngineVersion: 'Athena engine version 3' }, ResultConfiguration: { OutputLocation: 's3://results-bucket/athena/' } } } });
  glue.on(GetDatabaseCommand).resolves({ Database: { Name: 'stedi' } });
});
afterEach(() => {
  athena.reset();
  glue.reset();
  sm.reset();
});
afterAll(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

async function run(t: ResolvedTarget, env: Record<string, string> = {}, needsKey = true): Promise<string[]> {
  const deps = { clients: createClients('eu-west-1'), readSecret: (id: string, region: string) => readSecretString(createSecretsClient(region), id) };
  const lines = (await athenaChecks(t, 'stedi', { ...process.env, ...env }, needsKey, deps)).map(formatCheck);
  for (const l of lines) for (const secret of [SECRET_ACCESS_KEY, ACCESS_KEY_ID, KEY]) expect(l).not.toContain(secret);
  return lines;
}

describe('stedi debug on athena', () => {
  it('all checks pass: credentials by their source, one GetWorkGroup, one GetDatabase, the key by its fingerprint', async () => {
    const lines = await run(target(), { STEDI_SUBJECT_KEY: KEY });
    expect(lines).toEqual([
      "OK    credentials resolved by the AWS SDK's default provider chain (env vars)",
      "OK    workgroup   workgroup 'stedi' is usable; query results go to s3://results-bucket/athena/",
      "OK    database    Glue database 'stedi' exists",
      `OK    key         STEDI_SUBJECT_KEY, fingerprint ${keyFingerprint(Buffer.from(KEY))}`,
    ]);
    expect(athena.commandCalls(GetWorkGroupCommand).map((c) => c.args[0].input)).toEqual([{ WorkGroup: 'stedi' }]);
    expect(glue.commandCalls(GetDatabaseCommand).map((c) => c.args[0].input)).toEqual([{ Name: 'stedi' }]);
    expect(athena.calls()).toHaveLength(1);
    expect(glue.calls()).toHaveLength(1);
  });

  it('without credentials: one error with the hint, the AWS reads skipped (not sent)', async () => {
    credentials(false);
    const lines = await run(target(), { STEDI_SUBJECT_KEY: KEY });
    expect(lines[0]).toMatch(/^ERROR credentials .*\(hint: configure the AWS SDK's default provider chain: AWS_PROFILE/);
    expect(lines.slice(1, 3)).toEqual(['SKIP  workgroup   not checked: no credentials', 'SKIP  database    not checked: no credentials']);
    expect(lines[3]).toMatch(/^OK    key /);
    expect(athena.calls()).toHaveLength(0);
    expect(glue.calls()).toHaveLength(0);
  });

  it('each AWS problem on its own line, with a hint: a refused call, a disabled workgroup, a missing database', async () => {
    athena.on(GetWorkGroupCommand).rejects(new AthenaServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'not authorized to perform: athena:GetWorkGroup' }));
    glue.on(GetDatabaseCommand).rejects(new EntityNotFoundException({ $metadata: { httpStatusCode: 400 }, message: 'Database stedi not found.' }));
    let lines = await run(target(), { STEDI_SUBJECT_KEY: KEY });
    expect(lines[1]).toBe("ERROR workgroup   AWS refused a call while opening the workgroup 'stedi' (region eu-west-1): AccessDeniedException: not authorized to perform: athena:GetWorkGroup (see \"The minimal IAM policy\" in the README) (hint: these credentials need athena:GetWorkGroup)");
    expect(lines[2]).toMatch(/^ERROR database    the Glue database 'stedi' does not exist: create it once .*\(hint: check the name in the target settings/);

    athena.on(GetWorkGroupCommand).resolves({ WorkGroup: { Name: 'stedi', State: 'DISABLED' } });
    lines = await run(target(), { STEDI_SUBJECT_KEY: KEY });
    expect(lines[1]).toBe("ERROR workgroup   the Athena workgroup 'stedi' is disabled");
  });

  it('the key: from Secrets Manager (GetSecretValue), ambiguous, missing, malformed, or not needed', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: KEY });
    const t = target({ subject_key_secret_id: SECRET_ID });
    expect((await run(t)).at(-1)).toBe(`OK    key         the secret of subject_key_secret_id, fingerprint ${keyFingerprint(Buffer.from(KEY))}`);
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_ID }]);
    expect((await run(t, { STEDI_SUBJECT_KEY: `${KEY}-other` })).at(-1)).toMatch(/^ERROR key         the pseudonymisation key is ambiguous/);
    expect((await run(target())).at(-1)).toMatch(/^ERROR key         no pseudonymisation key: .*\(hint: export STEDI_SUBJECT_KEY=/);
    expect((await run(target(), { STEDI_SUBJECT_KEY: 'short' })).at(-1)).toMatch(/^ERROR key         STEDI_SUBJECT_KEY is too short/);
    expect((await run(target(), {}, false)).at(-1)).toBe('OK    key         not needed: no source of this project derives a pseudonym');
  });

  it('invalid settings are one error, and nothing is called', async () => {
    const lines = await run(target({ s3_data_dir: 'not-a-uri' }));
    expect(lines).toEqual(["ERROR settings    athena target key 's3_data_dir' must be an S3 URI such as s3://my-bucket/prefix, got 'not-a-uri' (hint: see the athena target keys in the README (Running on AWS))"]);
    expect(athena.calls()).toHaveLength(0);
  });
});

describe('the lake check', () => {
  it('refuses a file where the lake folder should be', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-debug-'));
    try {
      fs.writeFileSync(path.join(dir, 'lake'), '');
      expect(formatCheck(await lakeCheck(path.join(dir, 'lake')))).toBe(`ERROR lake        ${path.join(dir, 'lake')} exists and is not a folder`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
