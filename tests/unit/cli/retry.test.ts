import { describe, expect, it } from 'vitest';
import { UserError } from '../../../runner/core/diagnostics.js';
import type { NodeResult, RunResults } from '../../../runner/execute/results.js';
import { retryPlan } from '../../../runner/cli/retry.js';

const result = (unique_id: string, status: NodeResult['status']): NodeResult => ({ unique_id, name: unique_id, resource_type: 'model', status, message: '', started_at: '', completed_at: '', execution_time: 0 });
const rr = (results: NodeResult[], over: Partial<RunResults> = {}): RunResults => ({
  metadata: { schema_version: 1, generated_at: 't', invocation_id: 'i', command: 'build', target: 'prod' },
  args: { threads: 3, fail_fast: true, full_refresh: true, vars: '{a: 1}', state: '/s', defer: true },
  elapsed_time: 1, success: false, results, ...over,
});

describe('retryPlan', () => {
  it('retries error, fail, skipped and cancelled nodes with the recorded command, target and options', () => {
    const p = retryPlan(rr([result('m.a', 'error'), result('t.b', 'fail'), result('m.c', 'skipped'), result('m.d', 'cancelled'), result('m.e', 'success'), result('t.f', 'pass'), result('t.g', 'warn')]), 'r.json', { quiet: true })!;
    expect(p.command).toBe('build');
    expect(p.ids).toEqual(['m.a', 'm.c', 'm.d', 't.b']);
    expect(p.opts).toMatchObject({ target: 'prod', vars: '{a: 1}', threads: '3', failFast: true, fullRefresh: true, state: '/s', defer: true, quiet: true, retryIds: p.ids });
  });

  it('has nothing to retry when every node finished well', () => {
    expect(retryPlan(rr([result('m.a', 'success'), result('t.g', 'warn')]), 'r.json', {})).toBeUndefined();
  });

  it('refuses a refused run and a command it cannot run', () => {
    expect(() => retryPlan(rr([], { refused: [{ node: 'x' }] }), 'r.json', {})).toThrow(/refused before any node ran/);
    expect(() => retryPlan(rr([result('m.a', 'error')], { metadata: { schema_version: 1, generated_at: 't', invocation_id: 'i', command: 'forget', target: 'x' } }), 'r.json', {})).toThrow(UserError);
  });
});
