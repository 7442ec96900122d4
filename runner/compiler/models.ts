/** Models: two-pass rendering (dbt's way). Pass 1 records config() and dependencies; once
 * every model's config (and so its relation) is known, pass 2 renders the final SQL. */
import nunjucks from 'nunjucks';
import type { Diagnostic } from '../core/diagnostics.js';
import type { Dialect } from '../dialect/types.js';
import type { Materialization, ModelNode } from '../manifest/types.js';
import { MODEL_CONFIG_KEYS } from '../project/schema.js';
import type { ProjectSpec, SourceFile } from '../project/types.js';
import { asRestateBy, asTags, checkConfigKeys, folderConfigsFor, incrementalProblems, mergeConfigs } from './configs.js';
import { batchWindow } from '../core/batches.js';
import { lineOf, type RenderEnv } from './render-env.js';
import { makeScope, type Registry } from './scope.js';
import { columnDefs } from './sources.js';
import { compiledLineStarts, renderedOffset, sourcePosition, unmark, type Piece, type SourcePosition } from './source-map.js';
import { fqnOf } from './fqn.js';

export interface Ctx {
  project: ProjectSpec;
  dialect: Dialect;
  env: RenderEnv;
  registry: Registry;
  vars: Record<string, unknown>;
  diagnostics: Diagnostic[];
}

export function modelName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.sql$/, '');
}

export function renderModels(ctx: Ctx): ModelNode[] {
  const { project, registry, diagnostics } = ctx;
  const files: SourceFile[] = [];
  const seen = new Map<string, string>();
  for (const f of project.models) {
    const name = modelName(f.path);
    const clash = seen.get(name) ?? (registry.refs.has(name) ? `the seed '${name}'` : undefined);
    if (clash) {
      diagnostics.push({ code: 'E_DUPLICATE_MODEL', severity: 'error', file: f.path, line: 1, message: `model '${name}' is defined twice`, hint: `also defined by ${clash}; model names must be unique across folders` });
      continue;
    }
    seen.set(name, f.path);
    registry.refs.set(name, `model.${project.config.name}.${name}`);
    files.push(f);
  }
  const templates = files.map((f) => ({ f, t: ctx.env.compileTemplate(f.path, f.text) }));
  const rendered: { f: SourceFile; t: nunjucks.Template; config: Record<string, unknown> }[] = [];
  for (const { f, t } of templates) {
    if (!(t instanceof nunjucks.Template)) {
      diagnostics.push(t);
      // still a model: a ref() to it is not a second error
      registry.broken.add(`model.${project.config.name}.${modelName(f.path)}`);
      continue;
    }
    const config = firstPass(ctx, f, t);
    if (config.enabled === false) registry.refs.delete(modelName(f.path));
    else rendered.push({ f, t, config });
  }
  for (const r of rendered) {
    const name = modelName(r.f.path);
    const rel = ctx.dialect.relation(String(r.config.zone ?? 'main'), String(r.config.alias ?? name));
    registry.relations.set(`model.${project.config.name}.${name}`, rel.rendered);
    if (typeof r.config.event_time === 'string' && r.config.event_time) registry.eventTimes.set(`model.${project.config.name}.${name}`, r.config.event_time);
  }
  return rendered.map((r) => secondPass(ctx, r.f, r.t, r.config));
}

function firstPass(ctx: Ctx, f: SourceFile, t: nunjucks.Template): Record<string, unknown> {
  const inFile: Record<string, unknown>[] = [];
  const scratch: Diagnostic[] = [];
  const scope = makeScope({ file: f.path, raw: f.text, self: '', registry: ctx.registry, vars: ctx.vars, diagnostics: scratch, deps: [], configs: inFile });
  ctx.env.render(t, scope);
  for (const c of inFile) {
    for (const p of checkConfigKeys(c, MODEL_CONFIG_KEYS)) {
      ctx.diagnostics.push({ code: 'E_BAD_CONFIG', severity: 'error', file: f.path, line: lineOf(f.text, p.key) || lineOf(f.text, 'config('), message: p.message, ...(p.hint ? { hint: p.hint } : {}) });
    }
  }
  const name = modelName(f.path);
  const props = ctx.project.modelProps.find((p) => p.name === name);
  const folder = folderConfigsFor(f.path, ctx.project.config.model_paths, ctx.project.config.model_configs);
  const merged = mergeConfigs({ enabled: true, materialized: 'view' }, ...folder, props?.config ?? {}, ...inFile);
  // the incremental settings are checked together, wherever each was set
  for (const p of incrementalProblems(merged)) {
    ctx.diagnostics.push({ code: 'E_BAD_CONFIG', severity: 'error', file: f.path, line: lineOf(f.text, p.key) || lineOf(f.text, 'config(') || 1, message: p.message, ...(p.hint ? { hint: p.hint } : {}) });
  }
  return merged;
}

