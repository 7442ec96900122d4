/**
 * What Athena reads back from the landing tables stedi publishes: a build on the faked AWS ingests
 * landing files, and every line it wrote (accepted records and rejects, gunzipped from the objects
 * it put on S3) is read with Trino's own OpenX JSON SerDe reader (io.trino:trino-hive-formats,
 * what Athena engine v3 runs for these tables), with the columns and SerDe parameters of the Glue
 * tables it published. The values must be those the local target stores for the same files.
 * The reader is a Java test peer built by tests/peers/build.sh; in CI a missing peer fails the
 * test, elsewhere it is skipped with a message saying how to build it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HookedSimulator } from '../../helpers/hooked-simulator.js';
import { landingColumns } from '../../../runner/landing/classify.js';
import { ingestLanding } from '../../../runner/landing/ingest.js';
import type { LandingColumn, LandingValue, RejectRow } from '../../../runner/landing/types.js';
import type { Manifest, SourceNode } from '../../../runner/manifest/types.js';
import type { ResolvedTarget } from '../../../runner/project/resolve.js';
import { openxPeer, type OpenXRow } from '../../peers/openx.js';
import { pseudonymKey } from '../../../runner/landing/derive.js';
import { adapterOptions, build, compileProject, compileStedi, deliverLanding, type FakeAws, fakeAwsEachTest, KEY } from './harness.js';

const read = openxPeer();
const inCi = !!process.env.CI;
if (!read && !inCi) console.warn('SKIPPED: the OpenX JSON reader peer is not built; run tests/peers/build.sh (Java + Maven) to check what Athena reads back');

/** The public STEDI landing data beside the repository (the acceptance set), when present. */
const REAL_DATA = '../shared/data/udacity-stedi';
const ROOT = 's3://lake-bucket/landing';

let sim: HookedSimulator;
let aws: FakeAws;
fakeAwsEachTest((s, a) => {
  sim = s;
  aws = a;
});

