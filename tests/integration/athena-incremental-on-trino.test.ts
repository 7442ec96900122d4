/**
 * `append`, `merge` and `delete+insert` models on the athena target, executed for real on a Trino
 * 476 (tests/helpers/trino-aws.ts, as athena-build-on-trino.test.ts): the first build writes the
 * whole table; later builds CTAS the batch into a candidate, run the blocking tests on what would
 * be published, and publish with one INSERT INTO (append) or one MERGE INTO (merge,
 * delete+insert); a failing test, a merge matching a published row twice, or a batch with other
 * columns leaves the table as it was; --full-refresh builds it whole. After every build the table
 * equals what the model's SQL over all the data gives, as on DuckDB.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileForTarget } from '../../runner/compiler/for-target.js';
import type { NodeResult } from '../../runner/execute/results.js';
import { loadProject } from '../../runner/project/load.js';
import { trinoServer } from '../helpers/trino.js';
import { TrinoAws } from '../helpers/trino-aws.js';
import { build, fakeAws, OWNER } from '../unit/athena/harness.js';

const server = trinoServer();
const inCi = !!process.env.CI;
if (typeof server === 'string' && !inCi) console.warn(`SKIPPED the Athena incremental models on Trino: ${server}`);

const RUN = `i${Date.now().toString(36)}`;
const BUCKET = 'lake-bucket';
const dirs: string[] = [];

/** Rows as a model's SQL gives them: `(id, ts, v)` literals. */
const values = (rows: [number, number, string][]) => `select * from (values ${rows.map(([id, ts, v]) => `(${id}, ${ts}, '${v}')`).join(', ')}) as t(id, ts, v)`;

const model = (config: string, rows: [number, number, string][]) => `{{ config(materialized='incremental'${config}) }}
${values(rows)}
{% if is_incremental() %}
where ts > (select max(ts) from {{ this }})
{% endif %}
`;

class Project {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-athena-inc-'));
  readonly aws: TrinoAws;
  private tick = Date.parse('2026-01-01T00:00:00Z');

  constructor(readonly database: string) {
    dirs.push(this.dir);
    if (typeof server === 'string') throw new Error(server);
    this.aws = new TrinoAws(database, server, BUCKET, () => new Date(this.tick));
    fs.writeFileSync(path.join(this.dir, 'stedi_project.yml'), `name: stedi
version: "1.0"
default-target: athena
targets:
  athena: { type: athena, region: eu-west-1, database: ${database}, workgroup: stedi, s3_data_dir: "s3://${BUCKET}/${RUN}/${database}/zones" }
models:
  +zone: main
`);
    fs.mkdirSync(path.join(this.dir, 'models'));
  }

  write(file: string, text: string): void {
    fs.writeFileSync(path.join(this.dir, 'models', file), text);
  }

  async build(extra: { fullRefresh?: boolean } = {}): Promise<Record<string, NodeResult>> {
    const loaded = loadProject(this.dir);
    if (!loaded.project) throw new Error(JSON.stringify(loaded.diagnostics));
    const c = compileForTarget(loaded.project, { target: 'athena', env: { AWS_REGION: 'eu-west-1' }, now: new Date(0) });
    if (!c.target || !c.manifest) throw new Error(JSON.stringify(c.compileDiagnostics));
    this.tick += 60_000;
    const base = this.tick;
    let n = 0;
    const fake = fakeAws(this.aws, (op, input) => this.aws.answer(op, input));
    try {
      const { results } = await build(c.target, c.manifest, { owner: OWNER, now: () => new Date(base), random: () => (++n * 0x01010101) / 0x100000000, timing: { sleep: async () => undefined, random: () => 0.5 } }, 'build', undefined, undefined, undefined, extra);
      return Object.fromEntries(results.map((r) => [r.name, r]));
    } finally {
      fake.restore();
    }
  }

  async rows(table: string): Promise<string[]> {
    const r = await this.aws.trino(`SELECT id, ts, v FROM "${this.database}"."${table}"`);
    return r.rows.map((row) => row.join('|')).sort();
  }
}

