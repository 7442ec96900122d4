/**
 * Microbatch models published as Hive tables on Athena (runner/adapters/athena/microbatch-hive.ts):
 * the pieces (interval files, manifests, statements of at most 99 intervals, orphaned files) and,
 * through the real SDK clients on the simulator, what a build publishes and what it refuses to.
 * The whole sequence (new readings, consent withdrawn, given, its date moved) runs for real on
 * Trino in tests/integration/athena-build-on-trino.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { NULL_INTERVAL } from '../../../runner/core/batches.js';
import { CHUNK, chunks, chunkSelect, dataFiles, intervalOfFile, orphanFiles, parseManifest } from '../../../runner/adapters/athena/microbatch-hive.js';
import { ctas } from '../../../runner/adapters/athena/sql.js';
import type { HookedSimulator } from '../../helpers/hooked-simulator.js';
import { adapterOptions, build, compileStedi, deliverLanding, fakeAwsEachTest, statements, type FakeAws } from './harness.js';

const H = 3_600_000;
const V = 's3://b/zones/e/trusted/t/v=20260101T000000Z-01010101/';

describe('the interval files of a Hive microbatch table', () => {
  it('a file\'s interval comes from its folder; NULL is Hive\'s default partition; anything else is no interval file', () => {
    expect(intervalOfFile(`${V}stedi_interval=${10 * H}/part-0`)).toBe(String(10 * H));
    expect(intervalOfFile(`${V}stedi_interval=__HIVE_DEFAULT_PARTITION__/part-0`)).toBe(NULL_INTERVAL);
    expect(intervalOfFile(`${V}stedi_interval=-1/part-0`)).toBeUndefined();
    // before 1970 an interval starts below 0
    expect(intervalOfFile(`${V}stedi_interval=-${2 * H}/part-0`)).toBe(String(-2 * H));
    expect(intervalOfFile(`${V}data/part-0`)).toBeUndefined();
    expect(intervalOfFile(`${V}stedi_interval=${H}/`)).toBeUndefined();
  });

  it('every file the statements wrote is an interval file or hidden; any other file stops the build', () => {
    const a = `${V}stedi_interval=${H}/part-0`;
    const b = `${V}stedi_interval=__HIVE_DEFAULT_PARTITION__/part-0`;
    expect(dataFiles([a, b, `${V}stedi_interval=${H}/.crc`, `${V}_SUCCESS`, `${V}_tmp/x/part-9`], V, 'model m')).toEqual([a, b]);
    expect(() => dataFiles([a, `${V}part-1`], V, 'model m')).toThrow(/part-1 is not a file of an interval folder; nothing was published/);
    expect(() => dataFiles([`${V}stedi_interval=-1/part-2`], V, 'model m')).toThrow(/not a file of an interval folder/);
  });

  it('a manifest is read only when every line is an interval file; an empty one is an empty table', () => {
    const a = `${V}stedi_interval=${H}/part-0`;
    expect(parseManifest(`${a}\n`)).toEqual([a]);
    expect(parseManifest('')).toEqual([]);
    expect(parseManifest(`${a}\n${V}data/part-1\n`)).toBeUndefined();
    expect(parseManifest(`/local/stedi_interval=${H}/part-0\n`)).toBeUndefined();
  });

  it('statements write at most 99 intervals (Athena writes 100 partitions a statement; one is for strays)', () => {
    const intervals = Array.from({ length: 250 }, (_, i) => String(i * H));
    const parts = chunks([...intervals, NULL_INTERVAL], 'hour');
    expect(CHUNK).toBe(99);
    expect(parts).toHaveLength(3);
    // contiguous hours merge into one range per statement; NULL goes with the first
    expect(parts[0]).toEqual({ ranges: [{ start: 0, end: 98 * H }], withNull: true, keys: [] });
    expect(parts[1]).toEqual({ ranges: [{ start: 98 * H, end: 197 * H }], withNull: false, keys: [] });
    expect(parts[2]).toEqual({ ranges: [{ start: 197 * H, end: 250 * H }], withNull: false, keys: [] });
    expect(chunks([], 'hour')).toEqual([{ ranges: [], withNull: false, keys: [] }]);
  });

  it('a statement\'s rows carry their interval folder, and rows outside its intervals go to the stray folder -1', () => {
    const sql = chunkSelect('select * from x where __stedi_batch_window("x", "ts")', 'ts', 'hour', { ranges: [{ start: H, end: 2 * H }], withNull: false, keys: [] });
    expect(sql).toContain('CASE WHEN ((stedi_m."ts" >= 3600000 AND stedi_m."ts" < 7200000)) THEN');
    expect(sql).toContain('ELSE CAST(-1 AS BIGINT) END AS "stedi_interval"');
    expect(ctas('db', 't', 'hive', V, 'select 1', ['stedi_interval'])).toContain(`partitioned_by = ARRAY['stedi_interval']`);
    expect(() => ctas('db', 't', 'iceberg', V, 'select 1', ['stedi_interval'])).toThrow(/only a Hive CTAS/);
  });

  it('a file is orphaned only when no kept version lists it', () => {
    expect(orphanFiles([['a', 'b'], ['b', 'c']], [['b'], ['d']])).toEqual(['a', 'c']);
    expect(orphanFiles([['a']], [['a']])).toEqual([]);
  });
});

const MICROBATCH = ['accelerometer_trusted', 'step_trainer_trusted', 'machine_learning_curated'];
function hiveStedi() {
  const c = compileStedi();
  for (const n of Object.values(c.manifest.nodes)) if (n.resource_type === 'model' && MICROBATCH.includes(n.name)) n.config.table_format = 'hive';
  return c;
}

/** The simulator registers a CTAS with one column; the fingerprints need customer_trusted's key column. */
const shape = (sql: string) => (/^SELECT \* FROM "stedi"\."customer_trusted" LIMIT 0$/.test(sql) ? { columns: [{ Name: 'email', Label: 'email', Type: 'varchar' }] } : undefined);

