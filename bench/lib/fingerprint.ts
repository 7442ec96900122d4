/** Rows and an order-free checksum of every row of each relation of a DuckDB database, read-only. */
import { DuckDBInstance } from '@duckdb/node-api';

export async function tableFingerprints(database: string, relations: string[], opts: { fileSearchPath?: string } = {}): Promise<Record<string, string>> {
  const instance = await DuckDBInstance.create(database, { access_mode: 'READ_ONLY', ...(opts.fileSearchPath ? { file_search_path: opts.fileSearchPath } : {}) });
  const c = await instance.connect();
  try {
    const out: Record<string, string> = {};
    for (const r of relations) {
      const row = (await c.runAndReadAll(`SELECT count(*), coalesce(sum(hash(t)), 0) FROM ${r} t`)).getRows()[0]!;
      out[r] = `${String(row[0])}/${String(row[1])}`;
    }
    return out;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
