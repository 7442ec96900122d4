/**
 * The pseudonymisation key behind the derived `subject_key` column (runner/landing/derive.ts).
 * Only a command that ingests a source with a derived column needs it; it is read before anything
 * runs, and a key that is missing, unreadable, malformed or ambiguous stops the command with an
 * error that never holds a value of the key.
 *
 * Where it comes from:
 *   - the environment variable STEDI_SUBJECT_KEY, on every target;
 *   - on the athena target, an AWS Secrets Manager secret named by the target setting
 *     `subject_key_secret_id` (GetSecretValue; a secret string). When both are given they must
 *     hold the same key, else the command stops: which one is meant would be a guess;
 *   - on the local target only, when neither is given: a random key created once in
 *     `.stedi/subject_key` beside the lake (git-ignored, mode 0600), so that the same customer
 *     keeps the same subject_key across builds.
 * A key is 16 to 256 printable ASCII characters (surrounding whitespace removed), the same rule on
 * every target, so a key accepted by one is accepted by the other and gives the same values.
 * The key's bytes are its UTF-8 (= ASCII) bytes. Only its fingerprint (derive.ts) is ever shown.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/diagnostics.js';
import { pseudonymKey, type PseudonymKey } from '../landing/derive.js';
import type { Manifest } from '../manifest/types.js';
import type { ResolvedTarget } from '../project/resolve.js';
import { targetSpec } from '../targets/registry.js';

export const SUBJECT_KEY_ENV = 'STEDI_SUBJECT_KEY';
export const SUBJECT_KEY_SECRET_SETTING = 'subject_key_secret_id';
export const KEY_MIN_LENGTH = 16;
export const KEY_MAX_LENGTH = 256;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Reads one secret string; the Secrets Manager client in production (secret-store.ts), a fake in tests. */
export type SecretReader = (secretId: string, region: string) => Promise<string>;

/**
 * True when one of the nodes ingests a source with a derived column, or (`erasures`: the lake has
 * an erasure list) a source with an identity column, matched against the list under the key:
 * only then is the key needed.
 */
export function needsPseudonymKey(manifest: Manifest, ids: Iterable<string>, erasures = false): boolean {
  for (const id of ids) {
    const n = manifest.nodes[id];
    if (n?.resource_type === 'source' && n.columns.some((c) => c.derived || (erasures && c.meta?.identity !== undefined))) return true;
  }
  return false;
}

export function localKeyFile(target: ResolvedTarget): string {
  const lake = targetSpec(target.type).capabilities.local ? String(target.lake_dir) : 'lake';
  return path.join(path.dirname(path.normalize(lake)), '.stedi', 'subject_key');
}

/** The key text checked: trimmed, 16 to 256 printable ASCII characters. The message names `where`, never the value. */
export function checkedKey(value: string, where: string): string {
  const key = value.trim();
  if (!key) throw new UserError(`${where} is empty: the pseudonymisation key must be ${KEY_MIN_LENGTH} to ${KEY_MAX_LENGTH} printable ASCII characters`);
  if (key.length < KEY_MIN_LENGTH) throw new UserError(`${where} is too short: use at least ${KEY_MIN_LENGTH} characters (32 random bytes, written as 64 hex digits, recommended)`);
  if (key.length > KEY_MAX_LENGTH || !PRINTABLE_ASCII.test(key)) throw new UserError(`${where} must be ${KEY_MIN_LENGTH} to ${KEY_MAX_LENGTH} printable ASCII characters (e.g. 64 hex digits)`);
  return key;
}

export interface KeyOptions {
  env: NodeJS.ProcessEnv;
  info: (m: string) => void;
  /** Reads the Secrets Manager secret; required when the target names one. */
  readSecret?: SecretReader;
}

