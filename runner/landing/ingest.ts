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
 * Folder entries that are not landing files (not `*.json`, hidden, folders) are not read; they
 * are counted and named in the report. A file with the same bytes as an earlier file (in name
 * order) is a duplicate delivery: none of its lines is ingested again, they are all counted as
 * `duplicate_delivery`. A file without any record (0 bytes, or blank lines only) is `empty`.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { classifyLine, isLandingFileName, KeyResolver } from './classify.js';
import { DEFAULT_CHUNK_BYTES, LandingReadError, localStore, type LandingEntry, type LandingStore } from './store.js';
import { emptyTolerated, type FileReport, type LandingColumn, type LandingReport, type LandingTotals, type LandingValue, type RejectRow } from './types.js';

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

export async function ingestLanding(spec: LandingSpec, sink: LandingSink, opts: IngestOptions = {}): Promise<LandingReport> {
  const store = opts.store ?? localStore(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  const { files, skipped, missing } = await listLanding(store, spec.location, opts.signal);
  const resolver = new KeyResolver(spec.columns);
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
    const r = await readFile(store, file, resolver, sink, opts.signal);
    reports.push(r);
    readSizes.add(file.size);
    if (!firstOfHash.has(r.sha256)) firstOfHash.set(r.sha256, r);
  }
  const totals = sumTotals(reports, skipped.length);
  const warnings = describe(reports, skipped, spec);
  if (missing) warnings.unshift(`${spec.source}: the landing folder ${spec.location} does not exist: no file read`);
  return { source: spec.source, relation: spec.relation, rejects_relation: spec.rejects_relation, location: spec.location, on_malformed: spec.on_malformed, files: reports, skipped, totals, warnings };
}

async function listLanding(store: LandingStore, location: string, signal?: AbortSignal): Promise<{ files: LandingEntry[]; skipped: string[]; missing: boolean }> {
  const entries = await store.list(location, signal);
  if (!entries) return { files: [], skipped: [], missing: true };
  const files: LandingEntry[] = [];
  const skipped: string[] = [];
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.kind === 'file' && isLandingFileName(e.name)) files.push(e);
    else skipped.push(e.kind === 'folder' ? `${e.name}/` : e.name);
  }
  return { files, skipped, missing: false };
}

async function hashOf(store: LandingStore, file: LandingEntry, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of store.read(file, signal)) h.update(chunk);
  return h.digest('hex');
}

function blankReport(file: string, bytes: number, sha256: string, lines: number, noFinalNewline: boolean): FileReport {
  return { file, bytes, sha256, status: 'ingested', lines, accepted: 0, rejected: 0, blank: 0, duplicate_delivery: 0, tolerated: emptyTolerated(), no_final_newline: noFinalNewline, unknown_keys: [], first_rejects: [] };
}

async function readFile(store: LandingStore, entry: LandingEntry, resolver: KeyResolver, sink: LandingSink, signal?: AbortSignal): Promise<FileReport> {
  const file = entry.path;
  const r = blankReport(file, 0, '', 0, false);
  const hash = createHash('sha256');
  const unknown = new Set<string>();
  let line = 0;

  const handle = (text: string, terminated: boolean, validUtf8: boolean) => {
    line++;
    if (!validUtf8) {
      r.rejected++;
      const row: RejectRow = { file, line, reason: 'invalid_utf8', detail: 'the line is not valid UTF-8', raw: text };
      if (r.first_rejects.length < FIRST_REJECTS) r.first_rejects.push({ line, reason: row.reason, detail: row.detail });
      sink.reject(row);
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
    if (o.unknownKeys) for (const k of o.unknownKeys) if (unknown.size < 1000) unknown.add(k);
    if (o.kind === 'accepted') {
      r.accepted++;
      if (o.caseFolded) r.tolerated.case_folded_keys++;
      if (o.coerced) r.tolerated.coerced_values++;
      sink.accept(o.values!);
      return;
    }
    r.rejected++;
    if (r.first_rejects.length < FIRST_REJECTS) r.first_rejects.push({ line, reason: o.reason!, detail: o.detail! });
    sink.reject({ file, line, reason: o.reason!, detail: o.detail!, raw: text });
  };

  /** Complete lines (each was followed by LF) of one buffer that ends right before an LF. */
  const lines = (buf: Buffer) => {
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

  let carry: Buffer = Buffer.alloc(0);
  for await (const bytes of store.read(entry, signal)) {
    signal?.throwIfAborted();
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    hash.update(chunk);
    r.bytes += chunk.length;
    const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const last = data.lastIndexOf(10);
    if (last < 0) {
      carry = Buffer.from(data);
      continue;
    }
    lines(data.subarray(0, last));
    carry = Buffer.from(data.subarray(last + 1));
    await sink.drain?.();
  }
  if (carry.length > 0) {
    r.no_final_newline = true;
    handle(carry.toString('utf8'), false, isUtf8(carry));
  }
  r.lines = line;
  r.sha256 = hash.digest('hex');
  r.unknown_keys = [...unknown].sort();
  if (r.accepted === 0 && r.rejected === 0) r.status = 'empty';
  return r;
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
  const name = (p: string | undefined) => path.posix.basename(p ?? '');
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
      const listed = f.unknown_keys.slice(0, UNKNOWN_KEYS_LISTED).map((k) => JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k));
      const more = f.unknown_keys.length > UNKNOWN_KEYS_LISTED ? ` and ${f.unknown_keys.length - UNKNOWN_KEYS_LISTED} more` : '';
      out.push(`${name(f.file)}: ${f.unknown_keys.length === 1 ? 'key' : 'keys'} ${listed.join(', ')}${more} not in the schema of ${spec.source} (ignored; reported once per file)`);
    }
  }
  if (skipped.length) out.push(`${spec.location}: ${s(skipped.length, 'entry', 'entries')} not read (not a *.json landing file): ${skipped.slice(0, 10).join(', ')}${skipped.length > 10 ? ', …' : ''}`);
  return out;
}
