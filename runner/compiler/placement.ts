/**
 * Where every node's data goes, checked before anything runs (pure):
 *   - every name that becomes a path or an identifier (model, seed, source and table names,
 *     entity, zone, alias) is a plain identifier, so no configuration can point a table outside
 *     the lake (`entity='../../x'`) or into another table's folder;
 *   - no two nodes resolve to one physical table: the same relation on the target (Athena has a
 *     single Glue database for every zone, so a model `customer` and the source
 *     `landing.customer` are one table there), or overlapping storage folders;
 *   - the lake or data location of the target does not overlap a landing location (stedi writes
 *     and deletes in one and only reads the other), nor the lake or data location of another
 *     target of the project.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import { absolute, isUri, overlaps, type TableParts } from '../core/paths.js';
import type { Dialect } from '../dialect/types.js';
import type { ManifestNode, ModelNode, SeedNode, SourceNode } from '../manifest/types.js';
import type { ResolvedTarget } from '../project/resolve.js';
import type { ProjectConfig } from '../project/types.js';
import { targetSpec } from '../targets/registry.js';
import { lineOf } from './render-env.js';

export const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The suffix of stedi's candidate tables on Athena (`<name>__stedi_<version>`). */
const RESERVED = /__stedi_\d/;

type Stored = SourceNode | SeedNode | ModelNode;

const isStored = (n: ManifestNode): n is Stored => n.resource_type === 'source' || n.resource_type === 'seed' || n.resource_type === 'model';

function describe(n: Stored): string {
  return n.resource_type === 'source' ? `source ${n.source_name}.${n.name} (${n.original_file_path})` : `${n.resource_type} ${n.name} (${n.original_file_path})`;
}

/** The zone a node's folder is named after, as each target's adapter lays out its tables. */
function zoneOf(n: Stored, target: ResolvedTarget): string {
  if (n.resource_type === 'source') return targetSpec(target.type).sourceZone ?? n.relation.schema;
  if (n.resource_type === 'model') return n.zone;
  return String(n.config.zone ?? 'seeds');
}

/** The folder (local path or S3 prefix) holding a table's versions on the target: the formula the adapters write with. */
export function tableFolder(target: ResolvedTarget, parts: TableParts): string {
  return targetSpec(target.type).tableFolder(target, parts);
}

/** The names of a node that become paths or identifiers, with what to call them in a message. */
function namesOf(n: Stored): [string, string][] {
  const out: [string, string][] = [['name', n.name], ['entity', n.entity]];
  if (n.resource_type === 'source') out.push(['source name', n.source_name]);
  if (n.resource_type === 'model') out.push(['zone', n.zone], ['alias', n.relation.identifier]);
  if (n.resource_type === 'seed') out.push(['zone', String(n.config.zone ?? 'seeds')]);
  return out;
}

function lineOfName(n: Stored, value: string): number {
  return n.resource_type === 'model' ? lineOf(n.raw_code, `'${value}'`) || n.line : n.line;
}

export function checkNames(nodes: Record<string, ManifestNode>, diagnostics: Diagnostic[]): void {
  for (const n of Object.values(nodes)) {
    if (!isStored(n)) continue;
    for (const [what, value] of namesOf(n)) {
      const bad = !NAME.test(value) ? 'must be letters, digits and _ (not starting with a digit): it becomes a folder and a table name' : RESERVED.test(value) ? `must not contain '__stedi_' followed by a digit (reserved for stedi's candidate tables)` : undefined;
      if (!bad) continue;
      diagnostics.push({ code: 'E_BAD_NAME', severity: 'error', file: n.original_file_path, line: lineOfName(n, value), message: `${describe(n)}: ${what} ${JSON.stringify(value)} ${bad}`, hint: 'rename it (a model file, or config alias/entity/zone)' });
    }
  }
}

