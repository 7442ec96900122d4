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
 *   1. parses the template and checks its whole syntax tree before any code is generated
 *      (sandbox-ast.ts): no tags that load templates or files, every name an identifier and not
 *      an inherited member such as `constructor` — which also keeps names, which nunjucks writes
 *      into the generated code unescaped, from being code;
 *   2. generates the code with a compiler (SandboxCompiler below) that records the line of every
 *      construct for the runtime, sends `~` and `+` through the runtime, and writes call names
 *      safely;
 *   3. runs the code with its own runtime (sandbox-runtime.ts): own-property name lookups,
 *      member access only to data of plain mappings and lists and an allow-list of string and
 *      list methods that take plain values, no member of a function, no printing, joining or
 *      looping over functions;
 *   4. locks the environment: no template loader (include/import/extends cannot read files),
 *      filters and tests from explicit lists, wrapped (sandbox-filters.ts) and looked up as own
 *      properties only; `range()` and filter sizes limited; stedi's functions (guard) refuse
 *      function arguments.
 * Var quoting (safe-values.ts) holds inside the sandbox: the raw text of a quoted var cannot be
 * reached, and what filters, methods and loops derive from it is a quoted literal again.
 * nunjucks-internals.ts checks that the installed nunjucks is the one this was reviewed against
 * (3.2.4): a runtime call, environment call or node type it does not know stops every compile.
 */
import nunjucks from 'nunjucks';
import { assertReviewedNunjucks, internals, type AstNode, type CompileFrame, type CompilerBase, type RootFn } from './nunjucks-internals.js';
import { checkTemplateAst } from './sandbox-ast.js';
import { sandboxFilters, sandboxTests } from './sandbox-filters.js';
import { SandboxViolation } from './sandbox-names.js';
import { holdsFunction, sandboxRuntime, type Position, type Refuse } from './sandbox-runtime.js';
import { positionMark } from './source-map.js';

export { SandboxViolation } from './sandbox-names.js';

/** The largest list `range()` makes. */
export const MAX_RANGE = 100_000;

export interface Sandbox {
  /**
   * A compiled template, or the sandbox rule its text breaks. Throws nunjucks' error on a syntax
   * error. With `marks`, its output carries a position mark before each piece (source-map.ts).
   */
  compile(file: string, text: string, marks?: boolean): nunjucks.Template | SandboxViolation;
  /** Call before a render: forgets the last violation and the lines templates were at. */
  begin(): void;
  /** The first violation since begin(), if any (a render that hit one has failed). */
  takeViolation(): SandboxViolation | undefined;
  /** `fn` (one of stedi's functions offered to templates) refusing arguments that are or hold functions. */
  guard<F extends (...args: never[]) => unknown>(name: string, fn: F): F;
  /** The 1-based line the template compiled for `file` is at in the render begun by begin(); 0 when unknown. */
  lineIn(file: string): number;
}

