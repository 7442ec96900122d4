/**
 * The run-time half of the sandbox: the functions compiled templates call to look up a name,
 * read a member, call, print and loop (nunjucks' runtime.js), replaced by versions that only
 * ever hand a template data, stedi's functions and macros.
 *
 *   - A name is looked up in the template's own variables, then as an own property of the
 *     render context, then of the globals: never on a prototype.
 *   - A member is read only from
 *       mappings (plain objects): own data properties — a missing key is undefined, an
 *         inherited member or a getter is refused;
 *       lists (plain arrays): indexes, `length` and the methods in ARRAY_METHODS;
 *       strings (and macro output, and var values): indexes, `length` and STRING_METHODS.
 *     Any member of a function (`ref.call`, `range.constructor`, a macro's members) and of any
 *     other object is refused. Methods take plain values only (no callbacks, no objects) and
 *     never mutate: the vars and globals every node shares cannot be changed by one of them.
 *   - On a var value that is not an identifier (a QuotedValue) a string method works on the
 *     value itself and every string in its result is a quoted literal again (requote in
 *     safe-values.ts); looping over it gives its characters as literals; `.raw` is refused.
 *   - Printing a function, looping over a function or an object that is not data, and calling
 *     a function constructor are refused.
 */
import { internals, SafeString } from './nunjucks-internals.js';
import { FUNCTION_INTERNALS, PROTOTYPE_NAMES } from './sandbox-names.js';
import { isExternalMapping, isPlain, isTainted, QuotedValue, rawOf, requote, unwrap } from './safe-values.js';

/** Stops the render with E_SANDBOX, at the line the template is at (see Position). */
export type Refuse = (message: string, hint?: string) => never;

/** The 0-based line a template's code is at, kept up to date by the code SandboxCompiler generates. */
export interface Position {
  line: number;
}

export interface Rules {
  refuse: Refuse;
  /** The dialect's string quoting, to make results derived from var values SQL-safe. */
  quote: (s: string) => string;
}

export const STRING_METHODS: ReadonlySet<string> = new Set([
  'charAt', 'concat', 'endsWith', 'includes', 'indexOf', 'lastIndexOf', 'replace', 'replaceAll', 'slice',
  'split', 'startsWith', 'substring', 'toLowerCase', 'toUpperCase', 'trim', 'trimEnd', 'trimStart',
]);
export const ARRAY_METHODS: ReadonlySet<string> = new Set(['concat', 'includes', 'indexOf', 'join', 'lastIndexOf', 'slice']);

const INDEX = /^-?\d+$/;

type Fn = (...args: unknown[]) => unknown;

/** Function constructors: a tripwire, no template should ever hold one. */
const NEVER_CALLED = new Set<unknown>([
  Function,
  eval,
  Object.getPrototypeOf(async () => undefined).constructor,
  Object.getPrototypeOf(function* () { /* generator */ }).constructor,
  Object.getPrototypeOf(async function* () { /* async generator */ }).constructor,
]);

/** Names of Node's and JavaScript's globals (and CommonJS's): a template that names one is refused, not handed undefined. */
const HOST_NAMES: ReadonlySet<string> = new Set(
  [...Object.getOwnPropertyNames(globalThis), 'require', 'module', 'exports', '__dirname', '__filename', 'global', 'process', 'Buffer'].filter(
    (n) => !['undefined', 'NaN', 'Infinity'].includes(n),
  ),
);

/** A function, or a list (at any depth) or mapping holding one: printing it would print JavaScript source. */
export function holdsFunction(v: unknown): boolean {
  if (typeof v === 'function') return true;
  if (isPlainArray(v)) return v.some(holdsFunction);
  if (isPlain(v)) return Object.values(v).some(holdsFunction);
  return false;
}

export function isPlainArray(v: unknown): v is unknown[] {
  return Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
}

/** The text of a string, a macro's output (SafeString) or a String object. */
export function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof String) return String(v);
  return undefined;
}

export function describe(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  if (v instanceof RegExp) return 'a regular expression';
  if (typeof v !== 'object' || v === null) return `a ${typeof v}`;
  return 'a JavaScript object';
}

