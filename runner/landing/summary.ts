/**
 * Pure summaries of what an ingestion found: the totals of a list of file reports and the
 * warnings a build prints (one per file and kind of finding, never a value of a record).
 */
import path from 'node:path';
import { safeText } from '../core/redact.js';
import { shownPath } from './report.js';
import { emptyTolerated, type FileReport, type LandingTotals } from './types.js';

const UNKNOWN_KEYS_LISTED = 20;

export function blankReport(file: string, bytes: number, sha256: string, lines: number, noFinalNewline: boolean): FileReport {
  return { file, bytes, sha256, status: 'ingested', lines, accepted: 0, rejected: 0, blank: 0, duplicate_delivery: 0, tolerated: emptyTolerated(), no_final_newline: noFinalNewline, unknown_keys: [], first_rejects: [] };
}


export function sumTotals(files: FileReport[], skipped: number): LandingTotals {
  const t: LandingTotals = { files: files.length, lines_read: 0, accepted: 0, rejected: 0, blank: 0, duplicate_delivery: 0, tolerated: emptyTolerated(), empty_files: 0, duplicate_files: 0, skipped_files: skipped };
  for (const f of files) {
    t.lines_read += f.lines;
    t.accepted += f.accepted;
    t.rejected += f.rejected;
    t.blank += f.blank;
    t.duplicate_delivery += f.duplicate_delivery;
    if (f.erased) t.erased = (t.erased ?? 0) + f.erased;
    for (const k of Object.keys(t.tolerated) as (keyof typeof t.tolerated)[]) t.tolerated[k] += f.tolerated[k];
    if (f.status === 'empty') t.empty_files++;
    if (f.status === 'duplicate') t.duplicate_files++;
  }
  return t;
}

/**
 * One warning per file and kind of finding; names files and columns, never a value. `files` are
 * the files this build read (or found to repeat another); `all` every file of the source, for the
 * finding that no record was accepted at all.
 */
export function describe(files: FileReport[], skipped: string[], spec: { location: string; rejects_relation: string; source: string }, all: FileReport[] = files): string[] {
  const out: string[] = [];
  const s = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const name = (p: string | undefined) => safeText(path.posix.basename(p ?? ''));
  for (const f of files) {
    if (f.status === 'duplicate') {
      out.push(`${name(f.file)}: same content as ${name(f.duplicate_of)}: its ${s(f.duplicate_delivery, 'line')} are not ingested twice (duplicate_delivery)`);
      continue;
    }
    if (f.status === 'empty') out.push(`${name(f.file)}: no record (${f.bytes === 0 ? 'an empty file' : `only ${s(f.blank, 'blank line')}`})`);
    if (f.erased) out.push(`${name(f.file)}: ${s(f.erased, 'line')} of erased people left out (erased); run stedi forget again to remove them from the file too`);
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
  const described = new Set(files.map((f) => f.file));
  const still = all.filter((f) => f.erased && !described.has(f.file));
  if (still.length) out.push(`${s(still.reduce((n, f) => n + f.erased!, 0), 'line')} of erased people still in ${still.slice(0, 10).map((f) => name(f.file)).join(', ')}${still.length > 10 ? ', …' : ''} (left out as erased); run stedi forget again to remove them from the files too`);
  if (!all.some((f) => f.accepted > 0)) out.push(`${shownPath(spec.location)}: no record was accepted${all.length ? '' : ' (no landing file)'}`);
  return out;
}
