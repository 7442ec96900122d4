import { describe, it, expect } from 'vitest';
import { buildGraph, type Graph } from '../../../runner/graph/dag.js';
import { select, type SelectOptions } from '../../../runner/graph/select.js';
import type {
  ManifestNode,
  ModelNode,
  NodeBase,
  SeedNode,
  SourceNode,
  TestNode,
  UnitTestNode,
} from '../../../runner/manifest/types.js';

type Common = Pick<NodeBase, 'tags' | 'depends_on' | 'config'> & { file?: string };

function base(unique_id: string, name: string, file: string, o: Partial<Common>): Omit<NodeBase, 'resource_type'> {
  return {
    unique_id,
    name,
    original_file_path: o.file ?? file,
    line: 1,
    fqn: (o.file ?? file).split('/'),
    tags: o.tags ?? [],
    description: '',
    depends_on: o.depends_on ?? [],
    config: o.config ?? { enabled: true },
  };
}

const relation = (name: string) => ({ schema: 's', identifier: name, rendered: `"s"."${name}"` });

function model(name: string, zone: string, o: Partial<Common> & { materialized?: 'view' | 'table' } = {}): ModelNode {
  const b = base(`model.stedi.${name}`, name, `models/${zone}/${name}.sql`, o);
  const code = { raw_code: 'select 1', compiled_code: 'select 1' };
  return { ...b, resource_type: 'model', materialized: o.materialized ?? 'view', entity: 'customer', zone, relation: relation(name), columns: [], ...code };
}

function source(group: string, name: string, o: Partial<Common> = {}): SourceNode {
  const b = base(`source.stedi.${group}.${name}`, name, 'models/sources.yml', o);
  return { ...b, resource_type: 'source', source_name: group, relation: relation(name), columns: [], location: `data/${name}`, format: 'json', entity: name };
}

function seed(name: string, o: Partial<Common> = {}): SeedNode {
  const b = base(`seed.stedi.${name}`, name, `seeds/${name}.csv`, o);
  return { ...b, resource_type: 'seed', relation: relation(name), columns: [], seed_path: `seeds/${name}.csv`, entity: name };
}

function test(name: string, generic: string, parents: string[], o: Partial<Common> & { severity?: 'warn' } = {}): TestNode {
  const b = base(`test.stedi.${name}`, name, 'models/schema.yml', { ...o, depends_on: parents });
  const limits = { warn_if: '!=0', error_if: '!=0', compiled_code: 'select 1' };
  return { ...b, resource_type: 'test', test_metadata: { name: generic, kwargs: {} }, attached_node: parents[0]!, severity: o.severity ?? 'error', ...limits };
}

function unitTest(name: string, modelId: string): UnitTestNode {
  const b = base(`unit_test.stedi.${name}`, name, 'models/unit.yml', { depends_on: [modelId] });
  return { ...b, resource_type: 'unit_test', model: modelId, given: [], expect: { rows: [] }, compiled_code: 'select 1' };
}

const SRC_CUST = 'source.stedi.landing.customer';
const SRC_ACC = 'source.stedi.landing.accelerometer';
const CT = 'model.stedi.customer_trusted';
const AT = 'model.stedi.accelerometer_trusted';
const CC = 'model.stedi.customer_curated';
const ML = 'model.stedi.machine_learning_curated';

const NODES: ManifestNode[] = [
  source('landing', 'customer', { tags: ['landing'] }),
  source('landing', 'accelerometer'),
  source('other', 'step_trainer', { file: 'models/other.yml' }),
  seed('device_map'),
  model('customer_trusted', 'trusted', { depends_on: [SRC_CUST], tags: ['trusted', 'pii'], config: { enabled: true, tags: ['nightly', 'daily'] } }),
  model('accelerometer_trusted', 'trusted', { depends_on: [SRC_ACC, CT], tags: ['trusted'] }),
  model('customer_curated', 'curated', { depends_on: [CT, AT], config: { enabled: true, materialized: 'table' } }),
  model('machine_learning_curated', 'curated', { depends_on: [CC, 'seed.stedi.device_map'], materialized: 'table' }),
  model('old_model', 'trusted', { depends_on: [CT], config: { enabled: false } }),
  test('not_null_customer_trusted_email', 'not_null', [CT]),
  test('relationships_accelerometer_customer', 'relationships', [AT, CT]),
  test('unique_customer_curated_id', 'unique', [CC], { severity: 'warn', config: { enabled: true, severity: 'warn' } }),
  test('not_null_old_model_id', 'not_null', ['model.stedi.old_model'], { config: { enabled: false } }),
  unitTest('customer_curated_filters', CC),
];

