/**
 * The one sequence every caller runs to compile a project for a target (the CLI session, the
 * docs' other targets, the benchmarks, the test harnesses): resolve the target by name, resolve
 * the vars (project < target < STEDI_VARS < --vars), pick the target's dialect, compile.
 * Pure: the environment is passed in.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { Dialect } from '../dialect/types.js';
import type { Manifest } from '../manifest/types.js';
import { resolveTarget, resolveVars, type ResolvedTarget } from '../project/resolve.js';
import { targetVars } from '../project/target.js';
import type { ProjectSpec } from '../project/types.js';
import { targetSpec } from '../targets/registry.js';
import { compile } from './compile.js';
import type { SqlJudges } from './syntax.js';

export function dialectFor(target: ResolvedTarget): Dialect {
  return targetSpec(target.type).dialect(target);
}

export interface CompileForTargetOptions {
  /** The target's name; the project's default target when omitted. */
  target?: string | undefined;
  /** Read by env_var(), STEDI_VARS and the target's env-backed keys. */
  env?: Record<string, string | undefined>;
  /** The --vars text (YAML). */
  cliVars?: string | undefined;
  now?: Date;
  /** The project folder, absolute: relative lake and landing locations are compared from it. */
  projectRoot?: string;
  /** The engines' own SQL parsers, asked about what the lineage parser cannot read (compiler/syntax.ts). */
  judges?: SqlJudges;
}

export interface CompiledForTarget {
  target?: ResolvedTarget;
  dialect?: Dialect;
  manifest?: Manifest;
  /** Reading the target and the vars; an error here means nothing was compiled. */
  configDiagnostics: Diagnostic[];
  compileDiagnostics: Diagnostic[];
}

export function compileForTarget(project: ProjectSpec, opts: CompileForTargetOptions = {}): CompiledForTarget {
  const env = opts.env ?? {};
  const t = resolveTarget(project.config, opts.target, env);
  const v = resolveVars(project.config.vars, opts.cliVars, env, t.target ? targetVars(t.target) : {});
  const configDiagnostics = [...v.diagnostics, ...t.diagnostics];
  if (!t.target) return { configDiagnostics, compileDiagnostics: [] };
  const dialect = dialectFor(t.target);
  // the other targets, as far as they resolve with this environment: their locations must not overlap this one's
  const otherTargets = Object.keys(project.config.targets).filter((n) => n !== t.target!.name).flatMap((n) => resolveTarget(project.config, n, env).target ?? []);
  const placement = { projectRoot: opts.projectRoot ?? '/project', otherTargets };
  const out = compile({ project, target: t.target, dialect, vars: v.vars, placement, ...(opts.now ? { now: opts.now } : {}), ...(opts.judges ? { judges: opts.judges } : {}) });
  return { target: t.target, dialect, ...(out.manifest ? { manifest: out.manifest } : {}), configDiagnostics, compileDiagnostics: out.diagnostics };
}
