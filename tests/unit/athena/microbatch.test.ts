/**
 * Microbatch models on Athena: what a build restates (decide, pure) and the SQL of an incremental
 * build of the STEDI models (golden files). That SQL runs for real on Trino in
 * tests/integration/athena-build-on-trino.test.ts and parses with Trino's grammar in parsers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decide, isStateUri, MAX_KEYS, parseState, stateUri, unsupported, type MbState } from '../../../runner/adapters/athena/microbatch.js';
import type { Table } from '@aws-sdk/client-glue';
import { planMicrobatch, type Planned } from '../../../runner/adapters/athena/microbatch-plan.js';
import type { MicrobatchPlan, PublishOptions, QueryResult } from '../../../runner/adapters/types.js';
import type { ModelNode } from '../../../runner/manifest/types.js';
import { expectGolden } from './golden.js';
import { hiveStatements, incrementalStatements } from './microbatch-sql.js';

const H = 3_600_000;
const plan: MicrobatchPlan = {
  eventInputs: [{ id: 'source.s.landing.a', relation: '"stedi"."a"', column: 'ts' }],
  dimensions: [{ id: 'model.s.c', relation: '"stedi"."c"', key: 'email' }, { id: 'seed.s.rules', relation: '"stedi"."rules"' }],
  restateColumn: 'email',
};
const state = (over: Partial<MbState> = {}): MbState => ({
  format: 1, spec: 'x',
  events: { '"stedi"."a"': { [String(10 * H)]: '3:aa', [String(11 * H)]: '2:bb', null: '1:cc' } },
  dims: { '"stedi"."c"': { keys: { k1: 'f1', k2: 'f2' } }, '"stedi"."rules"': { whole: '4:dd' } },
  ...over,
});

describe('what a microbatch build restates on Athena', () => {
  it('nothing changed: unchanged', () => {
    expect(decide(state(), state(), plan, 'hour', 0)).toEqual({ kind: 'unchanged' });
  });

  it('an interval whose rows changed, appeared or disappeared is restated, with lookback intervals before the newest', () => {
    const now = state({ events: { '"stedi"."a"': { [String(10 * H)]: '3:aa', [String(11 * H)]: '3:b2', [String(14 * H)]: '1:ee', null: '1:cc' } } });
    expect(decide(state(), now, plan, 'hour', 0)).toEqual({ kind: 'restate', restate: { ranges: [{ start: 11 * H, end: 12 * H }, { start: 14 * H, end: 15 * H }], withNull: false, keys: [] }, intervals: 2 });
    const back = decide(state(), now, plan, 'hour', 2);
    expect(back.kind === 'restate' && back.restate.ranges).toEqual([{ start: 11 * H, end: 15 * H }]);
    const gone = decide(state(), state({ events: { '"stedi"."a"': { [String(10 * H)]: '3:aa', [String(11 * H)]: '2:bb' } } }), plan, 'hour', 0);
    expect(gone).toEqual({ kind: 'restate', restate: { ranges: [], withNull: true, keys: [] }, intervals: 1 });
  });

  it('a key whose rows changed, appeared or disappeared is restated (by its hash)', () => {
    const now = state({ dims: { '"stedi"."c"': { keys: { k1: 'f1', k2: 'changed', k3: 'new' } }, '"stedi"."rules"': { whole: '4:dd' } } });
    expect(decide(state(), now, plan, 'hour', 0)).toEqual({ kind: 'restate', restate: { ranges: [], withNull: false, keys: ['k2', 'k3'] }, intervals: 0 });
    const removed = state({ dims: { '"stedi"."c"': { keys: { k2: 'f2' } }, '"stedi"."rules"': { whole: '4:dd' } } });
    expect(decide(state(), removed, plan, 'hour', 0)).toMatchObject({ restate: { keys: ['k1'] } });
  });

  it('restated keys that no keyed dimension of the published version held (and not the NULL key) are marked new: the published table holds no row of them', () => {
    const twoDims: MicrobatchPlan = { ...plan, dimensions: [...plan.dimensions, { id: 'model.s.o', relation: '"stedi"."o"', key: 'email' }] };
    const was = state({ dims: { ...state().dims, '"stedi"."o"': { keys: { k9: 'f9' } } } });
    const now = (c: Record<string, string>, o: Record<string, string> = { k9: 'f9' }) => state({ dims: { '"stedi"."c"': { keys: c }, '"stedi"."rules"': { whole: '4:dd' }, '"stedi"."o"': { keys: o } } });
    // two keys entering: new
    expect(decide(was, now({ k1: 'f1', k2: 'f2', k3: 'n3', k4: 'n4' }), twoDims, 'hour', 0)).toEqual({ kind: 'restate', restate: { ranges: [], withNull: false, keys: ['k3', 'k4'], keysNew: true }, intervals: 0 });
    // one entering while another leaves, or one whose rows changed: the table may hold them
    expect(decide(was, now({ k1: 'f1', k3: 'n3' }), twoDims, 'hour', 0)).toMatchObject({ restate: { keys: ['k2', 'k3'] } });
    expect(decide(was, now({ k1: 'f1', k3: 'n3' }), twoDims, 'hour', 0)).not.toHaveProperty('restate.keysNew');
    expect(decide(was, now({ k1: 'f1', k2: 'changed' }), twoDims, 'hour', 0)).not.toHaveProperty('restate.keysNew');
    // new to one dimension but held, unchanged, by another: not new
    expect(decide(was, now({ k1: 'f1', k2: 'f2', k9: 'n9' }), twoDims, 'hour', 0)).toEqual({ kind: 'restate', restate: { ranges: [], withNull: false, keys: ['k9'] }, intervals: 0 });
    // the NULL key is never new (rows hold it whatever the dimensions)
    expect(decide(was, now({ k1: 'f1', k2: 'f2', '-': 'n' }), twoDims, 'hour', 0)).toEqual({ kind: 'restate', restate: { ranges: [], withNull: false, keys: ['-'] }, intervals: 0 });
  });

  it('--event-time-start/--event-time-end restate their window too', () => {
    const d = decide(state(), state(), { ...plan, window: { start: 20 * H + 5, end: 22 * H } }, 'hour', 0);
    expect(d).toMatchObject({ kind: 'restate', restate: { ranges: [{ start: 20 * H, end: 22 * H }] } });
  });

  it('what cannot be compared builds whole, saying why', () => {
    expect(decide(state(), state({ spec: 'y' }), plan, 'hour', 0)).toEqual({ kind: 'whole', why: 'its SQL or microbatch config changed since the published version' });
    expect(decide(state(), state({ dims: { '"stedi"."c"': { keys: { k1: 'f1', k2: 'f2' } }, '"stedi"."rules"': { whole: '5:zz' } } }), plan, 'hour', 0)).toEqual({ kind: 'whole', why: '"stedi"."rules" changed (it has no restate_by key)' });
    expect(decide(state({ events: {} }), state(), plan, 'hour', 0)).toEqual({ kind: 'whole', why: '"stedi"."a" is a new input' });
    expect(decide({ ...state(), format: 0 }, state(), plan, 'hour', 0)).toMatchObject({ kind: 'whole' });
    const many = Object.fromEntries(Array.from({ length: MAX_KEYS + 1 }, (_, i) => [`k${i}`, 'x']));
    expect(decide(state(), state({ dims: { '"stedi"."c"': { keys: many }, '"stedi"."rules"': { whole: '4:dd' } } }), plan, 'hour', 0)).toMatchObject({ kind: 'whole', why: expect.stringMatching(/keys changed/) });
  });

  it('a state object that is not one stedi wrote reads as none; it lives beside the version prefixes, outside the Iceberg location', () => {
    expect(parseState('{')).toBeUndefined();
    expect(parseState('{"a":1}')).toBeUndefined();
    expect(parseState(JSON.stringify(state()))).toEqual(state());
    const uri = stateUri('s3://b/z/e/t/m/v=20260101T000000Z-01010101/', '20260102T000000Z-02020202');
    expect(uri).toBe('s3://b/z/e/t/m/_stedi_microbatch/v=20260102T000000Z-02020202.json');
    expect(isStateUri('s3://b/z', uri)).toBe(true);
    expect(isStateUri('s3://b/other', uri)).toBe(false);
    expect(isStateUri('s3://b/z', 's3://b/z/e/t/m/v=20260101T000000Z-01010101/data/x.parquet')).toBe(false);
    expect(isStateUri('s3://b/z', 's3://b/z/../y/_stedi_microbatch/v=20260102T000000Z-02020202.json')).toBe(false);
  });

  it('what Athena cannot build incrementally is built whole: batch sizes other than hour and day (Hive tables are incremental too)', () => {
    expect(unsupported('hour', 'hive')).toBeUndefined();
    expect(unsupported('month', 'hive')).toMatch(/batch_size month/);
    expect(unsupported('month', 'iceberg')).toMatch(/batch_size month/);
    expect(unsupported('day', 'iceberg')).toBeUndefined();
  });
});

describe('the SQL of an incremental build of the STEDI microbatch models (golden)', () => {
  for (const [model, sql] of Object.entries(incrementalStatements())) {
    it(model, () => {
      expect(sql).toContain('MERGE INTO');
      expectGolden(`microbatch/${model}.incremental.sql`, sql);
    });
  }
  for (const [model, sql] of Object.entries(hiveStatements())) {
    it(`${model} (a Hive table: interval files)`, () => {
      expect(sql).toContain(`partitioned_by = ARRAY['stedi_interval']`);
      expectGolden(`microbatch/${model}.hive.sql`, sql);
    });
  }
});

describe('an Athena microbatch build fails closed: what it cannot compare is built whole, saying why', () => {
  const node = { name: 'm', config: { batch_size: 'hour', event_time: 'ts', lookback: 0 } } as unknown as ModelNode;
  const mbPlan: MicrobatchPlan = { eventInputs: [{ id: 'source.s.l.a', relation: '"stedi"."a"', column: 'ts' }], dimensions: [{ id: 'model.s.c', relation: '"stedi"."c"', key: 'email' }], restateColumn: 'email' };
  const columns: Record<string, { name: string; type: string }[]> = { '"stedi"."a"': [{ name: 'ts', type: 'bigint' }, { name: 'email', type: 'varchar' }], '"stedi"."c"': [{ name: 'email', type: 'varchar' }] };
  const query = async (sql: string): Promise<QueryResult> => {
    const shape = /^SELECT \* FROM (.+) LIMIT 0$/.exec(sql);
    if (shape) return { columns: columns[shape[1]!] ?? [{ name: 'email', type: 'varchar' }], rows: [] };
    if (/GROUP BY 1$/.test(sql) && sql.includes('AS i')) return { columns: [], rows: [{ i: '0', n: 1, fp: 'A' }] };
    return { columns: [], rows: [{ k: 'h', fp: 'B' }] };
  };
  const opts = (extra: Partial<PublishOptions> = {}): PublishOptions => ({ incrementalSql: 'select 2', microbatch: mbPlan, ...extra });
  const published = (params: Record<string, string>) => ({ Name: 'm', Parameters: { stedi_format: 'iceberg', ...params } }) as Table;
  const deps = (readText: (uri: string) => Promise<string | undefined>, keepVersions = 1) => ({ query, readText, keepVersions });
  const why = async (p: Promise<Planned>) => ((await p) as { why?: string }).why;
  const stateOf = async () => ((await planMicrobatch(deps(async () => undefined), node, 'select 1', 'iceberg', undefined, opts())) as { state: MbState }).state;

  it('first build, --full-refresh, keep_versions 0, a published version of the other format or without its interval files', async () => {
    expect(await why(planMicrobatch(deps(async () => undefined), node, 'select 1', 'iceberg', undefined, opts()))).toBe('first build');
    expect(await why(planMicrobatch(deps(async () => undefined), node, 'select 1', 'iceberg', published({}), opts({ fullRefresh: true })))).toBe('--full-refresh');
    expect(await why(planMicrobatch(deps(async () => undefined, 0), node, 'select 1', 'iceberg', published({}), opts()))).toMatch(/^keep_versions is 0/);
    expect(await why(planMicrobatch(deps(async () => undefined), node, 'select 1', 'hive', published({}), opts()))).toBe('the published version is not a Hive table');
    expect(await why(planMicrobatch(deps(async () => undefined), node, 'select 1', 'hive', published({ stedi_format: 'hive' }), opts()))).toBe('the published version is not a Hive table of interval files');
    const hive = published({ stedi_format: 'hive', stedi_interval_manifest: 's3://b/z/m/v=1/_symlink_format_manifest/manifest' });
    expect(await why(planMicrobatch(deps(async () => undefined), node, 'select 1', 'hive', hive, opts()))).toMatch(/manifest of the published version .* is missing or lists a file/);
    expect(await why(planMicrobatch(deps(async () => 's3://b/z/m/v=1/other/part-0\n'), node, 'select 1', 'hive', hive, opts()))).toMatch(/lists a file that is not an interval's/);
    expect(await why(planMicrobatch(deps(async () => { throw new Error('AccessDenied'); }), node, 'select 1', 'hive', hive, opts()))).toMatch(/cannot be read: AccessDenied/);
    // keep_versions 0 (stedi forget) rebuilds a Hive table whole too, at a new location
    expect(await why(planMicrobatch(deps(async () => undefined, 0), node, 'select 1', 'hive', hive, opts()))).toMatch(/^keep_versions is 0/);
    expect(await why(planMicrobatch(deps(async () => undefined), node, 'select 1', 'iceberg', published({ stedi_format: 'hive' }), opts()))).toBe('the published version is not an Iceberg table');
  });

  it('a state that is not recorded, missing, unreadable or of another spec', async () => {
    expect(await why(planMicrobatch(deps(async () => undefined), node, 'select 1', 'iceberg', published({}), opts()))).toBe('no microbatch state recorded with the published version');
    const p = published({ stedi_microbatch_state: 's3://b/z/_stedi_microbatch/v=1.json' });
    expect(await why(planMicrobatch(deps(async () => undefined), node, 'select 1', 'iceberg', p, opts()))).toMatch(/is missing or cannot be read/);
    expect(await why(planMicrobatch(deps(async () => { throw new Error('AccessDenied'); }), node, 'select 1', 'iceberg', p, opts()))).toMatch(/cannot be read: AccessDenied/);
    const other = JSON.stringify({ ...(await stateOf()), spec: 'other' });
    expect(await why(planMicrobatch(deps(async () => other), node, 'select 1', 'iceberg', p, opts()))).toBe('its SQL or microbatch config changed since the published version');
  });

  it('an event time that is not epoch milliseconds; the same state again restates nothing', async () => {
    const saved = columns['"stedi"."a"']!;
    columns['"stedi"."a"'] = [{ name: 'ts', type: 'timestamp(3)' }];
    expect(await why(planMicrobatch(deps(async () => undefined), node, 'select 1', 'iceberg', undefined, opts()))).toMatch(/is timestamp\(3\); only epoch milliseconds/);
    columns['"stedi"."a"'] = saved;
    const same = JSON.stringify(await stateOf());
    const got = await planMicrobatch(deps(async () => same), node, 'select 1', 'iceberg', published({ stedi_microbatch_state: 's3://b/z/_stedi_microbatch/v=1.json' }), opts());
    expect(got.restated).toMatchObject({ intervals: 0 });
    expect(got.restated?.restate).toBeUndefined();
  });

  it('reads each relation\'s columns once: the fingerprints and the key types share them', async () => {
    const same = JSON.stringify(await stateOf());
    const sent: string[] = [];
    const counting = { query: async (sql: string) => (sent.push(sql), query(sql)), readText: async () => same, keepVersions: 1 };
    const got = await planMicrobatch(counting, node, 'select 1', 'iceberg', published({ stedi_microbatch_state: 's3://b/z/_stedi_microbatch/v=1.json' }), opts());
    expect(got.restated).toMatchObject({ intervals: 0 });
    const shapes = sent.filter((q) => q.endsWith(' LIMIT 0'));
    // a, c (fingerprints), then the model's own SQL (its key's type); c's key type from the first read
    expect(shapes).toEqual(['SELECT * FROM "stedi"."a" LIMIT 0', 'SELECT * FROM "stedi"."c" LIMIT 0', 'SELECT * FROM (select 1) LIMIT 0']);
  });
});
