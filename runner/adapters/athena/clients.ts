/**
 * The AWS SDK v3 clients behind the adapter's `AwsApi` (api.ts). Credentials come from the SDK's
 * default provider chain only (environment, shared config and SSO profiles, web identity,
 * container and instance roles): stedi never reads or stores keys itself. The Athena client does
 * not retry by itself: stedi retries starting a query with its own jittered backoff and the same
 * ClientRequestToken. Tests fake the clients' transports with aws-sdk-client-mock.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, GetWorkGroupCommand, StartQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import { BatchDeleteTableVersionCommand, CreateTableCommand, DeleteTableCommand, GetDatabaseCommand, GetTableCommand, GetTablesCommand, GetTableVersionsCommand, GlueClient, UpdateTableCommand } from '@aws-sdk/client-glue';
import { DeleteObjectsCommand, GetBucketVersioningCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SERVICE_OF, type AwsApi, type AwsOp } from './api.js';

type Command = new (input: never) => unknown;

const COMMANDS: Readonly<Record<AwsOp, Command>> = {
  GetWorkGroup: GetWorkGroupCommand, StartQueryExecution: StartQueryExecutionCommand, GetQueryExecution: GetQueryExecutionCommand, GetQueryResults: GetQueryResultsCommand, StopQueryExecution: StopQueryExecutionCommand,
  GetDatabase: GetDatabaseCommand, GetTable: GetTableCommand, GetTables: GetTablesCommand, CreateTable: CreateTableCommand, UpdateTable: UpdateTableCommand, DeleteTable: DeleteTableCommand, GetTableVersions: GetTableVersionsCommand, BatchDeleteTableVersion: BatchDeleteTableVersionCommand,
  ListObjectsV2: ListObjectsV2Command, GetObject: GetObjectCommand, PutObject: PutObjectCommand, DeleteObjects: DeleteObjectsCommand, GetBucketVersioning: GetBucketVersioningCommand,
};

type Sender = { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> };

/** The adapter's AWS calls through the SDK clients of one region. */
export function createClients(region: string): AwsApi {
  const athena = new AthenaClient({ region, maxAttempts: 1 });
  const clients: Record<string, Sender> = { athena, glue: new GlueClient({ region }), s3: new S3Client({ region }) };
  return {
    call: (op, input, signal) => clients[SERVICE_OF[op]]!.send(new COMMANDS[op](input as never), signal ? { abortSignal: signal } : {}) as never,
    async credentials() {
      const provider = (athena.config as unknown as { credentials: () => Promise<{ expiration?: Date; $source?: Record<string, unknown> }> }).credentials;
      const c = await provider();
      return { ...(c.expiration ? { expiration: c.expiration } : {}), ...(c.$source ? { source: c.$source } : {}) };
    },
  };
}
