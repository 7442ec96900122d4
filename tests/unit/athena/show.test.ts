/**
 * The `stedi show --target athena` path: the adapter opened for reading, then query(), whose
 * GetQueryResults pages become rows (header row dropped only where Athena puts one, NULLs
 * kept, values converted by column type). Real SDK v3 clients, faked transports.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, GetWorkGroupCommand, StartQueryExecutionCommand, type GetQueryResultsOutput, type Row } from '@aws-sdk/client-athena';
import { GetDatabaseCommand, GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AthenaAdapter } from '../../../runner/adapters/athena/adapter.js';
import { createClients } from '../../../runner/adapters/athena/clients.js';

const TARGET = { type: 'athena', region: 'eu-west-1', database: 'stedi', workgroup: 'stedi', s3_data_dir: 's3://lake-bucket/zones' };
const athena = mockClient(AthenaClient);
const glue = mockClient(GlueClient);
const s3 = mockClient(S3Client);

const text = (...values: (string | null)[]): Row => ({ Data: values.map((v) => (v === null ? {} : { VarCharValue: v })) });

/** Answers one query: `pages` by NextToken ('' for the first page). */
function answer(statementType: 'DML' | 'DDL' | 'UTILITY', columns: { Name: string; Type: string }[], pages: Row[][]): void {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-show' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { QueryExecutionId: 'q-show', StatementType: statementType, Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 123 } } });
  athena.on(GetQueryResultsCommand).callsFake(async (input: { QueryExecutionId?: string; NextToken?: string }): Promise<GetQueryResultsOutput> => {
    if (input.QueryExecutionId !== 'q-show') throw new Error(`unexpected query ${input.QueryExecutionId}`);
    const i = input.NextToken === undefined ? 0 : Number(input.NextToken.replace('page-', ''));
    const rows = pages[i];
    if (!rows) throw new Error(`unexpected token ${input.NextToken}`);
    return { ResultSet: { ResultSetMetadata: { ColumnInfo: columns.map((c) => ({ ...c, Label: c.Name })) }, Rows: rows }, ...(i + 1 < pages.length ? { NextToken: `page-${i + 1}` } : {}) };
  });
}

async function show(sql: string) {
  const adapter = new AthenaAdapter(TARGET, createClients('eu-west-1'));
  await adapter.open('read');
  return adapter.query(sql);
}

beforeEach(() => {
  athena.on(GetWorkGroupCommand).resolves({ WorkGroup: { Name: 'stedi', State: 'ENABLED', Configuration: { ResultConfiguration: { OutputLocation: 's3://results-bucket/athena/' }, EngineVersion: { EffectiveEngineVersion: 'Athena engine version 3' } } } });
  glue.on(GetDatabaseCommand).resolves({ Database: { Name: 'stedi' } });
});
afterEach(() => {
  athena.reset();
  glue.reset();
  s3.reset();
});

describe('stedi show on Athena: adapter.query()', () => {
  it('reads 3 pages of a SELECT into rows: the header row of the first page dropped, NULLs kept, values by type', async () => {
    const columns = [
      { Name: 'n', Type: 'bigint' }, { Name: 's', Type: 'varchar' }, { Name: 'd', Type: 'double' }, { Name: 'b', Type: 'boolean' },
      { Name: 'big', Type: 'bigint' }, { Name: 'amount', Type: 'decimal(10,2)' }, { Name: 'day', Type: 'date' },
    ];
    const header = text('n', 's', 'd', 'b', 'big', 'amount', 'day');
    answer('DML', columns, [
      [header, text('1', 'a', '1.5', 'true', '9007199254740993', '12.30', '2026-01-01'), text('2', null, null, null, null, null, null)],
      // a data row that reads like the header, at the top of a later page: data, kept
      [text('n', 's', 'd', 'b', 'big', 'amount', 'day'), text('3', '', 'NaN', 'false', '-42', '-0.05', '1999-12-31')],
      [text(null, 'last', '-2.5E-3', 'true', '0', '0.00', null)],
    ]);
    const sql = 'select * from (\nselect * from "stedi"."customer_trusted"\n) as stedi_show limit 5';
    const r = await show(sql);

    expect(r.columns).toEqual([
      { name: 'n', type: 'bigint' }, { name: 's', type: 'varchar' }, { name: 'd', type: 'double' }, { name: 'b', type: 'boolean' },
      { name: 'big', type: 'bigint' }, { name: 'amount', type: 'decimal(10,2)' }, { name: 'day', type: 'date' },
    ]);
    expect(r.rows).toEqual([
      { n: 1, s: 'a', d: 1.5, b: true, big: '9007199254740993', amount: '12.30', day: '2026-01-01' },
      { n: 2, s: null, d: null, b: null, big: null, amount: null, day: null },
      { n: 'n', s: 's', d: 'd', b: 'b', big: 'big', amount: 'amount', day: 'day' },
      { n: 3, s: '', d: 'NaN', b: false, big: -42, amount: '-0.05', day: '1999-12-31' },
      { n: null, s: 'last', d: -0.0025, b: true, big: 0, amount: '0.00', day: null },
    ]);
    expect(r.stats).toEqual({ query_ids: ['q-show'], data_scanned_bytes: 123, estimated_cost_usd: 0.00004768 });

    // one statement, in the workgroup's context; three pages asked for in order, each with the previous token
    expect(athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { QueryString: sql, ClientRequestToken: expect.any(String), QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: 'stedi' }, WorkGroup: 'stedi' },
    ]);
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: 'q-show', MaxResults: 1000 },
      { QueryExecutionId: 'q-show', MaxResults: 1000, NextToken: 'page-1' },
      { QueryExecutionId: 'q-show', MaxResults: 1000, NextToken: 'page-2' },
    ]);
    // reading never cleans up or writes anything
    expect(glue.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name)).toEqual(['GetDatabaseCommand']);
    expect(s3.calls()).toEqual([]);
  });

  it('keeps the first row of a statement for which Athena returns no header row', async () => {
    answer('UTILITY', [{ Name: 'tab_name', Type: 'varchar' }], [[text('tab_name'), text('customer')], [text('customer_trusted')], [text('reconciliation')]]);
    const r = await show('SHOW TABLES IN stedi');
    expect(r.rows).toEqual([{ tab_name: 'tab_name' }, { tab_name: 'customer' }, { tab_name: 'customer_trusted' }, { tab_name: 'reconciliation' }]);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(3);
  });
});
