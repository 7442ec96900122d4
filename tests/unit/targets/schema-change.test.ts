/**
 * on_schema_change's plan (runner/adapters/duckdb/schema-change.ts), pure: the SELECT lists that
 * align a batch and the published parts, for each policy, and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { alignSchema } from '../../../runner/adapters/duckdb/schema-change.js';

const cols = (s: string) => s.split(',').map((c) => {
  const [name, type] = c.trim().split(' ');
  return { name: name!, type: type! };
});
const table = cols('id BIGINT, ts BIGINT, v VARCHAR');

describe('alignSchema', () => {
  it('fail (and an unknown policy) refuses, naming both column lists', () => {
    for (const p of ['fail', 'nonsense']) expect(() => alignSchema('m', p, cols('id BIGINT, ts BIGINT'), table)).toThrow(/on_schema_change: fail: the new rows of m have the columns \(id BIGINT, ts BIGINT\) but the published table has \(id BIGINT, ts BIGINT, v VARCHAR\)/);
  });

  it('a batch in another order is put in the table\'s order under ignore and append_new_columns, parts untouched', () => {
    for (const p of ['ignore', 'append_new_columns']) {
      const plan = alignSchema('m', p, cols('v VARCHAR, id BIGINT, ts BIGINT'), table);
      expect(plan.batch).toEqual(['b."id"', 'b."ts"', 'b."v"']);
      expect(plan.published).toBeUndefined();
      expect(plan.note).toContain('put in the table\'s order');
    }
    // sync_all_columns takes the batch's order: the parts are rewritten in it
    const sync = alignSchema('m', 'sync_all_columns', cols('v VARCHAR, id BIGINT, ts BIGINT'), table);
    expect(sync.published).toEqual(['p."v"', 'p."id"', 'p."ts"']);
    expect(sync.note).toBe('on_schema_change: sync_all_columns: columns reordered');
  });

  it('ignore drops new columns; append_new_columns adds them as NULL to the published rows', () => {
    const batch = cols('w DOUBLE, id BIGINT, ts BIGINT, v VARCHAR');
    expect(alignSchema('m', 'ignore', batch, table)).toMatchObject({ batch: ['b."id"', 'b."ts"', 'b."v"'], casts: [] });
    const a = alignSchema('m', 'append_new_columns', batch, table);
    expect(a.batch).toEqual(['b."id"', 'b."ts"', 'b."v"', 'b."w"']);
    expect(a.published).toEqual(['p."id"', 'p."ts"', 'p."v"', 'CAST(NULL AS DOUBLE) AS "w"']);
  });

  it('ignore and append_new_columns refuse a missing or retyped column; sync_all_columns drops and converts it', () => {
    for (const p of ['ignore', 'append_new_columns']) {
      expect(() => alignSchema('m', p, cols('id BIGINT, ts BIGINT'), table)).toThrow(/the published column v of m is not in the new rows/);
      expect(() => alignSchema('m', p, cols('id BIGINT, ts VARCHAR, v VARCHAR'), table)).toThrow(/ts is VARCHAR in the new rows but BIGINT in the published table of m; .* converts no value/);
    }
    const s = alignSchema('m', 'sync_all_columns', cols('id BIGINT, ts VARCHAR, odd"col INTEGER'), table);
    expect(s.published).toEqual(['p."id"', 'CAST(p."ts" AS VARCHAR) AS "ts"', 'CAST(NULL AS INTEGER) AS "odd""col"']);
    expect(s.casts).toEqual([{ name: 'ts', type: 'VARCHAR' }]);
    expect(s.note).toBe('on_schema_change: sync_all_columns: added odd"col; dropped v; converted ts from BIGINT to VARCHAR');
  });
});
