/**
 * The pseudonymisation key behind `subject_key`. Read from STEDI_SUBJECT_KEY; on the local
 * target only, a missing key is created once and kept in `.stedi/subject_key` beside the lake
 * (git-ignored, mode 0600) so that the same customer keeps the same subject_key across builds.
 * The key is handed to the engine session only; it is never logged or written to an artifact.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/diagnostics.js';
import type { Manifest } from '../manifest/types.js';
import type { ResolvedTarget } from '../project/resolve.js';
import type { Dialect } from '../dialect/types.js';

export const SUBJECT_KEY_VAR = 'stedi_subject_key';
export const SUBJECT_KEY_ENV = 'STEDI_SUBJECT_KEY';

export function needsSubjectKey(manifest: Manifest, dialect: Dialect, ids: Iterable<string>): boolean {
  const ref = dialect.secretRef(SUBJECT_KEY_VAR);
  for (const id of ids) {
    const n = manifest.nodes[id];
    if (n && 'compiled_code' in n && n.compiled_code.includes(ref)) return true;
  }
  return false;
}

export function localKeyFile(target: ResolvedTarget): string {
  const lake = target.type === 'duckdb' ? target.lake_dir : 'lake';
  return path.join(path.dirname(path.normalize(lake)), '.stedi', 'subject_key');
}

export function subjectKey(target: ResolvedTarget, env: NodeJS.ProcessEnv, info: (m: string) => void): string {
  const fromEnv = env[SUBJECT_KEY_ENV];
  if (fromEnv && fromEnv.trim()) {
    if (fromEnv.trim().length < 16) throw new UserError(`${SUBJECT_KEY_ENV} is too short: use at least 16 characters (32 random bytes recommended)`);
    return fromEnv.trim();
  }
  if (target.type !== 'duckdb') {
    throw new UserError(`${SUBJECT_KEY_ENV} is not set: the ${target.name} target refuses to build pseudonymised tables without it`);
  }
  const file = localKeyFile(target);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  info(`${SUBJECT_KEY_ENV} is not set: created a random pseudonymisation key in ${file} (git-ignored). Keep it to keep subject_key values stable; set ${SUBJECT_KEY_ENV} to use your own.`);
  return key;
}
