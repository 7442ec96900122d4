/** Whole-project checks that run after every node is known. */
import { didYouMean, type Diagnostic } from '../core/diagnostics.js';
import type { Dialect } from '../dialect/types.js';
import { findAllCycles } from '../graph/dag.js';
import type { ManifestNode, ModelNode } from '../manifest/types.js';
import type { ProjectSpec } from '../project/types.js';
import { piiViolations } from '../lineage/pii.js';
import { nodeLabel, projectLineage } from '../lineage/project.js';
import { asRestateBy, incrementalStrategy } from './configs.js';
import { lineOf } from './render-env.js';
import type { Registry } from './scope.js';

export function checkModelProps(project: ProjectSpec, registry: Registry, diagnostics: Diagnostic[]): void {
  const models = new Set(project.models.map((f) => f.path.slice(f.path.lastIndexOf('/') + 1).replace(/\.sql$/, '')));
  for (const p of project.modelProps) {
    if (!models.has(p.name)) {
      diagnostics.push({
        code: 'E_PROPS_UNKNOWN_MODEL', severity: 'error', file: p.loc.file, line: p.loc.line,
        message: `properties are given for model '${p.name}', which has no .sql file`,
        hint: didYouMean(p.name, registry.refs.keys()) ?? 'create the model or remove the entry',
      });
    }
  }
}

/** A model with `pii_allowed: false` may not declare a column tagged meta.pii. Column-level
 * lineage extends this to derived columns. */
export function checkPiiPolicy(models: ModelNode[], diagnostics: Diagnostic[]): void {
  for (const m of models) {
    if (m.config.pii_allowed !== false) continue;
    for (const c of m.columns.filter((c) => c.pii)) {
      diagnostics.push({
        code: 'E_PII_FORBIDDEN', severity: 'error', file: m.original_file_path, line: 1,
        message: `${m.name}.${c.name} is tagged meta.pii but ${m.name} has pii_allowed: false`,
        hint: PSEUDONYM_HINT,
      });
    }
  }
}

/** What a personal column needs to reach a `pii_allowed: false` model: the pseudonym a source derives. */
export const PSEUDONYM_HINT = 'use the pseudonym a landing source derives at ingestion (a column with derived: {pseudonym_of: …}, e.g. subject_key) or drop the column';

/**
 * Column lineage of every `pii_allowed: false` model (and the models upstream of it): a column
 * fed by personal data, other than through a source's derived pseudonym, or whose origin cannot be
 * resolved, is an error naming the column path back to the personal data. A model whose SQL
 * cannot be analysed at all is one error: none of its columns can be shown free of personal data.
 */
export function checkPiiLineage(nodes: Record<string, ManifestNode>, dialect: string, diagnostics: Diagnostic[]): void {
  piiLineage(nodes, dialect, diagnostics);
  // an incremental model's is_incremental() branch is SQL that publishes rows too: checked the same way
  const incremental = Object.values(nodes).filter((n): n is ModelNode => n.resource_type === 'model' && n.compiled_incremental_code !== undefined);
  if (!incremental.length) return;
  const branch = { ...nodes };
  for (const n of incremental) branch[n.unique_id] = { ...n, compiled_code: n.compiled_incremental_code! };
  const found: Diagnostic[] = [];
  piiLineage(branch, dialect, found);
  const seen = new Set(diagnostics.map((d) => `${d.code}|${d.file}|${d.message}`));
  for (const d of found) if (!seen.has(`${d.code}|${d.file}|${d.message}`)) diagnostics.push({ ...d, message: `in its is_incremental() branch: ${d.message}` });
}

