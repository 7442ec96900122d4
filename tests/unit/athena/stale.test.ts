/**
 * Candidates left by a killed build (`<name>__stedi_<version>`): removed by the next build once
 * older than 24 hours, their S3 data only when it is the prefix stedi made for that candidate
 * and no published version records it; younger candidates (a build still running) are left alone.
 */
import { describe, expect, it } from 'vitest';
import { AthenaAdapter } from '../../../runner/adapters/athena/adapter.js';
import { createClients } from '../../../runner/adapters/athena/clients.js';
import type { HookedSimulator } from '../../helpers/hooked-simulator.js';
import { ownerParams } from '../../../runner/adapters/athena/glue.js';
import { versionMarkerKey } from '../../../runner/adapters/athena/names.js';
import { adapterOptions, build, type Call, compileProject, emptyLanding, type FakeAws, fakeAwsEachTest, OWNER } from './harness.js';

const { manifest, target } = compileProject({ 'models/emails.sql': "select email from {{ source('landing', 'customer') }}\n" });
const DIR = 's3://lake-bucket/zones/emails/main/emails';
/** The cleaning build runs 36 hours after the first one. */
const NOW = new Date('2026-01-02T12:00:00Z');

let sim: HookedSimulator;
let aws: FakeAws;
fakeAwsEachTest((s, a) => {
  sim = s;
  aws = a;
});

/**
 * A table left in Glue (and its files on S3) as a killed build leaves it: stamped with this
 * project's and target's owner (the adapter stamps a candidate right after its CTAS), its prefix
 * with the ownership marker beside it (written before the CTAS). `owned: false` leaves a table
 * named like a candidate that carries no owner (someone else's, or killed before the stamp).
 */
function leftover(name: string, created: string, location?: string, owned = true): void {
  const own = owned ? { ...ownerParams(OWNER), stedi_node: 'model.mini.emails' } : {};
  if (location) {
    sim.CreateTable({ TableInput: { Name: name, TableType: 'EXTERNAL_TABLE', Parameters: { table_type: 'ICEBERG', metadata_location: `${location}metadata/00000.metadata.json`, ...own }, StorageDescriptor: { Location: location, Columns: [{ Name: 'email', Type: 'string' }] } } });
    sim.objects.add(`${location}data/part-00000.parquet`);
    sim.objects.add(`${location}metadata/00000.metadata.json`);
    if (owned && location.startsWith(DIR)) sim.putObject(versionMarkerKey(location), JSON.stringify({ ...OWNER, node: 'model.mini.emails', location }));
  } else {
    sim.CreateTable({ TableInput: { Name: name, TableType: 'VIRTUAL_VIEW', Parameters: { presto_view: 'true', ...own }, StorageDescriptor: { Columns: [] } } });
  }
  sim.tables.get(name)!.table.CreateTime = new Date(created);
}

function brief(c: Call): string {
  const i = c.input;
  const del = (i.Delete as { Objects?: { Key?: string }[] } | undefined)?.Objects?.map((o) => o.Key).join(',');
  return `${c.service}:${c.operation} ${String(i.Name ?? i.TableName ?? i.Prefix ?? del ?? i.WorkGroup ?? i.Expression ?? i.Key ?? '')}`;
}

const under = (prefix: string) => [...sim.objects].filter((o) => o.startsWith(prefix)).sort();

async function openForWrite(log: string[], mode: 'read' | 'write' = 'write'): Promise<void> {
  const adapter = new AthenaAdapter(target as unknown as Record<string, unknown>, createClients('eu-west-1'), adapterOptions({ now: () => NOW, log: (m) => log.push(m) }));
  await adapter.open(mode);
}

