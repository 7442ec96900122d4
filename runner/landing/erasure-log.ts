/**
 * The erasure log of a lake: one JSON object per line, append-only, next to the lake's ownership
 * marker (`<lake_dir>/_stedi_erasures.jsonl`). It is at once the erasure list that every later
 * ingestion applies (erasure.ts) and the receipt an auditor reads: when, which keyed hashes, and
 * what was removed (counts per zone and file). It holds no identifier: hashes under the
 * pseudonymisation key, whose fingerprint each line records.
 *
 *   {"kind":"request","id":…,"at":…,"key_fingerprint":…,"persons":[…],"devices":[…]}
 *       written before anything is removed: from then on no ingestion lets these records in,
 *       even if the forget stops half-way (running it again completes it);
 *   {"kind":"receipt","id":…,"at":…,"key_fingerprint":…,"persons":[…],"devices":[…],"removed":{…}}
 *       written once everything is removed and checked.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ErasureList } from './erasure.js';

export const ERASURE_LOG = '_stedi_erasures.jsonl';

export interface RemovedCounts {
  /** Lines removed per landing file (file names as shown: masked where they could hold personal data). */
  landing_files: { source: string; file: string; accepted: number; rejected: number }[];
  /** Rows per published table before and after. */
  tables: { relation: string; before: number; after: number }[];
  /** Older table versions expired (folders removed). */
  versions_expired: number;
  /** Files under the project's target folder that held the person's data and were removed. */
  target_files_removed: number;
}

export interface LogEntry {
  kind: 'request' | 'receipt';
  id: string;
  at: string;
  key_fingerprint: string;
  persons: string[];
  devices: string[];
  removed?: RemovedCounts;
  /** request: the sha256 of each landing file before and after its rewrite (so that a forget stopped half-way is recognised and completed). */
  rewrites?: { from: string; to: string }[];
  /** receipt: the ids of earlier requests that stopped half-way and that this forget completed. */
  completes?: string[];
  /** Identities given that matched no record anywhere (counted, never named). */
  unknown?: number;
}

export function erasureLogPath(lakeDir: string): string {
  return path.join(lakeDir, ERASURE_LOG);
}

const HASH = /^[0-9a-f]{64}$/;

/** The entries of the log (none when it does not exist); a line that is not an entry is an error naming the file and line. */
export function readErasureLog(file: string): LogEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: LogEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file} line ${i + 1}`;
    let e: LogEntry;
    try {
      e = JSON.parse(line) as LogEntry;
    } catch {
      throw new Error(`${where}: not a JSON object; the erasure log cannot be read, so nothing is ingested (restore the file from its backup)`);
    }
    const bad = (field: string) => new Error(`${where}: field ${field} is missing or invalid; the erasure log cannot be read, so nothing is ingested`);
    if (e === null || typeof e !== 'object') throw bad('kind');
    if (e.kind !== 'request' && e.kind !== 'receipt') throw bad('kind');
    if (typeof e.key_fingerprint !== 'string' || !/^[0-9a-f]{16}$/.test(e.key_fingerprint)) throw bad('key_fingerprint');
    if (!Array.isArray(e.persons) || !e.persons.every((h) => typeof h === 'string' && HASH.test(h))) throw bad('persons');
    if (!Array.isArray(e.devices) || !e.devices.every((h) => typeof h === 'string' && HASH.test(h))) throw bad('devices');
    if (typeof e.id !== 'string' || typeof e.at !== 'string') throw bad(typeof e.id !== 'string' ? 'id' : 'at');
    out.push(e);
  });
  return out;
}

/** The erasure list of the log: every hash of every entry, under the one key all entries share. */
export function erasureList(entries: LogEntry[], file: string): ErasureList | undefined {
  if (!entries.length) return undefined;
  const keys = new Set(entries.map((e) => e.key_fingerprint));
  if (keys.size > 1) throw new Error(`${file}: entries were made with ${keys.size} different pseudonymisation keys (${[...keys].join(', ')}); stedi cannot apply them all, so nothing is ingested`);
  const persons = new Set<string>();
  const devices = new Set<string>();
  for (const e of entries) {
    for (const h of e.persons) persons.add(h);
    for (const h of e.devices) devices.add(h);
  }
  return { key_fingerprint: entries[0]!.key_fingerprint, persons: [...persons].sort(), devices: [...devices].sort() };
}

/** Appends one entry and flushes it to disk before returning. */
export function appendErasureLog(file: string, entry: LogEntry): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, `${JSON.stringify(entry)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