function secondPass(ctx: Ctx, f: SourceFile, t: nunjucks.Template, config: Record<string, unknown>): ModelNode {
  const name = modelName(f.path);
  const id = `model.${ctx.project.config.name}.${name}`;
  const deps: string[] = [];
  const varsRead: Record<string, unknown> = {};
  const self = ctx.registry.relations.get(id) ?? '';
  // a microbatch model reads its event-time inputs through the batch window in both renderings:
  // the adapter fills it in (every interval from begin for a whole build, some for a batch)
  const window = config.materialized === 'incremental' && config.incremental_strategy === 'microbatch' ? batchWindow(ctx.dialect) : undefined;
  const scope = makeScope({ file: f.path, raw: f.text, self, registry: ctx.registry, vars: ctx.vars, diagnostics: ctx.diagnostics, deps, varsRead, ...(window ? { window } : {}) });
  const errorsBefore = errorCount(ctx.diagnostics);
  const sql = ctx.env.render(t, scope) ?? '';
  // an incremental model is rendered twice: is_incremental() false (the first build, --full-refresh)
  // and true (a batch added to the published table, `{{ this }}`); both add to its dependencies
  // (a microbatch model's second rendering reads its event-time inputs through the batch window)
  let incremental: string | undefined;
  if (config.materialized === 'incremental') {
    const found: Diagnostic[] = [];
    incremental = ctx.env.render(t, makeScope({ file: f.path, raw: f.text, self, registry: ctx.registry, vars: ctx.vars, diagnostics: found, deps, varsRead, incremental: true, ...(window ? { window } : {}) })) ?? '';
    // what only the incremental branch gets wrong is reported too (once, however both renderings saw it)
    const seen = new Set(ctx.diagnostics.map((d) => `${d.code}|${d.file}|${d.line}|${d.message}`));
    for (const d of found) if (!seen.has(`${d.code}|${d.file}|${d.line}|${d.message}`)) ctx.diagnostics.push(d);
  }
  if (errorCount(ctx.diagnostics) > errorsBefore) ctx.registry.broken.add(id);
  // a model that did not render has inputs missing from deps: checking them would repeat its error
  if (config.incremental_strategy === 'microbatch' && !ctx.registry.broken.has(id)) checkMicrobatchInputs(ctx, f, id, config, deps);
  const props = ctx.project.modelProps.find((p) => p.name === name);
  const zone = String(config.zone ?? 'main');
  return {
    unique_id: id,
    resource_type: 'model',
    name,
    original_file_path: f.path,
    line: 1,
    fqn: fqnOf(ctx.project.config, f.path, name),
    tags: asTags(config.tags),
    description: props?.description ?? '',
    depends_on: deps,
    config: config as ModelNode['config'],
    materialized: config.materialized as Materialization,
    entity: String(config.entity ?? name),
    zone,
    relation: ctx.dialect.relation(zone, String(config.alias ?? name)),
    columns: columnDefs(props?.columns ?? []),
    raw_code: f.text,
    compiled_code: tidy(sql),
    ...(incremental !== undefined ? { compiled_incremental_code: tidy(incremental) } : {}),
    vars_read: varsRead,
  };
}

/**
 * A microbatch model's inputs: it needs at least one input with an `event_time` (else no batch
 * could be told from another), and each `restate_by.from` entry must name one of its other inputs
 * (an input with an event_time is filtered by interval, never restated by key).
 */