const temp: string[] = [];
afterAll(() => temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Everything the local target would store for a folder: accepted values and rejects. */
async function local(columns: LandingColumn[], location: string): Promise<{ accepted: LandingValue[][]; rejects: RejectRow[] }> {
  const accepted: LandingValue[][] = [];
  const rejects: RejectRow[] = [];
  await ingestLanding({ source: 's', relation: 'r', rejects_relation: 'rr', location, columns, on_malformed: 'quarantine', derive: pseudonymKey(Buffer.from(KEY)) }, { accept: (v) => accepted.push(v), reject: (r) => rejects.push(r) });
  return { accepted, rejects };
}

/** A local value and what the reader returned are the same value of the column's type. */
function same(col: LandingColumn, value: LandingValue, athena: string | boolean | null): boolean {
  if (value === null) return athena === null;
  if (athena === null) return false;
  switch (col.kind) {
    case 'varchar': return athena === value;
    case 'boolean': return athena === value;
    case 'double': return /^(FLOAT|FLOAT4|REAL)$/.test(col.sqlType) ? Math.fround(Number(athena)) === Math.fround(value as number) : Number(athena) === value;
    default: return BigInt(athena as string) === BigInt(value as number | bigint);
  }
}

function mismatches(columns: LandingColumn[], rows: LandingValue[][], got: OpenXRow[]): string[] {
  if (got.length !== rows.length) return [`${got.length} rows read back, ${rows.length} expected`];
  const out: string[] = [];
  rows.forEach((r, i) => {
    const g = got[i]!;
    if (!g.ok) out.push(`row ${i}: ${g.error}`);
    else columns.forEach((c, k) => {
      // the value itself is never printed (it may be personal data): the row and column only
      if (!same(c, r[k]!, g.values[k]!)) out.push(`row ${i} column ${c.name} (${c.kind}) differs`);
    });
  });
  return out;
}

/** The lines stedi wrote for a published table, read with that table's own columns and SerDe parameters. */
function readBack(table: string): OpenXRow[] {
  if (!read) throw new Error('the openx-json peer is missing in CI: .ci/run must run tests/peers/build.sh before the tests');
  const sd = sim.tables.get(table)!.table.StorageDescriptor!;
  return read({ columns: sd.Columns!.map((c) => ({ name: c.Name!, type: c.Type! })), serde: sd.SerdeInfo!.Parameters!, lines: sim.jsonRows(table) });
}

/** Builds the sources of `manifest` on the faked AWS from `dir`, then compares both tables of each with the local target. */
async function expectSameAsLocal(p: { manifest: Manifest; target: ResolvedTarget }, dir: string): Promise<void> {
  expect(deliverLanding(sim, dir, ROOT)).toBeGreaterThan(0);
  const { results } = await build(p.target, p.manifest, adapterOptions({ landingPartChars: 4096 }), 'build', undefined, (id) => id.startsWith('source.'));
  expect(results.filter((r) => r.status === 'error').map((r) => r.message)).toEqual([]);
  for (const node of Object.values(p.manifest.nodes).filter((n): n is SourceNode => n.resource_type === 'source')) {
    const { columns } = landingColumns(node.columns);
    const want = await local(columns, node.location.replace(ROOT, dir));
    expect(want.accepted.length, node.name).toBeGreaterThan(0);
    expect(mismatches(columns, want.accepted, readBack(node.name)), node.name).toEqual([]);
    if (want.rejects.length === 0 && sim.jsonRows(`${node.name}__rejects`).length === 0) continue;
    const rej = landingColumns([{ name: 'file', data_type: 'varchar' }, { name: 'line', data_type: 'bigint' }, { name: 'reason', data_type: 'varchar' }, { name: 'detail', data_type: 'varchar' }, { name: 'raw', data_type: 'varchar' }]).columns;
    // the file is the s3:// URI the runner read, the local path here
    const rows = want.rejects.map((r) => [r.file.replace(dir, ROOT), r.line, r.reason, r.detail, r.raw] as LandingValue[]);
    expect(mismatches(rej, rows, readBack(`${node.name}__rejects`)), `${node.name} rejects`).toEqual([]);
  }
}

describe.skipIf(!read && !inCi)("Athena's OpenX JSON reader reads back exactly what the landing ingestion wrote", () => {
  it.each(['tests/fixtures/messy/landing', 'seeds/landing', REAL_DATA])('every record and reject of %s', async (dir) => {
    if (dir === REAL_DATA && !fs.existsSync(path.resolve(dir))) return;
    await expectSameAsLocal(compileStedi(), dir);
  });

  it('edge values of every supported type survive the round trip', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-openx-'));
    temp.push(dir);
    fs.mkdirSync(path.join(dir, 'edge', 'landing'), { recursive: true });
    const lines = [
      '{"textValue":"plain","bigValue":9223372036854775807,"intValue":2147483647,"smallValue":32767,"tinyValue":127,"doubleValue":0.1,"realValue":0.1,"flag":true}',
      '{"textValue":"","bigValue":-9223372036854775808,"intValue":-2147483648,"smallValue":-32768,"tinyValue":-128,"doubleValue":-1.7976931348623157e308,"realValue":3.4e38,"flag":false}',
      '{"textValue":"quotes \\" and \\\\ backslash","bigValue":9007199254740993,"intValue":0,"smallValue":0,"tinyValue":0,"doubleValue":5e-324,"realValue":-1.5,"flag":null}',
      '{"textValue":"line\\nfeed\\r\\ttab \u2028 \\u0000 nul","bigValue":0,"doubleValue":1e21,"realValue":1e-7,"flag":true}',
      '{"textValue":"ünïcødé 日本 🚶","intValue":1,"smallValue":1,"tinyValue":1,"doubleValue":123456789.123456789,"realValue":0,"flag":false}',
      '{"textValue":null,"bigValue":"1655564444000","intValue":-1,"smallValue":-1,"tinyValue":-1,"doubleValue":"2.5e3","realValue":null}',
      '{"textValue":{"looks":"like json"},"bigValue":1}',
      '{"textValue":12.50,"bigValue":1,"intValue":2,"smallValue":3,"tinyValue":4,"doubleValue":2.5,"realValue":2.5,"flag":"true"}',
    ];
    fs.writeFileSync(path.join(dir, 'edge', 'landing', 'edge-1.json'), `${lines.join('\n')}\n`);
    const cols = ['textValue: varchar', 'bigValue: bigint', 'intValue: integer', 'smallValue: smallint', 'tinyValue: tinyint', 'doubleValue: double', 'realValue: real', 'flag: boolean'];
    const p = compileProject({
      'models/sources.yml': `version: 2\nsources:\n  - name: landing\n    tables:\n      - name: edge\n        location: "{{ var('landing_root') }}/edge/landing"\n        columns:\n${cols.map((c) => `          - { name: ${c.split(': ')[0]}, data_type: ${c.split(': ')[1]} }`).join('\n')}\n`,
    });
    await expectSameAsLocal(p, dir);
    // the object rejected locally is a reject on Athena too, and the rest are records
    expect(sim.jsonRows('edge')).toHaveLength(7);
    expect(sim.jsonRows('edge__rejects')).toHaveLength(1);
  });
});
