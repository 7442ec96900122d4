/** `npm run bench`: runs every benchmark, prints a table, writes target/bench/*.json. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileBench } from './compile.js';

function machine(): Record<string, unknown> {
  return { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.arch()}` };
}

function write(name: string, data: Record<string, unknown>): void {
  fs.mkdirSync(path.join('target', 'bench'), { recursive: true });
  fs.writeFileSync(path.join('target', 'bench', `${name}.json`), `${JSON.stringify({ machine: machine(), generated_at: new Date().toISOString(), ...data }, null, 2)}\n`);
}

function table(title: string, rows: Record<string, number>): void {
  console.log(`\n${title}`);
  for (const [k, v] of Object.entries(rows)) console.log(`  ${k.padEnd(28)} ${Number.isInteger(v) ? v : v.toFixed(3)}`);
}

const which = new Set(process.argv.slice(2));
const all = which.size === 0;
if (all || which.has('compile')) {
  const r = compileBench(path.resolve('bin/stedi.js'));
  table('Compile: 1,000 models and 3,000 tests (median of 5; seconds)', r);
  write('compile', { results: r });
}
