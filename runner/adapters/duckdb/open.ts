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
