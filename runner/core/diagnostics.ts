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

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}${d.column ? `:${d.column}` : ''}` : d.file;
  const head = `${d.severity === 'error' ? 'error' : 'warning'} ${d.code} ${where}: ${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
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
