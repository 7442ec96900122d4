/**
 * Removing what a build staged (candidate Glue tables, unpublished version prefixes) in a
 * `finally` path. Never throws: a problem is returned as a warning for the node's message, and
 * what was left is retried by a later build (stale candidates are removed at open('write')).
 * Glue DeleteTable never deletes data; prefixes are deleted only when stedi made them (S3Data).
 */
import type { Catalog } from './glue.js';
import type { S3Data } from './s3.js';

export async function removeStaged(catalog: Catalog, data: S3Data, tables: string[], prefixes: string[]): Promise<string> {
  const problems: string[] = [];
  for (const t of tables) {
    try {
      await catalog.delete(t);
    } catch (e) {
      problems.push(`the candidate table ${t} could not be removed (${(e as Error).message})`);
    }
  }
  for (const p of prefixes) {
    try {
      if ((await data.deletePrefix(p)) === undefined) problems.push(`the candidate data at ${p} was left in place: its ownership marker is missing`);
    } catch (e) {
      problems.push(`the candidate data at ${p} could not be removed (${(e as Error).message})`);
    }
  }
  return problems.length ? `; warning: ${problems.join('; ')}` : '';
}
