/**
 * `stedi show`: preview a model or inline SQL (which may use ref() and source()). Columns that
 * hold personal data (declared `meta.pii`, or found by column lineage) are masked unless
 * `--unmask` is given, which says so on stderr.
 */
import { UserError } from '../core/diagnostics.js';
import { maskRow, personalColumns } from '../execute/mask.js';
import type { Reporter } from '../execute/reporter.js';
import { adapterFor, selectNodes } from './commands.js';
import { formatTable } from './format.js';
import { INLINE_MODEL, openSession, type GlobalOptions } from './session.js';

export interface ShowOptions extends GlobalOptions {
  inline?: string;
  select?: string[];
  limit: string;
  output: 'table' | 'json';
  unmask?: boolean;
}

export async function showCommand(opts: ShowOptions, reporter: Reporter, out: (s: string) => void): Promise<number> {
  if (!opts.inline === !opts.select?.length) throw new UserError('stedi show needs exactly one of --inline "<sql>" or --select <model>');
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`--limit must be a whole number, not '${opts.limit}'`);
  const s = openSession(opts, reporter, undefined, opts.inline);
  let sql: string;
  let shown: string;
  if (opts.inline) {
    shown = `model.${s.project.config.name}.${INLINE_MODEL}`;
    const n = s.manifest.nodes[shown];
    if (!n || n.resource_type !== 'model') throw new Error('internal: inline query was not compiled');
    sql = n.compiled_code;
  } else {
    const ids = [...selectNodes(s, { select: opts.select! }, reporter)].filter((id) => s.manifest.nodes[id]?.resource_type === 'model' || s.manifest.nodes[id]?.resource_type === 'seed' || s.manifest.nodes[id]?.resource_type === 'source');
    if (ids.length !== 1) throw new UserError(`--select must name exactly one model, seed or source (matched ${ids.length})`);
    shown = ids[0]!;
    const n = s.manifest.nodes[shown]!;
    sql = `select * from ${'relation' in n ? n.relation.rendered : ''}`;
  }
  const personal = personalColumns(s.manifest, [shown]);
  const adapter = await adapterFor(s.target, { project: s.project.config.name });
  await adapter.open('read');
  try {
    const r = await adapter.query(`select * from (\n${sql.replace(/;\s*$/, '')}\n) as stedi_show limit ${limit}`);
    const cols = r.columns.map((c) => c.name).filter((c) => personal.has(c.toLowerCase()));
    if (cols.length && opts.unmask) reporter.warn(`showing personal data unmasked (--unmask): ${cols.join(', ')}`);
    else if (cols.length) reporter.warn(`${cols.length} column${cols.length === 1 ? '' : 's'} hold${cols.length === 1 ? 's' : ''} personal data and ${cols.length === 1 ? 'is' : 'are'} masked: ${cols.join(', ')} (--unmask shows the values)`);
    const rows = opts.unmask ? r.rows : r.rows.map((row) => maskRow(row, personal));
    out(opts.output === 'json' ? JSON.stringify(rows, null, 2) : formatTable({ ...r, rows }));
  } finally {
    await adapter.close();
  }
  return 0;
}
