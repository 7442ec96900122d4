/** Deleting the S3 data of a table version: only prefixes stedi created (checked by the caller too). */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { EngineError } from '../types.js';
import { isStediVersionLocation } from './names.js';

export function parseS3(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new EngineError(`'${uri}' is not an S3 URI`);
  return { bucket: m[1]!, prefix: m[2]! };
}

export class S3Data {
  constructor(
    private readonly s3: S3Client,
    private readonly s3DataDir: string,
  ) {}

  /** Deletes every object under a version prefix; returns how many were deleted. */
  async deletePrefix(location: string): Promise<number> {
    if (!isStediVersionLocation(this.s3DataDir, location)) throw new Error(`internal: refusing to delete ${location}: not a stedi version prefix under ${this.s3DataDir}`);
    const { bucket, prefix } = parseS3(location);
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      const keys = (page.Contents ?? []).map((o) => o.Key!).filter((k) => k.startsWith(prefix));
      if (keys.length) {
        const r = await this.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        if (r.Errors?.length) throw new EngineError(`could not delete ${r.Errors.length} object(s) under ${location}: ${r.Errors[0]?.Message ?? r.Errors[0]?.Code ?? 'unknown error'}`);
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }
}
