/**
 * What a published table was built from, and whether neighbouring tables agree. Pure.
 *
 * Every version stedi publishes records its inputs: the target, the vars its SQL read (its own
 * and, through its parents, every var upstream of it), the landing location of every source
 * upstream of it, and the fingerprint of the pseudonymisation key of every upstream source with a
 * derived column (runner/landing/derive.ts): tables keyed under two keys would hold two pseudonyms
 * for one person, and their joins would silently lose that person. Before a command runs, the plan is simulated in dependency order: a node that
 * runs takes its own inputs plus its parents' (the new inputs of a parent that runs too, the
 * recorded ones of a parent that does not). A command is refused when
 *   - a node would read parents built from different inputs, or read a var with another value
 *     than its parents were built with;
 *   - a node would be published under inputs that differ from a published table that reads it
 *     and is not rebuilt by the same command;
 *   - a neighbour's inputs cannot be known (published by a stedi version that did not record them).
 * Two records disagree when they hold the same key (target, var, source location) with different
 * values; keys only one of them has never disagree.
 */
import type { PublishedRecord } from '../adapters/types.js';
import { normalisePath } from '../core/paths.js';
import type { Manifest, ManifestNode } from '../manifest/types.js';
import type { PlanStep } from './plan.js';

export interface BuildInputs {
  target: string;
  /** Vars read by the SQL of this node and of everything upstream of it. */
  vars: Record<string, unknown>;
  /** source unique_id → its landing location (normalised). */
  landing: Record<string, string>;
  /** source unique_id → the vars its location was rendered from (to suggest a command; never compared). */
  location_vars?: Record<string, Record<string, unknown>>;
  /** source unique_id (a source with a derived column) → the fingerprint of the pseudonymisation key it was ingested under. */
  keys?: Record<string, string>;
}

export interface Disagreement {
  /** `target`, `var consent_policy`, `landing location of landing.customer` */
  input: string;
  ours: unknown;
  theirs: unknown;
}

export interface InputProblem {
  /** The node that would be published (plan) or that was published (inconsistency). */
  node: string;
  /** The neighbour it disagrees with. */
  other: string;
  relation: 'parent' | 'child';
  message: string;
  disagreements: Disagreement[];
  /** Vars (name → value) that would rebuild with the published inputs. */
  published_vars: Record<string, unknown>;
}

const MATERIALIZED = new Set(['source', 'seed', 'model']);

/**
 * The inputs of the node alone. `keyFingerprint`: the pseudonymisation key of this command, recorded
 * by a source with a derived column (the only nodes whose rows depend on it).
 */
export function ownInputs(n: ManifestNode, target: string, keyFingerprint?: string): BuildInputs {
  if (n.resource_type === 'source') {
    const keyed = keyFingerprint !== undefined && n.columns.some((c) => c.derived !== undefined);
    return { target, vars: {}, landing: { [n.unique_id]: normalisePath(n.location) }, ...(n.location_vars ? { location_vars: { [n.unique_id]: n.location_vars } } : {}), ...(keyed ? { keys: { [n.unique_id]: keyFingerprint } } : {}) };
  }
  return { target, vars: n.resource_type === 'model' ? { ...(n.vars_read ?? {}) } : {}, landing: {} };
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

export function asInputs(v: unknown): BuildInputs | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.target !== 'string' || !o.vars || typeof o.vars !== 'object' || !o.landing || typeof o.landing !== 'object') return undefined;
  return o as unknown as BuildInputs;
}

/** The keys both records hold with different values. */
export function disagreements(a: BuildInputs, b: BuildInputs, label: (id: string) => string = (id) => id): Disagreement[] {
  const out: Disagreement[] = [];
  if (a.target !== b.target) out.push({ input: 'target', ours: a.target, theirs: b.target });
  for (const k of Object.keys(a.vars).sort()) {
    if (Object.hasOwn(b.vars, k) && stable(a.vars[k]) !== stable(b.vars[k])) out.push({ input: `var ${k}`, ours: a.vars[k], theirs: b.vars[k] });
  }
  for (const k of Object.keys(a.landing).sort()) {
    if (Object.hasOwn(b.landing, k) && a.landing[k] !== b.landing[k]) out.push({ input: `landing location of ${label(k)}`, ours: a.landing[k], theirs: b.landing[k] });
  }
  const ak = a.keys ?? {};
  const bk = b.keys ?? {};
  for (const k of Object.keys(ak).sort()) {
    if (Object.hasOwn(bk, k) && ak[k] !== bk[k]) out.push({ input: `pseudonymisation key (fingerprint) of ${label(k)}`, ours: ak[k], theirs: bk[k] });
  }
  return out;
}

