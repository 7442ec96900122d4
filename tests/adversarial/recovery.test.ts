/**
 * Fail closed, section 7: recoverable, readable, quiet when stopped.
 *
 *   - a damaged catalog is named as such, with the way out; `stedi recover` rebuilds it from the
 *     published snapshot (tables come back as they were, no rebuild), or says that `stedi build`
 *     must re-ingest; the damaged file is kept
 *   - readers see the published tables during a build and even with a damaged catalog
 *   - Ctrl-C/SIGTERM: one CANCELLED line per node in flight, one line saying what stayed
 *     published, no raw engine interrupt text, exit 130/143
 * (A YAML alias bomb is a user error: tests/adversarial/hostile-yaml.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, query, removeFixtures, runResults, snapshot, start, stedi } from '../helpers/stedi.js';

afterAll(removeFixtures);

const CATALOG = 'lake/stedi.duckdb';

async function built(): Promise<{ dir: string; rows: Awaited<ReturnType<typeof snapshot>> }> {
  const dir = copyFixture();
  const r = await stedi(dir, ['build']);
  expect(r.code, explain(r)).toBe(0);
  return { dir, rows: await snapshot(dir) };
}

function truncate(dir: string, how: 'half' | 'garbage' | 'empty'): void {
  const file = path.join(dir, CATALOG);
  if (how === 'half') fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
  else fs.writeFileSync(file, how === 'garbage' ? Buffer.alloc(8192, 0x5a) : '');
}

describe('a damaged catalog', () => {
  for (const how of ['half', 'garbage'] as const) {
    it(`(${how}) is named as damaged with the way out; readers still read; stedi recover brings every table back as it was`, async () => {
      const { dir, rows } = await built();
      truncate(dir, how);
      const b = await stedi(dir, ['build']);
      expect(b.code, explain(b)).not.toBe(0);
      expect(b.stderr).toMatch(/the lake catalog lake\/stedi\.duckdb cannot be read: it is damaged/);
      expect(b.stderr).toContain('Run `stedi recover`');
      expect(b.stderr).not.toMatch(/internal error|    at /);
      // readers build their views from the published snapshot, not from the catalog
      const show = await stedi(dir, ['show', '--inline', "select count(*) as n from {{ ref('customer_trusted') }}", '--output', 'json']);
      expect(show.code, explain(show)).toBe(0);
      expect(JSON.parse(show.stdout)).toEqual([{ n: 5 }]);

      const r = await stedi(dir, ['recover']);
      expect(r.code, explain(r)).toBe(0);
      expect(r.stdout).toMatch(/set the damaged stedi\.duckdb aside as lake\/stedi\.duckdb\.damaged-\d{8}T\d{6}Z/);
      expect(r.stdout).toContain('every published table is readable again');
      const aside = fs.readdirSync(path.join(dir, 'lake')).filter((f) => f.startsWith('stedi.duckdb.damaged-'));
      expect(aside).toHaveLength(1);
      // the plain catalog serves every table again, with the same rows, without a rebuild
      expect(await snapshot(dir)).toEqual(rows);
      expect(await query(dir, 'select count(*) as n from landing.customer')).toEqual([{ n: '5' }]);
      const t = await stedi(dir, ['test']);
      expect(t.code, explain(t)).toBe(0);
      const again = await stedi(dir, ['build']);
      expect(again.code, explain(again)).toBe(0);
      expect(await snapshot(dir)).toEqual(rows);
      // the ingestion state came back with the catalog: no landing file was read again
      const sources = runResults(dir).results.filter((x) => x.unique_id.startsWith('source.'));
      expect(sources.length).toBeGreaterThan(0);
      for (const x of sources) expect(x.message).toMatch(/read 0 of \d+ landing files?/);
    });
  }

  it('without the published snapshot, recover makes an empty catalog and says a build must re-ingest; the build does', async () => {
    const { dir, rows } = await built();
    truncate(dir, 'half');
    fs.rmSync(path.join(dir, 'lake/stedi.published.json'));
    const r = await stedi(dir, ['recover']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain('created an empty catalog');
    expect(r.stdout).toContain('next: run `stedi build` to re-ingest the landing files and rebuild every table');
    const b = await stedi(dir, ['build']);
    expect(b.code, explain(b)).toBe(0);
    expect(await snapshot(dir)).toEqual(rows);
  });

  it('on a healthy catalog recover changes nothing', async () => {
    const { dir } = await built();
    const before = fs.readFileSync(path.join(dir, CATALOG));
    const r = await stedi(dir, ['recover']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain('is readable: nothing to recover');
    expect(fs.readFileSync(path.join(dir, CATALOG)).equals(before)).toBe(true);
  });
});

describe('a stopped build is quiet and says what stayed published', () => {
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${sig}: CANCELLED for the nodes in flight only, one line on what stayed published, exit ${code}`, async () => {
      // A model downstream of the slow one: it cannot start before the stop, so it is not run.
      const dir = copyFixture();
      fs.writeFileSync(path.join(dir, 'models/curated/after_slow.sql'), "select count(*) as n from {{ ref('slow') }}\n");
      const first = await stedi(dir, ['build']);
      expect(first.code, explain(first)).toBe(0);
      const rows = await snapshot(dir);
      const p = start(dir, ['build', '--vars', '{slow_rows: 7000}']);
      // Every other node is reused or quick and reports within a second, while the slow model
      // takes seconds: after the ninth line it is in flight and after_slow waits for it (the
      // first line can come from a reused node before anything has started).
      await p.waitFor(/ 9 of 11 /, 60_000);
      p.child.kill(sig);
      const r = await p.exited;
      expect(r.code, explain(r)).toBe(code);
      const out = `${r.stdout}\n${r.stderr}`;
      const cancelled = out.split('\n').filter((l) => / CANCELLED /.test(l));
      const inFlight = runResults(dir).results.filter((x) => x.status === 'cancelled');
      expect(inFlight.map((x) => x.name)).toContain('slow');
      expect(cancelled).toHaveLength(inFlight.length);
      // no line per node that never started, no failure lines, no engine interrupt text
      expect(out).not.toMatch(/ SKIP | ERROR |Failure in|Interrupt|INTERRUPT/);
      expect(out.split('\n').filter((l) => l.startsWith(`Stopped by ${sig}`))).toHaveLength(1);
      expect(out).toMatch(new RegExp(`Stopped by ${sig} after [\\d.]+s: \\d+ nodes? cancelled, \\d+ not run\\. Nothing in flight was published; every table stays as it was before this run, except the \\d+ this run published before the stop\\.`));
      // what never ran is still in run_results.json, as not run
      expect(runResults(dir).results.some((x) => x.status === 'skipped' && x.message === 'not run: the run was stopped')).toBe(true);
      expect(await snapshot(dir)).toEqual(rows);
    });
  }
});
