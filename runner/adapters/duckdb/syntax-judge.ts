/**
 * DuckDB's own parser as the compiler's SqlJudge (runner/compiler/syntax.ts): asked only about
 * compiled SQL the lineage parser cannot read, to tell a syntax error from a construct that
 * parser does not know (`USING SAMPLE`, `PIVOT`, FROM-first…).
 *
 * The compiler is synchronous and DuckDB's API is not, so the texts are parsed in a child process
 * that this call waits for (about 0.5 s, paid only when there is a suspect): an in-memory DuckDB
 * runs `json_serialize_sql`, which parses without binding (no table needs to exist) and reports
 * a parser error with its character offset (its other errors, such as a statement other than a
 * SELECT, mean the text parsed). Its messages are scrubbed of values (runner/core/redact.ts).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { SqlJudge, SqlRejection } from '../../compiler/syntax.js';
import { scrubEngineMessage } from '../../core/redact.js';

const CHILD = (moduleUrl: string) => `
import fs from 'node:fs';
const api = await import(${JSON.stringify(moduleUrl)});
const { DuckDBInstance } = api.DuckDBInstance ? api : api.default;
const sqls = JSON.parse(fs.readFileSync(0, 'utf8'));
const con = await (await DuckDBInstance.create(':memory:')).connect();
const out = [];
for (const sql of sqls) {
  const r = await con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql]);
  const j = JSON.parse(String(r.getRows()[0][0]));
  // only the parser's errors: 'Only SELECT statements can be serialized' means it parsed (a PIVOT statement)
  out.push(j.error && j.error_type === 'parser' ? { message: String(j.error_message), offset: j.position === undefined ? undefined : Number(j.position) } : null);
}
process.stdout.write(JSON.stringify(out));
`;

export const duckdbSyntaxJudge: SqlJudge = (sqls) => {
  if (!sqls.length) return [];
  const moduleUrl = pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD(moduleUrl)], { input: JSON.stringify(sqls), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let verdicts: ({ message: string; offset?: number } | null)[] | undefined;
  try {
    verdicts = r.status === 0 ? (JSON.parse(r.stdout) as typeof verdicts) : undefined;
  } catch {
    verdicts = undefined;
  }
  // fail closed: a parser that could not be asked leaves each suspect rejected, with why
  if (!verdicts || verdicts.length !== sqls.length) {
    const why = `DuckDB's parser could not be asked (${(r.error?.message ?? r.stderr ?? '').trim().split('\n')[0] || `exit ${String(r.status)}`}), and the lineage parser cannot read it`;
    return sqls.map(() => ({ message: scrubEngineMessage(why) }));
  }
  return verdicts.map((v, i): SqlRejection | undefined => (v ? { message: parserMessage(v.message, sqls[i]!), ...(Number.isFinite(v.offset) ? { offset: v.offset } : {}) } : undefined));
};

/** A keyword, a name, a quoted name or an operator: SQL the project wrote, never a value of the data. */
const PLAIN_TOKEN = /^(?:[A-Za-z_][A-Za-z0-9_$]*|"[A-Za-z_][A-Za-z0-9_$]*"|[^\w\s'"]{1,3})$/;

/**
 * DuckDB's parser message as shown: `syntax error at or near "<token>"` keeps its token when it
 * is plain SQL (a keyword, a name, an operator); anything else is scrubbed as any engine message.
 */
export function parserMessage(message: string, sql: string): string {
  const m = /^syntax error at or near "(.*)"$/s.exec(message);
  if (m && PLAIN_TOKEN.test(m[1]!)) return `syntax error at or near ${m[1]}`;
  return scrubEngineMessage(message, sql);
}
