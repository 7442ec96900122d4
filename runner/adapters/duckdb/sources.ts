/**
 * Landing ingestion on DuckDB: every line of a source's landing files becomes a row of the
 * source table (`landing.<table>`, the declared columns, typed) or of its rejects table
 * (`landing.<table>__rejects`: file, line, reason, detail, raw).
 *
 * Both tables are versions in the lake like every other table
 * (`<lake>/<entity>/landing/<table>[__rejects]/v=<version>/part-*.parquet`): rows are appended to
 * connection-local staging tables and written out as Parquet parts every few million rows (so
 * memory stays bounded), the parts are counted back against the classification (the audit:
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
import { ingestLanding, sourceSpec, type LandingSink } from '../../landing/ingest.js';
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
  rows = 0;
  written = 0;
  private parts = 0;
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
    this.rows++;
    this.staged++;
  }

  /** Writes a part when enough rows are staged (awaited between chunks of the landing files). */
  async maybeFlush(): Promise<void> {
    if (this.staged >= PART_ROWS) await this.flush();
  }

  /** Writes what is left; a table without any row still gets one (empty) part: its schema. */
  async finish(): Promise<void> {
    if (this.staged > 0 || this.parts === 0) await this.flush();
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
    const file = `${this.dir}/part-${String(this.parts++).padStart(5, '0')}.parquet`;
    const copied = await this.c.runAndReadAll(`COPY temp.${q(this.table)} TO ${lit(file)} (FORMAT parquet)`);
    this.written += Number(copied.rowsChanged);
    await this.c.run(`DELETE FROM temp.${q(this.table)}`);
    this.staged = 0;
    this.appender = await this.c.createAppender(this.table, 'main', 'temp');
  }
}

export interface StagedLanding {
  report: LandingReport;
  accepted: StagedParts;
  rejects: StagedParts;
}

/**
 * Reads and classifies the source's landing files into Parquet parts under the two version
 * folders (made by the caller, with their markers). Throws when a line is malformed under
 * `on_malformed: fail` or when what was written does not reconcile with what was read.
 */
export async function stageLanding(c: DuckDBConnection, node: SourceNode, dirs: { accepted: string; rejects: string }, opts: { signal?: AbortSignal; key?: PseudonymKey } = {}): Promise<StagedLanding> {
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
    const report = await ingestLanding(
      sourceSpec(node, columns, { accepted: `${rel.schema}.${rel.identifier}`, rejects: `${rej.schema}.${rej.identifier}` }, node.location, opts.key),
      sink,
      signal ? { signal } : {},
    );
    const failed = malformedError(report);
    if (failed) throw new EngineError(failed);
    await accepted.finish();
    await rejects.finish();
    // the audit: what the Parquet parts hold is what was classified, and every line is accounted for
    const problem = balanceProblem(report, { accepted: accepted.written, rejected: rejects.written });
    if (problem) throw new EngineError(problem);
    return { report, accepted, rejects };
  } finally {
    accepted.close();
    rejects.close();
  }
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

/** Inside the publishing transaction: the ingestion record of every file of the source. */
export async function recordFiles(c: DuckDBConnection, report: LandingReport): Promise<void> {
  await c.run(`DELETE FROM _stedi.landing_files WHERE source = ${lit(report.source)}`);
  for (const f of report.files) {
    const t = f.tolerated;
    const keys = `[${f.unknown_keys.map(lit).join(', ')}]::VARCHAR[]`;
    await c.run(`INSERT INTO _stedi.landing_files VALUES (${lit(report.source)}, ${lit(f.file)}, ${lit(f.status)}, ${f.duplicate_of ? lit(f.duplicate_of) : 'NULL'}, ${f.bytes}, ${lit(f.sha256)}, ${f.lines}, ${f.accepted}, ${f.rejected}, ${f.blank}, ${f.duplicate_delivery}, ${t.bom}, ${t.crlf}, ${t.trailing_comma}, ${t.case_folded_keys}, ${t.coerced_values}, ${f.no_final_newline}, ${keys}, now())`);
  }
}