/** `obj[key]` / `obj.key` in a template. */
export function member(obj: unknown, key: unknown, r: Rules): unknown {
  if (obj === undefined || obj === null) return undefined;
  const name = memberName(key, r);
  if (PROTOTYPE_NAMES.has(name) || FUNCTION_INTERNALS.has(name)) {
    r.refuse(`member '${name}' is not available in stedi templates: templates cannot reach JavaScript internals`);
  }
  if (typeof obj === 'function') r.refuse(`cannot read '${name}' of a function: macros and functions can only be called`);
  if (obj instanceof QuotedValue) {
    if (name === 'raw') {
      r.refuse("'raw' is not available: a var's value reaches SQL only as an identifier or a quoted literal", 'use literal(), ident() or number(); sql() marks an argument that is SQL by design');
    }
    return stringMember(rawOf(obj), name, true, r);
  }
  const s = asString(obj);
  if (s !== undefined) return stringMember(s, name, false, r);
  if (isPlainArray(obj)) return arrayMember(obj, name, r);
  if (isPlain(obj)) return mappingMember(obj, name, r);
  return r.refuse(`cannot read '${name}' of ${describe(obj)}: only mappings, lists and strings have members in stedi templates`);
}

function memberName(key: unknown, r: Rules): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  if (key instanceof QuotedValue) return rawOf(key);
  const s = asString(key);
  if (s !== undefined) return s;
  return r.refuse(`a member name must be a string or a number, not ${describe(key)}`);
}

function stringMember(s: string, name: string, tainted: boolean, r: Rules): unknown {
  if (INDEX.test(name)) {
    const c = s[Number(name)];
    return tainted && c !== undefined ? requote(c, r.quote) : c;
  }
  if (name === 'length') return s.length;
  if (STRING_METHODS.has(name)) {
    const fn = (String.prototype as unknown as Record<string, Fn>)[name]!;
    return method((args) => fn.apply(s, args), tainted, r);
  }
  return r.refuse(`strings have no member '${name}' in stedi templates`, `available: length, [index], ${[...STRING_METHODS].join(', ')}`);
}

function arrayMember(a: unknown[], name: string, r: Rules): unknown {
  if (INDEX.test(name)) return ownData(a, name, r);
  if (name === 'length') return a.length;
  if (ARRAY_METHODS.has(name)) {
    const fn = (Array.prototype as unknown as Record<string, Fn>)[name]!;
    if (holdsFunction(a)) r.refuse(`list method '${name}' cannot be used on a list holding functions`);
    const tainted = isTainted(a);
    const receiver = tainted ? (unwrap(a) as unknown[]) : a;
    return method((args) => fn.apply(receiver, args), tainted, r);
  }
  return r.refuse(`lists have no member '${name}' in stedi templates`, `available: length, [index], ${[...ARRAY_METHODS].join(', ')}`);
}

function mappingMember(o: Record<string, unknown>, name: string, r: Rules): unknown {
  if (!Object.hasOwn(o, name)) {
    if (name in o) r.refuse(`'${name}' is not data of this mapping`);
    return undefined;
  }
  const v = ownData(o, name, r);
  // own functions of stedi's objects (adapter.dispatch, exceptions.warn, a cycler's next)
  return typeof v === 'function' ? (...args: unknown[]) => (v as Fn).apply(o, args) : v;
}

function ownData(o: object, name: string, r: Rules): unknown {
  const d = Object.getOwnPropertyDescriptor(o, name);
  if (!d) return undefined;
  if (!('value' in d)) r.refuse(`'${name}' is not a data member`);
  return d.value;
}

/** A string or list method: plain arguments only; on var values it works on the value and re-quotes the result. */
function method(call: (args: unknown[]) => unknown, tainted: boolean, r: Rules): Fn {
  return (...args: unknown[]) => {
    for (const a of args) {
      const plain = a === null || a === undefined || ['string', 'number', 'boolean'].includes(typeof a) || a instanceof QuotedValue || a instanceof String || isPlainArray(a);
      if (!plain || holdsFunction(a)) {
        r.refuse(`string and list methods take plain values (strings, numbers, lists), not ${holdsFunction(a) ? 'functions' : describe(a)}`);
      }
    }
    const dirty = tainted || args.some(isTainted);
    const clean = args.map((a) => (a instanceof String ? String(a) : dirty ? unwrap(a) : a));
    const out = call(clean);
    return dirty ? requote(out, r.quote) : out;
  };
}

interface Context {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}
interface Frame {
  lookup(name: string): unknown;
}

const PRINT_FUNCTION = 'cannot turn a function into text: call it, e.g. ref(\'name\') or my_macro()';

const base = internals.runtime as Record<string, Fn>;

