/** The duckdb target's engine: the in-process DuckDB adapter, its published snapshot and catalog recovery. */
import { UserError } from '../../core/diagnostics.js';
import type { TargetRuntime } from '../types.js';
import { duckdbSettings } from './spec.js';

export const runtime: TargetRuntime = {
  async createAdapter(t, opts) {
    if (opts.dryRun) throw new UserError(`--dry-run is not available on the ${t.type} target`);
    const { DuckDbAdapter } = await import('../../adapters/duckdb/adapter.js');
    return new DuckDbAdapter(duckdbSettings(t), { project: opts.project, target: t.name });
  },
  async publishedSnapshot(t) {
    const { readSnapshot, snapshotPath, asPublishedRecords } = await import('../../adapters/duckdb/catalog.js');
    const snap = readSnapshot(snapshotPath(duckdbSettings(t).catalog));
    return snap ? asPublishedRecords(snap.relations) : undefined;
  },
  async recover(t, project) {
    const { recoverCatalog } = await import('../../adapters/duckdb/recover.js');
    return (await recoverCatalog(duckdbSettings(t), { project, target: t.name })).lines;
  },
};
