/**
 * The trino target on S3. Landing files are read from an S3 prefix with the Athena target's
 * store (runner/adapters/athena/landing-io.ts: listed, then each object read with IfMatch on its
 * listed ETag; a prefix without any object is LandingMissingError). An S3 `landing_dir` receives
 * the landing parts (gzipped JSON lines, the Athena target's writer) under stedi version
 * prefixes, with the Athena target's ownership markers (runner/adapters/athena/s3.ts):
 *
 *   <landing_dir>/<entity>/<table>/v=<version>/part-NNNNN.json.gz      the parts Trino reads
 *   <landing_dir>/<entity>/<table>/_stedi_versions/v=<version>.json   the marker, written first
 *
 * The marker names the project, target and node; a version prefix is deleted only when its
 * marker names this project and target. A prefix of that shape without such a marker is left
 * as it is and reported. The modules are imported from the Athena adapter as they are: they take
 * the same `AwsApi`, which `createS3Api` implements with an S3 client alone.
 */
import type { LandingSink } from '../../landing/ingest.js';
import type { LandingColumn } from '../../landing/types.js';
import type { AwsApi, AwsOp } from '../athena/api.js';
import { jsonLinesSink, S3LinesWriter } from '../athena/landing-io.js';
import { parseS3, S3Data } from '../athena/s3.js';
import { VERSION } from '../trino-sql/versions.js';

export function isS3(location: string): boolean {
  return location.startsWith('s3://');
}

const S3_OPS: readonly AwsOp[] = ['ListObjectsV2', 'GetObject', 'PutObject', 'DeleteObjects'];

/**
 * The S3 calls of the trino target, through the SDK's S3Client: credentials and region from the
 * SDK's default chain (environment, shared config and SSO profiles, web identity, container and
 * instance roles), and an S3-compatible endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL,
 * which the SDK reads itself. `forcePathStyle`: requests as http://host/bucket/key, for an
 * endpoint that has no bucket.host names (the SDK uses path style by itself for an IP address).
 */
export async function createS3Api(opts: { forcePathStyle?: boolean } = {}): Promise<AwsApi> {
  const sdk = await import('@aws-sdk/client-s3');
  const commands: Partial<Record<AwsOp, new (input: never) => unknown>> = { ListObjectsV2: sdk.ListObjectsV2Command, GetObject: sdk.GetObjectCommand, PutObject: sdk.PutObjectCommand, DeleteObjects: sdk.DeleteObjectsCommand };
  const client = new sdk.S3Client(opts.forcePathStyle ? { forcePathStyle: true } : {});
  return {
    call: async (op, input, signal) => {
      const Command = S3_OPS.includes(op) ? commands[op] : undefined;
      if (!Command) throw new Error(`internal: the trino target makes no ${op} call`);
      return (await client.send(new Command(input as never) as never, signal ? { abortSignal: signal } : {})) as never;
    },
  };
}

/** What a build of one source writes to an S3 landing_dir: one version prefix per table. */
export interface S3PartsWrite {
  /** The version prefix of each table (ends in `/`), as Trino reads it. */
  locations: { accepted: string; rejects: string };
  sink: LandingSink;
  /** Uploads what is left; throws the first upload's failure. */
  finish(): Promise<void>;
  /** Waits for the uploads in flight, then deletes both prefixes and their markers; returns warnings for the node's message (never throws). */
  remove(): Promise<string>;
}

export class S3Parts {
  private readonly dir: string;
  private readonly data: S3Data;

  constructor(
    private readonly s3: AwsApi,
    landingDir: string,
    owner: { project: string; target: string },
  ) {
    this.dir = landingDir.replace(/\/+$/, '');
    parseS3(this.dir);
    this.data = new S3Data(s3, this.dir, owner);
  }

  /** `<landing_dir>/<entity>/<table>/` */
  private tableDir(entity: string, table: string): string {
    return `${this.dir}/${entity}/${table}/`;
  }

  location(entity: string, table: string, version: string): string {
    return `${this.tableDir(entity, table)}v=${version}/`;
  }

