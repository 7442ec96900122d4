/**
 * Incremental landing ingestion is exact: after any sequence of deliveries (new files, changed
 * files of the same or another size, touched files, duplicate deliveries under earlier and later
 * names, removed and restored files, empty and malformed files), the landing table, its rejects
 * and `_stedi.landing_files` equal what a full read of the same files gives — row for row, reject
 * for reject (file, line, reason, detail, raw), file for file (status, origin, every count).
 *
 * Real DuckDB, real files, through the adapter the build uses. Seeded: a failure names its seed
 * and step, and replays.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbAdapter } from '../../runner/adapters/duckdb/adapter.js';
import { needsAttention } from '../../runner/landing/report.js';
import type { SourceNode } from '../../runner/manifest/types.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-incr-'));
  roots.push(d);
  return d;
}

function node(location: string, config: Record<string, unknown> = {}): SourceNode {
  const col = (name: string, data_type: string) => ({ name, description: '', data_type, pii: false, meta: {} });
  return {
    unique_id: 'source.t.landing.readings', resource_type: 'source', name: 'readings', source_name: 'landing', original_file_path: 'models/sources.yml', line: 1, fqn: ['landing', 'readings'], tags: [], description: '', depends_on: [],
    config: { enabled: true, on_malformed: 'quarantine', ...config },
    relation: { schema: 'landing', identifier: 'readings', rendered: 'landing.readings' },
    rejects_relation: { schema: 'landing', identifier: 'readings__rejects', rendered: 'landing.readings__rejects' },
    columns: [col('user', 'varchar'), col('timestamp', 'bigint'), col('x', 'double')],
    location, format: 'json', entity: 'readings',
  } as SourceNode;
}

const OWNER = { project: 'incr', target: 'local' };

async function ingest(lake: string, location: string, opts: { config?: Record<string, unknown>; fullRefresh?: boolean } = {}) {
  const a = new DuckDbAdapter({ lake_dir: lake, path_template: '{entity}/{zone}/{name}', catalog: `${lake}/stedi.duckdb` }, OWNER);
  await a.open('write');
  try {
    return await a.prepareSource(node(location, opts.config), async () => true, opts.fullRefresh ? { fullRefresh: true } : {});
  } finally {
    await a.close();
  }
}

/** Everything the comparison looks at, with file paths reduced to their names. */
async function contents(lake: string): Promise<Record<string, unknown[]>> {
  const a = new DuckDbAdapter({ lake_dir: lake, path_template: '{entity}/{zone}/{name}', catalog: `${lake}/stedi.duckdb` }, OWNER);
  await a.open('read');
  try {
    const q = async (sql: string) => (await a.query(sql)).rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    return {
      rows: await q(`SELECT * FROM landing.readings ORDER BY ALL`),
      rejects: await q(`SELECT regexp_extract(file, '[^/]+$') AS f, line, reason, detail, raw FROM landing.readings__rejects ORDER BY ALL`),
      files: await q(`SELECT regexp_extract(file, '[^/]+$') AS f, status, regexp_extract(duplicate_of, '[^/]+$') AS of, bytes, sha256, lines, accepted, rejected, blank, duplicate_delivery, bom, crlf, trailing_comma, case_folded_keys, coerced_values, no_final_newline, unknown_keys FROM _stedi.landing_files ORDER BY f`),
    };
  } finally {
    await a.close();
  }
}

/** A landing folder and a lake of their own. */
function place(): { root: string; landing: string; lake: string } {
  const root = tmp();
  const landing = path.join(root, 'landing');
  fs.mkdirSync(landing);
  return { root, landing, lake: path.join(root, 'lake') };
}

/** One reading as a landing line. */
const rec = (u: string, t: number) => `{"user":"${u}","timestamp":${t},"x":1.5}\n`;

