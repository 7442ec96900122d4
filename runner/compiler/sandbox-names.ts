/** Names and the error shared by the static (sandbox-ast.ts) and run-time (sandbox-runtime.ts) rules. */

/** Names a template may declare or look up: letters, digits and _, as the SQL identifiers are. */
export const TEMPLATE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The members every JavaScript object inherits (`constructor`, `__proto__`, `toString`,
 * `__lookupGetter__` …) and `prototype`: never a name, a key or a member in a template.
 */
export const PROTOTYPE_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** Members of functions that reach their caller or arguments; never a member in a template. */
export const FUNCTION_INTERNALS: ReadonlySet<string> = new Set(['caller', 'callee', 'arguments']);

export const SANDBOX_HINT =
  'templates read data (vars, config, loop, the results of ref/source/var), call macros, stedi\'s functions and filters, and use a few string and list methods; they cannot reach JavaScript objects, the file system or the environment';

/** A template tried to leave the sandbox. Reported as E_SANDBOX with the file and line. */
export class SandboxViolation extends Error {
  constructor(
    message: string,
    readonly file: string,
    /** 1-based; 0 when unknown. */
    readonly line: number,
    readonly hint: string = SANDBOX_HINT,
    /** The 1-based line every template was at when it happened: for a violation in a macro, where the node called it. */
    readonly lines: ReadonlyMap<string, number> = new Map(),
  ) {
    super(message);
    this.name = 'SandboxViolation';
  }
}