/** `a` and `b` together (the caller has checked that they agree). */
export function union(a: BuildInputs, b: BuildInputs): BuildInputs {
  const lv = { ...(a.location_vars ?? {}), ...(b.location_vars ?? {}) };
  const keys = { ...(b.keys ?? {}), ...(a.keys ?? {}) };
  return { target: a.target, vars: { ...b.vars, ...a.vars }, landing: { ...b.landing, ...a.landing }, ...(Object.keys(lv).length ? { location_vars: lv } : {}), ...(Object.keys(keys).length ? { keys } : {}) };
}

/** unique_id → record, matched by the relation each node publishes. */
export function recordsByNode(manifest: Manifest, records: PublishedRecord[]): Map<string, PublishedRecord> {
  const byRelation = new Map(records.map((r) => [r.relation, r]));
  const out = new Map<string, PublishedRecord>();
  for (const n of Object.values(manifest.nodes)) {
    if (!MATERIALIZED.has(n.resource_type) || !('relation' in n)) continue;
    const r = byRelation.get(n.relation.rendered);
    if (r) out.set(n.unique_id, r);
  }
  return out;
}

function labelOf(manifest: Manifest, id: string): string {
  const n = manifest.nodes[id];
  if (!n) return id;
  return n.resource_type === 'source' ? `${n.source_name}.${n.name}` : n.name;
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function describe(ds: Disagreement[]): string {
  return ds.map((d) => `${d.input} is ${show(d.ours)} here but ${show(d.theirs)} there`).join('; ');
}

/** Vars that reproduce `theirs` (published) inputs where they differ: the var values and the locations' vars. */
function varsOf(ds: Disagreement[], theirs: BuildInputs | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of ds) if (d.input.startsWith('var ')) out[d.input.slice(4)] = d.theirs;
  for (const [src, vars] of Object.entries(theirs?.location_vars ?? {})) {
    if (ds.some((d) => d.input.startsWith('landing location') && theirs?.landing[src] === d.theirs)) Object.assign(out, vars);
  }
  return out;
}

export interface PlanCheck {
  /** The inputs each node of the plan will record when it publishes. */
  inputs: Map<string, BuildInputs>;
  problems: InputProblem[];
}

/**
 * Simulates a command that materializes `planned` (unique_ids of sources, seeds and models):
 * the inputs each will record, and every disagreement with what is published around it.
 */
export function checkPlan(manifest: Manifest, planned: Set<string>, records: PublishedRecord[], keyFingerprint?: string): PlanCheck {
  const target = manifest.metadata.target.name;
  const published = recordsByNode(manifest, records);
  const label = (id: string) => labelOf(manifest, id);
  const inputs = new Map<string, BuildInputs>();
  const problems: InputProblem[] = [];
  const parentsOf = (id: string) => (manifest.nodes[id]?.depends_on ?? []).filter((p) => MATERIALIZED.has(manifest.nodes[p]?.resource_type ?? ''));
  const childrenOf = new Map<string, string[]>();
  for (const n of Object.values(manifest.nodes)) {
    if (!MATERIALIZED.has(n.resource_type)) continue;
    for (const p of parentsOf(n.unique_id)) childrenOf.set(p, [...(childrenOf.get(p) ?? []), n.unique_id]);
  }
  const unknown = (id: string, other: string, relation: 'parent' | 'child'): InputProblem => ({
    node: id, other, relation, disagreements: [], published_vars: {},
    message: `${label(id)} reads or is read by ${label(other)}, which was published without a record of its inputs (by an earlier stedi), so stedi cannot show that they were built from the same inputs`,
  });
  const visiting = new Set<string>();
  const effective = (id: string): BuildInputs | undefined => {
    if (!planned.has(id)) return asInputs(published.get(id)?.inputs);
    const known = inputs.get(id);
    if (known || visiting.has(id)) return known;
    visiting.add(id);
    let acc = ownInputs(manifest.nodes[id]!, target, keyFingerprint);
    for (const p of parentsOf(id)) {
      const theirs = effective(p);
      if (!theirs) {
        if (!planned.has(p) && published.has(p)) problems.push(unknown(id, p, 'parent'));
        continue;
      }
      const ds = disagreements(acc, theirs, label);
      if (ds.length) {
        const others = planned.has(p) ? '' : ' (published, not rebuilt by this command)';
        problems.push({ node: id, other: p, relation: 'parent', disagreements: ds, published_vars: planned.has(p) ? {} : varsOf(ds, theirs), message: `${label(id)} would read ${label(p)}${others}, but they disagree: ${describe(ds)}` });
        continue;
      }
      acc = union(acc, theirs);
    }
    visiting.delete(id);
    inputs.set(id, acc);
    return acc;
  };
  for (const id of [...planned].sort()) effective(id);
  for (const id of [...planned].sort()) {
    const ours = inputs.get(id);
    if (!ours) continue;
    for (const c of childrenOf.get(id) ?? []) {
      if (planned.has(c) || !published.has(c)) continue;
      const theirs = asInputs(published.get(c)?.inputs);
      if (!theirs) {
        problems.push(unknown(id, c, 'child'));
        continue;
      }
      const ds = disagreements(ours, theirs, label);
      if (ds.length) {
        problems.push({ node: id, other: c, relation: 'child', disagreements: ds, published_vars: varsOf(ds, theirs), message: `publishing ${label(id)} would leave ${label(c)} (published, not rebuilt by this command) built from other inputs: ${describe(ds)}` });
      }
    }
  }
  return { inputs, problems };
}

