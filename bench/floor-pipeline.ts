/**
 * The pipeline floor: the five transformations as one plain DuckDB SQL script over `read_json` of
 * the landing files — no quarantine, no line accounting, no versions, no tests, no catalog. What
 * the engine alone needs to compute the STEDI tables; every build above it is stedi's own cost.
 *
 * Run as a child process by the scale benchmark:
 *   node dist-bench/bench/floor-pipeline.js <manifest.json>
 * Prints one JSON line: the rows of each table and the seconds of the whole script. The SQL of
 * each model is its compiled SQL from the manifest of the build it is compared with (so the floor
 * computes the same tables, by construction), each run as `CREATE TABLE … AS` in one in-memory
 * database; every source is a view over `read_json` of its files with the declared columns. A
 * landing column that stedi derives at ingestion (none is read from the JSON) is computed in SQL
 * here, as a plain pipeline would.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { fillWindow } from '../runner/core/batches.js';
import type { Manifest, ModelNode, SourceNode } from '../runner/manifest/types.js';

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
// the five transformations, and device_owners: the table of device owners step_trainer_trusted reads
const FIVE = ['customer_trusted', 'accelerometer_trusted', 'customer_curated', 'device_owners', 'step_trainer_trusted', 'machine_learning_curated'];

async function main(): Promise<void> {
  const manifestPath = process.argv[2];
  if (!manifestPath) throw new Error('usage: floor-pipeline <manifest.json>');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest;
  const projectDir = path.dirname(path.dirname(path.resolve(manifestPath)));
  const nodes = Object.values(manifest.nodes);
  const sources = nodes.filter((n): n is SourceNode => n.resource_type === 'source');
  const models = FIVE.map((name) => nodes.find((n): n is ModelNode => n.resource_type === 'model' && n.name === name));
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const key = process.env.STEDI_SUBJECT_KEY ?? '';
  // the session variable the compiled SQL of an earlier stedi read its key from (harmless otherwise)
  await c.run(`SET VARIABLE stedi_subject_key = ${lit(key)}`);
  const t0 = performance.now();
  for (const schema of new Set([...sources, ...models.filter((m): m is ModelNode => !!m)].map((n) => n.relation.schema))) await c.run(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
  for (const s of sources) {
    const dir = path.resolve(projectDir, s.location);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => lit(path.join(dir, f)));
    const derived = s.columns.filter((col) => col.meta?.derived !== undefined || (col as { derived?: unknown }).derived !== undefined);
    const read = s.columns.filter((col) => !derived.includes(col));
    const cols = read.map((col) => `${lit(col.name)}: ${lit(String(col.data_type ?? 'varchar').toUpperCase())}`).join(', ');
    // a derived pseudonym: a keyed SHA-256 of the trimmed, lower-cased email, in SQL
    const extra = derived.map((col) => `, lower(hex(sha256(${lit(createHash('sha256').update(key).digest('hex'))} || ':' || lower(trim(email))))) AS ${ident(col.name)}`).join('');
    await c.run(`CREATE VIEW ${ident(s.relation.schema)}.${ident(s.relation.identifier)} AS SELECT *${extra} FROM read_json([${files.join(', ')}], format = 'newline_delimited', columns = {${cols}})`);
  }
  const rows: Record<string, number> = {};
  for (const m of models) {
    if (!m?.compiled_code) throw new Error('the manifest lacks a compiled model of the five');
    const rel = `${ident(m.relation.schema)}.${ident(m.relation.identifier)}`;
    // a microbatch model's whole build: every event-time window open
    await c.run(`CREATE TABLE ${rel} AS ${fillWindow(m.compiled_code, () => 'TRUE')}`);
    rows[m.name] = Number((await c.runAndReadAll(`SELECT count(*) FROM ${rel}`)).getRows()[0]![0]);
  }
  const total = (performance.now() - t0) / 1000;
  c.closeSync();
  instance.closeSync();
  process.stdout.write(`${JSON.stringify({ rows, total_s: total })}\n`);
}

await main();
