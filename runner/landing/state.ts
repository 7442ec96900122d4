/**
 * What stedi remembers of a source's landing ingestion between builds, so that a build reads only
 * the files that are new or changed. Plain data: the engines store it (DuckDB in
 * `_stedi.landing_files` and `_stedi.published`, Athena in a JSON object beside the table that the
 * published Glue table points at) and hand it back to the next build.
 *
 * A landing table is a list of **parts** (Parquet files locally, gzipped JSON-lines objects on
 * S3), each with its row count. Every ingested file knows where its rows are: **segments**, i.e.
 * ranges of rows of one part, in the order the file's lines were read. A file that changed, was
 * removed (with `on_removed_file: drop`) or became a duplicate loses its rows by rewriting only the
 * parts that hold them; every other part is kept as it is. So the state equals, row for row, what
 * a full refresh of the same files gives (the incremental property test proves it).
 */
import { createHash } from 'node:crypto';
import type { FileReport, LandingColumn } from './types.js';

/** One stored part of a landing table or of its rejects table. */
export interface Part {
  /** The part's path (a local Parquet file) or s3:// URI. */
  path: string;
  rows: number;
}

/** `count` rows of `part`, from row `first` (0-based, in the part's row order). */
export interface Segment {
  part: string;
  first: number;
  count: number;
}

export interface FileState extends FileReport {
  /** The name inside the landing location. */
  name: string;
  /** What the store says of the file when it was read: a local stat stamp or an S3 ETag. */
  version?: string;
  /** Set when the file is no longer in the landing location and its rows were kept (on_removed_file: keep). */
  removed?: boolean;
  /** Where its accepted rows and its rejects are. */
  segments: { accepted: Segment[]; rejects: Segment[] };
  /** When its rows were stored (kept across builds while the file is unchanged); unset for a file read by this build. */
  ingested_at?: string;
}

export interface SourceState {
  source: string;
  /** The landing location the files were read from (a change re-ingests everything). */
  location: string;
  /** What the rows depend on besides the files (ingestFingerprint): a change re-ingests everything. */
  fingerprint: string;
  files: FileState[];
  parts: { accepted: Part[]; rejects: Part[] };
}

/**
 * Bumped whenever the classifier or the stored form of a row changes in a way that could give
 * another row for the same line: every source is then re-ingested once.
 */
export const INGEST_FORMAT = 1;

/**
 * What, besides the files, decides the rows of a source: its columns, the line limit, the
 * malformed-line policy, the ingestion format and the fingerprint of any key used to derive a
 * column. Not secret (the key's fingerprint is itself a one-way value).
 */
export function ingestFingerprint(spec: { columns: LandingColumn[]; max_line_bytes?: number; on_malformed: string; derive_fingerprint?: string }): string {
  const basis = JSON.stringify({
    format: INGEST_FORMAT,
    columns: spec.columns.map((c) => [c.name, c.kind, c.sqlType, c.float32 ?? false]),
    max_line_bytes: spec.max_line_bytes ?? null,
    on_malformed: spec.on_malformed,
    derive: spec.derive_fingerprint ?? null,
  });
  return createHash('sha256').update(basis).digest('hex').slice(0, 32);
}

/** The report part of a file's state (what the landing report lists). */
export function reportOf(f: FileState): FileReport {
  const { name: _n, version: _v, removed: _r, segments: _s, ingested_at: _i, ...report } = f;
  return report;
}

/** Rows of the parts (for the balance check and the volume guard). */
export function partRows(parts: Part[]): number {
  return parts.reduce((n, p) => n + p.rows, 0);
}

/** The rows each file's segments hold, summed; equal to the parts' rows when the state is whole. */
export function segmentRows(files: FileState[], kind: 'accepted' | 'rejects'): number {
  let n = 0;
  for (const f of files) for (const s of f.segments[kind]) n += s.count;
  return n;
}

/**
 * A state read back from storage that does not hold together (segments outside their parts, rows
 * counted twice or not at all, counts that differ from the segments) is refused: stedi then reads
 * every file again rather than publish a table it cannot account for. Returns the problem.
 */
export function stateProblem(s: SourceState): string | undefined {
  for (const kind of ['accepted', 'rejects'] as const) {
    const rows = new Map(s.parts[kind].map((p) => [p.path, p.rows]));
    const covered = new Map<string, [number, number][]>();
    for (const f of s.files) {
      const want = kind === 'accepted' ? f.accepted : f.rejected;
      const have = f.segments[kind].reduce((n, x) => n + x.count, 0);
      if ((f.status === 'ingested' && have !== want) || (f.status !== 'ingested' && have !== 0)) return `${kind} segments of a file do not match its counts`;
      for (const seg of f.segments[kind]) {
        const total = rows.get(seg.part);
        if (total === undefined || seg.first < 0 || seg.count < 1 || seg.first + seg.count > total) return `a ${kind} segment lies outside its part`;
        const list = covered.get(seg.part) ?? [];
        list.push([seg.first, seg.first + seg.count]);
        covered.set(seg.part, list);
      }
    }
    for (const [part, total] of rows) {
      const list = (covered.get(part) ?? []).sort((a, b) => a[0] - b[0]);
      let at = 0;
      for (const [from, to] of list) {
        if (from !== at) return `rows of a ${kind} part belong to no file, or to two`;
        at = to;
      }
      if (at !== total) return `rows of a ${kind} part belong to no file`;
    }
  }
  return undefined;
}
