/**
 * Masking of personal data in anything stedi prints or stores (test samples, unit-test diffs).
 * A masked value keeps a 4-hex-digit fingerprint so two samples can be told apart without the
 * value being recoverable.
 */
import { createHash } from 'node:crypto';

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
