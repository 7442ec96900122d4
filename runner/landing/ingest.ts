/**
 * Reads a source's landing folder line by line and hands every line to a sink: accepted records
 * (typed, in declared column order) and rejects (file, line, reason, raw text). Engine-agnostic:
 * the engine decides where the rows go and publishes them (see adapters/duckdb/sources.ts).
 *
 * Line numbers are exact: a line is what precedes a line feed (LF, byte 0x0A, which never occurs
 * inside a UTF-8 multi-byte character), counted from 1; a last line without a line feed counts
 * too. Files are read in name order, in chunks, so memory stays flat and the event loop (Ctrl-C,
 * other queries) keeps turning between chunks.
 *
 * Lines are classified on `threads` threads (parallel.ts; default one per core) when a source
 * holds more than one range of lines: this thread still reads, hashes and splits every file and
 * hands the sink every row, in file and line order, so the sink's calls and the report are
 * exactly those of one thread (lines.ts and tally.ts are shared by both readers). With
 * `threads: 1` no thread is started.
 *
 * Lines are bounded: a line longer than the source's `max_line_bytes` (DEFAULT_MAX_LINE_BYTES) is
 * a `line_too_long` reject whose `raw` keeps only its first RAW_PREFIX_BYTES; the rest of it is
 * hashed and counted, never held in memory. A line that spans chunks is assembled once, from
 * the list of its pieces, so reading stays linear in the size of the file whatever its lines.
 *
 * A source whose location does not exist (a local folder, or an S3 prefix without any object)
 * fails with LandingMissingError: reading it as "no file" would publish every table empty. An
 * existing empty folder is read as no file.
 *
 * Reported in a safe form: keys that match no column are kept in the report as `safeKey` gives
 * them (a key may be a value, e.g. an email), and every message shows file names and the
 * location through `safeText` (a file name may hold a line feed or personal data). The report's
 * `file` fields keep the real paths (the rejects table names the file of each raw line); see
 * `reportForArtifacts` in report.ts for the copy that goes to run_results.json.
 *
 * Folder entries that are not landing files (not `*.json`, hidden, folders) are not read; they
 * are counted and named in the report. A file with the same bytes as an earlier file (in name
 * order) is a duplicate delivery: none of its lines is ingested again, they are all counted as
 * `duplicate_delivery`. A file without any record (0 bytes, or blank lines only) is `empty`.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { SourceNode } from '../manifest/types.js';
import { KeyResolver } from './classify.js';
import { readColumns, withDerived, type PseudonymKey } from './derive.js';
import { erasureKeyProblem, ErasureMatcher, identityRoles, matcherSetup, type ErasureList } from './erasure.js';
import { takeCanonical, type CanonicalReader } from './fast-path.js';
import { fileReport, SinkOutcomes } from './file-report.js';
import { completeLines, walkFile } from './lines.js';
import { DEFAULT_RANGE_BYTES, ParallelReader } from './parallel.js';
import { ingestIncremental, type BatchWriter, type IncrementalOptions, type IncrementalResult } from './incremental.js';
import { DEFAULT_CHUNK_BYTES, localStore, type LandingEntry, type LandingStore } from './store.js';
import { LineTally } from './tally.js';
import { DEFAULT_MAX_LINE_BYTES, type FileReport, type LandingColumn, type LandingReport, type LandingValue, type RejectRow } from './types.js';

export interface LandingSink {
  accept(values: LandingValue[]): void;
  reject(row: RejectRow): void;
  /** Awaited after every chunk: a sink that writes asynchronously applies back-pressure here. */
  drain?(): Promise<void>;
}

export interface LandingSpec {
  source: string;
  relation: string;
  rejects_relation: string;
  location: string;
  columns: LandingColumn[];
  on_malformed: 'quarantine' | 'fail';
  /** The source's `max_line_bytes` config; DEFAULT_MAX_LINE_BYTES when not set. */
  max_line_bytes?: number;
  /** The pseudonymisation key of the derived columns (derive.ts); required when `columns` has any. */
  derive?: PseudonymKey;
  /**
   * The erasure list of the lake (erasure.ts, `stedi forget`): records of the people on it are
   * counted as `erased` and stored nowhere. Needs `derive` (the key of its hashes) when the
   * source has identity columns.
   */
  erasure?: ErasureList;
}