const graph: Graph = buildGraph(Object.fromEntries(NODES.map((n) => [n.unique_id, n])));

/** Sorted names of the selected nodes. */
function names(opts: SelectOptions): string[] {
  return [...select(graph, opts).ids].map((id) => graph.nodes.get(id)!.name).sort();
}
const sel = (...s: string[]): string[] => names({ select: s });
const models = (...s: string[]): string[] => names({ select: s, resourceTypes: ['model'] });
const errorsOf = (opts: SelectOptions) => select(graph, opts).errors;

describe('select: defaults', () => {
  it('selects every enabled node without --select', () => {
    const all = NODES.filter((n) => n.config.enabled).map((n) => n.name).sort();
    expect(names({})).toEqual(all);
    expect(names({ select: [] })).toEqual(all);
    expect(names({ select: ['  '] })).toEqual(all);
    expect(all).not.toContain('old_model');
  });

  it('never selects disabled nodes, and says so', () => {
    expect(sel('old_model')).toEqual([]);
    expect(models('customer_trusted+')).not.toContain('old_model');
    expect(errorsOf({ select: ['old_model'] })).toEqual([
      expect.objectContaining({ kind: 'no_match', message: "The selection criterion 'old_model' does not match any enabled nodes" }),
    ]);
  });
});

describe('select: methods', () => {
  it('name, with globs and source_name.name for sources', () => {
    expect(models('customer_trusted')).toEqual(['customer_trusted']);
    expect(models('*_curated')).toEqual(['customer_curated', 'machine_learning_curated']);
    expect(sel('landing.customer')).toEqual(['customer']);
    expect(sel('customer')).toEqual(['customer']);
    expect(sel('device_map')).toEqual(['device_map']);
  });

  it('tag (with globs)', () => {
    expect(models('tag:trusted')).toEqual(['accelerometer_trusted', 'customer_trusted']);
    expect(sel('tag:landing')).toEqual(['customer']);
    expect(models('tag:p*')).toEqual(['customer_trusted']);
  });

  it('path: folder prefix, trailing slash, exact file, bare path-like values, globs', () => {
    const trusted = ['accelerometer_trusted', 'customer_trusted'];
    expect(models('path:models/trusted')).toEqual(trusted);
    expect(models('path:models/trusted/')).toEqual(trusted);
    expect(models('path:./models/trusted')).toEqual(trusted);
    expect(models('models/trusted')).toEqual(trusted);
    expect(models('models/trusted/customer_trusted.sql')).toEqual(['customer_trusted']);
    expect(models('path:models/trust')).toEqual([]);
    expect(sel('path:models/sources.yml')).toEqual(['accelerometer', 'customer']);
    expect(models('path:models/*/customer_*.sql')).toEqual(['customer_curated', 'customer_trusted']);
  });

  it('file, with or without the extension', () => {
    expect(models('file:customer_trusted.sql')).toEqual(['customer_trusted']);
    expect(models('file:customer_trusted')).toEqual(['customer_trusted']);
    expect(sel('file:other.yml')).toEqual(['step_trainer']);
    expect(models('customer_trusted.sql')).toEqual(['customer_trusted']);
  });

  it('resource_type', () => {
    expect(sel('resource_type:seed')).toEqual(['device_map']);
    expect(sel('resource_type:source')).toEqual(['accelerometer', 'customer', 'step_trainer']);
    expect(sel('resource_type:unit_test')).toEqual(['customer_curated_filters']);
  });

  it('config.<key>: config first, then the node field; any element of an array', () => {
    expect(models('config.materialized:table')).toEqual(['customer_curated', 'machine_learning_curated']);
    expect(models('config.materialized:view')).toEqual(['accelerometer_trusted', 'customer_trusted']);
    expect(models('config.tags:daily')).toEqual(['customer_trusted']);
    expect(sel('config.severity:warn')).toEqual(['unique_customer_curated_id']);
    expect(models('config.enabled:true')).toHaveLength(4);
  });

  it('source: group or group.table', () => {
    expect(sel('source:landing')).toEqual(['accelerometer', 'customer']);
    expect(sel('source:landing.customer')).toEqual(['customer']);
    expect(sel('source:*')).toEqual(['accelerometer', 'customer', 'step_trainer']);
  });

  it('test_type and test_name', () => {
    expect(sel('test_type:unit')).toEqual(['customer_curated_filters']);
    expect(sel('test_type:generic')).toEqual([
      'not_null_customer_trusted_email',
      'relationships_accelerometer_customer',
      'unique_customer_curated_id',
    ]);
    expect(sel('test_type:singular')).toEqual([]);
    expect(sel('test_name:not_null')).toEqual(['not_null_customer_trusted_email']);
  });
});

