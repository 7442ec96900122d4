/**
 * Everything a command needs before it runs: the project loaded, vars and target resolved,
 * the manifest compiled and written. The I/O edge around the pure loader/compiler.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatDiagnostic, UserError, type Diagnostic } from '../core/diagnostics.js';
import { compileForTarget, dialectFor } from '../compiler/for-target.js';
import { duckdbSyntaxJudge } from '../adapters/duckdb/syntax-judge.js';
import type { Dialect } from '../dialect/types.js';
import type { Manifest } from '../manifest/types.js';
import { parseProjectFiles, readProjectFiles } from '../project/load.js';
import { cacheKey, readCache, recordingEnv, writeCache } from './compile-cache.js';
import type { ResolvedTarget } from '../project/resolve.js';
import type { ProjectSpec } from '../project/types.js';
import type { Reporter } from '../execute/reporter.js';

export const INLINE_MODEL = '__stedi_inline__';

/** The engines' own parsers the compiler asks about SQL the lineage parser cannot read (compiler/syntax.ts). */
export const SQL_JUDGES = { duckdb: duckdbSyntaxJudge };

export interface GlobalOptions {
  projectDir?: string;
  target?: string;
  vars?: string;
  quiet?: boolean;
  logFormat?: 'text' | 'json';
  /** false (--no-compile-cache): compile without reading or writing the compile cache (compile-cache.ts). */
  compileCache?: boolean;
}

export interface Session {
  project: ProjectSpec;
  target: ResolvedTarget;
  dialect: Dialect;
  manifest: Manifest;
  targetPath: string;
  /** The warnings of loading, configuration and compile (a compile with an error stops before a session). */
  warnings: Diagnostic[];
  /** Whether the compile was the cached one (compile-cache.ts): every input of it provably unchanged. */
  compileCached?: boolean;
}


function fail(diags: Diagnostic[], reporter: Reporter, what: string): never {
  for (const d of diags) (d.severity === 'error' ? reporter.error : reporter.warn)(formatDiagnostic(d));
  const n = diags.filter((d) => d.severity === 'error').length;
  throw new UserError(`${what} failed with ${n} error${n === 1 ? '' : 's'}`, diags);
}

/** Changes into the project folder: every relative path of the project is relative to it. */
export function enterProject(opts: GlobalOptions): void {
  if (opts.projectDir) process.chdir(path.resolve(opts.projectDir));
}

/**
 * `inline` adds a throw-away model (stedi show --inline); it is left out of the written manifest.
 * `write: false` defers the artifacts (commands that take the lake lock write them once they hold it).
 */
export function openSession(opts: GlobalOptions, reporter: Reporter, now?: Date, inline?: string, write = true): Session {
  enterProject(opts);
  const read = readProjectFiles('.');
  // the compile cache (compile-cache.ts): not for an inline model, nor when turned off
  const useCache = inline === undefined && opts.compileCache !== false && process.env.STEDI_COMPILE_CACHE !== '0' && !!read.files && !read.diagnostics.some((d) => d.severity === 'error');
  const key = useCache ? cacheKey({ files: read.files!, target: opts.target, cliVars: opts.vars, projectRoot: process.cwd() }) : undefined;
  const cacheDir = key !== undefined ? read.targetPath : undefined;
  const hit = key !== undefined && cacheDir !== undefined ? readCache(cacheDir, key, process.env) : undefined;
  if (hit) {
    const manifest = { ...hit.manifest, metadata: { ...hit.manifest.metadata, generated_at: (now ?? new Date()).toISOString() } };
    const session = { project: hit.project, target: hit.target, dialect: dialectFor(hit.target), manifest, targetPath: hit.project.config.target_path, warnings: hit.diagnostics, compileCached: true };
    if (write) writeArtifacts(session);
    return session;
  }
  const loaded = parseProjectFiles(read);
  const base = loaded.project ?? loaded.partial;
  if (!base) fail(loaded.diagnostics, reporter, 'loading the project');
  const project = inline === undefined ? base : { ...base, models: [...base.models, { path: `${base.config.model_paths[0] ?? 'models'}/${INLINE_MODEL}.sql`, text: inline }] };
  const env = recordingEnv(process.env);
  const c = compileForTarget(project, { target: opts.target, env: env.env, cliVars: opts.vars, projectRoot: process.cwd(), judges: SQL_JUDGES, ...(now ? { now } : {}) });
  const early = [...loaded.diagnostics, ...c.configDiagnostics];
  if (!c.target || !c.dialect) fail(early, reporter, 'reading the configuration');
  const diags = [...early, ...c.compileDiagnostics];
  if (!c.manifest || !loaded.project || diags.some((d) => d.severity === 'error')) fail(diags, reporter, 'compilation');
  const session = { project, target: c.target, dialect: c.dialect, manifest: c.manifest, targetPath: project.config.target_path, warnings: diags.filter((d) => d.severity !== 'error'), compileCached: false };
  if (key !== undefined && cacheDir !== undefined && !env.enumerated() && path.resolve(project.config.target_path) === path.resolve(cacheDir)) writeCache(cacheDir, key, env.read, { project, target: c.target, manifest: c.manifest, diagnostics: session.warnings });
  if (inline === undefined && write) writeArtifacts(session);
  return session;
}

/** target/manifest.json and target/compiled/. */
export function writeArtifacts(s: Session): void {
  writeJson(path.join(s.targetPath, 'manifest.json'), s.manifest);
  writeCompiledSql(s.targetPath, s.manifest);
}

export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/**
 * target/compiled/<model file path>: the compiled SQL of every model, for reading and diffing
 * (tests' SQL is in the manifest). Unchanged files are not rewritten, stale ones are removed.
 */
function writeCompiledSql(targetPath: string, manifest: Manifest): void {
  const root = path.join(targetPath, 'compiled');
  const wanted = new Map<string, string>();
  for (const n of Object.values(manifest.nodes)) {
    if (n.resource_type === 'model') wanted.set(path.join(root, n.original_file_path), `${n.compiled_code}\n`);
  }
  for (const old of listFiles(root)) if (!wanted.has(old)) fs.rmSync(old);
  for (const [file, text] of wanted) {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
