/**
 * The dimension fingerprints of microbatch models (runner/adapters/duckdb/microbatch.ts) are
 * md5 of the sorted row hashes. `sortedConcat` must give exactly the text the earlier ordered
 * aggregate gave, or every lake's recorded fingerprints would differ once and restate every key.
 */
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { rowHash, sortedConcat } from '../../../runner/adapters/duckdb/microbatch-sql.js';

describe('sortedConcat', () => {
  it('equals string_agg(… ORDER BY …) per group, over duplicates, NULL columns and no rows', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      await c.run(`CREATE TABLE t AS SELECT (i % 97) AS k, CASE WHEN i % 7 = 0 THEN NULL ELSE 'v' || (i % 13) END AS v, i % 5 AS w FROM range(20000) r(i)`);
      const diff = await c.runAndReadAll(`
        SELECT count(*) FROM (
          SELECT k, md5(string_agg(${rowHash('t')}, '' ORDER BY ${rowHash('t')})) AS a, md5(${sortedConcat(rowHash('t'))}) AS b FROM t GROUP BY k
        ) WHERE a IS DISTINCT FROM b`);
      expect(Number(diff.getRows()[0]![0])).toBe(0);
      const empty = await c.runAndReadAll(`SELECT md5(coalesce(string_agg(${rowHash('t')}, '' ORDER BY ${rowHash('t')}), '')) = md5(coalesce(${sortedConcat(rowHash('t'))}, '')) FROM t WHERE false`);
      expect(empty.getRows()[0]![0]).toBe(true);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
