/** Plain-text table for `stedi show`. */
import type { QueryResult } from '../adapters/types.js';

export function formatTable(r: QueryResult): string {
  const names = r.columns.map((c) => c.name);
  const cell = (v: unknown) => (v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const rows = r.rows.map((row) => names.map((n) => cell(row[n])));
  const widths = names.map((n, i) => Math.min(60, Math.max(n.length, ...rows.map((row) => row[i]!.length))));
  const fit = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (cells: string[]) => `| ${cells.map((c, i) => fit(c, widths[i]!)).join(' | ')} |`;
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  return [rule, line(names), rule, ...rows.map(line), rule, `${r.rows.length} row${r.rows.length === 1 ? '' : 's'}`].join('\n');
}
