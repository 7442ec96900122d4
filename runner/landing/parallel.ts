/**
 * The parallel reader: the main thread reads each file (through the store, so S3 works
 * unchanged), hashes it and cuts it into ranges of whole lines at line feeds (lines.ts assembles
 * those that span chunks, and keeps only the head of a line above the limit, as on one thread);
 * the ranges are classified on the threads of pool.ts, several files and several ranges of a
 * file at once; the results are merged in file order and line order (a reorder queue), so the
 * sink sees exactly the calls of the one-thread reader and the reports are equal.
 *
 * Memory is bounded: at most `2 × threads` ranges are in flight (classifying or waiting to be
 * merged); reading waits for the oldest one beyond that, and for `sink.drain()` after every chunk.
 * A file's report is complete once its last range is merged (`settled`, `finish`).
 */
import type { LandingSink } from './ingest.js';
import type { KeyResolver } from './classify.js';
import { replay } from './encode.js';
import type { ErasureMatcher } from './erasure.js';
import { walkFile, type LineConsumer } from './lines.js';
import { ClassifierPool, type RangeCounts, type RangeReply } from './pool.js';
import type { LandingEntry, LandingStore } from './store.js';
import { LineTally, UNKNOWN_KEYS_KEPT, type Counts } from './tally.js';
import { SinkOutcomes, fileReport } from './file-report.js';
import type { FileReport } from './types.js';

/** Bytes per range: large enough that a message costs little beside classifying it, small enough for several per file. */
export const DEFAULT_RANGE_BYTES = 8 << 20;

export interface ParallelOptions {
  threads: number;
  rangeBytes: number;
  maxLineBytes: number;
  signal?: AbortSignal;
  /** Another classifier script (tests). */
  script?: URL;
  erasure?: ErasureMatcher;
}

/** A file being read: its outcomes go to the sink, its counts grow as its ranges are merged. */
interface FileState {
  entry: LandingEntry;
  out: SinkOutcomes;
  /** Numbers and counts the file's lines; classifies none itself (only the lines above the limit pass through it). */
  tally: LineTally;
  report: FileReport;
  done: boolean;
}

type Item =
  | { kind: 'range'; file: FileState; reply?: RangeReply; error?: unknown; ready: boolean; settled: Promise<void> }
  | { kind: 'too_long'; file: FileState; bytes: number; head: Buffer }
  | { kind: 'end'; file: FileState };

export class ParallelReader {
  private readonly pool: ClassifierPool;
  /** Ranges and other line events of every file read so far and not yet merged, in order. */
  private readonly queue: Item[] = [];
  private inFlight = 0;
  private readonly states = new WeakMap<FileReport, FileState>();

  constructor(
    private readonly store: LandingStore,
    private readonly resolver: KeyResolver,
    private readonly sink: LandingSink,
    private readonly o: ParallelOptions,
  ) {
    this.pool = new ClassifierPool({ threads: o.threads, setup: { columns: resolver.columns, maxLineBytes: o.maxLineBytes, ...(o.erasure ? { erasure: o.erasure.setup } : {}) }, ...(o.signal ? { signal: o.signal } : {}), ...(o.script ? { script: o.script } : {}) });
  }

  /**
   * Reads a file and hands its ranges to the threads. The report returned has its bytes, hash
   * and final-newline flag; its counts are complete once `settled(report)` resolves.
   */
  async read(entry: LandingEntry): Promise<FileReport> {
    const out = new SinkOutcomes(entry.path, this.sink);
    const file: FileState = { entry, out, tally: new LineTally(this.resolver, this.o.maxLineBytes, out, this.o.erasure), report: fileReport(entry.path, undefined, undefined, []), done: false };
    this.states.set(file.report, file);
    const ranges = new RangeBuilder(this.o.rangeBytes, (buffer, length, terminated) => this.dispatch(file, buffer, length, terminated));
    const consumer: LineConsumer = {
      complete: (buf) => ranges.add(buf),
      line: (buf, terminated) => (terminated ? ranges.add(buf) : ranges.addLast(buf)),
      tooLong: (bytes, head) => {
        ranges.flush();
        this.queue.push({ kind: 'too_long', file, bytes, head });
      },
      afterChunk: () => this.afterChunk(),
    };
    const walked = await walkFile(this.store.read(entry, this.o.signal), this.o.maxLineBytes, consumer, this.o.signal);
    ranges.flush();
    this.queue.push({ kind: 'end', file });
    Object.assign(file.report, { bytes: walked.bytes, sha256: walked.sha256, no_final_newline: walked.noFinalNewline });
    return file.report;
  }

  /** Waits until every range of the file of `report` is merged: its counts are then final. */
  async settled(report: FileReport): Promise<void> {
    const file = this.states.get(report);
    while (file && !file.done) await this.mergeHead();
  }

  /** Merges everything still pending. */
  async finish(): Promise<void> {
    while (this.queue.length) await this.mergeHead();
  }

  /** Stops the threads (on success, error or abort alike). */
  close(): Promise<void> {
    return this.pool.close();
  }