/** The runtime of one template: the shared functions below, with the template's rules and position. */
interface FileRuntime {
  rules: Rules;
  pos: Position;
}

/**
 * The functions every template's runtime shares (nunjucks' own, with the sandbox's in place of
 * the ones that look up, read, call, print and loop). Compiled code calls them as
 * `runtime.f(…)`, so `this` is the template's runtime.
 */
const SHARED: Record<string, unknown> = {
  ...internals.runtime,
  memberLookup(this: FileRuntime, obj: unknown, key: unknown) {
    return member(obj, key, this.rules);
  },
  contextOrFrameLookup(this: FileRuntime, context: Context, frame: Frame, name: string) {
    const v = frame.lookup(name);
    if (v !== undefined) return v;
    if (Object.hasOwn(context.ctx, name)) return context.ctx[name];
    if (Object.hasOwn(context.env.globals, name)) return context.env.globals[name];
    if (PROTOTYPE_NAMES.has(name)) this.rules.refuse(`'${name}' is not available in stedi templates`);
    if (HOST_NAMES.has(name)) this.rules.refuse(`'${name}' is not available in stedi templates: templates cannot reach Node or JavaScript globals`);
    return undefined;
  },
  callWrap(this: FileRuntime, fn: unknown, name: string, context: unknown, args: unknown[]) {
    if (!fn) throw new Error(`Unable to call \`${name}\`, which is undefined or falsey`);
    if (typeof fn !== 'function') throw new Error(`Unable to call \`${name}\`, which is not a function`);
    if (NEVER_CALLED.has(fn)) this.rules.refuse(`\`${name}\` cannot be called in stedi templates`);
    return (fn as Fn).apply(context, args);
  },
  suppressValue(this: FileRuntime, v: unknown, autoescape: boolean) {
    if (holdsFunction(v)) this.rules.refuse(PRINT_FUNCTION);
    return base.suppressValue!(v, autoescape);
  },
  // `a ~ b` and `a + b` (emitted by SandboxCompiler instead of JavaScript's + on any value)
  concat(this: FileRuntime, a: unknown, b: unknown) {
    if (holdsFunction(a) || holdsFunction(b)) this.rules.refuse(PRINT_FUNCTION);
    return (a as string) + '' + (b as string);
  },
  add(this: FileRuntime, a: unknown, b: unknown) {
    if (holdsFunction(a) || holdsFunction(b)) this.rules.refuse(PRINT_FUNCTION);
    return (a as number) + (b as number);
  },
  fromIterator(this: FileRuntime, v: unknown) {
    return loopable(v, this.rules);
  },
  inOperator(key: unknown, v: unknown) {
    return contains(v, key);
  },
};

/** The runtime object handed to the compiled code of one template. */
export function sandboxRuntime(rules: Rules, pos: Position): Record<string, unknown> {
  const runtime = Object.create(SHARED) as Record<string, unknown>;
  runtime.rules = rules;
  runtime.pos = pos;
  return runtime;
}

/** What `{% for %}` iterates: data only. Var text (a QuotedValue, external keys) comes out SQL-safe. */
function loopable(v: unknown, r: Rules): unknown {
  if (typeof v === 'function') return r.refuse('cannot loop over a function');
  // strings, lists, and numbers, booleans, null (which nunjucks loops over zero times)
  if (typeof v !== 'object' || v === null || isPlainArray(v)) return v;
  if (v instanceof QuotedValue) return Array.from(rawOf(v), (c) => requote(c, r.quote));
  if (v instanceof SafeString || v instanceof String) return String(v);
  if (isExternalMapping(v)) return Object.entries(v).map(([k, x]) => [requote(k, r.quote), x]);
  if (isPlain(v)) return v;
  return r.refuse(`cannot loop over ${describe(v)}: loop over lists, mappings and strings`);
}

/** `key in v`: a list's elements, a string's text, a mapping's own keys. */
function contains(v: unknown, key: unknown): boolean {
  const k = key instanceof QuotedValue ? rawOf(key) : (asString(key) ?? key);
  if (v instanceof QuotedValue) return rawOf(v).includes(String(k));
  const s = asString(v);
  if (s !== undefined) return s.includes(String(k));
  if (isPlainArray(v)) return (isTainted(v) ? (unwrap(v) as unknown[]) : v).includes(k);
  if (isPlain(v)) return Object.hasOwn(v, String(k));
  throw new Error(`Cannot use "in" operator to search for "${String(k)}" in unexpected types.`);
}
