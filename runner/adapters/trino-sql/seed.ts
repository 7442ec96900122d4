/** A CSV seed as Trino SQL (the athena and trino targets): a SELECT over VALUES, every value cast to its column's type. */
import { doubleQuote, sqlString } from '../../dialect/types.js';
import type { SeedNode } from '../../manifest/types.js';
import { mapType } from './types-map.js';

const q = doubleQuote;
const lit = sqlString;

function valueLiteral(v: unknown, trinoType: string): string {
  if (v === null || v === undefined) return `CAST(NULL AS ${trinoType})`;
  return `CAST(${lit(String(v))} AS ${trinoType})`;
}

/** The rows of a CSV seed as a SELECT over VALUES, every value cast to its declared type (default varchar). */
export function seedSelect(seed: SeedNode, header: string[], rows: Record<string, unknown>[]): string {
  const declared = (seed.config.column_types ?? {}) as Record<string, string>;
  const types = header.map((h) => mapType(declared[h] ?? seed.columns.find((c) => c.name === h)?.data_type, `seed ${seed.name} column ${h}`).trino);
  const cols = header.map((h) => q(h.toLowerCase()));
  if (rows.length === 0) {
    return `SELECT ${header.map((h, i) => `CAST(NULL AS ${types[i]}) AS ${cols[i]}`).join(', ')} WHERE false`;
  }
  const tuples = rows.map((r) => `    (${header.map((h, i) => valueLiteral(r[h], types[i]!)).join(', ')})`);
  return `SELECT *\nFROM (\n  VALUES\n${tuples.join(',\n')}\n) AS seed_rows (${cols.join(', ')})`;
}
