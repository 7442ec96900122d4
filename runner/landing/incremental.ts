/**
 * Incremental landing ingestion: a build reads only the files that are new or changed since the
 * last ingestion of the source, and the landing tables stay exactly what a full read of the same
 * files gives (plan.ts decides, state.ts holds the result).
 *
 *   1. list the location once; compare each file with its state (size and version: a local stat
 *      stamp, hashed again when it moved; an S3 ETag);
 *   2. hash the new or changed files that could repeat another file (same size), then decide the
 *      status of every file of the universe in name order (plan.ts);
 *   3. read the files to read, in name order, into the writer's new parts;
 *   4. rewrite the earlier parts that hold rows of files whose rows must leave (changed, removed
 *      with `on_removed_file: drop`, now a duplicate): only those parts, without those rows;
 *   5. return the new state (every part with its rows, every file with its segments) and the
 *      cumulative report; the engine publishes both at once, or neither.
 *
 * Engine-agnostic: the engine supplies a BatchWriter (where rows go, how a part is rewritten);
 * the reading and hashing are injected by ingest.ts. The result checks itself (stateProblem)
 * before it is returned: a state that does not account for every row is an error, not a publish.
 */
import path from 'node:path';
import { safeText } from '../core/redact.js';
import type { LandingSink, LandingSpec } from './ingest.js';
import { hasDerived } from './derive.js';
import { decide, needHash, triage, type OnRemoved, type Plan, type Restart } from './plan.js';
import { shownPath } from './report.js';
import { ingestFingerprint, partRows, reportOf, stateProblem, type FileState, type Part, type Segment, type SourceState } from './state.js';
import { listLanding, type LandingEntry, type LandingStore } from './store.js';
import { blankReport, describe, sumTotals } from './summary.js';
import type { FileReport, LandingReport } from './types.js';

export type PartKind = 'accepted' | 'rejects';

/** Where an ingestion writes; one per build of a source. */
export interface BatchWriter {
  /** Receives the rows of the files read, in file and line order. */
  sink: LandingSink;
  /** Writes out what is staged: the new parts of each table, in row order, with their rows. */
  finish(): Promise<{ accepted: Part[]; rejects: Part[] }>;
  /**
   * A new part holding the rows of `part` except those in `drop` (sorted, disjoint [from, to)
   * ranges of row numbers, from 0), in the same order; undefined when no row is left.
   */
  rewrite(kind: PartKind, part: Part, drop: [number, number][]): Promise<Part | undefined>;
}

export interface IncrementalOptions {
  store: LandingStore;
  signal?: AbortSignal;
  /** The state of the last published ingestion of this source. */
  previous?: SourceState;
  /** Read every file again (the previous state is not used; its parts are not kept). */
  fullRefresh?: boolean;
  onRemoved?: OnRemoved;
  /** Reads the files into the sink: one report per file, in the order their rows were stored (not necessarily `files`' order). */
  read(store: LandingStore, files: LandingEntry[], spec: LandingSpec, sink: LandingSink, opts: { signal?: AbortSignal }): Promise<FileReport[]>;
  hash(store: LandingStore, file: LandingEntry, signal?: AbortSignal): Promise<string>;
}

export interface IncrementalResult {
  report: LandingReport;
  state: SourceState;
  /** Files read by this build (new, changed, or no longer a duplicate). */
  read: number;
  /** The files of the report this build did not read, by why (readLine says so). */
  notRead: NotRead;
  /** Why every file was read, when the previous state was not used. */
  restart?: Restart;
}

/** The files a build did not read: unchanged since they were ingested, repeating another file's bytes, or no longer listed (their rows kept). */
export interface NotRead {
  unchanged: number;
  duplicates: number;
  removed: number;
}

