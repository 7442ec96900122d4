/**
 * Errors are data. Every phase returns diagnostics instead of throwing for problems in the
 * user's project; a thrown Error means a bug in stedi (exit code 2, "internal error").
 */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Short stable code, e.g. `E_UNKNOWN_REF`. Tests assert on it. */
  code: string;
  severity: Severity;
  message: string;
  /** Project-relative path, forward slashes. */
  file: string;
  /** 1-based; 0 when the problem concerns the whole file. */
  line: number;
  column?: number;
  hint?: string;
  /**
   * A problem met inside a macro is reported where it is (the macro's file and line); these are
   * the places in models and YAML tests that called the macro (one entry per call site, however
   * many renderings met it there).
   */
  called_from?: CallSite[];
}

export interface CallSite {
  file: string;
  /** 1-based; 0 when the line is not known. */
  line: number;
  /** The macros in between, outermost first: the call site called the first, the last called the macro the problem is in. */
  through?: { name: string; file: string; line: number }[];
}

function formatSite(c: CallSite): string {
  const at = (file: string, line: number) => (line > 0 ? `${file}:${line}` : file);
  const through = c.through?.length ? ` (through ${c.through.map((m) => `${m.name} at ${at(m.file, m.line)}`).join(', ')})` : '';
  return `${at(c.file, c.line)}${through}`;
}

export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  error(code: string, file: string, line: number, message: string, hint?: string): void {
    this.items.push({ code, severity: 'error', file, line, message, ...(hint ? { hint } : {}) });
  }

  warn(code: string, file: string, line: number, message: string, hint?: string): void {
    this.items.push({ code, severity: 'warning', file, line, message, ...(hint ? { hint } : {}) });
  }

  push(d: Diagnostic): void {
    this.items.push(d);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }
}

/** Thrown (only) to stop a command when the user's project or invocation is wrong. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** How many call sites a printed diagnostic lists before it counts the rest. */
const CALL_SITES_SHOWN = 5;

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}${d.column ? `:${d.column}` : ''}` : d.file;
  const lines = [`${d.severity === 'error' ? 'error' : 'warning'} ${d.code} ${where}: ${d.message}`];
  if (d.called_from?.length) {
    const sites = d.called_from.map(formatSite);
    const more = sites.length - CALL_SITES_SHOWN;
    lines.push(`  called from ${sites.slice(0, CALL_SITES_SHOWN).join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join('\n');
}

/**
 * One mistake, one error: diagnostics that say the same thing at the same place (a macro's error
 * met by every model and test that calls it, a model rendered again for its unit tests) become
 * one, listing every call site. Order: the first occurrence of each.
 */
export function foldDiagnostics(items: readonly Diagnostic[]): Diagnostic[] {
  const byKey = new Map<string, Diagnostic>();
  for (const d of items) {
    const key = JSON.stringify([d.severity, d.code, d.file, d.line, d.column ?? 0, d.message, d.hint ?? '']);
    const first = byKey.get(key);
    if (!first) {
      byKey.set(key, d.called_from ? { ...d, called_from: uniqueSites(d.called_from) } : d);
      continue;
    }
    if (d.called_from?.length) first.called_from = uniqueSites([...(first.called_from ?? []), ...d.called_from]);
  }
  return [...byKey.values()];
}

function uniqueSites(sites: CallSite[]): CallSite[] {
  const seen = new Set<string>();
  return sites.filter((c) => {
    const k = formatSite(c);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const n = nearest(name, candidates);
  return n ? `did you mean '${n}'?` : undefined;
}
