/**
 * `stedi recover`: a catalog file that DuckDB cannot read any more (truncated, overwritten) is
 * set aside — never deleted — and a new catalog is rebuilt from the published snapshot
 * (`<catalog>.published.json`), which lists every published relation, its version folder, rows
 * and inputs. The data itself is Parquet under the lake and was never inside the catalog. A
 * relation whose folder is missing or not this project's is not restored; `stedi build` then
 * rebuilds it (and re-ingests the landing files).
 */
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../types.js';
import { insertLandingFileRows, insertLandingStateRows, LANDING_FILES_DDL, prepareBookkeeping, readSnapshot, recordPublished, snapshotPath } from './catalog.js';
import { claimLake, ownsVersionDir, versionFolderOf, type Owner } from './lake.js';
import { DamagedCatalogError, openInstance, probeCatalog } from './open.js';
import { createViews, parquetView } from './reader.js';
import { duckdbDialect } from '../../dialect/duckdb.js';

export interface RecoveryReport {
  /** What was done, one line each, for the user. */
  lines: string[];
  /** True when a `stedi build` is needed to bring every table back. */
  rebuildNeeded: boolean;
}

export async function recoverCatalog(cfg: { lake_dir: string; catalog: string }, owner: Owner, now = new Date()): Promise<RecoveryReport> {
  claimLake(cfg.lake_dir, owner, { write: false, adoptable: false });
  if (!fs.existsSync(cfg.catalog)) return { lines: [`there is no catalog at ${cfg.catalog}: nothing to recover (stedi build creates it)`], rebuildNeeded: false };
  try {
    await probeCatalog(cfg.catalog);
    return { lines: [`the catalog ${cfg.catalog} is readable: nothing to recover`], rebuildNeeded: false };
  } catch (e) {
    if (!(e instanceof DamagedCatalogError)) throw e;
  }
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const aside = `${cfg.catalog}.damaged-${stamp}`;
  const lines: string[] = [];
  for (const [from, to] of [[cfg.catalog, aside], [`${cfg.catalog}.wal`, `${aside}.wal`]] as const) {
    if (!fs.existsSync(from)) continue;
    fs.renameSync(from, to);
    lines.push(`set the damaged ${path.basename(from)} aside as ${to} (kept for inspection; stedi never deletes it)`);
  }
  let snap;
  try {
    snap = readSnapshot(snapshotPath(cfg.catalog));
  } catch (e) {
    lines.push(`the published snapshot ${snapshotPath(cfg.catalog)} cannot be read either (${(e as Error).message})`);
  }
  const db = await openInstance(cfg.catalog, {});
  const c = await db.connect();
  let restored = 0;
  const missing: string[] = [];
  try {
    await prepareBookkeeping(c);
    // tables first, then views (a view reads tables, and possibly other views: retried until none can be made)
    const relations = [...(snap?.relations ?? [])].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'table' ? -1 : 1));
    const pending: typeof relations = [];
    for (const r of relations) {
      await c.run(`CREATE SCHEMA IF NOT EXISTS ${duckdbDialect.quoteIdent(r.schema_name)}`);
      if (r.kind === 'table') {
        // every part the version reads must still be there, in a folder of this project
        const ok = r.parts
          ? r.parts.length > 0 && r.parts.every((p) => ownsVersionDir(versionFolderOf(p), owner) && fs.existsSync(p))
          : !!r.path && ownsVersionDir(r.path, owner) && fs.readdirSync(r.path).some((f) => f.endsWith('.parquet'));
        if (!ok) {
          missing.push(r.relation);
          continue;
        }
        await c.run(parquetView(r.relation, r.path!, r.parts));
      } else {
        pending.push(r);
        continue;
      }
      const { published_at: _at, ...row } = r;
      await recordPublished(c, row);
      restored++;
    }
    const notMade = await createViews(c, pending, async (r) => {
      const { published_at: _at, ...row } = r;
      await recordPublished(c, row);
      restored++;
    });
    missing.push(...notMade.map((r) => r.relation));
    await c.run(LANDING_FILES_DDL);
    await insertLandingFileRows(c, snap?.landing_files ?? []);
    // the ingestion state as it was: the next build uses it only where the restored landing tables
    // read exactly its parts (else it reads every landing file again; see the adapter's previousState)
    await insertLandingStateRows(c, snap?.landing_state ?? []);
  } catch (e) {
    throw new EngineError(`recovering ${cfg.catalog} failed: ${(e as Error).message}; the damaged catalog is at ${aside}`);
  } finally {
    c.closeSync();
    db.closeSync();
  }
  if (snap) lines.push(`rebuilt ${cfg.catalog} from the snapshot of ${snap.written_at}: ${restored} relation${restored === 1 ? '' : 's'} published again, as they were`);
  else lines.push(`created an empty catalog at ${cfg.catalog}: there was no published snapshot to rebuild from`);
  if (missing.length) lines.push(`not restored (data folder missing or not this project's): ${missing.join(', ')}`);
  const rebuildNeeded = !snap || missing.length > 0;
  lines.push(rebuildNeeded ? 'next: run `stedi build` to re-ingest the landing files and rebuild every table' : 'every published table is readable again; nothing else to do');
  return { lines, rebuildNeeded };
}
