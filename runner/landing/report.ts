/**
 * Pure summaries of a landing report: the balance check, the lines stedi prints, and the copy of
 * the report that artifacts carry. Every text here shows file names and the location in safe
 * form (`safeText`: one line, what looks like personal data masked): a landing file's name is
 * not stedi's and may hold a line feed (a forged log line) or an email.
 */
import { safeText } from '../core/redact.js';
import type { FileReport, LandingReport, LandingTotals } from './types.js';

/** A path as messages show it: `safeText`, long enough that the file name at its end survives. */
export function shownPath(p: string): string {
  return safeText(p, 1000);
}

/** The lines a report accounts for: each goes to exactly one of these (equal to the lines read when it balances). */
export function accountedLines(c: { accepted: number; rejected: number; blank: number; duplicate_delivery: number; erased?: number }): number {
  return c.accepted + c.rejected + c.blank + c.duplicate_delivery + (c.erased ?? 0);
}

/**
 * Every line read is accounted for exactly once. `written` are the rows the engine actually
 * stored (counted back from the stored tables), so a sink that lost or doubled rows fails too.
 * Returns the problem, or undefined when everything adds up.
 */
export function balanceProblem(report: LandingReport, written?: { accepted: number; rejected: number }): string | undefined {
  const problems: string[] = [];
  for (const f of report.files) {
    const sum = accountedLines(f);
    if (sum !== f.lines) problems.push(`${shownPath(f.file)}: ${f.lines} lines read but ${sum} accounted for`);
  }
  const t = report.totals;
  const sum = accountedLines(t);
  if (sum !== t.lines_read) problems.push(`${t.lines_read} lines read but ${sum} accounted for`);
  if (written && written.accepted !== t.accepted) problems.push(`${t.accepted} accepted but ${written.accepted} stored in ${report.relation}`);
  if (written && written.rejected !== t.rejected) problems.push(`${t.rejected} rejected but ${written.rejected} stored in ${report.rejects_relation}`);
  return problems.length ? `${report.source} does not reconcile: ${problems.join('; ')}` : undefined;
}

/** `956 lines read = 950 accepted + 3 rejected + 2 blank + 1 duplicate_delivery` (zero terms left out, accepted always shown). */
export function balanceLine(t: Pick<LandingTotals, 'lines_read' | 'accepted' | 'rejected' | 'blank' | 'duplicate_delivery' | 'erased'>): string {
  const terms = [`${t.accepted} accepted`];
  if (t.rejected) terms.push(`${t.rejected} rejected`);
  if (t.blank) terms.push(`${t.blank} blank`);
  if (t.duplicate_delivery) terms.push(`${t.duplicate_delivery} duplicate_delivery`);
  if (t.erased) terms.push(`${t.erased} erased`);
  return `${t.lines_read} line${t.lines_read === 1 ? '' : 's'} read = ${terms.join(' + ')}`;
}

/** What was tolerated or skipped, e.g. `tolerated: 2 crlf, 1 bom; files: 3 (1 empty, 1 duplicate); 1 entry skipped`. */
export function detailsLine(report: LandingReport): string {
  const t = report.totals;
  const tol = Object.entries(t.tolerated).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
  const files = [t.empty_files ? `${t.empty_files} empty` : '', t.duplicate_files ? `${t.duplicate_files} duplicate` : ''].filter(Boolean);
  const parts = [`${t.files} file${t.files === 1 ? '' : 's'}${files.length ? ` (${files.join(', ')})` : ''}`];
  if (t.skipped_files) parts.push(`${t.skipped_files} other entr${t.skipped_files === 1 ? 'y' : 'ies'} skipped`);
  if (tol.length) parts.push(`tolerated: ${tol.join(', ')}`);
  return parts.join('; ');
}

