/**
 * Landing ingestion on DuckDB: every line of a source's landing files becomes a row of the
 * source table (`landing.<table>`, the declared columns, typed) or of its rejects table
 * (`landing.<table>__rejects`: file, line, reason, detail, raw).
 *
 * Both tables are versions in the lake like every other table
 * (`<lake>/<entity>/landing/<table>[__rejects]/v=<version>/part-*.parquet`): a file whose every
 * line is canonical becomes a part of its own in one DuckDB query (canonical.ts; unless the target
 * says `landing_reader: classifier`); the classifier's rows are appended to connection-local
 * staging tables and written out as Parquet parts every few million rows (so memory stays
 * bounded), the parts are counted back against the classification (the audit:
 * lines read = accepted + rejected + blank + duplicate_delivery, and what was written equals what
 * was classified), and one catalog transaction then switches both views, records the versions
 * and the ingestion record (`_stedi.landing_files`) and runs the executor's gate (the volume
 * guards). A malformed line under `on_malformed: fail`, a read or write error, a refused gate,
 * Ctrl-C or a killed process leave the previously published tables as they were.
 *
 * Why Parquet versions and not tables inside the catalog: the catalog file stays small, readers
 * see the landing tables during a build (runner/adapters/duckdb/reader.ts), a damaged catalog
 * loses no data, and the layout is the Athena target's.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { SourceNode } from '../../manifest/types.js';
import { landingColumns } from '../../landing/classify.js';
import { derivationProblems, type PseudonymKey } from '../../landing/derive.js';
import type { ErasureList } from '../../landing/erasure.js';
import fs from 'node:fs';
import { ingestSource, sourceSpec, type LandingSink } from '../../landing/ingest.js';
import type { BatchWriter, NotRead } from '../../landing/incremental.js';
import type { FileState, Part, SourceState } from '../../landing/state.js';
import { duckdbCanonicalReader } from './canonical.js';
import { insertLandingFileRows, insertLandingStateRows } from './catalog.js';
import { toQueryResult } from './values.js';
import { balanceProblem, malformedError } from '../../landing/report.js';
import { REJECTS_COLUMNS, type LandingColumn, type LandingReport, type LandingValue } from '../../landing/types.js';
import { EngineError } from '../types.js';

const q = duckdbDialect.quoteIdent;
const lit = duckdbDialect.quoteString;

/** Rows staged in memory before they are written out as a Parquet part. */
const PART_ROWS = 4_000_000;

/** The rejects relation of a source (the manifest carries it; older manifests did not). */
export function rejectsRelation(node: SourceNode): { schema: string; identifier: string; rendered: string } {
  return node.rejects_relation ?? duckdbDialect.relation(node.relation.schema, `${node.relation.identifier}__rejects`);
}

/** A user error of the source's declaration, found before any file is read. */
export function sourceColumns(node: SourceNode): LandingColumn[] {
  const { columns, problems } = landingColumns(node.columns);
  problems.push(...derivationProblems(columns));
  if (problems.length) throw new EngineError(`cannot ingest ${node.source_name}.${node.name}: ${problems.join('; ')}`);
  return columns;
}

/**
 * A connection-local staging table written out as Parquet parts into a version folder. The
 * appender is closed, the rows copied out and the table emptied whenever it holds PART_ROWS.
 */
class StagedParts {
  /** The parts written, in row order, with their rows. */
  readonly parts: Part[] = [];
  private appender?: DuckDBAppender;
  private staged = 0;

  constructor(
    private readonly c: DuckDBConnection,
    private readonly table: string,
    readonly dir: string,
  ) {}

  async start(columnsDdl: string): Promise<void> {
    await this.c.run(`CREATE OR REPLACE TEMP TABLE ${q(this.table)} (${columnsDdl})`);
    this.appender = await this.c.createAppender(this.table, 'main', 'temp');
  }

  get a(): DuckDBAppender {
    if (!this.appender) throw new Error('internal: staging table used before start()');
    return this.appender;
  }

  endRow(): void {
    this.a.endRow();
    this.staged++;
  }

  /** The path of the next part (a part written elsewhere, then adopted). */
  nextPart(): string {
    return `${this.dir}/part-${String(this.parts.length).padStart(5, '0')}.parquet`;
  }

