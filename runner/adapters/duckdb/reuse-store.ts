/** The DuckDB target's store of test results for reuse: the table `_stedi.test_results` of the catalog. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../../dialect/duckdb.js';
import type { RecordedTest, ReuseStore } from '../types.js';
import { toQueryResult } from './values.js';

const lit = duckdbDialect.quoteString;

/** `withConnection` runs on a connection of the open catalog. Writes go one at a time (one row per test, replaced). */
export function duckdbReuseStore(withConnection: <T>(fn: (c: DuckDBConnection) => Promise<T>) => Promise<T>): ReuseStore {
  let engine: Promise<string> | undefined;
  let writes: Promise<void> = Promise.resolve();
  const write = (sql: string): Promise<void> => {
    const next = writes.then(() => withConnection(async (c) => void (await c.run(sql))));
    writes = next.catch(() => undefined);
    return next;
  };
  return {
    engine() {
      engine ??= withConnection(async (c) => `duckdb ${String(toQueryResult(await c.runAndReadAll('SELECT library_version AS v FROM pragma_version()')).rows[0]?.v ?? '?')}`);
      return engine;
    },
    async testResults() {
      const rows = await withConnection(async (c) => toQueryResult(await c.runAndReadAll('SELECT test, reuse_key, status, failures, message, sample, recorded_at, inputs FROM _stedi.test_results')).rows);
      const out = new Map<string, RecordedTest>();
      for (const r of rows) {
        if (r.status !== 'pass' && r.status !== 'warn') continue;
        out.set(String(r.test), {
          test: String(r.test),
          key: String(r.reuse_key),
          status: r.status,
          failures: Number(r.failures),
          message: String(r.message ?? ''),
          ...(typeof r.sample === 'string' ? { sample: JSON.parse(r.sample) as Record<string, unknown>[] } : {}),
          ...(r.recorded_at ? { recorded_at: String(r.recorded_at) } : {}),
          ...(typeof r.inputs === 'string' ? { inputs: JSON.parse(r.inputs) as Record<string, string> } : {}),
        });
      }
      return out;
    },
    recordTest(r) {
      const sample = r.sample?.length ? lit(JSON.stringify(r.sample)) : 'NULL';
      const inputs = r.inputs ? lit(JSON.stringify(r.inputs)) : 'NULL';
      return write(`INSERT OR REPLACE INTO _stedi.test_results (test, reuse_key, status, failures, message, sample, recorded_at, inputs) VALUES (${lit(r.test)}, ${lit(r.key)}, ${lit(r.status)}, ${r.failures}, ${lit(r.message)}, ${sample}, now(), ${inputs})`);
    },
    dropTest(test) {
      return write(`DELETE FROM _stedi.test_results WHERE test = ${lit(test)}`);
    },
  };
}