export async function ingestIncremental(spec: LandingSpec, writer: BatchWriter, opts: IncrementalOptions): Promise<IncrementalResult> {
  const { signal, store } = opts;
  const onRemoved = opts.onRemoved ?? 'keep';
  // a new pseudonymisation key changes every derived value: its fingerprint is part of the state's
  // (only for a source with derived columns: the others do not depend on the key)
  const keyed = spec.derive && hasDerived(spec.columns) ? spec.derive : undefined;
  const fingerprint = ingestFingerprint({ ...spec, ...(keyed ? { derive_fingerprint: keyed.fingerprint } : {}) });
  const { files, skipped } = await listLanding(store, spec, signal);
  const damaged = opts.previous && !opts.fullRefresh ? stateProblem(opts.previous) : undefined;
  const t = triage(files, opts.previous, { location: spec.location, fingerprint, onRemoved, ...(opts.fullRefresh ? { fullRefresh: true } : {}) }, damaged);

  // 1. a file whose stamp moved but whose size did not: the same bytes keep their rows
  const unchanged = [...t.same];
  const changed = [...t.fresh];
  const hashes = new Map<string, string>();
  for (const e of t.verify) {
    signal?.throwIfAborted();
    const sha = await opts.hash(store, e, signal);
    if (sha === t.previous.get(e.name)!.sha256) unchanged.push(e);
    else {
      changed.push(e);
      hashes.set(e.name, sha);
    }
  }
  // 2. only a file as large as another can repeat it: those are hashed before anything is read
  const keptRemoved = onRemoved === 'keep' ? t.removed.filter((s) => s.status === 'ingested') : [];
  for (const e of needHash(changed, unchanged, keptRemoved)) {
    signal?.throwIfAborted();
    if (!hashes.has(e.name)) hashes.set(e.name, await opts.hash(store, e, signal));
  }
  const plan = decide(t, unchanged, changed, hashes, onRemoved);

  // 3. read
  const toRead = plan.files.flatMap((f) => (f.decision.kind === 'read' ? [f.decision.entry] : []));
  const reports = await opts.read(store, toRead, spec, writer.sink, signal ? { signal } : {});
  const written = await writer.finish();

  // 4. the new parts, then the earlier parts without the rows that leave
  const segmentsOf = assignSegments(reports, written);
  const previousParts = t.restart ? { accepted: [], rejects: [] } : opts.previous!.parts;
  const { parts, moved } = await rewriteParts(writer, previousParts, plan.invalid.map((i) => i.state), signal);

  // 5. the state of every file of the universe, in name order
  const byPath = new Map<string, FileState>();
  const out: FileState[] = [];
  // the reports come in the order the rows were stored (the engine's fast path first): found by path
  const reportIndex = new Map(reports.map((r, i) => [r.file, i]));
  if (reportIndex.size !== toRead.length || toRead.some((e) => !reportIndex.has(e.path))) throw new Error(`${spec.source}: internal: the reader did not report every file it was given once; nothing is published`);
  const readIndex = new Map(toRead.map((e) => [e.name, reportIndex.get(e.path)!]));
  for (const f of plan.files) {
    const d = f.decision;
    let st: FileState;
    if (d.kind === 'keep') {
      const listed = d.entry !== undefined;
      st = { ...d.state, segments: { accepted: moved(d.state.segments.accepted, 'accepted'), rejects: moved(d.state.segments.rejects, 'rejects') }, ...(listed && d.entry!.version !== undefined ? { version: d.entry!.version } : {}) };
      if (listed) delete st.removed;
      else st.removed = true;
    } else if (d.kind === 'read') {
      const i = readIndex.get(f.name)!;
      st = { ...reports[i]!, name: f.name, ...(d.entry.version !== undefined ? { version: d.entry.version } : {}), segments: segmentsOf[i]! };
      delete st.ingested_at;
    } else {
      const original = byPath.get(d.of);
      if (!original) throw new Error(`internal: ${shownPath(f.path)} repeats a file that was not decided before it`);
      const version = d.entry?.version ?? d.state?.version;
      const base = { name: f.name, ...(version !== undefined ? { version } : {}), ...(d.entry ? {} : { removed: true }), ...(d.state?.ingested_at ? { ingested_at: d.state.ingested_at } : {}), segments: { accepted: [], rejects: [] } };
      st = original.status === 'empty'
        ? { ...reportOf(original), file: f.path, ...base } // a copy of an empty file is empty too (same bytes, same lines)
        : { ...blankReport(f.path, original.bytes, original.sha256, original.lines, original.no_final_newline), status: 'duplicate', duplicate_of: original.file, duplicate_delivery: original.lines, ...base };
    }
    byPath.set(f.path, st);
    out.push(st);
  }
  const finalParts = {
    accepted: withSchemaPart([...parts.accepted, ...written.accepted]),
    rejects: withSchemaPart([...parts.rejects, ...written.rejects]),
  };
  const state: SourceState = { source: spec.source, location: spec.location, fingerprint, files: out, parts: finalParts };
  const broken = stateProblem(state);
  if (broken) throw new Error(`${spec.source}: the ingestion does not account for every row (${broken}); nothing is published`);

  const all = out.map(reportOf);
  const describedNames = new Set(plan.files.filter((f) => f.decision.kind === 'read' || (f.decision.kind === 'duplicate' && !f.decision.state)).map((f) => f.path));
  const events = fileEvents(plan);
  const warnings = [...notes(events, t.restart, opts.previous !== undefined), ...describe(all.filter((f) => describedNames.has(f.file)), skipped, spec, all)];
  const changes = fileChanges(events);
  const report: LandingReport = {
    source: spec.source, relation: spec.relation, rejects_relation: spec.rejects_relation, location: spec.location, on_malformed: spec.on_malformed,
    files: all, skipped, totals: sumTotals(all, skipped.length), warnings, ...(changes.changed || changes.removed ? { file_changes: changes } : {}), ...(keyed ? { key_fingerprint: keyed.fingerprint } : {}),
  };
  if (partRows(finalParts.accepted) !== report.totals.accepted || partRows(finalParts.rejects) !== report.totals.rejected) {
    throw new Error(`${spec.source}: the stored parts hold ${partRows(finalParts.accepted)} rows and ${partRows(finalParts.rejects)} rejects, the files ${report.totals.accepted} and ${report.totals.rejected}; nothing is published`);
  }
  const notRead: NotRead = { unchanged: 0, duplicates: 0, removed: 0 };
  for (const f of plan.files) {
    const d = f.decision;
    if (d.kind === 'read') continue;
    if (d.entry === undefined) notRead.removed++;
    else if (d.kind === 'keep') notRead.unchanged++;
    else notRead.duplicates++;
  }
  return { report, state, read: toRead.length, notRead, ...(t.restart ? { restart: t.restart } : {}) };
}

