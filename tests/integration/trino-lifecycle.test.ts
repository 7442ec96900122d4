/**
 * What the trino target leaves behind, on a real Trino 476 (STEDI_TRINO_URL and
 * STEDI_TRINO_WAREHOUSE, as `scripts/trino.sh env` prints them): older versions pruned to
 * `keep_versions` (Iceberg snapshots with their data files; Hive version tables), the leftovers of
 * a killed build swept, a Hive-format model published by write-audit-publish behind a view — and
 * nothing of another owner touched. Skipped locally without a server, failing under CI=1
 * (tests/integration/trino-client.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TrinoClient } from '../../runner/adapters/trino/client.js';
import type { RunResults } from '../../runner/execute/results.js';
import { copyFixture, explain, readJson, removeFixtures, stedi, write } from '../helpers/stedi.js';

const URL = process.env.STEDI_TRINO_URL;
const WAREHOUSE = process.env.STEDI_TRINO_WAREHOUSE;
const KEY = 'trino-lifecycle-test-key-0123456789';
const schemas: string[] = [];
const trino = new TrinoClient({ url: URL ?? '', user: 'stedi', catalog: 'iceberg', schema: 'default' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The mini fixture with a trino target (keep_versions 1) and a model whose rows are a var. */
function project(): string {
  const dir = copyFixture('mini');
  const yml = path.join(dir, 'stedi_project.yml');
  const target = `  trino: { type: trino, url: "{{ env_var('STEDI_TRINO_URL') }}", schema: "{{ env_var('STEDI_TRINO_SCHEMA') }}", landing_dir: "{{ env_var('STEDI_TRINO_LANDING_DIR') }}", landing_location: "{{ env_var('STEDI_TRINO_LANDING_LOCATION') }}", keep_versions: 1, threads: 2 }\n`;
  fs.writeFileSync(yml, fs.readFileSync(yml, 'utf8').replace(/^targets:\n/m, `targets:\n${target}`));
  write(dir, 'models/curated/items.sql', "{{ config(entity='items', table_format=var('fmt', 'iceberg')) }}\nselect x from unnest(sequence(1, {{ var('n', 1) }})) as t(x)\n");
  write(dir, 'models/curated/items_hive.sql', "{{ config(entity='items', table_format='hive') }}\nselect x, {% if var('bad', false) %}cast(null as integer){% else %}x{% endif %} as y from unnest(sequence(1, {{ var('n', 1) }})) as t(x)\n");
  write(dir, 'models/curated/items_hive_sum.sql', "{{ config(entity='items') }}\nselect count(*) as n, sum(x) as total from {{ ref('items_hive') }}\n");
  write(dir, 'models/curated/items.yml', 'version: 2\nmodels:\n  - name: items_hive\n    columns:\n      - name: y\n        tests: [not_null]\n');
  return dir;
}

async function schema(prefix: string): Promise<string> {
  const s = `${prefix}_${process.pid}_${schemas.length}`;
  schemas.push(s);
  await trino.query(`CREATE SCHEMA iceberg."${s}"`);
  return s;
}

const env = (s: string) => ({ STEDI_TRINO_URL: URL!, STEDI_TRINO_SCHEMA: s, STEDI_TRINO_LANDING_DIR: path.join(WAREHOUSE!, s), STEDI_TRINO_LANDING_LOCATION: `local:///${s}`, STEDI_SUBJECT_KEY: KEY });

async function build(dir: string, s: string, args: string[], status = 0): Promise<RunResults> {
  const r = await stedi(dir, ['build', '--target', 'trino', ...args], { env: env(s), timeoutMs: 240_000 });
  expect(r.code, explain(r)).toBe(status);
  return readJson<RunResults>(dir, 'target/run_results.json');
}

const message = (r: RunResults, name: string) => r.results.find((x) => x.unique_id.endsWith(`.${name}`))?.message ?? '';
const rows = async (sql: string) => (await trino.query(sql)).rows;
const names = async (s: string) => (await rows(`SELECT table_name FROM iceberg.information_schema.tables WHERE table_schema = '${s}' ORDER BY 1`)).flat().map(String);

