/**
 * Scheduling and exit codes: threads do not change results, a failure skips only its
 * descendants, --fail-fast stops early (and aborts queries in flight), and exit codes are
 * 0 success / 1 a node failed / 2 a usage or project error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, publishedDirs, query, removeFixtures, resultOf, runResults, snapshot, start, stedi, statuses, versionDirs, write, keptDirs } from '../helpers/stedi.js';

const BOOM = 'model.mini.boom';
const BOOM_CHILD = 'model.mini.boom_child';

/** A model failing at run time (a binder error) with a child. */
function addBoom(dir: string): void {
  write(dir, 'models/trusted/boom.sql', "{{ config(entity='boom') }}\nselect no_such_column from {{ ref('countries') }}\n");
  write(dir, 'models/curated/boom_child.sql', "{{ config(entity='boom') }}\nselect * from {{ ref('boom') }}\n");
}

afterAll(removeFixtures);

describe('scheduling', () => {
  it('--threads 1 and --threads 4 give the same results', async () => {
    const one = copyFixture();
    const four = copyFixture();
    const [r1, r4] = await Promise.all([stedi(one, ['build', '--threads', '1']), stedi(four, ['build', '--threads', '4'])]);
    expect(r1.code, explain(r1)).toBe(0);
    expect(r4.code, explain(r4)).toBe(0);
    expect(r1.stdout).toContain('1 thread\n');
    expect(runResults(one).args.threads).toBe(1);
    expect(runResults(four).args.threads).toBe(4);
    expect(statuses(one)).toEqual(statuses(four));
    expect(Object.keys(statuses(one))).toHaveLength(10);
    expect(await snapshot(one)).toEqual(await snapshot(four));
    // one thread really runs one node at a time (gating tests run inside their model's span)
    const spans = runResults(one).results.filter((r) => r.resource_type !== 'test').map((r) => [Date.parse(r.started_at), Date.parse(r.completed_at)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });

  it('a failing model skips only its descendants; the independent branches complete', async () => {
    const dir = copyFixture();
    addBoom(dir);
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(1);
    const st = statuses(dir);
    expect(st[BOOM]).toBe('error');
    expect(resultOf(dir, BOOM_CHILD)).toMatchObject({ status: 'skipped', skipped_because: BOOM, message: 'skipped: upstream boom failed' });
    for (const [id, s] of Object.entries(st)) if (id !== BOOM && id !== BOOM_CHILD) expect(['success', 'pass'], id).toContain(s);
    expect(Object.keys(st)).toHaveLength(12);
    expect(resultOf(dir, BOOM).message).toMatch(/^model boom \(models\/trusted\/boom\.sql:2\): Binder Error: .*no_such_column/);
    expect(r.stderr).toMatch(/ERROR table trusted\.boom/);
    expect(r.stdout).toMatch(/SKIP table curated\.boom_child/);
    expect(r.stderr).toContain('Done. PASS=10 WARN=0 ERROR=1 SKIP=1 TOTAL=12');
    expect(await query(dir, 'select count(*) as n from trusted.customer_trusted')).toEqual([{ n: '5' }]);
    expect(versionDirs(dir).some((d) => d.startsWith('lake/boom/'))).toBe(false);
  });

  it('--fail-fast stops starting nodes after the first failure', async () => {
    const dir = copyFixture();
    addBoom(dir);
    const r = await stedi(dir, ['build', '--threads', '1', '--fail-fast']);
    expect(r.code, explain(r)).toBe(1);
    const rr = runResults(dir);
    expect(rr.args.fail_fast).toBe(true);
    expect(rr.results).toHaveLength(12);
    const boom = resultOf(dir, BOOM);
    expect(boom.status).toBe('error');
    // nothing started after boom failed …
    for (const x of rr.results) if (x.status !== 'skipped') expect(Date.parse(x.started_at), x.unique_id).toBeLessThanOrEqual(Date.parse(boom.completed_at));
    // … so independent nodes that were still waiting are skipped as stopped, not as descendants
    const stopped = rr.results.filter((x) => x.status === 'skipped' && x.skipped_because === undefined);
    expect(stopped.length).toBeGreaterThan(0);
    for (const x of stopped) expect(x.message).toBe('skipped: the run was stopped');
    expect(stopped.map((x) => x.unique_id)).toContain('model.mini.customer_trusted');
    expect(resultOf(dir, BOOM_CHILD)).toMatchObject({ status: 'skipped', skipped_because: BOOM });
  });

  it('--fail-fast aborts a query in flight; its previous version stays published', async () => {
    const dir = copyFixture();
    const first = await stedi(dir, ['build']);
    expect(first.code, explain(first)).toBe(0);
    const before = await snapshot(dir);
    addBoom(dir);
    // slow alone would take seconds; boom fails at once and must interrupt it
    const p = start(dir, ['build', '--fail-fast', '--threads', '4', '--vars', '{slow_rows: 7000}']);
    const r = await p.exited;
    expect(r.code, explain(r)).toBe(1);
    const slow = resultOf(dir, 'model.mini.slow');
    expect(slow.status, explain(r)).toBe('error');
    expect(slow.message).toMatch(/interrupt/i);
    expect(slow.execution_time).toBeLessThan(1.5);
    expect(await snapshot(dir)).toEqual(before);
    expect(await keptDirs(dir)).toEqual(versionDirs(dir));
  });
});

describe('exit codes', () => {
  it('0 on success, 1 when a node fails', async () => {
    const dir = copyFixture();
    expect((await stedi(dir, ['build', '--select', 'countries'])).code).toBe(0);
    write(dir, 'seeds/countries.csv', 'code,country_name\nDE,Germany\nDE,Deutschland\n');
    write(dir, 'models/seeds.yml', 'version: 2\nseeds:\n  - name: countries\n    columns:\n      - name: code\n        tests: [unique]\n');
    const r = await stedi(dir, ['build', '--select', 'countries']);
    expect(r.code, explain(r)).toBe(1);
    expect(resultOf(dir, 'seed.mini.countries').message).toMatch(/^not published/);
    expect(await query(dir, 'select count(*) as n from seeds.countries')).toEqual([{ n: '3' }]);
  });

  type Case = { args: string[]; message: RegExp; prepare?: (dir: string) => void; env?: Record<string, string> };
  const usage: Record<string, Case> = {
    'an unknown selector method': { args: ['build', '--select', 'bogus:x'], message: /unknown selector method 'bogus'/ },
    'an unknown target': { args: ['build', '--target', 'nope'], message: /E_UNKNOWN_TARGET.*target 'nope' is not defined/ },
    'an unknown STEDI_TARGET': { args: ['build'], env: { STEDI_TARGET: 'nowhere' }, message: /STEDI_TARGET: target 'nowhere' is not defined/ },
    '--vars that are not YAML': { args: ['build', '--vars', '{landing_root: '], message: /E_BAD_VARS --vars.*not valid YAML/ },
    '--vars that are not a mapping': { args: ['build', '--vars', '[1, 2]'], message: /--vars must be a mapping/ },
    'STEDI_VARS that are not YAML': { args: ['build'], env: { STEDI_VARS: '{oops' }, message: /E_BAD_VARS STEDI_VARS/ },
    '--threads 0': { args: ['build', '--threads', '0'], message: /--threads must be a whole number of at least 1/ },
    '--ingest-threads 0': { args: ['build', '--ingest-threads', '0'], message: /--ingest-threads must be a whole number of at least 1, not '0'/ },
    'STEDI_INGEST_THREADS that is not a number': { args: ['build'], env: { STEDI_INGEST_THREADS: 'many' }, message: /STEDI_INGEST_THREADS: target key 'ingest_threads' must be an integer/ },
    'an unknown command': { args: ['frobnicate'], message: /unknown command 'frobnicate'/ },
    'a ref to a model that does not exist': {
      args: ['build'],
      message: /models\/trusted\/orphan\.sql.*no_such_model/,
      prepare: (d) => write(d, 'models/trusted/orphan.sql', "select * from {{ ref('no_such_model') }}\n"),
    },
    'an unknown key in stedi_project.yml': {
      args: ['build'],
      message: /stedi_project\.yml.*no_such_key/,
      prepare: (d) => fs.appendFileSync(path.join(d, 'stedi_project.yml'), 'no_such_key: 1\n'),
    },
  };

  it.each(Object.entries(usage))('2 for %s', async (_what, c) => {
    const dir = copyFixture();
    c.prepare?.(dir);
    const r = await stedi(dir, c.args, c.env ? { env: c.env } : {});
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(c.message);
    expect(r.stderr).not.toContain('internal error');
    // nothing ran: no catalog was created
    expect(fs.existsSync(path.join(dir, 'lake/stedi.duckdb'))).toBe(false);
  });
});