/** A small seeded generator (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function lines(r: () => number): string {
  const pick = <T,>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const rec = () => `{"user":"u${Math.floor(r() * 5)}@x.example","timestamp":${1_600_000_000_000 + Math.floor(r() * 1000)},"x":${(r() * 10).toFixed(2)}}`;
  const kinds = [rec, rec, rec, rec, () => '', () => '{"user":', () => `{"user":"a","timestamp":"soon","x":1}`, () => `\uFEFF${rec()}`, () => `${rec()}\r`, () => `${rec()},`, () => `{"user":"b","timestamp":1,"x":2,"extra":true}`, () => '[1,2]'];
  const n = Math.floor(r() * 6);
  const body = Array.from({ length: n }, () => pick(kinds)()).join('\n');
  return r() < 0.8 && n > 0 ? `${body}\n` : body;
}

describe('incremental landing ingestion equals a full read of the same files', () => {
  for (const [seed, onRemoved] of [[1, 'keep'], [2, 'drop'], [3, 'keep'], [4, 'drop']] as const) {
    it(`seed ${seed}, on_removed_file: ${onRemoved}`, async () => {
      const r = rng(seed);
      const { root, landing, lake } = place();
      const removed = new Map<string, string>(); // removed files and their content
      const names = () => fs.readdirSync(landing).sort();
      const newName = () => `${String.fromCharCode(97 + Math.floor(r() * 26))}${Math.floor(r() * 1000)}.json`;
      const write = (name: string, body: string) => fs.writeFileSync(path.join(landing, name), body);
      for (let i = 0; i < 4; i++) write(newName(), lines(r));

      for (let step = 0; step < 14; step++) {
        const existing = names();
        const op = step === 0 ? 'none' : ['add', 'add', 'copy', 'change', 'same-size', 'touch', 'remove', 'restore'][Math.floor(r() * 8)]!;
        const some = existing[Math.floor(r() * existing.length)];
        if (op === 'add') write(newName(), lines(r));
        else if (op === 'copy' && some) write(newName(), fs.readFileSync(path.join(landing, some), 'utf8'));
        else if (op === 'change' && some) write(some, lines(r));
        else if (op === 'same-size' && some) {
          const body = fs.readFileSync(path.join(landing, some), 'utf8');
          const i = body.search(/\d/);
          if (i >= 0) write(some, `${body.slice(0, i)}${(Number(body[i]) + 1) % 10}${body.slice(i + 1)}`);
        } else if (op === 'touch' && some) fs.utimesSync(path.join(landing, some), new Date(), new Date(Date.now() + 5000 + step));
        else if (op === 'remove' && some) {
          removed.set(some, fs.readFileSync(path.join(landing, some), 'utf8'));
          fs.rmSync(path.join(landing, some));
        } else if (op === 'restore' && removed.size) {
          const [name, body] = [...removed][Math.floor(r() * removed.size)]!;
          if (!existing.includes(name)) write(name, body);
          removed.delete(name);
        }

        const res = await ingest(lake, landing, { config: { on_removed_file: onRemoved } });
        expect(res.published, `seed ${seed} step ${step} (${op})`).toBe(true);
        const got = await contents(lake);

        // the reference: a fresh lake, every file of the universe read once
        const ref = path.join(root, `ref-${step}`);
        fs.mkdirSync(path.join(ref, 'landing'), { recursive: true });
        for (const n of names()) fs.copyFileSync(path.join(landing, n), path.join(ref, 'landing', n));
        if (onRemoved === 'keep') {
          // the removed files whose rows the incremental state keeps are part of its universe
          const kept = got.files!.map((f) => JSON.parse(String(f)) as { f: string }).map((f) => f.f).filter((n) => !names().includes(n));
          for (const n of kept) fs.writeFileSync(path.join(ref, 'landing', n), removed.get(n)!);
        }
        await ingest(path.join(ref, 'lake'), path.join(ref, 'landing'));
        const want = await contents(path.join(ref, 'lake'));
        expect(got, `seed ${seed} step ${step} (${op})`).toEqual(want);
        fs.rmSync(ref, { recursive: true, force: true });
      }
    }, 120_000);
  }

  it('reads only new and changed files; a touched file is hashed, not read into the table again', async () => {
    const { landing, lake } = place();
    fs.writeFileSync(path.join(landing, 'a.json'), rec('a', 1) + rec('a', 2));
    fs.writeFileSync(path.join(landing, 'b.json'), rec('b', 1));
    expect((await ingest(lake, landing)).message).not.toMatch(/read \d+ of/);
    fs.writeFileSync(path.join(landing, 'c.json'), rec('c', 1));
    fs.utimesSync(path.join(landing, 'a.json'), new Date(), new Date(Date.now() + 10_000));
    const second = await ingest(lake, landing);
    expect(second.message).toContain('read 1 of 3 landing files');
    expect(second.landing?.totals).toMatchObject({ files: 3, accepted: 4, lines_read: 4 });
    // nothing new: nothing read, the same rows
    const third = await ingest(lake, landing);
    expect(third.message).toContain('read 0 of 3 landing files');
    expect((await contents(lake)).rows).toHaveLength(4);
    // --full-refresh reads every file again and gives the same table
    const full = await ingest(lake, landing, { fullRefresh: true });
    expect(full.message).toContain('every landing file was read again (--full-refresh)');
    expect((await contents(lake)).rows).toHaveLength(4);
  });

  it('says why each file it did not read was not read: a repeat of another file is never called unchanged, on a first build or a --full-refresh either', async () => {
    const { landing, lake } = place();
    fs.writeFileSync(path.join(landing, 'a.json'), rec('a', 1));
    fs.writeFileSync(path.join(landing, 'a-again.json'), rec('a', 1));
    fs.writeFileSync(path.join(landing, 'b.json'), rec('b', 1));
    const first = await ingest(lake, landing);
    expect(first.message).toContain("read 2 of 3 landing files; not read: 1 repeating another file's content (duplicate_delivery)");
    expect(first.message).not.toContain('unchanged');
    const full = await ingest(lake, landing, { fullRefresh: true });
    expect(full.message).toContain("read 2 of 3 landing files; not read: 1 repeating another file's content (duplicate_delivery)");
    expect(full.message).not.toContain('unchanged');
    fs.writeFileSync(path.join(landing, 'c.json'), rec('c', 1));
    fs.rmSync(path.join(landing, 'b.json'));
    const next = await ingest(lake, landing);
    expect(next.message).toContain("read 1 of 4 landing files; not read: 1 unchanged since it was ingested, 1 repeating another file's content (duplicate_delivery), 1 no longer in the landing location (rows kept)");
  });

  it('a changed file warns and replaces its rows; a removed file warns (keep) or loses its rows (drop)', async () => {
    const { landing, lake } = place();
    fs.writeFileSync(path.join(landing, 'a.json'), rec('a', 1) + rec('a', 2));
    fs.writeFileSync(path.join(landing, 'b.json'), rec('b', 1));
    await ingest(lake, landing);
    // nothing changed yet: no warning (the result is OK)
    expect(needsAttention((await ingest(lake, landing)).landing!)).toBe(false);
    fs.writeFileSync(path.join(landing, 'a.json'), rec('a', 3));
    const changed = await ingest(lake, landing);
    expect(changed.message).toContain('a.json: changed since it was ingested');
    expect(changed.landing?.totals.accepted).toBe(2);
    // the source's result is a warning (printed with its message; refused under --warn-error)
    expect(changed.landing?.file_changes).toEqual({ changed: 1, removed: 0 });
    expect(needsAttention(changed.landing!)).toBe(true);
    expect(needsAttention((await ingest(lake, landing)).landing!)).toBe(false);
    fs.rmSync(path.join(landing, 'b.json'));
    const kept = await ingest(lake, landing);
    expect(kept.message).toContain('b.json: no longer in the landing location: its rows are kept (on_removed_file: keep');
    expect(kept.landing?.file_changes).toEqual({ changed: 0, removed: 1 });
    expect(needsAttention(kept.landing!)).toBe(true);
    expect((await contents(lake)).rows).toHaveLength(2);
    // found missing before: still named in the message, no longer a warning
    const keptAgain = await ingest(lake, landing);
    expect(keptAgain.message).toContain('b.json: no longer in the landing location: its rows are kept');
    expect(keptAgain.landing?.file_changes).toBeUndefined();
    expect(needsAttention(keptAgain.landing!)).toBe(false);
    const dropped = await ingest(lake, landing, { config: { on_removed_file: 'drop' } });
    expect(dropped.message).toContain('b.json: no longer in the landing location: its rows and rejects are removed (on_removed_file: drop)');
    expect(dropped.landing?.file_changes).toEqual({ changed: 0, removed: 1 });
    expect(needsAttention(dropped.landing!)).toBe(true);
    expect((await contents(lake)).rows).toHaveLength(1);
  });

  it('a file that held no row of its own (empty, or a repeat of another) and changed warns too', async () => {
    const { landing, lake } = place();
    fs.writeFileSync(path.join(landing, 'a.json'), rec('a', 1));
    fs.writeFileSync(path.join(landing, 'b.json'), rec('a', 1)); // a repeat of a.json
    fs.writeFileSync(path.join(landing, 'c.json'), '');
    await ingest(lake, landing);
    expect(needsAttention((await ingest(lake, landing)).landing!)).toBe(true); // the duplicate and the empty file
    fs.writeFileSync(path.join(landing, 'c.json'), rec('c', 1));
    fs.writeFileSync(path.join(landing, 'b.json'), rec('b', 1) + rec('b', 2));
    const changed = await ingest(lake, landing);
    expect(changed.landing?.file_changes).toEqual({ changed: 2, removed: 0 });
    expect(changed.message).toContain('b.json, c.json: changed since they were ingested');
    expect(needsAttention(changed.landing!)).toBe(true);
    const next = await ingest(lake, landing);
    expect(next.landing?.file_changes).toBeUndefined();
    expect(needsAttention(next.landing!)).toBe(false);
    expect((await contents(lake)).rows).toHaveLength(4);
  });

  it('a removed file whose first warning was refused (its version not published) warns again on the next build', async () => {
    const { landing, lake } = place();
    fs.writeFileSync(path.join(landing, 'a.json'), rec('a', 1));
    fs.writeFileSync(path.join(landing, 'b.json'), rec('b', 1));
    await ingest(lake, landing);
    fs.rmSync(path.join(landing, 'b.json'));
    const a = new DuckDbAdapter({ lake_dir: lake, path_template: '{entity}/{zone}/{name}', catalog: `${lake}/stedi.duckdb` }, OWNER);
    await a.open('write');
    try {
      // what --warn-error does: the gate refuses a report that needs attention
      const refused = await a.prepareSource(node(landing), async (_q, c) => !(c.landing && needsAttention(c.landing)), {});
      expect(refused.published).toBe(false);
    } finally {
      await a.close();
    }
    const again = await ingest(lake, landing);
    expect(again.landing?.file_changes).toEqual({ changed: 0, removed: 1 });
    expect(needsAttention(again.landing!)).toBe(true);
  });

  it('a failed ingestion leaves the published version and its state; the next build is still exact', async () => {
    const { landing, lake } = place();
    fs.writeFileSync(path.join(landing, 'a.json'), rec('a', 1));
    await ingest(lake, landing, { config: { on_malformed: 'fail' } });
    const before = await contents(lake);
    fs.writeFileSync(path.join(landing, 'b.json'), `${rec('b', 1)}{"user":\n`);
    await expect(ingest(lake, landing, { config: { on_malformed: 'fail' } })).rejects.toThrow(/on_malformed is 'fail'/);
    expect(await contents(lake)).toEqual(before);
    fs.writeFileSync(path.join(landing, 'b.json'), rec('b', 1));
    await ingest(lake, landing, { config: { on_malformed: 'fail' } });
    expect((await contents(lake)).rows).toHaveLength(2);
  });
});
