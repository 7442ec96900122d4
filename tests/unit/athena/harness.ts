/**
 * The STEDI project compiled for the athena target, and the real SDK v3 clients whose
 * transports are faked with aws-sdk-client-mock: every command is answered by the in-memory
 * simulator and recorded, so tests assert the exact sequence of Glue/Athena/S3 calls and SQL.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, GetWorkGroupCommand, StartQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import {
  BatchDeleteTableVersionCommand, CreateTableCommand, DeleteTableCommand, GetDatabaseCommand, GetTableCommand, GetTablesCommand, GetTableVersionsCommand, GlueClient, UpdateTableCommand, type TableInput,
} from '@aws-sdk/client-glue';
import { DeleteObjectsCommand, GetBucketVersioningCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach } from 'vitest';
import { AthenaAdapter, type AthenaAdapterOptions } from '../../../runner/adapters/athena/adapter.js';
import { createClients } from '../../../runner/adapters/athena/clients.js';
import { simulate } from '../../../runner/adapters/athena/simulator.js';
import { HookedSimulator } from '../../helpers/hooked-simulator.js';
import { jsonTableDdl } from '../../../runner/adapters/athena/sql.js';
import { compileForTarget } from '../../../runner/compiler/for-target.js';
import { pseudonymKey } from '../../../runner/landing/derive.js';
import { plan, type Command } from '../../../runner/execute/plan.js';
import type { Reporter } from '../../../runner/execute/reporter.js';
import type { NodeResult } from '../../../runner/execute/results.js';
import type { InputProblem } from '../../../runner/execute/inputs.js';
import { execute, executeChecked } from '../../../runner/execute/run.js';
import type { Manifest } from '../../../runner/manifest/types.js';
import { loadProject } from '../../../runner/project/load.js';
import { parseProject } from '../../../runner/project/parse.js';
import type { ResolvedTarget } from '../../../runner/project/resolve.js';

export const KEY = 'test-key-0123456789abcdef';
export const ENV = { AWS_REGION: 'eu-west-1', STEDI_ATHENA_DATABASE: 'stedi', STEDI_ATHENA_WORKGROUP: 'stedi', STEDI_S3_DATA_DIR: 's3://lake-bucket/zones', STEDI_LANDING_ROOT: 's3://lake-bucket/landing' };

export function compileStedi(env: Record<string, string> = ENV, cliVars?: string): { manifest: Manifest; target: ResolvedTarget } {
  const loaded = loadProject('.');
  if (!loaded.project) throw new Error(JSON.stringify(loaded.diagnostics));
  const c = compileForTarget(loaded.project, { target: 'athena', env, cliVars, now: new Date(0) });
  if (!c.target || !c.manifest) throw new Error(JSON.stringify([...c.configDiagnostics, ...c.compileDiagnostics].filter((d) => d.severity === 'error')));
  return { manifest: c.manifest, target: c.target };
}

export interface Call {
  service: 'athena' | 'glue' | 's3';
  operation: string;
  input: Record<string, unknown>;
}

const COMMANDS = {
  athena: { client: AthenaClient, ops: { GetWorkGroup: GetWorkGroupCommand, StartQueryExecution: StartQueryExecutionCommand, GetQueryExecution: GetQueryExecutionCommand, GetQueryResults: GetQueryResultsCommand, StopQueryExecution: StopQueryExecutionCommand } },
  glue: { client: GlueClient, ops: { GetDatabase: GetDatabaseCommand, GetTable: GetTableCommand, GetTables: GetTablesCommand, CreateTable: CreateTableCommand, UpdateTable: UpdateTableCommand, DeleteTable: DeleteTableCommand, GetTableVersions: GetTableVersionsCommand, BatchDeleteTableVersion: BatchDeleteTableVersionCommand } },
  s3: { client: S3Client, ops: { ListObjectsV2: ListObjectsV2Command, GetObject: GetObjectCommand, PutObject: PutObjectCommand, DeleteObjects: DeleteObjectsCommand, GetBucketVersioning: GetBucketVersioningCommand } },
} as const;

export interface FakeAws {
  calls: Call[];
  restore(): void;
}

/**
 * Mocks the three SDK clients (every instance) so that the simulator answers and `calls` records;
 * `answer` replaces the simulator's answers (tests/helpers/trino-aws.ts runs them on a real Trino).
 */
export function fakeAws(sim: HookedSimulator, answer: (op: string, input: unknown) => unknown = (op, input) => simulate(sim, op, input)): FakeAws {
  const calls: Call[] = [];
  const mocks = Object.entries(COMMANDS).map(([service, { client, ops }]) => {
    const m = mockClient(client as never) as unknown as { on(c: unknown): { callsFake(f: (i: unknown) => unknown): void }; restore(): void };
    for (const [op, cmd] of Object.entries(ops)) {
      m.on(cmd).callsFake(async (input: unknown) => {
        calls.push({ service: service as Call['service'], operation: op, input: structuredClone(input) as Record<string, unknown> });
        return answer(op, input);
      });
    }
    return m;
  });
  return { calls, restore: () => mocks.forEach((m) => m.restore()) };
}

