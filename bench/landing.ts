/**
 * Landing ingestion, the two engines' sinks side by side on the same generated files, in one
 * process and one run (median of 3, the variants interleaved so that machine noise hits them
 * alike), on 1 classifier thread and on several (landing/parallel.ts):
 *   classify@n  read + classify every line on n threads, rows dropped: the cost both targets share
 *   duckdb@n    the local target's sink: DuckDB appenders into staging tables, written out as Parquet parts
 *               (`landing_reader: classifier`: every line classified by the runner)
 *   duckdb+canonical  the local target as it builds by default: files whose every line is canonical
 *               read by DuckDB itself (runner/adapters/duckdb/canonical.ts), the others as duckdb@cores
 *   athena@n    the Athena target's sink: JSON lines gzipped into parts, uploads discarded
 *               (an S3 client that only counts bytes: the network is not what is measured)
 *   read_json   DuckDB reading the same files itself: CREATE TABLE AS SELECT * FROM read_json([...],
 *               format='newline_delimited', columns={...}) (no exact typing, no rejects, no line
 *               numbers: the alternative to classifying in JavaScript, for scale)
 *   cpu probe   two threads of pure arithmetic ÷ one: how much of a second core the machine gave
 *               during the run (other processes share it)
 * Reported as ratios to `classify@1`, with rows/s and the gzipped output size per input byte.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { AwsApi } from '../runner/adapters/athena/api.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { jsonLinesSink, S3LinesWriter } from '../runner/adapters/athena/landing-io.js';
import { stageLanding } from '../runner/adapters/duckdb/sources.js';
import { compileForTarget } from '../runner/compiler/for-target.js';
import { landingColumns } from '../runner/landing/classify.js';
import { ingestLanding } from '../runner/landing/ingest.js';
import type { SourceNode } from '../runner/manifest/types.js';
import { loadProject } from '../runner/project/load.js';
import { addSection, table, writeJson } from './lib/report.js';
import { pseudonymKey } from '../runner/landing/derive.js';
import { BENCH_KEY, landing, REPO, type Size } from './lib/workspace.js';

/** The pseudonymisation key of the customer source's derived subject_key (the HMAC is part of the ingestion measured). */
const KEY = pseudonymKey(Buffer.from(BENCH_KEY));

const RUNS = 3;
type Kind = 'classify' | 'duckdb' | 'canonical' | 'athena' | 'read_json';
interface Variant {
  name: string;
  kind: Kind;
  threads: number;
}

/** The variants: each sink on 1 thread and on 2; classifying alone also on every core when there are more than 2. */
function variants(): Variant[] {
  const cores = os.availableParallelism();
  const out: Variant[] = [];
  for (const kind of ['classify', 'duckdb', 'athena'] as const) {
    for (const threads of [...new Set([1, 2, ...(kind === 'classify' ? [cores] : [])])]) out.push({ name: `${kind}@${threads}`, kind, threads });
  }
  out.push({ name: 'duckdb+canonical', kind: 'canonical', threads: cores });
  out.push({ name: 'read_json', kind: 'read_json', threads: 0 });
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function sources(root: string): SourceNode[] {
  const loaded = loadProject(REPO);
  if (!loaded.project) throw new Error(JSON.stringify(loaded.diagnostics.slice(0, 3)));
  const out = compileForTarget(loaded.project, { target: 'local', cliVars: JSON.stringify({ landing_root: root }) });
  if (!out.manifest) throw new Error(JSON.stringify([...out.configDiagnostics, ...out.compileDiagnostics].filter((d) => d.severity === 'error').slice(0, 3)));
  return Object.values(out.manifest.nodes).filter((n): n is SourceNode => n.resource_type === 'source');
}

/** An S3 client that accepts every PutObject and counts the bytes. */
function countingS3(): { client: AwsApi; bytes: () => number } {
  let n = 0;
  const client = { call: async (_op: string, input: { Body?: Uint8Array }) => ((n += input.Body?.length ?? 0), {}) } as unknown as AwsApi;
  return { client, bytes: () => n };
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** DuckDB reads every source's files itself, into a table. */
async function readJson(nodes: SourceNode[]): Promise<{ rows: number; bytesIn: number }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  let rows = 0;
  let bytesIn = 0;
  try {
    for (const node of nodes) {
      const files = fs.readdirSync(node.location).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(node.location, f));
      bytesIn += files.reduce((n, f) => n + fs.statSync(f).size, 0);
      const cols = node.columns.map((col) => `${lit(col.name)}: ${lit(String(col.data_type ?? 'varchar').toUpperCase())}`).join(', ');
      await c.run(`CREATE TABLE ${ident(node.name)} AS SELECT * FROM read_json([${files.map(lit).join(', ')}], format = 'newline_delimited', columns = {${cols}})`);
      rows += Number((await c.runAndReadAll(`SELECT count(*) FROM ${ident(node.name)}`)).getRows()[0]![0]);
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
  return { rows, bytesIn };
}

/** Seconds for `n` threads of the same pure arithmetic at once (a probe of the cores the machine gives now). */
async function cpuProbe(n: number): Promise<number> {
  const code = "const { parentPort } = require('node:worker_threads'); let x = 0; for (let i = 0; i < 2e8; i++) x = (x + i * 7) % 1000003; parentPort.postMessage(x);";
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const w = new Worker(code, { eval: true });
    w.once('message', () => void w.terminate().then(resolve));
  })));
  return (performance.now() - t0) / 1000;
}