  /**
   * Takes a part written elsewhere (at `nextPart()`) as the next one. Only before any row is
   * staged: the fast path runs first (fast-path.ts), so a staged row would mean the order broke.
   */
  async adopt(part: Part): Promise<void> {
    if (this.staged > 0 || part.path !== this.nextPart()) throw new Error(`internal: part ${part.path} adopted out of turn`);
    this.parts.push(part);
  }

  /** Writes a part when enough rows are staged (awaited between chunks of the landing files). */
  async maybeFlush(): Promise<void> {
    if (this.staged >= PART_ROWS) await this.flush();
  }

  /** Writes what is left; a table without any row still gets one (empty) part: its schema. */
  async finish(): Promise<void> {
    if (this.staged > 0 || this.parts.length === 0) await this.flush();
    this.close();
    await this.c.run(`DROP TABLE IF EXISTS temp.${q(this.table)}`);
  }

  close(): void {
    try {
      this.appender?.closeSync();
    } catch {
      // the staging table is dropped (or the connection closed) anyway
    }
    this.appender = undefined;
  }

  private async flush(): Promise<void> {
    this.a.closeSync();
    this.appender = undefined;
    const file = this.nextPart();
    const copied = await this.c.runAndReadAll(`COPY temp.${q(this.table)} TO ${lit(file)} (FORMAT parquet)`);
    this.parts.push({ path: file, rows: Number(copied.rowsChanged) });
    await this.c.run(`DELETE FROM temp.${q(this.table)}`);
    this.staged = 0;
    this.appender = await this.c.createAppender(this.table, 'main', 'temp');
  }
}

export interface StagedLanding {
  report: LandingReport;
  state: SourceState;
  /** Files read by this build. */
  read: number;
  /** The files it did not read, by why. */
  notRead: NotRead;
  /** Of those, the files read by DuckDB's JSON reader (every line canonical; canonical.ts). */
  canonical: number;
}

export interface StageOptions {
  signal?: AbortSignal;
  previous?: SourceState;
  fullRefresh?: boolean;
  /** Classifier threads (target ingest_threads, --ingest-threads); default one per core. */
  threads?: number;
  /** The pseudonymisation key of derived columns (runner/landing/derive.ts). */
  key?: PseudonymKey;
  /** The lake's erasure list (runner/landing/erasure.ts): the records of erased people are left out. */
  erasure?: ErasureList;
  /**
   * Target `landing_reader`: `auto` (default) lets DuckDB's JSON reader take the files whose
   * every line is canonical (canonical.ts); `classifier` classifies every line in the runner.
   */
  reader?: 'auto' | 'classifier';
}

/**
 * Ingests the source's landing files into the two version folders (made by the caller, with
 * their markers): the files that are new or changed since `previous` are read into new Parquet
 * parts, the earlier parts that hold rows that must leave are rewritten there, and every other
 * part is kept where it is (runner/landing/incremental.ts). Lines are classified on
 * `threads` threads (default: one per core). Throws when a line is malformed under
 * `on_malformed: fail` or when the parts do not hold exactly the rows the files account for.
 */
