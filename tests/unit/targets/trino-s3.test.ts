/**
 * The trino target on S3 (runner/adapters/trino/s3.ts), on the real SDK S3Client whose transport
 * aws-sdk-client-mock answers from an in-memory bucket: the landing parts are written under a
 * version prefix marked as stedi's before its first object, and removed with their marker after;
 * the sweep of a killed build's parts removes only prefixes whose marker names this project and
 * target, leaving (and reporting) a look-alike without one; landing files are read from S3 with
 * the Athena target's store, and a prefix that holds nothing or cannot be listed fails closed.
 */
import { gunzipSync } from 'node:zlib';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type ListObjectsV2CommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createS3Api, S3Parts } from '../../../runner/adapters/trino/s3.js';
import { s3LandingStore } from '../../../runner/adapters/athena/landing-io.js';
import { landingColumns } from '../../../runner/landing/classify.js';
import { ingestLanding } from '../../../runner/landing/ingest.js';
import { LandingMissingError, LandingReadError } from '../../../runner/landing/store.js';
import { checkTargetValue } from '../../../runner/project/target.js';

const OWNER = { project: 'stedi', target: 'trino' };
const V1 = '20261201T000000Z-0badc0de';
const V2 = '20261201T000001Z-0000beef';
const V3 = '20261201T000002Z-0000f00d';
const V4 = '20261201T000003Z-00c0ffee';

/** An in-memory bucket `lake` behind the SDK's S3Client, with a log of the calls. */
function fakeS3(opts: { pageSize?: number; denyList?: boolean } = {}) {
  const objects = new Map<string, Buffer>();
  const calls: string[] = [];
  const mock = mockClient(S3Client);
  const key = (b: unknown, k: unknown) => `${String(b)}/${String(k)}`;
  mock.on(PutObjectCommand).callsFake((i: { Bucket: string; Key: string; Body: Buffer | string }) => {
    calls.push(`put ${i.Key}`);
    objects.set(key(i.Bucket, i.Key), Buffer.from(i.Body));
    return {};
  });
  mock.on(GetObjectCommand).callsFake((i: { Bucket: string; Key: string }) => {
    const body = objects.get(key(i.Bucket, i.Key));
    if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    return { Body: (async function* () { yield body; })() };
  });
  mock.on(DeleteObjectsCommand).callsFake((i: { Bucket: string; Delete: { Objects: { Key: string }[] } }) => {
    for (const o of i.Delete.Objects) {
      calls.push(`delete ${o.Key}`);
      objects.delete(key(i.Bucket, o.Key));
    }
    return {};
  });
  mock.on(ListObjectsV2Command).callsFake((i: ListObjectsV2CommandInput) => {
    if (opts.denyList) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const prefix = i.Prefix ?? '';
    const keys = [...objects.keys()].filter((k) => k.startsWith(`${i.Bucket}/`)).map((k) => k.slice(i.Bucket!.length + 1)).filter((k) => k.startsWith(prefix)).sort();
    const entries: { key?: string; prefix?: string }[] = [];
    for (const k of keys) {
      const rest = k.slice(prefix.length);
      const cut = i.Delimiter ? rest.indexOf(i.Delimiter) : -1;
      if (cut < 0) entries.push({ key: k });
      else if (!entries.some((e) => e.prefix === prefix + rest.slice(0, cut + 1))) entries.push({ prefix: prefix + rest.slice(0, cut + 1) });
    }
    // as S3's, a continuation token continues after the last name listed (deleting listed keys shifts nothing)
    const name = (e: { key?: string; prefix?: string }) => (e.key ?? e.prefix)!;
    const rest = entries.filter((e) => i.ContinuationToken === undefined || name(e) > i.ContinuationToken);
    const page = rest.slice(0, opts.pageSize ?? 1000);
    const more = page.length < rest.length;
    return {
      Contents: page.filter((e) => e.key).map((e) => ({ Key: e.key, Size: objects.get(`${i.Bucket}/${e.key}`)!.length, ETag: `"etag-${e.key!}"` })),
      CommonPrefixes: page.filter((e) => e.prefix).map((e) => ({ Prefix: e.prefix })),
      IsTruncated: more,
      ...(more ? { NextContinuationToken: name(page[page.length - 1]!) } : {}),
    };
  });
  const put = (k: string, body: string) => objects.set(`lake/${k}`, Buffer.from(body));
  const marker = (table: string, v: string, owner: { project: string; target: string }) =>
    put(`parts/customer/${table}/_stedi_versions/v=${v}.json`, JSON.stringify({ ...owner, node: 'source.stedi.landing.customer', location: `s3://lake/parts/customer/${table}/v=${v}/` }));
  return { objects, calls, mock, put, marker, keys: () => [...objects.keys()].sort() };
}

