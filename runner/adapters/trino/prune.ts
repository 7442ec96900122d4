/**
 * Older versions of a published Iceberg table, pruned after each publish. Every publish is one
 * `CREATE OR REPLACE TABLE` commit, i.e. one snapshot; Trino 476 replaces a table with a snapshot
 * that has no parent, so Iceberg's own "keep the last N ancestors" cannot count them, and Trino
 * expires snapshots only by age (`ALTER TABLE … EXECUTE expire_snapshots(retention_threshold =>
 * …)`: every snapshot committed before the statement's start minus the threshold, with the files
 * only they reference). So the threshold is computed from the table's own snapshots: the newest
 * `keep + 1` (the published version and `keep` older ones) are kept, and the cut is placed halfway
 * between the oldest kept and the newest expired snapshot, measured on the coordinator's clock in
 * the statement that lists them. The cut is placed only in a gap of at least MIN_GAP_MS between
 * two snapshots (publishes of one table are a build apart); inside a shorter gap the older
 * snapshot is kept too, so a version is never expired early as long as the expire statement starts
 * within MIN_GAP_MS / 2 of the listing. The catalog's minimum retention
 * (`iceberg.expire-snapshots.min-retention`, 7 days by default) is lowered for that one statement
 * through its session property, to exactly the threshold used.
 * Orphan files (written by a publish that was killed before its commit) are removed when older
 * than a day: no statement of a build runs that long, so no file a commit in flight will still
 * reference is touched.
 */
import type { TrinoClient } from './client.js';
import { q } from './sql.js';

/** The smallest gap between two snapshots the cut is placed in. */
export const MIN_GAP_MS = 2000;
/** Orphan files older than this are removed. */
export const ORPHAN_AGE = '1d';

/** The retention threshold (ms) that keeps the newest `keep + 1` snapshots, or undefined when nothing is to expire. */
export function retentionMs(committedDesc: number[], now: number, keep: number, minGap = MIN_GAP_MS): number | undefined {
  for (let i = keep + 1; i < committedDesc.length; i++) {
    const newer = committedDesc[i - 1]!;
    const older = committedDesc[i]!;
    if (newer - older >= minGap) return Math.max(1, Math.round(now - (newer + older) / 2));
  }
  return undefined;
}

/**
 * Expires the snapshots of `catalog`.`schema`.`table` beyond the newest `keep + 1` and removes its
 * orphan files. The caller has proven the table is this project's and target's. Never throws: a
 * problem becomes a warning in the node's message, and the next build retries.
 */
export async function pruneSnapshots(client: TrinoClient, catalog: string, schema: string, table: string, keep: number, signal?: AbortSignal): Promise<string> {
  const snapshots = `${q(catalog)}.${q(schema)}.${q(`${table}$snapshots`)}`;
  const rel = `${q(catalog)}.${q(schema)}.${q(table)}`;
  try {
    const listed = await client.query(`SELECT round(to_unixtime(committed_at) * 1000), round(to_unixtime(current_timestamp) * 1000) FROM ${snapshots} ORDER BY committed_at DESC`, signal);
    const times = listed.rows.map((r) => Number(r[0]));
    const now = Number(listed.rows[0]?.[1]);
    const retention = retentionMs(times, now, keep);
    let note = '';
    if (retention !== undefined) {
      const threshold = `${retention}ms`;
      await client.query(`ALTER TABLE ${rel} EXECUTE expire_snapshots(retention_threshold => '${threshold}')`, signal, { [`${catalog}.expire_snapshots_min_retention`]: threshold });
      const left = Number((await client.query(`SELECT count(*) FROM ${snapshots}`, signal)).rows[0]?.[0]);
      const gone = times.length - left;
      if (gone > 0) note = `; expired ${gone} old version${gone === 1 ? '' : 's'} (Iceberg snapshots), ${left} kept`;
    }
    await client.query(`ALTER TABLE ${rel} EXECUTE remove_orphan_files(retention_threshold => '${ORPHAN_AGE}')`, signal, { [`${catalog}.remove_orphan_files_min_retention`]: ORPHAN_AGE });
    return note;
  } catch (e) {
    if (signal?.aborted) throw e;
    return `; warning: old versions of ${schema}.${table} were not removed (${(e as Error).message}); the next build retries`;
  }
}
