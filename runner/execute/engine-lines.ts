/**
 * An engine's error at run time, located in the model's file: DuckDB quotes the line of the
 * statement it failed on (`LINE 3:   c.no_such_column`). The statement the adapter ran wraps the
 * compiled SQL, so the line is found by its text: when exactly one line of the model's compiled
 * SQL reads so, the compiler's line map (`source_lines`) gives the model's line. Anything less
 * certain (no line quoted, a line shortened or scrubbed, several lines alike) names no line. Pure.
 */
import type { ManifestNode } from '../manifest/types.js';

export function engineErrorLine(node: ManifestNode, message: string): number | undefined {
  if (node.resource_type !== 'model' || !node.source_lines) return undefined;
  const m = /^LINE \d+: (.*)$/m.exec(message);
  if (!m || m[1]!.trim() === '' || m[1]!.includes('...')) return undefined;
  const quoted = m[1]!.trimEnd();
  const candidates: number[] = [];
  const look = (sql: string | undefined, lines: number[] | undefined) => {
    if (sql === undefined || !lines) return;
    sql.split('\n').forEach((l, i) => {
      if (l.trimEnd() === quoted) candidates.push(lines[i] ?? 0);
    });
  };
  look(node.compiled_code, node.source_lines.compiled);
  look(node.compiled_incremental_code, node.source_lines.incremental);
  const lines = [...new Set(candidates)];
  return lines.length === 1 && lines[0]! > 0 ? lines[0] : undefined;
}
