/**
 * The parallel reader (runner/landing/parallel.ts) against the one-thread reader: on the messy
 * corpus and on generated files holding every defect, with 2 and 4 classifier threads, tiny
 * ranges (many per file, too-long lines between them) and tiny chunks (lines spanning reads),
 * the sink receives exactly the same sequence of accept and reject calls and the reports are
 * deep-equal. Then Ctrl-C and a failing thread: an error naming the file, no thread left.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { landingColumns } from '../../../runner/landing/classify.js';
import { pseudonymKey } from '../../../runner/landing/derive.js';
import { ingestLanding, type IngestOptions, type LandingSink } from '../../../runner/landing/ingest.js';
import { classifierThreads } from '../../../runner/landing/pool.js';
import { localStore, type LandingStore } from '../../../runner/landing/store.js';
import type { LandingColumn, LandingReport, LandingValue } from '../../../runner/landing/types.js';
import { random } from '../../helpers/canonical-fuzz.js';
import { REPO } from '../../helpers/stedi.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-parallel-'));
  dirs.push(dir);
  return dir;
}

/** A value as the comparison sees it: its type and its exact text (-0 and lone surrogates included). */
function shown(v: LandingValue): string {
  if (typeof v === 'number' && Object.is(v, -0)) return 'number:-0';
  return `${v === null ? 'null' : typeof v}:${typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
}

interface Spec {
  location: string;
  columns: LandingColumn[];
  max_line_bytes?: number;
}

/** Every call the sink receives, in order, and the report. */
async function record(spec: Spec, opts: IngestOptions): Promise<{ calls: string[]; report: LandingReport }> {
  const calls: string[] = [];
  const sink: LandingSink = {
    accept: (values) => calls.push(`accept ${values.map(shown).join(' | ')}`),
    reject: (row) => calls.push(`reject ${JSON.stringify(row)}`),
    drain: async () => undefined,
  };
  // a source with a derived column (the customer's subject_key) needs the pseudonymisation key
  const report = await ingestLanding({ source: 'landing.t', relation: 'landing.t', rejects_relation: 'landing.t__rejects', on_malformed: 'quarantine', derive: pseudonymKey(Buffer.from('parallel-test-key-0123456789')), ...spec }, sink, opts);
  return { calls, report };
}

/** Runs the one-thread reader, then the parallel one in every setting, and compares. */
async function expectSameOnThreads(spec: Spec, settings: { rangeBytes: number; chunkBytes: number }[]): Promise<{ calls: string[]; report: LandingReport }> {
  let t0 = Date.now();
  const one = await record(spec, { threads: 1 });
  if (process.env.TIMING) console.log('one', Date.now() - t0);
  expect(one.calls.length).toBeGreaterThan(0);
  for (const threads of [2, 4]) {
    for (const s of settings) {
      const before = classifierThreads().started;
      t0 = Date.now();
      const many = await record(spec, { threads, ...s });
      if (process.env.TIMING) console.log(threads, JSON.stringify(s), Date.now() - t0, many.calls.length);
      // the threads did run (a source of one range or less is read on this thread)
      expect(classifierThreads().started, `threads ${threads}, ${JSON.stringify(s)}`).toBeGreaterThan(before);
      expect(many.calls, `threads ${threads}, ${JSON.stringify(s)}`).toEqual(one.calls);
      expect(many.report, `threads ${threads}, ${JSON.stringify(s)}`).toEqual(one.report);
      expect(classifierThreads().live).toBe(0);
    }
  }
  return one;
}

// ---- generated files -------------------------------------------------------------------------

const GEN_COLUMNS = [
  { name: 's', data_type: 'varchar' },
  { name: 'b', data_type: 'bigint' },
  { name: 'i', data_type: 'integer' },
  { name: 'sm', data_type: 'smallint' },
  { name: 'd', data_type: 'double' },
  { name: 'r', data_type: 'real' },
  { name: 'f', data_type: 'boolean' },
];

/** One line (without its LF) of some kind, as bytes. */
function line(rnd: () => number, n: number): Buffer {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const good = () => ({ s: pick(['Zoë Ångström 🚀', 'plain', '', 'tab\there', 'quote " and \\ backslash']), b: Math.floor(rnd() * 1e12), i: n, sm: n % 30000, d: rnd() * 100 - 50, r: 1.5, f: rnd() < 0.5 });
  const kind = Math.floor(rnd() * 26);
  switch (kind) {
    case 0: return Buffer.from('');
    case 1: return Buffer.from(' \t ');
    case 2: return Buffer.from(`\ufeff${JSON.stringify(good())}`);
    case 3: return Buffer.from(`${JSON.stringify(good())}\r`);
    case 4: return Buffer.from(`${JSON.stringify(good())} ,`);
    case 5: return Buffer.concat([Buffer.from('{"s":"'), Buffer.from([0xff, 0xc3]), Buffer.from('","b":1}')]);
    case 6: return Buffer.from('{"s":"a","S":"b"}');
    case 7: return Buffer.from('{"b":1,"b":2}');
    case 8: return Buffer.from('{"b":"not a number"}');
    case 9: return Buffer.from('{"i":1.5,"sm":40000,"r":1e39}');
    case 10: return Buffer.from('[1,2]');
    case 11: return Buffer.from('{"nope":1}');
    case 12: return Buffer.from('{"s":"a",');
    case 13: return Buffer.from(`{"s":"${'x'.repeat(200 + Math.floor(rnd() * 900))}é"}`); // above max_line_bytes (300) or not
    case 14: return Buffer.from('{"b":9223372036854775807,"d":-0,"s":"\\ud800 lone","f":"true"}');
    case 15: return Buffer.from('{"b":-9223372036854775808,"i":"123","s":12.50,"d":"1e2"}');
    case 16: return Buffer.from('{"B":1e2,"Extra":{"s":"nested"},"unknown_key":[1]}');
    case 17: return Buffer.from('{"s":null,"b":null,"f":false,"d":1e-400}');
    default: return Buffer.from(JSON.stringify(good()));
  }
}

function body(seed: number, lines: number, finalNewline = true): Buffer {
  const rnd = random(seed);
  const out: Buffer[] = [];
  for (let n = 0; n < lines; n++) out.push(line(rnd, n), Buffer.from('\n'));
  if (!finalNewline) out.pop();
  return Buffer.concat(out);
}

/** The files: every defect, a duplicate, two empty files, three without a final line feed. */
function generated(): Record<string, Buffer> {
  const big = body(1, 1200);
  const keys = Array.from({ length: 1500 }, (_, i) => `{"s":"k","key_${String(i).padStart(4, '0')}":1}`).join('\n');
  return {
    'a-big.json': big,
    'b-same-as-a.json': Buffer.from(big),
    'c-cut.json': Buffer.concat([body(2, 500), Buffer.from('{"s":"cut off","b":')]),
    'd-no-final-lf.json': body(3, 700, false),
    'e-empty.json': Buffer.alloc(0),
    'f-blank.json': Buffer.from('\n \n\t\n'),
    'g-long-last.json': Buffer.concat([body(4, 300), Buffer.from(`{"s":"${'y'.repeat(5000)}"}`)]),
    'h-one-long-line.json': Buffer.from(`{"s":"${'z'.repeat(20_000)}"}\n`),
    'i-keys.json': Buffer.from(`${keys}\n`),
    'j-more.json': body(5, 600),
  };
}

const SETTINGS = [
  { rangeBytes: 64, chunkBytes: 61 },
  { rangeBytes: 64, chunkBytes: 4096 },
  { rangeBytes: 1000, chunkBytes: 97 },
];

describe('the parallel reader gives exactly what one thread gives', () => {
  it('on the messy corpus (tests/fixtures/messy), every source', async () => {
    const yml = parse(fs.readFileSync(path.join(REPO, 'models', 'landing', 'sources.yml'), 'utf8')) as { sources: { tables: { name: string; columns: { name: string; data_type: string }[] }[] }[] };
    const corpus = path.join(REPO, 'tests', 'fixtures', 'messy', 'landing');
    let rejects = 0;
    for (const table of yml.sources[0]!.tables) {
      const { columns, problems } = landingColumns(table.columns);
      expect(problems).toEqual([]);
      const { calls } = await expectSameOnThreads({ location: path.join(corpus, table.name, 'landing'), columns }, [...SETTINGS.slice(0, 2), { rangeBytes: 200, chunkBytes: 7 }]);
      rejects += calls.filter((c) => c.startsWith('reject')).length;
    }
    expect(rejects).toBeGreaterThan(5);
  });

  it('on generated files with every defect, lines above the limit across ranges and chunks, duplicates and empty files', async () => {
    const dir = tempDir();
    const files = generated();
    for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
    const { columns } = landingColumns(GEN_COLUMNS);
    const { report, calls } = await expectSameOnThreads({ location: dir, columns, max_line_bytes: 300 }, [...SETTINGS, { rangeBytes: 4096, chunkBytes: 1 << 20 }]);
    // the corpus holds what it is meant to hold
    const reasons = new Set(calls.filter((c) => c.startsWith('reject')).map((c) => (JSON.parse(c.slice(7)) as { reason: string }).reason));
    expect([...reasons].sort()).toEqual(['duplicate_key', 'invalid_json', 'invalid_utf8', 'line_too_long', 'no_declared_field', 'not_an_object', 'truncated_record', 'type_mismatch']);
    const t = report.totals;
    expect(t).toMatchObject({ empty_files: 2, duplicate_files: 1 });
    expect(t.blank).toBeGreaterThan(10);
    for (const k of Object.keys(t.tolerated) as (keyof typeof t.tolerated)[]) expect(t.tolerated[k], k).toBeGreaterThan(0);
    expect(report.files.find((f) => f.file.endsWith('keys.json'))!.unknown_keys).toHaveLength(1000);
    expect(report.files.filter((f) => f.no_final_newline)).toHaveLength(3);
    expect(calls.some((c) => c.includes('number:-0'))).toBe(true);
    expect(calls.some((c) => c.includes('bigint:9223372036854775807')) && calls.some((c) => c.includes('bigint:-9223372036854775808'))).toBe(true);
    expect(calls.some((c) => c.includes('\\ud800'))).toBe(true);
  });
});

describe('the classifier threads stop', () => {
  const { columns } = landingColumns(GEN_COLUMNS);
  const bigFolder = () => {
    const dir = tempDir();
    const line = `${JSON.stringify({ s: 'abc', b: 1, i: 2, sm: 3, d: 1.5, r: 2.5, f: true })}\n`;
    // two sizes: neither file can repeat the other, so none is hashed before it is read
    fs.writeFileSync(path.join(dir, 'a.json'), line.repeat(20_000));
    fs.writeFileSync(path.join(dir, 'b.json'), line.repeat(20_001));
    return dir;
  };

  it('Ctrl-C in the middle of a file rejects with the abort, and no thread is left running', async () => {
    const dir = bigFolder();
    const controller = new AbortController();
    const local = localStore(4096);
    let chunks = 0;
    // the store aborts after a few reads: ranges are then in flight on the threads
    const store: LandingStore = {
      list: (l, s) => local.list(l, s),
      async *read(e, s) {
        for await (const c of local.read(e, s)) {
          if (++chunks === 40) controller.abort(new Error('stopped by the test'));
          yield c;
        }
      },
    };
    const sink: LandingSink = { accept: () => undefined, reject: () => undefined };
    const started = classifierThreads().started;
    await expect(ingestLanding({ source: 's', relation: 'r', rejects_relation: 'rr', location: dir, columns, on_malformed: 'quarantine' }, sink, { threads: 2, rangeBytes: 8192, store, signal: controller.signal })).rejects.toThrow('stopped by the test');
    expect(classifierThreads().started).toBeGreaterThan(started);
    expect(classifierThreads().live).toBe(0);
  });

  it('an abort while the sink is busy (ranges classified, waiting to be merged) rejects too', async () => {
    const dir = bigFolder();
    const controller = new AbortController();
    let n = 0;
    const sink: LandingSink = { accept: () => void (++n === 5000 && controller.abort(new Error('stopped in the sink'))), reject: () => undefined };
    await expect(ingestLanding({ source: 's', relation: 'r', rejects_relation: 'rr', location: dir, columns, on_malformed: 'quarantine' }, sink, { threads: 2, rangeBytes: 8192, chunkBytes: 65536, signal: controller.signal })).rejects.toThrow('stopped in the sink');
    expect(classifierThreads().live).toBe(0);
  });

  it('an error on a thread becomes an error naming the file, without the line', async () => {
    const dir = bigFolder();
    // a column kind the classifier does not know: classifying a value of it throws (a TypeError) on the thread
    const broken = [...columns.slice(0, 6), { ...columns[6]!, kind: 'no-such-kind' as never }];
    const sink: LandingSink = { accept: () => undefined, reject: () => undefined };
    const err = await ingestLanding({ source: 's', relation: 'r', rejects_relation: 'rr', location: dir, columns: broken, on_malformed: 'quarantine' }, sink, { threads: 2, rangeBytes: 8192 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe(`cannot classify the lines of ${dir}/a.json: a classifier thread failed (TypeError)`);
    expect(classifierThreads().live).toBe(0);
  });

  it('a thread that exits becomes an error naming the file, never a hang', async () => {
    const dir = bigFolder();
    const script = path.join(tempDir(), 'exits.mjs');
    fs.writeFileSync(script, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
    const sink: LandingSink = { accept: () => undefined, reject: () => undefined };
    await expect(ingestLanding({ source: 's', relation: 'r', rejects_relation: 'rr', location: dir, columns, on_malformed: 'quarantine' }, sink, { threads: 2, rangeBytes: 8192, workerScript: pathToFileURL(script) })).rejects.toThrow(
      `cannot classify the lines of ${dir}/a.json: a classifier thread stopped (exit code 3)`,
    );
    expect(classifierThreads().live).toBe(0);
  });
});

