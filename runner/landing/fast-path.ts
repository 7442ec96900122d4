/**
 * The fast path of the landing ingestion: files whose every line is canonical (canonical.ts) are
 * read by the engine's own JSON reader instead of line by line here. Engine-agnostic: the engine
 * supplies a CanonicalReader (adapters/duckdb/canonical.ts); this module decides which files it
 * may take and what their reports are.
 *
 * For each candidate file, this runner first reads the bytes once itself (through the store, so
 * the file is checked against its listing as on the classifier's path): its sha256, its size,
 * its line feeds, whether it holds a CR, a byte-order mark or invalid UTF-8, and its first line,
 * which gives the file's shape. Then the engine checks every line against the pattern of that
 * shape and counts them; only when the engine's count equals this runner's count and every line
 * matched does it append the file's rows (and it counts those too). Afterwards the file must still
 * be what was listed (a file rewritten meanwhile fails the source, as on the classifier's path).
 * Any doubt — a line that does not match, a count that differs, an engine error while checking —
 * leaves the file to the classifier: the fast path is an optimisation, never a second judge.
 *
 * The rows of the files taken come before the rows of the classifier's files in the new parts;
 * the reports are returned in that order so that each file's segments point at its own rows.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { hasDerived } from './derive.js';
import { canonicalReport, linePattern, shapeOf, type FileFacts, type Shape } from './canonical.js';
import type { LandingSpec } from './ingest.js';
import { CHANGED, LandingReadError, type LandingEntry, type LandingStore } from './store.js';
import { DEFAULT_MAX_LINE_BYTES, type FileReport } from './types.js';

/** An engine's reader of canonical files. */
export interface CanonicalReader {
  /**
   * Checks that the file at `path` has exactly `lines` lines, each matching `pattern` in full and
   * no longer than `maxLineBytes`; then appends its rows (the shape's columns, the others NULL)
   * after every row appended before, and returns true. Returns false, having appended nothing,
   * when a line does not match or the count differs (or the engine cannot check the file).
   */
  ingest(path: string, shape: Shape, pattern: string, lines: number, maxLineBytes: number): Promise<boolean>;
}

/** Files above this size stay with the classifier (the engine reads a file whole). */
export const CANONICAL_MAX_BYTES = 1 << 30;

/** The first line is kept for the shape only up to this many bytes. */
const FIRST_LINE_BYTES = 64 * 1024;

/**
 * Offers the files, in order, to the engine's canonical reader: the reports of the files it took
 * (their rows are appended, in this order) and the files left to the classifier, in order.
 */
export async function takeCanonical(store: LandingStore, files: LandingEntry[], spec: LandingSpec, reader: CanonicalReader | undefined, signal?: AbortSignal): Promise<{ taken: FileReport[]; rest: LandingEntry[] }> {
  // a derived column is computed by this runner from the record: its files stay on this side
  if (!reader || !store.stillAsListed || hasDerived(spec.columns)) return { taken: [], rest: files };
  const maxLineBytes = spec.max_line_bytes ?? DEFAULT_MAX_LINE_BYTES;
  const taken: FileReport[] = [];
  const rest: LandingEntry[] = [];
  const candidates = files.filter((f) => f.size > 0 && f.size <= CANONICAL_MAX_BYTES);
  // the next candidate's bytes are read and hashed here while the engine reads the current one
  const start = (f: LandingEntry | undefined) => {
    if (!f) return undefined;
    const p = factsOf(store, f, maxLineBytes, signal);
    p.catch(() => undefined); // awaited in turn; an error of a file not reached is not left unhandled
    return p;
  };
  let next = 0;
  let ahead = start(candidates[0]);
  for (const file of files) {
    signal?.throwIfAborted();
    if (candidates[next] !== file) {
      rest.push(file);
      continue;
    }
    const mine = await ahead!;
    ahead = start(candidates[++next]);
    const shape = mine.plain && mine.firstLine !== undefined ? shapeOf(mine.firstLine, spec.columns) : undefined;
    if (!shape || !(await reader.ingest(file.path, shape, linePattern(shape), mine.lines, maxLineBytes))) {
      rest.push(file);
      continue;
    }
    // the engine read the file by its path: it must still be the file this runner hashed
    if (!(await store.stillAsListed(file))) throw new LandingReadError(file.path, undefined, CHANGED);
    taken.push(canonicalReport(file.path, mine));
  }
  return { taken, rest };
}

/** One pass over the file's bytes: what the report needs and what decides whether the engine may read it. */
export async function factsOf(store: LandingStore, file: LandingEntry, maxLineBytes: number, signal?: AbortSignal): Promise<FileFacts> {
  const hash = createHash('sha256');
  let bytes = 0;
  let feeds = 0;
  let last = -1;
  let plain = true;
  let first: Buffer[] | undefined = [];
  let firstBytes = 0;
  let firstLine: string | undefined;
  // UTF-8 is checked up to each chunk's last LF (an LF never falls inside a character); the rest is carried over
  let carry: Buffer = Buffer.alloc(0);
  for await (const bytesRead of store.read(file, signal)) {
    const chunk = Buffer.from(bytesRead.buffer, bytesRead.byteOffset, bytesRead.byteLength);
    if (chunk.length === 0) continue;
    hash.update(chunk);
    if (bytes === 0 && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) plain = false;
    bytes += chunk.length;
    last = chunk[chunk.length - 1]!;
    if (plain && chunk.indexOf(13) >= 0) plain = false;
    let at = chunk.indexOf(10);
    const firstFeed = at;
    if (first) {
      const piece = at < 0 ? chunk : chunk.subarray(0, at);
      if (firstBytes + piece.length > FIRST_LINE_BYTES) first = undefined;
      else {
        first.push(Buffer.from(piece));
        firstBytes += piece.length;
        if (at >= 0) {
          firstLine = Buffer.concat(first).toString('utf8');
          first = undefined;
        }
      }
    }
    let lastFeed = -1;
    while (at >= 0) {
      feeds++;
      lastFeed = at;
      at = chunk.indexOf(10, at + 1);
    }
    if (plain) {
      if (lastFeed < 0) {
        carry = Buffer.concat([carry, chunk]);
        // a line above the limit is never canonical: no need to hold it
        if (carry.length > maxLineBytes) {
          plain = false;
          carry = Buffer.alloc(0);
        }
      } else {
        if (!isUtf8(Buffer.concat([carry, chunk.subarray(0, firstFeed)])) || !isUtf8(chunk.subarray(firstFeed, lastFeed))) plain = false;
        carry = Buffer.from(chunk.subarray(lastFeed + 1));
      }
    }
  }
  if (plain && carry.length && !isUtf8(carry)) plain = false;
  if (first && firstBytes > 0 && firstLine === undefined) firstLine = Buffer.concat(first).toString('utf8'); // a one-line file without LF
  const noFinalNewline = bytes > 0 && last !== 10;
  return { bytes, sha256: hash.digest('hex'), lines: feeds + (noFinalNewline ? 1 : 0), noFinalNewline, plain: plain && bytes > 0, ...(firstLine !== undefined ? { firstLine } : {}) };
}
