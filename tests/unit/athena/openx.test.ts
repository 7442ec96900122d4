/**
 * What Athena reads back from the JSON lines the landing ingestion writes: every accepted record
 * and every reject is read with Trino's own OpenX JSON SerDe reader (io.trino:trino-hive-formats,
 * what Athena engine v3 runs for these tables), with the exact columns and SerDe parameters of the
 * Glue tables stedi creates, and must come back with the values the local target stores.
 * The reader is a Java test peer built by tests/peers/build.sh; in CI a missing peer fails the
 * test, elsewhere it is skipped with a message saying how to build it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonTableInput, landingTableSpec } from '../../../runner/adapters/athena/glue.js';
import { recordLine, rejectLine } from '../../../runner/adapters/athena/landing-io.js';
import { landingColumns } from '../../../runner/landing/classify.js';
import { ingestLanding } from '../../../runner/landing/ingest.js';
import type { LandingColumn, LandingValue, RejectRow } from '../../../runner/landing/types.js';
import type { SourceNode } from '../../../runner/manifest/types.js';
import { openxPeer, type OpenXRow } from '../../peers/openx.js';
import { compileStedi } from './harness.js';

const read = openxPeer();
const inCi = !!process.env.CI;
if (!read && !inCi) console.warn('SKIPPED: the OpenX JSON reader peer is not built; run tests/peers/build.sh (Java + Maven) to check what Athena reads back');

const { manifest } = compileStedi();
const sources = Object.values(manifest.nodes).filter((n): n is SourceNode => n.resource_type === 'source');
/** The public STEDI landing data beside the repository (the acceptance set), when present. */
const REAL_DATA = '../shared/data/udacity-stedi';

/** The Glue columns and SerDe parameters of a landing table (or its rejects), as Athena has them. */
function tableOf(node: SourceNode, kind: 'accepted' | 'rejects'): { columns: { name: string; type: string }[]; serde: Record<string, string> } {
  const t = jsonTableInput(landingTableSpec(node, kind, node.name), 's3://lake-bucket/zones/x/v=20260101T000000Z-01010101/', {});
  return { columns: t.StorageDescriptor!.Columns!.map((c) => ({ name: c.Name!, type: c.Type! })), serde: t.StorageDescriptor!.SerdeInfo!.Parameters! };
}

/** Everything the local target would store for a folder: accepted values and rejects. */
async function ingest(columns: LandingColumn[], location: string): Promise<{ accepted: LandingValue[][]; rejects: RejectRow[] }> {
  const accepted: LandingValue[][] = [];
  const rejects: RejectRow[] = [];
  await ingestLanding({ source: 's', relation: 'r', rejects_relation: 'rr', location, columns, on_malformed: 'quarantine' }, { accept: (v) => accepted.push(v), reject: (r) => rejects.push(r) });
  return { accepted, rejects };
}

/** A local value and what the reader returned are the same value of the column's type. */
function same(col: LandingColumn, local: LandingValue, athena: string | boolean | null): boolean {
  if (local === null) return athena === null;
  if (athena === null) return false;
  switch (col.kind) {
    case 'varchar': return athena === local;
    case 'boolean': return athena === local;
    case 'double': return /^(FLOAT|FLOAT4|REAL)$/.test(col.sqlType) ? Math.fround(Number(athena)) === Math.fround(local as number) : Number(athena) === local;
    default: return BigInt(athena as string) === BigInt(local as number | bigint);
  }
}

function mismatches(columns: LandingColumn[], rows: LandingValue[][], got: OpenXRow[]): string[] {
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

describe.skipIf(!read && !inCi)("Athena's OpenX JSON reader reads back exactly what the landing ingestion wrote", () => {
  const peer = () => {
    if (!read) throw new Error('the openx-json peer is missing in CI: .ci/run must run tests/peers/build.sh before the tests');
    return read;
  };

  it.each(['tests/fixtures/messy/landing', 'seeds/landing', REAL_DATA])('every record and reject of %s', async (root) => {
    if (root === REAL_DATA && !fs.existsSync(path.resolve(root))) return;
    for (const node of sources) {
      const { columns } = landingColumns(node.columns);
      const { accepted, rejects } = await ingest(columns, `${root}/${node.entity}/landing`);
      expect(accepted.length, node.name).toBeGreaterThan(0);
      const table = tableOf(node, 'accepted');
      expect(mismatches(columns, accepted, peer()({ ...table, lines: accepted.map((v) => recordLine(columns, v)) })), node.name).toEqual([]);
      if (rejects.length === 0) continue;
      const rej = landingColumns(tableOf(node, 'rejects').columns.map((c) => ({ name: c.name, data_type: c.type === 'string' ? 'varchar' : c.type }))).columns;
      const rows = rejects.map((r) => [r.file, r.line, r.reason, r.detail, r.raw] as LandingValue[]);
      expect(mismatches(rej, rows, peer()({ ...tableOf(node, 'rejects'), lines: rejects.map(rejectLine) })), `${node.name} rejects`).toEqual([]);
    }
  });

  it('edge values of every supported type survive the round trip', () => {
    const { columns } = landingColumns([
      { name: 'textValue', data_type: 'varchar' },
      { name: 'bigValue', data_type: 'bigint' },
      { name: 'intValue', data_type: 'integer' },
      { name: 'smallValue', data_type: 'smallint' },
      { name: 'tinyValue', data_type: 'tinyint' },
      { name: 'doubleValue', data_type: 'double' },
      { name: 'realValue', data_type: 'real' },
      { name: 'flag', data_type: 'boolean' },
    ]);
    const rows: LandingValue[][] = [
      ['plain', 9223372036854775807n, 2147483647, 32767, 127, 0.1, 0.1, true],
      ['', -9223372036854775808n, -2147483648, -32768, -128, -1.7976931348623157e308, 3.4e38, false],
      ['quotes " and \\ backslash', 9007199254740993n, 0, 0, 0, 5e-324, -1.5, null],
      ['line\nfeed\r\ttab \u2028 \u0000 nul', 0n, null, null, null, 1e21, 1e-7, true],
      ['ünïcødé 日本 🚶', null, 1, 1, 1, 123456789.123456789, 0, false],
      [null, 1655564444000n, -1, -1, -1, 0, null, null],
      ['{"looks":"like json"}', 1n, 2, 3, 4, 2.5, 2.5, true],
    ];
    const lines = rows.map((v) => recordLine(columns, v));
    const serde = jsonTableInput({ name: 't', description: '', columns: columns.map((c) => ({ name: c.name, data_type: c.sqlType.toLowerCase() })), what: 't' }, 's3://b/v=1/', {}).StorageDescriptor!;
    const got = peer()({ columns: serde.Columns!.map((c) => ({ name: c.Name!, type: c.Type! })), serde: serde.SerdeInfo!.Parameters!, lines });
    expect(mismatches(columns, rows, got)).toEqual([]);
  });
});
