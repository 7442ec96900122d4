/**
 * The trino target with its landing on S3, on a real S3-compatible server (moto in server mode,
 * `scripts/s3.sh`: STEDI_S3_ENDPOINT and its keys) and a real Trino 476 whose Hive and Iceberg
 * catalogs read it through Trino's native S3 file system (`scripts/trino.sh start` with the same
 * environment): the landing files are uploaded to the server, `landing_root` and `landing_dir`
 * are `s3://` prefixes, and stedi finds the server by AWS_ENDPOINT_URL_S3 alone, as the SDK reads
 * it. The build publishes what the duckdb build publishes from the same files; its parts, and a
 * killed build's parts marked as its own, are removed after; a foreign object and a look-alike
 * version prefix without stedi's marker under the parts prefix are left; a build killed while
 * its parts are on S3 leaves them for the next build to remove. Skipped locally without the S3
 * server or Trino, failing under CI=1.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrinoClient } from '../../runner/adapters/trino/client.js';
import { createS3Api } from '../../runner/adapters/trino/s3.js';
import type { RunResults } from '../../runner/execute/results.js';
import { copyProjectInto, REPO } from '../helpers/stedi.js';

const URL = process.env.STEDI_TRINO_URL;
const WAREHOUSE = process.env.STEDI_TRINO_WAREHOUSE;
const S3 = process.env.STEDI_S3_ENDPOINT;
const KEY = 'trino-s3-test-key-0123456789abcdef';
const BUCKET = `stedi-s3-test-${process.pid}`;
const made: string[] = [];
const schemas: string[] = [];

describe('an S3 server for the tests', () => {
  it.runIf(process.env.CI === '1')('is given in CI (STEDI_S3_ENDPOINT)', () => {
    expect(S3, 'STEDI_S3_ENDPOINT must name the S3 server CI started (scripts/s3.sh start; eval "$(scripts/s3.sh env)"), before Trino is started').toBeTruthy();
  });
});

/** What the spawned stedi gets: the SDK's own variables, nothing stedi-specific. */
const awsEnv = () => ({ AWS_ENDPOINT_URL_S3: S3!, AWS_ACCESS_KEY_ID: process.env.STEDI_S3_ACCESS_KEY!, AWS_SECRET_ACCESS_KEY: process.env.STEDI_S3_SECRET_KEY!, AWS_REGION: process.env.STEDI_S3_REGION ?? 'us-east-1' });

/** The test's own client of the server (explicit settings: the test's process environment is not changed). */
const s3 = () => new S3Client({ endpoint: S3!, region: process.env.STEDI_S3_REGION ?? 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: process.env.STEDI_S3_ACCESS_KEY!, secretAccessKey: process.env.STEDI_S3_SECRET_KEY! } });

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    out.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

const put = (key: string, body: string) => s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

