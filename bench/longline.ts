/**
 * One very long landing line, ingested at two sizes (the second twice the first): the time ratio
 * says whether reading is linear in the line's length (≈ 2) or quadratic (≈ 4), and the peak
 * resident memory whether the line is held in memory. Two cases:
 *   rejected  a line above max_line_bytes (the default, 1 MiB): a `line_too_long` reject whose raw
 *             keeps a short prefix; memory must stay flat whatever the line's size
 *   accepted  a line below a raised max_line_bytes (32 MiB): assembled from its chunks once,
 *             parsed and accepted
 * Each measurement runs in a fresh Node process (this file with `--child`), so the peak RSS is
 * the ingestion's own; the time is measured around `ingestLanding` only (wall and CPU), the best
 * of three runs per size, the sizes interleaved: on a shared machine the CPU time is the steadier
 * measure, and the ratio is taken on it. The sink drops the rows.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { landingColumns } from '../runner/landing/classify.js';
import { ingestLanding } from '../runner/landing/ingest.js';
import { addSection, table, writeJson } from './lib/report.js';
import { benchDir } from './lib/workspace.js';

const MB = 1 << 20;
const CASES = [
  { name: 'rejected', sizes: [256 * MB, 512 * MB], maxLineBytes: undefined },
  { name: 'accepted', sizes: [12 * MB, 24 * MB], maxLineBytes: 32 * MB },
] as const;

const RUNS = 3;

interface ChildResult {
  seconds: number;
  cpu_seconds: number;
  max_rss_mb: number;
  lines: number;
  accepted: number;
  rejected: number;
  reasons: string[];
}

/** A landing folder holding one file: a short record, one line of about `bytes` bytes, a short record. */
function landingFolder(bytes: number): string {
  const dir = path.join(benchDir(), 'longline', String(bytes));
  const file = path.join(dir, 'long.json');
  if (fs.existsSync(file)) return dir;
  fs.mkdirSync(dir, { recursive: true });
  const fd = fs.openSync(`${file}.part`, 'w');
  fs.writeSync(fd, '{"user":"first","timestamp":1}\n{"user":"');
  const block = Buffer.alloc(MB, 'a');
  let left = bytes - 40;
  while (left > 0) {
    const n = Math.min(left, block.length);
    fs.writeSync(fd, block, 0, n);
    left -= n;
  }
  fs.writeSync(fd, '","timestamp":2}\n{"user":"last","timestamp":3}\n');
  fs.closeSync(fd);
  fs.renameSync(`${file}.part`, file);
  return dir;
}

async function child(location: string, maxLineBytes: number | undefined): Promise<void> {
  const { columns } = landingColumns([{ name: 'user', data_type: 'varchar' }, { name: 'timestamp', data_type: 'bigint' }]);
  const reasons: string[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const report = await ingestLanding(
    { source: 'bench.longline', relation: 'r', rejects_relation: 'rr', location, columns, on_malformed: 'quarantine', ...(maxLineBytes ? { max_line_bytes: maxLineBytes } : {}) },
    { accept: () => undefined, reject: (r) => reasons.push(r.reason) },
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const out: ChildResult = { seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), lines: report.totals.lines_read, accepted: report.totals.accepted, rejected: report.totals.rejected, reasons };
  process.stdout.write(JSON.stringify(out));
}

function measureOnce(location: string, maxLineBytes: number | undefined): ChildResult {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', location, String(maxLineBytes ?? '')], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`longline bench child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as ChildResult;
}

export async function longlineBench(): Promise<void> {
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  for (const c of CASES) {
    const folders = c.sizes.map((bytes) => landingFolder(bytes));
    const tries: ChildResult[][] = c.sizes.map(() => []);
    for (let i = 0; i < RUNS; i++) {
      c.sizes.forEach((bytes, k) => {
        const got = measureOnce(folders[k]!, c.maxLineBytes);
        const want = c.name === 'rejected' ? { accepted: 2, rejected: 1 } : { accepted: 3, rejected: 0 };
        if (got.lines !== 3 || got.accepted !== want.accepted || got.rejected !== want.rejected || (c.name === 'rejected' && got.reasons[0] !== 'line_too_long')) {
          throw new Error(`longline bench ${c.name} ${bytes}: unexpected outcome ${JSON.stringify(got)}`);
        }
        tries[k]!.push(got);
      });
    }
    const best = (k: number) => {
      const t = tries[k]!;
      return { bytes: c.sizes[k]!, seconds: Math.min(...t.map((x) => x.seconds)), cpu_seconds: Math.min(...t.map((x) => x.cpu_seconds)), max_rss_mb: Math.max(...t.map((x) => x.max_rss_mb)), runs: t.map(({ seconds, cpu_seconds, max_rss_mb }) => ({ seconds, cpu_seconds, max_rss_mb })) };
    };
    const [a, b] = [best(0), best(1)];
    for (const r of [a, b]) rows.push([c.name, `${r.bytes / MB} MiB`, r.seconds, r.cpu_seconds, Math.round((r.bytes / MB / r.cpu_seconds) * 10) / 10, r.max_rss_mb, r === b ? b.cpu_seconds / a.cpu_seconds : '']);
    results.push({ case: c.name, max_line_bytes: c.maxLineBytes ?? 'default', sizes: [a, b], cpu_time_ratio: b.cpu_seconds / a.cpu_seconds, wall_time_ratio: b.seconds / a.seconds, size_ratio: b.bytes / a.bytes });
  }
  addSection(table(`One long landing line: time ratio at twice the bytes (linear ≈ 2, quadratic ≈ 4) and peak memory (best of ${RUNS})`, ['case', 'line', 'wall s', 'CPU s', 'MiB/CPU s', 'peak RSS MB', 'CPU time ratio'], rows));
  writeJson('longline', { results });
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4] ? Number(process.argv[4]) : undefined);
