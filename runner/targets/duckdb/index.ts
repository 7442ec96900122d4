/** The duckdb target: its spec, and its engine loaded on first use. */
import type { TargetPlugin } from '../types.js';
import { duckdbSpec } from './spec.js';

export const duckdbTarget: TargetPlugin = {
  spec: duckdbSpec,
  load: async () => (await import('./runtime.js')).runtime,
};