function piiLineage(nodes: Record<string, ManifestNode>, dialect: string, diagnostics: Diagnostic[]): void {
  const restricted = Object.values(nodes).filter((n) => n.resource_type === 'model' && n.config.pii_allowed === false).map((n) => n.unique_id);
  if (!restricted.length) return;
  const lineage = projectLineage({ nodes, dialect, only: restricted });
  const label = (r: { node: string; column: string }) => `${nodeLabel(nodes[r.node], r.node)}.${r.column}`;
  for (const v of piiViolations(nodes, lineage.models, lineage.pii)) {
    const m = nodes[v.node] as ModelNode;
    if (v.column === undefined) {
      diagnostics.push({
        code: 'E_PII_UNVERIFIED', severity: 'error', file: m.original_file_path, line: 1,
        message: `cannot show that any column of ${m.name} is free of personal data, and ${m.name} has pii_allowed: false: column lineage cannot read its compiled SQL (${v.unresolved?.reason ?? 'not analysed'})`,
        hint: 'write it as one SELECT that names every column it outputs, in SQL the lineage parser reads (no positional #n, no PIVOT statement, no DuckDB-only shorthand); `stedi docs generate` shows what lineage makes of each model',
      });
      continue;
    }
    const at = { node: v.node, column: v.column };
    const path = v.path.map(label).join(' <- ');
    const unknown = v.status === 'unknown';
    const origin = v.unresolved ? ` (${v.unresolved.reference}: ${v.unresolved.reason})` : ' (meta.pii)';
    diagnostics.push({
      code: unknown ? 'E_PII_UNVERIFIED' : 'E_PII_LINEAGE', severity: 'error', file: m.original_file_path,
      line: lineOf(m.raw_code, ` ${v.column.replace(/\(…\)$/, '(')}`) || 1,
      message: unknown
        ? `cannot show that ${label(at)} carries no personal data, and ${m.name} has pii_allowed: false: ${path}${origin}`
        : `${label(at)} is ${v.status === 'pii' ? 'personal data' : 'derived from personal data'}, and ${m.name} has pii_allowed: false: ${path}${origin}`,
      hint: unknown
        ? 'name each column it outputs from the columns of sources, seeds and models, qualified and aliased: a star over what lineage cannot expand, a table function, columns(), a query parameter or a construct lineage does not analyse cannot be proven free of personal data'
        : PSEUDONYM_HINT,
    });
  }
}

/**
 * The broken models and every node that reads one, directly or through others: checks of their
 * SQL or lineage would only report again, in other words, the error that broke it.
 */
export function taintedBy(nodes: Record<string, ManifestNode>, broken: ReadonlySet<string>): Set<string> {
  const tainted = new Set(broken);
  for (let grew = true; grew; ) {
    grew = false;
    for (const n of Object.values(nodes)) {
      if (tainted.has(n.unique_id) || !n.depends_on.some((d) => tainted.has(d))) continue;
      tainted.add(n.unique_id);
      grew = true;
    }
  }
  return tainted;
}

/** `nodes` without the ones in `left`. */
export function without(nodes: Record<string, ManifestNode>, left: ReadonlySet<string>): Record<string, ManifestNode> {
  return Object.fromEntries(Object.entries(nodes).filter(([id]) => !left.has(id)));
}

export function checkCycles(nodes: Record<string, ManifestNode>, diagnostics: Diagnostic[]): void {
  const ids = Object.keys(nodes).sort();
  for (const chain of findAllCycles(ids, (id) => nodes[id]?.depends_on ?? [])) {
    const first = nodes[chain[0]!];
    const names = chain.map((id) => nodes[id]?.name ?? id);
    diagnostics.push({
      code: 'E_CYCLE', severity: 'error', file: first?.original_file_path ?? '', line: 1,
      message: `dependency cycle: ${names.join(' > ')}`,
      hint: 'a model cannot read from itself, directly or through others',
    });
  }
}

/**
 * Warnings for SQL the target's engine rejects or evaluates differently (e.g. DuckDB-only
 * constructs in models and tests compiled for Athena). The line is that of the construct in the
 * model file when it can be found there, else the node's own line.
 */
export function checkDialect(dialect: Dialect, nodes: Record<string, ManifestNode>, diagnostics: Diagnostic[]): void {
  if (!dialect.lint) return;
  for (const n of Object.values(nodes)) {
    if (n.resource_type !== 'model' && n.resource_type !== 'test') continue;
    const seen = new Set<string>();
    for (const f of dialect.lint(n.compiled_code)) {
      if (seen.has(f.construct)) continue;
      seen.add(f.construct);
      const raw = n.resource_type === 'model' ? n.raw_code : '';
      const i = raw ? raw.indexOf(f.needle) : -1;
      const line = i >= 0 ? raw.slice(0, i).split('\n').length : n.line;
      diagnostics.push({
        code: 'W_DIALECT', severity: 'warning', file: n.original_file_path, line,
        message: `${n.resource_type} ${n.name}: ${f.message} (compiling for ${dialect.name})`, hint: f.hint,
      });
    }
  }
}

/**
 * `restate_by` of a microbatch model is a promise that its rows of key k depend only on the rows
 * of key k of each keyed dimension. stedi cannot prove all of it, but it refuses what column
 * lineage contradicts or cannot read (fail closed): the key column must be a copy — every value
 * edge `direct` — of the named column of every keyed dimension, and of nothing else.
 */
