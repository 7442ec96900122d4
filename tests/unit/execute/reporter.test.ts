/** --quiet keeps the failing nodes and the summary in both log formats; everything else is dropped. */
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../../runner/execute/reporter.js';
import type { NodeResult } from '../../../runner/execute/results.js';

const node = (name: string, status: NodeResult['status']): NodeResult =>
  ({ unique_id: `model.p.${name}`, name, resource_type: 'model', status, execution_time: 0.1, message: status } as unknown as NodeResult);

function run(format: 'text' | 'json', quiet: boolean): string[] {
  const lines: string[] = [];
  const r = createReporter({ format, quiet, out: (s) => lines.push(s), err: (s) => lines.push(s) });
  r.info('Running with stedi');
  r.nodeDone(1, 3, node('ok_model', 'success'), 'model ok_model');
  r.nodeDone(2, 3, node('bad_model', 'error'), 'model bad_model');
  r.nodeDone(3, 3, node('bad_test', 'fail'), 'test bad_test');
  r.summary!('Done. PASS=1 ERROR=2');
  return lines;
}

describe('reporter', () => {
  it.each(['text', 'json'] as const)('%s: --quiet keeps the failing nodes and the summary', (format) => {
    const all = run(format, false);
    const quiet = run(format, true);
    expect(all).toHaveLength(5);
    expect(quiet).toHaveLength(3);
    expect(quiet.join('\n')).toContain('bad_model');
    expect(quiet.join('\n')).toContain('bad_test');
    expect(quiet.join('\n')).not.toContain('ok_model');
    expect(quiet[2]).toContain('Done. PASS=1 ERROR=2');
    if (format === 'json') {
      const failed = JSON.parse(quiet[0]!) as { level: string; node: { name: string; status: string } };
      expect(failed).toMatchObject({ level: 'error', node: { name: 'bad_model', status: 'error' } });
    }
  });
});
