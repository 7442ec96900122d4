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
import path from 'node:path';
import { safeKey, safeText } from '../core/redact.js';
import type { SourceNode } from '../manifest/types.js';
import { classifyLine, isLandingFileName, KeyResolver } from './classify.js';
import { readColumns, withDerived, type PseudonymKey } from './derive.js';
import { shownPath } from './report.js';
import { DEFAULT_CHUNK_BYTES, LandingMissingError, localStore, type LandingEntry, type LandingStore } from './store.js';
import {
  DEFAULT_MAX_LINE_BYTES, emptyTolerated, RAW_PREFIX_BYTES, type FileReport, type LandingColumn, type LandingReport, type LandingTotals, type LandingValue, type RejectRow,
} from './types.js';

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
}

const FIRST_REJECTS = 3;
const UNKNOWN_KEYS_LISTED = 20;
/** Distinct unknown keys kept per file (a file whose keys are values would otherwise grow without bound). */
const UNKNOWN_KEYS_KEPT = 1000;

export async function ingestLanding(spec: LandingSpec, given: LandingSink, opts: IngestOptions = {}): Promise<LandingReport> {
  const sink = withDerived(given, spec); // derived columns: computed, never read from a record
  const store = opts.store ?? localStore(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  const maxLineBytes = spec.max_line_bytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) throw new Error(`${spec.source}: max_line_bytes must be a positive whole number, not ${String(maxLineBytes)}`);
  const { files, skipped } = await listLanding(store, spec, opts.signal);
  const resolver = new KeyResolver(readColumns(spec.columns));
  const reports: FileReport[] = [];
  // files read so far, by content hash (computed while reading) and by size
  const firstOfHash = new Map<string, FileReport>();
  const readSizes = new Set<number>();
  for (const file of files) {
    opts.signal?.throwIfAborted();
    // only a file as large as one read before can repeat it: only such a file is hashed first
    const known = file.size > 0 && readSizes.has(file.size) ? await hashOf(store, file, opts.signal) : undefined;
    const original = known ? firstOfHash.get(known) : undefined;
    if (original && original.status !== 'empty') {
      reports.push({ ...blankReport(file.path, file.size, original.sha256, original.lines, original.no_final_newline), status: 'duplicate', duplicate_of: original.file, duplicate_delivery: original.lines });
      continue;
    }
    const r = await readFile(store, file, resolver, sink, maxLineBytes, opts.signal);
    reports.push(r);
    readSizes.add(file.size);
    if (!firstOfHash.has(r.sha256)) firstOfHash.set(r.sha256, r);
  }
  const totals = sumTotals(reports, skipped.length);
  const warnings = describe(reports, skipped, spec);
  return { source: spec.source, relation: spec.relation, rejects_relation: spec.rejects_relation, location: spec.location, on_malformed: spec.on_malformed, files: reports, skipped, totals, warnings, ...(spec.derive ? { key_fingerprint: spec.derive.fingerprint } : {}) };
}

async function listLanding(store: LandingStore, spec: LandingSpec, signal?: AbortSignal): Promise<{ files: LandingEntry[]; skipped: string[] }> {
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

async function hashOf(store: LandingStore, file: LandingEntry, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of store.read(file, signal)) h.update(chunk);
  return h.digest('hex');
}

function blankReport(file: string, bytes: number, sha256: string, lines: number, noFinalNewline: boolean): FileReport {
  return { file, bytes, sha256, status: 'ingested', lines, accepted: 0, rejected: 0, blank: 0, duplicate_delivery: 0, tolerated: emptyTolerated(), no_final_newline: noFinalNewline, unknown_keys: [], first_rejects: [] };
}

