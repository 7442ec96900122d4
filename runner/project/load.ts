/**
 * The I/O edge of the project loader: read the files of a project folder, then parseProject.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticBag, type Diagnostic } from '../core/diagnostics.js';
import { parseProject, type ParseResult } from './parse.js';
import { parseProjectFile } from './projectfile.js';
import { PROJECT_FILE } from './schema.js';

export type FileEntry = { path: string; text: string; sha256?: string };

const CSV_HEAD_CHUNK = 64 * 1024;
const CSV_HEAD_MAX = 4 * 1024 * 1024;

export function loadProject(root: string): ParseResult {
  return parseProjectFiles(readProjectFiles(root));
}

/** What a project folder holds, as read (before any parsing): the files, and the problems reading them. */
export interface ProjectFiles {
  /** Sorted by path; undefined when there is no project file. */
  files?: FileEntry[];
  /** The project's target folder, when its project file reads without error. */
  targetPath?: string;
  diagnostics: Diagnostic[];
}

/** The files of a project folder (stedi_project.yml and the configured folders), read. */
export function readProjectFiles(root: string): ProjectFiles {
  const bag = new DiagnosticBag();
  const projectText = readText(root, PROJECT_FILE, bag);
  if (projectText === undefined) return { diagnostics: bag.items };
  // Parse once just to learn the configured folders; parseProject reports the problems.
  const cfgBag = new DiagnosticBag();
  const cfg = parseProjectFile(PROJECT_FILE, projectText, cfgBag);
  const wanted: [string[], string[]][] = [
    [cfg.model_paths, ['.sql', '.yml', '.yaml']],
    [cfg.macro_paths, ['.sql', '.njk']],
    [cfg.seed_paths, ['.csv']],
  ];
  const files = new Map<string, FileEntry>([[PROJECT_FILE, { path: PROJECT_FILE, text: projectText }]]);
  for (const [roots, exts] of wanted) {
    for (const rel of roots.flatMap((r) => walk(root, r))) {
      if (files.has(rel) || !exts.some((e) => rel.toLowerCase().endsWith(e))) continue;
      const csv = rel.toLowerCase().endsWith('.csv');
      const text = csv ? readCsvHead(root, rel, bag) : readText(root, rel, bag);
      const sha256 = csv && text !== undefined ? hashFile(root, rel, bag) : undefined;
      if (text !== undefined) files.set(rel, { path: rel, text, ...(sha256 ? { sha256 } : {}) });
    }
  }
  const sorted = [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files: sorted, diagnostics: bag.items, ...(cfgBag.hasErrors ? {} : { targetPath: cfg.target_path }) };
}

/** parseProject over what readProjectFiles read; a problem reading a file fails the load. */
export function parseProjectFiles(read: ProjectFiles): ParseResult {
  if (!read.files) return read.diagnostics.some((d) => d.severity === 'error') ? { diagnostics: read.diagnostics } : parseProject([]);
  const result = parseProject(read.files);
  if (!read.diagnostics.some((d) => d.severity === 'error')) return result;
  return { diagnostics: [...read.diagnostics, ...result.diagnostics] };
}

/** Project-relative paths of the files under `rel`, skipping dot-files and dot-folders. */
function walk(root: string, rel: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return []; // a configured folder that does not exist is simply empty
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue;
    const child = `${rel}/${e.name}`;
    const kind = e.isSymbolicLink() ? statKind(path.join(root, child)) : e.isDirectory() ? 'dir' : 'file';
    if (kind === 'dir') out.push(...walk(root, child));
    else if (kind === 'file') out.push(child);
  }
  return out;
}

function statKind(abs: string): 'dir' | 'file' | undefined {
  try {
    const st = fs.statSync(abs);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

function readText(root: string, rel: string, bag: DiagnosticBag): string | undefined {
  try {
    return fs.readFileSync(path.join(root, rel), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    bag.error('E_READ_FILE', rel, 0, `cannot read file: ${(e as Error).message}`);
    return undefined;
  }
}

/** Enough of a CSV file to hold its header line. */
function readCsvHead(root: string, rel: string, bag: DiagnosticBag): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.join(root, rel), 'r');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(CSV_HEAD_CHUNK);
      const n = fs.readSync(fd, buf, 0, buf.length, total);
      chunks.push(buf.subarray(0, n));
      total += n;
      if (n < buf.length || buf.subarray(0, n).includes(10) || total >= CSV_HEAD_MAX) break;
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    bag.error('E_READ_FILE', rel, 0, `cannot read file: ${(e as Error).message}`);
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** SHA-256 (hex) of a whole file, read in chunks (a seed may be larger than the head read above). */
function hashFile(root: string, rel: string, bag: DiagnosticBag): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.join(root, rel), 'r');
    const hash = createHash('sha256');
    const buf = Buffer.alloc(CSV_HEAD_CHUNK);
    for (let n = fs.readSync(fd, buf, 0, buf.length, null); n > 0; n = fs.readSync(fd, buf, 0, buf.length, null)) hash.update(buf.subarray(0, n));
    return hash.digest('hex');
  } catch (e) {
    bag.error('E_READ_FILE', rel, 0, `cannot read file: ${(e as Error).message}`);
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