function checkMicrobatchInputs(ctx: Ctx, f: SourceFile, id: string, config: Record<string, unknown>, deps: string[]): void {
  const at = (needle: string) => lineOf(f.text, needle) || 1;
  const report = (message: string, hint?: string, needle = 'microbatch') =>
    ctx.diagnostics.push({ code: 'E_BAD_CONFIG', severity: 'error', file: f.path, line: at(needle), message: `${id.split('.').pop()}: ${message}`, ...(hint ? { hint } : {}) });
  if (!deps.some((d) => ctx.registry.eventTimes.has(d))) {
    report('incremental_strategy microbatch, but none of its inputs declares an event_time, so no batch can be told from another', 'set config: {event_time: <column>} on the source table or model it reads its events from');
  }
  const restate = asRestateBy(config.restate_by);
  for (const name of Object.keys(restate?.from ?? {})) {
    const dep = ctx.registry.refs.get(name) ?? ctx.registry.sources.get(name);
    if (!dep || !deps.includes(dep)) report(`restate_by.from names '${name}', which is not one of its inputs`, `inputs: ${deps.map((d) => d.split('.').slice(2).join('.')).join(', ')}`, name);
    else if (ctx.registry.eventTimes.has(dep)) report(`restate_by.from names '${name}', which has an event_time: it is read by interval, not restated by key`, undefined, name);
  }
}

export function errorCount(diagnostics: readonly Diagnostic[]): number {
  return diagnostics.reduce((n, d) => n + (d.severity === 'error' ? 1 : 0), 0);
}

/**
 * The template line of a 1-based (line, column) of a model's compiled SQL (its is_incremental()
 * rendering with `incremental`): the model is rendered again, once as before and once with
 * position marks (source-map.ts). No position is claimed when the two differ.
 */
export function locateInModel(ctx: Ctx, m: ModelNode, incremental: boolean, line: number, column: number): SourcePosition {
  const r = markedRender(ctx, m, incremental);
  if ('why' in r) return { exact: false, line: 0, why: r.why };
  const offset = renderedOffset(r.text, (incremental ? m.compiled_incremental_code : m.compiled_code) ?? '', line, column);
  if (offset === undefined) return { exact: false, line: 0, why: 'the compiled SQL is not the rendered template' };
  return sourcePosition(m.raw_code, r.text, r.pieces, offset);
}

/**
 * The template line of each line of a model's compiled SQL (0 where not known exactly), so that
 * an engine's error at run time can name the model's line (runner/execute/engine-lines.ts).
 */
export function sourceLines(ctx: Ctx, m: ModelNode, incremental: boolean): number[] | undefined {
  const compiled = (incremental ? m.compiled_incremental_code : m.compiled_code) ?? '';
  const r = markedRender(ctx, m, incremental);
  const starts = 'why' in r ? undefined : compiledLineStarts(r.text, compiled);
  if ('why' in r || !starts) return undefined;
  return compiled.split('\n').map((l, i) => {
    if (!l.trim()) return 0;
    const p = sourcePosition(m.raw_code, r.text, r.pieces, starts[i]! + (l.length - l.trimStart().length));
    return p.exact ? p.line : 0;
  });
}

/** The model rendered again, with and without position marks; the two must agree. */
function markedRender(ctx: Ctx, m: ModelNode, incremental: boolean): { text: string; pieces: Piece[] } | { why: string } {
  const plain = ctx.env.compileTemplate(m.original_file_path, m.raw_code);
  const marked = ctx.env.compileTemplate(m.original_file_path, m.raw_code, true);
  if (!(plain instanceof nunjucks.Template) || !(marked instanceof nunjucks.Template)) return { why: 'the template did not compile again' };
  const window = m.config.materialized === 'incremental' && m.config.incremental_strategy === 'microbatch' ? batchWindow(ctx.dialect) : undefined;
  const render = (t: nunjucks.Template) =>
    ctx.env.render(t, makeScope({ file: m.original_file_path, raw: m.raw_code, self: ctx.registry.relations.get(m.unique_id) ?? '', registry: ctx.registry, vars: ctx.vars, diagnostics: [], deps: [], varsRead: {}, incremental, ...(window ? { window } : {}) }));
  const text = render(plain);
  const out = unmark(render(marked) ?? '');
  if (text === undefined || !out || out.text !== text) return { why: 'the template renders differently with position marks' };
  return { text, pieces: out.pieces };
}

/** Drop the blank lines left by config() and block tags, keep the SQL as written. */
export function tidy(sql: string): string {
  return sql.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim();
}
