/** The athena target: its spec, and its engine (the AWS SDK) loaded on first use. */
import type { TargetPlugin } from '../types.js';
import { athenaSpec } from './spec.js';

export const athenaTarget: TargetPlugin = {
  spec: athenaSpec,
  load: async () => (await import('./runtime.js')).runtime,
};
