/**
 * Landing ingestion on DuckDB: every line of a source's landing files becomes a row of the
 * source table (`landing.<table>`, the declared columns, typed) or of its rejects table
 * (`landing.<table>__rejects`: file, line, reason, detail, raw), both kept in the catalog.
 *
 * Write-audit-publish in one DuckDB transaction: both tables are replaced, filled, counted back
 * (the audit: lines read = accepted + rejected + blank + duplicate_delivery, and the stored row
 * counts equal the classified ones) and committed together with the ingestion record
 * (`_stedi.landing_files`). A malformed line under `on_malformed: fail`, a read or write error,
 * Ctrl-C or a killed process roll back: the previously published tables stay as they were.
 *
 * Why tables in the catalog and not Parquet versions under lake/: the landing zone already is
 * the delivered JSON; this is the engine's parsed copy of it, not a zone table. One transaction
 * publishes accepted rows, rejects and the ingestion record together, with no extra version
 * folder to write, point at and clean up, and the lake's folders keep the layout of the S3 zones.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { SourceNode } from '../../manifest/types.js';
import { landingColumns } from '../../landing/classify.js';
import { ingestLanding, type LandingSink } from '../../landing/ingest.js';
import { LandingReadError } from '../../landing/store.js';
import { balanceProblem, malformedError } from '../../landing/report.js';
import { REJECTS_COLUMNS, type LandingColumn, type LandingReport, type LandingValue } from '../../landing/types.js';
import { EngineError } from '../types.js';

const q = duckdbDialect.quoteIdent;
const lit = duckdbDialect.quoteString;

/** The rejects relation of a source (the manifest carries it; older manifests did not). */
export function rejectsRelation(node: SourceNode): { schema: string; identifier: string; rendered: string } {
  return node.rejects_relation ?? duckdbDialect.relation(node.relation.schema, `${node.relation.identifier}__rejects`);
}

/** A user error of the source's declaration, found before any file is read. */
export function sourceColumns(node: SourceNode): LandingColumn[] {
  const { columns, problems } = landingColumns(node.columns);
  if (problems.length) throw new EngineError(`cannot ingest ${node.source_name}.${node.name}: ${problems.join('; ')}`);
  return columns;
}

export async function ingestSource(c: DuckDBConnection, node: SourceNode, signal?: AbortSignal): Promise<LandingReport> {
  const columns = sourceColumns(node);
  const rel = node.relation;
  const rej = rejectsRelation(node);
  const onMalformed = node.config.on_malformed === 'fail' ? 'fail' : 'quarantine';
  const appenders: DuckDBAppender[] = [];
  await c.run('BEGIN TRANSACTION');
  try {
    await c.run(`CREATE TABLE IF NOT EXISTS _stedi.landing_files (source VARCHAR, file VARCHAR, status VARCHAR, duplicate_of VARCHAR, bytes BIGINT, sha256 VARCHAR, lines BIGINT, accepted BIGINT, rejected BIGINT, blank BIGINT, duplicate_delivery BIGINT, bom BIGINT, crlf BIGINT, trailing_comma BIGINT, case_folded_keys BIGINT, coerced_values BIGINT, no_final_newline BOOLEAN, unknown_keys VARCHAR[], ingested_at TIMESTAMP)`);
    for (const r of [rel, rej]) await dropView(c, r.schema, r.identifier);
    await c.run(`CREATE OR REPLACE TABLE ${rel.rendered} (${columns.map((col) => `${q(col.name)} ${col.sqlType}`).join(', ')})`);
    await c.run(`CREATE OR REPLACE TABLE ${rej.rendered} (${REJECTS_COLUMNS.map((col) => `${q(col.name)} ${col.data_type.toUpperCase()}`).join(', ')})`);
    const accepted = await c.createAppender(rel.identifier, rel.schema);
    appenders.push(accepted);
    const rejects = await c.createAppender(rej.identifier, rej.schema);
    appenders.push(rejects);
    const put = columns.map((col) => appendFn(accepted, col));
    const sink: LandingSink = {
      accept(values: LandingValue[]) {
        for (let i = 0; i < put.length; i++) {
          const v = values[i];
          if (v === null || v === undefined) accepted.appendNull();
          else put[i]!(v);
        }
        accepted.endRow();
      },
      reject(r) {
        rejects.appendVarchar(r.file);
        rejects.appendBigInt(BigInt(r.line));
        rejects.appendVarchar(r.reason);
        rejects.appendVarchar(r.detail);
        rejects.appendVarchar(r.raw);
        rejects.endRow();
      },
    };
    const report = await ingestLanding(
      { source: `${node.source_name}.${node.name}`, relation: `${rel.schema}.${rel.identifier}`, rejects_relation: `${rej.schema}.${rej.identifier}`, location: node.location, columns, on_malformed: onMalformed },
      sink,
      signal ? { signal } : {},
    );
    for (const a of appenders.splice(0)) a.closeSync();
    const failed = malformedError(report);
    if (failed) throw new EngineError(failed);
    // the audit: what the tables hold is what was classified, and every line is accounted for
    const counted = await c.runAndReadAll(`SELECT (SELECT count(*) FROM ${rel.rendered}) AS accepted, (SELECT count(*) FROM ${rej.rendered}) AS rejected`);
    const [a, r] = counted.getRows()[0] ?? [];
    const problem = balanceProblem(report, { accepted: Number(a), rejected: Number(r) });
    if (problem) throw new EngineError(problem);
    await recordFiles(c, report);
    await c.run('COMMIT');
    return report;
  } catch (e) {
    for (const a of appenders) {
      try {
        a.closeSync();
      } catch {
        // the rollback discards whatever the appender held
      }
    }
    await c.run('ROLLBACK').catch(() => undefined);
    if (e instanceof LandingReadError) throw new EngineError(`${e.message}; the published version is unchanged`, { path: e.path });
    throw e;
  }
}

