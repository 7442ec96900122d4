/** A file's report from its counts, and the outcomes of its lines handed to the sink: shared by both readers. */
import type { LandingSink } from './ingest.js';
import type { Walked } from './lines.js';
import type { Counts, Outcomes } from './tally.js';
import { emptyTolerated, type FileReport, type LandingValue, type RejectReason } from './types.js';

/** The rejects of a file that its report lists (line, reason, detail; never the raw text). */
export const FIRST_REJECTS = 3;

/** Hands a file's outcomes to the sink, in line order, and keeps its first rejects for the report. */
export class SinkOutcomes implements Outcomes {
  readonly firstRejects: FileReport['first_rejects'] = [];
  /** Every reject handed on, by reason. */
  readonly reasons: Partial<Record<RejectReason, number>> = {};

  constructor(
    private readonly file: string,
    private readonly sink: LandingSink,
  ) {}

  accept(values: LandingValue[]): void {
    this.sink.accept(values);
  }

  reject(line: number, reason: RejectReason, detail: string, raw: string): void {
    if (this.firstRejects.length < FIRST_REJECTS) this.firstRejects.push({ line, reason, detail });
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
    this.sink.reject({ file: this.file, line, reason, detail, raw });
  }
}

/** The report of a file read whole (`counts` and `walked`), or a blank one to be filled in. */
export function fileReport(file: string, counts: Counts | undefined, walked: Walked | undefined, firstRejects: FileReport['first_rejects'], reasons?: Partial<Record<RejectReason, number>>): FileReport {
  const empty = counts !== undefined && counts.accepted === 0 && counts.rejected === 0 && counts.erased === 0;
  return {
    file,
    bytes: walked?.bytes ?? 0,
    sha256: walked?.sha256 ?? '',
    status: empty ? 'empty' : 'ingested',
    lines: counts?.lines ?? 0,
    accepted: counts?.accepted ?? 0,
    rejected: counts?.rejected ?? 0,
    blank: counts?.blank ?? 0,
    duplicate_delivery: 0,
    ...(counts?.erased ? { erased: counts.erased } : {}),
    tolerated: counts ? { ...counts.tolerated } : emptyTolerated(),
    no_final_newline: walked?.noFinalNewline ?? false,
    unknown_keys: counts ? [...counts.unknown].sort() : [],
    first_rejects: firstRejects,
    ...(counts?.rejected && reasons ? { rejected_by_reason: { ...reasons } } : {}),
  };
}
