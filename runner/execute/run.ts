/** Executes a plan against an adapter: scheduling, write-audit-publish, results. */
import type { Adapter, Queryable } from '../adapters/types.js';
import type { Manifest, ManifestNode, TestNode } from '../manifest/types.js';
import { needsAttention } from '../landing/report.js';
import { runDataTest } from './data-test.js';
import type { PlanStep } from './plan.js';
import type { Reporter } from './reporter.js';
import type { NodeResult, NodeStatus } from './results.js';
import { schedule } from './scheduler.js';
import { runUnitTest } from './unit-test.js';

export interface ExecOptions {
  threads: number;
  failFast: boolean;
  signal?: AbortSignal;
  reporter: Reporter;
}

export function labelOf(n: ManifestNode): string {
  switch (n.resource_type) {
    case 'model': return `${n.materialized} ${n.relation.schema}.${n.relation.identifier}`;
    case 'seed': return `seed ${n.relation.schema}.${n.relation.identifier}`;
    case 'source': return `source ${n.source_name}.${n.name}`;
    case 'test': return `test ${n.name}`;
    case 'unit_test': return `unit_test ${n.name}`;
  }
}

export async function execute(manifest: Manifest, adapter: Adapter, steps: PlanStep[], opts: ExecOptions): Promise<NodeResult[]> {
  const total = steps.reduce((n, s) => n + 1 + (s.kind === 'materialize' ? s.audit.length : 0), 0);
  const results: NodeResult[] = [];
  const record = (r: NodeResult, node: ManifestNode) => {
    results.push(r);
    opts.reporter.nodeDone(results.length, total, r, labelOf(node));
  };
  const timed = async (node: ManifestNode, fn: () => Promise<Omit<NodeResult, 'unique_id' | 'name' | 'resource_type' | 'started_at' | 'completed_at' | 'execution_time'>>): Promise<NodeResult> => {
    const start = new Date();
    let body: Awaited<ReturnType<typeof fn>>;
    try {
      body = await fn();
    } catch (e) {
      body = { status: 'error', message: errorMessage(e, node) };
    }
    const end = new Date();
    return { unique_id: node.unique_id, name: node.name, resource_type: node.resource_type, started_at: start.toISOString(), completed_at: end.toISOString(), execution_time: (end.getTime() - start.getTime()) / 1000, ...body };
  };

  const testOn = (q: Queryable, t: TestNode, signal: AbortSignal) =>
    timed(t, async () => {
      const o = await runDataTest(q, manifest, t, signal);
      const status: NodeStatus = o.status;
      const failing = o.failures ? customMessage(t, o.sample[0]) ?? `${o.failures} failing row${o.failures === 1 ? '' : 's'}` : 'pass';
      return { status, message: failing, failures: o.failures, ...(o.sample.length ? { sample: o.sample } : {}), ...(o.stats ? { adapter_response: { ...o.stats } } : {}) };
    });

  const tasks = steps.map((s) => ({
    id: s.node.unique_id,
    parents: 'after' in s && s.after ? [...s.parents, ...s.after] : s.parents,
    run: async (signal: AbortSignal): Promise<'ok' | 'failed'> => {
      if (s.kind === 'source') {
        const r = await timed(s.node, async () => {
          const { landing, ...response } = await adapter.prepareSource(s.node, signal);
          // quarantined lines, duplicate deliveries, empty or stray files … warn; the build goes on
          const status: NodeStatus = landing && needsAttention(landing) ? 'warn' : 'success';
          return { status, message: response.message, ...(landing ? { adapter_response: { ...response, landing } } : {}) };
        });
        record(r, s.node);
        return r.status === 'success' || r.status === 'warn' ? 'ok' : 'failed';
      }
      if (s.kind === 'test') {
        const r = await testOn(adapter, s.node, signal);
        record(r, s.node);
        return r.status === 'fail' || r.status === 'error' ? 'failed' : 'ok';
      }
      if (s.kind === 'unit_test') {
        const r = await timed(s.node, async () => {
          const o = await runUnitTest(manifest, s.node);
          return { status: o.status, message: o.status === 'pass' ? 'pass' : `rows differ:\n${o.diff.join('\n')}`, failures: o.failures };
        });
        record(r, s.node);
        return r.status === 'pass' ? 'ok' : 'failed';
      }
      const auditResults: NodeResult[] = [];
      const r = await timed(s.node, async () => {
        const sql = s.node.resource_type === 'model' ? s.node.compiled_code : `SELECT * FROM read_csv(${adapter.dialect.quoteString(s.node.seed_path)}, header = true)`;
        const m = await adapter.materialize(s.node, sql, async (q) => {
          for (const t of s.audit) auditResults.push(await testOn(q, t, signal));
          return !auditResults.some((a) => a.status === 'fail' || a.status === 'error');
        }, signal);
        const blocked = auditResults.filter((a) => a.status === 'fail' || a.status === 'error').map((a) => a.name);
        return m.published
          ? { status: 'success', message: m.response.message, adapter_response: { ...m.response }, ...(m.response.rows_affected !== undefined ? { rows_affected: m.response.rows_affected } : {}) }
          : { status: 'error', message: `not published: blocking test${blocked.length === 1 ? '' : 's'} failed (${blocked.join(', ')}); the previous version stays published`, adapter_response: { ...m.response } };
      });
      record(r, s.node);
      for (const a of auditResults) record(a, manifest.nodes[a.unique_id]!);
      // A model whose query failed never reached its audit: its gating tests are skipped, not lost.
      for (const t of s.audit) {
        if (auditResults.some((a) => a.unique_id === t.unique_id)) continue;
        record({ unique_id: t.unique_id, name: t.name, resource_type: t.resource_type, status: 'skipped', message: `skipped: ${s.node.name} failed before its tests could run`, started_at: r.completed_at, completed_at: r.completed_at, execution_time: 0, skipped_because: s.node.unique_id }, t);
      }
      return r.status === 'success' ? 'ok' : 'failed';
    },
  }));

  await schedule(tasks, {
    threads: opts.threads,
    failFast: opts.failFast,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onSkip: (id, cause) => {
      const node = manifest.nodes[id]!;
      const now = new Date().toISOString();
      const because = cause ? manifest.nodes[cause]?.name ?? cause : undefined;
      const step = steps.find((s) => s.node.unique_id === id);
      for (const n of [node, ...(step?.kind === 'materialize' ? step.audit : [])]) {
        record({ unique_id: n.unique_id, name: n.name, resource_type: n.resource_type, status: 'skipped', message: because ? `skipped: upstream ${because} failed` : 'skipped: the run was stopped', started_at: now, completed_at: now, execution_time: 0, ...(cause ? { skipped_because: cause } : {}) }, n);
      }
    },
  });
  return results;
}

function errorMessage(e: unknown, node: ManifestNode): string {
  const msg = e instanceof Error ? e.message : String(e);
  return `${node.resource_type} ${node.name} (${node.original_file_path}): ${msg}`;
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
