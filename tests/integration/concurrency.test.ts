/**
 * Two stedi processes on one lake: the second build fails fast with a clear message instead of
 * waiting or writing beside the first; neither corrupts the lake. Readers are not writers: they
 * see the published tables while a build runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, publishedDirs, removeFixtures, snapshot, start, stedi, versionDirs, type Row, keptDirs } from '../helpers/stedi.js';

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
    // --no-reuse: every table is built, so the build is still running while the readers below read
    const first = start(dir, ['build', '--vars', '{slow_rows: 25000}', '--no-reuse']);
    await first.waitFor(/ \d+ of \d+ /); // the first build holds the catalog now
    const second = await stedi(dir, ['build']);
    // it failed while the first was still busy: it did not wait for the lock
    expect(first.child.exitCode, explain(second)).toBeNull();
    expect(second.code, explain(second)).toBe(1);
    expect(second.stderr).toMatch(/the lake catalog lake\/stedi\.duckdb is in use by another stedi process \(pid \d+\)/);
    expect(second.stderr).toContain(`(pid ${first.child.pid})`);
    expect(second.stdout).not.toMatch(/ \d+ of \d+ /); // it ran nothing

    // a reader is not refused while the build runs: it sees the published version, never the candidate
    const show = await stedi(dir, ['show', '--select', 'customer_trusted', '--output', 'json']);
    expect(show.code, explain(show)).toBe(0);
    expect(JSON.parse(show.stdout)).toHaveLength(published['trusted.customer_trusted']!.length);
    const slow = await stedi(dir, ['show', '--inline', "select count(*) as n from {{ ref('slow') }}", '--output', 'json']);
    expect(slow.code, explain(slow)).toBe(0);
    expect(JSON.parse(slow.stdout)).toEqual([{ n: 2000 }]);
    const tests = await stedi(dir, ['test', '--select', 'customer_trusted']);
    expect(tests.code, explain(tests)).toBe(0);
    expect(first.child.exitCode, 'the build was still running while the readers read').toBeNull();

    const done = await first.exited;
    expect(done.code, explain(done)).toBe(0);
    expect(done.stdout).toMatch(/OK table trusted\.slow .* \[25000000 rows in/);

    const third = await stedi(dir, ['build']);
    expect(third.code, explain(third)).toBe(0);
    expect(await publishedDirs(dir)).toHaveLength(6);
    expect(await keptDirs(dir)).toEqual(versionDirs(dir));
    expect(await snapshot(dir)).toEqual(published);
  });
});
