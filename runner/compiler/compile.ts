/**
 * The compiler: a pure function from the project (plain data), the target and the vars to a
 * manifest. It never touches the file system or an engine. Every problem of the compile is
 * collected; the caller decides to stop when any is an error.
 */
import { foldDiagnostics, type Diagnostic } from '../core/diagnostics.js';
import { duckdbDialect } from '../dialect/duckdb.js';
import type { Dialect } from '../dialect/types.js';
import type { Manifest, ManifestNode, ModelNode, SeedNode, SourceNode } from '../manifest/types.js';
import { MANIFEST_SCHEMA_VERSION } from '../manifest/types.js';
import type { ProjectSpec, TargetConfig } from '../project/types.js';
import { checkCycles, checkDialect, checkModelProps, checkPiiLineage, checkRestateBy, checkIncrementalHistory, checkPiiPolicy, taintedBy, without } from './checks.js';
import { checkClashes, checkLocations, checkNames, checkTargetSettings, type PlacementContext } from './placement.js';
import { renderModels, sourceLines } from './models.js';
import { resolveFolderConfigs } from './configs.js';
import { checkModelSyntax, checkTestSyntax } from './syntax-checks.js';
import type { SqlJudges } from './syntax.js';
import { createRenderEnv } from './render-env.js';
import { makeScope, type Registry } from './scope.js';
import { compileSeeds, compileSources } from './sources.js';
import { compileDataTests } from './tests.js';
import { compileUnitTests } from './unit-tests.js';
import { foldUnreadableSources } from './unreadable.js';

export const STEDI_VERSION = '0.1.0';

export interface CompileInput {
  project: ProjectSpec;
  target: TargetConfig & { name: string };
  dialect: Dialect;
  vars: Record<string, unknown>;
  /** Fixed for reproducible manifests in tests. */
  now?: Date;
  /** The project folder and the other targets: the lake/data locations are checked against them. */
  placement?: Omit<PlacementContext, 'config'>;
  /**
   * The engines' own parsers, per dialect, asked about the compiled SQL the lineage parser cannot
   * read (syntax.ts); a dialect without one is judged by the lineage parser's dialects alone.
   */
  judges?: SqlJudges;
}

export interface CompileOutput {
  manifest?: Manifest;
  diagnostics: Diagnostic[];
}

export function compile(input: CompileInput): CompileOutput {
  const { project, dialect, vars } = input;
  const diagnostics: Diagnostic[] = [];
  const targetCtx = { name: input.target.name, type: dialect.name };
  const env = createRenderEnv(dialect, project.macros, targetCtx, diagnostics);
  const registry: Registry = { refs: new Map(), sources: new Map(), relations: new Map(), eventTimes: new Map(), broken: new Set(), unknownSources: [] };
  const nodes: Record<string, ManifestNode> = {};
  const add = (n: SourceNode | SeedNode | ModelNode): void => {
    nodes[n.unique_id] = n;
    registry.relations.set(n.unique_id, n.relation.rendered);
  };

  const scopeFor = (file: string, raw: string, deps: string[], varsRead?: Record<string, unknown>) =>
    makeScope({ file, raw, self: '', registry, vars, diagnostics, deps, ...(varsRead ? { varsRead } : {}) });
  for (const s of compileSources(project, dialect, env, scopeFor, diagnostics)) {
    registry.sources.set(`${s.source_name}.${s.name}`, s.unique_id);
    if (typeof s.config.event_time === 'string') registry.eventTimes.set(s.unique_id, s.config.event_time);
    add(s);
  }
  for (const s of compileSeeds(project, dialect)) {
    registry.refs.set(s.name, s.unique_id);
    add(s);
  }
  const folders = resolveFolderConfigs(project, diagnostics);
  const modelCtx = { project: { ...project, config: { ...project.config, model_configs: folders } }, dialect, env, registry, vars, diagnostics };
  const models = renderModels(modelCtx);
  for (const m of models) add(m);
  checkModelSyntax(modelCtx, models, input.judges ?? {});
  for (const m of models) {
    if (registry.broken.has(m.unique_id)) continue;
    const compiled = sourceLines(modelCtx, m, false);
    const incremental = m.compiled_incremental_code !== undefined ? sourceLines(modelCtx, m, true) : undefined;
    if (compiled) m.source_lines = { compiled, ...(incremental ? { incremental } : {}) };
  }

  checkModelProps(project, registry, diagnostics);
  checkNames(nodes, diagnostics);
  checkClashes(nodes, input.target, dialect, diagnostics);
  checkTargetSettings(input.target, project.config, diagnostics);
  checkLocations(nodes, input.target, { projectRoot: input.placement?.projectRoot ?? '/project', otherTargets: input.placement?.otherTargets ?? [], config: project.config }, diagnostics);
  checkPiiPolicy(models, diagnostics);
  checkCycles(nodes, diagnostics);
  // one mistake, one error: the lineage of a broken model, and of what reads it, is not checked
  const tainted = taintedBy(nodes, registry.broken);
  const sound = without(nodes, tainted);
  checkPiiLineage(sound, dialect.name, diagnostics);
  checkRestateBy(sound, dialect.name, diagnostics);
  checkIncrementalHistory(sound, diagnostics);

  const testCtx = { project, env, registry, vars, diagnostics, nodes, dialect };
  for (const t of compileDataTests(testCtx)) nodes[t.unique_id] = t;
  // Unit tests always execute on an in-memory DuckDB, whatever the target: render them for it.
  const unitEnv = dialect.name === 'duckdb' ? env : createRenderEnv(duckdbDialect, project.macros, { name: input.target.name, type: 'duckdb' }, []);
  for (const u of compileUnitTests({ ...testCtx, env: unitEnv, dialect: duckdbDialect })) nodes[u.unique_id] = u;
  checkTestSyntax(nodes, tainted, dialect.name, input.judges ?? {}, diagnostics);
  checkDialect(dialect, without(nodes, tainted), diagnostics);

  const folded = foldDiagnostics(foldUnreadableSources(diagnostics, registry, project.unreadable_properties));
  const errors = folded.some((d) => d.severity === 'error');
  const manifest: Manifest = {
    metadata: {
      schema_version: MANIFEST_SCHEMA_VERSION,
      stedi_version: STEDI_VERSION,
      generated_at: (input.now ?? new Date()).toISOString(),
      project_name: project.config.name,
      target: { name: input.target.name, type: input.target.type, settings: publicSettings(input.target) },
      vars,
    },
    nodes,
    diagnostics: folded.filter((d) => d.severity === 'warning'),
  };
  return { ...(errors ? {} : { manifest }), diagnostics: folded };
}

function publicSettings(t: TargetConfig & { name: string }): Record<string, unknown> {
  const { loc: _loc, ...rest } = t as TargetConfig & { loc?: unknown };
  return rest;
}