/** Uploads every file under `dir` to `s3://BUCKET/<prefix>/<relative path>`. */
async function upload(dir: string, prefix: string): Promise<number> {
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  const files = walk(dir);
  for (const f of files) await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${path.relative(dir, f).split(path.sep).join('/')}`, Body: fs.readFileSync(f) }));
  return files.length;
}

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-trino-s3-'));
  copyProjectInto(dir);
  made.push(dir);
  return dir;
}

function run(dir: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [path.join(REPO, 'bin/stedi.js'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, STEDI_SUBJECT_KEY: KEY, ...env } });
}

function results(dir: string): RunResults {
  return JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as RunResults;
}

/** What a build published and judged (as tests/integration/trino-build.test.ts compares it). */
function outcome(r: RunResults, stdout: string) {
  const rows = Object.fromEntries(r.results.filter((x) => ['model', 'seed', 'source'].includes(x.resource_type)).map((x) => [x.unique_id, `${x.status} ${String(x.rows_affected ?? '')}`]));
  const tests = Object.fromEntries(r.results.filter((x) => x.resource_type === 'test').map((x) => [x.unique_id, `${x.status} ${String(x.failures ?? '')}`]));
  const reconciliation = stdout.split('\n').filter((l) => /^ {2}\S.* (=|landing =) /.test(l));
  return { rows, tests, reconciliation };
}

describe.skipIf(!URL || !WAREHOUSE || !S3)('stedi build --target trino with the landing on S3', () => {
  // the seeds' landing files, uploaded once for every test of the file
  let uploaded = 0;
  beforeAll(async () => {
    await s3().send(new CreateBucketCommand({ Bucket: BUCKET }));
    uploaded = await upload(path.join(REPO, 'seeds', 'landing'), 'landing');
  });

  afterAll(async () => {
    const trino = new TrinoClient({ url: URL!, user: 'stedi', catalog: 'iceberg', schema: 'default' });
    for (const s of schemas) {
      const t = await trino.query(`SELECT table_name, table_type FROM iceberg.information_schema.tables WHERE table_schema = '${s}'`).catch(() => ({ rows: [] as unknown[][] }));
      for (const [name, type] of t.rows as [string, string][]) await trino.query(`DROP ${type === 'VIEW' ? 'VIEW' : 'TABLE'} iceberg."${s}"."${name}"`);
      await trino.query(`DROP SCHEMA IF EXISTS iceberg."${s}"`);
    }
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });

  const trinoEnv = (schema: string) => ({ ...awsEnv(), STEDI_TRINO_URL: URL!, STEDI_TRINO_SCHEMA: schema, STEDI_TRINO_LANDING_DIR: `s3://${BUCKET}/parts`, STEDI_TRINO_LANDING_LOCATION: `s3://${BUCKET}/parts` });

  it('the SDK client reaches the server by AWS_ENDPOINT_URL_S3 (an IP address: path style by itself) and by AWS_ENDPOINT_URL with a host name and forcePathStyle', async () => {
    await put('probe/a.json', '{}\n');
    const saved = { ...process.env };
    try {
      delete process.env.AWS_ENDPOINT_URL;
      Object.assign(process.env, awsEnv());
      const byIp = await (await createS3Api()).call('ListObjectsV2', { Bucket: BUCKET, Prefix: 'probe/' });
      expect(byIp.Contents?.map((o) => o.Key)).toEqual(['probe/a.json']);
      delete process.env.AWS_ENDPOINT_URL_S3;
      process.env.AWS_ENDPOINT_URL = S3!.replace('127.0.0.1', 'localhost');
      const byName = await (await createS3Api({ forcePathStyle: true })).call('ListObjectsV2', { Bucket: BUCKET, Prefix: 'probe/' });
      expect(byName.Contents?.map((o) => o.Key)).toEqual(['probe/a.json']);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('from the seeds uploaded to S3: the duckdb build\'s rows, test verdicts and reconciliation; its parts removed, a killed build\'s own parts removed, foreign objects left', async () => {
    const dir = project();
    const schema = `stedi_s3_${process.pid}`;
    schemas.push(schema);
    expect(uploaded).toBeGreaterThan(3);
    // under the parts prefix: a foreign object; a look-alike version prefix without a marker;
    // and what a killed build of this project and target left (a marker naming it, a part)
    const lookAlike = 'parts/customer/customer/v=20261201T000000Z-0badc0de/part-00000.json.gz';
    const killed = 'parts/accelerometer/accelerometer/v=20261201T000000Z-0000beef/';
    await put('parts/customer/customer/notes.txt', 'not stedi\'s');
    await put(lookAlike, 'not stedi\'s');
    await put(`${killed}part-00000.json.gz`, 'left by a killed build');
    await put('parts/accelerometer/accelerometer/_stedi_versions/v=20261201T000000Z-0000beef.json', JSON.stringify({ project: 'stedi', target: 'trino', node: 'source.stedi.landing.accelerometer', location: `s3://${BUCKET}/${killed}` }));

    const vars = '{consent_policy: as_of_date}';
    const l = run(dir, ['build', '--target', 'local', '--vars', vars]);
    expect(l.status, `${l.stdout}\n${l.stderr}`).toBe(0);
    const local = outcome(results(dir), l.stdout);
    const t0 = Date.now();
    const t = run(dir, ['build', '--target', 'trino', '--vars', `{landing_root: s3://${BUCKET}/landing, consent_policy: as_of_date}`], trinoEnv(schema));
    const seconds = (Date.now() - t0) / 1000;
    expect(t.status, `${t.stdout}\n${t.stderr}`).toBe(0);
    const built = results(dir);
    const trino = outcome(built, t.stdout);
    expect(Object.keys(trino.tests).length).toBeGreaterThan(40);
    expect(trino.rows).toEqual(local.rows);
    expect(trino.tests).toEqual(local.tests);
    expect(trino.reconciliation.length).toBeGreaterThan(3);
    expect(trino.reconciliation).toEqual(local.reconciliation);
    // the sources read the S3 landing files, and say what they swept and what they left
    const source = (name: string) => built.results.find((r) => r.unique_id === `source.stedi.landing.${name}`)!;
    expect(source('customer').message).toContain(`warning: left in place, no ownership marker of stedi/trino: s3://${BUCKET}/parts/customer/customer/v=20261201T000000Z-0badc0de/`);
    expect(source('accelerometer').message).toContain(`removed what an interrupted build left: landing parts s3://${BUCKET}/${killed}`);
    // only the foreign objects are left under the parts prefix: no part, no marker of stedi's
    expect(await keys('parts/')).toEqual(['parts/customer/customer/notes.txt', lookAlike]);
    expect(await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: lookAlike })).then((o) => o.Body!.transformToString())).toBe('not stedi\'s');
    // the landing files were only read
    expect((await keys('landing/')).length).toBe(uploaded);
    console.log(`trino build of the seeds with its landing on S3: ${seconds.toFixed(1)} s`);
  }, 600_000);

  it('a target without landing_location reads the parts at landing_dir; s3_force_path_style reaches a server named by host name (AWS_ENDPOINT_URL)', async () => {
    const dir = project();
    const schema = `stedi_s3_default_${process.pid}`;
    schemas.push(schema);
    const yml = path.join(dir, 'stedi_project.yml');
    const target = `  trino_s3: { type: trino, url: "{{ env_var('STEDI_TRINO_URL') }}", schema: ${schema}, landing_dir: "s3://${BUCKET}/parts-default", s3_force_path_style: true }\n`;
    fs.writeFileSync(yml, fs.readFileSync(yml, 'utf8').replace(/^targets:\n/m, `targets:\n${target}`));
    const { AWS_ENDPOINT_URL_S3: _ip, ...env } = { ...awsEnv(), AWS_ENDPOINT_URL: S3!.replace('127.0.0.1', 'localhost'), STEDI_TRINO_URL: URL! };
    const r = run(dir, ['build', '--target', 'trino_s3', '-s', 'source:landing.customer', '--exclude', 'resource_type:test', '--vars', `{landing_root: s3://${BUCKET}/landing}`], env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const trino = new TrinoClient({ url: URL!, user: 'stedi', catalog: 'iceberg', schema });
    const local = run(dir, ['build', '--target', 'local', '-s', 'source:landing.customer', '--exclude', 'resource_type:test']);
    expect(local.status, local.stdout + local.stderr).toBe(0);
    const want = results(dir).results.find((x) => x.unique_id === 'source.stedi.landing.customer')!.message;
    const [[n]] = (await trino.query('SELECT count(*) FROM customer')).rows as [[number]];
    expect(want).toContain(`= ${n} accepted`);
    expect(n).toBeGreaterThan(10);
    expect(await keys('parts-default/')).toEqual([]);
  }, 300_000);

  it('a build killed (SIGKILL) while its parts are on S3 leaves them; the next build removes them and leaves nothing under the parts prefix', async () => {
    const dir = project();
    const schema = `stedi_s3_kill_${process.pid}`;
    schemas.push(schema);
    const env = { ...trinoEnv(schema), STEDI_TRINO_LANDING_DIR: `s3://${BUCKET}/parts-kill`, STEDI_TRINO_LANDING_LOCATION: `s3://${BUCKET}/parts-kill` };
    const args = ['build', '--target', 'trino', '-s', 'resource_type:source', '--exclude', 'resource_type:test', '--vars', `{landing_root: s3://${BUCKET}/landing}`];
    const child = spawn(process.execPath, [path.join(REPO, 'bin/stedi.js'), ...args], { cwd: dir, env: { ...process.env, STEDI_SUBJECT_KEY: KEY, ...env }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let done = false;
    void exited.then(() => (done = true));
    // killed as soon as a part is on S3 (its marker is written first), before the copy into Iceberg ends
    let seen: string[] = [];
    while (!done && !seen.some((k) => k.includes('/part-'))) seen = await keys('parts-kill/');
    child.kill('SIGKILL');
    expect(await exited, 'the build ended before a part was seen on S3').toBe('SIGKILL');
    const left = await keys('parts-kill/');
    expect(left.filter((k) => k.includes('/_stedi_versions/')).length).toBeGreaterThan(0);
    const r = run(dir, args, env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const messages = results(dir).results.map((x) => x.message ?? '').join('\n');
    expect(messages).toContain(`removed what an interrupted build left: `);
    expect(messages).toContain(`landing parts s3://${BUCKET}/parts-kill/`);
    expect(await keys('parts-kill/')).toEqual([]);
  }, 300_000);

  it('fails closed when the landing prefix holds no object, naming it', async () => {
    const dir = project();
    const schema = `stedi_s3_missing_${process.pid}`;
    schemas.push(schema);
    const r = run(dir, ['build', '--target', 'trino', '-s', 'source:landing.customer', '--vars', `{landing_root: s3://${BUCKET}/no-such-landing}`], trinoEnv(schema));
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(`the landing prefix s3://${BUCKET}/no-such-landing/customer/landing/ holds no object`);
    expect(await keys('parts/customer/customer/_stedi')).toEqual([]);
  }, 300_000);
});
