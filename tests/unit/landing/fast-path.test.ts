/**
 * Which files the fast path offers to the engine, and what it does when the engine is done
 * (runner/landing/fast-path.ts), with a recording reader in place of DuckDB: a file that changed
 * while the engine read it fails the source; a file the engine declines stays with the
 * classifier; files that cannot be canonical are never offered; a source with a derived column,
 * or a store whose files an engine cannot open by path, gets no fast path at all. And the facts
 * the runner measures itself (line count, final newline, CR, BOM, UTF-8) on awkward bytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { landingColumns } from '../../../runner/landing/classify.js';
import { factsOf, takeCanonical, type CanonicalReader } from '../../../runner/landing/fast-path.js';
import type { LandingSpec } from '../../../runner/landing/ingest.js';
import { listLanding, localStore, LandingReadError, type LandingStore } from '../../../runner/landing/store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function folder(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-fast-path-'));
  dirs.push(dir);
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
  return dir;
}

function spec(location: string, derived = false): LandingSpec {
  const { columns } = landingColumns([{ name: 'user', data_type: 'varchar' }, { name: 'x', data_type: 'double' }, ...(derived ? [{ name: 'k', data_type: 'varchar', derived: { pseudonym_of: 'user' } }] : [])]);
  return { source: 'landing.t', relation: 'landing.t', rejects_relation: 'landing.t__rejects', location, columns, on_malformed: 'quarantine' };
}

/** A reader that records what it was offered and answers `answer` (after `during`, if given). */
function recorder(answer = true, during?: (file: string) => void): CanonicalReader & { offered: string[] } {
  const offered: string[] = [];
  return {
    offered,
    async ingest(file) {
      offered.push(path.basename(file));
      during?.(file);
      return answer;
    },
  };
}

const GOOD = '{"user":"a@x.example","x":1.5}\n{"user":"b@x.example","x":-2}\n';

describe('the fast path', () => {
  it('offers every non-empty file whose bytes can be canonical, in order; the engine takes them and they come first', async () => {
    const dir = folder({ 'a.json': GOOD, 'b-crlf.json': GOOD.replace(/\n/g, '\r\n'), 'c-bom.json': `\ufeff${GOOD}`, 'd-empty.json': '', 'e.json': GOOD, 'f-latin1.json': Buffer.from([0x7b, 0x22, 0x75, 0x73, 0x65, 0x72, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d, 0x0a]), 'g-unknown.json': '{"other":1}\n' });
    const store = localStore();
    const { files } = await listLanding(store, { location: dir });
    const reader = recorder();
    const { taken, rest } = await takeCanonical(store, files, spec(dir), reader);
    expect(reader.offered).toEqual(['a.json', 'e.json']);
    expect(taken.map((r) => path.basename(r.file))).toEqual(['a.json', 'e.json']);
    expect(taken[0]).toMatchObject({ status: 'ingested', lines: 2, accepted: 2, rejected: 0, bytes: Buffer.byteLength(GOOD) });
    expect(rest.map((f) => f.name)).toEqual(['b-crlf.json', 'c-bom.json', 'd-empty.json', 'f-latin1.json', 'g-unknown.json']);
  });

  it('leaves a file the engine declines to the classifier', async () => {
    const dir = folder({ 'a.json': GOOD, 'b.json': GOOD });
    const store = localStore();
    const { files } = await listLanding(store, { location: dir });
    const { taken, rest } = await takeCanonical(store, files, spec(dir), recorder(false));
    expect(taken).toEqual([]);
    expect(rest.map((f) => f.name)).toEqual(['a.json', 'b.json']);
  });

  it('fails the source when a file changed while the engine read it (never a mix of two versions)', async () => {
    const dir = folder({ 'a.json': GOOD });
    const store = localStore();
    const { files } = await listLanding(store, { location: dir });
    const reader = recorder(true, (file) => fs.appendFileSync(file, '{"user":"c@x.example","x":3}\n'));
    await expect(takeCanonical(store, files, spec(dir), reader)).rejects.toThrow(LandingReadError);
    await expect(takeCanonical(store, files, spec(dir), recorder(true, (file) => fs.rmSync(file)))).rejects.toThrow(/changed while it was read/);
  });

  it('is not used for a source with a derived column, nor for a store an engine cannot open by path', async () => {
    const dir = folder({ 'a.json': GOOD });
    const store = localStore();
    const { files } = await listLanding(store, { location: dir });
    const reader = recorder();
    expect((await takeCanonical(store, files, spec(dir, true), reader)).taken).toEqual([]);
    const remote: LandingStore = { list: store.list, read: store.read };
    expect((await takeCanonical(remote, files, spec(dir), reader)).taken).toEqual([]);
    expect(reader.offered).toEqual([]);
  });
});

describe('the facts the runner measures itself', () => {
  const facts = async (body: string | Buffer, chunk = 4) => {
    const dir = folder({ 'f.json': body });
    const store = localStore(chunk);
    const { files } = await listLanding(store, { location: dir });
    return factsOf(store, files[0]!, 1 << 20);
  };

  it('counts lines as the classifier does, across reads of a few bytes', async () => {
    expect(await facts('{"a":1}\n{"a":2}\n')).toMatchObject({ lines: 2, noFinalNewline: false, plain: true, firstLine: '{"a":1}' });
    expect(await facts('{"a":1}\n{"a":2}')).toMatchObject({ lines: 2, noFinalNewline: true, plain: true });
    expect(await facts('{"a":1}')).toMatchObject({ lines: 1, noFinalNewline: true, firstLine: '{"a":1}' });
    expect(await facts('\n\n')).toMatchObject({ lines: 2, firstLine: '' });
  });

  it('marks CR, a byte-order mark and invalid UTF-8 (even split across reads), but not valid multi-byte characters split across reads', async () => {
    expect((await facts('{"a":1}\r\n')).plain).toBe(false);
    expect((await facts('\ufeff{"a":1}\n')).plain).toBe(false);
    expect((await facts(Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3]), Buffer.from('"}\n')]))).plain).toBe(false);
    expect((await facts(Buffer.concat([Buffer.from('{"a":"x"}\n{"a":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]))).plain).toBe(false);
    for (const chunk of [1, 2, 3, 5, 7]) expect((await facts('{"a":"Zoë 🚀 €"}\n{"a":"€€"}\n', chunk)).plain, `chunk ${chunk}`).toBe(true);
  });

  it('hashes every byte (the same sha256 as the classifier records)', async () => {
    const f = await facts(GOOD, 3);
    const { createHash } = await import('node:crypto');
    expect(f.sha256).toBe(createHash('sha256').update(GOOD).digest('hex'));
    expect(f.bytes).toBe(Buffer.byteLength(GOOD));
  });
});
