/** Data tests: each YAML test becomes a node whose SQL returns the failing rows. */
import nunjucks from 'nunjucks';
import { didYouMean, type Diagnostic } from '../core/diagnostics.js';
import type { Dialect } from '../dialect/types.js';
import type { ManifestNode, TestNode, TestSeverity } from '../manifest/types.js';
import type { ColumnSpec, Loc, ProjectSpec, TestSpec } from '../project/types.js';
import { asTags } from './configs.js';
import { fqnOf } from './fqn.js';
import { tidy } from './models.js';
import { IDENT, sqlSafe } from './safe-values.js';
import { PROTOTYPE_NAMES } from './sandbox-names.js';
import type { RenderEnv } from './render-env.js';
import { makeScope, type Registry } from './scope.js';

export interface TestCtx {
  project: ProjectSpec;
  env: RenderEnv;
  registry: Registry;
  vars: Record<string, unknown>;
  diagnostics: Diagnostic[];
  nodes: Record<string, ManifestNode>;
  dialect: Dialect;
}

interface Declared {
  attached: string;
  column?: string;
  spec: TestSpec;
}

export function declaredTests(ctx: TestCtx): Declared[] {
  const p = ctx.project;
  const out: Declared[] = [];
  const collect = (attached: string | undefined, tests: TestSpec[], columns: ColumnSpec[]) => {
    if (!attached || !ctx.nodes[attached]) return;
    for (const spec of tests) out.push({ attached, spec });
    for (const c of columns) for (const spec of c.tests) out.push({ attached, column: c.name, spec });
  };
  for (const m of p.modelProps) collect(ctx.registry.refs.get(m.name), m.tests, m.columns);
  for (const s of p.seedProps) collect(ctx.registry.refs.get(s.name), s.tests, s.columns);
  for (const s of p.sources) for (const t of s.tables) collect(ctx.registry.sources.get(`${s.name}.${t.name}`), t.tests, t.columns);
  return out;
}

const REF_ARG = /^\s*(ref|source)\s*\(.*\)\s*$/s;

export function compileDataTests(ctx: TestCtx): TestNode[] {
  const names = new Set<string>();
  const out: TestNode[] = [];
  const wrappers = new Map<string, nunjucks.Template>();
  for (const d of declaredTests(ctx)) {
    const node = compileOne(ctx, d, wrappers);
    if (!node) continue;
    let name = node.name;
    for (let i = 2; names.has(name); i++) name = `${node.name}_${i}`;
    names.add(name);
    out.push({ ...node, name, unique_id: `test.${ctx.project.config.name}.${name}`, fqn: fqnOf(ctx.project.config, node.original_file_path, name) });
  }
  return out;
}

function compileOne(ctx: TestCtx, d: Declared, wrappers: Map<string, nunjucks.Template>): TestNode | undefined {
  const { spec } = d;
  const macro = `test_${spec.name}`;
  const parent = ctx.nodes[d.attached]!;
  const loc = spec.loc;
  if (!ctx.env.macroNames.has(macro)) {
    const known = [...ctx.env.macroNames].filter((m) => m.startsWith('test_')).map((m) => m.slice(5));
    ctx.diagnostics.push({ code: 'E_UNKNOWN_TEST', severity: 'error', file: loc.file, line: loc.line, message: `no generic test '${spec.name}'`, hint: didYouMean(spec.name, known) ?? `define a macro test_${spec.name} in macros/` });
    return undefined;
  }
  // argument names become keyword names of the macro call: identifiers only
  const badName = Object.keys(spec.args).find((k) => !IDENT.test(k) || PROTOTYPE_NAMES.has(k));
  if (badName !== undefined) {
    ctx.diagnostics.push({ code: 'E_BAD_NAME', severity: 'error', file: loc.file, line: loc.line, message: `test '${spec.name}': argument name '${badName.slice(0, 60)}' is not a valid name`, hint: 'argument names are letters, digits and _ (not starting with a digit), as the macro\'s parameters are' });
    return undefined;
  }
  const deps: string[] = [d.attached];
  const scope = makeScope({ file: loc.file, raw: '', self: '', registry: ctx.registry, vars: ctx.vars, diagnostics: ctx.diagnostics, deps, baseLine: loc.line });
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.args)) {
    // ref()/source() render to relations; every other argument reaches SQL only as an
    // identifier or a quoted literal (see safe-values.ts)
    args[k] = typeof v === 'string' && REF_ARG.test(v) ? renderArg(ctx, v, scope, loc) : sqlSafe(v, ctx.dialect.quoteString);
  }
  const relation = 'relation' in parent ? parent.relation.rendered : '';
  const where = spec.config.where;
  args.model = where ? `(select * from ${relation} where ${String(where)})` : relation;
  if (d.column) args.column_name = sqlSafe(d.column, ctx.dialect.quoteString);
  const keys = Object.keys(args).sort();
  const wrapKey = `${macro}(${keys.join(',')})`;
  let wrapper = wrappers.get(wrapKey);
  if (!wrapper) {
    const t = ctx.env.compileTemplate(wrapKey, `{{ ${macro}(${keys.map((k) => `${k}=__args.${k}`).join(', ')}) }}`);
    if (!(t instanceof nunjucks.Template)) throw new Error(`internal: test wrapper ${wrapKey} did not compile`);
    wrapper = t;
    wrappers.set(wrapKey, wrapper);
  }
  const sql = ctx.env.render(wrapper, scope, { __args: args });
  if (sql === undefined) return undefined;
  const severity = (spec.config.severity ?? 'error') as TestSeverity;
  const { model: _m, ...kwargs } = args;
  return {
    unique_id: '',
    resource_type: 'test',
    name: String(spec.config.name ?? defaultName(spec, parent.name, d.column)),
    original_file_path: loc.file,
    line: loc.line,
    fqn: [],
    tags: [...new Set([...parent.tags, ...asTags(spec.config.tags)])],
    description: '',
    depends_on: deps,
    config: { enabled: spec.config.enabled !== false, severity, ...spec.config },
    test_metadata: { name: spec.name, kwargs: { ...kwargs, ...spec.args } },
    attached_node: d.attached,
    ...(d.column ? { column_name: d.column } : {}),
    severity,
    warn_if: String(spec.config.warn_if ?? '!=0'),
    error_if: String(spec.config.error_if ?? '!=0'),
    compiled_code: tidy(sql),
  };
}

function renderArg(ctx: TestCtx, expr: string, scope: ReturnType<typeof makeScope>, loc: Loc): string {
  const t = ctx.env.compileTemplate(loc.file, `{{ ${expr} }}`);
  if (!(t instanceof nunjucks.Template)) {
    ctx.diagnostics.push({ ...t, line: loc.line });
    return '';
  }
  return ctx.env.render(t, scope) ?? '';
}

function defaultName(spec: TestSpec, parent: string, column?: string): string {
  const parts = [spec.name, parent, ...(column ? [column] : [])];
  for (const v of Object.values(spec.args)) {
    if (typeof v === 'string') parts.push(v.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, ''));
  }
  return parts.join('_').slice(0, 120);
}
