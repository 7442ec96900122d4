/**
 * The lineage graph: ELK's layered layout (left to right, one partition per zone, so landing,
 * trusted, curated and audit stand in that order), drawn as SVG, with d3-zoom for pan and zoom.
 */
import ElkModule, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js';
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior } from 'd3-zoom';
import type { DocsData } from '../data.js';
import { zoneRank } from '../zones.js';
import type { ManifestNode } from '../../manifest/types.js';
import { s } from './dom.js';
import { label, nodePii } from './trace.js';

export interface GraphView {
  /** Lays out and draws these nodes (and the edges between them). */
  render(visible: Set<string>): Promise<void>;
  /** Dims every drawn node outside `ids` (none dimmed when undefined); marks `current`. */
  highlight(ids: Set<string> | undefined, current?: string): void;
  /** Pans (and zooms in if needed) so the node is in view. */
  reveal(id: string): void;
  fit(): void;
  zoomBy(k: number): void;
}

/** Seeds are inputs: they share the first column with the landing sources. */
function partition(zone: string): number {
  return zone === 'seeds' ? 0 : zoneRank(zone);
}

function shortLabel(n: ManifestNode, data: DocsData): string {
  if (n.resource_type === 'test') return n.column_name ? `${n.test_metadata.name} · ${n.column_name}` : n.test_metadata.name;
  if (n.resource_type === 'unit_test') return n.name.length > 34 ? `unit · ${n.name.slice(0, 32)}…` : `unit · ${n.name}`;
  return label(data, n.unique_id);
}

const isTest = (n: ManifestNode) => n.resource_type === 'test' || n.resource_type === 'unit_test';

