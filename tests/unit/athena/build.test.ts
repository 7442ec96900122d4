/**
 * The whole `stedi build --target athena` of the STEDI project against the real SDK v3 clients
 * with faked transports: the exact calls and SQL, then the failure paths.
 */
import { TooManyRequestsException } from '@aws-sdk/client-athena';
import { createHmac } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { canonicalEmail } from '../../../runner/landing/identity.js';
import type { HookedSimulator } from '../../helpers/hooked-simulator.js';
import { adapterOptions, build, compileStedi, deliverLanding, type FakeAws, fakeAwsEachTest, KEY, landingDdls, transcript } from './harness.js';
import { expectGolden } from './golden.js';

const { manifest, target } = compileStedi();
let sim: HookedSimulator;
let aws: FakeAws;
// the project's own sample landing files are delivered to S3 before each test
fakeAwsEachTest((s, a) => {
  sim = s;
  aws = a;
  deliverLanding(s);
});

const published = (name: string) => sim.tables.get(name)?.table;
const starts = () => aws.calls.filter((c) => c.operation === 'StartQueryExecution');
const byStatus = (results: { name: string; status: string }[]) => Object.fromEntries(results.map((r) => [r.name, r.status]));
const ctasOf = (name: string) => (sql: string) => sql.startsWith(`CREATE TABLE "stedi"."${name}__stedi_`);

