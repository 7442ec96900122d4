/**
 * `stedi source freshness`: for each selected landing source, its newest landing file (listed
 * through the target's landing store: a local folder, an S3 prefix) and its newest event time
 * (the max of its event-time column in the published table, through the target's engine),
 * judged against its `freshness` thresholds (runner/execute/freshness.ts). Writes
 * target/sources.json as dbt does. Exit 1 when a source is an error (or, under --warn-error,
 * a warning).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Adapter, PublishedRecord } from '../adapters/types.js';
import { safeText, scrubEngineMessage } from '../core/redact.js';
import { UserError } from '../core/diagnostics.js';
import { formatAge, judgeFreshness, newestFile, SOURCES_SCHEMA_VERSION, type FreshnessMeasure, type FreshnessResult } from '../execute/freshness.js';
import type { Reporter } from '../execute/reporter.js';
import { listLanding, type LandingStore } from '../landing/store.js';
import type { SourceNode } from '../manifest/types.js';
import { adapterFor, selectNodes } from './commands.js';
import { openSession, writeJson, type GlobalOptions } from './session.js';

export interface FreshnessOptions extends GlobalOptions {
  select?: string[];
  exclude?: string[];
  /** Where to write the results (default target/sources.json). */
  output?: string;
  warnError?: boolean;
}

const VERDICT: Record<FreshnessResult['status'], string> = { pass: 'PASS', warn: 'WARN', error: 'ERROR', 'runtime error': 'ERROR', skipped: 'SKIP' };

export async function sourceFreshness(opts: FreshnessOptions, reporter: Reporter): Promise<number> {
  const started = Date.now();
  const s = openSession(opts, reporter);
  const ids = selectNodes(s, opts, reporter, undefined, !!opts.warnError);
  const sources = [...ids].map((id) => s.manifest.nodes[id]).filter((n): n is SourceNode => n?.resource_type === 'source').sort((a, b) => (a.unique_id < b.unique_id ? -1 : 1));
  const adapter = await adapterFor(s.target, { project: s.project.config.name, log: reporter.info });
  if (!adapter.landingStore) throw new UserError(`stedi source freshness cannot list the landing files of a ${s.target.type} target`);
  reporter.info(`Checking the freshness of ${sources.length} source${sources.length === 1 ? '' : 's'} on target ${s.target.name} (${s.target.type})`);
  let results: TimedResult[];
  try {
    results = await freshnessOf(sources, adapter, (i, r) => report(i + 1, sources.length, r, reporter));
  } finally {
    await adapter.close();
  }
  const count = (...st: FreshnessResult['status'][]) => results.filter((r) => st.includes(r.status)).length;
  const out = opts.output ?? path.join(s.targetPath, 'sources.json');
  writeJson(out, {
    metadata: { schema_version: SOURCES_SCHEMA_VERSION, stedi_version: s.manifest.metadata.stedi_version, generated_at: new Date().toISOString(), invocation_id: randomUUID(), target: s.target.name },
    results,
    elapsed_time: (Date.now() - started) / 1000,
  });
  const failed = count('error', 'runtime error') > 0 || (!!opts.warnError && count('warn') > 0);
  reporter.info('');
  const line = `Done. PASS=${count('pass')} WARN=${count('warn')} ERROR=${count('error', 'runtime error')} SKIP=${count('skipped')} TOTAL=${results.length} (written to ${out})`;
  if (failed) reporter.error(line);
  else (reporter.summary ?? reporter.info)(line);
  if (opts.warnError && count('warn')) reporter.error(`--warn-error: ${count('warn')} warning${count('warn') === 1 ? '' : 's'} made this run fail: ${results.filter((r) => r.status === 'warn').map((r) => `source ${r.source}`).join('; ')}`);
  return failed ? 1 : 0;
}

type TimedResult = FreshnessResult & { execution_time: number };

/**
 * Opens the adapter for reading and judges each source in turn: its landing store lists the
 * files, its engine reads the newest event. The caller closes the adapter.
 */
