import { describe, expect, it } from 'vitest';
import { plan, planNodeCount, testsLeftOut, upstreamNotPlanned } from '../../../runner/execute/plan.js';
import { leftOutLines } from '../../../runner/cli/commands.js';
import { compileFiles } from '../compiler/harness.js';

const files = {
  'models/trusted/a.sql': "select * from {{ source('landing','customer') }}",
  'models/trusted/b.sql': "select * from {{ ref('a') }}",
  'models/trusted/c.sql': "select * from {{ source('landing','customer') }}",
  'models/trusted/props.yml': `version: 2
models:
  - name: a
    columns:
      - name: email
        tests: [not_null, { unique: { config: { severity: warn } } }]
  - name: b
    columns:
      - name: email
        tests:
          - relationships: { to: "ref('a')", field: email }
  - name: c
    columns:
      - name: email
        tests:
          - relationships: { to: "ref('b')", field: email }
unit_tests:
  - name: b_passes_rows
    model: b
    given: [{ input: "ref('a')", rows: [{ email: x }] }]
    expect: { rows: [{ email: x }] }
`,
};

describe('plan', () => {
  const manifest = compileFiles(files).manifest!;
  const all = new Set(Object.keys(manifest.nodes));
  const byNode = (steps: ReturnType<typeof plan>) => Object.fromEntries(steps.map((s) => [s.node.name, s]));

  it('build: a test gates a model when everything it reads is upstream; others run on their own', () => {
    const steps = byNode(plan(manifest, all, 'build'));
    const gate = (m: string) => {
      const s = steps[m];
      return s?.kind === 'materialize' ? s.audit.map((t) => t.test_metadata.name).sort() : undefined;
    };
    expect(gate('a')).toEqual(['not_null', 'unique']);
    expect(gate('b')).toEqual(['relationships']);
    // c's relationship reads b, which is not upstream of c: it cannot gate c.
    expect(gate('c')).toEqual([]);
    const standalone = Object.values(steps).filter((s) => s.kind === 'test');
    expect(standalone.map((s) => s.node.name)).toEqual(['relationships_c_email_ref_b_email']);
    expect(standalone[0]!.parents.sort()).toEqual(['model.demo.b', 'model.demo.c']);
    // b waits for its unit test; sources are prepared first.
    expect(steps.b!.parents.sort()).toEqual(['model.demo.a', 'unit_test.demo.b.b_passes_rows']);
    expect(steps.customer!.kind).toBe('source');
  });

  it('run: only models, still gated by their error-severity tests', () => {
    const steps = byNode(plan(manifest, all, 'run'));
    expect(Object.values(steps).map((s) => s.kind).sort()).toEqual(['materialize', 'materialize', 'materialize', 'source']);
    const a = steps.a;
    expect(a?.kind === 'materialize' && a.audit.map((t) => t.test_metadata.name)).toEqual(['not_null']);
  });

  it('test: tests and unit tests against what is published, nothing materialized', () => {
    const kinds = plan(manifest, all, 'test').map((s) => s.kind);
    expect(new Set(kinds)).toEqual(new Set(['test', 'unit_test']));
    expect(kinds).toHaveLength(5);
  });

  it('counts the nodes the progress lines count: every step and every gate test', () => {
    const run = plan(manifest, all, 'run');
    // 3 models + the source + a's not_null gate (b's relationship to a gates b too)
    expect(run).toHaveLength(4);
    expect(planNodeCount(run)).toBe(4 + run.reduce((n, s) => n + (s.kind === 'materialize' ? s.audit.length : 0), 0));
    expect(planNodeCount(run)).toBe(6);
    expect(planNodeCount(plan(manifest, all, 'build'))).toBe(Object.keys(manifest.nodes).length);
  });

  it('run: names the selected tests it leaves to build and test, by kind', () => {
    const left = testsLeftOut(manifest, all, plan(manifest, all, 'run'));
    expect(left.warn.map((t) => t.test_metadata.name)).toEqual(['unique']);
    expect(left.error.map((t) => t.name)).toEqual(['relationships_c_email_ref_b_email']);
    expect(left.unit.map((t) => t.name)).toEqual(['b_passes_rows']);
    expect(leftOutLines(left)).toEqual([
      '1 warn-severity test was not run; `stedi build` or `stedi test` runs them',
      '1 test that reads other models than the one it tests was not run (they gate no model); `stedi build` or `stedi test` runs them',
      '1 unit test was not run; `stedi build` or `stedi test` runs them',
    ]);
    // build leaves nothing out; a selection without tests leaves none of them out
    expect(testsLeftOut(manifest, all, plan(manifest, all, 'build'))).toEqual({ warn: [], error: [], unit: [] });
    const onlyC = new Set(['model.demo.c']);
    expect(testsLeftOut(manifest, onlyC, plan(manifest, onlyC, 'run'))).toEqual({ warn: [], error: [], unit: [] });
  });

  it('--empty: what the planned nodes read that the plan does not build, at any distance', () => {
    const onlyB = new Set(['model.demo.b']);
    // run -s b: b reads a, which reads the source (a plan holds the sources its models read directly)
    expect([...upstreamNotPlanned(manifest, plan(manifest, onlyB, 'run'))].sort()).toEqual(['model.demo.a', 'source.demo.landing.customer']);
    expect([...upstreamNotPlanned(manifest, plan(manifest, new Set(['model.demo.a', 'model.demo.b']), 'run'))]).toEqual([]);
    expect([...upstreamNotPlanned(manifest, plan(manifest, all, 'build'))]).toEqual([]);
  });
});
