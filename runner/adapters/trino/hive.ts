/**
 * `table_format: hive` on the trino target: Trino's Hive connector cannot replace a table, so the
 * published name is a view over a version table `<name>__stedi_v_<version>` (Parquet, managed),
 * switched by CREATE OR REPLACE VIEW. Which version tables are kept, and which dropped, is
 * decided here from the schema's listing and the view's comment (pure).
 */
import type { Listed } from './sweep.js';
import type { Meta } from './sql.js';

/** The table a published Hive-format version lives in (not a candidate name: a sweep never takes it). */
export function hiveVersionName(name: string, version: string): string {
  return `${name}__stedi_v_${version.toLowerCase().replace('-', '_')}`;
}

export function isHiveVersionOf(table: string, name: string): boolean {
  return table.startsWith(`${name}__stedi_v_`) && /^\d{8}t\d{6}z_[0-9a-f]{8}$/.test(table.slice(name.length + '__stedi_v_'.length));
}

/** The version tables to keep, newest first: the one just published and the `keep` published before it (as the previous view's comment records them). */
export function keptVersions(current: string, previous: Meta | undefined, keep: number): string[] {
  return [current, ...(previous?.kept_versions ?? (previous?.version_table ? [previous.version_table] : []))].slice(0, keep + 1);
}

/** The node's version tables of `name` to drop: owned by the node (its comment), not kept. */
export function versionsToDrop(tables: Map<string, Listed>, name: string, node: string, kept: readonly string[]): string[] {
  return [...tables].filter(([n, t]) => isHiveVersionOf(n, name) && !t.view && t.meta?.node === node && !kept.includes(n)).map(([n]) => n).sort();
}
