/**
 * The Athena plan executed on a real Trino 476 (scripts/trino.sh; .ci/run starts one): the
 * statements `stedi build --target athena --dry-run` prints for the STEDI project run on Trino's
 * Iceberg and Hive catalogs with only the mapping of tests/helpers/athena-plan.ts (S3 locations,
 * Athena-only CTAS properties, Glue calls), over landing tables fed with the parts the runner's
 * own Athena landing sink writes. For the bundled seeds and for ../shared/data/udacity-stedi,
 * under both consent policies, every published table must hold exactly the rows the DuckDB
 * target publishes for the same data, and every data test must run and find exactly the failing
 * rows it finds on DuckDB.
 * In CI a missing Trino fails these tests; elsewhere they are skipped, saying how to start one.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../runner/execute/results.js';
import type { Manifest } from '../../runner/manifest/types.js';
import { athenaLandingParts, type LandingParts } from '../helpers/athena-landing.js';
import { PlanOnTrino, planSteps } from '../helpers/athena-plan.js';
import { copyProjectInto, REPO } from '../helpers/stedi.js';
import { trinoServer, trinoSession, type TrinoServer } from '../helpers/trino.js';
import { KEY } from '../unit/athena/harness.js';

const server = trinoServer();
const inCi = !!process.env.CI;
if (typeof server === 'string' && !inCi) console.warn(`SKIPPED the Athena plan on Trino: ${server}`);

const REAL_DATA = path.resolve(REPO, '../shared/data/udacity-stedi');
const DATASETS = { seeds: path.join(REPO, 'seeds', 'landing'), ...(fs.existsSync(REAL_DATA) ? { udacity: REAL_DATA } : {}) };
if (!fs.existsSync(REAL_DATA)) console.warn(`SKIPPED the Athena plan on Trino for the public STEDI data: ${path.relative(REPO, REAL_DATA)} is not there`);
const POLICIES = ['as_of_date', 'any_time'] as const;
/** The bucket of the plan's S3 locations; `s3://lake-bucket/x` runs as `local:///x`. */
const BUCKET = 's3://lake-bucket/';
/** Per test file run, so that a rerun on the same Trino never meets an earlier run's tables. */
const RUN = `t${Date.now().toString(36)}`;

const temp: string[] = [];
function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-athena-trino-'));
  copyProjectInto(dir);
  temp.push(dir);
  return dir;
}

function stediSync(cwd: string, args: string[]): string {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin', 'stedi.js'), ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, STEDI_SUBJECT_KEY: KEY } });
  if (r.status !== 0) throw new Error(`stedi ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/** The dry run, without blocking this process; no AWS credentials or endpoint is needed. */
async function dryRun(database: string, policy: string): Promise<{ out: string; manifest: Manifest }> {
  const cwd = projectCopy();
  const out = await dryRunOutput(cwd, database, policy);
  return { out, manifest: JSON.parse(fs.readFileSync(path.join(cwd, 'target', 'manifest.json'), 'utf8')) as Manifest };
}

function dryRunOutput(cwd: string, database: string, policy: string): Promise<string> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('STEDI_')));
  const env = {
    ...base, AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'eu-west-1', STEDI_SUBJECT_KEY: KEY,
    STEDI_ATHENA_DATABASE: database, STEDI_ATHENA_WORKGROUP: 'stedi', STEDI_S3_DATA_DIR: `${BUCKET}${RUN}/${database}/zones`, STEDI_LANDING_ROOT: `${BUCKET}landing`,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'stedi.js'), 'build', '--target', 'athena', '--dry-run', '--vars', `{consent_policy: ${policy}}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`the dry run exited ${code}:\n${err}`))));
  });
}

interface Outcome {
  /** Rows of every published table (models, seeds, landing tables), by name. */
  rows: Record<string, number>;
  /** Failing rows of every data test, by test name. */
  failures: Record<string, number>;
}

/** The tables a build publishes: models, seeds and landing sources (accepted rows). */
function published(manifest: Manifest): { name: string; ref: string; landing: boolean }[] {
  return Object.values(manifest.nodes).flatMap((n): { name: string; ref: string; landing: boolean }[] => {
    if (n.resource_type === 'model' || n.resource_type === 'seed') return [{ name: n.name, ref: `{{ ref('${n.name}') }}`, landing: false }];
    if (n.resource_type === 'source') return [{ name: n.name, ref: `{{ source('${n.source_name}', '${n.name}') }}`, landing: true }];
    return [];
  });
}

/** The DuckDB target's build of the same landing data: published rows and test failures. */
function onDuckDb(landing: string, policy: string): Outcome & { manifest: Manifest } {
  const dir = projectCopy();
  stediSync(dir, ['build', '--quiet', '--vars', `{landing_root: "${landing}", consent_policy: ${policy}}`]);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')) as Manifest;
  const results = JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as RunResults;
  const failures = Object.fromEntries(results.results.filter((r) => r.resource_type === 'test').map((r) => [r.name, r.failures ?? NaN]));
  const sql = published(manifest).map((t) => `select '${t.name}' as t, count(*) as n from ${t.ref}`).join(' union all ');
  const counted = JSON.parse(stediSync(dir, ['show', '--inline', sql, '--limit', '1000', '--output', 'json'])) as { t: string; n: number }[];
  return { manifest, failures, rows: Object.fromEntries(counted.map((r) => [r.t, Number(r.n)])) };
}

