/**
 * Delta audits on the STEDI project (runner/execute/delta-test.ts): when a microbatch model keeps
 * parts of its published version, a row-wise gate test that passed on that version under the same
 * other inputs runs only on the parts the build adds — and its count is the whole table's. Real
 * CLI, real DuckDB, real files; every delta count is checked against the same test run whole.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explain, query, REPO, stedi } from '../helpers/stedi.js';
import type { NodeResult, RunResults } from '../../runner/execute/results.js';

const ENV = { STEDI_SUBJECT_KEY: 'delta-test-key-0123456789abcdef', STEDI_TARGET: undefined, STEDI_VARS: undefined, STEDI_THREADS: undefined };
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The STEDI project with one more gate on accelerometer_trusted: x at most 100, as a warning (so a failing row is published and can be counted whole). */
function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-delta-'));
  dirs.push(dir);
  for (const p of ['models', 'seeds', 'macros', 'stedi_project.yml']) fs.cpSync(path.join(REPO, p), path.join(dir, p), { recursive: true });
  const yml = path.join(dir, 'models/trusted/trusted.yml');
  const text = fs.readFileSync(yml, 'utf8');
  const anchor = '      - name: x\n        description: Acceleration along the x axis.\n        data_type: double\n';
  expect(text).toContain(anchor);
  fs.writeFileSync(yml, text.replace(anchor, `${anchor}        tests:\n          - accepted_range:\n              max_value: 100\n              config:\n                severity: warn\n`));
  return dir;
}

async function run(dir: string, args: string[], code = 0): Promise<NodeResult[]> {
  const r = await stedi(dir, args, { env: ENV });
  expect(r.code, explain(r)).toBe(code);
  return (JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as RunResults).results;
}

const RANGE = 'accepted_range_accelerometer_trusted_x';
const CONSENT = 'consent_accelerometer_trusted_user_email_ref_customer_trusted_email_reading_time';
const byName = (rs: NodeResult[], name: string) => rs.find((r) => r.name === name)!;

