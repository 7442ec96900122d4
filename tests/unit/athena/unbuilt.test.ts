/**
 * On Athena, what a command reads but neither builds nor finds published is told from the Glue
 * catalog as on DuckDB: after a build every table a test reads (landing sources included) is
 * published, and before one every table is missing. Through the real SDK clients on the simulator.
 */
import { describe, expect, it } from 'vitest';
import { unbuiltReads } from '../../../runner/execute/inputs.js';
import { plan } from '../../../runner/execute/plan.js';
import { AthenaAdapter } from '../../../runner/adapters/athena/adapter.js';
import type { HookedSimulator } from '../../helpers/hooked-simulator.js';
import { adapterOptions, build, compileStedi, deliverLanding, fakeAwsEachTest } from './harness.js';

const { manifest, target } = compileStedi();
let sim: HookedSimulator;
fakeAwsEachTest((s) => {
  sim = s;
});

describe('tables read but not published, on Athena', () => {
  it('every table the tests read is published after a build; none before', async () => {
    deliverLanding(sim, 'tests/fixtures/messy/landing', 's3://lake-bucket/landing');
    const tests = plan(manifest, new Set(Object.keys(manifest.nodes)), 'test');
    const tables = new Set(tests.flatMap((s) => s.node.depends_on).filter((id) => ['source', 'seed', 'model'].includes(manifest.nodes[id]!.resource_type)));
    expect([...tables].some((id) => id.startsWith('source.'))).toBe(true);

    let adapter: AthenaAdapter | undefined;
    const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, undefined, (a) => {
      adapter = a;
    });
    expect(results.filter((r) => r.status === 'error' || r.status === 'fail')).toEqual([]);
    expect([...unbuiltReads(manifest, tests, await adapter!.published())]).toEqual([]);
    // the same plan against an empty catalog names every table each test reads
    const before = unbuiltReads(manifest, tests, []);
    expect(new Set([...before.values()].flat())).toEqual(tables);
  });
});
