/** Executes a plan against an adapter: scheduling, write-audit-publish, results. */
import { engineErrorLine } from './engine-lines.js';
import type { Adapter, Candidate, PublishedRecord, Queryable, RecordedTest, ReuseStore } from '../adapters/types.js';
import type { Manifest, ManifestNode, TestNode } from '../manifest/types.js';
import { needsAttention, reportForArtifacts } from '../landing/report.js';
import { runDataTest } from './data-test.js';
import { GUARD_HINT, volumeGuard, volumeProblem } from './guards.js';
import { checkPlan, unbuiltReads, type BuildInputs, type InputProblem } from './inputs.js';
import { planNodeCount, type PlanStep } from './plan.js';
import { selectorOf } from '../graph/select.js';
import type { Reporter } from './reporter.js';
import type { NodeResult, NodeStatus } from './results.js';
import { schedule } from './scheduler.js';
import { runUnitTest } from './unit-test.js';
import { isMicrobatch, microbatchPlan } from './microbatch.js';
import { contentTokens, materializeKey, provenReads, recordedKey, recordOf, testKey, unitTestKey } from './reuse.js';
import { deltaTestSql } from './delta-test.js';
import { keyLocal } from './key-local.js';
import { partitionAudit, pinnedForm } from './partition-delta.js';

/** How a gate test runs on less than the whole: the SQL, what to say, and (partition-local audits) what it reads. */
interface Delta {
  sql: string;
  note: string;
  prepare?: (q: Queryable, signal?: AbortSignal) => Promise<string>;
  cleanup?: (q: Queryable) => Promise<void>;
}

export interface ExecOptions {
  threads: number;
  failFast: boolean;
  signal?: AbortSignal;
  reporter: Reporter;
  /** What each node publishes is recorded as built from these (runner/execute/inputs.ts). */
  inputs?: Map<string, BuildInputs>;
  /** Publish versions the volume guards refuse (with a warning): `--allow-shrink`. */
  allowShrink?: boolean;
  /** `--full-refresh`: the selected sources read every landing file again (no earlier part is kept). */
  fullRefresh?: boolean;
  /** `--event-time-start/--event-time-end`: microbatch models rebuild the intervals of this window too (epoch ms, end exclusive). */
  eventTimeWindow?: { start?: number; end?: number };
  /**
   * `--warn-error`: a warning is an error. A test that warns fails (and blocks the version it
   * gates), a source whose landing report has warnings is not published, and a result that would
   * have been a warning records `warn_error: true`.
   */
  warnError?: boolean;
  /**
   * `--empty`: every node is built on zero rows (runner/adapters/duckdb/empty.ts). A data test
   * then proves only that its SQL runs on the tables it reads: it is checked, not judged.
   */
  empty?: boolean;
  /** The fingerprint of this command's pseudonymisation key, when it ingests a source with a derived column (recorded as an input). */
  keyFingerprint?: string;
  /**
   * Reuse what provably did not change (runner/execute/reuse.ts): a model or seed whose inputs are
   * those its published version was built from, a test whose inputs are those of its recorded
   * pass or warn. Off for `--full-refresh` and `--no-reuse`; keys and results are recorded either way.
   */
  reuse?: boolean;
  /**
   * What each step reads that this command neither builds nor finds published (unbuiltReads in
   * ./inputs.ts): such a model or seed is an error naming the missing tables, without a query; a
   * test is an error under `test` and skipped under `build` (`unbuiltTests: 'skip'`), where it
   * tests a table that does not exist yet besides the ones the command builds.
   */
  unbuilt?: Map<string, string[]>;
  unbuiltTests?: 'skip' | 'error';
}

/** The task id of a gate test run ahead of its gate (see `early` in execute). */
const EARLY = 'early:';
const CANCELLED = 'cancelled: the run was stopped; nothing of it was published';
/** How a result made an error by `--warn-error` says so. */
export const WARN_ERROR = 'a warning, made an error by --warn-error';

export function labelOf(n: ManifestNode): string {
  switch (n.resource_type) {
    case 'model': return `${n.materialized} ${n.relation.schema}.${n.relation.identifier}`;
    case 'seed': return `seed ${n.relation.schema}.${n.relation.identifier}`;
    case 'source': return `source ${n.source_name}.${n.name}`;
    case 'test': return `test ${n.name}`;
    case 'unit_test': return `unit_test ${n.name}`;
  }
}

