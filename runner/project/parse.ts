/**
 * parseProject: every project file (path + text) → ProjectSpec, or every problem found.
 * Pure: no Node built-ins here or in anything imported.
 */
import { DiagnosticBag, type Diagnostic } from '../core/diagnostics.js';
import { csvHeader } from './csv.js';
import { parseProjectFile } from './projectfile.js';
import { parsePropertyFile, type PropertyFile } from './props.js';
import { PROJECT_FILE } from './schema.js';
import type { CsvSeedFile, Loc, ProjectSpec, SourceFile } from './types.js';
import { IDENT_RE } from './yamlread.js';

export interface ParseResult {
  /** Undefined when any error diagnostic was reported. */
  project?: ProjectSpec;
  /**
   * Best effort even when there are errors (the broken parts left out), so that a caller can
   * still compile the rest and report every problem of the project at once.
   */
  partial?: ProjectSpec;
  diagnostics: Diagnostic[];
}

export function parseProject(files: { path: string; text: string; sha256?: string }[]): ParseResult {
  const bag = new DiagnosticBag();
  const sorted = files
    .map((f) => ({ path: f.path.replace(/\\/g, '/'), text: f.text, ...(f.sha256 ? { sha256: f.sha256 } : {}) }))
    .filter((f) => !f.path.split('/').some((seg) => seg.startsWith('.')))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const projectFile = sorted.find((f) => f.path === PROJECT_FILE);
  if (!projectFile) {
    bag.error('E_NO_PROJECT_FILE', PROJECT_FILE, 0, `no ${PROJECT_FILE} found`, 'run stedi from the project root (the folder holding stedi_project.yml)');
    return { diagnostics: bag.items };
  }
  const read: { unreadable?: boolean } = {};
  const config = parseProjectFile(PROJECT_FILE, projectFile.text, bag, read);
  // without its project file nothing can be placed or resolved: the rest is not read (no partial)
  if (read.unreadable) return { diagnostics: sortDiagnostics(bag.items) };
  const pick = (roots: string[], exts: string[]): SourceFile[] =>
    sorted.filter((f) => underAny(f.path, roots) && exts.some((e) => f.path.toLowerCase().endsWith(e)));
  const propFiles = pick(config.model_paths, ['.yml', '.yaml']);
  const parsed = propFiles.map((f) => parsePropertyFile(f.path, f.text, bag));
  const props = mergeProperties(parsed, bag);
  const unreadable = propFiles.filter((_, i) => parsed[i]!.unreadable);
  const project: ProjectSpec = {
    config,
    models: pick(config.model_paths, ['.sql']),
    macros: pick(config.macro_paths, ['.sql', '.njk']),
    seeds: readSeeds(pick(config.seed_paths, ['.csv']), bag),
    ...props,
    ...(unreadable.length > 0 ? { unreadable_properties: unreadable } : {}),
  };
  const diagnostics = sortDiagnostics(bag.items);
  return bag.hasErrors ? { partial: project, diagnostics } : { project, partial: project, diagnostics };
}

/** Project file first, then by file and line (stable within a line). */
function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const rank = (d: Diagnostic): number => (d.file === PROJECT_FILE ? 0 : 1);
  return [...ds].sort((a, b) => rank(a) - rank(b) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line);
}

function underAny(path: string, roots: string[]): boolean {
  return roots.some((r) => path.startsWith(`${r}/`));
}

function stem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

function readSeeds(files: SourceFile[], bag: DiagnosticBag): CsvSeedFile[] {
  const seeds: CsvSeedFile[] = [];
  const byName = new Map<string, string>();
  for (const f of files) {
    const name = stem(f.path);
    const header = csvHeader(f.text);
    if (!IDENT_RE.test(name)) {
      bag.error('E_BAD_NAME', f.path, 0, `seed name '${name}' (the file name) is not a valid identifier`, 'rename the file using letters, digits and _');
    }
    checkHeader(f.path, header, bag);
    const first = byName.get(name);
    if (first) bag.error('E_DUPLICATE_SEED', f.path, 0, `seed '${name}' is defined twice`, `also at ${first}`);
    else byName.set(name, f.path);
    seeds.push({ path: f.path, name, header, ...(f.sha256 ? { checksum: f.sha256 } : {}) });
  }
  return seeds;
}

function checkHeader(file: string, header: string[], bag: DiagnosticBag): void {
  if (header.length === 0 || header.every((h) => h === '')) {
    bag.error('E_BAD_SEED', file, 1, 'seed file has no header line');
    return;
  }
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '') bag.error('E_BAD_SEED', file, 1, 'seed header has an empty column name');
    else if (seen.has(h.toLowerCase())) bag.error('E_BAD_SEED', file, 1, `seed header names column '${h}' twice`);
    seen.add(h.toLowerCase());
  }
}

type Merged = Pick<ProjectSpec, 'sources' | 'modelProps' | 'seedProps' | 'unitTests'>;

function mergeProperties(files: PropertyFile[], bag: DiagnosticBag): Merged {
  const merged: Merged = {
    sources: files.flatMap((f) => f.sources),
    modelProps: files.flatMap((f) => f.models),
    seedProps: files.flatMap((f) => f.seeds),
    unitTests: files.flatMap((f) => f.unitTests),
  };
  const tables = merged.sources.flatMap((s) => s.tables.map((t) => ({ key: `${s.name}.${t.name}`, loc: t.loc })));
  reportDuplicates(merged.modelProps.map((m) => ({ key: m.name, loc: m.loc })), 'model', bag);
  reportDuplicates(merged.seedProps.map((m) => ({ key: m.name, loc: m.loc })), 'seed', bag);
  reportDuplicates(tables, 'source table', bag);
  reportDuplicates(merged.unitTests.map((m) => ({ key: m.name, loc: m.loc })), 'unit test', bag);
  return merged;
}

function reportDuplicates(items: { key: string; loc: Loc }[], kind: string, bag: DiagnosticBag): void {
  const first = new Map<string, Loc>();
  for (const { key, loc } of items) {
    const prev = first.get(key);
    if (!prev) {
      first.set(key, loc);
      continue;
    }
    bag.error('E_DUPLICATE_PROPERTY', loc.file, loc.line, `${kind} '${key}' is declared more than once`, `first declared at ${prev.file}:${prev.line}`);
  }
}
