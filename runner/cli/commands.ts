/** The commands that execute nodes: build, run, test, seed. */
import { beginMs } from '../compiler/configs.js';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError, type Adapter } from '../adapters/types.js';
import { formatDiagnostic, UserError } from '../core/diagnostics.js';
import { plan, planNodeCount, testsLeftOut, upstreamNotPlanned, type Command } from '../execute/plan.js';
import type { Reporter } from '../execute/reporter.js';
import { isFailure, RUN_RESULTS_SCHEMA_VERSION, type NodeResult, type RunResults } from '../execute/results.js';
import { formatReconciliation, reconcileRun, type Reconciliation } from '../execute/reconciliation.js';
import { publishedInconsistencies, type InputProblem } from '../execute/inputs.js';
import { execute, executeChecked, labelOf } from '../execute/run.js';
import { buildGraph } from '../graph/dag.js';
import { select, selectorOf } from '../graph/select.js';
import type { Manifest } from '../manifest/types.js';
import type { ResolvedTarget } from '../project/resolve.js';
import { loadTarget, targetSpec } from '../targets/registry.js';
import type { AdapterOptions } from '../targets/types.js';
import { pseudonymKey, type PseudonymKey } from '../landing/derive.js';
import { erasureLogPath } from '../landing/erasure-log.js';
import { dryRunKeyCheck, needsPseudonymKey, resolvePseudonymKey, SUBJECT_KEY_ENV, SUBJECT_KEY_SECRET_SETTING, type SecretReader } from './secrets.js';
import { announceNodeSupport } from './node-support.js';
import { deferRefusal, loadState, selectionState, unpublishedParents, type StateArtifacts } from './state.js';
import { openSession, writeArtifacts, writeJson, type GlobalOptions, type Session } from './session.js';

export interface RunCommandOptions extends GlobalOptions {
  select?: string[];
  exclude?: string[];
  threads?: string;
  /** Threads that classify landing lines (not `threads`: nodes at once). */
  ingestThreads?: string;
  failFast?: boolean;
  /** Athena: print every API call and statement in order, answered locally; nothing reaches AWS. */
  dryRun?: boolean;
  /** Publish versions the volume guards refuse (a warning each). */
  allowShrink?: boolean;
  fullRefresh?: boolean;
  /** `--event-time-start/--event-time-end`: microbatch models also rebuild the intervals of this window. */
  eventTimeStart?: string;
  eventTimeEnd?: string;
  /** `--no-reuse` (commander sets `reuse: false`): build and test every selected node even when its inputs did not change (runner/execute/reuse.ts). */
  reuse?: boolean;
  /** Warnings are errors: a warning test fails, a source with landing warnings is not published, the run exits 1 (runner/execute/run.ts). */
  warnError?: boolean;
  /** build/run: every node on zero input rows in a throw-away database; nothing published (runner/adapters/duckdb/empty.ts). */
  empty?: boolean;
  /** `stedi forget`: keep no earlier version of any table (keep_versions 0 for this run): older versions are expired with their files. */
  expireVersions?: boolean;
  /** `--state <dir>` (resolved): the target folder of an earlier run, for the state: and result: methods (runner/cli/state.ts). */
  state?: string;
  /** `--defer` (with --state): every table read but not built must be published on this target, checked before anything runs. */
  defer?: boolean;
  /** `stedi retry`: the nodes to run, by unique_id, instead of --select. */
  retryIds?: string[];
}

/** `--event-time-start/--event-time-end` as epoch milliseconds (UTC; the end exclusive). */
export function eventTimeWindow(opts: { eventTimeStart?: string; eventTimeEnd?: string }): { start?: number; end?: number } | undefined {
  if (opts.eventTimeStart === undefined && opts.eventTimeEnd === undefined) return undefined;
  const parse = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const ms = beginMs(v);
    if (ms === undefined) throw new UserError(`${flag} must be a UTC date or time such as 2022-06-18 or 2022-06-18T14:00:00, not '${v}'`);
    return ms;
  };
  const start = parse('--event-time-start', opts.eventTimeStart);
  const end = parse('--event-time-end', opts.eventTimeEnd);
  if (start !== undefined && end !== undefined && end <= start) throw new UserError(`--event-time-end (${opts.eventTimeEnd}) must be after --event-time-start (${opts.eventTimeStart})`);
  return { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
}