/**
 * A fresh simulator and faked clients for every test of the calling file: `use` receives them
 * before each test (to keep them in the file's own variables), and they are restored after it.
 */
export function fakeAwsEachTest(use: (sim: HookedSimulator, aws: FakeAws) => void): void {
  let current: FakeAws | undefined;
  beforeEach(() => {
    const sim = newSim();
    current = fakeAws(sim);
    use(sim, current);
  });
  afterEach(() => current?.restore());
}

export function newSim(): HookedSimulator {
  return new HookedSimulator('stedi', { name: 'stedi', outputLocation: 's3://results-bucket/athena/' }, () => new Date('2026-01-01T00:00:00Z'));
}

/** The project and target the adapters of these tests build for. */
export const OWNER = { project: 'stedi', target: 'athena' };

/** Deterministic versions: fixed clock, counting "random" suffixes. */
export function adapterOptions(extra: AthenaAdapterOptions = {}): AthenaAdapterOptions & { sleeps: number[] } {
  let n = 0;
  const sleeps: number[] = [];
  return {
    owner: OWNER,
    now: () => new Date('2026-01-01T00:00:00Z'),
    random: () => (++n * 0x01010101) / 0x100000000,
    timing: { sleep: async (ms, signal) => { sleeps.push(ms); signal?.throwIfAborted(); await new Promise((r) => setImmediate(r)); }, random: () => 0.5 },
    sleeps,
    ...extra,
  };
}

export const silent: Reporter = { info: () => undefined, warn: () => undefined, error: () => undefined, nodeDone: () => undefined };

/** A real adapter over the faked clients, with the test key, opened for writing. */
async function openAdapter(target: ResolvedTarget, opts: AthenaAdapterOptions, onAdapter?: (a: AthenaAdapter) => void): Promise<AthenaAdapter> {
  const adapter = new AthenaAdapter(target as unknown as Record<string, unknown>, createClients(String((target as { region?: string }).region)), opts);
  onAdapter?.(adapter);
  adapter.setPseudonymKey(pseudonymKey(Buffer.from(KEY)));
  await adapter.open('write');
  return adapter;
}

const selected = (manifest: Manifest, select?: (id: string) => boolean) => new Set(Object.keys(manifest.nodes).filter((id) => !select || select(id)));

export async function build(target: ResolvedTarget, manifest: Manifest, opts: AthenaAdapterOptions = adapterOptions(), command: Command = 'build', signal?: AbortSignal, select?: (id: string) => boolean, onAdapter?: (a: AthenaAdapter) => void, extra: { fullRefresh?: boolean; warnError?: boolean } = {}): Promise<{ adapter: AthenaAdapter; results: NodeResult[] }> {
  const adapter = await openAdapter(target, opts, onAdapter);
  const results = await execute(manifest, adapter, plan(manifest, selected(manifest, select), command), { threads: 1, failFast: false, reporter: silent, ...(signal ? { signal } : {}), ...extra });
  return { adapter, results };
}

/** As the CLI runs a command: checked against what is published first (refused when it would mix inputs), inputs recorded. */
export async function checkedBuild(target: ResolvedTarget, manifest: Manifest, opts: AthenaAdapterOptions & { allowShrink?: boolean } = adapterOptions(), select?: (id: string) => boolean): Promise<{ results: NodeResult[]; refused: InputProblem[] }> {
  const adapter = await openAdapter(target, opts);
  return executeChecked(manifest, adapter, plan(manifest, selected(manifest, select), 'build'), { threads: 1, failFast: false, reporter: silent, ...(opts.allowShrink ? { allowShrink: true } : {}) });
}

