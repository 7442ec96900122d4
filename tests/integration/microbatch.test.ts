/**
 * `incremental_strategy: microbatch` on DuckDB, on a small project of its own: a landing source of
 * events with an event_time, a dimension of people (a seed through a table model), and microbatch
 * models by day. After every build the table must equal a whole build of the same inputs (a second
 * project built from nothing); the run results say what was rebuilt and why. Real CLI, DuckDB, files.
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

const DAY = 86_400_000;
const D0 = Date.UTC(2024, 0, 10);

const PROJECT = `name: mb
version: "1.0"
default-target: local
clean-targets: [target]
vars:
  landing_root: landing
targets:
  local: { type: duckdb, lake_dir: lake, threads: 2 }
models:
  +zone: main
`;

const SOURCES = `sources:
  - name: landing
    tables:
      - name: events
        location: "{{ var('landing_root') }}/events"
        format: json
        config:
          event_time: ts
        columns:
          - { name: person, data_type: varchar }
          - { name: ts, data_type: bigint }
          - { name: v, data_type: integer }
`;

const PEOPLE = `{{ config(materialized='table') }}
select id, consent from {{ ref('people_seed') }}
`;

const BY_PERSON = `{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', lookback=0,
    restate_by={'column': 'person', 'from': {'people': 'id'} }) }}
select p.id as person, e.ts, e.v
from {{ source('landing', 'events') }} e
join {{ ref('people') }} p on p.id = e.person
where p.consent
`;

/** The same rows by TIMESTAMP event time, a model reading another microbatch model by interval. */
const DAILY = `{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='at', batch_size='day', lookback=0) }}
select person, make_timestamp(ts * 1000) as at, v from {{ ref('by_person') }}
`;

const MODELS_YML = `models:
  - name: by_person
    config: { event_time: ts }
`;

function project(files: Record<string, string>, people: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-mb-'));
  dirs.push(dir);
  write(dir, 'stedi_project.yml', PROJECT);
  write(dir, 'models/sources.yml', SOURCES);
  write(dir, 'models/models.yml', MODELS_YML);
  write(dir, 'models/people.sql', PEOPLE);
  write(dir, 'seeds/people_seed.csv', people);
  for (const [name, text] of Object.entries(files)) write(dir, name, text);
  fs.mkdirSync(path.join(dir, 'landing', 'events'), { recursive: true });
  return dir;
}

const ev = (person: string, ts: number | null, v = 1) => JSON.stringify({ person, ts, v });
const deliver = (dir: string, name: string, lines: string[]) => write(dir, `landing/events/${name}`, lines.join('\n') + '\n');
const rowsOf = async (dir: string, rel: string) => (await query(dir, `select * from ${rel} order by all`)).map((r) => JSON.stringify(r));
const message = (dir: string, name: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string; message: string }[] }).results.find((r) => r.unique_id === `model.mb.${name}`)?.message ?? '';

/** Builds `dir` incrementally and a copy of it from nothing; both tables must be equal. */
async function buildAndCompare(dir: string, args: string[] = []): Promise<void> {
  const r = await stedi(dir, ['build', ...args]);
  expect(r.code, explain(r)).toBe(0);
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-mb-whole-'));
  dirs.push(fresh);
  for (const p of ['stedi_project.yml', 'models', 'seeds', 'landing']) fs.cpSync(path.join(dir, p), path.join(fresh, p), { recursive: true });
  const w = await stedi(fresh, ['build']);
  expect(w.code, explain(w)).toBe(0);
  for (const rel of ['main.by_person', 'main.daily']) expect(await rowsOf(dir, rel), rel).toEqual(await rowsOf(fresh, rel));
}

