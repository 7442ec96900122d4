/**
 * A write that the file system refuses: the error names the path and the published version
 * stays in place. Tests often run as root, for whom chmod does not block writes: one case puts
 * a FILE where the table's folder must be created (fails for root too), the chmod case runs
 * the CLI as `nobody` when the tests run as root.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { chownTree, copyFixture, explain, NOBODY, othersCanRunCli, publishedDirs, query, removeFixtures, resultOf, snapshot, stedi, versionDirs, type Row, keptDirs } from '../helpers/stedi.js';

const CT = 'model.mini.customer_trusted';
const CT_DIR = 'lake/customer/trusted/customer_trusted';

describe('a write the file system refuses', () => {
  let dir: string;
  let published: Record<string, Row[]>;
  let oldVersion: string;

  beforeEach(async () => {
    dir = copyFixture();
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    published = await snapshot(dir);
    oldVersion = versionDirs(dir).find((d) => d.startsWith(CT_DIR))!;
  });
  afterAll(removeFixtures);

  async function assertOldVersionPublished(): Promise<void> {
    expect(await snapshot(dir)).toEqual(published);
    expect(await publishedDirs(dir)).toContain(oldVersion);
    expect(fs.readdirSync(path.join(dir, oldVersion)).sort()).toEqual(['_stedi_version.json', 'data.parquet']);
  }

  it('a file where the version folder must go: error names the path, old version still published', async () => {
    // move the table to another entity whose folder cannot be created: `lake/blocked` is a file
    const sql = path.join(dir, 'models/trusted/customer_trusted.sql');
    fs.writeFileSync(sql, fs.readFileSync(sql, 'utf8').replace("entity='customer'", "entity='blocked'"));
    fs.writeFileSync(path.join(dir, 'lake/blocked'), 'not a folder\n');
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(1);
    const res = resultOf(dir, CT);
    expect(res.status).toBe('error');
    expect(res.message).toMatch(/cannot write lake\/blocked\/trusted\/customer_trusted\/v=\d{8}T\d{6}Z-[0-9a-f]{8}: .*not a directory.*; the published version is unchanged/);
    expect(r.stderr).toContain('cannot write lake/blocked/trusted/customer_trusted/v=');
    expect(resultOf(dir, 'model.mini.customer_curated')).toMatchObject({ status: 'skipped', skipped_because: CT });
    await assertOldVersionPublished();
    expect(fs.readFileSync(path.join(dir, 'lake/blocked'), 'utf8')).toBe('not a folder\n');
    expect(await keptDirs(dir)).toEqual(versionDirs(dir));
  });

  // root ignores file modes: as root, this build runs as `nobody`
  const asRoot = process.getuid?.() === 0;
  it.skipIf(asRoot && !othersCanRunCli())('a read-only table folder (chmod 0555): error names the path, old version still published', async () => {
    const user = asRoot ? NOBODY : undefined;
    if (user) chownTree(dir, user);
    const base = path.join(dir, CT_DIR);
    fs.chmodSync(base, 0o555);
    try {
      // --no-reuse: the inputs did not change since the last build, and this one must write
      const r = await stedi(dir, ['build', '--no-reuse'], user ? { user } : {});
      expect(r.code, explain(r)).toBe(1);
      expect(resultOf(dir, CT).message).toMatch(/cannot write lake\/customer\/trusted\/customer_trusted\/v=\S+: permission denied; the published version is unchanged/);
      expect(resultOf(dir, 'model.mini.slow').status).toBe('success');
      await assertOldVersionPublished();
      expect(fs.readdirSync(base)).toEqual([path.basename(oldVersion)]);
    } finally {
      fs.chmodSync(base, 0o755);
    }
  });

  it('a lake folder that cannot be created fails the command, naming the path', async () => {
    fs.writeFileSync(path.join(dir, 'alt_lake'), 'not a folder\n');
    const r = await stedi(dir, ['build', '--target', 'alt']);
    expect(r.code, explain(r)).not.toBe(0);
    expect(r.stderr).toMatch(/cannot write alt_lake: /);
    expect(r.stderr).not.toContain('internal error');
    // the local lake was not touched
    expect(await query(dir, 'select count(*) as n from trusted.customer_trusted')).toEqual([{ n: '5' }]);
  });
});
