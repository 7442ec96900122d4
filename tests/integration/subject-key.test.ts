/**
 * The pseudonymisation key never leaves the runner: after `stedi build`, `stedi docs generate` and
 * `stedi show` of the STEDI project on a real DuckDB, no file under target/ or the lake — compiled
 * SQL, manifest, run_results, docs, Parquet versions, the catalog, the published snapshot — and
 * no output holds the key's bytes; the landing customer rows carry the HMAC-SHA256 of the
 * canonical email the runner computed, and the run_results record the key's fingerprint only.
 * A command that ingests no source with a derived column needs no key; the athena target without
 * one stops before anything is opened.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEmail } from '../../runner/landing/identity.js';
import { keyFingerprint } from '../../runner/landing/derive.js';
import { copyProjectInto, explain, query, stedi, type Finished } from '../helpers/stedi.js';

const KEY = 'Zq7-leak-probe-4f1e9b2c-subject-key-8d0a';

function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-key-'));
  copyProjectInto(dir);
  return dir;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
}

/** Every form the key could take in a file or an output: its text, hex and base64. */
const FORMS = [KEY, Buffer.from(KEY).toString('hex'), Buffer.from(KEY).toString('base64'), KEY.slice(0, 16)];

function expectNoKey(where: string, bytes: Buffer | string): void {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  for (const form of FORMS) expect(b.includes(Buffer.from(form)), `${where} holds the key (${form === KEY ? 'as text' : 'encoded'})`).toBe(false);
}