export type { AdapterOptions };

/** `warnError`: a selector that matches nothing is an error too (`--warn-error`). */
export function selectNodes(s: Session, opts: { select?: string[]; exclude?: string[]; retryIds?: string[] }, reporter: Reporter, state?: StateArtifacts, warnError = false): Set<string> {
  const st = state ? selectionState(s.manifest, state) : undefined;
  const { ids, errors } = select(buildGraph(s.manifest.nodes), { ...(opts.select ? { select: opts.select } : {}), ...(opts.exclude ? { exclude: opts.exclude } : {}), ...(st ? { state: st } : {}), ...(opts.retryIds ? { ids: opts.retryIds } : {}) });
  const fatal = (e: (typeof errors)[number]) => e.kind === 'invalid' || warnError;
  for (const e of errors) (fatal(e) ? reporter.error : reporter.warn)(`${e.message}${e.hint ? ` (${e.hint})` : ''}`);
  if (errors.some(fatal)) throw new UserError(errors.some((e) => e.kind === 'invalid') ? 'invalid selection' : '--warn-error: a selector matched nothing');
  return ids;
}

/**
 * The engine of a target, from the registry. Imported on demand: the DuckDB native module and the
 * AWS SDK cost about 0.3 s to load, which commands that never touch an engine (compile, ls, docs)
 * should not pay.
 */
export async function adapterFor(target: ResolvedTarget, opts: AdapterOptions): Promise<Adapter> {
  if (opts.dryRun && !targetSpec(target.type).capabilities.dryRun) throw new UserError(`--dry-run is not available on the ${target.type} target`);
  const runtime = await loadTarget(target.type);
  if (runtime.awsSdk) announceNodeSupport();
  return await runtime.createAdapter(target, opts);
}

/** The target with `--ingest-threads` (when given) as its ingest_threads. */
function withIngestThreads(target: ResolvedTarget, given: string | undefined): ResolvedTarget {
  if (given === undefined) return target;
  const n = /^\s*\d+\s*$/.test(given) ? Number(given) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UserError(`--ingest-threads must be a whole number of at least 1, not '${given}'`);
  return { ...target, ingest_threads: n };
}