describe('incremental_strategy: microbatch (DuckDB)', () => {
  it('rebuilds the intervals of new and changed landing files, restates the keys whose dimension rows changed, and equals a whole build', async () => {
    const dir = project({ 'models/by_person.sql': BY_PERSON, 'models/daily.sql': DAILY }, 'id,consent\nann,true\nbo,true\ncy,false\n');
    deliver(dir, 'a.json', [ev('ann', D0 + 5), ev('bo', D0 + DAY + 5), ev('cy', D0 + 7)]);
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toContain('built whole: first build');
    expect((await query(dir, 'select count(*)::int as n from main.by_person'))[0]!.n).toBe(2);

    // nothing new: nothing rebuilt, the published parts are kept
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toContain('no input changed');
    expect(message(dir, 'daily')).toContain('no input changed');

    // a new day, and a late reading of the first day: those two intervals only
    deliver(dir, 'b.json', [ev('ann', D0 + 2 * DAY + 1), ev('bo', D0 + 9)]);
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toMatch(/microbatch: 2 intervals rebuilt, 1 kept/);
    expect(message(dir, 'daily')).toMatch(/microbatch: 2 intervals rebuilt, 1 kept/);

    // a changed file: its old rows leave, its new rows enter
    deliver(dir, 'a.json', [ev('ann', D0 + 6), ev('cy', D0 + 7)]);
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toMatch(/2 intervals rebuilt/);

    // consent withdrawn by bo and given by cy: their rows leave and enter every interval
    write(dir, 'seeds/people_seed.csv', 'id,consent\nann,true\nbo,false\ncy,true\n');
    await buildAndCompare(dir);
    // both were in the dimension before: the kept parts are read for their rows
    expect(message(dir, 'by_person')).toMatch(/2 keys restated, /);
    expect(await rowsOf(dir, 'main.by_person')).not.toContain(expect.stringContaining('"bo"'));

    // a person disappears from the dimension
    write(dir, 'seeds/people_seed.csv', 'id,consent\nbo,false\ncy,true\n');
    await buildAndCompare(dir, ['--allow-shrink']);
    expect(message(dir, 'by_person')).toMatch(/1 key restated, /);

    // readings without an event time are kept, in their own interval
    deliver(dir, 'c.json', [ev('cy', null, 5)]);
    await buildAndCompare(dir);
    expect((await query(dir, 'select count(*)::int as n from main.by_person where ts is null'))[0]!.n).toBe(1);

    // --event-time-start/--event-time-end rebuild a window even when nothing changed
    await buildAndCompare(dir, ['--event-time-start', new Date(D0).toISOString().slice(0, 10), '--event-time-end', new Date(D0 + DAY).toISOString().slice(0, 10)]);
    expect(message(dir, 'by_person')).toMatch(/1 interval rebuilt/);

    // --full-refresh builds whole
    await buildAndCompare(dir, ['--full-refresh']);
    expect(message(dir, 'by_person')).toContain('built whole: --full-refresh');
  }, 240_000);

  it('several keys restated that stay in the dimension: each one\'s rows are replaced once, and the table equals a whole build', async () => {
    // three people's dimension rows change and all stay: each one's old rows must leave, and its
    // rows of now enter, in every interval that holds them (kept intervals shared by two of them)
    const people = `{{ config(materialized='table') }}\nselect id, consent, team from {{ ref('people_seed') }}\n`;
    const byPerson = `{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', lookback=0,
    restate_by={'column': 'person', 'from': {'people': 'id'} }) }}
select p.id as person, p.team, e.ts, e.v
from {{ source('landing', 'events') }} e
join {{ ref('people') }} p on p.id = e.person
where p.consent
`;
    const dir = project({ 'models/people.sql': people, 'models/by_person.sql': byPerson, 'models/daily.sql': DAILY }, 'id,consent,team\nann,true,a\nbo,true,a\ncy,true,a\ndee,true,a\n');
    deliver(dir, 'a.json', [ev('ann', D0 + 5), ev('bo', D0 + 6), ev('cy', D0 + DAY + 7), ev('dee', D0 + DAY + 8), ev('ann', D0 + 2 * DAY + 1), ev('bo', D0 + 2 * DAY + 2)]);
    await buildAndCompare(dir);
    write(dir, 'seeds/people_seed.csv', 'id,consent,team\nann,true,b\nbo,true,c\ncy,true,a\ndee,true,d\n');
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toMatch(/3 keys restated, /);
    const teams = (await query(dir, 'select person, team, count(*)::int as n from main.by_person group by all order by all')).map((r) => `${String(r.person)}:${String(r.team)}:${String(r.n)}`);
    expect(teams).toEqual(['ann:b:2', 'bo:c:2', 'cy:a:1', 'dee:d:1']);
  }, 120_000);

  it('rebuilds whole when a dimension without a restate_by key changes, or the SQL changes', async () => {
    const noKey = BY_PERSON.replace(/,\n    restate_by=\{[^\n]*\) \}\}/, ') }}');
    expect(noKey).not.toContain('restate_by');
    const dir = project({ 'models/by_person.sql': noKey, 'models/daily.sql': DAILY }, 'id,consent\nann,true\nbo,true\n');
    deliver(dir, 'a.json', [ev('ann', D0 + 5), ev('bo', D0 + DAY)]);
    await buildAndCompare(dir);
    write(dir, 'seeds/people_seed.csv', 'id,consent\nann,true\nbo,false\n');
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toMatch(/built whole: "main"."people" changed \(it has no restate_by key\)/);
    write(dir, 'models/by_person.sql', noKey.replace('e.v', 'e.v * 2 as v'));
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toContain('built whole: its SQL or microbatch config changed');
  }, 120_000);

  it('restate_by is refused where column lineage does not show the key copied from the dimension', async () => {
    for (const [sql, want] of [
      [BY_PERSON.replace('select p.id as person', 'select e.person'), /by_person.person is not taken directly from people.id/],
      [BY_PERSON.replace('select p.id as person', "select p.id || '' as person"), /is not taken directly from people.id[\s\S]*also computed from people.id \(expression\)/],
      [BY_PERSON.replace("'column': 'person'", "'column': 'nobody'"), /has no column nobody/],
    ] as const) {
      const dir = project({ 'models/by_person.sql': sql }, 'id,consent\nann,true\n');
      const r = await stedi(dir, ['compile']);
      expect(r.code, sql).toBe(2);
      expect(r.stdout + r.stderr, sql).toMatch(want);
      expect(r.stdout + r.stderr).toContain('models/by_person.sql:2');
    }
  }, 120_000);

  it('a key column of another type than the dimension key is an error before anything is written', async () => {
    const dir = project({ 'models/people.sql': `{{ config(materialized='table') }}\nselect CAST(id AS VARCHAR(20)) AS id, consent, CAST(length(id) AS BIGINT) AS n from {{ ref('people_seed') }}\n`, 'models/by_person.sql': BY_PERSON.replace("'column': 'person', 'from': {'people': 'id'}", "'column': 'n', 'from': {'people': 'n'}").replace('select p.id as person,', 'select p.id as person, CAST(p.n AS INTEGER) as n,') }, 'id,consent\nann,true\n');
    deliver(dir, 'a.json', [ev('ann', D0 + 5)]);
    const r = await stedi(dir, ['build']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/restate_by: n is INTEGER but "main"."people".n is BIGINT; keys are matched by their text/);
    // nothing of by_person is published, and no Parquet file of it is left in the lake
    expect(await query(dir, `select count(*)::int as n from _stedi.published where relation like '%by_person%'`)).toEqual([{ n: 0 }]);
    const files = (fs.readdirSync(path.join(dir, 'lake'), { recursive: true }) as string[]).filter((f) => f.includes('by_person') && f.endsWith('.parquet'));
    expect(files).toEqual([]);
    expect((fs.readdirSync(path.join(dir, 'lake'), { recursive: true }) as string[]).some((f) => f.includes('people') && f.endsWith('.parquet'))).toBe(true);
  }, 120_000);

  it('keys absent from the dimension before are added without reading the kept parts; a key it held is looked for in them', async () => {
    const dir = project({ 'models/by_person.sql': BY_PERSON, 'models/daily.sql': DAILY }, 'id,consent\nann,true\n');
    deliver(dir, 'a.json', [ev('ann', D0 + 5), ev('bo', D0 + 6), ev('cy', D0 + DAY + 7), ev('bo', D0 + 2 * DAY + 8)]);
    await buildAndCompare(dir);
    // bo and cy enter the dimension: no kept part can hold a row of theirs
    write(dir, 'seeds/people_seed.csv', 'id,consent\nann,true\nbo,true\ncy,true\n');
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toMatch(/2 keys restated \(all new to the dimensions: no kept part read\)/);
    expect(await rowsOf(dir, 'main.by_person')).toContainEqual(expect.stringContaining('"bo"'));
    // dy enters while bo withdraws: bo's rows must be found in the kept parts and leave
    write(dir, 'seeds/people_seed.csv', 'id,consent\nann,true\nbo,false\ncy,true\ndy,true\n');
    deliver(dir, 'b.json', [ev('dy', D0 + 9)]);
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toMatch(/2 keys restated, /);
    expect(await rowsOf(dir, 'main.by_person')).not.toContainEqual(expect.stringContaining('"bo"'));
    // bo comes back with consent: held by the dimension before (without consent), so looked for
    write(dir, 'seeds/people_seed.csv', 'id,consent\nann,true\nbo,true\ncy,true\ndy,true\n');
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toMatch(/1 key restated, /);
    // cy leaves the dimension, then comes back: new to it again
    write(dir, 'seeds/people_seed.csv', 'id,consent\nann,true\nbo,true\ndy,true\n');
    await buildAndCompare(dir, ['--allow-shrink']);
    write(dir, 'seeds/people_seed.csv', 'id,consent\nann,true\nbo,true\ncy,true\ndy,true\n');
    await buildAndCompare(dir);
    expect(message(dir, 'by_person')).toMatch(/1 key restated \(all new to the dimensions: no kept part read\)/);
  }, 120_000);

  it('no rows is an empty table, at every step: no landing file yet, no consenting person, every row restated away', async () => {
    const dir = project({ 'models/by_person.sql': BY_PERSON, 'models/daily.sql': DAILY }, 'id,consent\nann,false\n');
    const count = async (rel: string) => Number((await query(dir, `select count(*)::int as n from ${rel}`))[0]!.n);
    // the landing folder holds no file yet: the source is empty (a warning), every table too
    const first = await stedi(dir, ['build']);
    expect(first.code, explain(first)).toBe(0);
    expect([await count('main.by_person'), await count('main.daily')]).toEqual([0, 0]);
    // readings of a person who has not consented: still nothing
    deliver(dir, 'a.json', [ev('ann', D0 + 5), ev('ann', D0 + DAY + 6)]);
    await buildAndCompare(dir);
    expect(await count('main.by_person')).toBe(0);
    // she consents: her rows enter history, and no empty part is left beside them
    write(dir, 'seeds/people_seed.csv', 'id,consent\nann,true\n');
    await buildAndCompare(dir);
    expect(await count('main.by_person')).toBe(2);
    const parts = async () => String((await query(dir, "select parts from _stedi.published where identifier = 'by_person'"))[0]!.parts);
    expect(await parts()).not.toContain('empty.parquet');
    // she withdraws: every row leaves, and the table is empty again
    write(dir, 'seeds/people_seed.csv', 'id,consent\nann,false\n');
    await buildAndCompare(dir, ['--allow-shrink']);
    expect([await count('main.by_person'), await count('main.daily')]).toEqual([0, 0]);
    expect(await parts()).toContain('empty.parquet');
    deliver(dir, 'b.json', [ev('ann', D0 + 2 * DAY)]);
    await buildAndCompare(dir);
    expect(await count('main.by_person')).toBe(0);
  }, 120_000);

  it('a person new to the dimension: her rows are added as a part beside the kept ones, at most 8 parts per interval', async () => {
    const people = (n: number) => `id,consent\nann,true\n${Array.from({ length: 10 }, (_, i) => `p${i + 1},${i < n}`).join('\n')}\n`;
    const dir = project({ 'models/by_person.sql': BY_PERSON, 'models/daily.sql': DAILY }, people(0));
    deliver(dir, 'a.json', [ev('ann', D0 + 5), ev('ann', D0 + DAY + 5), ...Array.from({ length: 10 }, (_, i) => ev(`p${i + 1}`, D0 + 10 + i))]);
    await buildAndCompare(dir);
    const parts = async () => {
      const r = await query(dir, `select parts from _stedi.published where identifier = 'by_person'`);
      return JSON.parse(String(r[0]!.parts)) as string[];
    };
    const first = await parts();
    expect(first).toHaveLength(2);
    for (let n = 1; n <= 10; n++) {
      write(dir, 'seeds/people_seed.csv', people(n));
      const r = await stedi(dir, ['build']);
      expect(r.code, explain(r)).toBe(0);
      const now = await parts();
      const day0 = now.filter((p) => p.includes(`__stedi_interval=${D0}/`));
      if (n <= 7) {
        // p1..p7: one more part each for the first day; the parts kept are the same files
        expect(message(dir, 'by_person'), `step ${n}`).toMatch(/0 intervals rebuilt, 1 key restated, 1 interval given the restated keys' rows as a new part, 1 kept/);
        expect(day0).toHaveLength(n + 1);
        expect(now).toEqual(expect.arrayContaining(first));
      } else {
        // the bound: an interval with 8 parts is rewritten into one, then gains parts again
        expect(day0.length, `step ${n}`).toBeLessThanOrEqual(8);
      }
    }
    expect((await parts()).filter((p) => p.includes(`__stedi_interval=${D0}/`))).toHaveLength(3);
    await buildAndCompare(dir);
  });

  it('lookback: the intervals before the newest changed one are rebuilt too', async () => {
    const dir = project({ 'models/by_person.sql': BY_PERSON.replace('lookback=0', 'lookback=2'), 'models/daily.sql': DAILY }, 'id,consent\nann,true\n');
    deliver(dir, 'a.json', [ev('ann', D0 + 5), ev('ann', D0 + DAY + 5), ev('ann', D0 + 2 * DAY + 5), ev('ann', D0 + 3 * DAY + 5)]);
    await buildAndCompare(dir);
    deliver(dir, 'b.json', [ev('ann', D0 + 3 * DAY + 6)]);
    await buildAndCompare(dir);
    // the newest changed day and the two before it; the first day is kept
    expect(message(dir, 'by_person')).toMatch(/microbatch: 3 intervals rebuilt, 1 kept/);
  }, 120_000);

  it('begin: rows before it are in no build, whole or incremental', async () => {
    const dir = project({ 'models/by_person.sql': BY_PERSON.replace("lookback=0,", `lookback=0, begin='${new Date(D0 + DAY).toISOString().slice(0, 10)}',`), 'models/daily.sql': DAILY }, 'id,consent\nann,true\n');
    deliver(dir, 'a.json', [ev('ann', D0 + 5), ev('ann', D0 + DAY + 5), ev('ann', null)]);
    await buildAndCompare(dir);
    expect(await rowsOf(dir, 'main.by_person')).toEqual([JSON.stringify({ person: 'ann', ts: String(D0 + DAY + 5), v: 1 })]);
    deliver(dir, 'b.json', [ev('ann', D0 + 6), ev('ann', D0 + DAY + 6)]);
    await buildAndCompare(dir);
    expect((await query(dir, 'select count(*)::int as n from main.by_person'))[0]!.n).toBe(2);
  }, 120_000);

  it('a batch with rows outside its intervals is an error, and nothing is published', async () => {
    const shifted = BY_PERSON.replace('select p.id as person, e.ts, e.v', 'select p.id as person, e.ts + 3 * 86400000 as ts, e.v');
    const dir = project({ 'models/by_person.sql': shifted }, 'id,consent\nann,true\n');
    deliver(dir, 'a.json', [ev('ann', D0 + 5)]);
    let r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    const before = await rowsOf(dir, 'main.by_person');
    deliver(dir, 'b.json', [ev('ann', D0 + DAY + 5)]);
    r = await stedi(dir, ['build']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/produced rows in another interval .*must come from the event time of the rows it reads/);
    expect(await rowsOf(dir, 'main.by_person')).toEqual(before);
  }, 120_000);

  it('a blocking test that fails leaves the published version as it was', async () => {
    const dir = project({ 'models/by_person.sql': BY_PERSON, 'models/daily.sql': DAILY }, 'id,consent\nann,true\n');
    write(dir, 'models/models.yml', `${MODELS_YML}    columns:\n      - name: v\n        tests: [{ accepted_values: { values: [1] } }]\n`);
    deliver(dir, 'a.json', [ev('ann', D0 + 5)]);
    let r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    const before = await rowsOf(dir, 'main.by_person');
    deliver(dir, 'b.json', [ev('ann', D0 + DAY + 5, 7)]);
    r = await stedi(dir, ['build']);
    expect(r.code).toBe(1);
    expect(await rowsOf(dir, 'main.by_person')).toEqual(before);
    // the next build sees the same change again (the state of the published version is unchanged)
    deliver(dir, 'b.json', [ev('ann', D0 + DAY + 5, 1)]);
    r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(message(dir, 'by_person')).toMatch(/1 interval rebuilt/);
    expect(await rowsOf(dir, 'main.by_person')).toHaveLength(2);
  }, 120_000);
});
