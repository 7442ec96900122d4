/**
 * The local lake: a folder laid out like the S3 zones. Each table version is written to its own
 * `v=<version>/` folder; the catalog points at one of them (and remembers the versions it keeps).
 *
 * Ownership is explicit, on disk, and checked before anything is written or deleted:
 * - the lake folder holds `_stedi_lake.json` naming the project and the target that own it; a
 *   lake owned by another project or target, or nested inside (or holding) another stedi lake,
 *   is refused;
 * - every version folder holds `_stedi_version.json` naming the project, target, node and
 *   version. stedi deletes a folder only when it is a `v=` folder whose marker names this
 *   project and target; anything else is left in place, whatever the catalog says.
 * Files whose names start with `_` are not data: the views read `*.parquet` only.
 */
import { ERASURE_LOG } from '../../landing/erasure-log.js';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../types.js';

export const VERSION_DIR = /^v=\d{8}T\d{6}Z-[0-9a-f]{8}$/;
export const LAKE_MARKER = '_stedi_lake.json';
export const VERSION_MARKER = '_stedi_version.json';

/** The `v=` folder a part lives in (a microbatch part is filed a level or two below it). */
export function versionFolderOf(part: string): string {
  for (let d = path.dirname(part); d !== path.dirname(d); d = path.dirname(d)) if (VERSION_DIR.test(path.basename(d))) return d;
  return path.dirname(part);
}

export interface Owner {
  project: string;
  target: string;
}

export function newVersion(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const rand = Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return `${stamp}-${rand}`;
}

/**
 * A marker file: undefined when there is none; `{}` when something unreadable stands there (it
 * then names no owner, so nothing it marks is ever taken for stedi's).
 */
function readJson(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return {};
  }
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const sameOwner = (m: Record<string, unknown> | undefined, o: Owner): boolean => !!m && m.project === o.project && m.target === o.target;
const describeOwner = (m: Record<string, unknown>): string => `project '${String(m.project ?? '?')}', target '${String(m.target ?? '?')}'`;

function writeAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/**
 * Checks (and on first use, claims) the lake folder for `owner`. `adoptable` says whether an
 * unmarked, non-empty folder may be claimed: true when this target's own catalog already
 * exists (a lake built by a stedi version before markers). Throws an EngineError naming the
 * folder and the owner otherwise.
 */
export function claimLake(lakeDir: string, owner: Owner, opts: { write: boolean; adoptable: boolean }): void {
  const abs = path.resolve(lakeDir);
  for (let d = path.dirname(abs); ; d = path.dirname(d)) {
    const m = readJson(path.join(d, LAKE_MARKER));
    if (m) throw new EngineError(`the lake folder ${lakeDir} is inside another stedi lake (${path.relative('.', d) || d}, owned by ${describeOwner(m)}): choose a lake_dir outside it`, { path: lakeDir });
    if (path.dirname(d) === d) break;
  }
  const marker = path.join(lakeDir, LAKE_MARKER);
  const m = readJson(marker);
  if (m) {
    if (!sameOwner(m, owner)) {
      throw new EngineError(`the lake folder ${lakeDir} belongs to ${describeOwner(m)} (${marker}); this is project '${owner.project}', target '${owner.target}': give this target its own lake_dir`, { path: lakeDir });
    }
    return;
  }
  if (!opts.write) return;
  const cannot = (e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOTDIR' || err.code === 'EEXIST' ? 'a file stands where the folder must be' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.code === 'ENOSPC' ? 'the disk is full' : err.message;
    return new EngineError(`cannot write ${lakeDir}: ${why}`, { path: lakeDir });
  };
  let entries: string[];
  try {
    entries = fs.existsSync(lakeDir) ? fs.readdirSync(lakeDir) : [];
  } catch (e) {
    throw cannot(e);
  }
  // stedi forget's erasure log may come first (a target forgotten before its first build): it is stedi's own
  if (entries.some((e) => e !== ERASURE_LOG) && !opts.adoptable) {
    throw new EngineError(`the lake folder ${lakeDir} already holds files that stedi did not create (no ${LAKE_MARKER}): choose an empty or new folder for lake_dir`, { path: lakeDir });
  }
  const nested = findNestedLake(lakeDir);
  if (nested) throw new EngineError(`the lake folder ${lakeDir} holds another stedi lake (${nested}): choose a lake_dir that does not contain it`, { path: lakeDir });
  try {
    fs.mkdirSync(lakeDir, { recursive: true });
    writeAtomic(marker, { project: owner.project, target: owner.target, created_at: new Date().toISOString() });
  } catch (e) {
    throw cannot(e);
  }
}

function findNestedLake(root: string): string | undefined {
  let found: string | undefined;
  walk(root, 0, (dir) => {
    if (found !== undefined) return 'stop';
    if (dir !== root && fs.existsSync(path.join(dir, LAKE_MARKER))) {
      found = dir;
      return 'stop';
    }
    return VERSION_DIR.test(path.basename(dir)) ? 'stop' : 'descend';
  });
  return found;
}

/** Visits folders below `root` (at most 8 deep); `visit` says whether to look inside. */
function walk(root: string, depth: number, visit: (dir: string) => 'descend' | 'stop'): void {
  if (depth > 8 || !fs.existsSync(root)) return;
  if (visit(root) === 'stop') return;
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    if (e.isDirectory() && !e.isSymbolicLink()) walk(path.posix.join(root, e.name), depth + 1, visit);
  }
}

/** Creates a fresh version folder with its ownership marker. */
export function makeVersionDir(dir: string, owner: Owner, node: string): void {
  fs.mkdirSync(dir, { recursive: true });
  writeAtomic(path.join(dir, VERSION_MARKER), { project: owner.project, target: owner.target, node, version: path.basename(dir).slice(2), created_at: new Date().toISOString() });
}

/** Marks a folder the catalog already points at (a lake written before markers existed). */
export function adoptVersionDir(dir: string, owner: Owner, node: string): void {
  if (!VERSION_DIR.test(path.basename(dir)) || !fs.existsSync(dir) || fs.existsSync(path.join(dir, VERSION_MARKER))) return;
  writeAtomic(path.join(dir, VERSION_MARKER), { project: owner.project, target: owner.target, node, version: path.basename(dir).slice(2), adopted_at: new Date().toISOString() });
}

export function ownsVersionDir(dir: string, owner: Owner): boolean {
  return VERSION_DIR.test(path.posix.basename(dir)) && sameOwner(readJson(path.join(dir, VERSION_MARKER)), owner);
}

/**
 * Every `v=` folder under `root` owned by `owner`, as project-relative posix paths. Does not
 * look inside another lake nested below (a folder with its own lake marker).
 */
export function listOwnedVersionDirs(root: string, owner: Owner): string[] {
  const out: string[] = [];
  walk(root, 0, (dir) => {
    if (dir !== root && fs.existsSync(path.join(dir, LAKE_MARKER))) return 'stop';
    if (VERSION_DIR.test(path.posix.basename(dir))) {
      if (ownsVersionDir(dir, owner)) out.push(dir);
      return 'stop';
    }
    return 'descend';
  });
  return out;
}

/** Removes a version folder only when its marker names `owner`; returns whether it did. */
export function removeVersionDir(dir: string, owner: Owner): boolean {
  if (!ownsVersionDir(dir, owner)) return false;
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}
