/** `stedi show`: preview a model or inline SQL (which may use ref() and source()). */
import { UserError } from '../core/diagnostics.js';
import type { Reporter } from '../execute/reporter.js';
import { adapterFor, selectNodes } from './commands.js';
import { formatTable } from './format.js';
import { INLINE_MODEL, openSession, type GlobalOptions } from './session.js';

export interface ShowOptions extends GlobalOptions {
  inline?: string;
  select?: string[];
  limit: string;
  output: 'table' | 'json';
}

export async function showCommand(opts: ShowOptions, reporter: Reporter, out: (s: string) => void): Promise<number> {
  if (!opts.inline === !opts.select?.length) throw new UserError('stedi show needs exactly one of --inline "<sql>" or --select <model>');
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`--limit must be a whole number, not '${opts.limit}'`);
  const s = openSession(opts, reporter, undefined, opts.inline);
  let sql: string;
  if (opts.inline) {
    const n = s.manifest.nodes[`model.${s.project.config.name}.${INLINE_MODEL}`];
    if (!n || n.resource_type !== 'model') throw new Error('internal: inline query was not compiled');
    sql = n.compiled_code;
  } else {
    const ids = [...selectNodes(s, { select: opts.select! }, reporter)].filter((id) => s.manifest.nodes[id]?.resource_type === 'model' || s.manifest.nodes[id]?.resource_type === 'seed' || s.manifest.nodes[id]?.resource_type === 'source');
    if (ids.length !== 1) throw new UserError(`--select must name exactly one model, seed or source (matched ${ids.length})`);
    const n = s.manifest.nodes[ids[0]!]!;
    sql = `select * from ${'relation' in n ? n.relation.rendered : ''}`;
  }
  const adapter = await adapterFor(s.target);
  await adapter.open('read');
  try {
    const r = await adapter.query(`select * from (\n${sql.replace(/;\s*$/, '')}\n) as stedi_show limit ${limit}`);
    out(opts.output === 'json' ? JSON.stringify(r.rows, null, 2) : formatTable(r));
  } finally {
    await adapter.close();
  }
  return 0;
}
