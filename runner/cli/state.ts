/**
 * `--state <dir>` and `--defer`: the artifacts of an earlier run read back (through the manifest
 * reader, which refuses what this stedi did not write), and the check `--defer` makes before a
 * command runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/diagnostics.js';
import type { PlanStep } from '../execute/plan.js';
import type { RunResults } from '../execute/results.js';
import { unbuiltReads } from '../execute/inputs.js';
import type { PublishedRecord } from '../adapters/types.js';
import type { SelectionState } from '../graph/select.js';
import { compareState, stateMismatch } from '../graph/state.js';
import { readManifest, readRunResults } from '../manifest/read.js';
import type { Manifest } from '../manifest/types.js';

export interface StateArtifacts {
  dir: string;
  manifest: Manifest;
  /** The folder's run_results.json, when it holds one. */
  results?: RunResults;
}

/** `<dir>/manifest.json` (required) and `<dir>/run_results.json` (if there; a bad one is an error too). */
export function loadState(dir: string): StateArtifacts {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`--state ${dir}: no such folder`, []);
  const manifest = readManifest(path.join(dir, 'manifest.json'));
  const rr = path.join(dir, 'run_results.json');
  return { dir, manifest, ...(fs.existsSync(rr) ? { results: readRunResults(rr) } : {}) };
}

/** What the state: and result: selector methods compare with; a state of another project or engine is refused. */
export function selectionState(current: Manifest, st: StateArtifacts): SelectionState {
  const why = stateMismatch(current, st.manifest);
  if (why) throw new UserError(`--state ${st.dir}: ${path.join(st.dir, 'manifest.json')} cannot be compared with this project: ${why}`);
  const results = st.results ? new Map(st.results.results.map((r) => [r.unique_id, r.status as string])) : undefined;
  return { dir: st.dir, diff: compareState(current, st.manifest), ...(results ? { results } : {}) };
}

export interface UnpublishedParent {
  node: string;
  parent: string;
}

/**
 * `--defer`: every table a step (or a test gating it) reads that the command does not build must
 * be published on this target. Pure.
 */
export function unpublishedParents(manifest: Manifest, steps: PlanStep[], records: PublishedRecord[]): UnpublishedParent[] {
  return [...unbuiltReads(manifest, steps, records)].flatMap(([node, parents]) => parents.map((parent) => ({ node, parent })));
}

/** The refusal of `--defer` when a parent is missing: which, and why stedi does not read it from the state's target. */
export function deferRefusal(manifest: Manifest, missing: UnpublishedParent[], st: StateArtifacts): UserError {
  const name = (id: string) => manifest.nodes[id]?.name ?? id;
  const here = manifest.metadata.target.name;
  const there = st.manifest.metadata.target.name;
  const parents = [...new Set(missing.map((m) => m.parent))].sort();
  const lines = parents.map((p) => `  ${name(p)} (read by ${[...new Set(missing.filter((m) => m.parent === p).map((m) => name(m.node)))].sort().join(', ')})`);
  const elsewhere = there === here
    ? ''
    : ` stedi does not read them from target ${there} (where the state was compiled): every table records its target among its inputs, and stedi never publishes a table built from parents of other inputs.`;
  return new UserError(
    [
      `--defer: ${parents.length} table${parents.length === 1 ? '' : 's'} this command reads but does not build ${parents.length === 1 ? 'is' : 'are'} not published on target ${here}; nothing was run.${elsewhere}`,
      ...lines,
      `Build ${parents.length === 1 ? 'it' : 'them'} on ${here} first, or select ${parents.length === 1 ? 'it' : 'them'} too (e.g. '+state:modified+' selects every parent of what changed).`,
    ].join('\n'),
  );
}
