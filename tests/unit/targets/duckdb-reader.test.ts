/**
 * How a DuckDB table version is read: the listed parts, or (a version without a list) every
 * Parquet file of its folder. A list of no part is never written, so it is refused as a damaged
 * record instead of being read as the whole folder (which could hold files no version lists).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { parquetFiles, parquetView } from '../../../runner/adapters/duckdb/reader.js';

describe('parquetFiles', () => {
  it('reads the listed parts, or the folder when the version lists none', () => {
    expect(parquetFiles('/l/t/v=1', ['/l/t/v=1/a.parquet', "/l/t/v=2/o'b.parquet"])).toBe("read_parquet(['/l/t/v=1/a.parquet', '/l/t/v=2/o''b.parquet'], hive_partitioning = false)");
    expect(parquetFiles('/l/t/v=1')).toBe("read_parquet('/l/t/v=1/*.parquet', hive_partitioning = false)");
    expect(parquetFiles('/l/t/v=1', null)).toBe("read_parquet('/l/t/v=1/*.parquet', hive_partitioning = false)");
  });

  it('refuses an empty list of parts: the folder may hold a part of another build', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-reader-'));
    try {
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      // a stray part in the folder (e.g. left by a stopped build): read only through a glob
      await c.run(`COPY (SELECT 1 AS v) TO '${path.join(dir, 'stray.parquet')}' (FORMAT parquet)`);
      expect(() => parquetView('t', dir, [])).toThrow(/lists no Parquet part: its catalog record is damaged/);
      // the glob form, for contrast, would have read it
      await c.run(parquetView('t', dir, null));
      expect((await c.runAndReadAll('SELECT count(*) AS n FROM t')).getRowObjects()[0]!.n).toBe(1n);
      c.closeSync();
      db.closeSync();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
