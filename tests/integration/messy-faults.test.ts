/**
 * Faults during the landing ingestion: a process killed or stopped mid-ingestion, a landing file
 * that cannot be read, a catalog that cannot be written, a full disk. Each leaves the published
 * tables readable and unchanged, names the path, and the next build succeeds.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chownTree, explain, NOBODY, query, runResults, start, stedi, type Row } from '../helpers/stedi.js';
import { everything, removeCopies, stediWithCorpus, VARS } from './messy-helpers.js';

afterAll(removeCopies);

const BIG = 'landing/accelerometer/landing/accelerometer-big.json';

/** `n` fake phone readings of users nobody registered (they change no zone table). */
function bigFile(dir: string, n: number): void {
  const fd = fs.openSync(path.join(dir, BIG), 'w');
  let chunk = '';
  for (let i = 0; i < n; i++) {
    // values that do not compress: the ingested Parquet parts must not fit the small disk either
    const r = (k: number) => ((i * 2654435761 + k * 40503) % 1_000_003) / 1_000_003;
    chunk += `{"user":"load${i % 997}@example.com","timestamp":${1_700_000_000_000 + ((i * 7919) % 1_200_007)},"x":${r(1)},"y":${r(2)},"z":${r(3)}}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

async function landingRecord(dir: string): Promise<Row[]> {
  return query(dir, 'select source, file, status, lines, accepted, rejected from _stedi.landing_files order by source, file');
}

describe('a build killed or stopped during the landing ingestion', () => {
  let dir: string;
  let before: Record<string, Row[]>;
  let record: Row[];

  beforeAll(async () => {
    dir = stediWithCorpus();
    const r = await stedi(dir, ['build', ...VARS]);
    expect(r.code, explain(r)).toBe(0);
    before = await everything(dir);
    record = await landingRecord(dir);
    bigFile(dir, 600_000);
  });

  async function assertUnchanged(): Promise<void> {
    expect(await everything(dir)).toEqual(before);
    expect(await landingRecord(dir)).toEqual(record);
  }

  for (const [when, ms] of [['300ms', 300], ['900ms', 900]] as const) {
    it(`SIGKILL ${when} into the ingestion leaves every published table as it was`, async () => {
      const p = start(dir, ['build', ...VARS]);
      await p.waitFor(/Running with stedi/);
      await new Promise((r) => setTimeout(r, ms));
      p.child.kill('SIGKILL');
      const r = await p.exited;
      expect(r.signal, explain(r)).toBe('SIGKILL');
      // the accelerometer source had not finished: the kill landed mid-ingestion
      expect(r.stdout).not.toMatch(/source landing\.accelerometer/);
      await assertUnchanged();
    });
  }

  it('SIGINT mid-ingestion rolls it back and exits 130; the next build succeeds', async () => {
    const p = start(dir, ['build', ...VARS]);
    await p.waitFor(/Running with stedi/);
    await new Promise((r) => setTimeout(r, 500));
    p.child.kill('SIGINT');
    const r = await p.exited;
    expect(r.code, explain(r)).toBe(130);
    expect(r.stdout).not.toMatch(/OK source landing\.accelerometer|WARN source landing\.accelerometer/);
    await assertUnchanged();
    fs.rmSync(path.join(dir, BIG));
    const next = await stedi(dir, ['build', ...VARS]);
    expect(next.code, explain(next)).toBe(0);
    expect(await everything(dir)).toEqual(before);
  });
});

describe('read and write errors name the path; the published version stays', () => {
  const asNobody = process.getuid?.() === 0;
  let dir: string;
  let before: Record<string, Row[]>;
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  beforeAll(async () => {
    dir = stediWithCorpus();
    if (asNobody) chownTree(dir, NOBODY);
    const r = await stedi(dir, ['build', ...VARS], asNobody ? { user: NOBODY } : {});
    expect(r.code, explain(r)).toBe(0);
    before = await everything(dir);
  });

  it('a landing file that cannot be read', async () => {
    const file = path.join(dir, 'landing/customer/landing/customer-1.json');
    fs.chmodSync(file, 0o000);
    cleanups.push(() => fs.chmodSync(file, 0o644));
    const r = await stedi(dir, ['build', ...VARS], asNobody ? { user: NOBODY } : {});
    if (!asNobody && r.code === 0) return; // a user that ignores file modes cannot run this case
    expect(r.code, explain(r)).toBe(1);
    const res = runResults(dir).results.find((x) => x.unique_id === 'source.stedi.landing.customer')!;
    expect(res.message).toContain('cannot read landing/customer/landing/customer-1.json: permission denied; the published version is unchanged');
    expect(await everything(dir)).toEqual(before);
  });

  it.skipIf(!asNobody)('a catalog whose write-ahead log cannot be created', async () => {
    const lake = path.join(dir, 'lake');
    fs.chmodSync(lake, 0o555);
    cleanups.push(() => fs.chmodSync(lake, 0o755));
    const r = await stedi(dir, ['build', ...VARS], { user: NOBODY });
    expect(r.code, explain(r)).toBe(1);
    // the first thing the build writes is the published snapshot beside the catalog (or the catalog's log)
    expect(r.stderr).toMatch(/cannot write lake\/stedi\.(duckdb(\.wal)?|published\.json): permission denied; the published version is unchanged/);
    expect(await everything(dir)).toEqual(before);
  });
});

/** A small tmpfs mounted on the project's lake folder: only where the tests may mount (root in a container). */
function mountTmpfs(target: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', target], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('a full disk during the ingestion', () => {
  it('names the path, leaves the published tables readable and unchanged; the next build with space succeeds', async (ctx) => {
    const dir = stediWithCorpus();
    const lake = path.join(dir, 'lake');
    fs.mkdirSync(lake);
    if (process.getuid?.() !== 0 || !mountTmpfs(lake, '12m')) {
      ctx.skip();
      return;
    }
    try {
      const r = await stedi(dir, ['build', ...VARS]);
      expect(r.code, explain(r)).toBe(0);
      const before = await everything(dir);
      bigFile(dir, 1_200_000);
      const full = await stedi(dir, ['build', ...VARS], { timeoutMs: 120_000 });
      expect(full.code, explain(full)).toBe(1);
      expect(full.stderr).toMatch(/cannot write lake\/\S+: the disk is full; the published version is unchanged/);
      expect(await everything(dir)).toEqual(before);
      // space again: the next build succeeds
      execFileSync('mount', ['-o', 'remount,size=512m', lake]);
      fs.rmSync(path.join(dir, BIG));
      const next = await stedi(dir, ['build', ...VARS]);
      expect(next.code, explain(next)).toBe(0);
      expect(await everything(dir)).toEqual(before);
    } finally {
      execFileSync('umount', [lake]);
    }
  }, 180_000);
});
