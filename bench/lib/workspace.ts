/**
 * Where the benchmarks work and what they work on: the sizes, the generated landing data
 * (generated once per size and options, kept in the bench folder between runs), and a copy of
 * the STEDI project with two extra DuckDB targets — `bench` (the local target's settings) and
 * `bench_2gb` (memory_limit 2GB and a temp_directory) — so the project's own targets stay as
 * they are. The folder is STEDI_BENCH_DIR, by default <tmp>/stedi-bench; 50M rows take ~7 GB.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GenerateSummary } from '../../runner/generate/generate.js';
import { check, measure } from './proc.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The CLI under measurement: compiled with the benchmarks (see stedi-cli.ts). */
export const BIN = path.join(REPO, 'dist-bench', 'bench', 'stedi-cli.js');
export const BENCH_KEY = 'bench-key-0123456789abcdef';

export function benchDir(): string {
  const dir = process.env.STEDI_BENCH_DIR ?? path.join(os.tmpdir(), 'stedi-bench');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Size {
  name: string;
  /** Arguments of `stedi generate` (without --out). */
  args: string[];
  /** --defect-rate (default 0: clean data, which the peers can read). */
  defectRate?: number;
}

export const SIZES: Record<string, Size> = {
  tiny: { name: 'tiny', args: ['--customers', '120'] },
  '1m': { name: '1m', args: ['--accelerometer-rows', '1M'] },
  '10m': { name: '10m', args: ['--accelerometer-rows', '10M'] },
  '50m': { name: '50m', args: ['--accelerometer-rows', '50M'] },
};

export function sizesFrom(argv: string[], fallback: string[]): Size[] {
  const i = argv.indexOf('--sizes');
  const names = i >= 0 && argv[i + 1] ? argv[i + 1]!.split(',') : fallback;
  return names.map((n) => {
    const s = SIZES[n.toLowerCase()];
    if (!s) throw new Error(`unknown size '${n}' (known: ${Object.keys(SIZES).join(', ')})`);
    return s;
  });
}

export interface Landing {
  root: string;
  summary: GenerateSummary;
  generate: { wall_s: number; max_rss_mb: number; max_heap_used_mb: number; cached: boolean };
}

/** The landing data of a size: generated with `stedi generate` (a child process, measured) unless already there. */
export async function landing(size: Size): Promise<Landing> {
  const root = path.join(benchDir(), 'data', size.name);
  const args = [...size.args, '--seed', '42', '--defect-rate', String(size.defectRate ?? 0)];
  const stamp = path.join(root, 'bench-generate.json');
  if (fs.existsSync(stamp)) {
    const prev = JSON.parse(fs.readFileSync(stamp, 'utf8')) as { args: string[]; generate: Landing['generate'] };
    if (JSON.stringify(prev.args) === JSON.stringify(args) && fs.existsSync(path.join(root, '_generate.json'))) {
      const summary = JSON.parse(fs.readFileSync(path.join(root, '_generate.json'), 'utf8')) as GenerateSummary;
      return { root, summary, generate: { ...prev.generate, cached: true } };
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const m = check(`stedi generate ${args.join(' ')}`, await measure(process.execPath, [BIN, 'generate', ...args, '--out', root, '--output', 'json'], { cwd: REPO }));
  const out = JSON.parse(m.stdout) as GenerateSummary & { max_heap_used_bytes: number };
  const generate = { wall_s: m.wall_s, max_rss_mb: m.max_rss_mb, max_heap_used_mb: out.max_heap_used_bytes / 2 ** 20, cached: false };
  fs.writeFileSync(stamp, JSON.stringify({ args, generate }, null, 2));
  const summary = JSON.parse(fs.readFileSync(path.join(root, '_generate.json'), 'utf8')) as GenerateSummary;
  return { root, summary, generate };
}

/** The lake folder of a bench target, relative to the project copy. */
export function benchLake(target: string): string {
  return `lakes/${target}`;
}

/**
 * A fresh copy of the STEDI project (models, macros, CSV seeds, stedi_project.yml) with the
 * bench targets added; the lake starts empty.
 */
export function projectCopy(name: string): string {
  const dir = path.join(benchDir(), 'projects', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'seeds'), { recursive: true });
  for (const p of ['models', 'macros']) fs.cpSync(path.join(REPO, p), path.join(dir, p), { recursive: true });
  for (const f of fs.readdirSync(path.join(REPO, 'seeds'))) if (f.endsWith('.csv')) fs.copyFileSync(path.join(REPO, 'seeds', f), path.join(dir, 'seeds', f));
  const tmp = path.join(dir, 'duckdb-tmp');
  const yml = fs.readFileSync(path.join(REPO, 'stedi_project.yml'), 'utf8');
  const targets = [
    // each target owns its own lake (targets may not share one: each deletes the versions it does not know)
    `  bench: { type: duckdb, lake_dir: ${benchLake('bench')}, path_template: "{entity}/{zone}/{name}", threads: 4 }`,
    `  bench_2gb: { type: duckdb, lake_dir: ${benchLake('bench_2gb')}, path_template: "{entity}/{zone}/{name}", threads: 4, memory_limit: 2GB, temp_directory: ${JSON.stringify(tmp)} }`,
  ];
  if (!/^targets:\s*$/m.test(yml)) throw new Error('stedi_project.yml has no block `targets:` to add the bench targets to');
  fs.writeFileSync(path.join(dir, 'stedi_project.yml'), yml.replace(/^targets:\s*$/m, `targets:\n${targets.join('\n')}`));
  return dir;
}

/** A progress line on stderr, with the time. */
export function log(s: string): void {
  process.stderr.write(`[bench ${new Date().toTimeString().slice(0, 8)}] ${s}\n`);
}

/** A copy of a landing tree whose files are hard links to the generated ones (the cached data is never modified). */
export function linkedCopy(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) linkedCopy(src, dst);
    else if (e.isFile()) {
      fs.mkdirSync(to, { recursive: true });
      fs.linkSync(src, dst);
    }
  }
}
