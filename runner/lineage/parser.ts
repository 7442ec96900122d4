/**
 * The SQL parser: Apache DataFusion's sqlparser-rs, compiled to WebAssembly
 * (@guanmingchiu/sqlparser-ts). It is loaded once, when this module is first imported (top-level
 * await), so parsing is synchronous afterwards and the compiler stays a synchronous function.
 *
 * The AST is sqlparser-rs' serde JSON; runner/lineage/ast.ts reads it as plain data.
 */
import { init, parse, type DialectName } from '@guanmingchiu/sqlparser-ts';

await init();

/** stedi dialect name → sqlparser-rs dialect. Athena runs Trino SQL, which sqlparser-rs knows as generic SQL (with `?` parameters). */
const DIALECTS: Record<string, DialectName> = { duckdb: 'duckdb', athena: 'generic' };

export class SqlParseError extends Error {}

/** Parses SQL text into statements (plain JSON). Throws SqlParseError with the parser's message. */
export function parseSql(sql: string, dialect: string): unknown[] {
  try {
    return parse(sql, DIALECTS[dialect] ?? 'generic') as unknown[];
  } catch (e) {
    throw new SqlParseError((e as Error).message);
  }
}