export async function runCommand(command: Command, opts: RunCommandOptions, reporter: Reporter): Promise<number> {
  const started = Date.now();
  if (opts.defer && !opts.state) throw new UserError('--defer needs --state <dir>: the target folder of the run whose tables the unselected nodes stand for');
  // read before this command writes its own artifacts (--state may name this target folder)
  const state = opts.state ? loadState(opts.state) : undefined;
  const s = openSession(opts, reporter, undefined, undefined, false);
  if (opts.warnError && s.warnings.length) {
    for (const d of s.warnings) reporter.error(formatDiagnostic(d));
    throw new UserError(`--warn-error: ${s.warnings.length} warning${s.warnings.length === 1 ? '' : 's'} of the project stop the ${command} before anything runs`);
  }
  const ids = selectNodes(s, opts, reporter, state, !!opts.warnError);
  const steps = plan(s.manifest, ids, command);
  const asked = opts.threads ? Number(opts.threads) : s.target.threads;
  // checked on a dry run too: it refuses what the build refuses
  if (!Number.isInteger(asked) || asked < 1) throw new UserError(`--threads must be a whole number of at least 1, not '${opts.threads}'`);
  // a dry run goes one node at a time, so that its calls print in a stable order
  const threads = opts.dryRun ? 1 : asked;
  const window = eventTimeWindow(opts);
  if (opts.empty) checkEmpty(s.target, opts);
  if (opts.warnError && opts.allowShrink) throw new UserError('--allow-shrink publishes what the volume guards refuse, with a warning, and --warn-error makes that warning an error: give one of them');
  // the project's warnings (YAML, a construct the target's dialect evaluates differently), on every target
  for (const d of s.warnings) reporter.warn(formatDiagnostic(d));
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const target = { ...withIngestThreads(s.target, opts.ingestThreads), ...(opts.expireVersions ? { keep_versions: 0 } : {}) };
  const spec = targetSpec(s.target.type);
  if (opts.dryRun && !spec.capabilities.dryRun) throw new UserError(`--dry-run is not available on the ${s.target.type} target`);
  if (opts.dryRun) reporter.info(`DRY RUN on ${s.target.name}: every AWS call and statement is printed in order and answered locally, planned as a first build (an empty Glue database, no landing object on S3, so every table is created and the landing tables are empty; every query succeeds and every test passes); nothing is sent to AWS.`);
  // the key first: a command that cannot have it stops before anything is opened or ingested
  const erasures = spec.capabilities.local && fs.existsSync(erasureLogPath(String(s.target.lake_dir)));
  const key = !opts.empty && needsPseudonymKey(s.manifest, steps.map((st) => st.node.unique_id), erasures) ? await commandKey(s.target, !!opts.dryRun, reporter) : undefined;
  const adapter = opts.empty ? new (await import('../adapters/duckdb/empty.js')).EmptyRunAdapter() : await adapterFor(target, { project: s.project.config.name, ...(opts.dryRun ? { dryRun: out } : {}), log: reporter.info });
  if (key) adapter.setPseudonymKey(key);
  if (opts.empty) reporter.info(`EMPTY RUN (--empty): every source is an empty table of its declared columns and every seed and model is built from its SQL on zero input rows, in a throw-away in-memory database; data tests are checked on zero rows, not judged. ${s.target.name}'s tables are neither read nor changed, and nothing is published.`);
  const nodes = planNodeCount(steps);
  reporter.info(`Running with stedi ${s.manifest.metadata.stedi_version} on target ${s.target.name} (${s.target.type}): ${nodes} node${nodes === 1 ? '' : 's'}, ${threads} thread${threads === 1 ? '' : 's'}`);
  const controller = new AbortController();
  let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined;
  const stop = (sig: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) return;
    stoppedBy = sig;
    reporter.warn(`${sig} received: stopping every query in flight`);
    controller.abort();
    void adapter.cancelAll();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let results: NodeResult[] = [];
  let reconciliation: Reconciliation | undefined;
  let refused: InputProblem[] = [];
  let inconsistent: InputProblem[] = [];
  try {
    await adapter.open(command === 'test' ? 'read' : 'write');
    if (opts.defer && state) {
      const missing = unpublishedParents(s.manifest, steps, await adapter.published(controller.signal));
      if (missing.length) throw deferRefusal(s.manifest, missing, state);
    }
    writeArtifacts(s);
    if (opts.empty) await emptyUpstream(s.manifest, adapter, steps, controller.signal, reporter);
    ({ results, refused } = await executeChecked(s.manifest, adapter, steps, { threads, failFast: !!opts.failFast, signal: controller.signal, reporter, allowShrink: !!opts.allowShrink, warnError: !!opts.warnError, empty: !!opts.empty, fullRefresh: !!opts.fullRefresh, reuse: (command === 'build' || command === 'run') && opts.reuse !== false && !opts.dryRun && !opts.empty, ...(window ? { eventTimeWindow: window } : {}), ...(key && !opts.dryRun ? { keyFingerprint: key.fingerprint } : {}), checkReads: !opts.dryRun && !opts.empty, unbuiltTests: command === 'test' ? 'error' : 'skip' }));
    if (!refused.length) {
      if (command !== 'test' && !opts.dryRun && !opts.empty && !controller.signal.aborted) reconciliation = await reconcileRun(s.manifest, results, adapter, controller.signal);
      if (!opts.dryRun && !opts.empty && !controller.signal.aborted) inconsistent = publishedInconsistencies(s.manifest, await adapter.published(controller.signal));
    }
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    await adapter.close();
  }
  const elapsed = (Date.now() - started) / 1000;
  const success = !refused.length && !results.some(isFailure) && !controller.signal.aborted && !reconciliation?.problems.length && !((command === 'test' || opts.warnError) && inconsistent.length);
  const runResults: RunResults = {
    metadata: { schema_version: RUN_RESULTS_SCHEMA_VERSION, generated_at: new Date().toISOString(), invocation_id: randomUUID(), command, target: s.target.name },
    args: { ...(opts.select ? { select: opts.select } : {}), ...(opts.exclude ? { exclude: opts.exclude } : {}), threads, fail_fast: !!opts.failFast, ...(opts.allowShrink ? { allow_shrink: true } : {}), ...(opts.warnError ? { warn_error: true } : {}), ...(opts.empty ? { empty: true } : {}), ...(opts.fullRefresh ? { full_refresh: true } : {}), ...(opts.reuse === false ? { no_reuse: true } : {}), ...(opts.eventTimeStart ? { event_time_start: opts.eventTimeStart } : {}), ...(opts.eventTimeEnd ? { event_time_end: opts.eventTimeEnd } : {}), ...(opts.ingestThreads ? { ingest_threads: Number(opts.ingestThreads) } : {}) , ...(opts.vars !== undefined ? { vars: opts.vars } : {}), ...(opts.state ? { state: opts.state } : {}), ...(opts.defer ? { defer: true } : {}), ...(opts.retryIds ? { retry: true } : {}) },
    elapsed_time: elapsed,
    success,
    results,
    ...(reconciliation ? { reconciliation } : {}),
    ...(refused.length ? { refused: refused.map(plainProblem) } : {}),
    ...(inconsistent.length ? { inconsistencies: inconsistent.map(plainProblem) } : {}),
  };
  // an --empty run's results say nothing of the target's tables: run_results.json keeps the last real run's
  if (!opts.dryRun) writeJson(path.join(s.targetPath, opts.empty ? EMPTY_RESULTS : 'run_results.json'), runResults);
  if (refused.length) {
    reportRefusal(refused, s, command, opts, reporter);
    return 1;
  }
  const totals = opts.dryRun ? undefined : (await loadTarget(s.target.type)).runTotals?.(results);
  if (totals) reporter.info(totals);
  if (reconciliation) {
    reporter.info('');
    for (const l of formatReconciliation(reconciliation)) reporter.info(l);
    for (const p of reconciliation.problems) reporter.error(`Reconciliation mismatch: ${p}`);
  }
  if (inconsistent.length) reportInconsistent(inconsistent, reporter, command === 'test' || !!opts.warnError);
  if (stoppedBy) {
    summarizeStop(stoppedBy, results, elapsed, reporter);
    // 128 + signal number, as shells report a process stopped by a signal.
    return stoppedBy === 'SIGINT' ? 130 : 143;
  }
  summarize(s.manifest, results, elapsed, reporter);
  if (opts.warnError) {
    const line = warnErrorLine(s.manifest, results, command !== 'test' && inconsistent.length > 0);
    if (line) reporter.error(line);
  }
  if (command === 'run') for (const l of leftOutLines(testsLeftOut(s.manifest, ids, steps))) reporter.info(l);
  return success ? 0 : 1;
}

