/**
 * Finds, in compiled SQL, every use of a landing identity (the customer `email`, the phone app's
 * `user`) that does not go through the canonical form: a reference to the raw column in a SELECT
 * block that reads the landing relation, outside the expansion of canonical_email(). Pure text
 * analysis: strings and comments are blanked, parentheses and unions give the blocks, the landing
 * relations are recognised by their compiled names. One raw use is allowed by name: the reconciliation's
 * `CAST(email AS varchar) as email_spelling`, which counts the spellings of an identity; and one
 * form: the raw text as a block's only group key named `sent_<x>`, joined back by equality
 * (`memoised`), whose other uses `sentKeyUses` checks.
 */
import { segments } from '../../runner/dialect/lint.js';

export interface LandingIdentity {
  /** The compiled relation, e.g. `"stedi"."customer"`. */
  relation: string;
  /** The identity column as written in SQL: `email`, `"user"`. */
  column: string;
}

export interface RawUse {
  /** The identity column found. */
  column: string;
  /** The SQL around it, on one line. */
  context: string;
}

/** The SQL with strings and comments blanked (same length): identifiers and code stay. */
function blankLiterals(sql: string): string {
  return segments(sql)
    .map((s) => (s.kind === 'string' || s.kind === 'comment' ? s.text.replace(/[^\n]/g, ' ') : s.text))
    .join('');
}

/** Index of the parenthesis closing the one at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced parenthesis at ${open}`);
}

/** Replaces every expansion of the canonical form (which starts with `prefix`) by CANON and blanks. */
export function withoutCanonical(text: string, prefix: string): { text: string; count: number } {
  let out = text;
  let count = 0;
  for (let at = out.indexOf(prefix); at >= 0; at = out.indexOf(prefix, at + 1)) {
    const end = closing(out, at + prefix.indexOf('('));
    out = `${out.slice(0, at)}CANON(${' '.repeat(end - at - 6)})${out.slice(end + 1)}`;
    count++;
  }
  return { text: out, count };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\"]/g, '\\$&');
}

/**
 * The raw uses of landing identities in `sql`. `canonicalPrefix` is the beginning of the rendered
 * canonical_email() up to its first parenthesis and a little more (enough to be unique).
 */
export function rawIdentityUses(sql: string, canonicalPrefix: string, landing: LandingIdentity[]): { uses: RawUse[]; canonical: number } {
  // a microbatch model reads an event-time input through its batch window (runner/core/batches.ts):
  // the same relation, filtered by rows, so it is read as the relation itself
  sql = sql.replace(/\(SELECT \* FROM ([^\s()]+) WHERE __stedi_batch_window\('(?:[^']|'')*', "(?:[^"]|"")*"\)\)/g, '$1');
  const { text, count } = withoutCanonical(blankLiterals(sql), canonicalPrefix);
  // SELECT blocks: the whole statement and every parenthesised region that starts with select/with
  const blocks: [number, number][] = [[0, text.length]];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '(') continue;
    const end = closing(text, i);
    if (/^\s*(select|with)\b/i.test(text.slice(i + 1, end))) blocks.push([i + 1, end]);
  }
  const uses: RawUse[] = [];
  for (const [start, end] of blocks) {
    // the block's own scope: nested SELECT blocks blanked, then each branch of a union apart
    let own = text.slice(start, end);
    for (const [s, e] of blocks) if (s > start && e <= end) own = `${own.slice(0, s - start)}${' '.repeat(e - s)}${own.slice(e - start)}`;
    for (const scope of own.split(/\bunion(?:\s+all)?\b/i)) for (const l of landing) {
      const rel = new RegExp(`\\b(?:from|join)\\s+${escape(l.relation)}(?:\\s+(?:as\\s+)?(?!(?:where|join|left|right|full|cross|inner|on|group|order|union|limit)\\b)(\\w+))?`, 'gi');
      const aliases = new Set<string>();
      let reads = false;
      for (const m of scope.matchAll(rel)) {
        reads = true;
        if (m[1]) aliases.add(m[1].toLowerCase());
      }
      if (!reads) continue;
      const col = escape(l.column);
      const ref = new RegExp(`(?<![\\w".])(?:(\\w+)\\.)?${col}(?![\\w"])`, 'gi');
      for (const m of scope.matchAll(ref)) {
        const qualifier = m[1]?.toLowerCase();
        if (qualifier && !aliases.has(qualifier)) continue; // another relation's column
        const before = scope.slice(Math.max(0, m.index! - 12), m.index!);
        if (/\bas\s+$/i.test(before)) continue; // an output name, not a reference
        const around = scope.slice(Math.max(0, m.index! - 40), m.index! + m[0].length + 40).replace(/\s+/g, ' ').trim();
        if (/CAST\(email AS varchar\) as email_spelling/i.test(scope.slice(m.index! - 5, m.index! + 40).replace(/\s+/g, ' '))) continue;
        if (memoised(scope, m.index!, m[0], col)) continue;
        uses.push({ column: l.column, context: around });
      }
    }
  }
  return { uses, canonical: count };
}