export async function stageLanding(c: DuckDBConnection, node: SourceNode, dirs: { accepted: string; rejects: string }, opts: StageOptions = {}): Promise<StagedLanding> {
  const { signal } = opts;
  const columns = sourceColumns(node);
  const rel = node.relation;
  const rej = rejectsRelation(node);
  const accepted = new StagedParts(c, 'stedi_landing_rows', dirs.accepted);
  const rejects = new StagedParts(c, 'stedi_landing_rejects', dirs.rejects);
  try {
    await accepted.start(columns.map((col) => `${q(col.name)} ${col.sqlType}`).join(', '));
    await rejects.start(REJECTS_COLUMNS.map((col) => `${q(col.name)} ${col.data_type.toUpperCase()}`).join(', '));
    const put = columns.map(appendFn);
    const sink: LandingSink = {
      accept(values: LandingValue[]) {
        const a = accepted.a;
        for (let i = 0; i < put.length; i++) {
          const v = values[i];
          if (v === null || v === undefined) a.appendNull();
          else put[i]!(a, v);
        }
        accepted.endRow();
      },
      reject(r) {
        const a = rejects.a;
        a.appendVarchar(r.file);
        a.appendBigInt(BigInt(r.line));
        a.appendVarchar(r.reason);
        a.appendVarchar(r.detail);
        a.appendVarchar(r.raw);
        rejects.endRow();
      },
      async drain() {
        await accepted.maybeFlush();
        await rejects.maybeFlush();
      },
    };
    const canonical = opts.reader !== 'classifier' ? duckdbCanonicalReader(c, accepted, columns) : undefined;
    let rewritten = 0;
    const writer: BatchWriter = {
      sink,
      async finish() {
        await accepted.finish();
        await rejects.finish();
        return { accepted: accepted.parts, rejects: rejects.parts };
      },
      async rewrite(kind, part, drop) {
        const file = `${kind === 'accepted' ? dirs.accepted : dirs.rejects}/rw-${String(rewritten++).padStart(5, '0')}.parquet`;
        return rewritePart(c, part, drop, file);
      },
    };
    const spec = { ...sourceSpec(node, columns, { accepted: `${rel.schema}.${rel.identifier}`, rejects: `${rej.schema}.${rej.identifier}` }, node.location, opts.key), ...(opts.erasure ? { erasure: opts.erasure } : {}) };
    const result = await ingestSource(spec, writer, {
      ...(signal ? { signal } : {}),
      ...(opts.previous ? { previous: opts.previous } : {}),
      ...(opts.fullRefresh ? { fullRefresh: true } : {}),
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(canonical ? { canonical } : {}),
      onRemoved: node.config.on_removed_file === 'drop' ? 'drop' : 'keep',
    });
    const failed = malformedError(result.report);
    if (failed) throw new EngineError(failed);
    // the audit: the parts on disk hold what the files account for, and every line is accounted for
    const stored = await countParts(c, result.state.parts);
    const problem = balanceProblem(result.report, stored);
    if (problem) throw new EngineError(problem);
    return { report: result.report, state: result.state, read: result.read, notRead: result.notRead, canonical: canonical?.taken ?? 0 };
  } finally {
    accepted.close();
    rejects.close();
  }
}

/** `part` without the rows in `drop`, written to `file` in the same order; undefined (and no file) when no row is left. */
async function rewritePart(c: DuckDBConnection, part: Part, drop: [number, number][], file: string): Promise<Part | undefined> {
  const gone = drop.map(([a, b]) => `(file_row_number >= ${a} AND file_row_number < ${b})`).join(' OR ');
  const copied = await c.runAndReadAll(`COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet(${lit(part.path)}, file_row_number = true, hive_partitioning = false) WHERE NOT (${gone}) ORDER BY file_row_number) TO ${lit(file)} (FORMAT parquet)`);
  const rows = Number(copied.rowsChanged);
  const expected = part.rows - drop.reduce((n, [a, b]) => n + (b - a), 0);
  if (rows !== expected) throw new EngineError(`rewriting ${part.path} kept ${rows} rows where ${expected} were expected; nothing is published`);
  if (rows > 0) return { path: file, rows };
  fs.rmSync(file, { force: true });
  return undefined;
}

/** The rows the parts hold, read back from their Parquet footers. */
async function countParts(c: DuckDBConnection, parts: { accepted: Part[]; rejects: Part[] }): Promise<{ accepted: number; rejected: number }> {
  const count = async (ps: Part[]) => {
    if (!ps.length) return 0;
    const r = await c.runAndReadAll(`SELECT count(*) FROM read_parquet([${ps.map((p) => lit(p.path)).join(', ')}], hive_partitioning = false)`);
    return Number(r.getRows()[0]?.[0] ?? -1);
  };
  return { accepted: await count(parts.accepted), rejected: await count(parts.rejects) };
}

function appendFn(col: LandingColumn): (a: DuckDBAppender, v: Exclude<LandingValue, null>) => void {
  switch (col.kind) {
    case 'varchar': return (a, v) => a.appendVarchar(v as string);
    case 'bigint': return (a, v) => a.appendBigInt(v as bigint);
    case 'integer': return (a, v) => a.appendInteger(v as number);
    case 'smallint': return (a, v) => a.appendSmallInt(v as number);
    case 'tinyint': return (a, v) => a.appendTinyInt(v as number);
    case 'boolean': return (a, v) => a.appendBoolean(v as boolean);
    case 'double': return /^(FLOAT|FLOAT4|REAL)$/.test(col.sqlType) ? (a, v) => a.appendFloat(v as number) : (a, v) => a.appendDouble(v as number);
  }
}

