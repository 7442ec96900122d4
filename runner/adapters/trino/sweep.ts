/**
 * Leftovers of a build that was killed between a candidate's CREATE TABLE AS and its publish: the
 * candidate tables and views `<name>__stedi_<version>`, a source's Hive landing tables
 * `<name>_raw__stedi_<version>`, and its parts in `landing_dir/<entity>/<name>/v=<version>/`.
 * Before a node builds, exactly its own are removed: a table or view only when its name is a
 * candidate name of one of the node's tables AND its comment names this project, target and node;
 * a parts folder only when it is a version folder of one of the node's tables inside
 * `landing_dir` (a folder the target alone writes). Anything else is left as it is.
 * A concurrent build of the same node on the same target would lose its candidate and fail (it
 * publishes nothing), the fail-closed outcome; two builds of one target at once are not supported.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CANDIDATE, candidateParts } from '../trino-sql/versions.js';
import type { Meta } from './sql.js';

/** A table or view of the schema, with its owner record when the comment is this owner's. */
export interface Listed {
  view: boolean;
  meta?: Meta;
}

/** The names among `tables` that are leftovers of `node` whose published names are `names` (pure). */
export function leftoverTables(tables: Map<string, Listed>, names: readonly string[], node: string): string[] {
  const out: string[] = [];
  for (const [name, t] of tables) {
    const parts = CANDIDATE.test(name) ? candidateParts(name) : undefined;
    if (parts && names.includes(parts.name) && t.meta?.node === node) out.push(name);
  }
  return out.sort();
}

const VERSION_DIR = /^v=\d{8}t\d{6}z-[0-9a-f]{8}$/;

/** The landing parts folders a killed build of these tables left in `landingDir/<entity>/<name>/` (pure but for listing). */
export function leftoverPartFolders(landingDir: string, entity: string, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const dir = path.join(landingDir, entity, name);
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) if (e.isDirectory() && VERSION_DIR.test(e.name)) out.push(path.join(dir, e.name));
  }
  return out.sort();
}
