/**
 * `--state`: how each node of this manifest differs from the node of the same unique_id in an
 * earlier manifest (dbt's `state:` selector method). Pure.
 *
 * What counts (each a `state:modified.<part>` of its own; `state:modified` is any of them, and new nodes):
 *   body     a model's SQL file (raw code); a seed's file bytes; a source's definition (columns
 *            without descriptions, rendered location, format, entity); a data test's generic test,
 *            arguments, column and node; a unit test's model, given and expected rows
 *   configs  the node's config (materialized, zone, alias, tags, severity, …), a model's or
 *            seed's column properties (types, meta; not descriptions), a test's thresholds
 *   vars     the value of a var a model's SQL (or a macro it calls) reads, in both manifests
 *   macros   the SQL it compiles to, with every relation named by its node, though its own code
 *            did not change: a macro it calls (or stedi's rendering) changed
 * Descriptions change nothing. What cannot be compared (a seed without a recorded checksum)
 * counts as modified: a comparison never assumes "unchanged".
 */
import type { Manifest, ManifestNode } from '../manifest/types.js';

export const STATE_PARTS = ['body', 'configs', 'vars', 'macros'] as const;
export type StatePart = (typeof STATE_PARTS)[number];

/** The values of the `state:` method: new, old, modified, unmodified and modified.<part>. */
export const STATE_VALUES: readonly string[] = ['new', 'old', 'modified', 'unmodified', ...STATE_PARTS.map((p) => `modified.${p}`)];

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/**
 * Why `state` (an earlier manifest) cannot be compared with `current`, or undefined. Another
 * project, or another engine (whose SQL is of another dialect), is refused rather than compared.
 */
export function stateMismatch(current: Manifest, state: Manifest): string | undefined {
  const [a, b] = [current.metadata, state.metadata];
  if (a.project_name !== b.project_name) return `it is a manifest of project '${b.project_name}', not of '${a.project_name}'`;
  if (a.target.type !== b.target.type) return `it was compiled for target ${b.target.name} (${b.target.type}) and this command's target ${a.target.name} is ${a.target.type}: their SQL cannot be compared; compare with a state of a ${a.target.type} target`;
  return undefined;
}

/** SQL with every relation of the manifest replaced by its node's unique_id (targets name relations differently). */
function relationFree(m: Manifest): (sql: string | undefined) => string {
  const names: [string, string][] = [];
  for (const n of Object.values(m.nodes)) {
    if ('relation' in n) names.push([n.relation.rendered, n.unique_id]);
    if (n.resource_type === 'source' && n.rejects_relation) names.push([n.rejects_relation.rendered, `${n.unique_id}__rejects`]);
  }
  names.sort((x, y) => y[0].length - x[0].length);
  return (sql) => names.reduce((s, [rendered, id]) => s.split(rendered).join(`{{${id}}}`), sql ?? '');
}

const withoutDescriptions = (cols: { description: string }[]) => cols.map(({ description: _d, ...c }) => c);

/** The parts of a node compared: one string per part ('' for a part the node has not; undefined: cannot be compared). */
function parts(n: ManifestNode, sql: (s: string | undefined) => string): Record<StatePart, string | undefined> {
  switch (n.resource_type) {
    case 'model':
      return {
        body: stable(n.raw_code),
        configs: stable({ config: n.config, materialized: n.materialized, columns: withoutDescriptions(n.columns) }),
        vars: '',
        macros: stable([sql(n.compiled_code), sql(n.compiled_incremental_code)]),
      };
    case 'seed':
      // without a checksum the file cannot be compared (and so counts as modified)
      return { body: n.checksum ? stable(n.checksum) : undefined, configs: stable({ config: n.config, columns: withoutDescriptions(n.columns) }), vars: '', macros: '' };
    case 'source':
      return { body: stable({ columns: withoutDescriptions(n.columns), location: n.location, format: n.format, entity: n.entity }), configs: stable(n.config), vars: '', macros: '' };
    case 'test':
      return {
        body: stable({ test: n.test_metadata, column: n.column_name ?? null, attached: n.attached_node }),
        configs: stable({ config: n.config, severity: n.severity, warn_if: n.warn_if, error_if: n.error_if }),
        vars: '',
        macros: sql(n.compiled_code),
      };
    case 'unit_test':
      return { body: stable({ model: n.model, given: n.given, expect: n.expect }), configs: stable(n.config), vars: '', macros: sql(n.compiled_code) };
  }
}

/**
 * unique_id → the parts in which each node of `current` differs from its namesake in `state`
 * (an empty list: unmodified), or `'new'` when `state` has no node of that id.
 */
export function compareState(current: Manifest, state: Manifest): Map<string, StatePart[] | 'new'> {
  const ours = relationFree(current);
  const theirs = relationFree(state);
  const out = new Map<string, StatePart[] | 'new'>();
  for (const [id, n] of Object.entries(current.nodes)) {
    const old = state.nodes[id];
    if (!old || old.resource_type !== n.resource_type) {
      out.set(id, 'new');
      continue;
    }
    const [a, b] = [parts(n, ours), parts(old, theirs)];
    const changed = STATE_PARTS.filter((p) => (p === 'vars' ? varsDiffer(n, old) : a[p] === undefined || b[p] === undefined || a[p] !== b[p]));
    // the rendered SQL differs because its own code, vars or config did: not a macro's doing
    out.set(id, changed.length > 1 && changed.includes('macros') ? changed.filter((p) => p !== 'macros') : changed);
  }
  return out;
}

/** A var both models read has another value (a var read by one only: its code or a macro changed, counted there). */
function varsDiffer(a: ManifestNode, b: ManifestNode): boolean {
  if (a.resource_type !== 'model' || b.resource_type !== 'model') return false;
  const [x, y] = [a.vars_read ?? {}, b.vars_read ?? {}];
  return Object.keys(x).some((k) => Object.hasOwn(y, k) && stable(x[k]) !== stable(y[k]));
}

/** The values a node matches with the `state:` method. */
export function stateValues(diff: StatePart[] | 'new' | undefined): string[] {
  if (diff === undefined || diff === 'new') return ['new', 'modified'];
  return diff.length ? ['old', 'modified', ...diff.map((p) => `modified.${p}`)] : ['old', 'unmodified'];
}
