/**
 * What the documentation site shows, as plain data: the project's nodes (from the manifest of
 * the target the docs are generated for), the compiled SQL of every target, column lineage with
 * PII status, and the latest run results. Pure. The same data, without the SQL, is lineage.json.
 */
import type { NodeResult, RunResults } from '../execute/results.js';
import { nodeLabel } from '../lineage/project.js';
import type { ColumnLineage, LineageEdge, PiiStatus, ProjectLineage, Unresolved } from '../lineage/types.js';
import type { Manifest, ManifestNode } from '../manifest/types.js';
import { ingestionsOf, type SourceIngestion } from './ingestion.js';
import { zoneRank } from './zones.js';

export const LINEAGE_SCHEMA_VERSION = 1;

export interface LatestResult {
  status: NodeResult['status'];
  message: string;
  execution_time: number;
  rows_affected?: number;
  failures?: number;
  completed_at: string;
}

export interface DocsData {
  project: string;
  stedi_version: string;
  generated_at: string;
  /** The target the graph and lineage come from. */
  target: string;
  /** Every target the SQL was compiled for, the primary one first. */
  targets: string[];
  /** Nodes of the primary target's manifest (unit test rows left out). */
  nodes: Record<string, ManifestNode>;
  /** node id → its zone, as laid out. */
  zones: Record<string, string>;
  /** node id → target → compiled SQL. */
  compiled: Record<string, Record<string, string>>;
  lineage: ProjectLineage;
  results?: { generated_at: string; command: string; target: string; nodes: Record<string, LatestResult> };
  /** Source id → its ingestion in the run of `results` (runner/docs/ingestion.ts): counts only. */
  ingestion?: Record<string, SourceIngestion>;
  /**
   * Published tables built from other inputs than their parents (runner/execute/inputs.ts), as
   * the target's record of what is published says, or as the last run found them.
   */
  inconsistencies?: { node: string; other: string; message: string }[];
}

export interface DocsInput {
  /** Manifests by target name; `primary` names the one to document. */
  manifests: Record<string, Manifest>;
  primary: string;
  lineage: ProjectLineage;
  runResults?: RunResults;
  generatedAt: string;
  inconsistencies?: { node: string; other: string; message: string }[];
}

export function zoneOf(n: ManifestNode, nodes: Record<string, ManifestNode>): string {
  if (n.resource_type === 'source') return 'landing';
  if (n.resource_type === 'seed') return 'seeds';
  if (n.resource_type === 'model') return n.zone;
  const parents = n.resource_type === 'test' ? [n.attached_node, ...n.depends_on] : [n.model, ...n.depends_on];
  const zones = parents.map((p) => nodes[p]).filter((p): p is ManifestNode => !!p && p.resource_type !== 'test' && p.resource_type !== 'unit_test').map((p) => zoneOf(p, nodes));
  return zones.sort((a, b) => zoneRank(b) - zoneRank(a))[0] ?? 'landing';
}

/** Unit tests' given and expected rows are test fixtures: they stay out of the site. */
function publicNode(n: ManifestNode): ManifestNode {
  if (n.resource_type !== 'unit_test') return n;
  return { ...n, given: n.given.map((g) => ({ input: g.input, rows: [] })), expect: { rows: [] } };
}

export function buildDocsData(input: DocsInput): DocsData {
  const primary = input.manifests[input.primary];
  if (!primary) throw new Error(`internal: no manifest for target ${input.primary}`);
  const targets = [input.primary, ...Object.keys(input.manifests).filter((t) => t !== input.primary)];
  const nodes = Object.fromEntries(Object.entries(primary.nodes).map(([id, n]) => [id, publicNode(n)]));
  const compiled: DocsData['compiled'] = {};
  for (const t of targets) {
    for (const [id, n] of Object.entries(input.manifests[t]!.nodes)) {
      if ('compiled_code' in n) (compiled[id] ??= {})[t] = n.compiled_code;
    }
  }
  const data: DocsData = {
    project: primary.metadata.project_name,
    stedi_version: primary.metadata.stedi_version,
    generated_at: input.generatedAt,
    target: input.primary,
    targets,
    nodes,
    zones: Object.fromEntries(Object.values(nodes).map((n) => [n.unique_id, zoneOf(n, nodes)])),
    compiled,
    lineage: input.lineage,
  };
  const rr = input.runResults;
  if (rr) {
    const latest: Record<string, LatestResult> = {};
    for (const r of rr.results) {
      latest[r.unique_id] = {
        status: r.status, message: r.message, execution_time: r.execution_time, completed_at: r.completed_at,
        ...(r.rows_affected !== undefined ? { rows_affected: r.rows_affected } : {}),
        ...(r.failures !== undefined ? { failures: r.failures } : {}),
      };
    }
    data.results = { generated_at: rr.metadata.generated_at, command: rr.metadata.command, target: rr.metadata.target, nodes: latest };
    const ingestion = ingestionsOf(rr, (id) => {
      const n = nodes[id];
      return n?.resource_type === 'source' ? n.entity : undefined;
    });
    if (Object.keys(ingestion).length) data.ingestion = ingestion;
  }
  if (input.inconsistencies?.length) data.inconsistencies = input.inconsistencies;
  return data;
}

export interface LineageColumn {
  pii: PiiStatus;
  declared_pii: boolean;
  upstream: LineageEdge[];
  unresolved: Unresolved[];
}

/** lineage.json: nodes with their zone and columns (upstream columns and PII status), and the node graph. */
export function lineageJson(data: DocsData): unknown {
  const nodes: Record<string, unknown> = {};
  const edges: { from: string; to: string }[] = [];
  for (const n of Object.values(data.nodes)) {
    for (const p of n.depends_on) edges.push({ from: p, to: n.unique_id });
    const lineage = data.lineage.models[n.unique_id];
    const declared = 'columns' in n ? n.columns : [];
    const names = [...(lineage?.columns.map((c) => c.name) ?? []), ...declared.map((c) => c.name)].filter((c, i, all) => all.indexOf(c) === i);
    const columns: Record<string, LineageColumn> = {};
    for (const name of names) {
      const l: ColumnLineage | undefined = lineage?.columns.find((c) => c.name === name);
      // a source's derived pseudonym comes from its base column, through the pseudonymisation
      const derived = n.resource_type === 'source' ? declared.find((c) => c.name === name)?.derived : undefined;
      columns[name] = {
        pii: data.lineage.pii[n.unique_id]?.[name] ?? 'unknown',
        declared_pii: declared.some((c) => c.name === name && c.pii),
        upstream: derived ? [{ node: n.unique_id, column: derived.pseudonym_of, via: 'pseudonymised' }] : (l?.upstream ?? []),
        unresolved: l?.unresolved ?? [],
      };
    }
    nodes[n.unique_id] = {
      resource_type: n.resource_type, name: n.name, label: nodeLabel(n, n.unique_id), zone: data.zones[n.unique_id],
      ...('columns' in n ? { columns } : {}),
      ...(lineage?.error !== undefined ? { error: lineage.error } : {}),
    };
  }
  return { schema_version: LINEAGE_SCHEMA_VERSION, generated_at: data.generated_at, project: data.project, target: data.target, nodes, edges };
}
