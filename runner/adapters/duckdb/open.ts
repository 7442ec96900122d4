/**
 * Opening DuckDB databases, with errors that say what happened and what to do: a catalog held by
 * another process, a catalog that cannot be read (damaged), a folder that cannot be written.
 * Engine messages are scrubbed of values before they are shown (runner/core/redact.ts).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { scrubEngineMessage } from '../../core/redact.js';
import { EngineError } from '../types.js';
import { snapshotPath } from './catalog.js';

/** DuckDB's words for a database file it cannot read as one. */
const DAMAGED = /not a valid DuckDB database|Could not read enough bytes|Serialization Error|Corrupt|checksum|INTERNAL Error|unexpected end|failed to read/i;

export class DamagedCatalogError extends EngineError {}

export async function openInstance(file: string, options: Record<string, string>): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(file, options);
  } catch (e) {
    throw explainOpen(file, (e as Error).message ?? String(e));
  }
}

/** Whether an engine message says the database file cannot be read as one (see DAMAGED). */
export function isDamage(message: string): boolean {
  return DAMAGED.test(message);
}

/**
 * Reads what stedi keeps in a catalog file, to learn whether it is whole: DuckDB opens a
 * truncated file and fails only when a damaged block is read. Throws DamagedCatalogError.
 */
export async function probeCatalog(file: string): Promise<void> {
  const db = await openInstance(file, { access_mode: 'READ_ONLY' });
  try {
    const c = await db.connect();
    try {
      const tables = (await c.runAndReadAll(`SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name = '_stedi'`)).getRows();
      // every row, not count(*): a count is answered from metadata without reading the blocks
      for (const [schema, table] of tables) await c.runAndReadAll(`SELECT * FROM "${String(schema)}"."${String(table)}"`);
      await c.runAndReadAll(`SELECT sql FROM duckdb_views() WHERE NOT internal`);
    } finally {
      c.closeSync();
    }
  } catch (e) {
    throw e instanceof EngineError ? e : explainOpen(file, (e as Error).message ?? String(e));
  } finally {
    db.closeSync();
  }
}

export function explainOpen(file: string, raw: string): EngineError {
  const msg = scrubEngineMessage(raw);
  if (/lock/i.test(raw)) {
    const pid = /PID (\d+)/.exec(raw)?.[1];
    return new EngineError(`the lake catalog ${file} is in use by another stedi process${pid ? ` (pid ${pid})` : ''}; wait for it to finish or stop it, then retry (stedi show and stedi test read the published tables without waiting)`, { path: file });
  }
  if (/permission denied/i.test(raw)) return new EngineError(`cannot open ${file}: permission denied`, { path: file });
  if (DAMAGED.test(raw)) {
    return new DamagedCatalogError(
      `the lake catalog ${file} cannot be read: it is damaged (${msg.split('\n')[0]}). The published tables' data files are intact. ` +
        `Run \`stedi recover\` to set the damaged file aside and rebuild the catalog from ${snapshotPath(file)}, the record of what is published; ` +
        `it says whether a \`stedi build\` is needed too (which re-ingests the landing files and rebuilds every table)`,
      { path: file },
    );
  }
  return new EngineError(`cannot open ${file}: ${msg}`, { path: file });
}
