/**
 * `materialized: incremental` on DuckDB (runner/adapters/duckdb/incremental.ts), through the CLI
 * on a project of its own: the first build writes the whole table; later builds add the batch of
 * the is_incremental() branch (`{{ this }}` is the published table) by append or delete+insert,
 * sharing the published parts; the table always equals what the model's SQL over all the data
 * gives; a batch with other columns fails (on_schema_change: fail) and --full-refresh rebuilds;
 * a failing blocking test leaves the published version; the config is checked; the PII gate reads
 * the is_incremental() branch too; on the athena target the first build is a whole Iceberg CTAS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explain, query, stedi, write } from '../helpers/stedi.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const PROJECT = `name: inc
version: "1.0"
default-target: local
clean-targets: [target]
targets:
  local: { type: duckdb, lake_dir: lake, threads: 2 }
  athena: { type: athena, region: eu-west-1, database: inc, workgroup: primary, s3_data_dir: "s3://inc-lake/zones" }
models:
  +zone: main
`;

const APPEND = `{{ config(materialized='incremental') }}
select id, ts, v from {{ ref('events') }}
{% if is_incremental() %}
where ts > (select max(ts) from {{ this }})
{% endif %}
`;

const LATEST = `{{ config(materialized='incremental', unique_key='id', incremental_strategy='delete+insert') }}
select id, max(ts) as ts, arg_max(v, ts) as v from {{ ref('events') }}
{% if is_incremental() %}
where id in (select id from {{ ref('events') }} where ts > (select max(ts) from {{ this }}))
{% endif %}
group by id
`;

function project(models: Record<string, string>, events: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-inc-'));
  dirs.push(dir);
  write(dir, 'stedi_project.yml', PROJECT);
  write(dir, 'seeds/events.csv', events);
  for (const [name, sql] of Object.entries(models)) write(dir, `models/${name}`, sql);
  return dir;
}

const rowsOf = async (dir: string, rel: string) => (await query(dir, `select * from ${rel} order by all`)).map((r) => JSON.stringify(r));
const message = (dir: string, id: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string; message: string; status: string }[] }).results.find((r) => r.unique_id === id)!;
const parts = async (dir: string, rel: string) => JSON.parse(String((await query(dir, `select parts from _stedi.published where relation = '${rel}'`))[0]!.parts)) as string[];

describe('materialized: incremental on DuckDB', () => {
  it('appends the batch of the is_incremental() branch, sharing the published parts; deletes+inserts by unique_key', async () => {
    const dir = project({ 'events_inc.sql': APPEND, 'latest.sql': LATEST }, 'id,ts,v\n1,10,a\n2,20,b\n3,30,c\n');
    let r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'model.inc.events_inc').message).toContain('(built whole)');
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(['{"id":"1","ts":"10","v":"a"}', '{"id":"2","ts":"20","v":"b"}', '{"id":"3","ts":"30","v":"c"}']);
    const first = await parts(dir, '"main"."events_inc"');

    // new events: two new rows, and id 2 again with a later reading
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n2,20,b\n3,30,c\n4,40,d\n2,50,e\n');
    r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'model.inc.events_inc').message).toMatch(/OK 5 rows \(2 new rows, append\)/);
    const second = await parts(dir, '"main"."events_inc"');
    expect(second.length).toBe(2);
    expect(second[0]).toBe(first[0]); // the published part is shared, not copied
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(await rowsOf(dir, 'seeds.events'));
    // delete+insert: id 2's row is replaced, id 4 added; one row per id, the latest value
    expect(message(dir, 'model.inc.latest').message).toMatch(/OK 4 rows \(2 new rows, delete\+insert, 1 replaced\)/);
    expect(await rowsOf(dir, 'main.latest')).toEqual(['{"id":"1","ts":"10","v":"a"}', '{"id":"2","ts":"50","v":"e"}', '{"id":"3","ts":"30","v":"c"}', '{"id":"4","ts":"40","v":"d"}']);

    // nothing new: the same rows, no empty part
    r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'model.inc.events_inc').message).toMatch(/OK 5 rows \(0 new rows, append\)/);
    expect((await parts(dir, '"main"."events_inc"')).length).toBe(2);
    // the first version is beyond keep_versions now, but its part is still read: it is kept
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(await rowsOf(dir, 'seeds.events'));

    // --full-refresh: built whole again, the same rows
    r = await stedi(dir, ['build', '--full-refresh']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'model.inc.events_inc').message).toContain('(built whole)');
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(await rowsOf(dir, 'seeds.events'));
    expect((await parts(dir, '"main"."events_inc"')).length).toBe(1);
  }, 120_000);

  it('a batch with other columns fails (on_schema_change: fail) and leaves the table; --full-refresh rebuilds it', async () => {
    const dir = project({ 'events_inc.sql': APPEND }, 'id,ts,v\n1,10,a\n');
    expect((await stedi(dir, ['build'])).code).toBe(0);
    const before = await rowsOf(dir, 'main.events_inc');
    write(dir, 'models/events_inc.sql', APPEND.replace('select id, ts, v', 'select id, ts, v, v as w'));
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n2,20,b\n');
    let r = await stedi(dir, ['build']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('on_schema_change: fail');
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(before);
    r = await stedi(dir, ['build', '--full-refresh']);
    expect(r.code, explain(r)).toBe(0);
    expect((await query(dir, 'select count(*) as n, count(w) as w from main.events_inc'))[0]).toMatchObject({ n: '2', w: '2' });
  }, 120_000);

  it('a table built incrementally build after build lists at most 8 parts: the newest are compacted, the rows stay', async () => {
    // a first build of many rows, then a row a build: the large first part is never rewritten
    let csv = `id,ts,v\n${Array.from({ length: 20_000 }, (_, i) => `${-i},${-i},history-${i}`).join('\n')}\n`;
    const dir = project({ 'events_inc.sql': APPEND }, csv);
    expect((await stedi(dir, ['build', '--quiet'])).code).toBe(0);
    const first = (await parts(dir, '"main"."events_inc"'))[0];
    const counts: number[] = [];
    for (let i = 2; i <= 10; i++) {
      csv += `${i},${i * 10},v${i}\n`;
      write(dir, 'seeds/events.csv', csv);
      const r = await stedi(dir, ['build', '--quiet']);
      expect(r.code, explain(r)).toBe(0);
      counts.push((await parts(dir, '"main"."events_inc"')).length);
      if (i === 9) expect(message(dir, 'model.inc.events_inc').message).toMatch(/\(1 new row, append; 8 parts compacted into one\)/);
    }
    expect(counts).toEqual([2, 3, 4, 5, 6, 7, 8, 2, 3]);
    expect((await parts(dir, '"main"."events_inc"'))[0]).toBe(first);
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(await rowsOf(dir, 'seeds.events'));
  }, 180_000);

  it('merge refuses a published row matched by more than one new row (as MERGE does); new keys that repeat are inserted', async () => {
    const MERGE = `{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge') }}
select id, ts, v from {{ ref('events') }}
{% if is_incremental() %}
where ts > (select max(ts) from {{ this }})
{% endif %}
`;
    const dir = project({ 'm.sql': MERGE }, 'id,ts,v\n1,10,a\n');
    expect((await stedi(dir, ['build'])).code).toBe(0);
    // id 2 twice: a new key, both rows inserted (delete+insert would do the same)
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n2,20,b\n2,21,c\n');
    let r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(await rowsOf(dir, 'main.m')).toEqual(['{"id":"1","ts":"10","v":"a"}', '{"id":"2","ts":"20","v":"b"}', '{"id":"2","ts":"21","v":"c"}']);
    const before = await rowsOf(dir, 'main.m');
    // id 1 twice: which new row replaces the published one cannot be told
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n2,20,b\n2,21,c\n1,30,d\n1,31,e\n');
    r = await stedi(dir, ['build']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('m: incremental_strategy merge: 1 published row key is matched by more than one new row (unique_key id)');
    expect(await rowsOf(dir, 'main.m')).toEqual(before);
  }, 120_000);

  it("full_refresh: false keeps --full-refresh from rebuilding a model (and says so); full_refresh: true rebuilds it on every build", async () => {
    const kept = APPEND.replace("materialized='incremental'", "materialized='incremental', full_refresh=false");
    const whole = APPEND.replace("materialized='incremental'", "materialized='incremental', full_refresh=true");
    const dir = project({ 'kept.sql': kept, 'whole.sql': whole }, 'id,ts,v\n1,10,a\n');
    expect((await stedi(dir, ['build'])).code).toBe(0);
    const first = await parts(dir, '"main"."kept"');
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n2,20,b\n');
    let r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'model.inc.kept').message).toMatch(/\(1 new row, append\)$/);
    expect(message(dir, 'model.inc.whole').message).toContain('(built whole)');
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n2,20,b\n3,30,c\n');
    r = await stedi(dir, ['build', '--full-refresh']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'model.inc.kept').message).toMatch(/\(1 new row, append\); --full-refresh not applied \(full_refresh: false\)$/);
    expect((await parts(dir, '"main"."kept"'))[0]).toBe(first[0]);
    expect(message(dir, 'model.inc.whole').message).toContain('(built whole)');
    expect(await rowsOf(dir, 'main.kept')).toEqual(await rowsOf(dir, 'seeds.events'));
    expect(await rowsOf(dir, 'main.whole')).toEqual(await rowsOf(dir, 'seeds.events'));
  }, 120_000);

  it('a failing blocking test on the new version leaves the published one', async () => {
    const dir = project({ 'events_inc.sql': APPEND, 'schema.yml': 'models:\n  - name: events_inc\n    columns:\n      - name: id\n        data_tests: [unique]\n' }, 'id,ts,v\n1,10,a\n');
    expect((await stedi(dir, ['build'])).code).toBe(0);
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n1,20,b\n');
    const r = await stedi(dir, ['build']);
    expect(r.code).not.toBe(0);
    expect(message(dir, 'model.inc.events_inc').status).toBe('error');
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(['{"id":"1","ts":"10","v":"a"}']);
  }, 120_000);
});

describe('on_schema_change: ignore, append_new_columns, sync_all_columns', () => {
  const columns = async (dir: string, rel: string) => (await query(dir, `select column_name as c, data_type as t from information_schema.columns where table_schema || '.' || table_name = '${rel}' order by ordinal_position`)).map((r) => `${String(r.c)} ${String(r.t)}`);
  const policy = (sql: string, p: string) => sql.replace("materialized='incremental'", `materialized='incremental', on_schema_change='${p}'`);

  it('ignore leaves a new column out and says so; a column the batch lacks fails and leaves the table', async () => {
    const dir = project({ 'events_inc.sql': policy(APPEND, 'ignore') }, 'id,ts,v\n1,10,a\n');
    expect((await stedi(dir, ['build'])).code).toBe(0);
    write(dir, 'models/events_inc.sql', policy(APPEND, 'ignore').replace('select id, ts, v', 'select id, ts, v, v as w'));
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n2,20,b\n');
    let r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'model.inc.events_inc').message).toContain('on_schema_change: ignore: column w of the new rows not added to the table');
    expect(await columns(dir, 'main.events_inc')).toEqual(['id BIGINT', 'ts BIGINT', 'v VARCHAR']);
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(await rowsOf(dir, 'seeds.events'));
    const before = await rowsOf(dir, 'main.events_inc');
    write(dir, 'models/events_inc.sql', policy(APPEND, 'ignore').replace('select id, ts, v', 'select id, ts'));
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n2,20,b\n3,30,c\n');
    r = await stedi(dir, ['build']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('on_schema_change: ignore: the published column v of events_inc is not in the new rows');
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(before);
  }, 120_000);

  it('append_new_columns adds a column (NULL in the rows published before); a dropped or retyped column fails', async () => {
    const dir = project({ 'events_inc.sql': policy(APPEND, 'append_new_columns') }, 'id,ts,v\n1,10,a\n');
    expect((await stedi(dir, ['build'])).code).toBe(0);
    // the new column first in the SQL: the table keeps its order and adds it at the end
    write(dir, 'models/events_inc.sql', policy(APPEND, 'append_new_columns').replace('select id, ts, v', 'select upper(v) as w, id, ts, v'));
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n2,20,b\n');
    let r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'model.inc.events_inc').message).toContain('on_schema_change: append_new_columns: added w (NULL in the rows published before)');
    expect(await columns(dir, 'main.events_inc')).toEqual(['id BIGINT', 'ts BIGINT', 'v VARCHAR', 'w VARCHAR']);
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(['{"id":"1","ts":"10","v":"a","w":null}', '{"id":"2","ts":"20","v":"b","w":"B"}']);
    const before = await rowsOf(dir, 'main.events_inc');
    // a column the SQL no longer gives would stay unseen by lineage and the PII gate: refused
    write(dir, 'models/events_inc.sql', policy(APPEND, 'append_new_columns').replace('select id, ts, v', 'select id, ts, upper(v) as w'));
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,a\n2,20,b\n3,30,c\n');
    r = await stedi(dir, ['build']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/on_schema_change: append_new_columns: the published column v of events_inc is not in the new rows \(append_new_columns would keep it/);
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(before);
    write(dir, 'models/events_inc.sql', policy(APPEND, 'append_new_columns').replace('select id, ts, v', 'select id, cast(ts as varchar) as ts, v, upper(v) as w'));
    r = await stedi(dir, ['build']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('ts is VARCHAR in the new rows but BIGINT in the published table');
    expect(await rowsOf(dir, 'main.events_inc')).toEqual(before);
  }, 120_000);

  it('sync_all_columns adds, drops and converts; a value that does not convert fails without being printed', async () => {
    const sync = policy(LATEST, 'sync_all_columns');
    const dir = project({ 'latest.sql': sync }, 'id,ts,v\n1,10,secret-value-1\n2,20,b\n');
    expect((await stedi(dir, ['build'])).code).toBe(0);
    // v dropped, u added, ts converted to VARCHAR; id 2 replaced, id 3 new (delete+insert by id)
    write(dir, 'models/latest.sql', sync.replace('select id, max(ts) as ts, arg_max(v, ts) as v', 'select id, cast(max(ts) as varchar) as ts, upper(arg_max(v, ts)) as u'));
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,secret-value-1\n2,20,b\n2,25,c\n3,30,d\n');
    let r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'model.inc.latest').message).toContain('on_schema_change: sync_all_columns: added u; dropped v; converted ts from BIGINT to VARCHAR');
    expect(await columns(dir, 'main.latest')).toEqual(['id BIGINT', 'ts VARCHAR', 'u VARCHAR']);
    expect(await rowsOf(dir, 'main.latest')).toEqual(['{"id":"1","ts":"10","u":null}', '{"id":"2","ts":"25","u":"C"}', '{"id":"3","ts":"30","u":"D"}']);
    const before = await rowsOf(dir, 'main.latest');
    // u back to a number: the published 'C' and 'D' do not convert; nothing is published
    // (this.ts is text now: the batch filter reads it as a number)
    const later = (sql: string) => sql.replace('(select max(ts) from {{ this }})', '(select max(cast(ts as bigint)) from {{ this }})');
    write(dir, 'models/latest.sql', later(sync.replace('select id, max(ts) as ts, arg_max(v, ts) as v', 'select id, cast(max(ts) as varchar) as ts, max(ts) as u')));
    write(dir, 'seeds/events.csv', 'id,ts,v\n1,10,secret-value-1\n2,20,b\n2,25,c\n3,30,d\n4,40,e\n');
    r = await stedi(dir, ['build']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('on_schema_change: sync_all_columns: 2 published values of latest.u cannot be converted to BIGINT');
    expect(r.stdout + r.stderr).not.toMatch(/"C"|'C'|'D'|secret-value/);
    expect(await rowsOf(dir, 'main.latest')).toEqual(before);
    // the whole table always matches a full refresh of the same SQL in its columns
    write(dir, 'models/latest.sql', sync.replace('select id, max(ts) as ts, arg_max(v, ts) as v', 'select id, cast(max(ts) as varchar) as ts, upper(arg_max(v, ts)) as u'));
    r = await stedi(dir, ['build', '--full-refresh']);
    expect(r.code, explain(r)).toBe(0);
    expect(await columns(dir, 'main.latest')).toEqual(['id BIGINT', 'ts VARCHAR', 'u VARCHAR']);
  }, 120_000);
});

describe('unit tests of the is_incremental() branch (dbt\'s overrides: macros: is_incremental, given: this)', () => {
  const UNIT = `unit_tests:
  - name: adds_only_later_events
    model: events_inc
    overrides: { macros: { is_incremental: true } }
    given:
      - input: ref('events')
        rows: [{ id: 1, ts: 10, v: a }, { id: 2, ts: 20, v: b }, { id: 3, ts: 30, v: c }]
      - input: this
        rows: [{ id: 1, ts: 10, v: a }, { id: 2, ts: 20, v: b }]
    expect:
      rows: [{ id: 3, ts: 30, v: c }]
  - name: builds_whole_without_the_override
    model: events_inc
    given:
      - input: ref('events')
        rows: [{ id: 1, ts: 10, v: a }, { id: 2, ts: 20, v: b }]
    expect:
      rows: [{ id: 1, ts: 10, v: a }, { id: 2, ts: 20, v: b }]
`;

  it('runs the branch against the given rows of this, and the first build without the override', async () => {
    const dir = project({ 'events_inc.sql': APPEND, 'unit.yml': UNIT }, 'id,ts,v\n1,10,a\n');
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'unit_test.inc.events_inc.adds_only_later_events').status).toBe('pass');
    expect(message(dir, 'unit_test.inc.events_inc.builds_whole_without_the_override').status).toBe('pass');
    // the same test expecting a row the branch must not add fails
    write(dir, 'models/unit.yml', UNIT.replace('rows: [{ id: 3, ts: 30, v: c }]', 'rows: [{ id: 2, ts: 20, v: b }, { id: 3, ts: 30, v: c }]'));
    const wrong = await stedi(dir, ['build']);
    expect(wrong.code).not.toBe(0);
    expect(message(dir, 'unit_test.inc.events_inc.adds_only_later_events').status).toBe('fail');
  }, 120_000);

  it('is_incremental: true needs the rows of this, and an incremental model', async () => {
    const noThis = project({ 'events_inc.sql': APPEND, 'unit.yml': UNIT.replace(/      - input: this\n        rows: \[[^\n]*\]\n/, '') }, 'id,ts,v\n1,10,a\n');
    let r = await stedi(noThis, ['compile']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('gives no rows for this');
    const table = project({ 'events_inc.sql': APPEND.replace("materialized='incremental'", "materialized='table'"), 'unit.yml': UNIT }, 'id,ts,v\n1,10,a\n');
    r = await stedi(table, ['compile']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('is not materialized: incremental');
  }, 120_000);
});

describe('what is checked before anything runs', () => {
  it('the incremental settings', async () => {
    const bad: [string, RegExp][] = [
      ["{{ config(materialized='incremental', incremental_strategy='microbatch') }}\nselect 1 as x", /microbatch' needs event_time/],
      ["{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts') }}\nselect 1 as x", /microbatch' needs batch_size/],
      ["{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='week') }}\nselect 1 as x", /batch_size must be hour, day, month or year, not "week"/],
      ["{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', begin='yesterday') }}\nselect 1 as x", /begin must be a UTC date/],
      ["{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', unique_key='id') }}\nselect 1 as x", /unique_key does not apply/],
      ["{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day') }}\nselect * from {{ ref('events') }}", /none of its inputs declares an event_time/],
      ["{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', restate_by={'column': 'id'}) }}\nselect * from {{ ref('events') }}", /restate_by must be/],
      ["{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', restate_by={'column': 'id', 'from': {'nope': 'id'} }) }}\nselect * from {{ ref('events') }}", /restate_by.from names 'nope', which is not one of its inputs/],
      ["{{ config(materialized='table', batch_size='day') }}\nselect 1 as x", /batch_size applies to incremental_strategy: microbatch only/],
      ["{{ config(materialized='incremental', incremental_strategy='merge') }}\nselect 1 as x", /'merge' needs a unique_key/],
      ["{{ config(materialized='incremental', on_schema_change='append') }}\nselect 1 as x", /on_schema_change must be 'fail' \(the default\), 'ignore', 'append_new_columns' or 'sync_all_columns', not 'append'/],
      ["{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', on_schema_change='sync_all_columns') }}\nselect 1 as x", /on_schema_change 'sync_all_columns' does not apply to incremental_strategy 'microbatch'/],
      ["{{ config(materialized='table', unique_key='x') }}\nselect 1 as x", /unique_key applies to materialized: incremental only/],
      ["{{ config(materialized='table', full_refresh=false) }}\nselect 1 as x", /full_refresh applies to materialized: incremental only/],
    ];
    for (const [sql, want] of bad) {
      const dir = project({ 'm.sql': sql }, 'id,ts,v\n1,10,a\n');
      const r = await stedi(dir, ['compile']);
      expect(r.code, sql).not.toBe(0);
      expect(r.stdout + r.stderr, sql).toMatch(want);
      expect(r.stdout + r.stderr, sql).toContain('models/m.sql');
    }
  }, 120_000);

  it('the PII gate reads the is_incremental() branch', async () => {
    const dir = project({
      'open.sql': `{{ config(materialized='incremental', pii_allowed=false) }}\nselect p.id from {{ ref('people') }} p\n{% if is_incremental() %}\nunion all select p.email as id from {{ ref('people') }} p\n{% endif %}\n`,
      'schema.yml': 'seeds:\n  - name: people\n    columns:\n      - name: email\n        meta: { pii: true }\n',
    }, 'id,ts,v\n1,10,a\n');
    write(dir, 'seeds/people.csv', 'id,email\n1,a@x.example\n');
    const r = await stedi(dir, ['compile']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/in its is_incremental\(\) branch: .*personal data/);
  }, 120_000);

  it('on the athena target an append model is built whole at first (an Iceberg CTAS); a Hive one is refused', async () => {
    // the batches themselves are executed on Trino in tests/integration/athena-incremental-on-trino.test.ts
    const dir = project({ 'events_inc.sql': APPEND }, 'id,ts,v\n1,10,a\n');
    let r = await stedi(dir, ['build', '--target', 'athena', '--dry-run']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/CREATE TABLE "inc"\."events_inc__stedi_[^"]+"\nWITH \(table_type = 'ICEBERG'/);
    write(dir, 'models/events_inc.sql', APPEND.replace("materialized='incremental'", "materialized='incremental', table_format='hive'"));
    r = await stedi(dir, ['build', '--target', 'athena', '--dry-run']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('incremental_strategy append needs an Iceberg table on the athena target');
  }, 120_000);
});
