/**
 * Two stedi processes on one lake: the second fails fast with a clear message instead of
 * waiting or writing beside the first; neither corrupts the lake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, publishedDirs, removeFixtures, snapshot, start, stedi, versionDirs, type Row } from '../helpers/stedi.js';

describe('two builds at once on the same lake', () => {
  let dir: string;
  let published: Record<string, Row[]>;

  beforeAll(async () => {
    dir = copyFixture();
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    published = await snapshot(dir);
  });
  afterAll(removeFixtures);

  it('the second build fails fast naming the lake catalog; the first completes; a third succeeds', async () => {
    const first = start(dir, ['build', '--vars', '{slow_rows: 7000}']);
    await first.waitFor(/ of 10 /); // the first build holds the catalog now
    const second = await stedi(dir, ['build']);
    // it failed while the first was still busy: it did not wait for the lock
    expect(first.child.exitCode, explain(second)).toBeNull();
    expect(second.code, explain(second)).toBe(1);
    expect(second.stderr).toMatch(/the lake catalog lake\/stedi\.duckdb is in use by another stedi process \(pid \d+\)/);
    expect(second.stderr).toContain(`(pid ${first.child.pid})`);
    expect(second.stdout).not.toMatch(/ of 10 /); // it ran nothing

    // a reader is refused the same way while the build runs
    const show = await stedi(dir, ['show', '--select', 'customer_trusted']);
    expect(show.code, explain(show)).not.toBe(0);
    expect(show.stderr).toContain('is in use by another stedi process');

    const done = await first.exited;
    expect(done.code, explain(done)).toBe(0);
    expect(done.stdout).toMatch(/OK table trusted\.slow .* \[7000000 rows in/);

    const third = await stedi(dir, ['build']);
    expect(third.code, explain(third)).toBe(0);
    expect(versionDirs(dir)).toHaveLength(4);
    expect(await publishedDirs(dir)).toEqual(versionDirs(dir));
    expect(await snapshot(dir)).toEqual(published);
  });
});
