/** `freshness:` in source YAML (validated with file and line) and the pure judgement of `stedi source freshness`. */
import { describe, expect, it } from 'vitest';
import { formatAge, judgeFreshness, newestFile, type FreshnessMeasure } from '../../../runner/execute/freshness.js';
import type { SourceNode } from '../../../runner/manifest/types.js';
import { compileFiles } from '../compiler/harness.js';

const sources = (table: string, source = '') => ({
  'models/sources.yml': `version: 2
sources:
  - name: landing
${source}    tables:
      - name: customer
        location: "{{ var('landing_root') }}/customer/landing"
${table}        columns:
          - { name: email, data_type: varchar, meta: { pii: true } }
          - { name: ts, data_type: bigint }
          - { name: note, data_type: varchar }
`,
  // the harness's project configures the folder trusted: a config path must name a model folder
  'models/trusted/t.sql': 'select 1 as n',
});

const errorsOf = (files: Record<string, string>) => compileFiles(files).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line} ${d.code} ${d.message}${d.hint ? ` (${d.hint})` : ''}`);
const nodeOf = (files: Record<string, string>) => compileFiles(files).manifest!.nodes['source.demo.landing.customer'] as SourceNode;

describe('freshness in source YAML', () => {
  it("a table's freshness and loaded_at_field reach its manifest node; a source's are inherited; null switches it off", () => {
    const own = nodeOf(sources('        loaded_at_field: ts\n        freshness: { warn_after: { count: 12, period: hour }, error_after: { count: 1, period: day } }\n'));
    expect(own.freshness).toEqual({ warn_after: { count: 12, period: 'hour' }, error_after: { count: 1, period: 'day' } });
    expect(own.loaded_at_field).toBe('ts');
    const inherited = nodeOf(sources('', '    loaded_at_field: ts\n    freshness: { error_after: { count: 30, period: minute } }\n'));
    expect(inherited.freshness).toEqual({ error_after: { count: 30, period: 'minute' } });
    expect(inherited.loaded_at_field).toBe('ts');
    const off = nodeOf(sources('        freshness: null\n', '    freshness: { error_after: { count: 30, period: minute } }\n'));
    expect(off.freshness).toBeUndefined();
    // without loaded_at_field, the event_time column is the event time
    expect(nodeOf(sources('        config: { event_time: ts }\n        freshness: { warn_after: { count: 1, period: day } }\n')).loaded_at_field).toBe('ts');
    expect(nodeOf(sources('')).freshness).toBeUndefined();
  });

  it('reports each mistake once, with file, line and a hint', () => {
    expect(errorsOf(sources('        freshness: { warn_after: { count: 2, period: hours } }\n'))).toEqual([
      `models/sources.yml:7 E_BAD_VALUE source table 'customer' freshness warn_after: period must be minute, hour or day, not "hours" (did you mean 'hour'?)`,
    ]);
    expect(errorsOf(sources('        freshness:\n          warn_after: { count: 0, period: day }\n'))).toEqual([
      "models/sources.yml:8 E_BAD_VALUE source table 'customer' freshness warn_after: count must be a whole number of at least 1, not 0",
    ]);
    expect(errorsOf(sources('        freshness:\n          warn_after: { count: 2, period: day }\n          error_after: { count: 1, period: day }\n'))).toEqual([
      "models/sources.yml:8 E_BAD_VALUE source table 'customer' freshness: warn_after (2 days) must be shorter than error_after (1 day) (a source warns before it is an error)",
    ]);
    expect(errorsOf(sources('        freshness:\n          warn_afer: { count: 2, period: day }\n'))).toEqual([
      "models/sources.yml:8 E_UNKNOWN_KEY source table 'customer' freshness: unknown key 'warn_afer' (did you mean 'warn_after'?)",
    ]);
    expect(errorsOf(sources('        freshness:\n          warn_after: { count: 2 }\n'))).toEqual([
      "models/sources.yml:8 E_MISSING_KEY source table 'customer' freshness warn_after: missing required key 'period'",
    ]);
    expect(errorsOf(sources('        loaded_at_field: tss\n'))).toEqual([
      "models/sources.yml:7 E_BAD_CONFIG landing.customer: loaded_at_field 'tss' is not one of its declared columns (did you mean 'ts'?)",
    ]);
    expect(errorsOf(sources('        loaded_at_field: note\n        freshness: { warn_after: { count: 1, period: day } }\n'))).toEqual([
      "models/sources.yml:12 E_BAD_CONFIG landing.customer: freshness reads loaded_at_field 'note' as epoch milliseconds, but it is declared varchar (declare it data_type: bigint, or name another column in loaded_at_field)",
    ]);
  });

  it("a source's loaded_at_field missing from one of its tables is named at the source's line", () => {
    expect(errorsOf(sources('', '    loaded_at_field: tss\n'))).toEqual([
      "models/sources.yml:4 E_BAD_CONFIG landing.customer: loaded_at_field 'tss' (of source landing) is not one of its declared columns (did you mean 'ts'?)",
    ]);
  });

  it('an unknown key under a source table says which keys exist', () => {
    expect(errorsOf(sources('        freshnes: { warn_after: { count: 1, period: day } }\n'))[0]).toMatch(/^models\/sources\.yml:7 E_UNKNOWN_KEY .*unknown key 'freshnes' \(did you mean 'freshness'\?\)$/);
  });
});

describe('judging freshness', () => {
  const now = Date.UTC(2026, 0, 10, 12, 0, 0);
  const h = 3_600_000;
  const node = (freshness?: SourceNode['freshness']) => ({ unique_id: 'source.demo.landing.customer', source_name: 'landing', name: 'customer', ...(freshness ? { freshness } : {}) }) as SourceNode;
  const f = { warn_after: { count: 12, period: 'hour' as const }, error_after: { count: 1, period: 'day' as const } };
  const m = (fileAgeH: number | undefined, eventAgeH?: number | string): FreshnessMeasure => ({
    files: fileAgeH === undefined ? 0 : 2,
    ...(fileAgeH !== undefined ? { newestFile: { name: 'customer-2.json', modifiedMs: now - fileAgeH * h } } : {}),
    ...(eventAgeH === undefined ? {} : typeof eventAgeH === 'string' ? { newestEvent: { column: 'ts', problem: eventAgeH } } : { newestEvent: { column: 'ts', ms: now - eventAgeH * h } }),
  });

  it('the older of the newest file and the newest event decides, against warn_after and error_after', () => {
    const pass = judgeFreshness(node(f), m(1, 2), now);
    expect(pass).toMatchObject({ status: 'pass', decided_by: 'newest_event', max_loaded_at_time_ago_in_s: 7200, message: 'newest ts is 2h old, within warn_after (12 hours)' });
    expect(judgeFreshness(node(f), m(13, 2), now)).toMatchObject({ status: 'warn', decided_by: 'newest_file', message: 'newest file is 13h old, over warn_after (12 hours)' });
    expect(judgeFreshness(node(f), m(1, 30), now)).toMatchObject({ status: 'error', decided_by: 'newest_event', max_loaded_at: new Date(now - 30 * h).toISOString(), message: 'newest ts is 1d 6h old, over error_after (1 day)' });
    // exactly at the threshold is still within it (dbt: over, not at)
    expect(judgeFreshness(node(f), m(12), now).status).toBe('pass');
    expect(judgeFreshness(node({ error_after: f.error_after }), m(23), now)).toMatchObject({ status: 'pass', message: 'newest file is 23h old, within error_after (1 day)' });
    expect(judgeFreshness(node(f), m(1, 2), now).criteria).toEqual({ warn_after: { count: 12, period: 'hour' }, error_after: { count: 1, period: 'day' } });
  });

  it('a measure that cannot be taken is an error where thresholds are set, and only reported where none are', () => {
    expect(judgeFreshness(node(f), m(undefined), now)).toMatchObject({ status: 'error', message: 'no landing file: its freshness cannot be shown' });
    expect(judgeFreshness(node(f), m(1, 'landing.customer is not published on this target (run stedi build)'), now)).toMatchObject({ status: 'error', message: 'no newest ts: landing.customer is not published on this target (run stedi build): its freshness cannot be shown' });
    expect(judgeFreshness(node(f), { files: 0, listProblem: 'the landing folder x does not exist' }, now)).toMatchObject({ status: 'runtime error', message: 'the landing folder x does not exist' });
    expect(judgeFreshness(node(), m(500, 2), now)).toMatchObject({ status: 'skipped', decided_by: 'newest_file', criteria: { warn_after: { count: null, period: null }, error_after: { count: null, period: null } } });
  });

  it('ages and the newest file', () => {
    expect([59, 61, 3599, 3660, 86_400, 90_061].map(formatAge)).toEqual(['59s', '1m', '59m', '1h 1m', '1d', '1d 1h']);
    expect(newestFile([{ name: 'a', modified: 5 }, { name: 'c', modified: 9 }, { name: 'b', modified: 9 }, { name: 'd' }])?.name).toBe('c');
    expect(newestFile([{ name: 'd' }])).toBeUndefined();
  });
});
