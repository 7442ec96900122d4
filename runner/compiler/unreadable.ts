/**
 * One mistake, one error, across files: a property file that cannot be read (a YAML syntax
 * error, or not a mapping) declares nothing, so every source() naming a table it declares would
 * be reported as undeclared — once per call, in models, macros and YAML tests — beside the error
 * that is the one cause. Those reports are folded into one error on the unreadable file, listing
 * the tables and how many places wait on it. A source() that no unreadable file names (a typo)
 * is reported as before.
 *
 * Nothing becomes more permissive: the compile still fails (the syntax error, and this error),
 * and once the file is fixed every reference is checked again. Pure.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { SourceFile } from '../project/types.js';
import type { Registry } from './scope.js';

export function foldUnreadableSources(diagnostics: Diagnostic[], registry: Registry, unreadable: readonly SourceFile[] | undefined): Diagnostic[] {
  if (!unreadable?.length || !registry.unknownSources.length) return diagnostics;
  const folded = new Set<Diagnostic>();
  const waiting = new Map<string, { tables: Set<string>; places: Set<string> }>();
  for (const u of registry.unknownSources) {
    const file = unreadable.find((f) => names(f.text, u.source) && names(f.text, u.table));
    if (!file) continue;
    const w = waiting.get(file.path) ?? { tables: new Set<string>(), places: new Set<string>() };
    waiting.set(file.path, w);
    w.tables.add(`${u.source}.${u.table}`);
    for (const d of u.diagnostics) {
      folded.add(d);
      for (const site of d.called_from?.length ? d.called_from : [d]) w.places.add(`${site.file}:${site.line}`);
    }
  }
  const summaries: Diagnostic[] = [...waiting].map(([file, w]) => ({
    code: 'E_UNKNOWN_SOURCE',
    severity: 'error',
    file,
    line: 0,
    message: `source() of ${[...w.tables].sort().join(', ')} cannot be resolved in ${w.places.size} place${w.places.size === 1 ? '' : 's'}: this file names ${w.tables.size === 1 ? 'it' : 'them'} but cannot be read, so it declares nothing`,
    hint: 'fix the error reported for this file first; the references are checked again then',
  }));
  return [...diagnostics.filter((d) => !folded.has(d)), ...summaries];
}

/** Whether `text` holds `word` as a whole word (the names are identifiers in a declaration). */
function names(text: string, word: string): boolean {
  if (word === '') return false;
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_])${escaped}($|[^A-Za-z0-9_])`).test(text);
}
