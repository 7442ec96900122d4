/**
 * The floor: DuckDB reading every landing file once, every column parsed and counted, nothing
 * else — the cost no pipeline over this data can avoid. Run as a child process by the scale
 * benchmark: `node dist-bench/bench/floor-read.js <manifest.json>`; prints one JSON line with the
 * rows per source and the query seconds. The sources (files, columns, types) come from the
 * compiled manifest of the build it is compared with.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Manifest, SourceNode } from '../runner/manifest/types.js';

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function main(): Promise<void> {
  const manifestPath = process.argv[2];
  if (!manifestPath) throw new Error('usage: floor-read <manifest.json>');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest;
  const projectDir = path.dirname(path.dirname(path.resolve(manifestPath)));
  const sources = Object.values(manifest.nodes).filter((n): n is SourceNode => n.resource_type === 'source');
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const rows: Record<string, number> = {};
  const seconds: Record<string, number> = {};
  const t0 = performance.now();
  for (const s of sources) {
    const dir = path.resolve(projectDir, s.location);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => lit(path.join(dir, f)));
    const cols = s.columns.map((col) => `${lit(col.name)}: ${lit(String(col.data_type ?? 'varchar').toUpperCase())}`).join(', ');
    const counts = s.columns.map((col) => `count(${ident(col.name)})`).join(', ');
    const t = performance.now();
    const r = await c.runAndReadAll(`select count(*), ${counts} from read_json([${files.join(', ')}], format = 'newline_delimited', columns = {${cols}})`);
    seconds[s.name] = (performance.now() - t) / 1000;
    rows[s.name] = Number(r.getRows()[0]![0]);
  }
  const total = (performance.now() - t0) / 1000;
  c.closeSync();
  instance.closeSync();
  process.stdout.write(`${JSON.stringify({ rows, seconds, total_s: total })}\n`);
}

await main();
