/** A source's ingestion as the docs page shows it, from run_results.json (runner/docs/ingestion.ts). */
import { describe, expect, it } from 'vitest';
import { FILES_LISTED, ingestionsOf } from '../../../runner/docs/ingestion.js';
import type { NodeResult, RunResults } from '../../../runner/execute/results.js';
import { emptyTolerated, type FileReport, type LandingReport, type RejectReason } from '../../../runner/landing/types.js';

function file(name: string, c: Partial<FileReport> & { reasons?: RejectReason[] }): FileReport {
  const { reasons = [], ...rest } = c;
  return {
    file: `landing/customer/${name}`, bytes: 10, sha256: 'x', status: 'ingested', lines: 0, accepted: 0, rejected: 0, blank: 0, duplicate_delivery: 0,
    tolerated: emptyTolerated(), no_final_newline: false, unknown_keys: [], first_rejects: reasons.map((reason, i) => ({ line: i + 1, reason, detail: 'd' })), ...rest,
  };
}

function report(files: FileReport[], extra: Partial<LandingReport['totals']> = {}): LandingReport {
  const sum = (k: 'lines' | 'accepted' | 'rejected' | 'blank' | 'duplicate_delivery') => files.reduce((n, f) => n + f[k], 0);
  return {
    source: 'landing.customer', relation: 'landing.customer', rejects_relation: 'landing.customer__rejects', location: 'landing/customer', on_malformed: 'quarantine',
    files, skipped: [], warnings: ['c-2.json: 5 lines quarantined in landing.customer__rejects'],
    totals: {
      files: files.length, lines_read: sum('lines'), accepted: sum('accepted'), rejected: sum('rejected'), blank: sum('blank'), duplicate_delivery: sum('duplicate_delivery'),
      tolerated: { ...emptyTolerated(), crlf: 3 }, empty_files: files.filter((f) => f.status === 'empty').length, duplicate_files: files.filter((f) => f.status === 'duplicate').length, skipped_files: 1, ...extra,
    },
  };
}

function runResults(landing: LandingReport, more: NodeResult[] = []): RunResults {
  const base = { started_at: '', completed_at: '', execution_time: 0, message: '' };
  return {
    metadata: { schema_version: 1, generated_at: 'g', invocation_id: 'i', command: 'build', target: 'local' },
    args: { threads: 1, fail_fast: false }, elapsed_time: 0, success: true,
    results: [
      { ...base, unique_id: 'source.t.landing.customer', name: 'customer', resource_type: 'source', status: 'success', adapter_response: { landing } },
      ...more,
    ],
    reconciliation: {
      sources: [{ source: 'landing.customer', entity: 'customer', lines_read: 0, accepted: 0, rejected: 0, blank: 0, duplicate_delivery: 0, details: '', balanced: true }],
      entities: [
        { model: 'reconciliation', entity: 'customer', landing: 12, rules: [{ rule: 'kept', row_count: 9 }, { rule: 'no_consent', row_count: 3 }], accounted: 12, balanced: true },
        { model: 'reconciliation', entity: 'step_trainer', landing: 5, rules: [{ rule: 'kept', row_count: 5 }], accounted: 5, balanced: true },
      ],
      problems: [],
    },
  };
}

const entityOf = (id: string) => (id.startsWith('source.') ? id.split('.').pop() : undefined);

