/** `--dry-run` is a printing wrapper around the simulator's AWS calls (no SDK middleware). */
import { describe, expect, it } from 'vitest';
import { printing } from '../../../runner/adapters/athena/api.js';
import { AwsSimulator, simulatorApi } from '../../../runner/adapters/athena/simulator.js';

describe('printing AWS calls', () => {
  it('prints each call before the simulator answers it, never a parameter value, and reads an empty landing prefix as an empty folder', async () => {
    const lines: string[] = [];
    const api = printing(simulatorApi(new AwsSimulator('db', { name: 'wg', outputLocation: 's3://r/' })), (l) => lines.push(l));
    const started = await api.call('StartQueryExecution', { QueryString: 'SELECT ?', WorkGroup: 'wg', QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: 'db' }, ExecutionParameters: ["'secret-value'"] });
    expect(started.QueryExecutionId).toMatch(/^q-/);
    const listed = await api.call('ListObjectsV2', { Bucket: 'b', Prefix: 'landing/customer/', Delimiter: '/' });
    expect(listed.Contents).toEqual([{ Key: 'landing/customer/', Size: 0 }]);
    // a listing without a delimiter is answered as the simulator has it
    expect((await api.call('ListObjectsV2', { Bucket: 'b', Prefix: 'zones/' })).Contents ?? []).toEqual([]);
    expect(lines).toEqual([
      'athena:StartQueryExecution WorkGroup=wg Catalog=AwsDataCatalog Database=db ExecutionParameters=[<hidden>]\nSELECT ?\n',
      's3:ListObjectsV2 {"Bucket":"b","Prefix":"landing/customer/","Delimiter":"/"}',
      's3:ListObjectsV2 {"Bucket":"b","Prefix":"zones/"}',
    ]);
    expect(lines.join('\n')).not.toContain('secret-value');
  });
});
