/**
 * The template sandbox: what dbt gets from Jinja's SandboxedEnvironment, for nunjucks.
 *
 * GUARANTEE. No template stedi renders — a model, a macro, a rendered YAML value (a source
 * `location`, a data test's ref()/source() argument), the built-in and custom generic tests —
 * can reach a constructor, a prototype, `process`, `require`, `globalThis`, the file system, the
 * environment or any other Node API, by any path. A template sees data (vars, config, loop, what
 * ref/source/var return), calls macros, stedi's functions and filters, and uses a few string and
 * list methods; nothing else. An attempt stops the compile with E_SANDBOX, naming the file and
 * line: a template that tried to leave the sandbox is a defect to fix, never a value to print as
 * an empty string (which would hide the attempt and could change the SQL silently).
 *
 * HOW. nunjucks compiles a template to JavaScript that calls a small runtime for every name
 * lookup, member access, call, print and loop. The sandbox
 *   1. parses the template and checks its syntax tree before any code is generated
 *      (sandbox-ast.ts): no tags that load templates or files, every name an identifier and not
 *      an inherited member such as `constructor` — which also keeps names, that nunjucks writes
 *      into the generated code unescaped, from being code;
 *   2. generates the code with a compiler that passes the line of each member access, name
 *      lookup and filter to the runtime and writes call names safely;
 *   3. runs the code with its own runtime (sandbox-runtime.ts): own-property name lookups,
 *      member access only to data of plain mappings and lists and an allow-list of string and
 *      list methods, no member of a function, no printing or looping over functions;
 *   4. locks the environment: no template loader (include/import/extends cannot read files),
 *      filters and tests from explicit lists, wrapped (sandbox-filters.ts), and looked up as
 *      own properties only; `range()` limited in size.
 * Var quoting (safe-values.ts) holds inside the sandbox: the raw text of a quoted var is not
 * reachable, and filters and methods on it return SQL-safe values again.
 * nunjucks-internals.ts checks at start-up that the installed nunjucks is the one this was
 * reviewed against (3.2.4): any unknown runtime call or node type stops every compile.
 */
import nunjucks from 'nunjucks';
import { assertReviewedNunjucks, internals, type AstNode, type CompileFrame, type CompilerBase, type RootFn } from './nunjucks-internals.js';
import { checkTemplateAst } from './sandbox-ast.js';
import { sandboxFilters, sandboxTests } from './sandbox-filters.js';
import { SandboxViolation } from './sandbox-names.js';
import { sandboxRuntime, type Refuse } from './sandbox-runtime.js';

export { SandboxViolation } from './sandbox-names.js';

/** The largest list `range()` makes. */
export const MAX_RANGE = 100_000;

export interface Sandbox {
  /** A compiled template, or the sandbox rule its text breaks. Throws nunjucks' error on a syntax error. */
  compile(file: string, text: string): nunjucks.Template | SandboxViolation;
  /** The first violation since the last call, if any (a render that hit one has failed). */
  takeViolation(): SandboxViolation | undefined;
}

/** Locks `env` (call it right after creating the environment) and compiles templates for it. */
export function sandboxEnvironment(env: nunjucks.Environment, quote: (s: string) => string): Sandbox {
  assertReviewedNunjucks();
  let violation: SandboxViolation | undefined;
  const refuseIn = (file: string): Refuse => (message, line, hint) => {
    const v = new SandboxViolation(message, file, line === undefined ? 0 : line + 1, hint);
    violation ??= v;
    throw v;
  };
  lockEnvironment(env, { refuse: refuseIn(''), quote });

  const compile = (file: string, text: string): nunjucks.Template | SandboxViolation => {
    let code: string;
    try {
      const ast = internals.parser.parse(text, [], (env as unknown as { opts: object }).opts);
      const bad = checkTemplateAst(ast);
      if (bad) return new SandboxViolation(bad.message, file, bad.line, bad.hint);
      const compiler = new SandboxCompiler(file, false);
      compiler.compile(ast);
      code = compiler.getCode();
    } catch (e) {
      throw internals.lib._prettifyError(file, false, e);
    }
    // the code nunjucks would generate, from a checked tree; see SandboxCompiler
    const props = new Function(code)() as { root: RootFn };
    const runtime = sandboxRuntime({ refuse: refuseIn(file), quote });
    const root: RootFn = (e, context, frame, _unsandboxed, cb) => props.root(e, context, frame, runtime, cb);
    const src = { type: 'code', obj: { root } } as unknown as string;
    return new nunjucks.Template(src, env, file, true);
  };

  const takeViolation = () => {
    const v = violation;
    violation = undefined;
    return v;
  };
  return { compile, takeViolation };
}

