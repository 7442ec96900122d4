/**
 * The S3 landing store fetches a few objects ahead while one is read (each with IfMatch on the
 * listed ETag), at most four at once; a failed fetch ahead fails the read of its own file, in
 * its turn; what was fetched and not read is released.
 */
import type { AwsApi } from '../../../runner/adapters/athena/api.js';
import { describe, expect, it } from 'vitest';
import { s3LandingStore } from '../../../runner/adapters/athena/landing-io.js';
import { landingColumns } from '../../../runner/landing/classify.js';
import { ingestLanding } from '../../../runner/landing/ingest.js';

const { columns } = landingColumns([{ name: 'n', data_type: 'bigint' }]);
const NAMES = Array.from({ length: 7 }, (_, i) => `f${i}.json`);

/** Each object's bytes (sizes differ: a file as large as an earlier one would be hashed first, a read of its own). */
const bytes = (i: number) => Buffer.from(`{"n":${i}}`.padEnd(9 + i, ' ') + '\n');

/** A fake S3: seven small objects; records every GetObject and when each body is read to its end. */
function fakeS3(failing?: string) {
  const events: string[] = [];
  const released: string[] = [];
  const client = {
    call: async (op: string, input: Record<string, string>) => {
      const cmd = { input };
      if (op === 'ListObjectsV2') return { Contents: NAMES.map((n, i) => ({ Key: `landing/${n}`, Size: bytes(i).length, ETag: `"etag-${i}"` })) };
      const name = cmd.input.Key!.slice('landing/'.length);
      events.push(`get ${name} ${cmd.input.IfMatch}`);
      await new Promise((r) => setTimeout(r, 5));
      if (name === failing) throw Object.assign(new Error('precondition'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
      const body = {
        async *[Symbol.asyncIterator]() {
          yield bytes(NAMES.indexOf(name));
          events.push(`read ${name}`);
        },
        destroy: () => released.push(name),
      };
      return { Body: body };
    },
  } as unknown as AwsApi;
  return { client, events, released };
}

const spec = { source: 's', relation: 'r', rejects_relation: 'rr', location: 's3://bucket/landing', columns, on_malformed: 'quarantine' as const };

describe('S3 landing store: objects fetched ahead', () => {
  it('requests the next four objects while one is read, each with its ETag, and reads them in name order', async () => {
    const s3 = fakeS3();
    const seen: unknown[] = [];
    await ingestLanding(spec, { accept: (v) => seen.push(v[0]), reject: () => undefined }, { store: s3LandingStore(s3.client), threads: 1 });
    expect(seen).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n]);
    const firstRead = s3.events.indexOf('read f0.json');
    // before the first object is read to its end, it and the next four are requested, not more
    expect(s3.events.slice(0, firstRead).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `get f${i}.json "etag-${i}"`));
    expect(s3.events.filter((e) => e.startsWith('get'))).toHaveLength(7);
    expect(s3.released).toEqual([]);
  });

  it('a fetch ahead that fails (the object changed) fails the read of that file, in its turn; the rest fetched ahead is released', async () => {
    const s3 = fakeS3('f2.json');
    const seen: unknown[] = [];
    await expect(ingestLanding(spec, { accept: (v) => seen.push(v[0]), reject: () => undefined }, { store: s3LandingStore(s3.client), threads: 1 })).rejects.toThrow(
      'cannot read s3://bucket/landing/f2.json: the object changed while the build was reading the landing prefix (its ETag differs from the listing); run the build again',
    );
    expect(seen).toEqual([0n, 1n]);
    await new Promise((r) => setTimeout(r, 20));
    expect(s3.released.sort()).toEqual(['f3.json', 'f4.json', 'f5.json', 'f6.json']);
  });
});