export async function freshnessOf(sources: SourceNode[], adapter: Adapter, each?: (i: number, r: TimedResult) => void): Promise<TimedResult[]> {
  if (!adapter.landingStore) throw new UserError('this target cannot list its landing files');
  const store = adapter.landingStore();
  const published = await openPublished(adapter);
  const results: TimedResult[] = [];
  try {
    for (const [i, node] of sources.entries()) {
      const t0 = Date.now();
      const measure = await measureSource(node, store, adapter, published);
      const r = { ...judgeFreshness(node, measure, Date.now()), execution_time: (Date.now() - t0) / 1000 };
      results.push(r);
      each?.(i, r);
    }
  } finally {
    store.close?.();
  }
  return results;
}

/** What the target has published, or why nothing can be read from it (then no event time can be measured). */
async function openPublished(adapter: Adapter): Promise<PublishedRecord[] | string> {
  try {
    await adapter.open('read');
    return await adapter.published();
  } catch (e) {
    return scrubEngineMessage((e as Error).message ?? String(e));
  }
}

async function measureSource(node: SourceNode, store: LandingStore, adapter: Adapter, published: PublishedRecord[] | string): Promise<FreshnessMeasure> {
  const m: FreshnessMeasure = { files: 0 };
  try {
    const { files } = await listLanding(store, node);
    m.files = files.length;
    const newest = newestFile(files);
    if (files.length && !newest) m.listProblem = 'the landing store gives no modification time for its files';
    if (newest) m.newestFile = { name: safeText(newest.name), modifiedMs: newest.modified };
  } catch (e) {
    m.listProblem = (e as Error).message;
  }
  const column = node.loaded_at_field;
  if (column !== undefined) m.newestEvent = await newestEvent(node, column, adapter, published);
  return m;
}

async function newestEvent(node: SourceNode, column: string, adapter: Adapter, published: PublishedRecord[] | string): Promise<NonNullable<FreshnessMeasure['newestEvent']>> {
  if (typeof published === 'string') return { column, problem: published };
  if (!published.some((p) => p.relation === node.relation.rendered)) return { column, problem: `${node.source_name}.${node.name} is not published on this target (run stedi build)` };
  try {
    const r = await adapter.query(`SELECT max(${adapter.dialect.quoteIdent(column)}) AS newest FROM ${node.relation.rendered}`);
    const v = r.rows[0]?.newest;
    const ms = v === null || v === undefined ? NaN : Number(v);
    if (!Number.isFinite(ms)) return { column, problem: 'the published table has no row with a value in it' };
    return { column, ms };
  } catch (e) {
    return { column, problem: scrubEngineMessage((e as Error).message ?? String(e)) };
  }
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

function report(i: number, total: number, r: FreshnessResult, reporter: Reporter): void {
  const head = `${i} of ${total} ${VERDICT[r.status]} freshness of ${r.source}`;
  const measures = [
    r.newest_file ? `newest file ${formatAge(r.newest_file.age_s)} old` : 'no file',
    ...(r.newest_event ? ['age_s' in r.newest_event ? `newest ${r.newest_event.column} ${formatAge(r.newest_event.age_s)} old` : `no newest ${r.newest_event.column}`] : []),
  ].join(', ');
  const line = `${clock()}  ${head} ${'.'.repeat(Math.max(3, 72 - head.length))} [${measures}]`;
  const bad = r.status === 'error' || r.status === 'runtime error';
  (bad ? reporter.error : reporter.info)(line);
  const detail = [
    `  ${r.message}`,
    ...(r.newest_file ? [`  newest file: ${r.newest_file.name}, modified ${r.newest_file.modified_at} (${r.files} file${r.files === 1 ? '' : 's'})`] : []),
    ...(r.newest_event && 'at' in r.newest_event ? [`  newest ${r.newest_event.column}: ${r.newest_event.at}`] : []),
  ];
  for (const d of detail) (bad ? reporter.error : reporter.info)(d);
}