function deliver(dir: string, file: string, lines: object[]): void {
  fs.writeFileSync(path.join(dir, 'seeds/landing', file), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

/** The same tests run whole (`stedi test` never uses a delta): name → failures. */
async function whole(dir: string, names: string[]): Promise<Record<string, number | undefined>> {
  const rs = await run(dir, ['test', '--select', names.join(' ')], 0);
  expect(rs.every((r) => !r.delta)).toBe(true);
  return Object.fromEntries(names.map((n) => [n, byName(rs, n).failures]));
}

describe('delta audits', () => {
  const dir = project();

  it('new readings of known customers: the row-wise gates run on the new parts only, with the counts of the whole table', async () => {
    const first = await run(dir, ['build']);
    expect(first.filter((r) => r.delta)).toEqual([]);
    // Ada Stone consented; a reading a day later, x over the range: one failing row
    deliver(dir, 'accelerometer/landing/accelerometer-1700400000000.json', [
      { user: 'Ada.Stone@example.com', timestamp: 1700086501000, x: 500.0, y: 0.0, z: 0.0 },
      { user: 'Ada.Stone@example.com', timestamp: 1700086502000, x: 1.0, y: 0.0, z: 0.0 },
    ]);
    const rs = await run(dir, ['build']);
    const range = byName(rs, RANGE);
    const consent = byName(rs, CONSENT);
    expect(range.delta, range.message).toBe(true);
    expect(range.status).toBe('warn');
    expect(range.failures).toBe(1);
    expect(range.message).toMatch(/this build adds/);
    expect(consent.delta, consent.message).toBe(true);
    expect(consent.status).toBe('pass');
    // not row-wise: run whole (same_customer_pairs is partition-local: its own block below)
    for (const r of rs.filter((x) => x.resource_type === 'test' && /^(unique|row_count|accepted_values)_/.test(x.name))) expect(r.delta, r.name).toBeUndefined();
    expect(await whole(dir, [RANGE, CONSENT])).toEqual({ [RANGE]: 1, [CONSENT]: 0 });
  });

  it('a gate whose recorded result had failing rows runs whole', async () => {
    deliver(dir, 'accelerometer/landing/accelerometer-1700500000000.json', [{ user: 'Ada.Stone@example.com', timestamp: 1700172901000, x: 2.0, y: 0.0, z: 0.0 }]);
    const rs = await run(dir, ['build']);
    const range = byName(rs, RANGE);
    expect(range.delta).toBeUndefined();
    expect(range.failures).toBe(1);
    expect(byName(rs, CONSENT).delta).toBe(true);
  });

  it('when another input of the test changed, it runs whole', async () => {
    // a new customer record changes customer_trusted, which the consent test reads
    deliver(dir, 'customer/landing/customer-1700600000000.json', [
      { customerName: 'Una Delta', email: 'Una.Delta@example.com', phone: '5550100177', birthDay: '1990-02-02', serialNumber: '5eed0077-0000-4000-8000-000000000077', registrationDate: 1700000000000, lastUpdateDate: 1700000000000, shareWithResearchAsOfDate: 1700000000000, shareWithPublicAsOfDate: null, shareWithFriendsAsOfDate: null },
    ]);
    deliver(dir, 'accelerometer/landing/accelerometer-1700600000000.json', [{ user: 'Una.Delta@example.com', timestamp: 1700259301000, x: 3.0, y: 0.0, z: 0.0 }]);
    const rs = await run(dir, ['build']);
    const consent = byName(rs, CONSENT);
    expect(consent.delta).toBeUndefined();
    expect(consent.status).toBe('pass');
  });

  it('--no-reuse audits every row', async () => {
    deliver(dir, 'accelerometer/landing/accelerometer-1700700000000.json', [{ user: 'Ada.Stone@example.com', timestamp: 1700345701000, x: 4.0, y: 0.0, z: 0.0 }]);
    const rs = await run(dir, ['build', '--no-reuse']);
    expect(rs.filter((r) => r.delta)).toEqual([]);
    expect(byName(rs, RANGE).failures).toBe(1);
  });

  it('a failing row in the new parts stops the publish, counted as the whole table would count it', async () => {
    // the range test made an error: it failed before (1 row), so it runs whole; make it pass first
    const yml = path.join(dir, 'models/trusted/trusted.yml');
    fs.writeFileSync(yml, fs.readFileSync(yml, 'utf8').replace('max_value: 100\n              config:\n                severity: warn\n', 'max_value: 1000\n'));
    await run(dir, ['build']);
    deliver(dir, 'accelerometer/landing/accelerometer-1700800000000.json', [
      { user: 'Ada.Stone@example.com', timestamp: 1700432101000, x: 5000.0, y: 0.0, z: 0.0 },
      { user: 'Ada.Stone@example.com', timestamp: 1700432102000, x: 6000.0, y: 0.0, z: 0.0 },
    ]);
    const rs = await run(dir, ['build'], 1);
    const range = byName(rs, RANGE);
    expect(range.delta, range.message).toBe(true);
    expect(range.status).toBe('fail');
    expect(range.failures).toBe(2);
    expect(byName(rs, 'accelerometer_trusted').status).toBe('error');
  });
});

describe('keyed delta audits (runner/execute/key-local.ts)', () => {
  const dir = project();
  const MLC_CONSENT = 'consent_machine_learning_curated_subject_key_ref_customer_curated_subject_key_sensor_reading_time';
  const ST_RELATIONSHIPS = 'relationships_step_trainer_trusted_serial_number_ref_customer_curated_serial_number';
  const mlcRows = async () => Number((await query(dir, 'select count(*) as n from curated.machine_learning_curated'))[0]!.n);

  it('a customer withdraws: the key-local gates of the models restated by that key run on the new parts only, and agree with the whole test', async () => {
    await run(dir, ['build']);
    const before = await mlcRows();
    // Ada Stone withdraws consent (a later record without shareWithResearchAsOfDate): her
    // customer_curated row leaves, and machine_learning_curated restates her key
    deliver(dir, 'customer/landing/customer-1700900000000.json', [
      { customerName: 'Ada Stone', email: 'Ada.Stone@example.com', phone: '5550100101', birthDay: '1985-04-12', serialNumber: '5eed0001-0000-4000-8000-000000000001', registrationDate: 1699913600000, lastUpdateDate: 1700900000000, shareWithResearchAsOfDate: null, shareWithPublicAsOfDate: null, shareWithFriendsAsOfDate: null },
    ]);
    const rs = await run(dir, ['build']);
    const mlc = byName(rs, 'machine_learning_curated');
    expect(mlc.message).toMatch(/keys? restated/);
    expect(await mlcRows()).toBeLessThan(before);
    const consent = byName(rs, MLC_CONSENT);
    expect(consent.delta, consent.message).toBe(true);
    expect(consent.status).toBe('pass');
    expect(consent.message).toMatch(/customer_curated changed only for keys the build restated/);
    // step_trainer_trusted is restated by device_owners' keys; its relationships test reads
    // customer_curated, which is not that model's keyed dimension: it runs whole
    expect(byName(rs, ST_RELATIONSHIPS).delta).toBeUndefined();
    expect(await whole(dir, [MLC_CONSENT, ST_RELATIONSHIPS])).toEqual({ [MLC_CONSENT]: 0, [ST_RELATIONSHIPS]: 0 });
  });

  it('a gate whose recorded pass was under another version of the dimension than the kept parts were built from runs whole', async () => {
    // Ada consents again; the customer tables and her readings are built, not the training
    // table: customer_curated holds her again, while the published machine_learning_curated was
    // built under the customer_curated without her
    deliver(dir, 'customer/landing/customer-1701000000000.json', [
      { customerName: 'Ada Stone', email: 'Ada.Stone@example.com', phone: '5550100101', birthDay: '1985-04-12', serialNumber: '5eed0001-0000-4000-8000-000000000001', registrationDate: 1699913600000, lastUpdateDate: 1701000000000, shareWithResearchAsOfDate: 1699913600000, shareWithPublicAsOfDate: null, shareWithFriendsAsOfDate: null },
    ]);
    await run(dir, ['build', '--select', 'customer_trusted accelerometer_trusted customer_curated device_owners']);
    // the gate passes whole on that pair and is recorded under the new customer_curated
    expect(await whole(dir, [MLC_CONSENT])).toEqual({ [MLC_CONSENT]: 0 });
    // Ben withdraws before the next build: customer_curated changes again, so the gate's recorded
    // pass is under neither the version the kept parts were built from nor the one published now
    deliver(dir, 'customer/landing/customer-1701050000000.json', [
      { customerName: 'Ben Okafor', email: 'Ben.Okafor@example.com', phone: '5550100102', birthDay: '1990-11-02', serialNumber: '5eed0002-0000-4000-8000-000000000002', registrationDate: 1699920000000, lastUpdateDate: 1701050000000, shareWithResearchAsOfDate: null, shareWithPublicAsOfDate: null, shareWithFriendsAsOfDate: 1699920000000 },
    ]);
    const rs = await run(dir, ['build']);
    expect(byName(rs, 'machine_learning_curated').message).toMatch(/keys? restated/);
    const consent = byName(rs, MLC_CONSENT);
    expect(consent.status).toBe('pass');
    expect(consent.delta, consent.message).toBeUndefined();
  });
});

describe('partition-local audits (runner/execute/partition-delta.ts)', () => {
  const dir = project();
  const pairs = (rs: NodeResult[]) => rs.find((r) => r.name.startsWith('same_customer_pairs_'))!;
  const ADA_SERIAL = '5eed0001-0000-4000-8000-000000000001';
  const at = async (t: number) => Number((await query(dir, `select count(*) as n from curated.machine_learning_curated where sensor_reading_time = ${t}`))[0]!.n);

  it('new paired readings of one customer: same_customer_pairs runs on her partitions only, and agrees with the whole test', async () => {
    expect(pairs(await run(dir, ['build'])).delta).toBeUndefined();
    const t = 1700172905000;
    deliver(dir, 'step_trainer/landing/step_trainer-1701100000000.json', [{ sensorReadingTime: t, serialNumber: ADA_SERIAL, distanceFromObject: 222 }]);
    deliver(dir, 'accelerometer/landing/accelerometer-1701100000000.json', [{ user: 'Ada.Stone@example.com', timestamp: t, x: 0.5, y: 0.25, z: 0.125 }]);
    const rs = await run(dir, ['build']);
    const p = pairs(rs);
    expect(p.delta, p.message).toBe(true);
    expect(p.status).toBe('pass');
    expect(p.message).toMatch(/on the 0 hours and 1 customer whose inputs changed since it passed/);
    expect(await at(t)).toBe(1);
    expect(await whole(dir, [p.name])).toEqual({ [p.name]: 0 });
  });

  it('a customer withdraws: the customers are diffed too, and her partitions are audited', async () => {
    deliver(dir, 'customer/landing/customer-1701200000000.json', [
      { customerName: 'Ada Stone', email: 'Ada.Stone@example.com', phone: '5550100101', birthDay: '1985-04-12', serialNumber: ADA_SERIAL, registrationDate: 1699913600000, lastUpdateDate: 1701200000000, shareWithResearchAsOfDate: null, shareWithPublicAsOfDate: null, shareWithFriendsAsOfDate: null },
    ]);
    const rs = await run(dir, ['build']);
    const p = pairs(rs);
    expect(p.delta, p.message).toBe(true);
    expect(p.status).toBe('pass');
    expect(p.message).toMatch(/customers? whose inputs changed/);
    expect(await at(1700172905000)).toBe(0);
    expect(await whole(dir, [p.name])).toEqual({ [p.name]: 0 });
  });

  it('a customer new since the pass (her first record and paired readings): her model rows are read from the files added since', async () => {
    const t = 1700172906000;
    const serial = '5eed0099-0000-4000-8000-000000000099';
    deliver(dir, 'customer/landing/customer-1701250000000.json', [
      { customerName: 'Cleo Marsh', email: 'Cleo.Marsh@example.com', phone: '5550100199', birthDay: '1990-01-01', serialNumber: serial, registrationDate: 1699913600000, lastUpdateDate: 1701250000000, shareWithResearchAsOfDate: 1699913600000, shareWithPublicAsOfDate: null, shareWithFriendsAsOfDate: null },
    ]);
    deliver(dir, 'step_trainer/landing/step_trainer-1701250000000.json', [{ sensorReadingTime: t, serialNumber: serial, distanceFromObject: 224 }]);
    deliver(dir, 'accelerometer/landing/accelerometer-1701250000000.json', [{ user: 'Cleo.Marsh@example.com', timestamp: t, x: 0.5, y: 0.25, z: 0.125 }]);
    const rs = await run(dir, ['build']);
    const p = pairs(rs);
    expect(p.delta, p.message).toBe(true);
    expect(p.status).toBe('pass');
    expect(p.message).toMatch(/on the 0 hours and 1 customer whose inputs changed since it passed, all new since then/);
    expect(await at(t)).toBe(1);
    expect(await whole(dir, [p.name])).toEqual({ [p.name]: 0 });
  });

  it('a part of the version it passed on cannot be read: the test runs whole and says so', async () => {
    // a new paired reading in an hour the table already holds: that hour's part is replaced, and
    // the audit diffs the replaced part against the new one. The replaced part is damaged (it is
    // no longer published), so the restriction cannot be built: the whole test decides.
    // Ben Okafor (a curated customer) consented before every reading the seeds hold for him.
    expect(await query(dir, `select count(*) as n from curated.customer_curated where email = 'ben.okafor@example.com'`)).toEqual([{ n: '1' }]);
    const held = Number((await query(dir, 'select max(sensor_reading_time) as t from curated.machine_learning_curated'))[0]!.t);
    const hour = held - (held % 3_600_000);
    const t = hour + 1234;
    const table = path.join(dir, 'lake', 'machine_learning', 'curated', 'machine_learning_curated');
    const parts = fs.readdirSync(table, { recursive: true }).map(String).filter((f) => f.includes(`__stedi_interval=${hour}`) && f.endsWith('.parquet'));
    expect(parts.length).toBeGreaterThan(0);
    for (const f of parts) fs.writeFileSync(path.join(table, f), 'not a parquet file');
    deliver(dir, 'step_trainer/landing/step_trainer-1701300000000.json', [{ sensorReadingTime: t, serialNumber: '5eed0002-0000-4000-8000-000000000002', distanceFromObject: 223 }]);
    deliver(dir, 'accelerometer/landing/accelerometer-1701300000000.json', [{ user: 'Ben.Okafor@example.com', timestamp: t, x: 0.5, y: 0.25, z: 0.125 }]);
    const rs = await run(dir, ['build']);
    const p = pairs(rs);
    expect(p.status).toBe('pass');
    expect(p.delta, p.message).toBeUndefined();
    expect(p.message).toBe('pass (run whole: the restriction to the partitions whose inputs changed could not be built on this data)');
    expect(await whole(dir, [p.name])).toEqual({ [p.name]: 0 });
  });

  it('--full-refresh and --no-reuse audit it whole', async () => {
    for (const flag of ['--full-refresh', '--no-reuse']) {
      const p = pairs(await run(dir, ['build', flag]));
      expect(p.delta, `${flag}: ${p.message}`).toBeUndefined();
      expect(p.status).toBe('pass');
    }
  });
});