describe('the pseudonymisation key on the local target', () => {
  let dir: string;
  const outputs: Finished[] = [];
  const env = { STEDI_SUBJECT_KEY: KEY };

  beforeAll(async () => {
    dir = projectCopy();
    for (const args of [['build'], ['docs', 'generate'], ['show', '--select', 'machine_learning_curated', '--limit', '3'], ['show', '--select', 'customer_trusted', '--limit', '3', '--unmask']]) {
      const r = await stedi(dir, args, { env, timeoutMs: 120_000 });
      expect(r.code, explain(r)).toBe(0);
      outputs.push(r);
    }
  }, 240_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('appears in no file under target/ or the lake, and in no output', () => {
    const files = [...filesUnder(path.join(dir, 'target')), ...filesUnder(path.join(dir, 'lake'))];
    expect(files.some((f) => f.endsWith('.parquet'))).toBe(true);
    expect(files.some((f) => f.endsWith('stedi.duckdb'))).toBe(true);
    expect(files.some((f) => f.endsWith('run_results.json'))).toBe(true);
    for (const f of files) expectNoKey(path.relative(dir, f), fs.readFileSync(f));
    for (const r of outputs) {
      expectNoKey('stdout', r.stdout);
      expectNoKey('stderr', r.stderr);
    }
    // with the key in the environment, no key file is created
    expect(fs.existsSync(path.join(dir, '.stedi', 'subject_key'))).toBe(false);
  });

  it('the landing rows carry the HMAC of the canonical email; the tables only carry it on', async () => {
    const landing = await query(dir, 'select email, subject_key from landing.customer');
    expect(landing.length).toBe(32);
    for (const r of landing) {
      const c = canonicalEmail(r.email);
      expect(r.subject_key).toBe(c === null ? null : createHmac('sha256', KEY).update(c).digest('hex'));
    }
    const carried = await query(dir, 'select count(*) as n from curated.machine_learning_curated m where not exists (select 1 from trusted.customer_trusted c where c.subject_key = m.subject_key)');
    expect(Number(carried[0]!.n)).toBe(0);
    expect(Number((await query(dir, 'select count(*) as n from curated.machine_learning_curated'))[0]!.n)).toBeGreaterThan(0);
  });

  it('same_customer_pairs passes on the model and fails on every kind of wrong pair', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')) as { nodes: Record<string, { unique_id: string; compiled_code?: string }> };
    const sql = Object.values(manifest.nodes).find((n) => n.unique_id.startsWith('test.stedi.same_customer_pairs_'))!.compiled_code!;
    const ML = '"curated"."machine_learning_curated"';
    expect(sql).toContain(ML);
    const failures = async (model: string) => Number((await query(dir, `select count(*) as n from (${sql.replaceAll(ML, `(${model})`)}) t`))[0]!.n);
    const rows = `select row_number() over (order by subject_key, sensor_reading_time, x, y, z, distance_from_object) as i, * from ${ML}`;
    const cols = 'sensor_reading_time, distance_from_object, x, y, z, subject_key';
    expect(await failures(`select ${cols} from ${ML}`)).toBe(0);
    // the join on the timestamp alone (the course's): pairs of two customers at the same millisecond
    const byTime = 'select st.sensor_reading_time, st.distance_from_object, a.x, a.y, a.z, c.subject_key from "trusted"."step_trainer_trusted" st join "curated"."customer_curated" c on c.serial_number = st.serial_number join "trusted"."accelerometer_trusted" a on a.reading_time = st.sensor_reading_time';
    const mutations: [string, string][] = [
      ['a row lost', `select ${cols} from (${rows}) r where i > 1`],
      ['a row twice', `select ${cols} from (${rows}) r union all select ${cols} from (${rows}) r where i = 1`],
      ['a phone value of another reading', `select sensor_reading_time, distance_from_object, case when i = 1 then x + 1000 else x end as x, y, z, subject_key from (${rows}) r`],
      ['a device value of another reading', `select sensor_reading_time, case when i = 1 then distance_from_object + 1 else distance_from_object end as distance_from_object, x, y, z, subject_key from (${rows}) r`],
      ['the key of another customer', `select sensor_reading_time, distance_from_object, x, y, z, case when i = 1 then (select max(subject_key) from ${ML} m where m.subject_key <> r.subject_key) else subject_key end as subject_key from (${rows}) r`],
      ['no key', `select sensor_reading_time, distance_from_object, x, y, z, case when i = 1 then null else subject_key end as subject_key from (${rows}) r`],
      ['a key that is no customer\'s', `select sensor_reading_time, distance_from_object, x, y, z, case when i = 1 then repeat('0', 64) else subject_key end as subject_key from (${rows}) r`],
    ];
    // the definition, built: the per-customer join (device serial -> its one owner among the
    // customers, phone reading -> the customer of its email), compared with the model per
    // (subject_key, millisecond): a count that differs, or a row that is no row of the join
    const spec = `select c.subject_key, st.sensor_reading_time, st.distance_from_object, a.x, a.y, a.z
      from "trusted"."step_trainer_trusted" st
      join (select serial_number from "curated"."customer_curated" where serial_number is not null group by serial_number having count(*) = 1 and count(subject_key) = 1) o on o.serial_number = st.serial_number
      join "curated"."customer_curated" c on c.serial_number = st.serial_number
      join "trusted"."accelerometer_trusted" a on a.user_email = c.email and a.reading_time = st.sensor_reading_time`;
    const wrongGroups = async (model: string) =>
      (
        await query(
          dir,
          `with m as (${model}), j as (${spec}),
           mc as (select subject_key, sensor_reading_time, count(*) as n from m group by all),
           jc as (select subject_key, sensor_reading_time, count(*) as n from j group by all)
           select distinct coalesce(mc.subject_key, jc.subject_key) as k, coalesce(mc.sensor_reading_time, jc.sensor_reading_time) as t
           from mc full outer join jc on mc.subject_key is not distinct from jc.subject_key and mc.sensor_reading_time = jc.sensor_reading_time
           where mc.n is distinct from jc.n
           union
           select subject_key, sensor_reading_time from m
           where not exists (select 1 from j where j.subject_key = m.subject_key and j.sensor_reading_time = m.sensor_reading_time and j.distance_from_object is not distinct from m.distance_from_object and j.x is not distinct from m.x and j.y is not distinct from m.y and j.z is not distinct from m.z)
           order by 1, 2`,
        )
      ).map((r) => `${String(r.k)}@${String(r.t)}`);
    const reported = async (model: string) => (await query(dir, `select distinct subject_key as k, sensor_reading_time as t from (${sql.replaceAll(ML, `(${model})`)}) f order by 1, 2`)).map((r) => `${String(r.k)}@${String(r.t)}`);
    expect(await wrongGroups(`select ${cols} from ${ML}`)).toEqual([]);
    for (const [what, model] of mutations) {
      expect(await failures(model), what).toBeGreaterThan(0);
      // exactly the customers and milliseconds the definition finds wrong, named by their key
      const wrong = await wrongGroups(model);
      expect(wrong.length, what).toBeGreaterThan(0);
      expect(await reported(model), what).toEqual(wrong);
    }
    // on the bundled seeds two customers read at one millisecond: the timestamp-only join differs from the model
    expect(Number((await query(dir, `select (select count(*) from (${byTime}) b) - (select count(*) from ${ML}) as n`))[0]!.n)).toBeGreaterThan(0);
    expect(await failures(byTime)).toBeGreaterThan(0);
  });

  it('run_results and the build output name the key by its fingerprint only', () => {
    const rr = JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as unknown;
    const fingerprint = keyFingerprint(Buffer.from(KEY));
    expect(JSON.stringify(rr)).toContain(fingerprint);
    expect(outputs[0]!.stdout + outputs[0]!.stderr).toContain(`Pseudonymisation key fingerprint ${fingerprint}`);
  });

  it('the same key reads no customer file again; a new key (a rotation) reads them all and re-keys every row', async () => {
    const message = () => (JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string; message: string }[] }).results.find((r) => r.unique_id === 'source.stedi.landing.customer')!.message;
    const same = await stedi(dir, ['build', '-s', 'source:landing.customer'], { env, timeoutMs: 120_000 });
    expect(same.code, explain(same)).toBe(0);
    expect(message()).toMatch(/read 0 of \d+ landing files/);
    const NEW = 'Vb3-rotated-probe-91c0d7e4-subject-key-2a6f';
    // the key is an input of every table downstream of the customers: re-keying the customers alone
    // would leave the published tables that read them under the old key (two pseudonyms for one
    // person, joins that silently lose them), so it is refused, naming both fingerprints
    const alone = await stedi(dir, ['build', '-s', 'source:landing.customer'], { env: { STEDI_SUBJECT_KEY: NEW }, timeoutMs: 120_000 });
    expect(alone.code, explain(alone)).not.toBe(0);
    const said = alone.stdout + alone.stderr;
    expect(said).toContain('Refused');
    expect(said).toContain(`pseudonymisation key (fingerprint) of landing.customer is ${keyFingerprint(Buffer.from(NEW))} here but ${keyFingerprint(Buffer.from(KEY))} there`);
    expectNoKey('the refusal', said);
    // nothing was published: the customers still carry the old key's pseudonyms
    const old = await query(dir, 'select email, subject_key from landing.customer');
    expect(old.length).toBeGreaterThan(0);
    for (const r of old) {
      const c = canonicalEmail(r.email);
      expect(r.subject_key).toBe(c === null ? null : createHmac('sha256', KEY).update(c).digest('hex'));
    }
    // the customers and everything downstream of them, under the new key: consistent, allowed
    const rotated = await stedi(dir, ['build', '-s', 'source:landing.customer+'], { env: { STEDI_SUBJECT_KEY: NEW }, timeoutMs: 120_000 });
    expect(rotated.code, explain(rotated)).toBe(0);
    expect(message()).toContain('every landing file was read again (the columns, the line limit, the malformed-line policy or the pseudonymisation key changed)');
    // a source without a derived column does not depend on the key: nothing of it is read again
    const other = await stedi(dir, ['build', '-s', 'source:landing.accelerometer'], { env: { STEDI_SUBJECT_KEY: NEW }, timeoutMs: 120_000 });
    expect(other.code, explain(other)).toBe(0);
    expect((JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string; message: string }[] }).results.find((r) => r.unique_id === 'source.stedi.landing.accelerometer')!.message).toMatch(/read 0 of \d+ landing files/);
    for (const r of await query(dir, 'select email, subject_key from landing.customer')) {
      const c = canonicalEmail(r.email);
      expect(r.subject_key).toBe(c === null ? null : createHmac('sha256', NEW).update(c).digest('hex'));
    }
  }, 240_000);
});

describe('when a command needs the key', () => {
  it('a command that ingests no source with a derived column neither needs nor creates one', async () => {
    const dir = projectCopy();
    try {
      const r = await stedi(dir, ['build', '-s', 'source:landing.accelerometer'], { env: {} });
      expect(r.code, explain(r)).toBe(0);
      expect(r.stdout + r.stderr).not.toContain('fingerprint');
      expect(fs.existsSync(path.join(dir, '.stedi', 'subject_key'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('the athena target without a key stops before anything is opened or sent, and says where a key may come from', async () => {
    const dir = projectCopy();
    try {
      const r = await stedi(dir, ['build', '--target', 'athena'], { env: { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example', AWS_EC2_METADATA_DISABLED: 'true' } });
      expect(r.code, explain(r)).toBe(2);
      expect(r.stderr).toContain('no pseudonymisation key: the athena target refuses to ingest a source with a derived column (subject_key) without one; set STEDI_SUBJECT_KEY or the target setting subject_key_secret_id');
      expect(r.stdout).not.toContain('Running with');
      expect(fs.existsSync(path.join(dir, 'target', 'run_results.json'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
