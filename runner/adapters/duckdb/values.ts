/** Converts DuckDB client values to plain JSON-safe values. */
import type { DuckDBResultReader } from '@duckdb/node-api';
import type { QueryResult } from '../types.js';

export function jsonSafe(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (typeof v === 'object' && v.constructor === Object) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  }
  return String(v);
}

export function toQueryResult(r: DuckDBResultReader): QueryResult {
  const names = r.columnNames();
  const types = r.columnTypes().map(String);
  const rows = r.getRows().map((row) => {
    const o: Record<string, unknown> = {};
    names.forEach((n, i) => (o[n] = jsonSafe(row[i])));
    return o;
  });
  return { columns: names.map((name, i) => ({ name, type: types[i] ?? '' })), rows };
}
