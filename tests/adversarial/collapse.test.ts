/**
 * Fail closed, section 1: never publish a collapse. Every case asserts the guarantee — what is
 * published stays exactly as it was (rows, version folders, recorded inputs) — not only an exit
 * code; on a real DuckDB through the CLI, and on Athena through the real SDK clients.
 *
 *   - a landing location that is missing (a typo'd landing_root, any source, any spelling) is an
 *     error: exit 1, nothing downstream published
 *   - existing but empty landing folders, or a delivery that lost most of its lines, do not
 *     replace published rows (allow_empty, max_row_drop; --allow-shrink for one run)
 *   - a build whose inputs (landing location, vars, target) differ from those of the published
 *     tables it reads or that read it is refused, naming the table, the input and the command
 *     that rebuilds consistently; an inconsistency left by a failed build is shown by
 *     `stedi test` and the docs page
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HookedSimulator } from '../helpers/hooked-simulator.js';
import { copyFixture, explain, publishedDirs, query, removeFixtures, runResults, snapshot, stedi, versionDirs, write, type Row } from '../helpers/stedi.js';
import { counts, edit, removeCopies, stediWithCorpus, TABLES } from '../integration/messy-helpers.js';
import { adapterOptions, build, checkedBuild, compileProject, deliverLanding, type FakeAws, fakeAwsEachTest } from '../unit/athena/harness.js';

afterAll(() => {
  removeFixtures();
  removeCopies();
});

/**
 * What a reader can see of the mini project's customer lineage (the landing source and what is
 * built from it): rows of every table, and the version folders of the customer tables. Nodes
 * that do not read the source (the seed, country_summary, slow) still build when it fails: only
 * what is downstream of a failure is held back.
 */
async function state(dir: string): Promise<{ rows: Record<string, Row[]>; published: string[]; onDisk: string[]; landing: Row[] }> {
  const customer = (d: string) => d.startsWith('lake/customer/');
  return {
    rows: await snapshot(dir),
    published: (await publishedDirs(dir)).filter(customer),
    onDisk: versionDirs(dir).filter(customer),
    landing: await query(dir, 'select * from landing.customer order by n'),
  };
}

describe('a missing landing location is an error, and nothing downstream is published', () => {
  let dir: string;
  let before: Awaited<ReturnType<typeof state>>;
  beforeAll(async () => {
    dir = copyFixture();
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    before = await state(dir);
  });

  for (const [how, args, env] of [
    ['--vars with an absolute typo', ['--vars', '{landing_root: /a/typo}'], {}],
    ['--vars with a relative typo', ['--vars', '{landing_root: seeds/landin}'], {}],
    ['STEDI_VARS', [], { STEDI_VARS: '{landing_root: nowhere/at/all}' }],
  ] as const) {
    it(`via ${how}: exit 1, the source fails naming the location, every published table stays`, async () => {
      const r = await stedi(dir, ['build', ...args], { env });
      expect(r.code, explain(r)).toBe(1);
      const rr = runResults(dir);
      const source = rr.results.find((x) => x.unique_id === 'source.mini.landing.customer')!;
      expect(source.status).toBe('error');
      expect(source.message).toMatch(/does not exist/);
      // nothing downstream of the source ran
      for (const id of ['model.mini.customer_trusted', 'model.mini.customer_curated']) expect(rr.results.find((x) => x.unique_id === id)?.status).toBe('skipped');
      expect(await state(dir)).toEqual(before);
    });
  }
});

