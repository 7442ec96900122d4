/**
 * Masking of personal data in anything stedi prints or stores (test samples, unit-test diffs,
 * `stedi show`). A masked value keeps a 4-hex-digit fingerprint so two samples can be told apart
 * without the value being recoverable.
 */
import { createHash } from 'node:crypto';
import { projectLineage } from '../lineage/project.js';
import type { Manifest } from '../manifest/types.js';

/**
 * Lower-cased names of the columns of `ids` that hold personal data: every column declared
 * `meta.pii`, and every model column that column lineage finds carrying personal data (`pii` or
 * `derived`) or cannot show free of it (`unknown`), declared or not.
 */
export function personalColumns(manifest: Manifest, ids: string[]): Set<string> {
  const out = new Set<string>();
  for (const id of ids) {
    const n = manifest.nodes[id];
    if (n && 'columns' in n) for (const c of n.columns) if (c.pii) out.add(c.name.toLowerCase());
  }
  const models = ids.filter((id) => manifest.nodes[id]?.resource_type === 'model');
  if (models.length) {
    const pseudonymiser = manifest.metadata.pseudonymiser;
    const lineage = projectLineage({ nodes: manifest.nodes, dialect: manifest.metadata.target.type, only: models, ...(pseudonymiser ? { pseudonymiser } : {}) });
    for (const id of models) {
      for (const [column, status] of Object.entries(lineage.pii[id] ?? {})) if (status === 'pii' || status === 'derived' || status === 'unknown') out.add(column.toLowerCase());
    }
  }
  return out;
}

export function maskValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const fp = createHash('sha256').update(String(v)).digest('hex').slice(0, 4);
  return `<masked #${fp}>`;
}

export function maskRow(row: Record<string, unknown>, pii: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = pii.has(k.toLowerCase()) ? maskValue(v) : v;
  return out;
}
