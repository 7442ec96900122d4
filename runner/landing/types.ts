/**
 * Landing ingestion: what happens to every line of every file of a source's landing folder.
 * Plain data only, shared by the pure line classifier (classify.ts), the file reader
 * (ingest.ts), the engine that stores the result and the reconciliation report.
 *
 * Accounting, per source and per file (each line falls in exactly one category):
 *
 *     lines_read = accepted + rejected + blank + duplicate_delivery + erased
 *
 * `erased` counts the lines of people on the erasure list (`stedi forget`, erasure.ts): neither
 * stored nor quarantined, never shown.
 * `tolerated` counts how many lines needed each tolerated repair (BOM, CRLF and trailing comma:
 * whatever became of the line; key case and coercion: accepted records). They are sub-counts,
 * reported for the record, never another way for a line to go missing.
 */

/** How a declared `data_type` is checked. Other types are refused before any file is read. */
export type ColumnKind = 'varchar' | 'bigint' | 'integer' | 'smallint' | 'tinyint' | 'double' | 'boolean';

export interface LandingColumn {
  /** As declared in YAML; also the key that is looked up (case-insensitively) in each record. */
  name: string;
  kind: ColumnKind;
  /** The declared type, upper case, e.g. BIGINT (for the engine's table). */
  sqlType: string;
  /** A `double` kind declared real, float or float4: both engines store it as a 32-bit float. */
  float32?: boolean;
  /**
   * Set on a derived column (`derived: {pseudonym_of: <column>}` in YAML): the column whose value
   * it is the pseudonym of. Never read from a record; computed at ingestion (derive.ts).
   */
  pseudonym_of?: string;
  /** `meta: {identity: person | device}` in YAML: what the column identifies, for erasure (erasure.ts). */
  identity?: 'person' | 'device';
}

/** A typed value of an accepted record: bigint columns carry a JS bigint (exact to 64 bits). */
export type LandingValue = string | number | bigint | boolean | null;

export type RejectReason =
  | 'invalid_utf8'
  | 'invalid_json'
  | 'truncated_record'
  | 'not_an_object'
  | 'duplicate_key'
  | 'type_mismatch'
  | 'no_declared_field'
  | 'line_too_long';

/** One quarantined line. `raw` is the line as delivered (it may hold personal data); for `line_too_long`, its first RAW_PREFIX_BYTES only. */
export interface RejectRow {
  file: string;
  line: number;
  reason: RejectReason;
  /** What is wrong, never the value itself (safe for logs and error messages). */
  detail: string;
  raw: string;
}

export interface Tolerated {
  /** Lines that started with a byte-order mark (removed). */
  bom: number;
  /** Lines that ended with CR LF (the CR removed). */
  crlf: number;
  /** Records followed by a comma (`{…},`; the comma removed). */
  trailing_comma: number;
  /** Records where a key matched its column only case-insensitively (`timeStamp` → timestamp). */
  case_folded_keys: number;
  /** Records where a value was coerced: a number sent as an exact numeric string, a number or boolean for a text column. */
  coerced_values: number;
}

export type FileStatus = 'ingested' | 'empty' | 'duplicate';

export interface FileReport {
  /** The path as read (the source location joined with the file name). */
  file: string;
  bytes: number;
  /** sha256 of the bytes, hex. */
  sha256: string;
  /** `empty`: no record at all (0 bytes or only blank lines); `duplicate`: same bytes as `duplicate_of`. */
  status: FileStatus;
  duplicate_of?: string;
  lines: number;
  accepted: number;
  rejected: number;
  blank: number;
  duplicate_delivery: number;
  /** Lines of erased people (absent in reports written before erasure existed: 0). */
  erased?: number;
  tolerated: Tolerated;
  /** The last line had no line feed (a complete record there is fine; a cut one is `truncated_record`). */
  no_final_newline: boolean;
  /** Keys that match no declared column (case-insensitively), reported once per file; their values are ignored. */
  unknown_keys: string[];
  /** The first few rejects of the file: line, reason and detail, never the raw text. */
  first_rejects: { line: number; reason: RejectReason; detail: string }[];
  /**
   * Every rejected line of the file by reason (they add up to `rejected`); present when the file
   * has rejects. A report written before stedi counted them has only `first_rejects`.
   */
  rejected_by_reason?: Partial<Record<RejectReason, number>>;
}

export interface LandingTotals {
  files: number;
  lines_read: number;
  accepted: number;
  rejected: number;
  blank: number;
  duplicate_delivery: number;
  erased?: number;
  tolerated: Tolerated;
  empty_files: number;
  duplicate_files: number;
  /** Entries of the landing folder that are not landing files (not `*.json`, or folders): never read. */
  skipped_files: number;
}

export interface LandingReport {
  /** `landing.customer` */
  source: string;
  /** `landing.customer`, `landing.customer__rejects` (for messages; unquoted). */
  relation: string;
  rejects_relation: string;
  location: string;
  on_malformed: 'quarantine' | 'fail';
  files: FileReport[];
  /** Names of the skipped entries (file names only, as found in the folder). */
  skipped: string[];
  totals: LandingTotals;
  /** Human-readable findings, one per file and kind (never a value of a record). */
  warnings: string[];
  /**
   * Earlier files found changed (their rows replaced) or no longer in the landing location
   * (their rows dropped, or kept: counted the first time only) by this build; absent when none.
   * Either makes the source's result a warning.
   */
  file_changes?: { changed: number; removed: number };
  /**
   * The fingerprint of the pseudonymisation key the derived columns were computed with (derive.ts:
   * not secret, it identifies the key without revealing it), when the source has derived columns.
   * Recorded so that a key change can be told apart: every derived value changes with the key.
   */
  key_fingerprint?: string;
}

/**
 * The longest landing line read, in bytes (without its line feed), unless a source sets
 * `config: {max_line_bytes: …}`. A STEDI record is a few hundred bytes (a customer ~400, a
 * reading ~100); 1 MiB leaves a thousand times that, while a line is held in memory whole (as
 * bytes, as text and parsed) and its raw text may be stored in `<table>__rejects`. A longer line
 * is a `line_too_long` reject; only its first RAW_PREFIX_BYTES are kept.
 */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;
/**
 * The highest `max_line_bytes` a source may set: Athena reads rows of at most 32 MB (a longer
 * line could never be published there), and a Node string holds at most ~512 M characters.
 */
export const MAX_MAX_LINE_BYTES = 32 << 20;
/** What the `raw` of a `line_too_long` reject keeps: the first bytes of the line (cut at a character boundary). */
export const RAW_PREFIX_BYTES = 1024;

export function emptyTolerated(): Tolerated {
  return { bom: 0, crlf: 0, trailing_comma: 0, case_folded_keys: 0, coerced_values: 0 };
}

/** The columns of every `<table>__rejects`, on every engine: one row per quarantined line. */
export const REJECTS_COLUMNS = [
  { name: 'file', data_type: 'varchar', description: 'The landing file the line came from (a path, or an s3:// URI on Athena).' },
  { name: 'line', data_type: 'bigint', description: 'Line number in that file, from 1.' },
  { name: 'reason', data_type: 'varchar', description: 'Why the line was quarantined (invalid_json, type_mismatch, ...).' },
  { name: 'detail', data_type: 'varchar', description: 'What is wrong, never the value itself.' },
  { name: 'raw', data_type: 'varchar', description: 'The line as delivered; may hold personal data.' },
] as const;
