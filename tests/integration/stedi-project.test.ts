/**
 * The STEDI project itself, built end to end on a real DuckDB: the bundled seeds (whose
 * expected counts are derived by hand in seeds/README.md) and the public STEDI landing data in
 * ../shared/data/udacity-stedi (the acceptance set, never copied into the repository).
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyProjectInto } from '../helpers/stedi.js';

const REPO = path.resolve(__dirname, '../..');
const REAL_DATA = path.resolve(REPO, '../shared/data/udacity-stedi');
const TABLES = ['customer_trusted', 'accelerometer_trusted', 'customer_curated', 'step_trainer_trusted', 'machine_learning_curated'];
const KEY = 'integration-test-key-0123456789abcdef';

function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-project-'));
  copyProjectInto(dir);
  return dir;
}

function stedi(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin/stedi.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, STEDI_SUBJECT_KEY: KEY, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function rows(cwd: string, sql: string): Record<string, unknown>[] {
  // --unmask: these tests check the data itself (keyed hashes of emails, no email left in the training table)
  const r = stedi(cwd, ['show', '--unmask', '--inline', sql, '--limit', '100000', '--output', 'json']);
  if (r.code !== 0) throw new Error(r.err);
  return JSON.parse(r.out) as Record<string, unknown>[];
}

function counts(cwd: string): Record<string, number> {
  const sql = TABLES.map((t) => `select '${t}' as t, count(*) as n from {{ ref('${t}') }}`).join(' union all ');
  return Object.fromEntries(rows(cwd, sql).map((r) => [String(r.t), Number(r.n)]));
}

function build(cwd: string, vars: string): void {
  const r = stedi(cwd, ['build', '--quiet', '--vars', vars]);
  expect(r.err).not.toMatch(/ERROR|FAIL/);
  expect(r.code).toBe(0);
}

describe('STEDI on the bundled seeds', () => {
  let dir: string;
  beforeAll(() => {
    dir = projectCopy();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['as_of_date', { customer_trusted: 16, accelerometer_trusted: 38, customer_curated: 14, step_trainer_trusted: 30, machine_learning_curated: 28 }],
    ['any_time', { customer_trusted: 16, accelerometer_trusted: 43, customer_curated: 15, step_trainer_trusted: 35, machine_learning_curated: 33 }],
  ])('builds every table with every blocking test passing under consent_policy %s', (policy, expected) => {
    build(dir, `{consent_policy: ${policy}}`);
    expect(counts(dir)).toEqual(expected);
  });

  it('refuses an unknown consent policy at compile time', () => {
    const r = stedi(dir, ['compile', '--vars', '{consent_policy: whenever}']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/E_COMPILER_ERROR .*consent_policy/);
  });

  it('pseudonymises with the HMAC derived at ingestion, and the key reaches no artifact', () => {
    build(dir, '{consent_policy: as_of_date}');
    const keys = rows(dir, "select distinct subject_key from {{ ref('machine_learning_curated') }}").map((r) => r.subject_key);
    const emails = rows(dir, "select distinct c.email from {{ ref('customer_curated') }} c join {{ ref('step_trainer_trusted') }} s on s.serial_number = c.serial_number");
    // The definition the ingestion implements: hex(HMAC-SHA256(key, canonical_email(email))); the
    // curated emails are canonical already (trimmed, NFC, lower case), so they are keyed as they are.
    const expected = emails.map((r) => createHmac('sha256', KEY).update(String(r.email)).digest('hex'));
    for (const r of emails) expect(String(r.email)).toBe(String(r.email).trim().normalize('NFC').toLowerCase());
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(expected).toContain(k);
    const leaks: string[] = [];
    const scan = (p: string) => {
      for (const e of fs.readdirSync(p, { withFileTypes: true })) {
        const f = path.join(p, e.name);
        if (e.isDirectory()) scan(f);
        else if (fs.readFileSync(f).includes(KEY)) leaks.push(path.relative(dir, f));
      }
    };
    scan(path.join(dir, 'target'));
    scan(path.join(dir, 'lake'));
    expect(leaks).toEqual([]);
  });

  it('machine_learning_curated carries no column tagged pii and no email', () => {
    const ml = rows(dir, "select * from {{ ref('machine_learning_curated') }} limit 1")[0]!;
    expect(Object.keys(ml).sort()).toEqual(['distance_from_object', 'sensor_reading_time', 'subject_key', 'x', 'y', 'z']);
    expect(JSON.stringify(rows(dir, "select * from {{ ref('machine_learning_curated') }}"))).not.toMatch(/@/);
  });
});

const hasRealData = fs.existsSync(REAL_DATA);
if (!hasRealData) console.warn(`SKIPPED: the STEDI acceptance data set is not at ${path.relative(REPO, REAL_DATA)}; the real-data tests do not run.`);

describe.skipIf(!hasRealData)('STEDI on the public landing data (acceptance set)', () => {
  let dir: string;
  beforeAll(() => {
    dir = projectCopy();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('any_time reproduces the published trusted and curated counts; the training table pairs per customer', () => {
    build(dir, `{landing_root: "${REAL_DATA}", consent_policy: any_time}`);
    expect(counts(dir)).toEqual({ customer_trusted: 482, accelerometer_trusted: 40981, customer_curated: 482, step_trainer_trusted: 14460, machine_learning_curated: 40981 });
    // The published 43,681 joins on the timestamp alone; the 2,700 extra pairs join one customer's
    // device with another customer's phone.
    const byTimeOnly = rows(dir, "select count(*) as n from {{ ref('step_trainer_trusted') }} s join {{ ref('accelerometer_trusted') }} a on a.reading_time = s.sensor_reading_time")[0]!;
    expect(Number(byTimeOnly.n)).toBe(43681);
  });

  it('as_of_date keeps only readings taken at or after consent', () => {
    build(dir, `{landing_root: "${REAL_DATA}", consent_policy: as_of_date}`);
    expect(counts(dir)).toEqual({ customer_trusted: 482, accelerometer_trusted: 32025, customer_curated: 464, step_trainer_trusted: 11297, machine_learning_curated: 32025 });
    const rec = rows(dir, "select entity, rule, row_count from {{ ref('reconciliation') }} order by entity, rule");
    const landing = (e: string) => Number(rec.find((r) => r.entity === e && r.rule === 'landing')?.row_count);
    expect([landing('customer'), landing('accelerometer'), landing('step_trainer')]).toEqual([956, 81273, 28680]);
  });
});