async function readFile(store: LandingStore, entry: LandingEntry, resolver: KeyResolver, sink: LandingSink, maxLineBytes: number, signal?: AbortSignal): Promise<FileReport> {
  const file = entry.path;
  const r = blankReport(file, 0, '', 0, false);
  const hash = createHash('sha256');
  const unknown = new Set<string>();
  let line = 0;

  const rejectLine = (row: RejectRow) => {
    r.rejected++;
    if (r.first_rejects.length < FIRST_REJECTS) r.first_rejects.push({ line: row.line, reason: row.reason, detail: row.detail });
    sink.reject(row);
  };

  const handle = (text: string, terminated: boolean, validUtf8: boolean) => {
    line++;
    if (!validUtf8) {
      rejectLine({ file, line, reason: 'invalid_utf8', detail: 'the line is not valid UTF-8', raw: text });
      return;
    }
    const o = classifyLine(text, { line, terminated }, resolver);
    if (o.bom) r.tolerated.bom++;
    if (o.crlf) r.tolerated.crlf++;
    if (o.kind === 'blank') {
      r.blank++;
      return;
    }
    if (o.trailingComma) r.tolerated.trailing_comma++;
    if (o.unknownKeys) for (const k of o.unknownKeys) if (unknown.size < UNKNOWN_KEYS_KEPT) unknown.add(reportedKey(k));
    if (o.kind === 'accepted') {
      r.accepted++;
      if (o.caseFolded) r.tolerated.case_folded_keys++;
      if (o.coerced) r.tolerated.coerced_values++;
      sink.accept(o.values!);
      return;
    }
    rejectLine({ file, line, reason: o.reason!, detail: o.detail!, raw: text });
  };

  /** A line of `bytes` bytes, above the limit, of which `head` holds the first ones. */
  const tooLong = (bytes: number, head: Buffer) => {
    line++;
    const kept = head.length < bytes ? wholeCharacters(head) : head;
    const cut = kept.length < bytes ? `; raw keeps its first ${kept.length} bytes only` : '';
    rejectLine({ file, line, reason: 'line_too_long', detail: `the line has ${bytes} bytes, more than max_line_bytes (${maxLineBytes})${cut}`, raw: kept.toString('utf8') });
  };

  /** Lines each followed by LF, none longer than the limit: decoded at once when valid UTF-8. */
  const run = (buf: Buffer) => {
    if (isUtf8(buf)) {
      for (const t of buf.toString('utf8').split('\n')) handle(t, true, true);
      return;
    }
    let start = 0;
    for (;;) {
      const i = buf.indexOf(10, start);
      const part = buf.subarray(start, i < 0 ? buf.length : i);
      handle(part.toString('utf8'), true, isUtf8(part));
      if (i < 0) break;
      start = i + 1;
    }
  };

  /** Complete lines (each was followed by LF) of one buffer that ends right before an LF. */
  const lines = (buf: Buffer) => {
    if (buf.length <= maxLineBytes) return run(buf);
    // some line may be too long: runs of short lines between the long ones
    let from = 0;
    for (let at = 0; ; ) {
      const i = buf.indexOf(10, at);
      const end = i < 0 ? buf.length : i;
      if (end - at > maxLineBytes) {
        if (at > from) run(buf.subarray(from, at - 1));
        tooLong(end - at, buf.subarray(at, Math.min(end, at + RAW_PREFIX_BYTES)));
        from = end + 1;
      }
      if (i < 0) break;
      at = i + 1;
    }
    if (from <= buf.length) run(buf.subarray(from));
  };

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
    if (open.head) tooLong(open.bytes, open.head);
    else {
      const buf = open.pieces.length === 1 ? open.pieces[0]! : Buffer.concat(open.pieces, open.bytes);
      handle(buf.toString('utf8'), terminated, isUtf8(buf));
    }
    open.pieces = [];
    open.bytes = 0;
    open.head = undefined;
  };

  for await (const bytes of store.read(entry, signal)) {
    signal?.throwIfAborted();
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    hash.update(chunk);
    r.bytes += chunk.length;
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
    if (last >= from) lines(chunk.subarray(from, last));
    extend(chunk.subarray(last + 1));
    await sink.drain?.();
  }
  if (open.bytes > 0) {
    r.no_final_newline = true;
    close(false);
  }
  r.lines = line;
  r.sha256 = hash.digest('hex');
  r.unknown_keys = [...unknown].sort();
  if (r.accepted === 0 && r.rejected === 0) r.status = 'empty';
  return r;
}

