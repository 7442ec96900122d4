/**
 * The lineage graph: ELK's layered layout (left to right, one partition per zone, so landing,
 * trusted, curated and audit stand in that order), drawn as SVG, with d3-zoom for pan and zoom.
 * Sources, seeds and models are nodes; their tests are a badge on them (badges.ts). No zoom the
 * page makes, and none the user can make, draws a label below MIN_LABEL_PX on screen: when the
 * graph does not fit at that size, "fit" shows its start at that size and the rest is panned to.
 */
import ElkModule, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js';
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior } from 'd3-zoom';
import type { DocsData } from '../data.js';
import { zoneRank } from '../zones.js';
import { badgeParts, type BadgePart } from './badges.js';
import { s } from './dom.js';
import { label, nodePii, testsOf } from './trace.js';

/** The smallest size, in screen pixels, a label of the graph is ever drawn at. */
export const MIN_LABEL_PX = 11;
/** The smallest font of the graph's labels (CSS: `.node text.sub`, `.badge text`), in SVG units. */
const SMALLEST_FONT = 12;
const MIN_SCALE = MIN_LABEL_PX / SMALLEST_FONT;
const MAX_SCALE = 3;
const MARGIN = 20;

export interface GraphView {
  /** Lays out and draws these nodes (and the edges between them). */
  render(visible: Set<string>): Promise<void>;
  /** Dims every drawn node outside `ids` (none dimmed when undefined); marks `current`. */
  highlight(ids: Set<string> | undefined, current?: string): void;
  /** Pans so that the node and, when they fit at the current zoom, the related ones are in view. */
  reveal(id: string, related?: Set<string>): void;
  fit(): void;
  zoomBy(k: number): void;
}

export interface GraphEvents {
  select(id: string): void;
  /** The tests badge of a node was clicked (or activated with the keyboard). */
  tests(id: string, anchor: Element): void;
  /** The view moved: what floats over the graph closes. */
  moved(): void;
}

/** Seeds are inputs: they share the first column with the landing sources. */
function partition(zone: string): number {
  return zone === 'seeds' ? 0 : zoneRank(zone);
}

type Box = { x: number; y: number; w: number; h: number };