let s3: ReturnType<typeof fakeS3> | undefined;
afterEach(() => s3?.mock.restore());

const { columns } = landingColumns([{ name: 'customerName', data_type: 'varchar' }, { name: 'serialNumber', data_type: 'varchar' }, { name: 'shareWithResearchAsOfDate', data_type: 'bigint' }]);

describe('S3Parts.write: the landing parts of one build', () => {
  beforeEach(() => {
    s3 = fakeS3();
  });

  it('marks each version prefix as this project\'s and target\'s before its first part, writes gzipped JSON lines with lower-case keys, and removes exactly the parts and the marker after', async () => {
    s3!.put('parts/customer/customer/other.json', 'not stedi\'s'); // a foreign object under the parts prefix
    s3!.put('parts/customer/customer/v=latest/x.json', 'not stedi\'s');
    const parts = new S3Parts(await createS3Api(), 's3://lake/parts/', OWNER);
    const w = parts.write('customer', { accepted: 'customer', rejects: 'customer__rejects' }, V1, 'source.stedi.landing.customer', columns);
    expect(w.locations).toEqual({ accepted: `s3://lake/parts/customer/customer/v=${V1}/`, rejects: `s3://lake/parts/customer/customer__rejects/v=${V1}/` });
    w.sink.accept(['Ana B.', 'S-1', 1700000000000n]);
    w.sink.accept([null, 'S-2', null]);
    w.sink.reject({ file: 'f.json', line: 3, reason: 'invalid_json', detail: 'x', raw: '{' });
    await w.finish();
    const puts = s3!.calls.filter((c) => c.startsWith('put '));
    expect(puts.indexOf(`put parts/customer/customer/_stedi_versions/v=${V1}.json`)).toBeLessThan(puts.indexOf(`put parts/customer/customer/v=${V1}/part-00000.json.gz`));
    expect(puts.indexOf(`put parts/customer/customer__rejects/_stedi_versions/v=${V1}.json`)).toBeLessThan(puts.indexOf(`put parts/customer/customer__rejects/v=${V1}/part-00000.json.gz`));
    const marker = JSON.parse(s3!.objects.get(`lake/parts/customer/customer/_stedi_versions/v=${V1}.json`)!.toString()) as Record<string, string>;
    expect(marker).toMatchObject({ project: 'stedi', target: 'trino', node: 'source.stedi.landing.customer' });
    const lines = gunzipSync(s3!.objects.get(`lake/parts/customer/customer/v=${V1}/part-00000.json.gz`)!).toString().trim().split('\n');
    expect(lines).toEqual(['{"customername":"Ana B.","serialnumber":"S-1","sharewithresearchasofdate":1700000000000}', '{"customername":null,"serialnumber":"S-2","sharewithresearchasofdate":null}']);
    expect(await w.remove()).toBe('');
    expect(s3!.keys()).toEqual(['lake/parts/customer/customer/other.json', 'lake/parts/customer/customer/v=latest/x.json']);
  });

  it('leaves a version prefix whose marker no longer names this project and target, and says so', async () => {
    const parts = new S3Parts(await createS3Api(), 's3://lake/parts', OWNER);
    const w = parts.write('customer', { accepted: 'customer', rejects: 'customer__rejects' }, V1, 'source.stedi.landing.customer', columns);
    w.sink.accept(['A', 'S-1', 1n]);
    await w.finish();
    s3!.marker('customer', V1, { project: 'other', target: 'trino' });
    expect(await w.remove()).toBe(`; warning: the landing parts at s3://lake/parts/customer/customer/v=${V1}/ were left in place: their ownership marker is missing`);
    expect(s3!.keys()).toContain(`lake/parts/customer/customer/v=${V1}/part-00000.json.gz`);
  });

  it('writes nothing for a table without rows (no marker, no object): Trino reads the absent prefix as empty', async () => {
    const w = new S3Parts(await createS3Api(), 's3://lake/parts', OWNER).write('customer', { accepted: 'customer', rejects: 'customer__rejects' }, V1, 'n', columns);
    w.sink.accept(['A', 'S-1', 1n]);
    await w.finish();
    expect(s3!.keys().filter((k) => k.includes('__rejects'))).toEqual([]);
    await w.remove();
    expect(s3!.keys()).toEqual([]);
  });

  it('after a failed ingestion, removes what was uploaded once no upload is in flight', async () => {
    const w = new S3Parts(await createS3Api(), 's3://lake/parts', OWNER).write('customer', { accepted: 'customer', rejects: 'customer__rejects' }, V1, 'n', columns, { partChars: 1000 });
    for (let i = 0; i < 50; i++) w.sink.accept([`name ${i}`.padEnd(200, '.'), `S-${i}`, BigInt(i)]);
    // no finish(): the ingestion failed while parts were uploading
    await w.remove();
    expect(s3!.calls.filter((c) => c.startsWith('put ') && c.includes('/part-')).length).toBeGreaterThan(5);
    expect(s3!.keys()).toEqual([]);
  });
});

