/**
 * The target registry: every engine is one folder whose spec is plain data and pure functions,
 * and whose engine code is reached only through the runtime it loads on demand. The import graph
 * is read from the source files, so a static import that would load an engine's SDK with the
 * compiler (or the AWS SDK on a DuckDB build) fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTargetType, loadTarget, TARGET_TYPES, targetSpec } from '../../../runner/targets/registry.js';
import { REPO } from '../../helpers/stedi.js';

/** Every module a file imports statically (type-only imports left out), followed through relative paths. */
function staticImports(from: string): Set<string> {
  const seen = new Set<string>();
  const queue = [path.join(REPO, from)];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else seen.add(spec);
    }
  }
  return seen;
}

const external = (from: string) => [...staticImports(from)].filter((s) => !s.startsWith('/')).sort();
const engine = (s: string) => /^@aws-sdk\/|^@duckdb\/|^trino-client$/.test(s);

describe('the target registry', () => {
  it('lists the engines, and knows only those', () => {
    expect(TARGET_TYPES).toEqual(['duckdb', 'athena', 'trino']);
    expect(isTargetType('athena')).toBe(true);
    expect(isTargetType('postgres')).toBe(false);
    expect(isTargetType(undefined)).toBe(false);
    expect(() => targetSpec('postgres')).toThrow(/internal: unknown target type 'postgres'/);
  });

  it('each spec names its settings with a rule, its required ones among them, and a dialect of its own type', () => {
    for (const type of TARGET_TYPES) {
      const spec = targetSpec(type);
      expect(spec.type).toBe(type);
      expect(Object.keys(spec.fields)).not.toContain('type');
      for (const r of spec.required) expect(Object.keys(spec.fields)).toContain(r);
      const settings = { name: 't', type, threads: 1, database: 'db', lake_dir: 'lake', path_template: '{name}', ...spec.defaults({}) };
      expect(spec.defaults({}).threads).toBe(4);
      const dialect = spec.dialect(settings as never);
      expect(dialect.name).toBe(type);
      expect(dialect.dispatch[0]).toBe(type);
    }
    expect(targetSpec('athena').dialect({ name: 't', type: 'athena', threads: 1, database: 'db' }).dispatch).toEqual(['athena', 'trino']);
  });

  it('the registry and every spec import no Node built-in and no engine: the compiler can use them', () => {
    const bad = external('runner/targets/registry.ts').filter((s) => engine(s) || s.startsWith('node:'));
    expect(bad).toEqual([]);
  });

  it('a DuckDB build never loads the AWS SDK: the DuckDB adapter does not import it, and the athena runtime is imported only when used', async () => {
    // the walk sees an SDK where there is one
    expect(external('runner/adapters/athena/clients.ts')).toContain('@aws-sdk/client-athena');
    expect(external('runner/adapters/duckdb/adapter.ts').filter((s) => s.startsWith('@aws-sdk/'))).toEqual([]);
    expect(external('runner/cli/commands.ts').filter(engine)).toEqual([]);
    // the engine is what the runtime loads: the athena one uses the SDK
    const athena = await loadTarget('athena');
    expect(athena.awsSdk).toBe(true);
    expect((await loadTarget('duckdb')).awsSdk).toBeUndefined();
  });
});

describe('the trino target', () => {
  it('compiles the whole STEDI project, and Athena runs the same model SQL (it inherits the trino__ macros)', async () => {
    const { loadProject } = await import('../../../runner/project/load.js');
    const { compileForTarget } = await import('../../../runner/compiler/for-target.js');
    const loaded = loadProject(REPO);
    if (!loaded.project) throw new Error(JSON.stringify(loaded.diagnostics));
    const env = { STEDI_TRINO_SCHEMA: 'stedi', STEDI_ATHENA_DATABASE: 'stedi' };
    const on = (target: string) => compileForTarget(loaded.project!, { target, env, now: new Date(0), projectRoot: REPO });
    const trino = on('trino');
    const athena = on('athena');
    expect([...trino.configDiagnostics, ...trino.compileDiagnostics].filter((d) => d.severity === 'error')).toEqual([]);
    const models = Object.values(trino.manifest!.nodes).filter((n) => n.resource_type === 'model');
    expect(models.length).toBeGreaterThan(5);
    for (const m of models) {
      const a = athena.manifest!.nodes[m.unique_id]!;
      expect((m as { compiled_code: string }).compiled_code, m.unique_id).toBe((a as { compiled_code: string }).compiled_code);
    }
    expect(trino.manifest!.metadata.target.type).toBe('trino');
    expect(trino.dialect!.dispatch).toEqual(['trino']);
  });

  it('opens its engine through the Trino adapter, which needs no SDK', async () => {
    const runtime = await loadTarget('trino');
    expect(runtime.awsSdk).toBeUndefined();
    const adapter = await runtime.createAdapter({ name: 'trino', type: 'trino', threads: 1, url: 'http://127.0.0.1:1', schema: 's', catalog: 'iceberg', user: 'u' }, { project: 'stedi' });
    expect(adapter.dialect.name).toBe('trino');
    expect(external('runner/adapters/trino/adapter.ts').filter(engine)).toEqual([]);
  });
});