/** The spec of a source node: its relations as shown in messages, its location, columns and config. */
export function sourceSpec(node: SourceNode, columns: LandingColumn[], relations: { accepted: string; rejects: string }, location = node.location, derive?: PseudonymKey): LandingSpec {
  const max = node.config.max_line_bytes;
  return {
    source: `${node.source_name}.${node.name}`,
    relation: relations.accepted,
    rejects_relation: relations.rejects,
    location,
    columns,
    on_malformed: node.config.on_malformed === 'fail' ? 'fail' : 'quarantine',
    ...(typeof max === 'number' ? { max_line_bytes: max } : {}),
    ...(derive ? { derive } : {}),
  };
}

export interface IngestOptions {
  signal?: AbortSignal;
  /** Local folders only: bytes per read. */
  chunkBytes?: number;
  /** Where the files are; a local folder by default. */
  store?: LandingStore;
  /**
   * Threads that classify lines (target `ingest_threads`, `--ingest-threads`); default one per
   * core. 1: every line on this thread, no thread started.
   */
  threads?: number;
  /** Bytes per range of lines handed to a thread (DEFAULT_RANGE_BYTES; tests make it tiny). */
  rangeBytes?: number;
  /** Another classifier thread script (tests). */
  workerScript?: URL;
  /**
   * The engine's reader of canonical files (fast-path.ts): files whose every line is canonical
   * are read by it; the others by the classifier. None: every file is classified here.
   */
  canonical?: CanonicalReader;
}


/**
 * Reads every landing file of the source (no earlier state): the report, with the rows handed to
 * `sink` in file and line order. The engines ingest through `ingestSource` (incremental.ts),
 * which reads only what changed since the last ingestion; this is the same code with no state.
 */
export async function ingestLanding(spec: LandingSpec, sink: LandingSink, opts: IngestOptions = {}): Promise<LandingReport> {
  const { report } = await ingestSource(spec, sinkOnly(sink), opts);
  return report;
}

/** Ingests the source incrementally against `opts.previous` (see incremental.ts). */
export function ingestSource(spec: LandingSpec, writer: BatchWriter, opts: IngestOptions & Omit<IncrementalOptions, 'store' | 'read' | 'hash'> = {}): Promise<IncrementalResult> {
  const store = opts.store ?? localStore(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  const maxLineBytes = spec.max_line_bytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) throw new Error(`${spec.source}: max_line_bytes must be a positive whole number, not ${String(maxLineBytes)}`);
  const threads = { ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(opts.rangeBytes !== undefined ? { rangeBytes: opts.rangeBytes } : {}), ...(opts.workerScript ? { workerScript: opts.workerScript } : {}), ...(opts.canonical ? { canonical: opts.canonical } : {}) };
  // the erasure list applies only under the key of its hashes (or nothing is ingested)
  if (identityRoles(readColumns(spec.columns)).length) {
    const problem = erasureKeyProblem(spec.erasure, spec.derive?.fingerprint);
    if (problem) throw new Error(`cannot ingest ${spec.source}: ${problem}`);
  }
  // derived columns (derive.ts): computed from the record's values, never read from it
  const derived = { ...writer, sink: withDerived(writer.sink, spec) };
  return ingestIncremental(spec, derived, { ...opts, store, read: (st, files, sp, sk, o) => readFiles(st, files, sp, sk, { ...o, ...threads }), hash: hashOf });
}

/**
 * Reads `files` into `sink`: one report per file, in the order their rows were stored. The files
 * the engine's canonical reader takes (fast-path.ts) come first, in name order, their rows
 * appended by the engine; then the others, classified here in name order. Every file is read
 * whole (duplicates were decided before, by the caller).
 */
export async function readFiles(store: LandingStore, files: LandingEntry[], spec: LandingSpec, sink: LandingSink, opts: Pick<IngestOptions, 'signal' | 'threads' | 'rangeBytes' | 'workerScript' | 'canonical'> = {}): Promise<FileReport[]> {
  const maxLineBytes = spec.max_line_bytes ?? DEFAULT_MAX_LINE_BYTES;
  const resolver = new KeyResolver(readColumns(spec.columns));
  const setup = matcherSetup(spec.erasure, spec.derive?.key, resolver.columns);
  const erasure = setup ? new ErasureMatcher(setup) : undefined;
  // the engine's reader cannot tell the erased apart (the key never reaches an engine): with an erasure list to apply, every line is classified here
  const { taken, rest } = await takeCanonical(store, files, spec, erasure ? undefined : opts.canonical, opts.signal);
  const reports: FileReport[] = [...taken];
  if (!rest.length) return reports;
  // on threads, a file's report is complete only once its lines are all merged (finish)
  const reader = readerFor(rest, store, resolver, sink, maxLineBytes, { ...opts, ...(erasure ? { erasure } : {}) });
  try {
    for (const file of rest) {
      opts.signal?.throwIfAborted();
      reports.push(await reader.read(file));
    }
    await reader.finish();
  } finally {
    await reader.close();
  }
  return reports;
}