/** Locks `env` (call it right after creating the environment) and compiles templates for it. */
export function sandboxEnvironment(env: nunjucks.Environment, quote: (s: string) => string): Sandbox {
  assertReviewedNunjucks();
  let violation: SandboxViolation | undefined;
  const positions = new Map<string, Position>();
  /** Positions of the templates whose render began since begin(): the only ones begin() resets. */
  const rendered = new Set<Position>();
  const runtimes = new Map<string, Record<string, unknown>>();
  const positionOf = (file: string): Position => {
    const p = positions.get(file) ?? { line: -1 };
    positions.set(file, p);
    return p;
  };
  const refuseIn = (file: string): Refuse => {
    const pos = positionOf(file);
    return (message, hint) => {
      const lines = new Map([...positions].filter(([, p]) => p.line >= 0).map(([f, p]) => [f, p.line + 1]));
      const v = new SandboxViolation(message, file, pos.line + 1, hint, lines);
      violation ??= v;
      throw v;
    };
  };
  /** One runtime per template file: its refusals name the file, its position is the file's line. */
  const runtimeFor = (file: string): Record<string, unknown> => {
    const known = runtimes.get(file);
    if (known) return known;
    const runtime = sandboxRuntime({ refuse: refuseIn(file), quote }, positionOf(file));
    runtimes.set(file, runtime);
    return runtime;
  };
  const refuseHere = refuseIn('');
  lockEnvironment(env, { refuse: refuseHere, quote });
  const guard = <F extends (...args: never[]) => unknown>(name: string, fn: F): F =>
    ((...args: never[]) => {
      if (args.some(holdsFunction)) refuseHere(`${name}() takes values, not functions`);
      return fn(...args);
    }) as F;

  const compile = (file: string, text: string, marks = false): nunjucks.Template | SandboxViolation => {
    let code: string;
    try {
      const ast = internals.parser.parse(text, [], (env as unknown as { opts: object }).opts);
      const bad = checkTemplateAst(ast);
      if (bad) return new SandboxViolation(bad.message, file, bad.line, bad.hint);
      const compiler = new SandboxCompiler(file, false);
      compiler.marks = marks;
      compiler.compile(ast);
      code = compiler.getCode();
    } catch (e) {
      throw internals.lib._prettifyError(file, false, e);
    }
    // the code nunjucks would generate, from a checked tree; see SandboxCompiler
    const props = new Function(code)() as { root: RootFn };
    const runtime = runtimeFor(file);
    const pos = positionOf(file);
    const root: RootFn = (e, context, frame, _unsandboxed, cb) => {
      rendered.add(pos);
      props.root(e, context, frame, runtime, cb);
    };
    const src = { type: 'code', obj: { root } } as unknown as string;
    return new nunjucks.Template(src, env, file, true);
  };

  const begin = () => {
    violation = undefined;
    for (const p of rendered) p.line = -1;
    rendered.clear();
  };
  const takeViolation = () => {
    const v = violation;
    violation = undefined;
    return v;
  };
  const lineIn = (file: string) => (positions.get(file)?.line ?? -1) + 1;
  return { compile, begin, takeViolation, guard, lineIn };
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
 * nunjucks' compiler, changed in three ways: every output, loop, call, member access, name
 * lookup, filter, `~` and `+` first records its line (`runtime.pos.line`, and nunjucks' own
 * `lineno`), so an E_SANDBOX names the line, also inside a macro; `~` and `+` go through the
 * runtime instead of JavaScript's `+` (which would turn a function into its source); and the name
 * of a called function, which nunjucks writes into a JavaScript string, is reduced to safe
 * characters.
 */
const Base = internals.compiler.Compiler as unknown as new (name: string, throwOnUndefined: boolean) => CompilerBase;

const at = (node: AstNode): string => `lineno = ${node.lineno}, colno = ${node.colno}, runtime.pos.line = ${node.lineno}, `;

class SandboxCompiler extends Base {
  /** Emit a position mark (source-map.ts) before each piece of output: literal text or an expression's value. */
  marks = false;

  override compileLookupVal(node: AstNode, frame: CompileFrame): void {
    this._emit(`(${at(node)}runtime.memberLookup((`);
    this._compileExpression(node.target as AstNode, frame);
    this._emit('),');
    this._compileExpression(node.val as AstNode, frame);
    this._emit('))');
  }

  override compileSymbol(node: AstNode, frame: CompileFrame): void {
    const local = frame.lookup(String(node.value));
    if (local) this._emit(local);
    else this._emit(`(${at(node)}runtime.contextOrFrameLookup(context, frame, ${JSON.stringify(String(node.value))}))`);
  }

  override compileFilter(node: AstNode, frame: CompileFrame): void {
    this.expressionAt(node, () => super.compileFilter(node, frame));
  }

  override compileFunCall(node: AstNode, frame: CompileFrame): void {
    this.expressionAt(node, () => super.compileFunCall(node, frame));
  }

  override compileConcat(node: AstNode, frame: CompileFrame): void {
    this.expressionAt(node, () => this.binary('concat', node, frame));
  }

  override compileAdd(node: AstNode, frame: CompileFrame): void {
    this.expressionAt(node, () => this.binary('add', node, frame));
  }

  override compileOutput(node: AstNode, frame: CompileFrame): void {
    this._emitLine(`${at(node).replace(/, /g, '; ')}`);
    if (!this.marks) return super.compileOutput(node, frame);
    for (const child of node.children ?? []) {
      const mark = positionMark(child.typename === 'TemplateData' ? 'text' : 'expr', child.lineno, child.colno);
      this._emitLine(`${this.buffer} += ${JSON.stringify(mark)};`);
      super.compileOutput(Object.assign(Object.create(Object.getPrototypeOf(node) as object) as AstNode, node, { children: [child] }), frame);
    }
  }

  override compileFor(node: AstNode, frame: CompileFrame): void {
    this._emitLine(`${at(node).replace(/, /g, '; ')}`);
    super.compileFor(node, frame);
  }

  override _getNodeName(node: AstNode): string {
    return super._getNodeName(node).replace(/[^A-Za-z0-9_.[\]'"(): -]/g, '?');
  }

  private expressionAt(node: AstNode, emit: () => void): void {
    this._emit(`(${at(node)}`);
    emit();
    this._emit(')');
  }

  private binary(fn: string, node: AstNode, frame: CompileFrame): void {
    this._emit(`runtime.${fn}(`);
    this.compile(node.left as AstNode, frame);
    this._emit(', ');
    this.compile(node.right as AstNode, frame);
    this._emit(')');
  }
}
