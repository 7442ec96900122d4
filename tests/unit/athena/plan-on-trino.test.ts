/**
 * The mapping that runs the Athena plan on Trino (tests/helpers/athena-plan.ts, used by
 * tests/integration/athena-on-trino.test.ts): it changes only locations, the Athena-only CTAS
 * properties and the Glue calls, and refuses what it has no mapping for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanOnTrino, planSteps, publishedName, type PlanStep } from '../../helpers/athena-plan.js';
import { REPO } from '../../helpers/stedi.js';

const GOLDEN = path.join(REPO, 'tests', 'golden', 'athena', 'build', 'first-build.calls.txt');
const PARTS = { customer: 'local:///p/customer', customer__rejects: 'local:///p/customer__rejects', accelerometer: 'local:///p/a', accelerometer__rejects: 'local:///p/ar', step_trainer: 'local:///p/s', step_trainer__rejects: 'local:///p/sr' };
const mapping = () => new PlanOnTrino({ s3Prefix: 's3://lake-bucket/', landingParts: PARTS });

const CTAS = `CREATE TABLE "stedi"."m__stedi_20260101t000000z_01010101"
WITH (table_type = 'ICEBERG', is_external = false, location = 's3://lake-bucket/zones/e/z/m/v=20260101T000000Z-01010101/', format = 'PARQUET', write_compression = 'ZSTD')
AS
select 1 as n`;
const ICEBERG = { table_type: 'ICEBERG', metadata_location: 's3://lake-bucket/zones/e/z/m/v=1/metadata/x.json' };
const sql = (text: string): PlanStep => ({ kind: 'sql', sql: text });
const glue = (op: 'CreateTable' | 'UpdateTable' | 'DeleteTable', name: string, parameters?: Record<string, string>, location = 's3://lake-bucket/zones/e/z/m/v=1/'): PlanStep => ({
  kind: 'glue', op, input: op === 'DeleteTable' ? { DatabaseName: 'stedi', Name: name } : { DatabaseName: 'stedi', TableInput: { Name: name, StorageDescriptor: { Columns: [{ Name: 'email', Type: 'string' }, { Name: 'n', Type: 'bigint' }], Location: location }, ...(parameters ? { Parameters: parameters } : {}) } },
});

describe('the Athena plan on Trino', () => {
  it('a CTAS keeps its SQL; its location becomes local, table_type and is_external go, write_compression is the session codec', () => {
    const [s] = mapping().statements(sql(CTAS));
    expect(s).toEqual({
      sql: `CREATE TABLE "stedi"."m__stedi_20260101t000000z_01010101"\nWITH (location = 'local:///zones/e/z/m/v=20260101T000000Z-01010101/', format = 'PARQUET')\nAS\nselect 1 as n`,
      session: { 'iceberg.compression_codec': 'ZSTD' },
    });
  });

  it('publishing registers the Iceberg table the CTAS wrote; dropping the candidate unregisters it (its data stays)', () => {
    const m = mapping();
    m.statements(sql(CTAS));
    expect(m.statements(glue('UpdateTable', 'm__stedi_20260101t000000z_01010101', ICEBERG))).toEqual([]);
    expect(m.statements(glue('CreateTable', 'm', ICEBERG)).map((s) => s.sql)).toEqual([`CALL iceberg.system.register_table(schema_name => 'stedi', table_name => 'm', table_location => 'local:///zones/e/z/m/v=1')`]);
    expect(m.statements(glue('DeleteTable', 'm__stedi_20260101t000000z_01010101')).map((s) => s.sql)).toEqual([`CALL iceberg.system.unregister_table(schema_name => 'stedi', table_name => 'm__stedi_20260101t000000z_01010101')`]);
  });

  it('a published table taking a new version: registered anew when its location moved, unchanged on Trino when it stayed', () => {
    const m = mapping();
    m.statements(glue('CreateTable', 'm', ICEBERG));
    expect(m.statements(glue('UpdateTable', 'm', ICEBERG))).toEqual([]);
    expect(m.statements(glue('UpdateTable', 'm', ICEBERG, 's3://lake-bucket/zones/e/z/m/v=2/')).map((s) => s.sql)).toEqual([
      `CALL iceberg.system.unregister_table(schema_name => 'stedi', table_name => 'm')`,
      `CALL iceberg.system.register_table(schema_name => 'stedi', table_name => 'm', table_location => 'local:///zones/e/z/m/v=2')`,
    ]);
    expect(() => m.statements(glue('UpdateTable', 'm', { classification: 'json' }))).toThrow(/another kind/);
    const parts = new PlanOnTrino({ s3Prefix: 's3://lake-bucket/', landingParts: (t) => `local:///copies/${t.Name}` });
    parts.statements(glue('CreateTable', 'customer', { classification: 'json' }));
    expect(parts.statements(glue('UpdateTable', 'customer', { classification: 'json' })).map((s) => s.sql)).toEqual([
      `DROP TABLE hive."stedi"."customer"`,
      `CREATE TABLE hive."stedi"."customer" ("email" varchar, "n" bigint)\nWITH (format = 'OPENX_JSON', external_location = 'local:///copies/customer')`,
    ]);
  });

  it('a landing JSON table is a Hive OPENX_JSON table over the parts of its published name', () => {
    const m = mapping();
    const [s] = m.statements(glue('CreateTable', 'customer__stedi_20260101t000000z_01010101', { classification: 'json' }));
    expect(s!.sql).toBe(`CREATE TABLE hive."stedi"."customer__stedi_20260101t000000z_01010101" ("email" varchar, "n" bigint)\nWITH (format = 'OPENX_JSON', external_location = 'local:///p/customer')`);
    expect(m.statements(glue('DeleteTable', 'customer__stedi_20260101t000000z_01010101')).map((x) => x.sql)).toEqual([`DROP TABLE hive."stedi"."customer__stedi_20260101t000000z_01010101"`]);
  });

  it('a data test statement is marked with the test SQL it wraps', () => {
    const [s] = mapping().statements(sql('select count(*) as failures from (\nselect * from "stedi"."m" where n is null\n) as stedi_test'));
    expect(s!.test).toBe('select * from "stedi"."m" where n is null');
  });

  it('refuses what it cannot map: another CTAS property, an S3 location elsewhere, a Glue change to a table the plan did not create', () => {
    expect(() => mapping().statements(sql(CTAS.replace("format = 'PARQUET'", "partitioned_by = ARRAY['n']")))).toThrow(/partitioned_by/);
    expect(() => mapping().statements(sql(CTAS.replace('s3://lake-bucket/', 's3://other-bucket/')))).toThrow(/outside s3:\/\/lake-bucket/);
    expect(() => mapping().statements(glue('UpdateTable', 'm', ICEBERG))).toThrow(/not a candidate/);
    expect(() => mapping().statements(glue('DeleteTable', 'm'))).toThrow(/did not create/);
    expect(() => mapping().statements(glue('CreateTable', 'other', { classification: 'json' }))).toThrow(/no landing parts/);
    expect(() => mapping().statements(glue('CreateTable', 'v', { table_type: 'VIRTUAL_VIEW' }))).toThrow(/neither/);
  });

  it("maps every step of the golden first build (landing included): no S3 location and no Athena-only property is left", () => {
    const steps = planSteps(fs.readFileSync(GOLDEN, 'utf8'));
    const m = mapping();
    const all = steps.flatMap((s) => m.statements(s));
    expect(steps.filter((s) => s.kind === 'sql').length).toBeGreaterThan(50);
    for (const s of all) expect(s.sql).not.toMatch(/s3:\/\/|table_type|is_external|write_compression/);
    // every model and seed published is registered once, under its own name
    const registered = all.map((s) => /register_table\(schema_name => 'stedi', table_name => '([a-z_]+)'/.exec(s.sql)?.[1]).filter(Boolean);
    expect(registered.length).toBeGreaterThan(5);
    expect(new Set(registered).size).toBe(registered.length);
    for (const name of registered) expect(publishedName(name!)).toBe(name);
  });
});