/**
 * The canonical form computed once per distinct text (the reconciliation's reading keys): the raw
 * column may be the one group key of a block that names it `sent_<x>`, and may be compared with a
 * `sent_<x>` column for equality (the readings joined back to their own key's row). Exact text
 * equality never merges or splits an identity; `sentKeyUses` checks that a `sent_` column is used
 * in no other way (its identity is read through canonical_email).
 */
function memoised(scope: string, at: number, ref: string, col: string): boolean {
  const after = scope.slice(at + ref.length);
  const before = scope.slice(Math.max(0, at - 60), at);
  const groupedBy = new RegExp(`\\bgroup\\s+by\\s+${col}\\s*$`, 'i').test(scope);
  const named = new RegExp(`(?<![\\w".])${col}\\s+as\\s+sent_\\w+`, 'i').test(scope);
  if (groupedBy && named && (/^\s+as\s+sent_\w+/i.test(after) || /\bgroup\s+by\s+$/i.test(before))) return true;
  return /\b\w+\.sent_\w+\s*=\s*$/i.test(before);
}

/**
 * Every use of a `sent_<x>` column (a landing identity's raw text kept as a group key, see
 * `memoised`) other than: its definition as the raw column in a block reading its landing relation
 * (`select "user" as sent_x … from <landing table>`), passing it on unchanged in a select list
 * (`k.sent_x,`), inside canonical_email, and the equality with the raw identity column it came
 * from (`k.sent_x = a.<column>`). Anything else (a function of it, a comparison with another
 * column or a literal) would treat raw text as an identity.
 */
export function sentKeyUses(sql: string, canonicalPrefix: string, landing: LandingIdentity[]): string[] {
  const { text } = withoutCanonical(blankLiterals(sql), canonicalPrefix);
  const raw = landing.map((l) => escape(l.column)).join('|');
  const out: string[] = [];
  for (const m of text.matchAll(/(?<![\w"])(?:(\w+)\.)?sent_\w+(?![\w"])/gi)) {
    const before = text.slice(Math.max(0, m.index! - 12), m.index!);
    const after = text.slice(m.index! + m[0].length, m.index! + m[0].length + 40);
    if (!m[1] && definedFromLanding(text, m.index!, landing)) continue;
    if (m[1] && /^\s*,/.test(after) && !/[=<>(]\s*$/.test(before)) continue;
    if (m[1] && new RegExp(`^\\s*=\\s*\\w+\\.(?:${raw})(?![\\w"])`, 'i').test(after)) continue;
    out.push(text.slice(Math.max(0, m.index! - 40), m.index! + m[0].length + 40).replace(/\s+/g, ' ').trim());
  }
  return out;
}

/** Whether the `sent_` name at `at` is defined as `<column> as sent_x` in a block that reads that column's landing relation. */
function definedFromLanding(text: string, at: number, landing: LandingIdentity[]): boolean {
  // the rest of the block: up to the parenthesis that closes it (or the end)
  let depth = 0;
  let end = at;
  for (; end < text.length; end++) {
    if (text[end] === '(') depth++;
    else if (text[end] === ')' && --depth < 0) break;
  }
  const rest = text.slice(at, end);
  const head = text.slice(Math.max(0, at - 60), at);
  return landing.some((l) => new RegExp(`(?<![\\w".])${escape(l.column)}\\s+as\\s+$`, 'i').test(head) && new RegExp(`\\bfrom\\s+${escape(l.relation)}(?![\\w"])`, 'i').test(rest));
}

/** The argument text of every call of function `name` in `sql` (strings and comments blanked). */
export function callArguments(sql: string, name: string): string[] {
  const text = blankLiterals(sql);
  return [...text.matchAll(new RegExp(`\\b${escape(name)}\\(`, 'gi'))].map((m) => {
    const open = m.index! + m[0].length - 1;
    return text.slice(open + 1, closing(text, open));
  });
}
