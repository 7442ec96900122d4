/**
 * The `view` materialization on Athena, against the real SDK v3 clients with faked transports:
 * a candidate view is tested, then CREATE OR REPLACE VIEW, the stedi marker added with one
 * UpdateTable that archives no extra version, and Glue versions pruned to keep_versions + 1.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HookedSimulator } from '../../helpers/hooked-simulator.js';
import { adapterOptions, build, type Call, compileProject, type FakeAws, fakeAwsEachTest, emptyLanding } from './harness.js';

const VIEW_SQL = "{{ config(materialized='view') }}\nselect email, n\nfrom {{ source('landing', 'customer') }}\nwhere email is not null\n";
const { manifest, target } = compileProject({
  'models/customer_emails.sql': VIEW_SQL,
  'models/schema.yml': 'version: 2\nmodels:\n  - name: customer_emails\n    columns:\n      - name: email\n        tests: [not_null]\n',
  'macros/identity.sql': fs.readFileSync('macros/identity.sql', 'utf8'),
});

const VIEW = 'model.mini.customer_emails';
const TEST = 'test.mini.not_null_customer_emails_email';
const onlyView = (id: string) => id.startsWith('source.') || id === VIEW || id === TEST;
// the source's ingestion takes the first version of each build
const CANDIDATE = 'customer_emails__stedi_20260101t000000z_02020202';
const SELECT = 'select email, n\nfrom "stedi"."customer"\nwhere email is not null';

let sim: HookedSimulator;
let aws: FakeAws;
fakeAwsEachTest((s, a) => {
  sim = s;
  // an empty landing folder: the source builds and warns that it holds no record
  emptyLanding(s);
  aws = a;
});

/** One short line per call: the operation and what it is about (SQL in full for queries). */
function brief(c: Call): string {
  const i = c.input;
  const name = i.Name ?? i.TableName ?? (i.TableInput as { Name?: string } | undefined)?.Name ?? i.QueryExecutionId ?? i.WorkGroup ?? i.Prefix ?? '';
  return c.operation === 'StartQueryExecution' ? `StartQueryExecution ${String(i.QueryString)}` : `${c.operation} ${String(name)}`;
}

/** The calls made for the view node: from its GetTable to the end of the build (it runs last). */
function viewCalls(): Call[] {
  const i = aws.calls.findIndex((c) => c.operation === 'GetTable' && c.input.Name === 'customer_emails');
  expect(i).toBeGreaterThan(0);
  return aws.calls.slice(i);
}

const status = (results: { name: string; status: string }[]) => Object.fromEntries(results.map((r) => [r.name, r.status]));
const writes = (calls: Call[]) => calls.filter((c) => ['CreateTable', 'UpdateTable', 'DeleteTable', 'BatchDeleteTableVersion', 'DeleteObjects', 'StopQueryExecution'].includes(c.operation));

