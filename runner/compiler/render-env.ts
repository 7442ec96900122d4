/**
 * The nunjucks environment every template renders in. Macros from macros/ (and the
 * built-in tests) become globals, so every model and macro can call every macro.
 *
 * Rendering is synchronous, so the functions a template calls (`ref`, `source`, `config`,
 * `var` …) read the scope of the node being rendered from `state.scope`. This is the only
 * mutable state of the compiler, it lives inside one compile call and never escapes it.
 */
import nunjucks from 'nunjucks';
import type { Diagnostic } from '../core/diagnostics.js';
import type { Dialect } from '../dialect/types.js';
import type { SourceFile } from '../project/types.js';
import { BUILTIN_TESTS_FILE, BUILTIN_TEST_MACROS } from './builtin-tests.js';
import { sandboxEnvironment, SandboxViolation } from './sandbox.js';

export interface RenderScope {
  file: string;
  raw: string;
  /**
   * Records a problem; the line is `line`, else the first line holding `needle`. Met inside a
   * macro (`inMacro`, or the render's `macroSite()`), it is reported at the macro's file and line,
   * called from this node's file at that line.
   */
  report(code: string, message: string, needle?: string, hint?: string, line?: number, inMacro?: MacroSite): void;
  /** Set by the render environment while it renders: where in a macro the render is, if it is in one. */
  macroSite?: () => MacroSite | undefined;
  ref(name: string): string;
  source(sourceName: string, table: string): string;
  var(name: string, fallback: unknown, hasFallback: boolean): unknown;
  config(values: Record<string, unknown>): void;
  self: string;
  /** What is_incremental() returns: true only in the incremental rendering of an incremental model. */
  incremental?: boolean;
  /** var() returns values as they are (source locations); otherwise strings are made SQL-safe. */
  rawVars?: boolean;
}

export class CompilerRaise extends Error {}

/** Where a problem inside a project macro is: the innermost macro's file and line, and the line of the node that called the outermost. */
export interface MacroSite {
  file: string;
  line: number;
  /** The macros being run, outermost first, each with the line it was at (the innermost's is `line`). */
  macros: { name: string; file: string; line: number }[];
  /** The line in the node's own file that called the outermost macro (0 when not known). */
  callerLine: number;
}

/** What scope.var() returns for a var that is neither defined nor given a default: the render stops (reported once). */
export const UNDEFINED_VAR: unique symbol = Symbol('undefined var');

type Fn = (...args: unknown[]) => unknown;

/** nunjucks' Template.getExported, missing from its type declarations. */
interface Exportable {
  getExported(ctx: object, frame: null, cb: (err: unknown, exported: Record<string, unknown>) => void): void;
}

export interface RenderEnv {
  render(template: nunjucks.Template, scope: RenderScope, extra?: Record<string, unknown>): string | undefined;
  /** With `marks`, the output carries the template positions of its pieces (source-map.ts). */
  compileTemplate(file: string, text: string, marks?: boolean): nunjucks.Template | Diagnostic;
  macroNames: Set<string>;
}

import { IDENT, quoteLiteral, sqlSafe, unwrap } from './safe-values.js';

export function kwargs(args: unknown[]): { positional: unknown[]; named: Record<string, unknown> } {
  const last = args[args.length - 1];
  if (last && typeof last === 'object' && (last as { __keywords?: boolean }).__keywords) {
    const { __keywords: _k, ...named } = last as Record<string, unknown>;
    return { positional: args.slice(0, -1), named };
  }
  return { positional: args, named: {} };
}

/** Line of the first occurrence of `needle` in `text`, or 0. */
export function lineOf(text: string, needle: string | undefined): number {
  if (!needle) return 0;
  let i = text.indexOf(needle);
  // A quoted name may be written with either quote: 'x' or "x".
  if (i < 0 && /^'.*'$/.test(needle)) i = text.indexOf(`"${needle.slice(1, -1)}"`);
  return i < 0 ? 0 : text.slice(0, i).split('\n').length;
}

/** nunjucks reports `(file) [Line N, Column M]`; parse errors are 1-based, render errors 0-based. */
export function nunjucksErrorPosition(message: string, rendering: boolean): { line: number; detail: string } {
  const m = /\[Line (\d+), Column (\d+)\]\s*([\s\S]*)$/.exec(message);
  // without a position nunjucks still prefixes `(file)` and a line break
  const text = m?.[3] ?? (message.startsWith('(') && message.includes('\n') ? message.slice(message.indexOf('\n') + 1) : message);
  const detail = text.replace(/^\s*(Error: )?/, '').trim();
  if (!m) return { line: 0, detail };
  return { line: Number(m[1]) + (rendering ? 1 : 0), detail };
}

/** The line of a template syntax error holds a `}}` that more of the expression follows (it closed the tag early). */
function closesTagEarly(text: string, line: number): boolean {
  const at = text.split('\n')[line - 1] ?? '';
  return /\}\}\s*[^\s%#]/.test(at) && !/^\s*\}\}\s*$/.test(at);
}

