/**
 * The compile cache (dbt's partial parsing, made exact): the result of loading and compiling a
 * project, kept in `<target-path>/compile_cache.json` and used again only when every input of it
 * is provably the same. Compiling the STEDI project (YAML, templates, the SQL parser, the lineage
 * and PII gates) costs about 0.7 s of every command; a daily build with no model change pays it
 * for nothing.
 *
 * The compiler is a pure function of (compiler/for-target.ts): the project's files as read, the
 * target name, the --vars text, the project folder, the environment variables it reads, and the
 * code that compiles. The cache key is a SHA-256 of the first four and of the code (every file of
 * stedi's own compiled code, the Node.js version, and the versions of the libraries the compiler
 * runs: nunjucks, yaml, the SQL parser, DuckDB for its syntax judge). The environment is read
 * through a recording proxy: the names read, with a SHA-256 of each value (never the value: a
 * target may read a password with env_var()), are stored with the entry and must match now. If
 * the compiler enumerated the environment (it does not), nothing is stored. Only a compile
 * without errors is stored; the manifest's generated_at is set anew on a hit. The statements the
 * compile parsed are kept with it (the reuse and delta-audit checks of a build parse the same SQL
 * again: about 0.3 s for the STEDI project), looked up by a SHA-256 of dialect and text.
 *
 * Fail closed: an unreadable, damaged or foreign cache file is a miss (compiled again, and
 * rewritten), never an error and never trusted in part. The file carries an HMAC-SHA256 under a
 * key of this machine user (machineKey): a file written anywhere else is a miss. `--no-compile-cache` (or
 * STEDI_COMPILE_CACHE=0) compiles without reading or writing it. The file holds what
 * target/manifest.json holds (compiled SQL, no data).
 */
import crypto, { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../core/diagnostics.js';
import { parsedStatements, preloadParsed } from '../lineage/parser.js';
import type { Manifest } from '../manifest/types.js';
import type { FileEntry } from '../project/load.js';
import type { ResolvedTarget } from '../project/resolve.js';
import type { ProjectSpec } from '../project/types.js';

export const CACHE_FILE = 'compile_cache.json';
const FORMAT = 1;

/** What a compile produced that a command needs again. */
export interface CompiledProject {
  project: ProjectSpec;
  target: ResolvedTarget;
  manifest: Manifest;
  /** Every diagnostic of the load, the configuration and the compile (none is an error). */
  diagnostics: Diagnostic[];
}

interface Entry {
  format: number;
  key: string;
  /** Environment variable → sha256 of its value ("-" when unset), for each one the compile read. */
  env: Record<string, string>;
  result: CompiledProject;
  /** The statements the compile parsed (lineage/parser.ts), which the commands parse again to judge reuse and audits. */
  parsed?: [string, unknown[]][];
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const envDigest = (v: string | undefined) => (v === undefined ? '-' : sha(v));

let code: string | null | undefined;
/** The identity of the code that compiles: stedi's own files and the libraries it runs; null when a library cannot be found (then nothing is cached). */
export function codeIdentity(): string | null {
  if (code !== undefined) return code;
  const h = createHash('sha256');
  h.update(process.version);
  // the folder of stedi's code this module runs from (dist/ when installed, runner/ under a test runner)
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|mjs|cjs|ts|json|wasm)$/.test(e.name)) h.update(`${path.relative(root, p)}\u0000`).update(fs.readFileSync(p)).update('\u0000');
    }
  };
  walk(root);
  const require = createRequire(import.meta.url);
  for (const dep of ['nunjucks', 'yaml', '@guanmingchiu/sqlparser-ts', '@duckdb/node-api']) {
    let version: string | undefined;
    try {
      // the package's own package.json, found upwards from its entry point
      let dir = path.dirname(require.resolve(dep));
      for (let i = 0; i < 6; i++, dir = path.dirname(dir)) {
        const pj = path.join(dir, 'package.json');
        if (fs.existsSync(pj)) {
          const j = JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string; version?: string };
          if (j.name === dep) {
            version = String(j.version);
            break;
          }
        }
      }
    } catch {
      version = undefined;
    }
    // a library whose version cannot be read: a change of it would go unseen, so nothing is cached
    if (version === undefined) return (code = null);
    h.update(`${dep}@${version}\u0000`);
  }
  return (code = h.digest('hex'));
}

export interface CacheInputs {
  files: FileEntry[];
  target: string | undefined;
  cliVars: string | undefined;
  projectRoot: string;
}

