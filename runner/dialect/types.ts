/**
 * A SQL dialect produces text only; it never talks to an engine. Differences between engines
 * are capability flags and small overrides here, not `if (target === …)` in the compiler.
 */
import type { Relation } from '../manifest/types.js';
import type { LintFinding } from './lint.js';

export interface Dialect {
  /** The target type whose SQL this is (manifests, lineage, the engine's syntax judge). */
  readonly name: string;
  /**
   * The `<prefix>__macro` names `adapter.dispatch()` tries, most specific first, before
   * `default__macro`: e.g. athena, then trino, whose SQL Athena runs (dbt's adapter parents).
   */
  readonly dispatch: readonly string[];
  quoteIdent(id: string): string;
  relation(schema: string, identifier: string): Relation;
  quoteString(s: string): string;
  /** Identifiers are folded to lower case by the engine's catalog (Glue). */
  readonly lowerCaseNames: boolean;
  /** Constructs of compiled SQL this dialect's engine rejects or evaluates differently (warnings). */
  lint?(sql: string): LintFinding[];
}

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function doubleQuote(id: string): string {
  return `"${id.replace(/"/g, '""')}"`;
}