export function checkRestateBy(nodes: Record<string, ManifestNode>, dialect: string, diagnostics: Diagnostic[]): void {
  const keyed = Object.values(nodes).filter((n): n is ModelNode => n.resource_type === 'model' && n.config.incremental_strategy === 'microbatch' && asRestateBy(n.config.restate_by) !== undefined);
  if (!keyed.length) return;
  const lineage = projectLineage({ nodes, dialect, only: keyed.map((n) => n.unique_id) });
  const idOf = (name: string) => Object.values(nodes).find((n) => (n.resource_type === 'source' ? `${n.source_name}.${n.name}` : n.name) === name && n.resource_type !== 'test' && n.resource_type !== 'unit_test')?.unique_id;
  for (const m of keyed) {
    const r = asRestateBy(m.config.restate_by)!;
    const report = (message: string) => diagnostics.push({ code: 'E_BAD_CONFIG', severity: 'error', file: m.original_file_path, line: lineOf(m.raw_code, 'restate_by') || 1, message: `${m.name}: restate_by: ${message}`, hint: 'select the key column straight from each dimension restate_by.from names (e.g. c.email as user_email), or leave the dimension out of restate_by.from (a change to it then rebuilds the model whole)' });
    const ml = lineage.models[m.unique_id];
    const col = ml?.columns.find((c) => c.name === r.column);
    if (!ml || ml.error || !col) {
      report(`column lineage cannot show where ${r.column} comes from${ml?.error ? ` (${ml.error})` : col ? '' : ` (${m.name} has no column ${r.column})`}, so stedi cannot check that its values are the dimensions' keys`);
      continue;
    }
    if (col.unresolved?.length) {
      report(`column lineage cannot resolve ${col.unresolved.map((u) => u.reference).join(', ')} in ${r.column}`);
      continue;
    }
    const values = col.upstream.filter((e) => e.via !== 'condition');
    const wanted = Object.entries(r.from).map(([name, c]) => ({ name, node: idOf(name), column: c }));
    for (const w of wanted) {
      if (!values.some((e) => e.node === w.node && e.column === w.column && e.via === 'direct')) report(`${m.name}.${r.column} is not taken directly from ${w.name}.${w.column}, so a change to ${w.name} cannot be told by key`);
    }
    const stray = values.filter((e) => e.via !== 'direct' || !wanted.some((w) => w.node === e.node && w.column === e.column));
    if (stray.length) report(`${m.name}.${r.column} is also computed from ${stray.map((e) => `${nodeLabel(nodes[e.node], e.node)}.${e.column} (${e.via})`).join(', ')}: only a copy of the keyed dimensions' column can restate by key`);
  }
}

/**
 * An `append`, `merge` or `delete+insert` model keeps the rows it published before: its batch only
 * adds rows or replaces them by key. Reading the data of persons (a landing source with a
 * `meta.identity` column, at any distance), it would keep a person's rows after their consent is
 * withdrawn or moved, or their record is gone — no longer what a whole build gives. Refused: a
 * microbatch model with `restate_by` restates them from the data, a table is built whole. So
 * every incremental table that can hold a person's rows follows their records, and `stedi forget`
 * (which finds persons by those identity columns) never meets one that keeps them.
 */
export function checkIncrementalHistory(nodes: Record<string, ManifestNode>, diagnostics: Diagnostic[]): void {
  /** Per node: how it reads the data of persons (null: it does not). Cycles are reported elsewhere. */
  const persons = new Map<string, string | null>();
  const viaOf = (id: string): string | undefined => {
    if (persons.has(id)) return persons.get(id) ?? undefined;
    persons.set(id, null);
    const n = nodes[id];
    if (!n) return undefined;
    let via: string | undefined;
    if (n.resource_type === 'source') {
      const c = n.columns.find((c) => c.meta.identity === 'person' || c.meta.identity === 'device');
      if (c) via = `source ${n.source_name}.${n.name}, whose ${c.name} has meta.identity: ${String(c.meta.identity)}`;
    } else {
      for (const d of n.depends_on) {
        via = viaOf(d);
        if (via) break;
      }
    }
    persons.set(id, via ?? null);
    return via;
  };
  for (const m of Object.values(nodes)) {
    if (m.resource_type !== 'model' || m.materialized !== 'incremental' || m.config.incremental_strategy === 'microbatch') continue;
    const via = viaOf(m.unique_id);
    if (!via) continue;
    const strategy = incrementalStrategy(m.config);
    diagnostics.push({
      code: 'E_BAD_CONFIG', severity: 'error', file: m.original_file_path, line: lineOf(m.raw_code, 'incremental') || 1,
      message: `${m.name}: incremental_strategy ${strategy} keeps the rows it published before, but it reads the data of persons (${via}): a consent withdrawn or moved, or a customer record gone, would stay in its history`,
      hint: "use incremental_strategy='microbatch' with event_time and restate_by (its rows follow each person's records), or materialized='table'",
    });
  }
}
