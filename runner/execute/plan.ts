/**
 * Turns a selection into the tasks of one command. Pure: which nodes run, which tests gate
 * which model's publication, and what each task waits for.
 */
import { ancestors, buildGraph } from '../graph/dag.js';
import type { Manifest, ManifestNode, ModelNode, SeedNode, SourceNode, TestNode, UnitTestNode } from '../manifest/types.js';

export type Command = 'build' | 'run' | 'test' | 'seed';

/**
 * `after`: steps this one waits for without reading their data (the landing barrier below). The
 * scheduler treats them like parents: a failure among them skips this step.
 */
export type PlanStep =
  | { kind: 'source'; node: SourceNode; parents: string[]; after?: string[] }
  | { kind: 'materialize'; node: ModelNode | SeedNode; parents: string[]; audit: TestNode[]; after?: string[] }
  | { kind: 'test'; node: TestNode; parents: string[] }
  | { kind: 'unit_test'; node: UnitTestNode; parents: string[] };

const RUNS: Record<Command, ManifestNode['resource_type'][]> = {
  build: ['source', 'seed', 'model', 'test', 'unit_test'],
  run: ['model'],
  test: ['test', 'unit_test'],
  seed: ['seed'],
};

export function plan(manifest: Manifest, selected: Set<string>, command: Command): PlanStep[] {
  const graph = buildGraph(manifest.nodes);
  const nodes = manifest.nodes;
  const enabled = (n: ManifestNode | undefined): n is ManifestNode => !!n && n.config.enabled !== false;
  const chosen = [...selected].map((id) => nodes[id]).filter(enabled).filter((n) => RUNS[command].includes(n.resource_type));
  const chosenIds = new Set(chosen.map((n) => n.unique_id));
  const allTests = Object.values(nodes).filter((n): n is TestNode => n.resource_type === 'test' && enabled(n));

  // A test gates a model or seed when every other node it reads is upstream of it.
  const gates = new Map<string, TestNode[]>();
  const gated = new Set<string>();
  for (const n of chosen) {
    if (n.resource_type !== 'model' && n.resource_type !== 'seed') continue;
    const up = ancestors(graph, n.unique_id);
    const tests = allTests.filter(
      (t) => t.attached_node === n.unique_id && t.depends_on.every((d) => d === n.unique_id || up.has(d)) &&
        (command === 'build' ? chosenIds.has(t.unique_id) : t.severity === 'error'),
    );
    gates.set(n.unique_id, tests);
    for (const t of tests) gated.add(t.unique_id);
  }

  const steps: PlanStep[] = [];
  const materialized = command !== 'test';
  const unitTestsOf = (id: string) => chosen.filter((n): n is UnitTestNode => n.resource_type === 'unit_test' && n.model === id).map((u) => u.unique_id);
  const inPlan = (ids: string[]) => ids.filter((d) => chosenIds.has(d) || (materialized && nodes[d]?.resource_type === 'source'));
  for (const n of chosen) {
    if (n.resource_type === 'model' || n.resource_type === 'seed') {
      const parents = [...inPlan(n.depends_on), ...(command === 'build' ? unitTestsOf(n.unique_id) : [])];
      steps.push({ kind: 'materialize', node: n, parents, audit: gates.get(n.unique_id) ?? [] });
    } else if (n.resource_type === 'test' && !gated.has(n.unique_id)) {
      steps.push({ kind: 'test', node: n, parents: inPlan(n.depends_on) });
    } else if (n.resource_type === 'unit_test') {
      steps.push({ kind: 'unit_test', node: n, parents: [] });
    } else if (n.resource_type === 'source') {
      steps.push({ kind: 'source', node: n, parents: [] });
    }
  }
  if (materialized) {
    const needed = new Set(steps.flatMap((s) => s.parents).filter((p) => nodes[p]?.resource_type === 'source' && !chosenIds.has(p)));
    for (const id of [...needed].sort()) steps.unshift({ kind: 'source', node: nodes[id] as SourceNode, parents: [] });
  }
  landingBarrier(steps);
  return steps;
}

/**
 * When a source of the plan is under `on_malformed: fail`, every source is ingested before any
 * seed or model materializes, and the `fail` sources go first (the other sources wait for them
 * too): one malformed line then stops the build before anything is published, since its failure
 * skips every other source, seed and model. Without such a source nothing waits: a model waits
 * for the sources it reads (its parents) and a failure skips only what is downstream of it.
 */
function landingBarrier(steps: PlanStep[]): void {
  const sources = steps.filter((s): s is Extract<PlanStep, { kind: 'source' }> => s.kind === 'source');
  const strict = sources.filter((s) => s.node.config.on_malformed === 'fail').map((s) => s.node.unique_id);
  if (strict.length === 0) return;
  const all = sources.map((s) => s.node.unique_id);
  for (const s of steps) {
    if (s.kind === 'materialize') s.after = all.filter((id) => !s.parents.includes(id));
    else if (s.kind === 'source' && s.node.config.on_malformed !== 'fail') s.after = strict;
  }
}

/**
 * The nodes a plan reports on, as its progress lines count them: every step and every test that
 * gates a materialization (a gate test has no step of its own but a line of its own).
 */
export function planNodeCount(steps: PlanStep[]): number {
  return steps.reduce((n, s) => n + 1 + (s.kind === 'materialize' ? s.audit.length : 0), 0);
}

/**
 * The selected tests and unit tests a plan does not run: `stedi run` runs only the
 * error-severity tests that gate a model, so warn-severity tests, tests that read other models
 * than the one they gate, and unit tests are left to `stedi build` and `stedi test`.
 */
export function testsLeftOut(manifest: Manifest, selected: Set<string>, steps: PlanStep[]): { warn: TestNode[]; error: TestNode[]; unit: UnitTestNode[] } {
  const ran = new Set(steps.flatMap((s) => [s.node.unique_id, ...(s.kind === 'materialize' ? s.audit.map((t) => t.unique_id) : [])]));
  const left = [...selected].map((id) => manifest.nodes[id]).filter((n): n is TestNode | UnitTestNode => !!n && n.config.enabled !== false && (n.resource_type === 'test' || n.resource_type === 'unit_test') && !ran.has(n.unique_id));
  const tests = left.filter((n): n is TestNode => n.resource_type === 'test');
  return { warn: tests.filter((t) => t.severity === 'warn'), error: tests.filter((t) => t.severity !== 'warn'), unit: left.filter((n): n is UnitTestNode => n.resource_type === 'unit_test') };
}

/**
 * `--empty`: the sources, seeds and models the plan's nodes read (at any distance) that the plan
 * does not build. The throw-away database builds them on zero rows first, as the warehouse would
 * hold them for a real run.
 */
export function upstreamNotPlanned(manifest: Manifest, steps: PlanStep[]): Set<string> {
  const graph = buildGraph(manifest.nodes);
  const planned = new Set(steps.map((s) => s.node.unique_id));
  const out = new Set<string>();
  for (const s of steps) {
    for (const id of ancestors(graph, s.node.unique_id)) {
      const n = manifest.nodes[id];
      if (n && !planned.has(id) && n.config.enabled !== false && (n.resource_type === 'source' || n.resource_type === 'seed' || n.resource_type === 'model')) out.add(id);
    }
  }
  return out;
}
