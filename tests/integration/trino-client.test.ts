/**
 * The Trino client on a real Trino 476 (STEDI_TRINO_URL, e.g. from scripts/trino.sh): results,
 * engine errors, and cancellation through an AbortSignal (the query is cancelled on the
 * coordinator, not only abandoned). Without a server these tests are skipped locally and fail
 * in CI (CI=1), so a CI that lost its Trino cannot pass silently.
 */
import { describe, expect, it } from 'vitest';
import { TrinoClient } from '../../runner/adapters/trino/client.js';

const URL = process.env.STEDI_TRINO_URL;

describe('a Trino server for the tests', () => {
  it.runIf(process.env.CI === '1')('is given in CI (STEDI_TRINO_URL)', () => {
    expect(URL, 'STEDI_TRINO_URL must name the Trino server CI started (scripts/trino.sh start; eval "$(scripts/trino.sh env)")').toBeTruthy();
  });
});

describe.skipIf(!URL)('the Trino client', () => {
  const client = () => new TrinoClient({ url: URL!, user: 'stedi', catalog: 'iceberg', schema: 'default' });

  it('returns the columns and rows of a query, paging through nextUri', async () => {
    const r = await client().query("SELECT a * 10000 + b AS n, 'row ' || CAST(a * 10000 + b AS varchar) AS s FROM UNNEST(sequence(0, 2)) x(a) CROSS JOIN UNNEST(sequence(1, 10000)) y(b) ORDER BY n");
    expect(r.columns).toEqual([{ name: 'n', type: 'bigint' }, { name: 's', type: 'varchar' }]);
    expect(r.rows).toHaveLength(30000);
    expect(r.rows[29999]).toEqual([30000, 'row 30000']);
  });

  it('reports an engine error with its name, as an EngineError', async () => {
    await expect(client().query('SELECT * FROM iceberg.stedi_no_such_schema.t')).rejects.toThrow(/^Trino: SCHEMA_NOT_FOUND: .*stedi_no_such_schema/);
    await expect(client().query('SELEC 1')).rejects.toThrow(/^Trino: SYNTAX_ERROR: /);
  });

  it('an aborted signal cancels the query on the coordinator', async () => {
    const c = client();
    const ac = new AbortController();
    const tag = `stedi_cancel_${Date.now()}`;
    const slow = c.query(`SELECT count(*) AS ${tag} FROM UNNEST(sequence(1, 10000)) a(x) CROSS JOIN UNNEST(sequence(1, 10000)) b(y) CROSS JOIN UNNEST(sequence(1, 1000)) c(z)`, ac.signal);
    await new Promise((r) => setTimeout(r, 1500));
    ac.abort();
    await expect(slow).rejects.toThrow(/was cancelled: the run was stopped/);
    // the coordinator ends it as cancelled by the user (not left running)
    let state: unknown;
    for (let i = 0; i < 50; i++) {
      const q = await client().query(`SELECT state, error_code FROM system.runtime.queries WHERE query LIKE '%AS ${tag} FROM%' AND query NOT LIKE '%system.runtime.queries%'`);
      state = q.rows[0];
      if (Array.isArray(state) && state[0] !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toEqual(['FAILED', 'USER_CANCELED']);
  });
});
