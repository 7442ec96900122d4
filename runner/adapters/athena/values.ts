/**
 * Athena returns every value as text (`VarCharValue`) and a NULL as a Datum without one. Values
 * become JSON-safe JS values by column type, as on the local target: integers beyond 2^53 and
 * decimals stay strings, NaN/Infinity stay strings, NULL stays null, everything else is text.
 */
import type { ColumnInfo, Row } from '@aws-sdk/client-athena';

export function convertValue(text: string | undefined, type: string): unknown {
  if (text === undefined) return null;
  const t = type.toLowerCase().replace(/\(.*$/, '');
  switch (t) {
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int':
      return /^-?\d+$/.test(text) ? Number(text) : text;
    case 'bigint': {
      if (!/^-?\d+$/.test(text)) return text;
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 'double':
    case 'float':
    case 'real': {
      const n = Number(text);
      return Number.isFinite(n) && text.trim() !== '' ? n : text;
    }
    default:
      return text;
  }
}

export function convertRows(columns: ColumnInfo[], rows: Row[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const o: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      const name = c.Label ?? c.Name ?? `_col${i}`;
      o[name] = convertValue(r.Data?.[i]?.VarCharValue, c.Type ?? 'varchar');
    });
    return o;
  });
}

/** True when a row repeats the column labels: the header row Athena puts first for SELECTs. */
export function isHeaderRow(columns: ColumnInfo[], row: Row | undefined): boolean {
  if (!row?.Data || row.Data.length !== columns.length) return false;
  return columns.every((c, i) => row.Data![i]?.VarCharValue === (c.Label ?? c.Name));
}
