/** The page of one node: what it is, its columns with lineage and PII status, its tests, its SQL. */
import type { DocsData } from '../data.js';
import type { LineageEdge, PiiStatus } from '../../lineage/types.js';
import type { ManifestNode } from '../../manifest/types.js';
import { h, ident } from './dom.js';
import { ingestionSection } from './ingestion.js';
import { columnLabel, columnsOf, label, piiOf, testsOf, traceDownstream, traceUpstream, upstreamOf } from './trace.js';

export const href = (node: string, column?: string) => `#node=${encodeURIComponent(node)}${column ? `&column=${encodeURIComponent(column)}` : ''}`;

const PII_TEXT: Record<PiiStatus, string> = { pii: 'PII', derived: 'derived from PII', pseudonymised: 'pseudonymised', unknown: 'unverified', none: '' };
const VIA_TEXT: Record<LineageEdge['via'], string> = { direct: '', expression: 'computed', pseudonymised: 'pseudonym', condition: 'condition' };

function piiBadge(s: PiiStatus | undefined) {
  return s && s !== 'none' ? h('span', { class: `pii pii-${s}`, title: `personal data: ${s}` }, PII_TEXT[s]) : null;
}

function colLink(data: DocsData, e: LineageEdge, cls = 'upstream') {
  return h('a', { class: cls, href: href(e.node, e.column), 'data-node': e.node, 'data-column': e.column }, ident(columnLabel(data, e)), VIA_TEXT[e.via] ? h('span', { class: `via via-${e.via}` }, VIA_TEXT[e.via]) : null);
}

function nodeLink(data: DocsData, id: string) {
  return h('a', { href: href(id), class: `node-link type-${data.nodes[id]?.resource_type ?? ''}` }, ident(label(data, id)));
}

function resultLine(data: DocsData, id: string) {
  const r = data.results?.nodes[id];
  if (!r) return null;
  const rows = r.rows_affected !== undefined ? ` · ${r.rows_affected.toLocaleString('en-US')} rows` : '';
  const fails = r.failures !== undefined ? ` · ${r.failures} failing` : '';
  return h('p', { class: `result status-${r.status}` }, `last ${data.results!.command}: `, h('b', {}, r.status), `${rows}${fails} · ${r.execution_time.toFixed(2)}s · ${r.completed_at}`);
}

function columnsTable(data: DocsData, n: ManifestNode, column: string | undefined) {
  const declared = 'columns' in n ? n.columns : [];
  const rows = columnsOf(data, n.unique_id).map((name) => {
    const d = declared.find((c) => c.name.toLowerCase() === name.toLowerCase());
    const ref = { node: n.unique_id, column: name };
    const lineage = data.lineage.models[n.unique_id]?.columns.find((c) => c.name === name);
    const produced = n.resource_type !== 'model' || !!lineage;
    return h('tr', { 'data-column': name, class: column?.toLowerCase() === name.toLowerCase() ? 'selected' : undefined },
      h('td', {}, h('a', { class: 'column-name', href: href(n.unique_id, name) }, ident(name)), d?.pii ? h('span', { class: 'tag', title: 'tagged meta.pii' }, 'meta.pii') : null,
        d?.description ? h('div', { class: 'desc' }, d.description) : null),
      h('td', { class: 'type' }, d?.data_type ?? ''),
      h('td', {}, piiBadge(piiOf(data, ref))),
      h('td', { class: 'from' },
        upstreamOf(data, ref).map((e) => colLink(data, e)),
        (lineage?.unresolved ?? []).map((u) => h('span', { class: 'unresolved', title: u.reason }, `unresolved: ${u.reference} — ${u.reason}`)),
        produced ? null : h('span', { class: 'unresolved' }, 'declared, but the SQL does not produce it')),
    );
  });
  if (!rows.length) return h('p', { class: 'muted' }, 'No columns declared.');
  return h('table', { class: 'columns' }, h('thead', {}, h('tr', {}, h('th', {}, 'column'), h('th', {}, 'type'), h('th', {}, 'personal data'), h('th', {}, 'from'))), h('tbody', {}, rows));
}

function traceSection(data: DocsData, id: string, column: string) {
  const steps = traceUpstream(data, { node: id, column });
  const down = traceDownstream(data, { node: id, column });
  return h('section', { id: 'trace' },
    h('h3', {}, 'Lineage of ', h('code', {}, ident(columnLabel(data, { node: id, column })))),
    h('ol', { class: 'trace' }, steps.map((st) => h('li', { style: `margin-left:${st.depth * 16}px`, 'data-node': st.node, 'data-column': st.column },
      st.depth ? '← ' : '', h('a', { href: href(st.node, st.column) }, ident(columnLabel(data, st))), st.via && VIA_TEXT[st.via] ? h('span', { class: `via via-${st.via}` }, VIA_TEXT[st.via]) : null, ' ', piiBadge(piiOf(data, st)),
      data.nodes[st.node]?.resource_type === 'source' ? h('span', { class: 'tag' }, 'landing source') : null))),
    down.length ? h('p', {}, 'Used by: ', down.map((e) => colLink(data, e, 'downstream'))) : null,
  );
}

