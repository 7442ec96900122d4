/** The trino target: its spec, and its engine loaded on first use. */
import type { TargetPlugin } from '../types.js';
import { trinoSpec } from './spec.js';

export const trinoTarget: TargetPlugin = {
  spec: trinoSpec,
  load: async () => (await import('./runtime.js')).runtime,
};
