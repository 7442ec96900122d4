/**
 * How a landing file's bytes become lines: one splitter for the one-thread reader and for the
 * parallel one (parallel.ts), so both see exactly the same lines (the rules are in ingest.ts's
 * header). `walkFile` reads the chunks, hashes them and assembles the lines that span chunks;
 * `completeLines` splits a buffer of whole lines. What becomes of each line is the consumer's.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { RAW_PREFIX_BYTES } from './types.js';

/** Receives the lines of a file, in order. */
export interface LineConsumer {
  /** Whole lines, each followed by LF in the file; `buf` ends right before the last of those LFs. Valid only during the call. */
  complete(buf: Buffer): void;
  /** One line assembled from pieces of several chunks (not longer than the limit); a copy the consumer may keep. */
  line(buf: Buffer, terminated: boolean): void;
  /** A line of `bytes` bytes, above the limit, of which `head` holds the first ones. */
  tooLong(bytes: number, head: Buffer): void;
  /** Awaited after every chunk (back-pressure). */
  afterChunk(): Promise<void>;
}

/** What the bytes of a file were, seen while walking it. */
export interface Walked {
  bytes: number;
  sha256: string;
  noFinalNewline: boolean;
}

/**
 * Hands every line of `chunks` to the consumer, in order. A line spanning chunks is assembled
 * once from the list of its pieces (linear whatever its length), or, once longer than
 * `maxLineBytes`, only its first RAW_PREFIX_BYTES are kept.
 */
export async function walkFile(chunks: AsyncIterable<Uint8Array>, maxLineBytes: number, c: LineConsumer, signal?: AbortSignal): Promise<Walked> {
  const hash = createHash('sha256');
  let total = 0;
  // the line that is still open at the end of a chunk: its pieces (copies), or only its head once too long
  const open = { pieces: [] as Buffer[], bytes: 0, head: undefined as Buffer | undefined };
  const extend = (piece: Buffer) => {
    if (piece.length === 0) return;
    open.bytes += piece.length;
    if (open.head) {
      if (open.head.length < RAW_PREFIX_BYTES) open.head = Buffer.concat([open.head, piece.subarray(0, RAW_PREFIX_BYTES - open.head.length)]);
      return;
    }
    if (open.bytes <= maxLineBytes) {
      open.pieces.push(Buffer.from(piece)); // a chunk may be a view of a reused buffer
      return;
    }
    // too long from here on: keep the head only, drop the rest
    open.head = firstBytes([...open.pieces, piece], RAW_PREFIX_BYTES);
    open.pieces = [];
  };
  const close = (terminated: boolean) => {
    if (open.head) c.tooLong(open.bytes, open.head);
    else c.line(open.pieces.length === 1 ? open.pieces[0]! : Buffer.concat(open.pieces, open.bytes), terminated);
    open.pieces = [];
    open.bytes = 0;
    open.head = undefined;
  };

  for await (const bytes of chunks) {
    signal?.throwIfAborted();
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    hash.update(chunk);
    total += chunk.length;
    const first = chunk.indexOf(10);
    if (first < 0) {
      extend(chunk);
      continue;
    }
    let from = 0;
    if (open.bytes > 0) {
      extend(chunk.subarray(0, first));
      close(true);
      from = first + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= from) c.complete(chunk.subarray(from, last));
    extend(chunk.subarray(last + 1));
    await c.afterChunk();
  }
  const noFinalNewline = open.bytes > 0;
  if (noFinalNewline) close(false);
  return { bytes: total, sha256: hash.digest('hex'), noFinalNewline };
}

/** Receives the lines `completeLines` finds: text with its UTF-8 validity, or a line above the limit. */
export interface LineHandler {
  handle(text: string, terminated: boolean, validUtf8: boolean): void;
  tooLong(bytes: number, head: Buffer): void;
}

/** Lines each followed by LF, none longer than the limit: decoded at once when valid UTF-8. */
function run(buf: Buffer, h: LineHandler): void {
  if (isUtf8(buf)) {
    for (const t of buf.toString('utf8').split('\n')) h.handle(t, true, true);
    return;
  }
  let start = 0;
  for (;;) {
    const i = buf.indexOf(10, start);
    const part = buf.subarray(start, i < 0 ? buf.length : i);
    h.handle(part.toString('utf8'), true, isUtf8(part));
    if (i < 0) break;
    start = i + 1;
  }
}

/** Complete lines (each was followed by LF) of one buffer that ends right before an LF. */
export function completeLines(buf: Buffer, maxLineBytes: number, h: LineHandler): void {
  if (buf.length <= maxLineBytes) return run(buf, h);
  // some line may be too long: runs of short lines between the long ones
  let from = 0;
  for (let at = 0; ; ) {
    const i = buf.indexOf(10, at);
    const end = i < 0 ? buf.length : i;
    if (end - at > maxLineBytes) {
      if (at > from) run(buf.subarray(from, at - 1), h);
      h.tooLong(end - at, buf.subarray(at, Math.min(end, at + RAW_PREFIX_BYTES)));
      from = end + 1;
    }
    if (i < 0) break;
    at = i + 1;
  }
  if (from <= buf.length) run(buf.subarray(from), h);
}

/** A copy of the first `n` bytes of the pieces, in order. */
function firstBytes(pieces: Buffer[], n: number): Buffer {
  const out: Buffer[] = [];
  let left = n;
  for (const p of pieces) {
    if (left <= 0) break;
    out.push(p.subarray(0, left));
    left -= Math.min(left, p.length);
  }
  return Buffer.concat(out);
}

/**
 * The first bytes of a line (`head`, cut from a longer line) without a character cut in two at
 * its end: a trailing lead byte whose sequence is incomplete is dropped with its continuation bytes.
 */
export function wholeCharacters(head: Buffer): Buffer {
  for (let i = head.length - 1; i >= Math.max(0, head.length - 4); i--) {
    const b = head[i]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + need > head.length ? head.subarray(0, i) : head;
  }
  return head;
}
