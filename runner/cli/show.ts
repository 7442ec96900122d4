/**
 * `stedi show`: preview a model, seed, source or inline SQL (which may use ref() and source()).
 * A column is shown only when column lineage proves it free of personal data: every other
 * column — personal data, or a column lineage cannot trace — is masked unless `--unmask` is
 * given, which says on stderr which columns are personal or unproven.
 */
import { UserError } from '../core/diagnostics.js';
import { EngineError } from '../adapters/types.js';
import { notPublished, recordsByNode } from '../execute/inputs.js';
import { selectorOf } from '../graph/select.js';
import { exposeColumns, lineageOf, maskRows, type ShownColumn } from '../execute/mask.js';
import type { Reporter } from '../execute/reporter.js';
import { adapterFor, selectNodes } from './commands.js';
import { formatTable } from './format.js';
import { INLINE_MODEL, openSession, type GlobalOptions } from './session.js';
import { loadState } from './state.js';

export interface ShowOptions extends GlobalOptions {
  inline?: string;
  select?: string[];
  /** `--state <dir>` (resolved), for a state: or result: selector. */
  state?: string;
  limit: string;
  output: 'table' | 'json';
  unmask?: boolean;
}

export async function showCommand(opts: ShowOptions, reporter: Reporter, out: (s: string) => void): Promise<number> {
  if (!opts.inline === !opts.select?.length) throw new UserError('stedi show needs exactly one of --inline "<sql>" or --select <model>');
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`--limit must be a whole number, not '${opts.limit}'`);
  const state = opts.state ? loadState(opts.state) : undefined;
  const s = openSession(opts, reporter, undefined, opts.inline, false);
  let sql: string;
  let shown: string;
  if (opts.inline) {
    shown = `model.${s.project.config.name}.${INLINE_MODEL}`;
    const n = s.manifest.nodes[shown];
    if (!n || n.resource_type !== 'model') throw new Error('internal: inline query was not compiled');
    sql = n.compiled_code;
  } else {
    const ids = [...selectNodes(s, { select: opts.select! }, reporter, state)].filter((id) => s.manifest.nodes[id]?.resource_type === 'model' || s.manifest.nodes[id]?.resource_type === 'seed' || s.manifest.nodes[id]?.resource_type === 'source');
    if (ids.length !== 1) throw new UserError(`--select must name exactly one model, seed or source (matched ${ids.length})`);
    shown = ids[0]!;
    const n = s.manifest.nodes[shown]!;
    sql = `select * from ${'relation' in n ? n.relation.rendered : ''}`;
  }
  // lineage analyses exactly the query that runs
  const query = `select * from (\n${sql.replace(/;\s*$/, '')}\n) as stedi_show limit ${limit}`;
  const predicted = lineageOf(s.manifest).query(query);
  const adapter = await adapterFor(s.target, { project: s.project.config.name });
  await adapter.open('read');
  try {
    // what the query reads must be published: say which table is not, never the engine's "does not exist"
    const reads = opts.inline ? s.manifest.nodes[shown]!.depends_on : [shown];
    const missing = notPublished(s.manifest, reads, recordsByNode(s.manifest, await adapter.published()));
    if (missing.length) {
      const names = missing.map((id) => selectorOf(s.manifest.nodes[id]!));
      throw new EngineError(`${names.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not published on target ${s.target.name}: nothing to show. Build ${missing.length === 1 ? 'it' : 'them'} first: stedi build -s ${names.map((x) => `+${x}`).join(' ')}`);
    }
    const r = await adapter.query(query);
    const columns = exposeColumns(predicted, r.columns.map((c) => c.name));
    warnMasked(columns, !!opts.unmask, reporter);
    const shownRows = opts.unmask ? r : { ...r, columns: columns.map((c, i) => ({ name: c.label, type: r.columns[i]!.type })), rows: maskRows(r.rows, columns) };
    out(opts.output === 'json' ? JSON.stringify(shownRows.rows, null, 2) : formatTable(shownRows));
  } finally {
    await adapter.close();
  }
  return 0;
}

/** Says on stderr which columns are masked (or, with --unmask, shown although not proven free of personal data). */
function warnMasked(columns: ShownColumn[], unmask: boolean, reporter: Reporter): void {
  const names = (e: ShownColumn['exposure']) => [...new Set(columns.filter((c) => c.exposure === e).map((c) => (unmask ? c.key : c.label)))];
  const personal = names('personal');
  const unproven = names('unproven');
  const n = (k: number, one: string, many: string) => (k === 1 ? one : many);
  if (unmask) {
    if (personal.length) reporter.warn(`showing personal data unmasked (--unmask): ${personal.join(', ')}`);
    if (unproven.length) reporter.warn(`showing columns that column lineage cannot prove free of personal data unmasked (--unmask): ${unproven.join(', ')}`);
    return;
  }
  if (personal.length) reporter.warn(`${personal.length} ${n(personal.length, 'column holds', 'columns hold')} personal data and ${n(personal.length, 'is', 'are')} masked: ${personal.join(', ')} (--unmask shows the values)`);
  if (unproven.length) reporter.warn(`${unproven.length} ${n(unproven.length, 'column is', 'columns are')} masked because column lineage cannot prove ${n(unproven.length, 'it', 'them')} free of personal data: ${unproven.join(', ')} (--unmask shows the values)`);
}
