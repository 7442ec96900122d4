/**
 * The static half of the sandbox: every template's syntax tree is checked before any code is
 * generated from it. Pure.
 *
 *   - Only the node types of plain templating are allowed (output, if, for, set, macro, call,
 *     filter, switch, expressions). Tags that load other templates or files (include, import,
 *     from, extends, block) and the asynchronous tags are refused.
 *   - Every name (variable, set target, loop variable, macro, argument, keyword, test, filter)
 *     is an identifier and not a member every object inherits (`constructor`, `__proto__`,
 *     `toString` …). nunjucks writes some of these names into generated JavaScript unescaped, so
 *     this is what keeps a name from being code.
 *   - A member written literally (`x.constructor`, `x["__proto__"]`) and a dict key are checked
 *     the same way; computed members are checked at run time (sandbox-runtime.ts).
 *   - Regular-expression literals (`r/…/`) are refused: they are JavaScript objects.
 */
import type { AstNode } from './nunjucks-internals.js';
import { FUNCTION_INTERNALS, PROTOTYPE_NAMES, TEMPLATE_NAME } from './sandbox-names.js';

export interface AstViolation {
  /** 1-based line and column in the template. */
  line: number;
  column: number;
  message: string;
  hint?: string;
}

const ALLOWED = new Set([
  'Root', 'NodeList', 'Output', 'TemplateData', 'Literal', 'Symbol', 'Group', 'Array', 'Dict', 'Pair',
  'KeywordArgs', 'LookupVal', 'FunCall', 'Filter', 'If', 'InlineIf', 'For', 'Macro', 'Caller', 'Set',
  'Capture', 'Switch', 'Case', 'Compare', 'CompareOperand', 'In', 'Is', 'Or', 'And', 'Not', 'Add',
  'Concat', 'Sub', 'Mul', 'Div', 'FloorDiv', 'Mod', 'Pow', 'Neg', 'Pos',
]);

const REFUSED_TAGS: Record<string, string> = {
  Include: '{% include %}', Import: '{% import %}', FromImport: '{% from … import %}', Extends: '{% extends %}',
  Block: '{% block %}', Super: 'super()', IfAsync: '{% ifAsync %}', AsyncEach: '{% asyncEach %}',
  AsyncAll: '{% asyncAll %}', FilterAsync: 'an asynchronous filter', CallExtension: 'a template extension',
  CallExtensionAsync: 'a template extension',
};

const LOADING_TAGS = new Set(['Include', 'Import', 'FromImport', 'Extends', 'Block', 'Super']);
const LOADING_HINT = 'every macro in macros/ is available in every template without importing it; templates cannot read other files';

/** The first violation of the sandbox's static rules in the tree, or undefined. */
export function checkTemplateAst(root: AstNode): AstViolation | undefined {
  try {
    walk(root);
    return undefined;
  } catch (e) {
    if (e instanceof Found) return e.violation;
    throw e;
  }
}

class Found extends Error {
  constructor(readonly violation: AstViolation) {
    super(violation.message);
  }
}

function fail(node: AstNode, message: string, hint?: string): never {
  throw new Found({ line: node.lineno + 1, column: node.colno + 1, message, ...(hint ? { hint } : {}) });
}

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && typeof (v as AstNode).typename === 'string' && Array.isArray((v as AstNode).fields);
}

function walk(node: AstNode): void {
  const t = node.typename;
  const refused = REFUSED_TAGS[t];
  if (refused) fail(node, `${refused} is not available in stedi templates`, LOADING_TAGS.has(t) ? LOADING_HINT : undefined);
  if (!ALLOWED.has(t)) fail(node, `template construct '${t}' is not available in stedi templates`);
  checkNode(node);
  // every property, not only the node type's `fields`: a {% set %} block keeps its body in `body`,
  // which is not one of them, and the compiler compiles it all the same
  for (const v of Object.values(node)) {
    for (const child of Array.isArray(v) ? v : [v]) if (isNode(child)) walk(child);
  }
}

function checkNode(node: AstNode): void {
  switch (node.typename) {
    case 'Symbol':
      return checkName(node, String(node.value));
    case 'Literal':
      if (node.value instanceof RegExp) fail(node, 'regular-expression literals (r/…/) are not available in stedi templates', 'use the replace filter or string methods with plain strings');
      return;
    case 'LookupVal':
      return checkLiteralMember(node.val as AstNode);
    case 'Pair':
      return checkKey(node.key as AstNode);
    case 'Set':
      for (const target of node.targets as AstNode[]) requireSymbol(target, 'a variable name');
      if (node.body !== undefined && node.body !== null && (node.body as AstNode).typename !== 'Capture') fail(node, 'unexpected {% set %} block');
      return;
    case 'For': {
      const name = node.name as AstNode;
      for (const n of name.typename === 'Array' ? name.children ?? [] : [name]) requireSymbol(n, 'a loop variable');
      return;
    }
    case 'Macro':
    case 'Caller':
      return checkSignature(node);
    case 'Is':
      return checkTest(node.right as AstNode);
    case 'Filter':
    case 'FunCall':
      return;
  }
}

function checkName(node: AstNode, name: string): void {
  if (!TEMPLATE_NAME.test(name)) fail(node, `'${name}' is not a valid name in stedi templates`, 'names are letters, digits and _ (not starting with a digit)');
  if (PROTOTYPE_NAMES.has(name)) fail(node, `'${name}' is not available in stedi templates: templates cannot reach JavaScript internals`);
}

function requireSymbol(node: AstNode, what: string): void {
  if (node.typename !== 'Symbol') fail(node, `expected ${what}, got ${node.typename === 'Literal' ? 'a literal' : 'an expression'}`);
}

function checkLiteralMember(val: AstNode): void {
  if (val.typename !== 'Literal' || typeof val.value !== 'string') return;
  const name = val.value;
  if (PROTOTYPE_NAMES.has(name) || FUNCTION_INTERNALS.has(name)) fail(val, `member '${name}' is not available in stedi templates: templates cannot reach JavaScript internals`);
}

function checkKey(key: AstNode): void {
  if (key.typename === 'Symbol') return; // checked as a Symbol
  if (key.typename !== 'Literal' || typeof key.value !== 'string') fail(key, 'keys of a dict or keyword argument are names or strings');
  if (PROTOTYPE_NAMES.has(key.value)) fail(key, `key '${key.value}' is not available in stedi templates: templates cannot reach JavaScript internals`);
}

/** Macro and call-block signatures: the name, positional arguments and keyword argument names are identifiers. */
function checkSignature(node: AstNode): void {
  requireSymbol(node.name as AstNode, 'a macro name');
  const args = (node.args as AstNode).children ?? [];
  args.forEach((arg, i) => {
    if (i === args.length - 1 && (arg.typename === 'KeywordArgs' || arg.typename === 'Dict')) {
      for (const pair of arg.children ?? []) requireSymbol(pair.key as AstNode, 'an argument name');
    } else requireSymbol(arg, 'an argument name');
  });
}

/** `x is test`, `x is test(arg)`, `x is none`: nunjucks writes the test name into code. */
function checkTest(right: AstNode): void {
  if (right.typename === 'Symbol') return;
  if (right.typename === 'FunCall' && (right.name as AstNode).typename === 'Symbol') return;
  if (right.typename === 'Literal' && (right.value === null || typeof right.value === 'boolean')) return;
  fail(right, "the right side of 'is' must be the name of a test, e.g. 'x is defined' or 'x is divisibleby(3)'");
}
