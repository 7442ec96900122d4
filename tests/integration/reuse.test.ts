/**
 * Reuse on the STEDI project (runner/execute/reuse.ts): a build reuses what provably did not
 * change and nothing else. After every build the tables must equal a build from nothing with
 * `--no-reuse` on the same files. Real CLI, real DuckDB, real files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { explain, REPO, stedi } from '../helpers/stedi.js';
import type { NodeResult, RunResults } from '../../runner/execute/results.js';

const ENV = { STEDI_SUBJECT_KEY: 'reuse-test-key-0123456789abcdef', STEDI_TARGET: undefined, STEDI_VARS: undefined, STEDI_THREADS: undefined };
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-reuse-'));
  dirs.push(dir);
  for (const p of ['models', 'seeds', 'macros', 'stedi_project.yml']) fs.cpSync(path.join(REPO, p), path.join(dir, p), { recursive: true });
  return dir;
}

async function build(dir: string, args: string[] = [], code = 0): Promise<NodeResult[]> {
  const r = await stedi(dir, ['build', ...args], { env: ENV });
  expect(r.code, explain(r)).toBe(code);
  return (JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as RunResults).results;
}

/** Every relation the catalog publishes, rows sorted, as JSON. */
async function tables(dir: string): Promise<Record<string, string[]>> {
  const instance = await DuckDBInstance.create(path.join(dir, 'lake', 'stedi.duckdb'), { access_mode: 'READ_ONLY', file_search_path: dir });
  const c = await instance.connect();
  try {
    const out: Record<string, string[]> = {};
    const rels = (await c.runAndReadAll(`SELECT relation FROM _stedi.published ORDER BY relation`)).getRowObjectsJson().map((r) => String(r.relation));
    for (const r of rels) out[r] = (await c.runAndReadAll(`SELECT * FROM ${r} ORDER BY ALL`)).getRowObjectsJson().map((x) => JSON.stringify(x));
    return out;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/**
 * Every table a build from nothing, without reuse, publishes on the project's current files equals
 * the project's (which may publish more: a model whose file was removed stays published).
 */
async function sameAsFromNothing(dir: string): Promise<void> {
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-reuse-fresh-'));
  dirs.push(fresh);
  for (const p of ['models', 'seeds', 'macros', 'stedi_project.yml']) fs.cpSync(path.join(dir, p), path.join(fresh, p), { recursive: true });
  await build(fresh, ['--no-reuse']);
  const want = await tables(fresh);
  const have = await tables(dir);
  // the rejects name landing files by their path below the project: the same in both
  expect(Object.fromEntries(Object.keys(want).map((k) => [k, have[k]]))).toEqual(want);
}

const reused = (rs: NodeResult[]) => new Set(rs.filter((r) => r.reused).map((r) => r.name));
const ran = (rs: NodeResult[], types = ['model', 'seed', 'test']) => new Set(rs.filter((r) => !r.reused && types.includes(r.resource_type)).map((r) => r.name));

describe('reuse', () => {
  const dir = project();

  it('a build with nothing new reuses every model, seed and data test, and keeps what they reported', async () => {
    const first = await build(dir);
    expect(reused(first).size).toBe(0);
    const before = await tables(dir);
    const r = await stedi(dir, ['build'], { env: ENV });
    expect(r.code, explain(r)).toBe(0);
    const second = (JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as RunResults).results;
    expect(ran(second)).toEqual(new Set());
    // sources look for new files themselves; unit tests read only their given rows: reused on their recorded pass
    expect(second.filter((x) => x.resource_type === 'source').every((x) => !x.reused)).toBe(true);
    const units = second.filter((x) => x.resource_type === 'unit_test');
    expect(units.length).toBeGreaterThan(5);
    expect(units.every((x) => x.reused && x.status === 'pass')).toBe(true);
    expect(await tables(dir)).toEqual(before);
    // a warn is reused with its count and its (masked) sample, and still said
    const warn = second.find((x) => x.name === 'unique_customer_curated_serial_number')!;
    const was = first.find((x) => x.name === 'unique_customer_curated_serial_number')!;
    expect({ status: warn.status, failures: warn.failures, sample: warn.sample }).toEqual({ status: 'warn', failures: was.failures, sample: was.sample });
    expect(r.stdout).toMatch(/PASS=97 WARN=2 ERROR=0/);
    expect(r.stdout).toMatch(/OK table trusted\.customer_trusted \.+ \[REUSED 16 rows/);
    expect(r.stdout).toMatch(/Reconciliation:/);
  });

  it('new landing data rebuilds what reads it and only that, and equals a build from nothing', async () => {
    const lines = [
      { customerName: 'Zoe Reuse', email: 'Zoe.Reuse@example.com', phone: '5550100199', birthDay: '1991-01-01', serialNumber: '5eed0099-0000-4000-8000-000000000099', registrationDate: 1699990000000, lastUpdateDate: 1699990000000, shareWithResearchAsOfDate: 1699990000000, shareWithPublicAsOfDate: null, shareWithFriendsAsOfDate: null },
    ];
    fs.writeFileSync(path.join(dir, 'seeds/landing/customer/landing/customer-1700300000000.json'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'seeds/landing/accelerometer/landing/accelerometer-1700300000000.json'), `${JSON.stringify({ user: 'Zoe.Reuse@example.com', timestamp: 1700000901000, x: 1, y: 2, z: 3 })}\n`);
    const rs = await build(dir);
    for (const m of ['customer_trusted', 'accelerometer_trusted', 'customer_curated', 'device_owners', 'reconciliation']) expect(ran(rs), m).toContain(m);
    expect(reused(rs)).toContain('exclusion_rules');
    await sameAsFromNothing(dir);
  });

  it('a table rebuilt to the same rows keeps its published version, so what reads only it is reused; other rows of the same count publish a new one', async () => {
    const at = async () => {
      const instance = await DuckDBInstance.create(path.join(dir, 'lake', 'stedi.duckdb'), { access_mode: 'READ_ONLY', file_search_path: dir });
      const c = await instance.connect();
      try {
        return String((await c.runAndReadAll(`SELECT path FROM _stedi.published WHERE relation = '"curated"."customer_curated"'`)).getRowObjectsJson()[0]!.path);
      } finally {
        c.closeSync();
        instance.closeSync();
      }
    };
    // one more phone reading of a customer who is curated already: customer_curated's rows stay the same
    const was = await at();
    fs.writeFileSync(path.join(dir, 'seeds/landing/accelerometer/landing/accelerometer-1700400000000.json'), `${JSON.stringify({ user: 'Zoe.Reuse@example.com', timestamp: 1700000902000, x: 3, y: 2, z: 1 })}\n`);
    let rs = await build(dir);
    const curated = rs.find((x) => x.name === 'customer_curated')!;
    expect(curated.reused).toBeFalsy();
    expect(curated.message).toMatch(/the same rows as published: that version stays/);
    expect(await at()).toBe(was);
    for (const m of ['accelerometer_trusted', 'machine_learning_curated', 'reconciliation']) expect(ran(rs), m).toContain(m);
    for (const m of ['device_owners', 'step_trainer_trusted', 'customer_trusted']) expect(reused(rs), m).toContain(m);
    // the candidate's folder is gone: only the published version and the one kept before it remain
    const folder = path.dirname(path.join(dir, was));
    expect(fs.readdirSync(folder).filter((f) => f.startsWith('v=')).length).toBeLessThanOrEqual(2);
    await sameAsFromNothing(dir);
    // a later record of the same customer with another phone: as many curated rows, not the same rows
    const later = { customerName: 'Zoe Reuse', email: 'Zoe.Reuse@example.com', phone: '5550100777', birthDay: '1991-01-01', serialNumber: '5eed0099-0000-4000-8000-000000000099', registrationDate: 1699990000000, lastUpdateDate: 1699999000000, shareWithResearchAsOfDate: 1699990000000, shareWithPublicAsOfDate: null, shareWithFriendsAsOfDate: null };
    fs.writeFileSync(path.join(dir, 'seeds/landing/customer/landing/customer-1700400000000.json'), `${JSON.stringify(later)}\n`);
    rs = await build(dir);
    expect(rs.find((x) => x.name === 'customer_curated')!.message).not.toMatch(/same rows/);
    expect(rs.find((x) => x.name === 'customer_curated')!.rows_affected).toBe(curated.rows_affected);
    expect(await at()).not.toBe(was);
    for (const m of ['customer_trusted', 'customer_curated', 'device_owners']) expect(ran(rs), m).toContain(m);
    await sameAsFromNothing(dir);
  });

  it('an edited model rebuilds it and what is downstream of it when its rows change; upstream stays reused', async () => {
    const file = path.join(dir, 'models/curated/device_owners.sql');
    // an edit that leaves its rows as they are: it is built, what reads it is not
    fs.writeFileSync(file, `${fs.readFileSync(file, 'utf8')}\n-- reviewed\n`);
    let rs = await build(dir);
    expect(ran(rs)).toContain('device_owners');
    expect(reused(rs)).toContain('step_trainer_trusted');
    // an edit that drops a device: what reads it is built again
    fs.writeFileSync(file, `${fs.readFileSync(file, 'utf8')}\nwhere c.serial_number <> '5eed0099-0000-4000-8000-000000000099'\n`);
    rs = await build(dir);
    expect(ran(rs)).toContain('device_owners');
    expect(ran(rs)).toContain('step_trainer_trusted');
    for (const m of ['customer_trusted', 'accelerometer_trusted', 'customer_curated', 'exclusion_rules']) expect(reused(rs), m).toContain(m);
    await sameAsFromNothing(dir);
  });

  it('a model that reads the clock is built every time', async () => {
    fs.writeFileSync(path.join(dir, 'models/audit/build_clock.sql'), `{{ config(entity='audit') }}\nselect count(*) as customers, epoch_ms(now()) as built_at from {{ ref('customer_trusted') }}\n`);
    await build(dir);
    const rs = await build(dir);
    expect(ran(rs)).toEqual(new Set(['build_clock']));
    fs.rmSync(path.join(dir, 'models/audit/build_clock.sql'));
  });

  it('--no-reuse and --full-refresh run everything', async () => {
    expect(reused(await build(dir, ['--no-reuse'])).size).toBe(0);
    expect(reused(await build(dir, ['--full-refresh'])).size).toBe(0);
    expect(reused(await build(dir)).size).toBeGreaterThan(50);
  });

  it('without its recorded test results a model is built again and its tests run', async () => {
    const instance = await DuckDBInstance.create(path.join(dir, 'lake', 'stedi.duckdb'));
    const c = await instance.connect();
    await c.run(`DELETE FROM _stedi.test_results WHERE test LIKE '%customer_trusted%'`);
    c.closeSync();
    instance.closeSync();
    const rs = await build(dir);
    expect(ran(rs)).toContain('customer_trusted');
    expect(ran(rs)).toContain('unique_customer_trusted_email');
    expect(reused(rs)).toContain('exclusion_rules');
    await sameAsFromNothing(dir);
  });

  it('a test made stricter runs again; a failing gate is never reused and the table stays as published', async () => {
    const yml = path.join(dir, 'models/curated/curated.yml');
    const original = fs.readFileSync(yml, 'utf8');
    const before = await tables(dir);
    fs.writeFileSync(yml, original.replace(/- unique:\n(\s+)config:\n(\s+)severity: warn/, '- unique:\n$1config:\n$2severity: error'));
    for (let i = 0; i < 2; i++) {
      const rs = await build(dir, [], 1);
      const t = rs.find((x) => x.name === 'unique_customer_curated_serial_number')!;
      expect(t.reused).toBeUndefined();
      expect(t.status).toBe('fail');
      expect(rs.find((x) => x.name === 'customer_curated')!.status).toBe('error');
    }
    expect((await tables(dir))['"curated"."customer_curated"']).toEqual(before['"curated"."customer_curated"']);
    fs.writeFileSync(yml, original);
    const rs = await build(dir);
    expect(rs.find((x) => x.name === 'unique_customer_curated_serial_number')!.status).toBe('warn');
    await sameAsFromNothing(dir);
  });

  it('a unit test whose given or expected rows changed runs again; a failing one is never reused', async () => {
    const yml = path.join(dir, 'models/trusted/trusted.yml');
    const original = fs.readFileSync(yml, 'utf8');
    const name = 'accelerometer_trusted_batch_reads_only_its_readings';
    // the expected x of one row changed: the test must run, and fail, on every build until fixed
    const broken = original.replace(/(- name: accelerometer_trusted_batch_reads_only_its_readings[\s\S]*?expect:\s*\n\s*rows:\s*\n\s*- \{[^}]*?x: )([0-9.]+)/, (_m, head: string) => `${head}42.0`);
    expect(broken).not.toBe(original);
    fs.writeFileSync(yml, broken);
    for (let i = 0; i < 2; i++) {
      const rs = await build(dir, [], 1);
      const u = rs.find((x) => x.name === name)!;
      expect(u.reused).toBeUndefined();
      expect(u.status).toBe('fail');
    }
    fs.writeFileSync(yml, original);
    const again = await build(dir);
    expect(again.find((x) => x.name === name)!.reused).toBeUndefined();
    const third = await build(dir);
    expect(third.find((x) => x.name === name)!.reused).toBe(true);
    // `stedi test` runs every unit test
    const t = await stedi(dir, ['test', '--select', name], { env: ENV });
    expect(t.code, explain(t)).toBe(0);
    const tested = (JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as RunResults).results;
    expect(tested.find((x) => x.name === name)!.reused).toBeUndefined();
  });

  it('under --warn-error a recorded warning is not reused: the test runs and fails the run', async () => {
    const rs = await build(dir, ['--warn-error'], 1);
    const t = rs.find((x) => x.name === 'unique_customer_curated_serial_number')!;
    expect(t.reused).toBeUndefined();
    expect(t.status).toBe('fail');
    // what had only passes is still reused
    expect(reused(rs)).toContain('customer_trusted');
  });
});
