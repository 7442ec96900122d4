/**
 * Tests are not nodes of the graph: each node carries a badge counting its data tests and unit
 * tests by their latest status ("12 ✓", "1 ⚠"), which opens the list of them (a popover over the
 * graph, each test a link to its page).
 */
import type { DocsData } from '../data.js';
import type { ManifestNode } from '../../manifest/types.js';
import { h, ident } from './dom.js';

export type TestState = 'pass' | 'warn' | 'fail' | 'none';

export interface BadgePart {
  kind: TestState;
  text: string;
  title: string;
}

const MARK: Record<TestState, string> = { pass: '✓', warn: '⚠', fail: '✗', none: '○' };

/** A test's state from the latest run results: pass, warn, fail (or error), none (not run, skipped, cancelled). */
export function testState(data: DocsData, id: string): { state: TestState; text: string } {
  const r = data.results?.nodes[id];
  if (!r) return { state: 'none', text: 'not run' };
  const state: TestState = r.status === 'pass' || r.status === 'success' ? 'pass' : r.status === 'warn' ? 'warn' : r.status === 'fail' || r.status === 'error' ? 'fail' : 'none';
  return { state, text: `${r.status}${r.failures ? ` (${r.failures})` : ''}` };
}

/** The badge of a node with these tests: one part per state present (none without tests). */
export function badgeParts(data: DocsData, tests: ManifestNode[]): BadgePart[] {
  if (!tests.length) return [];
  const plural = (n: number) => `${n} test${n === 1 ? '' : 's'}`;
  if (!data.results) return [{ kind: 'none', text: plural(tests.length), title: `${plural(tests.length)}, no run results` }];
  const count: Record<TestState, number> = { pass: 0, warn: 0, fail: 0, none: 0 };
  for (const t of tests) count[testState(data, t.unique_id).state]++;
  const words: Record<TestState, string> = { pass: 'passed', warn: 'warned', fail: 'failed', none: 'not run' };
  return (['pass', 'warn', 'fail', 'none'] as const).filter((k) => count[k] > 0).map((k) => ({ kind: k, text: `${count[k]} ${MARK[k]}`, title: `${count[k]} ${words[k]}` }));
}

/** The list a badge opens, placed below its anchor (in the viewport), inside `root`. */
export function testsPopover(data: DocsData, name: string, tests: ManifestNode[], anchor: DOMRect, href: (id: string) => string, close: () => void): HTMLElement {
  const items = tests.map((t) => {
    const { state, text } = testState(data, t.unique_id);
    const kind = t.resource_type === 'test' ? `${t.test_metadata.name}${t.column_name ? ` on ${t.column_name}` : ''} · ${t.severity}` : 'unit test';
    return h('li', { 'data-test': t.unique_id, class: `test-${state}` },
      h('span', { class: `mark state-${state}`, title: text }, MARK[state]), ' ',
      h('a', { href: href(t.unique_id), onclick: close }, ident(t.name)),
      h('div', { class: 'desc' }, ident(kind), ' · ', h('span', { class: `state-${state}` }, text)));
  });
  const el = h('div', { id: 'tests-popover', role: 'dialog', 'aria-label': `tests of ${name}` },
    h('header', {}, h('b', {}, 'Tests of ', ident(name)), h('button', { class: 'close', title: 'close', onclick: close }, '×')),
    h('ul', {}, items));
  const width = Math.min(420, window.innerWidth - 16);
  el.style.width = `${width}px`;
  el.style.left = `${Math.max(8, Math.min(anchor.left, window.innerWidth - width - 8))}px`;
  el.style.top = `${anchor.bottom + 6}px`;
  el.style.maxHeight = `${Math.max(160, window.innerHeight - anchor.bottom - 20)}px`;
  return el;
}
