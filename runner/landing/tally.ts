/**
 * What each line becomes and how it is counted: one implementation for the one-thread reader
 * (line numbers of the file) and for a classifier thread (line numbers from the start of its
 * range, shifted by the main thread when it merges the ranges in order).
 */
import { safeKey } from '../core/redact.js';
import { classifyLine, type KeyResolver } from './classify.js';
import type { ErasureMatcher } from './erasure.js';
import { wholeCharacters, type LineHandler } from './lines.js';
import { emptyTolerated, type LandingValue, type RejectReason, type Tolerated } from './types.js';

/** Distinct unknown keys kept per file (a file whose keys are values would otherwise grow without bound). */
export const UNKNOWN_KEYS_KEPT = 1000;

/** Where the accepted values and the rejects of the lines go, in line order. */
export interface Outcomes {
  accept(values: LandingValue[]): void;
  reject(line: number, reason: RejectReason, detail: string, raw: string): void;
}

/** The counts of a run of lines. */
export interface Counts {
  lines: number;
  accepted: number;
  rejected: number;
  blank: number;
  /** Lines of erased people (erasure.ts): neither accepted nor rejected, never handed on. */
  erased: number;
  tolerated: Tolerated;
  /** Unknown keys as reported (`reportedKey`), in the order first seen, at most UNKNOWN_KEYS_KEPT. */
  unknown: Set<string>;
}

export function emptyCounts(): Counts {
  return { lines: 0, accepted: 0, rejected: 0, blank: 0, erased: 0, tolerated: emptyTolerated(), unknown: new Set() };
}

/** Classifies lines one after another: numbers them from `counts.lines + 1`, counts them, hands them on. */
export class LineTally implements LineHandler {
  readonly counts: Counts = emptyCounts();

  constructor(
    private readonly resolver: KeyResolver,
    private readonly maxLineBytes: number,
    private readonly out: Outcomes,
    /** The erasure list's matcher: the lines of erased people are counted as `erased` and go nowhere. */
    private readonly erasure?: ErasureMatcher,
  ) {}

  private rejectLine(line: number, reason: RejectReason, detail: string, raw: string): void {
    if (this.erasure?.raw(raw)) {
      this.counts.erased++;
      return;
    }
    this.counts.rejected++;
    this.out.reject(line, reason, detail, raw);
  }

  handle(text: string, terminated: boolean, validUtf8: boolean): void {
    const c = this.counts;
    const line = ++c.lines;
    if (!validUtf8) {
      this.rejectLine(line, 'invalid_utf8', 'the line is not valid UTF-8', text);
      return;
    }
    const o = classifyLine(text, { line, terminated }, this.resolver);
    if (o.bom) c.tolerated.bom++;
    if (o.crlf) c.tolerated.crlf++;
    if (o.kind === 'blank') {
      c.blank++;
      return;
    }
    if (o.trailingComma) c.tolerated.trailing_comma++;
    if (o.unknownKeys) for (const k of o.unknownKeys) if (c.unknown.size < UNKNOWN_KEYS_KEPT) c.unknown.add(reportedKey(k));
    if (o.kind === 'accepted') {
      if (this.erasure?.record(o.values!)) {
        c.erased++;
        return;
      }
      c.accepted++;
      if (o.caseFolded) c.tolerated.case_folded_keys++;
      if (o.coerced) c.tolerated.coerced_values++;
      this.out.accept(o.values!);
      return;
    }
    this.rejectLine(line, o.reason!, o.detail!, text);
  }

  tooLong(bytes: number, head: Buffer): void {
    const line = ++this.counts.lines;
    const kept = head.length < bytes ? wholeCharacters(head) : head;
    const cut = kept.length < bytes ? `; raw keeps its first ${kept.length} bytes only` : '';
    this.rejectLine(line, 'line_too_long', `the line has ${bytes} bytes, more than max_line_bytes (${this.maxLineBytes})${cut}`, kept.toString('utf8'));
  }
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
