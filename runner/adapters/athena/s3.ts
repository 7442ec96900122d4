/**
 * The S3 data of table versions: each version prefix stedi creates gets an ownership marker
 * beside it (names.ts versionMarkerKey) before anything is written to it, and a prefix is deleted
 * only when it is a stedi version prefix under s3_data_dir whose marker names this project and
 * target — or, for versions published by an earlier stedi without markers, when the caller has
 * found it recorded by a Glue version of a table it owns (`adopted`).
 */
import { EngineError } from '../types.js';
import type { Owner } from './glue.js';
import { isStediVersionLocation, versionMarkerKey } from './names.js';
import type { AwsApi } from './api.js';

export function parseS3(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new EngineError(`'${uri}' is not an S3 URI`);
  return { bucket: m[1]!, prefix: m[2]! };
}

/** The whole body of a (small) object as text. */
async function bodyText(body: unknown): Promise<string> {
  if (!body) return '';
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

export class S3Data {
  constructor(
    private readonly s3: AwsApi,
    private readonly s3DataDir: string,
    private readonly owner: Owner,
  ) {}

  /** Writes the ownership marker of a version prefix (before its data). */
  async mark(location: string, node: string): Promise<void> {
    const { bucket, prefix } = parseS3(versionMarkerKey(location));
    const body = JSON.stringify({ project: this.owner.project, target: this.owner.target, node, location, created_at: new Date().toISOString() });
    await this.s3.call('PutObject', { Bucket: bucket, Key: prefix, Body: body, ContentType: 'application/json' });
  }

  /** Writes a small object (a microbatch state, a manifest) at `uri`. */
  async putText(uri: string, body: string, contentType = 'application/json'): Promise<void> {
    const { bucket, prefix } = parseS3(uri);
    await this.s3.call('PutObject', { Bucket: bucket, Key: prefix, Body: body, ContentType: contentType });
  }

  /** The s3:// URIs of every object under a prefix (a version's files), in key order. */
  async list(location: string): Promise<string[]> {
    const { bucket, prefix } = parseS3(location);
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.call('ListObjectsV2', { Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) });
      for (const o of page.Contents ?? []) if (o.Key?.startsWith(prefix)) out.push(`s3://${bucket}/${o.Key}`);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  /** Deletes one object (a microbatch state prune found no kept version naming). */
  async deleteObject(uri: string): Promise<void> {
    const { bucket, prefix } = parseS3(uri);
    await this.s3.call('DeleteObjects', { Bucket: bucket, Delete: { Objects: [{ Key: prefix }], Quiet: true } });
  }

  /** A small object's text, or undefined when it does not exist. */
  async getText(uri: string): Promise<string | undefined> {
    const { bucket, prefix } = parseS3(uri);
    try {
      return await bodyText((await this.s3.call('GetObject', { Bucket: bucket, Key: prefix })).Body);
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) return undefined;
      throw e;
    }
  }

  /** Whether the marker beside `location` names this project and target. */
  async owns(location: string): Promise<boolean> {
    const { bucket, prefix } = parseS3(versionMarkerKey(location));
    try {
      const got = await this.s3.call('GetObject', { Bucket: bucket, Key: prefix });
      const m = JSON.parse(await bodyText(got.Body)) as { project?: unknown; target?: unknown };
      return m.project === this.owner.project && m.target === this.owner.target;
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404 || e instanceof SyntaxError) return false;
      throw e;
    }
  }

  /**
   * Deletes every object under a version prefix, then its marker; returns how many were deleted,
   * or `undefined` when the prefix is not provably stedi's (it is then left in place).
   */
  async deletePrefix(location: string, opts: { adopted?: boolean } = {}): Promise<number | undefined> {
    if (!isStediVersionLocation(this.s3DataDir, location)) throw new Error(`internal: refusing to delete ${location}: not a stedi version prefix under ${this.s3DataDir}`);
    if (!opts.adopted && !(await this.owns(location))) return undefined;
    const n = await this.deleteUnder(location);
    const marker = parseS3(versionMarkerKey(location));
    await this.s3.call('DeleteObjects', { Bucket: marker.bucket, Delete: { Objects: [{ Key: marker.prefix }], Quiet: true } });
    return n;
  }

  private async deleteUnder(location: string): Promise<number> {
    const { bucket, prefix } = parseS3(location);
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.call('ListObjectsV2', { Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) });
      const keys = (page.Contents ?? []).map((o) => o.Key!).filter((k) => k.startsWith(prefix));
      if (keys.length) {
        const r = await this.s3.call('DeleteObjects', { Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } });
        if (r.Errors?.length) throw new EngineError(`could not delete ${r.Errors.length} object(s) under ${location}: ${r.Errors[0]?.Message ?? r.Errors[0]?.Code ?? 'unknown error'}`);
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }
}
