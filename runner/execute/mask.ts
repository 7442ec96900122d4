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
 * `derived`) or cannot show free of it (`unknown`), declared or not. A model's lineage is worked
 * out once per manifest (every failing test of a build asks again).
 */
export function personalColumns(manifest: Manifest, ids: string[]): Set<string> {
  const out = new Set<string>();
  for (const id of ids) {
    const n = manifest.nodes[id];
    if (n && 'columns' in n) for (const c of n.columns) if (c.pii) out.add(c.name.toLowerCase());
  }
  const models = ids.filter((id) => manifest.nodes[id]?.resource_type === 'model');
  for (const cols of personalModelColumns(manifest, models)) for (const c of cols) out.add(c);
  return out;
}

const LINEAGE = new WeakMap<Manifest, Map<string, Set<string>>>();

function personalModelColumns(manifest: Manifest, models: string[]): Set<string>[] {
  let known = LINEAGE.get(manifest);
  if (!known) LINEAGE.set(manifest, (known = new Map()));
  const missing = models.filter((id) => !known.has(id));
  if (missing.length) {
    const pseudonymiser = manifest.metadata.pseudonymiser;
    const lineage = projectLineage({ nodes: manifest.nodes, dialect: manifest.metadata.target.type, only: missing, ...(pseudonymiser ? { pseudonymiser } : {}) });
    for (const id of Object.keys(lineage.models)) {
      const cols = Object.entries(lineage.pii[id] ?? {}).filter(([, s]) => s === 'pii' || s === 'derived' || s === 'unknown').map(([c]) => c.toLowerCase());
      known.set(id, new Set(cols));
    }
  }
  return models.map((id) => known.get(id) ?? new Set());
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
