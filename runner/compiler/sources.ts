/** Source (landing) and seed nodes: declared, never rendered from SQL. */
import nunjucks from 'nunjucks';
import { didYouMean, type Diagnostic } from '../core/diagnostics.js';
import type { Dialect } from '../dialect/types.js';
import type { ColumnDef, SeedNode, SourceNode } from '../manifest/types.js';
import type { ColumnSpec, ProjectSpec, SourceSpec, SourceTableSpec } from '../project/types.js';
import { asTags, mergeConfigs } from './configs.js';
import { fqnOf } from './fqn.js';
import type { RenderEnv, RenderScope } from './render-env.js';

export function columnDefs(cols: ColumnSpec[]): ColumnDef[] {
  return cols.map((c) => ({
    name: c.name,
    description: c.description,
    ...(c.data_type ? { data_type: c.data_type } : {}),
    pii: c.meta.pii === true,
    meta: c.meta,
    ...(c.derived ? { derived: { ...c.derived } } : {}),
  }));
}

/**
 * The derived columns of a source table, checked against its other columns: the base is a
 * declared varchar column read from the records, and the pseudonym is varchar and not itself
 * tagged meta.pii (a pseudonym is not a direct identifier; tagging it would hide what it is).
 */
function checkDerived(table: string, cols: ColumnSpec[], diagnostics: Diagnostic[]): void {
  for (const c of cols) {
    if (!c.derived) continue;
    const at = { severity: 'error' as const, file: c.loc.file, line: c.loc.line };
    const base = cols.find((b) => b.name.toLowerCase() === c.derived!.pseudonym_of.toLowerCase());
    const problem =
      !base ? `pseudonym_of '${c.derived.pseudonym_of}' is not a column of ${table}`
      : base.derived ? `pseudonym_of '${c.derived.pseudonym_of}' is a derived column itself`
      : (base.data_type ?? '').trim().toLowerCase() !== 'varchar' ? `pseudonym_of '${c.derived.pseudonym_of}' must be a varchar column`
      : (c.data_type ?? '').trim().toLowerCase() !== 'varchar' ? 'a pseudonym is 64 hex digits: declare data_type: varchar'
      : c.meta.pii === true ? 'a pseudonym is not tagged meta.pii: column lineage knows it as pseudonymised'
      : undefined;
    if (problem) diagnostics.push({ ...at, code: 'E_BAD_DERIVED', message: `${table}.${c.name}: ${problem}`, hint: 'write derived: {pseudonym_of: <a varchar column of the same source>}' });
  }
}

export function compileSources(
  project: ProjectSpec,
  dialect: Dialect,
  env: RenderEnv,
  scopeFor: (file: string, raw: string, deps: string[], varsRead?: Record<string, unknown>) => RenderScope,
  diagnostics: Diagnostic[],
): SourceNode[] {
  const out: SourceNode[] = [];
  for (const src of project.sources) {
    for (const t of src.tables) {
      const file = t.loc.file;
      const tmpl = env.compileTemplate(file, t.location);
      let location = t.location;
      const locationVars: Record<string, unknown> = {};
      if (tmpl instanceof nunjucks.Template) {
        const scope = scopeFor(file, t.location, [], locationVars);
        const reportAtLine: RenderScope['report'] = (code, message, _n, hint) =>
          diagnostics.push({ code, severity: 'error', file, line: t.loc.line, message: `${src.name}.${t.name} location: ${message}`, ...(hint ? { hint } : {}) });
        location = env.render(tmpl, { ...scope, report: reportAtLine, rawVars: true })?.trim() ?? '';
      } else diagnostics.push({ ...tmpl, line: t.loc.line });
      const config = mergeConfigs({ enabled: true, on_malformed: 'quarantine', on_removed_file: 'keep' }, t.config);
      checkDerived(`${src.name}.${t.name}`, t.columns, diagnostics);
      const et = config.event_time;
      if (typeof et === 'string' && !t.columns.some((c) => c.name === et)) {
        diagnostics.push({ code: 'E_BAD_CONFIG', severity: 'error', file, line: t.loc.line, message: `${src.name}.${t.name}: event_time '${et}' is not one of its declared columns`, ...(didYouMean(et, t.columns.map((c) => c.name)) ? { hint: didYouMean(et, t.columns.map((c) => c.name))! } : {}) });
      }
      const fresh = freshnessOf(src, t, config, diagnostics);
      out.push({
        unique_id: `source.${project.config.name}.${src.name}.${t.name}`,
        resource_type: 'source',
        name: t.name,
        source_name: src.name,
        original_file_path: file,
        line: t.loc.line,
        fqn: fqnOf(project.config, file, src.name, t.name),
        tags: asTags(config.tags),
        description: t.description,
        depends_on: [],
        config: config as SourceNode['config'],
        relation: dialect.relation(src.name, t.name),
        rejects_relation: dialect.relation(src.name, `${t.name}__rejects`),
        columns: columnDefs(t.columns),
        location,
        ...(Object.keys(locationVars).length ? { location_vars: locationVars } : {}),
        format: t.format,
        entity: t.entity,
        ...fresh,
      });
    }
  }
  return out;
}