describe('S3Parts.sweep: the parts a killed build left', () => {
  it('removes the version prefixes and lone markers this project and target marked, and leaves look-alikes, other tables and other folders', async () => {
    s3 = fakeS3({ pageSize: 2 }); // every listing paginated
    const mine = OWNER;
    // a killed build's parts, marked as ours
    s3.marker('customer', V1, mine);
    s3.put(`parts/customer/customer/v=${V1}/part-00000.json.gz`, 'x');
    s3.put(`parts/customer/customer/v=${V1}/part-00001.json.gz`, 'x');
    s3.put(`parts/customer/customer/v=${V1}/part-00002.json.gz`, 'x');
    // a build killed between its marker and its first part
    s3.marker('customer__rejects', V2, mine);
    // look-alikes: no marker; another project's marker; another target's marker
    s3.put(`parts/customer/customer/v=${V3}/part-00000.json.gz`, 'theirs');
    s3.marker('customer', V4, { project: 'other', target: 'trino' });
    s3.put(`parts/customer/customer/v=${V4}/part-00000.json.gz`, 'theirs');
    s3.marker('customer__rejects', V3, { project: 'stedi', target: 'trino_prod' });
    s3.put(`parts/customer/customer__rejects/v=${V3}/part-00000.json.gz`, 'theirs');
    // not a version folder; another table of the entity; a foreign object
    s3.put('parts/customer/customer/v=latest/part-00000.json.gz', 'theirs');
    s3.marker('customer_trusted', V1, mine);
    s3.put(`parts/customer/customer_trusted/v=${V1}/part-00000.json.gz`, 'x');
    s3.put('parts/customer/customer/notes.txt', 'theirs');
    const before = s3.keys();

    const r = await new S3Parts(await createS3Api(), 's3://lake/parts', OWNER).sweep('customer', ['customer', 'customer__rejects']);
    expect(r.problems).toEqual([]);
    expect(r.removed).toEqual([`landing parts s3://lake/parts/customer/customer/v=${V1}/`, `landing parts s3://lake/parts/customer/customer__rejects/v=${V2}/`]);
    expect(r.left).toEqual([`s3://lake/parts/customer/customer/v=${V3}/`, `s3://lake/parts/customer/customer/v=${V4}/`, `s3://lake/parts/customer/customer__rejects/v=${V3}/`]);
    const gone = before.filter((k) => !s3!.keys().includes(k));
    expect(gone).toEqual([
      `lake/parts/customer/customer/_stedi_versions/v=${V1}.json`,
      `lake/parts/customer/customer/v=${V1}/part-00000.json.gz`,
      `lake/parts/customer/customer/v=${V1}/part-00001.json.gz`,
      `lake/parts/customer/customer/v=${V1}/part-00002.json.gz`,
      `lake/parts/customer/customer__rejects/_stedi_versions/v=${V2}.json`,
    ]);
    // every delete was of a key under a prefix (or of a marker) that was ours
    expect(s3.calls.filter((c) => c.startsWith('delete ')).every((c) => c.includes(V1) || c.includes(V2))).toBe(true);
  });

  it('does not throw when the prefix cannot be listed: the problem names the prefix, nothing is deleted', async () => {
    s3 = fakeS3({ denyList: true });
    const r = await new S3Parts(await createS3Api(), 's3://lake/parts', OWNER).sweep('customer', ['customer']);
    expect(r.removed).toEqual([]);
    expect(r.problems).toEqual(['the landing parts under s3://lake/parts/customer/customer/ (Access Denied)']);
    expect(s3.calls.filter((c) => c.startsWith('delete '))).toEqual([]);
  });
});

