/**
 * `stedi recover`: rebuilds a damaged local catalog from the published snapshot (see
 * runner/adapters/duckdb/recover.ts). The Athena target needs no such command: Glue is its
 * catalog, and it keeps its own table versions.
 */
import { UserError } from '../core/diagnostics.js';
import type { Reporter } from '../execute/reporter.js';
import { openSession, type GlobalOptions } from './session.js';

export async function recoverCommand(opts: GlobalOptions, reporter: Reporter): Promise<number> {
  const s = openSession(opts, reporter, undefined, undefined, false);
  if (s.target.type !== 'duckdb') throw new UserError(`stedi recover rebuilds the local catalog of a duckdb target; target ${s.target.name} is ${s.target.type}, whose catalog is Glue`);
  const { recoverCatalog } = await import('../adapters/duckdb/recover.js');
  const r = await recoverCatalog(s.target, { project: s.project.config.name, target: s.target.name });
  for (const l of r.lines) reporter.info(l);
  return 0;
}
