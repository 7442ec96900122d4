/**
 * The checks of `stedi debug`, each one line: OK, ERROR (with a hint) or SKIP (it needs a check
 * that failed). A check never prints a secret: the pseudonymisation key by its fingerprint only,
 * AWS credentials by where they came from only.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AwsApi } from '../adapters/athena/api.js';
import type { ResolvedTarget } from '../project/resolve.js';
import type { ProjectSpec } from '../project/types.js';
import { checkedKey, localKeyFile, resolvePseudonymKey, secretIdOf, SUBJECT_KEY_ENV, SUBJECT_KEY_SECRET_SETTING, type SecretReader } from './secrets.js';
import { pseudonymKey } from '../landing/derive.js';
import { targetSpec } from '../targets/registry.js';

export type CheckStatus = 'OK' | 'ERROR' | 'SKIP';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export function formatCheck(c: Check): string {
  return `${c.status.padEnd(5)} ${c.name.padEnd(11)} ${c.detail}${c.hint ? ` (hint: ${c.hint})` : ''}`;
}

/** Runs one check: its sentence when it passes, the error's message (and the hint for it) when not. */
export async function check(name: string, run: () => Promise<string> | string, hint?: (message: string) => string | undefined): Promise<Check> {
  try {
    return { name, status: 'OK', detail: await run() };
  } catch (e) {
    const detail = (e as Error).message ?? String(e);
    const h = hint?.(detail);
    return { name, status: 'ERROR', detail, ...(h ? { hint: h } : {}) };
  }
}

export function skipped(name: string, because: string): Check {
  return { name, status: 'SKIP', detail: `not checked: ${because}` };
}

/** Whether a build of the whole project would need the pseudonymisation key: a source derives a column (or, `erasures`, declares an identity column). */
export function projectNeedsKey(project: ProjectSpec, erasures: boolean): boolean {
  return project.sources.some((s) => s.tables.some((t) => t.columns.some((c) => c.derived || (erasures && c.meta.identity !== undefined))));
}

/** The lake folder: writable, or creatable in the nearest folder that exists. */
export function lakeCheck(lakeDir: string): Promise<Check> {
  return check('lake', () => {
    if (fs.existsSync(lakeDir)) {
      if (!fs.statSync(lakeDir).isDirectory()) throw new Error(`${lakeDir} exists and is not a folder`);
      writable(lakeDir);
      return `${lakeDir}/ is writable`;
    }
    let parent = path.dirname(path.resolve(lakeDir));
    while (!fs.existsSync(parent)) parent = path.dirname(parent);
    writable(parent);
    return `${lakeDir}/ does not exist yet; the first build creates it (${path.relative('.', parent) || '.'}/ is writable)`;
  }, (m) => (/not writable/.test(m) ? 'give this user write access to the folder, or set lake_dir on the target to a folder it may write' : undefined));
}

function writable(dir: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new Error(`${path.relative('.', dir) || '.'}/ is not writable by this user`);
  }
}

/**
 * The local catalog, opened read-only and read through (as `stedi recover` probes it). A build
 * holding it is reported, not waited for: the open fails without taking anything.
 */
export async function catalogCheck(catalog: string): Promise<Check> {
  if (!fs.existsSync(catalog)) return { name: 'catalog', status: 'OK', detail: `${catalog} does not exist yet; the first build creates it` };
  const [{ probeCatalog }, { readSnapshot, snapshotPath }] = await Promise.all([import('../adapters/duckdb/open.js'), import('../adapters/duckdb/catalog.js')]);
  const published = (): string => {
    try {
      const snap = readSnapshot(snapshotPath(catalog));
      return snap ? `${snap.relations.length} relations published as of ${snap.written_at}` : 'nothing published yet';
    } catch (e) {
      return `the published snapshot cannot be read (${(e as Error).message})`;
    }
  };
  try {
    await probeCatalog(catalog);
  } catch (e) {
    const m = (e as Error).message;
    if (/in use by another stedi process/.test(m)) {
      const pid = /\(pid (\d+)\)/.exec(m)?.[1];
      return { name: 'catalog', status: 'OK', detail: `${catalog} is held by a running build${pid ? ` (pid ${pid})` : ''}: not opened; ${published()}` };
    }
    return { name: 'catalog', status: 'ERROR', detail: m, ...(/damaged/.test(m) ? { hint: 'stedi recover' } : {}) };
  }
  return { name: 'catalog', status: 'OK', detail: `${catalog} opens read-only and reads through; ${published()}` };
}