describe('stedi build --target athena', () => {
  it('runs the whole project: the exact sequence of Glue, Athena and S3 calls and SQL', async () => {
    const { results } = await build(target, manifest);
    expect(results.filter((r) => r.status !== 'success' && r.status !== 'pass')).toEqual([]);
    expectGolden('build/first-build.calls.txt', transcript(aws.calls));
    // the Hive DDL equivalent of the Glue tables the landing ingestion published, as sent
    const ddls = landingDdls(aws.calls);
    expect(ddls.map((d) => d.name)).toEqual(['accelerometer', 'accelerometer__rejects', 'customer', 'customer__rejects', 'step_trainer', 'step_trainer__rejects']);
    for (const d of ddls) expectGolden(`sources/${d.name}.ddl.sql`, `${d.ddl}\n`);

    // the order of the write-audit-publish steps for one model
    const ops = aws.calls.map((c) => `${c.operation}:${String(c.input.Name ?? c.input.TableName ?? (c.input.TableInput as { Name?: string } | undefined)?.Name ?? (c.input.QueryString as string | undefined)?.split('\n')[0] ?? '')}`);
    const i = ops.findIndex((o) => o.startsWith('StartQueryExecution:CREATE TABLE "stedi"."customer_trusted__stedi_'));
    // the published table is read (ownership, rows), the version's ownership marker written, then the CTAS
    expect(ops.slice(i - 2, i)).toEqual(['GetTable:customer_trusted', 'PutObject:']);
    expect(String(aws.calls[i - 1]!.input.Key)).toMatch(/^zones\/customer\/trusted\/customer_trusted\/_stedi_versions\/v=[^/]+\.json$/);
    // after the CTAS: the rows it wrote, the candidate's Glue entry, stamped with the owner
    expect(ops.slice(i, i + 5).map((o) => o.split(':')[0])).toEqual(['StartQueryExecution', 'GetQueryExecution', 'GetQueryResults', 'GetTable', 'UpdateTable']);
    const publish = ops.indexOf('CreateTable:customer_trusted');
    const onCandidate = aws.calls.map((c, k) => (c.operation === 'StartQueryExecution' && String(c.input.QueryString).startsWith('select count(*)') && String(c.input.QueryString).includes('"stedi"."customer_trusted__stedi_') ? k : -1)).filter((k) => k >= 0);
    expect(onCandidate.length).toBe(8); // not_null, unique, canonical_identity, consent on email; not_null on serial_number and on share_with_research_as_of_date; not_null, unique on subject_key
    expect(Math.min(...onCandidate)).toBeGreaterThan(i);
    expect(Math.max(...onCandidate)).toBeLessThan(publish);
    expect(ops[publish + 1]).toMatch(/^DeleteTable:customer_trusted__stedi_/);

    // every published table is stedi's, recorded with its location; no candidate is left
    for (const name of ['customer_trusted', 'accelerometer_trusted', 'customer_curated', 'step_trainer_trusted', 'machine_learning_curated', 'reconciliation', 'exclusion_rules']) {
      const t = published(name)!;
      expect(t.Parameters).toMatchObject({ stedi_managed: 'true', stedi_project: 'stedi', stedi_target: 'athena', stedi_format: 'iceberg', table_type: 'ICEBERG', stedi_rows: '1' });
      expect(t.StorageDescriptor?.Location).toBe(t.Parameters?.stedi_location);
      expect(t.Parameters?.metadata_location?.startsWith(t.Parameters.stedi_location!)).toBe(true);
    }
    expect([...sim.tables.keys()].filter((n) => n.includes('__stedi_'))).toEqual([]);
  });

  it('ingests each landing prefix with the local rules and publishes it through Glue: OpenX SerDe over stedi\'s own JSON lines', async () => {
    const delivered = new Set(sim.objects);
    const { results } = await build(target, manifest);
    const customer = published('customer')!;
    const loc = customer.Parameters!.stedi_location!;
    expect(loc).toMatch(/^s3:\/\/lake-bucket\/zones\/customer\/landing\/customer\/v=20260101T000000Z-[0-9a-f]{8}\/$/);
    // the table reads the parts its symlink manifest lists (runner/adapters/athena/landing.ts)
    expect(customer.StorageDescriptor).toMatchObject({
      Location: `${loc}_symlink_format_manifest/`,
      InputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat',
      SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', Parameters: { 'case.insensitive': 'TRUE', 'ignore.malformed.json': 'FALSE', 'mapping.customername': 'customername', 'mapping.sharewithresearchasofdate': 'sharewithresearchasofdate' } },
    });
    expect(customer.StorageDescriptor?.Columns?.map((c) => `${c.Name} ${c.Type}`)).toEqual([
      'customername string', 'email string', 'phone string', 'birthday string', 'serialnumber string', 'registrationdate bigint', 'lastupdatedate bigint', 'sharewithresearchasofdate bigint', 'sharewithpublicasofdate bigint', 'sharewithfriendsasofdate bigint', 'subject_key string',
    ]);
    expect(published('customer__rejects')!.StorageDescriptor?.Columns?.map((c) => `${c.Name} ${c.Type}`)).toEqual(['file string', 'line bigint', 'reason string', 'detail string', 'raw string']);
    // every delivered line is a row (the seeds hold no defect), and the report says so
    const report = (results.find((r) => r.unique_id === 'source.stedi.landing.customer')!.adapter_response as { landing: { totals: Record<string, number> } }).landing;
    expect(report.totals).toMatchObject({ files: 2, lines_read: 32, accepted: 32, rejected: 0 });
    expect(sim.jsonRows('customer')).toHaveLength(32);
    expect(sim.jsonRows('customer__rejects')).toHaveLength(0);
    // the delivered objects are read, never written or deleted
    for (const o of delivered) expect(sim.objects.has(o)).toBe(true);
    const landingWrites = aws.calls.filter((c) => ['PutObject', 'DeleteObjects'].includes(c.operation) && String(c.input.Key ?? JSON.stringify(c.input.Delete)).includes('landing/customer/landing/'));
    expect(landingWrites).toEqual([]);

    // a rebuild publishes a new version with UpdateTable guarded by the Glue version read before
    aws.calls.length = 0;
    await build(target, manifest, adapterOptions({ random: () => 0.75 }), 'build', undefined, (id) => id.startsWith('source.'));
    const update = aws.calls.find((c) => c.operation === 'UpdateTable' && (c.input.TableInput as { Name: string }).Name === 'customer')!;
    expect(update.input.VersionId).toBe('0');
    expect(published('customer')!.Parameters!.stedi_location).toBe('s3://lake-bucket/zones/customer/landing/customer/v=20260101T000000Z-c0000000/');
    expect(sim.jsonRows('customer')).toHaveLength(32);
  });

  it('never sends the pseudonymisation key: the runner derives subject_key, Athena only reads and joins it', async () => {
    const { results } = await build(target, manifest);
    expect(results.filter((r) => r.status !== 'success' && r.status !== 'pass')).toEqual([]);
    for (const c of starts()) {
      expect(c.input.ExecutionParameters, String(c.input.QueryString).slice(0, 80)).toBeUndefined();
      expect(String(c.input.QueryString)).not.toMatch(/sha256|hmac|\?/);
    }
    // not in any call (SQL, Glue tables, S3 objects written), nor in any object body
    expect(JSON.stringify(aws.calls)).not.toContain(KEY);
    for (const o of sim.objects) expect((o.endsWith('.gz') ? gunzipSync(sim.bodies.get(o) ?? Buffer.alloc(0)) : (sim.bodies.get(o) ?? Buffer.alloc(0))).includes(KEY), o).toBe(false);
    // the landing rows carry the HMAC of the canonical email, computed once per record by the runner
    const rows = sim.jsonRows('customer').map((l) => JSON.parse(l) as { email?: string | null; subject_key?: string | null });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.subject_key ?? null).toBe(canonicalEmail(r.email) === null ? null : createHmac('sha256', KEY).update(canonicalEmail(r.email)!).digest('hex'));
  });

  it('uses the workgroup, catalog and database on every query; the result location only when the workgroup does not enforce one', async () => {
    await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id === 'seed.stedi.exclusion_rules');
    for (const c of starts()) expect(c.input).toMatchObject({ WorkGroup: 'stedi', QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: 'stedi' } });
    expect(starts().every((c) => c.input.ResultConfiguration === undefined)).toBe(true);

    const withStaging = { ...target, s3_staging_dir: 's3://results-bucket/stedi/' };
    aws.calls.length = 0;
    await build(withStaging, manifest, adapterOptions(), 'build', undefined, (id) => id === 'seed.stedi.exclusion_rules');
    expect(starts()[0]!.input.ResultConfiguration).toEqual({ OutputLocation: 's3://results-bucket/stedi/' });

    (sim.workgroup as { enforced?: boolean }).enforced = true;
    aws.calls.length = 0;
    await build(withStaging, manifest, adapterOptions(), 'build', undefined, (id) => id === 'seed.stedi.exclusion_rules');
    expect(starts()[0]!.input.ResultConfiguration).toBeUndefined();
  });

  it('publishes a rebuild with one UpdateTable guarded by the Glue version, and prunes versions beyond keep_versions with their S3 data', async () => {
    const onlyCustomer = (id: string) => id.startsWith('source.') || id === 'model.stedi.customer_trusted';
    const locations: string[] = [];
    for (let i = 0; i < 3; i++) {
      await build(target, manifest, adapterOptions({ random: () => (i + 1) / 16 }), 'build', undefined, onlyCustomer);
      locations.push(published('customer_trusted')!.Parameters!.stedi_location!);
    }
    expect(new Set(locations).size).toBe(3);
    const updates = aws.calls.filter((c) => c.operation === 'UpdateTable' && (c.input.TableInput as { Name: string }).Name === 'customer_trusted');
    expect(updates.map((u) => u.input.VersionId)).toEqual(['0', '1']);
    // keep_versions = 1: the published version and one earlier are kept, the first is gone
    expect(sim.tables.get('customer_trusted')!.versions.map((v) => v.Parameters?.stedi_location)).toEqual([locations[1], locations[2]]);
    expect([...sim.objects].some((o) => o.startsWith(locations[0]!))).toBe(false);
    expect([...sim.objects].some((o) => o.startsWith(locations[1]!))).toBe(true);
    const del = aws.calls.filter((c) => c.operation === 'DeleteObjects' && String(JSON.stringify(c.input)).includes('/customer_trusted/'));
    expect(del.length).toBeGreaterThan(0);
    // only the first version's data is deleted, then its ownership marker beside it
    const deleted = del.map((d) => (d.input.Delete as { Objects: { Key: string }[] }).Objects.map((o) => `s3://${String(d.input.Bucket)}/${o.Key}`)).flat();
    const marker0 = locations[0]!.replace(/(v=[^/]+)\/$/, '').replace(/\/$/, '') + `/_stedi_versions/${/v=[^/]+/.exec(locations[0]!)![0]}.json`;
    expect(deleted.every((k) => k.startsWith(locations[0]!) || k === marker0)).toBe(true);
    expect(deleted).toContain(marker0);
    expect(aws.calls.find((c) => c.operation === 'BatchDeleteTableVersion' && c.input.TableName === 'customer_trusted')?.input).toEqual({ DatabaseName: 'stedi', TableName: 'customer_trusted', VersionIds: ['0'] });
    // the landing tables are pruned the same way: their Glue versions, and every prefix that no
    // kept version reads (the parts of the first ingestion are still read: nothing changed since)
    for (const name of ['customer', 'customer__rejects']) expect(sim.tables.get(name)!.versions).toHaveLength(2);
    const kept = sim.tables.get('customer')!.versions;
    const reads = new Set(kept.flatMap((v) => [v.Parameters!.stedi_location!, ...(JSON.parse(v.Parameters!.stedi_part_prefixes!) as string[])]));
    const underLanding = [...sim.objects].filter((o) => o.startsWith('s3://lake-bucket/zones/customer/landing/customer/'));
    const prefixes = new Set(underLanding.filter((o) => !o.includes('/_stedi_versions/')).map((o) => /^.*\/v=[^/]+\//.exec(o)![0]));
    expect([...prefixes].sort()).toEqual([...reads].sort());
    // every prefix left keeps its ownership marker, and only those
    expect(underLanding.filter((o) => o.includes('/_stedi_versions/')).map((o) => /v=[^/]+(?=\.json$)/.exec(o)![0]).sort()).toEqual([...prefixes].map((l) => /v=[^/]+/.exec(l)![0]).sort());
    // the parts the published version reads all exist
    const listed = sim.bodies.get(`${sim.tables.get('customer')!.table.StorageDescriptor!.Location!}manifest`)!.toString('utf8').split('\n').filter(Boolean);
    expect(listed.length).toBeGreaterThan(0);
    for (const p of listed) expect(sim.objects.has(p), p).toBe(true);
  });

  it('retries starting a throttled query with jittered backoff and the same request token, then succeeds', async () => {
    let refused = 0;
    sim.hooks.beforeStart = (sql) => {
      if (ctasOf('customer_trusted')(sql) && refused < 2) {
        refused++;
        throw new TooManyRequestsException({ message: 'Rate exceeded', Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED', $metadata: { httpStatusCode: 400 } });
      }
    };
    const opts = adapterOptions();
    const { results } = await build(target, manifest, opts);
    expect(byStatus(results).customer_trusted).toBe('success');
    const tries = starts().filter((c) => ctasOf('customer_trusted')(String(c.input.QueryString)));
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((t) => t.input.ClientRequestToken)).size).toBe(1);
    expect(opts.sleeps.slice(0, 2)).toEqual([250, 500]); // random() = 0.5 of 500·2^0 and 500·2^1
  });

  it('a failed CTAS surfaces Athena\'s message, error type and the model file; the old version stays published and is never re-run', async () => {
    await build(target, manifest);
    const before = structuredClone(published('customer_trusted'));
    const objectsBefore = new Set(sim.objects);
    sim.hooks.outcome = (sql) => (ctasOf('customer_trusted')(sql) ? { state: 'FAILED', error: { message: "COLUMN_NOT_FOUND: line 3:5: Column 'email' cannot be resolved", category: 2, type: 1006, retryable: true } } : undefined);
    aws.calls.length = 0;
    const { results } = await build(target, manifest, adapterOptions({ random: () => 0.9 }));
    const r = results.find((x) => x.name === 'customer_trusted')!;
    expect(r.status).toBe('error');
    expect(r.message).toContain('models/trusted/customer_trusted.sql');
    expect(r.message).toContain("COLUMN_NOT_FOUND: line 3:5: Column 'email' cannot be resolved");
    expect(r.message).toContain('Athena USER error, type 1006');
    expect(starts().filter((c) => ctasOf('customer_trusted')(String(c.input.QueryString)))).toHaveLength(1);
    expect(published('customer_trusted')).toEqual(before);
    expect(byStatus(results)).toMatchObject({ accelerometer_trusted: 'skipped', customer_curated: 'skipped', machine_learning_curated: 'skipped' });
    // the candidate's data and Glue entry are gone; nothing else was deleted
    expect([...sim.tables.keys()].filter((n) => n.includes('__stedi_'))).toEqual([]);
    expect([...objectsBefore].filter((o) => !sim.objects.has(o))).toEqual([]);
  });

  it('a failing blocking test publishes nothing: the candidate is tested, then removed with its data', async () => {
    sim.hooks.outcome = (sql) =>
      sql.startsWith('select count(*) as failures') && sql.includes('"stedi"."customer_trusted__stedi_') && sql.includes('where email is null')
        ? { columns: [{ Name: 'failures', Label: 'failures', Type: 'bigint' }], rows: [['2']] }
        : undefined;
    const { results } = await build(target, manifest);
    const status = byStatus(results);
    expect(status.customer_trusted).toBe('error');
    expect(status.not_null_customer_trusted_email).toBe('fail');
    expect(results.find((r) => r.name === 'customer_trusted')!.message).toContain('not published');
    expect(published('customer_trusted')).toBeUndefined();
    expect(aws.calls.some((c) => ['CreateTable', 'UpdateTable'].includes(c.operation) && (c.input.TableInput as { Name: string }).Name === 'customer_trusted')).toBe(false);
    expect([...sim.tables.keys()].filter((n) => n.includes('__stedi_'))).toEqual([]);
    expect([...sim.objects].filter((o) => o.includes('/customer_trusted/'))).toEqual([]);
    // the tests ran against the candidate, never against the published name
    const tests = starts().map((c) => String(c.input.QueryString)).filter((s) => s.startsWith('select count(*)') && s.includes('customer_trusted'));
    expect(tests.length).toBeGreaterThan(0);
    expect(tests.every((s) => !s.includes('"stedi"."customer_trusted"\n') && !/"stedi"\."customer_trusted"(\s|$)/.test(s))).toBe(true);
  });

  it('cancellation stops the query in flight (StopQueryExecution), removes the candidate and publishes nothing', async () => {
    const controller = new AbortController();
    sim.hooks.outcome = (sql) => (ctasOf('customer_trusted')(sql) ? { polls: 1_000_000 } : undefined);
    const opts = adapterOptions();
    let adapter: { cancelAll(): Promise<void> } | undefined;
    // what the CLI does on SIGINT/SIGTERM: abort the run and stop every query in flight
    opts.timing!.sleep = async (_ms, signal) => {
      const running = [...sim.queries.values()].find((q) => ctasOf('customer_trusted')(q.sql));
      if (running && !controller.signal.aborted) {
        controller.abort();
        await adapter!.cancelAll();
      }
      signal?.throwIfAborted();
    };
    const { results } = await build(target, manifest, opts, 'build', controller.signal, undefined, (a) => (adapter = a));
    const stops = aws.calls.filter((c) => c.operation === 'StopQueryExecution');
    expect(stops.length).toBeGreaterThanOrEqual(1);
    const q = [...sim.queries.values()].find((x) => ctasOf('customer_trusted')(x.sql))!;
    expect(stops.map((s) => s.input.QueryExecutionId)).toContain(q.id);
    expect(q.state).toBe('CANCELLED');
    // the candidate's data is deleted only once Athena reports the stopped CTAS finished (it may still be writing)
    const stopAt = aws.calls.findIndex((c) => c.operation === 'StopQueryExecution' && c.input.QueryExecutionId === q.id);
    const settled = aws.calls.findIndex((c, k) => k > stopAt && c.operation === 'GetQueryExecution' && c.input.QueryExecutionId === q.id);
    const cleaned = aws.calls.findIndex((c, k) => k > stopAt && c.operation === 'DeleteTable' && String(c.input.Name).startsWith('customer_trusted__stedi_'));
    expect(settled).toBeGreaterThan(stopAt);
    expect(cleaned).toBeGreaterThan(settled);
    expect(results.find((r) => r.name === 'customer_trusted')!.status).toBe('cancelled');
    expect(published('customer_trusted')).toBeUndefined();
    expect([...sim.tables.keys()].filter((n) => n.includes('__stedi_'))).toEqual([]);
    expect([...sim.objects].filter((o) => o.includes('/customer_trusted/'))).toEqual([]);
  });

  it('refuses to replace a table stedi did not create', async () => {
    sim.CreateTable({ TableInput: { Name: 'customer_trusted', TableType: 'EXTERNAL_TABLE', Parameters: { EXTERNAL: 'TRUE' }, StorageDescriptor: { Location: 's3://someone-else/data/' } } });
    const { results } = await build(target, manifest);
    const r = results.find((x) => x.name === 'customer_trusted')!;
    expect(r.status).toBe('error');
    expect(r.message).toContain('was not created by stedi');
    expect(published('customer_trusted')!.StorageDescriptor?.Location).toBe('s3://someone-else/data/');
    expect(aws.calls.some((c) => c.operation === 'StartQueryExecution' && ctasOf('customer_trusted')(String(c.input.QueryString)))).toBe(false);
    expect(aws.calls.some((c) => c.operation === 'DeleteObjects')).toBe(false);
  });

  it('records query ids, data scanned and the estimated cost per node', async () => {
    sim.hooks.outcome = (sql) => (ctasOf('customer_trusted')(sql) ? { dataScannedBytes: 3 * 2 ** 30 } : undefined);
    const { results } = await build(target, manifest);
    const r = results.find((x) => x.name === 'customer_trusted')!;
    expect(r.adapter_response).toMatchObject({ query_ids: [expect.stringMatching(/^q-/)], data_scanned_bytes: 3 * 2 ** 30, estimated_cost_usd: 0.01464844 });
    // a landing source records its audit query (the read-back count) the same way
    expect(results.find((x) => x.unique_id === 'source.stedi.landing.customer')!.adapter_response).toMatchObject({ query_ids: [expect.stringMatching(/^q-/)], data_scanned_bytes: 0, estimated_cost_usd: 0.00004768 });
    const t = results.find((x) => x.name === 'not_null_customer_trusted_email')!;
    // a test scanning nothing still pays Athena's 10 MB minimum
    expect(t.adapter_response).toMatchObject({ query_ids: [expect.any(String)], data_scanned_bytes: 0, estimated_cost_usd: 0.00004768 });
  });
});
