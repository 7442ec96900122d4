/** The canonical_email macro of the project (macros/identity.sql) rendered for a target, for the identity tests. */
import fs from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll } from 'vitest';
import { compileFiles, model } from '../compiler/harness.js';

const MACRO = fs.readFileSync('macros/identity.sql', 'utf8');

/** canonical_email('<arg>') (or another macro of macros/identity.sql) as the project renders it for a target. */
export function renderCanonical(target: 'local' | 'athena', arg = 'probe_value', macro = 'canonical_email'): string {
  const out = compileFiles({ 'macros/identity.sql': MACRO, 'models/trusted/probe.sql': `select {{ ${macro}('${arg}') }} as c from (select 1 as ${arg}) t` }, { target });
  const sql = model(out, 'probe').compiled_code;
  const m = /^select (.*) as c from \(select 1 as \w+\) t$/s.exec(sql.trim());
  if (!m) throw new Error(`unexpected rendering: ${sql}`);
  return m[1]!;
}

/** Code points added by Unicode 16.0, which the JDK of Trino 476 knows and DuckDB's utf8proc does not yet. */
export function unicode16(cp: number): boolean {
  const ranges: [number, number][] = [
    [0x0897, 0x0897], [0x1c89, 0x1c8a], [0xa7cb, 0xa7cd], [0xa7da, 0xa7dc],
    [0x105c0, 0x105ff], [0x10d40, 0x10d8f], [0x11380, 0x113ff], [0x16100, 0x1613f], [0x16d40, 0x16d7f],
  ];
  return ranges.some(([a, b]) => cp >= a && cp <= b);
}


/** Every code point where case or normalisation happens (BMP, SMP, CJK compatibility, tags), and base letters with combining marks. */
export function corpus(): string[] {
  const out: string[] = [];
  const add = (a: number, b: number) => {
    for (let i = a; i <= b; i++) if (i < 0xd800 || i > 0xdfff) out.push(String.fromCodePoint(i));
  };
  add(0x1, 0x1ffff);
  add(0x2f800, 0x2fa1f);
  add(0xe0000, 0xe01ef);
  for (let b = 0x41; b < 0x3000; b++) for (let m = 0x300; m < 0x370; m += 7) out.push(String.fromCodePoint(b, m));
  return out;
}

/** Code points added by Unicode 17.0 with a case pair or a combining class, which this Node.js (Unicode 17) knows and neither engine does yet. */
export function unicode17(cp: number): boolean {
  const ranges: [number, number][] = [[0x1acf, 0x1aff], [0xa7ce, 0xa7cf], [0xa7d2, 0xa7d2], [0xa7d4, 0xa7d4], [0x16ea0, 0x16edf]];
  return ranges.some(([a, b]) => cp >= a && cp <= b);
}

/** `canon(s)` (a macro the caller created on `c`) of each value, in order, evaluated by DuckDB. */
export async function canonOnDuckDB(c: DuckDBConnection, values: (string | null)[]): Promise<(string | null)[]> {
  await c.run('create or replace table probe (i integer, s varchar)');
  const app = await c.createAppender('probe');
  values.forEach((s, i) => {
    app.appendInteger(i);
    if (s === null) app.appendNull();
    else app.appendVarchar(s);
    app.endRow();
  });
  app.closeSync();
  const rows = (await c.runAndReadAll('select canon(s) from probe order by i')).getRows();
  return rows.map((r) => (r[0] === null ? null : String(r[0])));
}

/**
 * An in-memory DuckDB for the file's tests, opened before them and closed after, with the macro
 * `canon(probe_value)` (macros/identity.sql rendered for the local target) and `extra` macros
 * (name → SQL). Returns the connection's getter.
 */
export function canonDatabase(extra: Record<string, string> = {}): () => DuckDBConnection {
  let db: DuckDBInstance | undefined;
  let c: DuckDBConnection | undefined;
  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
    c = await db.connect();
    for (const [name, sql] of Object.entries({ canon: renderCanonical('local'), ...extra })) await c.run(`create macro ${name}(probe_value) as ${sql}`);
  });
  afterAll(() => {
    c?.closeSync();
    db?.closeSync();
  });
  return () => {
    if (!c) throw new Error('internal: the canon database is used outside the tests');
    return c;
  };
}
