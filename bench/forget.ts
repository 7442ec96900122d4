/**
 * `stedi forget`: what one erasure costs beside a cold build, per size, on a copy of the generated
 * landing data (hard links: the cached data is never modified; forget replaces a file by a
 * rename, so the linked original stays as it was):
 *
 *   1. cold `stedi build` on an empty lake;
 *   2. `stedi forget --dry-run` of one consenting customer with readings (the scan and the counts);
 *   3. `stedi forget` of that customer (scan, rewrite, rebuild with older versions expired, checks);
 *   4. a `stedi build` with nothing new, after the erasure (sources with identity columns are
 *      classified by the runner while the erasure list is not empty).
 *
 * Reported: wall time and peak RSS of each, and each ÷ the cold build (measured side by side).
 */
import fs from 'node:fs';
import path from 'node:path';
import { check, measure } from './lib/proc.js';
import { addSection, table, writeJson } from './lib/report.js';
import { stediRun } from './lib/stedi.js';
import { linkedCopy, log, BENCH_KEY, benchDir, BIN, landing, projectCopy, REPO, type Size } from './lib/workspace.js';

/** The email of the first customer record with research consent (the generator's data: one record per customer). */
function someone(root: string): string {
  const dir = path.join(root, 'customer', 'landing');
  const file = path.join(dir, fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()[0]!);
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const r = JSON.parse(line) as { email?: string; shareWithResearchAsOfDate?: number };
    if (r.email && r.shareWithResearchAsOfDate) return r.email;
  }
  throw new Error('no consenting customer in the first customer file');
}

export async function forgetBench(sizes: Size[]): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const size of sizes) {
    log(`${size.name}: landing data`);
    const l = await landing(size);
    const root = path.join(benchDir(), 'forget-landing', size.name);
    linkedCopy(l.root, root);
    const project = projectCopy('forget');
    const vars = `{landing_root: ${JSON.stringify(root)}}`;
    const cli = async (label: string, args: string[]) => {
      log(`${size.name}: ${label}`);
      const m = check(`stedi ${args.join(' ')}`, await measure(process.execPath, [BIN, ...args, '--project-dir', project, '--target', 'bench', '--vars', vars, '--quiet'], { cwd: REPO, env: { ...process.env, STEDI_SUBJECT_KEY: BENCH_KEY } }));
      return { wall_s: m.wall_s, max_rss_mb: m.max_rss_mb };
    };
    const cold = await stediRun(project, root, ['build'], 'bench');
    const email = someone(root);
    const dry = await cli('forget --dry-run', ['forget', '--email', email, '--dry-run']);
    const forget = await cli('forget', ['forget', '--email', email]);
    const after = await stediRun(project, root, ['build'], 'bench', { keepLake: true });
    rows.push({ size: size.name, cold: { wall_s: cold.wall_s, max_rss_mb: cold.max_rss_mb }, dry_run: dry, forget, build_after: { wall_s: after.wall_s, max_rss_mb: after.max_rss_mb } });
    fs.rmSync(root, { recursive: true, force: true });
  }
  addSection(
    table(
      'stedi forget of one person ÷ a cold build (seconds; peak RSS in MB; the build after: nothing new, the erasure list applied)',
      ['size', 'cold build', 'forget --dry-run', 'forget', 'build after', 'dry-run ÷ cold', 'forget ÷ cold', 'build after ÷ cold', 'forget peak RSS'],
      rows.map((r: any) => [r.size, r.cold.wall_s, r.dry_run.wall_s, r.forget.wall_s, r.build_after.wall_s, r.dry_run.wall_s / r.cold.wall_s, r.forget.wall_s / r.cold.wall_s, r.build_after.wall_s / r.cold.wall_s, r.forget.max_rss_mb]),
    ),
  );
  writeJson('forget', { results: rows });
}