/** Two nodes that would be one physical table on the target: a compile error naming both. */
export function checkClashes(nodes: Record<string, ManifestNode>, target: ResolvedTarget, dialect: Dialect, diagnostics: Diagnostic[]): void {
  const relations = new Map<string, Stored>();
  const folders: { folder: string; node: Stored; what: string }[] = [];
  const clash = (a: Stored, b: Stored, what: string) =>
    diagnostics.push({
      code: 'E_RELATION_CLASH', severity: 'error', file: b.original_file_path, line: b.line,
      message: `${describe(a)} and ${describe(b)} would both be ${what} on target ${target.name}: one would replace and prune the other`,
      hint: 'give one of them another name (config alias, or rename the file)',
    });
  for (const n of Object.values(nodes)) {
    if (!isStored(n) || n.config.enabled === false) continue;
    const rels = [n.relation.rendered, ...(n.resource_type === 'source' && n.rejects_relation ? [n.rejects_relation.rendered] : [])];
    for (const r of rels) {
      const key = dialect.lowerCaseNames ? r.toLowerCase() : r;
      const other = relations.get(key);
      if (other && other !== n) clash(other, n, `the table ${r}`);
      else relations.set(key, n);
    }
    if (n.resource_type === 'model' && n.materialized === 'view') continue;
    const zone = zoneOf(n, target);
    const names = n.resource_type === 'source' ? [n.relation.identifier, n.rejects_relation?.identifier ?? `${n.relation.identifier}__rejects`] : [n.relation.identifier];
    for (const name of names) {
      const folder = tableFolder(target, { entity: n.entity, zone, name });
      const hit = folders.find((f) => f.node !== n && overlaps(f.folder, folder));
      if (hit) clash(hit.node, n, `stored in ${hit.folder === folder ? `the folder ${folder}` : `nested folders ${hit.folder} and ${folder}`}`);
      folders.push({ folder, node: n, what: name });
    }
  }
}

export interface PlacementContext {
  /** The project folder, absolute (relative locations are taken from it). */
  projectRoot: string;
  config: ProjectConfig;
  /** The other targets of the project, resolved with the same environment (those that resolve). */
  otherTargets: ResolvedTarget[];
}

/** Where a target writes and deletes: the lake folder and catalog, or the S3 data and result prefixes. */
function writtenLocations(t: ResolvedTarget): [string, string][] {
  return targetSpec(t.type).writtenLocations(t);
}

/** The lake and data locations against the landing locations and against the other targets'. */
export function checkLocations(nodes: Record<string, ManifestNode>, target: ResolvedTarget, ctx: PlacementContext, diagnostics: Diagnostic[]): void {
  const abs = (loc: string) => absolute(ctx.projectRoot, loc);
  const mine = writtenLocations(target).map(([what, loc]) => ({ what, loc, at: abs(loc) }));
  for (const n of Object.values(nodes)) {
    if (n.resource_type !== 'source' || !n.location) continue;
    const landing = abs(n.location);
    for (const m of mine) {
      if (!overlaps(landing, m.at)) continue;
      diagnostics.push({
        code: 'E_LOCATION_OVERLAP', severity: 'error', file: n.original_file_path, line: n.line,
        message: `the landing location ${n.location} of source ${n.source_name}.${n.name} overlaps the ${m.what} ${m.loc} of target ${target.name}: stedi only reads landing data, but writes and deletes in the ${m.what}`,
        hint: `keep them apart: point ${m.what} and the landing location (e.g. var landing_root) at separate ${isUri(landing) ? 'prefixes' : 'folders'}`,
      });
    }
  }
  const loc = ctx.config.targets[target.name]?.loc ?? ctx.config.loc;
  for (const other of ctx.otherTargets) {
    if (other.name === target.name || other.type !== target.type) continue;
    for (const a of mine) {
      for (const [what, l] of writtenLocations(other)) {
        if (what === 'catalog' || a.what === 'catalog' || !overlaps(a.at, abs(l))) continue;
        diagnostics.push({
          code: 'E_LOCATION_OVERLAP', severity: 'error', file: loc.file, line: loc.line,
          message: `the ${a.what} ${a.loc} of target ${target.name} overlaps the ${what} ${l} of target ${other.name}: each target deletes the versions it does not know`,
          hint: 'give every target its own lake_dir / s3_data_dir',
        });
      }
    }
  }
}

/** The target's own checks of its settings (e.g. a duckdb path_template keeps each table in a folder of its own). */
export function checkTargetSettings(target: ResolvedTarget, config: ProjectConfig, diagnostics: Diagnostic[]): void {
  const loc = config.targets[target.name]?.loc ?? config.loc;
  for (const problem of targetSpec(target.type).check?.(target) ?? []) {
    diagnostics.push({ code: 'E_BAD_VALUE', severity: 'error', file: loc.file, line: loc.line, message: `target '${target.name}': ${problem}` });
  }
}
