/**
 * Where landing files are read from. The ingestion (ingest.ts) sees a landing folder only
 * through this interface, so the same classifier, accounting and report run on a local folder
 * (the DuckDB target) and on an S3 prefix (the Athena target, runner/adapters/athena/landing.ts).
 *
 * A file is read as it was listed, or not at all. The S3 store reads each object with `IfMatch`
 * on the ETag of the listing; the local store compares the file's size, modification and change
 * times, device and inode at the listing, when it is opened and after the last byte (through the
 * open handle and through the path, so a file replaced by a rename is seen too), and the bytes
 * read with the size listed. A change fails the source ("changed while it was read; run the build
 * again") instead of ingesting a mix of two versions. (A rewrite within one tick of the file
 * system's clock that keeps the size and the inode cannot be seen locally.)
 *
 * Error messages show paths in safe form (`safeText`): a file name may hold a line feed or
 * personal data. `LandingReadError.path` keeps the real path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { safeText } from '../core/redact.js';
import { isLandingFileName } from './classify.js';
import { shownPath } from './report.js';

export interface LandingEntry {
  /** The name inside the folder (an S3 key relative to the prefix). */
  name: string;
  /** What the ingestion reads and reports: a local path or an s3:// URI. */
  path: string;
  /** `other`: neither a file nor a folder (a socket, a dangling link). Only files are read. */
  kind: 'file' | 'folder' | 'other';
  size: number;
  /**
   * What tells this content from another without reading it: the local file's stat stamp (size,
   * times, device, inode), the S3 object's ETag. The incremental ingestion compares it with the
   * state of the last build.
   */
  version?: string;
  /** The version is a token of the content (an ETag): when it differs, the file is read again without hashing it first. */
  versionIsContent?: boolean;
  /** When the file was last written (epoch ms): the local modification time, the S3 object's LastModified. */
  modified?: number;
}

export interface LandingStore {
  /** The entries directly inside `location`, in any order; undefined when it does not exist. */
  list(location: string, signal?: AbortSignal): Promise<LandingEntry[] | undefined>;
  /**
   * The bytes of a file, in order. A chunk may be a view of a reused buffer: it is valid until
   * the next chunk is requested. Throws LandingReadError when the file is not what was listed.
   */
  read(entry: LandingEntry, signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /**
   * A hint: these entries are read next, in this order. A store with a long wait per file (S3)
   * starts fetching a few of them; a local folder ignores it.
   */
  prefetch?(entries: LandingEntry[], signal?: AbortSignal): void;
  /** Drops whatever was fetched ahead and not read (after an error or Ctrl-C). */
  close?(): void;
  /**
   * Only a store whose files an engine can open by their path (a local folder): whether the file
   * is still what was listed (size, times, device, inode). An engine that read the file itself
   * (the fast path, fast-path.ts) checks this afterwards.
   */
  stillAsListed?(entry: LandingEntry): Promise<boolean>;
}

/** A landing file or folder that cannot be read; names the path (in safe form) and says why. */
export class LandingReadError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
    why?: string,
    message?: string,
  ) {
    super(message ?? `cannot read ${shownPath(path)}: ${why !== undefined ? safeText(why, 500) : fsReason(cause)}`);
    this.name = 'LandingReadError';
  }
}

/**
 * The source's location does not exist: a local folder that is not there, or an S3 prefix
 * without any object. An error, not "no file": read as empty, every table of the source would be
 * republished empty. (An existing empty folder is read as no file.)
 */
export class LandingMissingError extends LandingReadError {
  constructor(location: string) {
    const what = /^s3:\/\//i.test(location) ? `the landing prefix ${shownPath(location)}/ holds no object` : `the landing folder ${shownPath(location)} does not exist`;
    super(location, undefined, undefined, `${what} (check the source's location and the vars it is built from, e.g. landing_root)`);
    this.name = 'LandingMissingError';
  }
}

