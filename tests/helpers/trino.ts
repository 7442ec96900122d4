/**
 * The real Trino the Trino tests run on (scripts/trino.sh starts one; .ci/run does in CI): where
 * it listens, the local folder its catalogs' `local:///` locations map to, and a query function
 * over the maintained HTTP client (trino-client).
 */
import { BasicAuth, Trino, type QueryResult } from 'trino-client';

export interface TrinoServer {
  url: string;
  /** The folder `local:///x` is in: `<warehouse>/x`. */
  warehouse: string;
}

/** STEDI_TRINO_URL and STEDI_TRINO_WAREHOUSE (`scripts/trino.sh env`), or why they are missing. */
export function trinoServer(env: NodeJS.ProcessEnv = process.env): TrinoServer | string {
  const url = env.STEDI_TRINO_URL;
  const warehouse = env.STEDI_TRINO_WAREHOUSE;
  if (url && warehouse) return { url, warehouse };
  return 'no Trino: STEDI_TRINO_URL and STEDI_TRINO_WAREHOUSE are unset; run `npm run trino:start` and export what `bash scripts/trino.sh env` prints';
}

export interface Rows {
  columns: string[];
  /** Each column's Trino type (`varchar`, `bigint`, `timestamp(3)`…). */
  types: string[];
  rows: unknown[][];
}

export interface TrinoSession {
  query(sql: string, session?: Record<string, string>): Promise<Rows>;
}

/** A session on `catalog` (and `schema`, the default for unqualified names), as user `stedi`. */
export function trinoSession(server: TrinoServer, catalog: string, schema?: string): TrinoSession {
  const trino = Trino.create({ server: server.url, catalog, ...(schema ? { schema } : {}), auth: new BasicAuth('stedi'), source: 'stedi-tests' });
  return {
    async query(sql, session) {
      const pages = await trino.query(session ? { query: sql, session } : sql);
      const out: Rows = { columns: [], types: [], rows: [] };
      for await (const page of pages as AsyncIterable<QueryResult>) {
        if (page.error) throw new Error(`Trino ${page.error.errorName}: ${page.error.message}\n--- statement:\n${sql}`);
        if (page.columns && !out.columns.length) {
          out.columns = page.columns.map((c) => c.name);
          out.types = page.columns.map((c) => c.type);
        }
        for (const row of page.data ?? []) out.rows.push(row as unknown[]);
      }
      return out;
    },
  };
}
