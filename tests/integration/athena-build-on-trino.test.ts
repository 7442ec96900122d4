/**
 * `stedi build --target athena` executed for real on a Trino 476: the runner's Athena adapter,
 * through the real SDK v3 clients (aws-sdk-client-mock), with Athena's statements run on Trino,
 * Glue's changes mapped onto Trino's catalogs and S3 on the Trino's warehouse folder
 * (tests/helpers/trino-aws.ts). A sequence of deliveries on the STEDI seeds — new readings, a
 * consent withdrawn (a newer customer record), the consent given again at a later date — is built
 * after each step in one Glue database, and built with --full-refresh in another from the same
 * landing files; after every step every published table of the first equals the second's, row
 * for row (as multisets), and nothing of the withdrawn customer stays in a trusted or curated table.
 * In CI a missing Trino fails these tests; elsewhere they are skipped, saying how to start one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AthenaAdapterOptions } from '../../runner/adapters/athena/adapter.js';
import type { NodeResult } from '../../runner/execute/results.js';
import type { Manifest } from '../../runner/manifest/types.js';
import { REPO } from '../helpers/stedi.js';
import { trinoServer, type TrinoServer } from '../helpers/trino.js';
import { TrinoAws } from '../helpers/trino-aws.js';
import { build, compileStedi, fakeAws, OWNER, type FakeAws } from '../unit/athena/harness.js';

const server = trinoServer();
const inCi = !!process.env.CI;
if (typeof server === 'string' && !inCi) console.warn(`SKIPPED the Athena build on Trino: ${server}`);

/** Per test file run, so that a rerun on the same Trino never meets an earlier run's tables. */
const RUN = `b${Date.now().toString(36)}`;
const BUCKET = 'lake-bucket';
const LANDING = `s3://${BUCKET}/${RUN}/landing`;
/** The Hive sequence's landing root: its deliveries are its own. */
const HIVE_LANDING = `s3://${BUCKET}/${RUN}/landing-hive`;
const EMPTY_LANDING = `s3://${BUCKET}/${RUN}/landing-empty`;

/** One Glue database on the Trino, its own zones prefix, a clock that moves a second per call (fresh versions). */
class Lake {
  readonly aws: TrinoAws;
  private tick = Date.parse('2026-01-01T00:00:00Z');
  private fake?: FakeAws;
  readonly compiled: { manifest: Manifest; target: ReturnType<typeof compileStedi>['target'] };

  constructor(
    readonly database: string,
    trino: TrinoServer,
    /** Models published as Hive tables (`config(table_format='hive')`) instead of Iceberg. */
    hive: string[] = [],
    landing = LANDING,
  ) {
    this.aws = new TrinoAws(database, trino, BUCKET, () => new Date(this.tick));
    const env = { AWS_REGION: 'eu-west-1', STEDI_ATHENA_DATABASE: database, STEDI_ATHENA_WORKGROUP: 'stedi', STEDI_S3_DATA_DIR: `s3://${BUCKET}/${RUN}/${database}/zones`, STEDI_LANDING_ROOT: landing };
    this.compiled = compileStedi(env);
    for (const n of Object.values(this.compiled.manifest.nodes)) if (n.resource_type === 'model' && hive.includes(n.name)) n.config.table_format = 'hive';
  }

  private options(): AthenaAdapterOptions {
    let n = 0;
    this.tick += 60_000;
    const base = this.tick;
    return { owner: OWNER, now: () => new Date(base), random: () => (++n * 0x01010101) / 0x100000000, timing: { sleep: async () => undefined, random: () => 0.5 } };
  }

  async build(extra: { fullRefresh?: boolean } = {}): Promise<NodeResult[]> {
    this.fake = fakeAws(this.aws, (op, input) => this.aws.answer(op, input));
    try {
      const { results } = await build(this.compiled.target, this.compiled.manifest, this.options(), 'build', undefined, undefined, undefined, extra);
      return results;
    } finally {
      this.fake.restore();
    }
  }

  /** Every published table (models, seeds, landing tables), as sorted JSON rows, by name. */
  async contents(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const n of Object.values(this.compiled.manifest.nodes)) {
      if (n.resource_type !== 'model' && n.resource_type !== 'seed' && n.resource_type !== 'source') continue;
      const r = await this.aws.trino(`SELECT * FROM "${this.database}"."${n.name}"`);
      out[n.name] = r.rows.map((row) => JSON.stringify(Object.fromEntries(r.columns.map((c, i) => [c, row[i]])))).sort();
    }
    return out;
  }
}

