/**
 * Incremental landing ingestion on Athena, through the real SDK clients with faked transports:
 * a build downloads only the objects that are new or changed (their ETag differs from the
 * state's), keeps every earlier part where it is (the table reads it through its symlink
 * manifest), replaces the rows of a changed object, and gives the same rows and rejects as a
 * full refresh of the same objects.
 */
import { describe, expect, it } from 'vitest';
import type { HookedSimulator } from '../../helpers/hooked-simulator.js';
import { adapterOptions, build, compileStedi, deliverLanding, type FakeAws, fakeAwsEachTest } from './harness.js';

const CORPUS = 'tests/fixtures/messy/landing';
const ROOT = 's3://lake-bucket/landing';
const { manifest, target } = compileStedi();
const accelerometer = (id: string) => id === 'source.stedi.landing.accelerometer';

let sim: HookedSimulator;
let aws: FakeAws;
fakeAwsEachTest((s, a) => {
  sim = s;
  aws = a;
});

const landingGets = () => aws.calls.filter((c) => c.operation === 'GetObject' && String(c.input.Key).startsWith('landing/')).map((c) => String(c.input.Key));
const sorted = (xs: string[]) => [...xs].sort();

describe('incremental landing ingestion on Athena', () => {
  it('downloads only new and changed objects; the rows equal a full refresh', async () => {
    deliverLanding(sim, CORPUS, ROOT);
    let i = 0;
    const next = () => adapterOptions({ random: () => (++i % 97) / 100 });
    await build(target, manifest, next(), 'build', undefined, accelerometer);
    expect(landingGets().length).toBeGreaterThan(0);

    // nothing new: no landing object is downloaded again
    aws.calls.length = 0;
    const { results: same } = await build(target, manifest, next(), 'build', undefined, accelerometer);
    expect(same[0]!.status).not.toBe('error');
    expect(landingGets()).toEqual([]);
    expect(same[0]!.message).toMatch(/read 0 of \d+ landing files/);

    // one new object and one changed object: only those two are downloaded
    sim.putObject(`${ROOT}/accelerometer/landing/accelerometer-zz.json`, '{"user":"new@example.com","timestamp":1655564444444,"x":1,"y":2,"z":3}\n');
    const changed = `${ROOT}/accelerometer/landing/${[...sim.objects].filter((o) => o.startsWith(`${ROOT}/accelerometer/landing/`) && o.endsWith('.json'))[0]!.split('/').pop()}`;
    sim.putObject(changed, '{"user":"changed@example.com","timestamp":1655564444445,"x":1,"y":2,"z":3}\n{"user":\n');
    aws.calls.length = 0;
    const { results: incr } = await build(target, manifest, next(), 'build', undefined, accelerometer);
    expect(incr[0]!.status).toBe('warn');
    expect(sorted(landingGets())).toEqual(sorted([changed, `${ROOT}/accelerometer/landing/accelerometer-zz.json`].map((u) => u.replace('s3://lake-bucket/', ''))));
    expect(incr[0]!.message).toContain('changed since it was ingested');
    const rows = sorted(sim.jsonRows('accelerometer'));
    const rejects = sorted(sim.jsonRows('accelerometer__rejects'));

    // a full refresh reads every object again and gives the same tables
    aws.calls.length = 0;
    const { results: full } = await build(target, manifest, next(), 'build', undefined, accelerometer, undefined, { fullRefresh: true });
    expect(full[0]!.message).toContain('every landing file was read again (--full-refresh)');
    expect(landingGets().length).toBeGreaterThan(2);
    expect(sorted(sim.jsonRows('accelerometer'))).toEqual(rows);
    expect(sorted(sim.jsonRows('accelerometer__rejects'))).toEqual(rejects);
  });

  it('a changed object warns; a vanished object warns once (kept) or each time it drops rows (drop)', async () => {
    const line = (u: string, t: number) => `{"user":"${u}@example.com","timestamp":${t},"x":1,"y":2,"z":3}\n`;
    const put = (name: string, body: string) => sim.putObject(`${ROOT}/accelerometer/landing/${name}`, body);
    put('a.json', line('a', 1655564444444) + line('a', 1655564444445));
    put('b.json', line('b', 1655564444446));
    let i = 0;
    const run = async () => (await build(target, manifest, adapterOptions({ random: () => (++i % 97) / 100 }), 'build', undefined, accelerometer)).results[0]!;
    expect((await run()).status).toBe('success');
    put('a.json', line('a', 1655564444447));
    const changed = await run();
    expect(changed.status).toBe('warn');
    expect(changed.message).toContain('a.json: changed since it was ingested');
    expect((await run()).status).toBe('success');
    sim.DeleteObjects({ Bucket: 'lake-bucket', Delete: { Objects: [{ Key: 'landing/accelerometer/landing/b.json' }] } });
    const gone = await run();
    expect(gone.status).toBe('warn');
    expect(gone.message).toContain('b.json: no longer in the landing location: its rows are kept');
    expect(sorted(sim.jsonRows('accelerometer')).length).toBe(2);
    // found missing before: named, no longer a warning
    const again = await run();
    expect(again.status).toBe('success');
    expect(again.message).toContain('1 no longer in the landing location (rows kept)');
  });

  it('a state that the two tables do not both name is not trusted: every object is read again', async () => {
    deliverLanding(sim, CORPUS, ROOT);
    await build(target, manifest, adapterOptions({ random: () => 0.25 }), 'build', undefined, accelerometer);
    // a publish that stopped between the two UpdateTable calls leaves the tables naming different states
    const t = sim.tables.get('accelerometer__rejects')!.table;
    t.Parameters = { ...t.Parameters, stedi_state: 's3://lake-bucket/zones/other/v=20260101T000000Z-10000000/_stedi_state.json.gz' };
    aws.calls.length = 0;
    await build(target, manifest, adapterOptions({ random: () => 0.5 }), 'build', undefined, accelerometer);
    expect(landingGets().length).toBeGreaterThan(0);
  });
});