describe('candidates left by a killed build', () => {
  it('are removed at the next build once older than 24h; their data only when it is theirs alone; younger ones are left alone', async () => {
    // a first build publishes emails (from an empty landing folder); the process dies right after publishing, before removing its candidate
    emptyLanding(sim);
    const realDelete = sim.DeleteTable.bind(sim);
    sim.DeleteTable = (input) => {
      if (input.Name?.startsWith('emails__stedi_')) throw new Error('killed');
      return realDelete(input);
    };
    await build(target, manifest, adapterOptions());
    sim.DeleteTable = realDelete;
    const published = structuredClone(sim.tables.get('emails')!);
    // the landing ingestion of the source took the build's first version
    const PUBLISHED = `${DIR}/v=20260101T000000Z-02020202/`;
    expect(published.table.Parameters?.stedi_location).toBe(PUBLISHED);
    const killedAfterPublish = 'emails__stedi_20260101t000000z_02020202';
    expect(sim.tables.get(killedAfterPublish)!.table.StorageDescriptor?.Location).toBe(PUBLISHED);
    const publishedFiles = under(PUBLISHED);
    expect(publishedFiles).toHaveLength(2);

    const OWN = `${DIR}/v=20260101T115900Z-0a0b0c0d/`;
    const YOUNG = `${DIR}/v=20260101T130000Z-0c0c0c0c/`;
    const FOREIGN = 's3://someone-else/data/v=20251225T000000Z-0d0d0d0d/';
    const OTHER_VERSION = `${DIR}/v=20251201T000000Z-0f0f0f0f/`;
    leftover('emails__stedi_20260101t115900z_0a0b0c0d', '2026-01-01T11:59:00Z', OWN); // 24h01m old, killed before publishing
    leftover('emails__stedi_20260101t130000z_0c0c0c0c', '2026-01-01T13:00:00Z', YOUNG); // 23h old: maybe a build still running
    leftover('other__stedi_20251225t000000z_0d0d0d0d', '2025-12-25T00:00:00Z', FOREIGN); // points outside s3_data_dir
    leftover('emails__stedi_20251229t000000z_0e0e0e0e', '2025-12-29T00:00:00Z', OTHER_VERSION); // points at a prefix not made for it
    leftover('emails_v__stedi_20251230t000000z_0b0b0b0b', '2025-12-30T00:00:00Z'); // a view candidate: no data
    const filesBefore = new Set(sim.objects);

    aws.calls.length = 0;
    const log: string[] = [];
    await openForWrite(log);

    expect(aws.calls.map(brief)).toEqual([
      'athena:GetWorkGroup stedi',
      'glue:GetDatabase stedi',
      'glue:GetTables .*__stedi_.*',
      // killed after publishing: its location is the published data, recorded by the published table
      'glue:GetTable emails',
      'glue:GetTableVersions emails',
      `glue:DeleteTable ${killedAfterPublish}`,
      // killed before publishing: its own prefix, recorded by no version of emails, with this project's marker beside it
      'glue:GetTable emails',
      'glue:GetTableVersions emails',
      's3:GetObject zones/emails/main/emails/_stedi_versions/v=20260101T115900Z-0a0b0c0d.json',
      `s3:ListObjectsV2 zones/emails/main/emails/v=20260101T115900Z-0a0b0c0d/`,
      `s3:DeleteObjects zones/emails/main/emails/v=20260101T115900Z-0a0b0c0d/data/part-00000.parquet,zones/emails/main/emails/v=20260101T115900Z-0a0b0c0d/metadata/00000.metadata.json`,
      's3:DeleteObjects zones/emails/main/emails/_stedi_versions/v=20260101T115900Z-0a0b0c0d.json',
      'glue:DeleteTable emails__stedi_20260101t115900z_0a0b0c0d',
      // the 23h-old candidate is not touched at all
      'glue:DeleteTable other__stedi_20251225t000000z_0d0d0d0d',
      'glue:DeleteTable emails__stedi_20251229t000000z_0e0e0e0e',
      'glue:DeleteTable emails_v__stedi_20251230t000000z_0b0b0b0b',
    ]);
    expect(aws.calls.find((c) => c.operation === 'ListObjectsV2')!.input).toEqual({ Bucket: 'lake-bucket', Prefix: 'zones/emails/main/emails/v=20260101T115900Z-0a0b0c0d/' });

    // only the killed candidate's own files are gone
    expect([...filesBefore].filter((o) => !sim.objects.has(o)).sort()).toEqual([versionMarkerKey(OWN), `${OWN}data/part-00000.parquet`, `${OWN}metadata/00000.metadata.json`].sort());
    expect(under(PUBLISHED)).toEqual(publishedFiles);
    expect(sim.tables.get('emails')).toEqual(published);
    expect([...sim.tables.keys()].sort()).toEqual(['customer', 'customer__rejects', 'emails', 'emails__stedi_20260101t130000z_0c0c0c0c']);
    expect(log).toEqual([
      `removed the candidate table stedi.${killedAfterPublish} left by an interrupted build (its location ${PUBLISHED} is not data stedi made for this candidate alone, so it was left in place)`,
      'removed the candidate table stedi.emails__stedi_20260101t115900z_0a0b0c0d left by an interrupted build',
      `removed the candidate table stedi.other__stedi_20251225t000000z_0d0d0d0d left by an interrupted build (its location ${FOREIGN} is not data stedi made for this candidate alone, so it was left in place)`,
      `removed the candidate table stedi.emails__stedi_20251229t000000z_0e0e0e0e left by an interrupted build (its location ${OTHER_VERSION} is not data stedi made for this candidate alone, so it was left in place)`,
      'removed the candidate table stedi.emails_v__stedi_20251230t000000z_0b0b0b0b left by an interrupted build',
    ]);

    // the young candidate is removed by a build a day after it was made
    aws.calls.length = 0;
    const later = new AthenaAdapter(target as unknown as Record<string, unknown>, createClients('eu-west-1'), adapterOptions({ now: () => new Date('2026-01-02T13:00:00Z') }));
    await later.open('write');
    expect(aws.calls.map(brief).slice(3)).toEqual([
      'glue:GetTable emails',
      'glue:GetTableVersions emails',
      's3:GetObject zones/emails/main/emails/_stedi_versions/v=20260101T130000Z-0c0c0c0c.json',
      `s3:ListObjectsV2 zones/emails/main/emails/v=20260101T130000Z-0c0c0c0c/`,
      `s3:DeleteObjects zones/emails/main/emails/v=20260101T130000Z-0c0c0c0c/data/part-00000.parquet,zones/emails/main/emails/v=20260101T130000Z-0c0c0c0c/metadata/00000.metadata.json`,
      's3:DeleteObjects zones/emails/main/emails/_stedi_versions/v=20260101T130000Z-0c0c0c0c.json',
      'glue:DeleteTable emails__stedi_20260101t130000z_0c0c0c0c',
    ]);
    expect(under(YOUNG)).toEqual([]);
    expect(under(PUBLISHED)).toEqual(publishedFiles);
    expect(under(FOREIGN)).toHaveLength(2);
    expect(under(OTHER_VERSION)).toHaveLength(2);
  });

  it('a candidate of a model never published has its own prefix removed', async () => {
    const OWN = 's3://lake-bucket/zones/emails/main/emails/v=20251231T000000Z-01020304/';
    leftover('emails__stedi_20251231t000000z_01020304', '2025-12-31T00:00:00Z', OWN);
    aws.calls.length = 0;
    await openForWrite([]);
    expect(aws.calls.map(brief).slice(3)).toEqual([
      'glue:GetTable emails',
      'glue:GetTableVersions emails',
      's3:GetObject zones/emails/main/emails/_stedi_versions/v=20251231T000000Z-01020304.json',
      's3:ListObjectsV2 zones/emails/main/emails/v=20251231T000000Z-01020304/',
      's3:DeleteObjects zones/emails/main/emails/v=20251231T000000Z-01020304/data/part-00000.parquet,zones/emails/main/emails/v=20251231T000000Z-01020304/metadata/00000.metadata.json',
      's3:DeleteObjects zones/emails/main/emails/_stedi_versions/v=20251231T000000Z-01020304.json',
      'glue:DeleteTable emails__stedi_20251231t000000z_01020304',
    ]);
    expect([...sim.tables.keys()]).toEqual([]);
    expect(sim.objects.size).toBe(0);
  });

  it('a Hive microbatch candidate (a manifest inside its prefix): its own prefix is removed, unless a published version reads files there', async () => {
    const mine = 's3://lake-bucket/zones/emails/main/emails/v=20251231T000000Z-0a0a0a0a/';
    const read = 's3://lake-bucket/zones/emails/main/emails/v=20251230T000000Z-0b0b0b0b/';
    for (const [loc, version] of [[mine, '20251231t000000z_0a0a0a0a'], [read, '20251230t000000z_0b0b0b0b']] as const) {
      const name = `emails__stedi_${version}`;
      sim.CreateTable({ TableInput: { Name: name, TableType: 'EXTERNAL_TABLE', Parameters: { classification: 'parquet', ...ownerParams(OWNER), stedi_node: 'model.mini.emails', stedi_location: loc }, StorageDescriptor: { Location: `${loc}_symlink_format_manifest/`, Columns: [{ Name: 'email', Type: 'string' }] } } });
      sim.tables.get(name)!.table.CreateTime = new Date('2025-12-30T00:00:00Z');
      sim.objects.add(`${loc}stedi_interval=0/part-0`);
      sim.putObject(`${loc}_symlink_format_manifest/manifest`, `${loc}stedi_interval=0/part-0\n`);
      sim.putObject(versionMarkerKey(loc), JSON.stringify({ ...OWNER, node: 'model.mini.emails', location: loc }));
    }
    // the published version lives elsewhere but reads an interval file of the second prefix (its own version of that prefix was pruned)
    const current = 's3://lake-bucket/zones/emails/main/emails/v=20260101T000000Z-0c0c0c0c/';
    sim.CreateTable({ TableInput: { Name: 'emails', TableType: 'EXTERNAL_TABLE', Parameters: { classification: 'parquet', ...ownerParams(OWNER), stedi_node: 'model.mini.emails', stedi_location: current, stedi_part_prefixes: JSON.stringify([current, read]) }, StorageDescriptor: { Location: `${current}_symlink_format_manifest/`, Columns: [{ Name: 'email', Type: 'string' }] } } });
    const log: string[] = [];
    await openForWrite(log);
    expect(under(mine)).toEqual([]);
    expect(under(read)).toHaveLength(2);
    expect(log.join('\n')).toMatch(/emails__stedi_20251230t000000z_0b0b0b0b .*was left in place/);
    expect([...sim.tables.keys()]).toEqual(['emails']);
  });

  it('are left alone by commands that only read (stedi test, stedi show)', async () => {
    leftover('emails__stedi_20251229t000000z_0a0b0c0d', '2025-12-29T00:00:00Z', `${DIR}/v=20251229T000000Z-0a0b0c0d/`);
    aws.calls.length = 0;
    await openForWrite([], 'read');
    expect(aws.calls.map(brief)).toEqual(['athena:GetWorkGroup stedi', 'glue:GetDatabase stedi']);
    expect(sim.tables.has('emails__stedi_20251229t000000z_0a0b0c0d')).toBe(true);
    expect(sim.objects.size).toBe(3); // its data and its ownership marker
  });

  it('a candidate that cannot be removed is reported and kept for the next build; the build goes on', async () => {
    const STUCK = `${DIR}/v=20251228T000000Z-0a0a0a0a/`;
    leftover('emails__stedi_20251228t000000z_0a0a0a0a', '2025-12-28T00:00:00Z', STUCK);
    leftover('emails__stedi_20251229t000000z_0b0b0b0b', '2025-12-29T00:00:00Z', `${DIR}/v=20251229T000000Z-0b0b0b0b/`);
    const realDelete = sim.DeleteObjects.bind(sim);
    sim.DeleteObjects = (input) => {
      if (input.Delete?.Objects?.some((o) => o.Key?.includes('0a0a0a0a'))) return { $metadata: {}, Errors: [{ Key: 'x', Code: 'AccessDenied', Message: 'Access Denied' }] } as never;
      return realDelete(input);
    };
    const log: string[] = [];
    await openForWrite(log);
    expect(log).toEqual([
      `warning: the candidate table stedi.emails__stedi_20251228t000000z_0a0a0a0a left by an interrupted build could not be removed (could not delete 1 object(s) under ${STUCK}: Access Denied); the next build retries`,
      'removed the candidate table stedi.emails__stedi_20251229t000000z_0b0b0b0b left by an interrupted build',
    ]);
    // S3 first, then Glue: the entry that still records the data stays for the next attempt
    expect([...sim.tables.keys()]).toEqual(['emails__stedi_20251228t000000z_0a0a0a0a']);
    expect(under(STUCK)).toHaveLength(2);
  });
});