  /**
   * The writers of one build's parts: accepted records (keys in lower case, as Trino's Hive JSON
   * reader matches columns) and rejects, each prefix marked before its first object.
   */
  write(entity: string, tables: { accepted: string; rejects: string }, version: string, node: string, columns: LandingColumn[], opts: { signal?: AbortSignal; partChars?: number } = {}): S3PartsWrite {
    const locations = { accepted: this.location(entity, tables.accepted, version), rejects: this.location(entity, tables.rejects, version) };
    const writer = (k: 'accepted' | 'rejects') => new S3LinesWriter(this.s3, locations[k], { ...opts, beforeFirstWrite: () => this.data.mark(locations[k], node) });
    const w = { accepted: writer('accepted'), rejects: writer('rejects') };
    const lower = columns.map((c) => ({ ...c, name: c.name.toLowerCase() }));
    return {
      locations,
      sink: jsonLinesSink(lower, w.accepted, w.rejects),
      finish: async () => {
        await w.accepted.finish();
        await w.rejects.finish();
      },
      remove: async () => {
        const problems: string[] = [];
        for (const k of ['accepted', 'rejects'] as const) {
          await w[k].settle();
          if (!w[k].touched) continue;
          try {
            if ((await this.data.deletePrefix(locations[k])) === undefined) problems.push(`the landing parts at ${locations[k]} were left in place: their ownership marker is missing`);
          } catch (e) {
            problems.push(`the landing parts at ${locations[k]} could not be removed (${(e as Error).message})`);
          }
        }
        return problems.length ? `; warning: ${problems.join('; ')}` : '';
      },
    };
  }

  /**
   * Removes the parts a killed build of these tables left under `<landing_dir>/<entity>/<table>/`:
   * each version prefix `v=<version>/`, and each marker `_stedi_versions/v=<version>.json` (a
   * build killed between its marker and its first part), whose marker names this project and
   * target. A version prefix without such a marker is left and reported in `left`. Never throws
   * but when the run is stopped: a failed call is reported in `problems`.
   */
  async sweep(entity: string, tables: readonly string[], signal?: AbortSignal): Promise<{ removed: string[]; left: string[]; problems: string[] }> {
    const removed: string[] = [];
    const left: string[] = [];
    const problems: string[] = [];
    for (const table of tables) {
      const dir = this.tableDir(entity, table);
      try {
        const versions = new Set<string>();
        const { bucket, prefix } = parseS3(dir);
        for (const p of await this.list(bucket, prefix, '/', signal)) {
          const m = /^v=([^/]+)\/$/.exec(p.slice(prefix.length));
          if (m && VERSION.test(m[1]!)) versions.add(m[1]!);
        }
        for (const k of await this.list(bucket, `${prefix}_stedi_versions/`, undefined, signal)) {
          const m = /^v=([^/]+)\.json$/.exec(k.slice(prefix.length + '_stedi_versions/'.length));
          if (m && VERSION.test(m[1]!)) versions.add(m[1]!);
        }
        for (const v of [...versions].sort()) {
          const location = `${dir}v=${v}/`;
          const n = await this.data.deletePrefix(location);
          if (n === undefined) left.push(location);
          else removed.push(`landing parts ${location}`);
        }
      } catch (e) {
        if (signal?.aborted) throw e;
        problems.push(`the landing parts under ${dir} (${(e as Error).message})`);
      }
    }
    return { removed, left, problems };
  }

  /** The keys (no delimiter) or the common prefixes (with one) under `prefix`. */
  private async list(bucket: string, prefix: string, delimiter: string | undefined, signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.call('ListObjectsV2', { Bucket: bucket, Prefix: prefix, ...(delimiter ? { Delimiter: delimiter } : {}), ...(token ? { ContinuationToken: token } : {}) }, signal);
      if (delimiter) for (const p of page.CommonPrefixes ?? []) p.Prefix && out.push(p.Prefix);
      else for (const o of page.Contents ?? []) o.Key && out.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }
}
