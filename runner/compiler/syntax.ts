/**
 * SQL syntax errors at compile time. The lineage parser (sqlparser-rs) reads every compiled SQL
 * text; it is fast but does not know every construct of each engine (DuckDB's `USING SAMPLE`,
 * `PIVOT`, FROM-first queries…). So a text it cannot read is only a suspect: the target engine's
 * own parser judges it (a `SqlJudge` the caller hands in: the compiler does no I/O). Without one —
 * Athena, whose parser cannot be asked without running a query — a suspect is an error only when
 * no dialect of the lineage parser reads it either; otherwise it is taken as a parser gap and the
 * engine judges it at run time. Pure.
 */
import { parseProblem, parserDialect, parsesInSomeDialect } from '../lineage/parser.js';
import { lineColumn } from './source-map.js';

/** Why a parser rejects a SQL text: its message and, when it says, the 0-based character offset. */
export interface SqlRejection {
  message: string;
  offset?: number;
}

/** An engine's own parser: for each SQL text, undefined when it parses, else why not. */
export type SqlJudge = (sqls: string[]) => (SqlRejection | undefined)[];

/**
 * Judges by parser, per dialect name. Without one, a Trino dialect (athena) is judged by `parserJudge` (its
 * engine's parser cannot be asked without running a query), and `duckdb` suspects are left to the
 * engine at run time: the CLI always hands in DuckDB's parser; library callers may not.
 */
export type SqlJudges = Partial<Record<string, SqlJudge>>;


/** A text no dialect of the lineage parser reads is rejected, with the target dialect's message and position. */
export function parserJudge(dialect: string): SqlJudge {
  return (sqls) =>
    sqls.map((sql) => {
      if (parsesInSomeDialect(sql)) return undefined;
      const p = parseProblem(sql, dialect);
      if (!p) return undefined;
      return { message: p.message, offset: p.line ? offsetAt(sql, p.line, p.column ?? 1) : sql.length };
    });
}

/** A dialect the lineage parser reads as generic SQL (Trino's) is judged by it; the engine's own parser needs a running engine. */
function defaultJudge(dialect: string): SqlJudge | undefined {
  return parserDialect(dialect) === 'generic' ? parserJudge(dialect) : undefined;
}

export interface SyntaxError {
  message: string;
  /** 1-based, in the SQL text. */
  line: number;
  column: number;
}

/**
 * The texts that do not parse: each suspect of the lineage parser asked of the judge of its
 * dialect, all suspects of a dialect in one call (the judge may be slow to start).
 */
export function syntaxErrors(texts: { sql: string; dialect: string }[], judges: SqlJudges = {}): (SyntaxError | undefined)[] {
  const out: (SyntaxError | undefined)[] = texts.map(() => undefined);
  const suspects = new Map<string, number[]>();
  const problems = texts.map((t) => parseProblem(t.sql, t.dialect));
  texts.forEach((t, i) => {
    if (problems[i]) suspects.set(t.dialect, [...(suspects.get(t.dialect) ?? []), i]);
  });
  for (const [dialect, idx] of suspects) {
    const judge = judges[dialect] ?? defaultJudge(dialect);
    if (!judge) continue;
    const verdicts = judge(idx.map((i) => texts[i]!.sql));
    idx.forEach((i, k) => {
      const v = verdicts[k];
      if (!v) return;
      const sql = texts[i]!.sql;
      // where the judge does not say, where the lineage parser stopped
      const p = problems[i]!;
      const offset = v.offset ?? (p.line ? offsetAt(sql, p.line, p.column ?? 1) : sql.length);
      const at = lineColumn(sql, Math.min(Math.max(offset, 0), sql.length));
      out[i] = { message: v.message, ...at };
    });
  }
  return out;
}

/** The 0-based offset of the 1-based line and column. */
export function offsetAt(text: string, line: number, column: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  return Math.min(at + column - 1, text.length);
}

/** The compiled line, shortened for a message. */
export function compiledLine(sql: string, line: number): string {
  const text = (sql.split('\n')[line - 1] ?? '').trim();
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