/** The segments of each file read, in order, over the new parts (a file may span two parts). */
function assignSegments(reports: FileReport[], written: { accepted: Part[]; rejects: Part[] }): { accepted: Segment[]; rejects: Segment[] }[] {
  const cursor = (parts: Part[]) => {
    let i = 0;
    let at = 0;
    return (n: number): Segment[] => {
      const out: Segment[] = [];
      while (n > 0) {
        const p = parts[i];
        if (!p) throw new Error('internal: the writer stored fewer rows than the files hold');
        const take = Math.min(n, p.rows - at);
        if (take > 0) out.push({ part: p.path, first: at, count: take });
        n -= take;
        at += take;
        if (at >= p.rows) {
          i++;
          at = 0;
        }
      }
      return out;
    };
  };
  const acc = cursor(written.accepted);
  const rej = cursor(written.rejects);
  return reports.map((r) => ({ accepted: r.status === 'ingested' ? acc(r.accepted) : [], rejects: r.status === 'ingested' ? rej(r.rejected) : [] }));
}

/**
 * The earlier parts without the rows of `leaving`: parts that hold none of them are kept as they
 * are; the others are rewritten (or dropped when nothing is left). `moved` maps a kept file's
 * segments onto the parts they are in now.
 */
async function rewriteParts(writer: BatchWriter, previous: { accepted: Part[]; rejects: Part[] }, leaving: FileState[], signal?: AbortSignal) {
  const parts = { accepted: [] as Part[], rejects: [] as Part[] };
  const renamed = { accepted: new Map<string, { to: string; drops: [number, number][] }>(), rejects: new Map<string, { to: string; drops: [number, number][] }>() };
  for (const kind of ['accepted', 'rejects'] as const) {
    const drops = new Map<string, [number, number][]>();
    for (const f of leaving) for (const s of f.segments[kind]) drops.set(s.part, [...(drops.get(s.part) ?? []), [s.first, s.first + s.count]]);
    for (const p of previous[kind]) {
      const d = drops.get(p.path);
      if (!d) {
        parts[kind].push(p);
        continue;
      }
      signal?.throwIfAborted();
      d.sort((a, b) => a[0] - b[0]);
      const copy = await writer.rewrite(kind, p, d);
      if (copy) {
        parts[kind].push(copy);
        renamed[kind].set(p.path, { to: copy.path, drops: d });
      }
    }
  }
  const moved = (segs: Segment[], kind: 'accepted' | 'rejects'): Segment[] =>
    segs.map((s) => {
      const r = renamed[kind].get(s.part);
      if (!r) return s;
      // rows dropped before this segment shift it down
      const before = r.drops.reduce((n, [from, to]) => n + (to <= s.first ? to - from : 0), 0);
      return { part: r.to, first: s.first - before, count: s.count };
    });
  return { parts, moved };
}

