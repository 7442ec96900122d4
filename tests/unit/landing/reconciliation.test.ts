/**
 * The runner's side of messy landing data (pure parts): the reconciliation report, the landing
 * barrier of the plan, a test's own warning text, and var()/YAML argument quoting.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../../runner/execute/plan.js';
import { entityReconciliations, formatReconciliation, reconciliationProblems, sourceReconciliations } from '../../../runner/execute/reconciliation.js';
import type { NodeResult } from '../../../runner/execute/results.js';
import { customMessage } from '../../../runner/execute/run.js';
import type { LandingReport } from '../../../runner/landing/types.js';
import { emptyTolerated } from '../../../runner/landing/types.js';
import type { TestNode } from '../../../runner/manifest/types.js';
import { compileFiles, model, tests } from '../compiler/harness.js';

const SOURCES_2 = `version: 2
sources:
  - name: landing
    tables:
      - name: customer
        location: "{{ var('landing_root') }}/customer"
        entity: customer
        config: { on_malformed: fail }
        columns: [{ name: email, data_type: varchar }]
      - name: reading
        location: "{{ var('landing_root') }}/reading"
        entity: reading
        columns: [{ name: email, data_type: varchar }]
`;

function landing(source: string, t: Partial<LandingReport['totals']>): LandingReport {
  return {
    source, relation: source, rejects_relation: `${source}__rejects`, location: 'x', on_malformed: 'quarantine', files: [], skipped: [], warnings: [],
    totals: { files: 1, lines_read: 0, accepted: 0, rejected: 0, blank: 0, duplicate_delivery: 0, tolerated: emptyTolerated(), empty_files: 0, duplicate_files: 0, skipped_files: 0, ...t },
  };
}

function result(id: string, l: LandingReport): NodeResult {
  return { unique_id: id, name: id, resource_type: 'source', status: 'success', message: '', started_at: '', completed_at: '', execution_time: 0, adapter_response: { landing: l } };
}

describe('reconciliation report', () => {
  const manifest = compileFiles({ 'models/sources.yml': SOURCES_2 }).manifest!;
  const results = [
    result('source.demo.landing.customer', landing('landing.customer', { lines_read: 13, accepted: 7, rejected: 1, blank: 1, duplicate_delivery: 4, duplicate_files: 1 })),
    result('source.demo.landing.reading', landing('landing.reading', { lines_read: 10, accepted: 6, rejected: 3 })),
  ];
  const rows = [
    { entity: 'customer', rule: 'landing', row_count: 7 },
    { entity: 'customer', rule: 'no_consent', row_count: 2 },
    { entity: 'customer', rule: 'kept', row_count: 4 },
    { entity: 'customer', rule: 'duplicate_record', row_count: 1 },
    { entity: 'customer', rule: 'missing_email', row_count: 0 },
    { entity: 'reading', rule: 'landing', row_count: 6 },
    { entity: 'reading', rule: 'kept', row_count: 6 },
  ];

  it('per source: lines read = accepted + rejected + blank + duplicate_delivery; per entity: landing = kept + exclusions', () => {
    const sources = sourceReconciliations(manifest, results);
    const entities = entityReconciliations('reconciliation', rows);
    expect(sources.map((s) => [s.source, s.entity, s.balanced])).toEqual([['landing.customer', 'customer', true], ['landing.reading', 'reading', false]]);
    expect(entities[0]).toMatchObject({ entity: 'customer', landing: 7, accounted: 7, balanced: true, rules: [{ rule: 'kept', row_count: 4 }, { rule: 'duplicate_record', row_count: 1 }, { rule: 'missing_email', row_count: 0 }, { rule: 'no_consent', row_count: 2 }] });
    expect(reconciliationProblems(sources, entities)).toEqual(['landing.reading: 10 lines read but 9 accounted for']);
    expect(formatReconciliation({ sources, entities, problems: [] })).toEqual([
      'Reconciliation:',
      '  landing.customer  13 lines read = 7 accepted + 1 rejected + 1 blank + 4 duplicate_delivery  [1 file (1 duplicate)]',
      '  landing.reading   10 lines read = 6 accepted + 3 rejected  [1 file]  MISMATCH',
      '  customer          7 landing = 4 kept + 1 duplicate_record + 2 no_consent',
      '  reading           6 landing = 6 kept',
    ]);
  });

  it("a source's accepted records must be its entity's landing rows", () => {
    const sources = sourceReconciliations(manifest, results);
    const entities = entityReconciliations('reconciliation', [
      { entity: 'customer', rule: 'landing', row_count: 9 },
      { entity: 'customer', rule: 'kept', row_count: 9 },
    ]);
    expect(entities[0]!.balanced).toBe(true);
    expect(reconciliationProblems(sources, entities)).toContain('reconciliation: entity customer: 9 landing rows but landing.customer accepted 7 records');
  });
});

describe('plan: the landing barrier', () => {
  const out = compileFiles({
    'models/sources.yml': SOURCES_2,
    'models/trusted/a.sql': "select * from {{ source('landing','reading') }}",
    'models/trusted/b.sql': "select * from {{ ref('a') }}",
  });
  it('every seed and model waits for every source; sources under fail go first', () => {
    const steps = Object.fromEntries(plan(out.manifest!, new Set(Object.keys(out.manifest!.nodes)), 'build').map((s) => [s.node.unique_id, s]));
    const after = (id: string) => {
      const s = steps[id];
      return s && 'after' in s ? s.after ?? [] : [];
    };
    expect(steps['model.demo.a']!.parents).toEqual(['source.demo.landing.reading']);
    expect(after('model.demo.a')).toEqual(['source.demo.landing.customer']);
    expect(after('model.demo.b')).toEqual(['source.demo.landing.customer', 'source.demo.landing.reading']);
    expect(after('source.demo.landing.reading')).toEqual(['source.demo.landing.customer']);
    expect(after('source.demo.landing.customer')).toEqual([]);
  });
  it('without a source under fail, nothing waits beyond its own parents', () => {
    const quarantine = compileFiles({ 'models/sources.yml': SOURCES_2.replace('config: { on_malformed: fail }', 'config: { on_malformed: quarantine }'), 'models/trusted/a.sql': "select * from {{ source('landing','reading') }}", 'models/trusted/b.sql': 'select 1 as x' });
    for (const s of plan(quarantine.manifest!, new Set(Object.keys(quarantine.manifest!.nodes)), 'build')) expect('after' in s ? s.after : undefined).toBeUndefined();
  });
});

describe('a test may word its own warning', () => {
  const t = { config: { enabled: true, meta: { message: '{ambiguous_devices} device(s) and {excluded_readings} reading(s) excluded as ambiguous {nope}' } } } as unknown as TestNode;
  it('fills {column} from the first failing row', () => {
    expect(customMessage(t, { ambiguous_devices: 2, excluded_readings: 6 })).toBe('2 device(s) and 6 reading(s) excluded as ambiguous {nope}');
    expect(customMessage({ config: { enabled: true } } as unknown as TestNode, { a: 1 })).toBeUndefined();
  });
});

describe('--vars and YAML test arguments reach SQL only as identifiers or quoted literals', () => {
  const evil = "DE' or '1'='1";
  it('a var that is not a plain identifier renders as a quoted literal, however it is printed', () => {
    const out = compileFiles({
      'models/trusted/a.sql': "select * from t where c = {{ var('country') }} and d = '{{ var('country') }}' and e = {{ 'x' ~ var('country') }} and f = {{ literal(var('country')) }}",
    }, { vars: { country: evil } });
    expect(model(out, 'a').compiled_code).toBe(`select * from t where c = 'DE'' or ''1''=''1' and d = ''DE'' or ''1''=''1'' and e = x'DE'' or ''1''=''1' and f = 'DE'' or ''1''=''1'`);
  });

  it('plain identifiers, numbers and booleans print as they are and compare as they are', () => {
    const out = compileFiles({
      'models/trusted/a.sql': "select {{ var('col') }}, {{ var('n') }}{% if var('policy') == 'strict' %}, 'strict'{% endif %}{% if var('flag') %}, true{% endif %}",
    }, { vars: { col: 'email', n: 42, flag: false } });
    expect(model(out, 'a').compiled_code).toBe("select email, 42, 'strict'");
  });

  it('ident() refuses, number() refuses: a compile error, nothing runs', () => {
    const out = compileFiles({ 'models/trusted/a.sql': "select {{ ident(var('col')) }}, {{ number(var('n')) }}" }, { vars: { col: 'email; drop table x', n: '1; drop table x' } });
    expect(out.manifest).toBeUndefined();
    expect(out.diagnostics.map((d) => d.code).sort()).toEqual(['E_BAD_IDENTIFIER', 'E_BAD_NUMBER']);
  });

  it('a YAML test argument that is not an identifier is a literal in the test SQL', () => {
    const out = compileFiles({
      'macros/t.sql': "{% macro test_has(model, column_name, key, value) %}select {{ key }} from {{ model }} where {{ column_name }} = {{ value }}{% endmacro %}",
      'models/trusted/a.sql': 'select 1 as email',
      'models/trusted/a.yml': `version: 2
models:
  - name: a
    columns:
      - name: email
        tests:
          - has: { key: "email) from x; drop table y; --", value: "a' or '1'='1" }
          - accepted_values: { values: ["it's", plain] }
`,
    });
    const [has, accepted] = tests(out).sort((x, y) => x.test_metadata.name.localeCompare(y.test_metadata.name)).reverse();
    expect(has!.compiled_code).toBe(`select 'email) from x; drop table y; --' from "trusted"."a" where email = 'a'' or ''1''=''1'`);
    expect(accepted!.compiled_code).toContain(`not in ('it''s', 'plain')`);
    // the manifest keeps the arguments themselves
    expect(has!.test_metadata.kwargs.value).toBe("a' or '1'='1");
  });

  it('source locations are paths, not SQL: they take the value as it is', () => {
    const out = compileFiles({ 'models/sources.yml': SOURCES_2 }, { vars: { landing_root: "/data/it's here" } });
    const src = out.manifest!.nodes['source.demo.landing.customer'];
    expect(src && 'location' in src ? src.location : '').toBe("/data/it's here/customer");
  });
});
