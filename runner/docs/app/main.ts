/**
 * The docs page: reads the embedded project data, draws the lineage graph and shows one node
 * at a time. Routes are URL hashes (`#node=<id>&column=<name>`), so links, back and forward
 * work from the file system. Selection uses the runner's own selector code (runner/graph).
 */
import type { DocsData } from '../data.js';
import { zoneRank } from '../zones.js';
import { buildGraph } from '../../graph/dag.js';
import { select } from '../../graph/select.js';
import type { ResourceType } from '../../manifest/types.js';
import { byId, h } from './dom.js';
import { createGraph } from './graph.js';
import { href, renderPanel } from './panel.js';
import { label, nodePii, traceDownstream, traceUpstream } from './trace.js';

const data = JSON.parse(byId('stedi-data').textContent ?? '{}') as DocsData;
const dag = buildGraph(data.nodes);
const panel = byId('panel');
const svg = document.getElementById('graph') as unknown as SVGSVGElement;
const TYPES: ResourceType[] = ['source', 'seed', 'model', 'test', 'unit_test'];
const shown = new Set<ResourceType>(['source', 'seed', 'model']);
let selected: Set<string> | undefined;

const graph = createGraph(svg, data, (id) => (location.hash = href(id)));

function visible(): Set<string> {
  const ids = selected ?? new Set(dag.nodes.keys());
  return new Set([...ids].filter((id) => shown.has(data.nodes[id]!.resource_type) && data.nodes[id]!.config.enabled !== false));
}

async function redraw(): Promise<void> {
  svg.dataset.ready = 'false';
  await graph.render(visible());
  svg.dataset.ready = 'true';
  route();
}

function overview(): void {
  const models = Object.values(data.nodes).filter((n) => n.resource_type === 'model' || n.resource_type === 'source' || n.resource_type === 'seed');
  const zones = [...new Set(models.map((n) => data.zones[n.unique_id] ?? ''))].sort((a, b) => zoneRank(a) - zoneRank(b));
  const mixed = data.inconsistencies ?? [];
  panel.replaceChildren(
    h('header', {}, h('h2', { id: 'node-title' }, data.project)),
    ...(mixed.length ? [h('section', { id: 'inconsistent', class: 'inconsistent' }, h('h3', {}, 'Published tables built from different inputs'), h('ul', {}, mixed.map((p) => h('li', {}, p.message))), h('p', {}, 'Rebuild them together (stedi build) so that every table comes from the same inputs.'))] : []),
    h('p', {}, 'Click a node, search, or select with the dbt grammar (', h('code', {}, '+machine_learning_curated'), ', ', h('code', {}, 'tag:pii'), ', ', h('code', {}, 'path:models/trusted'), '). Click a column to trace where it comes from.'),
    ...zones.map((z) => h('section', {}, h('h3', {}, z), h('ul', { class: 'zone-list' }, models.filter((n) => data.zones[n.unique_id] === z).map((n) => {
      const pii = nodePii(data, n.unique_id);
      return h('li', {}, h('a', { href: href(n.unique_id) }, label(data, n.unique_id)), ' ', h('span', { class: 'muted' }, n.resource_type), pii !== 'none' ? h('span', { class: `pii pii-${pii}` }, pii) : null);
    })))),
  );
}

function route(): void {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const id = params.get('node');
  const column = params.get('column') ?? undefined;
  if (!id || !data.nodes[id]) {
    overview();
    graph.highlight(undefined);
    return;
  }
  renderPanel(panel, data, id, column);
  let related: Set<string>;
  if (column) {
    related = new Set([...traceUpstream(data, { node: id, column }).map((s) => s.node), ...traceDownstream(data, { node: id, column }).map((e) => e.node)]);
  } else {
    related = new Set([id, ...(dag.parents.get(id) ?? []), ...(dag.children.get(id) ?? [])]);
  }
  graph.highlight(related, id);
  graph.reveal(id);
}

function applySelection(): void {
  const sel = byId<HTMLInputElement>('select').value.trim();
  const exc = byId<HTMLInputElement>('exclude').value.trim();
  const out = byId('select-errors');
  if (!sel && !exc) {
    selected = undefined;
    out.replaceChildren();
  } else {
    const { ids, errors } = select(dag, { ...(sel ? { select: [sel] } : {}), ...(exc ? { exclude: [exc] } : {}) });
    out.replaceChildren(...errors.map((e) => h('div', { class: e.kind === 'invalid' ? 'error' : 'warn' }, e.message, e.hint ? ` (${e.hint})` : '')));
    selected = errors.some((e) => e.kind === 'invalid') ? selected : ids;
    byId('select-count').textContent = `${ids.size} selected`;
  }
  void redraw();
}

function search(): void {
  const q = byId<HTMLInputElement>('search').value.trim().toLowerCase();
  const list = byId('search-results');
  if (!q) {
    list.replaceChildren();
    route();
    return;
  }
  const hits = Object.values(data.nodes).filter((n) => label(data, n.unique_id).toLowerCase().includes(q) || n.unique_id.toLowerCase().includes(q));
  list.replaceChildren(...hits.slice(0, 12).map((n) => h('li', {}, h('a', { href: href(n.unique_id) }, label(data, n.unique_id)), ' ', h('span', { class: 'muted' }, n.resource_type))));
  graph.highlight(new Set(hits.map((n) => n.unique_id)));
}

function header(): void {
  const r = data.results;
  byId('meta').textContent = `target ${data.target} · SQL for ${data.targets.join(', ')} · generated ${data.generated_at}${r ? ` · results of ${r.command} at ${r.generated_at}` : ' · no run results'}`;
  byId('types').replaceChildren(...TYPES.map((t) => h('label', {}, h('input', { type: 'checkbox', id: `show-${t}`, checked: shown.has(t), onchange: (e: Event) => {
    if ((e.target as HTMLInputElement).checked) shown.add(t);
    else shown.delete(t);
    void redraw();
  } }), t.replace('_', ' '))));
  byId('apply').addEventListener('click', applySelection);
  byId('reset').addEventListener('click', () => {
    byId<HTMLInputElement>('select').value = '';
    byId<HTMLInputElement>('exclude').value = '';
    byId('select-count').textContent = '';
    applySelection();
  });
  for (const id of ['select', 'exclude']) byId(id).addEventListener('keydown', (e) => (e as KeyboardEvent).key === 'Enter' && applySelection());
  byId('search').addEventListener('input', search);
  byId('search').addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') byId('search-results').querySelector('a')?.click();
  });
  byId('zoom-in').addEventListener('click', () => graph.zoomBy(1.3));
  byId('zoom-out').addEventListener('click', () => graph.zoomBy(1 / 1.3));
  byId('zoom-fit').addEventListener('click', () => graph.fit());
}

header();
window.addEventListener('hashchange', route);
void redraw();
