/**
 * Which landing files a build must read, from the listing and the state of the last ingestion
 * (state.ts). Pure: the I/O (hashing a file whose stamp changed, reading) is the caller's.
 *
 * The rule that makes incremental ingestion exact: the files of the source are, at every build,
 * the **universe** U = the files listed now + the removed files whose rows are kept
 * (`on_removed_file: keep`). Statuses are decided over U exactly as one full read would decide
 * them, in name order: a non-empty file whose bytes repeat an earlier file of U is a duplicate of
 * it; every other file is ingested. Then:
 *   - a file whose state is still right (same name, size and version — or same sha256 once
 *     hashed — and the same status) keeps its rows where they are;
 *   - a file to be ingested that is new, changed, or was a duplicate before is read;
 *   - an earlier file whose rows are no longer right (changed, removed with `drop`, or now a
 *     duplicate) loses them.
 * Only a new or changed file whose size equals another file's of U can repeat it: only those are
 * hashed before they are read (as a full read does).
 */
import type { LandingEntry } from './store.js';
import type { FileState, SourceState } from './state.js';

export type OnRemoved = 'keep' | 'drop';

export interface PlanOptions {
  location: string;
  fingerprint: string;
  fullRefresh?: boolean;
  onRemoved: OnRemoved;
}

/** Why the previous state is not used at all (every file is read). */
export type Restart = 'first' | 'full_refresh' | 'location' | 'fingerprint' | 'damaged';

/** Step 1: which files are unchanged, which need a hash to tell, which are new or changed. */
export interface Triage {
  restart?: Restart;
  previous: Map<string, FileState>;
  /** Listed files whose size and version match their state. */
  same: LandingEntry[];
  /** Listed files of the same size whose version differs and whose version is not a content token (local stamps): hashed to tell. */
  verify: LandingEntry[];
  /** New or changed (size differs, or an S3 ETag differs). */
  fresh: LandingEntry[];
  /** In the state, not listed any more. */
  removed: FileState[];
}

export function triage(files: LandingEntry[], previous: SourceState | undefined, opts: PlanOptions, damaged?: string): Triage {
  const restart: Restart | undefined = !previous
    ? 'first'
    : opts.fullRefresh
      ? 'full_refresh'
      : damaged
        ? 'damaged'
        : previous.location !== opts.location
          ? 'location'
          : previous.fingerprint !== opts.fingerprint
            ? 'fingerprint'
            : undefined;
  const prev = new Map(restart ? [] : previous!.files.map((f) => [f.name, f] as const));
  const t: Triage = { ...(restart ? { restart } : {}), previous: prev, same: [], verify: [], fresh: [], removed: [] };
  const listed = new Set<string>();
  for (const e of files) {
    listed.add(e.name);
    const p = prev.get(e.name);
    if (!p || p.bytes !== e.size) t.fresh.push(e);
    else if (p.version !== undefined && p.version === e.version) t.same.push(e);
    else if (e.versionIsContent) t.fresh.push(e);
    else t.verify.push(e);
  }
  for (const p of prev.values()) if (!listed.has(p.name)) t.removed.push(p);
  return t;
}

/** What becomes of one file of the universe. */
export type Decision =
  | { kind: 'keep'; state: FileState; entry?: LandingEntry }
  | { kind: 'read'; entry: LandingEntry }
  | { kind: 'duplicate'; entry?: LandingEntry; state?: FileState; of: string };

export interface Plan {
  /** The universe in name order. */
  files: { name: string; path: string; decision: Decision }[];
  /** Earlier files whose rows leave the tables, and why. */
  invalid: { state: FileState; why: 'changed' | 'removed' | 'duplicate' }[];
  /** Removed files whose rows are kept. */
  keptRemoved: FileState[];
  /** Earlier files whose content changed (whatever they held: rows, no record, a repeat): read again. */
  changed: FileState[];
}

/**
 * Step 2: statuses over the universe. `unchanged` are the listed files whose state is right (same
 * or verified by hash); `changed` the others; `hashes` the sha256 of every new or changed file
 * whose size equals another's in the universe.
 */
export function decide(t: Triage, unchanged: LandingEntry[], changed: LandingEntry[], hashes: Map<string, string>, onRemoved: OnRemoved): Plan {
  type U = { name: string; path: string; size: number; entry?: LandingEntry; state?: FileState; sha?: string };
  const universe: U[] = [];
  for (const e of unchanged) {
    const s = t.previous.get(e.name)!;
    universe.push({ name: e.name, path: e.path, size: e.size, entry: e, state: s, sha: s.sha256 });
  }
  for (const e of changed) universe.push({ name: e.name, path: e.path, size: e.size, entry: e, ...(hashes.has(e.name) ? { sha: hashes.get(e.name)! } : {}) });
  // a removed file is kept only for its rows: a removed duplicate or empty file had none
  const keptRemoved = onRemoved === 'keep' ? t.removed.filter((s) => s.status === 'ingested') : [];
  for (const s of keptRemoved) universe.push({ name: s.name, path: s.file, size: s.bytes, state: s, sha: s.sha256 });
  universe.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const invalid: Plan['invalid'] = [];
  const changedNames = new Set(changed.map((e) => e.name));
  const changedStates: FileState[] = [];
  for (const e of changed) {
    const s = t.previous.get(e.name);
    if (s) changedStates.push(s);
    if (s && s.status === 'ingested') invalid.push({ state: s, why: 'changed' });
  }
  if (onRemoved === 'drop') for (const s of t.removed) if (s.status === 'ingested') invalid.push({ state: s, why: 'removed' });

  // the first file of each content that is not known to be empty is the original of the later ones
  const firstOf = new Map<string, U>();
  const files: Plan['files'] = [];
  for (const u of universe) {
    const original = u.sha !== undefined ? firstOf.get(u.sha) : undefined;
    if (original) {
      if (u.state && !changedNames.has(u.name) && u.state.status === 'ingested') invalid.push({ state: u.state, why: 'duplicate' });
      files.push({ name: u.name, path: u.path, decision: { kind: 'duplicate', of: original.path, ...(u.entry ? { entry: u.entry } : {}), ...(u.state && !changedNames.has(u.name) ? { state: u.state } : {}) } });
      continue;
    }
    // an empty file (no record) is no one's original: a later copy is read (and is empty too)
    const knownEmpty = u.state && !changedNames.has(u.name) && u.state.status === 'empty';
    if (u.sha !== undefined && !knownEmpty) firstOf.set(u.sha, u);
    const keep = u.state && !changedNames.has(u.name) && u.state.status !== 'duplicate';
    files.push({ name: u.name, path: u.path, decision: keep ? { kind: 'keep', state: u.state!, ...(u.entry ? { entry: u.entry } : {}) } : { kind: 'read', entry: u.entry! } });
  }
  return { files, invalid, keptRemoved, changed: changedStates };
}

/** New or changed files whose size equals another file's of the universe: hashed before anything is read. */
export function needHash(changed: LandingEntry[], unchanged: LandingEntry[], keptRemoved: FileState[]): LandingEntry[] {
  const count = new Map<number, number>();
  const add = (n: number) => count.set(n, (count.get(n) ?? 0) + 1);
  for (const e of changed) add(e.size);
  for (const e of unchanged) add(e.size);
  for (const s of keptRemoved) add(s.bytes);
  return changed.filter((e) => e.size > 0 && (count.get(e.size) ?? 0) > 1);
}