/**
 * An unknown key as the report keeps it (and `_stedi.landing_files.unknown_keys` stores it): the
 * key itself when `safeKey` shows it (a field name), else its mask `<key #…>` (a key that may be
 * a value: an email, a phone number).
 */
export function reportedKey(k: string): string {
  const shown = safeKey(k);
  return shown.startsWith('"') ? (JSON.parse(shown) as string) : shown;
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
function wholeCharacters(head: Buffer): Buffer {
  for (let i = head.length - 1; i >= Math.max(0, head.length - 4); i--) {
    const b = head[i]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + need > head.length ? head.subarray(0, i) : head;
  }
  return head;
}

export function sumTotals(files: FileReport[], skipped: number): LandingTotals {
  const t: LandingTotals = { files: files.length, lines_read: 0, accepted: 0, rejected: 0, blank: 0, duplicate_delivery: 0, tolerated: emptyTolerated(), empty_files: 0, duplicate_files: 0, skipped_files: skipped };
  for (const f of files) {
    t.lines_read += f.lines;
    t.accepted += f.accepted;
    t.rejected += f.rejected;
    t.blank += f.blank;
    t.duplicate_delivery += f.duplicate_delivery;
    for (const k of Object.keys(t.tolerated) as (keyof typeof t.tolerated)[]) t.tolerated[k] += f.tolerated[k];
    if (f.status === 'empty') t.empty_files++;
    if (f.status === 'duplicate') t.duplicate_files++;
  }
  return t;
}

/** One warning per file and kind of finding; names files and columns, never a value. */
function describe(files: FileReport[], skipped: string[], spec: LandingSpec): string[] {
  const out: string[] = [];
  const s = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const name = (p: string | undefined) => safeText(path.posix.basename(p ?? ''));
  for (const f of files) {
    if (f.status === 'duplicate') {
      out.push(`${name(f.file)}: same content as ${name(f.duplicate_of)}: its ${s(f.duplicate_delivery, 'line')} are not ingested twice (duplicate_delivery)`);
      continue;
    }
    if (f.status === 'empty') out.push(`${name(f.file)}: no record (${f.bytes === 0 ? 'an empty file' : `only ${s(f.blank, 'blank line')}`})`);
    if (f.rejected) {
      const first = f.first_rejects[0];
      out.push(`${name(f.file)}: ${s(f.rejected, 'line')} quarantined in ${spec.rejects_relation}${first ? `; first at line ${first.line}: ${first.reason}: ${first.detail}` : ''}`);
    }
    if (f.unknown_keys.length) {
      // kept in safe form (reportedKey): a field name, quoted here, or its mask <key #…>
      const listed = f.unknown_keys.slice(0, UNKNOWN_KEYS_LISTED).map((k) => (k.startsWith('<') ? k : JSON.stringify(k)));
      const more = f.unknown_keys.length > UNKNOWN_KEYS_LISTED ? ` and ${f.unknown_keys.length - UNKNOWN_KEYS_LISTED} more` : '';
      out.push(`${name(f.file)}: ${f.unknown_keys.length === 1 ? 'key' : 'keys'} ${listed.join(', ')}${more} not in the schema of ${spec.source} (ignored; reported once per file)`);
    }
  }
  if (skipped.length) out.push(`${shownPath(spec.location)}: ${s(skipped.length, 'entry', 'entries')} not read (not a *.json landing file): ${skipped.slice(0, 10).map((e) => safeText(e)).join(', ')}${skipped.length > 10 ? ', …' : ''}`);
  if (!files.some((f) => f.accepted > 0)) out.push(`${shownPath(spec.location)}: no record was accepted${files.length ? '' : ' (no landing file)'}`);
  return out;
}
