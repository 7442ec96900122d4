/**
 * The AWS calls the Athena adapter makes, as one small structural interface: an operation's
 * name, its input, its output. The SDK clients implement it (clients.ts), and so does the
 * in-memory simulator (simulator.ts); `--dry-run` is `printing()` around the simulator. Only the
 * SDK's types are imported here, never its code.
 */
import type * as athena from '@aws-sdk/client-athena';
import type * as glue from '@aws-sdk/client-glue';
import type * as s3 from '@aws-sdk/client-s3';

/** Every operation stedi calls, with its input and output types. */
export interface AwsOps {
  GetWorkGroup: [athena.GetWorkGroupCommandInput, athena.GetWorkGroupCommandOutput];
  StartQueryExecution: [athena.StartQueryExecutionCommandInput, athena.StartQueryExecutionCommandOutput];
  GetQueryExecution: [athena.GetQueryExecutionCommandInput, athena.GetQueryExecutionCommandOutput];
  GetQueryResults: [athena.GetQueryResultsCommandInput, athena.GetQueryResultsCommandOutput];
  StopQueryExecution: [athena.StopQueryExecutionCommandInput, athena.StopQueryExecutionCommandOutput];
  GetDatabase: [glue.GetDatabaseCommandInput, glue.GetDatabaseCommandOutput];
  GetTable: [glue.GetTableCommandInput, glue.GetTableCommandOutput];
  GetTables: [glue.GetTablesCommandInput, glue.GetTablesCommandOutput];
  CreateTable: [glue.CreateTableCommandInput, glue.CreateTableCommandOutput];
  UpdateTable: [glue.UpdateTableCommandInput, glue.UpdateTableCommandOutput];
  DeleteTable: [glue.DeleteTableCommandInput, glue.DeleteTableCommandOutput];
  GetTableVersions: [glue.GetTableVersionsCommandInput, glue.GetTableVersionsCommandOutput];
  BatchDeleteTableVersion: [glue.BatchDeleteTableVersionCommandInput, glue.BatchDeleteTableVersionCommandOutput];
  ListObjectsV2: [s3.ListObjectsV2CommandInput, s3.ListObjectsV2CommandOutput];
  GetObject: [s3.GetObjectCommandInput, s3.GetObjectCommandOutput];
  PutObject: [s3.PutObjectCommandInput, s3.PutObjectCommandOutput];
  DeleteObjects: [s3.DeleteObjectsCommandInput, s3.DeleteObjectsCommandOutput];
  GetBucketVersioning: [s3.GetBucketVersioningCommandInput, s3.GetBucketVersioningCommandOutput];
}

export type AwsOp = keyof AwsOps;
export type AwsService = 'athena' | 'glue' | 's3';

/** The service of each operation. */
export const SERVICE_OF: Readonly<Record<AwsOp, AwsService>> = {
  GetWorkGroup: 'athena', StartQueryExecution: 'athena', GetQueryExecution: 'athena', GetQueryResults: 'athena', StopQueryExecution: 'athena',
  GetDatabase: 'glue', GetTable: 'glue', GetTables: 'glue', CreateTable: 'glue', UpdateTable: 'glue', DeleteTable: 'glue', GetTableVersions: 'glue', BatchDeleteTableVersion: 'glue',
  ListObjectsV2: 's3', GetObject: 's3', PutObject: 's3', DeleteObjects: 's3', GetBucketVersioning: 's3',
};

export interface AwsApi {
  /** Calls one operation; `signal` aborts it where the transport can. */
  call<K extends AwsOp>(op: K, input: AwsOps[K][0], signal?: AbortSignal): Promise<AwsOps[K][1]>;
  /** Where the credentials come from and until when (the SDK's default chain); absent when no credentials are used. */
  credentials?(): Promise<{ expiration?: Date; source?: Record<string, unknown> }>;
}

/**
 * `--dry-run`: every call printed (formatCall) before `api` answers it. A landing prefix (the only
 * listing with a delimiter, see landing-io.ts) that holds nothing reads as an existing empty
 * folder (its zero-byte marker), not as a missing location, which fails a real build: a dry run
 * reads no landing data.
 */
export function printing(api: AwsApi, print: (line: string) => void): AwsApi {
  return {
    async call(op, input, signal) {
      print(formatCall(SERVICE_OF[op], op, input as Record<string, unknown>));
      const output = await api.call(op, input, signal);
      return (op === 'ListObjectsV2' ? emptyLandingFolder(input as AwsOps['ListObjectsV2'][0], output as AwsOps['ListObjectsV2'][1]) : output) as never;
    },
  };
}

function emptyLandingFolder(input: AwsOps['ListObjectsV2'][0], page: AwsOps['ListObjectsV2'][1]): AwsOps['ListObjectsV2'][1] {
  if (!input.Delimiter || page.Contents?.length || page.CommonPrefixes?.length) return page;
  return { ...page, Contents: [{ Key: String(input.Prefix ?? ''), Size: 0 }] };
}

/** One line per API call, the SQL of a query in full; a parameter value is never printed. */
export function formatCall(service: string, operation: string, input: Record<string, unknown>): string {
  if (operation === 'StartQueryExecution') {
    const params = (input.ExecutionParameters as string[] | undefined) ?? [];
    const ctx = input.QueryExecutionContext as { Catalog?: string; Database?: string } | undefined;
    const out = (input.ResultConfiguration as { OutputLocation?: string } | undefined)?.OutputLocation;
    const head = `athena:StartQueryExecution WorkGroup=${String(input.WorkGroup)} Catalog=${ctx?.Catalog} Database=${ctx?.Database}${out ? ` OutputLocation=${out}` : ''}${params.length ? ` ExecutionParameters=[${params.map(() => '<hidden>').join(', ')}]` : ''}`;
    return `${head}\n${String(input.QueryString)}\n`;
  }
  const { ClientRequestToken: _t, Body, ...rest } = input;
  // an object's content is landing data: its size only
  const body = Body === undefined ? '' : ` Body=<${(Body as Uint8Array).length ?? 0} bytes>`;
  return `${service}:${operation} ${JSON.stringify(rest)}${body}`;
}