/** Where an --empty run records its results (never run_results.json, which docs and retry read as what the target holds). */
export const EMPTY_RESULTS = 'run_results_empty.json';

/** `--empty` builds in a throw-away DuckDB: only for the DuckDB dialect, and without the flags that read landing files or publish. */
function checkEmpty(target: ResolvedTarget, opts: RunCommandOptions): void {
  if (!targetSpec(target.type).capabilities.local) throw new UserError(`--empty builds in a throw-away in-memory DuckDB, which cannot run the ${target.type} target's SQL; on ${target.name}, check every statement without running it with --dry-run`);
  const clash = [['--full-refresh', opts.fullRefresh], ['--event-time-start', opts.eventTimeStart], ['--event-time-end', opts.eventTimeEnd], ['--allow-shrink', opts.allowShrink], ['--ingest-threads', opts.ingestThreads], ['--dry-run', opts.dryRun]].filter(([, v]) => v !== undefined && v !== false).map(([f]) => f);
  if (clash.length) throw new UserError(`--empty reads no landing file and publishes nothing, so ${clash.join(' and ')} would do nothing: leave ${clash.length === 1 ? 'it' : 'them'} out`);
}

/**
 * `--empty`: what the selected nodes read but the command does not build (seeds under `run`,
 * parents left out of the selection) is built first on zero rows, without progress lines; one
 * that fails stops the command (exit 1), naming it.
 */
async function emptyUpstream(manifest: Manifest, adapter: Adapter, steps: ReturnType<typeof plan>, signal: AbortSignal, reporter: Reporter): Promise<void> {
  const ids = upstreamNotPlanned(manifest, steps);
  if (!ids.size) return;
  const silent: Reporter = { info: () => undefined, warn: () => undefined, error: () => undefined, nodeDone: () => undefined };
  const results = await execute(manifest, adapter, plan(manifest, ids, 'build'), { threads: 1, failFast: true, signal, reporter: silent, empty: true });
  const bad = results.filter(isFailure);
  if (bad.length) throw new EngineError(`--empty: ${bad.map((r) => r.message).join('; ')} (read by the selected nodes; it was built on zero rows first)`);
  reporter.info(`Built ${ids.size} upstream node${ids.size === 1 ? '' : 's'} the selected ones read on zero rows first (not counted below): ${[...ids].map((id) => labelOf(manifest.nodes[id]!)).sort().join(', ')}`);
}

