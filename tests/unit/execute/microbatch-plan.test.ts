import { describe, expect, it } from 'vitest';
import { eventTimeWindow } from '../../../runner/cli/commands.js';
import { microbatchPlan } from '../../../runner/execute/microbatch.js';
import type { Manifest, ModelNode } from '../../../runner/manifest/types.js';

const rel = (r: string) => ({ schema: 'x', identifier: r, rendered: `"x"."${r}"` });

function manifest(): { m: Manifest; node: ModelNode } {
  const node = {
    unique_id: 'model.p.readings', resource_type: 'model', name: 'readings', depends_on: ['source.p.landing.events', 'model.p.people', 'seed.p.codes', 'model.p.upstream'],
    config: { enabled: true, materialized: 'incremental', incremental_strategy: 'microbatch', event_time: 'ts', batch_size: 'day', restate_by: { column: 'person', from: { people: 'id', 'landing.events': 'nope' } } },
    materialized: 'incremental', relation: rel('readings'),
  } as unknown as ModelNode;
  const nodes: Record<string, unknown> = {
    'source.p.landing.events': { unique_id: 'source.p.landing.events', resource_type: 'source', source_name: 'landing', name: 'events', config: { enabled: true, event_time: 'ts' }, relation: rel('events') },
    'model.p.people': { unique_id: 'model.p.people', resource_type: 'model', name: 'people', config: { enabled: true }, relation: rel('people') },
    'seed.p.codes': { unique_id: 'seed.p.codes', resource_type: 'seed', name: 'codes', config: { enabled: true }, relation: rel('codes') },
    'model.p.upstream': { unique_id: 'model.p.upstream', resource_type: 'model', name: 'upstream', config: { enabled: true, event_time: 'at' }, relation: rel('upstream') },
    [node.unique_id]: node,
  };
  return { m: { nodes } as unknown as Manifest, node };
}

describe('the inputs of a microbatch model', () => {
  it('event-time inputs by their event_time; every other input a dimension, keyed when restate_by.from names it', () => {
    const { m, node } = manifest();
    expect(microbatchPlan(m, node, { start: 5 })).toEqual({
      eventInputs: [{ id: 'source.p.landing.events', relation: '"x"."events"', column: 'ts' }, { id: 'model.p.upstream', relation: '"x"."upstream"', column: 'at' }],
      dimensions: [{ id: 'model.p.people', relation: '"x"."people"', key: 'id' }, { id: 'seed.p.codes', relation: '"x"."codes"' }],
      restateColumn: 'person',
      window: { start: 5 },
    });
  });

  it('--event-time-start/--event-time-end: UTC dates or times, the end after the start', () => {
    expect(eventTimeWindow({})).toBeUndefined();
    expect(eventTimeWindow({ eventTimeStart: '2024-01-10' })).toEqual({ start: Date.UTC(2024, 0, 10) });
    expect(eventTimeWindow({ eventTimeStart: '2024-01-10T06:30', eventTimeEnd: '2024-01-11' })).toEqual({ start: Date.UTC(2024, 0, 10, 6, 30), end: Date.UTC(2024, 0, 11) });
    expect(() => eventTimeWindow({ eventTimeStart: 'yesterday' })).toThrow(/--event-time-start must be a UTC date or time/);
    expect(() => eventTimeWindow({ eventTimeStart: '2024-01-11', eventTimeEnd: '2024-01-10' })).toThrow(/must be after/);
  });
});
