/**
 * What a source's docs page says about its last ingestion, from run_results.json: where every
 * landing line went, the files, and the reconciliation of its entity. Pure. Counts only: the file
 * names are those the run results already hold (in safe form, `reportForArtifacts`), and no text
 * of a landing line is ever part of a report.
 */
import { landingOf, type EntityReconciliation, type Reconciliation, type SourceReconciliation } from '../execute/reconciliation.js';
import type { RunResults } from '../execute/results.js';
import { accountedLines } from '../landing/report.js';
import type { FileReport, LandingReport, Tolerated } from '../landing/types.js';

/** Files listed per source (those with a finding first); the others are counted. */
export const FILES_LISTED = 100;

/** A file of the list: its counts as its report holds them. */
export type IngestedFile = Pick<FileReport, 'file' | 'status' | 'duplicate_of' | 'lines' | 'accepted' | 'rejected' | 'blank' | 'duplicate_delivery' | 'erased'>;

/** The line counts and balance are those of the source's reconciliation (`erased` present when not 0). */
export interface SourceIngestion extends Pick<SourceReconciliation, 'lines_read' | 'accepted' | 'rejected' | 'blank' | 'duplicate_delivery' | 'erased' | 'balanced'> {
  rejects_relation: string;
  /**
   * Rejected lines per reason: each file's report counts them (`rejected_by_reason`); a file
   * recorded by an earlier stedi lists only its first rejects, so its other rejects are
   * `rejected_unattributed` (the rejects table holds every one, with its reason).
   */
  rejected_by_reason: { reason: string; lines: number }[];
  rejected_unattributed: number;
  files: number;
  empty_files: number;
  duplicate_files: number;
  /** Entries of the landing folder that are not landing files (never read). */
  skipped_entries: number;
  /** Tolerated repairs with a count above 0 (sub-counts, not another way for a line to go). */
  tolerated: Partial<Tolerated>;
  file_list: IngestedFile[];
  /** Files not in `file_list` (beyond FILES_LISTED). */
  files_not_listed: number;
  /** The ingestion's findings, as the build printed them (names in safe form, never a value). */
  warnings: string[];
  /** The reconciliation of the source's entity, by every reconciliation model that counts it. */
  entity: (EntityReconciliation & {
    /** The source's accepted lines are the entity's landing rows (only when this source alone feeds the entity). */
    accepted_is_landing?: boolean;
  })[];
}

function fileOf(f: FileReport): IngestedFile {
  return {
    file: f.file, status: f.status, ...(f.duplicate_of !== undefined ? { duplicate_of: f.duplicate_of } : {}),
    lines: f.lines, accepted: f.accepted, rejected: f.rejected, blank: f.blank, duplicate_delivery: f.duplicate_delivery,
    ...(f.erased ? { erased: f.erased } : {}),
  };
}

const hasFinding = (f: FileReport) => f.status !== 'ingested' || f.rejected > 0 || f.blank > 0 || f.duplicate_delivery > 0 || (f.erased ?? 0) > 0;

function byReason(report: LandingReport): { counts: { reason: string; lines: number }[]; unattributed: number } {
  const counts = new Map<string, number>();
  let attributed = 0;
  for (const f of report.files) {
    // every reject of the file by reason; a report of an earlier stedi lists only its first rejects
    // (at most its rejected lines: more would be a broken report)
    const exact = f.rejected_by_reason ? Object.entries(f.rejected_by_reason) : undefined;
    const listed: [string, number][] = exact ?? f.first_rejects.slice(0, f.rejected).map((r) => [r.reason, 1]);
    for (const [reason, n] of listed) {
      counts.set(reason, (counts.get(reason) ?? 0) + n);
      attributed += n;
    }
  }
  return {
    counts: [...counts].map(([reason, lines]) => ({ reason, lines })).sort((a, b) => b.lines - a.lines || a.reason.localeCompare(b.reason)),
    unattributed: Math.max(0, report.totals.rejected - attributed),
  };
}

function sourceIngestion(report: LandingReport, entity: string, reconciliation: Reconciliation | undefined): SourceIngestion {
  const t = report.totals;
  const reasons = byReason(report);
  const ordered = [...report.files.filter(hasFinding), ...report.files.filter((f) => !hasFinding(f))];
  const feeding = (reconciliation?.sources ?? []).filter((s) => s.entity === entity);
  const tolerated = Object.fromEntries(Object.entries(t.tolerated).filter(([, n]) => n > 0)) as Partial<Tolerated>;
  return {
    lines_read: t.lines_read, accepted: t.accepted, rejected: t.rejected, blank: t.blank, duplicate_delivery: t.duplicate_delivery,
    ...(t.erased ? { erased: t.erased } : {}),
    balanced: t.lines_read === accountedLines(t),
    rejects_relation: report.rejects_relation,
    rejected_by_reason: reasons.counts,
    rejected_unattributed: reasons.unattributed,
    files: t.files, empty_files: t.empty_files, duplicate_files: t.duplicate_files, skipped_entries: t.skipped_files,
    tolerated,
    file_list: ordered.slice(0, FILES_LISTED).map(fileOf),
    files_not_listed: Math.max(0, ordered.length - FILES_LISTED),
    warnings: [...report.warnings],
    entity: entity === '' ? [] : (reconciliation?.entities ?? []).filter((e) => e.entity === entity).map((e) => ({
      ...e, rules: e.rules.map((r) => ({ ...r })),
      ...(feeding.length === 1 ? { accepted_is_landing: t.accepted === e.landing } : {}),
    })),
  };
}

/** Source id → its last ingestion, for every source the run ingested. `entityOf` gives a source's entity. */
export function ingestionsOf(rr: RunResults, entityOf: (id: string) => string | undefined): Record<string, SourceIngestion> {
  const out: Record<string, SourceIngestion> = {};
  for (const r of rr.results) {
    const report = r.resource_type === 'source' ? landingOf(r) : undefined;
    const entity = entityOf(r.unique_id);
    if (report && entity !== undefined) out[r.unique_id] = sourceIngestion(report, entity, rr.reconciliation);
  }
  return out;
}
