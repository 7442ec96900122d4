/**
 * Typed access to the parts of nunjucks 3.2.4 the sandbox builds on (parser, compiler, runtime),
 * which its type declarations leave out, and the check that they are still what the sandbox was
 * reviewed against. A nunjucks upgrade that emits a runtime call, a node type or an environment
 * call the sandbox does not know stops every compile with an internal error (fail closed) until
 * sandbox.ts has been reviewed against it.
 */
import nunjucks from 'nunjucks';

/** A node of the nunjucks syntax tree (src/nodes.js). */
export interface AstNode {
  typename: string;
  lineno: number;
  colno: number;
  fields: string[];
  value?: unknown;
  children?: AstNode[];
  [field: string]: unknown;
}

/** The compiler's frame at compile time: template names → JavaScript variables. */
export interface CompileFrame {
  lookup(name: string): string | undefined;
}

/** nunjucks' code generator (src/compiler.js). */
export interface CompilerBase {
  /** The JavaScript variable the generated code appends output to. */
  buffer: string;
  compile(node: AstNode, frame?: CompileFrame): void;
  getCode(): string;
  _emit(code: string): void;
  _emitLine(code: string): void;
  _compileExpression(node: AstNode, frame: CompileFrame): void;
  _getNodeName(node: AstNode): string;
  compileLookupVal(node: AstNode, frame: CompileFrame): void;
  compileSymbol(node: AstNode, frame: CompileFrame): void;
  compileFilter(node: AstNode, frame: CompileFrame): void;
  compileOutput(node: AstNode, frame: CompileFrame): void;
  compileConcat(node: AstNode, frame: CompileFrame): void;
  compileAdd(node: AstNode, frame: CompileFrame): void;
  compileFunCall(node: AstNode, frame: CompileFrame): void;
  compileFor(node: AstNode, frame: CompileFrame): void;
}

export type RuntimeFn = (...args: never[]) => unknown;

/** The compiled form of a template: `root(env, context, frame, runtime, cb)`. */
export type RootFn = (env: unknown, context: unknown, frame: unknown, runtime: unknown, cb: unknown) => void;

interface Internals {
  parser: { parse(src: string, extensions: unknown[], opts: object): AstNode };
  compiler: { Compiler: new (name: string, throwOnUndefined: boolean) => CompilerBase };
  runtime: Record<string, unknown> & { SafeString: new (s: string) => object; Frame: unknown };
  lib: { _prettifyError(path: string, withInternals: boolean, err: unknown): Error };
  nodes: Record<string, unknown>;
}

export const internals = nunjucks as unknown as Internals;
export const SafeString = internals.runtime.SafeString;

/** Runtime functions compiled templates call, each replaced or reviewed by the sandbox. */
export const REVIEWED_RUNTIME = new Set([
  // replaced by the sandbox (sandbox-runtime.ts)
  'memberLookup', 'contextOrFrameLookup', 'callWrap', 'suppressValue', 'fromIterator', 'inOperator',
  // reviewed: they build frames, macros and keyword arguments, or report errors
  'Frame', 'makeMacro', 'makeKeywordArgs', 'SafeString', 'handleError', 'isArray', 'keys', 'ensureDefined',
  // only emitted for tags the sandbox refuses (async loops, {% super %})
  'asyncEach', 'asyncAll', 'markSafe',
  // "See runtime.js" in a comment of the compiler
  'js',
]);

/** Environment and context calls compiled templates make. */
const REVIEWED_ENV = new Set(['getFilter', 'getTest', 'getTemplate', 'getExtension', 'waterfall', 'opts']);
const REVIEWED_CONTEXT = new Set(['setVariable', 'addExport', 'getVariables', 'getBlock', 'getSuper', 'addBlock']);

/** Every node type of nunjucks 3.2.4; sandbox-ast.ts allows some and refuses the others. */
export const KNOWN_NODES = new Set([
  'Node', 'Root', 'NodeList', 'Value', 'Literal', 'Symbol', 'Group', 'Array', 'Pair', 'Dict', 'Output',
  'Capture', 'TemplateData', 'If', 'IfAsync', 'InlineIf', 'For', 'AsyncEach', 'AsyncAll', 'Macro', 'Caller',
  'Import', 'FromImport', 'FunCall', 'Filter', 'FilterAsync', 'KeywordArgs', 'Block', 'Super', 'Extends',
  'Include', 'Set', 'Switch', 'Case', 'LookupVal', 'BinOp', 'In', 'Is', 'Or', 'And', 'Not', 'Add', 'Concat',
  'Sub', 'Mul', 'Div', 'FloorDiv', 'Mod', 'Pow', 'Neg', 'Pos', 'Compare', 'CompareOperand', 'CallExtension',
  'CallExtensionAsync', 'UnaryOp', 'TemplateRef', 'printNodes',
]);

let reviewed = false;

/** Throws when the installed nunjucks differs from what the sandbox was reviewed against. */
export function assertReviewedNunjucks(): void {
  if (reviewed) return;
  const proto = internals.compiler.Compiler.prototype as unknown as Record<string, unknown>;
  const source = Object.getOwnPropertyNames(proto).map((k) => String(proto[k])).join('\n');
  const unknown = [
    ...[...source.matchAll(/\bruntime\.(\w+)/g)].map((m) => m[1]!).filter((n) => !REVIEWED_RUNTIME.has(n)).map((n) => `runtime.${n}`),
    ...[...source.matchAll(/\benv\.(\w+)/g)].map((m) => m[1]!).filter((n) => !REVIEWED_ENV.has(n)).map((n) => `env.${n}`),
    ...[...source.matchAll(/\bcontext\.(\w+)/g)].map((m) => m[1]!).filter((n) => !REVIEWED_CONTEXT.has(n)).map((n) => `context.${n}`),
    ...Object.keys(internals.nodes).filter((n) => !KNOWN_NODES.has(n)).map((n) => `node ${n}`),
  ];
  for (const fn of ['compileLookupVal', 'compileSymbol', 'compileFilter', 'compileOutput', 'compileConcat', 'compileAdd', 'compileFunCall', 'compileFor', '_getNodeName']) {
    if (typeof proto[fn] !== 'function') unknown.push(`Compiler.${fn}`);
  }
  if (unknown.length) {
    throw new Error(`internal: the template sandbox was not reviewed for this nunjucks version (${[...new Set(unknown)].join(', ')}); see runner/compiler/sandbox.ts`);
  }
  reviewed = true;
}