async function once(variant: Variant, nodes: SourceNode[]): Promise<{ seconds: number; rows: number; bytesIn: number; bytesOut: number }> {
  let rows = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  const t0 = performance.now();
  if (variant.kind === 'read_json') {
    ({ rows, bytesIn } = await readJson(nodes));
  } else if (variant.kind === 'duckdb' || variant.kind === 'canonical') {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-bench-landing-'));
    try {
      for (const node of nodes) {
        const dirs = { accepted: path.join(out, node.name, 'accepted'), rejects: path.join(out, node.name, 'rejects') };
        for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
        const { report: r } = await stageLanding(c, node, dirs, { threads: variant.threads, key: KEY, reader: variant.kind === 'canonical' ? 'auto' : 'classifier' });
        rows += r.totals.accepted + r.totals.rejected;
        bytesIn += r.files.reduce((s, f) => s + f.bytes, 0);
      }
    } finally {
      c.closeSync();
      db.closeSync();
      fs.rmSync(out, { recursive: true, force: true });
    }
  } else {
    for (const node of nodes) {
      const { columns } = landingColumns(node.columns);
      const s3 = countingS3();
      const acc = new S3LinesWriter(s3.client, 's3://bench/accepted/v=1/');
      const rej = new S3LinesWriter(s3.client, 's3://bench/rejects/v=1/');
      const sink = variant.kind === 'athena' ? jsonLinesSink(columns, acc, rej) : { accept: () => undefined, reject: () => undefined };
      const spec = { source: node.name, relation: node.name, rejects_relation: `${node.name}__rejects`, location: node.location, columns, on_malformed: 'quarantine' as const, derive: KEY };
      const r = await ingestLanding(spec, sink, { threads: variant.threads });
      await acc.finish();
      await rej.finish();
      rows += r.totals.accepted + r.totals.rejected;
      bytesIn += r.files.reduce((s, f) => s + f.bytes, 0);
      bytesOut += s3.bytes();
    }
  }
  return { seconds: (performance.now() - t0) / 1000, rows, bytesIn, bytesOut };
}

export async function landingBench(sizes: Size[]): Promise<void> {
  const rowsOut: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  const all = variants();
  for (const size of sizes) {
    const data = await landing(size);
    const nodes = sources(data.root);
    const times: Record<string, number[]> = Object.fromEntries([...all.map((v) => [v.name, []]), ['cpu probe', []]]);
    const last: Record<string, Awaited<ReturnType<typeof once>>> = {};
    for (let i = 0; i < RUNS; i++) {
      for (const v of i % 2 ? [...all].reverse() : all) {
        last[v.name] = await once(v, nodes);
        times[v.name]!.push(last[v.name]!.seconds);
      }
      times['cpu probe']!.push((await cpuProbe(2)) / (await cpuProbe(1)));
    }
    const rowsOf = (name: string) => last[name]!.rows;
    for (const v of all) if (v.kind !== 'read_json' && rowsOf(v.name) !== rowsOf('classify@1')) throw new Error(`landing bench ${size.name}: ${v.name} saw other row counts than classify@1`);
    const base = median(times['classify@1']!);
    for (const v of all) {
      const s = median(times[v.name]!);
      const one = median(times[`${v.kind}@1`] ?? times[v.name]!);
      rowsOut.push([size.name, v.name, s, s / base, v.threads > 1 && times[`${v.kind}@1`] ? one / s : '', Math.round(last[v.name]!.rows / s), v.kind === 'athena' ? last[v.name]!.bytesOut / last[v.name]!.bytesIn : '']);
    }
    rowsOut.push([size.name, 'cpu probe: 2 threads ÷ 1 (1.0 = two free cores)', median(times['cpu probe']!), '', '', '', '']);
    results.push({ size: size.name, rows: rowsOf('classify@1'), read_json_rows: rowsOf('read_json'), input_bytes: last['classify@1']!.bytesIn, gzip_bytes: last['athena@1']!.bytesOut, cores: os.availableParallelism(), median_s: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])), runs_s: times });
  }
  addSection(table('Landing ingestion: the two sinks on 1 and several classifier threads, and DuckDB read_json, on the same files (median of 3, interleaved)', ['size', 'variant', 'seconds', '÷ classify@1', 'speedup vs @1', 'rows/s', 'gzip ÷ input'], rowsOut));
  writeJson('landing', { results });
}