/** Parts with rows; one empty part is kept when there is no other (it carries the table's schema). */
function withSchemaPart(parts: Part[]): Part[] {
  const full = parts.filter((p) => p.rows > 0);
  return full.length ? full : parts.slice(0, 1);
}

/** The earlier files this build found changed or gone, by what becomes of their rows. */
interface FileEvents {
  /** Content changed (its rows, if it had any, replaced). */
  changed: FileState[];
  /** Gone, rows and rejects dropped (on_removed_file: drop). */
  dropped: FileState[];
  /** Gone, rows kept (on_removed_file: keep); `removed` in their state once an earlier build found them missing. */
  kept: FileState[];
}

function fileEvents(plan: Plan): FileEvents {
  return { changed: plan.changed, dropped: plan.invalid.filter((i) => i.why === 'removed').map((i) => i.state), kept: plan.keptRemoved };
}

/**
 * What makes the source's result a warning (report.ts `needsAttention`): a changed file, a dropped
 * one, and a kept one the first time it is found missing — later builds still name it in the
 * message (`notes`), without a warning, so that a file moved to an archive tier on purpose does not
 * fail every `--warn-error` build.
 */
function fileChanges(e: FileEvents): { changed: number; removed: number } {
  return { changed: e.changed.length, removed: e.dropped.length + e.kept.filter((s) => !s.removed).length };
}

/** What the build did that a person should know: a restart, changed and removed files (one line each kind, files named). */
function notes(events: FileEvents, restart: Restart | undefined, hadState: boolean): string[] {
  const out: string[] = [];
  const name = (p: string) => safeText(path.posix.basename(p));
  const list = (xs: string[]) => `${xs.slice(0, 10).map(name).join(', ')}${xs.length > 10 ? `, … (${xs.length} in all)` : ''}`;
  if (hadState && restart && restart !== 'first') {
    const why = { full_refresh: '--full-refresh', location: 'the landing location changed', fingerprint: 'the columns, the line limit, the malformed-line policy or the pseudonymisation key changed', damaged: 'the recorded ingestion state does not account for every row', first: '' }[restart];
    out.push(`every landing file was read again (${why})`);
  }
  const { changed, dropped, kept } = events;
  if (changed.length) out.push(`${list(changed.map((s) => s.file))}: changed since ${changed.length === 1 ? 'it was' : 'they were'} ingested: the rows and rejects of the earlier content are replaced by the new ones`);
  if (dropped.length) out.push(`${list(dropped.map((s) => s.file))}: no longer in the landing location: ${dropped.length === 1 ? 'its' : 'their'} rows and rejects are removed (on_removed_file: drop)`);
  if (kept.length) out.push(`${list(kept.map((s) => s.file))}: no longer in the landing location: ${kept.length === 1 ? 'its' : 'their'} rows are kept (on_removed_file: keep; set it to drop to remove them)`);
  return out;
}