export function compileSeeds(project: ProjectSpec, dialect: Dialect): SeedNode[] {
  const props = new Map(project.seedProps.map((p) => [p.name, p]));
  return project.seeds.map((s) => {
    const p = props.get(s.name);
    const config = mergeConfigs({ enabled: true, zone: 'seeds' }, p?.config ?? {});
    const declared = columnDefs(p?.columns ?? []);
    const columns = s.header.map(
      (h) => declared.find((c) => c.name === h) ?? { name: h, description: '', pii: false, meta: {} },
    );
    return {
      unique_id: `seed.${project.config.name}.${s.name}`,
      resource_type: 'seed',
      name: s.name,
      original_file_path: s.path,
      line: 1,
      fqn: fqnOf(project.config, s.path, s.name),
      ...(s.checksum ? { checksum: { name: 'sha256', checksum: s.checksum } } : {}),
      tags: asTags(config.tags),
      description: p?.description ?? '',
      depends_on: [],
      config: config as SeedNode['config'],
      relation: dialect.relation(String(config.zone), s.name),
      columns,
      seed_path: s.path,
      entity: String(config.entity ?? s.name),
    };
  });
}

/**
 * A table's freshness (its own, else its source's; `null` switches the source's off) and the
 * column of its newest event: `loaded_at_field` (the table's, else its source's), else its
 * `event_time`. That column must be declared bigint: landing event times are epoch milliseconds.
 */
function freshnessOf(src: SourceSpec, t: SourceTableSpec, config: Record<string, unknown>, diagnostics: Diagnostic[]): Pick<SourceNode, 'freshness' | 'loaded_at_field'> {
  const freshness = t.freshness !== undefined ? t.freshness : src.freshness;
  const named = t.loaded_at_field ?? src.loaded_at_field;
  const column = named?.column ?? (typeof config.event_time === 'string' ? config.event_time : undefined);
  if (column !== undefined) {
    const declared = t.columns.find((c) => c.name === column);
    const what = named !== undefined ? `loaded_at_field '${column}'${t.loaded_at_field === undefined ? ` (of source ${src.name})` : ''}` : `event_time '${column}'`;
    if (!declared) {
      // event_time names an undeclared column: reported once, by the event_time check
      if (named !== undefined) {
        const hint = didYouMean(column, t.columns.map((c) => c.name));
        diagnostics.push({ code: 'E_BAD_CONFIG', severity: 'error', file: named.loc.file, line: named.loc.line, message: `${src.name}.${t.name}: ${what} is not one of its declared columns`, ...(hint ? { hint } : {}) });
      }
    } else if (freshness && !/^(bigint|int8|long)$/i.test((declared.data_type ?? 'varchar').trim())) {
      diagnostics.push({ code: 'E_BAD_CONFIG', severity: 'error', file: declared.loc.file, line: declared.loc.line, message: `${src.name}.${t.name}: freshness reads ${what} as epoch milliseconds, but it is declared ${declared.data_type ?? 'varchar'}`, hint: 'declare it data_type: bigint, or name another column in loaded_at_field' });
    }
  }
  return { ...(freshness ? { freshness } : {}), ...(column !== undefined ? { loaded_at_field: column } : {}) };
}
