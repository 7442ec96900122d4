/**
 * Landing ingestion, the two engines' sinks side by side on the same generated files, in one
 * process and one run (median of 3, the three variants interleaved so that machine noise hits
 * them alike):
 *   classify  read + classify every line, rows dropped: the cost both targets share
 *   duckdb    the local target's sink: DuckDB appenders into staging tables, written out as Parquet parts
 *   athena    the Athena target's sink: JSON lines gzipped into parts, uploads discarded
 *             (an S3 client that only counts bytes: the network is not what is measured)
 * Reported as ratios to `classify`, with rows/s and the gzipped output size per input byte.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { jsonLinesSink, S3LinesWriter } from '../runner/adapters/athena/landing-io.js';
import { stageLanding } from '../runner/adapters/duckdb/sources.js';
import { compileForTarget } from '../runner/compiler/for-target.js';
import { landingColumns } from '../runner/landing/classify.js';
import { ingestLanding } from '../runner/landing/ingest.js';
import type { SourceNode } from '../runner/manifest/types.js';
import { loadProject } from '../runner/project/load.js';
import { addSection, table, writeJson } from './lib/report.js';
import { landing, REPO, type Size } from './lib/workspace.js';

const RUNS = 3;
type Variant = 'classify' | 'duckdb' | 'athena';

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
function countingS3(): { client: S3Client; bytes: () => number } {
  let n = 0;
  const client = { send: async (cmd: { input: { Body?: Uint8Array } }) => ((n += cmd.input.Body?.length ?? 0), {}) } as unknown as S3Client;
  return { client, bytes: () => n };
}

async function once(variant: Variant, nodes: SourceNode[]): Promise<{ seconds: number; rows: number; bytesIn: number; bytesOut: number }> {
  let rows = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  const t0 = performance.now();
  if (variant === 'duckdb') {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-bench-landing-'));
    try {
      for (const node of nodes) {
        const dirs = { accepted: path.join(out, node.name, 'accepted'), rejects: path.join(out, node.name, 'rejects') };
        for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
        const { report: r } = await stageLanding(c, node, dirs);
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
      const sink = variant === 'athena' ? jsonLinesSink(columns, acc, rej) : { accept: () => undefined, reject: () => undefined };
      const spec = { source: node.name, relation: node.name, rejects_relation: `${node.name}__rejects`, location: node.location, columns, on_malformed: 'quarantine' as const };
      const r = await ingestLanding(spec, sink);
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
  for (const size of sizes) {
    const data = await landing(size);
    const nodes = sources(data.root);
    const times: Record<Variant, number[]> = { classify: [], duckdb: [], athena: [] };
    let last: Record<Variant, Awaited<ReturnType<typeof once>>> | undefined;
    for (let i = 0; i < RUNS; i++) {
      const run = {} as Record<Variant, Awaited<ReturnType<typeof once>>>;
      for (const v of (i % 2 ? ['athena', 'duckdb', 'classify'] : ['classify', 'duckdb', 'athena']) as Variant[]) {
        run[v] = await once(v, nodes);
        times[v].push(run[v].seconds);
      }
      last = run;
    }
    if (!last || last.classify.rows !== last.duckdb.rows || last.classify.rows !== last.athena.rows) throw new Error(`landing bench ${size.name}: the variants saw different row counts`);
    const base = median(times.classify);
    for (const v of ['classify', 'duckdb', 'athena'] as Variant[]) {
      const s = median(times[v]);
      rowsOut.push([size.name, v, s, s / base, Math.round(last[v].rows / s), v === 'athena' ? last.athena.bytesOut / last.athena.bytesIn : '']);
    }
    results.push({ size: size.name, rows: last.classify.rows, input_bytes: last.classify.bytesIn, gzip_bytes: last.athena.bytesOut, median_s: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])), runs_s: times });
  }
  addSection(table('Landing ingestion: the two sinks on the same files (median of 3, interleaved)', ['size', 'variant', 'seconds', '÷ classify', 'rows/s', 'gzip ÷ input'], rowsOut));
  writeJson('landing', { results });
}