/** Why a file could not be read, without the path and text that Node's messages carry. */
function fsReason(cause: unknown): string {
  const err = cause as NodeJS.ErrnoException;
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  if (err?.code === 'EISDIR') return 'it is a folder';
  if (err?.code === 'ENOENT') return 'it no longer exists';
  if (err?.code === 'ENOTDIR') return 'it is not a folder';
  if (typeof err?.code === 'string') return `${err.code}${err.syscall ? ` (${err.syscall})` : ''}`;
  return safeText(err?.message ?? String(cause), 300);
}

export function isFsError(e: unknown): boolean {
  return typeof (e as NodeJS.ErrnoException)?.code === 'string';
}

export const DEFAULT_CHUNK_BYTES = 4 << 20;

/** Why a file that changed while it was read fails its source. */
export const CHANGED = 'it changed while it was read (its size, modification time or inode differ from the listing); run the build again';

interface LocalEntry extends LandingEntry {
  /** What the file was at the listing: size, times, device and inode. */
  stamp?: string;
}

function stampOf(st: fs.BigIntStats): string {
  return `${st.size}/${st.mtimeNs}/${st.ctimeNs}/${st.dev}/${st.ino}`;
}

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
      return entries.map((e): LocalEntry => {
        const p = path.posix.join(location, e.name);
        const st = e.isFile() || e.isSymbolicLink() ? statOf(p, e.isFile()) : undefined;
        const isFile = st?.isFile() ?? false;
        return { name: e.name, path: p, kind: isFile ? 'file' : e.isDirectory() ? 'folder' : 'other', size: isFile ? Number(st!.size) : 0, ...(isFile ? { stamp: stampOf(st!), version: stampOf(st!), modified: Number(st!.mtimeMs) } : {}) };
      });
    },
    async stillAsListed(entry) {
      const listed = (entry as LocalEntry).stamp;
      const now = await fs.promises.stat(entry.path, { bigint: true }).then(stampOf, () => 'gone');
      return listed !== undefined && now === listed;
    },
    async *read(entry, signal) {
      const listed = (entry as LocalEntry).stamp;
      let fh: fs.promises.FileHandle | undefined;
      try {
        fh = await fs.promises.open(entry.path, 'r');
        const before = stampOf(await fh.stat({ bigint: true }));
        if (listed !== undefined && before !== listed) throw new LandingReadError(entry.path, undefined, CHANGED);
        const buf = Buffer.allocUnsafe(chunkBytes);
        let total = 0;
        for (;;) {
          signal?.throwIfAborted();
          const { bytesRead } = await fh.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          total += bytesRead;
          yield buf.subarray(0, bytesRead);
        }
        const after = stampOf(await fh.stat({ bigint: true }));
        const atPath = await fs.promises.stat(entry.path, { bigint: true }).then(stampOf, () => 'gone');
        if (after !== before || atPath !== before || total !== entry.size) throw new LandingReadError(entry.path, undefined, CHANGED);
      } catch (e) {
        if (signal?.aborted || e instanceof LandingReadError || !isFsError(e)) throw e;
        // listed, then gone: it changed under the build as much as a rewritten file
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new LandingReadError(entry.path, e, 'it was removed after the landing folder was listed; run the build again');
        throw new LandingReadError(entry.path, e);
      } finally {
        await fh?.close();
      }
    },
  };
}

/** The file's status (through a link), or undefined for a dangling link; other errors are read errors. */
function statOf(p: string, mustExist: boolean): fs.BigIntStats | undefined {
  try {
    return fs.statSync(p, { bigint: true });
  } catch (e) {
    if (!mustExist) return undefined;
    throw new LandingReadError(p, e);
  }
}

/** The landing files of the location in name order, and the other entries (never read). */
export async function listLanding(store: LandingStore, spec: { location: string }, signal?: AbortSignal): Promise<{ files: LandingEntry[]; skipped: string[] }> {
  const entries = await store.list(spec.location, signal);
  if (!entries) throw new LandingMissingError(spec.location);
  const files: LandingEntry[] = [];
  const skipped: string[] = [];
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.kind === 'file' && isLandingFileName(e.name)) files.push(e);
    else skipped.push(e.kind === 'folder' ? `${e.name}/` : e.name);
  }
  return { files, skipped };
}

