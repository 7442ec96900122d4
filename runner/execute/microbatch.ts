/** The inputs of a microbatch model, from the manifest (pure): what the adapter reads by interval and what by key. */
import type { MicrobatchPlan } from '../adapters/types.js';
import { asRestateBy } from '../compiler/configs.js';
import type { Manifest, ModelNode } from '../manifest/types.js';

export function isMicrobatch(n: ModelNode): boolean {
  return n.materialized === 'incremental' && n.config.incremental_strategy === 'microbatch';
}

/** The name restate_by.from uses for an input: a model or seed name, or `source_name.table`. */
function inputName(manifest: Manifest, id: string): string {
  const n = manifest.nodes[id];
  return n?.resource_type === 'source' ? `${n.source_name}.${n.name}` : (n?.name ?? id);
}

export function microbatchPlan(manifest: Manifest, node: ModelNode, window?: { start?: number; end?: number }): MicrobatchPlan {
  const restate = asRestateBy(node.config.restate_by);
  const plan: MicrobatchPlan = { eventInputs: [], dimensions: [], ...(restate ? { restateColumn: restate.column } : {}), ...(window ? { window } : {}) };
  for (const id of node.depends_on) {
    const n = manifest.nodes[id];
    if (!n || (n.resource_type !== 'source' && n.resource_type !== 'model' && n.resource_type !== 'seed')) continue;
    const column = n.config.event_time;
    if (typeof column === 'string' && column) plan.eventInputs.push({ id, relation: n.relation.rendered, column });
    else {
      const key = restate?.from[inputName(manifest, id)];
      plan.dimensions.push({ id, relation: n.relation.rendered, ...(key ? { key } : {}) });
    }
  }
  return plan;
}
