/** Tables for the console and for target/bench/performance.md, and the JSON files. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './workspace.js';

export type Cell = string | number | undefined;

export function machine(): Record<string, unknown> {
  return { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.arch()}` };
}

/** Where results go: STEDI_BENCH_OUT, or target/bench (the tests' smoke run writes elsewhere). */
function outDir(): string {
  return process.env.STEDI_BENCH_OUT ?? path.join(REPO, 'target', 'bench');
}

export function writeJson(name: string, data: Record<string, unknown>): void {
  const dir = outDir();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify({ machine: machine(), generated_at: new Date().toISOString(), ...data }, null, 2)}\n`);
}

export function fmt(v: Cell, digits = 2): string {
  if (v === undefined) return '–';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  if (v !== 0 && Math.abs(v) < 0.01) return String(Number(v.toPrecision(2)));
  return v.toFixed(digits);
}

/** A console table (aligned columns) and the same table in Markdown. */
export function table(title: string, head: string[], rows: Cell[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => fmt(c)))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  console.log(`\n${title}\n${line(head)}\n${width.map((w) => '-'.repeat(w)).join('  ')}\n${cells.slice(1).map(line).join('\n')}`);
  const md = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...cells.slice(1).map((r) => `| ${r.join(' | ')} |`)];
  return `**${title}**\n\n${md.join('\n')}\n`;
}

const sections: string[] = [];

export function addSection(md: string): void {
  sections.push(md);
}

/** target/bench/performance.md: every table of this run with the machine it ran on. */
export function writeMarkdown(): void {
  if (sections.length === 0) return;
  const m = machine();
  const head = `Measured ${new Date().toISOString().slice(0, 10)} on ${String(m.cpus)} cores (${String(m.cpu_model)}), ${String(m.memory_gb)} GB, Node ${String(m.node)}, ${String(m.platform)}.\n`;
  const dir = outDir();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'performance.md'), `${head}\n${sections.join('\n')}`);
}
