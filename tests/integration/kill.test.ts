/**
 * A build killed mid-way (SIGKILL at several points) or stopped (SIGINT/SIGTERM) leaves every
 * published table readable and unchanged; the next build succeeds and leaves no stale `v=`
 * folder. The `slow` model is raised to millions of md5 rows so a build stays busy for seconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, publishedDirs, removeFixtures, runResults, snapshot, start, stedi, versionDirs, write, type Row, keptDirs } from '../helpers/stedi.js';

/** About 2-4 s of work for the slow model on a CI core. */
const SLOW = ['--vars', '{slow_rows: 7000}'];

describe('a build killed or stopped mid-way', () => {
  let dir: string;
  let published: Record<string, Row[]>;

  beforeAll(async () => {
    dir = copyFixture();
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    published = await snapshot(dir);
    expect(published['trusted.slow']).toEqual([expect.objectContaining({ n: '2000' })]);
  });
  afterAll(removeFixtures);

  /** Published tables readable and unchanged; the catalog points only at folders that exist. */
  async function assertPublishedIntact(): Promise<void> {
    expect(await snapshot(dir)).toEqual(published);
    const onDisk = versionDirs(dir);
    for (const p of await publishedDirs(dir)) expect(onDisk).toContain(p);
  }

  /** The next (normal-sized) build succeeds and removes whatever the killed one left behind. */
  async function assertRecovers(): Promise<void> {
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    expect(await publishedDirs(dir)).toHaveLength(6);
    expect(await keptDirs(dir)).toEqual(versionDirs(dir));
    expect(await snapshot(dir)).toEqual(published);
  }

  // `midWrite`: the slow model has surely begun its new version folder when the kill lands
  const points: [string, (p: ReturnType<typeof start>) => Promise<void>, boolean][] = [
    ['100ms after start', () => sleep(100), false],
    ['400ms after start', () => sleep(400), false],
    ['1000ms after start', () => sleep(1000), false],
    ['right after the first OK line', (p) => p.waitFor(/ OK /), false],
    ['right after a table was published', (p) => p.waitFor(/ OK table trusted\.customer_trusted /), true],
  ];

  for (const [when, wait, midWrite] of points) {
    it(`SIGKILL ${when}`, async () => {
      const p = start(dir, ['build', ...SLOW]);
      await wait(p);
      p.child.kill('SIGKILL');
      const r = await p.exited;
      // the slow model must still have been running: otherwise this kill proved nothing
      expect(r.signal, explain(r)).toBe('SIGKILL');
      expect(r.stdout).not.toMatch(/OK table trusted\.slow/);
      await assertPublishedIntact();
      if (midWrite) {
        // a half-written version is left behind …
        const pointed = await keptDirs(dir);
        expect(versionDirs(dir).filter((d) => !pointed.includes(d)).some((d) => d.startsWith('lake/load/trusted/slow/'))).toBe(true);
      }
      // … and the next build removes it
      await assertRecovers();
    });
  }

  describe('while the blocking tests audit a candidate version (inside the publish transaction)', () => {
    // a gating test on `slow` that takes seconds whatever the table holds
    const SLOW_AUDIT = `version: 2
models:
  - name: slow
    tests:
      - expression_is_true:
          expression: "(select count(*) from range(15000) as x, range(15000) as y where (x.range + y.range) % 7 = 3) >= 0"
          config: { name: slow_audit }
`;
    /** Starts a build whose `slow` candidate (3000 rows) is written at once and then audited for seconds. */
    async function startAuditing(): Promise<ReturnType<typeof start>> {
      write(dir, 'models/trusted/slow_audit.yml', SLOW_AUDIT);
      const pointed = await keptDirs(dir);
      const p = start(dir, ['build', '--vars', '{slow_rows: 3}']);
      // the candidate's Parquet file exists: the audit of it is (about to be) running
      await until(() => versionDirs(dir).some((d) => d.startsWith('lake/load/trusted/slow/') && !pointed.includes(d) && fs.existsSync(path.join(dir, d, 'data.parquet'))));
      await sleep(300);
      expect(p.stdout()).not.toMatch(/trusted\.slow/);
      return p;
    }

    it('SIGKILL: the candidate was never published', async () => {
      const p = await startAuditing();
      p.child.kill('SIGKILL');
      const r = await p.exited;
      expect(r.signal, explain(r)).toBe('SIGKILL');
      fs.rmSync(path.join(dir, 'models/trusted/slow_audit.yml'));
      await assertPublishedIntact(); // 2000 rows, not the candidate's 3000
      const pointed = await keptDirs(dir);
      const candidate = versionDirs(dir).filter((d) => d.startsWith('lake/load/trusted/slow/') && !pointed.includes(d));
      expect(candidate).toHaveLength(1);
      await assertRecovers();
    });

    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      it(`${sig}: the audit is interrupted, the transaction rolled back, the candidate removed`, async () => {
        const p = await startAuditing();
        const sent = Date.now();
        p.child.kill(sig);
        const r = await p.exited;
        fs.rmSync(path.join(dir, 'models/trusted/slow_audit.yml'));
        expect(Date.now() - sent, explain(r)).toBeLessThan(5000);
        expect(r.signal, explain(r)).toBeNull();
        expect(r.code, explain(r)).not.toBe(0);
        expect(r.stderr).toContain(`${sig} received`);
        expect(runResults(dir).results.find((x) => x.unique_id === 'model.mini.slow')?.status).toBe('cancelled');
        expect(await keptDirs(dir)).toEqual(versionDirs(dir));
        await assertPublishedIntact();
        await assertRecovers();
      });
    }
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} stops the build within seconds with a nonzero exit; published tables unchanged`, async () => {
      // --no-reuse: an earlier test built the same tables from the same inputs; this one needs queries in flight
      const p = start(dir, ['build', ...SLOW, '--no-reuse']);
      await p.waitFor(/ \d+ of \d+ /); // the catalog is open and the signal handlers are installed
      const sent = Date.now();
      p.child.kill(sig);
      const r = await p.exited;
      expect(Date.now() - sent, explain(r)).toBeLessThan(5000);
      expect(r.signal, explain(r)).toBeNull();
      expect(r.code, explain(r)).not.toBe(0);
      expect(r.stderr).toContain(`${sig} received: stopping every query in flight`);
      expect(r.stdout).not.toMatch(/OK table trusted\.slow/);
      const rr = runResults(dir);
      expect(rr.success).toBe(false);
      expect(rr.results.find((x) => x.unique_id === 'model.mini.slow')?.status).toBe('cancelled');
      // a stopped build cleans up after itself: no folder beside the published versions
      expect(await keptDirs(dir)).toEqual(versionDirs(dir));
      await assertPublishedIntact();
      await assertRecovers();
    });
  }
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await sleep(10);
  }
}
