/** The trino target's engine: the Trino adapter over its HTTP client. */
import type { TargetRuntime } from '../types.js';

export const runtime: TargetRuntime = {
  async createAdapter(t, opts) {
    const { TrinoAdapter } = await import('../../adapters/trino/adapter.js');
    return new TrinoAdapter(t, { project: opts.project, target: t.name });
  },
};
