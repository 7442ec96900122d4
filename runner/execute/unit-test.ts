/** Executes a model unit test on an in-memory DuckDB: given rows in, expected rows out. */
import { randomBytes } from 'node:crypto';
import { duckdbDialect } from '../dialect/duckdb.js';
import type { ColumnDef, Manifest, UnitTestNode } from '../manifest/types.js';
import { givenPlaceholder } from '../compiler/unit-tests.js';
import { pseudonym } from '../landing/derive.js';
import { exposeColumns, maskRow, modelResult } from './mask.js';

export interface UnitOutcome {
  status: 'pass' | 'fail';
  failures: number;
  diff: string[];
}

const q = duckdbDialect.quoteIdent;

function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return duckdbDialect.quoteString(typeof v === 'object' ? JSON.stringify(v) : String(v));
}

function inferType(values: unknown[]): string {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length > 0 && present.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'BIGINT';
  if (present.length > 0 && present.every((v) => typeof v === 'number')) return 'DOUBLE';
  if (present.length > 0 && present.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  return 'VARCHAR';
}

export function givenTableSql(name: string, declared: ColumnDef[], rows: Record<string, unknown>[]): string {
  const names = [...new Set([...declared.map((c) => c.name), ...rows.flatMap((r) => Object.keys(r))])];
  const types = names.map((n) => declared.find((c) => c.name === n)?.data_type?.toUpperCase() ?? inferType(rows.map((r) => r[n])));
  if (rows.length === 0) return `CREATE TEMP TABLE ${name} (${names.map((n, i) => `${q(n)} ${types[i]}`).join(', ')})`;
  const tuples = rows.map((r) => `(${names.map((n, i) => `CAST(${sqlLiteral(r[n])} AS ${types[i]})`).join(', ')})`);
  return `CREATE TEMP TABLE ${name} AS SELECT * FROM (VALUES ${tuples.join(',\n')}) AS t(${names.map(q).join(', ')})`;
}

/**
 * Given rows of a source, each derived column computed from its base value as the ingestion
 * computes it (runner/landing/derive.ts): never taken from the given row, as never from a record.
 */
export function withDerivedValues(columns: ColumnDef[], rows: Record<string, unknown>[], key: Buffer): Record<string, unknown>[] {
  const derived = columns.filter((c) => c.derived);
  if (!derived.length) return rows;
  const valueOf = (r: Record<string, unknown>, name: string) => r[Object.keys(r).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name];
  return rows.map((r) => {
    const out = Object.fromEntries(Object.entries(r).filter(([k]) => !derived.some((c) => c.name.toLowerCase() === k.toLowerCase())));
    for (const c of derived) out[c.name] = pseudonym(key, valueOf(r, c.derived!.pseudonym_of));
    return out;
  });
}

function norm(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return String(Number(v));
  return JSON.stringify(v);
}

export async function runUnitTest(manifest: Manifest, ut: UnitTestNode): Promise<UnitOutcome> {
  // imported on demand: only runs that hold unit tests need the DuckDB native module
  const { DuckDbAdapter } = await import('../adapters/duckdb/adapter.js');
  const db = new DuckDbAdapter({ lake_dir: '', path_template: '', catalog: ':memory:' });
  await db.open('write');
  // a unit test's own key: derived columns of given source rows are computed as at ingestion
  const derivationKey = randomBytes(32);
  try {
    const statements = ut.given.map((g, i) => {
      const input = manifest.nodes[g.input];
      const columns = input && 'columns' in input ? input.columns : [];
      return givenTableSql(givenPlaceholder(i), columns, input?.resource_type === 'source' ? withDerivedValues(columns, g.rows, derivationKey) : g.rows);
    });
    // Temp tables are per connection: create them and query in one script on one connection.
    const actual = await db.query(`${statements.map((s) => `${s};`).join('\n')}\n${ut.compiled_code}`);
    const cols = [...new Set(ut.expect.rows.flatMap((r) => Object.keys(r)))];
    const key = (r: Record<string, unknown>) => cols.map((c) => `${c}=${norm(r[c])}`).join(', ');
    const remaining = new Map<string, number>();
    for (const r of actual.rows) remaining.set(key(r), (remaining.get(key(r)) ?? 0) + 1);
    const missing: Record<string, unknown>[] = [];
    for (const r of ut.expect.rows) {
      const n = remaining.get(key(r)) ?? 0;
      if (n > 0) remaining.set(key(r), n - 1);
      else missing.push(r);
    }
    const extra = actual.rows.filter((r) => {
      const n = remaining.get(key(r)) ?? 0;
      if (n > 0) remaining.set(key(r), n - 1);
      return n > 0;
    });
    // a column is shown only when the model's lineage proves it free of personal data (see mask.ts)
    const clean = new Set(exposeColumns(modelResult(manifest, ut.model), actual.columns.map((c) => c.name)).filter((c) => c.exposure === 'clean').map((c) => c.key.toLowerCase()));
    const show = (r: Record<string, unknown>) => JSON.stringify(maskRow(Object.fromEntries(cols.map((c) => [c, r[c] ?? null])), clean));
    const diff = [...missing.map((r) => `- expected, missing: ${show(r)}`), ...extra.map((r) => `+ unexpected: ${show(r)}`)];
    return { status: diff.length === 0 ? 'pass' : 'fail', failures: diff.length, diff };
  } finally {
    await db.close();
  }
}
