/** Golden files: the compiled Athena SQL of every model and test (the landing tables' DDL: build.test.ts). */
import { describe, expect, it } from 'vitest';
import { countParameters, lintDuckdbOnly } from '../../../runner/dialect/lint.js';
import type { SourceNode } from '../../../runner/manifest/types.js';
import { compileStedi } from './harness.js';
import { expectGolden } from './golden.js';

const { manifest } = compileStedi();
const nodes = Object.values(manifest.nodes);

describe('the STEDI project compiled for Athena', () => {
  it.each(nodes.filter((n) => n.resource_type === 'model').map((n) => [n.name, n] as const))('model %s matches its golden file', (name, n) => {
    expectGolden(`models/${name}.sql`, `${(n as { compiled_code: string }).compiled_code}\n`);
  });

  it('every data test matches the golden file of the tests', () => {
    const tests = nodes.filter((n) => n.resource_type === 'test').sort((a, b) => a.name.localeCompare(b.name));
    expectGolden('tests.sql', tests.map((t) => `-- ${t.name} (${t.original_file_path}:${t.line})\n${(t as { compiled_code: string }).compiled_code}\n`).join('\n'));
  });

  it('no model or test uses a DuckDB-only construct, a parameter or a secret', () => {
    for (const n of nodes) {
      if (n.resource_type !== 'model' && n.resource_type !== 'test') continue;
      expect(lintDuckdbOnly(n.compiled_code), n.name).toEqual([]);
      expect(n.compiled_code).not.toContain('getvariable');
      expect(countParameters(n.compiled_code), n.name).toBe(0);
    }
    expect(manifest.diagnostics.filter((d) => d.code === 'W_DIALECT')).toEqual([]);
  });

  it("landing sources read the target's landing_root, unless --vars overrides it", () => {
    expect((manifest.nodes['source.stedi.landing.customer'] as SourceNode).location).toBe('s3://lake-bucket/landing/customer/landing');
    const other = compileStedi(undefined, '{landing_root: "s3://other/landing"}');
    expect((other.manifest.nodes['source.stedi.landing.customer'] as SourceNode).location).toBe('s3://other/landing/customer/landing');
  });

  it('unit tests are compiled for the DuckDB engine that runs them', () => {
    const ut = nodes.find((n) => n.resource_type === 'unit_test')!;
    expect((ut as { compiled_code: string }).compiled_code).not.toContain('?');
  });
});
