import { describe, expect, it } from 'vitest';
import { batchWindow, clipRanges, fillWindow, inRanges, intervalStart, nextStart, NULL_INTERVAL, previousStart, rangesOf, unionRanges, windowTokens } from '../../../runner/core/batches.js';
import { duckdbDialect } from '../../../runner/dialect/duckdb.js';

const H = 3_600_000;
const D = 24 * H;

describe('event-time intervals', () => {
  it('start, next and previous intervals in UTC, months and years by the calendar', () => {
    const t = Date.UTC(2024, 1, 29, 13, 45, 7, 9);
    expect(intervalStart(t, 'hour')).toBe(Date.UTC(2024, 1, 29, 13));
    expect(intervalStart(t, 'day')).toBe(Date.UTC(2024, 1, 29));
    expect(intervalStart(t, 'month')).toBe(Date.UTC(2024, 1, 1));
    expect(intervalStart(t, 'year')).toBe(Date.UTC(2024, 0, 1));
    expect(nextStart(Date.UTC(2024, 1, 1), 'month')).toBe(Date.UTC(2024, 2, 1));
    expect(nextStart(Date.UTC(2024, 11, 1), 'month')).toBe(Date.UTC(2025, 0, 1));
    expect(previousStart(Date.UTC(2024, 2, 1), 'month')).toBe(Date.UTC(2024, 1, 1));
    expect(previousStart(Date.UTC(2024, 0, 1), 'day')).toBe(Date.UTC(2023, 11, 31));
    // before 1970 too
    expect(intervalStart(-1, 'hour')).toBe(-H);
  });

  it('ranges: sorted, adjacent intervals merged, the NULL interval apart', () => {
    expect(rangesOf(['0', String(D), String(3 * D), NULL_INTERVAL], 'day')).toEqual([{ start: 0, end: 2 * D }, { start: 3 * D, end: 4 * D }]);
    expect(unionRanges([{ start: 0, end: D }], [{ start: D, end: 3 * D }, { start: 5 * D, end: Infinity }])).toEqual([{ start: 0, end: 3 * D }, { start: 5 * D, end: Infinity }]);
    expect(inRanges(String(2 * D), [{ start: 0, end: 3 * D }])).toBe(true);
    expect(inRanges(String(3 * D), [{ start: 0, end: 3 * D }])).toBe(false);
    expect(inRanges(NULL_INTERVAL, [{ start: -Infinity, end: Infinity }])).toBe(false);
    expect(clipRanges([{ start: 0, end: D }, { start: 2 * D, end: 3 * D }], D + 5)).toEqual([{ start: 2 * D, end: 3 * D }]);
  });

  it('window tokens: rendered per input, found again and filled, quotes kept intact', () => {
    const w = batchWindow(duckdbDialect);
    const sql = `select * from ${w('"landing"."ev"', "source.p.landing.it's", 'ts')} a join ${w('"main"."m"', 'model.p.m', 'odd"col')} b on true`;
    expect(windowTokens(sql)).toEqual([{ id: "source.p.landing.it's", column: '"ts"' }, { id: 'model.p.m', column: '"odd""col"' }]);
    const filled = fillWindow(sql, (id, col) => `${col} >= ${id.length}`);
    expect(filled).toBe(`select * from (SELECT * FROM "landing"."ev" WHERE ("ts" >= 21)) a join (SELECT * FROM "main"."m" WHERE ("odd""col" >= 9)) b on true`);
    expect(windowTokens(filled)).toEqual([]);
  });
});
