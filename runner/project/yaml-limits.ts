/**
 * Hostile YAML: a billion-laughs alias bomb (a few lines whose aliases expand to millions of
 * values), a recursive alias (`a: &x [*x]`, which becomes a cyclic value), an alias to no anchor,
 * and values nested deeper than any project needs. Every YAML text stedi reads — the project
 * file, models/**.yml, STEDI_VARS, --vars — is checked on its parsed nodes, before any value is
 * converted or walked, so that everything read afterwards is bounded. Each problem is a user
 * error with the file and line, never an exception from the YAML library or a stack overflow.
 * Pure.
 */
import { isAlias, isMap, isPair, isSeq, type Document, type Node } from 'yaml';

/** Values the aliases of one document may add to it in total (one alias of a list of 3 adds 4). */
export const MAX_ALIAS_VALUES = 10_000;
/** Levels of lists and mappings inside each other, aliases expanded. */
export const MAX_YAML_DEPTH = 64;

export interface YamlLimitProblem {
  code: 'E_YAML_ALIAS' | 'E_YAML_DEPTH';
  /** Offset in the text of the node at fault. */
  offset: number;
  message: string;
  hint: string;
}

interface Extent {
  /** Values in the node, aliases expanded. */
  size: number;
  /** Levels below the node. */
  depth: number;
}

class Stop extends Error {
  constructor(readonly problem: YamlLimitProblem) {
    super(problem.message);
  }
}

/** The first limit `doc` breaks, or undefined. */
export function checkYamlLimits(doc: Document): YamlLimitProblem | undefined {
  const anchors = new Map<string, Node>();
  const extents = new WeakMap<Node, Extent>();
  const open = new Set<Node>();
  let added = 0;
  const stop = (code: YamlLimitProblem['code'], node: unknown, message: string, hint: string): never => {
    const range = (node as { range?: [number, number, number] }).range;
    throw new Stop({ code, offset: range ? range[0] : -1, message, hint });
  };
  const tooDeep = (node: unknown): never =>
    stop('E_YAML_DEPTH', node, `lists and mappings are nested more than ${MAX_YAML_DEPTH} levels deep`, 'flatten the value');

  const visit = (node: unknown, level: number): Extent => {
    if (level > MAX_YAML_DEPTH) tooDeep(node);
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) return stop('E_YAML_ALIAS', node, `alias *${node.source} names no anchor (&${node.source}) before it`, 'define the anchor before its aliases');
      if (open.has(target)) return stop('E_YAML_ALIAS', node, `alias *${node.source} is inside the value it names (a recursive alias)`, 'an alias cannot refer to a value that contains it');
      const e = extents.get(target)!;
      added += e.size;
      if (added > MAX_ALIAS_VALUES) {
        stop('E_YAML_ALIAS', node, `aliases expand this YAML by more than ${MAX_ALIAS_VALUES} values (an alias bomb?)`, 'write the values out, or use fewer aliases');
      }
      if (level + e.depth > MAX_YAML_DEPTH) tooDeep(node);
      return e;
    }
    if (!node || typeof node !== 'object') return { size: 0, depth: 0 };
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node as Node);
    open.add(node as Node);
    const e: Extent = { size: 1, depth: 0 };
    const add = (child: unknown) => {
      const c = visit(child, level + 1);
      e.size += c.size;
      e.depth = Math.max(e.depth, c.depth + 1);
    };
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) {
        if (isPair(item)) {
          add(item.key);
          add(item.value);
        } else add(item);
      }
    }
    open.delete(node as Node);
    extents.set(node as Node, e);
    return e;
  };

  try {
    visit(doc.contents, 0);
    return undefined;
  } catch (e) {
    if (e instanceof Stop) return e.problem;
    throw e;
  }
}

/**
 * `convert()` (a YAML library toJS call) with its exceptions — it refuses some alias patterns
 * itself — turned into a problem. checkYamlLimits runs first; this is the backstop.
 */
export function guardedToJS<T>(convert: () => T): { value: T } | { message: string } {
  try {
    return { value: convert() };
  } catch (e) {
    if (e instanceof RangeError || e instanceof ReferenceError || e instanceof TypeError) {
      return { message: `this YAML value cannot be read: ${e.message}` };
    }
    throw e;
  }
}
