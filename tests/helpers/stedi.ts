/**
 * Helpers of the integration tests: a fresh copy of a fixture project per test, the real CLI
 * (`node bin/stedi.js`, built to dist/ by global-setup.ts) as a child process, and a separate
 * READ_ONLY DuckDB connection to look at what a build published.
 */
import type { NodeResult, RunResults } from '../../runner/execute/results.js';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(REPO, 'bin', 'stedi.js');
export const FIXTURES = path.join(REPO, 'tests', 'fixtures');

/** Matches a table version folder (as runner/adapters/duckdb/lake.ts names them). */
export const VERSION_DIR_RE = /^v=\d{8}T\d{6}Z-[0-9a-f]{8}$/;

const made: string[] = [];

/** Copies `tests/fixtures/<name>` into a fresh temp dir and returns its path. */
export function copyFixture(name = 'mini'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-'));
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  made.push(dir);
  return dir;
}

/** Copies the STEDI project itself (stedi_project.yml, models, macros, seeds) into `dir`. */
export function copyProjectInto(dir: string): void {
  for (const p of ['stedi_project.yml', 'models', 'macros', 'seeds']) fs.cpSync(path.join(REPO, p), path.join(dir, p), { recursive: true });
}

/** A fresh temp folder, removed by removeFixtures(). */
export function tempDir(prefix = 'stedi-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A copy of the STEDI project in a fresh temp folder, removed by removeFixtures(). */
export function copyStediProject(prefix = 'stedi-project-'): string {
  const dir = tempDir(prefix);
  copyProjectInto(dir);
  return dir;
}

/** Removes every temp project made by this test file (call from afterAll). */
export function removeFixtures(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export function write(dir: string, rel: string, text: string): void {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

export function readJson<T = any>(dir: string, rel: string): T {
  return JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8')) as T;
}

/** Newline-delimited JSON for a landing folder. */
export function ndjson(rows: Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export const CUSTOMER_LANDING = 'seeds/landing/customer/landing/part-0001.json';

export interface RunOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Run as another user (only possible as root): for permission tests that root would pass. */
  user?: { uid: number; gid: number };
}

/** `nobody`, for running the CLI without root's power over file permissions. */
export const NOBODY = { uid: 65534, gid: 65534 };

/**
 * Whether `nobody` can run the CLI from this checkout: every folder from / down to dist/ and
 * node_modules/ must be searchable by others (true for a usual CI checkout, not for a 0700 home).
 */
export function othersCanRunCli(): boolean {
  const searchable = (p: string): boolean => {
    for (let d = p; ; d = path.dirname(d)) {
      if ((fs.statSync(d).mode & 0o001) === 0) return false;
      if (path.dirname(d) === d) return true;
    }
  };
  return searchable(path.dirname(process.execPath)) && searchable(path.join(REPO, 'dist', 'cli')) && searchable(path.join(REPO, 'node_modules')) && searchable(os.tmpdir()) && (fs.statSync(BIN).mode & 0o004) !== 0;
}

/** Hands a project folder to another user (see RunOptions.user). */
export function chownTree(dir: string, user: { uid: number; gid: number }): void {
  fs.chownSync(dir, user.uid, user.gid);
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) fs.lchownSync(path.join(e.parentPath, e.name), user.uid, user.gid);
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A running `stedi` process. */
export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches; rejects if the process exits first. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<Finished>;
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The caller's shell must not steer the fixture project.
  for (const k of ['STEDI_TARGET', 'STEDI_VARS', 'STEDI_THREADS', 'STEDI_INGEST_THREADS', 'STEDI_SUBJECT_KEY']) delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function start(cwd: string, args: string[], opts: RunOptions = {}): Running {
  const begun = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'], ...(opts.user ?? {}) });
  let out = '';
  let err = '';
  const watchers: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    for (const w of [...watchers]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const exited = new Promise<Finished>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of [...watchers]) w();
      resolve({ code, signal, stdout: out, stderr: err, ms: Date.now() - begun });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  const waitFor = (re: RegExp, ms = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${re} in stdout:\n${out}\nstderr:\n${err}`)), ms);
      const finish = (e?: Error) => {
        clearTimeout(timer);
        watchers.splice(watchers.indexOf(check), 1);
        if (e) reject(e);
        else resolve();
      };
      const check = () => {
        if (re.test(out)) finish();
        else if (done || child.exitCode !== null || child.signalCode !== null) finish(new Error(`stedi exited before ${re} appeared; stdout:\n${out}\nstderr:\n${err}`));
      };
      watchers.push(check);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, exited };
}

/** Runs `stedi <args>` in `cwd` to completion. */
export function stedi(cwd: string, args: string[], opts: RunOptions = {}): Promise<Finished> {
  return start(cwd, args, opts).exited;
}

/** Asserting helper for failures: shows the output when the code is not the expected one. */
export function explain(r: Finished): string {
  return `exit ${r.code} (signal ${r.signal}) after ${r.ms}ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

export type Row = Record<string, unknown>;

/**
 * Runs queries on a separate READ_ONLY connection to the project's catalog, as a user would
 * with the DuckDB CLI. The catalog's views hold project-relative Parquet paths, so the
 * project folder is put on DuckDB's file_search_path. Closed before returning: a build
 * needs the catalog to itself.
 */
export async function withCatalog<T>(dir: string, fn: (q: (sql: string) => Promise<Row[]>) => Promise<T>, catalog = 'lake/stedi.duckdb'): Promise<T> {
  const instance = await DuckDBInstance.create(path.join(dir, catalog), { access_mode: 'READ_ONLY', file_search_path: dir });
  const c = await instance.connect();
  try {
    return await fn(async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJson() as Row[]);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

export function query(dir: string, sql: string, catalog?: string): Promise<Row[]> {
  return withCatalog(dir, (q) => q(sql), catalog);
}

/** Every relation of the mini fixture with a stable ordering, for before/after comparisons. */
export const MINI_RELATIONS: Record<string, string> = {
  'trusted.customer_trusted': 'select * from trusted.customer_trusted order by n',
  'curated.customer_curated': 'select * from curated.customer_curated order by n',
  'curated.country_summary': 'select * from curated.country_summary',
  'seeds.countries': 'select * from seeds.countries order by code',
  'trusted.slow': 'select count(*) as n, sum(a) as sa, min(h) as mh from trusted.slow',
};

/** The rows of every published relation of the mini fixture. */
export function snapshot(dir: string): Promise<Record<string, Row[]>> {
  return withCatalog(dir, async (q) => {
    const out: Record<string, Row[]> = {};
    for (const [name, sql] of Object.entries(MINI_RELATIONS)) out[name] = await q(sql);
    return out;
  });
}

/** `v=` folders below `lake`, project-relative with forward slashes, sorted. */
export function versionDirs(dir: string, lake = 'lake'): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    if (!fs.existsSync(abs)) return;
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = `${rel}/${e.name}`;
      if (VERSION_DIR_RE.test(e.name)) out.push(p);
      else walk(p);
    }
  };
  walk(lake);
  return out.sort();
}

/** The version folders the catalog points at (`_stedi.published`), sorted. */
export async function publishedDirs(dir: string, catalog?: string): Promise<string[]> {
  const rows = await query(dir, 'select path from _stedi.published where path is not null order by path', catalog);
  return rows.map((r) => String(r.path)).sort();
}

/**
 * The version folders the catalog keeps: the published ones, the earlier ones it keeps for
 * readers (`_stedi.history`, keep_versions), and the folders of the parts a kept landing table
 * version reads (parts are kept across ingestions), sorted.
 */
export async function keptDirs(dir: string, catalog?: string): Promise<string[]> {
  const rows = await query(dir, 'select path, parts from _stedi.published where path is not null union all select path, parts from _stedi.history', catalog);
  const out = new Set<string>();
  for (const r of rows) {
    out.add(String(r.path));
    if (typeof r.parts === 'string') for (const p of JSON.parse(r.parts) as string[]) out.add(path.posix.dirname(p));
  }
  // a lake named by an absolute path records absolute paths: shown relative to the project, as versionDirs does
  return [...out].map((p) => (path.isAbsolute(p) ? path.relative(dir, p) : p)).sort();
}

/** The version folders of the zone tables (without the landing tables' own versions). */
export function zoneDirs(dir: string, lake = 'lake'): string[] {
  return versionDirs(dir, lake).filter((d) => !d.split('/').includes('landing'));
}

/** run_results.json as the runner writes it. */
export type NodeResultJson = NodeResult;
export type RunResultsJson = RunResults;

export function runResults(dir: string): RunResultsJson {
  return readJson<RunResultsJson>(dir, 'target/run_results.json');
}

/** unique_id → status of the last invocation. */
export function statuses(dir: string): Record<string, string> {
  return Object.fromEntries(runResults(dir).results.map((r) => [r.unique_id, r.status]));
}

export function resultOf(dir: string, id: string): NodeResultJson {
  const r = runResults(dir).results.find((x) => x.unique_id === id);
  if (!r) throw new Error(`no result for ${id} in run_results.json`);
  return r;
}