/**
 * What a build of every node would change besides the data: each published table whose recorded
 * inputs (target, vars, landing locations, key) differ from those such a build records now. A
 * command that rebuilds everything for another reason (`stedi forget`) refuses these first: the
 * full build itself compares only nodes it rebuilds with each other, so it would not.
 */
export function rebuildDisagreements(manifest: Manifest, records: PublishedRecord[], keyFingerprint?: string): InputProblem[] {
  const all = new Set(Object.values(manifest.nodes).filter((n) => MATERIALIZED.has(n.resource_type)).map((n) => n.unique_id));
  const { inputs } = checkPlan(manifest, all, [], keyFingerprint);
  const problems: InputProblem[] = [];
  for (const [id, rec] of recordsByNode(manifest, records)) {
    const ours = inputs.get(id);
    const theirs = asInputs(rec.inputs);
    if (!ours || !theirs) continue;
    const ds = disagreements(ours, theirs, (x) => labelOf(manifest, x));
    if (ds.length) problems.push({ node: id, other: id, relation: 'parent', disagreements: ds, published_vars: varsOf(ds, theirs), message: `${labelOf(manifest, id)} was published from other inputs than this command builds it from: ${describe(ds)}` });
  }
  return problems.sort((a, b) => a.node.localeCompare(b.node));
}

/** Disagreements among what is published now: each table against each parent it was built from. */
export function publishedInconsistencies(manifest: Manifest, records: PublishedRecord[]): InputProblem[] {
  const published = recordsByNode(manifest, records);
  const label = (id: string) => labelOf(manifest, id);
  const problems: InputProblem[] = [];
  for (const [id, rec] of published) {
    const ours = asInputs(rec.inputs);
    if (!ours) continue;
    for (const p of manifest.nodes[id]?.depends_on ?? []) {
      const theirs = asInputs(published.get(p)?.inputs);
      if (!theirs) continue;
      const ds = disagreements(ours, theirs, label);
      if (ds.length) problems.push({ node: id, other: p, relation: 'parent', disagreements: ds, published_vars: {}, message: `${label(id)} was built from other inputs than its parent ${label(p)}: ${describe(ds)}` });
    }
  }
  return problems.sort((a, b) => a.node.localeCompare(b.node) || a.other.localeCompare(b.other));
}

/**
 * What each step of a command reads but can find nowhere: a table (source, seed or model) the
 * command does not build and that is not published on its target. unique_id (a step's node, or a
 * test that gates one) → those tables, sorted. A step listed here would fail in the engine on a
 * missing table; the executor says which table instead, before anything of it runs.
 */
export function unbuiltReads(manifest: Manifest, steps: PlanStep[], records: PublishedRecord[]): Map<string, string[]> {
  const planned = new Set(steps.map((s) => s.node.unique_id));
  const published = recordsByNode(manifest, records);
  const out = new Map<string, string[]>();
  const check = (n: ManifestNode) => {
    const missing = notPublished(manifest, n.depends_on, published, planned);
    if (missing.length) out.set(n.unique_id, missing);
  };
  for (const s of steps) {
    check(s.node);
    if (s.kind === 'materialize') for (const t of s.audit) check(t);
  }
  return out;
}

/** The tables (sources, seeds, models) among `ids` that are not in `published` (recordsByNode) nor in `except`; sorted, once each. */
export function notPublished(manifest: Manifest, ids: readonly string[], published: Map<string, PublishedRecord>, except: ReadonlySet<string> = new Set()): string[] {
  return [...new Set(ids.filter((id) => !except.has(id) && !published.has(id) && MATERIALIZED.has(manifest.nodes[id]?.resource_type ?? '')))].sort();
}
