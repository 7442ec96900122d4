/**
 * DuckDB's reader of canonical landing files (runner/landing/fast-path.ts, canonical.ts): a file
 * whose every line is canonical becomes one Parquet part of the accepted table in one DuckDB
 * query, on all of DuckDB's threads, instead of being read line by line in the runner.
 *
 * The query reads the file's lines with DuckDB's CSV reader set to read raw lines: one VARCHAR
 * column, no quote, no escape, no header, no sniffing, a delimiter (byte 0x01) that a canonical
 * line cannot hold. Each line must match the shape's pattern in full (RE2) and be no longer than
 * max_line_bytes; then `json_transform_strict` types its values; any other line raises an error
 * that aborts the query (the part is deleted and the file goes to the classifier). The CSV reader
 * splits at LF and at CR: the runner has already refused files with a CR or a byte-order mark,
 * and the rows written must equal the runner's own count of lines, so a blank line the CSV reader
 * skipped, or a line it split, shows as a difference and the file goes to the classifier too.
 */
import fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { CanonicalReader } from '../../landing/fast-path.js';
import type { Part } from '../../landing/state.js';
import type { LandingColumn } from '../../landing/types.js';

const q = duckdbDialect.quoteIdent;
const lit = duckdbDialect.quoteString;

/** Where the accepted table's parts go (the staging of sources.ts): the part a canonical file becomes is adopted whole. */
export interface PartsTarget {
  /** The path for the next part; nothing is recorded until `adopt`. */
  nextPart(): string;
  /** Takes the part written at `nextPart()` as the next one (the fast path runs before any row is staged). */
  adopt(part: Part): Promise<void>;
}

/**
 * A path DuckDB's readers take literally: no glob character, no `~` at the start, no URL scheme
 * (anything else stays with the classifier, which opens the file itself).
 */
export function literalPath(p: string): boolean {
  return !/[*?[\]{}]/.test(p) && !p.startsWith('~') && !p.includes('://') && !p.includes('\0');
}

export function duckdbCanonicalReader(c: DuckDBConnection, target: PartsTarget, columns: LandingColumn[]): CanonicalReader & { taken: number } {
  return {
    taken: 0,
    async ingest(path, shape, pattern, lines, maxLineBytes) {
      if (!literalPath(path)) return false;
      const inShape = new Set(shape.columns.map((col) => col.name));
      // a real column is read as a double and rounded to 32 bits, as the classifier's appender rounds it
      const struct = JSON.stringify(Object.fromEntries(shape.columns.map((col) => [col.name, col.kind === 'double' ? 'DOUBLE' : col.sqlType])));
      const select = columns.map((col) => `CAST(${inShape.has(col.name) ? `j.${q(col.name)}` : 'NULL'} AS ${col.sqlType}) AS ${q(col.name)}`).join(', ');
      const canonical = `strlen(line) <= ${maxLineBytes} AND regexp_matches(line, ${lit(`^(?:${pattern})$`)})`;
      const file = target.nextPart();
      let rows: number;
      try {
        const r = await c.runAndReadAll(
          `COPY (SELECT ${select} FROM (SELECT CASE WHEN ${canonical} THEN json_transform_strict(line, ${lit(struct)}) ELSE error('not a canonical line') END AS j ` +
            `FROM read_csv(${lit(path)}, columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false, auto_detect = false, max_line_size = ${Math.max(maxLineBytes + 16, 2 << 20)}))) ` +
            `TO ${lit(file)} (FORMAT parquet)`,
        );
        rows = Number(r.rowsChanged);
      } catch {
        // a line that is not canonical, or bytes DuckDB cannot read as plain lines (invalid UTF-8, a stray 0x01, …): the classifier will say why
        fs.rmSync(file, { force: true });
        return false;
      }
      // a blank line the CSV reader skipped, or a line it split: the counts differ
      if (rows !== lines) {
        fs.rmSync(file, { force: true });
        return false;
      }
      await target.adopt({ path: file, rows });
      this.taken++;
      return true;
    },
  };
}
