/** The parts of the Athena target on their own: lint, parameters, limits, values, results paging, settings. */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { estimatedCostUsd } from '../../../runner/adapters/athena/cost.js';
import { checkStatement, QueryRunner } from '../../../runner/adapters/athena/query.js';
import { athenaSettings } from '../../../runner/adapters/athena/settings.js';
import { convertValue } from '../../../runner/adapters/athena/values.js';
import { isStediVersionLocation } from '../../../runner/adapters/athena/names.js';
import { AthenaAdapter } from '../../../runner/adapters/athena/adapter.js';
import { createClients } from '../../../runner/adapters/athena/clients.js';
import { checkQuoting, countParameters, lintDuckdbOnly } from '../../../runner/dialect/lint.js';
import { compileFiles, codes } from '../compiler/harness.js';

const TARGET = { type: 'athena', region: 'eu-west-1', database: 'stedi', workgroup: 'wg', s3_data_dir: 's3://lake-bucket/zones' };

describe('DuckDB-only constructs', () => {
  it('are found outside strings, quoted names and comments', () => {
    const sql = `select a::int, b from t where c ilike 'x::y' -- qualify\nqualify row_number() over () = 1 group by all`;
    expect(lintDuckdbOnly(sql).map((f) => f.construct)).toEqual(['::', 'ILIKE', 'QUALIFY', 'GROUP BY ALL']);
    expect(lintDuckdbOnly('select * exclude (a) from t').map((f) => f.construct)).toEqual(['EXCLUDE']);
    expect(lintDuckdbOnly('select a // 2 from t').map((f) => f.construct)).toEqual(['//']);
  });

  it('flag a division that may be between integers, not one with a visible double', () => {
    expect(lintDuckdbOnly('select a / b from t').map((f) => f.construct)).toEqual(['/']);
    expect(lintDuckdbOnly('select a / 1000.0, CAST(a AS double) / b, a / CAST(b AS decimal(10, 2)) from t')).toEqual([]);
  });

  it('stedi compile warns with the file and line of the model', () => {
    const out = compileFiles({ 'models/trusted/a.sql': 'select\n  email,\n  n::varchar as s\nfrom {{ source("landing", "customer") }}\nqualify 1 = 1' }, { target: 'athena' });
    expect(codes(out).filter((c) => c.code === 'W_DIALECT')).toEqual([
      { file: 'models/trusted/a.sql', line: 3, code: 'W_DIALECT' },
      { file: 'models/trusted/a.sql', line: 5, code: 'W_DIALECT' },
    ]);
    expect(codes(compileFiles({ 'models/trusted/a.sql': 'select n::varchar from t' })).filter((c) => c.code === 'W_DIALECT')).toEqual([]);
  });
});

describe('parameters and Athena limits', () => {
  it('counts ? markers outside strings and comments', () => {
    expect(countParameters("select '?' as q, \"?\" from t where a = ? -- ?\n and b = ?")).toBe(2);
  });

  it('refuses statements over 262,144 bytes, and backticks in DML / double quotes in Hive DDL', () => {
    expect(() => checkStatement(`select '${'x'.repeat(262_144)}'`, 'model big')).toThrow(/for model big is 262,15\d bytes; Athena accepts at most 262,144 bytes/);
    expect(() => checkStatement('select `a` from t')).toThrow(/backticks .* use double quotes/);
    expect(checkQuoting('DROP TABLE "stedi"."x"', 'hive')?.message).toMatch(/use backticks/);
    expect(checkQuoting('DROP TABLE `stedi`.`x`', 'hive')).toBeUndefined();
  });

  it('a statement with a ? parameter marker is refused: no value is ever passed as an execution parameter', async () => {
    const a = new AthenaAdapter(TARGET, createClients('eu-west-1'));
    await expect(a.query('select 1 where substr(?, 1, 1) = \'a\'')).rejects.toThrow(/parameter marker/);
  });
});

