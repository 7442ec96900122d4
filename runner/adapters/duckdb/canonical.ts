/**
 * DuckDB's reader of canonical landing files (runner/landing/fast-path.ts, canonical.ts): a file
 * whose every line is canonical is read by DuckDB's own JSON reader, on all of DuckDB's threads,
 * instead of line by line in the runner.
 *
 * The check reads the file's lines with DuckDB's CSV reader set to read raw lines: one VARCHAR
 * column, no quote, no escape, no header, no sniffing, a delimiter (byte 0x01) that a canonical
 * line cannot hold. That reader splits at LF and at CR; the runner has already refused files with
 * a CR or a byte-order mark, and the count of lines must equal the runner's count of line feeds,
 * so a blank line the CSV reader might skip, or a line it might split, shows as a difference and
 * the file goes to the classifier. Every line must match the shape's pattern in full (RE2) and
 * be no longer than max_line_bytes. Only then are the rows appended, from `read_json` with the
 * shape's columns typed (a real column is read as a double and rounded to 32 bits, as the
 * classifier's appender rounds it), and counted again.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { CanonicalReader } from '../../landing/fast-path.js';
import { shownPath } from '../../landing/report.js';
import type { LandingColumn } from '../../landing/types.js';
import { EngineError } from '../types.js';

const q = duckdbDialect.quoteIdent;
const lit = duckdbDialect.quoteString;

/** Where rows are appended (the staging of the accepted table; sources.ts). */
export interface RowsTarget {
  /** Appends the rows of `select`, after every row appended before; the number appended. */
  insert(select: string): Promise<number>;
}

/**
 * A path DuckDB's readers take literally: no glob character, no `~` at the start, no URL scheme
 * (anything else stays with the classifier, which opens the file itself).
 */
export function literalPath(p: string): boolean {
  return !/[*?[\]{}]/.test(p) && !p.startsWith('~') && !p.includes('://') && !p.includes('\0');
}

export function duckdbCanonicalReader(c: DuckDBConnection, target: RowsTarget, columns: LandingColumn[]): CanonicalReader & { taken: number } {
  return {
    taken: 0,
    async ingest(path, shape, pattern, lines, maxLineBytes) {
      if (!literalPath(path)) return false;
      let counted: { n: number; ok: number };
      try {
        const r = await c.runAndReadAll(
          `SELECT count(*), count(*) FILTER (WHERE regexp_full_match(line, ${lit(pattern)}) AND strlen(line) <= ${maxLineBytes}) ` +
            `FROM read_csv(${lit(path)}, columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false, auto_detect = false, max_line_size = ${Math.max(maxLineBytes + 16, 2 << 20)})`,
        );
        const row = r.getRows()[0] ?? [];
        counted = { n: Number(row[0] ?? -1), ok: Number(row[1] ?? -1) };
      } catch {
        // DuckDB could not read it as plain lines (invalid UTF-8, a stray byte 0x01, …): the classifier will say why
        return false;
      }
      if (counted.n !== lines || counted.ok !== lines) return false;
      const inShape = new Set(shape.columns.map((col) => col.name));
      const readAs = (col: LandingColumn) => (col.kind === 'double' ? 'DOUBLE' : col.sqlType);
      const struct = shape.columns.map((col) => `${lit(col.name)}: ${lit(readAs(col))}`).join(', ');
      const select = columns.map((col) => (inShape.has(col.name) ? `CAST(${q(col.name)} AS ${col.sqlType})` : `CAST(NULL AS ${col.sqlType})`)).join(', ');
      const appended = await target.insert(
        `SELECT ${select} FROM read_json(${lit(path)}, format = 'newline_delimited', columns = {${struct}}, maximum_object_size = ${Math.max(maxLineBytes + 16, 16 << 20)})`,
      );
      if (appended !== lines) throw new EngineError(`${shownPath(path)}: DuckDB's JSON reader gave ${appended} rows for ${lines} canonical lines; nothing is published`);
      this.taken++;
      return true;
    },
  };
}
