/**
 * The AWS simulator with the hooks tests use to make queries fail, refuse to start, run long or
 * answer rows of their choosing (the runner's simulator lets every query succeed at once).
 */
import { AwsSimulator, type SimFate } from '../../runner/adapters/athena/simulator.js';

export interface SimHooks {
  /** Called for every StartQueryExecution before it is accepted; throw to refuse it. */
  beforeStart?(sql: string): void;
  /** Decide a query's fate: failure, rows, bytes scanned, polls before it finishes. */
  outcome?(sql: string): SimFate | undefined;
}

export class HookedSimulator extends AwsSimulator {
  hooks: SimHooks = {};

  protected override fate(sql: string): SimFate {
    this.hooks.beforeStart?.(sql);
    return this.hooks.outcome?.(sql) ?? {};
  }
}