/** The key of a command that needs it, read from where the target says (see the header). */
export async function resolvePseudonymKey(target: ResolvedTarget, opts: KeyOptions): Promise<PseudonymKey> {
  const fromEnv = opts.env[SUBJECT_KEY_ENV]?.trim() ? checkedKey(opts.env[SUBJECT_KEY_ENV]!, SUBJECT_KEY_ENV) : undefined;
  const secretId = secretIdOf(target);
  const fromSecret = secretId !== undefined ? await secretKey(secretId, String(target.region), opts.readSecret) : undefined;
  if (fromEnv !== undefined && fromSecret !== undefined && fromEnv !== fromSecret) {
    throw new UserError(`the pseudonymisation key is ambiguous: ${SUBJECT_KEY_ENV} and the secret of ${SUBJECT_KEY_SECRET_SETTING} hold different keys; unset ${SUBJECT_KEY_ENV} or make them the same`);
  }
  const key = fromEnv ?? fromSecret;
  if (key !== undefined) return pseudonymKey(Buffer.from(key, 'utf8'));
  if (!targetSpec(target.type).capabilities.local) {
    const secret = SUBJECT_KEY_SECRET_SETTING in targetSpec(target.type).fields ? ` or the target setting ${SUBJECT_KEY_SECRET_SETTING} (an AWS Secrets Manager secret)` : '';
    throw new UserError(`no pseudonymisation key: the ${target.name} target refuses to ingest a source with a derived column (subject_key) without one; set ${SUBJECT_KEY_ENV}${secret}`);
  }
  return pseudonymKey(Buffer.from(localKey(target, opts.info), 'utf8'));
}

/**
 * What a dry run (athena, nothing sent) can check of the key: STEDI_SUBJECT_KEY by the build's own
 * rule, so that a key the build would refuse stops the dry run too (a UserError, never naming the
 * value). What only AWS can tell (the secret's value, whether it equals STEDI_SUBJECT_KEY) is not
 * checked: the lines returned say so, and say when a real build would refuse for want of a key.
 */
export function dryRunKeyCheck(target: ResolvedTarget, env: NodeJS.ProcessEnv): { notes: string[]; warnings: string[] } {
  const given = env[SUBJECT_KEY_ENV]?.trim() ? checkedKey(env[SUBJECT_KEY_ENV]!, SUBJECT_KEY_ENV) : undefined;
  const secretId = secretIdOf(target);
  if (secretId !== undefined) {
    const also = given !== undefined ? `; the build then requires it to equal ${SUBJECT_KEY_ENV}` : '';
    return { notes: [`The build reads the pseudonymisation key from AWS Secrets Manager first (GetSecretValue of ${SUBJECT_KEY_SECRET_SETTING})${also}; the dry run reads no secret, so the secret itself is not checked`], warnings: [] };
  }
  if (given === undefined) return { notes: [], warnings: [`neither ${SUBJECT_KEY_ENV} nor ${SUBJECT_KEY_SECRET_SETTING} is set: a real build on ${target.name} would refuse to start`] };
  return { notes: [], warnings: [] };
}

/** The Secrets Manager secret id of the target (athena only), if it names one. */
export function secretIdOf(target: ResolvedTarget): string | undefined {
  return typeof target.subject_key_secret_id === 'string' ? target.subject_key_secret_id : undefined;
}

async function secretKey(secretId: string, region: string, read: SecretReader | undefined): Promise<string> {
  if (!read) throw new Error('internal: no Secrets Manager reader was given');
  let value: string;
  try {
    value = await read(secretId, region);
  } catch (e) {
    // the SDK's message names the secret id and the reason (access denied, not found), never a value
    throw new UserError(`cannot read the pseudonymisation key from AWS Secrets Manager (${SUBJECT_KEY_SECRET_SETTING}): ${(e as Error).name}: ${(e as Error).message}`);
  }
  return checkedKey(value, `the secret of ${SUBJECT_KEY_SECRET_SETTING}`);
}

function localKey(target: ResolvedTarget, info: (m: string) => void): string {
  const file = localKeyFile(target);
  if (fs.existsSync(file)) return checkedKey(fs.readFileSync(file, 'utf8'), file);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  info(`${SUBJECT_KEY_ENV} is not set: created a random pseudonymisation key in ${file} (git-ignored). Keep it to keep subject_key values stable; set ${SUBJECT_KEY_ENV} to use your own.`);
  return key;
}
