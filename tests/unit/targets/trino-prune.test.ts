/** The trino target's choices of what to prune and sweep, as pure functions (runner/adapters/trino/prune.ts, sweep.ts). */
import { describe, expect, it } from 'vitest';
import { MIN_GAP_MS, retentionMs } from '../../../runner/adapters/trino/prune.js';
import { leftoverTables, type Listed } from '../../../runner/adapters/trino/sweep.js';

describe('retentionMs: the expire threshold that keeps the newest keep + 1 snapshots', () => {
  const now = 100_000;
  it('cuts halfway between the oldest kept and the newest expired snapshot', () => {
    // newest first: published at 90 s, kept 80 s, expired 70 s and 60 s
    expect(retentionMs([90_000, 80_000, 70_000, 60_000], now, 1)).toBe(now - 75_000);
    expect(retentionMs([90_000, 80_000, 70_000, 60_000], now, 0)).toBe(now - 85_000);
  });
  it('expires nothing when no more than keep + 1 snapshots exist', () => {
    expect(retentionMs([90_000, 80_000], now, 1)).toBeUndefined();
    expect(retentionMs([90_000], now, 0)).toBeUndefined();
  });
  it('never cuts inside a gap shorter than MIN_GAP_MS: the older snapshot is kept too', () => {
    const close = 80_000 - (MIN_GAP_MS - 1);
    expect(retentionMs([90_000, 80_000, close, 60_000], now, 1)).toBe(Math.round(now - (close + 60_000) / 2));
    expect(retentionMs([90_000, 80_000, close], now, 1)).toBeUndefined();
  });
});

describe('leftoverTables: only candidates of the node, with its owner record', () => {
  const mine = (node: string): Listed => ({ view: false, meta: { stedi: 'p/t', node } });
  const tables = new Map<string, Listed>([
    ['items__stedi_20260101t000000z_0badc0de', mine('model.p.items')],
    ['items__stedi_20260101t000000z_0000beef', { view: false }],
    ['items__stedi_20260101t000000z_0000f00d', mine('model.p.other')],
    ['items_raw__stedi_20260101t000000z_0badc0de', mine('model.p.items')],
    ['items__stedi_v_20260101t000000z_0badc0de', mine('model.p.items')],
    ['items', mine('model.p.items')],
    ['items__stedi_20260101t000000z_0badc0de_x', mine('model.p.items')],
  ]);
  it('takes a candidate name of one of the given tables whose comment names the node', () => {
    expect(leftoverTables(tables, ['items'], 'model.p.items')).toEqual(['items__stedi_20260101t000000z_0badc0de']);
    expect(leftoverTables(tables, ['items', 'items_raw'], 'model.p.items')).toEqual(['items__stedi_20260101t000000z_0badc0de', 'items_raw__stedi_20260101t000000z_0badc0de']);
    expect(leftoverTables(tables, ['other'], 'model.p.other')).toEqual([]);
  });
});
