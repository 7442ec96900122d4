/**
 * The reconciliation report of a build: where every landing line and every landing row went.
 *
 *   per source  lines read = accepted + rejected + blank + duplicate_delivery + erased
 *               (from the ingestion report each source step returns)
 *   per entity  landing rows = kept + rows excluded per rule
 *               (from every model configured with `meta: {reconciliation: true}`: columns entity,
 *               rule, row_count; the rule `landing` holds the total)
 *   chained     a source's accepted records = the `landing` rows of its entity
 *
 * Any mismatch is a problem that fails the command. Counts only: nothing here is personal data.
 */
import type { Queryable } from '../adapters/types.js';
import { accountedLines, balanceLine, detailsLine } from '../landing/report.js';
import type { LandingReport } from '../landing/types.js';
import type { Manifest, ModelNode } from '../manifest/types.js';
import type { NodeResult } from './results.js';

export const TOTAL_RULE = 'landing';

export interface SourceReconciliation {
  source: string;
  entity: string;
  lines_read: number;
  accepted: number;
  rejected: number;
  blank: number;
  duplicate_delivery: number;
  /** Lines of people on the erasure list (stedi forget): left out under the rule `erased`; present when not 0. */
  erased?: number;
  /** Human-readable: files, empty/duplicate files, skipped entries, tolerated repairs. */
  details: string;
  balanced: boolean;
}

export interface EntityReconciliation {
  /** The reconciliation model the counts come from. */
  model: string;
  entity: string;
  landing: number;
  rules: { rule: string; row_count: number }[];
  accounted: number;
  balanced: boolean;
}

export interface Reconciliation {
  sources: SourceReconciliation[];
  entities: EntityReconciliation[];
  /** Every mismatch found; non-empty fails the command. */
  problems: string[];
}

export function isReconciliationModel(n: ModelNode): boolean {
  const meta = n.config.meta as Record<string, unknown> | undefined;
  return meta?.reconciliation === true;
}

export function landingOf(r: NodeResult): LandingReport | undefined {
  const l = (r.adapter_response as { landing?: LandingReport } | undefined)?.landing;
  return l && typeof l === 'object' && l.totals ? l : undefined;
}

export function sourceReconciliations(manifest: Manifest, results: NodeResult[]): SourceReconciliation[] {
  const out: SourceReconciliation[] = [];
  for (const r of results) {
    const l = r.resource_type === 'source' ? landingOf(r) : undefined;
    if (!l) continue;
    const n = manifest.nodes[r.unique_id];
    const t = l.totals;
    out.push({
      source: l.source,
      entity: n && n.resource_type === 'source' ? n.entity : '',
      lines_read: t.lines_read,
      accepted: t.accepted,
      rejected: t.rejected,
      blank: t.blank,
      duplicate_delivery: t.duplicate_delivery,
      ...(t.erased ? { erased: t.erased } : {}),
      details: detailsLine(l),
      balanced: t.lines_read === accountedLines(t),
    });
  }
  return out.sort((a, b) => a.source.localeCompare(b.source));
}

/** Groups the rows of a reconciliation model per entity (pure). */
export function entityReconciliations(model: string, rows: Record<string, unknown>[]): EntityReconciliation[] {
  const by = new Map<string, EntityReconciliation>();
  for (const row of rows) {
    const entity = String(row.entity ?? '');
    const rule = String(row.rule ?? '');
    const n = Number(row.row_count ?? 0);
    let e = by.get(entity);
    if (!e) by.set(entity, (e = { model, entity, landing: 0, rules: [], accounted: 0, balanced: false }));
    if (rule === TOTAL_RULE) e.landing += n;
    else {
      e.rules.push({ rule, row_count: n });
      e.accounted += n;
    }
  }
  const order = (r: string) => (r === 'kept' ? 0 : 1);
  for (const e of by.values()) {
    e.rules.sort((a, b) => order(a.rule) - order(b.rule) || a.rule.localeCompare(b.rule));
    e.balanced = e.landing === e.accounted;
  }
  return [...by.values()].sort((a, b) => a.entity.localeCompare(b.entity));
}

/** Every mismatch: unbalanced sources and entities, and accepted records that are not the entity's landing rows. */
export function reconciliationProblems(sources: SourceReconciliation[], entities: EntityReconciliation[]): string[] {
  const problems: string[] = [];
  for (const s of sources) {
    if (!s.balanced) problems.push(`${s.source}: ${s.lines_read} lines read but ${s.accepted + s.rejected + s.blank + s.duplicate_delivery + (s.erased ?? 0)} accounted for`);
  }
  for (const e of entities) {
    if (!e.balanced) problems.push(`${e.model}: entity ${e.entity}: ${e.landing} landing rows but ${e.accounted} kept or excluded`);
    const feeding = sources.filter((s) => s.entity === e.entity);
    if (feeding.length === 1 && feeding[0]!.accepted !== e.landing) {
      problems.push(`${e.model}: entity ${e.entity}: ${e.landing} landing rows but ${feeding[0]!.source} accepted ${feeding[0]!.accepted} records`);
    }
  }
  return problems;
}

/**
 * The report of one run: sources from the results, entities from each reconciliation model that
 * was published by this run (read through `q`, the adapter, before it closes).
 */
export async function reconcileRun(manifest: Manifest, results: NodeResult[], q: Queryable, signal?: AbortSignal): Promise<Reconciliation | undefined> {
  const sources = sourceReconciliations(manifest, results);
  const entities: EntityReconciliation[] = [];
  const problems: string[] = [];
  for (const r of results) {
    const n = manifest.nodes[r.unique_id];
    if (!n || n.resource_type !== 'model' || r.status !== 'success' || !isReconciliationModel(n)) continue;
    try {
      const rows = await q.query(`select entity, rule, row_count from ${n.relation.rendered}`, signal);
      entities.push(...entityReconciliations(n.name, rows.rows));
    } catch (e) {
      problems.push(`${n.name}: cannot read the reconciliation: ${(e as Error).message}`);
    }
  }
  if (sources.length === 0 && entities.length === 0) return undefined;
  return { sources, entities, problems: [...problems, ...reconciliationProblems(sources, entities)] };
}

/** The lines of the report, for the summary of `stedi build`. */
export function formatReconciliation(r: Reconciliation): string[] {
  const out = ['Reconciliation:'];
  const width = Math.max(0, ...r.sources.map((s) => s.source.length), ...r.entities.map((e) => e.entity.length));
  for (const s of r.sources) {
    out.push(`  ${s.source.padEnd(width)}  ${balanceLine(s)}  [${s.details}]${s.balanced ? '' : '  MISMATCH'}`);
  }
  for (const e of r.entities) {
    const terms = e.rules.filter((x) => x.row_count > 0 || x.rule === 'kept').map((x) => `${x.row_count} ${x.rule}`);
    out.push(`  ${e.entity.padEnd(width)}  ${e.landing} landing = ${terms.join(' + ') || '0'}${e.balanced ? '' : `  MISMATCH (${e.accounted} accounted for)`}`);
  }
  return out;
}

