/**
 * A gate test that does not read the model it gates (proven from its SQL) runs as soon as what it
 * reads is built, beside the builds before its model, and the gate takes its verdict: the same
 * verdict, blocking as before. Real DuckDB through the adapter the build uses; the adapter is
 * wrapped only to see the order of what it is asked.
 *
 * The project: m0 -> m1 -> m2; on m2, `no_negative` reads m0 only (early), `not_null_v` reads m2
 * (in the gate, on the candidate).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbAdapter } from '../../runner/adapters/duckdb/adapter.js';
import type { Adapter, Queryable } from '../../runner/adapters/types.js';
import { compileForTarget } from '../../runner/compiler/for-target.js';
import { plan } from '../../runner/execute/plan.js';
import type { Reporter } from '../../runner/execute/reporter.js';
import type { NodeResult } from '../../runner/execute/results.js';
import { executeChecked } from '../../runner/execute/run.js';
import type { Manifest, TestNode } from '../../runner/manifest/types.js';
import { parseProject } from '../../runner/project/parse.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const silent: Reporter = { info: () => undefined, warn: () => undefined, error: () => undefined, nodeDone: () => undefined };
const OWNER = { project: 'early', target: 'local' };
/** The early test's name starts so (a hash of its arguments follows). */
const EARLY_TEST = 'no_negative_m2_';

function compile(opts: { m0?: string; m2?: string; severity?: 'error' | 'warn' } = {}): Manifest {
  const files: Record<string, string> = {
    'stedi_project.yml': 'name: early\ndefault-target: local\ntargets:\n  local: { type: duckdb }\nmodels:\n  +materialized: table\n',
    'models/m0.sql': opts.m0 ?? 'select 1 as v union all select 2 as v',
    'models/m1.sql': "select v from {{ ref('m0') }}",
    'models/m2.sql': opts.m2 ?? "select v from {{ ref('m1') }}",
    'macros/tests.sql': "{% macro test_no_negative(model, other) %}select v from {{ other }} where v < 0{% endmacro %}\n",
    'models/schema.yml': `version: 2
models:
  - name: m2
    tests:
      - no_negative:
          other: ref('m0')
          config: { severity: ${opts.severity ?? 'error'} }
    columns:
      - name: v
        tests: [not_null]
`,
  };
  const parsed = parseProject(Object.entries(files).map(([p, text]) => ({ path: p, text })));
  if (!parsed.project) throw new Error(JSON.stringify(parsed.diagnostics));
  const c = compileForTarget(parsed.project, { target: 'local', now: new Date(0) });
  if (!c.manifest) throw new Error(JSON.stringify([...c.configDiagnostics, ...c.compileDiagnostics]));
  return c.manifest;
}

/**
 * The real adapter, with a log of what it is asked: `test` when the early test's SQL is queried,
 * `gate` when the test that reads m2 is, `build <name>` when a model is materialized. `holdFor`:
 * that model's build waits until the early test has been queried (and fails after a while if it
 * never is).
 */
function watched(inner: DuckDbAdapter, manifest: Manifest, holdFor?: string): { adapter: Adapter; log: string[] } {
  const sqlOf = (prefix: string) => Object.values(manifest.nodes).find((n): n is TestNode => n.resource_type === 'test' && n.name.startsWith(prefix))!.compiled_code;
  const early = sqlOf(EARLY_TEST);
  const gate = sqlOf('not_null_m2_v');
  const log: string[] = [];
  let seen!: () => void;
  const saw = new Promise<void>((resolve) => (seen = resolve));
  const adapter = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'query') {
        return async (sql: string, signal?: AbortSignal) => {
          if (sql.includes(early)) {
            log.push('test');
            seen();
          }
          if (sql.includes(gate)) log.push('gate');
          return target.query(sql, signal);
        };
      }
      if (prop === 'materialize') {
        return async (...args: Parameters<DuckDbAdapter['materialize']>) => {
          if (args[0].name === holdFor) {
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([saw, new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error(`the early test did not run while ${holdFor} was building`)), 20_000)))]).finally(() => clearTimeout(timer));
          }
          log.push(`build ${args[0].name}`);
          const [node, sql, audit, options] = args;
          // the gate's queries run on its own connection: seen through it
          const seeing = (q: Queryable): Queryable => ({
            query: (text: string, signal?: AbortSignal) => {
              if (text.includes(gate)) log.push('gate');
              if (text.includes(early)) log.push('test');
              return q.query(text, signal);
            },
          });
          return target.materialize(node, sql, (q, c) => audit(seeing(q), c), options);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as unknown as Adapter;
  return { adapter, log };
}

async function build(lake: string, manifest: Manifest, opts: { threads?: number; holdFor?: string; warnError?: boolean; reuse?: boolean } = {}): Promise<{ results: Map<string, NodeResult>; log: string[] }> {
  const inner = new DuckDbAdapter({ lake_dir: lake, path_template: '{name}', catalog: `${lake}/stedi.duckdb` }, OWNER);
  await inner.open('write');
  try {
    const { adapter, log } = watched(inner, manifest, opts.holdFor);
    const selected = new Set(Object.keys(manifest.nodes));
    const out = await executeChecked(manifest, adapter, plan(manifest, selected, 'build'), {
      threads: opts.threads ?? 4, failFast: false, reporter: silent, reuse: opts.reuse ?? true, ...(opts.warnError ? { warnError: true } : {}),
    });
    expect(out.refused).toEqual([]);
    const results = new Map<string, NodeResult>();
    for (const r of out.results) {
      expect(results.has(r.name), `${r.name} recorded once`).toBe(false);
      results.set(r.name, r);
    }
    return { results, log };
  } finally {
    await inner.close();
  }
}

function lakeDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-early-'));
  roots.push(d);
  return path.join(d, 'lake');
}

const name = (results: Map<string, NodeResult>, prefix: string) => [...results.keys()].find((k) => k.startsWith(prefix))!;

describe('a gate test that does not read its model runs ahead of the gate', () => {
  it('runs while the models before its model build, and its pass lets the model publish', async () => {
    const { results, log } = await build(lakeDir(), compile(), { holdFor: 'm1' });
    const t = name(results, EARLY_TEST);
    expect(t).toBeDefined();
    expect(results.get(t)).toMatchObject({ status: 'pass' });
    expect([...results.values()].map((r) => [r.name, r.status]).sort()).toEqual(
      [['m0', 'success'], ['m1', 'success'], ['m2', 'success'], [t, 'pass'], ['not_null_m2_v', 'pass']].sort(),
    );
    // m1 was held until the early test had run: it ran before m1's build, hence before m2's gate
    expect(log.indexOf('test')).toBeLessThan(log.indexOf('build m1'));
    expect(log.filter((e) => e === 'test')).toHaveLength(1);
  });

  it('still blocks its model when it fails; what does not read the model stays built', async () => {
    const lake = lakeDir();
    const { results } = await build(lake, compile({ m0: 'select 1 as v union all select -2 as v' }), { holdFor: 'm1' });
    const t = name(results, EARLY_TEST);
    expect(results.get(t)).toMatchObject({ status: 'fail', failures: 1 });
    expect(results.get('m0')!.status).toBe('success');
    expect(results.get('m1')!.status).toBe('success');
    expect(results.get('m2')!.status).toBe('error');
    expect(results.get('m2')!.message).toContain(`blocking test failed (${t})`);
    // nothing of m2 is published
    const inner = new DuckDbAdapter({ lake_dir: lake, path_template: '{name}', catalog: `${lake}/stedi.duckdb` }, OWNER);
    await inner.open('read');
    try {
      expect((await inner.published()).map((p) => p.relation).sort()).toEqual(['"main"."m0"', '"main"."m1"']);
    } finally {
      await inner.close();
    }
  });

  it('a warning does not block; under --warn-error it does', async () => {
    const bad = { m0: 'select 1 as v union all select -2 as v', severity: 'warn' as const };
    const warned = await build(lakeDir(), compile(bad));
    expect(warned.results.get(name(warned.results, EARLY_TEST))!.status).toBe('warn');
    expect(warned.results.get('m2')!.status).toBe('success');
    const strict = await build(lakeDir(), compile(bad), { warnError: true });
    expect(strict.results.get(name(strict.results, EARLY_TEST))).toMatchObject({ status: 'fail', warn_error: true });
    expect(strict.results.get('m2')).toMatchObject({ status: 'error', warn_error: true });
  });

  it('on one thread the same verdicts, each test run once', async () => {
    const one = await build(lakeDir(), compile(), { threads: 1 });
    expect([...one.results.values()].every((r) => r.status === 'success' || r.status === 'pass')).toBe(true);
    expect(one.log.filter((e) => e === 'test')).toHaveLength(1);
    const failing = await build(lakeDir(), compile({ m0: 'select -1 as v' }), { threads: 1 });
    expect(failing.results.get('m2')!.status).toBe('error');
  });

  it('is skipped with its model when what it reads fails, and says why', async () => {
    const { results, log } = await build(lakeDir(), compile({ m0: 'select cast(\'x\' as integer) as v' }));
    expect(results.get('m0')!.status).toBe('error');
    expect(results.get(name(results, EARLY_TEST))).toMatchObject({ status: 'skipped', skipped_because: 'model.early.m0' });
    expect(log).not.toContain('test');
  });

  it('a test that reads its model still runs in the gate, on the candidate', async () => {
    const { results, log } = await build(lakeDir(), compile({ m2: "select v from {{ ref('m1') }} union all select null" }));
    expect(results.get('not_null_m2_v')).toMatchObject({ status: 'fail', failures: 1 });
    expect(results.get('m2')!.status).toBe('error');
    expect(log.indexOf('gate')).toBeGreaterThan(log.indexOf('build m2'));
    expect(log.indexOf('build m2')).toBeGreaterThanOrEqual(0);
  });

  it('its recorded verdict is reused when what it reads did not change, even when its model is rebuilt', async () => {
    const lake = lakeDir();
    await build(lake, compile());
    const again = await build(lake, compile({ m2: "select v from {{ ref('m1') }} where v > 0" }));
    expect(again.results.get('m2')!.status).toBe('success');
    expect(again.results.get('m2')!.reused).toBeUndefined();
    expect(again.results.get(name(again.results, EARLY_TEST))).toMatchObject({ status: 'pass', reused: true });
    expect(again.log).not.toContain('test');
    // what it reads changed: it runs again
    const changed = await build(lake, compile({ m0: 'select 1 as v union all select 3 as v', m2: "select v from {{ ref('m1') }} where v > 0" }));
    expect(changed.results.get(name(changed.results, EARLY_TEST))!.reused).toBeUndefined();
    expect(changed.log).toContain('test');
    // --no-reuse: it runs
    const whole = await build(lake, compile(), { reuse: false });
    expect(whole.log).toContain('test');
  });
});