/** Catalogs of earlier stedi versions held the landing tables inside the catalog: dropped when the views replace them. */
export async function dropLegacyTable(c: DuckDBConnection, schema: string, name: string): Promise<void> {
  const found = await c.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE schema_name = ${lit(schema)} AND table_name = ${lit(name)} AND NOT temporary`);
  if (Number(found.getRows()[0]?.[0] ?? 0) > 0) await c.run(`DROP TABLE ${q(schema)}.${q(name)}`);
}

/** Inside the publishing transaction: the ingestion record of every file of the source, and its state. */
export async function recordFiles(c: DuckDBConnection, state: SourceState): Promise<void> {
  await c.run(`DELETE FROM _stedi.landing_files WHERE source = ${lit(state.source)}`);
  await insertLandingFileRows(c, state.files.map((f) => landingFileRow(state.source, f)));
  await c.run(`DELETE FROM _stedi.landing_state WHERE source = ${lit(state.source)}`);
  await insertLandingStateRows(c, [{ source: state.source, location: state.location, fingerprint: state.fingerprint, accepted_parts: JSON.stringify(state.parts.accepted), rejects_parts: JSON.stringify(state.parts.rejects) }]);
}

function landingFileRow(source: string, f: FileState): Record<string, unknown> {
  const t = f.tolerated;
  return {
    source, file: f.file, status: f.status, duplicate_of: f.duplicate_of ?? null, bytes: f.bytes, sha256: f.sha256, lines: f.lines, accepted: f.accepted, rejected: f.rejected, blank: f.blank, duplicate_delivery: f.duplicate_delivery,
    bom: t.bom, crlf: t.crlf, trailing_comma: t.trailing_comma, case_folded_keys: t.case_folded_keys, coerced_values: t.coerced_values, no_final_newline: f.no_final_newline, unknown_keys: f.unknown_keys,
    ingested_at: f.ingested_at ?? null, name: f.name, file_version: f.version ?? null, removed: f.removed ?? false, segments: JSON.stringify(f.segments), first_rejects: JSON.stringify(f.first_rejects), erased: f.erased ?? 0,
    rejected_by_reason: f.rejected_by_reason ? JSON.stringify(f.rejected_by_reason) : null,
  };
}

/**
 * The state of the source's last published ingestion, from the catalog; undefined when there is
 * none, or when it was recorded by a stedi that kept no segments (every file is then read again).
 */
export async function loadState(c: DuckDBConnection, source: string): Promise<SourceState | undefined> {
  const head = toQueryResult(await c.runAndReadAll(`SELECT * FROM _stedi.landing_state WHERE source = ${lit(source)}`)).rows[0];
  if (!head) return undefined;
  const rows = toQueryResult(await c.runAndReadAll(`SELECT * FROM _stedi.landing_files WHERE source = ${lit(source)} ORDER BY name`)).rows;
  if (rows.some((r) => typeof r.segments !== 'string' || typeof r.name !== 'string')) return undefined;
  const n = (x: unknown) => Number(x ?? 0);
  const files: FileState[] = rows.map((r) => ({
    file: String(r.file), bytes: n(r.bytes), sha256: String(r.sha256), status: r.status as FileState['status'], ...(r.duplicate_of ? { duplicate_of: String(r.duplicate_of) } : {}),
    lines: n(r.lines), accepted: n(r.accepted), rejected: n(r.rejected), blank: n(r.blank), duplicate_delivery: n(r.duplicate_delivery), ...(n(r.erased) ? { erased: n(r.erased) } : {}),
    tolerated: { bom: n(r.bom), crlf: n(r.crlf), trailing_comma: n(r.trailing_comma), case_folded_keys: n(r.case_folded_keys), coerced_values: n(r.coerced_values) },
    no_final_newline: r.no_final_newline === true, unknown_keys: Array.isArray(r.unknown_keys) ? (r.unknown_keys as unknown[]).map(String) : [],
    first_rejects: typeof r.first_rejects === 'string' ? (JSON.parse(r.first_rejects) as FileState['first_rejects']) : [],
    ...(typeof r.rejected_by_reason === 'string' ? { rejected_by_reason: JSON.parse(r.rejected_by_reason) as NonNullable<FileState['rejected_by_reason']> } : {}),
    name: String(r.name), ...(r.file_version ? { version: String(r.file_version) } : {}), ...(r.removed === true ? { removed: true } : {}),
    segments: JSON.parse(String(r.segments)) as FileState['segments'], ...(r.ingested_at ? { ingested_at: String(r.ingested_at) } : {}),
  }));
  return {
    source, location: String(head.location), fingerprint: String(head.fingerprint), files,
    parts: { accepted: JSON.parse(String(head.accepted_parts)) as Part[], rejects: JSON.parse(String(head.rejects_parts)) as Part[] },
  };
}