interface LockableEnv {
  loaders: unknown[];
  globals: Record<string, unknown>;
  filters: Record<string, unknown>;
  tests: Record<string, unknown>;
  getFilter(name: string): unknown;
  getTest(name: string): unknown;
  getTemplate(...args: unknown[]): unknown;
  getExtension(name: string): unknown;
}

function lockEnvironment(environment: nunjucks.Environment, rules: { refuse: Refuse; quote: (s: string) => string }): void {
  const env = environment as unknown as LockableEnv;
  env.loaders = [];
  env.getTemplate = () => rules.refuse('templates cannot load other templates or files in stedi');
  env.getExtension = () => rules.refuse('template extensions are not available in stedi');
  const globals = Object.assign(Object.create(null) as Record<string, unknown>, env.globals);
  const range = globals.range as (...a: number[]) => number[];
  globals.range = (start: number, stop?: number, step?: number) => {
    const n = stop === undefined ? start : (stop - start) / (step || 1);
    if (!(Math.abs(n) <= MAX_RANGE) && !Number.isNaN(n)) rules.refuse(`range() makes at most ${MAX_RANGE} numbers`);
    return stop === undefined ? range(start) : range(start, stop, step as number);
  };
  env.globals = globals;
  env.filters = sandboxFilters(env.filters, rules);
  env.tests = sandboxTests(env.tests);
  env.getFilter = (name) => {
    if (!Object.hasOwn(env.filters, name)) throw new Error(`filter not found: ${name}`);
    return env.filters[name];
  };
  env.getTest = (name) => {
    if (!Object.hasOwn(env.tests, name)) throw new Error(`test not found: ${name}`);
    return env.tests[name];
  };
}

/**
 * nunjucks' compiler, changed in three places: member access, name lookups and filters set the
 * current line before they run (and pass it to the runtime), so an E_SANDBOX names the right
 * line; outputs set it too; and the name of a called function, which nunjucks writes into a
 * JavaScript string, is reduced to safe characters.
 */
const Base = internals.compiler.Compiler as unknown as new (name: string, throwOnUndefined: boolean) => CompilerBase;

class SandboxCompiler extends Base {
  override compileLookupVal(node: AstNode, frame: CompileFrame): void {
    this._emit(`(lineno = ${node.lineno}, colno = ${node.colno}, runtime.memberLookup((`);
    this._compileExpression(node.target as AstNode, frame);
    this._emit('),');
    this._compileExpression(node.val as AstNode, frame);
    this._emit(`, ${node.lineno}))`);
  }

  override compileSymbol(node: AstNode, frame: CompileFrame): void {
    const name = String(node.value);
    const local = frame.lookup(name);
    if (local) this._emit(local);
    else this._emit(`(lineno = ${node.lineno}, colno = ${node.colno}, runtime.contextOrFrameLookup(context, frame, ${JSON.stringify(name)}, ${node.lineno}))`);
  }

  override compileFilter(node: AstNode, frame: CompileFrame): void {
    this._emit(`(lineno = ${node.lineno}, colno = ${node.colno}, `);
    super.compileFilter(node, frame);
    this._emit(')');
  }

  override compileOutput(node: AstNode, frame: CompileFrame): void {
    this._emitLine(`lineno = ${node.lineno}; colno = ${node.colno};`);
    super.compileOutput(node, frame);
  }

  override _getNodeName(node: AstNode): string {
    return super._getNodeName(node).replace(/[^A-Za-z0-9_.[\]'"(): -]/g, '?');
  }
}
