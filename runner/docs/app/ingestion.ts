/** The ingestion section of a landing source's page: where every line of its last ingestion went. */
import type { DocsData } from '../data.js';
import type { SourceIngestion } from '../ingestion.js';
import { h, ident } from './dom.js';

const n = (x: number) => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;
const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

function ok(good: boolean, yes: string, no: string) {
  return h('span', { class: good ? 'check ok' : 'check bad' }, good ? `✓ ${yes}` : `✗ ${no}`);
}

function linesTable(g: SourceIngestion) {
  const row = (key: string, label: string, value: number, cls = '') => h('tr', { 'data-count': key, class: cls || undefined }, h('th', {}, label), h('td', { class: 'num' }, n(value)));
  const reasons = [
    ...g.rejected_by_reason.map((r) => row(`rejected:${r.reason}`, r.reason, r.lines, 'sub')),
    ...(g.rejected_unattributed ? [h('tr', { 'data-count': 'rejected:unattributed', class: 'sub' }, h('th', {}, 'reason not in the report'), h('td', { class: 'num' }, n(g.rejected_unattributed)))] : []),
  ];
  return h('table', { class: 'counts' }, h('tbody', {},
    row('lines_read', 'lines read', g.lines_read, 'total'),
    row('accepted', 'accepted', g.accepted),
    row('rejected', 'rejected', g.rejected),
    reasons,
    row('blank', 'blank', g.blank),
    row('duplicate_delivery', 'duplicate deliveries', g.duplicate_delivery),
    g.erased ? row('erased', 'erased (stedi forget)', g.erased) : null,
  ));
}

function filesSection(g: SourceIngestion) {
  const notes = [g.empty_files ? `${n(g.empty_files)} empty` : '', g.duplicate_files ? `${n(g.duplicate_files)} duplicate` : ''].filter(Boolean);
  const tolerated = Object.entries(g.tolerated).map(([k, v]) => `${n(v ?? 0)} ${k}`);
  const rows = g.file_list.map((f) => h('tr', { 'data-file': f.file },
    h('td', { title: f.file }, ident(baseName(f.file)), f.duplicate_of ? h('div', { class: 'desc' }, 'same content as ', ident(baseName(f.duplicate_of))) : null),
    h('td', { class: 'num' }, n(f.lines)), h('td', { class: 'num' }, n(f.accepted)), h('td', { class: 'num' }, n(f.rejected)),
    h('td', { class: 'num' }, n(f.blank + f.duplicate_delivery + (f.erased ?? 0))), h('td', {}, f.status)));
  return h('div', { class: 'files' },
    h('p', {}, plural(g.files, 'file'), notes.length ? ` (${notes.join(', ')})` : '', g.skipped_entries ? `; ${plural(g.skipped_entries, 'other entry', 'other entries')} of the folder not read` : '',
      tolerated.length ? `; tolerated: ${tolerated.join(', ')}` : ''),
    rows.length ? h('table', { class: 'files-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'file'), h('th', { class: 'num' }, 'lines'), h('th', { class: 'num' }, 'accepted'), h('th', { class: 'num' }, 'rejected'), h('th', { class: 'num', title: 'blank, duplicate delivery or erased' }, 'other'), h('th', {}, 'status'))),
      h('tbody', {}, rows)) : null,
    g.files_not_listed ? h('p', { class: 'muted' }, `and ${plural(g.files_not_listed, 'more file')} without a finding`) : null,
  );
}

function entitySection(source: string, g: SourceIngestion) {
  return g.entity.map((e) => h('div', { class: 'entity', 'data-entity': e.entity },
    h('h4', {}, 'Reconciliation of the entity ', h('code', {}, e.entity), h('span', { class: 'muted' }, ` (model ${e.model})`)),
    h('table', { class: 'counts' }, h('tbody', {},
      h('tr', { class: 'total', 'data-rule': 'landing' }, h('th', {}, 'landing rows'), h('td', { class: 'num' }, n(e.landing))),
      e.rules.map((r) => h('tr', { 'data-rule': r.rule }, h('th', {}, ident(r.rule)), h('td', { class: 'num' }, n(r.row_count)))))),
    h('p', {}, ok(e.balanced, `${n(e.landing)} landing rows = ${n(e.accounted)} kept or excluded`, `${n(e.landing)} landing rows but ${n(e.accounted)} kept or excluded`)),
    e.accepted_is_landing === undefined ? null : h('p', {}, ok(e.accepted_is_landing, `the ${n(g.accepted)} lines ${source} accepted are the entity's landing rows`, `${source} accepted ${n(g.accepted)} lines but the entity has ${n(e.landing)} landing rows`)),
  ));
}

export function ingestionSection(data: DocsData, id: string, source: string) {
  const r = data.results;
  const g = data.ingestion?.[id];
  const other = r && r.target !== data.target ? h('p', { class: 'warn-note' }, `These counts are of target ${r.target}; the page documents target ${data.target}.`) : null;
  const body = !r
    ? [h('p', { class: 'muted' }, 'No run results: after stedi build, this shows where every landing line went.')]
    : !g
      ? [h('p', { class: 'muted' }, `Not ingested by the last ${r.command} (${r.generated_at}).`)]
      : [
        h('p', { class: 'muted' }, `last ${r.command} on target ${r.target}, ${r.generated_at}`),
        other,
        linesTable(g),
        h('p', {}, ok(g.balanced, 'every line read is accounted for once', 'the lines read do not add up')),
        g.rejected ? h('p', { class: 'muted' }, 'Rejected lines are quarantined in ', h('code', {}, ident(g.rejects_relation)), ' with their line number and reason.') : null,
        filesSection(g),
        ...entitySection(source, g),
        g.warnings.length ? h('div', {}, h('h4', {}, 'Findings'), h('ul', { class: 'findings' }, g.warnings.map((w) => h('li', {}, ident(w))))) : null,
      ];
  return h('section', { id: 'ingestion' }, h('h3', {}, 'Ingestion'), body);
}
