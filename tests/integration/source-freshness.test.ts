/**
 * `stedi source freshness` through the CLI on a small project: the newest landing file (by its
 * modification time) and the newest event time (the published table's max) against the
 * thresholds, target/sources.json, exit codes, and YAML mistakes with file and line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, ndjson, readJson, removeFixtures, stedi, write } from '../helpers/stedi.js';

const HOUR = 3_600_000;
const FILE = 'seeds/landing/customer/landing/part-0001.json';

/** The mini fixture's source with an event-time column and thresholds (`extra` under the table). */
function sourcesYml(extra: string): string {
  return `version: 2
sources:
  - name: landing
    tables:
      - name: customer
        location: "{{ var('landing_root') }}/customer/landing"
        entity: customer
${extra}        columns:
          - { name: email, data_type: varchar, meta: { pii: true } }
          - { name: name, data_type: varchar, meta: { pii: true } }
          - { name: n, data_type: bigint }
          - { name: country, data_type: varchar }
          - { name: ts, data_type: bigint }
`;
}

const THRESHOLDS = '        loaded_at_field: ts\n        freshness: { warn_after: { count: 6, period: hour }, error_after: { count: 1, period: day } }\n';

/** The fixture's landing file with the events `hoursAgo` old, written `fileHoursAgo` ago. */
function land(dir: string, hoursAgo: number[], fileHoursAgo: number): void {
  const now = Date.now();
  write(dir, FILE, ndjson(hoursAgo.map((h, i) => ({ email: `p${i}@mini.example`, name: `P ${i}`, n: i, country: 'DE', ts: now - h * HOUR }))));
  const t = new Date(now - fileHoursAgo * HOUR);
  fs.utimesSync(path.join(dir, FILE), t, t);
}

function project(extra = THRESHOLDS): string {
  const dir = copyFixture();
  write(dir, 'models/landing/sources.yml', sourcesYml(extra));
  return dir;
}

afterAll(removeFixtures);

describe('stedi source freshness', () => {
  it('is an error before anything is published: no event time can be read', async () => {
    const dir = project();
    land(dir, [2, 30], 0);
    const r = await stedi(dir, ['source', 'freshness']);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toMatch(/1 of 1 ERROR freshness of landing\.customer \.+ \[newest file \d+s old, no newest ts\]/);
    expect(r.stderr).toContain('no newest ts: no catalog at lake/stedi.duckdb: nothing has been built on this target yet (run stedi build): its freshness cannot be shown');
    expect(readJson(dir, 'target/sources.json').results[0]).toMatchObject({ unique_id: 'source.mini.landing.customer', status: 'error', files: 1 });
  });

  it('judges the published newest event and the newest file: pass, warn (exit 0, 1 under --warn-error), error', async () => {
    const dir = project();
    land(dir, [2, 30], 0);
    expect((await stedi(dir, ['build', '-s', 'source:landing.customer'])).code).toBe(0);
    const pass = await stedi(dir, ['source', 'freshness']);
    expect(pass.code, explain(pass)).toBe(0);
    expect(pass.stdout).toMatch(/1 of 1 PASS freshness of landing\.customer \.+ \[newest file \d+s old, newest ts 2h old\]/);
    expect(pass.stdout).toContain('newest ts is 2h old, within warn_after (6 hours)');
    const json = readJson(dir, 'target/sources.json');
    expect(json.metadata.schema_version).toBe(1);
    expect(json.results[0]).toMatchObject({ status: 'pass', decided_by: 'newest_event', criteria: { warn_after: { count: 6, period: 'hour' }, error_after: { count: 1, period: 'day' } }, newest_event: { column: 'ts' }, newest_file: { name: 'part-0001.json' } });
    expect(Math.round(json.results[0].max_loaded_at_time_ago_in_s / 3600)).toBe(2);

    // new files landed, the table was not rebuilt: its newest event is what readers see
    land(dir, [1, 8], 0);
    // the published table still says 2h; an old file now decides
    const t = new Date(Date.now() - 10 * HOUR);
    fs.utimesSync(path.join(dir, FILE), t, t);
    const warn = await stedi(dir, ['source', 'freshness']);
    expect(warn.code, explain(warn)).toBe(0);
    expect(warn.stdout).toMatch(/1 of 1 WARN freshness of landing\.customer/);
    expect(warn.stdout).toContain('newest file is 10h old, over warn_after (6 hours)');
    expect(readJson(dir, 'target/sources.json').results[0]).toMatchObject({ status: 'warn', decided_by: 'newest_file' });
    const strict = await stedi(dir, ['source', 'freshness', '--warn-error']);
    expect(strict.code, explain(strict)).toBe(1);
    expect(strict.stderr).toContain('--warn-error: 1 warning made this run fail: source landing.customer');

    // a rebuild with events 30h old: over error_after
    land(dir, [30, 31], 0);
    expect((await stedi(dir, ['build', '-s', 'source:landing.customer'])).code).toBe(0);
    const error = await stedi(dir, ['source', 'freshness', '-o', 'out/fresh.json']);
    expect(error.code, explain(error)).toBe(1);
    expect(error.stderr).toContain('newest ts is 1d 6h old, over error_after (1 day)');
    expect(readJson(dir, 'out/fresh.json').results[0]).toMatchObject({ status: 'error', decided_by: 'newest_event' });
  });

  it('measures without judging a source without thresholds, and reports a missing landing folder as a runtime error', async () => {
    const dir = project('        config: { event_time: ts }\n');
    land(dir, [500], 400);
    expect((await stedi(dir, ['build', '-s', 'source:landing.customer'])).code).toBe(0);
    const r = await stedi(dir, ['source', 'freshness']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/1 of 1 SKIP freshness of landing\.customer \.+ \[newest file 16d 16h old, newest ts 20d 20h old\]/);
    expect(r.stdout).toContain('Done. PASS=0 WARN=0 ERROR=0 SKIP=1 TOTAL=1');
    const gone = project();
    fs.rmSync(path.join(gone, 'seeds/landing/customer'), { recursive: true });
    const g = await stedi(gone, ['source', 'freshness']);
    expect(g.code, explain(g)).toBe(1);
    expect(g.stderr).toContain('the landing folder seeds/landing/customer/landing does not exist');
    expect(readJson(gone, 'target/sources.json').results[0].status).toBe('runtime error');
  });

  it('refuses bad freshness YAML with file and line (exit 2)', async () => {
    const dir = project('        freshness: { warn_after: { count: 6, period: hours } }\n');
    const r = await stedi(dir, ['source', 'freshness']);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toContain(`error E_BAD_VALUE models/landing/sources.yml:8: source table 'customer' freshness warn_after: period must be minute, hour or day, not "hours"\n  hint: did you mean 'hour'?`);
  });
});
