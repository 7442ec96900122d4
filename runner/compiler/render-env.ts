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
  /** Records a problem found while rendering. */
  /** Records a problem; the line is `line`, else the first line holding `needle`. */
  report(code: string, message: string, needle?: string, hint?: string, line?: number): void;
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

type Fn = (...args: unknown[]) => unknown;

/** nunjucks' Template.getExported, missing from its type declarations. */
interface Exportable {
  getExported(ctx: object, frame: null, cb: (err: unknown, exported: Record<string, unknown>) => void): void;
}

export interface RenderEnv {
  render(template: nunjucks.Template, scope: RenderScope, extra?: Record<string, unknown>): string | undefined;
  compileTemplate(file: string, text: string): nunjucks.Template | Diagnostic;
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

export function createRenderEnv(
  dialect: Dialect,
  macros: SourceFile[],
  target: Record<string, unknown>,
  diagnostics: Diagnostic[],
): RenderEnv {
  // no loader: templates cannot read files; every template compiles and runs in the sandbox
  const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false });
  const sandbox = sandboxEnvironment(env, dialect.quoteString);
  const state: { scope?: RenderScope; raised?: string } = {};
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
      for (const c of [`${dialect.name}__${n}`, `default__${n}`]) {
        if (macroNames.has(c)) return env.getGlobal(c) as Fn;
      }
      state.raised = `no macro implements '${n}' for ${dialect.name} (define ${dialect.name}__${n} or default__${n})`;
      throw new CompilerRaise(`no macro implements '${n}' for ${dialect.name} (define ${dialect.name}__${n} or default__${n})`);
    }),
  });

  const compileTemplate = (file: string, text: string): nunjucks.Template | Diagnostic => {
    try {
      const t = sandbox.compile(file, text);
      if (t instanceof SandboxViolation) return sandboxDiagnostic(t, file, t.line);
      return t;
    } catch (e) {
      const { line, detail } = nunjucksErrorPosition((e as Error).message, false);
      return { code: 'E_TEMPLATE_SYNTAX', severity: 'error', file, line, message: detail };
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
        env.addGlobal(name, fn);
      }
    });
  }

  const render = (template: nunjucks.Template, s: RenderScope, extra: Record<string, unknown> = {}) => {
    state.scope = s;
    state.raised = undefined;
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
      if (violation) reportViolation(s, violation);
      else if (state.raised !== undefined) s.report('E_COMPILER_ERROR', state.raised, undefined, undefined, line);
      else s.report('E_TEMPLATE_RENDER', detail, undefined, undefined, line);
      return undefined;
    } finally {
      state.scope = undefined;
    }
  };
  return { render, compileTemplate, macroNames };
}
