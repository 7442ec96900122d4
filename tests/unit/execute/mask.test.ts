/** What `show`, test samples and unit-test diffs may print of a result: only what lineage proves clean. */
import { describe, expect, it } from 'vitest';
import { exposeColumns, maskRows } from '../../../runner/execute/mask.js';
import type { QueryLineage, ResultColumn } from '../../../runner/lineage/project.js';
import type { PiiStatus } from '../../../runner/lineage/types.js';

const col = (name: string, status: PiiStatus, shape?: 'unnamed' | 'many'): ResultColumn => ({ name, status, upstream: [], unresolved: [], ...(shape ? { shape } : {}) });
const predicted = (...columns: ResultColumn[]): QueryLineage => ({ columns });
const view = (p: QueryLineage, actual: string[]) => exposeColumns(p, actual).map((c) => `${c.label}:${c.exposure}`);

describe('exposeColumns', () => {
  it('matches the engine columns to the prediction by position and name', () => {
    expect(view(predicted(col('n', 'none'), col('email', 'pii'), col('k', 'pseudonymised'), col('_col3', 'none', 'unnamed')), ['n', 'email', 'k', 'count_star()'])).toEqual([
      'n:clean', 'email:personal', 'k:clean', 'count_star():clean',
    ]);
  });

  it('a name the engine changed is not proven, and is shown only when lineage predicted it', () => {
    expect(view(predicted(col('_col0', 'derived', 'unnamed'), col('n', 'none')), ['n', 'n_1'])).toEqual(['n:personal', expect.stringMatching(/^<column #[0-9a-f]{4}>:unproven$/)]);
  });

  it('when the widths differ nothing is proven and unpredicted names are masked', () => {
    expect(view(predicted(col('n', 'none')), ['n', 'alice@example.com'])).toEqual(['n:unproven', expect.stringMatching(/^<column #[0-9a-f]{4}>:unproven$/)]);
    expect(view({ error: 'sql parser error' }, ['n'])).toEqual([expect.stringMatching(/^<column #[0-9a-f]{4}>:unproven$/)]);
  });

  it('around columns of unknown width, only the columns before and after are matched', () => {
    const p = predicted(col('n', 'none'), col('columns(…)', 'unknown', 'many'), col('total', 'none'));
    expect(view(p, ['n', 'email', 'phone', 'total'])).toEqual(['n:clean', expect.stringMatching(/^<column #.*>:unproven$/), expect.stringMatching(/^<column #.*>:unproven$/), 'total:clean']);
    expect(view(p, ['n'])).toEqual(['n:unproven']);
  });

  it('columns the engine returned under one name share one row key: shown only if all are clean', () => {
    const shown = exposeColumns(predicted(col('n', 'none'), col('n', 'pii')), ['n', 'n']);
    expect(shown.map((c) => c.exposure)).toEqual(['personal', 'personal']);
    expect(maskRows([{ n: 'alice@example.com' }], shown)).toEqual([{ n: expect.stringMatching(/^<masked #[0-9a-f]{4}>$/) }]);
  });
});
