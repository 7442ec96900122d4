/**
 * Where landing files are read from. The ingestion (ingest.ts) sees a landing folder only
 * through this interface, so the same classifier, accounting and report run on a local folder
 * (the DuckDB target) and on an S3 prefix (the Athena target, runner/adapters/athena/landing.ts).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface LandingEntry {
  /** The name inside the folder (an S3 key relative to the prefix). */
  name: string;
  /** What the ingestion reads and reports: a local path or an s3:// URI. */
  path: string;
  /** `other`: neither a file nor a folder (a socket, a dangling link). Only files are read. */
  kind: 'file' | 'folder' | 'other';
  size: number;
}

export interface LandingStore {
  /** The entries directly inside `location`, in any order; undefined when it does not exist. */
  list(location: string, signal?: AbortSignal): Promise<LandingEntry[] | undefined>;
  /**
   * The bytes of a file, in order. A chunk may be a view of a reused buffer: it is valid until
   * the next chunk is requested.
   */
  read(entry: LandingEntry, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/** A landing file or folder that cannot be read; names the path and says why. */
export class LandingReadError extends Error {
  constructor(readonly path: string, cause: unknown, why?: string) {
    super(`cannot read ${path}: ${why ?? fsReason(cause)}`);
    this.name = 'LandingReadError';
  }
}

function fsReason(cause: unknown): string {
  const err = cause as NodeJS.ErrnoException;
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  if (err?.code === 'EISDIR') return 'it is a folder';
  return err?.message ?? String(cause);
}

export function isFsError(e: unknown): boolean {
  return typeof (e as NodeJS.ErrnoException)?.code === 'string';
}

export const DEFAULT_CHUNK_BYTES = 4 << 20;

/** A folder on the local file system; symbolic links to files count as files. */
export function localStore(chunkBytes = DEFAULT_CHUNK_BYTES): LandingStore {
  return {
    async list(location) {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(location, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new LandingReadError(location, e);
      }
      return entries.map((e) => {
        const p = path.posix.join(location, e.name);
        const isFile = e.isFile() || (e.isSymbolicLink() && safeIsFile(p));
        return { name: e.name, path: p, kind: isFile ? 'file' : e.isDirectory() ? 'folder' : 'other', size: isFile ? statSize(p) : 0 } as LandingEntry;
      });
    },
    async *read(entry, signal) {
      let fh: fs.promises.FileHandle | undefined;
      try {
        fh = await fs.promises.open(entry.path, 'r');
        const buf = Buffer.allocUnsafe(chunkBytes);
        for (;;) {
          signal?.throwIfAborted();
          const { bytesRead } = await fh.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          yield buf.subarray(0, bytesRead);
        }
      } catch (e) {
        if (signal?.aborted || !isFsError(e)) throw e;
        throw new LandingReadError(entry.path, e);
      } finally {
        await fh?.close();
      }
    },
  };
}

function safeIsFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function statSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    throw new LandingReadError(file, e);
  }
}