describe('docs: a source ingestion', () => {
  const files = [
    file('c-1.json', { lines: 10, accepted: 7, rejected: 2, blank: 1, reasons: ['invalid_json', 'type_mismatch'] }),
    file('c-2.json', { lines: 10, accepted: 5, rejected: 5, reasons: ['invalid_json', 'invalid_json', 'truncated_record'] }),
    file('c-3.json', { lines: 10, duplicate_delivery: 10, status: 'duplicate', duplicate_of: 'landing/customer/c-1.json' }),
  ];
  const got = ingestionsOf(runResults(report(files)), entityOf)['source.t.landing.customer']!;

  it('accounts for every line read, files and tolerated repairs', () => {
    expect(got).toMatchObject({ lines_read: 30, accepted: 12, rejected: 7, blank: 1, duplicate_delivery: 10, balanced: true, files: 3, duplicate_files: 1, empty_files: 0, skipped_entries: 1, rejects_relation: 'landing.customer__rejects' });
    expect(got.erased).toBeUndefined();
    expect(got.tolerated).toEqual({ crlf: 3 });
    expect(got.warnings).toEqual(['c-2.json: 5 lines quarantined in landing.customer__rejects']);
  });

  it('counts rejects per reason as far as the report attributes them, and says how many it cannot', () => {
    expect(got.rejected_by_reason).toEqual([{ reason: 'invalid_json', lines: 3 }, { reason: 'truncated_record', lines: 1 }, { reason: 'type_mismatch', lines: 1 }]);
    expect(got.rejected_unattributed).toBe(2);
    const exact = ingestionsOf(runResults(report(files.slice(0, 1))), entityOf)['source.t.landing.customer']!;
    expect(exact.rejected_by_reason).toEqual([{ reason: 'invalid_json', lines: 1 }, { reason: 'type_mismatch', lines: 1 }]);
    expect(exact.rejected_unattributed).toBe(0);
  });

  it('counts every reject by reason when the report has the exact counts, first rejects only for files without them', () => {
    const counted = [
      file('c-1.json', { lines: 10, accepted: 7, rejected: 2, blank: 1, reasons: ['invalid_json', 'type_mismatch'], rejected_by_reason: { invalid_json: 1, type_mismatch: 1 } }),
      file('c-2.json', { lines: 10, accepted: 5, rejected: 5, reasons: ['invalid_json', 'invalid_json', 'truncated_record'], rejected_by_reason: { invalid_json: 2, truncated_record: 1, line_too_long: 2 } }),
    ];
    const g = ingestionsOf(runResults(report(counted)), entityOf)['source.t.landing.customer']!;
    expect(g.rejected_by_reason).toEqual([{ reason: 'invalid_json', lines: 3 }, { reason: 'line_too_long', lines: 2 }, { reason: 'truncated_record', lines: 1 }, { reason: 'type_mismatch', lines: 1 }]);
    expect(g.rejected_unattributed).toBe(0);
    // a file recorded by an earlier stedi (first rejects only) beside one with exact counts
    const mixed = ingestionsOf(runResults(report([counted[0]!, files[1]!])), entityOf)['source.t.landing.customer']!;
    expect(mixed.rejected_unattributed).toBe(2);
  });

  it('reconciles the entity of the source, and only that one', () => {
    expect(got.entity).toEqual([{ model: 'reconciliation', entity: 'customer', landing: 12, rules: [{ rule: 'kept', row_count: 9 }, { rule: 'no_consent', row_count: 3 }], accounted: 12, balanced: true, accepted_is_landing: true }]);
  });

  it('says when the counts do not add up', () => {
    const broken = ingestionsOf(runResults(report(files, { lines_read: 31, accepted: 11 })), entityOf)['source.t.landing.customer']!;
    expect(broken.balanced).toBe(false);
    expect(broken.entity[0]!.accepted_is_landing).toBe(false);
  });

  it('lists files with a finding first, at most FILES_LISTED, and counts the others', () => {
    const many = Array.from({ length: FILES_LISTED + 5 }, (_, i) => file(`f-${i}.json`, { lines: 1, accepted: 1 }));
    many.push(file('bad.json', { lines: 1, rejected: 1, reasons: ['invalid_json'] }));
    const r = ingestionsOf(runResults(report(many)), entityOf)['source.t.landing.customer']!;
    expect(r.file_list).toHaveLength(FILES_LISTED);
    expect(r.file_list[0]!.file).toBe('landing/customer/bad.json');
    expect(r.files_not_listed).toBe(6);
    expect(Object.keys(r.file_list[0]!).sort()).toEqual(['accepted', 'blank', 'duplicate_delivery', 'file', 'lines', 'rejected', 'status']);
  });

  it('ignores results without a landing report and sources the manifest does not have', () => {
    const rr = runResults(report(files), [{ unique_id: 'model.t.m', name: 'm', resource_type: 'model', status: 'success', started_at: '', completed_at: '', execution_time: 0, message: '', adapter_response: { landing: report(files) } }]);
    expect(Object.keys(ingestionsOf(rr, entityOf))).toEqual(['source.t.landing.customer']);
    expect(ingestionsOf(rr, () => undefined)).toEqual({});
  });
});