function testsTable(data: DocsData, id: string) {
  const tests = testsOf(data, id);
  if (!tests.length) return h('p', { class: 'muted' }, 'No tests.');
  return h('table', { class: 'tests' }, h('tbody', {}, tests.map((t) => {
    const r = data.results?.nodes[t.unique_id];
    const kind = t.resource_type === 'test' ? `${t.test_metadata.name}${t.column_name ? ` on ${t.column_name}` : ''} · ${t.severity}` : 'unit test';
    return h('tr', { 'data-test': t.unique_id }, h('td', {}, h('a', { href: href(t.unique_id) }, ident(t.name))), h('td', {}, ident(kind)),
      h('td', { class: `status-${r?.status ?? 'none'}` }, r ? `${r.status}${r.failures ? ` (${r.failures})` : ''}` : 'not run'));
  })));
}

function sqlSection(data: DocsData, n: ManifestNode) {
  const tabs: [string, string][] = [];
  if (n.resource_type === 'model') tabs.push(['raw', n.raw_code]);
  for (const t of data.targets) {
    const sql = data.compiled[n.unique_id]?.[t];
    if (sql !== undefined) tabs.push([`compiled · ${t}`, sql]);
  }
  if (!tabs.length) return null;
  // the page opens on the SQL of the target it was generated for
  const open = Math.max(0, tabs.findIndex(([name]) => name === `compiled · ${data.target}`));
  const code = h('code', { id: 'sql-code' }, tabs[open]![1]);
  const buttons = tabs.map(([name, sql], i) => h('button', { class: i === open ? 'tab active' : 'tab', 'data-tab': name, onclick: (e: Event) => {
    code.textContent = sql;
    for (const b of buttons) b.classList.toggle('active', b === e.currentTarget);
  } }, name));
  return h('section', { id: 'sql' }, h('h3', {}, 'SQL'), h('div', { class: 'tabs' }, buttons), h('pre', {}, code));
}

function facts(data: DocsData, n: ManifestNode) {
  const items: [string, unknown][] = [['type', n.resource_type], ['zone', data.zones[n.unique_id]], ['file', n.original_file_path]];
  if (n.resource_type === 'model') items.push(['materialized', n.materialized], ['relation', n.relation.rendered], ['personal data allowed', n.config.pii_allowed === false ? 'no (pii_allowed: false)' : 'yes']);
  if (n.resource_type === 'source') items.push(['relation', n.relation.rendered], ['location', n.location], ['format', n.format]);
  if (n.resource_type === 'seed') items.push(['relation', n.relation.rendered]);
  if (n.resource_type === 'test') items.push(['test', n.test_metadata.name], ['severity', n.severity]);
  if (n.tags.length) items.push(['tags', n.tags.join(', ')]);
  return h('dl', { class: 'facts' }, items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, ident(String(v ?? '')))]));
}

export function renderPanel(root: HTMLElement, data: DocsData, id: string, column?: string): void {
  const n = data.nodes[id];
  if (!n) {
    root.replaceChildren(h('p', { class: 'muted' }, `No node ${id}.`));
    return;
  }
  const parents = [...new Set(n.resource_type === 'test' ? [n.attached_node, ...n.depends_on] : n.depends_on)].filter((p) => data.nodes[p]);
  const children = Object.values(data.nodes).filter((c) => c.depends_on.includes(id) && c.resource_type !== 'test' && c.resource_type !== 'unit_test').map((c) => c.unique_id);
  const error = data.lineage.models[id]?.error;
  const parts: (HTMLElement | null)[] = [
    h('header', {}, h('span', { class: `kind type-${n.resource_type}` }, n.resource_type), h('h2', { id: 'node-title' }, ident(label(data, id)))),
    column ? traceSection(data, id, column) : null,
    n.description ? h('p', { class: 'description' }, n.description) : null,
    facts(data, n),
    resultLine(data, id),
    ...(data.inconsistencies ?? []).filter((p) => p.node === id || p.other === id).map((p) => h('p', { class: 'inconsistent' }, `Inputs differ: ${p.message}`)),
    parents.length ? h('p', { class: 'deps' }, 'Reads: ', parents.map((p) => nodeLink(data, p))) : null,
    children.length ? h('p', { class: 'deps' }, 'Read by: ', children.map((c) => nodeLink(data, c))) : null,
    'columns' in n ? h('section', { id: 'columns' }, h('h3', {}, 'Columns'), error ? h('p', { class: 'unresolved' }, `Column lineage unavailable: ${error}`) : null, columnsTable(data, n, column)) : null,
    n.resource_type === 'source' ? ingestionSection(data, id, label(data, id)) : null,
    n.resource_type === 'test' || n.resource_type === 'unit_test' ? null : h('section', { id: 'tests' }, h('h3', {}, 'Tests'), testsTable(data, id)),
    sqlSection(data, n),
  ];
  root.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  root.scrollTop = 0;
}
