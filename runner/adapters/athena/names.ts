/** Names and locations stedi gives to Glue tables and S3 prefixes. */
import { EngineError } from '../types.js';
import { s3TableFolder, type TableParts } from '../../core/paths.js';
import { trimSlash } from './settings.js';
import { VERSION } from '../trino-sql/versions.js';

/** Glue/Athena table names: lower-case letters, digits and underscores. */
export const GLUE_NAME = /^[a-z0-9_]{1,255}$/;

export { CANDIDATE, candidateName, candidateParts, newVersion, VERSION } from '../trino-sql/versions.js';

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