/** The key of a compile, or undefined when it cannot be cached (the code's identity is unknown). */
export function cacheKey(inputs: CacheInputs): string | undefined {
  const id = codeIdentity();
  if (id === null) return undefined;
  return sha(JSON.stringify({ format: FORMAT, code: id, files: inputs.files, target: inputs.target ?? null, cliVars: inputs.cliVars ?? null, projectRoot: inputs.projectRoot }));
}

/** The environment, read through a proxy that records every name asked for; `enumerated` when it was listed. */
export function recordingEnv(env: Record<string, string | undefined>): { env: Record<string, string | undefined>; read: Map<string, string | undefined>; enumerated: () => boolean } {
  const read = new Map<string, string | undefined>();
  let listed = false;
  const proxy = new Proxy(env, {
    get(t, k) {
      if (typeof k === 'string') read.set(k, t[k]);
      return typeof k === 'string' ? t[k] : undefined;
    },
    has(t, k) {
      if (typeof k === 'string') read.set(k, t[k]);
      return k in t;
    },
    ownKeys(t) {
      listed = true;
      return Reflect.ownKeys(t);
    },
    getOwnPropertyDescriptor(t, k) {
      if (typeof k === 'string') read.set(k, t[k]);
      return Reflect.getOwnPropertyDescriptor(t, k);
    },
  });
  return { env: proxy, read, enumerated: () => listed };
}

const HEADER = 'stedi-compile-cache';
let secret: Buffer | null | undefined;

/**
 * This machine user's key for the cache's MAC: `$XDG_CACHE_HOME/stedi/compile-cache.key` (or
 * ~/.cache/…), 32 random bytes made on first use, readable by its owner only. null when it cannot
 * be read or made safely (then nothing is cached). The MAC makes a cache file written elsewhere — a
 * target/ folder restored from a CI artifact, a copied project — a miss: the compile it holds
 * passed the PII gate on another machine, which this one cannot check without compiling.
 */
function machineKey(): Buffer | null {
  if (secret !== undefined) return secret;
  try {
    const dir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'stedi');
    const file = path.join(dir, 'compile-cache.key');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, crypto.randomBytes(32), { mode: 0o600 });
      try {
        fs.linkSync(tmp, file); // never replaces a key another process made meanwhile
      } catch {
        // another process made it first: use theirs
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    }
    const st = fs.lstatSync(file);
    const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
    if (!st.isFile() || !mine || (st.mode & 0o077) !== 0 || st.size !== 32) return (secret = null);
    return (secret = fs.readFileSync(file));
  } catch {
    return (secret = null);
  }
}

const mac = (k: Buffer, text: string) => crypto.createHmac('sha256', k).update(text).digest('hex');

/** The cached compile for `key`, when its file is intact, was written on this machine by this user, and every environment variable it read is as it was. */
export function readCache(dir: string, key: string, env: Record<string, string | undefined>): CompiledProject | undefined {
  const k = machineKey();
  if (!k) return undefined;
  let entry: Entry;
  try {
    const text = fs.readFileSync(path.join(dir, CACHE_FILE), 'utf8');
    const nl = text.indexOf('\n');
    const [header, tag] = text.slice(0, Math.max(nl, 0)).split(' ');
    const body = text.slice(nl + 1);
    if (nl < 0 || header !== HEADER || typeof tag !== 'string' || tag.length !== 64) return undefined;
    if (!crypto.timingSafeEqual(Buffer.from(tag, 'hex'), Buffer.from(mac(k, body), 'hex'))) return undefined;
    entry = JSON.parse(body) as Entry;
  } catch {
    return undefined;
  }
  if (!entry || entry.format !== FORMAT || entry.key !== key || !entry.env || typeof entry.env !== 'object' || !entry.result?.manifest || !entry.result.project || !entry.result.target) return undefined;
  for (const [name, digest] of Object.entries(entry.env)) if (envDigest(env[name]) !== digest) return undefined;
  if (Array.isArray(entry.parsed)) preloadParsed(entry.parsed);
  return entry.result;
}

/** Keeps a compile for the next command (atomically: a reader sees the old file or the new one). Best effort. */
export function writeCache(dir: string, key: string, read: Map<string, string | undefined>, result: CompiledProject): void {
  const k = machineKey();
  if (!k) return;
  const entry: Entry = { format: FORMAT, key, env: Object.fromEntries([...read].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, envDigest(v)])), result, parsed: parsedStatements() as [string, unknown[]][] };
  const file = path.join(dir, CACHE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const body = JSON.stringify(entry);
    fs.writeFileSync(tmp, `${HEADER} ${mac(k, body)}\n${body}`);
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}
