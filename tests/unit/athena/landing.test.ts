/**
 * Landing ingestion on Athena behaves as on the local target: the hand-made messy corpus
 * (tests/fixtures/messy) delivered to S3 gives the same report, the same accepted records and the
 * same rejects (file, line, reason, detail, raw) as the local folder, through the real SDK v3
 * clients with faked transports. Then the failure paths: on_malformed fail, a read-back that does
 * not match, an object replaced during the build, a listing refused by S3.
 */
import { describe, expect, it } from 'vitest';
import { S3ServiceException } from '@aws-sdk/client-s3';
import type { HookedSimulator } from '../../helpers/hooked-simulator.js';
import { landingColumns } from '../../../runner/landing/classify.js';
import { ingestLanding } from '../../../runner/landing/ingest.js';
import type { LandingReport, LandingValue, RejectRow } from '../../../runner/landing/types.js';
import type { SourceNode } from '../../../runner/manifest/types.js';
import { pseudonymKey } from '../../../runner/landing/derive.js';
import { adapterOptions, build, compileProject, compileStedi, deliverLanding, type FakeAws, fakeAwsEachTest, KEY } from './harness.js';

const CORPUS = 'tests/fixtures/messy/landing';
const ROOT = 's3://lake-bucket/landing';
const { manifest, target } = compileStedi();
const sources = Object.values(manifest.nodes).filter((n): n is SourceNode => n.resource_type === 'source');
const onlySources = (id: string) => id.startsWith('source.');

let sim: HookedSimulator;
let aws: FakeAws;
fakeAwsEachTest((s, a) => {
  sim = s;
  aws = a;
});

/** What the local target decides for one source's folder of the corpus. */
async function local(node: SourceNode): Promise<{ report: LandingReport; accepted: LandingValue[][]; rejects: RejectRow[] }> {
  const { columns } = landingColumns(node.columns);
  const accepted: LandingValue[][] = [];
  const rejects: RejectRow[] = [];
  const location = `${CORPUS}/${node.entity}/landing`;
  const report = await ingestLanding(
    { source: `${node.source_name}.${node.name}`, relation: `stedi.${node.name}`, rejects_relation: `stedi.${node.name}__rejects`, location, columns, on_malformed: 'quarantine', derive: pseudonymKey(Buffer.from(KEY)) },
    { accept: (v) => accepted.push(v), reject: (r) => rejects.push(r) },
  );
  return { report, accepted, rejects };
}

/** The local report with its paths moved to the S3 landing root, to compare with Athena's. */
function asS3<T>(value: T, entity: string): T {
  const from = `${CORPUS}/${entity}/landing`;
  return JSON.parse(JSON.stringify(value).split(from).join(`${ROOT}/${entity}/landing`)) as T;
}

function reportOf(results: { unique_id: string; adapter_response?: unknown }[], id: string): LandingReport {
  return (results.find((r) => r.unique_id === id)!.adapter_response as { landing: LandingReport }).landing;
}

