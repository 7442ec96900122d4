/**
 * `stedi recover`: rebuilds a damaged local catalog from the published snapshot (see
 * runner/adapters/duckdb/recover.ts). The Athena target needs no such command: Glue is its
 * catalog, and it keeps its own table versions.
 */
import { UserError } from '../core/diagnostics.js';
import type { Reporter } from '../execute/reporter.js';
import { loadTarget } from '../targets/registry.js';
import { openSession, type GlobalOptions } from './session.js';

export async function recoverCommand(opts: GlobalOptions, reporter: Reporter): Promise<number> {
  const s = openSession(opts, reporter, undefined, undefined, false);
  const runtime = await loadTarget(s.target.type);
  if (!runtime.recover) throw new UserError(`stedi recover rebuilds the local catalog of a duckdb target; target ${s.target.name} is ${s.target.type}, which has no local catalog`);
  for (const l of await runtime.recover(s.target, s.project.config.name)) reporter.info(l);
  return 0;
}
