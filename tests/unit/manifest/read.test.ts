import { describe, expect, it } from 'vitest';
import { UserError } from '../../../runner/core/diagnostics.js';
import { RUN_RESULTS_SCHEMA_VERSION } from '../../../runner/execute/results.js';
import { parseManifest, parseRunResults } from '../../../runner/manifest/read.js';
import { MANIFEST_SCHEMA_VERSION } from '../../../runner/manifest/types.js';
import { compileFiles } from '../compiler/harness.js';

const manifest = () => compileFiles({ 'models/trusted/a.sql': "select * from {{ source('landing', 'customer') }}" }).manifest!;
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('not refused');
};

describe('parseManifest', () => {
  it('returns the manifest stedi wrote, as written', () => {
    const m = manifest();
    expect(parseManifest(JSON.stringify(m), 'state/manifest.json')).toEqual(JSON.parse(JSON.stringify(m)));
  });

  it('refuses another schema version, naming the file and both versions', () => {
    const m = { ...manifest(), metadata: { ...manifest().metadata, schema_version: MANIFEST_SCHEMA_VERSION - 1 } };
    const msg = refusal(() => parseManifest(JSON.stringify(m), 'state/manifest.json'));
    expect(msg).toContain('state/manifest.json');
    expect(msg).toContain(`schema version ${MANIFEST_SCHEMA_VERSION - 1}`);
    expect(msg).toContain(`reads version ${MANIFEST_SCHEMA_VERSION} only`);
  });

  it("refuses dbt's manifest, other JSON and broken JSON", () => {
    expect(refusal(() => parseManifest(JSON.stringify({ metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json' }, nodes: {} }), 'm.json'))).toMatch(/m\.json is not a stedi manifest .*dbt's/);
    expect(refusal(() => parseManifest('[1, 2]', 'm.json'))).toContain('m.json is not a stedi manifest');
    expect(refusal(() => parseManifest('{"metadata":', 'm.json'))).toContain('m.json is not a readable stedi manifest');
  });

  it('refuses a manifest whose node lacks what selection reads', () => {
    const m = manifest();
    const id = 'model.demo.a';
    const broken = { ...m, nodes: { ...m.nodes, [id]: { ...m.nodes[id], depends_on: undefined } } };
    expect(refusal(() => parseManifest(JSON.stringify(broken), 'm.json'))).toContain(`node '${id}'`);
  });
});

describe('parseRunResults', () => {
  const rr = (over: Record<string, unknown> = {}, results: unknown[] = [{ unique_id: 'model.demo.a', status: 'error' }]) => JSON.stringify({
    metadata: { schema_version: RUN_RESULTS_SCHEMA_VERSION, generated_at: 'x', invocation_id: 'i', command: 'build', target: 'local', ...over },
    args: { threads: 1, fail_fast: false }, elapsed_time: 1, success: false, results,
  });

  it('returns the results stedi wrote', () => {
    expect(parseRunResults(rr(), 'r.json').results.map((r) => r.status)).toEqual(['error']);
  });

  it('refuses another schema version, an unknown status and foreign JSON, naming the file', () => {
    expect(refusal(() => parseRunResults(rr({ schema_version: 99 }), 'target/run_results.json'))).toMatch(/target\/run_results\.json .*schema version 99/);
    expect(refusal(() => parseRunResults(rr({}, [{ unique_id: 'x', status: 'exploded' }]), 'r.json'))).toContain('result 1');
    expect(refusal(() => parseRunResults('{"metadata": {"dbt_schema_version": "v6"}, "results": []}', 'r.json'))).toMatch(/not a stedi run_results\.json.*dbt's/);
  });
});

describe('fqn (dbt form)', () => {
  it('is the project, the folders below the model path and the node name parts', () => {
    const out = compileFiles({
      'models/trusted/a.sql': "select * from {{ source('landing', 'customer') }}",
      'models/trusted/a.yml': 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: n\n        tests: [not_null]\n',
    });
    const n = out.manifest!.nodes;
    expect(n['model.demo.a']!.fqn).toEqual(['demo', 'trusted', 'a']);
    expect(n['source.demo.landing.customer']!.fqn).toEqual(['demo', 'landing', 'customer']);
    const t = Object.values(n).find((x) => x.resource_type === 'test')!;
    expect(t.fqn).toEqual(['demo', 'trusted', t.name]);
  });
});