describe('select: graph operators', () => {
  it('+x selects all ancestors', () => {
    expect(names({ select: ['+customer_curated'], resourceTypes: ['model', 'source'] })).toEqual([
      'accelerometer',
      'accelerometer_trusted',
      'customer',
      'customer_curated',
      'customer_trusted',
    ]);
  });

  it('x+ selects all descendants', () => {
    expect(models('accelerometer_trusted+')).toEqual(['accelerometer_trusted', 'customer_curated', 'machine_learning_curated']);
  });

  it('n+x+m limits the depth', () => {
    expect(models('1+customer_curated')).toEqual(['accelerometer_trusted', 'customer_curated', 'customer_trusted']);
    expect(names({ select: ['2+customer_curated'], resourceTypes: ['source'] })).toEqual(['accelerometer', 'customer']);
    expect(models('customer_trusted+1')).toEqual(['accelerometer_trusted', 'customer_curated', 'customer_trusted']);
    expect(models('1+accelerometer_trusted+1')).toEqual(['accelerometer_trusted', 'customer_curated', 'customer_trusted']);
    expect(models('0+customer_curated+0')).toEqual(['customer_curated']);
  });

  it('@x selects x, its descendants and all their ancestors', () => {
    expect(names({ select: ['@accelerometer'], resourceTypes: ['model', 'source', 'seed'] })).toEqual([
      'accelerometer',
      'accelerometer_trusted',
      'customer',
      'customer_curated',
      'customer_trusted',
      'device_map',
      'machine_learning_curated',
    ]);
  });

  it('applies operators to method selectors too', () => {
    expect(models('source:landing.accelerometer+1')).toEqual(['accelerometer_trusted']);
  });
});

describe('select: set operations', () => {
  it('space and separate strings mean union', () => {
    const both = ['customer_curated', 'customer_trusted'];
    expect(models('customer_trusted customer_curated')).toEqual(both);
    expect(models('customer_trusted', 'customer_curated')).toEqual(both);
  });

  it('comma means intersection', () => {
    expect(models('tag:trusted,resource_type:model')).toEqual(['accelerometer_trusted', 'customer_trusted']);
    // Indirect selection then adds the tests of the intersection.
    expect(sel('tag:trusted,resource_type:model')).toEqual([
      'accelerometer_trusted',
      'customer_trusted',
      'not_null_customer_trusted_email',
      'relationships_accelerometer_customer',
    ]);
    expect(models('customer_trusted+,path:models/curated')).toEqual(['customer_curated', 'machine_learning_curated']);
    expect(models('tag:pii,tag:landing')).toEqual([]);
  });

  it('--exclude removes nodes, with the same grammar', () => {
    // The tests and unit test of customer_curated go with it.
    expect(names({ select: ['resource_type:model'], exclude: ['customer_curated+'] })).toEqual([
      'accelerometer_trusted',
      'customer_trusted',
      'not_null_customer_trusted_email',
      'relationships_accelerometer_customer',
    ]);
    expect(names({ exclude: ['tag:trusted resource_type:source'], resourceTypes: ['model', 'seed'] })).toEqual([
      'customer_curated',
      'device_map',
      'machine_learning_curated',
    ]);
  });
});

