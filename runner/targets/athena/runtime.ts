/** The athena target's engine: the Athena adapter over the AWS SDK clients, or over the simulator on a dry run. */
import { UserError } from '../../core/diagnostics.js';
import type { NodeResult } from '../../execute/results.js';
import type { AwsApi } from '../../adapters/athena/api.js';
import type { TargetRuntime, TargetSettings } from '../types.js';

export const runtime: TargetRuntime = {
  awsSdk: true,
  runTotals: athenaTotals,
  async createAdapter(t, opts) {
    const [{ AthenaAdapter }, { printing }] = await Promise.all([import('../../adapters/athena/adapter.js'), import('../../adapters/athena/api.js')]);
    const print = opts.dryRun;
    const clients = print ? printing(await dryRunApi(t), print) : (await import('../../adapters/athena/clients.js')).createClients(String(t.region));
    try {
      return new AthenaAdapter(t, clients, { owner: { project: opts.project, target: t.name }, ...(opts.log ? { log: opts.log } : {}) });
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  },
};

/** Athena queries, data scanned and estimated cost of the whole run (see runner/adapters/athena/cost.ts). */
export function athenaTotals(results: NodeResult[]): string {
  let queries = 0;
  let bytes = 0;
  let usd = 0;
  for (const r of results) {
    const a = r.adapter_response as { query_ids?: string[]; data_scanned_bytes?: number; estimated_cost_usd?: number } | undefined;
    queries += a?.query_ids?.length ?? 0;
    bytes += a?.data_scanned_bytes ?? 0;
    usd += a?.estimated_cost_usd ?? 0;
  }
  return `Athena: ${queries} quer${queries === 1 ? 'y' : 'ies'}, ${(bytes / 2 ** 20).toFixed(1)} MiB scanned, estimated cost $${usd.toFixed(4)} ($5 per TB scanned, 10 MB minimum per query)`;
}

/** What a dry run's calls are answered by: an empty Glue database and S3, nothing sent to AWS. */
async function dryRunApi(t: TargetSettings): Promise<AwsApi> {
  const { AwsSimulator, simulatorApi } = await import('../../adapters/athena/simulator.js');
  return simulatorApi(new AwsSimulator(String(t.database), { name: String(t.workgroup), outputLocation: 's3://<workgroup-result-location>/' }, () => new Date()));
}