/** Reads Secrets Manager through the SDK, loaded only when a target names a secret. */
const readSecret: SecretReader = async (secretId, region) => {
  announceNodeSupport();
  const { createSecretsClient, readSecretString } = await import('../adapters/athena/secret-store.js');
  return readSecretString(createSecretsClient(region), secretId);
};

/**
 * The pseudonymisation key of a command that ingests a source with a derived column (see
 * secrets.ts). A dry run reads no secret and sends nothing: it derives with a placeholder and says
 * whether a real build would find a key.
 */
export async function commandKey(target: ResolvedTarget, dryRun: boolean, reporter: Reporter): Promise<PseudonymKey> {
  if (dryRun) {
    // the key given is checked as the build checks it; its value is not used (nothing is sent)
    const { notes, warnings } = dryRunKeyCheck(target, process.env);
    for (const w of warnings) reporter.warn(w);
    for (const n of notes) reporter.info(n);
    return pseudonymKey(Buffer.from('dry-run-placeholder-never-sent'));
  }
  const key = await resolvePseudonymKey(target, { env: process.env, info: reporter.info, readSecret });
  reporter.info(`Pseudonymisation key fingerprint ${key.fingerprint} (identifies the key, reveals nothing of it)`);
  return key;
}

function plainProblem(p: InputProblem): Record<string, unknown> {
  return { node: p.node, other: p.other, relation: p.relation, message: p.message, disagreements: p.disagreements };
}

/** `--vars '{a: 1, b: x}'` with the values given. */
function varsArg(vars: Record<string, unknown>): string {
  const entries = Object.entries(vars).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  return `--vars '{${entries.join(', ')}}'`;
}

/**
 * The command was refused before anything ran: each disagreement, then the two ways to build
 * consistently — with the inputs the published tables were built from, or every table anew.
 */
function reportRefusal(problems: InputProblem[], s: Session, command: Command, opts: RunCommandOptions, reporter: Reporter): void {
  reporter.error(`Refused: this ${command} would publish tables built from other inputs than the published tables they read or that read them; nothing was run or published.`);
  for (const p of problems) reporter.error(`  ${p.message}`);
  const published = Object.assign({}, ...problems.map((p) => p.published_vars)) as Record<string, unknown>;
  const sel = [...(opts.select?.length ? [`-s ${opts.select.map((x) => JSON.stringify(x)).join(' ')}`] : []), ...(opts.exclude?.length ? [`--exclude ${opts.exclude.map((x) => JSON.stringify(x)).join(' ')}`] : [])].join(' ');
  const target = opts.target ? ` --target ${s.target.name}` : '';
  if (Object.keys(published).length) reporter.error(`To build with the inputs the published tables were built from: stedi ${command}${target}${sel ? ` ${sel}` : ''} ${varsArg({ ...(s.manifest.metadata.vars ?? {}), ...published })}`);
  const key = problems.flatMap((p) => p.disagreements).find((d) => d.input.startsWith('pseudonymisation key'));
  if (key) reporter.error(`To build with the key the published tables were built from: set ${SUBJECT_KEY_ENV} (or the target's ${SUBJECT_KEY_SECRET_SETTING}) to the key whose fingerprint is ${String(key.theirs)}`);
  reporter.error(`To rebuild every table from this command's inputs: stedi build${target}${opts.vars ? ` --vars '${opts.vars}'` : ''}`);
}

function reportInconsistent(problems: InputProblem[], reporter: Reporter, failing: boolean): void {
  const say = failing ? reporter.error : reporter.warn;
  say(`The published tables are not built from the same inputs (${problems.length} disagreement${problems.length === 1 ? '' : 's'}):`);
  for (const p of problems) say(`  ${p.message}`);
  say('Rebuild them together, e.g. stedi build (with the vars you intend), so that every table comes from the same inputs.');
}

