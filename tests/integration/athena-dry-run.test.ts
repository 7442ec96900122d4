/**
 * `stedi build --target athena --dry-run` as a user runs it: the real CLI (bin/stedi.js → dist/,
 * built by globalSetup) in a temp copy of the STEDI project, with no AWS credentials at all.
 * A local HTTP server stands in for every AWS endpoint (AWS_ENDPOINT_URL), so a request that
 * did leave the process would be seen.
 */
import { fillWindow } from '../../runner/core/batches.js';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyProjectInto } from '../helpers/stedi.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const KEY = 'dry-run-subject-key-that-must-never-print-7f3a9c';
const MODELS = ['customer_trusted', 'accelerometer_trusted', 'customer_curated', 'step_trainer_trusted', 'machine_learning_curated', 'reconciliation'];
const SOURCES = ['customer', 'accelerometer', 'step_trainer'];

/** Every request that reached "AWS": method, path and the X-Amz-Target (the operation). */
const requests: { target: string; body: string }[] = [];
let server: http.Server;
let endpoint = '';
let dir = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ target: String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`), body });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'InvalidRequestException', Message: 'this is not AWS' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requests.length = 0;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-athena-dry-'));
  copyProjectInto(dir);
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * The environment of a machine without AWS credentials: nothing inherited from AWS_* or
 * STEDI_*, no shared config or credentials file, no instance metadata, a profile that does not
 * exist, every endpoint pointed at the local server.
 */
function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('STEDI_')));
  const all: NodeJS.ProcessEnv = {
    ...base,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PROFILE: 'stedi-no-such-profile',
    AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'eu-west-1',
    STEDI_ATHENA_DATABASE: 'stedi',
    STEDI_ATHENA_WORKGROUP: 'stedi',
    STEDI_S3_DATA_DIR: 's3://lake-bucket/zones',
    STEDI_LANDING_ROOT: 's3://lake-bucket/landing',
    ...extra,
  };
  for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
  return all;
}

/** Runs the CLI without blocking this process (the fake endpoint must keep answering). */
function stedi(args: string[], environment: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'stedi.js'), ...args], { cwd: dir, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

interface Printed {
  call: string;
  head: string;
  sql: string;
}

/** The printed calls: `service:Operation …`, a query's SQL on the lines after it. */
function printedCalls(out: string): Printed[] {
  const calls: Printed[] = [];
  for (const line of out.split('\n')) {
    const m = /^(athena|glue|s3):([A-Za-z0-9]+)\b/.exec(line);
    if (m) calls.push({ call: `${m[1]}:${m[2]}`, head: line, sql: '' });
    else if (/^\d\d:\d\d:\d\d /.test(line) || line.startsWith('Finished running') || line.startsWith('Done.')) calls.push({ call: 'report', head: line, sql: '' });
    else if (calls.length && calls[calls.length - 1]!.call === 'athena:StartQueryExecution') calls[calls.length - 1]!.sql += `${line}\n`;
  }
  return calls.filter((c) => c.call !== 'report').map((c) => ({ ...c, sql: c.sql.trim() }));
}

/** `<name>` of a glue call's table (Name, TableName or TableInput.Name). */
function tableOf(c: Printed): string | undefined {
  const json = c.head.slice(c.head.indexOf(' ') + 1).replace(/ Body=<\d+ bytes>$/, '');
  if (!json.startsWith('{')) return undefined;
  const i = JSON.parse(json) as { Name?: string; TableName?: string; TableInput?: { Name?: string } };
  return i.Name ?? i.TableName ?? i.TableInput?.Name;
}

function filesUnder(p: string): string[] {
  return fs.readdirSync(p, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(p, e.name)) : [path.join(p, e.name)]));
}

describe('stedi build --target athena --dry-run (the CLI, no AWS credentials)', () => {
  it('exits 0 and prints every call in order, each model built, tested and published; the key never appears; no run_results.json', async () => {
    const r = await stedi(['build', '--target', 'athena', '--dry-run'], env({ STEDI_SUBJECT_KEY: KEY }));
    expect(r.err).not.toMatch(/ERROR|internal error|Credential/i);
    expect(r.code).toBe(0);
    expect(requests).toEqual([]);
    // the AWS SDK's 9-line Node.js notice is not printed; stedi's one line is, once, below Node.js 22
    expect(r.out + r.err).not.toContain('NodeVersionSupportWarning');
    const notices = r.err.split('\n').filter((l) => /^warning: Node\.js v[\d.]+: the AWS SDK releases after .* require Node\.js 22 or later/.test(l));
    expect(notices).toHaveLength(Number(process.versions.node.split('.')[0]) < 22 ? 1 : 0);
    expect(r.out.split('\n')[0]).toMatch(/^DRY RUN on athena: .*planned as a first build \(an empty Glue database, no landing object on S3.*nothing is sent to AWS\.$/);
    // the three sources warn: a first build over an empty landing zone reads no record
    expect(r.out).toMatch(/\nDone\. PASS=\d+ WARN=3 ERROR=0 SKIP=0 TOTAL=\d+\n/);

    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')) as { nodes: Record<string, { entity: string; zone?: string; config: { zone?: string; incremental_strategy?: string }; compiled_code?: string }> };
    const calls = printedCalls(r.out);
    const names = calls.map((c) => `${c.call}${tableOf(c) ? ` ${tableOf(c)}` : ''}`);
    // opening: the workgroup (result location, engine), the database, leftover candidates
    expect(names.slice(0, 3)).toEqual(['athena:GetWorkGroup', 'glue:GetDatabase stedi', 'glue:GetTables']);
    expect(calls[0]!.head).toBe('athena:GetWorkGroup {"WorkGroup":"stedi"}');
    // only operations the IAM policy of the README grants
    expect([...new Set(calls.map((c) => c.call))].sort()).toEqual([
      'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:GetWorkGroup', 'athena:StartQueryExecution',
      'glue:CreateTable', 'glue:DeleteTable', 'glue:GetDatabase', 'glue:GetTable', 'glue:GetTableVersions', 'glue:GetTables', 'glue:UpdateTable', 's3:ListObjectsV2', 's3:PutObject',
    ]);
    // every object written is an ownership marker beside a version prefix, or a landing table's
    // manifest or ingestion state (a first build over an empty landing zone writes no data part)
    for (const c of calls.filter((x) => x.call === 's3:PutObject')) {
      expect(c.head).toMatch(/"Key":"zones\/[a-z_]+\/[a-z_]+\/[a-z_]+\/(_stedi_versions\/v=\d{8}T\d{6}Z-[0-9a-f]{8}\.json|v=\d{8}T\d{6}Z-[0-9a-f]{8}\/(_symlink_format_manifest\/manifest|_stedi_state\.json\.gz))"/);
    }

    // landing sources: both tables looked up, the landing prefix listed, then the ingestion's
    // output published through Glue (never by a query), the rejects first
    for (const s of SOURCES) {
      const i = names.indexOf(`glue:GetTable ${s}`);
      expect(i, s).toBeGreaterThan(2);
      // the landing prefix is listed first (a prefix of the lake is marked as this project's right before its first object)
      expect(names.slice(i + 1, i + 3)).toEqual([`glue:GetTable ${s}__rejects`, 's3:ListObjectsV2']);
      expect(calls[i + 2]!.head).toBe(`s3:ListObjectsV2 {"Bucket":"lake-bucket","Prefix":"landing/${s}/landing/","Delimiter":"/"}`);
      const rejects = names.indexOf(`glue:CreateTable ${s}__rejects`, i);
      const table = names.indexOf(`glue:CreateTable ${s}`, i);
      expect(rejects, s).toBeGreaterThan(i + 2);
      expect(table, s).toBe(rejects + 1);
      const input = JSON.parse(calls[table]!.head.slice(calls[table]!.head.indexOf(' ') + 1)).TableInput;
      expect(input.StorageDescriptor.Location).toMatch(new RegExp(`^s3://lake-bucket/zones/${s}/landing/${s}/v=\\d{8}T\\d{6}Z-[0-9a-f]{8}/_symlink_format_manifest/$`));
      expect(input.Parameters).toMatchObject({ stedi_managed: 'true', stedi_landing_location: `s3://lake-bucket/landing/${s}/landing/`, stedi_lines_read: '0' });
    }

    // every statement: one per StartQueryExecution, in the workgroup, catalog and database
    const starts = calls.filter((c) => c.call === 'athena:StartQueryExecution');
    // no execution parameter at all: the key never reaches Athena
    for (const s of starts) expect(s.head).toBe('athena:StartQueryExecution WorkGroup=stedi Catalog=AwsDataCatalog Database=stedi');
    const ctasAt: Record<string, number> = {};
    for (const name of [...MODELS, 'exclusion_rules']) {
      // write: the model's CTAS into a candidate at a fresh version prefix
      const i = calls.findIndex((c) => c.call === 'athena:StartQueryExecution' && c.sql.startsWith(`CREATE TABLE "stedi"."${name}__stedi_`));
      expect(i, name).toBeGreaterThan(0);
      ctasAt[name] = i;
      const candidate = /^CREATE TABLE "stedi"\."([a-z0-9_]+)"/.exec(calls[i]!.sql)![1]!;
      const version = /__stedi_(\d{8})t(\d{6})z_([0-9a-f]{8})$/.exec(candidate)!;
      const node = manifest.nodes[`${name === 'exclusion_rules' ? 'seed' : 'model'}.stedi.${name}`]!;
      const location = `s3://lake-bucket/zones/${node.entity}/${node.zone ?? node.config.zone}/${name}/v=${version[1]}T${version[2]}Z-${version[3]}/`;
      const head = `CREATE TABLE "stedi"."${candidate}"\nWITH (table_type = 'ICEBERG', is_external = false, location = '${location}', format = 'PARQUET', write_compression = 'ZSTD')\nAS\n`;
      // a model's statement is its compiled SQL (as in target/manifest.json) in an Iceberg CTAS; a
      // microbatch model is built whole there: every batch window is TRUE
      if (name === 'exclusion_rules') expect(calls[i]!.sql.startsWith(`${head}SELECT *\nFROM (\n  VALUES\n`)).toBe(true);
      else expect(calls[i]!.sql, name).toBe(`${head}${fillWindow(String(node.compiled_code), () => 'TRUE').trim()}`);
      // the published table is read; a microbatch model then reads the columns of what its state's
      // fingerprints and key types need (read-only LIMIT 0 queries; a dry run answers no columns
      // for a table it did not make, so the model is built whole, saying why); the new version's
      // prefix is marked as this project's, then the CTAS
      const read = names.lastIndexOf(`glue:GetTable ${name}`, i);
      const shapes = calls.slice(read, i).filter((c) => c.call === 'athena:StartQueryExecution').map((c) => c.sql);
      expect(names.slice(read, i), name).toEqual([`glue:GetTable ${name}`, ...shapes.flatMap(() => ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults']), 's3:PutObject']);
      for (const sql of shapes) expect(sql, name).toMatch(/^SELECT \* FROM [\s\S]+ LIMIT 0$/);
      if (node.config.incremental_strategy === 'microbatch') expect(shapes.length, name).toBeGreaterThan(0);
      else expect(shapes, name).toEqual([]);
      // the rows the CTAS wrote, then the candidate stamped with its owner
      expect(names.slice(i + 1, i + 5)).toEqual(['athena:GetQueryExecution', 'athena:GetQueryResults', `glue:GetTable ${candidate}`, `glue:UpdateTable ${candidate}`]);
      // audit: the blocking tests read the candidate, then publish, then the candidate is dropped from Glue, then pruning
      const publish = names.indexOf(`glue:CreateTable ${name}`, i);
      expect(publish, name).toBeGreaterThan(i + 5);
      const audit = calls.slice(i + 5, publish);
      expect(audit.length % 3).toBe(0);
      for (let k = 0; k < audit.length; k += 3) {
        expect(audit.slice(k, k + 3).map((c) => c.call)).toEqual(['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults']);
        expect(audit[k]!.sql).toMatch(/^select count\(\*\) as failures from \(/);
        expect(audit[k]!.sql).not.toMatch(new RegExp(`"stedi"\\."${name}"`));
      }
      expect(audit.filter((c) => c.sql.includes(`"stedi"."${candidate}"`)).length, `${name} has blocking tests on its candidate`).toBeGreaterThan(0);
      expect(names.slice(publish + 1, publish + 3)).toEqual([`glue:DeleteTable ${candidate}`, `glue:GetTableVersions ${name}`]);
      expect(JSON.parse(calls[publish]!.head.slice(calls[publish]!.head.indexOf(' ') + 1)).TableInput.Parameters).toMatchObject({ stedi_managed: 'true', stedi_project: 'stedi', stedi_target: 'athena', stedi_node: expect.stringMatching(new RegExp(`\\.${name}$`)) });
    }
    // models run in dependency order
    const before = (a: string, b: string) => expect(ctasAt[a]!, `${a} before ${b}`).toBeLessThan(ctasAt[b]!);
    before('customer_trusted', 'customer_curated');
    before('accelerometer_trusted', 'customer_curated');
    before('customer_trusted', 'step_trainer_trusted');
    before('customer_curated', 'machine_learning_curated');
    before('step_trainer_trusted', 'machine_learning_curated');
    before('accelerometer_trusted', 'machine_learning_curated');
    for (const m of MODELS.filter((x) => x !== 'reconciliation')) before(m, 'reconciliation');
    before('exclusion_rules', 'reconciliation');
    // the training table only joins the subject_key the landing ingestion derived
    expect(calls[ctasAt.machine_learning_curated!]!.sql).toContain('c.subject_key');

    // the key (and the stand-in used for the dry run) are printed nowhere and written nowhere
    expect(r.out).not.toContain(KEY);
    expect(r.err).not.toContain(KEY);
    expect(r.out + r.err).not.toContain('dry-run-placeholder');
    const written = filesUnder(path.join(dir, 'target'));
    expect(written.map((f) => path.relative(dir, f))).toContain(path.join('target', 'manifest.json'));
    for (const f of written) expect(fs.readFileSync(f, 'utf8'), f).not.toContain(KEY);
    expect(fs.existsSync(path.join(dir, 'target', 'run_results.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
  });

  it('without STEDI_SUBJECT_KEY a dry run still plans (with a warning), and a real build exits 2 before any AWS call', async () => {
    const dry = await stedi(['build', '--target', 'athena', '--dry-run'], env());
    expect(dry.code).toBe(0);
    expect(dry.out + dry.err).toContain('neither STEDI_SUBJECT_KEY nor subject_key_secret_id is set: a real build on athena would refuse to start');
    expect(requests).toEqual([]);

    // credentials that would sign a request, so that a call would reach the local endpoint
    const creds = { AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: 'fake-access-key-id', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-a-local-endpoint' };
    const real = await stedi(['build', '--target', 'athena'], env(creds));
    expect(real.err).toContain('no pseudonymisation key: the athena target refuses to ingest a source with a derived column (subject_key) without one');
    expect(real.code).toBe(2);
    expect(requests).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'target', 'run_results.json'))).toBe(false);

    // the same build with the key does reach "AWS" first thing: the check above would see a call
    const withKey = await stedi(['build', '--target', 'athena'], env({ ...creds, STEDI_SUBJECT_KEY: KEY }));
    expect(withKey.code).not.toBe(0);
    expect(withKey.err).toContain("the Athena workgroup 'stedi' cannot be read: this is not AWS");
    expect(requests.map((q) => q.target)).toEqual(['AmazonAthena.GetWorkGroup']);
    expect(requests[0]!.body).not.toContain(KEY);
  });

  it('refuses what the real build refuses before its first AWS call: a malformed key, a bad --threads (exit 2, nothing printed as sent)', async () => {
    const creds = { AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: 'fake-access-key-id', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-a-local-endpoint' };
    for (const bad of ['too-short-key', 'sixteen-chars-and-\u00e9-accent']) {
      const real = await stedi(['build', '--target', 'athena'], env({ ...creds, STEDI_SUBJECT_KEY: bad }));
      const dry = await stedi(['build', '--target', 'athena', '--dry-run'], env({ STEDI_SUBJECT_KEY: bad }));
      expect(real.code, real.err).toBe(2);
      expect(dry.code, dry.out + dry.err).toBe(2);
      const reason = real.err.split('\n').find((l) => l.startsWith('STEDI_SUBJECT_KEY'));
      expect(reason, real.err).toMatch(/^STEDI_SUBJECT_KEY (is too short|must be 16 to 256 printable ASCII characters)/);
      expect(dry.err).toContain(reason!);
      expect(printedCalls(dry.out)).toEqual([]);
      expect(dry.out + dry.err).not.toContain(bad);
    }
    const threads = await stedi(['build', '--target', 'athena', '--dry-run', '--threads', '0'], env({ STEDI_SUBJECT_KEY: KEY }));
    expect(threads.code).toBe(2);
    expect(threads.err).toContain("--threads must be a whole number of at least 1, not '0'");
    expect(printedCalls(threads.out)).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('a real build on a machine without AWS credentials says so (exit 1), not an internal error', async () => {
    const r = await stedi(['build', '--target', 'athena'], env({ STEDI_SUBJECT_KEY: KEY }));
    expect(r.err).toContain("no usable AWS credentials for the athena target (region eu-west-1, workgroup 'stedi', Glue database 'stedi')");
    expect(r.err).toContain("AWS SDK's default provider chain");
    expect(r.err).not.toContain('internal error');
    expect(r.err).not.toContain(KEY);
    expect(r.code).toBe(1);
    expect(requests).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'target', 'run_results.json'))).toBe(false);
  });
});
