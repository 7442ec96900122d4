/**
 * Fail closed, section 2: stedi writes and deletes only what this project and target own. Every
 * case asserts the guarantee — the other party's files and tables are byte for byte as they were,
 * nothing was written outside the lake — not only an exit code.
 *
 *   - ownership is explicit: a marker naming project and target on the lake, on every version
 *     folder, on every Glue table and beside every S3 version prefix; nothing is deleted without it
 *   - two nodes never resolve to one physical table (a compile error naming both files)
 *   - lake and data locations overlap neither each other nor a landing location (a configuration error)
 *   - every name that becomes a path or an identifier is validated
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaAdapter } from '../../runner/adapters/athena/adapter.js';
import { createClients } from '../../runner/adapters/athena/clients.js';
import { versionMarkerKey } from '../../runner/adapters/athena/names.js';
import type { HookedSimulator } from '../helpers/hooked-simulator.js';
import { copyFixture, explain, removeFixtures, snapshot, stedi, write } from '../helpers/stedi.js';
import { adapterOptions, build, compileProject, deliverLanding, MINI_PROJECT_YML, type FakeAws, fakeAwsEachTest } from '../unit/athena/harness.js';

afterAll(removeFixtures);

/** Every file below `dir` with the sha256 of its bytes: to show that nothing changed. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

const PROJECT = 'tests/fixtures/mini/stedi_project.yml';

describe('local lakes: one owner each', () => {
  let a: string;
  let aLake: Record<string, string>;
  beforeAll(async () => {
    a = copyFixture();
    const r = await stedi(a, ['build']);
    expect(r.code, explain(r)).toBe(0);
    aLake = tree(path.join(a, 'lake'));
    expect(JSON.parse(fs.readFileSync(path.join(a, 'lake/_stedi_lake.json'), 'utf8'))).toMatchObject({ project: 'mini', target: 'local' });
  });

  it('two targets of the project on one lake, or on nested lakes, are a configuration error; nothing is written', async () => {
    for (const [other, why] of [['lake', 'the same lake'], ['lake/inner', 'a lake inside the lake'], ['.', 'a lake holding the lake']] as const) {
      const dir = copyFixture();
      const yml = fs.readFileSync(path.join(dir, 'stedi_project.yml'), 'utf8').replace('  alt: { type: duckdb, lake_dir: alt_lake, threads: 2 }', `  alt: { type: duckdb, lake_dir: "${other}", catalog: other.duckdb, threads: 2 }`);
      fs.writeFileSync(path.join(dir, 'stedi_project.yml'), yml);
      const r = await stedi(dir, ['build']);
      expect(r.code, `${why}: ${explain(r)}`).toBe(2);
      expect(r.stderr).toMatch(/error E_LOCATION_OVERLAP stedi_project\.yml:\d+: the lake folder lake of target local overlaps the lake folder \S+ of target alt/);
      expect(fs.existsSync(path.join(dir, 'lake')), why).toBe(false);
    }
  });

  it('another project on this lake is refused; the lake is untouched', async () => {
    const b = copyFixture();
    const yml = fs.readFileSync(path.join(b, 'stedi_project.yml'), 'utf8').replace('name: mini', 'name: other');
    fs.writeFileSync(path.join(b, 'stedi_project.yml'), yml);
    const r = await stedi(b, ['build'], { env: { MINI_LAKE: path.join(a, 'lake') } });
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toContain(`belongs to project 'mini', target 'local'`);
    expect(r.stderr).toContain(`this is project 'other', target 'local': give this target its own lake_dir`);
    expect(tree(path.join(a, 'lake'))).toEqual(aLake);
    // readers are refused too: they would show another project's tables as this one's
    const show = await stedi(b, ['show', '--select', 'customer_trusted'], { env: { MINI_LAKE: path.join(a, 'lake') } });
    expect(show.code).not.toBe(0);
  });

  it('the same project under another target name is refused too', async () => {
    const b = copyFixture();
    write(b, 'stedi_project.yml', fs.readFileSync(path.join(b, 'stedi_project.yml'), 'utf8').replace('default-target: local', 'default-target: dev').replace('  local: {', '  dev: {'));
    const r = await stedi(b, ['build'], { env: { MINI_LAKE: path.join(a, 'lake') } });
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toContain(`belongs to project 'mini', target 'local'`);
    expect(tree(path.join(a, 'lake'))).toEqual(aLake);
  });

  it('a lake inside another project\'s lake, and a lake holding one, are refused', async () => {
    const b = copyFixture();
    const inside = await stedi(b, ['build'], { env: { MINI_LAKE: path.join(a, 'lake', 'nested') } });
    expect(inside.code, explain(inside)).toBe(1);
    expect(inside.stderr).toMatch(/is inside another stedi lake .*owned by project 'mini', target 'local'/);
    const holding = await stedi(b, ['build'], { env: { MINI_LAKE: a } });
    expect(holding.code, explain(holding)).toBe(1);
    expect(holding.stderr).toMatch(/already holds files that stedi did not create|holds another stedi lake/);
    expect(tree(path.join(a, 'lake'))).toEqual(aLake);
    expect(fs.existsSync(path.join(a, 'lake', 'nested'))).toBe(false);
  });

  it('version folders without this project\'s marker are never deleted, whatever the catalog says', async () => {
    const dir = copyFixture();
    let r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    const table = path.join(dir, 'lake/customer/trusted/customer_trusted');
    // a folder named like a version, without marker; one whose marker names another target; one whose marker is unreadable
    const foreign = { unmarked: 'v=20200101T000000Z-0000dead', other: 'v=20200101T000000Z-0000beef', broken: 'v=20200101T000000Z-0000cafe' };
    for (const v of Object.values(foreign)) write(table, `${v}/data.parquet`, 'not ours\n');
    write(table, `${foreign.other}/_stedi_version.json`, JSON.stringify({ project: 'mini', target: 'alt' }));
    write(table, `${foreign.broken}/_stedi_version.json`, '{ not json');
    for (let i = 0; i < 3; i++) {
      r = await stedi(dir, ['build']);
      expect(r.code, explain(r)).toBe(0);
    }
    for (const v of Object.values(foreign)) expect(fs.readFileSync(path.join(table, v, 'data.parquet'), 'utf8'), v).toBe('not ours\n');
  });
});

describe('names that become paths or identifiers', () => {
  for (const [what, config] of [
    ['entity climbing out of the lake', "entity='../../../outside'"],
    ['an absolute entity', "entity='/tmp/stedi-outside'"],
    ['a zone with a slash', "zone='trusted/../../x'"],
    ['an alias with a dot', "alias='x.y'"],
    ['a name reserved for candidates', "alias='customer_trusted__stedi_20260101t000000z_01010101'"],
  ] as const) {
    it(`${what}: a compile error naming the file; nothing is written anywhere`, async () => {
      const dir = copyFixture();
      const sql = path.join(dir, 'models/trusted/customer_trusted.sql');
      fs.writeFileSync(sql, fs.readFileSync(sql, 'utf8').replace("config(entity='customer'", `config(${config}`).replace("config(entity='customer',", `config(${config},`));
      const r = await stedi(dir, ['build']);
      expect(r.code, explain(r)).toBe(2);
      expect(r.stderr).toMatch(/error E_BAD_NAME models\/trusted\/customer_trusted\.sql:\d+: model customer_trusted/);
      expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
      expect(fs.existsSync(path.join(os.tmpdir(), 'stedi-outside'))).toBe(false);
      expect(fs.existsSync(path.join(dir, '..', 'outside'))).toBe(false);
    });
  }

  it('a path_template that leaves the lake, or puts every table in one folder, is a configuration error', async () => {
    for (const t of ['../{entity}/{name}', '{entity}/{zone}', '/abs/{name}']) {
      const dir = copyFixture();
      write(dir, 'stedi_project.yml', fs.readFileSync(path.join(dir, 'stedi_project.yml'), 'utf8').replace('threads: 4 }', `threads: 4, path_template: "${t}" }`));
      const r = await stedi(dir, ['build']);
      expect(r.code, `${t}: ${explain(r)}`).toBe(2);
      expect(r.stderr).toMatch(/path_template/);
      expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
    }
  });

  it('two nodes on one table: a compile error naming both files', async () => {
    const dir = copyFixture();
    write(dir, 'models/trusted/landing_copy.sql', "{{ config(zone='landing', alias='customer', entity='customer') }}\nselect email, n from {{ ref('customer_trusted') }}\n");
    const r = await stedi(dir, ['compile']);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/E_RELATION_CLASH models\/trusted\/landing_copy\.sql:1: source landing\.customer \(models\/landing\/sources\.yml\) and model landing_copy \(models\/trusted\/landing_copy\.sql\) would both be the table "landing"\."customer"/);
  });

  it('a landing location inside the lake, or a lake inside the landing zone, is a configuration error', async () => {
    const dir = copyFixture();
    const inLake = await stedi(dir, ['build', '--vars', '{landing_root: lake/landing}']);
    expect(inLake.code, explain(inLake)).toBe(2);
    expect(inLake.stderr).toMatch(/E_LOCATION_OVERLAP models\/landing\/sources\.yml:\d+: the landing location lake\/landing\/customer\/landing of source landing\.customer overlaps the lake folder lake of target local/);
    const lakeInLanding = await stedi(dir, ['build'], { env: { MINI_LAKE: 'seeds/landing/customer/landing/lake' } });
    expect(lakeInLanding.code, explain(lakeInLanding)).toBe(2);
    expect(lakeInLanding.stderr).toContain('E_LOCATION_OVERLAP');
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'seeds/landing/customer/landing'))).toEqual(['part-0001.json']);
  });
});

describe('Athena: Glue tables and S3 prefixes', () => {
  let sim: HookedSimulator;
  let aws: FakeAws;
  fakeAwsEachTest((s, a) => {
    sim = s;
    aws = a;
  });
  const { manifest, target } = compileProject({ 'models/emails.sql': "select email, n from {{ source('landing', 'customer') }}\n" });
  const deletes = () => aws.calls.filter((c) => ['DeleteTable', 'DeleteObjects', 'BatchDeleteTableVersion'].includes(c.operation));

  it('a model named like a source is one Glue table: a compile error naming both files', () => {
    expect(() => compileProject({ 'models/curated/customer.sql': "select email from {{ source('landing', 'customer') }}\n" })).toThrow(/E_RELATION_CLASH.*models\/curated\/customer\.sql.*source landing\.customer \(models\/sources\.yml\) and model customer \(models\/curated\/customer\.sql\) would both be the table \\"stedi\\"\.\\"customer\\"/);
    // Glue folds names to lower case: Customer_Rejects is customer__rejects's neighbour, CUSTOMER__REJECTS its twin
    expect(() => compileProject({ 'models/curated/CUSTOMER__REJECTS.sql': "select email from {{ source('landing', 'customer') }}\n" })).toThrow(/E_RELATION_CLASH/);
  });

  it('an s3_data_dir over the landing root (the course layout) is a configuration error', () => {
    for (const dir of ['s3://lake-bucket', 's3://lake-bucket/landing', 's3://lake-bucket/landing/customer']) {
      const yml = MINI_PROJECT_YML.replace('s3_data_dir: "s3://lake-bucket/zones"', `s3_data_dir: "${dir}"`);
      expect(() => compileProject({ 'stedi_project.yml': yml }), dir).toThrow(/E_LOCATION_OVERLAP.*landing location s3:\/\/lake-bucket\/landing\/customer\/landing of source landing\.customer overlaps the s3_data_dir/);
    }
  });

  it('a table of another project, or of another target of this project, in the same Glue database is refused and untouched', async () => {
    deliverLanding(sim, 'tests/fixtures/mini/seeds/landing');
    for (const owner of [{ project: 'other', target: 'athena' }, { project: 'stedi', target: 'prod' }]) {
      sim.tables.clear();
      sim.CreateTable({ TableInput: { Name: 'emails', TableType: 'EXTERNAL_TABLE', Parameters: { stedi_managed: 'true', stedi_project: owner.project, stedi_target: owner.target, stedi_node: 'model.mini.emails' }, StorageDescriptor: { Location: 's3://other-bucket/emails/v=20250101T000000Z-00000001/' } } });
      const before = structuredClone(sim.tables.get('emails'));
      aws.calls.length = 0;
      const { results } = await build(target, manifest, adapterOptions());
      const r = results.find((x) => x.name === 'emails')!;
      expect(r.status).toBe('error');
      expect(r.message).toContain(`belongs to stedi project '${owner.project}', target '${owner.target}'`);
      expect(sim.tables.get('emails')).toEqual(before);
      expect(aws.calls.some((c) => c.operation === 'StartQueryExecution' && String(c.input.QueryString).includes('"emails__stedi_'))).toBe(false);
    }
  });

  it('a table named like a candidate is removed only when it carries this project\'s and target\'s marker; its data only with the marker beside it', async () => {
    const dir = 's3://lake-bucket/zones/emails/main/emails';
    const leftover = (name: string, loc: string, params: Record<string, string>) => {
      sim.CreateTable({ TableInput: { Name: name, TableType: 'EXTERNAL_TABLE', Parameters: params, StorageDescriptor: { Location: loc } } });
      sim.tables.get(name)!.table.CreateTime = new Date('2025-12-01T00:00:00Z');
      sim.objects.add(`${loc}data/part-00000.parquet`);
    };
    leftover('emails__stedi_20251201t000000z_0000000a', `${dir}/v=20251201T000000Z-0000000a/`, {}); // no marker: someone else's
    leftover('emails__stedi_20251201t000000z_0000000b', `${dir}/v=20251201T000000Z-0000000b/`, { stedi_managed: 'true', stedi_project: 'other', stedi_target: 'athena' });
    leftover('emails__stedi_20251201t000000z_0000000c', `${dir}/v=20251201T000000Z-0000000c/`, { stedi_managed: 'true', stedi_project: 'stedi', stedi_target: 'athena' }); // ours in Glue, no S3 marker
    leftover('emails__stedi_20251201t000000z_0000000d', `${dir}/v=20251201T000000Z-0000000d/`, { stedi_managed: 'true', stedi_project: 'stedi', stedi_target: 'athena' });
    sim.putObject(versionMarkerKey(`${dir}/v=20251201T000000Z-0000000d/`), JSON.stringify({ project: 'stedi', target: 'athena' }));
    const objects = new Set(sim.objects);
    const adapter = new AthenaAdapter(target as unknown as Record<string, unknown>, createClients('eu-west-1'), adapterOptions({ now: () => new Date('2026-01-01T00:00:00Z') }));
    await adapter.open('write');
    expect([...sim.tables.keys()].sort()).toEqual(['emails__stedi_20251201t000000z_0000000a', 'emails__stedi_20251201t000000z_0000000b']);
    // only the candidate with both markers lost its data
    expect([...objects].filter((o) => !sim.objects.has(o)).sort()).toEqual([`${dir}/v=20251201T000000Z-0000000d/data/part-00000.parquet`, versionMarkerKey(`${dir}/v=20251201T000000Z-0000000d/`)].sort());
    expect(deletes().map((c) => String(c.input.Name ?? ''))).not.toContain('emails__stedi_20251201t000000z_0000000a');
  });

  it('an old version whose prefix carries another project\'s marker keeps its data when pruned from Glue', async () => {
    deliverLanding(sim, 'tests/fixtures/mini/seeds/landing');
    const locations: string[] = [];
    for (let i = 0; i < 3; i++) {
      await build(target, manifest, adapterOptions({ random: () => (i + 1) / 16 }));
      locations.push(sim.tables.get('emails')!.table.Parameters!.stedi_location!);
      // the first version's marker is replaced by another project's before it is pruned
      if (i === 0) sim.putObject(versionMarkerKey(locations[0]!), JSON.stringify({ project: 'other', target: 'athena' }));
    }
    expect(sim.tables.get('emails')!.versions.map((v) => v.Parameters?.stedi_location)).toEqual([locations[1], locations[2]]);
    expect([...sim.objects].some((o) => o.startsWith(locations[0]!))).toBe(true);
  });
});
