/**
 * Locations as plain strings, without the file system (the compiler may not import Node
 * built-ins): local paths in POSIX form and URIs such as `s3://bucket/prefix`.
 */

const URI = /^[a-z][a-z0-9+.-]*:\/\//i;

export function isUri(loc: string): boolean {
  return URI.test(loc);
}

/** `a/./b/../c/` → `a/c`; a URI loses its trailing slashes only. Never leaves the root of an absolute path. */
export function normalisePath(loc: string): string {
  if (isUri(loc)) return loc.replace(/\/+$/, '');
  const p = loc.replace(/\\/g, '/');
  const abs = p.startsWith('/');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length && parts[parts.length - 1] !== '..') parts.pop();
      else if (!abs) parts.push('..');
      continue;
    }
    parts.push(seg);
  }
  return `${abs ? '/' : ''}${parts.join('/')}` || (abs ? '/' : '.');
}

/** A location as an absolute path (or a URI), relative ones taken from `root` (absolute). */
export function absolute(root: string, loc: string): string {
  if (isUri(loc) || loc.startsWith('/')) return normalisePath(loc);
  return normalisePath(`${root}/${loc}`);
}

/** Whether one location is the other or holds it (compared absolute; URIs case-sensitively). */
export function overlaps(a: string, b: string): boolean {
  const x = isUri(a) ? a.replace(/\/+$/, '') : a;
  const y = isUri(b) ? b.replace(/\/+$/, '') : b;
  if (x === y) return true;
  const inside = (inner: string, outer: string) => inner.startsWith(outer.endsWith('/') ? outer : `${outer}/`);
  return inside(x, y) || inside(y, x);
}

export interface TableParts {
  entity: string;
  zone: string;
  name: string;
}

/**
 * The folder of a table's versions on the local target: `lakeDir` joined with `template`
 * (`{entity}/{zone}/{name}` by default). The compiler checks clashes with it, the DuckDB adapter
 * writes there: one formula.
 */
export function localTableFolder(lakeDir: string, template: string, parts: TableParts): string {
  const rel = template.replace(/\{(entity|zone|name)\}/g, (_, k: keyof TableParts) => parts[k]);
  return normalisePath(`${lakeDir.replace(/\\/g, '/')}/${rel}`);
}

/** The S3 prefix of a table's versions on Athena: `<s3_data_dir>/<entity>/<zone>/<name>` (the layout of the local lake). */
export function s3TableFolder(s3DataDir: string, parts: TableParts): string {
  return `${s3DataDir.replace(/\/+$/, '')}/${parts.entity}/${parts.zone}/${parts.name}`;
}
