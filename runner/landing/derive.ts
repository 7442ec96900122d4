/**
 * Derived landing columns: values stedi computes at ingestion instead of reading them from the
 * record. The one derivation is the pseudonym (`derived: {pseudonym_of: email}` in a source's
 * YAML): the lower-case hex HMAC-SHA256, under the pseudonymisation key, of the canonical form of
 * the named column (identity.ts, equal to `canonical_email` of macros/identity.sql); NULL when
 * the canonical form is NULL (a missing email).
 *
 * Computed here, once per record, the key never reaches an engine: no SQL, session variable,
 * query parameter or query history holds it, and the value is the same on every target by
 * construction. A derived column is never read from the record: the key resolver of the
 * classifier does not know it (readColumns), so a record key spelled like it is an unknown key,
 * reported and ignored.
 *
 * Pure apart from node:crypto; `withDerived` wraps an engine's sink so that the sink receives
 * full rows in declared column order.
 */
import { createHmac } from 'node:crypto';
import { canonicalEmail } from './identity.js';
import type { LandingSink, LandingSpec } from './ingest.js';
import type { LandingColumn, LandingValue } from './types.js';

/** The pseudonymisation key and its fingerprint (not secret: it names the key without revealing it). */
export interface PseudonymKey {
  key: Buffer;
  fingerprint: string;
}

/** What the fingerprint is an HMAC of; see keyFingerprint. */
const FINGERPRINT_LABEL = 'stedi key fingerprint';

/** The first 16 hex digits of HMAC-SHA256(key, 'stedi key fingerprint'): names a key without revealing it (64 bits, not invertible). */
export function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update(FINGERPRINT_LABEL, 'utf8').digest('hex').slice(0, 16);
}

export function pseudonymKey(key: Buffer): PseudonymKey {
  return { key, fingerprint: keyFingerprint(key) };
}

/** The pseudonym of a value: lower-case hex HMAC-SHA256(key, canonical form), or null for a missing identity. */
export function pseudonym(key: Buffer, value: unknown): string | null {
  const canonical = canonicalEmail(value);
  return canonical === null ? null : createHmac('sha256', key).update(canonical, 'utf8').digest('hex');
}

/** The columns read from a record: every declared column except the derived ones, in order. */
export function readColumns(columns: LandingColumn[]): LandingColumn[] {
  return columns.filter((c) => c.pseudonym_of === undefined);
}

export function hasDerived(columns: LandingColumn[]): boolean {
  return columns.some((c) => c.pseudonym_of !== undefined);
}

/** Why the derived columns cannot be computed (each a sentence naming columns, never a value), or none. */
export function derivationProblems(columns: LandingColumn[]): string[] {
  const read = readColumns(columns);
  const out: string[] = [];
  for (const c of columns) {
    if (c.pseudonym_of === undefined) continue;
    if (c.kind !== 'varchar') out.push(`column ${c.name}: a pseudonym is text; declare it data_type: varchar`);
    const base = read.find((r) => r.name.toLowerCase() === c.pseudonym_of!.toLowerCase());
    if (!base) out.push(`column ${c.name}: pseudonym_of '${c.pseudonym_of}' names no column of the source that is read from the records`);
    else if (base.kind !== 'varchar') out.push(`column ${c.name}: pseudonym_of '${c.pseudonym_of}' must be a varchar column`);
  }
  return out;
}

/**
 * The sink, receiving records as the classifier types them (the read columns, in order), extended
 * to full rows in declared column order, each derived column computed from its base value. A source
 * without derived columns gets its sink back unchanged. A source with derived columns and no key,
 * or whose derivation cannot be computed, fails here, before any file is read; the message names
 * the source and columns, never the key.
 */
export function withDerived(sink: LandingSink, spec: Pick<LandingSpec, 'source' | 'columns' | 'derive'>): LandingSink {
  if (!hasDerived(spec.columns)) return sink;
  const problems = derivationProblems(spec.columns);
  if (problems.length) throw new Error(`cannot ingest ${spec.source}: ${problems.join('; ')}`);
  if (!spec.derive) throw new Error(`cannot ingest ${spec.source}: it has derived columns (${spec.columns.filter((c) => c.pseudonym_of !== undefined).map((c) => c.name).join(', ')}) and no pseudonymisation key was given; nothing was ingested`);
  const { key } = spec.derive;
  const read = readColumns(spec.columns);
  const readIndex = new Map(read.map((c, i) => [c, i]));
  // per declared column: the index of its value in the record as read, or the index of its base (derived)
  const plan = spec.columns.map((c) =>
    c.pseudonym_of === undefined
      ? { from: readIndex.get(c)!, derived: false }
      : { from: read.findIndex((r) => r.name.toLowerCase() === c.pseudonym_of!.toLowerCase()), derived: true },
  );
  const row: LandingValue[] = new Array<LandingValue>(plan.length);
  const accept = (values: LandingValue[]) => {
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i]!;
      const v = values[p.from] ?? null;
      row[i] = p.derived ? pseudonym(key, v) : v;
    }
    sink.accept(row.slice());
  };
  return { accept, reject: (r) => sink.reject(r), ...(sink.drain ? { drain: () => sink.drain!() } : {}) };
}
