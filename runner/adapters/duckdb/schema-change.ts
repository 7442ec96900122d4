/**
 * `on_schema_change` of an incremental model (append, merge, delete+insert) on DuckDB: what to do
 * when the batch's columns differ from the published table's. Pure: it only plans the SELECT
 * lists; incremental.ts runs them. dbt's four policies, with stedi's default and one difference:
 *
 *   fail               (stedi's default; dbt's is ignore) an error, the table stays
 *   ignore             the table keeps its columns: a new column of the batch is left out (and the
 *                      build says so); a published column the batch lacks is an error, as in dbt
 *   append_new_columns new columns are added (NULL in the published rows, as in dbt: nothing is
 *                      backfilled); a published column the batch lacks is an error — dbt keeps it
 *                      and fills new rows with NULL, but the column would then be in the table and
 *                      not in the model's SQL, which column lineage and the PII gate read
 *   sync_all_columns   the table takes the batch's columns: new ones added (NULL in the published
 *                      rows), missing ones dropped, a changed type converted (every published
 *                      value must convert, or nothing is published)
 *
 * Under ignore and append_new_columns a column whose type changed is an error: no value is
 * converted without sync_all_columns asking for it. The batch's column order follows the table's.
 */
import { SCHEMA_POLICIES } from '../../compiler/configs.js';
import { duckdbDialect } from '../../dialect/duckdb.js';
import { EngineError } from '../types.js';

export interface Column {
  name: string;
  type: string;
}

export interface SchemaPlan {
  /** The SELECT list over the batch (alias `b`) that gives the rows to publish. */
  batch: string[];
  /** The SELECT list over each published part (alias `p`), when the parts must be written again. */
  published?: string[];
  /** Published columns whose values are converted to a new type (sync_all_columns). */
  casts: Column[];
  /** What was done, for the build's message. */
  note: string;
}

const q = duckdbDialect.quoteIdent;
const list = (cols: Column[]) => cols.map((c) => `${c.name} ${c.type}`).join(', ');
const names = (cols: Column[]) => cols.map((c) => c.name).join(', ');
const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

export function alignSchema(model: string, policy: string, ours: Column[], theirs: Column[]): SchemaPlan {
  const fix = 'run with --full-refresh to rebuild it';
  if (policy === 'fail' || !(SCHEMA_POLICIES as readonly string[]).includes(policy)) {
    throw new EngineError(`on_schema_change: fail: the new rows of ${model} have the columns (${list(ours)}) but the published table has (${list(theirs)}); ${fix}`);
  }
  const mine = new Map(ours.map((c) => [c.name, c]));
  const held = new Map(theirs.map((c) => [c.name, c]));
  const added = ours.filter((c) => !held.has(c.name));
  const missing = theirs.filter((c) => !mine.has(c.name));
  const retyped = theirs.filter((c) => mine.has(c.name) && mine.get(c.name)!.type !== c.type).map((c) => ({ name: c.name, from: c.type, to: mine.get(c.name)!.type }));
  const nullOf = (c: Column) => `CAST(NULL AS ${c.type}) AS ${q(c.name)}`;

  if (policy === 'sync_all_columns') {
    const casts = retyped.map((r) => ({ name: r.name, type: r.to }));
    const published = ours.map((c) => {
      const was = held.get(c.name);
      if (!was) return nullOf(c);
      return was.type === c.type ? `p.${q(c.name)}` : `CAST(p.${q(c.name)} AS ${c.type}) AS ${q(c.name)}`;
    });
    const did = [
      ...(added.length ? [`added ${names(added)}`] : []),
      ...(missing.length ? [`dropped ${names(missing)}`] : []),
      ...retyped.map((r) => `converted ${r.name} from ${r.from} to ${r.to}`),
    ];
    return { batch: ours.map((c) => `b.${q(c.name)}`), published, casts, note: `on_schema_change: sync_all_columns: ${did.length ? did.join('; ') : 'columns reordered'}` };
  }

  // ignore, append_new_columns: every published column stays, with its type
  if (missing.length) {
    const why = policy === 'ignore' ? '' : ' (append_new_columns would keep it in the table, filled with NULL, where column lineage and the PII gate, which read the model\'s SQL, do not see it)';
    throw new EngineError(`on_schema_change: ${policy}: the published ${plural(missing.length, 'column', 'columns')} ${names(missing)} of ${model} ${plural(missing.length, 'is', 'are')} not in the new rows${why}; use on_schema_change: sync_all_columns to drop ${plural(missing.length, 'it', 'them')}, or ${fix}`);
  }
  if (retyped.length) {
    throw new EngineError(`on_schema_change: ${policy}: ${retyped.map((r) => `${r.name} is ${r.to} in the new rows but ${r.from} in the published table`).join('; ')} of ${model}; ${policy} converts no value: use on_schema_change: sync_all_columns, or ${fix}`);
  }
  if (policy === 'ignore') {
    return { batch: theirs.map((c) => `b.${q(c.name)}`), casts: [], note: `on_schema_change: ignore: ${added.length ? `${plural(added.length, 'column', 'columns')} ${names(added)} of the new rows not added to the table` : 'the new rows\' columns put in the table\'s order'}` };
  }
  const target = [...theirs, ...added];
  return {
    batch: target.map((c) => `b.${q(c.name)}`),
    ...(added.length ? { published: [...theirs.map((c) => `p.${q(c.name)}`), ...added.map(nullOf)] } : {}),
    casts: [],
    note: `on_schema_change: append_new_columns: ${added.length ? `added ${names(added)} (NULL in the rows published before)` : 'the new rows\' columns put in the table\'s order'}`,
  };
}