describe.skipIf(!URL || !WAREHOUSE)('the trino target prunes and sweeps only its own', () => {
  afterAll(async () => {
    for (const s of schemas) {
      const t = await trino.query(`SELECT table_name, table_type FROM iceberg.information_schema.tables WHERE table_schema = '${s}'`).catch(() => ({ rows: [] as unknown[][] }));
      for (const [name, type] of t.rows as [string, string][]) await trino.query(`DROP ${type === 'VIEW' ? 'VIEW' : 'TABLE'} iceberg."${s}"."${name}"`).catch(() => undefined);
      await trino.query(`DROP SCHEMA IF EXISTS iceberg."${s}"`).catch(() => undefined);
      fs.rmSync(path.join(WAREHOUSE!, s), { recursive: true, force: true });
    }
    removeFixtures();
  });

  it('keep_versions 1: after 4 builds, each a change, 2 Iceberg snapshots and their data files are left; the newest data is intact; a foreign table of that name is untouched', async () => {
    const dir = project();
    const s = await schema('stedi_keep');
    const messages: string[] = [];
    for (let n = 1; n <= 4; n++) {
      messages.push(message(await build(dir, s, ['-s', 'items', '--vars', `{n: ${n}}`]), 'items'));
      // publishes of one table are a build apart; the cut between versions needs a gap of 2 s (runner/adapters/trino/prune.ts)
      await sleep(2100);
    }
    expect(messages.slice(0, 2).join('|')).not.toContain('expired');
    expect(messages[2]).toContain('expired 1 old version (Iceberg snapshots), 2 kept');
    expect(messages[3]).toContain('expired 1 old version (Iceberg snapshots), 2 kept');
    expect(await rows(`SELECT count(*) FROM iceberg."${s}"."items$snapshots"`)).toEqual([[2]]);
    expect(await rows(`SELECT count(*), min(x), max(x) FROM iceberg."${s}".items`)).toEqual([[4, 1, 4]]);
    // the previous version (3 rows) is still readable by time travel; the older ones are gone with their files
    const [previous] = await rows(`SELECT CAST(snapshot_id AS varchar) FROM iceberg."${s}"."items$snapshots" ORDER BY committed_at LIMIT 1`);
    expect(await rows(`SELECT count(*) FROM iceberg."${s}".items FOR VERSION AS OF ${String(previous![0])}`)).toEqual([[3]]);
    const folder = fs.readdirSync(path.join(WAREHOUSE!, 'metastore', s)).find((f) => f.startsWith('items-'))!;
    expect(fs.readdirSync(path.join(WAREHOUSE!, 'metastore', s, folder, 'data')).filter((f) => f.endsWith('.parquet'))).toHaveLength(2);

    // a table of that name stedi did not create: the model fails and none of its 3 snapshots is expired
    const foreign = await schema('stedi_keep_foreign');
    await trino.query(`CREATE TABLE iceberg."${foreign}".items AS SELECT 1 AS x`);
    await trino.query(`INSERT INTO iceberg."${foreign}".items VALUES 2`);
    await trino.query(`INSERT INTO iceberg."${foreign}".items VALUES 3`);
    const failed = await build(dir, foreign, ['-s', 'items', '--vars', '{n: 5}'], 1);
    expect(message(failed, 'items')).toContain('exists but stedi did not create it for model.mini.items of mini/trino');
    expect(await rows(`SELECT count(*) FROM iceberg."${foreign}"."items$snapshots"`)).toEqual([[3]]);
    expect(await rows(`SELECT x FROM iceberg."${foreign}".items ORDER BY x`)).toEqual([[1], [2], [3]]);

    // an Iceberg table is never turned into a view over a Hive table (no atomic way): refused, left as it was
    const refused = await build(dir, s, ['-s', 'items', '--vars', '{n: 6, fmt: hive}'], 1);
    expect(message(refused, 'items')).toContain(`iceberg.${s}.items is a table stedi published, and this build publishes a view over a Hive table (table_format: hive): Trino cannot replace one by the other atomically, so nothing was changed`);
    expect(await rows(`SELECT count(*) FROM iceberg."${s}".items`)).toEqual([[4]]);
  }, 300_000);

  it('sweeps exactly what a killed build of this project and target left: candidates, a Hive landing table and landing parts, never a look-alike of another owner', async () => {
    const dir = project();
    const s = await schema('stedi_sweep');
    const v = '20260101t000000z';
    const own = (node: string) => `'{"stedi":"mini/trino","node":"${node}"}'`;
    // as a build killed between its candidates' CREATE TABLE AS and the publish leaves them
    await trino.query(`CREATE TABLE iceberg."${s}".customer_trusted__stedi_${v}_0badc0de COMMENT ${own('model.mini.customer_trusted')} AS SELECT 1 AS x`);
    await trino.query(`CREATE TABLE iceberg."${s}".customer__stedi_${v}_0badc0de COMMENT ${own('source.mini.landing.customer')} AS SELECT 1 AS x`);
    const parts = path.join(WAREHOUSE!, s, 'customer', 'customer', `v=${v}-0badc0de`);
    fs.mkdirSync(parts, { recursive: true });
    fs.writeFileSync(path.join(parts, 'part-00000.json'), '{"n":1}\n');
    await trino.query(`CREATE TABLE hive."${s}".customer_raw__stedi_${v}_0badc0de (n bigint) COMMENT ${own('source.mini.landing.customer')} WITH (format = 'JSON', external_location = 'local:///${s}/customer/customer/v=${v}-0badc0de')`);
    // look-alikes: no comment, another project's, another node's
    await trino.query(`CREATE TABLE iceberg."${s}".customer_trusted__stedi_${v}_0000beef AS SELECT 2 AS x`);
    await trino.query(`CREATE TABLE iceberg."${s}".customer_trusted__stedi_${v}_0000cafe COMMENT '{"stedi":"other/trino","node":"model.mini.customer_trusted"}' AS SELECT 3 AS x`);
    await trino.query(`CREATE TABLE iceberg."${s}".customer_trusted__stedi_${v}_0000f00d COMMENT ${own('model.mini.customer_curated')} AS SELECT 4 AS x`);

    const r = await build(dir, s, ['-s', '+customer_trusted']);
    expect(message(r, 'customer_trusted')).toContain(`removed what an interrupted build left: customer_trusted__stedi_${v}_0badc0de`);
    expect(message(r, 'customer')).toContain(`removed what an interrupted build left: customer__stedi_${v}_0badc0de, customer_raw__stedi_${v}_0badc0de, landing parts customer/customer/v=${v}-0badc0de`);
    expect(await names(s)).toEqual(['customer', 'customer__rejects', 'customer_trusted', `customer_trusted__stedi_${v}_0000beef`, `customer_trusted__stedi_${v}_0000cafe`, `customer_trusted__stedi_${v}_0000f00d`]);
    expect(fs.existsSync(parts)).toBe(false);
    for (const [t, x] of [['0000beef', 2], ['0000cafe', 3], ['0000f00d', 4]] as const) expect(await rows(`SELECT x FROM iceberg."${s}".customer_trusted__stedi_${v}_${t}`)).toEqual([[x]]);
    // nothing more of this build is left either
    expect(fs.readdirSync(path.join(WAREHOUSE!, s, 'customer', 'customer'))).toEqual([]);
  }, 300_000);

  it('table_format hive: Parquet version tables behind a view, published only after the gate, older versions pruned to keep_versions', async () => {
    const dir = project();
    const s = await schema('stedi_hive');
    for (let n = 1; n <= 4; n++) {
      const r = await build(dir, s, ['-s', 'items_hive+', '--vars', `{n: ${n}}`]);
      if (n >= 3) expect(message(r, 'items_hive')).toContain('removed 1 old version (Hive tables), 2 kept');
    }
    expect((await names(s)).filter((t) => t.startsWith('items_hive__stedi_v_'))).toHaveLength(2);
    // a version table a build renamed but never published (killed before its view), and a look-alike of no owner
    const stale = 'items_hive__stedi_v_20260101t000000z_0badc0de';
    const lookAlike = 'items_hive__stedi_v_20260101t000000z_0000beef';
    await trino.query(`CREATE TABLE hive."${s}".${stale} COMMENT '{"stedi":"mini/trino","node":"model.mini.items_hive"}' WITH (format = 'PARQUET') AS SELECT 1 AS x, 1 AS y`);
    await trino.query(`CREATE TABLE hive."${s}".${lookAlike} WITH (format = 'PARQUET') AS SELECT 1 AS x, 1 AS y`);
    expect(message(await build(dir, s, ['-s', 'items_hive+', '--vars', '{n: 5}']), 'items_hive')).toContain('removed 2 old versions (Hive tables), 2 kept');
    const versions = (await names(s)).filter((t) => t.startsWith('items_hive__stedi_v_') && t !== lookAlike);
    expect(versions).toHaveLength(2);
    expect(versions).not.toContain(stale);
    expect(await names(s)).toContain(lookAlike);
    const [type] = await rows(`SELECT table_type FROM iceberg.information_schema.tables WHERE table_schema = '${s}' AND table_name = 'items_hive'`);
    expect(type).toEqual(['VIEW']);
    const comment = JSON.parse(String((await rows(`SELECT comment FROM system.metadata.table_comments WHERE catalog_name = 'iceberg' AND schema_name = '${s}' AND table_name = 'items_hive'`))[0]![0])) as { format: string; version_table: string; rows: number };
    expect(comment).toMatchObject({ format: 'hive', version_table: versions[1], kept_versions: [versions[1], versions[0]], rows: 5 });
    expect(await rows(`SELECT count(*), max(x) FROM hive."${s}"."${versions[1]!}"`)).toEqual([[5, 5]]);
    expect(await rows(`SELECT count(*) FROM hive."${s}"."${versions[0]!}"`)).toEqual([[4]]);
    // the downstream model read the view
    expect(await rows(`SELECT n, total FROM iceberg."${s}".items_hive_sum`)).toEqual([[5, 15]]);

    // a failing gate: not published, the view still reads the version before, the candidate is gone
    const failed = await build(dir, s, ['-s', 'items_hive+', '--vars', '{n: 7, bad: true}'], 1);
    expect(message(failed, 'items_hive')).toContain('not published: blocking test failed (not_null_items_hive_y)');
    expect(await rows(`SELECT count(*) FROM iceberg."${s}".items_hive`)).toEqual([[5]]);
    expect((await names(s)).filter((t) => t.includes('__stedi_') && !t.includes('__stedi_v_'))).toEqual([]);
  }, 300_000);
});
