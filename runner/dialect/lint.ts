/**
 * A light lexer over SQL text (strings, quoted identifiers and comments are recognised, never
 * parsed further) and the checks built on it: constructs that only DuckDB accepts, `?`
 * parameter markers, and the quoting rules of Athena's two grammars. Pure: text in, findings
 * out.
 */

export type SegmentKind = 'code' | 'string' | 'ident' | 'backtick' | 'comment';

export interface Segment {
  kind: SegmentKind;
  start: number;
  text: string;
}

/** Splits SQL into code, '…' strings, "…" identifiers, `…` identifiers and comments. */
export function segments(sql: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  let codeStart = 0;
  const flush = (end: number) => {
    if (end > codeStart) out.push({ kind: 'code', start: codeStart, text: sql.slice(codeStart, end) });
  };
  const quoted = (kind: SegmentKind, q: string) => {
    let j = i + 1;
    for (; j < sql.length; j++) {
      if (sql[j] === q) {
        if (sql[j + 1] === q) j++;
        else break;
      }
    }
    flush(i);
    out.push({ kind, start: i, text: sql.slice(i, j + 1) });
    i = j + 1;
    codeStart = i;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'") quoted('string', "'");
    else if (c === '"') quoted('ident', '"');
    else if (c === '`') quoted('backtick', '`');
    else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const j = end < 0 ? sql.length : end;
      flush(i);
      out.push({ kind: 'comment', start: i, text: sql.slice(i, j) });
      i = j;
      codeStart = i;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const j = end < 0 ? sql.length : end + 2;
      flush(i);
      out.push({ kind: 'comment', start: i, text: sql.slice(i, j) });
      i = j;
      codeStart = i;
    } else i++;
  }
  flush(sql.length);
  return out;
}

/** The SQL with strings, quoted identifiers and comments blanked (same length, same offsets). */
export function codeOnly(sql: string): string {
  return segments(sql)
    .map((s) => (s.kind === 'code' ? s.text : s.text.replace(/[^\n]/g, ' ')))
    .join('');
}

/** Number of `?` parameter markers outside strings, quoted identifiers and comments. */
export function countParameters(sql: string): number {
  return (codeOnly(sql).match(/\?/g) ?? []).length;
}

export interface LintFinding {
  /** Short name of the construct, e.g. `QUALIFY`. */
  construct: string;
  message: string;
  hint: string;
  /** Offset in the linted SQL. */
  index: number;
  /** Text that locates the construct in the model's raw source (for the line number). */
  needle: string;
}

interface Rule {
  construct: string;
  re: RegExp;
  message: string;
  hint: string;
}

const RULES: Rule[] = [
  { construct: '::', re: /::/g, message: "'::' casts are DuckDB-only", hint: 'write CAST(x AS type)' },
  { construct: 'QUALIFY', re: /\bqualify\b/gi, message: 'QUALIFY is DuckDB-only', hint: 'filter a window function in an outer query: select … from (select …, row_number() over (…) as rn from …) where rn = 1' },
  { construct: 'GROUP BY ALL', re: /\bgroup\s+by\s+all\b/gi, message: 'GROUP BY ALL is DuckDB-only', hint: 'list the grouping columns' },
  { construct: 'ILIKE', re: /\bilike\b/gi, message: 'ILIKE is DuckDB-only', hint: 'write lower(x) LIKE lower(pattern)' },
  { construct: 'EXCLUDE', re: /\*\s*exclude\b/gi, message: 'SELECT * EXCLUDE (…) is DuckDB-only', hint: 'list the columns to keep' },
  { construct: '//', re: /\/\//g, message: "'//' (integer division) is DuckDB-only", hint: 'write CAST(floor(a / b) AS bigint), or divide doubles' },
];

const NON_INTEGER_CAST = /^cast\s*\([\s\S]*\bas\s+(double|real|float|decimal)\b[\s\S]*\)$/i;

/** Index of the parenthesis matching the one at `close` (scanning backwards), or -1. */
function openingParen(code: string, close: number): number {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    if (code[i] === ')') depth++;
    else if (code[i] === '(' && --depth === 0) return i;
  }
  return -1;
}

function closingParen(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '(') depth++;
    else if (code[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** True when the operand before/after a `/` is visibly not an integer. */
function visiblyNonInteger(code: string, slash: number): boolean {
  const after = code.slice(slash + 1).trimStart();
  if (/^[0-9]*\.[0-9]|^[0-9]+e/i.test(after)) return true;
  if (/^cast\s*\(/i.test(after)) {
    const open = slash + 1 + (code.slice(slash + 1).length - after.length) + after.indexOf('(');
    const close = closingParen(code, open);
    const whole = close > 0 ? code.slice(open - 4, close + 1).trim() : '';
    if (NON_INTEGER_CAST.test(whole)) return true;
  }
  const before = code.slice(0, slash).trimEnd();
  if (/[0-9]\.[0-9]*$|\.[0-9]+$|[0-9]e[0-9]+$/i.test(before)) return true;
  if (before.endsWith(')')) {
    const open = openingParen(code, before.length - 1);
    const head = code.slice(0, open).trimEnd();
    if (open > 0 && /\bcast$/i.test(head)) {
      const whole = `${head.slice(head.length - 4)}${code.slice(open, before.length)}`;
      if (NON_INTEGER_CAST.test(whole)) return true;
    }
  }
  return false;
}

/**
 * Constructs that DuckDB accepts and Trino (Athena) rejects or evaluates differently. `/`
 * between operands that may both be integers is flagged too: DuckDB returns a double, Trino
 * truncates (5 / 2 is 2.5 on DuckDB, 2 on Athena) — unless an operand is visibly a decimal
 * literal or a CAST to double/real/decimal.
 */
export function lintDuckdbOnly(sql: string): LintFinding[] {
  const code = codeOnly(sql);
  const out: LintFinding[] = [];
  for (const r of RULES) {
    for (const m of code.matchAll(r.re)) {
      out.push({ construct: r.construct, message: r.message, hint: r.hint, index: m.index, needle: sql.slice(m.index, m.index + m[0].length) });
    }
  }
  for (const m of code.matchAll(/\//g)) {
    const i = m.index;
    if (code[i + 1] === '/' || code[i - 1] === '/') continue;
    if (visiblyNonInteger(code, i)) continue;
    const around = sql.slice(Math.max(0, i - 12), i + 12).trim();
    out.push({
      construct: '/',
      message: "'/' may divide two integers: Athena (Trino) truncates the result (5 / 2 = 2), DuckDB does not (2.5)",
      hint: 'cast an operand to double (CAST(a AS double) / b), or write a decimal literal (x / 1000.0)',
      index: i,
      needle: around,
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

export type QuotingProblem = { message: string; index: number };

/**
 * Athena parses DDL (CREATE EXTERNAL TABLE, ALTER, DROP, MSCK …) with a Hive grammar, where
 * identifiers are quoted with backticks, and DML/CTAS/views with Trino, where they take double
 * quotes. A statement quoted the other way fails in Athena; this says so before it is sent.
 */
export function checkQuoting(sql: string, grammar: 'hive' | 'trino'): QuotingProblem | undefined {
  for (const s of segments(sql)) {
    if (grammar === 'trino' && s.kind === 'backtick') {
      return { index: s.start, message: `backticks (${s.text}) quote identifiers only in Athena DDL (Hive grammar); DML, CTAS and views use double quotes` };
    }
    if (grammar === 'hive' && s.kind === 'ident') {
      return { index: s.start, message: `double quotes (${s.text}) do not quote identifiers in Athena DDL (Hive grammar); use backticks` };
    }
  }
  return undefined;
}