function appendFn(a: DuckDBAppender, col: LandingColumn): (v: Exclude<LandingValue, null>) => void {
  switch (col.kind) {
    case 'varchar': return (v) => a.appendVarchar(v as string);
    case 'bigint': return (v) => a.appendBigInt(v as bigint);
    case 'integer': return (v) => a.appendInteger(v as number);
    case 'smallint': return (v) => a.appendSmallInt(v as number);
    case 'tinyint': return (v) => a.appendTinyInt(v as number);
    case 'boolean': return (v) => a.appendBoolean(v as boolean);
    case 'double': return /^(FLOAT|FLOAT4|REAL)$/.test(col.sqlType) ? (v) => a.appendFloat(v as number) : (v) => a.appendDouble(v as number);
  }
}

/** Catalogs built before landing ingestion held the source as a view of the same name. */
async function dropView(c: DuckDBConnection, schema: string, name: string): Promise<void> {
  const found = await c.runAndReadAll(`SELECT count(*) FROM duckdb_views() WHERE schema_name = ${lit(schema)} AND view_name = ${lit(name)} AND NOT internal`);
  if (Number(found.getRows()[0]?.[0] ?? 0) > 0) await c.run(`DROP VIEW ${q(schema)}.${q(name)}`);
}

async function recordFiles(c: DuckDBConnection, report: LandingReport): Promise<void> {
  await c.run(`DELETE FROM _stedi.landing_files WHERE source = ${lit(report.source)}`);
  for (const f of report.files) {
    const t = f.tolerated;
    const keys = `[${f.unknown_keys.map(lit).join(', ')}]::VARCHAR[]`;
    await c.run(`INSERT INTO _stedi.landing_files VALUES (${lit(report.source)}, ${lit(f.file)}, ${lit(f.status)}, ${f.duplicate_of ? lit(f.duplicate_of) : 'NULL'}, ${f.bytes}, ${lit(f.sha256)}, ${f.lines}, ${f.accepted}, ${f.rejected}, ${f.blank}, ${f.duplicate_delivery}, ${t.bom}, ${t.crlf}, ${t.trailing_comma}, ${t.case_folded_keys}, ${t.coerced_values}, ${f.no_final_newline}, ${keys}, now())`);
  }
}