describe('an empty delivery does not replace published rows', () => {
  let dir: string;
  let before: Awaited<ReturnType<typeof state>>;
  beforeAll(async () => {
    dir = copyFixture();
    const r = await stedi(dir, ['build']);
    expect(r.code, explain(r)).toBe(0);
    before = await state(dir);
  });

  it('an existing but empty landing folder: the source is refused by its gate, nothing downstream runs', async () => {
    fs.mkdirSync(path.join(dir, 'empty/customer/landing'), { recursive: true });
    const r = await stedi(dir, ['build', '--vars', '{landing_root: empty}']);
    expect(r.code, explain(r)).toBe(1);
    const source = runResults(dir).results.find((x) => x.unique_id === 'source.mini.landing.customer')!;
    expect(source.status).toBe('error');
    expect(source.message).toContain('not published: it would publish 0 rows over the published 5 (allow_empty is false)');
    expect(source.message).toContain('--allow-shrink');
    expect(runResults(dir).results.find((x) => x.unique_id === 'model.mini.customer_trusted')?.status).toBe('skipped');
    expect(await state(dir)).toEqual(before);
  });

  it('a file of blank lines, and a file whose lines are all rejects, are empty deliveries too', async () => {
    for (const [name, text] of [['blank', '\n\n  \n'], ['rejects', '{"email": 5\nnot json\n']] as const) {
      write(dir, `${name}/customer/landing/part-0001.json`, text);
      const r = await stedi(dir, ['build', '--vars', `{landing_root: ${name}}`]);
      expect(r.code, explain(r)).toBe(1);
      expect(await state(dir)).toEqual(before);
    }
  });

  it('allow_empty on the source publishes the empty landing table; the models still may not collapse', async () => {
    edit(dir, 'models/landing/sources.yml', '        entity: customer\n', '        entity: customer\n        config: { allow_empty: true }\n');
    const r = await stedi(dir, ['build', '--vars', '{landing_root: empty}']);
    expect(r.code, explain(r)).toBe(1);
    const rr = runResults(dir);
    expect(rr.results.find((x) => x.unique_id === 'source.mini.landing.customer')?.status).toBe('warn');
    const trusted = rr.results.find((x) => x.unique_id === 'model.mini.customer_trusted')!;
    expect(trusted.status).toBe('error');
    expect(trusted.message).toContain('it would publish 0 rows over the published 5');
    expect(await query(dir, 'select count(*) as n from landing.customer')).toEqual([{ n: '0' }]);
    expect(await snapshot(dir)).toEqual(before.rows);
    edit(dir, 'models/landing/sources.yml', '        config: { allow_empty: true }\n', '');
  });

  it('--allow-shrink publishes the collapse on purpose, one warning per table, and says so in run_results', async () => {
    const r = await stedi(dir, ['build', '--vars', '{landing_root: empty}', '--allow-shrink']);
    expect(r.code, explain(r)).toBe(0);
    const rr = runResults(dir);
    expect(rr.args.allow_shrink).toBe(true);
    const trusted = rr.results.find((x) => x.unique_id === 'model.mini.customer_trusted')!;
    expect(trusted.status).toBe('warn');
    expect(trusted.message).toContain('published although it would publish 0 rows over the published 5 (allow_empty is false) (--allow-shrink)');
    expect(await query(dir, 'select count(*) as n from trusted.customer_trusted')).toEqual([{ n: '0' }]);
  });
});

describe('max_row_drop: a delivery that lost most of its rows', () => {
  let dir: string;
  const lines = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ email: `p${i}@mini.example`, name: `P ${i}`, n: i + 10, country: 'DE' })).join('\n') + '\n';
  beforeAll(async () => {
    dir = copyFixture();
    write(dir, 'big/customer/landing/part-0001.json', lines(10));
    const r = await stedi(dir, ['build', '--vars', '{landing_root: big}']);
    expect(r.code, explain(r)).toBe(0);
  });

  it('by default (0.5) losing 6 of 10 rows is refused; losing 5 is published', async () => {
    const before = await state(dir);
    write(dir, 'big/customer/landing/part-0001.json', lines(4));
    const r = await stedi(dir, ['build', '--vars', '{landing_root: big}']);
    expect(r.code, explain(r)).toBe(1);
    expect(runResults(dir).results.find((x) => x.unique_id === 'source.mini.landing.customer')?.message).toContain('it would publish 4 rows, 60% fewer than the published 10 (max_row_drop is 0.5)');
    expect(await state(dir)).toEqual(before);
    write(dir, 'big/customer/landing/part-0001.json', lines(5));
    const ok = await stedi(dir, ['build', '--vars', '{landing_root: big}']);
    expect(ok.code, explain(ok)).toBe(0);
    expect(await query(dir, 'select count(*) as n from trusted.customer_trusted')).toEqual([{ n: '5' }]);
  });

  it('a stricter guard per node (max_row_drop: 0.1 in config()) refuses a 20% drop of that model only', async () => {
    edit(dir, 'models/trusted/customer_trusted.sql', "config(entity='customer'", "config(entity='customer', max_row_drop=0.1");
    write(dir, 'big/customer/landing/part-0001.json', lines(4));
    const r = await stedi(dir, ['build', '--vars', '{landing_root: big}']);
    expect(r.code, explain(r)).toBe(1);
    const rr = runResults(dir);
    // the source is published (a WARN: its file changed), the model under the stricter guard is not
    const source = rr.results.find((x) => x.unique_id === 'source.mini.landing.customer');
    expect(source?.status).toBe('warn');
    expect(source?.message).toContain('part-0001.json: changed since it was ingested');
    expect(rr.results.find((x) => x.unique_id === 'model.mini.customer_trusted')?.message).toContain('20% fewer than the published 5 (max_row_drop is 0.1)');
    expect(await query(dir, 'select count(*) as n from trusted.customer_trusted')).toEqual([{ n: '5' }]);
  });

  it('a guard value that is not a share is a compile error naming the file', async () => {
    edit(dir, 'models/trusted/customer_trusted.sql', 'max_row_drop=0.1', "max_row_drop='half'");
    const r = await stedi(dir, ['compile']);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/models\/trusted\/customer_trusted\.sql:\d+: .*max_row_drop/);
  });
});

