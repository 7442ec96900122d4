/**
 * The AWS SDK v3 clients. Credentials come from the SDK's default provider chain only
 * (environment, shared config and SSO profiles, web identity, container and instance roles):
 * stedi never reads or stores keys itself. The Athena client does not retry by itself: stedi
 * retries starting a query with its own jittered backoff and the same ClientRequestToken.
 *
 * For --dry-run the same clients get a middleware at the front of their stack that answers
 * every command from an in-memory simulator and prints it: nothing is serialised, signed or
 * sent, so no credentials are needed.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import type { AthenaClients } from './adapter.js';
import { AwsSimulator, simulate } from './simulator.js';

export function createClients(region: string): AthenaClients {
  return {
    athena: new AthenaClient({ region, maxAttempts: 1 }),
    glue: new GlueClient({ region }),
    s3: new S3Client({ region }),
  };
}

type Stack = { middlewareStack: { add(mw: unknown, opts: Record<string, unknown>): void } };

export function dryRunClients(region: string, sim: AwsSimulator, print: (service: string, operation: string, input: Record<string, unknown>) => void): AthenaClients {
  const clients = createClients(region);
  for (const [service, client] of Object.entries(clients) as [string, Stack][]) {
    client.middlewareStack.add(
      (_next: unknown, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
        const operation = (context.commandName ?? '').replace(/Command$/, '');
        print(service, operation, args.input);
        return { output: dryRunOutput(operation, args.input, simulate(sim, operation, args.input)), response: {} };
      },
      { step: 'initialize', name: 'stediDryRun', priority: 'high' },
    );
  }
  return clients;
}

/**
 * A dry run reads no landing data: a landing prefix (the only listing with a delimiter, see
 * landing-io.ts) that holds nothing in the simulator reads as an existing empty folder (its
 * zero-byte marker), not as a missing location, which fails a real build.
 */
function dryRunOutput(operation: string, input: Record<string, unknown>, output: unknown): unknown {
  if (operation !== 'ListObjectsV2' || !input.Delimiter) return output;
  const page = output as { Contents?: unknown[]; CommonPrefixes?: unknown[] };
  if (page.Contents?.length || page.CommonPrefixes?.length) return output;
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