/** A writer around a plain sink: one part, not stored anywhere (the rows went to the sink). */
function sinkOnly(sink: LandingSink): BatchWriter {
  let accepted = 0;
  let rejected = 0;
  return {
    sink: {
      accept(v) {
        accepted++;
        sink.accept(v);
      },
      reject(r) {
        rejected++;
        sink.reject(r);
      },
      ...(sink.drain ? { drain: () => sink.drain!() } : {}),
    },
    async finish() {
      return { accepted: [{ path: '', rows: accepted }], rejects: [{ path: '', rows: rejected }] };
    },
    async rewrite() {
      throw new Error('internal: a plain sink has no earlier part to rewrite');
    },
  };
}

export async function hashOf(store: LandingStore, file: LandingEntry, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of store.read(file, signal)) h.update(chunk);
  return h.digest('hex');
}

/** Reads the files of a source one after another; `ParallelReader` (parallel.ts) is the other one. */
interface FileReader {
  /** The file's report; its counts are final once `settled` resolves. */
  read(entry: LandingEntry): Promise<FileReport>;
  settled(report: FileReport): Promise<void>;
  finish(): Promise<void>;
  close(): Promise<void>;
}

/** Reads and classifies every line on this thread: no thread is started. */
function oneThreadReader(store: LandingStore, resolver: KeyResolver, sink: LandingSink, maxLineBytes: number, signal?: AbortSignal, erasure?: ErasureMatcher): FileReader {
  const done = async () => undefined;
  return { read: (entry) => readFile(store, entry, resolver, sink, maxLineBytes, signal, erasure), settled: done, finish: done, close: done };
}

/**
 * On threads when asked for more than one and the files hold more than one range: for less, the
 * threads would cost more to start than they save.
 */
function readerFor(files: LandingEntry[], store: LandingStore, resolver: KeyResolver, sink: LandingSink, maxLineBytes: number, opts: Pick<IngestOptions, 'signal' | 'threads' | 'rangeBytes' | 'workerScript'> & { erasure?: ErasureMatcher }): FileReader {
  const threads = opts.threads ?? defaultIngestThreads();
  if (!Number.isSafeInteger(threads) || threads < 1) throw new Error(`the number of classifier threads must be a whole number of at least 1, not ${String(threads)}`);
  const rangeBytes = opts.rangeBytes ?? DEFAULT_RANGE_BYTES;
  const total = files.reduce((n, f) => n + f.size, 0);
  const reader = threads === 1 || total <= rangeBytes
    ? oneThreadReader(store, resolver, sink, maxLineBytes, opts.signal, opts.erasure)
    : new ParallelReader(store, resolver, sink, { threads, rangeBytes, maxLineBytes, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.workerScript ? { script: opts.workerScript } : {}), ...(opts.erasure ? { erasure: opts.erasure } : {}) });
  // the store may fetch the next few files while this one is read and classified (S3)
  const at = new Map(files.map((f, i) => [f, i]));
  return {
    read: (entry) => {
      const report = reader.read(entry); // its own request first
      const i = at.get(entry);
      if (i !== undefined) store.prefetch?.(files.slice(i + 1, i + 1 + PREFETCH_FILES), opts.signal);
      return report;
    },
    settled: (r) => reader.settled(r),
    finish: () => reader.finish(),
    close: async () => {
      store.close?.();
      await reader.close();
    },
  };
}

/** Files a store may fetch ahead (bounded: each holds a connection and its buffered bytes). */
const PREFETCH_FILES = 4;

/** Classifier threads when neither the command line nor the target says: one per core. */
export function defaultIngestThreads(): number {
  return os.availableParallelism();
}

async function readFile(store: LandingStore, entry: LandingEntry, resolver: KeyResolver, sink: LandingSink, maxLineBytes: number, signal?: AbortSignal, erasure?: ErasureMatcher): Promise<FileReport> {
  const out = new SinkOutcomes(entry.path, sink);
  const tally = new LineTally(resolver, maxLineBytes, out, erasure);
  const walked = await walkFile(store.read(entry, signal), maxLineBytes, {
    complete: (buf) => completeLines(buf, maxLineBytes, tally),
    line: (buf, terminated) => tally.handle(buf.toString('utf8'), terminated, isUtf8(buf)),
    tooLong: (bytes, head) => tally.tooLong(bytes, head),
    afterChunk: async () => {
      await sink.drain?.();
    },
  }, signal);
  return fileReport(entry.path, tally.counts, walked, out.firstRejects, out.reasons);
}