describe('select: indirect test selection (eager)', () => {
  const tests: SelectOptions['resourceTypes'] = ['test', 'unit_test'];

  it('selects the tests of a selected model, and tests with any selected parent', () => {
    expect(names({ select: ['accelerometer_trusted'], resourceTypes: tests })).toEqual(['relationships_accelerometer_customer']);
    expect(names({ select: ['customer_trusted'], resourceTypes: tests })).toEqual([
      'not_null_customer_trusted_email',
      'relationships_accelerometer_customer',
    ]);
  });

  it('selects unit tests of a selected model', () => {
    expect(names({ select: ['customer_curated'], resourceTypes: tests })).toEqual([
      'customer_curated_filters',
      'unique_customer_curated_id',
    ]);
  });

  it('selects the tests of nodes reached by graph operators', () => {
    expect(names({ select: ['+accelerometer_trusted'], resourceTypes: tests })).toEqual([
      'not_null_customer_trusted_email',
      'relationships_accelerometer_customer',
    ]);
  });

  it('--exclude of a model also drops its tests (as dbt test --exclude orders)', () => {
    expect(names({ exclude: ['customer_trusted'], resourceTypes: tests })).toEqual([
      'customer_curated_filters',
      'unique_customer_curated_id',
    ]);
  });

  it('does not select disabled tests', () => {
    expect(names({ select: ['resource_type:model'], resourceTypes: tests })).not.toContain('not_null_old_model_id');
  });
});

describe('select: resourceTypes', () => {
  it('filters the final set', () => {
    expect(names({ resourceTypes: ['seed'] })).toEqual(['device_map']);
    expect(names({ select: ['+machine_learning_curated'], resourceTypes: ['seed'] })).toEqual(['device_map']);
    expect(names({ select: ['customer_trusted'], resourceTypes: [] })).toContain('not_null_customer_trusted_email');
  });
});

describe('select: errors', () => {
  it('a criterion that matches nothing yields a no_match error with the nearest name', () => {
    const r = select(graph, { select: ['customer_trustd customer_curated'] });
    expect(r.errors).toEqual([
      {
        kind: 'no_match',
        message: "The selection criterion 'customer_trustd' does not match any enabled nodes",
        hint: "did you mean 'customer_trusted'?",
      },
    ]);
    expect(r.ids.has(CC)).toBe(true);
    expect(errorsOf({ select: ['tag:trustd'] })[0]?.hint).toBe("did you mean 'trusted'?");
    expect(errorsOf({ select: ['+zzzzzzzzzzzz'] })[0]).toEqual({
      kind: 'no_match',
      message: "The selection criterion '+zzzzzzzzzzzz' does not match any enabled nodes",
    });
  });

  it('reports each failing criterion once, from --exclude too', () => {
    expect(errorsOf({ select: ['nope nope'], exclude: ['tag:none'] }).map((e) => e.message)).toEqual([
      "The selection criterion 'nope' does not match any enabled nodes",
      "The selection criterion 'tag:none' does not match any enabled nodes",
    ]);
  });

  it('an unknown method is invalid and lists the valid methods', () => {
    const [e] = errorsOf({ select: ['foo:bar'] });
    expect(e?.kind).toBe('invalid');
    expect(e?.message).toContain("unknown selector method 'foo'");
    expect(e?.hint).toContain('tag, path, file, resource_type, config, source, test_type, test_name');
    expect(errorsOf({ select: ['tga:x'] })[0]?.hint).toMatch(/^did you mean 'tag'\?/);
    expect(errorsOf({ select: ['constructor:x'] })[0]?.kind).toBe('invalid');
  });

  it('bad values and malformed selectors are invalid', () => {
    const bad = ['resource_type:modle', 'test_type:xyz', 'config:table', 'tag.x:y', 'tag:', '@+x', '+'];
    for (const s of bad) expect(errorsOf({ select: [s] })[0]?.kind, s).toBe('invalid');
    expect(errorsOf({ select: ['resource_type:modle'] })[0]?.hint).toMatch(/^did you mean 'model'\? valid values:/);
    expect(sel('foo:bar')).toEqual([]);
  });
});

describe('select: scale', () => {
  it('selects +x on a 10,000-node chain', () => {
    const nodes: Record<string, ManifestNode> = {};
    for (let i = 0; i < 10_000; i++) {
      const m = model(`m${i}`, 'trusted', { depends_on: i === 0 ? [] : [`model.stedi.m${i - 1}`] });
      nodes[m.unique_id] = m;
    }
    const big = buildGraph(nodes);
    expect(select(big, { select: ['+m9999'] }).ids.size).toBe(10_000);
    expect(select(big, { select: ['m0+'], exclude: ['m5000+'] }).ids.size).toBe(5_000);
  });
});