let sim: HookedSimulator;
let aws: FakeAws;
fakeAwsEachTest((s, a) => {
  sim = s;
  aws = a;
});

describe('a Hive microbatch build on Athena (simulator, real SDK clients)', () => {
  const { manifest, target } = hiveStedi();
  let n = 0;
  const next = () => adapterOptions({ random: () => (++n % 97) / 100 });

  it('publishes a symlink table over its interval files, the CTAS partitioned by interval', async () => {
    deliverLanding(sim);
    sim.hooks.outcome = shape;
    const { results } = await build(target, manifest, next());
    const r = results.find((x) => x.name === 'accelerometer_trusted')!;
    expect(r.status, r.message).toBe('success');
    expect(r.message).toMatch(/^OK hive table at .*\(microbatch: built whole: first build; \d+ intervals? written\)/);
    const t = sim.tables.get('accelerometer_trusted')!.table;
    expect(t.StorageDescriptor?.InputFormat).toBe('org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat');
    expect(t.StorageDescriptor?.SerdeInfo?.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    expect(t.PartitionKeys ?? []).toEqual([]);
    const manifestUri = t.Parameters!.stedi_interval_manifest!;
    expect(t.StorageDescriptor?.Location).toBe(manifestUri.replace(/manifest$/, ''));
    expect(sim.bodies.has(manifestUri)).toBe(true);
    expect(JSON.parse(t.Parameters!.stedi_part_prefixes!)).toEqual([t.Parameters!.stedi_location]);
    const sent = statements(aws.calls).filter((s) => s.startsWith('CREATE TABLE "stedi"."accelerometer_trusted__stedi_'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(`partitioned_by = ARRAY['stedi_interval']`);
    // the candidate tables are gone
    expect([...sim.tables.keys()].filter((k) => k.includes('__stedi_'))).toEqual([]);
  });

  it('a row outside its statement\'s intervals fails the build: nothing is published, the candidate\'s data is deleted', async () => {
    deliverLanding(sim);
    sim.hooks.outcome = (sql) => (/^SELECT count\(\*\) AS stray FROM "stedi"\."accelerometer_trusted__stedi_/.test(sql) ? { columns: [{ Name: 'stray', Label: 'stray', Type: 'bigint' }], rows: [['2']] } : shape(sql));
    const { results } = await build(target, manifest, next());
    const r = results.find((x) => x.name === 'accelerometer_trusted')!;
    expect(r.status).toBe('error');
    expect(r.message).toMatch(/2 row\(s\) were produced outside the intervals their batch read/);
    expect(sim.tables.has('accelerometer_trusted')).toBe(false);
    expect([...sim.tables.keys()].filter((k) => k.includes('__stedi_'))).toEqual([]);
    expect([...sim.objects].filter((o) => o.includes('/accelerometer_trusted/v='))).toEqual([]);
  });

  it('a failing gate leaves the published version as it was (its Glue version, its manifest); the candidate is removed', async () => {
    deliverLanding(sim);
    sim.hooks.outcome = shape;
    await build(target, manifest, next());
    expect(sim.tables.get('accelerometer_trusted')!.table.Parameters!.stedi_interval_manifest).toBeDefined();
    const before = structuredClone(sim.tables.get('accelerometer_trusted')!.table);
    const failing = { columns: [{ Name: 'failures', Label: 'failures', Type: 'bigint' }], rows: [['1']] };
    sim.hooks.outcome = (sql) => (/^select count\(\*\) as failures/.test(sql) && sql.includes('"stedi"."accelerometer_trusted__stedi_') ? failing : shape(sql));
    const { results } = await build(target, manifest, next(), 'build', undefined, undefined, undefined, { fullRefresh: true });
    const r = results.find((x) => x.name === 'accelerometer_trusted')!;
    expect(r.status).not.toBe('success');
    expect(sim.tables.get('accelerometer_trusted')!.table).toEqual(before);
    expect([...sim.tables.keys()].filter((k) => k.includes('__stedi_'))).toEqual([]);
    const prefixes = new Set([...sim.objects].filter((o) => o.includes('/accelerometer_trusted/v=')).map((o) => /\/v=[^/]+\//.exec(o)![0]));
    expect([...prefixes]).toEqual([/\/v=[^/]+\//.exec(before.Parameters!.stedi_location!)![0]]);
  });
});