describe('a build is refused when it would mix inputs', () => {
  let dir: string;
  let before: Awaited<ReturnType<typeof state>>;
  beforeAll(async () => {
    dir = copyFixture();
    write(dir, 'elsewhere/customer/landing/part-0001.json', fs.readFileSync(path.join(dir, 'seeds/landing/customer/landing/part-0001.json'), 'utf8'));
    const r = await stedi(dir, ['build', '--vars', '{landing_root: elsewhere}']);
    expect(r.code, explain(r)).toBe(0);
    before = await state(dir);
  });

  it('every published table records the inputs it was built from', async () => {
    const rows = await query(dir, "select relation, inputs from _stedi.published where relation like '%customer%' order by relation");
    const inputs = Object.fromEntries(rows.map((r) => [String(r.relation), JSON.parse(String(r.inputs))]));
    expect(inputs['"landing"."customer"']).toEqual({ target: 'local', vars: {}, landing: { 'source.mini.landing.customer': 'elsewhere/customer/landing' }, location_vars: { 'source.mini.landing.customer': { landing_root: 'elsewhere' } } });
    expect(inputs['"trusted"."customer_trusted"']).toMatchObject({ target: 'local', landing: { 'source.mini.landing.customer': 'elsewhere/customer/landing' } });
  });

  it('a partial build without the var would re-ingest another landing location: refused before anything runs', async () => {
    const r = await stedi(dir, ['build', '-s', 'customer_trusted']);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toContain('Refused: this build would publish tables built from other inputs');
    // which table, which input, and both ways to build consistently
    expect(r.stderr).toMatch(/customer_curated \(published, not rebuilt by this command\) built from other inputs: landing location of landing\.customer is seeds\/landing\/customer\/landing here but elsewhere\/customer\/landing there/);
    expect(r.stderr).toContain(`stedi build -s "customer_trusted" --vars '{landing_root: "elsewhere"`);
    expect(r.stderr).toContain('To rebuild every table from this command\'s inputs: stedi build');
    expect(runResults(dir).results).toEqual([]);
    expect(runResults(dir).refused?.length).toBeGreaterThan(0);
    expect(await state(dir)).toEqual(before);
  });

  it('the suggested command builds consistently; a full build with the new inputs does too', async () => {
    const same = await stedi(dir, ['build', '-s', 'customer_trusted', '--vars', '{landing_root: "elsewhere"}']);
    expect(same.code, explain(same)).toBe(0);
    const moved = await stedi(dir, ['build']);
    expect(moved.code, explain(moved)).toBe(0);
    expect(await snapshot(dir)).toEqual(before.rows);
  });

  it('a model that reads no var may be rebuilt alone whatever the vars say: it records its parents\' inputs', async () => {
    const r = await stedi(dir, ['run', '-s', 'country_summary', '--vars', '{landing_root: /somewhere/else}']);
    expect(r.code, explain(r)).toBe(0);
  });
});