describe('landing files on S3 through the trino target\'s client', () => {
  const spec = { source: 's', relation: 'r', rejects_relation: 'rr', location: 's3://lake/landing/customer', columns, on_malformed: 'quarantine' as const };

  it('reads every object of the landing prefix, with IfMatch on its listed ETag', async () => {
    s3 = fakeS3();
    s3.put('landing/customer/a.json', '{"customerName":"A","serialNumber":"S-1","shareWithResearchAsOfDate":1}\n');
    s3.put('landing/customer/b.json', '{"customerName":"Bo","serialNumber":"S-2","shareWithResearchAsOfDate":2}\n');
    const seen: unknown[] = [];
    const report = await ingestLanding(spec, { accept: (v) => seen.push(v[1]), reject: () => undefined }, { store: s3LandingStore(await createS3Api()) });
    expect(seen).toEqual(['S-1', 'S-2']);
    expect(report.totals.accepted).toBe(2);
    const gets = s3.mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input);
    expect(gets).toEqual([
      { Bucket: 'lake', Key: 'landing/customer/a.json', IfMatch: '"etag-landing/customer/a.json"' },
      { Bucket: 'lake', Key: 'landing/customer/b.json', IfMatch: '"etag-landing/customer/b.json"' },
    ]);
  });

  it('fails closed: a prefix without any object is LandingMissingError, one that cannot be listed a LandingReadError naming it', async () => {
    s3 = fakeS3();
    s3.put('landing/customer-old/a.json', '{}\n'); // a look-alike prefix is not the landing prefix
    const sink = { accept: () => undefined, reject: () => undefined };
    await expect(ingestLanding(spec, sink, { store: s3LandingStore(await createS3Api()) })).rejects.toBeInstanceOf(LandingMissingError);
    s3.mock.restore();
    s3 = fakeS3({ denyList: true });
    const e = await ingestLanding(spec, sink, { store: s3LandingStore(await createS3Api()) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LandingReadError);
    expect((e as Error).message).toContain('s3://lake/landing/customer');
    expect((e as Error).message).toContain('AccessDenied');
  });
});

describe('the s3_force_path_style setting', () => {
  it('is a boolean, or its text from an env_var template', () => {
    expect(checkTargetValue('trino', 's3_force_path_style', true)).toEqual({ value: true });
    expect(checkTargetValue('trino', 's3_force_path_style', 'false')).toEqual({ value: false });
    expect(checkTargetValue('trino', 's3_force_path_style', 'yes')).toMatchObject({ problem: { code: 'E_BAD_TYPE' } });
  });
});