/** After Ctrl-C/SIGTERM: one line on what was stopped and what stays published. */
function summarizeStop(sig: string, results: NodeResult[], elapsed: number, reporter: Reporter): void {
  const cancelled = results.filter((r) => r.status === 'cancelled').length;
  const notRun = results.filter((r) => r.status === 'skipped').length;
  const published = results.filter((r) => (r.status === 'success' || r.status === 'warn') && (r.resource_type === 'model' || r.resource_type === 'seed' || r.resource_type === 'source')).length;
  reporter.error(
    `Stopped by ${sig} after ${elapsed.toFixed(2)}s: ${cancelled} node${cancelled === 1 ? '' : 's'} cancelled, ${notRun} not run. ` +
      `Nothing in flight was published; every table stays as it was before this run, except the ${published} this run published before the stop.`,
  );
}

function summarize(manifest: Manifest, results: NodeResult[], elapsed: number, reporter: Reporter): void {
  const count = (...st: string[]) => results.filter((r) => st.includes(r.status)).length;
  const errors = results.filter(isFailure);
  const warns = results.filter((r) => r.status === 'warn');
  reporter.info('');
  reporter.info(`Finished running ${results.length} node${results.length === 1 ? '' : 's'} in ${elapsed.toFixed(2)}s.`);
  for (const r of [...errors, ...warns]) {
    const tag = r.status === 'warn' ? 'Warning' : 'Failure';
    reporter.error(`${tag} in ${r.resource_type} ${r.name}: ${r.message}`);
    for (const row of r.sample ?? []) reporter.error(`  sample: ${JSON.stringify(row)}`);
  }
  // tests of tables that do not exist yet: skipped, never silently (their messages say which)
  const unbuilt = results.filter((r) => r.status === 'skipped' && r.not_published?.length);
  if (unbuilt.length) {
    const tables = [...new Set(unbuilt.flatMap((r) => r.not_published ?? []))].map((id) => (manifest.nodes[id] ? selectorOf(manifest.nodes[id]) : id)).sort();
    reporter.info(`${unbuilt.length} test${unbuilt.length === 1 ? ' was' : 's were'} skipped: ${unbuilt.length === 1 ? 'it reads' : 'they read'} ${tables.join(', ')}, neither built by this command nor published on this target (select ${tables.length === 1 ? 'it' : 'them'} too to run ${unbuilt.length === 1 ? 'it' : 'them'})`);
  }
  const line = `Done. PASS=${count('success', 'pass')} WARN=${count('warn')} ERROR=${count('error', 'fail')} SKIP=${count('skipped')}${count('cancelled') ? ` CANCELLED=${count('cancelled')}` : ''} TOTAL=${results.length}`;
  if (errors.length) reporter.error(line);
  else (reporter.summary ?? reporter.info)(line);
}

/** `--warn-error`: the warnings that made the run fail, by node; undefined when none did. */
export function warnErrorLine(manifest: Manifest, results: NodeResult[], inconsistent: boolean): string | undefined {
  // a model refused because a gate test warned is named through its test
  const warned = results.filter((r) => r.warn_error && r.resource_type !== 'model' && r.resource_type !== 'seed').map((r) => (manifest.nodes[r.unique_id] ? labelOf(manifest.nodes[r.unique_id]!) : `${r.resource_type} ${r.name}`));
  if (inconsistent) warned.push('the published tables are not built from the same inputs');
  if (!warned.length) return undefined;
  return `--warn-error: ${warned.length} warning${warned.length === 1 ? '' : 's'} made this run fail: ${warned.join('; ')}`;
}

/** `stedi run`: what it did not test, and which command does. */
export function leftOutLines(left: ReturnType<typeof testsLeftOut>): string[] {
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  const out: string[] = [];
  if (left.warn.length) out.push(`${n(left.warn.length, 'warn-severity test was', 'warn-severity tests were')} not run; \`stedi build\` or \`stedi test\` runs them`);
  if (left.error.length) out.push(`${n(left.error.length, 'test that reads other models than the one it tests was', 'tests that read other models than the one they test were')} not run (they gate no model); \`stedi build\` or \`stedi test\` runs them`);
  if (left.unit.length) out.push(`${n(left.unit.length, 'unit test was', 'unit tests were')} not run; \`stedi build\` or \`stedi test\` runs them`);
  return out;
}