/** Whether the ingestion found something a person should look at (the source node then warns). */
export function needsAttention(report: LandingReport): boolean {
  const t = report.totals;
  // lines of erased people still in the landing files: `stedi forget` again removes them there too
  // a changed or vanished file: its rows were replaced, dropped or kept without their file
  const changes = (report.file_changes?.changed ?? 0) + (report.file_changes?.removed ?? 0);
  return t.accepted === 0 || t.rejected > 0 || (t.erased ?? 0) > 0 || t.duplicate_files > 0 || t.empty_files > 0 || t.skipped_files > 0 || changes > 0 || report.files.some((f) => f.unknown_keys.length > 0);
}

/** The message of the source's result: the balance, then one line per finding. */
export function sourceMessage(report: LandingReport): string {
  const head = `${balanceLine(report.totals)} (${detailsLine(report)})`;
  return report.warnings.length ? `${head}\n  ${report.warnings.join('\n  ')}` : head;
}

/** Under `on_malformed: fail`: the error naming the first bad line. */
export function malformedError(report: LandingReport): string | undefined {
  if (report.on_malformed !== 'fail' || report.totals.rejected === 0) return undefined;
  const f: FileReport | undefined = report.files.find((x) => x.first_rejects.length > 0);
  const first = f?.first_rejects[0];
  const where = f && first ? `${shownPath(f.file)} line ${first.line}: ${first.reason}: ${first.detail}` : 'a line was rejected';
  const n = report.totals.rejected;
  return `${where}${n > 1 ? ` (and ${n - 1} more malformed line${n === 2 ? '' : 's'})` : ''}; on_malformed is 'fail', so nothing is published`;
}

/**
 * The report as artifacts carry it (run_results.json): a copy with every file name, duplicate
 * origin, skipped entry and the location in safe form. Unknown keys and warnings already are
 * (ingest.ts); the counts are untouched. The engine's own records (the rejects table, the
 * ingestion record) keep the real paths.
 */
export function reportForArtifacts(report: LandingReport): LandingReport {
  return {
    ...report,
    location: shownPath(report.location),
    files: report.files.map((f) => ({
      ...f,
      file: shownPath(f.file),
      ...(f.duplicate_of !== undefined ? { duplicate_of: shownPath(f.duplicate_of) } : {}),
      tolerated: { ...f.tolerated },
      unknown_keys: [...f.unknown_keys],
      first_rejects: f.first_rejects.map((r) => ({ ...r })),
      ...(f.rejected_by_reason ? { rejected_by_reason: { ...f.rejected_by_reason } } : {}),
    })),
    skipped: report.skipped.map((e) => safeText(e)),
    totals: { ...report.totals, tolerated: { ...report.totals.tolerated } },
    warnings: [...report.warnings],
  };
}

/**
 * How much of the landing zone a build read (incremental ingestion) and why the other files were
 * not read, or '' when it read every file. A file repeating another's bytes is never read, on a
 * first build or a --full-refresh too, so "unchanged" is said only of files ingested earlier.
 */
export function readLine(report: LandingReport, read: number, notRead: { unchanged: number; duplicates: number; removed: number }): string {
  const n = report.files.length;
  if (read === n) return '';
  const why = [
    notRead.unchanged ? `${notRead.unchanged} unchanged since ${notRead.unchanged === 1 ? 'it was' : 'they were'} ingested` : '',
    notRead.duplicates ? `${notRead.duplicates} repeating another file's content (duplicate_delivery)` : '',
    notRead.removed ? `${notRead.removed} no longer in the landing location (rows kept)` : '',
  ].filter(Boolean);
  return `read ${read} of ${n} landing file${n === 1 ? '' : 's'}${why.length ? `; not read: ${why.join(', ')}` : ''}`;
}

/** How many of the files read went through the engine's JSON reader (every line canonical; fast-path.ts); '' for none. */
export function canonicalLine(read: number, canonical: number): string {
  if (canonical === 0) return '';
  if (canonical === read) return `${read === 1 ? 'the file read was' : `the ${read} files read were`} read by the engine's JSON reader (every line canonical)`;
  return `${canonical} of the ${read} files read ${canonical === 1 ? 'was' : 'were'} read by the engine's JSON reader (every line canonical), the others by the classifier`;
}
