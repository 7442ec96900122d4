/** Names and locations stedi gives to Glue tables and S3 prefixes. */
import { EngineError } from '../types.js';
import { s3TableFolder, type TableParts } from '../../core/paths.js';
import { trimSlash } from './settings.js';

/** Glue/Athena table names: lower-case letters, digits and underscores. */
export const GLUE_NAME = /^[a-z0-9_]{1,255}$/;

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

export function checkGlueName(name: string, what: string): void {
  if (!GLUE_NAME.test(name)) {
    throw new EngineError(`${what}: '${name}' is not a valid Athena table name (lower-case letters, digits and _ only, at most 255): rename the file or set config alias`);
  }
  if (name.includes('__stedi_')) throw new EngineError(`${what}: '${name}': names containing '__stedi_' are reserved for stedi's candidate tables`);
}

/** s3://…/<entity>/<zone>/<name>/v=<version>/ — the same layout as the local lake. */
export function versionLocation(s3DataDir: string, parts: TableParts, version: string): string {
  return `${s3TableFolder(s3DataDir, parts)}/v=${version}/`;
}

/** True for a location stedi created: under s3_data_dir and ending in a `v=<version>/` folder. */
export function isStediVersionLocation(s3DataDir: string, location: string): boolean {
  const base = `${trimSlash(s3DataDir)}/`;
  if (!location.startsWith(base)) return false;
  const m = /\/v=([^/]+)\/$/.exec(location);
  return !!m && VERSION.test(m[1]!) && !location.slice(base.length).split('/').includes('..');
}

/**
 * The ownership marker of a version prefix: an object beside it, not in it (a CTAS refuses a
 * location that holds any object), `<table prefix>/_stedi_versions/v=<version>.json`. It names the
 * project, target and node; stedi deletes a version prefix only when its marker names its own
 * project and target.
 */
export function versionMarkerKey(location: string): string {
  const m = /^(.*\/)(v=[^/]+)\/$/.exec(location);
  if (!m) throw new Error(`internal: ${location} is not a version prefix`);
  return `${m[1]}_stedi_versions/${m[2]}.json`;
}