export function createGraph(svg: SVGSVGElement, data: DocsData, onSelect: (id: string) => void): GraphView {
  const elk = new ElkModule.default(); // module.exports is the constructor, and its own `default`
  const viewport = s('g', { class: 'viewport' });
  svg.append(
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))),
    viewport,
  );
  const behavior: ZoomBehavior<SVGSVGElement, unknown> = zoom<SVGSVGElement, unknown>()
    .scaleExtent([0.1, 4])
    .on('zoom', (e: { transform: { toString(): string } }) => viewport.setAttribute('transform', e.transform.toString()));
  const sel = select<SVGSVGElement, unknown>(svg);
  sel.call(behavior).on('dblclick.zoom', null);
  const boxes = new Map<string, { x: number; y: number; w: number; h: number }>();
  let content = { x: 0, y: 0, w: 1, h: 1 };

  const fitTo = (b: { x: number; y: number; w: number; h: number }, maxScale: number) => {
    const W = svg.clientWidth || 800;
    const H = svg.clientHeight || 600;
    const k = Math.min(maxScale, (W - 40) / b.w, (H - 40) / b.h);
    sel.call(behavior.transform, zoomIdentity.translate(W / 2 - k * (b.x + b.w / 2), H / 2 - k * (b.y + b.h / 2)).scale(k));
  };

  return {
    async render(visible) {
      const nodes = Object.values(data.nodes).filter((n) => visible.has(n.unique_id)).sort((a, b) => a.unique_id.localeCompare(b.unique_id));
      const children: ElkNode[] = nodes.map((n) => {
        const text = shortLabel(n, data);
        const small = isTest(n);
        return {
          id: n.unique_id,
          width: small ? Math.max(90, text.length * 6.2 + 20) : Math.max(160, text.length * 8.3 + 40),
          height: small ? 24 : 46,
          layoutOptions: { 'elk.partitioning.partition': String(partition(data.zones[n.unique_id] ?? '')) },
        };
      });
      const edges: ElkExtendedEdge[] = [];
      for (const n of nodes) for (const p of new Set(n.depends_on)) if (visible.has(p)) edges.push({ id: `${p}->${n.unique_id}`, sources: [p], targets: [n.unique_id] });
      const root: ElkNode = {
        id: 'root',
        layoutOptions: {
          'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.partitioning.activate': 'true',
          'elk.layered.spacing.nodeNodeBetweenLayers': '70', 'elk.spacing.nodeNode': '12', 'elk.spacing.edgeNode': '12',
          'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX', 'elk.padding': '[top=56,left=24,bottom=24,right=24]',
        },
        children,
        edges,
      };
      const out: ElkNode = await elk.layout(root);
      viewport.replaceChildren();
      boxes.clear();
      if (!nodes.length) {
        viewport.append(s('text', { x: 20, y: 40, class: 'empty' }, 'No node to show: the selection is empty.'));
        sel.call(behavior.transform, zoomIdentity);
        return;
      }
      for (const c of out.children ?? []) boxes.set(c.id, { x: c.x ?? 0, y: c.y ?? 0, w: c.width ?? 0, h: c.height ?? 0 });
      const bands = s('g', { class: 'bands' });
      const byZone = new Map<string, string[]>();
      for (const id of boxes.keys()) {
        const z = data.zones[id] === 'seeds' ? 'landing' : data.zones[id] ?? '';
        byZone.set(z, [...(byZone.get(z) ?? []), id]);
      }
      const top = Math.min(...[...boxes.values()].map((b) => b.y)) - 44;
      const bottom = Math.max(...[...boxes.values()].map((b) => b.y + b.h)) + 16;
      for (const [zone, ids] of [...byZone].sort((a, b) => zoneRank(a[0]) - zoneRank(b[0]))) {
        const x0 = Math.min(...ids.map((id) => boxes.get(id)!.x)) - 14;
        const x1 = Math.max(...ids.map((id) => boxes.get(id)!.x + boxes.get(id)!.w)) + 14;
        bands.append(s('g', { class: `band zone-${zone}`, 'data-zone': zone }, s('rect', { x: x0, y: top, width: x1 - x0, height: bottom - top, rx: 10 }), s('text', { x: x0 + 12, y: top + 22 }, zone === 'landing' && ids.some((id) => data.zones[id] === 'seeds') ? 'landing · seeds' : zone)));
      }
      const edgeLayer = s('g', { class: 'edges' });
      for (const e of out.edges ?? []) {
        for (const sec of e.sections ?? []) {
          const pts = [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint];
          edgeLayer.append(s('path', { d: pts.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' '), class: 'edge', 'data-from': e.sources[0], 'data-to': e.targets[0], 'marker-end': 'url(#arrow)' }));
        }
      }
      const nodeLayer = s('g', { class: 'nodes' });
      for (const n of nodes) {
        const b = boxes.get(n.unique_id)!;
        const status = data.results?.nodes[n.unique_id]?.status;
        const pii = nodePii(data, n.unique_id);
        const g = s('g', { class: `node type-${n.resource_type}${status ? ` status-${status}` : ''}`, 'data-node-id': n.unique_id, 'data-name': n.name, transform: `translate(${b.x},${b.y})`, tabindex: 0, role: 'button' },
          s('title', {}, `${n.resource_type} ${label(data, n.unique_id)}`),
          s('rect', { width: b.w, height: b.h, rx: isTest(n) ? 12 : 7 }),
          s('text', { x: 12, y: isTest(n) ? 16 : 20, class: 'name' }, shortLabel(n, data)));
        if (!isTest(n)) {
          const sub = n.resource_type === 'model' ? `model · ${n.materialized}` : n.resource_type;
          g.append(s('text', { x: 12, y: 36, class: 'sub' }, sub));
          if (pii !== 'none') g.append(s('circle', { cx: b.w - 12, cy: 12, r: 5, class: `pii-dot pii-${pii}` }, s('title', {}, `columns: ${pii}`)));
        }
        g.addEventListener('click', (ev) => {
          ev.stopPropagation();
          onSelect(n.unique_id);
        });
        g.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter') onSelect(n.unique_id);
        });
        nodeLayer.append(g);
      }
      viewport.append(bands, edgeLayer, nodeLayer);
      content = { x: 0, y: top, w: out.width ?? 1, h: (out.height ?? 1) - top };
      fitTo(content, 1.6);
    },
    highlight(ids, current) {
      for (const g of viewport.querySelectorAll<SVGGElement>('g.node')) {
        const id = g.dataset.nodeId ?? '';
        g.classList.toggle('dim', !!ids && !ids.has(id));
        g.classList.toggle('current', id === current);
      }
      for (const p of viewport.querySelectorAll<SVGPathElement>('path.edge')) {
        const on = !!ids && ids.has(p.dataset.from ?? '') && ids.has(p.dataset.to ?? '');
        p.classList.toggle('dim', !!ids && !on);
        p.classList.toggle('hl', on);
      }
    },
    reveal(id) {
      const b = boxes.get(id);
      if (!b) return;
      const W = svg.clientWidth || 800;
      const H = svg.clientHeight || 600;
      const t = (svg as unknown as { __zoom?: { k: number; x: number; y: number } }).__zoom ?? { k: 1, x: 0, y: 0 };
      const inView = t.x + t.k * b.x >= 0 && t.x + t.k * (b.x + b.w) <= W && t.y + t.k * b.y >= 0 && t.y + t.k * (b.y + b.h) <= H;
      if (!inView) sel.call(behavior.translateTo, b.x + b.w / 2, b.y + b.h / 2);
    },
    fit: () => fitTo(content, 1.6),
    zoomBy: (k) => sel.call(behavior.scaleBy, k),
  };
}
