/**
 * Every statement stedi sends to Athena parses with Trino's own grammar (io.trino:trino-parser),
 * and every Hive DDL statement it shows with Hive's own grammar (hive-exec's ParseDriver). The
 * parsers are Java test peers built by tests/peers/build.sh; in CI a missing peer fails the
 * test, elsewhere the test is skipped with a message saying how to build them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hiveStatements, incrementalStatements } from './microbatch-sql.js';
import { ambiguousMergeSql, publishBatchSql, wouldPublishBatch } from '../../../runner/adapters/athena/incremental-sql.js';
import { symlinkParquetInput } from '../../../runner/adapters/athena/microbatch-hive.js';
import { jsonTableDdl } from '../../../runner/adapters/athena/sql.js';
import { adapterOptions, build, compileStedi, deliverLanding, fakeAws, landingDdls, newSim, statements, type Call } from './harness.js';

const DIST = 'tests/peers/dist';

function peer(name: string, main: string): ((sqls: string[]) => string[]) | undefined {
  const dir = path.join(DIST, name);
  if (!fs.existsSync(path.join(dir, 'java.path'))) return undefined;
  const java = fs.readFileSync(path.join(dir, 'java.path'), 'utf8').trim();
  return (sqls) => {
    const r = spawnSync(java, ['-cp', `${dir}/classes:${dir}/lib/*`, `stedi.${main}`], { input: sqls.join('\u0000'), encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`${name} peer failed: ${r.stderr}`);
    return r.stdout.split('\n').filter((l) => l.startsWith('OK') || l.startsWith('ERR'));
  };
}

const trino = peer('trino-parser', 'TrinoParsePeer');
const hive = peer('hive-parser', 'HiveParsePeer');
const missing = !trino || !hive;
const inCi = !!process.env.CI;
if (missing && !inCi) console.warn('SKIPPED: the SQL parser peers are not built; run tests/peers/build.sh (Java + Maven) to check every Athena statement with the Trino and Hive grammars');

describe.skipIf(missing && !inCi)('Athena statements parse with real grammars', () => {
  let calls: Call[] = [];
  const { manifest, target } = compileStedi();
  beforeAll(async () => {
    if (missing) throw new Error('the SQL parser peers are missing in CI: .ci/run must run tests/peers/build.sh before the tests');
    const sim = newSim();
    deliverLanding(sim);
    const aws = fakeAws(sim);
    try {
      await build(target, manifest, adapterOptions());
      calls = aws.calls;
    } finally {
      aws.restore();
    }
  });
  afterAll(() => undefined);

  it('every statement of a whole build parses with io.trino:trino-parser', () => {
    const sqls = statements(calls);
    expect(sqls.length).toBeGreaterThanOrEqual(50);
    const out = trino!(sqls);
    expect(out).toHaveLength(sqls.length);
    const bad = out.map((o, i) => (o === 'OK' ? undefined : `${o}\n${sqls[i]}`)).filter(Boolean);
    expect(bad).toEqual([]);
  });

  it('every statement of an incremental microbatch build (candidate, interval-local check, audit, MERGE) parses with io.trino:trino-parser', () => {
    const sqls = Object.values(incrementalStatements()).flatMap((text) => text.trim().split('\n\n'));
    expect(sqls.filter((x) => x.startsWith('MERGE INTO'))).toHaveLength(3);
    const out = trino!(sqls);
    expect(out.map((o, i) => (o === 'OK' ? undefined : `${o}\n${sqls[i]}`)).filter(Boolean)).toEqual([]);
  });

  it('every statement of a Hive microbatch build (key intervals, partitioned CTAS, INSERT INTO, stray check) parses with io.trino:trino-parser; its symlink table with Hive\'s grammar', () => {
    const sqls = Object.values(hiveStatements()).flatMap((text) => text.trim().split('\n\n'));
    expect(sqls.filter((x) => x.startsWith('INSERT INTO'))).toHaveLength(3);
    const out = trino!(sqls);
    expect(out.map((o, i) => (o === 'OK' ? undefined : `${o}\n${sqls[i]}`)).filter(Boolean)).toEqual([]);
    const ddl = jsonTableDdl('stedi', symlinkParquetInput('machine_learning_curated', [{ Name: 'sensor_reading_time', Type: 'bigint' }, { Name: 'subject_key', Type: 'string' }], 's3://lake-bucket/zones/m/curated/machine_learning_curated/v=20260102T000000Z-01010101/_symlink_format_manifest/', { stedi_managed: 'true' }));
    expect(ddl).toContain(`STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'`);
    expect(hive!([ddl])).toEqual(['OK']);
  });

  it('every statement of an append, merge or delete+insert build (audit relation, MERGE\'s check, INSERT INTO, MERGE INTO) parses with io.trino:trino-parser', () => {
    const [pub, cand, cols] = ['"stedi"."m"', '"stedi"."m__stedi_20260102t000000z_01010101"', ['id', 'ts', 'v']];
    const sqls = [
      ...(['append', 'merge', 'delete+insert'] as const).flatMap((s) => [`SELECT count(*) FROM ${wouldPublishBatch(pub, cand, s, s === 'append' ? [] : ['id', 'ts'])}`, publishBatchSql(pub, cand, cols, s, s === 'append' ? [] : ['id', 'ts'])]),
      ambiguousMergeSql(pub, cand, ['id']),
    ];
    expect(sqls.filter((x) => x.startsWith('MERGE INTO'))).toHaveLength(2);
    const out = trino!(sqls);
    expect(out.map((o, i) => (o === 'OK' ? undefined : `${o}\n${sqls[i]}`)).filter(Boolean)).toEqual([]);
  });

  it('the Trino peer does reject what Athena DML rejects (backticks)', () => {
    expect(trino!(['select `a` from t', 'select "a" from t'])).toEqual([expect.stringMatching(/^ERR 1:8 backquoted identifiers are not supported/), 'OK']);
  });

  it('the Hive DDL of every landing table parses with the Hive grammar; double quotes do not', () => {
    const ddl = landingDdls(calls).map((d) => d.ddl);
    expect(ddl).toHaveLength(6);
    expect(hive!(ddl)).toEqual(ddl.map(() => 'OK'));
    expect(hive!(['CREATE EXTERNAL TABLE "stedi"."x" (a string)'])).toEqual([expect.stringMatching(/^ERR .*cannot recognize input/)]);
  });
});