/** One line per call, SQL in full; what the golden file of a build holds. */
export function transcript(calls: Call[]): string {
  return calls
    .map((c) => {
      if (c.operation === 'StartQueryExecution') {
        const { QueryString, ClientRequestToken: _t, ...rest } = c.input;
        return `${c.service}:${c.operation} ${JSON.stringify(rest)}\n${String(QueryString)}\n`;
      }
      if (c.operation === 'PutObject' && String(c.input.Key).includes('/_stedi_versions/')) {
        const { Body, ...rest } = c.input;
        const { created_at: _at, ...marker } = JSON.parse(String(Body)) as Record<string, unknown>;
        return `${c.service}:${c.operation} ${JSON.stringify(rest)} ${JSON.stringify(marker)}`;
      }
      if (c.operation === 'PutObject') {
        const { Body, ...rest } = c.input;
        const raw = typeof Body === 'string' ? Buffer.from(Body) : Buffer.from(Body as Uint8Array);
        const text = String(c.input.Key).endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
        // a manifest lists parts (by URI); a state is one JSON object; a part holds lines
        if (String(c.input.Key).endsWith('/manifest')) return `${c.service}:${c.operation} ${JSON.stringify(rest)} (manifest of ${text.split('\n').filter(Boolean).length} parts)`;
        if (String(c.input.Key).endsWith('_stedi_state.json.gz')) return `${c.service}:${c.operation} ${JSON.stringify(rest)} (ingestion state)`;
        return `${c.service}:${c.operation} ${JSON.stringify(rest)} (${text.split('\n').filter(Boolean).length} lines)`;
      }
      return `${c.service}:${c.operation} ${JSON.stringify(c.input)}`;
    })
    .join('\n');
}

export function statements(calls: Call[]): string[] {
  return calls.filter((c) => c.operation === 'StartQueryExecution').map((c) => String(c.input.QueryString));
}

/** A small project for the athena target (Glue database and workgroup `stedi`, as newSim()). */
export const MINI_PROJECT_YML = `name: mini
default-target: athena
targets:
  athena: { type: athena, region: eu-west-1, database: stedi, workgroup: stedi, s3_data_dir: "s3://lake-bucket/zones", landing_root: "s3://lake-bucket/landing" }
models:
  +materialized: table
`;

export const MINI_SOURCES_YML = `version: 2
sources:
  - name: landing
    tables:
      - name: customer
        location: "{{ var('landing_root') }}/customer/landing"
        columns:
          - { name: email, data_type: varchar }
          - { name: n, data_type: bigint }
`;

/** Compiles in-memory project files (stedi_project.yml and sources given unless overridden) for the athena target. */
export function compileProject(files: Record<string, string>, cliVars?: string): { manifest: Manifest; target: ResolvedTarget } {
  const all = { 'stedi_project.yml': MINI_PROJECT_YML, 'models/sources.yml': MINI_SOURCES_YML, ...files };
  const parsed = parseProject(Object.entries(all).map(([p, text]) => ({ path: p, text })));
  if (!parsed.project) throw new Error(JSON.stringify(parsed.diagnostics));
  const c = compileForTarget(parsed.project, { target: 'athena', now: new Date(0), ...(cliVars ? { cliVars } : {}) });
  const errors = [...parsed.diagnostics, ...c.configDiagnostics, ...c.compileDiagnostics].filter((d) => d.severity === 'error');
  if (!c.manifest || !c.target || errors.length) throw new Error(JSON.stringify(errors));
  return { manifest: c.manifest, target: c.target };
}

/**
 * The Hive DDL equivalent of the JSON tables a build published through Glue (every landing table
 * and its rejects), rendered from the very TableInput the runner sent, by name.
 */
export function landingDdls(calls: Call[]): { name: string; ddl: string }[] {
  const last = new Map<string, TableInput>();
  for (const c of calls) {
    if (c.service !== 'glue' || (c.operation !== 'CreateTable' && c.operation !== 'UpdateTable')) continue;
    const t = c.input.TableInput as TableInput;
    if (t.StorageDescriptor?.SerdeInfo?.SerializationLibrary === 'org.openx.data.jsonserde.JsonSerDe' && !t.Name!.includes('__stedi_')) last.set(t.Name!, t);
  }
  return [...last].map(([name, t]) => ({ name, ddl: jsonTableDdl('stedi', t) })).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * An existing but empty landing folder per entity (the zero-byte marker a console creates): a
 * source with no file. Without it the prefix does not exist, and the source fails (a missing
 * location is an error, not an empty table).
 */
export function emptyLanding(sim: HookedSimulator, entities: string[] = ['customer'], root = 's3://lake-bucket/landing'): void {
  for (const e of entities) sim.putObject(`${root}/${e}/landing/`, '');
}

/** Delivers a local landing folder (`<entity>/landing/<file>`) to the simulated S3 landing root. */
export function deliverLanding(sim: HookedSimulator, dir = 'seeds/landing', root = 's3://lake-bucket/landing'): number {
  let n = 0;
  for (const entity of fs.readdirSync(dir)) {
    const folder = path.join(dir, entity, 'landing');
    if (!fs.existsSync(folder)) continue;
    for (const f of fs.readdirSync(folder)) {
      if (!fs.statSync(path.join(folder, f)).isFile()) continue;
      sim.putObject(`${root}/${entity}/landing/${f}`, fs.readFileSync(path.join(folder, f)));
      n++;
    }
  }
  return n;
}
