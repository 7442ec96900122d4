/** Identifiers, literals and the ownership comment of the trino target's tables. */

/** A quoted identifier. */
export const q = (id: string): string => `"${id.replace(/"/g, '""')}"`;
/** A string literal. */
export const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** What a table's comment records: its owner, node, rows and inputs (and, for a Hive version, its table format). */
export interface Meta {
  stedi: string;
  node: string;
  rows?: number;
  inputs?: Record<string, unknown>;
  published_at?: string;
  /** `hive`: the published name is a view over the version table `version_table`. */
  format?: 'hive';
  version_table?: string;
  /** Hive: the version tables kept for readers, newest first (the published one and `keep_versions` published before it). */
  kept_versions?: string[];
}

/** The comment's owner record when it is `owner`'s (`<project>/<target>`), else undefined (another owner, none, or not JSON). */
export function ownMeta(comment: string | null | undefined, owner: string): Meta | undefined {
  if (!comment) return undefined;
  try {
    const m = JSON.parse(comment) as Meta;
    return m && typeof m === 'object' && m.stedi === owner && typeof m.node === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}