describe('settings, names and cost', () => {
  it('validates the target keys', () => {
    expect(athenaSettings(TARGET)).toMatchObject({ s3DataDir: 's3://lake-bucket/zones', keepVersions: 1, tableFormat: 'iceberg', catalog: 'AwsDataCatalog' });
    expect(() => athenaSettings({ ...TARGET, s3_data_dir: 'lake/zones' })).toThrow(/must be an S3 URI/);
    expect(() => athenaSettings({ ...TARGET, database: 'Stedi-DB' })).toThrow(/lower-case/);
  });

  it('deletes only version prefixes under s3_data_dir', () => {
    expect(isStediVersionLocation('s3://b/zones', 's3://b/zones/customer/trusted/customer_trusted/v=20260101T000000Z-0a0b0c0d/')).toBe(true);
    expect(isStediVersionLocation('s3://b/zones', 's3://b/landing/customer/')).toBe(false);
    expect(isStediVersionLocation('s3://b/zones', 's3://b/zones/customer/')).toBe(false);
  });

  it('estimates $5 per TB scanned with a 10 MB minimum; DDL and failed queries are free', () => {
    expect(estimatedCostUsd({ state: 'SUCCEEDED', statementType: 'DML', dataScannedBytes: 2 ** 40 })).toBe(5);
    expect(estimatedCostUsd({ state: 'SUCCEEDED', statementType: 'DML', dataScannedBytes: 1 })).toBe(0.00004768);
    expect(estimatedCostUsd({ state: 'SUCCEEDED', statementType: 'DDL', dataScannedBytes: 0 })).toBe(0);
    expect(estimatedCostUsd({ state: 'FAILED', statementType: 'DML', dataScannedBytes: 2 ** 40 })).toBe(0);
  });
});

describe('query results', () => {
  const athena = mockClient(AthenaClient);
  afterEach(() => athena.reset());

  it('converts values by column type and keeps NULLs', () => {
    expect(convertValue('42', 'bigint')).toBe(42);
    expect(convertValue('9007199254740993', 'bigint')).toBe('9007199254740993');
    expect(convertValue('1.5', 'double')).toBe(1.5);
    expect(convertValue('NaN', 'double')).toBe('NaN');
    expect(convertValue('true', 'boolean')).toBe(true);
    expect(convertValue('12.30', 'decimal(10,2)')).toBe('12.30');
    expect(convertValue(undefined, 'varchar')).toBeNull();
    expect(convertValue('', 'varchar')).toBe('');
  });

  it('pages through GetQueryResults and drops the header row of a SELECT', async () => {
    const cols = [{ Name: 'n', Label: 'n', Type: 'bigint' }, { Name: 's', Label: 's', Type: 'varchar' }];
    const row = (n: number) => ({ Data: [{ VarCharValue: String(n) }, n % 3 === 0 ? {} : { VarCharValue: `v${n}` }] });
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q1' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { QueryExecutionId: 'q1', StatementType: 'DML', Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 5 } } });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', MaxResults: 1000 })
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: cols }, Rows: [{ Data: [{ VarCharValue: 'n' }, { VarCharValue: 's' }] }, ...Array.from({ length: 999 }, (_, i) => row(i))] }, NextToken: 't1' })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', MaxResults: 1000, NextToken: 't1' })
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: cols }, Rows: Array.from({ length: 1000 }, (_, i) => row(999 + i)) }, NextToken: 't2' })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', MaxResults: 1000, NextToken: 't2' })
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: cols }, Rows: [row(1999), row(2000)] } });
    const runner = new QueryRunner(createClients('eu-west-1'), athenaSettings(TARGET));
    const done = await runner.execute('select n, s from t');
    const r = await runner.results(done);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(3);
    expect(r.rows).toHaveLength(2001);
    expect(r.rows[0]).toEqual({ n: 0, s: null });
    expect(r.rows[1]).toEqual({ n: 1, s: 'v1' });
    expect(r.rows[2000]).toEqual({ n: 2000, s: 'v2000' });
    expect(r.columns).toEqual([{ name: 'n', type: 'bigint' }, { name: 's', type: 'varchar' }]);
    expect(r.stats).toMatchObject({ query_ids: ['q1'], data_scanned_bytes: 5 });
  });
});
