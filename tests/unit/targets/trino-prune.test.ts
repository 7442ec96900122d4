/** The trino target's choices of what to prune and sweep, as pure functions (runner/adapters/trino/prune.ts, sweep.ts, hive.ts). */
import { describe, expect, it } from 'vitest';
import { hiveVersionName, keptVersions, versionsToDrop } from '../../../runner/adapters/trino/hive.js';
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

describe('Hive version tables: the published one and keep_versions published before it are kept', () => {
  const v = (n: number) => hiveVersionName('items', `2026010${n}T000000Z-0badc0de`);
  const mine: Listed = { view: false, meta: { stedi: 'p/t', node: 'model.p.items' } };
  it('keeps what the previous view recorded, newest first, up to keep + 1', () => {
    expect(v(1)).toBe('items__stedi_v_20260101t000000z_0badc0de');
    expect(keptVersions(v(3), undefined, 1)).toEqual([v(3)]);
    expect(keptVersions(v(3), { stedi: 'p/t', node: 'model.p.items', version_table: v(2) }, 1)).toEqual([v(3), v(2)]);
    expect(keptVersions(v(4), { stedi: 'p/t', node: 'model.p.items', version_table: v(3), kept_versions: [v(3), v(1)] }, 2)).toEqual([v(4), v(3), v(1)]);
    expect(keptVersions(v(4), { stedi: 'p/t', node: 'model.p.items', version_table: v(3), kept_versions: [v(3), v(1)] }, 0)).toEqual([v(4)]);
  });
  it('drops the node\'s other version tables (an unpublished one among them), never a look-alike or a view', () => {
    const tables = new Map<string, Listed>([
      [v(1), mine],
      [v(2), mine],
      [v(3), mine],
      [v(4), { view: false }],
      [v(5), { view: true, meta: { stedi: 'p/t', node: 'model.p.items' } }],
      [hiveVersionName('other', '20260101T000000Z-0badc0de'), { view: false, meta: { stedi: 'p/t', node: 'model.p.other' } }],
      ['items', { view: true, meta: { stedi: 'p/t', node: 'model.p.items' } }],
    ]);
    expect(versionsToDrop(tables, 'items', 'model.p.items', [v(3), v(1)])).toEqual([v(2)]);
    expect(versionsToDrop(tables, 'items', 'model.p.items', [v(3)])).toEqual([v(1), v(2)]);
  });
});
