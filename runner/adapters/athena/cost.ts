/**
 * Estimated Athena cost of a query: $5 per TB of data scanned (the price in most regions),
 * bytes rounded up to the next megabyte with a 10 MB minimum per query. DDL (CREATE/DROP
 * TABLE, views) and failed queries are not charged; a cancelled query is charged for what it
 * scanned. TB and MB are binary here (2^40 and 2^20 bytes). An estimate, not a bill.
 */
export const USD_PER_TB = 5;
export const MIN_BYTES_PER_QUERY = 10 * 2 ** 20;

export function estimatedCostUsd(q: { state: string; statementType?: string; dataScannedBytes: number }): number {
  if (q.state === 'FAILED') return 0;
  if (q.statementType !== 'DML' && q.dataScannedBytes === 0) return 0;
  const mb = Math.max(MIN_BYTES_PER_QUERY, Math.ceil(q.dataScannedBytes / 2 ** 20) * 2 ** 20);
  return roundUsd((mb / 2 ** 40) * USD_PER_TB);
}

export function roundUsd(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}
