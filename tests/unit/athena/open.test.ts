/**
 * Opening the athena target: the setup problems a first run meets (no credentials, a missing IAM
 * permission, no network) are reported as such, not as an internal error of stedi.
 */
import { AthenaClient, AthenaServiceException, GetWorkGroupCommand } from '@aws-sdk/client-athena';
import { GetDatabaseCommand, GetTablesCommand, GlueClient, GlueServiceException } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AthenaAdapter } from '../../../runner/adapters/athena/adapter.js';
import { createClients } from '../../../runner/adapters/athena/clients.js';
import { EngineError } from '../../../runner/adapters/types.js';

const TARGET = { type: 'athena', region: 'eu-west-1', database: 'stedi', workgroup: 'stedi', s3_data_dir: 's3://lake-bucket/zones' };
const WHAT = "the athena target (region eu-west-1, workgroup 'stedi', Glue database 'stedi')";
const athena = mockClient(AthenaClient);
const glue = mockClient(GlueClient);

beforeEach(() => {
  athena.on(GetWorkGroupCommand).resolves({ WorkGroup: { Name: 'stedi', State: 'ENABLED', Configuration: { ResultConfiguration: { OutputLocation: 's3://results-bucket/athena/' } } } });
  glue.on(GetDatabaseCommand).resolves({ Database: { Name: 'stedi' } });
  glue.on(GetTablesCommand).resolves({ TableList: [] });
});
afterEach(() => {
  athena.reset();
  glue.reset();
});

async function openError(mode: 'read' | 'write' = 'write'): Promise<unknown> {
  const adapter = new AthenaAdapter(TARGET, createClients('eu-west-1'), { timing: { sleep: async () => undefined } });
  return adapter.open(mode).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('opening the athena target', () => {
  it('without credentials: says where stedi looks for them', async () => {
    athena.on(GetWorkGroupCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const e = await openError();
    expect(e).toBeInstanceOf(EngineError);
    expect((e as Error).message).toBe(
      `no usable AWS credentials for ${WHAT}: Could not load credentials from any providers. stedi takes them from the AWS SDK's default provider chain only: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE (run 'aws sso login' for an SSO profile), web identity, container or instance roles`,
    );
  });

  it('a missing IAM permission on Athena or Glue names the refused call', async () => {
    athena.on(GetWorkGroupCommand).rejects(new AthenaServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'User: arn:aws:iam::1:user/x is not authorized to perform: athena:GetWorkGroup' }));
    const e = await openError();
    expect(e).toBeInstanceOf(EngineError);
    expect((e as Error).message).toBe(`AWS refused a call while opening ${WHAT}: AccessDeniedException: User: arn:aws:iam::1:user/x is not authorized to perform: athena:GetWorkGroup (see "The minimal IAM policy" in the README)`);

    athena.on(GetWorkGroupCommand).resolves({ WorkGroup: { Name: 'stedi', State: 'ENABLED', Configuration: { ResultConfiguration: { OutputLocation: 's3://results-bucket/athena/' } } } });
    glue.on(GetTablesCommand).rejects(new GlueServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'not authorized to perform: glue:GetTables' }));
    const g = await openError('write');
    expect(g).toBeInstanceOf(EngineError);
    expect((g as Error).message).toContain('AccessDeniedException: not authorized to perform: glue:GetTables');
    // reading (stedi show, stedi test) does not list candidates, so it does not need that permission
    expect(await openError('read')).toBeUndefined();
  });

  it('no network: says AWS could not be reached; a programming error stays what it is', async () => {
    athena.on(GetWorkGroupCommand).rejects(Object.assign(new Error('getaddrinfo ENOTFOUND athena.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' }));
    expect(((await openError()) as Error).message).toBe(`AWS could not be reached for ${WHAT}: getaddrinfo ENOTFOUND athena.eu-west-1.amazonaws.com (network, proxy or region)`);
    const bug = new TypeError('x is not a function');
    athena.on(GetWorkGroupCommand).rejects(bug);
    expect(await openError()).toBe(bug);
  });

  it('the checks of the workgroup and database keep their own messages', async () => {
    glue.on(GetDatabaseCommand).rejects(new GlueServiceException({ name: 'EntityNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Database stedi not found.' }));
    expect(((await openError()) as Error).message).toMatch(/^the Glue database 'stedi' does not exist: create it once/);
  });
});
