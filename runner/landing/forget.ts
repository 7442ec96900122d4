/**
 * What `stedi forget` removes from a landing file: the lines of erased people, found with the
 * ingestion's own classifier (classify.ts) and erasure matcher (erasure.ts), so that a line is
 * removed here exactly when an ingestion would count it as `erased`, and a rewritten file keeps
 * every other line byte for byte (its line feed included).
 *
 * Pure: buffers in, buffers and counts out. The command (runner/cli/forget.ts) reads and writes
 * the files.
 */
import { isUtf8 } from 'node:buffer';
import { classifyLine, KeyResolver } from './classify.js';
import { readColumns } from './derive.js';
import { deviceHash, personHash, type ErasureMatcher } from './erasure.js';
import type { LandingColumn, LandingValue } from './types.js';

export interface LineSpan {
  /** 1-based line number. */
  line: number;
  /** Byte offsets of the line in the file; `next` is past its line feed (or the end of the file). */
  start: number;
  next: number;
  kind: 'accepted' | 'rejected';
}

export interface FileScan {
  lines: number;
  remove: LineSpan[];
  /** Text values of the removed records (every string field: names, phones, birthdays…), to look for elsewhere; kept in memory only. */
  values: Set<string>;
}

/** Every line of a file, LF-separated; a last line without LF counts, an empty tail does not. */
function* linesOf(buf: Buffer): Generator<{ line: number; start: number; end: number; next: number; terminated: boolean }> {
  let start = 0;
  let line = 0;
  while (start < buf.length) {
    const lf = buf.indexOf(10, start);
    const end = lf < 0 ? buf.length : lf;
    yield { line: ++line, start, end, next: lf < 0 ? buf.length : lf + 1, terminated: lf >= 0 };
    start = end + 1;
  }
}

/** The outcome of one line as the ingestion classifies it (too long lines are rejects; their whole text is searched here). */
function classify(buf: Buffer, l: { line: number; start: number; end: number; terminated: boolean }, resolver: KeyResolver, maxLineBytes: number): { kind: 'blank' | 'accepted' | 'rejected'; text: string; values?: LandingValue[] } {
  const bytes = buf.subarray(l.start, l.end);
  const text = bytes.toString('utf8');
  if (bytes.length > maxLineBytes || !isUtf8(bytes)) return { kind: 'rejected', text };
  const o = classifyLine(text, { line: l.line, terminated: l.terminated }, resolver);
  return o.kind === 'accepted' ? { kind: 'accepted', text, values: o.values! } : { kind: o.kind, text };
}

/** The lines of the file that the matcher says are an erased person's (or device's). */
export function scanFile(buf: Buffer, columns: LandingColumn[], matcher: ErasureMatcher, maxLineBytes: number): FileScan {
  const resolver = new KeyResolver(readColumns(columns));
  const remove: LineSpan[] = [];
  const values = new Set<string>();
  let lines = 0;
  for (const l of linesOf(buf)) {
    lines = l.line;
    const o = classify(buf, l, resolver, maxLineBytes);
    if (o.kind === 'blank') continue;
    const hit = o.kind === 'accepted' ? matcher.record(o.values!) : matcher.raw(o.text);
    if (!hit) continue;
    remove.push({ line: l.line, start: l.start, next: l.next, kind: o.kind });
    if (o.values) for (const v of o.values) if (typeof v === 'string' && v.trim() !== '') values.add(v);
  }
  return { lines, remove, values };
}

/** The file without the given lines (sorted, from scanFile): every other byte as it was. */
export function withoutLines(buf: Buffer, remove: LineSpan[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const r of remove) {
    parts.push(buf.subarray(at, r.start));
    at = r.next;
  }
  parts.push(buf.subarray(at));
  return Buffer.concat(parts);
}

/** Per device serial: whether an erased person claims it and whether anyone else does (a record of another person, or of no one). */
export type Claims = Map<string, { erased: boolean; other: boolean }>;

/**
 * The device claims of a file of a source that has a person column and a device column (the
 * customer records): every accepted record with a serial claims it, for its person (a hash in
 * `persons`: erased) or for someone else.
 */
export function addClaims(claims: Claims, buf: Buffer, columns: LandingColumn[], key: Buffer, persons: ReadonlySet<string>, maxLineBytes: number): void {
  const read = readColumns(columns);
  const person = read.findIndex((c) => c.identity === 'person');
  const device = read.findIndex((c) => c.identity === 'device');
  if (person < 0 || device < 0) return;
  const resolver = new KeyResolver(read);
  for (const l of linesOf(buf)) {
    const o = classify(buf, l, resolver, maxLineBytes);
    if (o.kind !== 'accepted') continue;
    const serial = o.values![device];
    if (typeof serial !== 'string') continue;
    const h = personHash(key, o.values![person]);
    const c = claims.get(serial) ?? { erased: false, other: false };
    if (h !== null && persons.has(h)) c.erased = true;
    else c.other = true;
    claims.set(serial, c);
  }
}

/** The devices only erased people claim: their hashes, and the serials themselves (kept in memory only, to look for elsewhere). */
export function soleDevices(claims: Claims, key: Buffer): { hashes: string[]; serials: string[] } {
  const serials = [...claims].filter(([, c]) => c.erased && !c.other).map(([s]) => s).sort();
  return { hashes: serials.map((s) => deviceHash(key, s)), serials };
}
