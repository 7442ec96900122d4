/** Whole-project checks that run after every node is known. */
import { didYouMean, type Diagnostic } from '../core/diagnostics.js';
import { findAllCycles } from '../graph/dag.js';
import type { ManifestNode, ModelNode } from '../manifest/types.js';
import type { ProjectSpec } from '../project/types.js';
import type { Registry } from './scope.js';

export function checkModelProps(project: ProjectSpec, registry: Registry, diagnostics: Diagnostic[]): void {
  const models = new Set(project.models.map((f) => f.path.slice(f.path.lastIndexOf('/') + 1).replace(/\.sql$/, '')));
  for (const p of project.modelProps) {
    if (!models.has(p.name)) {
      diagnostics.push({
        code: 'E_PROPS_UNKNOWN_MODEL', severity: 'error', file: p.loc.file, line: p.loc.line,
        message: `properties are given for model '${p.name}', which has no .sql file`,
        hint: didYouMean(p.name, registry.refs.keys()) ?? 'create the model or remove the entry',
      });
    }
  }
}

/** A model with `pii_allowed: false` may not declare a column tagged meta.pii. Column-level
 * lineage extends this to derived columns. */
export function checkPiiPolicy(models: ModelNode[], diagnostics: Diagnostic[]): void {
  for (const m of models) {
    if (m.config.pii_allowed !== false) continue;
    for (const c of m.columns.filter((c) => c.pii)) {
      diagnostics.push({
        code: 'E_PII_FORBIDDEN', severity: 'error', file: m.original_file_path, line: 1,
        message: `${m.name}.${c.name} is tagged meta.pii but ${m.name} has pii_allowed: false`,
        hint: 'pseudonymise it with subject_key() or drop the column',
      });
    }
  }
}

export function checkCycles(nodes: Record<string, ManifestNode>, diagnostics: Diagnostic[]): void {
  const ids = Object.keys(nodes).sort();
  for (const chain of findAllCycles(ids, (id) => nodes[id]?.depends_on ?? [])) {
    const first = nodes[chain[0]!];
    const names = chain.map((id) => nodes[id]?.name ?? id);
    diagnostics.push({
      code: 'E_CYCLE', severity: 'error', file: first?.original_file_path ?? '', line: 1,
      message: `dependency cycle: ${names.join(' > ')}`,
      hint: 'a model cannot read from itself, directly or through others',
    });
  }
}