  private dispatch(file: FileState, buffer: ArrayBuffer, length: number, terminated: boolean): void {
    const item: Item & { kind: 'range' } = { kind: 'range', file, ready: false, settled: Promise.resolve() };
    item.settled = this.pool.classify(buffer, length, terminated, file.entry.path).then(
      (reply) => void Object.assign(item, { reply, ready: true }),
      (error: unknown) => void Object.assign(item, { error, ready: true }),
    );
    this.queue.push(item);
    this.inFlight++;
  }

  /** After each chunk read: merge what is ready, wait for the oldest ranges beyond the bound, let the sink drain. */
  private async afterChunk(): Promise<void> {
    while (this.queue.length && (this.inFlight > 2 * this.o.threads || this.headReady())) await this.mergeHead();
    await this.sink.drain?.();
  }

  private headReady(): boolean {
    const head = this.queue[0]!;
    return head.kind !== 'range' || head.ready;
  }

  /** Merges the oldest item into its file (waiting for its range when needed). */
  private async mergeHead(): Promise<void> {
    const item = this.queue[0]!;
    const file = item.file;
    if (item.kind === 'range') {
      await item.settled;
      if (item.error !== undefined) throw item.error;
      this.queue.shift();
      this.inFlight--;
      mergeCounts(file.tally.counts, item.reply!.counts, () => replay(item.reply!.rows, file.tally.counts.lines, file.out));
      await this.sink.drain?.();
      return;
    }
    this.queue.shift();
    if (item.kind === 'too_long') file.tally.tooLong(item.bytes, item.head);
    else {
      Object.assign(file.report, fileReport(file.entry.path, file.tally.counts, { bytes: file.report.bytes, sha256: file.report.sha256, noFinalNewline: file.report.no_final_newline }, file.out.firstRejects, file.out.reasons));
      file.done = true;
    }
  }
}

/** Adds a range's counts to its file's, after `emit` handed its rows on (numbered from the file's lines so far). */
function mergeCounts(into: Counts, from: RangeCounts, emit: () => void): void {
  emit();
  into.lines += from.lines;
  into.accepted += from.accepted;
  into.rejected += from.rejected;
  into.blank += from.blank;
  into.erased += from.erased;
  for (const k of Object.keys(into.tolerated) as (keyof Counts['tolerated'])[]) into.tolerated[k] += from.tolerated[k];
  // the file keeps the first keys seen, in line order: those of a range are its own first ones, in order
  for (const k of from.unknown) if (into.unknown.size < UNKNOWN_KEYS_KEPT) into.unknown.add(k);
}

/**
 * Cuts whole lines into ranges of about `size` bytes, each in its own ArrayBuffer (to be
 * transferred), every line followed by its LF; a line longer than `size` gets a range of its own.
 */
export class RangeBuilder {
  private buf?: Buffer;
  private used = 0;

  constructor(
    private readonly size: number,
    private readonly send: (buffer: ArrayBuffer, length: number, terminated: boolean) => void,
  ) {}

  /** Whole lines, the LF after the last one not included in `lines` (as `LineConsumer.complete` gives them). */
  add(lines: Buffer): void {
    for (let at = 0; ; ) {
      const room = this.buf ? this.buf.length - this.used : this.size;
      if (lines.length - at + 1 <= room) {
        this.put(lines, at, lines.length, true);
        return;
      }
      // as many whole lines as fit
      const cut = room > 0 ? lines.lastIndexOf(10, at + room - 1) : -1;
      if (cut >= at) {
        this.put(lines, at, cut, true);
        this.flush();
        at = cut + 1;
        continue;
      }
      if (this.used > 0) {
        this.flush();
        continue;
      }
      // one line longer than a range: a range of its own
      const lf = lines.indexOf(10, at);
      const end = lf < 0 ? lines.length : lf;
      this.buf = Buffer.from(new ArrayBuffer(end - at + 1));
      this.put(lines, at, end, true);
      this.flush();
      if (lf < 0) return;
      at = lf + 1;
    }
  }

  /** The file's last line, without a line feed: it ends its range. */
  addLast(line: Buffer): void {
    if (this.used > 0 && line.length > this.buf!.length - this.used) this.flush();
    if (!this.buf) this.buf = Buffer.from(new ArrayBuffer(Math.max(this.size, line.length)));
    this.put(line, 0, line.length, false);
    this.flush(false);
  }

  flush(terminated = true): void {
    if (this.used === 0) return;
    this.send(this.buf!.buffer as ArrayBuffer, this.used, terminated);
    this.buf = undefined;
    this.used = 0;
  }

  /** Copies `src[from, to)`, then an LF when `lf`. */
  private put(src: Buffer, from: number, to: number, lf: boolean): void {
    this.buf ??= Buffer.from(new ArrayBuffer(this.size));
    this.buf.set(src.subarray(from, to), this.used); // a plain memory copy (faster than Buffer#copy here)
    this.used += to - from;
    if (lf) this.buf[this.used++] = 10;
  }
}
