/** Progress lines in the dbt manner, or JSON lines for scripts, or nothing but the summary. */
import type { NodeResult } from './results.js';

export type LogFormat = 'text' | 'json';

export interface Reporter {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  nodeDone(index: number, total: number, r: NodeResult, label: string): void;
  /** The closing `Done. PASS=…` line: printed even under --quiet (which keeps errors and the summary). */
  summary?(msg: string): void;
}

const WIDTH = 72;

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

function verdict(r: NodeResult): string {
  switch (r.status) {
    case 'success': return 'OK';
    case 'pass': return 'PASS';
    case 'warn': return 'WARN';
    case 'fail': return 'FAIL';
    case 'skipped': return 'SKIP';
    case 'cancelled': return 'CANCELLED';
    default: return 'ERROR';
  }
}

export function progressLine(index: number, total: number, r: NodeResult, label: string): string {
  const head = `${index} of ${total} ${verdict(r)} ${label}`;
  const what = r.failures ? `${r.failures} failing` : r.rows_affected !== undefined ? `${r.rows_affected} row${r.rows_affected === 1 ? '' : 's'}` : verdict(r);
  const extra = r.status === 'skipped' ? 'SKIP' : r.status === 'cancelled' ? 'CANCELLED' : r.reused ? `REUSED ${what}` : what;
  const tail = r.status === 'skipped' ? `[${extra}]` : `[${extra} in ${r.execution_time.toFixed(2)}s]`;
  const dots = '.'.repeat(Math.max(3, WIDTH - head.length));
  return `${clock()}  ${head} ${dots} ${tail}`;
}

export function createReporter(opts: { format: LogFormat; quiet: boolean; out?: (s: string) => void; err?: (s: string) => void }): Reporter {
  const out = opts.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const err = opts.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  if (opts.format === 'json') {
    const emit = (level: string, msg: string, extra: Record<string, unknown> = {}) =>
      out(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...extra }));
    return {
      info: (m) => !opts.quiet && emit('info', m),
      warn: (m) => emit('warn', m),
      error: (m) => emit('error', m),
      nodeDone: (i, total, r, label) => {
        // as in text mode, --quiet keeps the nodes that failed
        const bad = r.status === 'error' || r.status === 'fail';
        if (!opts.quiet || bad) emit(bad ? 'error' : 'info', label, { index: i, total, node: r });
      },
      summary: (m) => emit('info', m),
    };
  }
  return {
    info: (m) => !opts.quiet && out(m),
    warn: (m) => err(`warning: ${m}`),
    error: (m) => err(m),
    nodeDone: (i, total, r, label) => {
      const bad = r.status === 'error' || r.status === 'fail';
      if (!opts.quiet || bad) (bad ? err : out)(progressLine(i, total, r, label));
    },
    summary: (m) => out(m),
  };
}