/** The dry run's plan executed on Trino; what it published and what its tests found. */
async function onTrino(trino: TrinoServer, parts: LandingParts, database: string, policy: string): Promise<Outcome & { landingAudits: unknown[][] }> {
  const { out: printed, manifest } = await dryRun(database, policy);
  const plan = planSteps(printed);
  const local = (folder: string) => `local:///${path.relative(trino.warehouse, folder)}`;
  const mapping = new PlanOnTrino({ s3Prefix: BUCKET, landingParts: Object.fromEntries(Object.entries(parts.folders).map(([n, f]) => [n, local(f)])) });
  const session = trinoSession(trino, 'iceberg', database);
  await session.query(`CREATE SCHEMA hive."${database}"`);
  const tests = Object.values(manifest.nodes).filter((n) => n.resource_type === 'test');
  const out = { rows: {} as Record<string, number>, failures: {} as Record<string, number>, landingAudits: [] as unknown[][] };
  for (const step of plan) {
    for (const s of mapping.statements(step)) {
      const r = await session.query(s.sql, s.session);
      if (s.test !== undefined) {
        // the test whose compiled SQL this is, once the candidate's name is its published one
        const body = s.test.replace(/__stedi_\d{8}t\d{6}z_[0-9a-f]{8}"/g, '"').trim();
        const test = tests.filter((t) => String(t.compiled_code ?? '').trim() === body);
        expect(test.map((t) => t.name), body).toHaveLength(1);
        expect(out.failures, test[0]!.name).not.toHaveProperty(test[0]!.name);
        out.failures[test[0]!.name] = Number(r.rows[0]![0]);
      } else if (/^SELECT \(SELECT count\(\*\) FROM /.test(s.sql)) out.landingAudits.push(r.rows[0]!);
    }
  }
  for (const t of published(manifest)) {
    const r = await session.query(`select count(*) from ${t.landing ? 'hive' : 'iceberg'}."${database}"."${t.name}"`);
    out.rows[t.name] = Number(r.rows[0]![0]);
  }
  return out;
}

describe.skipIf(typeof server === 'string' && !inCi)('the Athena plan executed on Trino 476', () => {
  const databases: string[] = [];
  let trino: TrinoServer;
  const parts: Record<string, LandingParts> = {};
  beforeAll(async () => {
    if (typeof server === 'string') throw new Error(`CI=1 but ${server}`);
    trino = server;
    for (const [name, dir] of Object.entries(DATASETS)) parts[name] = await athenaLandingParts(dir, path.join(trino.warehouse, RUN, `landing-${name}`));
  }, 300_000);
  afterAll(async () => {
    temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    if (typeof server === 'string') return;
    const session = trinoSession(server, 'hive');
    for (const db of databases) {
      const tables = await session.query(`SHOW TABLES FROM hive."${db}"`).catch(() => ({ rows: [] as unknown[][] }));
      for (const [t] of tables.rows) {
        await session.query(`CALL iceberg.system.unregister_table(schema_name => '${db}', table_name => '${String(t)}')`).catch(() => session.query(`DROP TABLE hive."${db}"."${String(t)}"`));
      }
      await session.query(`DROP SCHEMA IF EXISTS hive."${db}"`);
      // the file metastore (<warehouse>/metastore, scripts/trino.sh) leaves a dropped schema's empty folders behind
      fs.rmSync(path.join(server.warehouse, 'metastore', db), { recursive: true, force: true });
    }
    fs.rmSync(path.join(server.warehouse, RUN), { recursive: true, force: true });
  }, 120_000);

  for (const [dataset, landingDir] of Object.entries(DATASETS)) {
    for (const policy of POLICIES) {
      it(`${dataset} landing data, consent_policy ${policy}: the published rows and every data test's failures are DuckDB's`, async () => {
        const database = `${RUN}_${dataset}_${policy}`;
        databases.push(database);
        const duck = onDuckDb(landingDir, policy);
        const landing = parts[dataset]!;
        const got = await onTrino(trino, landing, database, policy);
        expect(got.rows).toEqual(duck.rows);
        expect(got.failures).toEqual(duck.failures);
        expect(Object.keys(got.failures)).toHaveLength(Object.values(duck.manifest.nodes).filter((n) => n.resource_type === 'test').length);
        // the landing audit (each candidate counted before it is published) counts the real parts
        const sources = published(duck.manifest).filter((t) => t.landing).map((t) => t.name).sort();
        expect(got.landingAudits.map((a) => a.map(Number))).toEqual(sources.map((s) => [landing.rows[s], landing.rows[`${s}__rejects`]]));
        // the data is real: the seeds and the real landing data publish rows in every table
        for (const [t, n] of Object.entries(got.rows)) expect(n, t).toBeGreaterThan(0);
      }, 600_000);
    }
  }
});
