/**
 * What reuse may rely on (runner/execute/reuse.ts): the relations a query reads, proven from its
 * SQL, and keys that change with every input of a node and with nothing else.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentTokens, materializeKey, provenReads, testKey, unitTestKey } from '../../../runner/execute/reuse.js';
import type { Manifest, ManifestNode, ModelNode, SeedNode, TestNode, UnitTestNode } from '../../../runner/manifest/types.js';

function rel(schema: string, identifier: string) {
  return { schema, identifier, rendered: `"${schema}"."${identifier}"` };
}

const base = { original_file_path: 'x', line: 1, fqn: [], tags: [], description: '', config: { enabled: true } };
const source = { ...base, unique_id: 'source.p.landing.events', resource_type: 'source', name: 'events', source_name: 'landing', relation: rel('landing', 'events'), depends_on: [], columns: [{ name: 'user', description: '', pii: false, meta: {} }] } as unknown as ManifestNode;
const people = { ...base, unique_id: 'model.p.people', resource_type: 'model', name: 'people', materialized: 'table', relation: rel('main', 'people'), depends_on: [], columns: [], compiled_code: 'select 1 as id' } as unknown as ManifestNode;

function model(sql: string, extra: Partial<ModelNode> = {}): ModelNode {
  return { ...base, unique_id: 'model.p.m', resource_type: 'model', name: 'm', materialized: 'table', relation: rel('main', 'm'), depends_on: ['source.p.landing.events', 'model.p.people'], columns: [{ name: 'id', description: 'the id', pii: false, meta: {} }], compiled_code: sql, ...extra } as unknown as ModelNode;
}

function manifest(...nodes: ManifestNode[]): Manifest {
  return { nodes: Object.fromEntries([source, people, ...nodes].map((n) => [n.unique_id, n])) } as unknown as Manifest;
}

const PARENTS = ['source.p.landing.events', 'model.p.people'];
const reads = (sql: string) => provenReads(manifest(), sql, 'duckdb', PARENTS);

describe('provenReads', () => {
  it('finds the parents a query reads, by qualified or bare name, through CTEs, subqueries and joins', () => {
    expect(reads('with e as (select * from "landing"."events") select * from e join main.people p on true where exists (select 1 from people)').ok).toEqual(['model.p.people', 'source.p.landing.events']);
    expect(reads('select a."user", a.user, "user" from landing.events a').ok).toEqual(['source.p.landing.events']);
  });

  it('refuses a relation that is not a parent, a table function, a sample, and SQL it cannot parse', () => {
    expect(reads('select * from main.other').why).toMatch(/main\.other, which is not one of its parents/);
    expect(reads("select * from read_parquet('lake/x/*.parquet')").why).toMatch(/table function read_parquet/);
    expect(reads('select * from information_schema.tables').why).toMatch(/not one of its parents/);
    expect(reads('select * from landing.events tablesample bernoulli(10)').why).toMatch(/samples/);
    expect(reads('select * from landing.events using sample 10%').why).toMatch(/could not be parsed/);
    expect(reads('selec * form x').why).toMatch(/could not be parsed/);
  });

  it('refuses whatever reads the clock, the session, randomness, sequences or the environment', () => {
    for (const sql of [
      'select now() from landing.events',
      'select current_date from landing.events',
      'select CURRENT_TIMESTAMP from landing.events',
      'select * from landing.events where ts > epoch_ms(get_current_timestamp())',
      'select "now"() from landing.events',
      'select user from landing.events',
      'select random() from landing.events',
      'select gen_random_uuid() from landing.events',
      "select nextval('s') from landing.events",
      "select getenv('HOME') from landing.events",
      "select cast('now' as timestamp) from landing.events",
      "select 'today'::date from landing.events",
    ]) expect(reads(sql).why, sql).toBeDefined();
  });
});

describe('keys', () => {
  const tokens = new Map([['source.p.landing.events', 'parts:a'], ['model.p.people', 'folder:lake/people/v=1']]);
  const ctx = { dialect: 'duckdb', salt: 'stedi 1; duckdb 1', tokens, inputs: { target: 'local', vars: { a: 1 }, landing: {} } };
  const sql = 'select p.id from landing.events e join main.people p on p.id = e."user"';
  const key = (n: ModelNode, c = ctx) => materializeKey(manifest(n), n, c).ok;

  it('a model key changes with its SQL, config, columns, inputs, parent versions and the engine, and not with a description', () => {
    const k = key(model(sql));
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(key(model(sql))).toBe(k);
    expect(key(model(`${sql} where true`))).not.toBe(k);
    expect(key(model(sql, { config: { enabled: true, tags: ['x'] } }))).not.toBe(k);
    expect(key(model(sql, { columns: [{ name: 'id', description: 'the id', pii: true, meta: {} }] }))).not.toBe(k);
    expect(key(model(sql, { columns: [{ name: 'id', description: 'reworded', pii: false, meta: {} }] }))).toBe(k);
    expect(key(model(sql), { ...ctx, inputs: { ...ctx.inputs, vars: { a: 2 } } })).not.toBe(k);
    expect(key(model(sql), { ...ctx, tokens: new Map([...tokens, ['model.p.people', 'folder:lake/people/v=2']]) })).not.toBe(k);
    expect(key(model(sql), { ...ctx, salt: 'stedi 1; duckdb 2' })).not.toBe(k);
  });

  it('no key without a version of every parent, for views, for incremental batches that read their own table, or volatile SQL', () => {
    expect(materializeKey(manifest(model(sql)), model(sql), { ...ctx, tokens: new Map([['source.p.landing.events', 'parts:a']]) }).why).toMatch(/model\.p\.people has no recorded version/);
    expect(materializeKey(manifest(), model(sql, { materialized: 'view' }), ctx).why).toMatch(/view/);
    expect(materializeKey(manifest(), model(sql, { materialized: 'incremental', config: { enabled: true, incremental_strategy: 'append' } }), ctx).why).toMatch(/reads the table it adds to/);
    expect(materializeKey(manifest(), model(`${sql} where e.ts < epoch_ms(now())`), ctx).why).toMatch(/now/);
    expect(materializeKey(manifest(), model(sql, { materialized: 'incremental', config: { enabled: true, incremental_strategy: 'microbatch' }, compiled_incremental_code: 'select * from main.elsewhere' }), ctx).why).toMatch(/elsewhere/);
  });

  it('a seed key follows the bytes of its CSV file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-reuse-'));
    try {
      const file = path.join(dir, 's.csv');
      const seed = { ...base, unique_id: 'seed.p.s', resource_type: 'seed', name: 's', relation: rel('seeds', 's'), depends_on: [], columns: [], seed_path: file } as unknown as SeedNode;
      fs.writeFileSync(file, 'a\n1\n');
      const k = materializeKey(manifest(seed), seed, ctx).ok;
      expect(materializeKey(manifest(seed), seed, ctx).ok).toBe(k);
      fs.writeFileSync(file, 'a\n2\n');
      expect(materializeKey(manifest(seed), seed, ctx).ok).not.toBe(k);
      fs.rmSync(file);
      expect(materializeKey(manifest(seed), seed, ctx).why).toMatch(/could not be read/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a test key follows its SQL, severity, thresholds and what it reads', () => {
    const t = { ...base, unique_id: 'test.p.t', resource_type: 'test', name: 't', attached_node: 'model.p.people', depends_on: ['model.p.people'], severity: 'error', warn_if: '!=0', error_if: '!=0', compiled_code: 'select * from main.people where id is null', test_metadata: { name: 'not_null', kwargs: {} } } as unknown as TestNode;
    const k = testKey(manifest(t), t, ctx).ok;
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(testKey(manifest(t), { ...t, severity: 'warn' }, ctx).ok).not.toBe(k);
    expect(testKey(manifest(t), { ...t, error_if: '>5' }, ctx).ok).not.toBe(k);
    expect(testKey(manifest(t), t, { ...ctx, tokens: new Map([...tokens, ['model.p.people', 'folder:lake/people/v=3']]) }).ok).not.toBe(k);
    // a test naming a relation it does not depend on cannot be keyed
    expect(testKey(manifest(t), { ...t, compiled_code: 'select * from landing.events' }, ctx).why).toMatch(/not one of its parents/);
  });

  it('tokens come from the published records, matched by relation; a relation without one has none', () => {
    const m = manifest(model(sql));
    const t = contentTokens(m, [{ relation: '"main"."people"', content: 'folder:x' }, { relation: '"landing"."events"' }]);
    expect([...t]).toEqual([['model.p.people', 'folder:x']]);
  });
});

describe('unit test keys', () => {
  const ctx = { dialect: 'duckdb', salt: 'stedi 1; duckdb 1' };
  const ut = (extra: Partial<UnitTestNode> = {}): UnitTestNode =>
    ({ ...base, unique_id: 'unit_test.p.m.t', resource_type: 'unit_test', name: 't', model: 'model.p.m', depends_on: ['model.p.m'], given: [{ input: 'source.p.landing.events', rows: [{ user: 'a' }] }], expect: { rows: [{ id: 1 }] }, compiled_code: 'select 1 as id from __stedi_given_0 g', ...extra }) as unknown as UnitTestNode;
  it('follows the SQL, the given rows, the given inputs\' columns, the expected rows and the engine', () => {
    const k = unitTestKey(manifest(), ut(), ctx).ok!;
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(unitTestKey(manifest(), ut(), ctx).ok).toBe(k);
    expect(unitTestKey(manifest(), ut({ compiled_code: 'select 2 as id from __stedi_given_0 g' }), ctx).ok).not.toBe(k);
    expect(unitTestKey(manifest(), ut({ given: [{ input: 'source.p.landing.events', rows: [{ user: 'b' }] }] }), ctx).ok).not.toBe(k);
    expect(unitTestKey(manifest(), ut({ expect: { rows: [{ id: 2 }] } }), ctx).ok).not.toBe(k);
    expect(unitTestKey(manifest(), ut(), { ...ctx, salt: 'stedi 1; duckdb 2' }).ok).not.toBe(k);
    const typed = { ...source, columns: [{ name: 'user', description: '', pii: false, meta: {}, data_type: 'varchar' }] } as unknown as ManifestNode;
    const m2 = { nodes: { ...manifest().nodes, [typed.unique_id]: typed } } as unknown as Manifest;
    expect(unitTestKey(m2, ut(), ctx).ok).not.toBe(k);
  });
  it('no key for SQL that reads anything but its given rows or calls something volatile', () => {
    expect(unitTestKey(manifest(), ut({ compiled_code: 'select 1 as id from main.people' }), ctx).why).toMatch(/not one of its given inputs/);
    expect(unitTestKey(manifest(), ut({ compiled_code: 'select 1 as id from __stedi_given_1' }), ctx).why).toMatch(/not one of its given inputs/);
    expect(unitTestKey(manifest(), ut({ compiled_code: "select 1 as id from read_csv('x.csv')" }), ctx).why).toMatch(/table function/);
    expect(unitTestKey(manifest(), ut({ compiled_code: 'select random() as id from __stedi_given_0' }), ctx).why).toMatch(/random/);
    expect(unitTestKey(manifest(), ut({ compiled_code: 'select from where' }), ctx).why).toMatch(/parsed/);
  });
});