/**
 * The pseudonymisation key a build would use, by its fingerprint. Nothing is created: on the local
 * target, a missing key file is what the first build creates.
 */
export function keyCheck(target: ResolvedTarget, env: NodeJS.ProcessEnv, needed: boolean, readSecret?: SecretReader): Promise<Check> {
  return check('key', async () => {
    if (!needed) return 'not needed: no source of this project derives a pseudonym';
    const fromEnv = !!env[SUBJECT_KEY_ENV]?.trim();
    if (targetSpec(target.type).capabilities.local && !fromEnv) {
      const file = localKeyFile(target);
      if (!fs.existsSync(file)) return `no key yet: the first build creates a random one in ${file} (set ${SUBJECT_KEY_ENV} to use your own)`;
      return `the key file ${file}, fingerprint ${pseudonymKey(Buffer.from(checkedKey(fs.readFileSync(file, 'utf8'), file), 'utf8')).fingerprint}`;
    }
    const key = await resolvePseudonymKey(target, { env, info: () => undefined, ...(readSecret ? { readSecret } : {}) });
    const secret = secretIdOf(target) !== undefined;
    const from = fromEnv && secret ? `${SUBJECT_KEY_ENV} and the secret of ${SUBJECT_KEY_SECRET_SETTING} (the same key)` : fromEnv ? SUBJECT_KEY_ENV : `the secret of ${SUBJECT_KEY_SECRET_SETTING}`;
    return `${from}, fingerprint ${key.fingerprint}`;
  }, (m) => (/no pseudonymisation key/.test(m) ? `export ${SUBJECT_KEY_ENV}=<16 to 256 printable characters>, or set ${SUBJECT_KEY_SECRET_SETTING} on the target` : /Secrets Manager/.test(m) ? 'check the secret id, its region and the secretsmanager:GetSecretValue permission' : undefined));
}

const CREDENTIAL_HINT = "configure the AWS SDK's default provider chain: AWS_PROFILE (then 'aws sso login' for an SSO profile), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a role";

/** Credentials from the SDK's default provider chain: where they came from, never what they are. */
export function credentialsCheck(aws: AwsApi, env: NodeJS.ProcessEnv): Promise<Check> {
  return check('credentials', async () => {
    if (!aws.credentials) throw new Error('internal: these AWS calls report no credentials');
    const c = await aws.credentials();
    const sources = Object.keys(c.source ?? {}).map((k) => k.replace(/^CREDENTIALS_/, '').toLowerCase().replace(/_/g, ' '));
    const profile = env.AWS_PROFILE ? `, AWS_PROFILE ${env.AWS_PROFILE}` : '';
    return `resolved by the AWS SDK's default provider chain (${sources.length ? sources.join(', ') : 'source not reported'}${profile})${c.expiration ? `; temporary, until ${c.expiration.toISOString()}` : ''}`;
  }, () => CREDENTIAL_HINT);
}

/** A failed AWS check's hint: the permission for a refusal, the network for an unreachable endpoint. */
export function awsHint(message: string, permission: string): string | undefined {
  if (/no usable AWS credentials/.test(message)) return CREDENTIAL_HINT;
  if (/could not be reached/.test(message)) return 'check the network, a proxy (HTTPS_PROXY) and the region';
  if (/refused a call/.test(message)) return `these credentials need ${permission}`;
  if (/does not exist/.test(message)) return 'check the name in the target settings (or its environment variable)';
  return undefined;
}