describe('materialized=view on Athena', () => {
  it('tests a candidate view, then CREATE OR REPLACE VIEW, adds the marker without a new Glue version and prunes old versions', async () => {
    const messages: string[] = [];
    for (let build_ = 1; build_ <= 5; build_++) {
      aws.calls.length = 0;
      const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, onlyView);
      expect(status(results)).toEqual({ customer: 'warn', customer_emails: 'success', not_null_customer_emails_email: 'pass' });
      messages.push(results.find((r) => r.name === 'customer_emails')!.message ?? '');
      // the account quota of table versions is never approached: keep_versions (1) + the published one
      const versions = sim.tables.get('customer_emails')!.versions;
      expect(versions.length).toBe(Math.min(build_, 2));
      expect(versions.every((v) => v.Parameters?.stedi_managed === 'true')).toBe(true);
      if (build_ !== 3) continue;

      // the third build, call by call
      const calls = viewCalls();
      expect(calls.map(brief)).toEqual([
        'GetTable customer_emails',
        `StartQueryExecution CREATE VIEW "stedi"."${CANDIDATE}" AS\n${SELECT}`,
        'GetQueryExecution q-0010',
        // the candidate view is stamped with its owner before anything else
        `GetTable ${CANDIDATE}`,
        `UpdateTable ${CANDIDATE}`,
        `StartQueryExecution select count(*) as failures from (\nselect * from "stedi"."${CANDIDATE}" where email is null\n) as stedi_test`,
        'GetQueryExecution q-0011',
        'GetQueryResults q-0011',
        `StartQueryExecution CREATE OR REPLACE VIEW "stedi"."customer_emails" AS\n${SELECT}`,
        'GetQueryExecution q-0012',
        'GetTable customer_emails',
        'UpdateTable customer_emails',
        `DeleteTable ${CANDIDATE}`,
        'GetTableVersions customer_emails',
        'BatchDeleteTableVersion customer_emails',
      ]);
      // the marker: the definition Athena wrote, plus stedi's parameters, guarded by its Glue version, archiving nothing
      const update = calls.find((c) => c.operation === 'UpdateTable' && (c.input.TableInput as { Name: string }).Name === 'customer_emails')!;
      expect(update.input).toEqual({
        DatabaseName: 'stedi',
        VersionId: '2',
        SkipArchive: true,
        TableInput: expect.objectContaining({
          Name: 'customer_emails',
          TableType: 'VIRTUAL_VIEW',
          Parameters: { presto_view: 'true', comment: 'Presto View', stedi_managed: 'true', stedi_project: 'stedi', stedi_target: 'athena', stedi_node: VIEW },
        }),
      });
      expect(calls.find((c) => c.operation === 'BatchDeleteTableVersion')!.input).toEqual({ DatabaseName: 'stedi', TableName: 'customer_emails', VersionIds: ['0'] });
      // no statement of a view carries the key; a view owns no S3 data
      expect(calls.filter((c) => c.operation === 'StartQueryExecution').every((c) => c.input.ExecutionParameters === undefined)).toBe(true);
      expect(calls.some((c) => c.service === 's3')).toBe(false);
    }
    expect(messages).toEqual(['OK view', 'OK view', 'OK view; removed 1 old Glue version', 'OK view; removed 1 old Glue version', 'OK view; removed 1 old Glue version']);
    const view = sim.tables.get('customer_emails')!.table;
    expect(view.TableType).toBe('VIRTUAL_VIEW');
    expect(view.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View', stedi_managed: 'true', stedi_project: 'stedi', stedi_target: 'athena', stedi_node: VIEW });
    expect([...sim.tables.keys()].sort()).toEqual(['customer', 'customer__rejects', 'customer_emails']);
  });

  it('a failing blocking test on the candidate leaves the published view exactly as it was', async () => {
    await build(target, manifest, adapterOptions(), 'build', undefined, onlyView);
    const before = structuredClone(sim.tables.get('customer_emails'));
    sim.hooks.outcome = (sql) =>
      sql.startsWith('select count(*) as failures') && sql.includes(`"stedi"."${CANDIDATE}"`) ? { columns: [{ Name: 'failures', Label: 'failures', Type: 'bigint' }], rows: [['3']] } : undefined;
    aws.calls.length = 0;
    const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, onlyView);
    expect(status(results)).toEqual({ customer: 'warn', customer_emails: 'error', not_null_customer_emails_email: 'fail' });
    expect(results.find((r) => r.name === 'customer_emails')!.message).toMatch(/^not published: blocking test failed \(not_null_customer_emails_email\); the previous version stays published/);
    expect(viewCalls().map(brief)).toEqual([
      'GetTable customer_emails',
      `StartQueryExecution CREATE VIEW "stedi"."${CANDIDATE}" AS\n${SELECT}`,
      'GetQueryExecution q-0006',
      `GetTable ${CANDIDATE}`,
      `UpdateTable ${CANDIDATE}`,
      `StartQueryExecution select count(*) as failures from (\nselect * from "stedi"."${CANDIDATE}" where email is null\n) as stedi_test`,
      'GetQueryExecution q-0007',
      'GetQueryResults q-0007',
      // the failing rows' sample, read from the candidate too
      `StartQueryExecution select * from (\nselect * from "stedi"."${CANDIDATE}" where email is null\n) as stedi_test limit 3`,
      'GetQueryExecution q-0008',
      'GetQueryResults q-0008',
      `DeleteTable ${CANDIDATE}`,
    ]);
    // published definition, marker and every Glue version unchanged; the candidate is gone
    expect(sim.tables.get('customer_emails')).toEqual(before);
    expect([...sim.tables.keys()].sort()).toEqual(['customer', 'customer__rejects', 'customer_emails']);
  });

  it.each([
    ['a table', { Name: 'customer_emails', TableType: 'EXTERNAL_TABLE', Parameters: { EXTERNAL: 'TRUE' }, StorageDescriptor: { Location: 's3://someone-else/emails/' } }, ['GetTable customer_emails']],
    ['a view', { Name: 'customer_emails', TableType: 'VIRTUAL_VIEW', Parameters: { presto_view: 'true' }, ViewOriginalText: '/* Presto View: e30= */', StorageDescriptor: { Columns: [] } }, ['GetTable customer_emails', 'GetTableVersions customer_emails']],
  ])('a view named like %s stedi did not create fails with a clear error and touches nothing', async (_kind, foreign, expectedCalls) => {
    sim.CreateTable({ TableInput: foreign });
    sim.UpdateTable({ TableInput: { ...foreign, Description: 'second version, still not stedi' } });
    const before = structuredClone(sim.tables.get('customer_emails'));
    aws.calls.length = 0;
    const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, onlyView);
    expect(status(results)).toEqual({ customer: 'warn', customer_emails: 'error', not_null_customer_emails_email: 'skipped' });
    expect(results.find((r) => r.name === 'customer_emails')!.message).toContain(
      'model customer_emails: the Glue table stedi.customer_emails exists and was not created by stedi (no stedi_managed marker): stedi will not replace it nor touch its data.',
    );
    expect(viewCalls().map(brief)).toEqual(expectedCalls);
    expect(viewCalls().filter((c) => c.operation === 'StartQueryExecution')).toEqual([]);
    expect(writes(viewCalls()).map(brief)).toEqual([]);
    expect(sim.tables.get('customer_emails')).toEqual(before);
  });

  it('a view replaced by a build killed before its marker was added is still recognised as stedi\'s', async () => {
    await build(target, manifest, adapterOptions(), 'build', undefined, onlyView);
    // what Athena's CREATE OR REPLACE VIEW leaves: a new Glue version without stedi's parameters
    const current = sim.tables.get('customer_emails')!.table;
    sim.UpdateTable({ TableInput: { Name: 'customer_emails', TableType: 'VIRTUAL_VIEW', Parameters: { presto_view: 'true', comment: 'Presto View' }, ViewOriginalText: current.ViewOriginalText!, StorageDescriptor: { Columns: [] } } });
    aws.calls.length = 0;
    const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, onlyView);
    expect(status(results)).toEqual({ customer: 'warn', customer_emails: 'success', not_null_customer_emails_email: 'pass' });
    expect(viewCalls().map(brief).slice(0, 2)).toEqual(['GetTable customer_emails', 'GetTableVersions customer_emails']);
    expect(sim.tables.get('customer_emails')!.table.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View', stedi_managed: 'true', stedi_project: 'stedi', stedi_target: 'athena', stedi_node: VIEW });
  });

  it('a view over a table stedi published is refused rather than dropping the table', async () => {
    sim.CreateTable({ TableInput: { Name: 'customer_emails', TableType: 'EXTERNAL_TABLE', Parameters: { stedi_managed: 'true', stedi_location: 's3://lake-bucket/zones/x/y/customer_emails/v=20251201T000000Z-0a0b0c0d/' } } });
    const before = structuredClone(sim.tables.get('customer_emails'));
    aws.calls.length = 0;
    const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, onlyView);
    expect(results.find((r) => r.name === 'customer_emails')!.message).toContain('stedi.customer_emails is published as a table; stedi will not drop it implicitly to make a view');
    expect(viewCalls().map(brief)).toEqual(['GetTable customer_emails']);
    expect(writes(viewCalls()).map(brief)).toEqual([]);
    expect(sim.tables.get('customer_emails')).toEqual(before);
  });
});
