/**
 * DuckDB's JSON reader as the fast path of the landing ingestion (runner/landing/fast-path.ts,
 * runner/adapters/duckdb/canonical.ts) gives exactly what the classifier gives: the same landing
 * rows (every value, -0 and 32-bit reals included), the same rejects, the same
 * `_stedi.landing_files`, on the messy corpus, on generated files holding every defect, and on
 * files of canonical lines with values at every edge of the grammar. And the fast path does take
 * the files it should (the build says how many), and only those.
 *
 * Also: DuckDB's RE2 and JavaScript read the canonical pattern alike, line for line, on a seeded
 * fuzz of near-canonical lines (the unit test proves the JavaScript side against the classifier).
 *
 * Real DuckDB, real files, through the adapter the build uses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DuckDbAdapter } from '../../runner/adapters/duckdb/adapter.js';
import { linePattern, lineRegExp, shapeOf } from '../../runner/landing/canonical.js';
import { landingColumns } from '../../runner/landing/classify.js';
import type { SourceNode } from '../../runner/manifest/types.js';
import { REPO } from '../helpers/stedi.js';
import { EVERY_KIND, fuzzLine, random } from '../helpers/canonical-fuzz.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-canonical-'));
  roots.push(d);
  return d;
}

type Col = { name: string; data_type: string };

function node(location: string, cols: Col[], config: Record<string, unknown> = {}): SourceNode {
  return {
    unique_id: 'source.t.landing.readings', resource_type: 'source', name: 'readings', source_name: 'landing', original_file_path: 'models/sources.yml', line: 1, fqn: ['landing', 'readings'], tags: [], description: '', depends_on: [],
    config: { enabled: true, on_malformed: 'quarantine', ...config },
    relation: { schema: 'landing', identifier: 'readings', rendered: 'landing.readings' },
    rejects_relation: { schema: 'landing', identifier: 'readings__rejects', rendered: 'landing.readings__rejects' },
    columns: cols.map((c) => ({ ...c, description: '', pii: false, meta: {} })),
    location, format: 'json', entity: 'readings',
  } as SourceNode;
}

const OWNER = { project: 'canonical', target: 'local' };

/** Ingests the folder with one reader; everything the comparison looks at (every value as DuckDB prints it: -0 stays -0). */
async function ingestWith(reader: 'auto' | 'classifier', location: string, cols: Col[], config: Record<string, unknown> = {}) {
  const lake = tmp();
  const cfg = { lake_dir: lake, path_template: '{entity}/{zone}/{name}', catalog: `${lake}/stedi.duckdb`, landing_reader: reader } as const;
  const a = new DuckDbAdapter(cfg, OWNER);
  await a.open('write');
  let message: string;
  try {
    message = (await a.prepareSource(node(location, cols, config), async () => true, {})).message ?? '';
  } finally {
    await a.close();
  }
  const r = new DuckDbAdapter(cfg, OWNER);
  await r.open('read');
  try {
    const q = async (sql: string) => (await r.query(sql)).rows.map((row) => JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    const shown = cols.map((c) => `CAST(${JSON.stringify(c.name)} AS VARCHAR) AS ${JSON.stringify(c.name)}`).join(', ');
    return {
      message,
      contents: {
        rows: await q(`SELECT ${shown} FROM landing.readings ORDER BY ALL`),
        rejects: await q(`SELECT regexp_extract(file, '[^/]+$') AS f, line, reason, detail, raw FROM landing.readings__rejects ORDER BY ALL`),
        files: await q(`SELECT regexp_extract(file, '[^/]+$') AS f, status, regexp_extract(duplicate_of, '[^/]+$') AS of, bytes, sha256, lines, accepted, rejected, blank, duplicate_delivery, bom, crlf, trailing_comma, case_folded_keys, coerced_values, no_final_newline, unknown_keys, first_rejects FROM _stedi.landing_files ORDER BY f`),
      },
    };
  } finally {
    await r.close();
  }
}

/** How many files the build says DuckDB's JSON reader took. */
function taken(message: string): number {
  const some = /(\d+) of the \d+ files read (?:was|were) read by the engine's JSON reader/.exec(message);
  if (some) return Number(some[1]);
  const all = /the (\d+) files read were read by the engine's JSON reader/.exec(message);
  if (all) return Number(all[1]);
  return /the file read was read by the engine's JSON reader/.test(message) ? 1 : 0;
}

async function expectSame(location: string, cols: Col[], config: Record<string, unknown> = {}): Promise<{ fast: number; contents: Awaited<ReturnType<typeof ingestWith>>['contents'] }> {
  const slow = await ingestWith('classifier', location, cols, config);
  const fast = await ingestWith('auto', location, cols, config);
  expect(taken(slow.message)).toBe(0);
  expect(fast.contents.files).toEqual(slow.contents.files);
  expect(fast.contents.rejects).toEqual(slow.contents.rejects);
  expect(fast.contents.rows).toEqual(slow.contents.rows);
  return { fast: taken(fast.message), contents: fast.contents };
}

const COLS: Col[] = EVERY_KIND;

/** A canonical value of each column kind, at the edges of the grammar. */
function canonicalValue(rnd: () => number, type: string): string {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const digits = (n: number) => Array.from({ length: n }, (_, i) => String(i === 0 ? 1 + Math.floor(rnd() * 9) : Math.floor(rnd() * 10))).join('');
  const sign = () => pick(['', '-']);
  if (rnd() < 0.05) return 'null';
  switch (type) {
    case 'varchar': return `"${pick(['', 'a', 'Zoë Ångström 🚀', 'x,y}z:"'.slice(0, 6), '2023-01-01', '123', 'true', 'null', '\u007f\u2028', 'é\u0301'])}"`;
    case 'bigint': return `${sign()}${pick(['0', digits(1 + Math.floor(rnd() * 18)), '999999999999999999'])}`;
    case 'integer': return `${sign()}${pick(['0', digits(1 + Math.floor(rnd() * 9)), '999999999'])}`;
    case 'smallint': return `${sign()}${pick(['0', digits(1 + Math.floor(rnd() * 4))])}`;
    case 'tinyint': return `${sign()}${pick(['0', digits(1 + Math.floor(rnd() * 2))])}`;
    case 'boolean': return pick(['true', 'false']);
    default: {
      // doubles and reals: up to 15 significant digits, fractions with leading zeros, -0.x
      const i = Math.floor(rnd() * 17);
      if (i === 16) return pick(['-0.0', '0.0', '-0.000', '0']);
      if (i === 0) return `${pick(['0', '-0'])}.${'0'.repeat(Math.floor(rnd() * 10))}${digits(1 + Math.floor(rnd() * 5))}`.replace(/^(-?0\.\d{15}).*$/, '$1');
      const f = Math.floor(rnd() * (16 - i));
      return `${sign()}${digits(i)}${f > 0 ? `.${digits(f).split('').reverse().join('')}` : ''}`;
    }
  }
}

function canonicalFile(rnd: () => number, cols: Col[], n: number, sep = ','): string {
  return Array.from({ length: n }, () => `{${cols.map((c) => `"${c.name}":${canonicalValue(rnd, c.data_type)}`).join(sep)}}`).join('\n');
}

describe('DuckDB\'s JSON reader as the fast path gives exactly what the classifier gives', () => {
  it('on canonical files with values at every edge of the grammar (every file taken)', async () => {
    const dir = tmp();
    const rnd = random(7);
    for (let k = 0; k < 6; k++) {
      const cols = k % 3 === 0 ? COLS : [...COLS].sort(() => rnd() - 0.5).slice(0, 3 + k);
      fs.writeFileSync(path.join(dir, `c${k}.json`), `${canonicalFile(rnd, cols, 3000, k % 2 ? ', ' : ',')}${k === 5 ? '' : '\n'}`);
    }
    const { fast, contents } = await expectSame(dir, COLS);
    expect(fast).toBe(6);
    expect(contents.rows.length).toBe(18_000);
    // the values do reach the edges: negative zero reals and doubles, 18-digit bigints
    expect(contents.rows.some((r) => r.includes('"d":"-0.0"'))).toBe(true);
    expect(contents.rows.some((r) => /"b":"-?\d{18}"/.test(r))).toBe(true);
  });

  it('on files that are canonical but for one line of every kind of defect (none taken)', async () => {
    const dir = tmp();
    const rnd = random(8);
    const defects = ['', ' ', '\ufeff{"s":"a"}', '{"s":"a"}\r', '{"s":"a"},', '{"s":"a\\"b"}', '{"s":1}', '{"b":"1"}', '{"b":1e2}', '{"d":-0}', '{"S":"a"}', '{"s":"a","s":"b"}', '{"s":"a","zz":1}', '{"b":12345678901234567890}', '{"d":1.0000000000000001}', '[1]', '{"s":', `{"s":"${'x'.repeat(400)}"}`];
    defects.forEach((bad, k) => {
      const lines = canonicalFile(rnd, COLS, 50).split('\n');
      lines.splice(1 + Math.floor(rnd() * 48), 0, bad);
      fs.writeFileSync(path.join(dir, `d${String(k).padStart(2, '0')}.json`), `${lines.join('\n')}\n`);
    });
    // a canonical line of the file's shape, but longer than max_line_bytes
    const long = canonicalFile(rnd, COLS, 20).split('\n');
    long.splice(7, 0, `{"s":"${'x'.repeat(400)}","b":1,"i":1,"sm":1,"t":1,"d":1.5,"r":1.5,"f":true}`);
    fs.writeFileSync(path.join(dir, 'e-long.json'), `${long.join('\n')}\n`);
    // and bytes that are not UTF-8, and a stray 0x01
    fs.writeFileSync(path.join(dir, 'e-utf8.json'), Buffer.concat([Buffer.from(`${canonicalFile(rnd, COLS, 10)}\n{"s":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
    fs.writeFileSync(path.join(dir, 'e-soh.json'), `${canonicalFile(rnd, COLS, 10)}\n{"s":"a\u0001b"}\n`);
    const { fast, contents } = await expectSame(dir, COLS, { max_line_bytes: 300 });
    expect(fast).toBe(0);
    // the repeated key, the 20-digit bigint, the array, the cut record, the two long lines, the bad UTF-8, the raw 0x01
    expect(contents.rejects.length).toBe(8);
  });

  it('on a mix of canonical, defective, duplicate and empty files (the canonical ones taken)', async () => {
    const dir = tmp();
    const rnd = random(9);
    const good = canonicalFile(rnd, COLS, 400);
    fs.writeFileSync(path.join(dir, 'a.json'), `${good}\n`);
    fs.writeFileSync(path.join(dir, 'b-bad.json'), `${canonicalFile(rnd, COLS, 30)}\n{"s":"x","b":"nope"}\n\n`);
    fs.writeFileSync(path.join(dir, 'c-copy-of-a.json'), `${good}\n`);
    fs.writeFileSync(path.join(dir, 'd-empty.json'), '');
    fs.writeFileSync(path.join(dir, 'e.json'), canonicalFile(rnd, COLS.slice(0, 4), 200, ', '));
    fs.writeFileSync(path.join(dir, 'f-short-shape.json'), `{"s":"a"}\n${canonicalFile(rnd, COLS, 3)}\n`);
    fs.writeFileSync(path.join(dir, 'g[1].json'), `${canonicalFile(rnd, COLS, 5)}\n`); // a glob character in the name
    const { fast } = await expectSame(dir, COLS);
    expect(fast).toBe(2); // a and e; the copy is a duplicate delivery, never read
  });

  it('on the messy corpus, every source', async () => {
    const yml = parse(fs.readFileSync(path.join(REPO, 'models', 'landing', 'sources.yml'), 'utf8')) as { sources: { tables: { name: string; columns: (Col & { derived?: unknown })[] }[] }[] };
    const corpus = path.join(REPO, 'tests', 'fixtures', 'messy', 'landing');
    for (const table of yml.sources[0]!.tables) {
      // the customer source derives subject_key (it needs the key; its files always go to the classifier): declared columns only here
      const cols = table.columns.filter((c) => !c.derived).map((c) => ({ name: c.name, data_type: c.data_type }));
      await expectSame(path.join(corpus, table.name, 'landing'), cols);
    }
  });
});

describe('RE2 in DuckDB and JavaScript read the canonical pattern alike', () => {
  it('line for line on a seeded fuzz of near-canonical lines', async () => {
    const { columns } = landingColumns(COLS);
    const rnd = random(11);
    const shapes = ['{"s":"a","b":1,"i":1,"sm":1,"t":1,"d":1,"r":1,"f":true}', '{"d":1,"s":"a"}', '{"f":true,"t":1,"b":1}'].map((l) => shapeOf(l, columns)!);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      let agreed = 0;
      let matched = 0;
      for (const sh of shapes) {
        const lines = Array.from({ length: 4000 }, () => fuzzLine(rnd, sh.columns.map((col) => col.name)));
        await c.run('CREATE OR REPLACE TEMP TABLE l (n INTEGER, line VARCHAR)');
        const app = await c.createAppender('l', 'main', 'temp');
        lines.forEach((line, n) => {
          app.appendInteger(n);
          app.appendVarchar(line);
          app.endRow();
        });
        app.closeSync();
        const pattern = linePattern(sh).replace(/'/g, "''");
        const rows = (await c.runAndReadAll(`SELECT n, regexp_full_match(line, '${pattern}') FROM l ORDER BY n`)).getRows();
        const re = lineRegExp(sh);
        for (const [n, m] of rows) {
          const js = re.test(lines[Number(n)]!);
          expect(m, lines[Number(n)]).toBe(js);
          agreed++;
          if (js) matched++;
        }
      }
      expect(agreed).toBe(12_000);
      expect(matched).toBeGreaterThan(50);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