/** Writes a landing file to the lake bucket's landing prefix (on the Trino's warehouse folder). */
function deliver(aws: TrinoAws, entity: string, file: string, lines: object[] | Buffer, landing = LANDING): void {
  aws.putObject(`${landing}/${entity}/landing/${file}`, Buffer.isBuffer(lines) ? lines : lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

function failed(results: NodeResult[]): string[] {
  return results.filter((r) => r.status === 'error' || r.status === 'fail').map((r) => `${r.name}: ${r.message}`);
}

const MICROBATCH = ['accelerometer_trusted', 'step_trainer_trusted', 'machine_learning_curated'];
const ADA = { customerName: 'Ada Stone', email: 'Ada.Stone@example.com', phone: '5550100101', birthDay: '1985-04-12', serialNumber: '5eed0001-0000-4000-8000-000000000001', registrationDate: 1699913600000, shareWithPublicAsOfDate: 1699913600000, shareWithFriendsAsOfDate: 1699913600000 };

/** The deliveries both sequences build after: new readings, a consent withdrawn, given again, its date moved. */
function deliveries(aws: TrinoAws, landing = LANDING): [string, () => void][] {
  const deliver_ = (entity: string, file: string, lines: object[]) => deliver(aws, entity, file, lines, landing);
  return [
    ['the seeds', () => undefined],
    ['new readings of Ada and Ben, a later hour', () => deliver_('accelerometer', 'accelerometer-1700300000000.json', [
      { user: 'Ada.Stone@example.com', timestamp: 1700300001000, x: 1, y: 2, z: 3 },
      { user: 'Ben.Okafor@example.com', timestamp: 1700300002000, x: 0.5, y: 0.25, z: -1 },
    ])],
    ['Ada withdraws her consent (a newer record)', () => deliver_('customer', 'customer-1700400000000.json', [{ ...ADA, lastUpdateDate: 1700400000000, shareWithResearchAsOfDate: null }])],
    ['Ada consents again, from a later date', () => deliver_('customer', 'customer-1700500000000.json', [{ ...ADA, lastUpdateDate: 1700500000000, shareWithResearchAsOfDate: 1700000000000 }])],
    ['Ada moves her consent date past some of her readings', () => deliver_('customer', 'customer-1700550000000.json', [{ ...ADA, lastUpdateDate: 1700550000000, shareWithResearchAsOfDate: 1700000103000 }])],
  ];
}

function seed(aws: TrinoAws, landing = LANDING): void {
  const seeds = path.join(REPO, 'seeds', 'landing');
  for (const entity of fs.readdirSync(seeds)) for (const f of fs.readdirSync(path.join(seeds, entity, 'landing'))) deliver(aws, entity, f, fs.readFileSync(path.join(seeds, entity, 'landing', f)), landing);
}

describe.skipIf(typeof server === 'string' && !inCi)('stedi build --target athena executed on Trino 476', () => {
  const lakes: Lake[] = [];
  afterAll(async () => {
    if (typeof server === 'string') return;
    for (const lake of lakes) {
      const tables = await lake.aws.trino(`SELECT table_name, table_type FROM iceberg.information_schema.tables WHERE table_schema = '${lake.database}'`).catch(() => ({ rows: [] as unknown[][] }));
      for (const [t, type] of tables.rows) {
        const drop = type === 'VIEW' ? `DROP VIEW iceberg."${lake.database}"."${String(t)}"` : `CALL iceberg.system.unregister_table(schema_name => '${lake.database}', table_name => '${String(t)}')`;
        await lake.aws.trino(drop).catch(() => lake.aws.trino(`DROP TABLE hive."${lake.database}"."${String(t)}"`)).catch(() => undefined);
      }
      await lake.aws.trino(`DROP SCHEMA IF EXISTS hive."${lake.database}"`).catch(() => undefined);
      fs.rmSync(path.join(server.warehouse, 'metastore', lake.database), { recursive: true, force: true });
    }
    fs.rmSync(path.join(server.warehouse, RUN), { recursive: true, force: true });
    fs.rmSync(path.join(server.warehouse, '_trino_landing'), { recursive: true, force: true });
  }, 120_000);

  it('a sequence of deliveries: after every build each table equals a --full-refresh build of the same landing files', async () => {
    if (typeof server === 'string') throw new Error(`CI=1 but ${server}`);
    const incremental = new Lake(`${RUN}_incr`, server);
    const whole = new Lake(`${RUN}_full`, server);
    lakes.push(incremental, whole);
    for (const lake of [incremental, whole]) await lake.aws.createSchema();
    seed(incremental.aws);

    const steps = deliveries(incremental.aws);
    let adaBefore = 0;
    for (const [i, [what, step]] of steps.entries()) {
      step();
      const ran = incremental.aws.statements.length;
      const a = await incremental.build();
      expect(failed(a), what).toEqual([]);
      // after the first build each microbatch model is restated by one MERGE from an audited candidate, never rebuilt whole
      const sent = incremental.aws.statements.slice(ran);
      for (const m of MICROBATCH) {
        const message = a.find((r) => r.name === m)!.message ?? '';
        if (i === 0) {
          expect(message, `${what}: ${m}`).toMatch(/built whole: first build/);
          continue;
        }
        expect(message, `${what}: ${m}`).toMatch(/\(microbatch: .*(one MERGE|nothing merged)\)/);
        const merges = sent.filter((x) => x.startsWith(`MERGE INTO "${incremental.database}"."${m}" t`));
        expect(merges.length, `${what}: ${m}`).toBe(/one MERGE/.test(message) ? 1 : 0);
        expect(sent.filter((x) => new RegExp(`^CREATE TABLE "[^"]+"\\."${m}__stedi_`).test(x) && !/stedi_batch|stedi_keyed/.test(x)), `${what}: ${m} rebuilt whole`).toEqual([]);
      }
      const b = await whole.build({ fullRefresh: true });
      expect(failed(b), what).toEqual([]);
      const got = await incremental.contents();
      const want = await whole.contents();
      expect(Object.keys(got).sort(), what).toEqual(Object.keys(want).sort());
      for (const t of Object.keys(want)) expect(got[t], `${what}: ${t}`).toEqual(want[t]);
      // the data is real, and Ada's readings leave history and come back with her consent
      for (const t of ['accelerometer_trusted', 'step_trainer_trusted', 'machine_learning_curated']) expect(got[t]!.length, `${what}: ${t}`).toBeGreaterThan(0);
      const ada = await incremental.aws.trino(`SELECT count(*) FROM "${incremental.database}"."accelerometer_trusted" WHERE lower(user_email) = 'ada.stone@example.com'`);
      const adaDevice = await incremental.aws.trino(`SELECT count(*) FROM "${incremental.database}"."step_trainer_trusted" WHERE serial_number = '${ADA.serialNumber}'`);
      if (what.startsWith('Ada withdraws')) {
        expect(Number(ada.rows[0]![0]), what).toBe(0);
        expect(Number(adaDevice.rows[0]![0]), what).toBe(0);
      } else expect(Number(ada.rows[0]![0]), what).toBeGreaterThan(0);
      if (what.startsWith('Ada moves')) expect(Number(ada.rows[0]![0]), what).toBeLessThan(adaBefore);
      adaBefore = Number(ada.rows[0]![0]);
    }

    // every incremental version reads one location, which prune keeps; the states of pruned versions went with them (keep_versions 1)
    const prefix = path.join(server.warehouse, RUN, incremental.database, 'zones', 'accelerometer', 'trusted', 'accelerometer_trusted');
    expect(fs.readdirSync(prefix).filter((f) => f.startsWith('v=')), 'one shared location').toHaveLength(1);
    expect(fs.readdirSync(path.join(prefix, '_stedi_microbatch')).length).toBe(2);

    // a failing gate leaves the published table exactly as it was (the same Iceberg snapshot, the same rows); the next build restates it
    const db = incremental.database;
    const snapshot = async (t: string) => (await incremental.aws.trino(`SELECT snapshot_id FROM "${db}"."${t}$snapshots" ORDER BY committed_at DESC LIMIT 1`)).rows[0]![0];
    const before = { snapshot: await snapshot('accelerometer_trusted'), rows: (await incremental.contents()).accelerometer_trusted };
    deliver(incremental.aws, 'accelerometer', 'accelerometer-1700600000000.json', [{ user: 'Ben.Okafor@example.com', timestamp: 1700600001000, x: 1, y: 1, z: 1 }]);
    const failing = { columns: [{ Name: 'failures', Label: 'failures', Type: 'bigint' }], rows: [['1']] };
    incremental.aws.hooks.outcome = (sql) => (/^select count\(\*\) as failures/.test(sql) && sql.includes('stedi_kept') && sql.includes(`"${db}"."accelerometer_trusted"`) ? failing : undefined);
    const ran = incremental.aws.statements.length;
    const refused = await incremental.build();
    incremental.aws.hooks = {};
    expect(refused.find((r) => r.name === 'accelerometer_trusted')!.status).not.toBe('success');
    expect(incremental.aws.statements.slice(ran).filter((x) => x.startsWith(`MERGE INTO "${db}"."accelerometer_trusted"`))).toEqual([]);
    expect(await snapshot('accelerometer_trusted')).toBe(before.snapshot);
    expect((await incremental.contents()).accelerometer_trusted).toEqual(before.rows);
    expect(failed(await incremental.build())).toEqual([]);
    expect(failed(await whole.build({ fullRefresh: true }))).toEqual([]);
    const got = await incremental.contents();
    const want = await whole.contents();
    for (const t of Object.keys(want)) expect(got[t], `after the refused build: ${t}`).toEqual(want[t]);
    expect(got.accelerometer_trusted).not.toEqual(before.rows);
  }, 900_000);

  it('Hive tables: each restated interval\'s files are replaced through the symlink manifest; after every build each table equals an Iceberg --full-refresh build', async () => {
    if (typeof server === 'string') throw new Error(`CI=1 but ${server}`);
    const incremental = new Lake(`${RUN}_hive`, server, MICROBATCH, HIVE_LANDING);
    const whole = new Lake(`${RUN}_hfull`, server, [], HIVE_LANDING);
    lakes.push(incremental, whole);
    for (const lake of [incremental, whole]) await lake.aws.createSchema();
    // its own landing prefix: the Iceberg sequence's deliveries are not this one's
    seed(incremental.aws, HIVE_LANDING);
    for (const [i, [what, step]] of deliveries(incremental.aws, HIVE_LANDING).entries()) {
      step();
      const ran = incremental.aws.statements.length;
      const a = await incremental.build();
      expect(failed(a), what).toEqual([]);
      const sent = incremental.aws.statements.slice(ran);
      for (const m of MICROBATCH) {
        const message = a.find((r) => r.name === m)!.message ?? '';
        expect(message, `${what}: ${m}`).toMatch(i === 0 ? /^OK hive table .*\(microbatch: built whole: first build; \d+ intervals? written\)/ : /^OK hive table .*\(microbatch: \d+ intervals? restated.*; \d+ intervals? rewritten, \d+ files? kept\)/);
        // never a MERGE, and never a statement over every interval after the first build
        expect(sent.filter((x) => x.startsWith('MERGE')), `${what}: ${m}`).toEqual([]);
        // the published table is searched for restated keys only when the dimensions held one of
        // them: Ada consenting again is new to them (her rows left when she withdrew)
        const searched = sent.some((x) => x.includes(`FROM "${incremental.database}"."${m}" stedi_was`));
        if (/ key(s)? restated/.test(message)) {
          const fresh = what.startsWith('Ada consents again');
          expect(message.includes('all new to the dimensions'), `${what}: ${m}: ${message}`).toBe(fresh);
          expect(searched, `${what}: ${m}`).toBe(!fresh);
        }
      }
      if (what.startsWith('Ada consents again') || what.startsWith('Ada moves')) expect(a.filter((r) => / key(s)? restated/.test(r.message ?? '')).map((r) => r.name), what).toContain('accelerometer_trusted');
      const b = await whole.build({ fullRefresh: true });
      expect(failed(b), what).toEqual([]);
      const got = await incremental.contents();
      const want = await whole.contents();
      for (const t of Object.keys(want)) expect(got[t], `${what}: ${t}`).toEqual(want[t]);
      for (const t of MICROBATCH) expect(got[t]!.length, `${what}: ${t}`).toBeGreaterThan(0);
      const ada = await incremental.aws.trino(`SELECT count(*) FROM "${incremental.database}"."accelerometer_trusted" WHERE lower(user_email) = 'ada.stone@example.com'`);
      if (what.startsWith('Ada withdraws')) expect(Number(ada.rows[0]![0]), what).toBe(0);
      else expect(Number(ada.rows[0]![0]), what).toBeGreaterThan(0);
    }
    // every interval file under the tables' prefixes is one a kept version lists: a replaced interval's files left with the last version listing them
    for (const m of MICROBATCH) {
      const versions = incremental.aws.tables.get(m)!.versions.slice(-2);
      expect(versions, m).toHaveLength(2);
      const listed = new Set(versions.flatMap((v) => fs.readFileSync(incremental.aws.file(v.Parameters!.stedi_interval_manifest!), 'utf8').split('\n').filter(Boolean)));
      const node = Object.values(incremental.compiled.manifest.nodes).find((n) => n.name === m) as { entity: string; zone: string };
      const table = path.join(server.warehouse, RUN, incremental.database, 'zones', node.entity, node.zone, m);
      const files = fs.readdirSync(table).filter((v) => v.startsWith('v=')).flatMap((v) => fs.readdirSync(path.join(table, v), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && /stedi_interval=/.test(e.parentPath) && !e.name.startsWith('.')).map((e) => path.join(e.parentPath, e.name)));
      const uris = files.map((f) => `s3://${BUCKET}/${path.relative(server.warehouse, f).split(path.sep).join('/')}`);
      expect(uris.length, m).toBeGreaterThan(0);
      expect(uris.filter((u) => !listed.has(u)), `${m}: files no kept version lists`).toEqual([]);
    }
  }, 900_000);

  it('microbatch tables with no row (nobody consents yet) are empty tables, on Iceberg and Hive; a later consent fills them; each build equals a --full-refresh', async () => {
    if (typeof server === 'string') throw new Error(`CI=1 but ${server}`);
    const iceberg = new Lake(`${RUN}_eice`, server, [], EMPTY_LANDING);
    const hive = new Lake(`${RUN}_ehive`, server, MICROBATCH, EMPTY_LANDING);
    const whole = new Lake(`${RUN}_efull`, server, [], EMPTY_LANDING);
    lakes.push(iceberg, hive, whole);
    for (const lake of [iceberg, hive, whole]) await lake.aws.createSchema();
    const put = (entity: string, file: string, lines: object[]) => deliver(iceberg.aws, entity, file, lines, EMPTY_LANDING);
    const steps: [string, () => void, number][] = [
      ['Ada has readings but no consent', () => {
        put('customer', 'customer-1700100000000.json', [{ ...ADA, lastUpdateDate: 1700100000000, shareWithResearchAsOfDate: null }]);
        put('accelerometer', 'accelerometer-1700100000000.json', [{ user: ADA.email, timestamp: 1700100001000, x: 1, y: 2, z: 3 }]);
        put('step_trainer', 'step_trainer-1700100000000.json', [{ sensorReadingTime: 1700100001000, serialNumber: ADA.serialNumber, distanceFromObject: 200 }]);
      }, 0],
      ['more readings, still no consent', () => put('accelerometer', 'accelerometer-1700200000000.json', [{ user: ADA.email, timestamp: 1700200001000, x: 4, y: 5, z: 6 }]), 0],
      ['Ada consents from registration', () => put('customer', 'customer-1700300000000.json', [{ ...ADA, lastUpdateDate: 1700300000000, shareWithResearchAsOfDate: ADA.registrationDate }]), 1],
    ];
    for (const [what, step, pairs] of steps) {
      step();
      for (const lake of [iceberg, hive]) expect(failed(await lake.build()), `${what}: ${lake.database}`).toEqual([]);
      expect(failed(await whole.build({ fullRefresh: true })), what).toEqual([]);
      const want = await whole.contents();
      for (const lake of [iceberg, hive]) {
        const got = await lake.contents();
        for (const t of Object.keys(want)) expect(got[t], `${what}: ${lake.database}: ${t}`).toEqual(want[t]);
      }
      expect(want.machine_learning_curated!.length, what).toBe(pairs);
      if (pairs === 0) for (const t of MICROBATCH) expect(want[t], `${what}: ${t}`).toEqual([]);
    }
  }, 900_000);
});
