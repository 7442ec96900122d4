/**
 * The SQL parser: Apache DataFusion's sqlparser-rs, compiled to WebAssembly
 * (@guanmingchiu/sqlparser-ts). It is loaded once, when this module is first imported (top-level
 * await), so parsing is synchronous afterwards and the compiler stays a synchronous function.
 *
 * The AST is sqlparser-rs' serde JSON; runner/lineage/ast.ts reads it as plain data.
 */
import { createHash } from 'node:crypto';
import { init, parse, SUPPORTED_DIALECTS, type DialectName } from '@guanmingchiu/sqlparser-ts';

await init();

/**
 * stedi dialect name → sqlparser-rs dialect. Every other dialect (athena, trino) is Trino SQL,
 * which sqlparser-rs knows as generic SQL (with `?` parameters).
 */
const DIALECTS: Record<string, DialectName> = { duckdb: 'duckdb' };

/** The sqlparser-rs dialect that reads a stedi dialect's SQL. */
export function parserDialect(dialect: string): DialectName {
  return DIALECTS[dialect] ?? 'generic';
}

export class SqlParseError extends Error {}

/**
 * Parsed statements by dialect and text. One build parses the same statement several times (the
 * syntax check, the column lineage and PII gate, the reuse and delta-audit proofs): 216 parses of
 * 72 distinct texts for the STEDI project, about 0.37 s of a build. Each text is parsed once; the
 * statements are deep-frozen, so a reader that tried to change a shared tree would fail (a
 * TypeError in strict mode) instead of changing what another reader sees. Failures are not
 * remembered (they are rare and their messages are built per call). Bounded: the oldest entry
 * leaves first.
 */
const parsed = new Map<string, readonly unknown[]>();
const MAX_PARSED = 1024;

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/**
 * Statements parsed by an earlier process, by the SHA-256 of dialect and text (the compile cache,
 * runner/cli/compile-cache.ts, keeps them with a compile: its key covers this parser's version).
 */
const preloaded = new Map<string, unknown[]>();
const keyDigest = (key: string) => createHash('sha256').update(key).digest('hex');

/** What this process parsed, for the compile cache: [SHA-256 of dialect and text, statements]. */
export function parsedStatements(): [string, readonly unknown[]][] {
  return [...parsed].map(([k, v]) => [keyDigest(k), v]);
}

/** Statements an earlier process parsed (parsedStatements), used instead of parsing the same text again. */
export function preloadParsed(entries: [string, unknown[]][]): void {
  for (const [k, v] of entries) if (typeof k === 'string' && Array.isArray(v)) preloaded.set(k, v);
}

/** Parses SQL text into statements (plain JSON, frozen: never modify them). Throws SqlParseError with the parser's message. */
export function parseSql(sql: string, dialect: string): unknown[] {
  const d = parserDialect(dialect);
  const key = `${d}\u0000${sql}`;
  const hit = parsed.get(key);
  if (hit) return hit as unknown[];
  if (preloaded.size) {
    const digest = keyDigest(key);
    const earlier = preloaded.get(digest);
    if (earlier) {
      preloaded.delete(digest);
      if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
      parsed.set(key, deepFreeze(earlier));
      return earlier;
    }
  }
  let statements: unknown[];
  try {
    statements = parse(sql, d) as unknown[];
  } catch (e) {
    throw new SqlParseError((e as Error).message);
  }
  if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
  parsed.set(key, deepFreeze(statements));
  return statements;
}

/** The parser's complaint about `sql` in the dialect, with its 1-based position when it gives one; undefined when it parses. */
export function parseProblem(sql: string, dialect: string): { message: string; line?: number; column?: number } | undefined {
  try {
    parseSql(sql, dialect);
    return undefined;
  } catch (e) {
    const message = (e as Error).message.replace(/^sql parser error: /, '');
    const m = /\s+at Line: (\d+), Column: (\d+)\s*$/.exec(message);
    return m ? { message: message.slice(0, m.index), line: Number(m[1]), column: Number(m[2]) } : { message };
  }
}

/** Whether any dialect the parser knows reads `sql`: when one does, a failure in the target's is taken as a gap of the parser. */
export function parsesInSomeDialect(sql: string): boolean {
  return SUPPORTED_DIALECTS.some((d) => {
    try {
      parse(sql, d);
      return true;
    } catch {
      return false;
    }
  });
}