/** `reads seed seeds.kinds, which is not published on target local and not built by this command` */
function unbuiltMessage(manifest: Manifest, missing: string[]): string {
  const names = missing.map((id) => {
    const n = manifest.nodes[id];
    return !n ? id : 'relation' in n && n.resource_type !== 'source' ? `${n.resource_type} ${n.relation.schema}.${n.relation.identifier}` : labelOf(n);
  });
  const one = missing.length === 1;
  return `reads ${names.join(', ')}, which ${one ? 'is' : 'are'} not published on target ${manifest.metadata.target.name} and not built by this command`;
}

const nameOf = (manifest: Manifest, id: string) => (manifest.nodes[id] ? selectorOf(manifest.nodes[id]) : id);

export async function execute(manifest: Manifest, adapter: Adapter, steps: PlanStep[], opts: ExecOptions): Promise<NodeResult[]> {
  const total = planNodeCount(steps);
  const results: NodeResult[] = [];
  const stopped = () => !!opts.signal?.aborted;
  /** After a stop only the nodes that were in flight are printed (CANCELLED); the others are recorded quietly. */
  const record = (r: NodeResult, node: ManifestNode, quiet = false) => {
    results.push(r);
    if (!quiet) opts.reporter.nodeDone(results.length, total, r, labelOf(node));
  };
  const timed = async (node: ManifestNode, fn: () => Promise<Omit<NodeResult, 'unique_id' | 'name' | 'resource_type' | 'started_at' | 'completed_at' | 'execution_time'>>): Promise<NodeResult> => {
    const start = new Date();
    let body: Awaited<ReturnType<typeof fn>>;
    try {
      body = await fn();
    } catch (e) {
      body = stopped() ? { status: 'cancelled', message: CANCELLED } : { status: 'error', message: errorMessage(e, node) };
    }
    const end = new Date();
    return { unique_id: node.unique_id, name: node.name, resource_type: node.resource_type, started_at: start.toISOString(), completed_at: end.toISOString(), execution_time: (end.getTime() - start.getTime()) / 1000, ...body };
  };

  /**
   * `delta`: the test's SQL on only the rows the candidate adds (a delta audit) or on the
   * partitions whose inputs changed (a partition-local audit, `prepare` creating what it reads),
   * with what to say about it.
   */
  const testOn = (q: Queryable, t: TestNode, signal: AbortSignal, delta?: Delta) =>
    timed(t, async () => {
      const missing = opts.unbuilt?.get(t.unique_id);
      if (missing) return { status: 'error', message: `not run: it ${unbuiltMessage(manifest, missing)}; build ${missing.length === 1 ? 'it' : 'them'} first: stedi build -s ${missing.map((id) => `+${nameOf(manifest, id)}`).join(' ')}`, not_published: missing };
      if (opts.empty) {
        await q.query(`select * from (\n${t.compiled_code}\n) as stedi_test limit 0`, signal);
        return { status: 'pass', message: 'its SQL runs on zero rows; not judged (--empty)' };
      }
      let note = delta?.note ?? '';
      let o: Awaited<ReturnType<typeof runDataTest>>;
      // set when a partition-local restriction was planned but could not be built
      let ranWhole = '';
      try {
        if (delta?.prepare) {
          try {
            note = await delta.prepare(q, signal);
          } catch (e) {
            // the restriction could not be built (e.g. a column of another type than the proof
            // assumes): the whole test decides instead, as it would without a recorded pass. The
            // engine's message is not repeated: a failed conversion can quote a value of the data
            if (signal.aborted) throw e;
            await delta.cleanup?.(q);
            delta = undefined;
            // an engine may have aborted the gate's transaction on the failure (DuckDB does on a
            // failed read): then nothing can be audited in it, and the candidate is not published
            await q.query('select 1 as ok', signal).catch(() => {
              throw new Error('its restriction to the partitions whose inputs changed failed and left the publishing transaction unusable, so it could not run whole instead; nothing was published. Build with --no-reuse to audit it whole');
            });
            ranWhole = ' (run whole: the restriction to the partitions whose inputs changed could not be built on this data)';
          }
        }
        o = await runDataTest(q, manifest, t, signal, delta?.sql);
      } finally {
        await delta?.cleanup?.(q);
      }
      const promoted = !!opts.warnError && o.status === 'warn';
      const status: NodeStatus = promoted ? 'fail' : o.status;
      const failing = o.failures ? customMessage(t, o.sample[0]) ?? `${o.failures} failing row${o.failures === 1 ? '' : 's'}` : 'pass';
      const said = promoted ? `${failing} (${WARN_ERROR})` : failing;
      return { status, message: delta ? `${said} ${note}` : `${said}${ranWhole}`, failures: o.failures, ...(o.sample.length ? { sample: o.sample } : {}), ...(o.stats ? { adapter_response: { ...o.stats } } : {}), ...(promoted ? { warn_error: true } : {}), ...(delta ? { delta: true } : {}) };
    });

  /**
   * A gate test runs only on the rows the candidate adds when that proves the whole (see
   * runner/execute/delta-test.ts): the test is row-wise on this model, and it passed with no
   * failing row on the published version under the inputs it reads now (its recorded result's
   * key, computed with the model's published version, matches). Otherwise it runs whole.
   */
  const deltaAudit = (t: TestNode, c: Candidate, before: Map<string, string> | undefined): { sql: string; note: string } | undefined => {
    if (!reuse || !before || !c.delta || !mayReuse) return undefined;
    const rec = reuse.recorded.get(t.unique_id);
    if (rec?.status !== 'pass' || rec.failures !== 0) return undefined;
    const model = manifest.nodes[t.attached_node];
    if (!model || !('relation' in model)) return undefined;
    const sql = deltaTestSql(t.compiled_code, adapter.dialect.name, model.relation, c.delta.relation);
    if (sql.ok === undefined) return undefined;
    const note = `(on the ${c.delta.parts} part${c.delta.parts === 1 ? '' : 's'} this build adds; the ${c.delta.kept} kept part${c.delta.kept === 1 ? '' : 's'} passed as published`;
    const k = testKey(manifest, t, { ...reuse, tokens: before });
    if (k.ok === undefined) return undefined;
    if (k.ok === rec.key) return { sql: sql.ok, note: `${note})` };
    const keyed = keyedBaseline(t, model.relation, c.delta.keyed ?? [], before);
    if (!keyed || testKey(manifest, t, { ...reuse, tokens: keyed.tokens }).ok !== rec.key) return undefined;
    return { sql: sql.ok, note: `${note}, and ${keyed.names.join(', ')} changed only for keys the build restated)` };
  };

  /**
   * A partition-local audit (runner/execute/partition-delta.ts): the pinned test on the partitions
   * whose inputs differ from the versions it last passed on (recorded with its result, and
   * checked against its key), when every one of those versions is still kept. The candidate must
   * keep parts of the published version: a model rebuilt whole is audited whole.
   */
  const partitionDelta = async (t: TestNode, c: Candidate, before: Map<string, string> | undefined): Promise<Delta | undefined> => {
    if (!reuse || !before || !c.delta || !c.versions || !mayReuse) return undefined;
    const rec = reuse.recorded.get(t.unique_id);
    if (!rec?.inputs) return undefined;
    const form = pinnedForm(manifest, t);
    if (form.ok === undefined) return undefined;
    if (testKey(manifest, t, { ...reuse, tokens: new Map(Object.entries(rec.inputs)) }).ok !== rec.key) return undefined;
    const p = await partitionAudit(form.ok, rec, before, c.versions);
    return p.ok ? { sql: p.ok.sql, note: '', prepare: p.ok.prepare, cleanup: p.ok.cleanup } : undefined;
  };

  /**
   * A keyed delta audit (runner/execute/key-local.ts): the test's inputs as they were when the
   * published version of its model was built — the keyed dimensions that changed since at the
   * versions the model's kept parts were built from — when the test is proven key-local on each
   * of them; undefined when it is not (it then runs whole).
   */
  const keyedBaseline = (t: TestNode, modelRelation: { schema: string; identifier: string }, keyed: NonNullable<NonNullable<Candidate['delta']>['keyed']>, before: Map<string, string>): { tokens: Map<string, string>; names: string[] } | undefined => {
    const tokens = new Map(before);
    const names: string[] = [];
    for (const k of keyed) {
      const dim = Object.values(manifest.nodes).find((n) => 'relation' in n && n.relation.rendered === k.relation);
      if (!dim || !('relation' in dim) || !t.depends_on.includes(dim.unique_id) || before.get(dim.unique_id) === k.baseline) continue;
      const proof = keyLocal(t.compiled_code, adapter.dialect.name, modelRelation, { relation: dim.relation, key: k.key, column: k.column });
      if (proof.ok === undefined) return undefined;
      tokens.set(dim.unique_id, k.baseline);
      names.push(dim.name);
    }
    return names.length ? { tokens, names } : undefined;
  };

  const shrunk = new Map<string, string>();
  /** The volume guards of the gate; under --allow-shrink a refusal becomes a note on the result. */
  const guard = (node: ManifestNode, c: Candidate): string | undefined => {
    const problem = volumeProblem(volumeGuard(node), c);
    if (problem === undefined || !opts.allowShrink) return problem;
    shrunk.set(node.unique_id, `published although ${problem} (--allow-shrink)`);
    return undefined;
  };
  const shrinkNote = (id: string) => shrunk.get(id);
  const withShrinkNote = (id: string, message: string) => (shrunk.has(id) ? `${message}; ${shrunk.get(id)}` : message);
  const notPublished = (why: string | undefined, detail: string | undefined) =>
    `not published: ${why ?? 'the audit refused it'}; the previous version stays published${why && !why.startsWith('blocking') ? ` (${GUARD_HINT})` : ''}${detail ? `\n  ${detail}` : ''}`;
  /** `key`: the reuse key the version is built under, recorded with its inputs. */
  const publishOptions = (id: string, signal: AbortSignal, key?: string) => {
    const inputs = opts.inputs?.get(id);
    return { signal, ...(inputs ? { inputs: { ...(inputs as unknown as Record<string, unknown>), ...(key !== undefined ? { reuse_key: key } : {}) } } : {}), ...(wholeBuild(id) ? { fullRefresh: true } : {}), ...(mayReuse ? { keepUnchanged: true } : {}) };
  };
  /** `--full-refresh`, unless the model says `full_refresh: false` (dbt's config); `full_refresh: true` always. */
  const wholeBuild = (id: string) => {
    const own = manifest.nodes[id]?.config.full_refresh;
    return own === true || (!!opts.fullRefresh && own !== false);
  };
  const fullRefreshNote = (id: string, message: string) => (opts.fullRefresh && manifest.nodes[id]?.config.full_refresh === false ? `${message}; --full-refresh not applied (full_refresh: false)` : message);

  // keys and results are recorded whenever the target keeps them; they are used only when reuse is on
  const reuse = await reuseContext(manifest, adapter);
  const mayReuse = !!reuse && !!opts.reuse && !opts.fullRefresh;
  /** Under --warn-error a recorded warn is not reused: the test runs and its warning fails the run. */
  const usable = (rec: RecordedTest) => !(opts.warnError && rec.status === 'warn');
  /** A recorded result in place of running the test (its key is the recorded one). */
  const reusedTest = (t: TestNode, rec: RecordedTest, at: string): NodeResult => ({
    unique_id: t.unique_id, name: t.name, resource_type: t.resource_type, status: rec.status, message: rec.message, started_at: at, completed_at: at, execution_time: 0,
    failures: rec.failures, ...(rec.sample?.length ? { sample: rec.sample } : {}), reused: true,
  });
  /**
   * What is published, read once and shared until something publishes: every node that asks has
   * its parents finished (they cleared it when they did), so what it reads of them is current.
   */
  let publishedRead: Promise<PublishedRecord[]> | undefined;
  const publishedNow = (signal: AbortSignal): Promise<PublishedRecord[]> => {
    const read = (publishedRead ??= adapter.published(signal));
    read.catch(() => {
      if (publishedRead === read) publishedRead = undefined;
    });
    return read;
  };
  const publishedChanged = () => {
    publishedRead = undefined;
  };
  /** A test's recorded pass or warn, when reuse is on and it was recorded under what the test reads now. */
  const recordedVerdict = async (t: TestNode, signal: AbortSignal): Promise<NodeResult | undefined> => {
    if (!reuse || !mayReuse) return undefined;
    const k = testKey(manifest, t, { ...reuse, tokens: contentTokens(manifest, await publishedNow(signal)) });
    const rec = reuse.recorded.get(t.unique_id);
    return k.ok !== undefined && rec?.key === k.ok && usable(rec) ? reusedTest(t, rec, new Date().toISOString()) : undefined;
  };
  /** Keeps a test's pass or warn for reuse, under the key of what it read (computed after it ran). */
  const keep = async (t: TestNode, r: NodeResult, signal: AbortSignal, known?: Map<string, string>) => {
    if (!reuse) return;
    if (r.status !== 'pass' && r.status !== 'warn') return reuse.store.dropTest(t.unique_id);
    const tokens = known ?? contentTokens(manifest, await publishedNow(signal));
    const k = testKey(manifest, t, { ...reuse, tokens });
    // the versions it read, by their tokens: a partition-local audit diffs against them
    const inputs = Object.fromEntries(t.depends_on.flatMap((id) => (tokens.has(id) ? [[id, tokens.get(id)!]] : [])));
    if (k.ok !== undefined) await reuse.store.recordTest({ test: t.unique_id, key: k.ok, status: r.status, failures: r.failures ?? 0, message: r.message, ...(r.sample?.length ? { sample: r.sample } : {}), inputs });
  };

  /**
   * Gate tests that do not read the model they gate (proven from their SQL, e.g. a warning about the
   * landing data attached to the model it explains) need nothing of the candidate: each starts as
   * soon as what it reads is finished, beside the builds before its model, and the gate awaits its
   * verdict instead of running it. Its inputs are upstream of the model and published before the
   * model starts, so it sees what the gate would: the verdict, and whether it blocks, are the same.
   * Whichever comes first — its own task or the gate — runs it, so no order of the scheduler waits
   * on the other. A test whose reads cannot be proven runs in the gate, as before.
   */
  const early = new Map<string, { parents: string[]; verdict?: Promise<NodeResult> }>();
  for (const s of steps) {
    if (s.kind !== 'materialize') continue;
    for (const t of s.audit) {
      const reads = provenReads(manifest, t.compiled_code, adapter.dialect.name, t.depends_on);
      if (reads.ok === undefined || reads.ok.includes(s.node.unique_id)) continue;
      // its inputs, the landing barrier, and the model's unit tests (a model they fail is not built)
      const units = s.parents.filter((p) => manifest.nodes[p]?.resource_type === 'unit_test');
      early.set(t.unique_id, { parents: [...new Set([...reads.ok, ...(s.after ?? []), ...units])] });
    }
  }
  const earlyVerdict = (t: TestNode, signal: AbortSignal): Promise<NodeResult> => {
    const e = early.get(t.unique_id)!;
    // a recorded pass or warn under what it reads now is its verdict, as for a test of its own
    e.verdict ??= (async () => (await recordedVerdict(t, signal)) ?? testOn(adapter, t, signal))();
    return e.verdict;
  };
  const earlyTasks = [...early].map(([id, e]) => ({
    id: `${EARLY}${id}`,
    parents: e.parents,
    // its verdict is recorded by the gate; a failing test fails its model there, not here
    run: async (signal: AbortSignal): Promise<'ok' | 'failed'> => {
      await earlyVerdict(manifest.nodes[id] as TestNode, signal);
      return 'ok';
    },
  }));

  const tasks = steps.map((s) => ({
    id: s.node.unique_id,
    parents: 'after' in s && s.after ? [...s.parents, ...s.after] : s.parents,
    run: async (signal: AbortSignal): Promise<'ok' | 'failed'> => {
      if (s.kind === 'source') {
        let refused: string | undefined;
        let warned = false;
        const r = await timed(s.node, async () => {
          const gate = async (_q: Queryable, c: Candidate) => {
            refused = guard(s.node, c);
            warned = refused === undefined && !!opts.warnError && !!c.landing && needsAttention(c.landing);
            return refused === undefined && !warned;
          };
          const { landing, published, ...response } = await adapter.prepareSource(s.node, gate, publishOptions(s.node.unique_id, signal));
          publishedChanged();
          if (!published && stopped()) return { status: 'cancelled', message: CANCELLED };
          // run_results.json holds the report with file names in safe form (a name may hold data or a line break)
          if (!published && warned) return { status: 'error', message: `not published: its landing report has warnings (${WARN_ERROR}); the previous version stays published\n  ${response.message}`, warn_error: true, ...(landing ? { adapter_response: { ...response, landing: reportForArtifacts(landing) } } : {}) };
          if (!published) return { status: 'error', message: notPublished(refused, response.message), ...(landing ? { adapter_response: { ...response, landing: reportForArtifacts(landing) } } : {}) };
          // quarantined lines, duplicate deliveries, empty or stray files, no record at all … warn; the build goes on
          const status: NodeStatus = (landing && needsAttention(landing)) || shrinkNote(s.node.unique_id) ? 'warn' : 'success';
          return { status, message: withShrinkNote(s.node.unique_id, response.message), ...(landing ? { adapter_response: { ...response, landing: reportForArtifacts(landing) } } : {}) };
        });
        publishedChanged();
        record(r, s.node);
        return r.status === 'success' || r.status === 'warn' ? 'ok' : 'failed';
      }
      if (s.kind === 'test') {
        const missing = opts.unbuilt?.get(s.node.unique_id);
        if (missing && opts.unbuiltTests === 'skip') {
          const at = new Date().toISOString();
          const names = missing.map((id) => nameOf(manifest, id)).join(' ');
          record({ unique_id: s.node.unique_id, name: s.node.name, resource_type: s.node.resource_type, status: 'skipped', message: `skipped: it ${unbuiltMessage(manifest, missing)}, so there is nothing of ${missing.length === 1 ? 'it' : 'them'} to test; select ${missing.length === 1 ? 'it' : 'them'} too to test it (-s ${names})`, started_at: at, completed_at: at, execution_time: 0, not_published: missing }, s.node);
          return 'ok';
        }
        const reused = await recordedVerdict(s.node, signal);
        if (reused) {
          record(reused, s.node);
          return 'ok';
        }
        const r = await testOn(adapter, s.node, signal);
        await keep(s.node, r, signal);
        record(r, s.node);
        return r.status === 'pass' || r.status === 'warn' ? 'ok' : 'failed';
      }
      if (s.kind === 'unit_test') {
        // a unit test reads only its given rows: a pass recorded under the same key is its outcome
        const k = reuse ? unitTestKey(manifest, s.node, reuse).ok : undefined;
        const rec = k !== undefined && mayReuse ? reuse?.recorded.get(s.node.unique_id) : undefined;
        if (rec && rec.key === k && rec.status === 'pass') {
          const at = new Date().toISOString();
          record({ unique_id: s.node.unique_id, name: s.node.name, resource_type: s.node.resource_type, status: 'pass', message: 'pass', started_at: at, completed_at: at, execution_time: 0, failures: 0, reused: true }, s.node);
          return 'ok';
        }
        const r = await timed(s.node, async () => {
          const o = await runUnitTest(manifest, s.node);
          return { status: o.status, message: o.status === 'pass' ? 'pass' : `rows differ:\n${o.diff.join('\n')}`, failures: o.failures };
        });
        if (reuse && k !== undefined) await (r.status === 'pass' ? reuse.store.recordTest({ test: s.node.unique_id, key: k, status: 'pass', failures: 0, message: 'pass' }) : reuse.store.dropTest(s.node.unique_id));
        record(r, s.node);
        return r.status === 'pass' ? 'ok' : 'failed';
      }
      const missing = opts.unbuilt?.get(s.node.unique_id);
      if (missing) {
        const r = await timed(s.node, async () => ({ status: 'error', message: `not built: it ${unbuiltMessage(manifest, missing)}; nothing of it was run. Build ${missing.length === 1 ? 'it' : 'them'} first, or select ${missing.length === 1 ? 'it' : 'them'} too: stedi build -s +${s.node.name}`, not_published: missing }));
        record(r, s.node);
        for (const t of s.audit) record({ unique_id: t.unique_id, name: t.name, resource_type: t.resource_type, status: 'skipped', message: `skipped: ${s.node.name} was not built (it reads a table that is not published)`, started_at: r.completed_at, completed_at: r.completed_at, execution_time: 0, skipped_because: s.node.unique_id }, t);
        return 'failed';
      }
      // reuse: the published version was built from these inputs and every gate has a recorded pass or warn on it
      let key: string | undefined;
      /** What is published before this node: the inputs a gate's recorded result is compared under (delta audits). */
      let before: Map<string, string> | undefined;
      const inputs = opts.inputs?.get(s.node.unique_id);
      if (reuse && inputs) {
        const records = await publishedNow(signal);
        const tokens = contentTokens(manifest, records);
        before = tokens;
        const k = materializeKey(manifest, s.node, { ...reuse, tokens, inputs });
        key = k.ok;
        const rec = recordOf(s.node, records);
        // --event-time-start/-end asks for intervals to be rebuilt: the key is recorded, nothing is skipped
        const windowed = s.node.resource_type === 'model' && isMicrobatch(s.node) && !!opts.eventTimeWindow;
        if (mayReuse && !windowed && key !== undefined && recordedKey(rec) === key && rec?.content !== undefined) {
          const gates = s.audit.map((t) => ({ t, k: testKey(manifest, t, { ...reuse, tokens }), rec: reuse.recorded.get(t.unique_id) }));
          if (gates.every((g) => g.k.ok !== undefined && g.rec?.key === g.k.ok && usable(g.rec))) {
            const at = new Date().toISOString();
            const since = rec.published_at ? ` since ${rec.published_at}` : '';
            record({ unique_id: s.node.unique_id, name: s.node.name, resource_type: s.node.resource_type, status: 'success', message: `reused: no input changed${since}`, started_at: at, completed_at: at, execution_time: 0, ...(rec.rows !== undefined ? { rows_affected: rec.rows } : {}), reused: true }, s.node);
            for (const g of gates) record(reusedTest(g.t, g.rec!, at), g.t);
            return 'ok';
          }
        }
      }
      const auditResults: NodeResult[] = [];
      let refused: string | undefined;
      const r = await timed(s.node, async () => {
        const sql = s.node.resource_type === 'model' ? s.node.compiled_code : `SELECT * FROM read_csv(${adapter.dialect.quoteString(s.node.seed_path)}, header = true)`;
        const m = await adapter.materialize(s.node, sql, async (q, c) => {
          refused = guard(s.node, c);
          if (refused !== undefined) return false;
          for (const t of s.audit) auditResults.push(early.has(t.unique_id) ? await earlyVerdict(t, signal) : await testOn(q, t, signal, deltaAudit(t, c, before) ?? (await partitionDelta(t, c, before))));
          // fail closed: only tests that ran and passed (or only warned) let the version through;
          // a test that errored or was cancelled by a stop proves nothing
          return !stopped() && auditResults.every((a) => a.status === 'pass' || a.status === 'warn');
        }, { ...publishOptions(s.node.unique_id, signal, key), ...(s.node.resource_type === 'model' && s.node.compiled_incremental_code !== undefined ? { incrementalSql: s.node.compiled_incremental_code } : {}), ...(s.node.resource_type === 'model' && isMicrobatch(s.node) ? { microbatch: microbatchPlan(manifest, s.node, opts.eventTimeWindow) } : {}) });
        publishedChanged();
        const blocked = auditResults.filter((a) => a.status !== 'pass' && a.status !== 'warn').map((a) => a.name);
        if (m.published) {
          // what every gate read, as now published (the model's new version among it): read once
          const now = reuse && auditResults.length ? contentTokens(manifest, await publishedNow(signal)) : undefined;
          for (const a of auditResults) if (!a.reused) await keep(manifest.nodes[a.unique_id] as TestNode, a, signal, now);
          const note = shrinkNote(s.node.unique_id);
          return { status: note ? 'warn' : 'success', message: fullRefreshNote(s.node.unique_id, withShrinkNote(s.node.unique_id, m.response.message)), adapter_response: { ...m.response }, ...(m.response.rows_affected !== undefined ? { rows_affected: m.response.rows_affected } : {}) };
        }
        if (stopped()) return { status: 'cancelled', message: CANCELLED, adapter_response: { ...m.response } };
        const promoted = refused === undefined && auditResults.some((a) => a.warn_error);
        const why = refused ?? `blocking test${blocked.length === 1 ? '' : 's'} failed (${blocked.join(', ')}${promoted ? `; ${WARN_ERROR}` : ''})`;
        return { status: 'error', message: notPublished(why, undefined), adapter_response: { ...m.response }, ...(promoted ? { warn_error: true } : {}) };
      });
      publishedChanged();
      const quiet = r.status === 'cancelled';
      record(r, s.node);
      for (const a of auditResults) record(a, manifest.nodes[a.unique_id]!, quiet);
      // A model whose query failed never reached its audit: its gating tests are skipped, not lost.
      for (const t of s.audit) {
        if (auditResults.some((a) => a.unique_id === t.unique_id)) continue;
        const because = refused !== undefined ? `${s.node.name} was not published (volume guard)` : r.status === 'cancelled' ? 'the run was stopped' : `${s.node.name} failed before its tests could run`;
        record({ unique_id: t.unique_id, name: t.name, resource_type: t.resource_type, status: 'skipped', message: `skipped: ${because}`, started_at: r.completed_at, completed_at: r.completed_at, execution_time: 0, skipped_because: s.node.unique_id }, t, quiet);
      }
      return r.status === 'success' || r.status === 'warn' ? 'ok' : 'failed';
    },
  }));

  await schedule([...tasks, ...earlyTasks], {
    threads: opts.threads,
    failFast: opts.failFast,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onSkip: (id, cause) => {
      // an early gate test skipped with its inputs: its model is skipped too, and records it
      if (id.startsWith(EARLY)) return;
      const node = manifest.nodes[id]!;
      const now = new Date().toISOString();
      // after Ctrl-C/SIGTERM the nodes that never started are recorded, not printed one by one
      const quiet = stopped();
      const because = cause && !quiet ? manifest.nodes[cause]?.name ?? cause : undefined;
      const message = because ? `skipped: upstream ${because} failed` : quiet ? 'not run: the run was stopped' : 'skipped: the run was stopped';
      const step = steps.find((s) => s.node.unique_id === id);
      for (const n of [node, ...(step?.kind === 'materialize' ? step.audit : [])]) {
        record({ unique_id: n.unique_id, name: n.name, resource_type: n.resource_type, status: 'skipped', message, started_at: now, completed_at: now, execution_time: 0, ...(cause ? { skipped_because: cause } : {}) }, n, quiet);
      }
    },
  });
  return results;
}

