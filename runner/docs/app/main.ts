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
import { testState, testsPopover, type TestState } from './badges.js';
import { byId, h, ident } from './dom.js';
import { createGraph } from './graph.js';
import { href, renderPanel } from './panel.js';
import { label, nodePii, testsOf, traceDownstream, traceUpstream } from './trace.js';

const data = JSON.parse(byId('stedi-data').textContent ?? '{}') as DocsData;
const dag = buildGraph(data.nodes);
const panel = byId('panel');
const svg = document.getElementById('graph') as unknown as SVGSVGElement;
/** Tests are badges on these (badges.ts), never nodes of the graph. */
const TYPES: ResourceType[] = ['source', 'seed', 'model'];
const shown = new Set<ResourceType>(TYPES);
let selected: Set<string> | undefined;

function closeTests(): void {
  document.getElementById('tests-popover')?.remove();
}

function openTests(id: string, anchor: Element): void {
  const open = document.getElementById('tests-popover')?.dataset.of;
  closeTests();
  if (open === id) return; // a second click on the badge closes it
  const order: Record<TestState, number> = { fail: 0, warn: 1, none: 2, pass: 3 };
  const tests = testsOf(data, id).filter((t) => t.config.enabled !== false).sort((x, y) => order[testState(data, x.unique_id).state] - order[testState(data, y.unique_id).state]);
  const el = testsPopover(data, label(data, id), tests, anchor.getBoundingClientRect(), href, closeTests);
  el.dataset.of = id;
  document.body.append(el);
}

const graph = createGraph(svg, data, { select: (id) => (location.hash = href(id)), tests: openTests, moved: closeTests });

/** The node of the graph that stands for `id`: a test is drawn as a badge on the node it tests. */
function graphNode(id: string): string {
  const n = data.nodes[id];
  if (n?.resource_type === 'test') return n.attached_node;
  if (n?.resource_type === 'unit_test') return n.model;
  return id;
}

function visible(): Set<string> {
  const ids = selected ?? new Set(dag.nodes.keys());
  return new Set([...ids].map(graphNode).filter((id) => data.nodes[id] && shown.has(data.nodes[id].resource_type) && data.nodes[id].config.enabled !== false));
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
    h('p', {}, 'Click a node, search, or select with the dbt grammar (', h('code', {}, '+machine_learning_curated'), ', ', h('code', {}, 'tag:pii'), ', ', h('code', {}, 'path:models/trusted'), '). Click a column to trace where it comes from. Drag or scroll the graph to pan; Ctrl + wheel or + − to zoom; a node\'s badge lists its tests.'),
    ...zones.map((z) => h('section', {}, h('h3', {}, z), h('ul', { class: 'zone-list' }, models.filter((n) => data.zones[n.unique_id] === z).map((n) => {
      const pii = nodePii(data, n.unique_id);
      return h('li', {}, h('a', { href: href(n.unique_id) }, ident(label(data, n.unique_id))), ' ', h('span', { class: 'muted' }, n.resource_type), pii !== 'none' ? h('span', { class: `pii pii-${pii}` }, pii) : null);
    })))),
  );
}

function route(): void {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const id = params.get('node');
  const column = params.get('column') ?? undefined;
  closeTests();
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
    const at = graphNode(id);
    related = new Set([at, ...(dag.parents.get(at) ?? []), ...(dag.children.get(at) ?? [])]);
  }
  graph.highlight(related, graphNode(id));
  graph.reveal(graphNode(id), related);
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
  list.replaceChildren(...hits.slice(0, 12).map((n) => h('li', {}, h('a', { href: href(n.unique_id) }, ident(label(data, n.unique_id))), ' ', h('span', { class: 'muted' }, n.resource_type))));
  graph.highlight(new Set(hits.map((n) => graphNode(n.unique_id))));
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
  byId('toggle-panel').addEventListener('click', () => {
    const closed = byId('main').classList.toggle('panel-closed');
    byId('toggle-panel').textContent = closed ? 'show panel' : 'hide panel';
    graph.fit();
  });
  document.addEventListener('keydown', (e) => e.key === 'Escape' && closeTests());
  document.addEventListener('click', (e) => {
    const pop = document.getElementById('tests-popover');
    if (pop && !pop.contains(e.target as Node)) closeTests();
  });
  window.addEventListener('scroll', closeTests, { passive: true });
}

header();
window.addEventListener('hashchange', route);
void redraw();
