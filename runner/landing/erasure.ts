/**
 * The erasure list: the people `stedi forget` erased, as keyed hashes only, and the matcher that
 * keeps their records out of every later ingestion (rule `erased`).
 *
 * A source column takes part when its YAML says what it identifies (`meta: {identity: person}`,
 * the customer's email in any spelling; `meta: {identity: device}`, a device serial number that
 * only erased people owned). What the list holds is never an identifier:
 *   - a person: the pseudonym of the canonical identity, HMAC-SHA256(key, canonical_email(e)),
 *     i.e. the very `subject_key` that the customer records carry (derive.ts);
 *   - a device: HMAC-SHA256(key, 'stedi device' NUL serial), the serial exactly as written.
 * Without the key the hashes cannot be tested against a guess; with another key they match
 * nothing, which is why the list records the fingerprint of its key and a build under another
 * key stops (erasureKeyProblem) instead of letting the erased come back.
 *
 * A line matches when
 *   - it is an accepted record and one of its identity columns holds an erased value; or
 *   - it is a reject (its fields cannot be trusted) and any of its tokens - the text between
 *     quotes, and every run of characters between punctuation or white space - is an
 *     erased value. Wider than the columns on purpose: a quarantined raw line is kept whole, so
 *     any trace of the person in it is enough to leave it out.
 *
 * Pure apart from node:crypto. The same matcher runs in the classifier threads (its plain form,
 * `MatcherSetup`, travels to them) and in `stedi forget`, which finds the lines to remove with it.
 */
import { createHmac } from 'node:crypto';
import { pseudonym } from './derive.js';
import type { LandingColumn, LandingValue } from './types.js';

export type IdentityRole = 'person' | 'device';
export const IDENTITY_ROLES: readonly IdentityRole[] = ['person', 'device'];

const DEVICE_LABEL = 'stedi device\u0000';

/** The hash of a device serial, as written (no canonical form: the models match serials exactly). */
export function deviceHash(key: Buffer, serial: string): string {
  return createHmac('sha256', key).update(DEVICE_LABEL + serial, 'utf8').digest('hex');
}

/** The hash of a person: the pseudonym of the canonical identity (null for no identity). */
export function personHash(key: Buffer, value: unknown): string | null {
  return pseudonym(key, value);
}

export interface ErasureList {
  /** The fingerprint of the key the hashes were made with (derive.ts keyFingerprint). */
  key_fingerprint: string;
  persons: string[];
  devices: string[];
}

export function isEmptyList(l: ErasureList | undefined): boolean {
  return !l || (l.persons.length === 0 && l.devices.length === 0);
}

/** Why the list cannot be applied with this key (a sentence without any value), or undefined. */
export function erasureKeyProblem(list: ErasureList | undefined, keyFingerprint: string | undefined): string | undefined {
  if (isEmptyList(list)) return undefined;
  if (keyFingerprint === undefined) return 'the lake holds an erasure list (stedi forget) and no pseudonymisation key was given: stedi cannot tell the erased records apart, so nothing is ingested';
  if (list!.key_fingerprint !== keyFingerprint) return `the erasure list was made with another pseudonymisation key (fingerprint ${list!.key_fingerprint}, this key's is ${keyFingerprint}): its hashes would match no one and the erased could come back, so nothing is ingested; build with the key of the list (README: "Erasure requests")`;
  return undefined;
}

/** The plain form of a matcher, for the classifier threads. */
export interface MatcherSetup {
  key: string;
  persons: string[];
  devices: string[];
  /** Index in the record's read columns (classify.ts order) and the role of each identity column. */
  roles: { index: number; role: IdentityRole }[];
}

/**
 * The identity columns among the read columns (those the classifier types, in order) that decide
 * whether a record is an erased person's. In a source with a person column (the customer records)
 * a device column is the person's claim on a device, not the record's owner: the record is matched
 * by its person column only, so a later customer of the same device is never erased with it. In a
 * source without one (device readings), the device column decides.
 */
export function identityRoles(readColumns: LandingColumn[]): MatcherSetup['roles'] {
  const out: MatcherSetup['roles'] = [];
  readColumns.forEach((c, index) => {
    if (c.identity) out.push({ index, role: c.identity });
  });
  return out.some((r) => r.role === 'person') ? out.filter((r) => r.role === 'person') : out;
}

/** A matcher's setup, or undefined when there is nothing to match (no list, or no identity column). */
export function matcherSetup(list: ErasureList | undefined, key: Buffer | undefined, readColumns: LandingColumn[]): MatcherSetup | undefined {
  if (isEmptyList(list) || !key) return undefined;
  const roles = identityRoles(readColumns);
  if (!roles.length) return undefined;
  return { key: key.toString('hex'), persons: list!.persons, devices: list!.devices, roles };
}

/** Distinct values remembered per matcher (a file's users repeat; the cache keeps hashing rare). */
const CACHE_LIMIT = 100_000;
/** What separates tokens in a raw line: white space, JSON punctuation, and the punctuation of other text formats (key=value; <tags>, (notes)). */
const TOKEN_SPLIT = /[\s"'{}[\],:;=<>()\\]+/u;

export class ErasureMatcher {
  private readonly key: Buffer;
  private readonly persons: Set<string>;
  private readonly devices: Set<string>;
  private readonly cache = new Map<string, boolean>();
  /** The person hashes of the list that some text matched (recorded when first matched; the cache keeps answering after). */
  readonly matchedPersons = new Set<string>();

  constructor(readonly setup: MatcherSetup) {
    this.key = Buffer.from(setup.key, 'hex');
    this.persons = new Set(setup.persons);
    this.devices = new Set(setup.devices);
  }

  /** True when the text is an erased person (in any spelling) or an erased device serial. */
  erasedValue(text: string, roles: readonly IdentityRole[] = IDENTITY_ROLES): boolean {
    const cacheKey = roles.length === 2 ? text : `${roles[0]}\u0000${text}`;
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined) return hit;
    let out = false;
    if (roles.includes('person') && this.persons.size) {
      const h = personHash(this.key, text);
      out = h !== null && this.persons.has(h);
      if (out) this.matchedPersons.add(h!);
    }
    if (!out && roles.includes('device') && this.devices.size) out = this.devices.has(deviceHash(this.key, text));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(cacheKey, out);
    return out;
  }

  /** An accepted record (its read columns, typed): does an identity column hold an erased value? */
  record(values: readonly LandingValue[]): boolean {
    for (const { index, role } of this.setup.roles) {
      const v = values[index];
      if (typeof v === 'string' && this.erasedValue(v, [role])) return true;
    }
    return false;
  }

  /** A rejected line: does any of its tokens name an erased person or device? */
  raw(text: string): boolean {
    for (const t of text.split(TOKEN_SPLIT)) if (t !== '' && this.erasedValue(t)) return true;
    // quoted text as a whole (an email with spaces inside quotes stays one token here)
    const quoted = text.split('"');
    for (let i = 1; i < quoted.length; i += 2) if (quoted[i] !== '' && this.erasedValue(quoted[i]!)) return true;
    return false;
  }
}
