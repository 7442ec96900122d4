/**
 * Table versions and candidate names, shared by the athena and trino targets: a version is a UTC
 * timestamp and 8 random hex digits; a candidate (not yet published) table is
 * `<name>__stedi_<version>`.
 */

export const VERSION = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

/** A candidate (not yet published) table: `<name>__stedi_<version>`. */
export const CANDIDATE = /^[a-z0-9_]+__stedi_\d{8}t\d{6}z_[0-9a-f]{8}$/;

export function newVersion(now = new Date(), random = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const rand = Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  return `${stamp}-${rand}`;
}

export function candidateName(name: string, version: string): string {
  return `${name}__stedi_${version.toLowerCase().replace('-', '_')}`;
}

/** The published name and the version of a candidate table's name (the inverse of candidateName). */
export function candidateParts(candidate: string): { name: string; version: string } | undefined {
  const m = /^([a-z0-9_]+)__stedi_(\d{8})t(\d{6})z_([0-9a-f]{8})$/.exec(candidate);
  return m ? { name: m[1]!, version: `${m[2]}T${m[3]}Z-${m[4]}` } : undefined;
}