describe('landing ingestion on Athena', () => {
  it('the messy corpus gives the same report, records and rejects as on the local target', async () => {
    expect(deliverLanding(sim, CORPUS, ROOT)).toBe(9);
    const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, onlySources);
    expect(results.map((r) => `${r.name} ${r.status}`).sort()).toEqual(['accelerometer warn', 'customer warn', 'step_trainer warn']);
    for (const node of sources) {
      const want = await local(node);
      const got = reportOf(results, node.unique_id);
      expect(got, node.name).toEqual(asS3(want.report, node.entity));
      // the rejects table holds every quarantined line with file, line, reason, detail and the raw text
      const rejects = sim.jsonRows(`${node.name}__rejects`).map((l) => JSON.parse(l) as RejectRow);
      expect(rejects, node.name).toEqual(asS3(want.rejects, node.entity));
      // the landing table holds the accepted records, typed, under their declared keys
      const names = node.columns.map((c) => c.name);
      const rows = sim.jsonRows(node.name).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows.map((r) => Object.keys(r)), node.name).toEqual(rows.map(() => names));
      expect(rows.map((r) => Object.values(r)), node.name).toEqual(want.accepted.map((v) => v.map((x) => (typeof x === 'bigint' ? Number(x) : x))));
    }
    // the totals the corpus documents (tests/fixtures/messy/README.md)
    expect(reportOf(results, 'source.stedi.landing.customer').totals).toMatchObject({ lines_read: 13, accepted: 7, rejected: 1, blank: 1, duplicate_delivery: 4, skipped_files: 1, empty_files: 1, duplicate_files: 1 });
    expect(reportOf(results, 'source.stedi.landing.accelerometer').totals).toMatchObject({ lines_read: 10, accepted: 6, rejected: 4, blank: 0, duplicate_delivery: 0 });
    expect(reportOf(results, 'source.stedi.landing.step_trainer').totals).toMatchObject({ lines_read: 18, accepted: 7, rejected: 2, blank: 0, duplicate_delivery: 9 });
  });

  it('writes large outputs in several objects; Athena counts them all before publishing', async () => {
    deliverLanding(sim, CORPUS, ROOT);
    await build(target, manifest, adapterOptions({ landingPartChars: 200 }), 'build', undefined, onlySources);
    // the table reads a manifest that lists every part
    const manifestAt = sim.tables.get('step_trainer')!.table.StorageDescriptor!.Location!;
    expect(manifestAt).toMatch(/\/v=[^/]+\/_symlink_format_manifest\/$/);
    const parts = sim.bodies.get(`${manifestAt}manifest`)!.toString('utf8').split('\n').filter(Boolean);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.every((p) => /\/part-\d{5}\.json\.gz$/.test(p) && sim.objects.has(p))).toBe(true);
    expect(sim.jsonRows('step_trainer')).toHaveLength(7);
  });

  it('keys below the prefix are folders, skipped and named; the console folder marker is the folder itself', async () => {
    sim.putObject(`${ROOT}/customer/landing/`, '');
    sim.putObject(`${ROOT}/customer/landing/archive/customer-0.json`, '{"email":"old@example.com"}\n');
    sim.putObject(`${ROOT}/customer/landing/customer-9.json`, '{"email":"a@example.com"}\n');
    const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
    const r = reportOf(results, 'source.stedi.landing.customer');
    expect(r.files.map((f) => f.file)).toEqual([`${ROOT}/customer/landing/customer-9.json`]);
    expect(r.skipped).toEqual(['archive/']);
    expect(r.totals).toMatchObject({ lines_read: 1, accepted: 1, skipped_files: 1 });
  });

  it('a prefix without any object is an error naming it; nothing is published (not a republished empty table)', async () => {
    // a first build publishes the customer tables
    deliverLanding(sim, CORPUS, ROOT);
    await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
    const before = structuredClone(sim.tables.get('customer'));
    for (const o of [...sim.objects]) if (o.startsWith(`${ROOT}/customer/`)) sim.objects.delete(o);
    aws.calls.length = 0;
    const { results } = await build(target, manifest, adapterOptions({ random: () => 0.5 }), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
    expect(results[0]!.status).toBe('error');
    expect(results[0]!.message).toBe(
      "source customer (models/landing/sources.yml): source landing.customer: the landing prefix s3://lake-bucket/landing/customer/landing/ holds no object (check the source's location and the vars it is built from, e.g. landing_root); the published version is unchanged",
    );
    expect(sim.tables.get('customer')).toEqual(before);
    expect(aws.calls.filter((c) => c.operation === 'PutObject' || c.operation === 'UpdateTable' || c.operation === 'CreateTable')).toEqual([]);
  });

  it('a landing table published over the delivered prefix by an earlier stedi is switched to the ingested copy; the delivered data is never deleted', async () => {
    deliverLanding(sim, CORPUS, ROOT);
    const delivered = [...sim.objects];
    // what an earlier version of stedi published: a SerDe table straight over the landing prefix
    sim.CreateTable({ TableInput: { Name: 'customer', TableType: 'EXTERNAL_TABLE', Parameters: { EXTERNAL: 'TRUE', stedi_managed: 'true' }, StorageDescriptor: { Location: `${ROOT}/customer/landing/` } } });
    for (let i = 0; i < 3; i++) await build(target, manifest, adapterOptions({ random: () => (i + 1) / 8 }), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
    expect(sim.tables.get('customer')!.table.StorageDescriptor?.Location).toBe('s3://lake-bucket/zones/customer/landing/customer/v=20260101T000000Z-60000000/_symlink_format_manifest/');
    // the old version (over the delivered prefix) was pruned from Glue; its data was not touched
    expect(sim.tables.get('customer')!.versions.map((v) => v.StorageDescriptor?.Location)).toEqual([
      's3://lake-bucket/zones/customer/landing/customer/v=20260101T000000Z-40000000/_symlink_format_manifest/',
      's3://lake-bucket/zones/customer/landing/customer/v=20260101T000000Z-60000000/_symlink_format_manifest/',
    ]);
    for (const o of delivered) expect(sim.objects.has(o), o).toBe(true);
    // nothing changed after the first ingestion: the published version still reads its parts, so
    // the first version's prefix is kept although its Glue version was pruned
    const deletes = aws.calls.filter((c) => c.operation === 'DeleteObjects').flatMap((c) => (c.input.Delete as { Objects: { Key: string }[] }).Objects.map((o) => o.Key));
    expect(deletes).toEqual([]);
    const manifestAt = sim.tables.get('customer')!.table.StorageDescriptor!.Location!;
    const reads = sim.bodies.get(`${manifestAt}manifest`)!.toString('utf8').split('\n').filter(Boolean);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((p) => p.startsWith('s3://lake-bucket/zones/customer/landing/customer/v=20260101T000000Z-20000000/part-') && sim.objects.has(p))).toBe(true);
    expect(sim.jsonRows('customer')).toHaveLength(7);
  });

  it('Ctrl-C during the ingestion stops reading, publishes nothing and removes what was written', async () => {
    deliverLanding(sim, CORPUS, ROOT);
    const controller = new AbortController();
    const put = sim.PutObject.bind(sim);
    let puts = 0;
    sim.PutObject = (input) => {
      const out = put(input);
      if (++puts === 1) controller.abort(); // the CLI's SIGINT handler aborts the run once a first object is written
      return out;
    };
    const { results } = await build(target, manifest, adapterOptions({ landingPartChars: 100 }), 'build', controller.signal, (id) => id === 'source.stedi.landing.customer');
    expect(results[0]!.status).toBe('cancelled');
    expect(puts).toBeGreaterThanOrEqual(1);
    expect(aws.calls.some((c) => c.operation === 'StartQueryExecution' || c.operation === 'CreateTable')).toBe(false);
    // nothing still in flight lands after the cleanup
    await new Promise((r) => setTimeout(r, 100));
    expect([...sim.objects].filter((o) => o.startsWith('s3://lake-bucket/zones/'))).toEqual([]);
    expect([...sim.tables.keys()]).toEqual([]);
  });

  describe('failures publish nothing and leave no data behind', () => {
    const written = () => [...sim.objects].filter((o) => o.startsWith('s3://lake-bucket/zones/'));
    const publishes = () => aws.calls.filter((c) => ['CreateTable', 'UpdateTable'].includes(c.operation) && !(c.input.TableInput as { Name: string }).Name.includes('__stedi_'));

    it('--warn-error: a source whose landing report has warnings is not published (the gate sees the report)', async () => {
      deliverLanding(sim, CORPUS, ROOT);
      const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, onlySources, undefined, { warnError: true });
      expect(results.map((r) => `${r.name} ${r.status} ${r.warn_error}`).sort()).toEqual(['accelerometer error true', 'customer error true', 'step_trainer error true']);
      expect(reportOf(results, 'source.stedi.landing.customer').totals.rejected).toBeGreaterThan(0);
      expect(publishes()).toEqual([]);
      expect([...sim.tables.keys()]).toEqual([]);
      expect(written()).toEqual([]);
    });

    it('on_malformed: fail stops at the first malformed line, naming file and line', async () => {
      const yml = `version: 2\nsources:\n  - name: landing\n    tables:\n      - name: accelerometer\n        location: "{{ var('landing_root') }}/accelerometer/landing"\n        config: { on_malformed: fail }\n        columns:\n          - { name: user, data_type: varchar }\n          - { name: timestamp, data_type: bigint }\n          - { name: x, data_type: double }\n          - { name: y, data_type: double }\n          - { name: z, data_type: double }\n`;
      const p = compileProject({ 'models/sources.yml': yml });
      deliverLanding(sim, CORPUS, ROOT);
      const { results } = await build(p.target, p.manifest, adapterOptions(), 'build', undefined, onlySources);
      expect(results[0]!.status).toBe('error');
      expect(results[0]!.message).toContain("s3://lake-bucket/landing/accelerometer/landing/accelerometer-1.json line 5: invalid_json: not valid JSON (and 3 more malformed lines); on_malformed is 'fail', so nothing is published");
      expect(publishes()).toEqual([]);
      expect(written()).toEqual([]);
      expect([...sim.tables.keys()]).toEqual([]);
    });

    it('a read-back that does not hold what was written (the audit) publishes nothing', async () => {
      deliverLanding(sim, CORPUS, ROOT);
      sim.hooks.outcome = (sql) => (sql.startsWith('SELECT (SELECT count(*)') && sql.includes('"customer__stedi_') ? { columns: [{ Name: 'accepted', Type: 'bigint' }, { Name: 'rejected', Type: 'bigint' }], rows: [['6', '1']] } : undefined);
      const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
      expect(results[0]!.status).toBe('error');
      expect(results[0]!.message).toContain('landing.customer does not reconcile: 7 accepted but 6 stored in stedi.customer; nothing was published');
      expect(publishes()).toEqual([]);
      expect(written()).toEqual([]);
      expect([...sim.tables.keys()]).toEqual([]);
    });

    it('an object replaced while the build reads the prefix fails the build; the published version stays', async () => {
      deliverLanding(sim, CORPUS, ROOT);
      await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
      const before = structuredClone(sim.tables.get('customer'));
      // a new file (only new and changed files are read), replaced right after the listing
      const file = `${ROOT}/customer/landing/customer-new.json`;
      sim.putObject(file, '{"email":"first@example.com"}\n');
      const list = sim.ListObjectsV2.bind(sim);
      sim.ListObjectsV2 = (input) => {
        const out = list(input);
        // the landing listing (not the erasure log's, under the data prefix)
        if (String(input.Prefix).startsWith('landing/')) sim.putObject(file, '{"email":"new@example.com"}\n');
        return out;
      };
      aws.calls.length = 0;
      const { results } = await build(target, manifest, adapterOptions({ random: () => 0.5 }), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
      expect(results[0]!.status).toBe('error');
      expect(results[0]!.message).toContain(`cannot read ${file}: the object changed while the build was reading the landing prefix (its ETag differs from the listing); run the build again; the published version is unchanged`);
      expect(sim.tables.get('customer')).toEqual(before);
      expect(written().filter((o) => o.includes('v=20260101T000000Z-80000000'))).toEqual([]);
    });

    it('S3 refusing a write is an error naming the object; nothing is published and what was written is removed', async () => {
      deliverLanding(sim, CORPUS, ROOT);
      const put = sim.PutObject.bind(sim);
      let n = 0;
      sim.PutObject = (input) => {
        if (String(input.Key).endsWith('.json.gz') && ++n === 2) throw new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } });
        return put(input);
      };
      const { results } = await build(target, manifest, adapterOptions({ landingPartChars: 100 }), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
      expect(results[0]!.status).toBe('error');
      expect(results[0]!.message).toMatch(/cannot write s3:\/\/lake-bucket\/zones\/customer\/landing\/customer\/v=20260101T000000Z-01010101\/part-0000\d\.json\.gz: AccessDenied: Access Denied/);
      expect(results[0]!.message).not.toContain('internal error');
      expect(publishes()).toEqual([]);
      expect(written()).toEqual([]);
    });

    it('S3 refusing the listing is an error naming the prefix and the reason', async () => {
      const list = sim.ListObjectsV2.bind(sim);
      const refuse = (under: string) => {
        sim.ListObjectsV2 = (input) => {
          if (String(input.Prefix).startsWith(under)) throw new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } });
          return list(input);
        };
      };
      refuse('landing/');
      const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
      expect(results[0]!.message).toContain('cannot read s3://lake-bucket/landing/customer/landing: AccessDenied: Access Denied');
      expect(publishes()).toEqual([]);
      // the erasure log (stedi forget) cannot be read: nothing is ingested, and the message names it
      refuse('zones/_stedi/erasures/');
      const log = await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
      expect(log.results[0]!.status).toBe('error');
      expect(log.results[0]!.message).toContain('cannot read the erasure log s3://lake-bucket/zones/_stedi/erasures/: AccessDenied: Access Denied; nothing is ingested');
      expect(publishes()).toEqual([]);
    });

    it('a Glue table of the same name that stedi did not create is left alone', async () => {
      sim.CreateTable({ TableInput: { Name: 'customer__rejects', TableType: 'EXTERNAL_TABLE', Parameters: { EXTERNAL: 'TRUE' }, StorageDescriptor: { Location: 's3://someone-else/rejects/' } } });
      deliverLanding(sim, CORPUS, ROOT);
      const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id === 'source.stedi.landing.customer');
      expect(results[0]!.message).toContain('the Glue table stedi.customer__rejects exists and was not created by stedi');
      expect(aws.calls.some((c) => c.service === 's3' && c.operation !== 'ListObjectsV2')).toBe(false);
      expect(publishes()).toEqual([]);
    });
  });
});