describe.skipIf(typeof server === 'string' && !inCi)('append, merge and delete+insert models on Athena, executed on Trino 476', () => {
  const projects: Project[] = [];
  afterAll(async () => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    if (typeof server === 'string') return;
    for (const p of projects) {
      const tables = await p.aws.trino(`SELECT table_name FROM iceberg.information_schema.tables WHERE table_schema = '${p.database}'`).catch(() => ({ rows: [] as unknown[][] }));
      for (const [t] of tables.rows) await p.aws.trino(`CALL iceberg.system.unregister_table(schema_name => '${p.database}', table_name => '${String(t)}')`).catch(() => undefined);
      await p.aws.trino(`DROP SCHEMA IF EXISTS hive."${p.database}"`).catch(() => undefined);
      fs.rmSync(path.join(server.warehouse, 'metastore', p.database), { recursive: true, force: true });
    }
    fs.rmSync(path.join(server.warehouse, RUN), { recursive: true, force: true });
  }, 120_000);

  it('append and delete+insert add each batch in one commit; a failing test, a twice-matched merge key and other columns leave the table; --full-refresh rebuilds', async () => {
    if (typeof server === 'string') throw new Error(`CI=1 but ${server}`);
    const p = new Project(`${RUN}_inc`);
    projects.push(p);
    await p.aws.createSchema();
    const first: [number, number, string][] = [[1, 10, 'a'], [2, 20, 'b']];
    p.write('events_inc.sql', model('', first));
    p.write('latest.sql', model(", unique_key='id'", first));
    p.write('merged.sql', model(", unique_key='id', incremental_strategy='merge'", first));
    p.write('schema.yml', 'models:\n  - name: events_inc\n    columns:\n      - name: ts\n        data_tests: [unique]\n');
    let r = await p.build();
    for (const name of ['events_inc', 'latest', 'merged']) {
      expect(r[name]!.status, r[name]!.message).toBe('success');
      expect(r[name]!.message).toContain('(built whole: first build)');
    }

    // new rows: id 3 new, id 1 again with a later time
    const second: [number, number, string][] = [...first, [3, 30, 'c'], [1, 40, 'd']];
    p.write('events_inc.sql', model('', second));
    p.write('latest.sql', model(", unique_key='id'", second));
    p.write('merged.sql', model(", unique_key='id', incremental_strategy='merge'", second));
    r = await p.build();
    expect(r.events_inc!.message).toMatch(/\(2 new rows, append\)/);
    expect(await p.rows('events_inc')).toEqual(['1|10|a', '1|40|d', '2|20|b', '3|30|c']);
    expect(r.latest!.message).toMatch(/\(2 new rows, delete\+insert, 1 replaced\)/);
    expect(await p.rows('latest')).toEqual(['1|40|d', '2|20|b', '3|30|c']);
    expect(r.merged!.message).toMatch(/\(2 new rows, merge, 1 replaced\)/);
    expect(await p.rows('merged')).toEqual(['1|40|d', '2|20|b', '3|30|c']);
    // the table kept its location: one Iceberg table, a snapshot per build
    const snapshots = await p.aws.trino(`SELECT count(*) FROM "${p.database}"."events_inc$snapshots"`);
    expect(Number(snapshots.rows[0]![0])).toBeGreaterThanOrEqual(2);

    // a batch repeating a published ts fails the unique test: not published
    const before = { events_inc: await p.rows('events_inc'), merged: await p.rows('merged') };
    const third: [number, number, string][] = [...second, [4, 50, 'e'], [5, 50, 'f']];
    p.write('events_inc.sql', model('', third));
    // merge: id 2 twice among the new rows, and published: which one replaces it cannot be told
    p.write('merged.sql', model(", unique_key='id', incremental_strategy='merge'", [...second, [2, 60, 'g'], [2, 61, 'h']]));
    r = await p.build();
    expect(r.events_inc!.status).toBe('error');
    expect(r.events_inc!.message).toContain('not published');
    expect(await p.rows('events_inc')).toEqual(before.events_inc);
    expect(r.merged!.status).toBe('error');
    expect(r.merged!.message).toContain('merge: 1 published row key is matched by more than one new row (unique_key id)');
    expect(await p.rows('merged')).toEqual(before.merged);

    // other columns: on_schema_change: fail
    p.write('latest.sql', `{{ config(materialized='incremental', unique_key='id') }}\nselect id, ts, v, 1 as w from (${values([...second, [6, 70, 'i']])}) q\n{% if is_incremental() %}\nwhere ts > (select max(ts) from {{ this }})\n{% endif %}\n`);
    const latest = await p.rows('latest');
    r = await p.build();
    expect(r.latest!.status).toBe('error');
    expect(r.latest!.message).toContain('on_schema_change: fail');
    expect(await p.rows('latest')).toEqual(latest);

    // --full-refresh: whole, from the SQL as it is
    p.write('events_inc.sql', model('', second));
    r = await p.build({ fullRefresh: true });
    expect(r.events_inc!.message).toContain('(built whole: --full-refresh)');
    expect(await p.rows('events_inc')).toEqual(['1|10|a', '1|40|d', '2|20|b', '3|30|c']);
  }, 600_000);
});
