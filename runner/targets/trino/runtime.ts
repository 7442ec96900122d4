/**
 * The trino target's engine. Its SQL compiles (compile, ls, docs, the compiled SQL per target) and
 * its client (runner/adapters/trino/client.ts) runs and cancels statements, but the adapter that
 * ingests landing files and publishes tables by write-audit-publish is not written yet: every
 * command that needs the engine stops here, naming what works instead.
 */
import { UserError } from '../../core/diagnostics.js';
import type { TargetRuntime } from '../types.js';

export const runtime: TargetRuntime = {
  createAdapter(t) {
    return Promise.reject(new UserError(`the ${t.type} target ${t.name} compiles (stedi compile, ls, docs) but cannot build, run, test or show yet: its engine adapter (landing ingestion and write-audit-publish on Iceberg) is not written; build on the duckdb or athena target`));
  },
};