export function createGraph(svg: SVGSVGElement, data: DocsData, on: GraphEvents): GraphView {
  const elk = new ElkModule.default(); // module.exports is the constructor, and its own `default`
  const viewport = s('g', { class: 'viewport' });
  const ruler = s('g', { class: 'ruler', 'aria-hidden': 'true' });
  svg.append(
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))),
    viewport,
    ruler,
  );
  const behavior: ZoomBehavior<SVGSVGElement, unknown> = zoom<SVGSVGElement, unknown>()
    .scaleExtent([MIN_SCALE, MAX_SCALE])
    // the wheel scrolls (below); with Ctrl (a pinch on a touchpad) it zooms
    .filter((e: MouseEvent) => (e.type === 'wheel' ? e.ctrlKey || e.metaKey : !e.ctrlKey && !e.button))
    .on('zoom', (e: { transform: { toString(): string } }) => {
      viewport.setAttribute('transform', e.transform.toString());
      on.moved();
    });
  const sel = select<SVGSVGElement, unknown>(svg);
  sel.call(behavior).on('dblclick.zoom', null);
  svg.addEventListener('wheel', (e) => {
    if (e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    const k = current().k;
    const [dx, dy] = e.shiftKey && !e.deltaX ? [e.deltaY, 0] : [e.deltaX, e.deltaY];
    sel.call(behavior.translateBy, -dx / k, -dy / k);
  }, { passive: false });
  const boxes = new Map<string, Box>();
  let content: Box = { x: 0, y: 0, w: 1, h: 1 };

  const current = () => (svg as unknown as { __zoom?: { k: number; x: number; y: number } }).__zoom ?? { k: 1, x: 0, y: 0 };
  const size = () => ({ W: svg.clientWidth || 800, H: svg.clientHeight || 600 });

  /** The whole graph when it fits at a readable size; else its start (top left) at the smallest readable size. */
  const fitTo = (b: Box) => {
    const { W, H } = size();
    const k = Math.max(MIN_SCALE, Math.min(1.4, (W - 2 * MARGIN) / b.w, (H - 2 * MARGIN) / b.h));
    const x = k * b.w <= W - 2 * MARGIN ? W / 2 - k * (b.x + b.w / 2) : MARGIN - k * b.x;
    const y = k * b.h <= H - 2 * MARGIN ? H / 2 - k * (b.y + b.h / 2) : MARGIN - k * b.y;
    sel.call(behavior.transform, zoomIdentity.translate(x, y).scale(k));
  };

  /** The width of a text in the class's font (measured by the browser; an estimate when it cannot). */
  const measure = (text: string, cls: string, estimate: number) => {
    const t = s('text', { class: cls }, text);
    ruler.append(t);
    const w = t.getComputedTextLength();
    t.remove();
    return w > 0 ? w : text.length * estimate;
  };

  function drawBadge(id: string, parts: BadgePart[], right: number, y: number): SVGGElement {
    const g = s('g', { class: 'badge', 'data-tests-of': id, tabindex: 0, role: 'button' }, s('title', {}, `${parts.map((p) => p.title).join(', ')}: show the tests`));
    const widths = parts.map((p) => measure(p.text, 'badge-text', 7) + 12);
    let x = right - widths.reduce((sum, w) => sum + w + 4, -4);
    parts.forEach((p, i) => {
      g.append(s('g', { class: `pill pill-${p.kind}`, transform: `translate(${x},${y})` }, s('rect', { width: widths[i]!, height: 18, rx: 9 }), s('text', { x: 6, y: 13, class: 'badge-text' }, p.text)));
      x += widths[i]! + 4;
    });
    const open = (ev: Event) => {
      ev.stopPropagation();
      on.tests(id, g);
    };
    g.addEventListener('click', open);
    g.addEventListener('keydown', (ev) => (ev as KeyboardEvent).key === 'Enter' && open(ev));
    return g;
  }

  return {
    async render(visible) {
      const nodes = Object.values(data.nodes).filter((n) => visible.has(n.unique_id)).sort((a, b) => a.unique_id.localeCompare(b.unique_id));
      const drawn = nodes.map((n) => {
        const name = label(data, n.unique_id);
        const sub = n.resource_type === 'model' ? `model · ${n.materialized}` : n.resource_type;
        const parts = badgeParts(data, testsOf(data, n.unique_id).filter((t) => t.config.enabled !== false));
        const badgeW = parts.reduce((w, p) => w + measure(p.text, 'badge-text', 7) + 16, 0);
        const width = Math.ceil(Math.max(measure(name, 'name', 8.6) + 40, measure(sub, 'sub', 6.8) + badgeW + 36, 150));
        return { n, name, sub, parts, width };
      });
      const children: ElkNode[] = drawn.map(({ n, width }) => ({
        id: n.unique_id, width, height: 52,
        layoutOptions: { 'elk.partitioning.partition': String(partition(data.zones[n.unique_id] ?? '')) },
      }));
      const edges: ElkExtendedEdge[] = [];
      for (const n of nodes) for (const p of new Set(n.depends_on)) if (visible.has(p)) edges.push({ id: `${p}->${n.unique_id}`, sources: [p], targets: [n.unique_id] });
      const root: ElkNode = {
        id: 'root',
        layoutOptions: {
          'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.partitioning.activate': 'true',
          'elk.layered.spacing.nodeNodeBetweenLayers': '56', 'elk.spacing.nodeNode': '14', 'elk.spacing.edgeNode': '12',
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
      for (const { n, name, sub, parts } of drawn) {
        const b = boxes.get(n.unique_id)!;
        const status = data.results?.nodes[n.unique_id]?.status;
        const pii = nodePii(data, n.unique_id);
        const g = s('g', { class: `node type-${n.resource_type}${status ? ` status-${status}` : ''}`, 'data-node-id': n.unique_id, 'data-name': n.name, transform: `translate(${b.x},${b.y})`, tabindex: 0, role: 'button' },
          s('title', {}, `${n.resource_type} ${name}`),
          s('rect', { width: b.w, height: b.h, rx: 7 }),
          s('text', { x: 12, y: 21, class: 'name' }, name),
          s('text', { x: 12, y: 41, class: 'sub' }, sub));
        if (pii !== 'none') g.append(s('circle', { cx: b.w - 12, cy: 13, r: 5, class: `pii-dot pii-${pii}` }, s('title', {}, `columns: ${pii}`)));
        if (parts.length) g.append(drawBadge(n.unique_id, parts, b.w - 8, 28));
        g.addEventListener('click', (ev) => {
          ev.stopPropagation();
          on.select(n.unique_id);
        });
        g.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' && ev.target === g) on.select(n.unique_id);
        });
        nodeLayer.append(g);
      }
      viewport.append(bands, edgeLayer, nodeLayer);
      content = { x: 0, y: top, w: out.width ?? 1, h: (out.height ?? 1) - top };
      fitTo(content);
    },
    highlight(ids, currentId) {
      for (const g of viewport.querySelectorAll<SVGGElement>('g.node')) {
        const id = g.dataset.nodeId ?? '';
        g.classList.toggle('dim', !!ids && !ids.has(id));
        g.classList.toggle('current', id === currentId);
      }
      for (const p of viewport.querySelectorAll<SVGPathElement>('path.edge')) {
        const lit = !!ids && ids.has(p.dataset.from ?? '') && ids.has(p.dataset.to ?? '');
        p.classList.toggle('dim', !!ids && !lit);
        p.classList.toggle('hl', lit);
      }
    },
    reveal(id, related) {
      const own = boxes.get(id);
      if (!own) return;
      const { W, H } = size();
      const t = current();
      const inView = (b: Box) => t.x + t.k * b.x >= 0 && t.x + t.k * (b.x + b.w) <= W && t.y + t.k * b.y >= 0 && t.y + t.k * (b.y + b.h) <= H;
      const all = [...(related ?? [])].map((r) => boxes.get(r)).filter((b): b is Box => !!b).concat(own);
      const x0 = Math.min(...all.map((b) => b.x));
      const y0 = Math.min(...all.map((b) => b.y));
      const group: Box = { x: x0, y: y0, w: Math.max(...all.map((b) => b.x + b.w)) - x0, h: Math.max(...all.map((b) => b.y + b.h)) - y0 };
      const target = group.w * t.k <= W - 2 * MARGIN && group.h * t.k <= H - 2 * MARGIN ? group : own;
      if (!inView(target)) sel.call(behavior.translateTo, target.x + target.w / 2, target.y + target.h / 2);
    },
    fit: () => fitTo(content),
    zoomBy: (k) => sel.call(behavior.scaleBy, k),
  };
}
