/**
 * The local lake: a folder laid out like the S3 zones. Each table version is written to its
 * own `v=<version>/` folder; the catalog points at exactly one of them. stedi deletes only
 * `v=` folders below the lake that the catalog does not point at.
 */
import fs from 'node:fs';
import path from 'node:path';

export const VERSION_DIR = /^v=\d{8}T\d{6}Z-[0-9a-f]{8}$/;

export function newVersion(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const rand = Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return `${stamp}-${rand}`;
}

export function tablePath(lakeDir: string, template: string, parts: { entity: string; zone: string; name: string }): string {
  const rel = template.replace(/\{(entity|zone|name)\}/g, (_, k: 'entity' | 'zone' | 'name') => parts[k]);
  return path.posix.join(lakeDir.split(path.sep).join('/'), rel);
}

/** Every `v=` folder under `root`, as project-relative posix paths. */
export function listVersionDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 8 || !fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = path.posix.join(dir, e.name);
      if (VERSION_DIR.test(e.name)) out.push(p);
      else walk(p, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

/** Removes a version folder; refuses anything that is not one. */
export function removeVersionDir(dir: string): void {
  if (!VERSION_DIR.test(path.posix.basename(dir))) throw new Error(`internal: refusing to delete ${dir}`);
  fs.rmSync(dir, { recursive: true, force: true });
}
