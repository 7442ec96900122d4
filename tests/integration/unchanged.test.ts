/**
 * Early cutoff (runner/adapters/duckdb/unchanged.ts): a rebuilt table keeps its published version
 * only when its rows are provably the same. Every way two tables can differ with the same row
 * count must be "not the same"; a real DuckDB writes and compares real Parquet files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { MAX_COMPARED_ROWS, sameAsPublished } from '../../runner/adapters/duckdb/unchanged.js';
import type { PublishedRow } from '../../runner/adapters/duckdb/catalog.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-unchanged-'));
let instance: DuckDBInstance;
let c: DuckDBConnection;
let n = 0;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  c = await instance.connect();
});
afterAll(() => {
  c.closeSync();
  instance.closeSync();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Writes `select` as a version folder (one or more files) and returns it. */
async function version(select: string, files = 1): Promise<string> {
  const dir = path.join(root, `v=${n++}`);
  fs.mkdirSync(dir);
  if (files === 1) await c.run(`COPY (${select}) TO '${dir}/data.parquet' (FORMAT parquet)`);
  else for (let i = 0; i < files; i++) await c.run(`COPY (SELECT * EXCLUDE (__r) FROM (SELECT *, row_number() OVER () AS __r FROM (${select})) WHERE __r % ${files} = ${i}) TO '${dir}/data_${i}.parquet' (FORMAT parquet)`);
  return dir;
}

async function rowsOf(dir: string): Promise<number> {
  const r = await c.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${dir}/*.parquet', hive_partitioning = false)`);
  return Number(r.getRowObjectsJson()[0]!.n);
}

function published(dir: string, rows: number, over: Partial<PublishedRow> = {}): PublishedRow {
  return { relation: '"curated"."t"', schema_name: 'curated', identifier: 't', kind: 'table', node: 'model.p.t', version: 'x', path: dir, published_at: '', row_count: rows, definition: null, inputs: null, parts: null, ...over } as PublishedRow;
}

async function same(was: string, now: string, over: Partial<PublishedRow> = {}): Promise<boolean> {
  return sameAsPublished(c, published(was, await rowsOf(was), over), 'model.p.t', now, await rowsOf(now));
}

const BASE = `SELECT * FROM (VALUES ('ann', 1::BIGINT, 0.5::DOUBLE), ('bo', 2, 1.5), ('bo', 2, 1.5), ('cy', NULL, NULL)) t(name, n, x)`;

describe('a rebuilt table is the published one only when its rows are the same', () => {
  it('the same rows in another order, in other files, are the same', async () => {
    const was = await version(BASE);
    expect(await same(was, await version(`${BASE} ORDER BY name DESC`))).toBe(true);
    expect(await same(was, await version(`${BASE} ORDER BY n NULLS FIRST`, 2))).toBe(true);
  });

  it('one value changed, a NULL filled, a duplicate traded for another row: not the same (equal counts)', async () => {
    const was = await version(BASE);
    expect(await same(was, await version(`SELECT name, CASE WHEN name = 'ann' THEN 9 ELSE n END AS n, x FROM (${BASE})`))).toBe(false);
    expect(await same(was, await version(`SELECT name, coalesce(n, 0) AS n, x FROM (${BASE})`))).toBe(false);
    // multisets: {ann, bo, bo, cy} against {ann, ann, bo, cy}
    expect(await same(was, await version(`SELECT * FROM (VALUES ('ann', 1::BIGINT, 0.5::DOUBLE), ('ann', 1, 0.5), ('bo', 2, 1.5), ('cy', NULL, NULL)) t(name, n, x)`))).toBe(false);
  });

  it('-0.0 is not 0.0, and text differs by case or trailing space', async () => {
    const zero = await version(`SELECT 0.0::DOUBLE AS x, 'a' AS s`);
    expect(await same(zero, await version(`SELECT -0.0::DOUBLE AS x, 'a' AS s`))).toBe(false);
    expect(await same(zero, await version(`SELECT 0.0::DOUBLE AS x, 'A' AS s`))).toBe(false);
    expect(await same(zero, await version(`SELECT 0.0::DOUBLE AS x, 'a ' AS s`))).toBe(false);
    expect(await same(zero, await version(`SELECT 0.0::DOUBLE AS x, 'a' AS s`))).toBe(true);
  });

  it('another type, another column name or order, another nested value: not the same', async () => {
    const was = await version(`SELECT 1::BIGINT AS a, 'x' AS b, [1.0::DOUBLE, -(0.0::DOUBLE)] AS l`);
    expect(await same(was, await version(`SELECT 1::INTEGER AS a, 'x' AS b, [1.0::DOUBLE, -(0.0::DOUBLE)] AS l`))).toBe(false);
    expect(await same(was, await version(`SELECT 1::BIGINT AS c, 'x' AS b, [1.0::DOUBLE, -(0.0::DOUBLE)] AS l`))).toBe(false);
    expect(await same(was, await version(`SELECT 'x' AS b, 1::BIGINT AS a, [1.0::DOUBLE, -(0.0::DOUBLE)] AS l`))).toBe(false);
    expect(await same(was, await version(`SELECT 1::BIGINT AS a, 'x' AS b, [1.0, 0.0]::DOUBLE[] AS l`))).toBe(false);
    expect(await same(was, await version(`SELECT 1::BIGINT AS a, 'x' AS b, [1.0::DOUBLE, -(0.0::DOUBLE)] AS l`))).toBe(true);
  });

  it('fails closed: another node, a list of parts, a recorded count that is not the files, a folder gone, too large to compare', async () => {
    const was = await version(BASE);
    const now = await version(BASE);
    expect(await same(was, now)).toBe(true);
    expect(await sameAsPublished(c, published(was, 4), 'model.p.other', now, 4)).toBe(false);
    expect(await sameAsPublished(c, published(was, 4, { parts: [`${was}/data.parquet`] }), 'model.p.t', now, 4)).toBe(false);
    expect(await sameAsPublished(c, published(was, 4, { kind: 'view' }), 'model.p.t', now, 4)).toBe(false);
    expect(await sameAsPublished(c, undefined, 'model.p.t', now, 4)).toBe(false);
    // the catalog says 5 rows, the files hold 4: the record is not trusted
    expect(await sameAsPublished(c, published(was, 5), 'model.p.t', now, 5)).toBe(false);
    // the catalog says 4, the published files hold those 4 rows and one more
    const more = await version(`${BASE} UNION ALL SELECT 'dee', 4, 4.5`);
    expect(await sameAsPublished(c, published(more, 4), 'model.p.t', now, 4)).toBe(false);
    expect(await sameAsPublished(c, published(was, MAX_COMPARED_ROWS + 1), 'model.p.t', now, MAX_COMPARED_ROWS + 1)).toBe(false);
    const gone = await version(BASE);
    fs.rmSync(path.join(gone, 'data.parquet'));
    expect(await sameAsPublished(c, published(gone, 4), 'model.p.t', now, 4)).toBe(false);
    fs.rmSync(gone, { recursive: true });
    expect(await sameAsPublished(c, published(gone, 4), 'model.p.t', now, 4)).toBe(false);
  });
});