/**
 * What a command runs once the warehouse is open: the plan is checked against what is published
 * (runner/execute/inputs.ts) and refused as a whole when it would mix inputs; otherwise executed,
 * every version recording the inputs it was built from.
 */
export async function executeChecked(manifest: Manifest, adapter: Adapter, steps: PlanStep[], opts: Omit<ExecOptions, 'inputs' | 'unbuilt'> & { checkReads?: boolean }): Promise<{ results: NodeResult[]; refused: InputProblem[] }> {
  const { checkReads, ...rest } = opts;
  const materializing = new Set(steps.filter((st) => st.kind === 'source' || st.kind === 'materialize').map((st) => st.node.unique_id));
  const records = materializing.size || checkReads ? await adapter.published(opts.signal) : [];
  const check = materializing.size ? checkPlan(manifest, materializing, records, opts.keyFingerprint) : undefined;
  if (check?.problems.length) return { results: [], refused: check.problems };
  const unbuilt = checkReads ? unbuiltReads(manifest, steps, records) : undefined;
  const results = await execute(manifest, adapter, steps, { ...rest, ...(check ? { inputs: check.inputs } : {}), ...(unbuilt?.size ? { unbuilt } : {}) });
  return { results, refused: [] };
}

interface ReuseContext {
  store: ReuseStore;
  recorded: Map<string, RecordedTest>;
  dialect: string;
  /** Engine and stedi versions: a result recorded under others is not reused. */
  salt: string;
}

async function reuseContext(manifest: Manifest, adapter: Adapter): Promise<ReuseContext | undefined> {
  const store = adapter.reuse?.();
  if (!store) return undefined;
  return { store, recorded: await store.testResults(), dialect: adapter.dialect.name, salt: `stedi ${manifest.metadata.stedi_version}; ${await store.engine()}` };
}

function errorMessage(e: unknown, node: ManifestNode): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = engineErrorLine(node, msg);
  return `${node.resource_type} ${node.name} (${node.original_file_path}${line ? `:${line}` : ''}): ${msg}`;
}

/**
 * A test may word its own finding: `config: {meta: {message: "{devices} devices …"}}`, each
 * `{column}` filled from the first (already masked) failing row. Unknown columns stay as written.
 */
export function customMessage(t: TestNode, row: Record<string, unknown> | undefined): string | undefined {
  const template = (t.config.meta as Record<string, unknown> | undefined)?.message;
  if (typeof template !== 'string' || !row) return undefined;
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (all, k: string) => (k in row ? String(row[k]) : all));
}