describe('consent_policy: a failed build leaves an inconsistency that stedi test and the docs show', () => {
  let dir: string;
  beforeAll(async () => {
    dir = stediWithCorpus();
    const r = await stedi(dir, ['build', '--vars', '{landing_root: landing}']);
    expect(r.code, explain(r)).toBe(0);
  });

  it('rebuilding only accelerometer_trusted under another consent policy is refused', async () => {
    const before = await counts(dir);
    const r = await stedi(dir, ['build', '-s', 'accelerometer_trusted', '--vars', '{landing_root: landing, consent_policy: any_time}']);
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toMatch(/var consent_policy is any_time here but as_of_date there/);
    expect(await counts(dir)).toEqual(before);
  });

  it('a full build that fails half-way leaves tables of two policies: stedi test fails naming them, the docs page shows them, a full build mends it', async () => {
    // machine_learning_curated breaks: everything upstream is republished under any_time, it is not
    edit(dir, 'models/curated/machine_learning_curated.sql', '   and a.reading_time = st.sensor_reading_time', "   and a.reading_time = st.sensor_reading_time and error('stopped on purpose') is null");
    const broken = await stedi(dir, ['build', '--vars', '{landing_root: landing, consent_policy: any_time}']);
    expect(broken.code, explain(broken)).toBe(1);
    // its unit tests fail first (they run its SQL), so it is skipped: either way it is not republished
    expect(['error', 'skipped']).toContain(runResults(dir).results.find((x) => x.name === 'machine_learning_curated')?.status);
    expect(broken.stderr).toMatch(/The published tables are not built from the same inputs/);
    expect(runResults(dir).inconsistencies?.length).toBeGreaterThan(0);

    const t = await stedi(dir, ['test', '--vars', '{landing_root: landing, consent_policy: any_time}']);
    expect(t.code, explain(t)).toBe(1);
    expect(t.stderr).toMatch(/machine_learning_curated was built from other inputs than its parent \S+: var consent_policy is as_of_date here but any_time there/);

    const docs = await stedi(dir, ['docs', 'generate', '--vars', '{landing_root: landing, consent_policy: any_time}']);
    expect(docs.code, explain(docs)).toBe(0);
    const html = fs.readFileSync(path.join(dir, 'target/docs/index.html'), 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="stedi-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as { inconsistencies?: { node: string; message: string }[] };
    expect(data.inconsistencies?.some((p) => p.node === 'model.stedi.machine_learning_curated' && /consent_policy/.test(p.message))).toBe(true);

    edit(dir, 'models/curated/machine_learning_curated.sql', "   and a.reading_time = st.sensor_reading_time and error('stopped on purpose') is null", '   and a.reading_time = st.sensor_reading_time');
    const mended = await stedi(dir, ['build', '--vars', '{landing_root: landing, consent_policy: any_time}']);
    expect(mended.code, explain(mended)).toBe(0);
    expect(runResults(dir).inconsistencies).toBeUndefined();
    const again = await stedi(dir, ['test', '--vars', '{landing_root: landing, consent_policy: any_time}']);
    expect(again.code, explain(again)).toBe(0);
    for (const t of TABLES) expect((await counts(dir))[t]).toBeGreaterThan(0);
  });
});

describe('on Athena (real SDK clients, faked transports)', () => {
  let sim: HookedSimulator;
  let aws: FakeAws;
  fakeAwsEachTest((s, a) => {
    sim = s;
    aws = a;
  });
  const { manifest, target } = compileProject({ 'models/emails.sql': "select email, n from {{ source('landing', 'customer') }}\n" });
  const published = () => Object.fromEntries([...sim.tables].map(([name, t]) => [name, { version: t.table.VersionId, location: t.table.StorageDescriptor?.Location }]));

  it('a landing prefix without any object fails the source; Glue and S3 stay as they were', async () => {
    deliverLanding(sim, 'tests/fixtures/mini/seeds/landing');
    const first = await build(target, manifest, adapterOptions());
    expect(first.results.every((r) => ['success', 'pass', 'warn'].includes(r.status)), JSON.stringify(first.results.map((r) => [r.name, r.status, r.message]))).toBe(true);
    const before = published();
    const objects = new Set(sim.objects);
    for (const o of [...sim.objects]) if (o.startsWith('s3://lake-bucket/landing/')) sim.objects.delete(o);
    const deliveredGone = new Set([...objects].filter((o) => !o.startsWith('s3://lake-bucket/landing/')));
    aws.calls.length = 0;
    const { results } = await build(target, manifest, adapterOptions({ random: () => 0.75 }));
    const source = results.find((r) => r.unique_id === 'source.mini.landing.customer')!;
    expect(source.status).toBe('error');
    expect(source.message).toMatch(/the landing prefix s3:\/\/lake-bucket\/landing\/customer\/landing\/ holds no object .*; the published version is unchanged/);
    expect(results.find((r) => r.name === 'emails')?.status).toBe('skipped');
    expect(published()).toEqual(before);
    expect(new Set([...sim.objects])).toEqual(deliveredGone);
    expect(aws.calls.some((c) => c.operation === 'CreateTable' || c.operation === 'UpdateTable' || c.operation === 'DeleteObjects')).toBe(false);
  });

  it('an empty delivery (the folder marker only) over published rows is refused by the gate; nothing published', async () => {
    deliverLanding(sim, 'tests/fixtures/mini/seeds/landing');
    await build(target, manifest, adapterOptions());
    for (const o of [...sim.objects]) if (o.startsWith('s3://lake-bucket/landing/customer/landing/')) sim.objects.delete(o);
    sim.putObject('s3://lake-bucket/landing/customer/landing/', '');
    // files that disappear keep their rows by default (on_removed_file: keep), with a warning
    const kept = await build(target, manifest, adapterOptions({ random: () => 0.5 }));
    const keptSource = kept.results.find((r) => r.unique_id === 'source.mini.landing.customer')!;
    expect(keptSource.status).toBe('warn');
    expect(keptSource.message).toContain('no longer in the landing location');
    const before = published();
    // a full refresh reads the empty prefix: the gate refuses to publish the collapse
    const { results } = await build(target, manifest, adapterOptions({ random: () => 0.75 }), 'build', undefined, undefined, undefined, { fullRefresh: true });
    const source = results.find((r) => r.unique_id === 'source.mini.landing.customer')!;
    expect(source.status).toBe('error');
    expect(source.message).toContain('it would publish 0 rows over the published 5 (allow_empty is false)');
    expect(published()).toEqual(before);
    // the refused candidate's data and markers are gone; the published versions keep theirs
    expect([...sim.objects].filter((o) => o.includes('v=20260101T000000Z-c0000000'))).toEqual([]);
  });

  it('a model whose new version has no rows over published rows (UpdateCount 0) is refused; its Glue table is untouched', async () => {
    deliverLanding(sim, 'tests/fixtures/mini/seeds/landing');
    await build(target, manifest, adapterOptions());
    const before = published();
    sim.hooks.outcome = (sql) => (/^CREATE TABLE "stedi"\."emails__stedi_/.test(sql) ? { updateCount: 0 } : undefined);
    const { results } = await build(target, manifest, adapterOptions({ random: () => 0.75 }));
    const emails = results.find((r) => r.name === 'emails')!;
    expect(emails.status).toBe('error');
    expect(emails.message).toContain('it would publish 0 rows over the published 1');
    expect(published().emails).toEqual(before.emails);
    expect([...sim.tables.keys()].filter((n) => n.includes('__stedi_'))).toEqual([]);
  });

  it('the inputs are recorded in Glue; a partial build from another landing root is refused before any call that writes', async () => {
    deliverLanding(sim, 'tests/fixtures/mini/seeds/landing');
    const first = await checkedBuild(target, manifest);
    expect(first.refused).toEqual([]);
    expect(JSON.parse(sim.tables.get('emails')!.table.Parameters!.stedi_inputs!)).toMatchObject({ target: 'athena', landing: { 'source.mini.landing.customer': 's3://lake-bucket/landing/customer/landing' } });
    deliverLanding(sim, 'tests/fixtures/mini/seeds/landing', 's3://lake-bucket/other');
    const other = compileProject({ 'models/emails.sql': "select email, n from {{ source('landing', 'customer') }}\n" }, '{landing_root: "s3://lake-bucket/other"}');
    const before = published();
    aws.calls.length = 0;
    const onlySource = await checkedBuild(target, other.manifest, adapterOptions({ random: () => 0.75 }), (id) => id.startsWith('source.'));
    expect(onlySource.refused.map((p) => p.message)).toEqual([
      'publishing landing.customer would leave emails (published, not rebuilt by this command) built from other inputs: landing location of landing.customer is s3://lake-bucket/other/customer/landing here but s3://lake-bucket/landing/customer/landing there',
    ]);
    expect(onlySource.refused[0]!.published_vars).toEqual({ landing_root: 's3://lake-bucket/landing' });
    expect(onlySource.results).toEqual([]);
    expect(published()).toEqual(before);
    expect(aws.calls.filter((c) => !['GetTables', 'GetWorkGroup', 'GetDatabase'].includes(c.operation))).toEqual([]);
    // everything rebuilt from the other root is consistent again
    const all = await checkedBuild(target, other.manifest, adapterOptions({ random: () => 0.5 }));
    expect(all.refused).toEqual([]);
  });
});