/** E_SANDBOX for a template that tried to leave the sandbox (see sandbox.ts). */
function sandboxDiagnostic(v: SandboxViolation, file: string, line: number): Diagnostic {
  return { code: 'E_SANDBOX', severity: 'error', file, line, message: v.message, hint: v.hint };
}

/**
 * Reports a violation met while rendering `s`: at its line when it is in the template being
 * rendered, else (in a macro) at the line that called the macro, naming where in the macro.
 */
function reportViolation(s: RenderScope, v: SandboxViolation): void {
  const here = v.file === s.file || v.file === '';
  const where = here ? '' : ` (in ${v.file}${v.line ? `:${v.line}` : ''})`;
  const line = v.file === s.file ? v.line : v.lines.get(s.file);
  s.report('E_SANDBOX', `${v.message}${where}`, undefined, v.hint, line || undefined);
}

/**
 * The macro names `adapter.dispatch(name)` tries, in order: the dialect's prefixes, most specific
 * first (athena, then trino, whose SQL Athena runs), then `default__`, as dbt's adapter parents.
 */
export function dispatchChain(dialect: Pick<Dialect, 'dispatch'>, name: string): string[] {
  return [...dialect.dispatch.map((p) => `${p}__${name}`), `default__${name}`];
}

export function createRenderEnv(
  dialect: Dialect,
  macros: SourceFile[],
  target: Record<string, unknown>,
  diagnostics: Diagnostic[],
): RenderEnv {
  // no loader: templates cannot read files; every template compiles and runs in the sandbox
  const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false });
  const sandbox = sandboxEnvironment(env, dialect.quoteString);
  const state: { scope?: RenderScope; raised?: string; stopped?: boolean; stack: { name: string; file: string }[]; callerLine: number; thrown?: MacroSite } = { stack: [], callerLine: 0 };
  const scope = (): RenderScope => {
    if (!state.scope) throw new Error('internal: template function called outside a render');
    return state.scope;
  };
  const macroNames = new Set<string>();

  const globals: Record<string, Fn> = {
    ref: (...a) => scope().ref(String(kwargs(a).positional[0])),
    source: (...a) => {
      const p = kwargs(a).positional;
      return scope().source(String(p[0]), String(p[1]));
    },
    // a var value reaches SQL only as an identifier or a quoted literal (see safe-values.ts);
    // source locations are paths, not SQL: they render with the value itself
    var: (...a) => {
      const p = kwargs(a).positional;
      const v = scope().var(String(p[0]), p[1], p.length > 1);
      if (v === UNDEFINED_VAR) {
        // reported by var(); going on with a stand-in value would only report its consequences
        state.stopped = true;
        throw new CompilerRaise(`var('${String(p[0])}') is not defined`);
      }
      return scope().rawVars ? v : sqlSafe(v, dialect.quoteString);
    },
    is_incremental: () => scope().incremental === true,
    config: (...a) => {
      scope().config(unwrap(kwargs(a).named) as Record<string, unknown>);
      return '';
    },
    sql: (v) => String(unwrap(v) ?? ''),
    ident: (v) => {
      const s = String(unwrap(v));
      if (!IDENT.test(s)) {
        scope().report('E_BAD_IDENTIFIER', `'${s}' is not a valid identifier`, s, 'identifiers are letters, digits and _');
        return dialect.quoteIdent(s);
      }
      return s;
    },
    literal: (x) => {
      const v = unwrap(x);
      return typeof v === 'number' || typeof v === 'boolean' ? String(v) : quoteLiteral(String(v), dialect.quoteString);
    },
    number: (x) => {
      const v = unwrap(x);
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
      if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v;
      scope().report('E_BAD_NUMBER', `'${String(v)}' is not a number`, String(v));
      return 'null';
    },
    env_var: () => {
      state.raised = 'env_var() is only available in stedi_project.yml; pass values to models with vars';
      throw new CompilerRaise('env_var() is only available in stedi_project.yml; pass values to models with vars');
    },
  };
  // stedi's functions take values: a function argument would only turn into its source text
  for (const [k, f] of Object.entries(globals)) env.addGlobal(k, sandbox.guard(k, f));
  env.addGlobal('target', target);
  env.addGlobal('exceptions', {
    raise_compiler_error: sandbox.guard('exceptions.raise_compiler_error', (msg: unknown) => {
      state.raised = String(msg);
      throw new CompilerRaise(String(msg));
    }),
    warn: sandbox.guard('exceptions.warn', (msg: unknown) => {
      scope().report('W_TEMPLATE', String(msg));
      return '';
    }),
  });
  env.addGlobal('adapter', {
    dispatch: sandbox.guard('adapter.dispatch', (name: unknown) => {
      const n = String(name);
      const chain = dispatchChain(dialect, n);
      const found = chain.find((c) => macroNames.has(c));
      if (found) return env.getGlobal(found) as Fn;
      state.raised = `no macro implements '${n}' for ${dialect.name} (define ${chain.join(' or ')})`;
      throw new CompilerRaise(state.raised);
    }),
  });

  const compileTemplate = (file: string, text: string, marks = false): nunjucks.Template | Diagnostic => {
    try {
      const t = sandbox.compile(file, text, marks);
      if (t instanceof SandboxViolation) return sandboxDiagnostic(t, file, t.line);
      return t;
    } catch (e) {
      const { line, detail } = nunjucksErrorPosition((e as Error).message, false);
      const hint = closesTagEarly(text, line) ? "'}}' ends a {{ … }} tag wherever it is, also inside a dict literal: write '} }' to close two dicts" : undefined;
      return { code: 'E_TEMPLATE_SYNTAX', severity: 'error', file, line, message: detail, ...(hint ? { hint } : {}) };
    }
  };

  /** Where the render is inside project macros (the built-in tests are stedi's, not the user's), if it is in one. */
  const macroSite = (): MacroSite | undefined => {
    const user = state.stack.filter((f) => f.file !== BUILTIN_TESTS_FILE);
    const inner = user[user.length - 1];
    if (!inner) return undefined;
    return { file: inner.file, line: sandbox.lineIn(inner.file), macros: user.map((f) => ({ ...f, line: sandbox.lineIn(f.file) })), callerLine: state.callerLine };
  };
  /** A project macro that keeps the stack of macros being run, for macroSite(). */
  const traced = (name: string, file: string, fn: Fn): Fn =>
    function (this: unknown, ...args: unknown[]) {
      if (!state.stack.length) state.callerLine = state.scope ? sandbox.lineIn(state.scope.file) || lineOf(state.scope.raw, `${name}(`) : 0;
      state.stack.push({ name, file });
      try {
        return fn.apply(this, args);
      } catch (e) {
        // the innermost macro the error left: where it happened
        state.thrown ??= macroSite();
        throw e;
      } finally {
        state.stack.pop();
      }
    };

  const allMacros: SourceFile[] = [{ path: BUILTIN_TESTS_FILE, text: BUILTIN_TEST_MACROS }, ...macros];
  const macroFiles = new Map<string, string>();
  for (const f of allMacros) {
    const t = compileTemplate(f.path, f.text);
    if (!(t instanceof nunjucks.Template)) {
      diagnostics.push(t);
      continue;
    }
    sandbox.begin();
    (t as unknown as Exportable).getExported({}, null, (err, exported) => {
      const violation = sandbox.takeViolation();
      if (violation) {
        diagnostics.push(sandboxDiagnostic(violation, f.path, violation.line));
        return;
      }
      if (err) {
        diagnostics.push({ code: 'E_TEMPLATE_SYNTAX', severity: 'error', file: f.path, line: 0, message: String(err) });
        return;
      }
      for (const [name, fn] of Object.entries(exported)) {
        const prev = macroFiles.get(name);
        if (prev && prev !== BUILTIN_TESTS_FILE) {
          diagnostics.push({
            code: 'E_DUPLICATE_MACRO', severity: 'error', file: f.path, line: lineOf(f.text, `macro ${name}`),
            message: `macro '${name}' is also defined in ${prev}`,
          });
          continue;
        }
        macroFiles.set(name, f.path);
        macroNames.add(name);
        env.addGlobal(name, traced(name, f.path, fn as Fn));
      }
    });
  }

  const render = (template: nunjucks.Template, s: RenderScope, extra: Record<string, unknown> = {}) => {
    state.scope = s;
    state.raised = undefined;
    state.stopped = false;
    state.thrown = undefined;
    state.stack = [];
    s.macroSite = macroSite;
    sandbox.begin();
    try {
      const out = template.render({ this: s.self, ...extra });
      // fail closed: a violation counts even if something swallowed the error it threw
      const violation = sandbox.takeViolation();
      if (violation) reportViolation(s, violation);
      return violation ? undefined : out;
    } catch (e) {
      const position = nunjucksErrorPosition((e as Error).message, true);
      const { detail } = position;
      // nunjucks gives no line for its first line; the sandbox knows where the template was
      const line = position.line || sandbox.lineIn(s.file);
      const violation = sandbox.takeViolation();
      const site = state.thrown as MacroSite | undefined;
      if (violation) reportViolation(s, violation);
      else if (state.stopped) {
        // already reported where it happened
      } else if (state.raised !== undefined) s.report('E_COMPILER_ERROR', state.raised, undefined, undefined, site ? site.callerLine : line, site);
      else s.report('E_TEMPLATE_RENDER', detail, undefined, undefined, site ? site.callerLine : line, site);
      return undefined;
    } finally {
      state.scope = undefined;
      s.macroSite = undefined;
      state.stack = [];
    }
  };
  return { render, compileTemplate, macroNames };
}
