/**
 * `stedi source freshness` on Athena, through the adapter's interfaces: the landing prefix listed
 * on S3 (LastModified of the newest object) and the newest event read by an Athena query of the
 * published landing table. Real SDK v3 clients, faked transports (the simulator).
 */
import { describe, expect, it } from 'vitest';
import type { HookedSimulator } from '../../helpers/hooked-simulator.js';
import { freshnessOf } from '../../../runner/cli/freshness.js';
import type { SourceNode } from '../../../runner/manifest/types.js';
import { adapterOptions, build, compileStedi, type FakeAws, fakeAwsEachTest } from './harness.js';

const { manifest, target } = compileStedi();
const ID = 'source.stedi.landing.accelerometer';
const PREFIX = 's3://lake-bucket/landing/accelerometer/landing';
const HOUR = 3_600_000;

let sim: HookedSimulator;
let aws: FakeAws;
fakeAwsEachTest((s, a) => {
  sim = s;
  aws = a;
});

function deliver(name: string, eventsHoursAgo: number[], writtenHoursAgo: number): void {
  const now = Date.now();
  const uri = `${PREFIX}/${name}`;
  sim.putObject(uri, eventsHoursAgo.map((h) => JSON.stringify({ user: 'a@example.com', timestamp: now - h * HOUR, x: 1, y: 2, z: 3 })).join('\n') + '\n');
  sim.modified.set(uri, new Date(now - writtenHoursAgo * HOUR));
}

describe('source freshness on Athena', () => {
  const node = { ...(manifest.nodes[ID] as SourceNode), freshness: { warn_after: { count: 6, period: 'hour' as const }, error_after: { count: 1, period: 'day' as const } } };

  it('lists the prefix for the newest object and asks Athena for the newest event of the published table', async () => {
    deliver('accelerometer-1.json', [40, 30], 50);
    deliver('accelerometer-2.json', [3, 2], 1);
    const { adapter } = await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id === ID);
    const [r] = await freshnessOf([node], adapter);
    await adapter.close();
    expect(r).toMatchObject({ status: 'pass', decided_by: 'newest_event', files: 2, newest_file: { name: 'accelerometer-2.json' }, newest_event: { column: 'timestamp' } });
    expect(Math.round(r!.max_loaded_at_time_ago_in_s! / 3600)).toBe(2);
    expect(aws.calls.some((c) => c.operation === 'StartQueryExecution' && /^SELECT max\("timestamp"\) AS newest FROM "stedi"\."accelerometer"$/.test(String(c.input.QueryString)))).toBe(true);
  });

  it('an old newest object decides when it is older than the newest event; nothing published is an error', async () => {
    deliver('accelerometer-1.json', [2], 30);
    const { adapter: before } = await build(target, manifest, adapterOptions(), 'test', undefined, () => false);
    const [unpublished] = await freshnessOf([node], before);
    await before.close();
    expect(unpublished).toMatchObject({ status: 'error', message: 'no newest timestamp: landing.accelerometer is not published on this target (run stedi build): its freshness cannot be shown' });
    const { adapter } = await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id === ID);
    const [r] = await freshnessOf([node], adapter);
    await adapter.close();
    expect(r).toMatchObject({ status: 'error', decided_by: 'newest_file', message: 'newest file is 1d 6h old, over error_after (1 day)' });
  });
});
