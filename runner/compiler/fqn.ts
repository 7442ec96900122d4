/**
 * dbt's fully qualified name of a node: the project name, the folders of its file below the
 * model, seed or test path it was found under, then the node's own name parts (a source's
 * `source_name` and table, a unit test's model and name). Used by the `fqn:` selector method.
 */
import type { ProjectConfig } from '../project/types.js';

export function fqnOf(config: Pick<ProjectConfig, 'name' | 'model_paths' | 'seed_paths' | 'test_paths'>, file: string, ...tail: string[]): string[] {
  const dirs = file.split('/').slice(0, -1);
  const roots = [...config.model_paths, ...config.seed_paths, ...config.test_paths].map((r) => r.replace(/^\.\/+|\/+$/g, '').split('/'));
  const root = roots.filter((r) => r.length <= dirs.length && r.every((p, i) => dirs[i] === p)).sort((a, b) => b.length - a.length)[0] ?? [];
  return [config.name, ...dirs.slice(root.length), ...tail];
}
